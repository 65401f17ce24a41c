//! The two sinks of the one serde mapping against each other: for any serde value, at every
//! protocol, `to_vec` (the byte sink, written while the value serializes) gives the bytes of
//! `to_value` (the graph sink) pickled by `brine_encode::to_vec`, or the same error. The
//! values stress what the byte sink must decide before the graph pickler knows it: lists
//! and dicts of 1, 999, 1000, 1001 and 2000 items, sequences and maps that do not announce their length, instance states that turn out
//! empty, the shared one-character strings, and frames (strings and bytes over 64 KiB, lists
//! whose MARK is pending across a frame's end).

use std::collections::BTreeMap;

use brine_serde::{Options, PyClass, PyInstance};
use proptest::prelude::*;
use serde::ser::{SerializeMap, SerializeSeq, SerializeStruct, SerializeStructVariant};
use serde::ser::{SerializeTuple, SerializeTupleStruct, SerializeTupleVariant};
use serde::{Serialize, Serializer};

use crate::roundtrip::{instance_options, record};

/// Field, variant and class names: `&'static str`, some of one character (shared in CPython).
const NAMES: [&str; 6] = ["a", "name", "é", "b", "Ω", "x"];

/// A serde value of any shape, serialized by hand so that one type reaches every part of
/// serde's data model.
#[derive(Debug, Clone)]
enum V {
    None,
    Bool(bool),
    Int(i64),
    Big(i128),
    Huge(u128),
    Float(f64),
    Char(char),
    Str(String),
    Bytes(Vec<u8>),
    /// A sequence that announces its length.
    List(Vec<V>),
    /// A sequence that does not.
    Unsized(Vec<V>),
    Tuple(Vec<V>),
    Map(Vec<(V, V)>),
    UnsizedMap(Vec<(V, V)>),
    Set(Vec<V>),
    FrozenSet(Vec<V>),
    /// A struct named `NAMES[.0]`-ish: `Plain` (a dict), or one of the classes of
    /// [`options`].
    Struct(&'static str, Vec<(&'static str, V)>),
    /// A newtype struct; `Wrapped` is a class, `Clear` is not.
    Newtype(&'static str, Box<V>),
    /// A unit struct; `Unit` is a class.
    UnitStruct(&'static str),
    /// A tuple struct; `Point` is a class (a namedtuple).
    TupleStruct(&'static str, Vec<V>),
    /// An enum's variants.
    UnitVariant(&'static str),
    NewtypeVariant(&'static str, Box<V>),
    TupleVariant(&'static str, Vec<V>),
    StructVariant(&'static str, Vec<(&'static str, V)>),
    Instance(PyInstance<Box<V>>),
}

impl Serialize for V {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            V::None => s.serialize_none(),
            V::Bool(v) => s.serialize_bool(*v),
            V::Int(v) => s.serialize_i64(*v),
            V::Big(v) => s.serialize_i128(*v),
            V::Huge(v) => s.serialize_u128(*v),
            V::Float(v) => s.serialize_f64(*v),
            V::Char(v) => s.serialize_char(*v),
            V::Str(v) => s.serialize_str(v),
            V::Bytes(v) => s.serialize_bytes(v),
            V::List(items) => s.collect_seq(items),
            V::Unsized(items) => {
                let mut seq = s.serialize_seq(None)?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            V::Tuple(items) => {
                let mut tuple = s.serialize_tuple(items.len())?;
                for item in items {
                    tuple.serialize_element(item)?;
                }
                tuple.end()
            }
            V::Map(pairs) => s.collect_map(pairs.iter().map(|(k, v)| (k, v))),
            V::UnsizedMap(pairs) => {
                let mut map = s.serialize_map(None)?;
                for (key, value) in pairs {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
            V::Set(items) => brine_serde::as_set::serialize(items, s),
            V::FrozenSet(items) => brine_serde::as_frozenset::serialize(items, s),
            V::Struct(name, fields) => {
                let mut st = s.serialize_struct(name, fields.len())?;
                for (key, value) in fields {
                    st.serialize_field(key, value)?;
                }
                st.end()
            }
            V::Newtype(name, value) => s.serialize_newtype_struct(name, value),
            V::UnitStruct(name) => s.serialize_unit_struct(name),
            V::TupleStruct(name, items) => {
                let mut ts = s.serialize_tuple_struct(name, items.len())?;
                for item in items {
                    ts.serialize_field(item)?;
                }
                ts.end()
            }
            V::UnitVariant(variant) => s.serialize_unit_variant("E", 0, variant),
            V::NewtypeVariant(variant, value) => {
                s.serialize_newtype_variant("E", 1, variant, value)
            }
            V::TupleVariant(variant, items) => {
                let mut tv = s.serialize_tuple_variant("E", 2, variant, items.len())?;
                for item in items {
                    tv.serialize_field(item)?;
                }
                tv.end()
            }
            V::StructVariant(variant, fields) => {
                let mut sv = s.serialize_struct_variant("E", 3, variant, fields.len())?;
                for (key, value) in fields {
                    sv.serialize_field(key, value)?;
                }
                sv.end()
            }
            V::Instance(instance) => instance.serialize(s),
        }
    }
}

/// The classes the values name: a plain class, slots, a nested class (getattr below
/// protocol 4), a one-character module (shared str at protocols 4 and 5).
fn options() -> Options {
    Options::default()
        .class("Plain", PyClass::new("app.models", "Plain"))
        .class("Slots", PyClass::slots("app.models", "Slots"))
        .class("Nested", PyClass::new("app.models", "Outer.Inner"))
        .class("Wrapped", PyClass::new("m", "Wrapped"))
        .class("Unit", PyClass::new("m", "Unit"))
        .class("Point", PyClass::new("app.geometry", "Point"))
}

/// The bytes (or error) of both paths for `value` at every protocol must agree.
fn check<T: ?Sized + Serialize>(value: &T, options: &Options) -> Result<(), TestCaseError> {
    for protocol in 0..=5 {
        let mut options = options.clone();
        options.protocol = protocol;
        let direct = brine_serde::to_vec(value, &options);
        let mut encode = brine_encode::Options::protocol(protocol);
        encode.fix_imports = options.fix_imports;
        let graph = brine_serde::to_value(value, &options)
            .and_then(|graph| Ok(brine_encode::to_vec(&graph, &encode)?));
        match (direct, graph) {
            (Ok(direct), Ok(graph)) => {
                if direct != graph {
                    let at = direct
                        .iter()
                        .zip(&graph)
                        .take_while(|(a, b)| a == b)
                        .count();
                    return Err(TestCaseError::fail(format!(
                        "protocol {protocol}: {} bytes direct, {} by the graph, first \
                         difference at {at}: direct {:?}, graph {:?}",
                        direct.len(),
                        graph.len(),
                        &direct[at.saturating_sub(8)..(at + 24).min(direct.len())],
                        &graph[at.saturating_sub(8)..(at + 24).min(graph.len())],
                    )));
                }
                let mut written = Vec::new();
                brine_serde::to_writer(&mut written, value, &options)
                    .map_err(|err| TestCaseError::fail(err.to_string()))?;
                prop_assert_eq!(written, direct, "protocol {}: to_writer", protocol);
            }
            (Err(direct), Err(graph)) => {
                prop_assert_eq!(
                    direct.to_string(),
                    graph.to_string(),
                    "protocol {}",
                    protocol
                );
            }
            (direct, graph) => {
                return Err(TestCaseError::fail(format!(
                    "protocol {protocol}: direct {:?}, graph {:?}",
                    direct.map(|b| b.len()),
                    graph.map(|b| b.len())
                )));
            }
        }
    }
    Ok(())
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        // The str CPython shares, and their neighbours.
        prop::sample::select(vec!["", "a", "é", "ÿ", "Ā", "ab", "name", "\n", "\\"])
            .prop_map(str::to_owned),
        "[a-zé]{0,6}",
        any::<String>(),
    ]
}

fn name() -> impl Strategy<Value = &'static str> {
    prop::sample::select(NAMES.to_vec())
}

fn leaf() -> impl Strategy<Value = V> {
    prop_oneof![
        Just(V::None),
        any::<bool>().prop_map(V::Bool),
        prop_oneof![any::<i64>(), -300..300i64, Just(i64::from(i32::MIN) - 1)].prop_map(V::Int),
        prop_oneof![any::<i128>(), Just(i128::MIN)].prop_map(V::Big),
        any::<u128>().prop_map(V::Huge),
        prop_oneof![any::<f64>(), Just(f64::NAN), Just(-0.0)].prop_map(V::Float),
        any::<char>().prop_map(V::Char),
        text().prop_map(V::Str),
        prop::collection::vec(any::<u8>(), 0..3).prop_map(V::Bytes),
        prop::collection::vec(any::<u8>(), 0..300).prop_map(V::Bytes),
        name().prop_map(V::UnitVariant),
        prop::sample::select(vec!["Unit", "Clear"]).prop_map(V::UnitStruct),
    ]
}

fn fields(inner: impl Strategy<Value = V>) -> impl Strategy<Value = Vec<(&'static str, V)>> {
    prop::collection::vec((name(), inner), 0..4)
}

fn value() -> impl Strategy<Value = V> {
    leaf().prop_recursive(4, 48, 5, |inner| {
        let items = prop::collection::vec(inner.clone(), 0..5);
        let pairs = prop::collection::vec((inner.clone(), inner.clone()), 0..4);
        let struct_name = prop::sample::select(vec!["Plain", "Slots", "Nested", "Record"]);
        prop_oneof![
            items.clone().prop_map(V::List),
            items.clone().prop_map(V::Unsized),
            items.clone().prop_map(V::Tuple),
            pairs.clone().prop_map(V::Map),
            pairs.prop_map(V::UnsizedMap),
            items.clone().prop_map(V::Set),
            items.clone().prop_map(V::FrozenSet),
            (struct_name, fields(inner.clone())).prop_map(|(n, f)| V::Struct(n, f)),
            (
                prop::sample::select(vec!["Wrapped", "Clear"]),
                inner.clone()
            )
                .prop_map(|(n, v)| V::Newtype(n, Box::new(v))),
            (prop::sample::select(vec!["Point", "Pair"]), items.clone())
                .prop_map(|(n, i)| V::TupleStruct(n, i)),
            (name(), inner.clone()).prop_map(|(n, v)| V::NewtypeVariant(n, Box::new(v))),
            (name(), items).prop_map(|(n, i)| V::TupleVariant(n, i)),
            (name(), fields(inner.clone())).prop_map(|(n, f)| V::StructVariant(n, f)),
            (prop::sample::select(vec!["m", "app.models"]), inner)
                .prop_map(|(m, v)| { V::Instance(PyInstance::new(m, "Outer.Inner", Box::new(v))) }),
        ]
    })
}

/// Items of one kind, `len` of them: ints, the shared strs, or dicts.
fn items(kind: u8, len: usize) -> Vec<V> {
    (0..len)
        .map(|i| match kind {
            0 => V::Int(i as i64 * 7 - 500),
            1 => V::Str(["", "a", "é", "ab"][i % 4].to_owned()),
            _ => V::Struct("Plain", vec![("x", V::Int(i as i64))]),
        })
        .collect()
}

/// A length around CPython's batch size, or a small one.
fn batch_len() -> impl Strategy<Value = usize> {
    prop::sample::select(vec![0, 1, 2, 3, 4, 999, 1000, 1001, 1999, 2000, 2001])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_value_writes_as_its_graph(value in value()) {
        check(&value, &options())?;
    }

    #[test]
    fn records_write_as_their_graph(record in record()) {
        check(&record, &Options::default())?;
        check(&record, &instance_options())?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Every container at the lengths where CPython's batches change, known or not up front.
    #[test]
    fn batches_write_as_their_graph(len in batch_len(), kind in 0..3u8, shape in 0..7u8) {
        let items = items(kind, len);
        let keys = |items: Vec<V>| -> Vec<(V, V)> {
            items.into_iter().enumerate().map(|(i, v)| (V::Int(i as i64), v)).collect()
        };
        let value = match shape {
            0 => V::List(items),
            1 => V::Unsized(items),
            2 => V::Map(keys(items)),
            3 => V::UnsizedMap(keys(items)),
            4 => V::Set((0..len as i64).map(V::Int).collect()),
            5 => V::FrozenSet((0..len as i64).map(V::Int).collect()),
            _ => V::Tuple(items),
        };
        check(&value, &options())?;
        // The same container as the first item of an unknown-length list, and nested in one.
        check(&V::Unsized(vec![value.clone()]), &options())?;
        check(&V::Unsized(vec![V::Unsized(vec![value.clone()]), value]), &options())?;
    }

    /// Frames: a prefix that moves where 64 KiB falls, then large str and bytes (written
    /// outside frames) and lists whose first item's MARK is pending while a frame fills.
    #[test]
    fn frames_write_as_their_graph(
        prefix in 0..140_000usize,
        big in 60_000..70_000usize,
        n_ints in prop::sample::select(vec![1usize, 2, 20_000, 40_000]),
        count in 1..3usize,
        shape in 0..4u8,
    ) {
        let first = match shape {
            0 => V::Str("s".repeat(big)),
            1 => V::Bytes(vec![7; big]),
            2 => V::List((0..n_ints as i64).map(V::Int).collect()),
            _ => V::Unsized(vec![V::Unsized((0..n_ints as i64).map(V::Int).collect())]),
        };
        let mut list = vec![first; count];
        list.push(V::Str(String::new()));
        let value = V::Tuple(vec![
            V::Str("p".repeat(prefix)),
            V::Unsized(vec![V::Unsized(list)]),
            V::UnsizedMap(vec![(V::Str("k".into()), V::Bytes(vec![1; big]))]),
        ]);
        check(&value, &options())?;
    }
}

/// A `Serialize` that announces one length and gives another is an error where the layout
/// already written depends on it, and the same bytes as the graph path where it does not.
#[test]
fn wrong_length_hints() {
    struct Lying(Option<usize>, usize);
    impl Serialize for Lying {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut seq = s.serialize_seq(self.0)?;
            for i in 0..self.1 {
                seq.serialize_element(&i)?;
            }
            seq.end()
        }
    }
    let options = Options::protocol(2);
    for (hint, given) in [(1, 2), (2, 1), (1, 0)] {
        let err = brine_serde::to_vec(&Lying(Some(hint), given), &options).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("a container announced {hint} items but was given {given}")
        );
    }
    for (hint, given) in [(Some(5), 2), (Some(0), 3), (None, 1), (None, 2), (None, 0)] {
        let direct = brine_serde::to_vec(&Lying(hint, given), &options).unwrap();
        let graph = brine_serde::to_value(&Lying(hint, given), &options).unwrap();
        let graph = brine_encode::to_vec(&graph, &brine_encode::Options::protocol(2)).unwrap();
        assert_eq!(direct, graph, "{hint:?} {given}");
    }
}

/// A struct of a class that announces fields it does not give: both sinks write the instance
/// with the fields given, and none as no state (no BUILD), as CPython writes an instance whose
/// `__dict__` is empty; the byte writer used to refuse a state announced and not given. Where
/// the layout written for the announced count cannot hold the fields given, it is an error,
/// as for lists.
#[test]
fn struct_field_counts_are_hints() {
    struct Lying(usize, usize);
    impl Serialize for Lying {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut st = s.serialize_struct("Plain", self.0)?;
            for key in &NAMES[..self.1] {
                st.serialize_field(key, &1)?;
            }
            st.end()
        }
    }
    let options = Options::protocol(2).class("Plain", PyClass::new("app.models", "Plain"));
    // pickle.dumps(object.__new__(app.models.Plain), protocol=2)
    let stateless = b"\x80\x02capp.models\nPlain\nq\x00)\x81q\x01.";
    assert_eq!(
        brine_serde::to_vec(&Lying(2, 0), &options).unwrap(),
        stateless
    );
    for (hint, given) in [(2, 0), (1, 0), (5, 0), (3, 2), (4, 5)] {
        check(&Lying(hint, given), &options).unwrap();
    }
    for (hint, given) in [(0, 1), (1, 2)] {
        let err = brine_serde::to_vec(&Lying(hint, given), &options).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("a container announced {hint} items but was given {given}")
        );
    }
}

