//! Errors name the place and the Python type; hostile input meets limits, never a stack
//! overflow; `__getstate__`/`__setstate__` counterparts; borrowing from the input.

use std::collections::{BTreeMap, HashMap};

use brine_serde::{ErrorKind, Options, PyInstance};
use brine_value::{Change, Graph, Node, Value};
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Record {
    name: String,
    score: u8,
}

#[derive(Debug, Deserialize, PartialEq)]
struct Doc {
    records: Vec<Record>,
}

/// The pickle of a `Doc` whose fourth record's name is the int 7.
fn bad_doc() -> Vec<u8> {
    #[derive(Serialize)]
    struct BadRecord {
        name: i64,
        score: u8,
    }
    #[derive(Serialize)]
    #[serde(untagged)]
    enum Either {
        Good(Record),
        Bad(BadRecord),
    }
    let mut records: Vec<Either> = (0..3)
        .map(|i| {
            Either::Good(Record {
                name: format!("r{i}"),
                score: i,
            })
        })
        .collect();
    records.push(Either::Bad(BadRecord { name: 7, score: 3 }));
    brine_serde::to_vec(&BTreeMap::from([("records", records)]), &Options::default()).unwrap()
}

#[test]
fn errors_name_the_path_and_the_python_type() {
    let err = brine_serde::from_slice::<Doc>(&bad_doc(), &Options::default()).unwrap_err();
    assert_eq!(err.path(), Some("records[3].name"));
    assert_eq!(err.python_type(), Some("int"));
    assert_eq!(
        err.to_string(),
        "records[3].name: invalid type: integer `7`, expected a string (found python int)"
    );

    // A missing field names the struct's place.
    let pickle =
        brine_serde::to_vec(&BTreeMap::from([("name", "x")]), &Options::default()).unwrap();
    let err = brine_serde::from_slice::<Record>(&pickle, &Options::default()).unwrap_err();
    assert_eq!(err.to_string(), "missing field `score` (found python dict)");

    // An out-of-range int.
    let pickle =
        brine_serde::to_vec(&vec![BTreeMap::from([("name", "x")])], &Options::default()).unwrap();
    let err = brine_serde::from_slice::<Vec<BTreeMap<String, u8>>>(&pickle, &Options::default())
        .unwrap_err();
    assert_eq!(err.path(), Some("[0].name"));
    let pickle = brine_serde::to_vec(&BTreeMap::from([(1, 300)]), &Options::default()).unwrap();
    let err =
        brine_serde::from_slice::<BTreeMap<i64, u8>>(&pickle, &Options::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "[1]: invalid value: integer `300`, expected u8 (found python int)"
    );

    // Keys that are not identifiers are quoted.
    let pickle = brine_serde::to_vec(&BTreeMap::from([("a b", "x")]), &Options::default()).unwrap();
    let err =
        brine_serde::from_slice::<BTreeMap<String, i64>>(&pickle, &Options::default()).unwrap_err();
    assert_eq!(err.path(), Some("[\"a b\"]"));

    // Enums.
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)] // reason: only the errors matter
    enum Kind {
        A,
        B(i64),
    }
    let pickle = brine_serde::to_vec("C", &Options::default()).unwrap();
    let err = brine_serde::from_slice::<Kind>(&pickle, &Options::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown variant `C`, expected `A` or `B` (found python str)"
    );
    let pickle = brine_serde::to_vec(&vec![1, 2], &Options::default()).unwrap();
    let err = brine_serde::from_slice::<Kind>(&pickle, &Options::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid type: python list, expected a str (unit variant) or a dict with one key (other variants) \
         (found python list)"
    );

    // A global has no place in the data model.
    let err =
        brine_serde::from_slice::<String>(b"cos\nsystem\n.", &Options::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "python global os.system cannot be deserialized (found python global os.system)"
    );
    let err = brine_serde::from_slice::<IgnoredAny>(
        b"cos\nsystem\n(S'rm -rf /'\ntR.",
        &Options::default(),
    );
    assert!(
        err.is_ok(),
        "ignoring a call reads nothing and calls nothing"
    );

    // PyInstance wants an instance.
    let pickle = brine_serde::to_vec(&BTreeMap::from([("a", 1)]), &Options::default()).unwrap();
    let err =
        brine_serde::from_slice::<PyInstance<BTreeMap<String, i64>>>(&pickle, &Options::default())
            .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid type: python dict, expected a python instance (found python dict)"
    );
}

