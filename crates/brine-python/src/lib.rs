//! The pinned CPythons and third-party packages, and the one way brine's tests and `xtask` find
//! an interpreter.
//!
//! CPython is brine's specification, so fixtures are written and differential tests are run by
//! exact interpreter versions. This crate is the only place those versions are written
//! ([`PINS`], [`REFERENCE`], [`THIRD_PARTY_PINS`], [`PANDAS_PIN_SETS`]) and the only code that looks them up:
//!
//! 1. the environment variable of the pin, `BRINE_PYTHON_<X_Y_Z>` (for example
//!    `BRINE_PYTHON_3_11_7`), which must name that exact version;
//! 2. else `$(pyenv root)/versions/<X.Y.Z>/bin/python`, the pyenv root coming from
//!    `$PYENV_ROOT` or from running `pyenv root`;
//! 3. else `pythonX.Y` on `PATH`.
//!
//! Every candidate is run and its `sys.version_info` checked, so a wrong interpreter is an
//! error naming the pin, never a silent substitute.
//! [`venv`] makes (or reuses) a throwaway virtual environment of the reference CPython with the
//! third-party pins installed from PyPI, and [`venv_of`] one for each older pandas of
//! [`PANDAS_PIN_SETS`].
//! A differential test that cannot find its interpreter calls [`skip`]: locally that prints a
//! message and the test passes; with `BRINE_REQUIRE_PYTHON=1` (as CI sets it) it fails,
//! because a skipped differential test is a green one.
//!
//! The crate uses only `std`; it runs Python and nothing else, and never installs an
//! interpreter.
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::{env, fmt};

mod venv;

pub use venv::{venv, venv_of};

/// A pinned CPython: a producer of fixtures and an interpreter of differential tests.
#[derive(Debug, PartialEq, Eq)]
pub struct Pin {
    /// The producer name, which is also the directory under `fixtures/pickles` and
    /// `fixtures/dis`.
    pub producer: &'static str,
    /// The exact version, `sys.version_info[:3]` joined by dots (release level `final`).
    pub version: &'static str,
}

/// The pinned interpreters, oldest first: the only place their versions are written down.
pub const PINS: &[Pin] = &[
    Pin {
        producer: "py27",
        version: "2.7.18",
    },
    Pin {
        producer: "py36",
        version: "3.6.15",
    },
    Pin {
        producer: "py37",
        version: "3.7.16",
    },
    Pin {
        producer: "py38",
        version: "3.8.18",
    },
    Pin {
        producer: "py39",
        version: "3.9.18",
    },
    Pin {
        producer: "py310",
        version: "3.10.13",
    },
    Pin {
        producer: "py311",
        version: "3.11.7",
    },
    Pin {
        producer: "py312",
        version: "3.12.1",
    },
    Pin {
        producer: "py313",
        version: "3.13.0",
    },
];

/// The reference producer: its `pickletools` disassembles every fixture, its pickles also get
/// an `optimized` variant, the differential tests run under it, and [`venv`] is made of it.
pub const REFERENCE: &str = "py311";

/// The third-party packages, as (PyPI name, exact version), that [`venv`] installs into the
/// reference CPython's virtual environment: the only place their versions are written down.
pub const THIRD_PARTY_PINS: &[(&str, &str)] = &[
    ("numpy", "2.1.3"),
    ("joblib", "1.4.2"),
    ("lz4", "4.3.3"),
    ("zstandard", "0.23.0"),
    ("pandas", "3.1.1"),
    // pandas' own requirements, pinned too so that a reinstall gives the same environment.
    ("python-dateutil", "4.0.0"),
    ("tzdata", "2026.6"),
    ("cloudpickle", "3.1.3"),
    ("dill", "0.4.1"),
    // The models of fixtures/sklearn; scipy and threadpoolctl are its requirements.
    ("scikit-learn", "1.6.1"),
    ("scipy", "1.15.3"),
    ("threadpoolctl", "3.6.0"),
];

/// A named set of third-party pins with a virtual environment of its own
/// ([`venv_of`]): an older release of a library whose pickles differ from the current one's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinSet {
    /// The name, which is also the fixture directory it produces (`fixtures/pandas/<name>`).
    pub name: &'static str,
    /// The packages, as (PyPI name, exact version).
    pub pins: &'static [(&'static str, &'static str)],
}

