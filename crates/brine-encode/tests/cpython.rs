//! Differential tests against the pinned CPythons: what brine writes, CPython loads into the
//! same objects as the pickle brine read.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn extensions() -> brine_value::ExtensionRegistry {
    let mut registry = brine_value::ExtensionRegistry::new();
    for (code, module, name) in brine_testdata::EXTENSION_CODES {
        registry.add(code, module, name).expect("distinct codes");
    }
    registry
}

/// Runs python/compare_loads.py on (original, candidate) pairs; returns one verdict per pair.
fn compare(python: &Path, pairs: &[(PathBuf, PathBuf)]) -> Vec<String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../python/compare_loads.py");
    let mut child = Command::new(python)
        .arg(script)
        .env("PYTHONHASHSEED", "0")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python starts");
    let mut stdin = child.stdin.take().expect("piped");
    let input: String = pairs
        .iter()
        .map(|(a, b)| format!("{}\t{}\n", a.display(), b.display()))
        .collect();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().expect("python finishes");
    writer
        .join()
        .expect("writer thread")
        .expect("stdin accepts the pairs");
    String::from_utf8(output.stdout)
        .expect("utf-8 verdicts")
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The pairs that did not load alike, leaving out objects whose own CPython pickle CPython
/// cannot load at some protocol (a `__reduce_ex__` that returns list items for an object
/// without `extend`, say): brine writes what CPython writes there, and neither loads.
fn failures_excluding_unloadable(names: &[String], verdicts: &[String]) -> Vec<String> {
    let object = |name: &str| name.split(".p").next().unwrap_or(name).to_owned();
    let unloadable: std::collections::HashSet<String> = names
        .iter()
        .zip(verdicts)
        .filter(|(_, verdict)| verdict.starts_with("error original"))
        .map(|(name, _)| object(name))
        .collect();
    if !unloadable.is_empty() {
        println!("left out, as CPython cannot load its own pickles of them: {unloadable:?}");
    }
    names
        .iter()
        .zip(verdicts)
        .filter(|(name, verdict)| *verdict != "ok" && !unloadable.contains(&object(name)))
        .map(|(name, verdict)| format!("{name}: {verdict}"))
        .collect()
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// Each fixture decoded with `decode` and written with `flavour` (the recognised one when
/// `None`) at each of `protocols` into `dir`; returns
/// the (original, conversion) pairs and their names.
fn write_conversions<'a>(
    fixtures: impl IntoIterator<Item = &'a brine_testdata::Fixture>,
    decode: &brine_vm::Options,
    flavour: Option<brine_encode::Flavour>,
    protocols: std::ops::RangeInclusive<u8>,
    dir: &Path,
) -> (Vec<(PathBuf, PathBuf)>, Vec<String>) {
    let mut pairs = Vec::new();
    let mut names = Vec::new();
    for fixture in fixtures {
        let graph = brine_vm::from_slice(&fixture.bytes(), decode).expect("fixtures decode");
        for proto in protocols.clone() {
            let mut options = brine_encode::Options::protocol(proto);
            options.extensions = extensions();
            options.flavour = flavour;
            let pickle = brine_encode::to_vec(&graph, &options).expect("fixtures encode");
            let path = dir.join(format!(
                "{}.to{proto}.pickle",
                fixture.name().replace('/', "-")
            ));
            std::fs::write(&path, pickle).expect("scratch write");
            pairs.push((fixture.full_path(), path));
            names.push(format!("{} -> p{proto}", fixture.name()));
        }
    }
    (pairs, names)
}

