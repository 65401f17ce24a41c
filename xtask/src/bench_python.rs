//! `cargo xtask bench-python`: brine against CPython's C pickle and serde-pickle, on the same
//! files in the same run, printed as Markdown tables (the ones in `docs/performance.md`).
//!
//! Three programs time the workloads of `cargo xtask bench-data` with one method (calls per run
//! scaled to a minimum run time, the median of several runs, the min-max spread kept):
//! `benches/examples/bench_table.rs` for brine and serde-pickle (release mode),
//! `benches/timepickle.py` for CPython 3.11.7's `pickle.loads`/`pickle.dumps`. Then
//! `benches/examples/bench_mem.rs` and `timepickle.py memory` decode each workload once in a
//! fresh process and report the peak resident memory.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::{env, fs};

use crate::bench_data;

const USAGE: &str = "usage: cargo xtask bench-python [options]

Times brine, CPython 3.11.7 (pickle's C accelerator) and serde-pickle on the workloads of
`cargo xtask bench-data` (generated first if needed) and prints Markdown tables: decode and
encode throughput with ratios, and the peak memory of decoding.

  --runs N          timed runs per measurement, of which the median is kept (default 7)
  --min-time-ms MS  the least time one run takes (default 200)
  --filter TEXT     only the workloads whose label (e.g. floats_1m.p5) contains TEXT
  --no-memory       skip the peak-memory table
  --memory-only     only the peak-memory table

brine runs in release mode (`cargo run --release -p brine-benches --example ...`);
CARGO_TARGET_DIR is honoured.";

struct Args {
    runs: usize,
    min_time_ms: u64,
    filter: String,
    memory: bool,
    timings: bool,
}

/// Parses the command line of `cargo xtask bench-python` and runs it.
pub fn run(args: &[String]) -> Result<(), String> {
    let mut opts = Args {
        runs: 7,
        min_time_ms: 200,
        filter: String::new(),
        memory: true,
        timings: true,
    };
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let mut value = || {
            iter.next()
                .ok_or_else(|| format!("`{arg}` needs a value\n\n{USAGE}"))
        };
        match arg.as_str() {
            "--runs" => opts.runs = value()?.parse().map_err(|err| format!("--runs: {err}"))?,
            "--min-time-ms" => {
                opts.min_time_ms = value()?
                    .parse()
                    .map_err(|err| format!("--min-time-ms: {err}"))?;
            }
            "--filter" => opts.filter = value()?.clone(),
            "--no-memory" => opts.memory = false,
            "--memory-only" => opts.timings = false,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            _ => return Err(format!("unknown argument `{arg}`\n\n{USAGE}")),
        }
    }
    bench(&opts)
}

/// One measurement: a row of `bench_table` or `timepickle.py time`.
#[derive(Debug, Clone)]
struct Row {
    implementation: String,
    op: String,
    workload: String,
    protocol: u8,
    size: u64,
    /// Median, min and max nanoseconds per call; `None` when the implementation failed.
    timing: Option<(f64, f64, f64)>,
    note: String,
}

impl Row {
    fn key(&self) -> (String, u8) {
        (self.workload.clone(), self.protocol)
    }

    /// (max - min) / median.
    fn spread(&self) -> Option<f64> {
        self.timing.map(|(median, min, max)| (max - min) / median)
    }
}

