//! The walker: one place that sniffs a blob, dispatches it to its reader, and keeps the depth
//! and decompression budgets that every reader shares.

use std::fs;
use std::io;
use std::path::Path;

use bytes::Bytes;

use crate::sniff::Kind;
use crate::{Body, Entry, Limits};

/// State shared by the readers during one walk.
pub(crate) struct Walker<'a> {
    pub(crate) limits: &'a Limits,
    visit: &'a mut dyn FnMut(Entry),
    /// Bytes that decompression may still produce over the whole walk.
    budget: u64,
    /// The side files that joblib streams at the top of the walk name (joblib < 0.10), which
    /// a walk of one file on disk walks after it.
    pub(crate) side_files: Vec<String>,
}

impl<'a> Walker<'a> {
    pub(crate) fn new(limits: &'a Limits, visit: &'a mut dyn FnMut(Entry)) -> Walker<'a> {
        Walker {
            limits,
            visit,
            budget: limits.max_total_bytes,
            side_files: Vec::new(),
        }
    }

    /// Reports `body` at `path`.
    pub(crate) fn emit(&mut self, path: &[String], body: Body) {
        (self.visit)(Entry {
            path: path.to_vec(),
            body,
        });
    }

    /// Reports `body` at `path` followed by `member`.
    pub(crate) fn emit_in(&mut self, path: &[String], member: &str, body: Body) {
        let mut path = path.to_vec();
        path.push(member.to_owned());
        (self.visit)(Entry { path, body });
    }

    /// The most bytes the next decompression may produce: the member limit, or what is left
    /// of the walk's budget.
    pub(crate) fn member_limit(&self) -> u64 {
        self.limits.max_member_bytes.min(self.budget)
    }

    /// Charges `len` decompressed bytes to the walk's budget.
    pub(crate) fn charge(&mut self, len: u64) {
        self.budget = self.budget.saturating_sub(len);
    }

    /// Walks `member` of the container at `path`, one level deeper.
    pub(crate) fn walk_member(
        &mut self,
        path: &mut Vec<String>,
        member: &str,
        data: Bytes,
        depth: usize,
    ) {
        path.push(member.to_owned());
        self.walk(path, data, depth + 1);
        path.pop();
    }

    /// Sniffs `data`, found at `path` inside `depth` containers, and walks it.
    pub(crate) fn walk(&mut self, path: &mut Vec<String>, data: Bytes, depth: usize) {
        if depth > self.limits.max_depth {
            let max = self.limits.max_depth;
            self.emit(
                path,
                Body::Inconclusive(format!(
                    "nested more than {max} containers deep: not opened"
                )),
            );
            return;
        }
        match crate::sniff::kind(&data) {
            Kind::Empty => self.emit(path, Body::Skipped("empty".into())),
            Kind::Zip => crate::zip::walk(self, path, data, depth),
            Kind::Tar => crate::tar::walk(self, path, data, depth),
            Kind::Npy => crate::npy::walk(self, path, data),
            Kind::LegacyTorch => crate::torch::walk_legacy(self, path, data),
            Kind::Compressed(codec) => self.decompress(path, data, depth, codec),
            Kind::JoblibZFile(start) => self.decompress(
                path,
                data.slice(start..),
                depth,
                brine_compress::Codec::Zlib,
            ),
            Kind::Pickle => {
                crate::pickle::walk(self, path, data.clone());
                // A pickle with a zip at its end is both: torch.load unpickles the start,
                // Python's zipfile opens the end.
                if crate::zip::find_eocd(&data).is_some() {
                    crate::zip::walk(self, path, data, depth);
                }
            }
            Kind::SevenZ => self.emit(
                path,
                Body::Inconclusive(
                    "7z archive: brine does not open 7z (the maintained pure-Rust reader needs a \
                     newer Rust than brine's minimum)"
                        .into(),
                ),
            ),
            Kind::Safetensors => self.emit(path, Body::Skipped("safetensors file".into())),
            Kind::LfsPointer => self.emit(
                path,
                Body::Skipped("git-lfs pointer: the file itself is not here".into()),
            ),
            Kind::Onnx => self.emit(path, Body::Skipped("ONNX model (protobuf)".into())),
            Kind::Truncated(what) => self.emit(
                path,
                Body::Inconclusive(format!("{what} cut short inside its signature")),
            ),
            Kind::Unknown => {
                // A zip after other bytes (a self-extracting stub, a polyglot), or the start
                // of one after a stub.
                if crate::zip::find_eocd(&data).is_some() || crate::zip::starts_soon(&data) {
                    crate::zip::walk(self, path, data, depth);
                } else {
                    let len = data.len();
                    // Looked at and skipped: in a mapped file, its pages need not stay resident.
                    brine_mmap::release(&data);
                    self.emit(
                        path,
                        Body::Skipped(format!("{len} bytes of data, no pickle or container")),
                    );
                }
            }
        }
    }

    fn decompress(
        &mut self,
        path: &mut Vec<String>,
        data: Bytes,
        depth: usize,
        codec: brine_compress::Codec,
    ) {
        let mut options = brine_compress::Options::default();
        options.max_decompressed_len = self.member_limit();
        match brine_compress::decompress(&data, &options) {
            Ok(out) => {
                self.charge(out.len() as u64);
                self.walk(path, Bytes::from(out), depth + 1);
            }
            Err(err) => self.emit(path, Body::Inconclusive(format!("{codec} stream: {err}"))),
        }
    }
}