/// The direct writer's own layouts, spelled out: a list of one item has no MARK even when
/// its length was not announced, and a dict of 1000 pairs ends with an empty batch.
#[test]
fn layouts_in_bytes() {
    let options = Options::protocol(2);
    let one = brine_serde::to_vec(&V::Unsized(vec![V::Int(5)]), &options).unwrap();
    // pickle.dumps([5], protocol=2)
    assert_eq!(one, b"\x80\x02]q\x00K\x05a.");
    let two = brine_serde::to_vec(&V::Unsized(vec![V::Int(5), V::Int(6)]), &options).unwrap();
    // pickle.dumps([5, 6], protocol=2)
    assert_eq!(two, b"\x80\x02]q\x00(K\x05K\x06e.");
    let dict: BTreeMap<u16, ()> = (0..1000).map(|i| (i, ())).collect();
    let pickle = brine_serde::to_vec(&dict, &options).unwrap();
    assert!(pickle.ends_with(b"Nu(u."));
}

/// An instance's state is serialized once, by either sink: whether it is empty (no BUILD)
/// shows while it is written, so nothing looks at it first.
#[test]
fn an_instance_state_serializes_once() {
    use std::cell::Cell;

    struct Counted<'c>(&'c Cell<usize>, Vec<(&'static str, i64)>);
    impl Serialize for Counted<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            self.0.set(self.0.get() + 1);
            s.collect_map(self.1.iter().map(|(k, v)| (k, v)))
        }
    }
    #[derive(Serialize)]
    struct Wrapped<'c>(Counted<'c>);

    let options = options();
    for fields in [vec![], vec![("a", 1)]] {
        for protocol in 0..=5 {
            let mut options = options.clone();
            options.protocol = protocol;
            let calls = Cell::new(0);
            let value = Wrapped(Counted(&calls, fields.clone()));
            brine_serde::to_vec(&value, &options).unwrap();
            assert_eq!(calls.get(), 1, "to_vec, protocol {protocol}");
            brine_serde::to_value(&value, &options).unwrap();
            assert_eq!(calls.get(), 2, "to_value, protocol {protocol}");
        }
    }
}

