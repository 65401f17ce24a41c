//! Nothing a pickle does is lost: popped calls, extension codes without a registry, Python 2
//! `str`, arguments known only at run time, and str that CPython wrote twice. Each pickle
//! here is CPython's own (`tests/effects/gen_effects.py`, or a py27 fixture) or a hand-made
//! one whose bytes say what they hold; brine decodes it, keeps what it computes, and writes
//! it back byte for byte.

use std::path::PathBuf;

use brine_value::{Change, Graph, Node, Value};

fn decode(data: &[u8]) -> Graph {
    brine_vm::from_slice(data, &Default::default()).unwrap_or_else(|err| panic!("{err}"))
}

fn encode(graph: &Graph, protocol: u8) -> Vec<u8> {
    brine_encode::to_vec(graph, &brine_encode::Options::protocol(protocol))
        .unwrap_or_else(|err| panic!("{err}\n{graph:?}"))
}

fn dis(data: &[u8]) -> String {
    let mut out = Vec::new();
    let _ = brine_lex::dis(data, &mut out, &Default::default());
    String::from_utf8_lossy(&out).into_owned()
}

/// The CPython 3.11.7 pickles of `tests/effects/`, with their protocol.
fn cases() -> Vec<(String, u8, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/effects");
    let mut cases: Vec<(String, u8, Vec<u8>)> = std::fs::read_dir(&dir)
        .expect("tests/effects exists")
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let name = path
                .file_name()?
                .to_str()?
                .strip_suffix(".pickle")?
                .to_owned();
            let protocol = name.rsplit_once("_p")?.1.parse().ok()?;
            Some((name, protocol, std::fs::read(&path).ok()?))
        })
        .collect();
    cases.sort();
    cases
}

fn case(name: &str) -> Vec<u8> {
    cases()
        .into_iter()
        .find(|(case, _, _)| case == name)
        .unwrap_or_else(|| panic!("no case {name}"))
        .2
}

#[test]
fn cpython_pickles_with_popped_calls_and_codes_reencode_byte_for_byte() {
    let cases = cases();
    assert_eq!(cases.len(), 22, "the cases gen_effects.py writes");
    for (name, protocol, data) in cases {
        let graph = decode(&data);
        let again = encode(&graph, protocol);
        assert!(
            again == data,
            "{name}: re-encoding differs\n{graph:?}\nCPython:\n{}brine:\n{}",
            dis(&data),
            dis(&again)
        );
        // What the graph holds is what the re-encoding holds.
        assert_eq!(decode(&again), graph, "{name}");
    }
}

#[test]
fn a_state_setter_is_kept_with_its_object() {
    for protocol in 0..=5 {
        let graph = decode(&case(&format!("state_setter_p{protocol}")));
        let root = graph.root_value().node().expect("an object");
        let [Change::SetState { setter, state }] = graph.changes(root) else {
            panic!("p{protocol}: {graph:?}");
        };
        assert_eq!(graph.get(setter).as_global(), Some(("m", "setter")));
        assert_eq!(graph.get(state).get("a").and_then(|v| v.as_i64()), Some(1));
    }
}

#[test]
fn the_first_attempt_at_a_set_that_refers_to_itself_is_its_prelude() {
    // `set(...) REDUCE POP GET` below protocol 4: the outer call ran and was dropped.
    for protocol in 0..=3 {
        for object in ["set_through_instance", "frozenset_through_instance"] {
            let graph = decode(&case(&format!("{object}_p{protocol}")));
            let root = graph.root_value().node().expect("a set");
            let [outer] = graph.prelude(root) else {
                panic!("{object} p{protocol}: {graph:?}");
            };
            let (Some(Node::Reduce { callable, .. }), Node::Reduce { callable: own, .. }) =
                (graph.get(outer).node(), graph.node(root))
            else {
                panic!("{object} p{protocol}: {graph:?}");
            };
            assert_eq!(callable, own, "the same callable, one global");
        }
    }
}

#[test]
fn extension_codes_without_a_registry_are_kept_as_codes() {
    for protocol in 2..=5 {
        let graph = decode(&case(&format!("extension_codes_p{protocol}")));
        let codes: Vec<i64> = graph
            .nodes()
            .filter_map(|(_, node)| match node {
                Node::Ext(code) => Some(*code),
                _ => None,
            })
            .collect();
        assert_eq!(codes, [240, 0x1234, 0x1234_5678], "p{protocol}");
    }
    // CPython's refusal, as an opt-in policy.
    let mut options = brine_vm::Options::default();
    options.reject_unregistered_extensions = true;
    let err = brine_vm::from_slice(&case("extension_codes_p2"), &options).unwrap_err();
    assert!(matches!(
        err.kind(),
        brine_vm::ErrorKind::UnregisteredExtension(240)
    ));
    // An allow list cannot vet a code it cannot read.
    let mut options = brine_vm::Options::default();
    options.find_class =
        brine_vm::FindClass::AllowList(brine_vm::AllowList::new().module("collections"));
    let err = brine_vm::from_slice(&case("extension_codes_p2"), &options).unwrap_err();
    assert!(matches!(
        err.kind(),
        brine_vm::ErrorKind::UnregisteredExtension(240)
    ));
    // Below protocol 2 a code has no opcode: the encoder's registry names it, or it is an error.
    let graph = decode(&case("extension_codes_p2"));
    let err = brine_encode::to_vec(&graph, &brine_encode::Options::protocol(1)).unwrap_err();
    assert!(
        err.to_string()
            .contains("extension code 240 needs protocol 2"),
        "{err}"
    );
    let mut options = brine_encode::Options::protocol(1);
    options
        .extensions
        .add(240, "collections", "OrderedDict")
        .unwrap();
    options
        .extensions
        .add(0x1234, "collections", "Counter")
        .unwrap();
    options
        .extensions
        .add(0x1234_5678, "collections", "deque")
        .unwrap();
    let named = brine_encode::to_vec(&graph, &options).unwrap();
    assert!(
        dis(&named).contains("GLOBAL     'collections OrderedDict'"),
        "{}",
        dis(&named)
    );
}

