//! Property tests: random graphs (with shared references and cycles) encode at every
//! protocol and decode back.

use arbitrary::{Arbitrary, Unstructured};
use brine_interpret::natural::interpret;
use brine_value::{Change, Graph, Node, Value};

/// A small deterministic generator of test inputs (xorshift64*), so failures reproduce.
struct Seeds(u64);

impl Seeds {
    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len)
            .map(|_| {
                self.0 ^= self.0 >> 12;
                self.0 ^= self.0 << 25;
                self.0 ^= self.0 >> 27;
                (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 56) as u8
            })
            .collect()
    }
}

/// Where two pickles first differ, as pickletools lines.
fn first_difference(expected: &[u8], actual: &[u8]) -> String {
    let dis = |data: &[u8]| {
        let mut out = Vec::new();
        let _ = brine_lex::dis(data, &mut out, &Default::default());
        String::from_utf8_lossy(&out).into_owned()
    };
    let (expected, actual) = (dis(expected), dis(actual));
    let diff = expected.lines().zip(actual.lines()).find(|(e, a)| e != a);
    format!("{diff:?}")
}

fn has(graph: &Graph, pred: impl Fn(&Node) -> bool) -> bool {
    graph.nodes().any(|(_, node)| pred(node))
}

/// Whether protocol `proto` writes every node of `graph` in a form that decodes to the same
/// node kind (below 5, bytearray becomes a REDUCE; below 4, sets and nested names do; ...).
fn preserved_at(graph: &Graph, proto: u8) -> bool {
    let nested_name = |node: &Node| match node {
        Node::Global { name, .. } => graph.get(name).as_str().is_some_and(|n| n.contains('.')),
        _ => false,
    };
    let kinds_kept = match proto {
        5 => true,
        4 => !has(graph, |n| matches!(n, Node::ByteArray(_))),
        _ => false,
    };
    kinds_kept && (proto >= 4 || !has(graph, nested_name))
}

#[test]
fn random_graphs_round_trip_through_every_protocol() {
    let mut seeds = Seeds(0x9E37_79B9_7F4A_7C15);
    let mut exact = 0;
    let mut fixed_points = 0;
    for case in 0..10_000 {
        let len = 16 + (case % 64) * 32;
        let data = seeds.bytes(len);
        let Ok(graph) = Graph::arbitrary(&mut Unstructured::new(&data)) else {
            continue;
        };
        for proto in 0..=5u8 {
            let options = brine_encode::Options::protocol(proto);
            let pickle = brine_encode::to_vec(&graph, &options)
                .unwrap_or_else(|err| panic!("case {case} p{proto}: {err}\n{graph:?}"));
            let decoded = brine_vm::from_slice(&pickle, &Default::default())
                .unwrap_or_else(|err| panic!("case {case} p{proto}: {err}\n{graph:?}"));
            if preserved_at(&graph, proto) {
                assert!(
                    graph == decoded,
                    "case {case} p{proto}: decoded graph differs\n{graph:?}\n{decoded:?}"
                );
                exact += 1;
            }
            // Whatever forms the protocol chose, a decoded graph is a fixed point: it encodes
            // to bytes that decode to a graph encoding to the same bytes. (The first decode
            // may differ from the original where a protocol writes an object through a
            // temporary, such as the argument tuple of copyreg.__newobj_ex__.)
            let pickle = brine_encode::to_vec(&decoded, &options).expect("decoded graphs encode");
            let redecoded =
                brine_vm::from_slice(&pickle, &Default::default()).expect("own output decodes");
            assert!(
                redecoded == decoded,
                "case {case} p{proto}: the re-encoding decodes to another graph\n{decoded:?}\n{redecoded:?}"
            );
            let again = brine_encode::to_vec(&redecoded, &options).expect("decoded graphs encode");
            assert!(
                again == pickle,
                "case {case} p{proto}: not a fixed point\n{graph:?}\n{}",
                first_difference(&pickle, &again)
            );
            fixed_points += 1;
        }
    }
    println!("{exact} exact round trips, {fixed_points} fixed points");
    assert!(exact > 1000);
}

/// `t = (c, [t])` with `c.x = 1`: written, as CPython writes it, by re-entering the tuple,
/// whose outer copy (with the object CPython's BUILD left on the stack) is popped. The change
/// belongs to the object, so the decoded graph still has it (the roundtrip fuzz target's
/// third finding, fuzz/regressions/roundtrip/).
#[test]
fn a_recursive_tuple_holding_a_changed_object_round_trips() {
    let mut graph = Graph::new();
    let module = graph.add_str("__main__");
    let name = graph.add_str("C");
    let cls = Value::Node(graph.add(Node::Global { module, name }));
    let args = Value::Node(graph.add(Node::Tuple(Vec::new())));
    let object = graph.add(Node::NewObj {
        cls,
        args,
        kwargs: None,
    });
    let key = graph.add_str("x");
    let state = Value::Node(graph.add(Node::Dict(vec![(key, Value::Int(1))])));
    graph.push_change(object, Change::Build(state));
    let list = graph.add(Node::List(Vec::new()));
    let tuple = graph.add(Node::Tuple(vec![Value::Node(object), Value::Node(list)]));
    if let Node::List(items) = graph.node_mut(list) {
        items.push(Value::Node(tuple));
    }
    graph.set_root(Value::Node(tuple));
    for proto in 0..=5u8 {
        let pickle =
            brine_encode::to_vec(&graph, &brine_encode::Options::protocol(proto)).expect("encodes");
        let decoded = brine_vm::from_slice(&pickle, &Default::default()).expect("decodes");
        // Protocols 0 and 1 write NEWOBJ as a copyreg.__newobj__ REDUCE: the same object.
        let same = if proto >= 2 {
            decoded == graph
        } else {
            interpret(&decoded) == interpret(&graph)
        };
        assert!(same, "p{proto}: {decoded:?}");
        assert!(
            format!("{decoded:?}").contains(".build({'x': 1})"),
            "{decoded:?}"
        );
    }
    // At protocol 2 these are CPython 3.11's bytes for the same objects.
    let pickle = brine_encode::to_vec(&graph, &brine_encode::Options::protocol(2)).unwrap();
    assert_eq!(
        pickle,
        b"\x80\x02c__main__\nC\nq\x00)\x81q\x01}q\x02X\x01\x00\x00\x00xq\x03K\x01sb]q\x04h\x01h\x04\x86q\x05a00h\x05."
    );
}