/// The older pandas releases `cargo xtask fixtures` writes `fixtures/pandas/` with, beside the
/// current one of [`THIRD_PARTY_PINS`]: pandas 1.x pickles name `numpy.core` and the
/// classes' defining modules, 2.x the same with other block and index forms.
pub const PANDAS_PIN_SETS: &[PinSet] = &[
    PinSet {
        name: "pandas-1.5.3",
        pins: &[
            ("numpy", "1.26.4"),
            ("pandas", "1.5.3"),
            ("python-dateutil", "4.0.0"),
            ("pytz", "2026.6"),
            ("tzdata", "2026.6"),
        ],
    },
    PinSet {
        name: "pandas-2.2.3",
        pins: &[
            ("numpy", "1.26.4"),
            ("pandas", "2.2.3"),
            ("python-dateutil", "4.0.0"),
            ("pytz", "2026.6"),
            ("tzdata", "2026.6"),
        ],
    },
];

/// The public pickle scanners `cargo xtask scan-compare` measures brine-scan against, installed
/// from PyPI into a throwaway virtual environment of the reference CPython (not the test venv:
/// no test needs them).
pub const SCANNER_PINS: &[(&str, &str)] = &[
    ("picklescan", "1.0.5"),
    ("modelscan", "0.8.8"),
    ("fickling", "0.1.12"),
    // fickling 0.1.12 imports typing_extensions without declaring it.
    ("typing_extensions", "4.15.0"),
];

/// The environment variable that turns every [`skip`] into a failure when it is `1`.
pub const REQUIRE_VAR: &str = "BRINE_REQUIRE_PYTHON";

/// Why an interpreter or the virtual environment is not available.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// No pin has this producer name.
    UnknownProducer {
        /// The name asked for.
        producer: String,
    },
    /// The pin's environment variable names an interpreter that is missing or of another
    /// version.
    WrongInterpreter {
        /// The pin asked for.
        pin: &'static Pin,
        /// The variable, e.g. `BRINE_PYTHON_3_11_7`.
        var: String,
        /// Its value.
        path: PathBuf,
        /// What running it gave: another version, or why it could not run.
        found: String,
    },
    /// No candidate is the pinned version.
    NotFound {
        /// The pin asked for.
        pin: &'static Pin,
        /// Each candidate tried, with what it gave.
        tried: Vec<String>,
    },
    /// A step of making the virtual environment failed.
    Venv {
        /// What was being done, e.g. `pip install`.
        step: String,
        /// Why it failed (the tail of the tool's output).
        detail: String,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::UnknownProducer { producer } => write!(f, "no pinned CPython named {producer}"),
            Error::WrongInterpreter {
                pin,
                var,
                path,
                found,
            } => write!(f, "{pin}: {var}={}: {found}", path.display()),
            Error::NotFound { pin, tried } => {
                let var = pin.env_var();
                write!(
                    f,
                    "{pin} not found ({var} unset; {}); install it with `pyenv install {}` or \
                     set {var} to its path",
                    tried.join("; "),
                    pin.version
                )
            }
            Error::Venv { step, detail } => {
                write!(
                    f,
                    "cannot make the third-party virtual environment: {step}: {detail}"
                )
            }
        }
    }
}

impl std::error::Error for Error {}

impl Pin {
    /// The environment variable that names this interpreter, e.g. `BRINE_PYTHON_3_11_7`.
    pub fn env_var(&self) -> String {
        format!("BRINE_PYTHON_{}", self.version.replace('.', "_"))
    }

    /// `X.Y`, as in `pythonX.Y`.
    pub fn minor(&self) -> &'static str {
        match self.version.rfind('.') {
            Some(dot) => &self.version[..dot],
            None => self.version,
        }
    }
}

impl fmt::Display for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "python {} ({})", self.version, self.producer)
    }
}

/// The pin of `producer` (`py27`, `py311`, ...).
///
/// # Errors
///
/// [`Error::UnknownProducer`] when no pin has that name.
pub fn pin(producer: &str) -> Result<&'static Pin, Error> {
    PINS.iter()
        .find(|pin| pin.producer == producer)
        .ok_or_else(|| Error::UnknownProducer {
            producer: producer.to_owned(),
        })
}

