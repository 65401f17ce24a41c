//! The committed CPython corpus (`fixtures/`): every producer and protocol of an object reads
//! into the Rust type it stands for, and where the Rust value maps to the same Python objects,
//! writing it gives the reference (py311) bytes.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Debug;

use brine_serde::{ErrorKind, Options, PyClass, PyInstance};
use brine_testdata::Fixture;
use brine_value::StringEncoding;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

fn fixtures(object: &str) -> Vec<Fixture> {
    let found: Vec<Fixture> = brine_testdata::all()
        .into_iter()
        .filter(|fixture| fixture.object == object)
        .collect();
    assert!(!found.is_empty(), "no fixture {object}");
    found
}

/// Every fixture of `object` reads as `expect`, from a slice and from a reader. Returns how
/// many fixtures were read.
fn check<T: DeserializeOwned + PartialEq + Debug>(
    object: &str,
    options: &Options,
    expect: &T,
) -> usize {
    let all = fixtures(object);
    for fixture in &all {
        let data = fixture.bytes();
        let from_slice: T = brine_serde::from_slice(&data, options)
            .unwrap_or_else(|err| panic!("{}: {err}", fixture.name()));
        assert_eq!(&from_slice, expect, "{}", fixture.name());
        let from_reader: T = brine_serde::from_reader(&data[..], options)
            .unwrap_or_else(|err| panic!("{} (reader): {err}", fixture.name()));
        assert_eq!(&from_reader, expect, "{} (reader)", fixture.name());
    }
    all.len()
}