fn bench(opts: &Args) -> Result<(), String> {
    let data = bench_data::ensure(false)?;
    let python = brine_python::reference().map_err(|err| err.to_string())?;
    let machine = machine();
    let load_before = loadavg();

    // Workload by workload, brine and serde-pickle then CPython, so that a change in the
    // machine's load between the two halves of a run cannot skew one workload's ratios.
    let files = manifest_files(&data, &opts.filter)?;
    let mut rows = Vec::new();
    for (n, file) in files.iter().enumerate().filter(|_| opts.timings) {
        eprintln!("bench-python: [{}/{}] {}", n + 1, files.len(), file.label);
        let mut rust = cargo_example("bench_table", &data);
        rust.args(["--runs", &opts.runs.to_string()])
            .args(["--min-time-ms", &opts.min_time_ms.to_string()])
            .args(["--label", &file.label]);
        rows.extend(parse_rows(&output(&mut rust, "bench_table")?)?);
        let mut cpython = brine_python::command(&python);
        cpython
            .arg(bench_data::benches_dir().join("timepickle.py"))
            .arg("time")
            .arg("--data")
            .arg(&data)
            .args(["--runs", &opts.runs.to_string()])
            .args(["--min-time", &format!("{}", opts.min_time_ms as f64 / 1e3)])
            .args(["--label", &file.label]);
        rows.extend(parse_rows(&output(&mut cpython, "timepickle.py")?)?);
    }
    let load_after = loadavg();

    let mut out = String::new();
    let command = env::args().skip(1).collect::<Vec<_>>().join(" ");
    let _ = writeln!(out, "Command: `cargo xtask {command}`\n");
    let _ = writeln!(out, "Machine: {machine}. CPython: {}.", python.display());
    let _ = writeln!(
        out,
        "Load average (1, 5, 15 min) before: {load_before}; after the timings: {load_after}.\n"
    );
    if opts.timings {
        let _ = writeln!(
            out,
            "Method: each cell is the median of {} runs, each run repeating the call for at least \
             {} ms. MB/s is the pickle's size (plus its out-of-band buffers) over the time of one \
             call, for every implementation alike, so a ratio is a ratio of times. Spread is the \
             largest (max - min) / median among the row's implementations.\n",
            opts.runs, opts.min_time_ms
        );
        speed_table(&mut out, &rows, "decode");
        speed_table(&mut out, &rows, "encode");
        typed_table(&mut out, &rows);
        noise_summary(&mut out, &rows);
        notes(&mut out, &rows);
    }
    if opts.memory {
        eprintln!("bench-python: peak memory, one process per decode");
        memory_table(&mut out, &data, &python, &opts.filter)?;
    }
    print!("{out}");
    Ok(())
}

/// `cargo run --release --quiet -p brine-benches --example NAME --`, with the data folder.
fn cargo_example(name: &str, data: &Path) -> Command {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args([
        "run",
        "--release",
        "--quiet",
        "-p",
        "brine-benches",
        "--example",
        name,
        "--",
    ])
    .env("BRINE_BENCH_DATA", data)
    .stdin(Stdio::null());
    cmd
}

fn output(cmd: &mut Command, what: &str) -> Result<String, String> {
    let out = cmd
        .stderr(Stdio::inherit())
        .output()
        .map_err(|err| format!("{what}: {err}"))?;
    if !out.status.success() {
        return Err(format!("{what} failed ({})", out.status));
    }
    String::from_utf8(out.stdout).map_err(|err| format!("{what}: {err}"))
}

fn parse_rows(text: &str) -> Result<Vec<Row>, String> {
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            let [
                implementation,
                op,
                workload,
                protocol,
                size,
                median,
                min,
                max,
                _iterations,
                rest @ ..,
            ] = fields.as_slice()
            else {
                return Err(format!("malformed timing row `{line}`"));
            };
            let number = |text: &str| text.parse::<f64>().ok();
            let timing = match (number(median), number(min), number(max)) {
                (Some(median), Some(min), Some(max)) => Some((median, min, max)),
                _ => None,
            };
            Ok(Row {
                implementation: (*implementation).to_owned(),
                op: (*op).to_owned(),
                workload: (*workload).to_owned(),
                protocol: protocol
                    .parse()
                    .map_err(|err| format!("`{line}`: protocol: {err}"))?,
                size: size
                    .parse()
                    .map_err(|err| format!("`{line}`: size: {err}"))?,
                timing,
                note: rest.join(" ").trim().to_owned(),
            })
        })
        .collect()
}

/// The rows of one operation, by workload, then implementation.
type ByWorkload<'a> = BTreeMap<(usize, (String, u8)), BTreeMap<&'a str, &'a Row>>;

fn by_workload<'a>(rows: &'a [Row], op: &str) -> ByWorkload<'a> {
    // Keep the manifest's order (the order the rows came in), not the alphabetical one.
    let mut order: Vec<(String, u8)> = Vec::new();
    for row in rows {
        if !order.contains(&row.key()) {
            order.push(row.key());
        }
    }
    let mut table: ByWorkload<'a> = BTreeMap::new();
    for row in rows.iter().filter(|row| row.op == op) {
        let position = order.iter().position(|key| *key == row.key()).unwrap_or(0);
        table
            .entry((position, row.key()))
            .or_default()
            .insert(row.implementation.as_str(), row);
    }
    table
}

