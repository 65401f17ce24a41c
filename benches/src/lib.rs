//! What brine's benchmarks share: the workloads `cargo xtask bench-data` writes, brine's decode
//! and encode calls on them (through one reused decoder and encoder per workload, [`Brine`]),
//! the timing loop and the peak-memory probe.
//!
//! The criterion benches (`cargo bench -p brine-benches`) and the two programs behind
//! `cargo xtask bench-python` (examples `bench_table` and `bench_mem`) all read the same
//! files through [`workloads`], so every number compares like with like. The crates brine is
//! measured against (serde-pickle) are dev-dependencies and appear only in the benches and
//! examples; this library depends on brine alone.
//!
//! [`typed`] gives the workloads Rust types, for brine-serde and serde-pickle's typed paths.
//!
//! Nothing here runs under `cargo test`: criterion benches run only under `cargo bench`.
#![forbid(unsafe_code)]

pub mod typed;

use std::fs::{self, File};
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use std::{env, hint, mem};

use brine_value::{Change, Graph, Node, NodeId, Value};
use bytes::Bytes;
use num_bigint::BigInt;

/// The environment variable that points at another data folder than `benches/data`.
pub const DATA_ENV: &str = "BRINE_BENCH_DATA";

/// One pickle of the suite, read into memory with its out-of-band buffers.
#[derive(Debug, Clone)]
pub struct Workload {
    /// The workload's name, e.g. `floats_1m`.
    pub name: String,
    /// The protocol CPython wrote it with.
    pub protocol: u8,
    /// The pickle file.
    pub path: PathBuf,
    /// The pickle's bytes.
    pub data: Bytes,
    /// The protocol 5 out-of-band buffers, in NEXT_BUFFER order (side files).
    pub buffers: Vec<Bytes>,
    /// The side files holding [`Workload::buffers`].
    pub buffer_paths: Vec<PathBuf>,
}

impl Workload {
    /// `<name>.p<protocol>`, the label used in every table.
    pub fn label(&self) -> String {
        format!("{}.p{}", self.name, self.protocol)
    }

    /// The bytes a decoder is handed: the pickle plus its out-of-band buffers.
    pub fn size(&self) -> u64 {
        self.data.len() as u64 + self.buffers.iter().map(|b| b.len() as u64).sum::<u64>()
    }
}

/// A row of `manifest.tsv`: one pickle file and its side files, not yet read.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The workload's name.
    pub name: String,
    /// The protocol.
    pub protocol: u8,
    /// The pickle file.
    pub path: PathBuf,
    /// The out-of-band buffer files.
    pub buffer_paths: Vec<PathBuf>,
}

impl Entry {
    /// `<name>.p<protocol>`.
    pub fn label(&self) -> String {
        format!("{}.p{}", self.name, self.protocol)
    }

    /// Reads the pickle and its buffers.
    ///
    /// # Errors
    ///
    /// A file that cannot be read.
    pub fn read(&self) -> Result<Workload, String> {
        let data = read(&self.path)?;
        let buffers = self
            .buffer_paths
            .iter()
            .map(|path| read(path))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Workload {
            name: self.name.clone(),
            protocol: self.protocol,
            path: self.path.clone(),
            data,
            buffers,
            buffer_paths: self.buffer_paths.clone(),
        })
    }
}

/// The data folder: `$BRINE_BENCH_DATA`, or `benches/data` beside this crate.
pub fn data_dir() -> PathBuf {
    env::var_os(DATA_ENV)
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("data"))
}

