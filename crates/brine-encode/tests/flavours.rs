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

/// The flavour of each producer: 3.8 to 3.12 write every fixture as 3.11 does (their
/// pickles differ only where the objects' own reductions do, which the graph keeps).
fn flavour_of(producer: &str) -> Flavour {
    match producer {
        "py27" => Flavour::Py27,
        "py36" => Flavour::Py36,
        "py37" => Flavour::Py37,
        "py38" | "py39" | "py310" | "py311" | "py312" => Flavour::Py311,
        "py313" => Flavour::Py313,
        other => panic!("no flavour for producer {other}"),
    }
}

/// Every pinned CPython has a flavour and fixtures up to the highest protocol it writes.
#[test]
fn every_pinned_producer_has_a_flavour_and_fixtures() {
    let fixtures = plain_fixtures();
    for pin in brine_python::PINS {
        let flavour = flavour_of(pin.producer);
        assert!(
            fixtures.iter().any(|f| f.producer == pin.producer),
            "no fixtures of {}",
            pin.producer
        );
        assert_eq!(
            fixtures
                .iter()
                .filter(|f| f.producer == pin.producer)
                .map(|f| f.protocol)
                .max(),
            Some(flavour.highest_protocol()),
            "{}",
            pin.producer
        );
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

/// 2.7 pickles that are byte for byte another producer's: a lone `long` within 32 bits at
/// protocol 1 is the line `L5L`, which is also 3.6's protocol 0 `5` (3.6 writes every
/// protocol 0 int as LONG text), so the decoder names 3.6 and writes a 3.6 `int` back.
const INDISTINGUISHABLE: &[&str] = &[
    "py27/py2long_0.p1",
    "py27/py2long_1.p1",
    "py27/py2long_255.p1",
    "py27/py2long_m1.p1",
];

/// Without a flavour named, every fixture re-encodes with the flavour the decoder recognised
/// (but the known failures of the producer's own flavour, and the pickles no decoder can tell
/// from another producer's): where the stream shows no idiom of one CPython, the producers
/// write it alike.
#[test]
fn the_decoder_recognises_the_producer_where_its_idioms_show() {
    let producers = reencode_all(|_| None);
    report("with the flavour the decoder recognised", &producers);
    let failed: Vec<&String> = producers
        .values()
        .flat_map(|(_, failures)| failures.keys())
        .filter(|name| !KNOWN_FAILURES.iter().any(|(known, _)| known == name))
        .collect();
    let own: Vec<&&String> = failed
        .iter()
        .filter(|name| !INDISTINGUISHABLE.contains(&name.as_str()))
        .collect();
    assert!(
        own.is_empty(),
        "{} fixtures do not come back without a flavour named: {own:?}",
        own.len()
    );
    for name in INDISTINGUISHABLE {
        assert!(
            failed.iter().any(|failed| failed.as_str() == *name),
            "{name} comes back now: remove it from INDISTINGUISHABLE"
        );
    }
}

/// The decoder names a producer only from an idiom that producer alone writes: no fixture of
/// 3.8 to 3.13 is taken for another CPython's. A 2.7 pickle without a memo whose only idiom
/// is a `long` within 32 bits written as LONG is taken for 3.6's, which writes every protocol
/// 0 int so, and a 3.6 pickle whose only idiom is `bytearray(text, 'latin-1')` for 3.7's:
/// both flavours write them back the same.
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
        if flavour_of(&fixture.producer) >= Flavour::Py311 {
            assert_eq!(flavour, None, "{}", fixture.name());
        }
        match (fixture.producer.as_str(), flavour) {
            (_, None)
            | ("py27", Some(Flavour::Py27 | Flavour::Py36))
            | ("py36", Some(Flavour::Py37)) => {}
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
/// each Python 3 producer, gives the bytes that CPython wrote at that protocol: their rules
/// hold for graphs they did not decode (3.6's protocol 0 ints and escapes, its frames, 3.6's
/// and 3.7's bytearray form).
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
            f.object == source.object && !matches!(f.producer.as_str(), "py27" | "py311")
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