fn speed_table(out: &mut String, rows: &[Row], op: &str) {
    let table = by_workload(rows, op);
    let reader = op == "decode";
    let _ = writeln!(out, "### {}\n", capitalize(op));
    let _ = write!(
        out,
        "| workload | protocol | size | brine time | brine MB/s |"
    );
    if reader {
        let _ = write!(out, " brine reader MB/s |");
    }
    let _ = writeln!(
        out,
        " CPython MB/s | serde-pickle MB/s | brine ÷ CPython | brine ÷ serde-pickle | spread |"
    );
    let columns = if reader { 11 } else { 10 };
    let _ = writeln!(out, "|{}", " --- |".repeat(columns));
    for ((_, (workload, protocol)), impls) in &table {
        let size = impls.values().next().map_or(0, |row| row.size);
        let time = |name: &str| impls.get(name).and_then(|row| row.timing).map(|t| t.0);
        let mbps = |name: &str| time(name).map(|ns| size as f64 / ns * 1e3);
        let cell = |name: &str| match (impls.get(name), mbps(name)) {
            (_, Some(value)) => fmt_mbps(value),
            (Some(_), None) => "fails¹".to_owned(),
            (None, None) => "–".to_owned(),
        };
        let ratio = |other: &str| match (time("brine"), time(other)) {
            (Some(brine), Some(other)) => fmt_ratio(other / brine),
            _ => "–".to_owned(),
        };
        let spread = impls
            .values()
            .filter_map(|row| row.spread())
            .fold(0.0, f64::max);
        let _ = write!(
            out,
            "| {workload} | {protocol} | {} | {} | {} |",
            fmt_size(size),
            time("brine").map_or("–".to_owned(), fmt_time),
            cell("brine")
        );
        if reader {
            let _ = write!(out, " {} |", cell("brine-reader"));
        }
        let _ = writeln!(
            out,
            " {} | {} | {} | {} | {:.0}% |",
            cell("cpython"),
            cell("serde-pickle"),
            ratio("cpython"),
            ratio("serde-pickle"),
            spread * 100.0
        );
    }
    let _ = writeln!(out);
    if reader {
        let copies: Vec<String> = table
            .iter()
            .filter_map(|((_, (workload, protocol)), impls)| {
                let row = impls.get("memcpy")?;
                let (ns, _, _) = row.timing?;
                Some(format!(
                    "{workload}.p{protocol} {}",
                    fmt_mbps(row.size as f64 / ns * 1e3)
                ))
            })
            .collect();
        if !copies.is_empty() {
            let _ = writeln!(
                out,
                "memcpy of the pickle (copying the input once, the floor for a decoder that \
                 copies), MB/s: {}.\n",
                copies.join(", ")
            );
        }
    }
}