#[test]
fn decoder_errors_carry_the_offset() {
    let pickle = brine_serde::to_vec(&vec!["abc"; 3], &Options::protocol(2)).unwrap();
    let err =
        brine_serde::from_slice::<Vec<String>>(&pickle[..pickle.len() - 3], &Options::default())
            .unwrap_err();
    assert!(err.is_eof(), "{err}");
    assert!(matches!(err.kind(), ErrorKind::Load(_)));
    let err =
        brine_serde::from_slice::<i64>(b"\x80\x02K\x01\xff.", &Options::default()).unwrap_err();
    assert_eq!(err.offset(), Some(4));
    assert_eq!(err.path(), None);
    // Bytes after STOP are ignored, as by pickle.loads.
    assert_eq!(
        brine_serde::from_slice::<i64>(b"K\x05.junk", &Options::default()).unwrap(),
        5
    );
}

#[test]
fn bool_is_an_int_but_not_the_reverse() {
    let pickle = brine_serde::to_vec(&(true, 1), &Options::default()).unwrap();
    assert_eq!(
        brine_serde::from_slice::<(i32, i32)>(&pickle, &Options::default()).unwrap(),
        (1, 1)
    );
    let err = brine_serde::from_slice::<(bool, bool)>(&pickle, &Options::default()).unwrap_err();
    assert_eq!(err.path(), Some("[1]"));
    // An int is a float where one is expected, but not a str.
    let pickle = brine_serde::to_vec(&(2, "x"), &Options::default()).unwrap();
    assert_eq!(
        brine_serde::from_slice::<(f64, String)>(&pickle, &Options::default()).unwrap(),
        (2.0, "x".into())
    );
    assert!(brine_serde::from_slice::<(String, String)>(&pickle, &Options::default()).is_err());
    // bool is not a float: Python's float(True) is 1.0, but no pickle of a float holds a bool.
    assert!(
        brine_serde::from_slice::<(f64, String)>(
            &brine_serde::to_vec(&(true, "x"), &Options::default()).unwrap(),
            &Options::default()
        )
        .is_err()
    );
}

#[test]
fn unhashable_keys_are_refused() {
    let map = HashMap::from([(vec![1], 2)]);
    let err = brine_serde::to_vec(&map, &Options::default()).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Unhashable("list")), "{err}");
    assert_eq!(
        err.to_string(),
        "a python list cannot be a dict key or set item: python cannot hash it"
    );
    #[derive(Serialize)]
    struct Sets(#[serde(with = "brine_serde::as_set")] Vec<BTreeMap<i64, i64>>);
    let err = brine_serde::to_vec(&Sets(vec![BTreeMap::new()]), &Options::default()).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Unhashable("dict")), "{err}");
    // A tuple of hashable items is hashable.
    assert!(brine_serde::to_vec(&BTreeMap::from([((1, "a"), 2)]), &Options::default()).is_ok());
    // As in Python: `{(1, [2], 3): 0}` and `{(1, ((), {}), 3): 0}` are refused for the list
    // and the dict inside the tuple, a set of such tuples too, and a key after a value Python
    // cannot hash is judged on its own.
    let unhashable = |value: &dyn erased::Value| value.to_pickle().err().map(|err| err.to_string());
    let refused = |kind: &str| {
        Some(format!(
            "a python {kind} cannot be a dict key or set item: python cannot hash it"
        ))
    };
    assert_eq!(
        unhashable(&BTreeMap::from([((1, vec![2], 3), 0)])),
        refused("list")
    );
    assert_eq!(
        unhashable(&BTreeMap::from([(
            (1, ((), BTreeMap::<u8, u8>::new()), 3),
            0
        )])),
        refused("dict")
    );
    #[derive(Serialize)]
    struct TupleSet(#[serde(with = "brine_serde::as_set")] Vec<(u8, Vec<u8>)>);
    assert_eq!(unhashable(&TupleSet(vec![(1, vec![])])), refused("list"));
    assert_eq!(
        unhashable(&BTreeMap::from([(1, vec![2]), (3, vec![4])])),
        None
    );
    assert_eq!(unhashable(&vec![(vec![1], 2), (vec![3], 4)]), None);
    #[derive(Serialize)]
    struct IntSet(#[serde(with = "brine_serde::as_set")] Vec<u8>);
    assert_eq!(unhashable(&(vec![1], IntSet(vec![1, 2]))), None);
    // Protocol 6 does not exist.
    let err = brine_serde::to_vec(&1, &Options::protocol(6)).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Encode(_)), "{err}");
}

