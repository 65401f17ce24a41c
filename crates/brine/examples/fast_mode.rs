//! CPython's `Pickler.fast`: the pickler without a memo. Data without sharing is written
//! smaller (no MEMOIZE, PUT or BINPUT), a shared object is written once per reference (and
//! loads as that many objects), and a cycle is refused, as CPython refuses it.
//!
//! Run with `cargo run -p brine --example fast_mode`.

use brine::{Graph, Node, Value};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // ["w0", "w1", ..., "w99"]: nothing shared, so the memo only costs a MEMOIZE per str.
    let words = {
        let mut graph = Graph::new();
        let items = (0..100).map(|i| graph.add_str(&format!("w{i}"))).collect();
        let list = graph.add(Node::List(items));
        graph.set_root(Value::Node(list));
        graph
    };
    let memoized = brine::Pickler::new().dumps(&words)?;
    let fast = brine::Pickler::new().fast(true).dumps(&words)?;
    println!("100 distinct str, with the memo: {} bytes", memoized.len());
    println!("100 distinct str, fast mode:     {} bytes\n", fast.len());

    // rows = [{"name": "a", "score": 1}, {"name": "b", "score": 2}]: the keys are shared
    // str, as Python's interned identifiers are, so fast mode writes them again each time.
    let rows = brine::loads(&brine::Pickler::new().dumps(&{
        let mut graph = Graph::new();
        let (name, score) = (graph.add_str("name"), graph.add_str("score"));
        let mut items = Vec::new();
        for (text, value) in [("a", 1), ("b", 2)] {
            let text = graph.add_str(text);
            let row = graph.add(Node::Dict(vec![(name, text), (score, Value::Int(value))]));
            items.push(Value::Node(row));
        }
        let list = graph.add(Node::List(items));
        graph.set_root(Value::Node(list));
        graph
    })?)?;
    let memoized = brine::Pickler::new().dumps(&rows)?;
    let fast = brine::Pickler::new().fast(true).dumps(&rows)?;
    println!(
        "rows with shared keys, with the memo: {} bytes",
        memoized.len()
    );
    println!("rows with shared keys, fast mode:     {} bytes", fast.len());
    let mut text = Vec::new();
    brine::dis(&fast, &mut text, &Default::default())?;
    println!("{}", String::from_utf8(text)?);

    // l = []; l.append(l): the memo writes it, fast mode cannot.
    let mut cyclic = Graph::new();
    let list = cyclic.add(Node::List(Vec::new()));
    if let Node::List(items) = cyclic.node_mut(list) {
        items.push(Value::Node(list));
    }
    cyclic.set_root(Value::Node(list));
    let memoized = brine::Pickler::new().dumps(&cyclic)?;
    println!(
        "a list holding itself, memoized: {}",
        memoized.escape_ascii()
    );
    match brine::Pickler::new().fast(true).dumps(&cyclic) {
        Ok(_) => println!("fast mode wrote a cycle"),
        Err(err) => println!("fast mode: {err}"),
    }
    Ok(())
}