/// Has `python` load each pair and fails on any that differ (but objects CPython cannot load
/// from its own pickle); prints how many loaded alike, as `what`.
fn assert_load_alike(python: &Path, pairs: &[(PathBuf, PathBuf)], names: &[String], what: &str) {
    let verdicts = compare(python, pairs);
    assert_eq!(verdicts.len(), pairs.len(), "one verdict per pair");
    let failures = failures_excluding_unloadable(names, &verdicts);
    println!("{} {what}", pairs.len() - failures.len());
    assert!(
        failures.is_empty(),
        "{} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every CPython 3.11.7 fixture, converted to every protocol 0-5, loads in 3.11.7 into the
/// same objects (values, types, sharing, cycles) as the original.
#[test]
fn conversions_load_in_cpython_311_as_the_originals() {
    let python = match brine_python::locate("py311") {
        Ok(python) => python,
        Err(err) => return brine_python::skip(err),
    };
    let dir = scratch("cpython311");
    let mut decode = brine_vm::Options::default();
    decode.extensions = extensions();
    let fixtures = brine_testdata::all();
    let py311 = fixtures
        .iter()
        .filter(|f| f.producer == "py311" && f.variant == "plain");
    // Protocol 5 in-band buffers decode to bytes/bytearray, so every graph can be written at
    // every protocol: `write_conversions` fails on any refusal.
    let (pairs, names) = write_conversions(py311, &decode, None, 0..=5, &dir);
    assert_load_alike(
        &python,
        &pairs,
        &names,
        "conversions load in CPython 3.11.7 as their originals",
    );
}

/// Python 2.7 pickles, decoded with encoding='bytes' (so Python 2 `str` stays bytes) and
/// without fix_imports (so names stay Python 2's), written again at protocols 0-2 (with
/// fix_imports, so the names brine itself writes, such as `copyreg.__newobj__`, are Python
/// 2's too) with 2.7's flavour, load in CPython 2.7.18 into the same objects, of the same
/// types: `str` stays `str` and `long` stays `long`.
#[test]
fn python2_pickles_written_again_load_in_python_27() {
    let python = match brine_python::locate("py27") {
        Ok(python) => python,
        Err(err) => return brine_python::skip(err),
    };
    let dir = scratch("cpython27");
    let mut decode = brine_vm::Options::default();
    decode.extensions = extensions();
    decode.encoding = brine_value::StringEncoding::Bytes;
    decode.fix_imports = false;
    let fixtures = brine_testdata::all();
    let py27 = fixtures.iter().filter(|f| f.producer == "py27");
    // Named, not recognised: a lone `L5L` at protocol 0 is 2.7's `5L` or 3.6's `5`.
    let flavour = Some(brine_encode::Flavour::Py27);
    let (pairs, names) = write_conversions(py27, &decode, flavour, 0..=2, &dir);
    assert_load_alike(
        &python,
        &pairs,
        &names,
        "Python 2 pickles written again load in CPython 2.7.18 as their originals",
    );
}

/// The fixtures of every other Python 3 producer (3.6, 3.7 to 3.10, 3.12, 3.13), converted to
/// every protocol it reads, load in that producer's own CPython into the same objects as the
/// original: what brine writes for an older or newer CPython, that CPython reads back.
#[test]
fn conversions_load_in_each_producers_cpython_as_the_originals() {
    let mut decode = brine_vm::Options::default();
    decode.extensions = extensions();
    let fixtures = brine_testdata::all();
    for pin in brine_python::PINS {
        if matches!(pin.producer, "py27" | "py311") {
            continue;
        }
        let python = match brine_python::locate(pin.producer) {
            Ok(python) => python,
            Err(err) => {
                brine_python::skip(err);
                continue;
            }
        };
        let dir = scratch(&format!("cpython-{}", pin.producer));
        let own: Vec<_> = fixtures
            .iter()
            .filter(|f| f.producer == pin.producer && f.variant == "plain")
            .collect();
        assert!(!own.is_empty(), "no fixtures of {}", pin.producer);
        // The highest protocol the producer writes is the highest it reads.
        let highest = own.iter().map(|f| f.protocol).max().unwrap_or(0);
        let (pairs, names) = write_conversions(own, &decode, None, 0..=highest, &dir);
        let what = format!(
            "conversions load in CPython {} as their originals",
            pin.version
        );
        assert_load_alike(&python, &pairs, &names, &what);
    }
}
