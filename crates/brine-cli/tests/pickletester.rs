//! CPython's own pickle test suite (`test.pickletester`, installed with the reference CPython)
//! with every pickle passing through `brine convert --batch` (python/pickletester_brine.py).
//!
//! Every test outside the runner's skip table passes, except those in [`EXPECTED_FAILURES`];
//! a listed test that passes fails this test, so the list only shrinks. docs/pickletester.md
//! gives the counts.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// The tests known to fail through brine, each with the reason.
const EXPECTED_FAILURES: &[(&str, &str)] = &[];

/// Longer than the suite takes on a loaded 2-core machine (a few seconds), short enough that
/// a hung conversion fails the test instead of the CI job.
const TIMEOUT: Duration = Duration::from_secs(170);

#[test]
fn cpython_pickletester_passes_through_brine() {
    let python = match brine_python::reference() {
        Ok(python) => python,
        Err(err) => return brine_python::skip(err),
    };
    let runner = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../python/pickletester_brine.py");
    let mut child = brine_python::command(&python)
        .arg(&runner)
        .arg("--brine")
        .arg(env!("CARGO_BIN_EXE_brine"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the reference CPython runs");
    let mut stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let out_reader = std::thread::spawn(move || {
        let mut text = String::new();
        stdout.read_to_string(&mut text).map(|_| text)
    });
    let err_reader = std::thread::spawn(move || {
        let mut text = String::new();
        stderr.read_to_string(&mut text).map(|_| text)
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the runner") {
            break status;
        }
        if start.elapsed() > TIMEOUT {
            child.kill().expect("kill the runner");
            child.wait().expect("reap the runner");
            panic!("the pickletester runner took more than {TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stdout = out_reader.join().unwrap().expect("runner stdout");
    let stderr = err_reader.join().unwrap().expect("runner stderr");
    assert!(
        status.success(),
        "runner failed ({status}):\n{stdout}\n{stderr}"
    );

    let mut outcomes = BTreeMap::new();
    for line in stdout.lines() {
        if let Some(rest) = line.strip_prefix("RESULT ") {
            let (outcome, test) = rest.split_once(' ').expect("RESULT outcome test");
            outcomes.insert(test.to_owned(), outcome.to_owned());
        }
    }
    let summary = stdout
        .lines()
        .find(|l| l.starts_with("passed "))
        .unwrap_or("no summary");
    println!("pickletester through brine: {summary}");
    assert!(outcomes.len() > 150, "too few tests ran:\n{stdout}");

    let expected: BTreeMap<&str, &str> = EXPECTED_FAILURES.iter().copied().collect();
    let mut unexpected = Vec::new();
    for (test, outcome) in &outcomes {
        match (outcome.as_str(), expected.contains_key(test.as_str())) {
            ("passed" | "skipped", false) | ("failed", true) => {}
            ("failed", false) => unexpected.push(format!("{test} failed")),
            ("passed", true) => unexpected.push(format!(
                "{test} passes now: remove it from EXPECTED_FAILURES"
            )),
            (other, _) => unexpected.push(format!("{test}: {other}")),
        }
    }
    for test in expected.keys() {
        if !outcomes.contains_key(*test) {
            unexpected.push(format!("{test} (in EXPECTED_FAILURES) did not run"));
        }
    }
    assert!(
        unexpected.is_empty(),
        "{}\n\n{stderr}",
        unexpected.join("\n")
    );
}
