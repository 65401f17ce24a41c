//! Differential tests against python/brine_envelope.py: what Rust signs, Python verifies, and
//! what Python signs, Rust verifies, byte for byte the same, for both algorithms, with and
//! without context and issued-at time.
//!
//! The interpreter is the reference CPython as `brine_python` finds it; without it, each test
//! goes through `brine_python::skip` (a "skipping: ..." line locally, a failure in CI).

use std::env;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use brine_sign::{Algorithm, Key, Keyring};

use crate::{T0, key, payload, sign_opts, verify_all_ways, verify_opts};

/// Reads commands on stdin, one per line, and answers each on one line of stdout. Byte strings
/// are hex with an `x` prefix (so that empty ones are still a field); `-` means absent.
const DRIVER: &str = r#"
import io, sys, time
sys.path.insert(0, sys.argv[1])
import brine_envelope as be

def unhex(field):
    assert field[0] == "x", field
    return bytes.fromhex(field[1:])

def maybe(field, convert):
    return None if field == "-" else convert(field)

def show(value):
    if value is None:
        return "-"
    if isinstance(value, int):
        return str(value)
    return "x" + value.hex()

for line in sys.stdin:
    parts = line.split()
    cmd = parts[0]
    try:
        if cmd in ("sign", "sign_stream"):
            _, alg, key_id, secret, context, issued, payload = parts
            key = be.Key(unhex(secret), key_id=unhex(key_id), algorithm=alg)
            kwargs = dict(context=maybe(context, unhex), timestamp=issued != "-",
                          clock=lambda: int(issued) if issued != "-" else 0)
            if cmd == "sign":
                envelope = be.sign(key, unhex(payload), **kwargs)
            else:
                out = io.BytesIO()
                be.sign_stream(key, io.BytesIO(unhex(payload)), out, spool_memory_limit=100,
                               **kwargs)
                envelope = out.getvalue()
            answer = "ok " + show(envelope)
        elif cmd in ("verify", "verify_stream"):
            _, alg, key_id, secret, context, now, max_age, envelope = parts
            ring = be.Keyring(be.Key(unhex(secret), key_id=unhex(key_id), algorithm=alg))
            kwargs = dict(context=maybe(context, unhex), max_age=maybe(max_age, int),
                          clock=lambda: int(now))
            if cmd == "verify":
                verified = be.verify(ring, unhex(envelope), **kwargs)
                payload = verified.payload
            else:
                out = io.BytesIO()
                verified = be.verify_stream(ring, io.BytesIO(unhex(envelope)), out,
                                            spool_memory_limit=100, **kwargs)
                payload = out.getvalue()
            answer = " ".join(["ok", show(payload), show(verified.key_id), verified.algorithm,
                               show(verified.context), show(verified.issued_at)])
        elif cmd == "fingerprint":
            answer = "ok " + show(be.Key(unhex(parts[1])).key_id)
        elif cmd == "keyfile":
            ring = be.Keyring.from_key_file(unhex(parts[1]))
            answer = "ok " + " ".join(show(k.key_id) + ":" + k.algorithm for k in ring)
        else:
            answer = "bad command " + cmd
    except be.EnvelopeError as err:
        answer = "err " + type(err).__name__
    print(answer, flush=True)
"#;

/// The interpreter to test against, or `None` (after [`brine_python::skip`]) to skip.
fn python() -> Option<PathBuf> {
    brine_python::reference().map_err(brine_python::skip).ok()
}

fn python_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../python")
}

