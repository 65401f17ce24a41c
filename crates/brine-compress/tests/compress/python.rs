//! Differential tests with CPython: what Python's modules compress, brine decompresses to the
//! same bytes, and what brine compresses, Python decompresses to the same bytes.
//!
//! The interpreter is `brine_python::venv()`, which has the pinned PyPI packages `zstandard` and
//! `lz4`, else the reference CPython, which has gzip, bz2 and lzma. Whatever is missing goes
//! through `brine_python::skip`: a "skipping: …" line locally, a failure in CI.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;
use std::process::Command;
use std::process::Stdio;
use std::sync::OnceLock;

use brine_compress::Codec;
use brine_compress::Level;
use brine_compress::Options;

use crate::support::codecs;
use crate::support::random;

/// `python -c SCRIPT` runs a batch of jobs read from stdin and writes one answer per job.
///
/// A job is a line `OP CODEC ARG`, an 8-byte little-endian length and that many input bytes.
/// OP is `compress` (ARG is a level, with settings after commas), `decompress` (every member,
/// frame or stream) or `pickle` (ARG is a protocol; the input is ignored).
/// An answer is a status byte (0 done, 3 skipped for a missing package), an 8-byte length and
/// the output, or the reason it skipped.
const SCRIPT: &str = r#"
import importlib, io, pickle, struct, sys

def need(name):
    try:
        return importlib.import_module(name)
    except ImportError as err:
        raise Skip(f"Python package {name} is not importable ({err})")

class Skip(Exception):
    pass

def job(op, codec, arg, data):
    if op == "pickle":
        records = [{"id": i, "name": f"user{i:05}", "email": f"user{i}@example.org",
                    "score": i * 0.25, "active": i % 3 == 0, "tags": ["a", "b"][: i % 3],
                    "parent": None, "blob": bytes([i % 256]) * (i % 7)} for i in range(2000)]
        return pickle.dumps({"records": records, "floats": [i / 7 for i in range(5000)]},
                            protocol=int(arg))
    if codec == "gzip":
        import gzip
        if op == "compress":
            return gzip.compress(data, compresslevel=int(arg), mtime=0)
        return gzip.decompress(data)
    if codec == "bz2":
        import bz2
        return bz2.compress(data, int(arg)) if op == "compress" else bz2.decompress(data)
    if codec == "xz":
        import lzma
        if op == "compress":
            level, _, check = arg.partition(",")
            preset = int(level.rstrip("e")) | (lzma.PRESET_EXTREME if level.endswith("e") else 0)
            check = getattr(lzma, "CHECK_" + (check or "crc64").upper())
            return lzma.compress(data, preset=preset, check=check)
        return lzma.decompress(data)
    if codec == "zstd":
        zstandard = need("zstandard")
        if op == "compress":
            level, _, flags = arg.partition(",")
            return zstandard.ZstdCompressor(
                level=int(level), write_checksum="checksum" in flags,
                write_content_size="nosize" not in flags).compress(data)
        reader = zstandard.ZstdDecompressor().stream_reader(
            io.BytesIO(data), read_across_frames=True)
        return reader.read()
    if codec == "lz4":
        frame = need("lz4.frame")
        if op == "compress":
            level, *settings = arg.split(",")
            kwargs = {key: int(value) for key, value in (s.split("=") for s in settings)}
            return frame.compress(data, compression_level=int(level), **kwargs)
        return frame.LZ4FrameFile(io.BytesIO(data)).read()
    if codec == "zlib":
        import zlib
        return zlib.compress(data, int(arg)) if op == "compress" else zlib.decompress(data)
    if codec == "lzma":
        import lzma
        if op == "compress":
            return lzma.compress(data, format=lzma.FORMAT_ALONE, preset=int(arg))
        return lzma.decompress(data, format=lzma.FORMAT_ALONE)
    raise ValueError(f"unknown codec {codec}")

stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
while line := stdin.readline():
    op, codec, arg = line.decode().split()
    (length,) = struct.unpack("<Q", stdin.read(8))
    data = stdin.read(length)
    try:
        status, out = 0, job(op, codec, arg, data)
    except Skip as skip:
        status, out = 3, str(skip).encode()
    stdout.write(bytes([status]) + struct.pack("<Q", len(out)) + out)
stdout.flush()
"#;

/// One job for the script.
struct Job<'a> {
    op: &'a str,
    codec: &'a str,
    arg: &'a str,
    input: &'a [u8],
}

/// The interpreter, found once: the third-party virtual environment, which has `zstandard`
/// and `lz4`, else the reference CPython (whose zstd and lz4 jobs then skip).
fn python() -> Result<&'static PathBuf, &'static brine_python::Error> {
    static PYTHON: OnceLock<Result<PathBuf, brine_python::Error>> = OnceLock::new();
    PYTHON
        .get_or_init(|| {
            brine_python::venv().or_else(|venv_err| {
                let python = brine_python::reference()?;
                println!("note: {venv_err}; zstd and lz4 need it");
                Ok(python)
            })
        })
        .as_ref()
}

/// Runs a batch of jobs in one interpreter; an `Err` answer carries the reason it skipped.
fn run(python: &PathBuf, jobs: &[Job<'_>]) -> Vec<Result<Vec<u8>, String>> {
    let mut request = Vec::new();
    for job in jobs {
        request.extend_from_slice(format!("{} {} {}\n", job.op, job.codec, job.arg).as_bytes());
        request.extend_from_slice(&(job.input.len() as u64).to_le_bytes());
        request.extend_from_slice(job.input);
    }
    let mut child = Command::new(python)
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python starts");
    let mut stdin = child.stdin.take().expect("piped stdin");
    let feeder = std::thread::spawn(move || stdin.write_all(&request));
    let output = child.wait_with_output().expect("python runs");
    feeder
        .join()
        .expect("feeder thread")
        .expect("python reads its input");
    assert!(
        output.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut answers = Vec::new();
    let mut rest = &output.stdout[..];
    for _ in jobs {
        let (&status, tail) = rest.split_first().expect("an answer per job");
        let (len, tail) = tail.split_at(8);
        let len = u64::from_le_bytes(len.try_into().expect("8 bytes")) as usize;
        let (body, tail) = tail.split_at(len);
        answers.push(match status {
            0 => Ok(body.to_vec()),
            _ => Err(String::from_utf8_lossy(body).into_owned()),
        });
        rest = tail;
    }
    answers
}

/// Pickles of the reference interpreter, at protocols 2 and 5.
fn pickles(python: &PathBuf) -> Vec<Vec<u8>> {
    let jobs: Vec<Job<'_>> = ["2", "5"]
        .iter()
        .map(|protocol| Job {
            op: "pickle",
            codec: "-",
            arg: protocol,
            input: b"",
        })
        .collect();
    run(python, &jobs)
        .into_iter()
        .map(|answer| answer.expect("pickling needs no package"))
        .collect()
}

/// Python's settings worth trying per codec.
fn python_settings(codec: Codec) -> &'static [&'static str] {
    match codec {
        Codec::Gzip => &["1", "6", "9"],
        Codec::Bz2 => &["1", "9"],
        Codec::Zlib => &["1", "6", "9"],
        Codec::LzmaAlone => &["0", "6", "9"],
        Codec::Xz => &["0", "6", "9e", "6,crc32", "6,sha256", "6,none"],
        Codec::Zstd => &["1", "3,checksum", "19,nosize", "-5"],
        Codec::Lz4 => &[
            "0",
            "9",
            "0,block_linked=0",
            "0,block_size=7,content_checksum=1,block_checksum=1",
            "3,block_size=5,store_size=0",
        ],
        _ => &[],
    }
}

macro_rules! python_or_skip {
    () => {
        match python() {
            Ok(python) => python,
            Err(err) => return brine_python::skip(err),
        }
    };
}

#[test]
fn what_python_compresses_brine_decompresses() {
    let python = python_or_skip!();
    let pickles = pickles(python);
    let mut jobs = Vec::new();
    for codec in codecs() {
        for setting in python_settings(codec) {
            for pickle in &pickles {
                jobs.push((codec, *setting, pickle));
            }
        }
    }
    let requests: Vec<Job<'_>> = jobs
        .iter()
        .map(|&(codec, setting, pickle)| Job {
            op: "compress",
            codec: codec.name(),
            arg: setting,
            input: pickle,
        })
        .collect();
    let options = Options::default();
    let mut skipped = BTreeSet::new();
    for ((codec, setting, pickle), answer) in jobs.iter().zip(run(python, &requests)) {
        let compressed = match answer {
            Ok(compressed) => compressed,
            Err(skip) => {
                skipped.insert(skip);
                continue;
            }
        };
        assert_eq!(
            Codec::detect(&compressed),
            Some(*codec),
            "{codec} {setting}"
        );
        let out = brine_compress::decompress(&compressed, &options)
            .unwrap_or_else(|err| panic!("{codec} {setting}: {err}"));
        assert!(out == **pickle, "{codec} {setting}: different bytes");
    }
    skipped.iter().for_each(brine_python::skip);
}

#[test]
fn what_brine_compresses_python_decompresses() {
    let python = python_or_skip!();
    let mut payloads = pickles(python);
    payloads.push(Vec::new());
    payloads.push(random(70_000, 21));
    let mut cases = Vec::new();
    for codec in codecs() {
        for level in [Level::Fastest, Level::Default, Level::Best] {
            for payload in &payloads {
                let one_shot = brine_compress::compress(payload, codec, level).unwrap();
                let mut writer = brine_compress::compress_writer(Vec::new(), codec, level).unwrap();
                for chunk in payload.chunks(5000) {
                    writer.write_all(chunk).unwrap();
                }
                let streamed = writer.finish().unwrap();
                cases.push((codec, level, payload, one_shot));
                cases.push((codec, level, payload, streamed));
            }
        }
    }
    let requests: Vec<Job<'_>> = cases
        .iter()
        .map(|(codec, _, _, compressed)| Job {
            op: "decompress",
            codec: codec.name(),
            arg: "-",
            input: compressed,
        })
        .collect();
    let mut skipped = BTreeSet::new();
    for ((codec, level, payload, _), answer) in cases.iter().zip(run(python, &requests)) {
        match answer {
            Ok(out) => assert!(out == **payload, "{codec} {level:?}: different bytes"),
            Err(skip) => {
                skipped.insert(skip);
            }
        }
    }
    skipped.iter().for_each(brine_python::skip);
}

#[test]
fn concatenated_members_read_the_same_in_both() {
    let python = python_or_skip!();
    let pickles = pickles(python);
    let expect = pickles.concat();
    for codec in codecs() {
        // Python's zlib.decompress stops after the first stream; joblib's reader reads on,
        // and so does brine.
        if codec == Codec::Zlib {
            continue;
        }
        let setting = python_settings(codec)[0];
        let requests: Vec<Job<'_>> = pickles
            .iter()
            .map(|pickle| Job {
                op: "compress",
                codec: codec.name(),
                arg: setting,
                input: pickle,
            })
            .collect();
        let members: Result<Vec<Vec<u8>>, String> = run(python, &requests).into_iter().collect();
        let from_python = match members {
            Ok(members) => members.concat(),
            Err(skip) => {
                brine_python::skip(skip);
                continue;
            }
        };
        let from_brine: Vec<u8> = pickles
            .iter()
            .flat_map(|pickle| brine_compress::compress(pickle, codec, Level::Default).unwrap())
            .collect();
        for joined in [&from_python, &from_brine] {
            let in_rust = brine_compress::decompress(joined, &Options::default()).unwrap();
            assert!(in_rust == expect, "{codec}: brine reads different bytes");
            let request = Job {
                op: "decompress",
                codec: codec.name(),
                arg: "-",
                input: joined,
            };
            let in_python = run(python, &[request]).remove(0).unwrap();
            assert!(in_python == expect, "{codec}: python reads different bytes");
        }
    }
}
