//! `Decoder::partial_from_slice`: what the machine built before an error stays visible.

use brine_lex::Opcode;
use brine_value::{Graph, Node, Value};
use brine_vm::{Decoder, Partial};

fn partial(data: &[u8]) -> Partial {
    Decoder::new(Default::default()).partial_from_slice(data)
}

/// Whether the graph holds a call of `module.name`, anywhere in its arena.
fn calls(graph: &Graph, module: &str, name: &str) -> bool {
    graph.nodes().any(|(_, node)| match node {
        Node::Reduce { callable, .. } => graph.get(callable).as_global() == Some((module, name)),
        _ => false,
    })
}

fn effect_calls(graph: &Graph, module: &str, name: &str) -> bool {
    graph
        .effects()
        .iter()
        .any(|effect: &Value| match graph.get(effect).node() {
            Some(Node::Reduce { callable, .. }) => {
                graph.get(callable).as_global() == Some((module, name))
            }
            _ => false,
        })
}

#[test]
fn a_whole_pickle_has_no_error() {
    // pickle.dumps([1], protocol=2)
    let data = b"\x80\x02]q\x00K\x01a.junk";
    let res = partial(data);
    assert!(res.error.is_none());
    assert_eq!(res.end, 9);
    assert_eq!(format!("{:?}", res.graph), "[1]");
}

#[test]
fn a_call_on_the_stack_before_garbage_is_kept() {
    let data = b"cos\nsystem\n(S'echo pwned'\ntR\xff";
    let res = partial(data);
    let err = res.error.expect("0xff is no opcode");
    assert_eq!(err.offset(), 28);
    assert_eq!(res.end, 28);
    assert!(effect_calls(&res.graph, "os", "system"));
    let opcodes: Vec<(Opcode, u64)> = res.origins.iter().map(|o| (o.opcode, o.offset)).collect();
    assert_eq!(opcodes, [(Opcode::GLOBAL, 0), (Opcode::REDUCE, 27)]);
}

#[test]
fn a_call_only_the_memo_holds_is_kept() {
    // The call's result is memoized and popped, then the stream is cut.
    let data = b"\x80\x02cos\nsystem\nX\x02\x00\x00\x00id\x85Rq\x000";
    let res = partial(data);
    assert!(res.error.as_ref().is_some_and(|err| err.is_eof()));
    assert!(effect_calls(&res.graph, "os", "system"));
}

#[test]
fn a_popped_call_at_the_start_is_kept_when_the_stream_is_cut() {
    let data = b"\x80\x02cos\nsystem\nX\x02\x00\x00\x00id\x85R0";
    let res = partial(data);
    assert!(res.error.is_some());
    assert!(calls(&res.graph, "os", "system"));
    assert!(effect_calls(&res.graph, "os", "system"));
}

#[test]
fn build_is_an_origin() {
    // pickle.dumps of a plain instance, protocol 2: NEWOBJ then BUILD.
    let data = b"\x80\x02c__main__\nC\nq\x00)\x81q\x01}q\x02X\x01\x00\x00\x00aq\x03K\x01sb.";
    let res = partial(data);
    assert!(res.error.is_none());
    let opcodes: Vec<Opcode> = res.origins.iter().map(|o| o.opcode).collect();
    assert_eq!(opcodes, [Opcode::GLOBAL, Opcode::NEWOBJ, Opcode::BUILD]);
    assert_eq!(res.origins[1].node, res.origins[2].node);
}