/// Replays every graph the `roundtrip` fuzz target ever found (fuzz/regressions/roundtrip/):
/// equal where the protocol keeps every node's kind, and a fixed point at every protocol.
#[test]
fn every_roundtrip_fuzz_finding_stays_fixed() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/regressions/roundtrip");
    let mut replayed = 0;
    for entry in std::fs::read_dir(&dir).expect("fuzz/regressions/roundtrip exists") {
        let path = entry.expect("readable directory").path();
        let data = std::fs::read(&path).expect("readable finding");
        let Ok(graph) = Graph::arbitrary(&mut Unstructured::new(&data)) else {
            continue;
        };
        for proto in 0..=5u8 {
            let options = brine_encode::Options::protocol(proto);
            let pickle = brine_encode::to_vec(&graph, &options).expect("arbitrary graphs encode");
            let decoded =
                brine_vm::from_slice(&pickle, &Default::default()).expect("own output decodes");
            if preserved_at(&graph, proto) {
                assert!(
                    graph == decoded,
                    "{} p{proto}: decoded graph differs\n{graph:?}\n{decoded:?}\n{}",
                    path.display(),
                    first_difference(&pickle, &brine_encode::to_vec(&decoded, &options).unwrap())
                );
            }
        }
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("a file name");
        reaches_a_fixed_point(&format!("roundtrip/{name}"), |_, _| {});
        replayed += 1;
    }
    println!("{replayed} roundtrip findings replayed");
    assert!(replayed > 0);
}

/// Encodes the graph the `roundtrip` fuzz input `fuzz/regressions/NAME` makes at every
/// protocol, and checks that the decoded graph re-encodes to the same bytes and decodes from
/// them to the same graph; `check` sees each decoded graph first.
fn reaches_a_fixed_point(name: &str, check: impl Fn(u8, &Graph)) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/regressions")
        .join(name);
    let data = std::fs::read(&path).expect("the fuzz input");
    let graph = Graph::arbitrary(&mut Unstructured::new(&data)).expect("a graph");
    for proto in 0..=5u8 {
        let options = brine_encode::Options::protocol(proto);
        let first = brine_encode::to_vec(&graph, &options).expect("arbitrary graphs encode");
        let decoded =
            brine_vm::from_slice(&first, &Default::default()).expect("own output decodes");
        check(proto, &decoded);
        let again = brine_encode::to_vec(&decoded, &options).expect("decoded graphs encode");
        assert!(
            again == first,
            "{name} p{proto}: not a fixed point\n{}",
            first_difference(&first, &again)
        );
        let redecoded =
            brine_vm::from_slice(&again, &Default::default()).expect("own output decodes");
        assert!(
            redecoded == decoded,
            "{name} p{proto}: {decoded:?}\n{redecoded:?}"
        );
    }
}

/// The `roundtrip` fuzz target's input fuzz/regressions/roundtrip-fill-alternation.bin
/// (instances written with `copyreg._reconstructor` at protocols 0-1, a list of the root, a
/// persistent id, and SETITEMS on the root) once re-encoded to two streams that alternated:
/// every protocol now reaches a fixed point at the first re-encoding.
#[test]
fn the_fill_alternation_reaches_a_fixed_point() {
    reaches_a_fixed_point("roundtrip-fill-alternation.bin", |_, _| {});
}

/// The `roundtrip` fuzz input fuzz/regressions/roundtrip-prelude-alternation.bin: an
/// OrderedDict made by NEWOBJ_EX whose arguments and keyword arguments hold it, which
/// protocols 0-3 write as a `copyreg.__newobj_ex__` REDUCE with a temporary argument tuple,
/// so that each save before it is memoized is an attempt popped for the memoized object.
/// Its re-encodings once alternated between two streams below protocol 4; the attempts
/// are now written one inside the other, as they were popped, and every protocol reaches a
/// fixed point at the first re-encoding, with the same graph.
#[test]
fn the_prelude_alternation_reaches_a_fixed_point() {
    reaches_a_fixed_point("roundtrip-prelude-alternation.bin", |proto, decoded| {
        if proto < 4 {
            // The outer attempts at the root, one inside the other.
            let root = decoded.root_value().node().expect("an object");
            assert_eq!(decoded.prelude(root).len(), 2, "p{proto}: {decoded:?}");
        }
    });
}
