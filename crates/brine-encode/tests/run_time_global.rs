//! STACK_GLOBAL whose operands are `str` only when the pickle runs: CPython checks their types
//! then, so brine keeps such a global and writes it back as it was.

use brine_value::{Graph, Node};

/// `pickle.Pickler` whose `persistent_id` returns every object, dumping `str` (the class) at
/// protocol 4, as CPython 3.11.7 writes it (pickletester's identity persistence tests): the
/// global's module and name are persistent ids.
const PERSISTENT_NAMES: &[u8] =
    b"\x80\x04\x95\x17\x00\x00\x00\x00\x00\x00\x00\x8c\x08builtins\x94Q\x8c\x03str\x94Q\x93\x94Q.";

fn decode(data: &[u8], options: &brine_vm::Options) -> Result<Graph, brine_vm::Error> {
    brine_vm::from_slice(data, options)
}

#[test]
fn a_global_named_by_persistent_ids_reencodes_byte_for_byte() {
    let graph = decode(PERSISTENT_NAMES, &brine_vm::Options::default()).unwrap();
    let Some(Node::PersistentId(pid)) = graph.root().node() else {
        panic!("root is a persistent id: {graph:?}");
    };
    let Some(Node::Global { module, name }) = graph.get(pid).node() else {
        panic!("the id is a global: {graph:?}");
    };
    assert!(matches!(
        graph.get(module).node(),
        Some(Node::PersistentId(_))
    ));
    assert!(matches!(
        graph.get(name).node(),
        Some(Node::PersistentId(_))
    ));
    let out = brine_encode::to_vec(&graph, &brine_encode::Options::protocol(4)).unwrap();
    assert_eq!(out, PERSISTENT_NAMES);
}

#[test]
fn below_protocol_4_a_run_time_global_is_an_error() {
    let graph = decode(PERSISTENT_NAMES, &brine_vm::Options::default()).unwrap();
    // (Protocol 0 refuses the persistent ids themselves, which are not ASCII text there.)
    for protocol in 1..4 {
        let err =
            brine_encode::to_vec(&graph, &brine_encode::Options::protocol(protocol)).unwrap_err();
        assert!(err.to_string().contains("run time"), "{err}");
    }
}

#[test]
fn operands_that_can_never_be_str_are_still_refused() {
    let options = brine_vm::Options::default();
    for data in [
        &b"K\x01K\x02\x93."[..],
        b"\x80\x04C\x01a\x8c\x01b\x93.",
        b"\x80\x04N\x8c\x01bQ\x93.",
    ] {
        let err = decode(data, &options).unwrap_err();
        assert!(
            matches!(err.kind(), brine_vm::ErrorKind::StackGlobalNotStr),
            "{data:?}: {err}"
        );
    }
    // A call's result may be a str when the pickle runs.
    let graph = decode(b"\x80\x04cbuiltins\nstr\n)R\x8c\x01b\x93.", &options).unwrap();
    assert!(matches!(graph.root().node(), Some(Node::Global { .. })));
}

#[test]
fn a_policy_naming_its_globals_rejects_a_name_known_only_at_run_time() {
    let mut options = brine_vm::Options::default();
    options.find_class =
        brine_vm::FindClass::AllowList(brine_vm::AllowList::new().module("builtins"));
    let err = decode(PERSISTENT_NAMES, &options).unwrap_err();
    assert!(
        matches!(err.kind(), brine_vm::ErrorKind::RejectedGlobal { .. }),
        "{err}"
    );
}
