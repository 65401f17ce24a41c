//! Forms the deserializer reads through brine-interpret that its own recogniser read
//! differently: each pickle below is what CPython 3.11.7 writes (or loads), and the expected
//! value what `pickle.loads` gives.

use std::collections::HashMap;

use brine_serde::Options;

#[test]
fn bytes_encoded_under_any_name_codecs_lookup_takes() {
    // `_codecs.encode('\xff', 'iso_8859_1')` at protocol 2: CPython loads b'\xff'; the
    // deserializer knew only "latin1", "latin-1", "iso-8859-1" and "l1".
    let pickle = b"\x80\x02c_codecs\nencode\nq\x00X\x02\x00\x00\x00\xc3\xbfq\x01X\n\x00\x00\x00\
        iso_8859_1q\x02\x86q\x03Rq\x04.";
    let data: serde_bytes::ByteBuf = brine_serde::from_slice(pickle, &Options::default()).unwrap();
    assert_eq!(data.as_slice(), b"\xff");
}

#[test]
fn a_dict_subclass_below_protocol_2_keeps_its_items() {
    // pickle.dumps(m.D(a=1), protocol=1) for `class D(dict)`: `copyreg._reconstructor(D,
    // dict, {'a': 1})`. The items are the reconstructor's state; they used to be dropped.
    let pickle = b"ccopy_reg\n_reconstructor\nq\x00(cm\nD\nq\x01c__builtin__\ndict\nq\x02}q\x03\
        X\x01\x00\x00\x00aq\x04K\x01stq\x05Rq\x06.";
    let map: HashMap<String, i64> = brine_serde::from_slice(pickle, &Options::default()).unwrap();
    assert_eq!(map, HashMap::from([("a".to_owned(), 1)]));
    // Protocol 0 writes the same call.
    let pickle = b"ccopy_reg\n_reconstructor\np0\n(cm\nD\np1\nc__builtin__\ndict\np2\n(dp3\nVa\n\
        p4\nI1\nstp5\nRp6\n.";
    let map: HashMap<String, i64> = brine_serde::from_slice(pickle, &Options::default()).unwrap();
    assert_eq!(map, HashMap::from([("a".to_owned(), 1)]));
}

#[test]
fn a_call_is_named_as_a_call() {
    // A `__reduce__` returning (os.system, ('echo hi',)) at protocol 2: a call of a function,
    // which the message used to call a "posix.system instance".
    let pickle = b"\x80\x02cposix\nsystem\nq\x00X\x07\x00\x00\x00echo hiq\x01\x85q\x02Rq\x03.";
    let err = brine_serde::from_slice::<String>(pickle, &Options::default()).unwrap_err();
    assert!(
        err.to_string()
            .ends_with("(found python call of posix.system)"),
        "{err}"
    );
}
