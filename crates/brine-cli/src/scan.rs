//! `brine scan`: what pickles would do, judged, for files, archives and directory trees.
//!
//! Files are scanned in parallel on all cores (rayon), with a progress bar on stderr when it
//! is a terminal (indicatif). The report goes to stdout as text, JSON (docs/security.md gives
//! the schema) or SARIF 2.1.0.
//!
//! Exit status: 0 when nothing dangerous or inconclusive was found (suspicious findings are
//! listed), 1 when something dangerous was (or suspicious, with `--strict`), 2 when a file
//! could not be scanned to its end and nothing dangerous was found.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use brine_scan::{FileReport, MemberKind, Options, Verdict};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde_json::{Value as Json, json};

/// Arguments of `brine scan`.
#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Files or directories to scan (directories are walked, dotfiles included).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// The report's format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Count suspicious findings as dangerous.
    #[arg(long)]
    strict: bool,
    /// Allow a global beyond the allow list: `module.qualname`, or `module.*` for a module
    /// and its submodules. Never overrides the deny list.
    #[arg(long, value_name = "GLOBAL")]
    allow: Vec<String>,
    /// Allow the globals listed in a file, one per line (`#` starts a comment).
    #[arg(long, value_name = "FILE")]
    allow_file: Vec<PathBuf>,
    /// Print throughput (files/s, MB/s) to stderr.
    #[arg(long)]
    stats: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Text,
    Json,
    Sarif,
}

/// Scans, prints the report and returns the exit status.
pub fn run(args: &ScanArgs) -> ExitCode {
    match scan(args) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("brine: error: {err}");
            ExitCode::from(2)
        }
    }
}

fn scan(args: &ScanArgs) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let mut options = Options::default();
    options.allow.extend(args.allow.iter().cloned());
    for file in &args.allow_file {
        let text = std::fs::read_to_string(file)
            .map_err(|err| format!("cannot read {}: {err}", file.display()))?;
        options.allow.extend(
            text.lines()
                .map(|line| line.split('#').next().unwrap_or("").trim())
                .filter(|line| !line.is_empty())
                .map(str::to_owned),
        );
    }
    let mut files = Vec::new();
    let mut unreadable = Vec::new();
    for path in &args.paths {
        match brine_scan::files_under(path) {
            Ok(found) => files.extend(found),
            Err(err) => unreadable.push(unreadable_report(path, &err)),
        }
    }
    let started = Instant::now();
    let progress = if io::stderr().is_terminal() && files.len() > 1 {
        let bar = ProgressBar::new(files.len() as u64);
        if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} files {elapsed}") {
            bar.set_style(style);
        }
        bar
    } else {
        ProgressBar::hidden()
    };
    let mut reports: Vec<FileReport> = files
        .par_iter()
        .map(|file| {
            let report = brine_scan::scan_file(file, &options);
            progress.inc(1);
            report
        })
        .collect();
    progress.finish_and_clear();
    let elapsed = started.elapsed();
    reports.extend(unreadable);

    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    match args.format {
        Format::Text => write_text(&mut out, &reports, args.strict)?,
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &json_report(&reports))?;
            writeln!(out)?;
        }
        Format::Sarif => {
            serde_json::to_writer_pretty(&mut out, &sarif_report(&reports, args.strict))?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    if args.stats {
        let bytes: u64 = files
            .iter()
            .filter_map(|file| std::fs::metadata(file).ok())
            .map(|meta| meta.len())
            .sum();
        let seconds = elapsed.as_secs_f64().max(1e-9);
        // The high-water mark of resident memory, pages of mapped files that were read
        // included (Linux; left out elsewhere).
        let peak = peak_rss_kb().map_or_else(String::new, |kb| {
            format!(", peak RSS {:.1} MB", kb as f64 * 1024.0 / 1e6)
        });
        eprintln!(
            "scanned {} files, {:.1} MB in {:.3} s: {:.0} files/s, {:.1} MB/s{peak}",
            files.len(),
            bytes as f64 / 1e6,
            seconds,
            files.len() as f64 / seconds,
            bytes as f64 / 1e6 / seconds
        );
    }
    Ok(exit_code(&reports, args.strict))
}

