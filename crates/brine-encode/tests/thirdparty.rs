//! The third-party fixtures (numpy, pandas, cloudpickle, dill; `fixtures/thirdparty/`): each
//! re-encodes byte for byte at its own protocol, its out-of-band buffers out of band again, and
//! brine's conversion to every protocol 2-5 loads in the reference CPython (with the libraries)
//! as the original did: functions by code, defaults, globals and closure values, arrays with
//! `numpy.array_equal` and dtype, frames with `.equals` (`gen_thirdparty.py compare`).
//!
//! What does not pass yet is listed with its reason; a listed fixture that starts passing fails
//! the test too, so the lists only shrink.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::Stdio;

use brine_testdata::ThirdParty;
use bytes::Bytes;

/// Fixtures whose re-encoding at their own protocol differs from CPython's bytes, with why.
const KNOWN_REENCODE_FAILURES: &[(&str, &str)] = &[];

/// Conversions (`<fixture> -> p<N>`) that do not load as the original, with why.
const KNOWN_CONVERSION_FAILURES: &[(&str, &str)] = &[];

fn decode(fixture: &ThirdParty) -> Result<brine_value::Graph, String> {
    let buffers: Vec<Bytes> = fixture
        .buffer_bytes()
        .into_iter()
        .map(Bytes::from)
        .collect();
    brine_vm::Decoder::new(brine_vm::Options::default())
        .buffers(&buffers)
        .from_slice(&fixture.bytes())
        .map_err(|err| format!("decode: {err}"))
}

/// The fixture written again at its own protocol: the pickle and the out-of-band buffers.
fn reencode(fixture: &ThirdParty) -> Result<(Vec<u8>, Vec<Vec<u8>>), String> {
    let graph = decode(fixture)?;
    let mut out_of_band = Vec::new();
    let out_of_band_wanted = !fixture.buffers.is_empty();
    let pickle = brine_encode::Encoder::new(brine_encode::Options::protocol(fixture.protocol))
        .buffer_callback(|buffer| {
            if out_of_band_wanted {
                out_of_band.push(buffer.data.as_deref().unwrap_or_default().to_vec());
            }
            !out_of_band_wanted
        })
        .to_vec(&graph)
        .map_err(|err| format!("encode: {err}"))?;
    Ok((pickle, out_of_band))
}

/// Checks the outcome of every case against the known failures: each case not listed passes,
/// each listed one still fails.
fn check_known(what: &str, failures: &BTreeMap<String, String>, known: &[(&str, &str)], n: usize) {
    let known: BTreeMap<&str, &str> = known.iter().copied().collect();
    let unexpected: Vec<String> = failures
        .iter()
        .filter(|(name, _)| !known.contains_key(name.as_str()))
        .map(|(name, why)| format!("{name}: {why}"))
        .collect();
    let now_passing: Vec<&str> = known
        .keys()
        .filter(|name| !failures.contains_key(**name))
        .copied()
        .collect();
    println!(
        "{what}: {} of {n} pass, {} known failures",
        n - failures.len(),
        failures.len()
    );
    assert!(
        unexpected.is_empty(),
        "{what}: {} fail:\n{}",
        unexpected.len(),
        unexpected.join("\n")
    );
    assert!(
        now_passing.is_empty(),
        "{what}: listed as known failures but pass now (remove them from the list): {now_passing:?}"
    );
}

#[test]
fn thirdparty_fixtures_reencode_byte_for_byte() {
    let fixtures = brine_testdata::thirdparty();
    assert!(fixtures.len() > 200, "{} fixtures", fixtures.len());
    let mut failures = BTreeMap::new();
    for fixture in &fixtures {
        let verdict = match reencode(fixture) {
            Ok((pickle, _)) if pickle != fixture.bytes() => {
                let at = pickle
                    .iter()
                    .zip(fixture.bytes())
                    .position(|(a, b)| *a != b)
                    .unwrap_or(pickle.len().min(fixture.bytes().len()));
                Err(format!("bytes differ from offset {at}"))
            }
            Ok((_, buffers)) if buffers != fixture.buffer_bytes() => {
                Err("out-of-band buffers differ".to_owned())
            }
            Ok(_) => Ok(()),
            Err(err) => Err(err),
        };
        if let Err(why) = verdict {
            failures.insert(fixture.name(), why);
        }
    }
    check_known(
        "re-encoding",
        &failures,
        KNOWN_REENCODE_FAILURES,
        fixtures.len(),
    );
}

