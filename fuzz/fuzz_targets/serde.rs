//! Arbitrary bytes deserialized into a few typed structs through brine-serde: a value or an
//! error, never a panic, an overflow of the stack or runaway memory; and `from_slice`, which
//! reads the pickles it can straight from the opcodes, gives what the graph path
//! (`Deserializer`) gives, value or error.
#![no_main]

use std::collections::{BTreeMap, HashMap};

use libfuzzer_sys::fuzz_target;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[allow(dead_code, reason = "the fields are only deserialized")]
struct Record {
    id: i64,
    name: String,
    score: Option<f64>,
    tags: Vec<String>,
    attrs: HashMap<String, i64>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code, reason = "the fields are only deserialized")]
enum Shape {
    Point,
    Circle { radius: f64 },
    Polygon(Vec<(i32, i32)>),
}

#[derive(Debug, Deserialize)]
#[allow(dead_code, reason = "the fields are only deserialized")]
struct Nested {
    records: Vec<Record>,
    shapes: BTreeMap<String, Shape>,
    #[serde(with = "serde_bytes")]
    blob: Vec<u8>,
    big: i128,
    deep: Option<Box<Nested>>,
}

/// Any value, as serde's untagged enums read it: through `deserialize_any`, which takes
/// instances as well as dicts, lists and scalars.
#[derive(Debug, Deserialize)]
#[allow(dead_code, reason = "the fields are only deserialized")]
#[serde(untagged)]
enum Any {
    Unit(()),
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Any>),
    Map(BTreeMap<String, Any>),
}

/// `from_slice` (the streaming path first) and the graph path alone read `data` alike.
fn same_on_both_paths<'de, T: Deserialize<'de> + std::fmt::Debug>(data: &'de [u8]) {
    let options = brine_serde::Options::default();
    let streamed = brine_serde::from_slice::<T>(data, &options);
    let graph = brine_serde::Deserializer::from_slice(data, &options)
        .and_then(|mut de| T::deserialize(&mut de));
    let show = |res: &Result<T, brine_serde::Error>| match res {
        Ok(value) => format!("{value:?}"),
        Err(err) => format!("error: {err}"),
    };
    assert_eq!(show(&streamed), show(&graph));
}

fuzz_target!(|data: &[u8]| {
    same_on_both_paths::<Record>(data);
    same_on_both_paths::<Vec<Record>>(data);
    same_on_both_paths::<Any>(data);
    same_on_both_paths::<Vec<Option<f64>>>(data);
    same_on_both_paths::<BTreeMap<&str, Vec<(i64, String)>>>(data);
    let options = brine_serde::Options::default();
    let _ = brine_serde::from_slice::<Record>(data, &options);
    let _ = brine_serde::from_slice::<Nested>(data, &options);
    let _ = brine_serde::from_slice::<Vec<Shape>>(data, &options);
    let _ = brine_serde::from_slice::<&str>(data, &options);
    let _ = brine_serde::from_reader::<_, BTreeMap<String, Vec<u8>>>(data, &options);
});