/// Runs the driver on `commands` and returns one answer per command.
fn run_driver(python: &Path, commands: &[String]) -> Vec<String> {
    let mut child = Command::new(python)
        .arg("-c")
        .arg(DRIVER)
        .arg(python_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("cannot run {}: {err}", python.display()));
    let mut stdin = child.stdin.take().unwrap();
    let input = commands.join("\n") + "\n";
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(
        out.status.success(),
        "driver failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answers: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(answers.len(), commands.len());
    answers
}

fn x(bytes: &[u8]) -> String {
    let mut out = String::from("x");
    for b in bytes {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

fn unx(field: &str) -> Vec<u8> {
    let hex = field.strip_prefix('x').expect("x-prefixed hex");
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

fn secret_of(seed: u8) -> Vec<u8> {
    (0..32u8)
        .map(|i| i.wrapping_mul(31).wrapping_add(seed))
        .collect()
}

struct Case {
    key: Key,
    context: Option<&'static str>,
    issued_at: bool,
    payload: Vec<u8>,
    rust_envelope: Vec<u8>,
}

fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for algorithm in [Algorithm::HmacSha256, Algorithm::HmacSha512] {
        for context in [None, Some("model-weights")] {
            for issued_at in [false, true] {
                for data in [Vec::new(), b"\x80\x04N.".to_vec(), payload(70_000)] {
                    let key = key("py-k", algorithm, 5);
                    let mut opts = sign_opts(context);
                    opts.issued_at = issued_at;
                    let rust_envelope = brine_sign::sign(&key, &opts, &data).unwrap();
                    cases.push(Case {
                        key,
                        context,
                        issued_at,
                        payload: data,
                        rust_envelope,
                    });
                }
            }
        }
    }
    cases
}

fn key_fields(case: &Case) -> String {
    format!(
        "{} {} {}",
        case.key.algorithm(),
        x(case.key.id()),
        x(&secret_of(5))
    )
}

fn context_field(context: Option<&str>) -> String {
    context.map_or_else(|| "-".to_owned(), |c| x(c.as_bytes()))
}

#[test]
fn rust_and_python_sign_alike_and_verify_each_other() {
    let Some(python) = python() else { return };
    let cases = cases();
    let mut commands = Vec::new();
    for case in &cases {
        let issued = if case.issued_at {
            T0.to_string()
        } else {
            "-".to_owned()
        };
        let sign_args = format!(
            "{} {} {} {}",
            key_fields(case),
            context_field(case.context),
            issued,
            x(&case.payload)
        );
        commands.push(format!("sign {sign_args}"));
        commands.push(format!("sign_stream {sign_args}"));
        let verify_args = format!(
            "{} {} {} - {}",
            key_fields(case),
            context_field(case.context),
            T0,
            x(&case.rust_envelope)
        );
        commands.push(format!("verify {verify_args}"));
        commands.push(format!("verify_stream {verify_args}"));
    }
    let answers = run_driver(&python, &commands);
    for (case, answers) in cases.iter().zip(answers.chunks(4)) {
        let what = format!(
            "{} context {:?} issued-at {} payload {} bytes",
            case.key.algorithm(),
            case.context,
            case.issued_at,
            case.payload.len()
        );
        // Python signs to the same bytes as Rust, both ways of signing.
        for answer in &answers[..2] {
            let envelope = unx(answer
                .strip_prefix("ok ")
                .unwrap_or_else(|| panic!("{what}: {answer}")));
            assert_eq!(envelope, case.rust_envelope, "{what}");
            let ring = Keyring::new(case.key.clone());
            assert_eq!(
                verify_all_ways(&ring, &verify_opts(case.context, T0), &envelope).unwrap(),
                case.payload
            );
        }
        // Python verifies what Rust signed and reports the same header.
        for answer in &answers[2..] {
            let fields: Vec<&str> = answer.split(' ').collect();
            assert_eq!(fields[0], "ok", "{what}: {answer}");
            assert_eq!(unx(fields[1]), case.payload, "{what}");
            assert_eq!(unx(fields[2]), case.key.id(), "{what}");
            assert_eq!(fields[3], case.key.algorithm().name(), "{what}");
            assert_eq!(fields[4], context_field(case.context), "{what}");
            let issued = if case.issued_at {
                T0.to_string()
            } else {
                "-".to_owned()
            };
            assert_eq!(fields[5], issued, "{what}");
        }
    }
}

#[test]
fn python_refuses_what_rust_refuses() {
    let Some(python) = python() else { return };
    let cases = cases();
    let mut commands = Vec::new();
    let mut expected = Vec::new();
    for case in cases
        .iter()
        .filter(|case| case.payload.len() < 100 && case.issued_at)
    {
        let keys = key_fields(case);
        let ctx = context_field(case.context);
        let env = &case.rust_envelope;
        let mut flipped = env.clone();
        *flipped.last_mut().unwrap() ^= 0x80;
        let mut relabelled = env.clone();
        relabelled[9] ^= 0x03;
        let variants: Vec<(String, &str)> = vec![
            (format!("{keys} {ctx} {T0} - {}", x(&flipped)), "BadTag"),
            (
                format!("{keys} {ctx} {T0} - {}", x(&env[..env.len() - 1])),
                "Truncated",
            ),
            (
                format!(
                    "{keys} {ctx} {T0} - {}",
                    x(&[env.as_slice(), b"!"].concat())
                ),
                "TrailingBytes",
            ),
            (
                format!("{keys} {} {T0} - {}", x(b"other"), x(env)),
                "ContextMismatch",
            ),
            (
                format!("{keys} {ctx} {} 3600 {}", T0 + 3601, x(env)),
                "Expired",
            ),
            (
                format!("{keys} {ctx} {} - {}", T0 - 301, x(env)),
                "IssuedInFuture",
            ),
            (
                format!("{keys} {ctx} {T0} - {}", x(&relabelled)),
                "AlgorithmMismatch",
            ),
            (
                format!("{keys} {ctx} {T0} - {}", x(&env[1..])),
                "NotAnEnvelope",
            ),
        ];
        for (args, name) in variants {
            // Rust agrees on each refusal.
            let parts: Vec<&str> = args.split(' ').collect();
            let mut opts = verify_opts(None, parts[4].parse().unwrap());
            opts.context = (parts[3] != "-").then(|| unx(parts[3]));
            opts.max_age = (parts[5] != "-")
                .then(|| std::time::Duration::from_secs(parts[5].parse().unwrap()));
            let rust = verify_all_ways(&Keyring::new(case.key.clone()), &opts, &unx(parts[6]));
            assert_eq!(rust.unwrap_err(), name);
            commands.push(format!("verify {args}"));
            commands.push(format!("verify_stream {args}"));
            expected.push(name);
            expected.push(name);
        }
    }
    let answers = run_driver(&python, &commands);
    for ((command, answer), name) in commands.iter().zip(&answers).zip(expected) {
        assert_eq!(
            answer,
            &format!("err {name}"),
            "{}",
            &command[..command.len().min(120)]
        );
    }
}

#[test]
fn python_and_rust_read_key_files_alike() {
    let Some(python) = python() else { return };
    let secret = [0x11; 16];
    let files: [&[u8]; 3] = [
        b"00112233445566778899aabbccddeeff\n",
        b"# rotated\r\nid=old 00112233445566778899aabbccddeeff\r\n\r\n  id=new\talg=HMAC-SHA512 ffeeddccbbaa99887766554433221100  \r\n",
        b"\xef\xbb\xbfalg=hmac-sha512 id=a 0123456789abcdef0123456789ABCDEF\nid=b 0123456789abcdef0123456789abcdef00\n",
    ];
    let mut commands = vec![format!("fingerprint {}", x(&secret))];
    commands.extend(files.iter().map(|file| format!("keyfile {}", x(file))));
    let bad: [&[u8]; 4] = [
        b"",
        b"id=a 0011",
        b"id=a 00112233445566778899aabbccddeeff zz",
        b"key=00112233445566778899aabbccddeeff",
    ];
    commands.extend(bad.iter().map(|file| format!("keyfile {}", x(file))));
    let answers = run_driver(&python, &commands);
    assert_eq!(
        answers[0],
        format!("ok {}", x(Key::from_secret(&secret).unwrap().id()))
    );
    for (file, answer) in files.iter().zip(&answers[1..]) {
        let ring = Keyring::from_key_file(file).unwrap();
        let rust: Vec<String> = ring
            .iter()
            .map(|k| format!("{}:{}", x(k.id()), k.algorithm()))
            .collect();
        assert_eq!(answer, &format!("ok {}", rust.join(" ")));
    }
    for (file, answer) in bad.iter().zip(&answers[1 + files.len()..]) {
        assert!(Keyring::from_key_file(file).is_err());
        assert_eq!(answer, "err KeyFileError");
    }
}

/// The Python module's own unit tests, under the reference interpreter and under 3.6, the
/// oldest Python it supports.
#[test]
fn python_unit_tests_pass() {
    let Some(python) = python() else { return };
    let mut interpreters = vec![python];
    match brine_python::locate("py36") {
        Ok(py36) => interpreters.push(py36),
        Err(err) => brine_python::skip(err),
    }
    for interpreter in interpreters {
        let out = Command::new(&interpreter)
            .args(["-m", "unittest", "discover", "-s"])
            .arg(python_dir().join("tests"))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{}:\n{stderr}", interpreter.display());
        assert!(
            stderr.contains("\nOK") && !stderr.contains("Ran 0 tests"),
            "{stderr}"
        );
    }
}