/// `dyn Serialize`, for tables of values of several types.
mod erased {
    pub(crate) trait Value {
        fn to_pickle(&self) -> Result<Vec<u8>, brine_serde::Error>;
    }

    impl<T: serde::Serialize> Value for T {
        fn to_pickle(&self) -> Result<Vec<u8>, brine_serde::Error> {
            brine_serde::to_vec(self, &Default::default())
        }
    }
}

/// A list nested `depth` deep: `[[[...]]]`, as protocol 2 writes it, without memo.
fn deep_list(depth: usize) -> Vec<u8> {
    let mut pickle = b"\x80\x02".to_vec();
    pickle.extend(std::iter::repeat_n(b']', depth));
    pickle.extend(std::iter::repeat_n(b'a', depth - 1));
    pickle.push(b'.');
    pickle
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)] // reason: only whether it reads matters
struct Deep(Vec<Deep>);

#[test]
fn depth_is_limited() {
    // 100,000 deep: a clear error, not a stack overflow.
    let pickle = deep_list(100_000);
    let err = brine_serde::from_slice::<Deep>(&pickle, &Options::default()).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::DepthLimit(128)), "{err}");
    assert_eq!(err.path().map(|path| path.len()), Some(128 * 3));
    assert!(
        err.to_string()
            .ends_with("nesting deeper than 128 levels (Options::max_depth) (found python list)")
    );
    // Ignoring it reads nothing.
    brine_serde::from_slice::<IgnoredAny>(&pickle, &Options::default()).unwrap();

    // Up to the limit it reads; the limit is an option.
    brine_serde::from_slice::<Deep>(&deep_list(128), &Options::default()).unwrap();
    let err = brine_serde::from_slice::<Deep>(&deep_list(129), &Options::default()).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::DepthLimit(128)), "{err}");
    let mut shallow = Options::default();
    shallow.max_depth = 10;
    let err = brine_serde::from_slice::<Deep>(&deep_list(11), &shallow).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::DepthLimit(10)), "{err}");

    // A graph built in Rust, 100,000 deep, through from_value.
    let mut graph = Graph::new();
    let mut inner = Value::Node(graph.add(Node::List(Vec::new())));
    for _ in 0..100_000 {
        inner = Value::Node(graph.add(Node::List(vec![inner])));
    }
    graph.set_root(inner);
    let err = brine_serde::from_value::<Deep>(&graph, &Options::default()).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::DepthLimit(128)), "{err}");
}

#[test]
fn cycles_are_errors() {
    // l = [1]; l.append(l)
    let mut graph = Graph::new();
    let list = graph.add(Node::List(vec![Value::Int(1)]));
    if let Node::List(items) = graph.node_mut(list) {
        items.push(Value::Node(list));
    }
    graph.set_root(Value::Node(list));
    #[derive(Debug, Deserialize)]
    #[serde(untagged)]
    #[allow(dead_code)] // reason: only the error matters
    enum Any {
        Int(i64),
        List(Vec<Any>),
    }
    let err = brine_serde::from_value::<Any>(&graph, &Options::default()).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Cycle), "{err}");
    assert_eq!(
        err.to_string(),
        "[1]: the value contains itself (a cycle), which serde cannot represent (found python list)"
    );
    // Through pickle bytes too: pickle.dumps(l, protocol=2)
    let err = brine_serde::from_slice::<Any>(b"\x80\x02]q\x00(K\x01h\x00e.", &Options::default())
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Cycle), "{err}");

    // A shared list that is not a cycle reads once per reference.
    // pickle.dumps((l, l), protocol=2) with l = [1, 2]
    let shared: (Vec<i64>, Vec<i64>) = brine_serde::from_slice(
        b"\x80\x02]q\x00(K\x01K\x02eh\x00\x86q\x01.",
        &Options::default(),
    )
    .unwrap();
    assert_eq!(shared, (vec![1, 2], vec![1, 2]));
}

