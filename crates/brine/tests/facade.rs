//! The facade's parameters do what Python's do, and its one error type keeps the layers'.

use std::error::Error as _;

use brine::compress::{Codec, Level};
use brine::{Graph, Node, Value};

fn sample() -> Graph {
    // pickle.dumps({"numbers": [1, 2, 3], "name": "brine"}, protocol=4)
    brine::loads(b"\x80\x04\x95(\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x07numbers\x94]\x94(K\x01K\x02K\x03e\x8c\x04name\x94\x8c\x05brine\x94u.")
        .expect("a CPython pickle")
}

#[test]
fn protocols_round_trip_and_the_default_is_4() {
    let graph = sample();
    assert_eq!(
        brine::dumps(&graph).unwrap()[..2],
        [0x80, brine::DEFAULT_PROTOCOL]
    );
    for protocol in 0..=brine::HIGHEST_PROTOCOL {
        let pickle = brine::Pickler::new()
            .protocol(protocol)
            .dumps(&graph)
            .unwrap();
        assert_eq!(brine::loads(&pickle).unwrap(), graph, "protocol {protocol}");
    }
    let err = brine::Pickler::new().protocol(9).dumps(&graph).unwrap_err();
    assert!(matches!(err, brine::Error::InvalidArgument(_)));
}

#[test]
fn load_errors_keep_offset_opcode_and_source() {
    let err = brine::loads(b"\x80\x02]q\x00(K\x01").unwrap_err();
    assert_eq!(err.offset(), Some(8));
    assert!(err.source().is_some(), "the VM error is the source");
    assert!(err.to_string().starts_with("cannot load pickle: "), "{err}");
    assert!(matches!(err, brine::Error::Load(_)));
}

#[test]
fn encoding_and_errors_follow_python_names() {
    let data = b"\x80\x02U\x04caf\xe9q\x00.";
    assert!(brine::Unpickler::new().encoding("koi8-r").is_err());
    assert!(
        brine::Unpickler::new()
            .errors("backslashreplace-ish")
            .is_err()
    );
    let graph = brine::Unpickler::new()
        .encoding("bytes")
        .unwrap()
        .loads(data)
        .unwrap();
    assert_eq!(graph.root().as_bytes(), Some(&b"caf\xe9"[..]));
    let graph = brine::Unpickler::new()
        .errors("replace")
        .unwrap()
        .loads(data)
        .unwrap();
    assert_eq!(graph.root().text().as_deref(), Some("caf\u{fffd}"));
    let graph = brine::Unpickler::new()
        .fix_imports(false)
        .loads(b"c__builtin__\nset\n.")
        .unwrap();
    assert_eq!(graph.root().as_global(), Some(("__builtin__", "set")));
}

#[test]
fn buffers_and_persistence_hooks() {
    let buffers = [bytes::Bytes::from_static(b"out of band")];
    let graph = brine::Unpickler::new()
        .buffers(&buffers)
        .loads(b"\x80\x05\x97.")
        .unwrap();
    assert!(
        matches!(graph.root().node(), Some(Node::Buffer(b)) if b.data.as_deref() == Some(&b"out of band"[..]))
    );

    let graph = brine::Unpickler::new()
        .persistent_load(|graph, pid| {
            let text = graph.get(&pid).as_str().unwrap_or_default().to_owned();
            Ok(graph.add_str(&format!("loaded {text}")))
        })
        .loads(b"Puser:42\n.")
        .unwrap();
    assert_eq!(graph.root().as_str(), Some("loaded user:42"));

    let mut graph = Graph::new();
    let marker = graph.add_str("db-connection");
    let list = graph.add(Node::List(vec![Value::Int(1), marker]));
    graph.set_root(Value::Node(list));
    let pickle = brine::Pickler::new()
        .protocol(2)
        .persistent_id(|_, value| (*value == marker).then_some(Value::Int(7)))
        .dumps(&graph)
        .unwrap();
    let back = brine::loads(&pickle).unwrap();
    assert_eq!(format!("{back:?}"), "[1, persistent_id(7)]");
}

#[test]
fn compressed_pickles_with_every_codec() {
    let graph = sample();
    for codec in [Codec::Gzip, Codec::Bz2, Codec::Xz, Codec::Zstd, Codec::Lz4] {
        let pickle = brine::Pickler::new()
            .compress(codec, Level::Default)
            .dumps(&graph)
            .unwrap();
        assert_eq!(Codec::detect(&pickle), Some(codec));
        // Plain loads does not guess: a compressed pickle is not a pickle.
        assert!(brine::loads(&pickle).is_err());
        let back = brine::Unpickler::new()
            .decompress(Default::default())
            .loads(&pickle)
            .unwrap();
        assert_eq!(back, graph, "{codec}");
        let back = brine::Unpickler::new()
            .decompress(Default::default())
            .load(&pickle[..])
            .unwrap();
        assert_eq!(back, graph, "{codec} from a reader");
    }
}

#[test]
fn signed_pickles_load_only_with_the_right_key() {
    use brine::sign::{Key, Keyring, SignOptions, VerifyOptions};
    let key = Key::new(b"k1".to_vec(), &[1u8; 32]).unwrap();
    let other = Key::new(b"k1".to_vec(), &[2u8; 32]).unwrap();
    let envelope = brine::dumps_signed(&sample(), &key, &SignOptions::default()).unwrap();
    let loaded =
        brine::load_signed(&Keyring::new(key), &VerifyOptions::default(), &envelope).unwrap();
    assert_eq!(loaded, sample());
    let err =
        brine::load_signed(&Keyring::new(other), &VerifyOptions::default(), &envelope).unwrap_err();
    assert!(matches!(err, brine::Error::Sign(_)), "{err}");
}
