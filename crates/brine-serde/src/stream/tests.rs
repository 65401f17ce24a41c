//! The streaming path against the graph path: over the CPython fixture corpus, instances
//! CPython 3.11 writes, every truncation of them, pickles brine-encode writes for generated
//! values, and mutations of them, a pickle the streaming path reads gives the same value,
//! visit by visit, as the graph path.

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

/// An instance's attributes, by name.
#[derive(Debug, PartialEq, serde::Deserialize)]
struct Plain<'a> {
    a: i64,
    #[serde(borrow)]
    b: &'a str,
}

/// Only some of the attributes: the rest are ignored.
#[derive(Debug, PartialEq, serde::Deserialize)]
struct OnlyA {
    a: i64,
}

/// The dataclass `Data` of python/serde_stream_instances.py.
#[derive(Debug, PartialEq, serde::Deserialize)]
struct Data {
    ident: i64,
    name: String,
    score: f64,
    active: bool,
    tags: Vec<i64>,
}

#[derive(Debug, PartialEq, serde::Deserialize)]
struct Unit;

#[derive(Debug, PartialEq, serde::Deserialize)]
struct Wrapped(BTreeMap<String, Trace>);

/// [`all_same`], and the types an instance reads into: structs, their options, unit and
/// newtype structs, maps, sequences (which an instance is not), ignored values.
fn instance_types_same(data: &[u8], name: &str) -> usize {
    all_same(data, name)
        + [
            same::<Plain<'_>>(data, name),
            same::<Vec<Plain<'_>>>(data, name),
            same::<Option<Plain<'_>>>(data, name),
            same::<Vec<Option<Plain<'_>>>>(data, name),
            same::<Vec<OnlyA>>(data, name),
            same::<Data>(data, name),
            same::<Vec<Data>>(data, name),
            same::<Unit>(data, name),
            same::<Vec<Unit>>(data, name),
            same::<Wrapped>(data, name),
            same::<Vec<Wrapped>>(data, name),
            same::<BTreeMap<String, Plain<'_>>>(data, name),
            same::<BTreeMap<String, BTreeMap<String, Trace>>>(data, name),
            same::<Vec<Trace>>(data, name),
            same::<Vec<IgnoredAny>>(data, name),
            same::<Vec<Vec<Trace>>>(data, name),
            same::<Vec<(Trace, Trace)>>(data, name),
            same::<Vec<()>>(data, name),
            same::<crate::PyInstance<Trace>>(data, name),
        ]
        .into_iter()
        .filter(|read| *read)
        .count()
}

/// The cases of python/serde_stream_instances.py that the streaming path reads, from the
/// protocol given on: instances of plain classes, alone, in lists and dicts, nested, without
/// state, from protocol 2 (NEWOBJ); a nested class from protocol 4, where STACK_GLOBAL names
/// it (protocols 2 and 3 write `getattr(Outer, 'Inner')`).
const STREAMED_INSTANCES: &[(&str, u8)] = &[
    ("plain", 2),
    ("plain_list", 2),
    ("many", 2),
    ("nested", 2),
    ("dict_of_instances", 2),
    ("empty", 2),
    ("empty_list", 2),
    ("dataclass", 2),
    ("unicode_attrs", 2),
    ("int_key", 2),
    ("shared_class_str", 2),
    ("nested_class", 4),
];

#[test]
fn instances_written_by_cpython_read_the_same_on_both_paths() {
    let python = match brine_python::reference() {
        Ok(python) => python,
        Err(err) => return brine_python::skip(err),
    };
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../python/serde_stream_instances.py");
    let out = brine_python::run_script(
        &python,
        &std::fs::read_to_string(script).expect("the script"),
        std::iter::empty::<&str>(),
    )
    .expect("the script runs");
    let mut streamed = Vec::new();
    for line in out.lines() {
        let (name, hex) = line.split_once('\t').expect("name and hex");
        let data: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|at| u8::from_str_radix(&hex[at..at + 2], 16).expect("hex"))
            .collect();
        let read = instance_types_same(&data, name);
        let (case, protocol) = name.split_once(".p").expect("name.pN");
        let protocol: u8 = protocol[..1].parse().expect("protocol");
        let expected = STREAMED_INSTANCES
            .iter()
            .any(|&(streamed, from)| streamed == case && protocol >= from);
        let traced = super::from_slice::<Trace>(&data, &Options::default()).is_some();
        assert_eq!(traced, expected, "{name}: read by the stream");
        if read > 0 {
            streamed.push(name);
        }
        if read > 0 && data.len() <= 4096 {
            // Every truncation is an error: the graph path's.
            for end in 0..data.len() {
                assert!(
                    super::from_slice::<Trace>(&data[..end], &Options::default()).is_none(),
                    "{name} cut at {end}"
                );
            }
        }
    }
    assert!(streamed.len() >= 80, "{streamed:?}");
}