#[test]
fn getstate_and_setstate() {
    // Python:
    //     class Connection:
    //         def __getstate__(self): return {k: v for k, v in vars(self).items() if k != "socket"}
    //         def __setstate__(self, state): vars(self).update(state); self.socket = connect(self.host)
    // Rust: skip the field when writing, rebuild it when reading.
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Connection {
        host: String,
        port: u16,
        #[serde(skip, default = "Socket::unconnected")]
        socket: Socket,
    }
    #[derive(Debug, PartialEq)]
    struct Socket {
        connected: bool,
    }
    impl Socket {
        fn unconnected() -> Socket {
            Socket { connected: false }
        }
    }
    let live = Connection {
        host: "db".into(),
        port: 5432,
        socket: Socket { connected: true },
    };
    for protocol in 0..=5 {
        let pickle = brine_serde::to_vec(&live, &Options::protocol(protocol)).unwrap();
        let graph = brine_vm::from_slice(&pickle, &Default::default()).unwrap();
        assert_eq!(format!("{graph:?}"), "{'host': 'db', 'port': 5432}");
        let back: Connection = brine_serde::from_slice(&pickle, &Options::default()).unwrap();
        assert_eq!(back.socket, Socket::unconnected());
        assert_eq!((back.host.as_str(), back.port), ("db", 5432));
    }

    // A state of another shape, as __getstate__ returning a tuple: from/into a state type.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(into = "(u32, u32)", from = "(u32, u32)")]
    struct Ratio {
        num: u32,
        den: u32,
        value: f64,
    }
    impl From<Ratio> for (u32, u32) {
        fn from(ratio: Ratio) -> (u32, u32) {
            (ratio.num, ratio.den)
        }
    }
    impl From<(u32, u32)> for Ratio {
        fn from((num, den): (u32, u32)) -> Ratio {
            Ratio {
                num,
                den,
                value: f64::from(num) / f64::from(den),
            }
        }
    }
    let ratio = Ratio::from((1, 4));
    let pickle = brine_serde::to_vec(&ratio, &Options::default()).unwrap();
    assert_eq!(
        format!(
            "{:?}",
            brine_vm::from_slice(&pickle, &Default::default()).unwrap()
        ),
        "(1, 4)"
    );
    assert_eq!(
        brine_serde::from_slice::<Ratio>(&pickle, &Options::default()).unwrap(),
        ratio
    );
}

#[test]
fn borrows_from_the_input() {
    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct View<'a> {
        name: &'a str,
        #[serde(with = "serde_bytes")]
        data: &'a [u8],
        tags: Vec<&'a str>,
    }
    let view = View {
        name: "brine",
        data: b"\x00\x01\x02",
        tags: vec!["a", "salt"],
    };
    for protocol in 3..=5 {
        let pickle = brine_serde::to_vec(&view, &Options::protocol(protocol)).unwrap();
        let back: View<'_> = brine_serde::from_slice(&pickle, &Options::default()).unwrap();
        assert_eq!(back, view);
        let range = pickle.as_ptr_range();
        assert!(range.contains(&back.name.as_ptr()));
        assert!(range.contains(&back.data.as_ptr()));
        assert!(range.contains(&back.tags[1].as_ptr()));
    }
    // `&str` from the graph borrows from the graph.
    let graph = brine_serde::to_value(&view, &Options::default()).unwrap();
    let back: View<'_> = brine_serde::from_value(&graph, &Options::default()).unwrap();
    assert_eq!(back, view);
    // Text the pickle escapes (protocol 0) cannot be borrowed: a clear error for `&str`.
    let pickle = brine_serde::to_vec("a\nb", &Options::protocol(0)).unwrap();
    let err = brine_serde::from_slice::<&str>(&pickle, &Options::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid type: string \"a\\nb\", expected a borrowed string (found python str)"
    );
    assert_eq!(
        brine_serde::from_slice::<String>(&pickle, &Options::default()).unwrap(),
        "a\nb"
    );
}

