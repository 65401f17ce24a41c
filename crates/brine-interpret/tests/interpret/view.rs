//! The borrowed view: what it answers for each form, that it borrows rather than copies, and
//! the forms the two recognisers this crate replaced had read differently.

use brine_interpret::natural::interpret;
use brine_interpret::{Data, Interpreter, ObjectKind, View};
use brine_value::{Change, Graph, Node, Value};

use crate::corpus::fixture_options;
use crate::graphs::Builder;
use crate::show::show;

/// The graph `build` makes, with its root set.
fn graph_of(build: impl FnOnce(&mut Builder) -> Value) -> Graph {
    let mut builder = Builder::new();
    let root = build(&mut builder);
    builder.0.set_root(root);
    builder.0
}

#[test]
fn getattr_chains_name_nested_classes() {
    // getattr(getattr(m.A, 'B'), 'C'): how protocols 0 to 3 name the class A.B.C.
    let graph = graph_of(|b| {
        let outer = b.global("m", "A");
        let attr = b.str("B");
        let middle = b.call("builtins", "getattr", vec![outer, attr]);
        let attr = b.str("C");
        let getattr = b.global("builtins", "getattr");
        let args = b.tuple(vec![middle, attr]);
        b.add(Node::Reduce {
            callable: getattr,
            args,
        })
    });
    let View::Global(global) = Interpreter::new(&graph).root() else {
        panic!("not a global");
    };
    assert_eq!((global.module, global.name.as_ref()), ("m", "A.B.C"));
    assert_eq!(global.to_string(), "m.A.B.C");
}

#[test]
fn codecs_encode_is_latin1_bytes() {
    // _codecs.encode('\xff\x00', 'latin1'), as protocols 0-2 write b'\xff\x00'.
    let encode = |text: &str, encoding: &str| {
        graph_of(|b| {
            let text = b.str(text);
            let encoding = b.str(encoding);
            b.call("_codecs", "encode", vec![text, encoding])
        })
    };
    let graph = encode("\u{ff}\u{0}", "latin1");
    match Interpreter::new(&graph).root() {
        View::Bytes(data) => assert_eq!(data.as_slice(), [0xff, 0x00]),
        other => panic!("not bytes: {other:?}"),
    }
    // A code point above 0xff is no latin1: Python raises, so it stays the call.
    let graph = encode("\u{100}", "latin1");
    let view = Interpreter::new(&graph).root();
    assert_eq!(view.describe(), "call of _codecs.encode");
}

#[test]
fn encoding_names_are_looked_up_as_cpython_does() {
    // The two recognisers this crate replaced each had a short list of names ("latin1",
    // "latin-1", "iso-8859-1", "l1", one of them also "iso8859-1" and `_` read as `-`);
    // CPython's `codecs.lookup` normalizes punctuation and case and knows the aliases, and
    // `_codecs.encode('\xe9', name)` is b'\xe9' for each of these names in CPython 3.11.7.
    for name in [
        "latin",
        "cp819",
        "ISO 8859-1",
        "iso_8859_1",
        "Latin--1",
        "8859",
        "iso8859.1",
    ] {
        let graph = graph_of(|b| {
            let text = b.str("\u{e9}");
            let encoding = b.str(name);
            b.call("_codecs", "encode", vec![text, encoding])
        });
        assert_eq!(show(&interpret(&graph)), "b'\\xe9'", "{name:?}");
    }
    // One argument is utf-8, `_codecs.encode`'s default.
    let graph = graph_of(|b| {
        let text = b.str("\u{e9}");
        b.call("_codecs", "encode", vec![text])
    });
    assert_eq!(show(&interpret(&graph)), "b'\\xc3\\xa9'");
    // LookupError in CPython: not bytes.
    let graph = graph_of(|b| {
        let text = b.str("e");
        let encoding = b.str("latin.1");
        b.call("_codecs", "encode", vec![text, encoding])
    });
    assert_eq!(
        show(&interpret(&graph)),
        "Call(_codecs:encode, args=['e', 'latin.1'])"
    );
}

#[test]
fn list_tuple_and_dict_calls_are_the_containers_they_make() {
    // `list([1, 2])` is a new list equal to [1, 2] in Python; brine-serde read these calls as
    // containers, the natural arena as calls: both now read them as Python makes them.
    let call = graph_of(|b| {
        let items = b.add(Node::List(vec![Value::Int(1), Value::Int(2)]));
        b.call("builtins", "list", vec![items])
    });
    assert!(matches!(Interpreter::new(&call).root(), View::List(items) if items.len() == 2));
    let plain = graph_of(|b| b.add(Node::List(vec![Value::Int(1), Value::Int(2)])));
    assert!(interpret(&call) == interpret(&plain));
    let tuple = graph_of(|b| {
        let items = b.add(Node::List(vec![Value::Int(3)]));
        b.call("__builtin__", "tuple", vec![items])
    });
    assert_eq!(show(&interpret(&tuple)), "(3,)");
    let dict = graph_of(|b| {
        let pairs = b.dict(vec![("a", Value::Int(1))]);
        b.call("builtins", "dict", vec![pairs])
    });
    assert_eq!(show(&interpret(&dict)), "{'a': 1}");
}

