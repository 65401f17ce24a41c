//! Criterion benches of decoding: every workload of `cargo xtask bench-data` with brine (from
//! shared `Bytes`, and from a reader) and with serde-pickle (into `serde_pickle::Value`); and,
//! for the workloads with a Rust type ([`brine_benches::typed`]), brine-serde and
//! serde-pickle decoding into that type, and serde_json reading the same data as JSON text.
//!
//! `cargo bench -p brine-benches --bench decode [-- FILTER]`. Without the data, it says how to
//! make it and measures nothing.

use std::hint::black_box;

use brine_benches::typed::{TypedBench, with_type};
use brine_benches::{
    Brine, Workload, criterion_budget, data_dir, decode, decode_reader, workloads,
};
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, SamplingMode, Throughput};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_pickle::DeOptions;

fn benches(c: &mut Criterion) {
    let all = match workloads(&data_dir(), "") {
        Ok(all) => all,
        Err(err) => {
            eprintln!("decode benches skipped: {err}");
            return;
        }
    };
    for workload in &all {
        bench_workload(c, workload);
    }
}

fn bench_workload(c: &mut Criterion, workload: &Workload) {
    let (samples, warm_up, measurement) = criterion_budget(workload.size());
    let mut group = c.benchmark_group(format!("decode/{}", workload.label()));
    group
        .throughput(Throughput::Bytes(workload.size()))
        .sample_size(samples)
        .warm_up_time(warm_up)
        .measurement_time(measurement)
        .sampling_mode(SamplingMode::Flat);
    let mut brine = Brine::new(workload);
    group.bench_function("brine", |b| b.iter(|| decode(black_box(&mut brine))));
    group.bench_function("brine_reader", |b| {
        b.iter(|| decode_reader(black_box(workload)))
    });

    // serde-pickle: pickles naming classes other than builtin containers decode only with
    // `replace_unresolved_globals`; protocol 5 out-of-band buffers not at all.
    let strict = DeOptions::new();
    let lenient = DeOptions::new().replace_unresolved_globals();
    let options = [strict, lenient]
        .into_iter()
        .find(|options| serde_pickle::value_from_slice(&workload.data, options.clone()).is_ok());
    match options {
        Some(options) => {
            group.bench_function("serde_pickle", |b| {
                b.iter(|| {
                    serde_pickle::value_from_slice(black_box(&workload.data), options.clone())
                })
            });
        }
        None => eprintln!("decode/{}: serde-pickle cannot decode it", workload.label()),
    }

    with_type(workload, &mut Typed(&mut group));
    group.finish();
}

/// brine-serde and serde-pickle decoding into the workload's Rust type, and serde_json
/// decoding the same data from JSON text into it.
struct Typed<'g, 'c>(&'g mut BenchmarkGroup<'c, WallTime>);

impl TypedBench for Typed<'_, '_> {
    fn run<T: Serialize + DeserializeOwned>(
        &mut self,
        workload: &Workload,
        _: &brine_serde::Options,
    ) {
        let read = brine_serde::Options::default();
        match brine_serde::from_slice::<T>(&workload.data, &read) {
            Ok(value) => {
                self.0.bench_function("brine_serde", |b| {
                    b.iter(|| brine_serde::from_slice::<T>(black_box(&workload.data), &read))
                });
                // serde_json reading the same data as JSON text, written once from the value.
                match serde_json::to_vec(&value) {
                    Ok(text) if serde_json::from_slice::<T>(&text).is_ok() => {
                        self.0.bench_function("serde_json_typed", |b| {
                            b.iter(|| serde_json::from_slice::<T>(black_box(&text)))
                        });
                    }
                    _ => eprintln!("decode/{}: serde_json cannot read it", workload.label()),
                }
            }
            Err(err) => eprintln!("decode/{}: brine-serde: {err}", workload.label()),
        }
        match serde_pickle::from_slice::<T>(&workload.data, DeOptions::new()) {
            Ok(_) => {
                self.0.bench_function("serde_pickle_typed", |b| {
                    b.iter(|| {
                        serde_pickle::from_slice::<T>(black_box(&workload.data), DeOptions::new())
                    })
                });
            }
            Err(err) => eprintln!("decode/{}: serde-pickle typed: {err}", workload.label()),
        }
    }
}

// What `criterion_group!` and `criterion_main!` expand to, without their undocumented `pub fn`.
fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    benches(&mut criterion);
    criterion.final_summary();
}