pub(crate) fn walk_path(
    path: &Path,
    limits: &Limits,
    visit: &mut dyn FnMut(Entry),
) -> io::Result<()> {
    let meta = fs::metadata(path)?;
    let mut walker = Walker::new(limits, visit);
    if !meta.is_dir() {
        let data = brine_mmap::read(path)?;
        walker.walk(&mut vec![path.display().to_string()], data, 0);
        // joblib < 0.10 loads each array's side file from beside the pickle, an object
        // array's with `allow_pickle`: they are walked too, as their own files. (A directory's
        // walk reaches them anyway.) Only plain names are followed; joblib would follow any
        // path, so one named by a path is reported and not read.
        let dir = path.parent().unwrap_or_else(|| Path::new(""));
        let mut seen = std::collections::BTreeSet::new();
        for file in std::mem::take(&mut walker.side_files) {
            if !seen.insert(file.clone()) {
                continue;
            }
            if !crate::joblib::is_file_name(&file) {
                walker.emit(
                    &[path.display().to_string()],
                    Body::Inconclusive(format!(
                        "names the side file `{file}` by a path, which joblib would load from \
                         there: not read"
                    )),
                );
                continue;
            }
            let side = dir.join(&file);
            let name = side.display().to_string();
            match brine_mmap::read(&side) {
                Ok(data) => walker.walk(&mut vec![name], data, 0),
                Err(err) => walker.emit(
                    &[name],
                    Body::Inconclusive(format!(
                        "cannot read this side file of `{}`: {err}",
                        path.display()
                    )),
                ),
            }
        }
        return Ok(());
    }
    // Directories first read whole, then walked in name order, so that output is stable.
    let mut pending = vec![path.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let mut children: Vec<_> = fs::read_dir(&dir)?
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .collect();
        children.sort();
        let mut subdirs = Vec::new();
        for child in children {
            let name = child.display().to_string();
            match fs::symlink_metadata(&child) {
                Ok(meta) if meta.is_dir() => subdirs.push(child),
                Ok(meta) if meta.is_file() => match brine_mmap::read(&child) {
                    Ok(data) => walker.walk(&mut vec![name], data, 0),
                    Err(err) => {
                        walker.emit(&[name], Body::Inconclusive(format!("cannot read: {err}")))
                    }
                },
                // Symbolic links and special files are not followed.
                Ok(_) => {}
                Err(err) => walker.emit(&[name], Body::Inconclusive(format!("cannot read: {err}"))),
            }
        }
        pending.extend(subdirs.into_iter().rev());
    }
    Ok(())
}
