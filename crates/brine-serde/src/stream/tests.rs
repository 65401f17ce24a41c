//! The streaming path against the graph path: over the CPython fixture corpus, every
//! truncation of it, pickles brine-encode writes for generated values, and mutations of them,
//! a pickle the streaming path reads gives the same value, visit by visit, as the graph path.

use std::collections::BTreeMap;
use std::fmt;

use proptest::prelude::*;
use serde::de::{self, Deserialize, DeserializeOwned, IgnoredAny, Visitor};

use crate::Options;

/// Every visitor call a value makes, in order, as `deserialize_any` sees it.
#[derive(Debug, Clone, PartialEq)]
enum Trace {
    Unit,
    Bool(bool),
    I64(i64),
    U64(u64),
    /// By bits: nan equals itself.
    F64(u64),
    Str(String),
    BorrowedStr(String),
    Bytes(Vec<u8>),
    None,
    Some(Box<Trace>),
    Seq(Vec<Trace>),
    Map(Vec<(Trace, Trace)>),
    Other(&'static str),
}

struct TraceVisitor;

impl<'de> Visitor<'de> for TraceVisitor {
    type Value = Trace;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("anything")
    }
    fn visit_unit<E>(self) -> Result<Trace, E> {
        Ok(Trace::Unit)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Trace, E> {
        Ok(Trace::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Trace, E> {
        Ok(Trace::I64(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Trace, E> {
        Ok(Trace::U64(v))
    }
    fn visit_i128<E>(self, _: i128) -> Result<Trace, E> {
        Ok(Trace::Other("i128"))
    }
    fn visit_u128<E>(self, _: u128) -> Result<Trace, E> {
        Ok(Trace::Other("u128"))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Trace, E> {
        Ok(Trace::F64(v.to_bits()))
    }
    fn visit_str<E>(self, v: &str) -> Result<Trace, E> {
        Ok(Trace::Str(v.to_owned()))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Trace, E> {
        Ok(Trace::BorrowedStr(v.to_owned()))
    }
    fn visit_bytes<E>(self, v: &[u8]) -> Result<Trace, E> {
        Ok(Trace::Bytes(v.to_owned()))
    }
    fn visit_none<E>(self) -> Result<Trace, E> {
        Ok(Trace::None)
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Trace, D::Error> {
        Trace::deserialize(d).map(|t| Trace::Some(Box::new(t)))
    }
    fn visit_newtype_struct<D: de::Deserializer<'de>>(self, d: D) -> Result<Trace, D::Error> {
        Trace::deserialize(d)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Trace, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Trace::Seq(items))
    }
    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Trace, A::Error> {
        let mut pairs = Vec::new();
        while let Some(pair) = map.next_entry()? {
            pairs.push(pair);
        }
        Ok(Trace::Map(pairs))
    }
    fn visit_enum<A: de::EnumAccess<'de>>(self, _: A) -> Result<Trace, A::Error> {
        Ok(Trace::Other("enum"))
    }
}

impl<'de> Deserialize<'de> for Trace {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Trace, D::Error> {
        d.deserialize_any(TraceVisitor)
    }
}

/// A value asked for as an option, then as whatever it is.
#[derive(Debug, PartialEq)]
struct Optional(Option<Trace>);

impl<'de> Deserialize<'de> for Optional {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Optional, D::Error> {
        Option::<Trace>::deserialize(d).map(Optional)
    }
}

#[derive(Debug, PartialEq, serde::Deserialize)]
struct Record<'a> {
    id: i64,
    #[serde(borrow)]
    name: &'a str,
    score: f64,
    note: Option<String>,
    tags: Vec<u8>,
}

#[derive(Debug, PartialEq, serde::Deserialize)]
struct Pair(i64, String);

/// Reads `data` as `T` on both paths; when the streaming path reads it, the graph path must
/// read the same value. Returns whether the streaming path read it.
fn same<'de, T: Deserialize<'de> + fmt::Debug>(data: &'de [u8], name: &str) -> bool {
    let options = Options::default();
    let Some(streamed) = super::from_slice::<T>(data, &options) else {
        return false;
    };
    let graph =
        crate::Deserializer::from_slice(data, &options).and_then(|mut de| T::deserialize(&mut de));
    match graph {
        // Compared as printed: a nan equals itself, and -0.0 is not 0.0.
        Ok(value) => assert_eq!(format!("{streamed:?}"), format!("{value:?}"), "{name}"),
        Err(err) => panic!("{name}: the graph path fails ({err}), the stream reads {streamed:?}"),
    }
    true
}

/// [`same`] for each target type; how many the streaming path read.
fn all_same(data: &[u8], name: &str) -> usize {
    [
        same::<Trace>(data, name),
        same::<Optional>(data, name),
        same::<Vec<f64>>(data, name),
        same::<Vec<i64>>(data, name),
        same::<Vec<u8>>(data, name),
        same::<Vec<&str>>(data, name),
        same::<Vec<String>>(data, name),
        same::<Vec<Option<Trace>>>(data, name),
        same::<Vec<Record<'_>>>(data, name),
        same::<Record<'_>>(data, name),
        same::<Pair>(data, name),
        same::<(Trace, Trace)>(data, name),
        same::<BTreeMap<&str, Trace>>(data, name),
        same::<BTreeMap<String, Vec<Trace>>>(data, name),
        same::<Vec<BTreeMap<String, IgnoredAny>>>(data, name),
        same::<IgnoredAny>(data, name),
        same::<()>(data, name),
        same::<String>(data, name),
        same::<f64>(data, name),
        same::<bool>(data, name),
    ]
    .into_iter()
    .filter(|read| *read)
    .count()
}

#[test]
fn the_fixture_corpus_reads_the_same_on_both_paths() {
    let mut streamed = 0;
    let mut fixtures = 0;
    for fixture in brine_testdata::all() {
        let data = fixture.bytes();
        let read = all_same(&data, &fixture.name());
        streamed += read;
        fixtures += usize::from(read > 0);
        if read > 0 && data.len() <= 4096 {
            // Every truncation of a pickle the stream reads is an error: the graph path's.
            for end in 0..data.len() {
                let cut = &data[..end];
                assert!(
                    super::from_slice::<Trace>(cut, &Options::default()).is_none(),
                    "{} cut at {end}",
                    fixture.name()
                );
            }
        }
    }
    // The corpus's scalars, strs, lists and dicts at protocols 1 to 5 are read by the stream.
    assert!(fixtures > 100, "the stream read {fixtures} fixtures");
    assert!(
        streamed > 500,
        "the stream read {streamed} (fixture, type) pairs"
    );
}

#[test]
fn shared_containers_and_instances_take_the_graph_path() {
    // l = [1]; pickle.dumps([l, l], protocol=2): the inner list is fetched from the memo.
    let shared = b"\x80\x02]q\x00(]q\x01K\x01ah\x01e.";
    assert!(super::from_slice::<Trace>(shared, &Options::default()).is_none());
    let graph: Vec<Vec<i64>> = crate::from_slice(shared, &Options::default()).unwrap();
    assert_eq!(graph, [[1], [1]]);
    // A str fetched from the memo is the same text: the stream reads it.
    // pickle.dumps(["ab", "ab"] with one str object, protocol=2)
    let strs = b"\x80\x02]q\x00(X\x02\x00\x00\x00abq\x01h\x01e.";
    assert_eq!(
        super::from_slice::<Vec<&str>>(strs, &Options::default()),
        Some(vec!["ab", "ab"])
    );
}

#[test]
fn single_appends_and_setitems_are_read() {
    // pickle.dumps([{"a": 1}], protocol=2)
    let data = b"\x80\x02]q\x00}q\x01X\x01\x00\x00\x00aq\x02K\x01sa.";
    // The dict is an APPEND's item: the stream predicts the list's end and falls back.
    assert!(super::from_slice::<Trace>(data, &Options::default()).is_none());
    // pickle.dumps({"a": [1]}, protocol=2)
    let data = b"\x80\x02}q\x00X\x01\x00\x00\x00aq\x01]q\x02K\x01as.";
    assert!(super::from_slice::<Trace>(data, &Options::default()).is_none());
    // pickle.dumps([1], protocol=2), pickle.dumps({"a": 1}, protocol=2)
    let list = b"\x80\x02]q\x00K\x01a.";
    assert_eq!(
        super::from_slice::<Vec<i64>>(list, &Options::default()),
        Some(vec![1])
    );
    let dict = b"\x80\x02}q\x00X\x01\x00\x00\x00aq\x01K\x01s.";
    assert_eq!(
        super::from_slice::<BTreeMap<&str, i64>>(dict, &Options::default()),
        Some(BTreeMap::from([("a", 1)]))
    );
}

#[test]
fn limits_close_by_take_the_graph_path() {
    // pickle.dumps([[[1, 2]]], protocol=4) read with max_depth 2: the graph path's error.
    let data = b"\x80\x04\x95\x0e\x00\x00\x00\x00\x00\x00\x00]\x94]\x94]\x94(K\x01K\x02eaa.";
    let options = Options {
        max_depth: 2,
        ..Options::default()
    };
    assert!(super::from_slice::<Trace>(data, &options).is_none());
    let err = crate::from_slice::<Trace>(data, &options).unwrap_err();
    assert!(
        matches!(err.kind(), crate::ErrorKind::DepthLimit(2)),
        "{err}"
    );
}

/// A Python value without sharing: what the streaming path is for.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(untagged)]
enum Py {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<Py>),
    Dict(BTreeMap<String, Py>),
}

fn py() -> impl Strategy<Value = Py> {
    let leaf = prop_oneof![
        Just(Py::None),
        any::<bool>().prop_map(Py::Bool),
        any::<i64>().prop_map(Py::Int),
        (-1000i64..1000).prop_map(Py::Int),
        any::<f64>().prop_map(Py::Float),
        "[a-z\u{e9}\u{1F600}]{0,12}".prop_map(Py::Str),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Py::List),
            prop::collection::btree_map("[a-z]{0,4}", inner, 0..6).prop_map(Py::Dict),
        ]
    })
}

fn check_generated<T: DeserializeOwned + fmt::Debug>(data: &[u8]) {
    let _ = same::<T>(data, "generated");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn generated_pickles_read_the_same_on_both_paths(
        value in py(),
        protocol in 1u8..=5,
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..3),
    ) {
        let data = crate::to_vec(&value, &Options::protocol(protocol)).unwrap();
        let _ = all_same(&data, "generated");
        check_generated::<Vec<BTreeMap<String, Trace>>>(&data);
        for end in 0..data.len() {
            prop_assert!(super::from_slice::<Trace>(&data[..end], &Options::default()).is_none());
        }
        let mut mutated = data.clone();
        for (at, byte) in flips {
            let at = at.index(mutated.len());
            mutated[at] = byte;
        }
        let _ = all_same(&mutated, "mutated");
    }
}