/// `VmHWM` of /proc/self/status, in kB.
fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The verdict that decides the exit status, `--strict` applied.
fn effective(verdict: Verdict, strict: bool) -> Verdict {
    if strict && verdict == Verdict::Suspicious {
        Verdict::Dangerous
    } else {
        verdict
    }
}

fn exit_code(reports: &[FileReport], strict: bool) -> ExitCode {
    let worst = reports
        .iter()
        .map(|report| effective(report.verdict, strict))
        .max()
        .unwrap_or(Verdict::Safe);
    match worst {
        Verdict::Dangerous => ExitCode::from(1),
        Verdict::Inconclusive => ExitCode::from(2),
        Verdict::Safe | Verdict::Suspicious => ExitCode::SUCCESS,
    }
}

fn unreadable_report(path: &std::path::Path, err: &io::Error) -> FileReport {
    let name = path.display().to_string();
    FileReport {
        path: name.clone(),
        verdict: Verdict::Inconclusive,
        members: vec![brine_scan::MemberReport {
            path: vec![name],
            verdict: Verdict::Inconclusive,
            kind: MemberKind::Inconclusive(format!("cannot read: {err}")),
        }],
    }
}

fn write_text(out: &mut impl Write, reports: &[FileReport], strict: bool) -> io::Result<()> {
    let mut counts = [0usize; 4];
    for report in reports {
        let verdict = effective(report.verdict, strict);
        counts[verdict as usize] += 1;
        writeln!(out, "{}: {verdict}", report.path)?;
        for member in &report.members {
            let place = member.path[1..].join(" / ");
            let place = if place.is_empty() {
                String::new()
            } else {
                format!("{place}: ")
            };
            match &member.kind {
                MemberKind::Pickles(pickles) => {
                    for (index, pickle) in pickles.iter().enumerate() {
                        for finding in pickle.findings.iter().filter(|f| f.verdict > Verdict::Safe)
                        {
                            let offset = finding.offset.map_or_else(String::new, |offset| {
                                format!(" @ {}", pickle.start + offset)
                            });
                            let what = finding
                                .call
                                .as_deref()
                                .or(finding.global.as_deref())
                                .unwrap_or("(structure)");
                            writeln!(
                                out,
                                "  {place}pickle {index}{offset}: {}: {what}\n      {}",
                                finding.verdict, finding.reason
                            )?;
                        }
                        if pickle.omitted > 0 {
                            writeln!(
                                out,
                                "  {place}pickle {index}: {} more findings",
                                pickle.omitted
                            )?;
                        }
                        if let Some(error) = &pickle.error {
                            writeln!(
                                out,
                                "  {place}pickle {index}: stopped @ {}: {error}",
                                pickle.end
                            )?;
                        }
                    }
                }
                MemberKind::Skipped(what) => writeln!(out, "  {place}skipped: {what}")?,
                MemberKind::Inconclusive(why) => writeln!(out, "  {place}inconclusive: {why}")?,
                MemberKind::Note(note) => writeln!(out, "  {place}note: {note}")?,
                _ => {}
            }
        }
    }
    writeln!(
        out,
        "{} files: {} dangerous, {} inconclusive, {} suspicious, {} safe",
        reports.len(),
        counts[Verdict::Dangerous as usize],
        counts[Verdict::Inconclusive as usize],
        counts[Verdict::Suspicious as usize],
        counts[Verdict::Safe as usize]
    )
}