/// The pin of the [`REFERENCE`] producer.
pub fn reference_pin() -> &'static Pin {
    // Invariant: REFERENCE is one of PINS (both are constants above; a test checks it).
    pin(REFERENCE).expect("the reference producer is pinned")
}

/// The interpreter of `producer`, looked up once per process (see the crate docs for the order).
///
/// # Errors
///
/// When `producer` is not pinned, or no candidate is the pinned version.
///
/// # Example
///
/// ```
/// match brine_python::locate("py311") {
///     Ok(python) => println!("CPython 3.11 is {}", python.display()),
///     Err(err) => brine_python::skip(err),
/// }
/// ```
pub fn locate(producer: &str) -> Result<PathBuf, Error> {
    static FOUND: OnceLock<Mutex<HashMap<&'static str, Result<PathBuf, Error>>>> = OnceLock::new();
    let pin = pin(producer)?;
    let found = FOUND.get_or_init(Mutex::default);
    // A poisoned lock only means another test panicked while holding it; the map is whole.
    let mut found = found.lock().unwrap_or_else(|poison| poison.into_inner());
    found
        .entry(pin.producer)
        .or_insert_with(|| find(pin))
        .clone()
}

/// The interpreter of the [`REFERENCE`] producer, as [`locate`] finds it.
///
/// # Errors
///
/// When no candidate is the pinned version.
pub fn reference() -> Result<PathBuf, Error> {
    locate(REFERENCE)
}

/// Looks `pin` up now, without the per-process cache of [`locate`].
///
/// # Errors
///
/// When no candidate is the pinned version.
pub fn find(pin: &'static Pin) -> Result<PathBuf, Error> {
    let var = env::var_os(pin.env_var()).filter(|value| !value.is_empty());
    let path_name = PathBuf::from(format!("python{}", pin.minor()));
    find_with(pin, var, pyenv_root(), &[path_name])
}

/// Prints `skipping: {reason}` for a test that cannot run, or panics with the reason when
/// `BRINE_REQUIRE_PYTHON=1`.
///
/// A test calls it and returns: `return brine_python::skip(err);`.
///
/// # Panics
///
/// When the environment variable [`REQUIRE_VAR`] is `1`.
pub fn skip(reason: impl fmt::Display) {
    skip_as(reason, required());
}

/// Whether [`skip`] fails: the environment variable [`REQUIRE_VAR`] is `1`.
pub fn required() -> bool {
    env::var_os(REQUIRE_VAR).is_some_and(|value| value == "1")
}

/// Runs the Python source `script` with `exe` (through [`command`]) and `args` after it, and
/// returns what it printed; a script that fails gives its standard error.
///
/// # Errors
///
/// The script could not start, exited unsuccessfully or printed something not UTF-8.
pub fn run_script<I, S>(exe: &Path, script: &str, args: I) -> Result<String, String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let out = command(exe)
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .map_err(|err| format!("{}: {err}", exe.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} exited with {}:\n{}",
            exe.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    String::from_utf8(out.stdout).map_err(|err| format!("output not UTF-8: {err}"))
}

/// A command running `exe` in a controlled environment: no `PYTHON*` variables from the caller,
/// hash randomization off (so sets and dicts of strings pickle the same every run), no bytecode
/// written next to the scripts, stdin closed.
pub fn command(exe: &Path) -> Command {
    let mut cmd = Command::new(exe);
    for (key, _) in env::vars_os() {
        if key.to_string_lossy().starts_with("PYTHON") {
            cmd.env_remove(key);
        }
    }
    cmd.env("PYTHONHASHSEED", "0")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null());
    cmd
}