/// Writing `value` at each protocol of the py311 fixtures of `object` gives their bytes.
fn check_bytes<T: Serialize + ?Sized>(object: &str, options: &Options, value: &T) -> usize {
    let mut count = 0;
    for fixture in fixtures(object) {
        if fixture.producer != "py311" || fixture.variant != "plain" {
            continue;
        }
        let mut options = options.clone();
        options.protocol = fixture.protocol;
        let written = brine_serde::to_vec(value, &options).unwrap();
        assert_eq!(written, fixture.bytes(), "{}", fixture.name());
        count += 1;
    }
    assert!(count > 0, "no py311 fixture of {object}");
    count
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct DictSmall {
    a: i64,
    b: Vec<i64>,
    c: Option<i64>,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Plain {
    a: i64,
    b: String,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Slots {
    x: i64,
    y: String,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Point(i64, String);

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct PointFields {
    x: i64,
    y: String,
}

fn plain_options() -> Options {
    Options::default().class("Plain", PyClass::new("brine_fixtures", "Plain"))
}

#[test]
fn dicts() {
    let expect = DictSmall {
        a: 1,
        b: vec![2, 3],
        c: None,
    };
    assert!(check("dict_small", &Options::default(), &expect) >= 17);
    check_bytes("dict_small", &Options::default(), &expect);
    check(
        "dict_empty",
        &Options::default(),
        &BTreeMap::<String, i64>::new(),
    );
    check_bytes(
        "dict_empty",
        &Options::default(),
        &BTreeMap::<String, i64>::new(),
    );

    let large: BTreeMap<i64, String> = (0..1500).map(|i| (i, format!("v{i}"))).collect();
    check("dict_large", &Options::default(), &large);
    check_bytes("dict_large", &Options::default(), &large);
    let hashed: HashMap<i64, String> = large.into_iter().collect();
    check("dict_large", &Options::default(), &hashed);
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(untagged)]
enum Key {
    Int(i64),
    Str(String),
    Tuple((i64,)),
    None(()),
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
enum Item {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
}

#[test]
fn dict_with_mixed_keys() {
    let expect = BTreeMap::from([
        (Key::Int(1), Item::Str("one".into())),
        (Key::Str("two".into()), Item::Int(2)),
        (Key::Tuple((3,)), Item::Float(3.0)),
        (Key::None(()), Item::Bool(false)),
    ]);
    check("dict_mixed_keys", &Options::default(), &expect);
}

#[test]
fn lists_and_tuples() {
    let large: Vec<i64> = (0..1500).collect();
    check("list_large", &Options::default(), &large);
    check_bytes("list_large", &Options::default(), &large);
    check("list_empty", &Options::default(), &Vec::<i64>::new());
    check(
        "list_small",
        &Options::default(),
        &(1, "two".to_owned(), 3.0, (), true),
    );
    check("tuple_0", &Options::default(), &());
    check("tuple_3", &Options::default(), &(1u8, 2u16, 3u32));
    check_bytes("tuple_3", &Options::default(), &(1, 2, 3));
    check(
        "tuple_10",
        &Options::default(),
        &(0..10).collect::<Vec<i64>>(),
    );
    check(
        "tuple_10",
        &Options::default(),
        &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
}

#[test]
fn sets() {
    let small: BTreeSet<i64> = [1, 2, 3].into();
    check("set_small", &Options::default(), &small);
    check(
        "set_small",
        &Options::default(),
        &small.iter().copied().collect::<HashSet<i64>>(),
    );
    check("set_small", &Options::default(), &vec![1, 2, 3]);
    #[derive(Serialize)]
    struct AsSet(#[serde(with = "brine_serde::as_set")] BTreeSet<i64>);
    check_bytes("set_small", &Options::default(), &AsSet(small.clone()));
    #[derive(Serialize)]
    struct AsFrozenSet(#[serde(with = "brine_serde::as_frozenset")] BTreeSet<i64>);
    check("frozenset_small", &Options::default(), &small);
    check_bytes(
        "frozenset_small",
        &Options::default(),
        &AsFrozenSet(small.clone()),
    );
    check("set_empty", &Options::default(), &BTreeSet::<i64>::new());
    check_bytes("set_empty", &Options::default(), &AsSet(BTreeSet::new()));
    check(
        "frozenset_empty",
        &Options::default(),
        &BTreeSet::<i64>::new(),
    );
    let strs: BTreeSet<String> = ["a", "b", "c"].map(String::from).into();
    check("set_str", &Options::default(), &strs);
    let large: BTreeSet<i64> = (0..1500).collect();
    check("set_large", &Options::default(), &large);
    check_bytes("set_large", &Options::default(), &AsSet(large.clone()));
}

#[test]
fn instances_into_structs() {
    let plain = Plain {
        a: 1,
        b: "two".into(),
    };
    check("class_plain", &Options::default(), &plain);
    check_bytes("class_plain", &plain_options(), &plain);
    let shared = vec![
        Plain {
            a: 1,
            b: "a".into(),
        },
        Plain {
            a: 2,
            b: "b".into(),
        },
    ];
    check("class_plain_shared_class", &Options::default(), &shared);
    check_bytes("class_plain_shared_class", &plain_options(), &shared);

    let slots = Slots {
        x: 1,
        y: "why".into(),
    };
    check("class_slots", &Options::default(), &slots);
    let slots_options =
        Options::default().class("Slots", PyClass::slots("brine_fixtures", "Slots"));
    check_bytes("class_slots", &slots_options, &slots);

    // Python 2's old-style classes: INST at protocol 0, OBJ at 1 and 2.
    #[derive(Debug, PartialEq, Deserialize)]
    struct OldStyle {
        a: i64,
        b: String,
    }
    check(
        "class_oldstyle",
        &Options::default(),
        &OldStyle {
            a: 1,
            b: "old".into(),
        },
    );

    #[derive(Debug, PartialEq, Deserialize)]
    struct Inner {
        value: i64,
    }
    check("class_nested", &Options::default(), &Inner { value: 7 });
    #[derive(Serialize)]
    struct Nested {
        value: i64,
    }
    let nested_options =
        Options::default().class("Nested", PyClass::new("brine_fixtures", "Outer.Inner"));
    check_bytes("class_nested", &nested_options, &Nested { value: 7 });
    let inner: PyInstance<BTreeMap<String, i64>> =
        brine_serde::from_slice(&fixtures("class_nested")[0].bytes(), &Options::default()).unwrap();
    assert_eq!(
        (inner.module.as_str(), inner.qualname.as_str()),
        ("brine_fixtures", "Outer.Inner")
    );
}

#[test]
fn instances_with_arguments_and_states() {
    // A namedtuple: a tuple, or a struct by position.
    let point = Point(1, "two".into());
    check("namedtuple", &Options::default(), &point);
    check("namedtuple", &Options::default(), &(1, "two".to_owned()));
    check(
        "namedtuple",
        &Options::default(),
        &PointFields {
            x: 1,
            y: "two".into(),
        },
    );
    let point_options = Options::default().class("Point", PyClass::new("brine_fixtures", "Point"));
    check_bytes("namedtuple", &point_options, &point);

    // __getstate__ returning a tuple: a newtype struct mapped to the class has it as its value.
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct GetState((i64, String));
    let state = GetState((3, "state".into()));
    check("class_getstate", &Options::default(), &state);
    let state_options =
        Options::default().class("GetState", PyClass::new("brine_fixtures", "GetState"));
    check_bytes("class_getstate", &state_options, &state);
    let instance = PyInstance::new("brine_fixtures", "GetState", (3, "state".to_owned()));
    check("class_getstate", &Options::default(), &instance);
    check_bytes("class_getstate", &Options::default(), &instance);

    // __reduce__ calling the class: the arguments by position.
    #[derive(Debug, PartialEq, Deserialize)]
    struct Reduce {
        first: i64,
        second: Vec<i64>,
    }
    check(
        "class_reduce",
        &Options::default(),
        &Reduce {
            first: 1,
            second: vec![2],
        },
    );
    // __getnewargs__: NEWOBJ with arguments, and the __dict__ as state.
    #[derive(Debug, PartialEq, Deserialize)]
    struct GetNewArgs {
        a: i64,
        b: String,
    }
    check(
        "class_getnewargs",
        &Options::default(),
        &GetNewArgs {
            a: 1,
            b: "b".into(),
        },
    );
    // __getnewargs__ is used from protocol 2: the arguments, as a tuple.
    for fixture in fixtures("class_getnewargs")
        .iter()
        .filter(|fixture| fixture.protocol >= 2)
    {
        let args: (i64, String) =
            brine_serde::from_slice(&fixture.bytes(), &Options::default()).unwrap();
        assert_eq!(args, (1, "b".to_owned()), "{}", fixture.name());
    }
    // All five items of a reduce tuple: the state, the list items, the dict items.
    let reduce_ex = fixtures("class_reduce_ex");
    for fixture in &reduce_ex {
        let data = fixture.bytes();
        let items: (i64, String) = brine_serde::from_slice(&data, &Options::default()).unwrap();
        assert_eq!(items, (1, "two".to_owned()), "{}", fixture.name());
        let mapping: BTreeMap<String, i64> =
            brine_serde::from_slice(&data, &Options::default()).unwrap();
        assert_eq!(
            mapping,
            BTreeMap::from([("k".to_owned(), 3)]),
            "{}",
            fixture.name()
        );
    }
}

/// A map in the order its pairs come, to check OrderedDict order.
#[derive(Debug, PartialEq)]
struct InOrder(Vec<(String, i64)>);

impl<'de> Deserialize<'de> for InOrder {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<InOrder, D::Error> {
        struct Pairs;
        impl<'de> serde::de::Visitor<'de> for Pairs {
            type Value = InOrder;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<InOrder, A::Error> {
                let mut pairs = Vec::new();
                while let Some(pair) = map.next_entry()? {
                    pairs.push(pair);
                }
                Ok(InOrder(pairs))
            }
        }
        deserializer.deserialize_map(Pairs)
    }
}

#[test]
fn collections_module() {
    let ordered = InOrder(vec![("b".into(), 1), ("a".into(), 2)]);
    assert!(check("ordereddict", &Options::default(), &ordered) >= 17);
    check(
        "ordereddict_empty",
        &Options::default(),
        &InOrder(Vec::new()),
    );
    check(
        "counter",
        &Options::default(),
        &BTreeMap::from([
            ("a".to_owned(), 3),
            ("b".to_owned(), 1),
            ("c".to_owned(), 1),
        ]),
    );
    check(
        "defaultdict_int",
        &Options::default(),
        &BTreeMap::from([("x".to_owned(), 3)]),
    );
    check(
        "defaultdict_list",
        &Options::default(),
        &BTreeMap::from([("a".to_owned(), vec![1, 2])]),
    );
    check("deque", &Options::default(), &vec![1, 2, 3]);
    check(
        "deque_maxlen",
        &Options::default(),
        &std::collections::VecDeque::from([1, 2, 3]),
    );
}

#[test]
fn nested() {
    #[derive(Debug, PartialEq, Deserialize)]
    struct Inner {
        x: i64,
    }
    #[derive(Debug, PartialEq, Deserialize)]
    struct DictPart {
        inner: Inner,
    }
    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(untagged)]
    enum Tree {
        Int(i64),
        List(Vec<Tree>),
    }
    #[derive(Debug, PartialEq, Deserialize)]
    struct Nested {
        list: (i64, Tree),
        tuple: ((), ((),)),
        dict: DictPart,
        frozenset: BTreeSet<(i64, i64)>,
    }
    let expect = Nested {
        list: (
            1,
            Tree::List(vec![
                Tree::Int(2),
                Tree::List(vec![Tree::Int(3), Tree::List(vec![])]),
            ]),
        ),
        tuple: ((), ((),)),
        dict: DictPart {
            inner: Inner { x: 1 },
        },
        frozenset: [(1, 2)].into(),
    };
    check("nested", &Options::default(), &expect);

    #[derive(Debug, PartialEq, Deserialize)]
    struct Deep(Vec<Deep>);
    let mut deep = Deep(Vec::new());
    for _ in 0..100 {
        deep = Deep(vec![deep]);
    }
    check("nested_deep", &Options::default(), &deep);
}

#[test]
fn scalars() {
    for (object, value) in [
        ("int_0", 0i128),
        ("int_255", 255),
        ("int_m2p31m1", -(1 << 31) - 1),
        ("int_2p63", 1 << 63),
        ("int_m2p63m1", -(1 << 63) - 1),
        ("int_2p64", 1 << 64),
        ("int_m2p64", -(1 << 64)),
    ] {
        check(object, &Options::default(), &value);
    }
    check("int_2p64m1", &Options::default(), &u64::MAX);
    check("int_2p64m1", &Options::default(), &u128::from(u64::MAX));
    check("bool_true", &Options::default(), &true);
    check("none", &Options::default(), &());
    check("none", &Options::default(), &None::<i64>);
    for fixture in fixtures("int_10p1000") {
        let err =
            brine_serde::from_slice::<i128>(&fixture.bytes(), &Options::default()).unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::IntTooLarge), "{err}");
    }
    check("float_1_5", &Options::default(), &1.5f64);
    check("float_1_5", &Options::default(), &1.5f32);
    check("float_minf", &Options::default(), &f64::NEG_INFINITY);
    check("float_5em324", &Options::default(), &5e-324);
    for fixture in fixtures("float_nan") {
        let nan: f64 = brine_serde::from_slice(&fixture.bytes(), &Options::default()).unwrap();
        assert!(nan.is_nan());
    }
    // An int where a float is expected.
    check("int_255", &Options::default(), &255.0f64);
    check("int_2p64", &Options::default(), &18446744073709551616.0f64);
    // bool where an int is expected: True is 1.
    check("bool_true", &Options::default(), &1u8);
}

#[test]
fn text() {
    for (object, text) in [
        ("str_empty", ""),
        ("str_ascii", "hello world"),
        ("str_latin1", "caf\u{e9}"),
        ("str_bmp", "\u{4e2d}\u{6587}"),
        ("str_astral", "\u{1F600}"),
        ("str_escapes", "a\nb\\c'd\"e\0f\tg\x7fh\r\\u0041"),
        ("str_u2028", "\u{2028}"),
    ] {
        check(object, &Options::default(), &text.to_owned());
        check_bytes(object, &Options::default(), text);
    }
    check("str_256", &Options::default(), &"s".repeat(256));
    let one_char = fixtures("str_latin1_high").len();
    assert!(one_char > 0);
    // A surrogate pair written as two code units is two lone surrogates in Python 3 too; a
    // narrow Python 2 build wrote it as the one astral character in UTF-8 (protocols 1 and 2;
    // at 0, raw-unicode-escape keeps the two escapes, which Python 3 reads as two surrogates).
    for fixture in fixtures("str_surrogate_pair") {
        let text: Result<String, _> =
            brine_serde::from_slice(&fixture.bytes(), &Options::default());
        if fixture.producer == "py27" && fixture.protocol > 0 {
            assert_eq!(text.unwrap(), "\u{1F600}", "{}", fixture.name());
        } else {
            let err = text.unwrap_err();
            assert!(
                matches!(err.kind(), ErrorKind::LoneSurrogate),
                "{}",
                fixture.name()
            );
        }
    }
    for fixture in ["str_lone_high_surrogate", "str_lone_low_surrogate"]
        .into_iter()
        .flat_map(fixtures)
    {
        let err =
            brine_serde::from_slice::<String>(&fixture.bytes(), &Options::default()).unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::LoneSurrogate), "{err}");
    }
}

#[test]
fn python2_strings() {
    let mut latin1 = Options::default();
    latin1.encoding = StringEncoding::Latin1;
    check(
        "py2str_ascii",
        &Options::default(),
        &"hello world".to_owned(),
    );
    check(
        "py2str_nonascii",
        &latin1,
        &"caf\u{c3}\u{a9} \u{e9}\u{ff}\0".to_owned(),
    );
    check(
        "py2str_unicode_mixed",
        &latin1,
        &vec![
            "bytes".to_owned(),
            "text".into(),
            "caf\u{c3}\u{a9}".into(),
            "caf\u{e9}".into(),
        ],
    );
    let mut as_bytes = Options::default();
    as_bytes.encoding = StringEncoding::Bytes;
    check(
        "py2str_nonascii",
        &as_bytes,
        &ByteBuf::from(b"caf\xc3\xa9 \xe9\xff\x00".to_vec()),
    );
    for fixture in fixtures("py2str_nonascii") {
        // The pickle loads (its Python 2 str kept as written); reading it as text is where
        // the ASCII encoding fails, as Python 3's loads would.
        let err =
            brine_serde::from_slice::<String>(&fixture.bytes(), &Options::default()).unwrap_err();
        assert!(
            err.to_string().contains("not valid ascii at position 3"),
            "{err}"
        );
    }
}

#[test]
fn bytes() {
    let large = fixtures("bytes_large")[0].bytes();
    assert!(large.len() > 70_000);
    for (name, data) in [
        ("empty", b"".to_vec()),
        ("00ff", b"\x00\xff".to_vec()),
        ("printable", b"hello world".to_vec()),
        ("quotes_backslash", b"it's \"quoted\" \\ done".to_vec()),
        ("255", (0..255).collect()),
        ("256", (0..=255).collect()),
    ] {
        let buf = ByteBuf::from(data.clone());
        check(&format!("bytes_{name}"), &Options::default(), &buf);
        check_bytes(&format!("bytes_{name}"), &Options::default(), &buf);
        check(&format!("bytearray_{name}"), &Options::default(), &buf);
        // Without serde_bytes, a Vec<u8> reads bytes as ints.
        check(&format!("bytes_{name}"), &Options::default(), &data);
    }
}

#[test]
fn cycles_are_errors() {
    for object in [
        "list_self_ref",
        "dict_self_ref",
        "class_self_ref",
        "tuple_recursive",
        "list_tuple_cycle",
    ] {
        for fixture in fixtures(object) {
            #[derive(Debug, Deserialize)]
            #[serde(untagged)]
            #[allow(dead_code)] // reason: only the error matters
            enum Any {
                Int(i64),
                List(Vec<Any>),
                Map(BTreeMap<String, Any>),
            }
            let err =
                brine_serde::from_slice::<Any>(&fixture.bytes(), &Options::default()).unwrap_err();
            assert!(
                matches!(err.kind(), ErrorKind::Cycle),
                "{}: {err}",
                fixture.name()
            );
            let err = brine_serde::from_slice::<serde::de::IgnoredAny>(
                &fixture.bytes(),
                &Options::default(),
            );
            assert!(err.is_ok(), "ignoring reads nothing");
        }
    }
    for fixture in fixtures("list_self_ref") {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)] // reason: only the error matters
        struct Rec(i64, Vec<Rec>);
        let err =
            brine_serde::from_slice::<Rec>(&fixture.bytes(), &Options::default()).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::Cycle),
            "{}: {err}",
            fixture.name()
        );
        assert_eq!(err.path(), Some("[1]"), "{}", fixture.name());
    }
}

