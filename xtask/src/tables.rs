//! `cargo xtask tables [--check]`: regenerates the Rust tables that are read off CPython
//! (`_compat_pickle`'s name mappings, and the code points `repr` escapes) by running the
//! reference interpreter on the scripts in `xtask/src/tables/` and formatting their output with
//! rustfmt. `--check` compares instead of writing; a test runs the check, so a table that
//! drifts from the script or the interpreter fails `cargo test`.

use std::fs;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

/// A generated file: the script that prints it and where it lives in the workspace.
struct Table {
    script: &'static str,
    source: &'static str,
    target: &'static str,
}

const TABLES: &[Table] = &[
    Table {
        script: "xtask/src/tables/compat.py",
        source: include_str!("tables/compat.py"),
        target: "crates/brine-value/src/compat/tables.rs",
    },
    Table {
        script: "xtask/src/tables/unprintable.py",
        source: include_str!("tables/unprintable.py"),
        target: "crates/brine-lex/src/repr/unprintable.rs",
    },
];

pub fn run(args: &[String]) -> Result<(), String> {
    let check = match args {
        [] => false,
        [flag] if flag == "--check" => true,
        _ => return Err("usage: cargo xtask tables [--check]".into()),
    };
    let python = brine_python::reference().map_err(|err| err.to_string())?;
    generate(&python, check)
}

/// Writes every table (or, with `check`, fails naming the ones that differ).
pub fn generate(python: &Path, check: bool) -> Result<(), String> {
    let root = crate::paths::workspace_root();
    let mut stale = Vec::new();
    for table in TABLES {
        let text = render(python, &root, table)?;
        let path = root.join(table.target);
        let current = fs::read_to_string(&path).unwrap_or_default();
        if current == text {
            continue;
        }
        if check {
            stale.push(table.target);
        } else {
            fs::write(&path, &text).map_err(|e| format!("{}: {e}", path.display()))?;
            println!("wrote {}", table.target);
        }
    }
    if stale.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "stale generated tables (run `cargo xtask tables`): {}",
            stale.join(", ")
        ))
    }
}

/// The script's output under `python`, formatted as the workspace formats Rust.
fn render(python: &Path, root: &Path, table: &Table) -> Result<String, String> {
    let out = Command::new(python)
        .args(["-c", table.source])
        .output()
        .map_err(|e| format!("{}: {e}", python.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} failed: {}",
            table.script,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let mut rustfmt = Command::new("rustfmt")
        .arg("--config-path")
        .arg(root.join("rustfmt.toml"))
        .args(["--emit", "stdout"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("rustfmt: {e}"))?;
    rustfmt
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(&out.stdout)
        .map_err(|e| format!("rustfmt: {e}"))?;
    let formatted = rustfmt
        .wait_with_output()
        .map_err(|e| format!("rustfmt: {e}"))?;
    if !formatted.status.success() {
        return Err(format!(
            "rustfmt rejected the output of {}: {}",
            table.script,
            String::from_utf8_lossy(&formatted.stderr)
        ));
    }
    String::from_utf8(formatted.stdout).map_err(|e| format!("rustfmt: {e}"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn generated_tables_are_fresh() {
        let python = match brine_python::reference() {
            Ok(python) => python,
            Err(reason) => return brine_python::skip(&reason),
        };
        super::generate(&python, true).unwrap();
    }
}
