//! serde tooling over the public [`brine_serde::Serializer`] and [`brine_serde::Deserializer`]:
//! `serde_path_to_error` names where in a nested value a type error is, and
//! `serde_transcode` converts pickles to JSON and back without a Rust type in between. The
//! pickles are those CPython 3.11.7 writes, quoted with the call that wrote them.

use std::collections::BTreeMap;

use brine_serde::{Deserializer, Options, Serializer};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Outer {
    records: Vec<Record>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Record {
    name: String,
}

/// pickle.dumps({"records": [{"name": 3}]}, protocol=2)
const RECORDS: &[u8] =
    b"\x80\x02}q\x00X\x07\x00\x00\x00recordsq\x01]q\x02}q\x03X\x04\x00\x00\x00nameq\x04K\x03sas.";

#[test]
fn path_to_error_names_the_field_of_a_nested_struct() {
    let mut de = Deserializer::from_slice(RECORDS, &Options::default()).unwrap();
    let err = serde_path_to_error::deserialize::<_, Outer>(&mut de).unwrap_err();
    assert_eq!(err.path().to_string(), "records[0].name");
    // brine-serde's own error says the same, and the Python type it found.
    assert_eq!(err.inner().python_type(), Some("int"));
    assert_eq!(
        err.inner().to_string(),
        "records[0].name: invalid type: integer `3`, expected a string (found python int)"
    );
}

#[test]
fn path_to_error_names_the_field_that_cannot_be_written() {
    #[derive(Serialize)]
    struct Outer {
        inner: Inner,
    }
    #[derive(Serialize)]
    struct Inner {
        by_list: BTreeMap<Vec<u8>, u8>,
    }
    let value = Outer {
        inner: Inner {
            by_list: BTreeMap::from([(vec![1], 1)]),
        },
    };
    let options = Options::default();
    let mut ser = Serializer::new(Vec::new(), &options).unwrap();
    let err = serde_path_to_error::serialize(&value, &mut ser).unwrap_err();
    assert_eq!(err.path().to_string(), "inner.by_list");
    assert_eq!(
        err.inner().to_string(),
        "a python list cannot be a dict key or set item: python cannot hash it"
    );
}

#[test]
fn transcode_pickle_to_json() {
    // pickle.dumps({"outer": {"inner": [1, "two"]}}, protocol=2)
    let pickle = b"\x80\x02}q\x00X\x05\x00\x00\x00outerq\x01}q\x02X\x05\x00\x00\x00innerq\x03\
        ]q\x04(K\x01X\x03\x00\x00\x00twoq\x05ess.";
    let mut de = Deserializer::from_slice(pickle, &Options::default()).unwrap();
    let mut json = Vec::new();
    serde_transcode::transcode(&mut de, &mut serde_json::Serializer::new(&mut json)).unwrap();
    assert_eq!(
        String::from_utf8(json).unwrap(),
        r#"{"outer":{"inner":[1,"two"]}}"#
    );
}

#[test]
fn transcode_json_to_the_pickle_cpython_writes() {
    let json = r#"{"name": "brine", "tags": ["a", "b"], "size": 2.5, "parent": null, "ok": true}"#;
    let options = Options::protocol(4);
    let mut ser = Serializer::new(Vec::new(), &options).unwrap();
    serde_transcode::transcode(&mut serde_json::Deserializer::from_str(json), &mut ser).unwrap();
    // pickle.dumps({"name": "brine", "tags": ["a", "b"], "size": 2.5, "parent": None,
    //               "ok": True}, protocol=4)
    assert_eq!(
        ser.finish().unwrap(),
        b"\x80\x04\x95G\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x04name\x94\x8c\x05brine\x94\
          \x8c\x04tags\x94]\x94(\x8c\x01a\x94\x8c\x01b\x94e\x8c\x04size\x94G@\x04\x00\x00\
          \x00\x00\x00\x00\x8c\x06parent\x94N\x8c\x02ok\x94\x88u."
    );
}

#[test]
fn deserializer_borrows_from_the_slice() {
    // pickle.dumps("hello", protocol=4)
    let pickle = b"\x80\x04\x95\t\x00\x00\x00\x00\x00\x00\x00\x8c\x05hello\x94.";
    let mut de = Deserializer::from_slice(pickle, &Options::default()).unwrap();
    let text = <&str>::deserialize(&mut de).unwrap();
    assert_eq!(text, "hello");
    assert!(pickle.as_ptr_range().contains(&text.as_ptr()));
}

#[test]
fn deserializer_refuses_a_truncated_pickle() {
    for end in 0..RECORDS.len() - 1 {
        let err = Deserializer::from_slice(&RECORDS[..end], &Options::default())
            .err()
            .unwrap_or_else(|| panic!("{end} bytes decoded"));
        assert!(
            matches!(err.kind(), brine_serde::ErrorKind::Load(_)),
            "{end}: {err}"
        );
    }
}
