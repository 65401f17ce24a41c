//! Cycles that no protocol below 4 can write: an error, never an endless loop.

/// `y = set(); y.add(K(y))` with `K.__reduce__` returning `(K, (self.value,))`, as CPython
/// 3.11.7's pickletester `test_recursive_set` dumps it at protocol 4. Below 4 a set is
/// written as a call, so the set's constructor arguments hold the set; CPython's own pickler
/// raises RecursionError there.
const RECURSIVE_SET: &[u8] = b"\x80\x04\x95%\x00\x00\x00\x00\x00\x00\x00\x8f\x94(\x8c\x11test.pickletester\x94\x8c\x01K\x94\x93\x94h\x00\x85\x94R\x94\x90.";

#[test]
fn a_set_inside_its_own_constructor_call_is_an_error_below_protocol_4() {
    let graph = brine_vm::from_slice(RECURSIVE_SET, &brine_vm::Options::default()).unwrap();
    let same = brine_encode::to_vec(&graph, &brine_encode::Options::protocol(4)).unwrap();
    assert_eq!(same, RECURSIVE_SET);
    for protocol in 0..4 {
        let err =
            brine_encode::to_vec(&graph, &brine_encode::Options::protocol(protocol)).unwrap_err();
        assert!(
            matches!(err, brine_encode::EncodeError::ImpossibleCycle(_)),
            "protocol {protocol}: {err}"
        );
    }
}