/// A column of the typed tables: one implementation's MB/s, or the ratio of two
/// implementations' times (how many times faster the first is).
enum Column {
    Speed(&'static str, &'static str),
    Ratio(&'static str, &'static str, &'static str),
}

/// brine-serde against CPython, serde-pickle and serde_json, decoding into and encoding from
/// the same Rust types: one table for decoding, one for encoding.
fn typed_table(out: &mut String, rows: &[Row]) {
    use Column::{Ratio, Speed};
    let decode = [
        Speed("brine-serde", "brine-serde MB/s"),
        Speed("brine-serde-borrowed", "brine-serde `&str` MB/s²"),
        Speed("cpython", "CPython MB/s"),
        Speed("serde-pickle-typed", "serde-pickle MB/s"),
        Speed("serde-json", "serde_json MB/s³"),
        Speed("serde-json-borrowed", "serde_json `&str` MB/s"),
        Ratio("brine-serde", "cpython", "brine-serde ÷ CPython"),
        Ratio("brine-serde-borrowed", "cpython", "`&str` ÷ CPython"),
        Ratio(
            "brine-serde",
            "serde-pickle-typed",
            "brine-serde ÷ serde-pickle",
        ),
        Ratio("brine-serde", "serde-json", "brine-serde ÷ serde_json"),
        Ratio(
            "brine-serde-borrowed",
            "serde-json-borrowed",
            "`&str` ÷ serde_json `&str`",
        ),
    ];
    let encode = [
        Speed("brine-serde", "brine-serde MB/s"),
        Speed("brine-serde-fast", "brine-serde fast MB/s⁴"),
        Speed("cpython", "CPython MB/s"),
        Speed("serde-pickle-typed", "serde-pickle MB/s"),
        Ratio("brine-serde", "cpython", "brine-serde ÷ CPython"),
        Ratio(
            "brine-serde",
            "serde-pickle-typed",
            "brine-serde ÷ serde-pickle",
        ),
        Ratio(
            "brine-serde-fast",
            "serde-pickle-typed",
            "fast ÷ serde-pickle",
        ),
    ];
    let decoded = by_workload(rows, "decode");
    if !decoded
        .values()
        .any(|impls| impls.contains_key("brine-serde"))
    {
        return;
    }
    let _ = writeln!(
        out,
        "### Typed decode (serde): the same files into Rust types\n"
    );
    typed_rows(out, &decoded, &decode);
    let _ = writeln!(
        out,
        "### Typed encode (serde): the same Rust types into pickles\n"
    );
    typed_rows(out, &by_workload(rows, "encode"), &encode);
    let _ = writeln!(
        out,
        "² the workload's type with its str as `&str` lent from the input \
         (`brine_benches::typed::with_borrowed_type`), for the workloads of str.\n\n\
         ³ serde_json reads the same values into the same types from their JSON text, \
         written once from the decoded value; its MB/s is of the pickle's size, so that it \
         compares with the other columns as time does.\n\n\
         ⁴ CPython's fast mode (`Options::fast`: no memo, so shared objects are written \
         again).\n"
    );
}

/// The rows of one typed table: the workloads brine-serde has a type for.
fn typed_rows(out: &mut String, table: &ByWorkload<'_>, columns: &[Column]) {
    let names = columns.iter().map(|column| match column {
        Column::Speed(_, name) | Column::Ratio(_, _, name) => *name,
    });
    let _ = write!(out, "| workload | protocol | size |");
    for name in names {
        let _ = write!(out, " {name} |");
    }
    let _ = writeln!(out, " spread |");
    let _ = writeln!(out, "|{}", " --- |".repeat(columns.len() + 4));
    for ((_, (workload, protocol)), impls) in table {
        if !impls.contains_key("brine-serde") {
            continue;
        }
        let size = impls.values().next().map_or(0, |row| row.size);
        let time = |name: &str| impls.get(name).and_then(|row| row.timing).map(|t| t.0);
        let _ = write!(out, "| {workload} | {protocol} | {} |", fmt_size(size));
        let mut spread: f64 = 0.0;
        for column in columns {
            let cell = match *column {
                Column::Speed(name, _) => {
                    if let Some(row_spread) = impls.get(name).and_then(|row| row.spread()) {
                        spread = spread.max(row_spread);
                    }
                    match (impls.get(name), time(name)) {
                        (_, Some(ns)) => fmt_mbps(size as f64 / ns * 1e3),
                        (Some(_), None) => "fails¹".to_owned(),
                        (None, None) => "–".to_owned(),
                    }
                }
                Column::Ratio(ours, theirs, _) => match (time(ours), time(theirs)) {
                    (Some(ours), Some(theirs)) => fmt_ratio(theirs / ours),
                    _ => "–".to_owned(),
                },
            };
            let _ = write!(out, " {cell} |");
        }
        let _ = writeln!(out, " {:.0}% |", spread * 100.0);
    }
    let _ = writeln!(out);
}

fn noise_summary(out: &mut String, rows: &[Row]) {
    let mut spreads: Vec<f64> = rows.iter().filter_map(Row::spread).collect();
    if spreads.is_empty() {
        return;
    }
    spreads.sort_by(f64::total_cmp);
    let median = spreads[spreads.len() / 2];
    let p90 = spreads[(spreads.len() * 9 / 10).min(spreads.len() - 1)];
    let worst = spreads[spreads.len() - 1];
    let _ = writeln!(
        out,
        "Noise: over all {} measurements the (max - min) / median spread of the runs has a \
         median of {:.1}%, a 90th percentile of {:.1}% and a maximum of {:.1}%.\n",
        spreads.len(),
        median * 100.0,
        p90 * 100.0,
        worst * 100.0
    );
}

/// The implementations' notes, one line per distinct note with the workloads it applies to.
fn notes(out: &mut String, rows: &[Row]) {
    let mut grouped: Vec<(String, Vec<String>)> = Vec::new();
    for row in rows.iter().filter(|row| !row.note.is_empty()) {
        let head = format!("{} {}: {}", row.implementation, row.op, row.note);
        let label = format!("{}.p{}", row.workload, row.protocol);
        match grouped.iter_mut().find(|(h, _)| *h == head) {
            Some((_, labels)) => labels.push(label),
            None => grouped.push((head, vec![label])),
        }
    }
    if grouped.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "Notes (¹ fails: the implementation cannot read the file):\n"
    );
    for (head, labels) in grouped {
        let _ = writeln!(out, "- {head} ({})", labels.join(", "));
    }
    let _ = writeln!(out);
}

