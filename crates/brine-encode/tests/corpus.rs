//! The encoder over the whole CPython fixture corpus.

mod common;

use brine_testdata::Fixture;
use common::{decode_options, extensions, first_difference};

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
        let graph = brine_vm::from_slice(&original, &decode_options()).expect("fixtures decode");
        let mut options = brine_encode::Options::protocol(fixture.protocol);
        options.extensions = extensions();
        match brine_encode::to_vec(&graph, &options) {
            Ok(encoded) if encoded == original => {}
            Ok(encoded) => failures.push(format!(
                "{}: {}",
                fixture.name(),
                first_difference(&original, &encoded).1
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
                first_difference(&optimized.bytes(), &ours).1
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

/// Whether a graph holds only values whose pickled form depends on the protocol alone (no
/// globals, reductions or instances, whose forms CPython's `__reduce_ex__` chooses).
fn is_plain_data(graph: &brine_value::Graph) -> bool {
    use brine_value::Node;
    graph.nodes().all(|(_, node)| {
        matches!(
            node,
            Node::Str(_)
                | Node::Bytes(_)
                | Node::ByteArray(_)
                | Node::Tuple(_)
                | Node::List(_)
                | Node::Dict(_)
                | Node::Set(_)
                | Node::FrozenSet(_)
        )
    })
}

/// A graph decoded from CPython's protocol 5 pickle, encoded at each lower protocol, gives the
/// bytes CPython wrote at that protocol: the protocol 0-4 forms of bytes, bytearray, set and
/// frozenset, text opcodes, and memo numbering all follow CPython.
#[test]
fn plain_data_converts_to_every_protocol_as_cpython_writes_it() {
    let fixtures = reference_fixtures();
    let mut compared = 0;
    let mut failures = Vec::new();
    for source in fixtures.iter().filter(|f| f.protocol == 5) {
        let graph =
            brine_vm::from_slice(&source.bytes(), &decode_options()).expect("fixtures decode");
        if !is_plain_data(&graph) {
            continue;
        }
        for target in fixtures
            .iter()
            .filter(|f| f.object == source.object && f.protocol < 5)
        {
            let encoded =
                brine_encode::to_vec(&graph, &brine_encode::Options::protocol(target.protocol))
                    .expect("plain data encodes at every protocol");
            if encoded != target.bytes() {
                failures.push(format!(
                    "{} -> p{}: {}",
                    source.name(),
                    target.protocol,
                    first_difference(&target.bytes(), &encoded).1
                ));
            }
            compared += 1;
        }
    }
    println!("{compared} protocol conversions of plain data equal CPython's own pickles");
    assert!(compared > 300, "only {compared} conversions compared");
    assert!(
        failures.is_empty(),
        "{} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// One encoder reused over the whole corpus, at every protocol, with and without a memo,
/// writes exactly what a fresh one writes, also right after a dump that failed halfway
/// (a writer that gives out, a cycle in fast mode, a buffer below protocol 5).
#[test]
fn a_reused_encoder_encodes_as_a_fresh_one() {
    let mut reused = brine_encode::Encoder::new(brine_encode::Options::default());
    let mut dumps = 0u64;
    for fixture in brine_testdata::all() {
        let Ok(graph) = brine_vm::from_slice(&fixture.bytes(), &decode_options()) else {
            continue;
        };
        for protocol in 0..=5 {
            for fast in [false, true] {
                let mut options = brine_encode::Options::protocol(protocol);
                options.extensions = extensions();
                options.fast = fast;
                *reused.options_mut() = options.clone();
                let what = format!("{} at protocol {protocol}, fast {fast}", fixture.name());
                let fresh = brine_encode::to_vec(&graph, &options).map_err(|err| err.to_string());
                if let Ok(fresh) = &fresh {
                    // A writer that fails halfway leaves the encoder mid-graph.
                    let failing = FailAfter(fresh.len() / 2);
                    assert!(reused.to_writer(&graph, failing).is_err(), "{what}");
                }
                let again = reused.to_vec(&graph).map_err(|err| err.to_string());
                assert_eq!(again, fresh, "{what}");
                dumps += 2;
            }
        }
    }
    println!("{dumps} dumps through one encoder, each the same as a fresh encoder's");
}

/// A writer that takes this many more bytes, then fails.
struct FailAfter(usize);

impl std::io::Write for FailAfter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if buf.len() > self.0 {
            return Err(std::io::Error::other("full"));
        }
        self.0 -= buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
