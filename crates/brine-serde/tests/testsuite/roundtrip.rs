//! Property tests: serde data models (nested structs, every kind of enum variant, options, maps
//! with int, str, tuple, bytes and frozenset keys, sets, bytes, 128-bit ints, chars, floats
//! with nan) round-trip through every protocol, as dicts and as instances, from a slice, a
//! reader and a graph; and each pickle is what the encoder writes for its own decoded graph.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

use brine_serde::{Options, PyClass};
use proptest::prelude::*;
use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

/// A float compared as Python compares the float it pickles to: by bits, with every nan equal
/// (protocol 0 writes `nan` as text, which keeps no payload).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(transparent)]
struct F(f64);

impl PartialEq for F {
    fn eq(&self, other: &F) -> bool {
        self.0.to_bits() == other.0.to_bits() || (self.0.is_nan() && other.0.is_nan())
    }
}

/// A newtype of a float (mapped to a class in one test: an instance with a float state).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct F32(f32);

impl PartialEq for F32 {
    fn eq(&self, other: &F32) -> bool {
        self.0.to_bits() == other.0.to_bits() || (self.0.is_nan() && other.0.is_nan())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
struct Group(#[serde(with = "brine_serde::as_frozenset")] BTreeSet<i8>);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Marker;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Shape {
    Empty,
    Circle(F),
    Rect { w: u32, h: u32 },
    Poly(Vec<(i32, i32)>),
    Pair(i8, String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Tree {
    Leaf(i64),
    Node { label: String, kids: Vec<Tree> },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Record {
    id: u64,
    big: i128,
    ubig: u128,
    small: i8,
    ratio: F,
    single: F32,
    letter: char,
    name: String,
    #[serde(with = "serde_bytes")]
    blob: Vec<u8>,
    maybe: Option<u16>,
    #[serde(with = "brine_serde::as_set")]
    tags: BTreeSet<String>,
    #[serde(with = "brine_serde::as_set")]
    hashed: HashSet<i64>,
    #[serde(with = "brine_serde::as_frozenset")]
    frozen: BTreeSet<i64>,
    by_int: BTreeMap<i64, String>,
    by_str: HashMap<String, Vec<i32>>,
    by_tuple: BTreeMap<(i32, String), bool>,
    by_bytes: BTreeMap<ByteBuf, Option<i8>>,
    by_group: BTreeMap<Group, u8>,
    by_bool: BTreeMap<bool, ()>,
    by_option: BTreeMap<Option<i8>, i8>,
    shape: Shape,
    shapes: VecDeque<Shape>,
    marker: Marker,
    unit: (),
    pair: (u8, Option<String>),
    nested: Vec<Vec<Option<i16>>>,
    tree: Tree,
}

fn float() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        Just(f64::NAN),
        Just(-0.0),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(5e-324),
        (-1e6..1e6f64),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-z]{0,8}",
        Just("\\\n\r\0\u{1a}".to_owned())
    ]
}

fn shape() -> impl Strategy<Value = Shape> {
    prop_oneof![
        Just(Shape::Empty),
        float().prop_map(|r| Shape::Circle(F(r))),
        (any::<u32>(), any::<u32>()).prop_map(|(w, h)| Shape::Rect { w, h }),
        prop::collection::vec(any::<(i32, i32)>(), 0..4).prop_map(Shape::Poly),
        (any::<i8>(), text()).prop_map(|(n, s)| Shape::Pair(n, s)),
    ]
}

fn tree() -> impl Strategy<Value = Tree> {
    any::<i64>()
        .prop_map(Tree::Leaf)
        .prop_recursive(4, 16, 3, |inner| {
            ("[a-z]{0,4}", prop::collection::vec(inner, 0..3))
                .prop_map(|(label, kids)| Tree::Node { label, kids })
        })
}

prop_compose! {
    fn numbers()(
        id in any::<u64>(),
        big in prop_oneof![any::<i128>(), Just(i128::MIN), Just(i128::MAX), Just(0)],
        ubig in prop_oneof![any::<u128>(), Just(u128::MAX)],
        small in any::<i8>(),
        ratio in float(),
        single in any::<f32>(),
        letter in any::<char>(),
    ) -> (u64, i128, u128, i8, f64, f32, char) {
        (id, big, ubig, small, ratio, single, letter)
    }
}

prop_compose! {
    fn collections()(
        name in text(),
        blob in prop::collection::vec(any::<u8>(), 0..40),
        maybe in any::<Option<u16>>(),
        tags in prop::collection::btree_set(text(), 0..4),
        hashed in prop::collection::hash_set(any::<i64>(), 0..4),
        frozen in prop::collection::btree_set(any::<i64>(), 0..4),
        by_int in prop::collection::btree_map(any::<i64>(), text(), 0..4),
        by_str in prop::collection::hash_map(text(), prop::collection::vec(any::<i32>(), 0..3), 0..3),
        by_tuple in prop::collection::btree_map((any::<i32>(), text()), any::<bool>(), 0..3),
    ) -> (String, Vec<u8>, Option<u16>, BTreeSet<String>, HashSet<i64>, BTreeSet<i64>,
          BTreeMap<i64, String>, HashMap<String, Vec<i32>>, BTreeMap<(i32, String), bool>) {
        (name, blob, maybe, tags, hashed, frozen, by_int, by_str, by_tuple)
    }
}

prop_compose! {
    pub(crate) fn record()(
        (id, big, ubig, small, ratio, single, letter) in numbers(),
        (name, blob, maybe, tags, hashed, frozen, by_int, by_str, by_tuple) in collections(),
        by_bytes in prop::collection::btree_map(
            prop::collection::vec(any::<u8>(), 0..4).prop_map(ByteBuf::from),
            any::<Option<i8>>(),
            0..3,
        ),
        by_group in prop::collection::btree_map(
            prop::collection::btree_set(any::<i8>(), 0..3).prop_map(Group),
            any::<u8>(),
            0..3,
        ),
        by_bool in prop::collection::btree_map(any::<bool>(), Just(()), 0..2),
        by_option in prop::collection::btree_map(any::<Option<i8>>(), any::<i8>(), 0..3),
        shape in shape(),
        shapes in prop::collection::vec_deque(shape(), 0..3),
        pair in (any::<u8>(), prop::option::of(text())),
        nested in prop::collection::vec(prop::collection::vec(any::<Option<i16>>(), 0..3), 0..3),
        tree in tree(),
    ) -> Record {
        Record {
            id, big, ubig, small, ratio: F(ratio), single: F32(single), letter, name, blob, maybe,
            tags, hashed, frozen, by_int, by_str, by_tuple, by_bytes, by_group, by_bool, by_option,
            shape, shapes, marker: Marker, unit: (), pair, nested, tree,
        }
    }
}

/// Options that write `Record` and the types in it as instances of Python classes.
pub(crate) fn instance_options() -> Options {
    Options::default()
        .class("Record", PyClass::new("app.models", "Record"))
        .class("Marker", PyClass::new("app.models", "Marker"))
        .class("F32", PyClass::new("app.models", "Single"))
        .class("Group", PyClass::slots("app.models", "Group.Frozen"))
}

/// `record` through `options` at every protocol, three ways back.
fn round_trip(record: &Record, options: &Options) -> Result<(), TestCaseError> {
    for protocol in 0..=5 {
        let mut options = options.clone();
        options.protocol = protocol;
        let pickle = brine_serde::to_vec(record, &options).map_err(fail)?;
        let from_slice: Record = brine_serde::from_slice(&pickle, &options).map_err(fail)?;
        prop_assert_eq!(&from_slice, record, "protocol {}", protocol);
        let from_reader: Record = brine_serde::from_reader(&pickle[..], &options).map_err(fail)?;
        prop_assert_eq!(&from_reader, record, "protocol {}", protocol);
        let graph = brine_serde::to_value(record, &options).map_err(fail)?;
        let from_value: Record = brine_serde::from_value(&graph, &options).map_err(fail)?;
        prop_assert_eq!(&from_value, record, "protocol {}", protocol);
        // The pickle is what the encoder writes for the graph the decoder reads from it.
        let decoded = brine_vm::from_slice(&pickle, &Default::default()).map_err(fail)?;
        let again = brine_encode::to_vec(&decoded, &brine_encode::Options::protocol(protocol))
            .map_err(fail)?;
        prop_assert_eq!(again, pickle, "protocol {}", protocol);
    }
    Ok(())
}

fn fail(err: impl std::fmt::Display) -> TestCaseError {
    TestCaseError::fail(err.to_string())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn records_round_trip_as_dicts(record in record()) {
        round_trip(&record, &Options::default())?;
    }

    #[test]
    fn records_round_trip_as_instances(record in record()) {
        round_trip(&record, &instance_options())?;
    }

    #[test]
    fn borrowed_text_round_trips(text in text(), data in prop::collection::vec(any::<u8>(), 0..300)) {
        #[derive(Debug, PartialEq, Serialize, Deserialize)]
        struct Borrowed<'a> {
            #[serde(borrow)]
            text: Cow<'a, str>,
            #[serde(borrow, with = "serde_bytes")]
            data: Cow<'a, [u8]>,
        }
        let value = Borrowed { text: Cow::Borrowed(&text), data: Cow::Borrowed(&data) };
        for protocol in 0..=5 {
            let pickle = brine_serde::to_vec(&value, &Options::protocol(protocol)).map_err(fail)?;
            let back: Borrowed<'_> = brine_serde::from_slice(&pickle, &Options::default()).map_err(fail)?;
            prop_assert_eq!(&back, &value);
            // From protocol 1 str is UTF-8 in the pickle, from 3 bytes are raw: both borrow
            // (and an empty one always can; protocol 0 text borrows when it has no escapes).
            if protocol >= 1 {
                prop_assert!(matches!(back.text, Cow::Borrowed(_)));
            }
            prop_assert_eq!(matches!(back.data, Cow::Borrowed(_)), protocol >= 3 || data.is_empty());
        }
    }
}