#[test]
fn instances_are_read_as_maps_in_the_stream() {
    // pickle.dumps([Plain(1, "two"), Plain(3, "four")], protocol=2), Plain from __main__:
    let data = b"\x80\x02]q\x00(c__main__\nPlain\nq\x01)\x81q\x02}q\x03(X\x01\x00\x00\x00aq\x04\
        K\x01X\x01\x00\x00\x00bq\x05X\x03\x00\x00\x00twoq\x06ubh\x01)\x81q\x07}q\x08(h\x04K\x03\
        h\x05X\x04\x00\x00\x00fourq\tube.";
    let expected = vec![Plain { a: 1, b: "two" }, Plain { a: 3, b: "four" }];
    assert_eq!(
        super::from_slice::<Vec<Plain<'_>>>(data, &Options::default()),
        Some(expected)
    );
    assert!(same::<Vec<Plain<'_>>>(data, "two instances"));
    assert!(same::<Trace>(data, "two instances"));
    // The instances brine-serde writes, at every protocol with NEWOBJ.
    let state = BTreeMap::from([("a".to_owned(), 1), ("b".to_owned(), 2)]);
    let one = crate::PyInstance::new("m", "C", state.clone());
    let values = vec![one.clone(), crate::PyInstance::new("m", "D", state), one];
    for protocol in 2..=5 {
        let data = crate::to_vec(&values, &Options::protocol(protocol)).unwrap();
        let read = super::from_slice::<Vec<BTreeMap<String, i64>>>(&data, &Options::default());
        assert_eq!(read.map(|read| read.len()), Some(3), "protocol {protocol}");
        assert!(same::<Trace>(&data, "written"), "protocol {protocol}");
    }
    // A PyInstance names the class: the graph path reads it.
    assert!(
        super::from_slice::<Vec<crate::PyInstance<Trace>>>(data, &Options::default()).is_none()
    );
    // The class's module read as a string: the graph path's error.
    assert!(super::from_slice::<Vec<String>>(data, &Options::default()).is_none());
    assert!(crate::from_slice::<Vec<String>>(data, &Options::default()).is_err());
    // A policy on globals: the graph path applies it.
    let options = Options {
        find_class: brine_vm::FindClass::AllowList(Default::default()),
        ..Options::default()
    };
    assert!(super::from_slice::<Vec<Plain<'_>>>(data, &options).is_none());
    assert!(crate::from_slice::<Vec<Plain<'_>>>(data, &options).is_err());
    // Each instance is one level deep, as on the graph path.
    let options = Options {
        max_depth: 1,
        ..Options::default()
    };
    assert!(super::from_slice::<Trace>(data, &options).is_none());
    let err = crate::from_slice::<Trace>(data, &options).unwrap_err();
    assert!(
        matches!(err.kind(), crate::ErrorKind::DepthLimit(1)),
        "{err}"
    );
}

#[test]
fn instances_outside_the_grammar_take_the_graph_path() {
    let streamed = |data: &[u8]| super::from_slice::<Trace>(data, &Options::default()).is_some();
    let graph = |data: &[u8]| crate::from_slice::<Trace>(data, &Options::default());
    // p = Plain(1, "a"); p.b = p.a; pickle.dumps([p, p], protocol=2): the instance fetched
    // again.
    let shared = b"\x80\x02]q\x00(c__main__\nPlain\nq\x01)\x81q\x02}q\x03(X\x01\x00\x00\x00aq\x04\
        K\x01X\x01\x00\x00\x00bq\x05K\x01ubh\x02e.";
    assert!(!streamed(shared));
    let attrs = Trace::Map(vec![
        (Trace::BorrowedStr("a".into()), Trace::I64(1)),
        (Trace::BorrowedStr("b".into()), Trace::I64(1)),
    ]);
    assert_eq!(
        graph(shared).unwrap(),
        Trace::Seq(vec![attrs.clone(), attrs])
    );
    // pickle.dumps(Plain, protocol=2): a class is no serde value.
    let class = b"\x80\x02c__main__\nPlain\nq\x00.";
    assert!(!streamed(class));
    assert!(graph(class).is_err());
    // cls (1,) NEWOBJ: the arguments are what the graph path reads.
    let args = b"\x80\x02c__main__\nPlain\nq\x00K\x01\x85q\x01\x81q\x02.";
    assert!(!streamed(args));
    assert_eq!(graph(args).unwrap(), Trace::Seq(vec![Trace::I64(1)]));
    // pickle.dumps([Empty(), {}], protocol=2): the dict after an instance without state is
    // taken for its state, and BUILD is missing.
    let then_dict = b"\x80\x02]q\x00(c__main__\nEmpty\nq\x01)\x81q\x02}q\x03e.";
    assert!(!streamed(then_dict));
    assert_eq!(
        graph(then_dict).unwrap(),
        Trace::Seq(vec![Trace::Map(vec![]), Trace::Map(vec![])])
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
    /// An instance whose `__dict__` is the map, as CPython writes one of a plain class.
    Instance(crate::PyInstance<BTreeMap<String, Py>>),
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
            prop::collection::btree_map("[a-z]{0,4}", inner.clone(), 0..6).prop_map(Py::Dict),
            (
                prop::sample::select(vec![("m", "C"), ("m", "D"), ("pkg.mod", "Outer.Inner")]),
                prop::collection::btree_map("[a-z]{0,4}", inner, 0..6),
            )
                .prop_map(|((module, qualname), state)| {
                    Py::Instance(crate::PyInstance::new(module, qualname, state))
                }),
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
        let _ = instance_types_same(&data, "generated");
        check_generated::<Vec<BTreeMap<String, Trace>>>(&data);
        for end in 0..data.len() {
            prop_assert!(super::from_slice::<Trace>(&data[..end], &Options::default()).is_none());
        }
        let mut mutated = data.clone();
        for (at, byte) in flips {
            let at = at.index(mutated.len());
            mutated[at] = byte;
        }
        let _ = instance_types_same(&mutated, "mutated");
    }
}
