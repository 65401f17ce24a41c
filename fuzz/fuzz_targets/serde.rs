//! Arbitrary bytes deserialized into a few typed structs through brine-serde: a value or an
//! error, never a panic, an overflow of the stack or runaway memory.
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

fuzz_target!(|data: &[u8]| {
    let options = brine_serde::Options::default();
    let _ = brine_serde::from_slice::<Record>(data, &options);
    let _ = brine_serde::from_slice::<Nested>(data, &options);
    let _ = brine_serde::from_slice::<Vec<Shape>>(data, &options);
    let _ = brine_serde::from_slice::<&str>(data, &options);
    let _ = brine_serde::from_reader::<_, BTreeMap<String, Vec<u8>>>(data, &options);
});