/// Bytes below protocol 3 are `_codecs.encode(text, 'latin1')`, and CPython's `text` is an
/// object of its own: neither a str of the same one character before it nor one after it is
/// that object (`pickle.dumps([b"p", "p"], protocol=2)` writes `'p'` twice).
#[test]
fn latin1_text_of_bytes_is_not_a_shared_str() {
    #[derive(Serialize)]
    struct Item<'a>(#[serde(with = "serde_bytes")] &'a [u8], &'a str);
    let value = Item(b"p", "p");
    let options = Options::protocol(2);
    // pickle.dumps((b"p", "p"), protocol=2)
    let cpython = b"\x80\x02c_codecs\nencode\nq\x00X\x01\x00\x00\x00pq\x01X\x06\x00\x00\x00latin1\
        q\x02\x86q\x03Rq\x04X\x01\x00\x00\x00pq\x05\x86q\x06.";
    let graph = brine_serde::to_value(&value, &options).unwrap();
    let graph = brine_encode::to_vec(&graph, &brine_encode::Options::protocol(2)).unwrap();
    assert_eq!(graph, cpython);
    // The byte sink writes what the graph path writes: the decoded text is a str of its own.
    let direct = brine_serde::to_vec(&value, &options).unwrap();
    assert_eq!(direct, cpython);
}

