//! Every producer's fixtures re-encoded at their own protocol.

use std::collections::BTreeMap;

use brine_testdata::Fixture;

fn extensions() -> brine_value::ExtensionRegistry {
    let mut registry = brine_value::ExtensionRegistry::new();
    for (code, module, name) in brine_testdata::EXTENSION_CODES {
        registry.add(code, module, name).expect("distinct codes");
    }
    registry
}

fn decode_options() -> brine_vm::Options {
    let mut options = brine_vm::Options::default();
    options.encoding = brine_value::StringEncoding::Latin1;
    options.extensions = extensions();
    options
}

fn dis(data: &[u8]) -> String {
    let mut out = Vec::new();
    let _ = brine_lex::dis(data, &mut out, &Default::default());
    String::from_utf8_lossy(&out).into_owned()
}

/// The opcode name of a pickletools line (`   12: q    BINPUT     1`).
fn opcode_of(line: &str) -> &str {
    line.split_whitespace().nth(2).unwrap_or(line)
}

/// The first differing pickletools lines.
fn first_difference(expected: &[u8], actual: &[u8]) -> (String, String) {
    let (expected, actual) = (dis(expected), dis(actual));
    expected
        .lines()
        .zip(actual.lines())
        .find(|(e, a)| e != a)
        .map(|(e, a)| (e.to_owned(), a.to_owned()))
        .unwrap_or_else(|| ("prefix".to_owned(), "prefix".to_owned()))
}

#[test]
fn measure() {
    let fixtures: Vec<Fixture> = brine_testdata::all()
        .into_iter()
        .filter(|f| f.variant == "plain")
        .collect();
    let mut producers: BTreeMap<String, (usize, usize, BTreeMap<String, Vec<String>>)> =
        BTreeMap::new();
    for fixture in &fixtures {
        let entry = producers.entry(fixture.producer.clone()).or_default();
        entry.1 += 1;
        let original = fixture.bytes();
        let graph = brine_vm::from_slice(&original, &decode_options()).expect("fixtures decode");
        let mut options = brine_encode::Options::protocol(fixture.protocol);
        options.extensions = extensions();
        match brine_encode::to_vec(&graph, &options) {
            Ok(encoded) if encoded == original => entry.0 += 1,
            Ok(encoded) => {
                let (e, a) = first_difference(&original, &encoded);
                let class = format!(
                    "p{} {} / {}",
                    fixture.protocol,
                    opcode_of(&e),
                    opcode_of(&a)
                );
                entry
                    .2
                    .entry(class)
                    .or_default()
                    .push(format!("{}\n      {e}\n      {a}", fixture.name()));
            }
            Err(err) => entry
                .2
                .entry("error".to_owned())
                .or_default()
                .push(format!("{}: {err}", fixture.name())),
        }
    }
    for (producer, (same, total, classes)) in &producers {
        println!("{producer}: {same}/{total}");
        for (class, names) in classes {
            println!("  {class}: {}", names.len());
            for name in names.iter().take(3) {
                println!("    {name}");
            }
        }
    }
}