/// The manifest's rows whose label contains `filter` (all of them for `""`), in manifest order.
///
/// # Errors
///
/// A missing or malformed manifest, with a hint to run `cargo xtask bench-data`.
pub fn manifest(dir: &Path, filter: &str) -> Result<Vec<Entry>, String> {
    let path = dir.join("manifest.tsv");
    let text = fs::read_to_string(&path).map_err(|err| {
        format!(
            "{}: {err}; generate the workloads with `cargo xtask bench-data`",
            path.display()
        )
    })?;
    let mut lines = text.lines().filter(|line| !line.starts_with('#'));
    let header: Vec<&str> = lines.next().unwrap_or_default().split('\t').collect();
    let column = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .ok_or_else(|| format!("{}: no `{name}` column", path.display()))
    };
    let (name_col, protocol_col) = (column("workload")?, column("protocol")?);
    let (file_col, buffers_col) = (column("file")?, column("buffers")?);
    let mut entries = Vec::new();
    for line in lines {
        let fields: Vec<&str> = line.split('\t').collect();
        let field = |col: usize| {
            fields
                .get(col)
                .copied()
                .ok_or_else(|| format!("{}: short row `{line}`", path.display()))
        };
        let protocol = field(protocol_col)?
            .parse()
            .map_err(|err| format!("{}: protocol in `{line}`: {err}", path.display()))?;
        let buffers = field(buffers_col)?;
        let entry = Entry {
            name: field(name_col)?.to_owned(),
            protocol,
            path: dir.join(field(file_col)?),
            buffer_paths: match buffers {
                "-" | "" => Vec::new(),
                list => list.split(',').map(|file| dir.join(file)).collect(),
            },
        };
        if entry.label().contains(filter) {
            entries.push(entry);
        }
    }
    Ok(entries)
}

/// Reads every workload of the manifest in `dir` whose label contains `filter`.
///
/// # Errors
///
/// As [`manifest`] and [`Entry::read`].
pub fn workloads(dir: &Path, filter: &str) -> Result<Vec<Workload>, String> {
    manifest(dir, filter)?.iter().map(Entry::read).collect()
}

/// brine's decoder and encoders for one workload, made once and reused by every [`decode`],
/// [`encode`] and [`encode_fast`] of it, as a Python program reuses one `Unpickler` and one
/// `Pickler`: each keeps its memo, stack and other vectors between calls, so that a small
/// pickle does not pay for allocating them every time.
pub struct Brine<'w> {
    workload: &'w Workload,
    decoder: brine_vm::Decoder<'w>,
    encoder: brine_encode::Encoder<'w>,
    fast: brine_encode::Encoder<'w>,
}

impl<'w> Brine<'w> {
    /// The decoder (with the workload's out-of-band buffers) and the encoders (at its
    /// protocol, keeping out-of-band buffers out-of-band) for `workload`.
    pub fn new(workload: &'w Workload) -> Brine<'w> {
        let options = brine_encode::Options::protocol(workload.protocol);
        let encoder = |options| {
            let encoder = brine_encode::Encoder::new(options);
            if workload.buffers.is_empty() {
                encoder
            } else {
                encoder.buffer_callback(|_| false)
            }
        };
        Brine {
            workload,
            decoder: brine_vm::Decoder::new(brine_vm::Options::default())
                .buffers(&workload.buffers),
            encoder: encoder(options.clone()),
            fast: encoder(options.fast()),
        }
    }
}

/// Decodes the workload as brine's zero-copy path does: `from_bytes` from shared [`Bytes`],
/// with the out-of-band buffers handed over (shared, never copied), through the reused
/// decoder.
///
/// # Errors
///
/// What brine-vm reports.
pub fn decode(brine: &mut Brine<'_>) -> Result<Graph, brine_vm::Error> {
    brine.decoder.from_bytes(&brine.workload.data)
}

/// Decodes the workload from a reader (`brine_vm::from_reader` over the bytes in memory): payloads
/// are copied out of the reader's buffer.
///
/// # Errors
///
/// What brine-vm reports.
pub fn decode_reader(workload: &Workload) -> Result<Graph, brine_vm::Error> {
    brine_vm::Decoder::new(brine_vm::Options::default())
        .buffers(&workload.buffers)
        .from_reader(&workload.data[..])
}

/// Decodes the pickle file at `path` streamed through a [`BufReader`], never holding the
/// whole input.
///
/// # Errors
///
/// What brine-vm reports, or the file cannot be opened.
pub fn decode_file(path: &Path, buffers: &[Bytes]) -> Result<Graph, String> {
    let file = File::open(path).map_err(|err| format!("{}: {err}", path.display()))?;
    brine_vm::Decoder::new(brine_vm::Options::default())
        .buffers(buffers)
        .from_reader(BufReader::new(file))
        .map_err(|err| format!("{}: {err}", path.display()))
}

/// Encodes `graph` at the workload's protocol, as CPython wrote it, through the reused
/// encoder: out-of-band buffers stay out-of-band (the buffer callback returns `false`), so
/// they are never copied.
///
/// # Errors
///
/// What brine-encode reports.
pub fn encode(brine: &mut Brine<'_>, graph: &Graph) -> Result<Vec<u8>, brine_encode::EncodeError> {
    brine.encoder.to_vec(graph)
}

/// [`encode`] in CPython's fast mode (`Pickler.fast = True`: no memo), which refuses a graph
/// with a cycle.
///
/// # Errors
///
/// What brine-encode reports.
pub fn encode_fast(
    brine: &mut Brine<'_>,
    graph: &Graph,
) -> Result<Vec<u8>, brine_encode::EncodeError> {
    brine.fast.to_vec(graph)
}

/// One timing: nanoseconds per call over several runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timing {
    /// The median of the runs' per-call times.
    pub median_ns: f64,
    /// The fastest run's per-call time.
    pub min_ns: f64,
    /// The slowest run's per-call time.
    pub max_ns: f64,
    /// The calls per run.
    pub iterations: u64,
}