/// `collect_seq`, which the mapping writes in a loop of its own, gives the bytes of serde's
/// default: `serialize_seq` with the iterator's length when its size hint is exact, `None`
/// otherwise, then one `serialize_element` per item.
#[test]
fn collected_sequences_write_as_serialized_ones() {
    /// Items `0..n`, the odd ones left out when `filtered` (no exact size hint).
    struct Items {
        n: i64,
        filtered: bool,
        collect: bool,
    }
    impl Serialize for Items {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let keep = |i: &i64| !self.filtered || i % 2 == 0;
            if self.collect {
                return s.collect_seq((0..self.n).filter(keep).map(|i| (i, i as f64)));
            }
            let len = (!self.filtered).then_some(self.n as usize);
            let mut seq = s.serialize_seq(len)?;
            for i in (0..self.n).filter(keep) {
                seq.serialize_element(&(i, i as f64))?;
            }
            seq.end()
        }
    }
    for n in [0, 1, 2, 3, 999, 1000, 1001, 2002, 20_000] {
        for filtered in [false, true] {
            for protocol in 0..=5 {
                let options = Options::protocol(protocol);
                let items = |collect| Items {
                    n,
                    filtered,
                    collect,
                };
                let collected = brine_serde::to_vec(&items(true), &options).unwrap();
                let serialized = brine_serde::to_vec(&items(false), &options).unwrap();
                assert_eq!(collected, serialized, "{n} {filtered} {protocol}");
                check(&items(true), &options).unwrap();
            }
        }
    }
}
