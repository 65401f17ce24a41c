//! What dill writes that CPython's pickler never does, kept and written back: a globals dict
//! filled after the function it belongs to (`GET dict key value SETITEM POP`), a GLOBAL written
//! by hand (`__builtin__ __main__`, unmemoized, GLOBAL even at protocol 4), and that name
//! through fix_imports. The pickles are dill 0.4.1's own, in `fixtures/thirdparty/`.

use brine_testdata::ThirdParty;
use brine_value::{Change, GlobalLine, Graph, Node, NodeId, Value};

fn fixture(name: &str) -> ThirdParty {
    brine_testdata::thirdparty()
        .into_iter()
        .find(|fixture| fixture.name() == name)
        .unwrap_or_else(|| panic!("no fixture {name}"))
}

fn decode(data: &[u8]) -> Graph {
    brine_vm::from_slice(data, &Default::default()).unwrap_or_else(|err| panic!("{err}"))
}

fn encode(graph: &Graph, protocol: u8) -> Vec<u8> {
    brine_encode::to_vec(graph, &brine_encode::Options::protocol(protocol))
        .unwrap_or_else(|err| panic!("{err}\n{graph:?}"))
}

/// The function `dill.dumps(fact, recurse=True)` writes, and its globals dict: the second
/// argument of `_create_function`.
fn function_and_globals(graph: &Graph) -> (NodeId, NodeId) {
    let root = graph.root();
    let function = root.value().node().expect("the root is a node");
    let Some(Node::Reduce { args, .. }) = root.node() else {
        panic!("the root is _create_function(...): {graph:?}");
    };
    let globals = graph.get(args).index(1).expect("two arguments or more");
    (function, globals.value().node().expect("a dict node"))
}

#[test]
fn a_recursive_functions_globals_are_filled_after_it_and_written_back_there() {
    for protocol in 0..=5 {
        let fixture = fixture(&format!("dill_recursive.p{protocol}"));
        let data = fixture.bytes();
        let graph = decode(&data);
        let (function, globals) = function_and_globals(&graph);
        // Every reader sees the final dict: `fact` is in its own globals.
        let globals_value = Value::Node(globals);
        let globals_ref = graph.get(&globals_value);
        let fact = globals_ref.get("fact").expect("fact in its globals");
        assert!(fact.is(&graph.root()), "p{protocol}: {graph:?}");
        assert_eq!(
            globals_ref.get("__name__").and_then(|v| v.as_str()),
            Some("__main__")
        );
        // The stream added `fact` after building the function, which keeps that place.
        let fills: Vec<&Change> = graph
            .changes(function)
            .iter()
            .filter(|change| matches!(change, Change::Fill { .. }))
            .collect();
        assert_eq!(
            fills,
            [&Change::Fill {
                container: Value::Node(globals),
                from: 1,
                to: 2,
            }],
            "p{protocol}"
        );
        assert_eq!(encode(&graph, protocol), data, "p{protocol}");
        // Converted, the function is still the one in its globals.
        for to in 0..=5 {
            let converted = decode(&encode(&graph, to));
            let (_, globals) = function_and_globals(&converted);
            let globals = Value::Node(globals);
            let fact = converted.get(&globals).get("fact");
            assert!(
                fact.is_some_and(|fact| fact.is(&converted.root())),
                "p{protocol} -> p{to}"
            );
        }
    }
}

#[test]
fn a_batch_of_later_items_stays_one_fill() {
    // dill_globals: `dill.dumps(f, recurse=True)` of a function using two module globals;
    // at protocol 0 dill writes one SETITEM per pair, from protocol 1 one SETITEMS.
    for protocol in 0..=5 {
        let fixture = fixture(&format!("dill_globals.p{protocol}"));
        let data = fixture.bytes();
        let graph = decode(&data);
        let (function, globals) = function_and_globals(&graph);
        let fills: Vec<(usize, usize)> = graph
            .changes(function)
            .iter()
            .filter_map(|change| match change {
                Change::Fill {
                    container,
                    from,
                    to,
                } if *container == Value::Node(globals) => Some((*from, *to)),
                _ => None,
            })
            .collect();
        let len = graph.get(&Value::Node(globals)).len().expect("a dict");
        assert_eq!(fills.len(), 1, "p{protocol}: {graph:?}");
        assert_eq!(fills[0].1, len, "p{protocol}");
        assert!(fills[0].1 - fills[0].0 >= 2, "p{protocol}: {fills:?}");
        assert_eq!(encode(&graph, protocol), data, "p{protocol}");
    }
}

/// The global node named `module.name`.
fn global(graph: &Graph, module: &str, name: &str) -> NodeId {
    graph
        .nodes()
        .find(|(id, _)| graph.get(&Value::Node(*id)).as_global() == Some((module, name)))
        .map(|(id, _)| id)
        .unwrap_or_else(|| panic!("no global {module}.{name}: {graph:?}"))
}