/// Any value of the data model, as a self-describing format reads it.
#[derive(Debug)]
#[allow(dead_code)] // reason: read for its `Debug` and to walk everything
enum Any {
    Unit,
    Bool(bool),
    Int(i128),
    UInt(u128),
    Float(f64),
    Str(String),
    Bytes(Vec<u8>),
    Seq(Vec<Any>),
    Map(Vec<(Any, Any)>),
}

impl<'de> Deserialize<'de> for Any {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Any, D::Error> {
        struct AnyVisitor;
        impl<'de> serde::de::Visitor<'de> for AnyVisitor {
            type Value = Any;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("anything")
            }
            fn visit_unit<E>(self) -> Result<Any, E> {
                Ok(Any::Unit)
            }
            fn visit_none<E>(self) -> Result<Any, E> {
                Ok(Any::Unit)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Any, E> {
                Ok(Any::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Any, E> {
                Ok(Any::Int(v.into()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Any, E> {
                Ok(Any::Int(v.into()))
            }
            fn visit_i128<E>(self, v: i128) -> Result<Any, E> {
                Ok(Any::Int(v))
            }
            fn visit_u128<E>(self, v: u128) -> Result<Any, E> {
                Ok(Any::UInt(v))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Any, E> {
                Ok(Any::Float(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Any, E> {
                Ok(Any::Str(v.to_owned()))
            }
            fn visit_bytes<E>(self, v: &[u8]) -> Result<Any, E> {
                Ok(Any::Bytes(v.to_vec()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Any, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Any::Seq(items))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Any, A::Error> {
                let mut pairs = Vec::new();
                while let Some(pair) = map.next_entry()? {
                    pairs.push(pair);
                }
                Ok(Any::Map(pairs))
            }
        }
        deserializer.deserialize_any(AnyVisitor)
    }
}

/// Every fixture of the corpus, and every truncation of the small ones, reads as a
/// self-describing value or fails with an error: never a panic. What fails is what the data
/// model has no place for.
#[test]
fn whole_corpus_reads_or_fails_cleanly() {
    let mut n_ok = 0;
    let mut n_failed = 0;
    for fixture in brine_testdata::all() {
        let data = fixture.bytes();
        let mut options = Options::default();
        options.encoding = StringEncoding::Latin1;
        match brine_serde::from_slice::<Any>(&data, &options) {
            Ok(_) => n_ok += 1,
            Err(err) => {
                n_failed += 1;
                let expected_failure = matches!(
                    err.kind(),
                    ErrorKind::Unsupported(_)
                        | ErrorKind::Cycle
                        | ErrorKind::LoneSurrogate
                        | ErrorKind::IntTooLarge
                ) || matches!(
                    err.kind(),
                    // Extension codes need the registry brine_fixtures registers.
                    ErrorKind::Load(load) if load.to_string().contains("extension")
                );
                assert!(expected_failure, "{}: {err}", fixture.name());
            }
        }
        if data.len() < 200 {
            for end in 0..data.len() {
                let _ = brine_serde::from_slice::<Any>(&data[..end], &options);
            }
        }
    }
    assert!(n_ok > 3000, "{n_ok} read, {n_failed} failed");
    eprintln!("corpus: {n_ok} fixtures read as self-describing values, {n_failed} refused cleanly");
}
