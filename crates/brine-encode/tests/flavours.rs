//! Every producer's fixtures re-encoded at their own protocol, with the producer's flavour
//! (`Options::flavour`) and with the one brine-vm recognises in the stream (no flavour named).
//!
//! What cannot come back byte for byte is listed with its reason; a listed fixture that starts
//! passing fails the test too, so the lists only shrink.

mod common;

use std::collections::BTreeMap;

use brine_encode::Flavour;
use brine_testdata::Fixture;
use common::{decode_options, extensions, first_difference};

/// Fixtures that do not re-encode byte for byte with their producer's flavour, and why.
const KNOWN_FAILURES: &[(&str, &str)] = &[];

fn flavour_of(producer: &str) -> Flavour {
    match producer {
        "py27" => Flavour::Py27,
        "py36" => Flavour::Py36,
        "py311" => Flavour::Py311,
        "py313" => Flavour::Py313,
        other => panic!("no flavour for producer {other}"),
    }
}

/// Per producer: the number of fixtures, and the failures by name with their first
/// difference (the opcode pair, and the lines).
type Outcomes = BTreeMap<String, (usize, BTreeMap<String, (String, String)>)>;

fn plain_fixtures() -> Vec<Fixture> {
    brine_testdata::all()
        .into_iter()
        .filter(|f| f.variant == "plain")
        .collect()
}

/// Re-encodes every plain fixture at its own protocol with `flavour(producer)`; returns, per
/// producer, the number of fixtures and the failures by name, with the first difference.
fn reencode_all(flavour: impl Fn(&str) -> Option<Flavour>) -> Outcomes {
    let mut producers = Outcomes::new();
    for fixture in plain_fixtures() {
        let entry = producers.entry(fixture.producer.clone()).or_default();
        entry.0 += 1;
        let original = fixture.bytes();
        let graph = brine_vm::from_slice(&original, &decode_options()).expect("fixtures decode");
        let mut options = brine_encode::Options::protocol(fixture.protocol);
        options.extensions = extensions();
        options.flavour = flavour(&fixture.producer);
        let failure = match brine_encode::to_vec(&graph, &options) {
            Ok(encoded) if encoded == original => continue,
            Ok(encoded) => first_difference(&original, &encoded),
            Err(err) => ("error".to_owned(), err.to_string()),
        };
        entry.1.insert(fixture.name(), failure);
    }
    producers
}

/// Prints, per producer, how many re-encode identically and each class of first difference
/// (the opcode pair at the first differing pickletools line).
fn report(what: &str, producers: &Outcomes) {
    for (producer, (total, failures)) in producers {
        println!(
            "{what}: {producer}: {} of {total} re-encode byte for byte",
            total - failures.len()
        );
        let mut classes: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (name, (class, _)) in failures {
            classes.entry(class).or_default().push(name);
        }
        for (class, names) in classes {
            println!("  {class}: {} ({})", names.len(), names.join(", "));
        }
    }
}

#[test]
fn every_fixture_reencodes_with_its_producers_flavour() {
    let producers = reencode_all(|producer| Some(flavour_of(producer)));
    report("with the producer's flavour", &producers);
    let known: BTreeMap<&str, &str> = KNOWN_FAILURES.iter().copied().collect();
    let failures: BTreeMap<&String, &(String, String)> = producers
        .values()
        .flat_map(|(_, failures)| failures)
        .collect();
    let unexpected: Vec<String> = failures
        .iter()
        .filter(|(name, _)| !known.contains_key(name.as_str()))
        .map(|(name, (_, diff))| format!("{name}: {diff}"))
        .collect();
    let now_passing: Vec<&str> = known
        .keys()
        .filter(|name| !failures.keys().any(|failed| failed.as_str() == **name))
        .copied()
        .collect();
    assert!(
        unexpected.is_empty(),
        "{} fixtures differ:\n{}",
        unexpected.len(),
        unexpected.join("\n")
    );
    assert!(
        now_passing.is_empty(),
        "listed as known failures but pass now (remove them from the list): {now_passing:?}"
    );
}

/// Fixtures whose producer the decoder cannot tell from the stream, so that re-encoding
/// without a flavour named does not give them back, by producer: 2.7 pickles without a memo
/// (a lone protocol 0 float, which 2.7 writes with `%.17g`, and a lone `long` within 32 bits
/// at protocol 1, whose `L5L` line is also 3.6's protocol 0 `5`: the same bytes) and 3.6
/// pickles whose only idiom is a raw control character on a protocol 0 line that also needed
/// an escape.
const UNRECOGNISED: &[(&str, usize)] = &[("py27", 10), ("py36", 12), ("py311", 0), ("py313", 0)];

#[test]
fn the_decoder_recognises_the_producer_where_its_idioms_show() {
    let producers = reencode_all(|_| None);
    report("with the flavour the decoder recognised", &producers);
    for (producer, expected) in UNRECOGNISED {
        let (_, failures) = &producers[*producer];
        // The known failures with the producer's own flavour fail here too.
        let own: Vec<&String> = failures
            .keys()
            .filter(|name| !KNOWN_FAILURES.iter().any(|(known, _)| known == name))
            .collect();
        assert!(
            own.len() <= *expected,
            "{producer}: {} fixtures do not come back without a flavour named, {expected} known: {own:?}",
            own.len()
        );
        assert_eq!(
            own.len(),
            *expected,
            "{producer}: fewer fail now; lower the count in UNRECOGNISED"
        );
    }
}

