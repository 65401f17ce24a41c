//! Files: every pickle in a file, whatever holds it, through brine-container.

use std::path::{Path, PathBuf};

use brine_container::{Body, Entry};
use bytes::Bytes;

use crate::options::Options;
use crate::report::{FileReport, MemberKind, MemberReport, Verdict};

/// Scans every pickle in `data`, opened by content (zip and PyTorch checkpoints, tar,
/// compressed streams, npy/npz, joblib, legacy torch, TorchScript, plain pickle streams).
/// `name` is the file's name in the report.
///
/// A file in which nothing could be scanned (no pickle, no member) is inconclusive, unless
/// every member is a known non-pickle format (skipped).
///
/// # Example
///
/// ```
/// use brine_scan::{MemberKind, Verdict};
///
/// let data = bytes::Bytes::from_static(b"\x80\x04K\x07.");
/// let report = brine_scan::scan_bytes("seven.pkl", data, &Default::default());
/// assert_eq!(report.verdict, Verdict::Safe);
/// assert!(matches!(&report.members[0].kind, MemberKind::Pickles(p) if p.len() == 1));
/// ```
pub fn scan_bytes(name: &str, data: Bytes, options: &Options) -> FileReport {
    let mut members = Vec::new();
    brine_container::walk(name, data, &options.container_limits, &mut |entry| {
        members.push(member(entry, options));
    });
    file_report(name.to_owned(), members)
}

/// Scans the file at `path` as [`scan_bytes`] does, memory-mapped when it is large
/// ([`brine_mmap::read`]): payloads the containers skip by their declared length (a
/// checkpoint's storages) are never read, so memory does not grow with the file. A file that
/// cannot be read is inconclusive.
///
/// The side files a joblib < 0.10 stream names (`NAME_01.npy`, …), which `joblib.load` reads
/// from beside it, an object array's pickle included, are members of its report too
/// ([`brine_container::walk_path`]).
pub fn scan_file(path: &Path, options: &Options) -> FileReport {
    let name = path.display().to_string();
    let mut members = Vec::new();
    let walked = if path.is_dir() {
        // A directory's files are scanned one by one ([`files_under`]), never as one file.
        Err(std::io::Error::other("is a directory"))
    } else {
        brine_container::walk_path(path, &options.container_limits, &mut |entry| {
            members.push(member(entry, options));
        })
    };
    match walked {
        Ok(()) => file_report(name, members),
        Err(err) => FileReport {
            path: name.clone(),
            verdict: Verdict::Inconclusive,
            members: vec![MemberReport {
                path: vec![name],
                verdict: Verdict::Inconclusive,
                kind: MemberKind::Inconclusive(format!("cannot read the file: {err}")),
            }],
        },
    }
}

/// Every file under `path` (or `path` itself when it is a file), sorted, dotfiles included
/// (a Distributed Checkpoint's `.metadata`), symbolic links not followed.
///
/// # Errors
///
/// When `path` cannot be read; unreadable directories below it are left out.
pub fn files_under(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    let meta = std::fs::symlink_metadata(path)?;
    if !meta.is_dir() {
        return Ok(vec![path.to_owned()]);
    }
    let mut files = Vec::new();
    let mut dirs = vec![path.to_owned()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                dirs.push(entry.path());
            } else if kind.is_file() {
                files.push(entry.path());
            }
        }
    }
    files.sort();
    Ok(files)
}

fn member(entry: Entry, options: &Options) -> MemberReport {
    let Entry { path, body } = entry;
    let (verdict, kind) = match body {
        Body::Pickle { data, layout } => {
            let pickles = crate::scan_stream(&data, layout, options);
            let verdict = pickles
                .iter()
                .map(|pickle| pickle.verdict)
                .max()
                .unwrap_or(Verdict::Inconclusive);
            (verdict, MemberKind::Pickles(pickles))
        }
        Body::Skipped(what) => (Verdict::Safe, MemberKind::Skipped(what)),
        Body::Inconclusive(why) => (Verdict::Inconclusive, MemberKind::Inconclusive(why)),
        Body::Note(note) => (Verdict::Safe, MemberKind::Note(note)),
        other => (
            Verdict::Inconclusive,
            MemberKind::Inconclusive(format!("an entry this scanner does not know: {other:?}")),
        ),
    };
    MemberReport {
        path,
        verdict,
        kind,
    }
}

fn file_report(path: String, members: Vec<MemberReport>) -> FileReport {
    let verdict = members
        .iter()
        .map(|member| member.verdict)
        .max()
        .unwrap_or(Verdict::Inconclusive);
    FileReport {
        path,
        verdict,
        members,
    }
}
