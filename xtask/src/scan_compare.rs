//! `cargo xtask scan-corpus` regenerates fixtures/scan/ with the reference CPython;
//! `cargo xtask scan-compare` runs brine and the pinned public scanners over it, in a throwaway
//! virtual environment, and prints the table of docs/security.md.

use std::path::Path;
use std::process::Command;

use crate::container_fixtures::run_checked;
use brine_python::SCANNER_PINS;

use crate::fixtures;

/// `cargo xtask scan-corpus`: runs fixtures/generate/scan_corpus.py with CPython 3.11.7.
pub fn corpus(args: &[String]) -> Result<(), String> {
    if let Some(arg) = args.first() {
        return Err(format!("scan-corpus takes no arguments, got `{arg}`"));
    }
    let python = reference_python()?;
    let script = fixtures::fixtures_dir()
        .join("generate")
        .join("scan_corpus.py");
    let out = fixtures::fixtures_dir().join("scan");
    // Files the generator no longer writes must not linger.
    let _ = std::fs::remove_dir_all(&out);
    run_checked(Command::new(python).arg("-I").arg(script))
}

/// `cargo xtask scan-compare [--missed]`.
pub fn run(args: &[String]) -> Result<(), String> {
    let missed = match args {
        [] => false,
        [flag] if flag == "--missed" => true,
        [arg, ..] => return Err(format!("unknown argument `{arg}`")),
    };
    let root = crate::paths::workspace_root();
    run_checked(Command::new(env!("CARGO")).current_dir(&root).args([
        "build",
        "--release",
        "-p",
        "brine-cli",
    ]))?;
    let python = reference_python()?;
    let venv = std::env::temp_dir().join(format!("brine-scan-venv-{}", std::process::id()));
    let result = compare(&root, &python, &venv, missed);
    let _ = std::fs::remove_dir_all(&venv);
    result
}

fn compare(root: &Path, python: &Path, venv: &Path, missed: bool) -> Result<(), String> {
    run_checked(Command::new(python).arg("-m").arg("venv").arg(venv))?;
    let venv_python = venv.join("bin").join("python");
    let pins: Vec<String> = SCANNER_PINS
        .iter()
        .map(|(package, version)| format!("{package}=={version}"))
        .collect();
    run_checked(
        Command::new(&venv_python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .args(&pins),
    )?;
    let mut script = Command::new(&venv_python);
    script
        .arg(root.join("python/scan_compare.py"))
        .arg("--brine")
        .arg(crate::paths::release_binary("brine"))
        .arg("--corpus")
        .arg(root.join("fixtures/scan"));
    for pin in &pins {
        script.arg("--pin").arg(pin);
    }
    if missed {
        script.arg("--missed");
    }
    run_checked(&mut script)
}

fn reference_python() -> Result<std::path::PathBuf, String> {
    brine_python::reference().map_err(|err| err.to_string())
}