/// One manifest row, as the memory probes need it.
struct File {
    label: String,
    pickle: PathBuf,
    buffers: Vec<PathBuf>,
    size: u64,
}

fn manifest_files(data: &Path, filter: &str) -> Result<Vec<File>, String> {
    let path = data.join("manifest.tsv");
    let text = fs::read_to_string(&path).map_err(|err| format!("{}: {err}", path.display()))?;
    let mut files = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with('#')).skip(1) {
        let fields: Vec<&str> = line.split('\t').collect();
        let [workload, protocol, file, size, buffer_size, buffers, ..] = fields.as_slice() else {
            return Err(format!("{}: malformed row `{line}`", path.display()));
        };
        let label = format!("{workload}.p{protocol}");
        if !label.contains(filter) {
            continue;
        }
        let size: u64 = size.parse().map_err(|err| format!("`{line}`: {err}"))?;
        let buffer_size: u64 = buffer_size
            .parse()
            .map_err(|err| format!("`{line}`: {err}"))?;
        files.push(File {
            label,
            pickle: data.join(file),
            buffers: match *buffers {
                "-" => Vec::new(),
                list => list.split(',').map(|name| data.join(name)).collect(),
            },
            size: size + buffer_size,
        });
    }
    Ok(files)
}

fn memory_table(out: &mut String, data: &Path, python: &Path, filter: &str) -> Result<(), String> {
    let _ = writeln!(out, "### Peak memory of decoding\n");
    let _ = writeln!(
        out,
        "Each decode runs alone in a fresh process. Peak is the high-water mark of resident \
         memory (VmHWM) minus the resident memory before the input was read, so it counts the \
         input, the graph and everything transient. Graph is the decoded graph's heap \
         estimated from its shape (payloads that are slices of the input count nothing). \
         Budget is 1.5 × size + graph. CPython objects is the peak of what Python's \
         allocators handed out during `pickle.loads` (`tracemalloc`, the input not counted); \
         brine's decode peak is its peak minus the resident memory once the input was read \
         (from `Bytes`), and the last column divides the one by the other.\n"
    );
    let _ = writeln!(
        out,
        "| workload | size | brine peak (Bytes) | graph (Bytes) | peak ÷ budget | brine peak \
         (reader) | graph (reader) | peak ÷ budget | CPython peak | CPython objects \
         (tracemalloc) | brine decode peak ÷ CPython objects |"
    );
    let _ = writeln!(out, "|{}", " --- |".repeat(11));
    for file in manifest_files(data, filter)? {
        let mut cells = vec![file.label.clone(), fmt_size(file.size)];
        let mut graph_peak = 0;
        for mode in ["bytes", "reader"] {
            let mut cmd = cargo_example("bench_mem", data);
            cmd.arg(mode).arg(&file.pickle).args(&file.buffers);
            let text = output(&mut cmd, "bench_mem")?;
            let fields: Vec<u64> = text
                .split_whitespace()
                .skip(1)
                .map(|field| field.parse().unwrap_or(0))
                .collect();
            let [_size, base_kb, read_kb, _decoded_kb, peak_kb, graph] = fields.as_slice() else {
                return Err(format!("bench_mem: malformed output `{text}`"));
            };
            let peak = peak_kb.saturating_sub(*base_kb) * 1024;
            if mode == "bytes" {
                graph_peak = peak_kb.saturating_sub(*read_kb) * 1024;
            }
            let budget = 1.5 * file.size as f64 + *graph as f64;
            cells.push(fmt_size(peak));
            cells.push(fmt_size(*graph));
            cells.push(format!("{:.2}", peak as f64 / budget));
        }
        let mut cmd = brine_python::command(python);
        cmd.arg(bench_data::benches_dir().join("timepickle.py"))
            .arg("memory")
            .arg(&file.pickle)
            .args(&file.buffers);
        let text = output(&mut cmd, "timepickle.py memory")?;
        let fields: Vec<u64> = text
            .split_whitespace()
            .map(|field| field.parse().unwrap_or(0))
            .collect();
        let [base_kb, _read_kb, _loaded_kb, peak_kb, objects] = fields.as_slice() else {
            return Err(format!("timepickle.py memory: malformed output `{text}`"));
        };
        cells.push(fmt_size(peak_kb.saturating_sub(*base_kb) * 1024));
        cells.push(fmt_size(*objects));
        cells.push(format!(
            "{:.2}",
            graph_peak as f64 / (*objects).max(1) as f64
        ));
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    let _ = writeln!(out);
    Ok(())
}

/// `lscpu`'s model name and the number of cores.
fn machine() -> String {
    let lscpu = Command::new("lscpu")
        .env("LC_ALL", "C")
        .stderr(Stdio::null())
        .output()
        .ok()
        .map(|out| String::from_utf8_lossy(&out.stdout).into_owned())
        .unwrap_or_default();
    let field = |key: &str| {
        lscpu.lines().find_map(|line| {
            let (name, value) = line.split_once(':')?;
            (name.trim() == key).then(|| value.trim().to_owned())
        })
    };
    let model = field("Model name").unwrap_or_else(|| "unknown CPU".to_owned());
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let hypervisor = field("Hypervisor vendor")
        .map(|vendor| format!(", virtualized ({vendor})"))
        .unwrap_or_default();
    let memory = fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            let line = info.lines().find(|line| line.starts_with("MemTotal:"))?;
            let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(format!(", {} GiB RAM", kb / (1 << 20)))
        })
        .unwrap_or_default();
    format!(
        "{model}, {cpus} CPUs{hypervisor}{memory}, {} {}",
        env::consts::OS,
        env::consts::ARCH
    )
}