impl Timing {
    /// Megabytes (10^6 bytes) per second for `size` bytes per call, at the median.
    pub fn mb_per_s(&self, size: u64) -> f64 {
        size as f64 / self.median_ns * 1e3
    }
}

/// Times `func` as `benches/timepickle.py` times CPython: the number of calls per run is
/// doubled until a run takes a quarter of `min_time`, then scaled so that a run takes about
/// `min_time`; `runs` runs follow, and the median, min and max per-call times are returned.
/// What `func` returns is dropped inside the timed loop, as Python frees a loaded object.
pub fn measure<T>(runs: usize, min_time: Duration, mut func: impl FnMut() -> T) -> Timing {
    drop(hint::black_box(func()));
    let mut iterations: u64 = 1;
    let elapsed = loop {
        let start = Instant::now();
        for _ in 0..iterations {
            drop(hint::black_box(func()));
        }
        let elapsed = start.elapsed();
        if elapsed >= min_time / 4 || iterations >= 1 << 30 {
            break elapsed;
        }
        iterations *= 2;
    };
    let scale = min_time.as_secs_f64() / elapsed.as_secs_f64().max(1e-9);
    let iterations = ((iterations as f64 * scale).round() as u64).max(1);
    let mut samples: Vec<f64> = (0..runs.max(1))
        .map(|_| {
            let start = Instant::now();
            for _ in 0..iterations {
                drop(hint::black_box(func()));
            }
            start.elapsed().as_nanos() as f64 / iterations as f64
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    Timing {
        median_ns: median(&samples),
        min_ns: samples[0],
        max_ns: samples[samples.len() - 1],
        iterations,
    }
}

fn median(sorted: &[f64]) -> f64 {
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    }
}

/// A field of `/proc/self/status` in kB (`VmRSS`, `VmHWM`), or `None` off Linux.
pub fn status_kb(key: &str) -> Option<u64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(key)?.strip_prefix(':')?;
        rest.split_whitespace().next()?.parse().ok()
    })
}

/// What a graph holds on the heap, estimated from its shape: the arena of nodes, the item
/// vectors (by capacity), big ints, and the str/bytes payloads that are not slices of
/// `shared` (with `loads_bytes` every payload is a slice of the input and costs nothing).
/// Each heap block is counted as glibc's malloc sizes it ([`heap_block`]).
pub fn graph_heap_bytes(graph: &Graph, shared: Option<&Bytes>) -> u64 {
    let value = mem::size_of::<Value>() as u64;
    let mut total = heap_block(graph.len() as u64 * mem::size_of::<Node>() as u64);
    let owned = |payload: &[u8]| match shared {
        Some(input) if contains(input, payload) => 0,
        _ => heap_block(payload.len() as u64),
    };
    let items = |items: &Vec<Value>| heap_block(items.capacity() as u64 * value);
    let pairs = |pairs: &Vec<(Value, Value)>| heap_block(pairs.capacity() as u64 * 2 * value);
    // The big ints: the table, then each one's digits.
    total += heap_block(graph.bigints().len() as u64 * mem::size_of::<BigInt>() as u64);
    for int in graph.bigints() {
        total += heap_block(int.bits().div_ceil(8));
    }
    let mut changed_nodes = 0u64;
    for (id, node) in graph.nodes() {
        let changes = graph.changes(id);
        if !changes.is_empty() {
            changed_nodes += 1;
        }
        for change in changes {
            total += match change {
                Change::Append(list) | Change::AddItems(list) => items(list),
                Change::SetItems(list) => pairs(list),
                _ => 0,
            };
        }
        total += match node {
            Node::Str(text) => owned(text.as_bytes()),
            Node::Bytes(data) | Node::ByteArray(data) => owned(data),
            Node::Tuple(list) | Node::List(list) | Node::Set(list) | Node::FrozenSet(list) => {
                items(list)
            }
            Node::Inst { args, .. } | Node::Obj { args, .. } => items(args),
            Node::Dict(list) => pairs(list),
            _ => 0,
        };
    }
    // The change table: a hash table entry per changed node (its id and one change inline,
    // a control byte) at hashbrown's load factor of 7/8.
    let entry = mem::size_of::<NodeId>() as u64 + mem::size_of::<Change>() as u64 + 1;
    total += heap_block((changed_nodes * entry * 8).div_ceil(7));
    total
}

