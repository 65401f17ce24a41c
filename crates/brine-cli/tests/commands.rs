//! The `brine` binary, run as a user runs it.

use std::path::Path;
use std::process::{Command, Output, Stdio};

fn brine(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_brine"))
        .args(args)
        .output()
        .expect("brine runs")
}

fn brine_stdin(args: &[&str], input: &[u8]) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_brine"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("brine runs");
    let written = child.stdin.take().expect("piped").write_all(input);
    // A command that fails before reading (a bad argument) may close stdin first.
    if let Err(err) = written {
        assert_eq!(err.kind(), std::io::ErrorKind::BrokenPipe, "stdin: {err}");
    }
    child.wait_with_output().expect("brine finishes")
}

fn fixture(path: &str) -> String {
    brine_testdata::fixtures_dir()
        .join(path)
        .to_string_lossy()
        .into_owned()
}

/// `brine dis FILE` prints exactly what `python3.11 -m pickletools FILE` printed, for every
/// fixture, and fails exactly where pickletools failed.
#[test]
fn dis_prints_pickletools_output_for_every_fixture() {
    let fixtures = brine_testdata::all();
    let mut mismatches = Vec::new();
    for fixture in &fixtures {
        let out = brine(&["dis", &fixture.full_path().to_string_lossy()]);
        if out.stdout != fixture.dis_text() || out.status.success() != fixture.dis_ok {
            mismatches.push(fixture.name());
        }
        assert_ne!(out.status.code(), Some(101), "{} panicked", fixture.name());
    }
    println!(
        "brine dis matched pickletools on {} fixtures",
        fixtures.len() - mismatches.len()
    );
    assert!(mismatches.is_empty(), "{mismatches:?}");
}

#[test]
fn dis_reads_stdin_and_annotates() {
    let path = fixture("pickles/py311/list_small.p2.pickle");
    let data = std::fs::read(&path).unwrap();
    let from_file = brine(&["dis", &path]);
    let from_stdin = brine_stdin(&["dis", "-"], &data);
    assert_eq!(from_file.stdout, from_stdin.stdout);
    let annotated = brine(&["dis", "-a", &path]);
    let text = String::from_utf8(annotated.stdout).unwrap();
    assert!(
        text.contains("PROTO      2              Protocol version indicator."),
        "{text}"
    );
}

#[test]
fn dis_of_a_truncated_pickle_prints_up_to_the_fault_and_fails() {
    let data = std::fs::read(fixture("pickles/py311/list_small.p2.pickle")).unwrap();
    let out = brine_stdin(&["dis"], &data[..data.len() - 3]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.starts_with("    0: \\x80 PROTO      2\n"),
        "{stdout}"
    );
    assert!(!stdout.contains("highest protocol"));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.starts_with("brine: error: "), "{stderr}");
}

#[test]
fn convert_writes_the_protocol_cpython_would() {
    let out = brine(&[
        "convert",
        "-p",
        "2",
        &fixture("pickles/py311/set_small.p5.pickle"),
    ]);
    assert!(out.status.success());
    assert_eq!(
        out.stdout,
        std::fs::read(fixture("pickles/py311/set_small.p2.pickle")).unwrap()
    );
    let dir = tempdir();
    let target = dir.join("out.pickle");
    let out = brine(&[
        "convert",
        &fixture("pickles/py311/dict_small.p0.pickle"),
        "-o",
        &target.to_string_lossy(),
    ]);
    assert!(out.status.success());
    assert_eq!(
        std::fs::read(&target).unwrap(),
        std::fs::read(fixture("pickles/py311/dict_small.p4.pickle")).unwrap()
    );
    let out = brine_stdin(&["convert"], b"\x80\x02K");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("offset"));
}

/// A 2.7 pickle converted at its own protocol comes back as 2.7 wrote it (memo from 1, only
/// what is shared memoized), and as 3.11 would write it when told.
#[test]
fn convert_at_the_own_protocol_gives_the_input_back() {
    let path = fixture("pickles/py27/class_plain.p2.pickle");
    let out = brine(&["convert", "-p", "2", &path]);
    assert!(out.status.success());
    assert_eq!(out.stdout, std::fs::read(&path).unwrap());
    let as_py311 = brine(&["convert", "-p", "2", "--flavour", "py311", &path]);
    assert!(as_py311.status.success());
    assert_ne!(as_py311.stdout, out.stdout);
    let bad = brine(&["convert", "--flavour", "py99", &path]);
    assert_eq!(bad.status.code(), Some(2));
}

