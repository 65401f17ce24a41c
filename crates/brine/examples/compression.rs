//! The tutorial's "Compression of Pickled Objects": Dante's lines pickled, then compressed
//! with bz2 (and gzip), sizes printed, and read back through the same call that reads plain
//! pickles.
//!
//! Run with `cargo run -p brine --example compression`.

use brine::compress::{Codec, Level};
use brine::{Graph, Value};

const DANTE: &str = "Per me si va ne la città dolente,
per me si va ne l'etterno dolore,
per me si va tra la perduta gente.
Giustizia mosse il mio alto fattore:
fecemi la divina podestate,
la somma sapienza e 'l primo amore;
dinanzi a me non fuor cose create
se non etterne, e io etterno duro.
Lasciate ogne speranza, voi ch'intrate.";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut graph = Graph::new();
    let text = graph.add_str(DANTE);
    graph.set_root(text);
    let pickled = brine::dumps(&graph)?;

    println!("len(my_string)  = {}", DANTE.chars().count());
    println!("len(pickled)    = {}", pickled.len());
    for codec in [Codec::Bz2, Codec::Gzip] {
        let compressed = brine::Pickler::new()
            .compress(codec, Level::Default)
            .dumps(&graph)?;
        println!("len({codec} pickle) = {}", compressed.len());
        let back = brine::Unpickler::new()
            .decompress(Default::default())
            .loads(&compressed)?;
        assert_eq!(back.root().as_str(), Some(DANTE));
        assert!(matches!(back.root_value(), Value::Node(_)));
    }
    println!("both read back to the same text");
    Ok(())
}