#[test]
fn calls_popped_with_nothing_on_the_stack_are_kept() {
    // os.system('ls'), popped, then None: a hand-made pickle, as scanners meet them.
    let data = b"cos\nsystem\n(S'ls'\ntR0N.";
    let graph = decode(data);
    assert_eq!(
        format!("{graph:?}"),
        "reduce(<global os.system>, (py2str(b'ls'),)); None"
    );
    let again = encode(&graph, 0);
    assert_eq!(decode(&again), graph);
    // A popped constant did nothing and is dropped; a popped global imported a module.
    assert!(decode(b"K\x01\x85(0N.").effects().is_empty());
    let graph = decode(b"cos\nsystem\n0N.");
    assert_eq!(format!("{graph:?}"), "<global os.system>; None");
    assert_eq!(decode(&encode(&graph, 2)), graph);
    // A call popped inside a list is kept with the item before it.
    let graph = decode(b"]q\x00(K\x01cos\nsystem\n(S'ls'\ntR0K\x02e.");
    assert_eq!(
        format!("{graph:?}"),
        "[1, 2].effect(reduce(<global os.system>, (py2str(b'ls'),)))"
    );
    assert_eq!(decode(&encode(&graph, 1)), graph);
}

#[test]
fn arguments_known_only_at_run_time_are_kept() {
    // list(persistent_load('1')): the hook's result may be a tuple, so CPython runs it.
    let graph = decode(b"\x80\x02c__builtin__\nlist\nq\x00X\x01\x00\x00\x001QR.");
    let Some(Node::Reduce { args, .. }) = graph.root().node() else {
        panic!("{graph:?}");
    };
    assert!(
        matches!(graph.get(args).node(), Some(Node::PersistentId(_))),
        "{graph:?}"
    );
    let again = encode(&graph, 2);
    assert!(dis(&again).contains("BINPERSID\n"), "{}", dis(&again));
    assert_eq!(decode(&again), graph);
    // The result of a call, or a global, may be a tuple too; a list never is.
    decode(b"\x80\x02c__builtin__\nlist\nc__builtin__\ntuple\n)R\x81.");
    decode(b"\x80\x02c__builtin__\nlist\ncm\nARGS\nR.");
    let err =
        brine_vm::from_slice(b"\x80\x02c__builtin__\nlist\n]R.", &Default::default()).unwrap_err();
    assert!(
        matches!(err.kind(), brine_vm::ErrorKind::ExpectedTuple),
        "{err}"
    );
}

#[test]
fn python2_str_stays_python2_str_at_protocols_0_to_2() {
    let fixtures: Vec<_> = brine_testdata::all()
        .into_iter()
        .filter(|f| f.producer == "py27" && f.variant == "plain")
        .collect();
    let mut checked = 0;
    for fixture in &fixtures {
        let Ok(graph) = brine_vm::from_slice(&fixture.bytes(), &Default::default()) else {
            continue;
        };
        let strs = py2_strs(&graph);
        if strs.is_empty() {
            continue;
        }
        for protocol in 0..=2 {
            let Ok(again) =
                brine_encode::to_vec(&graph, &brine_encode::Options::protocol(protocol))
            else {
                continue;
            };
            let decoded = decode(&again);
            assert_eq!(
                py2_strs(&decoded),
                strs,
                "{} at p{protocol}",
                fixture.name()
            );
            checked += 1;
        }
    }
    assert!(
        checked >= 150,
        "only {checked} conversions held a Python 2 str"
    );
}

/// The bytes of every Python 2 `str` reachable from the root, sorted.
fn py2_strs(graph: &Graph) -> Vec<Vec<u8>> {
    let mut seen = hashbrown::HashSet::new();
    let mut stack: Vec<Value> = vec![*graph.root_value()];
    let mut out = Vec::new();
    while let Some(value) = stack.pop() {
        let Some(id) = value.node() else { continue };
        if !seen.insert(id) {
            continue;
        }
        if let Node::Py2Str(data) = graph.node(id) {
            out.push(data.to_vec());
        }
        graph.for_each_child(id, |child| stack.push(*child));
    }
    out.sort();
    out
}

#[test]
fn python2_datetimes_convert_with_the_default_encoding() {
    for fixture in brine_testdata::all()
        .into_iter()
        .filter(|f| f.producer == "py27" && (f.object == "date" || f.object == "datetime_naive"))
    {
        let graph = decode(&fixture.bytes());
        for protocol in 0..=5 {
            let again = encode(&graph, protocol);
            let decoded = decode(&again);
            // At 3 and above the packed state is bytes, as Python 3's datetime pickles it.
            let state_is_bytes = decoded
                .nodes()
                .any(|(_, node)| matches!(node, Node::Bytes(b) if b.len() >= 4));
            assert_eq!(
                state_is_bytes,
                protocol >= 3,
                "{} p{protocol}\n{decoded:?}",
                fixture.name()
            );
        }
    }
}
