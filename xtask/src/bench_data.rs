//! `cargo xtask bench-data`: writes the benchmark workloads into `benches/data/` with the
//! reference CPython, by running `benches/genperfdata.py` with `PYTHONHASHSEED=0`.
//!
//! The data is large (about 380 MB) and never committed. Its `manifest.tsv` records the
//! interpreter and the hashes of the generator and of `benches/bench_classes.py`; a folder whose
//! manifest matches the current scripts is up to date and is left alone unless `--force`.
//! `BRINE_BENCH_DATA` names another folder.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::{env, fs};

use brine_python::command as python_command;
use sha2::{Digest, Sha256};

/// The scripts the data depends on, relative to `benches/`.
const SCRIPTS: [&str; 2] = ["genperfdata.py", "bench_classes.py"];

/// Parses the command line of `cargo xtask bench-data` and runs [`ensure`].
pub fn run(args: &[String]) -> Result<(), String> {
    let mut force = false;
    for arg in args {
        match arg.as_str() {
            "--force" => force = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            _ => return Err(format!("unknown argument `{arg}`\n\n{USAGE}")),
        }
    }
    let dir = ensure(force)?;
    println!("{}", dir.display());
    Ok(())
}

const USAGE: &str = "usage: cargo xtask bench-data [--force]

Writes the benchmark workloads into benches/data/ (or $BRINE_BENCH_DATA) with the
reference CPython (brine_python::REFERENCE), unless they are already there for the current scripts.

  --force  regenerate even when the manifest is up to date

The interpreter is looked up by brine-python: BRINE_PYTHON_<X_Y_Z> of the pin, then
$(pyenv root)/versions/<X.Y.Z>/bin/python, then pythonX.Y on PATH.";

/// Makes sure the data folder holds the workloads of the current scripts, generating them when
/// it does not (or always, with `force`), and returns the folder.
pub fn ensure(force: bool) -> Result<PathBuf, String> {
    let dir = data_dir();
    let python = brine_python::reference().map_err(|err| err.to_string())?;
    let expected = manifest_header(&python)?;
    if !force && up_to_date(&dir, &expected) {
        eprintln!("bench-data: {} is up to date", dir.display());
        return Ok(dir);
    }
    fs::create_dir_all(&dir).map_err(|err| format!("{}: {err}", dir.display()))?;
    // An interrupted generation must not look complete.
    let manifest = dir.join("manifest.tsv");
    if manifest.exists() {
        fs::remove_file(&manifest).map_err(|err| format!("{}: {err}", manifest.display()))?;
    }
    eprintln!(
        "bench-data: generating {} with {}",
        dir.display(),
        python.display()
    );
    let status = python_command(&python)
        .arg(benches_dir().join("genperfdata.py"))
        .arg("--out")
        .arg(&dir)
        .status()
        .map_err(|err| format!("{}: {err}", python.display()))?;
    if !status.success() {
        return Err(format!("genperfdata.py failed ({status})"));
    }
    if !up_to_date(&dir, &expected) {
        return Err(format!(
            "{}: the generated manifest does not match the scripts",
            manifest.display()
        ));
    }
    Ok(dir)
}

/// `benches/` at the workspace root.
pub fn benches_dir() -> PathBuf {
    crate::paths::workspace_root().join("benches")
}

/// The data folder: `$BRINE_BENCH_DATA` or `benches/data`.
pub fn data_dir() -> PathBuf {
    env::var_os("BRINE_BENCH_DATA")
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| benches_dir().join("data"))
}

/// The `#` lines the manifest of the current scripts starts with (after its first line).
fn manifest_header(python: &Path) -> Result<Vec<String>, String> {
    let mut lines = vec![format!("# python\t{}", brine_python::version(python)?)];
    for script in SCRIPTS {
        let path = benches_dir().join(script);
        let text = fs::read(&path).map_err(|err| format!("{}: {err}", path.display()))?;
        let mut hash = Sha256::new();
        hash.write_all(&text)
            .map_err(|err| format!("{}: {err}", path.display()))?;
        let hex: String = hash
            .finalize()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        lines.push(format!("# {script}\t{hex}"));
    }
    Ok(lines)
}

/// Whether the manifest in `dir` carries `header` and every file it lists has its size.
fn up_to_date(dir: &Path, header: &[String]) -> bool {
    let Ok(text) = fs::read_to_string(dir.join("manifest.tsv")) else {
        return false;
    };
    let comments: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("# "))
        .skip(1)
        .collect();
    if comments != header {
        return false;
    }
    let mut rows = text.lines().filter(|line| !line.starts_with('#')).skip(1);
    rows.all(|row| {
        let fields: Vec<&str> = row.split('\t').collect();
        let [_, _, file, size, buffer_size, buffers, ..] = fields.as_slice() else {
            return false;
        };
        let len = |name: &str| fs::metadata(dir.join(name)).map(|m| m.len()).ok();
        let buffer_len: Option<u64> = match *buffers {
            "-" => Some(0),
            list => list.split(',').map(len).sum(),
        };
        len(file).map(|n| n.to_string()).as_deref() == Some(*size)
            && buffer_len.map(|n| n.to_string()).as_deref() == Some(*buffer_size)
    })
}