/// The bytes glibc's malloc takes for a request of `size` bytes: an 8-byte header, rounded up
/// to 16, at least 32 (nothing for an empty request, which Rust never makes).
pub fn heap_block(size: u64) -> u64 {
    if size == 0 {
        0
    } else {
        ((size + 8).div_ceil(16) * 16).max(32)
    }
}

fn contains(outer: &[u8], inner: &[u8]) -> bool {
    let outer = outer.as_ptr_range();
    let inner = inner.as_ptr_range();
    outer.start <= inner.start && inner.end <= outer.end
}

fn read(path: &Path) -> Result<Bytes, String> {
    fs::read(path)
        .map(Bytes::from)
        .map_err(|err| format!("{}: {err}", path.display()))
}

/// How long criterion should spend on one benchmark of a `size`-byte workload: a few minutes
/// for the whole `cargo bench -p brine-benches`, not statistical rigour (`cargo xtask
/// bench-python` is the measurement of record). Returns (samples, warm-up, measurement).
pub fn criterion_budget(size: u64) -> (usize, Duration, Duration) {
    if size >= 16 << 20 {
        (10, Duration::from_millis(200), Duration::from_secs(2))
    } else {
        (10, Duration::from_millis(200), Duration::from_millis(800))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_rows_and_filter() {
        let dir = env::temp_dir().join(format!("brine-benches-manifest-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        fs::write(
            dir.join("manifest.tsv"),
            "# generated by `cargo xtask bench-data`; do not edit\n\
             # python\t3.11.7\n\
             workload\tprotocol\tfile\tsize\tbuffer_size\tbuffers\tsha256\n\
             ints\t2\tints.p2.pickle\t3\t0\t-\tx\n\
             array\t5\tarray.p5.pickle\t5\t3\tarray.p5.buffer0.bin\tx\n",
        )
        .unwrap();
        fs::write(dir.join("ints.p2.pickle"), b"K\x01.").unwrap();
        fs::write(dir.join("array.p5.pickle"), b"\x80\x05\x97\x98.").unwrap();
        fs::write(dir.join("array.p5.buffer0.bin"), b"abc").unwrap();

        let all = workloads(&dir, "").unwrap();
        let labels: Vec<String> = all.iter().map(Workload::label).collect();
        assert_eq!(labels, ["ints.p2", "array.p5"]);
        assert_eq!(all[1].size(), 8);
        assert_eq!(manifest(&dir, "p5").unwrap().len(), 1);

        // The out-of-band buffer is handed over and written back out-of-band.
        let mut brine = Brine::new(&all[1]);
        let graph = decode(&mut brine).unwrap();
        assert_eq!(encode(&mut brine, &graph).unwrap(), &all[1].data[..]);
        assert_eq!(decode_reader(&all[0]).unwrap().root().as_i64(), Some(1));
        let node = mem::size_of::<Node>() as u64;
        assert_eq!(graph_heap_bytes(&graph, None), heap_block(node));
        assert_eq!(
            (heap_block(0), heap_block(1), heap_block(24), heap_block(25)),
            (0, 32, 32, 48)
        );
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn missing_manifest_says_how_to_make_it() {
        let err = manifest(Path::new("/nonexistent/brine"), "").unwrap_err();
        assert!(err.contains("cargo xtask bench-data"), "{err}");
    }

    #[test]
    fn measure_orders_its_statistics() {
        let timing = measure(3, Duration::from_millis(1), || hint::black_box(1 + 1));
        assert!(timing.min_ns <= timing.median_ns && timing.median_ns <= timing.max_ns);
        assert!(timing.iterations >= 1);
    }
}
