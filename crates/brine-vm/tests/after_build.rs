//! The after_build hook: raw bytes after BUILD, as joblib writes numpy data, taken by the
//! machine, kept on the object and checked against the input.

use brine_value::{Change, Graph, NodeId};
use brine_vm::{Decoder, ErrorKind};
use bytes::Bytes;

/// `m.C` made by NEWOBJ with an empty state (protocol 2), BUILD, then `raw`, then `tail`.
fn object_then(raw: &[u8], tail: &[u8]) -> Vec<u8> {
    let mut pickle = b"\x80\x02cm\nC\n)\x81}b".to_vec();
    pickle.extend_from_slice(raw);
    pickle.extend_from_slice(tail);
    pickle
}

/// A hook that claims the raw bytes announced by a leading length byte, length byte included.
fn length_prefixed(_: &Graph, _: NodeId, rest: &[u8]) -> Result<u64, String> {
    match rest.first() {
        Some(&len) => Ok(1 + u64::from(len)),
        None => Err("no length byte after BUILD".into()),
    }
}

#[test]
fn raw_bytes_are_kept_on_the_object_and_skipped() {
    // After the raw bytes, the pickle goes on: the object goes into a list.
    let pickle = object_then(b"\x03abc", b"\x85.");
    let graph = Decoder::new(Default::default())
        .after_build(length_prefixed)
        .from_slice(&pickle)
        .unwrap();
    let tuple = graph.root().as_tuple().unwrap();
    let object = graph.get(&tuple[0]);
    assert_eq!(object.changes().len(), 2);
    assert!(matches!(&object.changes()[0], Change::Build(_)));
    assert!(matches!(&object.changes()[1], Change::Raw(raw) if raw[..] == b"\x03abc"[..]));
}

#[test]
fn shared_input_is_not_copied() {
    let pickle = Bytes::from(object_then(b"\x04wxyz", b"."));
    let graph = Decoder::new(Default::default())
        .after_build(length_prefixed)
        .from_bytes(&pickle)
        .unwrap();
    let Change::Raw(raw) = &graph.root().changes()[1] else {
        panic!("no raw change: {graph:?}");
    };
    let start = pickle.len() - 6;
    assert_eq!(raw.as_ptr(), pickle[start..].as_ptr());
}

#[test]
fn a_claim_past_the_end_is_an_error_not_an_allocation() {
    let pickle = object_then(b"", b".");
    let err = Decoder::new(Default::default())
        .after_build(|_, _, _| Ok(u64::MAX))
        .from_slice(&pickle)
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::AfterBuild(_)), "{err}");
    assert_eq!(err.offset(), pickle.len() as u64 - 2);
    assert!(err.to_string().contains("remain"), "{err}");
}

#[test]
fn a_hook_error_names_the_build() {
    let pickle = object_then(b"", b".");
    let err = Decoder::new(Default::default())
        .after_build(|_, _, _| Err("not an array wrapper".into()))
        .from_slice(&pickle)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "BUILD at offset 10: after_build failed: not an array wrapper"
    );
}

#[test]
fn a_reader_refuses_the_hook() {
    let pickle = object_then(b"\x00", b".");
    let err = Decoder::new(Default::default())
        .after_build(length_prefixed)
        .from_reader(&pickle[..])
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::AfterBuild(_)), "{err}");
}

#[test]
fn raw_bytes_follow_a_frame_that_ends_with_build() {
    // FRAME of the object and its BUILD, the raw bytes outside it, then a frame with STOP.
    let body = b"cm\nC\n)\x81}b";
    let mut pickle = b"\x80\x04\x95".to_vec();
    pickle.extend_from_slice(&(body.len() as u64).to_le_bytes());
    pickle.extend_from_slice(body);
    pickle.extend_from_slice(b"\x02hi");
    pickle.extend_from_slice(b"\x95\x01\x00\x00\x00\x00\x00\x00\x00.");
    let graph = Decoder::new(Default::default())
        .after_build(length_prefixed)
        .from_slice(&pickle)
        .unwrap();
    assert!(matches!(&graph.root().changes()[1], Change::Raw(raw) if raw[..] == b"\x02hi"[..]));

    // The same raw bytes inside the frame are refused: joblib ends the frame first.
    let mut inside = b"\x80\x04\x95".to_vec();
    inside.extend_from_slice(&(body.len() as u64 + 4).to_le_bytes());
    inside.extend_from_slice(body);
    inside.extend_from_slice(b"\x02hi.");
    let err = Decoder::new(Default::default())
        .after_build(length_prefixed)
        .from_slice(&inside)
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::FrameMismatch(_)), "{err}");
}

#[test]
fn every_truncation_is_an_error() {
    let pickle = object_then(b"\x05hello", b"\x85.");
    for len in 0..pickle.len() {
        let result = Decoder::new(Default::default())
            .after_build(length_prefixed)
            .from_slice(&pickle[..len]);
        assert!(result.is_err(), "prefix of {len} bytes decoded");
    }
}

#[test]
fn without_a_hook_nothing_changes() {
    let graph = brine_vm::from_slice(&object_then(b"", b"."), &Default::default()).unwrap();
    assert_eq!(graph.root().changes().len(), 1);
}