/// The decoder names a producer only from an idiom that producer alone writes: no 3.11 or
/// 3.13 fixture is taken for another CPython's. A 2.7 pickle without a memo whose only idiom
/// is a `long` within 32 bits written as LONG is taken for 3.6's, which writes every protocol
/// 0 int so: both flavours write it back the same.
#[test]
fn no_reference_pickle_is_taken_for_another_producers() {
    let mut recognised: BTreeMap<(String, Option<Flavour>), usize> = BTreeMap::new();
    for fixture in plain_fixtures() {
        let graph =
            brine_vm::from_slice(&fixture.bytes(), &decode_options()).expect("fixtures decode");
        let flavour = graph.flavour();
        *recognised
            .entry((fixture.producer.clone(), flavour))
            .or_default() += 1;
        if matches!(fixture.producer.as_str(), "py311" | "py313") {
            assert_eq!(flavour, None, "{}", fixture.name());
        }
        match (fixture.producer.as_str(), flavour) {
            (_, None) | ("py27", Some(Flavour::Py27 | Flavour::Py36)) => {}
            (producer, Some(flavour)) => {
                assert_eq!(flavour, flavour_of(producer), "{}", fixture.name());
            }
        }
    }
    println!("{recognised:?}");
}

/// Whether a graph holds only values whose pickled form depends on the protocol and the
/// pickler alone (no globals, reductions or instances), and no set of str: 3.11 hashes str
/// with SipHash-1-3 and 3.6 with SipHash-2-4, so such a set iterates in another order.
fn is_plain_data(graph: &brine_value::Graph) -> bool {
    use brine_value::Node;
    let is_str = |value: &brine_value::Value| {
        value
            .node()
            .is_some_and(|id| matches!(graph.node(id), Node::Str(_)))
    };
    graph.nodes().all(|(_, node)| {
        if let Node::Set(items) | Node::FrozenSet(items) = node {
            if items.iter().any(is_str) {
                return false;
            }
        }
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

/// A graph decoded from 3.11's protocol 5 pickle, encoded at each protocol with the flavour of
/// 3.6 or 3.13, gives the bytes that CPython wrote at that protocol: their rules hold for
/// graphs they did not decode (3.6's protocol 0 ints and escapes, its frames and its
/// bytearray form).
#[test]
fn plain_data_converts_as_each_producer_writes_it() {
    let fixtures = plain_fixtures();
    let mut compared = 0;
    let mut failures = Vec::new();
    for source in fixtures
        .iter()
        .filter(|f| f.producer == "py311" && f.protocol == 5)
    {
        let graph =
            brine_vm::from_slice(&source.bytes(), &decode_options()).expect("fixtures decode");
        if !is_plain_data(&graph) {
            continue;
        }
        for target in fixtures.iter().filter(|f| {
            f.object == source.object && matches!(f.producer.as_str(), "py36" | "py313")
        }) {
            let mut options = brine_encode::Options::protocol(target.protocol);
            options.flavour = Some(flavour_of(&target.producer));
            let encoded = brine_encode::to_vec(&graph, &options).expect("plain data encodes");
            if encoded != target.bytes() {
                let (_, diff) = first_difference(&target.bytes(), &encoded);
                failures.push(format!("{} -> {}: {diff}", source.name(), target.name()));
            }
            compared += 1;
        }
    }
    println!("{compared} conversions of plain data equal the producer's own pickles");
    assert!(compared > 300, "only {compared} conversions compared");
    assert!(
        failures.is_empty(),
        "{} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// 3.7 (no fixtures of its own) writes a bytearray below protocol 3 as
/// `bytearray(text, 'latin-1')`, as 3.6 does; the bytes are what CPython 3.7.16 wrote for
/// `pickle.dumps([bytearray(b"ab"), bytearray(b"")], 2)` and
/// `pickle.dumps([bytearray(b"ab")], 1)`.
#[test]
fn py37_writes_a_bytearray_as_latin1_text() {
    use brine_value::{Graph, Node, Value};
    /// The bytearrays of the list, the protocol, and CPython's pickle.
    type Case<'a> = (&'a [&'a [u8]], u8, &'a [u8]);
    let cases: [Case<'_>; 2] = [
        (
            &[b"ab", b""],
            2,
            b"\x80\x02]q\x00(c__builtin__\nbytearray\nq\x01X\x02\x00\x00\x00abq\x02X\x07\x00\x00\x00latin-1q\x03\x86q\x04Rq\x05h\x01X\x00\x00\x00\x00q\x06X\x07\x00\x00\x00latin-1q\x07\x86q\x08Rq\te.",
        ),
        (
            &[b"ab"],
            1,
            b"]q\x00c__builtin__\nbytearray\nq\x01(X\x02\x00\x00\x00abq\x02X\x07\x00\x00\x00latin-1q\x03tq\x04Rq\x05a.",
        ),
    ];
    for (arrays, protocol, expected) in cases {
        let mut graph = Graph::new();
        let items = arrays
            .iter()
            .map(|data| {
                Value::Node(graph.add(Node::ByteArray(bytes::Bytes::copy_from_slice(data))))
            })
            .collect();
        let list = graph.add(Node::List(items));
        graph.set_root(Value::Node(list));
        let mut options = brine_encode::Options::protocol(protocol);
        options.flavour = Some(Flavour::Py37);
        let encoded = brine_encode::to_vec(&graph, &options).expect("bytearrays encode");
        assert_eq!(encoded, expected, "protocol {protocol}");
    }
}