/// Runs `exe` and returns its version: `X.Y.Z`, with the release level appended unless it is
/// `final` (so a `3.11.7rc1` never passes for `3.11.7`).
///
/// # Errors
///
/// A description of why it could not run or what it printed instead.
pub fn version(exe: &Path) -> Result<String, String> {
    const SCRIPT: &str = "import sys; v = sys.version_info; \
        sys.stdout.write('%d.%d.%d %s' % (v[0], v[1], v[2], v[3]))";
    let out = command(exe)
        .args(["-c", SCRIPT])
        .stderr(Stdio::null())
        .output()
        .map_err(|err| err.to_string())?;
    if !out.status.success() {
        return Err(format!("exited with {}", out.status));
    }
    let out = String::from_utf8_lossy(&out.stdout);
    let out = out.trim();
    if out.split(' ').count() != 2 {
        return Err(format!("unexpected version output {out:?}"));
    }
    Ok(match out.strip_suffix(" final") {
        Some(version) => version.to_owned(),
        None => out.replace(' ', "-"),
    })
}

/// The lookup of [`find`], with its inputs given: the pin's variable, the pyenv root and the
/// names to try on `PATH`.
fn find_with(
    pin: &'static Pin,
    var: Option<OsString>,
    pyenv_root: Option<PathBuf>,
    path_names: &[PathBuf],
) -> Result<PathBuf, Error> {
    if let Some(value) = var {
        // An explicit choice is never replaced by a guess: a wrong one is an error.
        let path = PathBuf::from(value);
        return match version(&path) {
            Ok(version) if version == pin.version => Ok(path),
            Ok(version) => Err(Error::WrongInterpreter {
                pin,
                var: pin.env_var(),
                path,
                found: format!("is python {version}"),
            }),
            Err(err) => Err(Error::WrongInterpreter {
                pin,
                var: pin.env_var(),
                path,
                found: err,
            }),
        };
    }
    let mut candidates = Vec::new();
    if let Some(root) = pyenv_root {
        candidates.push(root.join("versions").join(pin.version).join("bin/python"));
    }
    candidates.extend(path_names.iter().cloned());
    let mut tried = Vec::new();
    for candidate in candidates {
        match version(&candidate) {
            Ok(version) if version == pin.version => return Ok(candidate),
            Ok(version) => tried.push(format!("{} is {version}", candidate.display())),
            Err(err) => tried.push(format!("{}: {err}", candidate.display())),
        }
    }
    Err(Error::NotFound { pin, tried })
}

/// `$PYENV_ROOT`, else what `pyenv root` prints.
fn pyenv_root() -> Option<PathBuf> {
    if let Some(root) = env::var_os("PYENV_ROOT").filter(|root| !root.is_empty()) {
        return Some(PathBuf::from(root));
    }
    Command::new("pyenv")
        .arg("root")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned())
        .filter(|root| !root.is_empty())
        .map(PathBuf::from)
}

