//! Hand-made graphs: the edges of the recognisers, malformed nodes, depth, and equality.

use brine_interpret::natural::{Interpreted, Natural, interpret};
use brine_value::{Change, Graph, Node, Value};

use crate::show::show;

/// Builds graphs tersely.
pub(crate) struct Builder(pub(crate) Graph);

impl Builder {
    pub(crate) fn new() -> Builder {
        Builder(Graph::new())
    }

    pub(crate) fn add(&mut self, node: Node) -> Value {
        Value::Node(self.0.add(node))
    }

    /// Records `change` on `object` and returns the object.
    pub(crate) fn change(&mut self, object: Value, change: Change) -> Value {
        self.0.push_change(object.node().expect("a node"), change);
        object
    }

    pub(crate) fn str(&mut self, text: &str) -> Value {
        self.0.add_str(text)
    }

    pub(crate) fn global(&mut self, module: &str, name: &str) -> Value {
        let module = self.str(module);
        let name = self.str(name);
        self.add(Node::Global { module, name })
    }

    pub(crate) fn tuple(&mut self, items: Vec<Value>) -> Value {
        self.add(Node::Tuple(items))
    }

    pub(crate) fn call(&mut self, module: &str, name: &str, args: Vec<Value>) -> Value {
        let callable = self.global(module, name);
        let args = self.tuple(args);
        self.add(Node::Reduce { callable, args })
    }

    pub(crate) fn dict(&mut self, pairs: Vec<(&str, Value)>) -> Value {
        let pairs = pairs
            .into_iter()
            .map(|(key, value)| (self.str(key), value))
            .collect();
        self.add(Node::Dict(pairs))
    }

    pub(crate) fn finish(mut self, root: Value) -> Interpreted {
        self.0.set_root(root);
        interpret(&self.0)
    }
}

fn check(build: impl FnOnce(&mut Builder) -> Value, expect: &str) {
    let mut builder = Builder::new();
    let root = build(&mut builder);
    assert_eq!(show(&builder.finish(root)), expect);
}

#[test]
fn recognisers_reject_what_python_would_reject() {
    // A zero denominator, an offset of a whole day, an insane month, a non-latin1 encoding of
    // a non-latin1 text: Python raises, so these stay calls.
    check(
        |b| b.call("fractions", "Fraction", vec![Value::Int(1), Value::Int(0)]),
        "Call(fractions:Fraction, args=[1, 0])",
    );
    check(
        |b| {
            let day = b.call("datetime", "timedelta", vec![Value::Int(1)]);
            b.call("datetime", "timezone", vec![day])
        },
        "Call(datetime:timezone, args=[timedelta(1, 0, 0)])",
    );
    check(
        |b| {
            let state = b.add(Node::Bytes(bytes::Bytes::from_static(b"\x07\xe8\x0d\x01")));
            b.call("datetime", "date", vec![state])
        },
        "Call(datetime:date, args=[b'\\x07\\xe8\\r\\x01'])",
    );
    check(
        |b| {
            let text = b.str("\u{20ac}");
            let encoding = b.str("latin1");
            b.call("_codecs", "encode", vec![text, encoding])
        },
        "Call(_codecs:encode, args=['\u{20ac}', 'latin1'])",
    );
}

#[test]
fn recognisers_normalize_as_python_does() {
    check(
        |b| {
            b.call(
                "datetime",
                "timedelta",
                vec![Value::Int(0), Value::Int(90_000), Value::Int(-1)],
            )
        },
        "timedelta(1, 3599, 999999)",
    );
    check(
        |b| {
            let text = b.str(" -6/4 ");
            b.call("fractions", "Fraction", vec![text])
        },
        "Fraction(-3, 2)",
    );
    check(
        |b| {
            let text = b.str("0.0000001");
            b.call("decimal", "Decimal", vec![text])
        },
        "Decimal('1E-7')",
    );
    check(
        |b| {
            let text = b.str("h\u{e9}");
            let encoding = b.str("UTF_8");
            b.call("_codecs", "encode", vec![text, encoding])
        },
        "b'h\\xc3\\xa9'",
    );
    // Python 2 names are matched without fix_imports too.
    check(
        |b| {
            let items = b.add(Node::List(vec![Value::Int(1)]));
            b.call("__builtin__", "set", vec![items])
        },
        "set([1])",
    );
}

#[test]
fn malformed_nodes_and_unmergeable_mutations_stay_records() {
    // A global whose names are not text.
    check(
        |b| {
            b.add(Node::Global {
                module: Value::Int(1),
                name: Value::None,
            })
        },
        "record:global(1, None)",
    );
    // REDUCE whose arguments are not a tuple (the VM never makes one).
    check(
        |b| {
            let callable = b.global("m", "f");
            b.add(Node::Reduce {
                callable,
                args: Value::Int(3),
            })
        },
        "record:reduce(m:f, 3)",
    );
    // Two `__setstate__` states: the first is merged, the second kept as a record of the
    // object before it; every reference is to the object after both.
    check(
        |b| {
            let object = b.call("m", "C", vec![]);
            b.change(object, Change::Build(Value::Int(1)));
            b.change(object, Change::Build(Value::Int(2)));
            b.add(Node::List(vec![object, object]))
        },
        "[#0=record:build(Call(m:C, setstate=1), 2), #0]",
    );
    // ADDITEMS on an instance.
    check(
        |b| {
            let cls = b.global("m", "C");
            let args = b.tuple(vec![]);
            let object = b.add(Node::NewObj {
                cls,
                args,
                kwargs: None,
            });
            b.change(object, Change::AddItems(vec![Value::Int(1)]))
        },
        "record:additems(Instance(m:C), 1)",
    );
    // A change that cannot be merged, whose value is the object itself.
    check(
        |b| {
            let object = b.call("m", "C", vec![]);
            b.change(object, Change::Build(Value::Int(1)));
            b.change(object, Change::Build(object))
        },
        "#0=record:build(Call(m:C, setstate=1), #0)",
    );
}