#[test]
fn bytes_are_borrowed_from_the_graph() {
    let graph = graph_of(|b| {
        let data = b.add(Node::Bytes(bytes::Bytes::from_static(b"payload")));
        b.call("builtins", "bytearray", vec![data])
    });
    let View::ByteArray(Data::Shared(data)) = Interpreter::new(&graph).root() else {
        panic!("not a shared bytearray");
    };
    let in_graph = graph
        .nodes()
        .find_map(|(_, node)| match node {
            Node::Bytes(data) => Some(data.as_ptr()),
            _ => None,
        })
        .expect("a bytes node");
    assert_eq!(data.as_ptr(), in_graph);
}

#[test]
fn python_2_ordered_dict_pairs_are_read_in_place() {
    // OrderedDict([['a', 1], ('b', 2)]), then SETITEMS c=3.
    let graph = graph_of(|b| {
        let a = b.str("a");
        let first = b.add(Node::List(vec![a, Value::Int(1)]));
        let key = b.str("b");
        let second = b.tuple(vec![key, Value::Int(2)]);
        let pairs = b.add(Node::List(vec![first, second]));
        let object = b.call("collections", "OrderedDict", vec![pairs]);
        let key = b.str("c");
        b.change(object, Change::SetItems(vec![(key, Value::Int(3))]))
    });
    let interpreter = Interpreter::new(&graph);
    let View::OrderedDict(pairs) = interpreter.root() else {
        panic!("not an OrderedDict");
    };
    assert_eq!(pairs.len(), 3);
    let read: Vec<(String, Value)> = pairs
        .into_iter()
        .map(|(key, value)| (graph.get(key).as_str().unwrap().to_owned(), *value))
        .collect();
    assert_eq!(
        read,
        [
            ("a".to_owned(), Value::Int(1)),
            ("b".to_owned(), Value::Int(2)),
            ("c".to_owned(), Value::Int(3))
        ]
    );
    // An item that is no pair: Python raises, the call stays a call.
    let graph = graph_of(|b| {
        let pairs = b.add(Node::List(vec![Value::Int(1)]));
        b.call("collections", "OrderedDict", vec![pairs])
    });
    assert_eq!(Interpreter::new(&graph).root().kind_name(), "call");
}

#[test]
fn one_accessor_reads_an_instance_whatever_protocol_wrote_it() {
    // NEWOBJ (protocols 2-5), copyreg._reconstructor (0-1), INST / OBJ (Python 2): the class,
    // the arguments and the state read the same way.
    let options = fixture_options();
    let mut seen = 0;
    for fixture in brine_testdata::all() {
        let expect_args = match fixture.object.as_str() {
            "class_plain" => 0,
            "namedtuple" => 2,
            _ => continue,
        };
        let graph = brine_vm::from_slice(&fixture.bytes(), &options).expect("decodes");
        let View::Object(object) = Interpreter::new(&graph).root() else {
            panic!("{}: not an object", fixture.name());
        };
        assert_eq!(object.kind, ObjectKind::Instance, "{}", fixture.name());
        let class = object.class().expect("a named class");
        assert_eq!(class.module, "brine_fixtures", "{}", fixture.name());
        assert_eq!(object.args.len(), expect_args, "{}", fixture.name());
        if fixture.object == "class_plain" {
            let mut names: Vec<&str> = object
                .state
                .iter()
                .map(|(key, _)| graph.get(key).as_str().expect("str keys"))
                .collect();
            names.sort_unstable();
            assert_eq!(names, ["a", "b"], "{}", fixture.name());
        }
        seen += 1;
    }
    assert!(seen >= 20, "only {seen} fixtures");
}

#[test]
fn descriptions_name_what_was_found() {
    let system = graph_of(|b| {
        let command = b.str("echo hi");
        b.call("posix", "system", vec![command])
    });
    assert_eq!(
        Interpreter::new(&system).root().describe(),
        "call of posix.system"
    );
    let instance = graph_of(|b| {
        let cls = b.global("m", "C");
        let args = b.tuple(vec![]);
        b.add(Node::NewObj {
            cls,
            args,
            kwargs: None,
        })
    });
    assert_eq!(
        Interpreter::new(&instance).root().describe(),
        "m.C instance"
    );
    let global = graph_of(|b| b.global("os", "system"));
    let interpreter = Interpreter::new(&global);
    assert_eq!(
        interpreter.describe(global.root_value()),
        "global os.system"
    );
    assert_eq!(interpreter.kind_name(&Value::Float(1.0)), "float");
}
