//! Criterion benches of encoding: every workload of `cargo xtask bench-data`, decoded once, then
//! written by brine (graph to bytes at the file's protocol, with the memo and in CPython's
//! fast mode without it) and by serde-pickle (from
//! `serde_pickle::Value`, which it always writes at protocol 3); and, for the workloads with a
//! Rust type ([`brine_benches::typed`]), brine-serde (with and without the memo) and serde-pickle
//! encoding that type.
//!
//! `cargo bench -p brine-benches --bench encode [-- FILTER]`. Without the data, it says how to
//! make it and measures nothing.

use std::hint::black_box;

use brine_benches::typed::{TypedBench, with_type};
use brine_benches::{
    Brine, Workload, criterion_budget, data_dir, decode, encode, encode_fast, workloads,
};
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, SamplingMode, Throughput};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_pickle::{DeOptions, SerOptions};

fn benches(c: &mut Criterion) {
    let all = match workloads(&data_dir(), "") {
        Ok(all) => all,
        Err(err) => {
            eprintln!("encode benches skipped: {err}");
            return;
        }
    };
    for workload in &all {
        bench_workload(c, workload);
    }
}

fn bench_workload(c: &mut Criterion, workload: &Workload) {
    let mut brine = Brine::new(workload);
    let graph = match decode(&mut brine) {
        Ok(graph) => graph,
        Err(err) => {
            eprintln!("encode/{}: brine cannot decode it: {err}", workload.label());
            return;
        }
    };
    let (samples, warm_up, measurement) = criterion_budget(workload.size());
    let mut group = c.benchmark_group(format!("encode/{}", workload.label()));
    group
        .throughput(Throughput::Bytes(workload.size()))
        .sample_size(samples)
        .warm_up_time(warm_up)
        .measurement_time(measurement)
        .sampling_mode(SamplingMode::Flat);
    group.bench_function("brine", |b| {
        b.iter(|| encode(&mut brine, black_box(&graph)))
    });
    // Fast mode (no memo) where the graph has no cycle, which it refuses.
    if encode_fast(&mut brine, &graph).is_ok() {
        group.bench_function("brine_fast", |b| {
            b.iter(|| encode_fast(&mut brine, black_box(&graph)))
        });
    }

    let value = serde_pickle::value_from_slice(&workload.data, DeOptions::new()).or_else(|_| {
        serde_pickle::value_from_slice(
            &workload.data,
            DeOptions::new().replace_unresolved_globals(),
        )
    });
    match value {
        Ok(value) => {
            group.bench_function("serde_pickle", |b| {
                b.iter(|| serde_pickle::value_to_vec(black_box(&value), SerOptions::new()))
            });
        }
        Err(err) => eprintln!(
            "encode/{}: serde-pickle cannot decode it: {err}",
            workload.label()
        ),
    }

    with_type(workload, &mut Typed(&mut group));
    group.finish();
}

/// brine-serde (at the file's protocol) and serde-pickle (at protocol 3) encoding the workload's
/// Rust value.
struct Typed<'g, 'c>(&'g mut BenchmarkGroup<'c, WallTime>);

impl TypedBench for Typed<'_, '_> {
    fn run<T: Serialize + DeserializeOwned>(
        &mut self,
        workload: &Workload,
        options: &brine_serde::Options,
    ) {
        let value =
            match brine_serde::from_slice::<T>(&workload.data, &brine_serde::Options::default()) {
                Ok(value) => value,
                Err(err) => {
                    eprintln!(
                        "encode/{}: brine-serde cannot decode it: {err}",
                        workload.label()
                    );
                    return;
                }
            };
        self.0.bench_function("brine_serde", |b| {
            b.iter(|| brine_serde::to_vec(black_box(&value), options))
        });
        let mut fast = options.clone();
        fast.fast = true;
        self.0.bench_function("brine_serde_fast", |b| {
            b.iter(|| brine_serde::to_vec(black_box(&value), &fast))
        });
        self.0.bench_function("serde_pickle_typed", |b| {
            b.iter(|| serde_pickle::to_vec(black_box(&value), SerOptions::new()))
        });
    }
}

// What `criterion_group!` and `criterion_main!` expand to, without their undocumented `pub fn`.
fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    benches(&mut criterion);
    criterion.final_summary();
}
