//! The workloads as Rust types, for the serde benches: brine-serde and serde-pickle decode
//! the same files into the same types, and encode the same values.
//!
//! Each type is what a Rust program would declare for the data: a struct with the record's
//! fields, `Vec<f64>` for the floats. Two workloads have none: `pyperf_pickle` holds a
//! `datetime.date` (a REDUCE of a class neither crate maps to a Rust type) and `oob_array` an
//! out-of-band buffer serde-pickle cannot read.
//!
//! The workloads of str also have a borrowing type ([`with_borrowed_type`]): the same fields as
//! `&str` lent from the input, what a Rust program that only reads the data would declare.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::Workload;

/// What a serde benchmark does with one workload and its Rust type `T`.
pub trait TypedBench {
    /// Runs the benchmark for `workload` decoded as `T`; `options` are the brine-serde options
    /// that write `T` as CPython wrote the workload (protocol, classes).
    fn run<T: Serialize + DeserializeOwned>(
        &mut self,
        workload: &Workload,
        options: &brine_serde::Options,
    );
}

/// Calls `bench.run::<T>` with the workload's Rust type; returns `false` for a workload that
/// has none.
pub fn with_type(workload: &Workload, bench: &mut impl TypedBench) -> bool {
    let options = brine_serde::Options::protocol(workload.protocol);
    match workload.name.as_str() {
        "pyperf_list" => bench.run::<Vec<Vec<Vec<i64>>>>(workload, &options),
        "pyperf_dict" => bench.run::<BTreeMap<i64, BTreeMap<i64, ()>>>(workload, &options),
        "floats_1m" => bench.run::<Vec<f64>>(workload, &options),
        "ints_1m" => bench.run::<Vec<i64>>(workload, &options),
        "strs_200k" => bench.run::<Vec<String>>(workload, &options),
        "bytes_100mb" => bench.run::<serde_bytes::ByteBuf>(workload, &options),
        "records_100k" => bench.run::<Vec<UserRecord>>(workload, &options),
        "instances_50k" => {
            let class = brine_serde::PyClass::new("bench_classes", "Record");
            bench.run::<Vec<Record>>(workload, &options.class("Record", class));
        }
        "tree_shared" => bench.run::<TreeNode>(workload, &options),
        _ => return false,
    }
    true
}

/// A Rust type that borrows from the bytes it is decoded from: `Of<'a>` is the type read from
/// `&'a [u8]` (`Vec<&'a str>` for [`Strs`]).
pub trait Borrowing {
    /// The type, lending its str from input that lives for `'a`.
    type Of<'a>: Serialize + Deserialize<'a>;
}

/// What a serde benchmark does with one workload and its borrowing Rust type `T`.
pub trait BorrowedBench {
    /// Runs the benchmark for `workload` decoded as `T::Of<'_>`.
    fn run<T: Borrowing>(&mut self, workload: &Workload);
}

/// Calls `bench.run::<T>` with the workload's borrowing type; returns `false` for a workload
/// that has none (no str to lend).
pub fn with_borrowed_type(workload: &Workload, bench: &mut impl BorrowedBench) -> bool {
    match workload.name.as_str() {
        "strs_200k" => bench.run::<Strs>(workload),
        "records_100k" => bench.run::<Records>(workload),
        "instances_50k" => bench.run::<Instances>(workload),
        _ => return false,
    }
    true
}

/// `strs_200k` as `Vec<&str>`.
pub struct Strs;

impl Borrowing for Strs {
    type Of<'a> = Vec<&'a str>;
}

/// `records_100k` as `Vec<BorrowedRecord>`.
pub struct Records;

impl Borrowing for Records {
    type Of<'a> = Vec<BorrowedRecord<'a>>;
}

/// `instances_50k` as `Vec<BorrowedInstance>`.
pub struct Instances;

impl Borrowing for Instances {
    type Of<'a> = Vec<BorrowedInstance<'a>>;
}

/// A row of `records_100k`: a dict of ten fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserRecord {
    /// The row number.
    pub id: i64,
    /// `user<id>`.
    pub name: String,
    /// `user<id>@example.com`.
    pub email: String,
    /// 18 to 89.
    pub age: i64,
    /// 0 to 100.
    pub score: f64,
    /// A coin toss.
    pub active: bool,
    /// One of eight city names.
    pub city: String,
    /// A Unix time.
    pub created: i64,
    /// Rounded to cents.
    pub balance: f64,
    /// Mostly `None`.
    pub note: Option<String>,
}

/// [`UserRecord`] with its str lent from the input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BorrowedRecord<'a> {
    /// The row number.
    pub id: i64,
    /// `user<id>`.
    pub name: &'a str,
    /// `user<id>@example.com`.
    pub email: &'a str,
    /// 18 to 89.
    pub age: i64,
    /// 0 to 100.
    pub score: f64,
    /// A coin toss.
    pub active: bool,
    /// One of eight city names.
    pub city: &'a str,
    /// A Unix time.
    pub created: i64,
    /// Rounded to cents.
    pub balance: f64,
    /// Mostly `None`.
    pub note: Option<&'a str>,
}

/// An instance of `bench_classes.Record` in `instances_50k`: its `__dict__`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// The instance number.
    pub ident: i64,
    /// `rec<ident>`.
    pub name: String,
    /// 0 to 1.
    pub score: f64,
    /// Every third one.
    pub active: bool,
    /// Two small ints.
    pub tags: Vec<i64>,
}

/// [`Record`] with its name lent from the input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BorrowedInstance<'a> {
    /// The instance number.
    pub ident: i64,
    /// `rec<ident>`.
    pub name: &'a str,
    /// 0 to 1.
    pub score: f64,
    /// Every third one.
    pub active: bool,
    /// Two small ints.
    pub tags: Vec<i64>,
}

/// A node of `tree_shared`: `[ident, tag, meta]` for a leaf, `[ident, tag, meta, left,
/// right]` inside. The shared tags and metas are read once per reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TreeNode(
    i64,
    String,
    Meta,
    #[serde(default)] Option<Box<TreeNode>>,
    #[serde(default)] Option<Box<TreeNode>>,
);

/// The shared dicts of `tree_shared`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    /// 0 to 63.
    pub kind: i64,
    /// `kind / 4`.
    pub weight: f64,
}