#[test]
fn thirdparty_conversions_load_in_cpython_as_the_originals() {
    let python = match brine_python::venv() {
        Ok(python) => python,
        Err(err) => return brine_python::skip(err),
    };
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("thirdparty");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let mut failures = BTreeMap::new();
    let mut cases: Vec<(String, String)> = Vec::new();
    let mut n_cases = 0;
    for fixture in brine_testdata::thirdparty() {
        let graph = decode(&fixture);
        // A graph with out-of-band buffers holds PickleBuffer objects, which CPython too can
        // only pickle at protocol 5 (in band, as here, or out of band).
        let first = if fixture.buffers.is_empty() { 2 } else { 5 };
        for proto in first..=5u8 {
            n_cases += 1;
            let name = format!("{} -> p{proto}", fixture.name());
            let converted = graph.as_ref().map_err(Clone::clone).and_then(|graph| {
                brine_encode::to_vec(graph, &brine_encode::Options::protocol(proto))
                    .map_err(|err| format!("encode: {err}"))
            });
            let pickle = match converted {
                Ok(pickle) => pickle,
                Err(why) => {
                    failures.insert(name, why);
                    continue;
                }
            };
            let path = dir.join(format!("{}.to{proto}.pickle", fixture.name()));
            std::fs::write(&path, pickle).expect("scratch write");
            let buffers: Vec<String> = fixture
                .buffer_paths()
                .iter()
                .map(|buf| buf.display().to_string())
                .collect();
            let loader = if fixture.library == "dill" {
                "dill"
            } else {
                "pickle"
            };
            let line = [
                loader.to_owned(),
                fixture.full_path().display().to_string(),
                if buffers.is_empty() {
                    "-".to_owned()
                } else {
                    buffers.join(",")
                },
                fixture.expect_path().display().to_string(),
                path.display().to_string(),
            ]
            .join("\t");
            cases.push((name, line));
        }
    }
    let verdicts = compare(&python, cases.iter().map(|(_, line)| line.as_str()));
    assert_eq!(verdicts.len(), cases.len(), "one verdict per case");
    for ((name, _), verdict) in cases.into_iter().zip(verdicts) {
        if verdict != "ok" {
            failures.insert(name, verdict);
        }
    }
    check_known("conversions", &failures, KNOWN_CONVERSION_FAILURES, n_cases);
}

/// Runs `gen_thirdparty.py compare` once on every case line and returns its verdicts.
fn compare<'a>(python: &Path, lines: impl Iterator<Item = &'a str>) -> Vec<String> {
    let script = brine_testdata::fixtures_dir().join("generate/gen_thirdparty.py");
    let mut child = brine_python::command(python)
        .arg("-s")
        .arg(script)
        .arg("compare")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python starts");
    let mut stdin = child.stdin.take().expect("piped");
    let input: String = lines.map(|line| format!("{line}\n")).collect();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().expect("python finishes");
    writer
        .join()
        .expect("writer thread")
        .expect("stdin accepts the cases");
    assert!(output.status.success(), "the checker failed");
    String::from_utf8(output.stdout)
        .expect("utf-8 verdicts")
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The pandas corpus of each pandas release (`fixtures/pandas/<release>/`, protocols 2, 4
/// and 5 in band) re-encodes byte for byte at its own protocol too.
#[test]
fn pandas_release_fixtures_reencode_byte_for_byte() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/pandas");
    let mut n = 0;
    let mut failures = BTreeMap::new();
    for release in std::fs::read_dir(&root).unwrap() {
        let release = release.unwrap().path();
        let manifest = std::fs::read_to_string(release.join("manifest.tsv")).unwrap();
        for row in manifest
            .lines()
            .filter(|line| !line.starts_with('#'))
            .skip(1)
        {
            let fields: Vec<&str> = row.split('\t').collect();
            let protocol: u8 = fields[2].parse().unwrap();
            let original = std::fs::read(release.join(fields[0])).unwrap();
            let name = format!("{}/{}", release.file_name().unwrap().display(), fields[0]);
            let graph = brine_vm::from_slice(&original, &brine_vm::Options::default()).unwrap();
            let pickle = brine_encode::Encoder::new(brine_encode::Options::protocol(protocol))
                .to_vec(&graph)
                .unwrap();
            if pickle != original {
                failures.insert(name, "bytes differ".to_owned());
            }
            n += 1;
        }
    }
    assert_eq!(n, 117);
    check_known("pandas re-encoding", &failures, &[], n);
}
