//! `cargo xtask bench-scan`: the scale benchmarks of docs/performance.md and docs/security.md.
//!
//! Writes its inputs under target/bench-scan/ with CPython 3.11.7 (benches/gen_scan_data.py:
//! torch.save-layout zip checkpoints of 256 MB, 1 GB and 4 GB, and a tree of 10,000 small
//! pickles; never committed), builds `brine` in release mode, and measures:
//!
//! - `brine scan --stats` on each checkpoint: MB/s and peak RSS (which must not grow with the
//!   file: storages are skipped by their declared length, never read);
//! - `brine scan --stats` on the tree: files/s;
//! - `brine checkpoint ls` on the 1 GB checkpoint against benches/list_checkpoint.py (zipfile
//!   and a restricted `pickle.Unpickler`, the best Python path without torch) under
//!   CPython 3.11.7: wall time, peak RSS and the ratio, once both listings are equal.
//!
//! Every timing is the best of `--runs` (default 5) whole processes; the page cache is warm
//! (the inputs were just written), so the figures are memory speed, not disk speed.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::container_fixtures::run_checked;

const SIZES: [&str; 3] = ["256m", "1g", "4g"];

pub fn run(args: &[String]) -> Result<(), String> {
    let mut runs = 5usize;
    let mut sizes: Vec<String> = SIZES.iter().map(|s| (*s).to_owned()).collect();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--runs" => {
                runs = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|&n| n > 0)
                    .ok_or("--runs takes a positive number")?;
            }
            "--sizes" => {
                sizes = args
                    .next()
                    .ok_or("--sizes takes a list such as 256m,1g")?
                    .split(',')
                    .map(str::to_owned)
                    .collect();
                if let Some(bad) = sizes.iter().find(|s| !SIZES.contains(&s.as_str())) {
                    return Err(format!("unknown size `{bad}` (one of {SIZES:?})"));
                }
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    let root = crate::paths::workspace_root();
    let data = root.join("target").join("bench-scan");
    let python = brine_python::reference().map_err(|err| err.to_string())?;
    run_checked(
        Command::new(&python)
            .arg("-I")
            .arg(root.join("benches/gen_scan_data.py"))
            .arg(&data)
            .args(&sizes),
    )?;
    run_checked(Command::new(env!("CARGO")).current_dir(&root).args([
        "build",
        "--release",
        "-p",
        "brine-cli",
    ]))?;
    let brine = crate::paths::release_binary("brine");
    let commit =
        output(
            Command::new("git")
                .current_dir(&root)
                .args(["rev-parse", "--short", "HEAD"]),
        )?;

    println!("commit {}, load average {}\n", commit.trim(), loadavg());
    println!("| input | size | time | MB/s | peak RSS |");
    println!("|---|---|---|---|---|");
    for size in &sizes {
        let file = data.join(format!("checkpoint_{size}.pt"));
        let stats = best_scan(&brine, &file, runs)?;
        println!(
            "| `checkpoint_{size}.pt` | {:.0} MB | {:.3} s | {:.0} | {:.1} MB |",
            stats.mb,
            stats.seconds,
            stats.mb / stats.seconds,
            stats.peak_mb
        );
    }
    let tree = best_scan(&brine, &data.join("tree"), runs)?;
    println!(
        "| `tree/` (10,000 small pickles) | {:.1} MB | {:.3} s | {:.0} files/s | {:.1} MB |\n",
        tree.mb,
        tree.seconds,
        tree.files as f64 / tree.seconds,
        tree.peak_mb
    );

    if sizes.iter().any(|s| s == "1g") {
        let file = data.join("checkpoint_1g.pt");
        let ours = brine_command(&brine, &file);
        let theirs = python_command(&python, &root, &file);
        let (ours_out, theirs_out) = (
            output(&mut command_of(&ours))?,
            output(&mut command_of(&theirs))?,
        );
        if ours_out != theirs_out {
            return Err("brine checkpoint ls and list_checkpoint.py list different tensors".into());
        }
        let ours_time = best_time(&ours, runs)?;
        let theirs_time = best_time(&theirs, runs)?;
        println!(
            "| `checkpoint_1g.pt`, {} tensors | time | peak RSS |",
            ours_out.lines().count()
        );
        println!("|---|---|---|");
        println!(
            "| `brine checkpoint ls` | {:.3} s | {} |",
            ours_time,
            peak(&ours)
        );
        println!(
            "| `python3.11 benches/list_checkpoint.py` | {:.3} s | {} |",
            theirs_time,
            peak(&theirs)
        );
        println!(
            "| ratio (Python ÷ brine) | {:.1}× | |",
            theirs_time / ours_time
        );
    }
    Ok(())
}