#[test]
fn writers_and_readers() {
    let records = vec![
        Record {
            name: "a".into(),
            score: 1,
        },
        Record {
            name: "b".into(),
            score: 2,
        },
    ];
    let mut stream = Vec::new();
    brine_serde::to_writer(&mut stream, &records[0], &Options::default()).unwrap();
    brine_serde::to_writer(&mut stream, &records[1], &Options::protocol(0)).unwrap();
    let mut reader = &stream[..];
    let first: Record = brine_serde::from_reader(&mut reader, &Options::default()).unwrap();
    let second: Record = brine_serde::from_reader(&mut reader, &Options::default()).unwrap();
    assert_eq!(vec![first, second], records);
    assert!(reader.is_empty());
    let err = brine_serde::from_reader::<_, Record>(&mut reader, &Options::default()).unwrap_err();
    assert!(err.is_eof(), "{err}");
}

#[test]
fn fix_imports_both_ways() {
    #[derive(Serialize)]
    struct Set(#[serde(with = "brine_serde::as_set")] Vec<i64>);
    let pickle = brine_serde::to_vec(&Set(vec![1]), &Options::protocol(2)).unwrap();
    assert!(pickle.windows(11).any(|w| w == b"__builtin__"));
    let mut python3_names = Options::protocol(2);
    python3_names.fix_imports = false;
    let pickle = brine_serde::to_vec(&Set(vec![1]), &python3_names).unwrap();
    assert!(pickle.windows(8).any(|w| w == b"builtins"));
    assert_eq!(
        brine_serde::from_slice::<Vec<i64>>(&pickle, &python3_names).unwrap(),
        [1]
    );
    // Without fix_imports, a Python 2 name still reads as the set it is.
    let pickle = brine_serde::to_vec(&Set(vec![1]), &Options::protocol(2)).unwrap();
    assert_eq!(
        brine_serde::from_slice::<Vec<i64>>(&pickle, &python3_names).unwrap(),
        [1]
    );
}

#[test]
fn sharing_cannot_expand_without_end() {
    // l0 = []; l1 = [l0, l0]; l2 = [l1, l1]; ... l60: 2^60 lists when read as a tree.
    let mut graph = Graph::new();
    let mut inner = Value::Node(graph.add(Node::List(Vec::new())));
    for _ in 0..60 {
        inner = Value::Node(graph.add(Node::List(vec![inner, inner])));
    }
    graph.set_root(inner);
    let pickle = brine_encode::to_vec(&graph, &Default::default()).unwrap();
    assert!(pickle.len() < 1000, "a small pickle");
    let err = brine_serde::from_slice::<Deep>(&pickle, &Options::default()).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::ExpansionLimit(1_000_000)),
        "{err}"
    );
    let mut tight = Options::default();
    tight.max_expansion = 0;
    // The floor still lets honest data through.
    let small = brine_serde::to_vec(&vec![vec![1]; 10], &Options::default()).unwrap();
    assert_eq!(
        brine_serde::from_slice::<Vec<Vec<i64>>>(&small, &tight)
            .unwrap()
            .len(),
        10
    );
}

#[test]
fn many_builds_cannot_multiply_the_work() {
    // One object changed by 2,000 BUILDs, referred to 100,000 times: reading each reference
    // reads every change, and that is charged to the same budget as expansion.
    let mut graph = Graph::new();
    let module = graph.add_str("m");
    let name = graph.add_str("C");
    let cls = Value::Node(graph.add(Node::Global { module, name }));
    let args = Value::Node(graph.add(Node::Tuple(Vec::new())));
    let state = Value::Node(graph.add(Node::Dict(Vec::new())));
    let object = graph.add(Node::NewObj {
        cls,
        args,
        kwargs: None,
    });
    for _ in 0..2_000 {
        graph.push_change(object, Change::Build(state));
    }
    let list = graph.add(Node::List(vec![Value::Node(object); 100_000]));
    graph.set_root(Value::Node(list));
    let err = brine_serde::from_value::<Vec<BTreeMap<String, i64>>>(&graph, &Options::default())
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::ExpansionLimit(_)), "{err}");
}
