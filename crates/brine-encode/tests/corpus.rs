//! The encoder over the whole CPython fixture corpus.

use brine_testdata::Fixture;

fn extensions() -> brine_value::ExtensionRegistry {
    let mut registry = brine_value::ExtensionRegistry::new();
    for (code, name) in [
        (0xF1, "ExtCode1"),
        (0xF1F2, "ExtCode2"),
        (0xF1F2F3, "ExtCode4"),
    ] {
        registry
            .add(code, "brine_fixtures", name)
            .expect("distinct codes");
    }
    registry
}

fn decode_options() -> brine_vm::Options {
    let mut options = brine_vm::Options::default();
    options.encoding = brine_vm::StringEncoding::Latin1;
    options.extensions = extensions();
    options
}

/// Where two pickles first differ, as pickletools lines, for the failure message.
fn first_difference(expected: &[u8], actual: &[u8]) -> String {
    let dis = |data: &[u8]| {
        let mut out = Vec::new();
        let _ = brine_lex::dis(data, &mut out, &Default::default());
        String::from_utf8_lossy(&out).into_owned()
    };
    let (expected, actual) = (dis(expected), dis(actual));
    let diff = expected
        .lines()
        .zip(actual.lines())
        .find(|(e, a)| e != a)
        .map(|(e, a)| format!("expected {e:?}\n      got {a:?}"));
    diff.unwrap_or_else(|| "one is a prefix of the other".to_owned())
}

fn reference_fixtures() -> Vec<Fixture> {
    brine_testdata::all()
        .into_iter()
        .filter(|f| f.producer == "py311" && f.variant == "plain")
        .collect()
}

#[test]
fn decode_then_encode_gives_back_cpythons_bytes() {
    let mut failures = Vec::new();
    let fixtures = reference_fixtures();
    for fixture in &fixtures {
        let original = fixture.bytes();
        let graph = brine_vm::loads(&original, &decode_options()).expect("fixtures decode");
        let mut options = brine_encode::Options::protocol(fixture.protocol);
        options.extensions = extensions();
        match brine_encode::to_vec(&graph, &options) {
            Ok(encoded) if encoded == original => {}
            Ok(encoded) => failures.push(format!(
                "{}: {}",
                fixture.name(),
                first_difference(&original, &encoded)
            )),
            Err(err) => failures.push(format!("{}: {err}", fixture.name())),
        }
    }
    println!(
        "{} of {} fixtures by CPython 3.11.7 re-encoded byte for byte",
        fixtures.len() - failures.len(),
        fixtures.len()
    );
    assert!(
        failures.is_empty(),
        "{} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn optimize_matches_pickletools_optimize() {
    let all = brine_testdata::all();
    let mut compared = 0;
    let mut failures = Vec::new();
    for optimized in all.iter().filter(|f| f.variant == "optimized") {
        let plain_path = optimized.path.replace(".optimized.pickle", ".pickle");
        let plain = all
            .iter()
            .find(|f| f.path == plain_path)
            .expect("each optimized fixture has its plain one");
        let ours = brine_encode::optimize(&plain.bytes()).expect("fixtures optimize");
        if ours != optimized.bytes() {
            failures.push(format!(
                "{}: {}",
                optimized.name(),
                first_difference(&optimized.bytes(), &ours)
            ));
        }
        compared += 1;
    }
    println!("{compared} fixtures optimized exactly as pickletools.optimize does");
    assert!(compared > 0);
    assert!(
        failures.is_empty(),
        "{} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