fn contains(data: &[u8], part: &[u8]) -> bool {
    data.windows(part.len()).any(|window| window == part)
}

#[test]
fn a_hand_written_global_is_written_back_at_its_protocol_only() {
    let fixture = fixture("dill_session.p4");
    let data = fixture.bytes();
    let graph = decode(&data);
    let main = global(&graph, "__builtin__", "__main__");
    assert_eq!(
        graph.global_line(main),
        Some(GlobalLine {
            protocol: 4,
            memoized: false
        })
    );
    assert_eq!(encode(&graph, 4), data);
    // At protocol 5 as CPython's pickler writes a global: STACK_GLOBAL.
    let line = b"c__builtin__\n__main__\n";
    let p5 = encode(&graph, 5);
    assert!(contains(&data, line) && !contains(&p5, line));
    assert!(contains(
        &p5,
        b"\x8c\x0b__builtin__\x94\x8c\x08__main__\x94\x93\x94"
    ));
    // The global written by CPython's pickler itself is STACK_GLOBAL, as it was.
    let import = global(&graph, "dill._dill", "_import_module");
    assert_eq!(graph.global_line(import), None);
}

#[test]
fn an_unmemoized_global_without_proto_is_written_back_at_protocols_0_and_1() {
    for protocol in 0..=3 {
        let fixture = fixture(&format!("dill_lambda_byref.p{protocol}"));
        let data = fixture.bytes();
        let graph = decode(&data);
        let main = global(&graph, "__builtin__", "__main__");
        let declared = if protocol < 2 { 0 } else { protocol };
        assert_eq!(
            graph.global_line(main),
            Some(GlobalLine {
                protocol: declared,
                memoized: false
            }),
            "p{protocol}"
        );
        assert_eq!(encode(&graph, protocol), data, "p{protocol}");
        // CPython's pickler memoizes every global: BINPUT right after it at protocol 2 or 3
        // when converted from a protocol 0 or 1 pickle.
        if protocol < 2 {
            let p2 = encode(&graph, 2);
            assert!(contains(&p2, b"c__builtin__\n__main__\nq"), "p{protocol}");
        }
    }
}

#[test]
fn fix_imports_leaves_a_name_python_3_builtins_lacks_as_written() {
    // dill writes `GLOBAL '__builtin__ __main__'`; `pickle.loads` maps it to
    // `builtins.__main__` and fails (AttributeError), while `dill.loads` resolves the name
    // before any mapping. A conversion to protocol 3-5 must keep the name dill knows.
    for protocol in 0..=2 {
        let fixture = fixture(&format!("dill_lambda_byref.p{protocol}"));
        let graph = decode(&fixture.bytes());
        global(&graph, "__builtin__", "__main__");
        assert!(contains(&encode(&graph, 3), b"c__builtin__\n__main__\n"));
        let p4 = encode(&graph, 4);
        assert!(contains(
            &p4,
            b"\x8c\x0b__builtin__\x94\x8c\x08__main__\x94\x93"
        ));
    }
    // CPython 2.7's `pickle.dumps(set, 2)`: a name Python 3 has is mapped as before.
    let graph = decode(b"\x80\x02c__builtin__\nset\nq\x00.");
    assert_eq!(graph.root().as_global(), Some(("builtins", "set")));
    assert_eq!(
        graph.global_line(graph.root().value().node().unwrap()),
        None
    );
    assert_eq!(encode(&graph, 3), b"\x80\x03cbuiltins\nset\nq\x00.");
}

#[test]
fn a_set_filled_later_is_written_whole_below_protocol_4() {
    // Hand-made, dill's shape with a set: a list holding a set, then the set filled through
    // a GET (`h\x01 ( K\x01 \x90 0`) while the list is below it on the stack.
    let pickle = b"\x80\x04\x95\x0d\x00\x00\x00\x00\x00\x00\x00]\x94\x8f\x94ah\x01(K\x01\x900.";
    let graph = decode(pickle);
    assert_eq!(format!("{graph:?}"), "[#0={1}].fill(#0, 0..1)");
    assert_eq!(encode(&graph, 4), pickle);
    for protocol in 0..=5 {
        let converted = decode(&encode(&graph, protocol));
        let set = converted.root().index(0).expect("the list holds the set");
        let items = match set.node() {
            Some(Node::Set(items)) => items.clone(),
            Some(Node::Reduce { args, .. }) => {
                let list = converted.get(args).index(0).expect("set(list)");
                list.as_list().expect("a list").to_vec()
            }
            other => panic!("p{protocol}: {other:?}"),
        };
        assert_eq!(items, [Value::Int(1)], "p{protocol}: {converted:?}");
    }
}
