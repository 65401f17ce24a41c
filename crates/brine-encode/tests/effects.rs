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
    assert_eq!(cases.len(), 40, "the cases gen_effects.py writes");
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

/// The objects of `tests/effects/` that are a set or frozenset holding an object that refers
/// back to it (through its state, or through its constructor's arguments).
const RECURSIVE_SETS: [&str; 5] = [
    "set_through_instance",
    "frozenset_through_instance",
    "set_through_reduce",
    "frozenset_through_reduce",
    "set_through_arguments",
];

/// Encodes on a thread of its own, so that an encoder that never ends fails the test.
fn encode_within_a_minute(
    graph: Graph,
    protocol: u8,
) -> Result<Vec<u8>, brine_encode::EncodeError> {
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = send.send(brine_encode::to_vec(
            &graph,
            &brine_encode::Options::protocol(protocol),
        ));
    });
    receive
        .recv_timeout(std::time::Duration::from_secs(60))
        .unwrap_or_else(|_| panic!("encoding at protocol {protocol} did not end"))
}

/// A recursive set converted to another protocol is what CPython 3.11 writes at that
/// protocol, wherever the two pickles hold the same graph: from protocols 4-5, whose set is a
/// set, to every protocol, and among protocols 0-3, whose set is a `set(list)` call. (From
/// 0-3 to 4-5 the call stays a call; `Plain`'s instances are `copyreg._reconstructor` calls
/// at protocols 0-1, NEWOBJ from 2.)
#[test]
fn recursive_sets_convert_to_what_cpython_writes_at_each_protocol() {
    let cases = cases();
    let find = |object: &str, protocol: u8| {
        cases
            .iter()
            .find(|(name, _, _)| *name == format!("{object}_p{protocol}"))
            .map(|(_, _, data)| data)
    };
    let mut compared = 0;
    for object in RECURSIVE_SETS {
        for from in 0..=5u8 {
            let Some(data) = find(object, from) else {
                continue;
            };
            let graph = decode(data);
            for to in 0..=5u8 {
                let same_graph = (from >= 4 || to < 4)
                    && !(object.ends_with("through_instance") && (from < 2) != (to < 2));
                let Some(expected) = find(object, to).filter(|_| same_graph) else {
                    continue;
                };
                let again = encode_within_a_minute(graph.clone(), to)
                    .unwrap_or_else(|err| panic!("{object} p{from} -> p{to}: {err}"));
                assert!(
                    again == *expected,
                    "{object} p{from} -> p{to}\nCPython:\n{}brine:\n{}",
                    dis(expected),
                    dis(&again)
                );
                compared += 1;
            }
        }
    }
    assert_eq!(compared, 2 * 28 + 2 * 16 + 4, "the pairs compared");
}

/// `s = set(); s.add(K(s))`, whose item's constructor arguments hold the set: below protocol
/// 4 a set is a call made only after its items, so no pickle can make it, and CPython's
/// pickler raises RecursionError (gen_effects.py checks that). brine refuses it too, rather
/// than writing without end.
#[test]
fn a_set_its_items_arguments_hold_is_refused_below_protocol_4() {
    for from in [4, 5] {
        let graph = decode(&case(&format!("set_through_arguments_p{from}")));
        for to in 0..=3 {
            let err = encode_within_a_minute(graph.clone(), to)
                .expect_err("no pickle below protocol 4 makes this set");
            assert!(
                matches!(err, brine_encode::EncodeError::ImpossibleCycle(_)),
                "p{from} -> p{to}: {err}"
            );
            assert_eq!(
                err.to_string(),
                "a set written as a call (below protocol 4) contains itself with no mutable \
                 object in between"
            );
        }
    }
    // The same with a frozenset, which no protocol can write: `k = K(None); s =
    // frozenset([k]); k.value = s` (CPython raises RecursionError at every protocol).
    let mut graph = Graph::new();
    let module = graph.add_str("m");
    let name = graph.add_str("K");
    let class = Value::Node(graph.add(Node::Global { module, name }));
    let args = graph.add(Node::Tuple(Vec::new()));
    let k = graph.add(Node::Reduce {
        callable: class,
        args: Value::Node(args),
    });
    let frozenset = graph.add(Node::FrozenSet(vec![Value::Node(k)]));
    if let Node::Tuple(items) = graph.node_mut(args) {
        items.push(Value::Node(frozenset));
    }
    graph.set_root(Value::Node(frozenset));
    for to in 0..=5 {
        let err =
            encode_within_a_minute(graph.clone(), to).expect_err("no pickle makes this frozenset");
        assert!(
            matches!(err, brine_encode::EncodeError::ImpossibleCycle(_)),
            "p{to}: {err}"
        );
    }
}