fn loadavg() -> String {
    fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_else(|_| "unknown".to_owned())
}

fn fmt_mbps(value: f64) -> String {
    if value >= 1e5 {
        format!("{:.1e}", value)
    } else if value >= 100.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

fn fmt_ratio(ratio: f64) -> String {
    if ratio >= 1000.0 {
        format!("{ratio:.1e}×")
    } else {
        format!("{ratio:.2}×")
    }
}

fn fmt_time(ns: f64) -> String {
    if ns >= 1e9 {
        format!("{:.2} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.1} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.1} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

fn fmt_size(bytes: u64) -> String {
    let bytes = bytes as f64;
    if bytes >= 1e6 {
        format!("{:.1} MB", bytes / 1e6)
    } else if bytes >= 1e3 {
        format!("{:.1} kB", bytes / 1e3)
    } else {
        format!("{bytes:.0} B")
    }
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_with_and_without_timings() {
        let rows = parse_rows(
            "brine\tdecode\tints_1m\t2\t3000\t1000\t900\t1100\t5\t\n\
             serde-pickle\tdecode\toob\t5\t63\t\t\t\t\tcannot decode: unsupported opcode\n",
        )
        .unwrap();
        assert_eq!(rows[0].timing, Some((1000.0, 900.0, 1100.0)));
        assert!((rows[0].spread().unwrap() - 0.2).abs() < 1e-9);
        assert_eq!(rows[1].timing, None);
        assert_eq!(rows[1].note, "cannot decode: unsupported opcode");
        assert!(parse_rows("brine\tdecode").is_err());
    }

    #[test]
    fn table_cells() {
        let rows = parse_rows(
            "brine\tdecode\tints\t2\t2000000\t1000000\t900000\t1100000\t5\t\n\
             cpython\tdecode\tints\t2\t2000000\t4000000\t4000000\t4000000\t5\t\n\
             serde-pickle\tdecode\tints\t2\t2000000\t\t\t\t\tcannot decode: x\n",
        )
        .unwrap();
        let mut out = String::new();
        speed_table(&mut out, &rows, "decode");
        let line = out.lines().find(|line| line.starts_with("| ints")).unwrap();
        assert_eq!(
            line,
            "| ints | 2 | 2.0 MB | 1.0 ms | 2000 | – | 500 | fails¹ | 4.00× | – | 20% |"
        );
    }

    #[test]
    fn numbers() {
        assert_eq!(fmt_mbps(12.34), "12.3");
        assert_eq!(fmt_mbps(1234.5), "1234");
        assert_eq!(fmt_mbps(2.5e7), "2.5e7");
        assert_eq!(fmt_time(1500.0), "1.5 µs");
        assert_eq!(fmt_size(100_000_009), "100.0 MB");
    }
}
