//! `cargo xtask container-fixtures`: makes a throwaway virtual environment of the reference
//! CPython with the pinned third-party packages and runs `fixtures/containers/generate.py` in
//! it, which rewrites the container fixtures and their manifest.

use std::path::Path;
use std::process::Command;

use crate::fixtures::{self, PINS, REFERENCE, THIRD_PARTY_PINS};

pub fn run(args: &[String]) -> Result<(), String> {
    if let Some(arg) = args.first() {
        return Err(format!(
            "container-fixtures takes no arguments, got `{arg}`"
        ));
    }
    let pin = PINS
        .iter()
        .find(|pin| pin.producer == REFERENCE)
        .ok_or("no reference pin")?;
    let python = fixtures::locate(pin)?;
    let venv = std::env::temp_dir().join(format!("brine-container-venv-{}", std::process::id()));
    let result = generate(&python, &venv);
    let _ = std::fs::remove_dir_all(&venv);
    result
}

fn generate(python: &Path, venv: &Path) -> Result<(), String> {
    run_checked(Command::new(python).arg("-m").arg("venv").arg(venv))?;
    let venv_python = venv.join("bin").join("python");
    let mut pip = Command::new(&venv_python);
    pip.args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
    ]);
    for (package, version) in THIRD_PARTY_PINS {
        pip.arg(format!("{package}=={version}"));
    }
    run_checked(&mut pip)?;
    let script = fixtures::fixtures_dir()
        .join("containers")
        .join("generate.py");
    run_checked(Command::new(&venv_python).arg("-I").arg(script))
}

/// Runs `command`; its failure is an error naming it.
pub(crate) fn run_checked(command: &mut Command) -> Result<(), String> {
    let status = command
        .status()
        .map_err(|err| format!("{command:?}: {err}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{command:?} failed: {status}"))
    }
}