/// The output is written while it is encoded; when encoding fails part-way, no incomplete
/// file is left behind, and a file already at the path is left as it was.
#[test]
fn convert_that_cannot_encode_leaves_no_file() {
    let dir = tempdir();
    let input = dir.join("global.pickle");
    // STACK_GLOBAL of `m.ä`: protocol 2 cannot name a non-ASCII global, as in CPython.
    std::fs::write(&input, b"\x80\x04\x8c\x01m\x8c\x02\xc3\xa4\x93.").unwrap();
    let target = dir.join("out.pickle");
    let out = brine(&[
        "convert",
        "-p",
        "2",
        &input.to_string_lossy(),
        "-o",
        &target.to_string_lossy(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("protocol 2"));
    assert!(!target.exists());
    // A file already at the path stays as it was.
    std::fs::write(&target, b"kept").unwrap();
    let again = brine(&[
        "convert",
        "-p",
        "2",
        &input.to_string_lossy(),
        "-o",
        &target.to_string_lossy(),
    ]);
    assert_eq!(again.status.code(), Some(1));
    assert_eq!(std::fs::read(&target).unwrap(), b"kept");
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        2,
        "no partial file is left"
    );
}

#[test]
fn optimize_matches_pickletools() {
    let out = brine(&["optimize", &fixture("pickles/py311/class_reduce.p4.pickle")]);
    assert!(out.status.success());
    assert_eq!(
        out.stdout,
        std::fs::read(fixture("pickles/py311/class_reduce.p4.optimized.pickle")).unwrap()
    );
}

#[test]
fn sign_then_verify_and_tampering_is_refused_without_output() {
    let dir = tempdir();
    let key = dir.join("brine.key");
    std::fs::write(
        &key,
        "id=k1 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n",
    )
    .unwrap();
    let key = key.to_string_lossy().into_owned();
    let payload = std::fs::read(fixture("pickles/py311/dict_small.p4.pickle")).unwrap();
    let signed = brine_stdin(&["sign", "--key", &key], &payload);
    assert!(
        signed.status.success(),
        "{}",
        String::from_utf8_lossy(&signed.stderr)
    );
    let verified = brine_stdin(&["verify", "--key", &key], &signed.stdout);
    assert!(verified.status.success());
    assert_eq!(verified.stdout, payload);

    let mut tampered = signed.stdout.clone();
    let last = tampered.len() - 40;
    tampered[last] ^= 1;
    let target = dir.join("payload.out");
    let out = brine_stdin(
        &["verify", "--key", &key, "-o", &target.to_string_lossy()],
        &tampered,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        !target.exists(),
        "a refused envelope must leave no output file"
    );

    let bound = brine_stdin(&["sign", "--key", &key, "--context", "cache"], &payload);
    let wrong = brine_stdin(
        &["verify", "--key", &key, "--context", "jobs"],
        &bound.stdout,
    );
    assert_eq!(wrong.status.code(), Some(1));
    assert!(wrong.stdout.is_empty());
}

/// A fresh directory under the target dir, removed at the next run.
fn tempdir() -> std::path::PathBuf {
    static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let dir =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Every command that reads a pickle takes it compressed; convert writes it compressed.
#[test]
fn compressed_pickles_are_read_and_written() {
    let plain = std::fs::read(fixture("pickles/py311/dict_small.p4.pickle")).unwrap();
    let expected_dis = brine(&["dis", &fixture("pickles/py311/dict_small.p4.pickle")]).stdout;
    for codec in ["gzip", "bz2", "xz", "zstd:19", "lz4"] {
        let compressed = brine_stdin(&["convert", "--compress", codec], &plain);
        assert!(
            compressed.status.success(),
            "{codec}: {}",
            String::from_utf8_lossy(&compressed.stderr)
        );
        assert_ne!(
            compressed.stdout, plain,
            "{codec} wrote the pickle uncompressed"
        );
        let dis = brine_stdin(&["dis"], &compressed.stdout);
        assert_eq!(dis.stdout, expected_dis, "{codec}");
        let back = brine_stdin(&["convert"], &compressed.stdout);
        assert_eq!(back.stdout, plain, "{codec}");
    }
    let bad = brine_stdin(&["convert", "--compress", "zip"], &plain);
    assert_eq!(bad.status.code(), Some(2));
}