/// Loads each file in CPython with the classes of gen_effects.py and checks that the set
/// (or frozenset) holds one object that refers back to the very set loaded.
const CHECK_RECURSIVE_SETS: &str = r#"
import pickle, sys, types
m = types.ModuleType('m'); sys.modules['m'] = m
class Plain: pass
class Hashed:
    def __hash__(self): return 1
class Reduced:
    def __reduce__(self): return (Reduced, (), self.__dict__)
class K:
    def __init__(self, value): self.value = value
for cls in (Plain, Hashed, Reduced, K):
    cls.__module__ = 'm'; setattr(m, cls.__name__, cls)
for path in sys.argv[1:]:
    x = pickle.loads(open(path, 'rb').read())
    want = frozenset if '/frozenset' in path else set
    items = list(x)
    back = getattr(items[0], 'value', None) if len(items) == 1 else None
    if len(items) == 1 and back is None:
        back = getattr(items[0], 's', None)
    print('ok' if type(x) is want and back is x else 'not the same cycle: %r' % (x,))
"#;

/// Every recursive set, converted by brine to every protocol it can be written at, loads in
/// CPython 3.11 as a set holding one object that refers back to that set.
#[test]
fn converted_recursive_sets_load_in_cpython_with_the_cycle_intact() {
    let python = match brine_python::locate("py311") {
        Ok(python) => python,
        Err(err) => return brine_python::skip(err),
    };
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("recursive_sets");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let mut paths = Vec::new();
    for (name, _, data) in cases() {
        let Some(object) = RECURSIVE_SETS
            .into_iter()
            .find(|object| name.rsplit_once("_p").map(|(o, _)| o) == Some(object))
        else {
            continue;
        };
        let graph = decode(&data);
        for to in 0..=5u8 {
            if object == "set_through_arguments" && to < 4 {
                continue;
            }
            let written = encode_within_a_minute(graph.clone(), to)
                .unwrap_or_else(|err| panic!("{name} -> p{to}: {err}"));
            let path = dir.join(format!("{name}.to{to}.pickle"));
            std::fs::write(&path, written).expect("scratch write");
            paths.push(path);
        }
    }
    let output = brine_python::command(&python)
        .arg("-c")
        .arg(CHECK_RECURSIVE_SETS)
        .args(&paths)
        .output()
        .expect("python runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let verdicts = String::from_utf8(output.stdout).expect("utf-8");
    let verdicts: Vec<&str> = verdicts.lines().collect();
    assert_eq!(verdicts.len(), paths.len(), "one verdict per pickle");
    let failures: Vec<String> = paths
        .iter()
        .zip(&verdicts)
        .filter(|(_, verdict)| **verdict != "ok")
        .map(|(path, verdict)| format!("{}: {verdict}", path.display()))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(paths.len(), 4 * 36 + 2 * 2, "the pickles CPython loaded");
}

/// A Python 2 `str` of every byte, loaded with `encoding='koi8-r'` and written at protocol 3:
/// the bytes CPython 3.11 writes for what its own `pickle.loads(data, encoding='koi8-r')`
/// returns. (The empty one is pickletester's `test_empty_bytestring`.)
#[test]
fn python2_str_read_as_koi8_r_is_written_as_cpython_writes_it() {
    let python = match brine_python::locate("py311") {
        Ok(python) => python,
        Err(err) => return brine_python::skip(err),
    };
    let mut options = brine_vm::Options::default();
    options.encoding = brine_value::StringEncoding::Koi8R;
    let every_byte: Vec<u8> = (0..=255).collect();
    for payload in [&[][..], &every_byte[..]] {
        // PROTO 2, BINSTRING, STOP.
        let mut data = b"\x80\x02T".to_vec();
        data.extend_from_slice(&u32::try_from(payload.len()).unwrap().to_le_bytes());
        data.extend_from_slice(payload);
        data.push(b'.');
        let graph = brine_vm::from_slice(&data, &options).unwrap_or_else(|err| panic!("{err}"));
        let brine = encode(&graph, 3);
        let output = brine_python::command(&python)
            .args([
                "-c",
                "import pickle, sys; data = bytes.fromhex(sys.argv[1]); \
                 sys.stdout.write(pickle.dumps(pickle.loads(data, encoding='koi8-r'), 3).hex())",
            ])
            .arg(data.iter().map(|b| format!("{b:02x}")).collect::<String>())
            .output()
            .expect("python runs");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let cpython = String::from_utf8(output.stdout).expect("hex");
        let brine_hex: String = brine.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(brine_hex, cpython, "{} bytes", payload.len());
    }
}

/// `x = NewEx(1, NewEx, 2, y, k=x)` and `y = NewEx(k=d)` with state `d = {'k': x}`, written
/// by CPython through `copyreg.__newobj_ex__` (NEWOBJ_EX from protocol 4): each save of `x`
/// or `y` before it is memoized is an attempt the pickler pops for the memoized object, so
/// `x` has two first attempts, one inside the other, and `y` one (the shape of the fuzz
/// input fuzz/regressions/roundtrip-prelude-alternation.bin). CPython cannot write it at
/// protocols 2 and 3 (gen_effects.py checks its RecursionError).
const NEWOBJ_EX_PROTOCOLS: [u8; 4] = [0, 1, 4, 5];

#[test]
fn an_object_its_arguments_hold_keeps_each_first_attempt_in_place() {
    for protocol in NEWOBJ_EX_PROTOCOLS {
        let data = case(&format!("newobj_ex_through_arguments_p{protocol}"));
        let graph = decode(&data);
        let root = graph.root_value().node().expect("an object");
        // From protocol 4 every attempt is made of the object's own arguments and keyword
        // arguments, which the encoder writes again when it saves the object; below 4 each
        // attempt has an argument tuple of its own, kept as the object's prelude.
        let expected = if protocol < 4 { 2 } else { 0 };
        assert_eq!(
            graph.prelude(root).len(),
            expected,
            "p{protocol}: {graph:?}"
        );
        // Written at its own protocol, the attempts come back one inside the other.
        assert!(encode(&graph, protocol) == data, "p{protocol}");
    }
}

/// The same object converted to every protocol: the conversion is a fixed point (decoded and
/// written again, it is the same bytes), it is CPython's own pickle at protocols 0, 1, 4
/// and 5 from its pickle at the protocols whose graph holds the same calls (0 and 1, or 4
/// and 5), and CPython 3.11 loads every conversion into the same objects as its own pickle.
#[test]
fn an_object_its_arguments_hold_converts_to_a_fixed_point_that_cpython_loads() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("newobj_ex_conversions");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let effects = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/effects");
    let mut pairs = Vec::new();
    for from in NEWOBJ_EX_PROTOCOLS {
        let original = effects.join(format!("newobj_ex_through_arguments_p{from}.pickle"));
        let graph = decode(&std::fs::read(&original).expect("the case"));
        for to in 0..=5u8 {
            let first = encode(&graph, to);
            let again = encode(&decode(&first), to);
            assert!(
                again == first,
                "p{from} -> p{to}: not a fixed point\nfirst:\n{}again:\n{}",
                dis(&first),
                dis(&again)
            );
            if NEWOBJ_EX_PROTOCOLS.contains(&to) && (from >= 4) == (to >= 4) {
                let expected = case(&format!("newobj_ex_through_arguments_p{to}"));
                assert!(
                    first == expected,
                    "p{from} -> p{to}\nCPython:\n{}brine:\n{}",
                    dis(&expected),
                    dis(&first)
                );
            }
            let path = dir.join(format!("p{from}-to-p{to}.pickle"));
            std::fs::write(&path, &first).expect("scratch write");
            pairs.push((original.clone(), path));
        }
    }
    let python = match brine_python::locate("py311") {
        Ok(python) => python,
        Err(err) => return brine_python::skip(err),
    };
    // python/compare_loads.py's comparison, with m.py (the class) importable.
    let script = "import sys\n\
        sys.path[:0] = sys.argv[1:3]\n\
        import compare_loads as c\n\
        for a, b in zip(sys.argv[3::2], sys.argv[4::2]):\n\
        \x20   try:\n\
        \x20       c.Comparer().same(c.load(a), c.load(b), 'obj')\n\
        \x20       print('ok')\n\
        \x20   except Exception as exc:\n\
        \x20       print('%s: %s' % (type(exc).__name__, exc))\n";
    let python_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../python");
    let mut args = vec![effects.clone(), python_dir];
    for (a, b) in &pairs {
        args.push(a.clone());
        args.push(b.clone());
    }
    let out =
        brine_python::run_script(&python, script, &args).unwrap_or_else(|err| panic!("{err}"));
    let verdicts: Vec<&str> = out.lines().collect();
    assert_eq!(verdicts.len(), pairs.len(), "{out}");
    for ((_, path), verdict) in pairs.iter().zip(&verdicts) {
        assert_eq!(*verdict, "ok", "{}", path.display());
    }
}

/// A hand-made pickle that makes `f((1,))` twice, keeps the first result and pops the
/// second, then fetches the first: the second call does not refer back to the first, so it
/// is not an attempt the encoder writes anyway but a call of its own, kept as the object's
/// prelude (and written before it).
#[test]
fn an_equal_call_popped_before_a_get_of_an_object_that_does_not_refer_back_is_kept() {
    let data = b"\x80\x02cm\nf\nq\x00K\x01\x85q\x01Rq\x020h\x00h\x01R0h\x02.";
    let graph = decode(data);
    let calls = |graph: &Graph| {
        let again = encode(graph, 2);
        dis(&again).matches("REDUCE").count()
    };
    assert_eq!(calls(&graph), 2, "{graph:?}");
    let again = encode(&graph, 2);
    assert_eq!(encode(&decode(&again), 2), again, "a fixed point");
}