#[test]
fn a_known_container_with_instance_state_is_described_as_its_call() {
    check(
        |b| {
            let object = b.call("collections", "OrderedDict", vec![]);
            let key = b.str("k");
            b.change(object, Change::SetItems(vec![(key, Value::Int(1))]));
            let state = b.dict(vec![("attr", Value::Int(2))]);
            b.change(object, Change::Build(state))
        },
        "Call(collections:OrderedDict, state={'attr': 2}, dictitems={'k': 1})",
    );
}

#[test]
fn an_object_and_its_changes_are_one_natural_node() {
    let mut b = Builder::new();
    let cls = b.global("m", "C");
    let args = b.tuple(vec![]);
    let object = b.add(Node::NewObj {
        cls,
        args,
        kwargs: None,
    });
    let state = b.dict(vec![("me", object)]);
    b.change(object, Change::Build(state));
    let mut graph = b.0;
    graph.set_root(object);
    let interpreted = interpret(&graph);
    let natural = interpreted.natural_of(object.node().unwrap());
    assert!(natural.is_some());
    assert_eq!(interpreted.root_value().node(), natural);
    assert_eq!(show(&interpreted), "#0=Instance(m:C, state={'me': #0})");
}

#[test]
fn depth_does_not_recurse() {
    const DEPTH: usize = 100_000;
    // [[[...]]] 100,000 deep.
    let mut graph = Graph::new();
    let mut value = Value::Node(graph.add(Node::List(Vec::new())));
    for _ in 0..DEPTH {
        value = Value::Node(graph.add(Node::List(vec![value])));
    }
    graph.set_root(value);
    let interpreted = interpret(&graph);
    assert_eq!(interpreted.len(), DEPTH + 1);
    assert!(interpreted == interpreted.clone());

    // 100,000 instances, each the state of the next.
    let mut b = Builder::new();
    let cls = b.global("m", "C");
    let mut value = Value::None;
    for _ in 0..DEPTH {
        let args = b.tuple(vec![]);
        let object = b.add(Node::NewObj {
            cls,
            args,
            kwargs: None,
        });
        let state = b.dict(vec![("next", value)]);
        value = b.change(object, Change::Build(state));
    }
    let interpreted = b.finish(value);
    let objects = interpreted
        .nodes()
        .filter(|(_, natural)| matches!(natural, Natural::Object(_)))
        .count();
    assert_eq!(objects, DEPTH);
}

#[test]
fn equality_follows_python() {
    fn graph(build: impl FnOnce(&mut Builder) -> Value) -> Interpreted {
        let mut builder = Builder::new();
        let root = build(&mut builder);
        builder.finish(root)
    }
    // Dicts and sets ignore order; lists do not.
    let ab = graph(|b| b.dict(vec![("a", Value::Int(1)), ("b", Value::Int(2))]));
    let ba = graph(|b| b.dict(vec![("b", Value::Int(2)), ("a", Value::Int(1))]));
    assert!(ab == ba);
    let set_12 = graph(|b| b.add(Node::Set(vec![Value::Int(1), Value::Int(2)])));
    let set_21 = graph(|b| b.add(Node::Set(vec![Value::Int(2), Value::Int(1)])));
    assert!(set_12 == set_21);
    let list_12 = graph(|b| b.add(Node::List(vec![Value::Int(1), Value::Int(2)])));
    let list_21 = graph(|b| b.add(Node::List(vec![Value::Int(2), Value::Int(1)])));
    assert!(list_12 != list_21);
    // Sharing of lists matters; sharing of strings does not.
    let shared = graph(|b| {
        let x = b.add(Node::List(vec![]));
        b.add(Node::List(vec![x, x]))
    });
    let distinct = graph(|b| {
        let x = b.add(Node::List(vec![]));
        let y = b.add(Node::List(vec![]));
        b.add(Node::List(vec![x, y]))
    });
    assert!(shared != distinct);
    let shared_str = graph(|b| {
        let x = b.str("s");
        b.add(Node::List(vec![x, x]))
    });
    let distinct_str = graph(|b| {
        let x = b.str("s");
        let y = b.str("s");
        b.add(Node::List(vec![x, y]))
    });
    assert!(shared_str == distinct_str);
    // Ranges compare as sequences, nan equals nan, -0.0 is not 0.0.
    let range = |stop| {
        graph(move |b| {
            b.call(
                "builtins",
                "range",
                vec![Value::Int(1), Value::Int(stop), Value::Int(2)],
            )
        })
    };
    assert!(range(10) == range(11));
    assert!(range(10) != range(12));
    let float = |x: f64| graph(|b| b.add(Node::List(vec![Value::Float(x)])));
    assert!(float(f64::NAN) == float(-f64::NAN));
    assert!(float(0.0) != float(-0.0));
}