/// A command line, so that it can be run several times.
struct Line {
    program: PathBuf,
    args: Vec<String>,
}

fn brine_command(brine: &Path, file: &Path) -> Line {
    Line {
        program: brine.to_owned(),
        args: vec!["checkpoint".into(), "ls".into(), file.display().to_string()],
    }
}

fn python_command(python: &Path, root: &Path, file: &Path) -> Line {
    Line {
        program: python.to_owned(),
        args: vec![
            "-I".into(),
            root.join("benches/list_checkpoint.py")
                .display()
                .to_string(),
            file.display().to_string(),
        ],
    }
}

fn command_of(line: &Line) -> Command {
    let mut command = Command::new(&line.program);
    command.args(&line.args);
    command
}

fn best_time(line: &Line, runs: usize) -> Result<f64, String> {
    let mut best = f64::INFINITY;
    for _ in 0..runs {
        let started = Instant::now();
        output(&mut command_of(line))?;
        best = best.min(started.elapsed().as_secs_f64());
    }
    Ok(best)
}

/// Peak RSS of one run through /usr/bin/time, or `n/a` without it.
fn peak(line: &Line) -> String {
    let result = Command::new("/usr/bin/time")
        .args(["-f", "%M"])
        .arg(&line.program)
        .args(&line.args)
        .output();
    match result {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stderr)
            .lines()
            .last()
            .and_then(|kb| kb.trim().parse::<f64>().ok())
            .map_or_else(|| "n/a".into(), |kb| format!("{:.1} MB", kb * 1024.0 / 1e6)),
        _ => "n/a".into(),
    }
}

struct ScanStats {
    files: u64,
    mb: f64,
    seconds: f64,
    peak_mb: f64,
}

/// The best of `runs` `brine scan --stats PATH`, parsed from its stats line:
/// `scanned N files, X MB in T s: F files/s, M MB/s, peak RSS P MB`.
fn best_scan(brine: &Path, path: &Path, runs: usize) -> Result<ScanStats, String> {
    let mut best: Option<ScanStats> = None;
    for _ in 0..runs {
        let out = Command::new(brine)
            .args(["scan", "--stats"])
            .arg(path)
            .output()
            .map_err(|err| format!("{}: {err}", brine.display()))?;
        if !out.status.success() {
            return Err(format!(
                "brine scan {} exited with {}",
                path.display(),
                out.status
            ));
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        let line = stderr
            .lines()
            .find(|line| line.starts_with("scanned "))
            .ok_or("no stats line")?;
        let number_before = |unit: &str| -> Result<f64, String> {
            let end = line.find(unit).ok_or(format!("no `{unit}` in `{line}`"))?;
            line[..end]
                .trim_end()
                .rsplit([' ', ','])
                .next()
                .and_then(|n| n.parse().ok())
                .ok_or(format!("no number before `{unit}` in `{line}`"))
        };
        let stats = ScanStats {
            files: number_before(" files,")? as u64,
            mb: number_before(" MB in")?,
            seconds: number_before(" s:")?,
            peak_mb: line
                .split_once("peak RSS ")
                .and_then(|(_, rest)| rest.trim_end_matches(" MB").parse().ok())
                .ok_or(format!("no peak RSS in `{line}`"))?,
        };
        if best.as_ref().is_none_or(|b| stats.seconds < b.seconds) {
            best = Some(stats);
        }
    }
    best.ok_or_else(|| "no run".into())
}

fn output(command: &mut Command) -> Result<String, String> {
    let out = command
        .output()
        .map_err(|err| format!("{command:?}: {err}"))?;
    if !out.status.success() {
        return Err(format!(
            "{command:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_else(|_| "unknown".to_owned())
}
