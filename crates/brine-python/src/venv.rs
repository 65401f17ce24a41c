//! The throwaway virtual environment of the reference CPython with [`THIRD_PARTY_PINS`]
//! installed: made once per set of pins and reused by every later test run and xtask command.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::{env, fs, process};

use crate::{Error, PinSet, THIRD_PARTY_PINS, command, reference, reference_pin};

/// The file in a finished environment that records what it was made with; an environment
/// without it (an interrupted installation) is never used.
const MARKER: &str = "brine-pins.txt";

/// The python of the virtual environment of the reference CPython with [`THIRD_PARTY_PINS`]
/// installed from PyPI, made on first use and reused afterwards.
///
/// The environment lives in `target/brine-python/venv-<hash of the pins>` of the workspace (or
/// the system temporary directory when that cannot be written), so a change of pins makes a
/// new one and a rebuild never reinstalls. It is made in a staging directory and renamed into
/// place when complete, so concurrent test processes never see half an installation.
///
/// # Errors
///
/// When the reference CPython is missing, or `venv` or `pip install` fails (for example
/// without network access); the error carries the tail of their output.
///
/// # Example
///
/// ```no_run
/// match brine_python::venv() {
///     Ok(python) => println!("numpy is importable by {}", python.display()),
///     Err(err) => brine_python::skip(err),
/// }
/// ```
pub fn venv() -> Result<PathBuf, Error> {
    static VENV: OnceLock<Result<PathBuf, Error>> = OnceLock::new();
    VENV.get_or_init(|| make(THIRD_PARTY_PINS)).clone()
}

/// The python of a virtual environment of the reference CPython with `set`'s pins installed
/// (one of [`PANDAS_PIN_SETS`](crate::PANDAS_PIN_SETS)), made and kept as [`venv`] makes its
/// own, in a directory named for the pins.
///
/// # Errors
///
/// As [`venv`].
pub fn venv_of(set: &PinSet) -> Result<PathBuf, Error> {
    make(set.pins)
}

/// What the environment is made of, one line each: the interpreter, then each package pin.
fn pins_text(packages: &[(&str, &str)]) -> String {
    let mut text = format!("python=={}\n", reference_pin().version);
    for (package, version) in packages {
        text.push_str(&format!("{package}=={version}\n"));
    }
    text
}

fn make(packages: &[(&str, &str)]) -> Result<PathBuf, Error> {
    let python = reference()?;
    let pins = pins_text(packages);
    let name = format!("venv-{:016x}", fnv1a(pins.as_bytes()));
    // This crate sits in `crates/brine-python` of the workspace.
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().nth(2);
    let target_dir = workspace.map(|root| root.join("target").join("brine-python"));
    let parent = match target_dir {
        Some(dir) if fs::create_dir_all(&dir).is_ok() => dir,
        _ => env::temp_dir().join("brine-python"),
    };
    let dir = parent.join(&name);
    if is_ready(&dir, &pins) {
        return Ok(bin_python(&dir));
    }
    fs::create_dir_all(&parent)
        .map_err(|err| step(&format!("create {}", parent.display()), err))?;
    let staging = parent.join(format!("{name}.staging-{}", process::id()));
    let res = install(&python, &staging, packages, &pins).and_then(|()| {
        if dir.exists() && !is_ready(&dir, &pins) {
            // Left by an interrupted run before the marker existed; nothing uses it.
            let _ = fs::remove_dir_all(&dir);
        }
        match fs::rename(&staging, &dir) {
            Ok(()) => Ok(()),
            // Another process finished first; its environment is as good as ours.
            Err(_) if is_ready(&dir, &pins) => Ok(()),
            Err(err) => Err(step(&format!("rename to {}", dir.display()), err)),
        }
    });
    let _ = fs::remove_dir_all(&staging);
    res.map(|()| bin_python(&dir))
}

/// Makes the environment in `staging`, installs the pins and writes the marker.
fn install(
    python: &Path,
    staging: &Path,
    packages: &[(&str, &str)],
    pins: &str,
) -> Result<(), Error> {
    let _ = fs::remove_dir_all(staging);
    run(
        "python -m venv",
        command(python).arg("-m").arg("venv").arg(staging),
    )?;
    let mut pip = command(&bin_python(staging));
    pip.args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-input",
    ]);
    for (package, version) in packages {
        pip.arg(format!("{package}=={version}"));
    }
    run("pip install", &mut pip)?;
    fs::write(staging.join(MARKER), pins).map_err(|err| step("write the marker", err))
}

fn is_ready(dir: &Path, pins: &str) -> bool {
    fs::read_to_string(dir.join(MARKER)).is_ok_and(|text| text == pins) && bin_python(dir).exists()
}

fn bin_python(dir: &Path) -> PathBuf {
    dir.join("bin").join("python")
}

fn run(what: &str, cmd: &mut Command) -> Result<(), Error> {
    let out: Output = cmd.output().map_err(|err| step(what, err))?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let tail: Vec<&str> = stderr.lines().rev().take(5).collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    Err(Error::Venv {
        step: what.to_owned(),
        detail: format!("{} ({})", tail.join(" / "), out.status),
    })
}

fn step(what: &str, err: impl std::fmt::Display) -> Error {
    Error::Venv {
        step: what.to_owned(),
        detail: err.to_string(),
    }
}

/// FNV-1a: a hash that stays the same across Rust releases, unlike `DefaultHasher`, so the
/// environment's directory name only changes with the pins.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_directory_name_follows_the_pins() {
        // The FNV-1a test vectors of its authors.
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        let pins = pins_text(THIRD_PARTY_PINS);
        assert!(pins.starts_with(&format!("python=={}\n", reference_pin().version)));
        assert_eq!(pins.lines().count(), 1 + THIRD_PARTY_PINS.len());
    }

    #[test]
    fn only_a_finished_environment_is_used() {
        let dir = env::temp_dir().join(format!("brine-python-ready-{}", process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("bin")).unwrap();
        fs::write(dir.join("bin/python"), "").unwrap();
        assert!(!is_ready(&dir, "a==1\n"), "no marker");
        fs::write(dir.join(MARKER), "a==2\n").unwrap();
        assert!(!is_ready(&dir, "a==1\n"), "other pins");
        fs::write(dir.join(MARKER), "a==1\n").unwrap();
        assert!(is_ready(&dir, "a==1\n"));
        fs::remove_dir_all(&dir).unwrap();
    }
}
