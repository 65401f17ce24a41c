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
    // A codec Python has and brine does not read.
    assert!(brine::Unpickler::new().encoding("koi8-u").is_err());
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
    // What CPython 3.11's `pickle.loads(data, encoding='koi8-r')` returns.
    let graph = brine::Unpickler::new()
        .encoding("koi8-r")
        .unwrap()
        .loads(data)
        .unwrap();
    assert_eq!(graph.root().text().as_deref(), Some("caf\u{418}"));
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
    let buffers = [brine::Bytes::from_static(b"out of band")];
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

/// What a Python program holds: `{'records': [{'name': 'a', 'size': 1}, {'name': 3, 'size': 2}]}`
/// (protocol 2), the second record's name an int where the Rust type wants a str.
const RECORDS: &[u8] = b"\x80\x02}q\x00X\x07\x00\x00\x00recordsq\x01]q\x02(}q\x03(X\x04\x00\x00\x00nameq\x04X\x01\x00\x00\x00aq\x05X\x04\x00\x00\x00sizeq\x06K\x01u}q\x07(h\x04K\x03h\x06K\x02ues.";

#[derive(serde::Deserialize, serde::Serialize, Debug, PartialEq)]
struct Record {
    name: String,
    size: u32,
}

#[derive(serde::Deserialize, Debug)]
struct Records {
    #[allow(dead_code, reason = "only the error is looked at")]
    records: Vec<Record>,
}

#[test]
fn one_error_type_joins_the_graph_and_serde_paths() {
    fn both(data: &[u8]) -> Result<(usize, Vec<u8>), brine::Error> {
        let graph = brine::loads(data)?;
        let records: Records = brine::from_slice(data)?;
        Ok((graph.len(), brine::to_vec(&records.records.len())?))
    }
    let err = both(RECORDS).unwrap_err();
    assert!(matches!(err, brine::Error::Serde(_)), "{err:?}");
    assert_eq!(err.path(), Some("records[1].name"), "{err}");
    assert_eq!(err.offset(), None, "a type error is not at an opcode");
    let text = err.to_string();
    assert!(
        text.contains("records[1].name") && text.contains("found python int"),
        "{text}"
    );
    let source = std::error::Error::source(&err).expect("the serde error is the source");
    assert_eq!(source.to_string(), text);

    // A load error through the serde path keeps its offset and opcode.
    let err = brine::from_slice::<u8>(b"\x80\x02K\x01\xff.").unwrap_err();
    assert_eq!(
        (err.offset(), err.opcode()),
        (Some(4), Some(brine::Opcode(0xff)))
    );
}

#[test]
fn the_serde_path_at_the_root_writes_what_python_writes() {
    let record = Record {
        name: "a".into(),
        size: 1,
    };
    // pickle.dumps({'name': 'a', 'size': 1}, protocol=4)
    let pickle = brine::to_vec(&record).unwrap();
    assert_eq!(
        pickle,
        b"\x80\x04\x95\x19\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x04name\x94\x8c\x01a\x94\x8c\x04size\x94K\x01u."
    );
    assert_eq!(brine::from_slice::<Record>(&pickle).unwrap(), record);
    let mut out = Vec::new();
    brine::to_writer(&mut out, &record).unwrap();
    assert_eq!(out, pickle);
    assert_eq!(brine::from_reader::<_, Record>(&out[..]).unwrap(), record);
    let p2 = brine::to_vec_with(&record, &brine::Options::protocol(2)).unwrap();
    assert_eq!(brine::dumps(&brine::loads(&p2).unwrap()).unwrap(), pickle);
}

#[test]
fn the_serde_path_takes_the_find_class_policy() {
    // os.system('echo pwned'), protocol 0
    let hostile = b"cposix\nsystem\n(S'echo pwned'\ntR.";
    // The default keeps the global as a name and says what it found, running nothing.
    let err = brine::from_slice::<String>(hostile).unwrap_err();
    assert!(err.to_string().contains("call of posix.system"), "{err}");
    let mut options = brine::Options::default();
    options.find_class = brine::FindClass::AllowList(brine::AllowList::new().module("builtins"));
    let err = brine::from_slice_with::<String>(hostile, &options).unwrap_err();
    assert_eq!(err.offset(), Some(0), "refused at the GLOBAL: {err}");
    assert!(err.to_string().contains("posix"), "{err}");
    // An allowed global still loads.
    let set: Vec<i64> =
        brine::from_slice_with(b"c__builtin__\nset\n((lp0\nI1\natR.", &options).unwrap();
    assert_eq!(set, [1]);
}

#[test]
fn a_sub_value_prints_and_compares_by_identity() {
    // x = [1]; pickle.dumps([x, x, [1]], protocol=2)
    let graph = brine::loads(b"\x80\x02]q\x00(]q\x01K\x01ah\x01]q\x02K\x01ae.").unwrap();
    let root = graph.root();
    let (a, b, c) = (
        root.index(0).unwrap(),
        root.index(1).unwrap(),
        root.index(2).unwrap(),
    );
    assert_eq!(format!("{a:?}"), "[1]");
    assert!(a.is(&b) && !a.is(&c) && !c.is(&a));
    assert!(
        graph
            .get(&brine::Value::None)
            .is(&graph.get(&brine::Value::None))
    );
    assert!(
        !graph
            .get(&brine::Value::Int(1))
            .is(&graph.get(&brine::Value::Int(1)))
    );
}

#[test]
fn the_serde_path_decompresses_when_asked_as_the_graph_path_does() {
    use brine::compress::{Codec, Level};
    let record = Record {
        name: "a".into(),
        size: 1,
    };
    let plain = brine::to_vec(&record).unwrap();
    for codec in [Codec::Gzip, Codec::Bz2, Codec::Xz, Codec::Zstd, Codec::Lz4] {
        let packed = brine::compress::compress(&plain, codec, Level::Default).unwrap();
        // As pickle.loads: compressed bytes are not a pickle, unless decompression is asked.
        assert!(brine::from_slice::<Record>(&packed).is_err(), "{codec}");
        let mut options = brine::Options::default();
        options.decompress = Some(Default::default());
        assert_eq!(
            brine::from_slice_with::<Record>(&packed, &options).unwrap(),
            record,
            "{codec}"
        );
        assert_eq!(
            brine::from_reader_with::<_, Record>(&packed[..], &options).unwrap(),
            record,
            "{codec}"
        );
        // Plain pickles pass through.
        assert_eq!(
            brine::from_slice_with::<Record>(&plain, &options).unwrap(),
            record
        );
        // The graph path follows the same rule.
        assert!(brine::loads(&packed).is_err());
        let graph = brine::Unpickler::new()
            .decompress(Default::default())
            .loads(&packed)
            .unwrap();
        assert_eq!(graph, brine::loads(&plain).unwrap(), "{codec}");
    }
}