/// [`skip`] with the requirement given.
fn skip_as(reason: impl fmt::Display, required: bool) {
    if required {
        panic!("{REQUIRE_VAR}=1 and a differential test cannot run: {reason}");
    }
    println!("skipping: {reason}");
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::os::unix::fs::PermissionsExt as _;
    use std::process;

    use super::*;

    /// A stand-in interpreter: a shell script that answers the version probe with `answer`.
    fn fake_python(dir: &Path, name: &str, answer: &str) -> PathBuf {
        let path = dir.join(name);
        fs::write(&path, format!("#!/bin/sh\nprintf '{answer}'\n")).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = env::temp_dir().join(format!("brine-python-{name}-{}", process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// A pyenv root holding a fake `version` for the reference pin.
    fn fake_pyenv(dir: &Path, answer: &str) -> PathBuf {
        let root = dir.join("pyenv");
        let bin = root
            .join("versions")
            .join(reference_pin().version)
            .join("bin");
        fs::create_dir_all(&bin).unwrap();
        fake_python(&bin, "python", answer);
        root
    }

    #[test]
    fn pins_are_unique_and_exact() {
        let producers: std::collections::BTreeSet<_> =
            PINS.iter().map(|pin| pin.producer).collect();
        assert_eq!(producers.len(), PINS.len());
        assert!(producers.contains(REFERENCE));
        for pin in PINS {
            assert_eq!(pin.version.split('.').count(), 3, "{pin}");
            assert_eq!(
                pin.env_var(),
                format!("BRINE_PYTHON_{}", pin.version.replace('.', "_"))
            );
        }
        for (package, version) in THIRD_PARTY_PINS {
            assert!(
                !package.is_empty() && version.split('.').count() >= 2,
                "{package}"
            );
        }
        assert_eq!(reference_pin().producer, REFERENCE);
        assert_eq!(
            pin("py2"),
            Err(Error::UnknownProducer {
                producer: "py2".into()
            })
        );
    }

    #[test]
    fn the_variable_wins_over_pyenv_and_path() {
        let dir = scratch("variable");
        let pin = reference_pin();
        let answer = format!("{} final", pin.version);
        let chosen = fake_python(&dir, "chosen", &answer);
        let root = fake_pyenv(&dir, &answer);
        let on_path = [fake_python(&dir, "on-path", &answer)];
        let found = find_with(
            pin,
            Some(chosen.clone().into()),
            Some(root.clone()),
            &on_path,
        );
        assert_eq!(found, Ok(chosen));
        let found = find_with(pin, None, Some(root.clone()), &on_path);
        assert_eq!(
            found,
            Ok(root.join("versions").join(pin.version).join("bin/python"))
        );
        let found = find_with(pin, None, None, &on_path);
        assert_eq!(found.as_ref(), Ok(&on_path[0]));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_wrong_variable_is_an_error_not_a_fallback() {
        let dir = scratch("wrong");
        let pin = reference_pin();
        let other = fake_python(&dir, "other", "3.12.1 final");
        let root = fake_pyenv(&dir, &format!("{} final", pin.version));
        let err = find_with(pin, Some(other.clone().into()), Some(root), &[]).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{pin}: {}={}: is python 3.12.1",
                pin.env_var(),
                other.display()
            )
        );
        let missing = dir.join("missing");
        let err = find_with(pin, Some(missing.into()), None, &[]).unwrap_err();
        assert!(matches!(err, Error::WrongInterpreter { .. }), "{err}");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn candidates_of_another_version_are_passed_over() {
        let dir = scratch("passed-over");
        let pin = reference_pin();
        let root = fake_pyenv(&dir, &format!("{} candidate", pin.version));
        let newer = fake_python(&dir, "newer", "3.13.0 final");
        let err = find_with(pin, None, Some(root), &[newer]).unwrap_err();
        let Error::NotFound { tried, .. } = &err else {
            panic!("{err}");
        };
        assert_eq!(tried.len(), 2);
        assert!(
            tried[0].ends_with(&format!("is {}-candidate", pin.version)),
            "{tried:?}"
        );
        assert!(tried[1].ends_with("is 3.13.0"), "{tried:?}");
        let message = err.to_string();
        assert!(
            message.contains(&pin.env_var()) && message.contains("pyenv install"),
            "{message}"
        );
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn skip_prints_unless_required() {
        skip_as("nothing to see", false);
        let panic = std::panic::catch_unwind(|| skip_as("no python", true)).unwrap_err();
        let message = panic.downcast_ref::<String>().unwrap();
        assert_eq!(
            message,
            "BRINE_REQUIRE_PYTHON=1 and a differential test cannot run: no python"
        );
    }

    /// The child half of `skip_obeys_the_environment`; without its marker variable it does
    /// nothing.
    #[test]
    fn skip_child() {
        if env::var_os("BRINE_PYTHON_TEST_CHILD").is_some() {
            skip("the child's reason");
        }
    }

    /// `skip` reads `BRINE_REQUIRE_PYTHON` from the environment: run in a child process so that
    /// no test changes this process's environment.
    #[test]
    fn skip_obeys_the_environment() {
        let run = |require: Option<&str>| {
            let mut cmd = Command::new(env::current_exe().unwrap());
            cmd.args([
                "--exact",
                "tests::skip_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("BRINE_PYTHON_TEST_CHILD", "1")
            .env_remove(REQUIRE_VAR);
            if let Some(value) = require {
                cmd.env(REQUIRE_VAR, value);
            }
            let out = cmd.output().unwrap();
            let text = String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr);
            (out.status.success(), text)
        };
        let (ok, text) = run(None);
        assert!(
            ok && text.contains("skipping: the child's reason"),
            "{text}"
        );
        let (ok, text) = run(Some("0"));
        assert!(
            ok && text.contains("skipping: the child's reason"),
            "{text}"
        );
        let (ok, text) = run(Some("1"));
        assert!(
            !ok && text.contains("cannot run: the child's reason"),
            "{text}"
        );
    }
}

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