/// The JSON report, schema version 1 (docs/security.md).
fn json_report(reports: &[FileReport]) -> Json {
    let files: Vec<Json> = reports
        .iter()
        .map(|report| {
            let members: Vec<Json> = report
                .members
                .iter()
                .map(|member| {
                    let (kind, detail, pickles) = match &member.kind {
                        MemberKind::Pickles(pickles) => ("pickles", Json::Null, pickles.as_slice()),
                        MemberKind::Skipped(what) => ("skipped", json!(what), &[][..]),
                        MemberKind::Inconclusive(why) => ("inconclusive", json!(why), &[][..]),
                        MemberKind::Note(note) => ("note", json!(note), &[][..]),
                        _ => ("other", Json::Null, &[][..]),
                    };
                    let pickles: Vec<Json> = pickles
                        .iter()
                        .map(|pickle| {
                            let findings: Vec<Json> = pickle
                                .findings
                                .iter()
                                .map(|finding| {
                                    json!({
                                        "verdict": finding.verdict.name(),
                                        "global": finding.global,
                                        "call": finding.call,
                                        "offset": finding.offset,
                                        "reason": finding.reason,
                                    })
                                })
                                .collect();
                            json!({
                                "start": pickle.start,
                                "end": pickle.end,
                                "verdict": pickle.verdict.name(),
                                "error": pickle.error,
                                "omitted": pickle.omitted,
                                "findings": findings,
                            })
                        })
                        .collect();
                    json!({
                        "path": member.path,
                        "verdict": member.verdict.name(),
                        "kind": kind,
                        "detail": detail,
                        "pickles": pickles,
                    })
                })
                .collect();
            json!({"path": report.path, "verdict": report.verdict.name(), "members": members})
        })
        .collect();
    json!({"schema": "brine-scan", "version": 1, "files": files})
}

/// The report as SARIF 2.1.0: one result per finding that is not safe, and one per member
/// that could not be scanned.
fn sarif_report(reports: &[FileReport], strict: bool) -> Json {
    let mut results = Vec::new();
    for report in reports {
        for member in &report.members {
            let inner = member.path[1..].join("/");
            let location = |offset: Option<u64>| {
                let mut physical = json!({"artifactLocation": {"uri": report.path}});
                if let (Some(offset), true) = (offset, inner.is_empty()) {
                    physical["region"] = json!({"byteOffset": offset});
                }
                json!([{"physicalLocation": physical}])
            };
            match &member.kind {
                MemberKind::Pickles(pickles) => {
                    for (index, pickle) in pickles.iter().enumerate() {
                        for finding in pickle.findings.iter().filter(|f| f.verdict > Verdict::Safe)
                        {
                            let verdict = effective(finding.verdict, strict);
                            let what = finding
                                .call
                                .as_deref()
                                .or(finding.global.as_deref())
                                .unwrap_or("(structure)");
                            let inside = if inner.is_empty() {
                                String::new()
                            } else {
                                format!(" in {inner}")
                            };
                            results.push(json!({
                                "ruleId": verdict.name(),
                                "level": if verdict == Verdict::Dangerous { "error" } else { "warning" },
                                "message": {"text": format!("pickle {index}{inside}: {what}: {}", finding.reason)},
                                "locations": location(finding.offset.map(|offset| pickle.start + offset)),
                            }));
                        }
                        if pickle.verdict == Verdict::Inconclusive {
                            results.push(json!({
                                "ruleId": "inconclusive",
                                "level": "warning",
                                "message": {"text": format!("pickle {index} could not be scanned to its end: {}",
                                    pickle.error.as_deref().unwrap_or("a limit was reached"))},
                                "locations": location(Some(pickle.end)),
                            }));
                        }
                    }
                }
                MemberKind::Inconclusive(why) => results.push(json!({
                    "ruleId": "inconclusive",
                    "level": "warning",
                    "message": {"text": format!("{inner}: {why}")},
                    "locations": location(None),
                })),
                _ => {}
            }
        }
    }
    let rule = |id: &str, text: &str| json!({"id": id, "shortDescription": {"text": text}});
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "brine",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/brine-rs/brine",
                "rules": [
                    rule("dangerous", "the pickle would run code, import, spawn, or open files or sockets"),
                    rule("suspicious", "the pickle names a global that is neither known honest nor known dangerous"),
                    rule("inconclusive", "the file could not be scanned to its end"),
                ],
            }},
            "results": results,
        }],
    })
}
