//! `cargo xtask container-fixtures`: runs `fixtures/containers/generate.py` in the throwaway
//! virtual environment of the reference CPython with the pinned third-party packages
//! (`brine_python::venv`), which rewrites the container fixtures and their manifest.

use std::process::Command;

use crate::fixtures;

pub fn run(args: &[String]) -> Result<(), String> {
    if let Some(arg) = args.first() {
        return Err(format!(
            "container-fixtures takes no arguments, got `{arg}`"
        ));
    }
    let venv_python = brine_python::venv().map_err(|err| err.to_string())?;
    let script = fixtures::fixtures_dir()
        .join("containers")
        .join("generate.py");
    run_checked(Command::new(&venv_python).arg("-I").arg(script))
}

fn run_checked(command: &mut Command) -> Result<(), String> {
    let status = command
        .status()
        .map_err(|err| format!("{command:?}: {err}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{command:?} failed: {status}"))
    }
}
