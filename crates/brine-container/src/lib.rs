//! The files pickles live in, opened by their content: every pickle inside them, and every
//! other member, handed to a visitor. Shared by the scanner and the data views.
//!
//! [`walk`] sniffs bytes (never a file name) and goes down through what it finds, to a depth
//! limit:
//!
//! - zip archives as PyTorch's reader opens them ([`zip`](self#zip-as-pytorch-reads-it)):
//!   `torch.save` checkpoints, TorchScript archives (reported as such), `.npz` files;
//! - tar archives, the legacy PyTorch tar format among them;
//! - compressed streams through brine-compress: gzip, bz2, xz, lzma-alone, zlib, zstd, lz4,
//!   and the `ZF` z-files of joblib < 0.10 (a length header, then zlib);
//! - numpy `.npy` files (format 1.0, 2.0 and 3.0), whose object arrays hold a pickle; the
//!   same parser reads them, and `.npz` archives, as arrays ([`npy::read`], [`npy::read_npz`]);
//! - joblib files: a pickle with raw numpy bytes after each `NumpyArrayWrapper`
//!   ([`Layout::Joblib`], [`joblib::after_build`]), object arrays as embedded pickles;
//!   [`joblib::JoblibFile`] opens one (compressed or not) into its graph and arrays, which
//!   brine-interpret names by path (a scikit-learn model's `steps[1][1].coef_`), and
//!   [`joblib::JoblibFile::open_path`] reads the side files of joblib < 0.10 with them;
//! - the legacy `torch.save` format: five pickles, then the raw storages;
//! - pickles, one or several after each other.
//!
//! Files that hold no pickle (safetensors, git-lfs pointers, ONNX models, raw data) are
//! reported as [`Body::Skipped`]; what cannot be opened to its end (a truncated member, a
//! limit reached, an encrypted member, a 7z archive) as [`Body::Inconclusive`], never as
//! clean.
//!
//! It executes nothing: pickles are handed over as bytes, and the few this crate decodes to
//! find its way (the legacy torch headers, a joblib stream's wrappers) go through brine-vm,
//! which imports and calls nothing. Bad input gives entries, never a panic or an allocation
//! beyond [`Limits`].
//!
//! # Zip as PyTorch reads it
//!
//! Every member is opened, whatever its name. The central directory gives names, sizes and
//! methods, as in PyTorch's reader (miniz); the local headers are read too, and a name that
//! differs between the two, a member the central directory leaves out, a CRC-32 that does not
//! match (which PyTorch's reader does not check) or bytes before the archive are
//! [`Body::Note`]s, with the members scanned in both views. An archive without a readable
//! central directory is [`Body::Inconclusive`], and its members are found by their local
//! headers. Stored members are slices of the input, never copies.
//!
//! # Example
//!
//! ```
//! use brine_container::{Body, Limits};
//! use bytes::Bytes;
//!
//! // gzip.compress(pickle.dumps(7, protocol=2), mtime=0)
//! let data = Bytes::from_static(
//!     b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03\x6b\x60\xf2\x66\xd7\x03\x00\x2d\x76\x95\x32\x05\x00\x00\x00",
//! );
//! let mut pickles = Vec::new();
//! brine_container::walk("seven.pkl.gz", data, &Limits::default(), &mut |entry| {
//!     if let Body::Pickle { data, .. } = entry.body {
//!         pickles.push((entry.path, data));
//!     }
//! });
//! assert_eq!(pickles, [(vec!["seven.pkl.gz".to_owned()], Bytes::from_static(b"\x80\x02K\x07."))]);
//! ```

#![forbid(unsafe_code)]

pub mod checkpoint;
pub mod joblib;
mod literal;
pub mod npy;
mod pickle;
mod sniff;
mod tar;
mod torch;
mod walk;
mod zip;

use std::path::Path;

use bytes::Bytes;

/// One thing found in a file: a pickle, or a member with none, or something to report.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Where it sits: the file name, then each member inside it, outermost first
    /// (`["model.pt", "archive/data.pkl"]`).
    pub path: Vec<String>,
    /// What it is.
    pub body: Body,
}

/// What an [`Entry`] holds.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Body {
    /// Pickle bytes: one pickle or several after each other (scan to the end of `data`).
    Pickle {
        /// The bytes, a slice of the input wherever they were stored uncompressed.
        data: Bytes,
        /// How to decode them.
        layout: Layout,
    },
    /// A member with no pickle in it (safetensors, a git-lfs pointer, ONNX, raw storage), and
    /// what it is.
    Skipped(String),
    /// A member that could not be opened to the end: never reported clean.
    Inconclusive(String),
    /// Something worth telling the user about the container itself (TorchScript code, names
    /// that differ between local and central zip headers, bad CRCs, ...).
    Note(String),
}

/// How the bytes of a [`Body::Pickle`] are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Layout {
    /// Pickles, as `pickle.load` reads them.
    Plain,
    /// joblib: raw array bytes follow each NumpyArrayWrapper's BUILD; decode with
    /// [`joblib::after_build`] as the decoder's after_build hook.
    Joblib,
}

/// How far [`walk`] goes. The default is the safe setting.
///
/// # Example
///
/// ```
/// let mut limits = brine_container::Limits::default();
/// limits.max_member_bytes = 64 << 20;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// The most containers nested in each other (a zip in a zip, a gzip in a tar); one more
    /// is [`Body::Inconclusive`].
    ///
    /// Default: 16.
    pub max_depth: usize,
    /// The most bytes one member or compressed stream may decompress to; more is
    /// [`Body::Inconclusive`], so a zip bomb stops there.
    ///
    /// Default: 4 GiB.
    pub max_member_bytes: u64,
    /// The most bytes decompressed over one [`walk`], all members together.
    ///
    /// Default: 16 GiB.
    pub max_total_bytes: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_depth: 16,
            max_member_bytes: 4 << 30,
            max_total_bytes: 16 << 30,
        }
    }
}

/// Sniffs `data` by content (never by name) and calls `visit` for every pickle and every
/// other member inside it, recursively through zip, tar, compression (brine-compress),
/// npy/npz, legacy torch, joblib and TorchScript archives, to `limits.max_depth`.
///
/// `name` becomes the first element of each entry's path.
///
/// # Example
///
/// ```
/// use brine_container::{Body, Layout, Limits};
///
/// let mut entries = Vec::new();
/// brine_container::walk("x.pkl", bytes::Bytes::from_static(b"\x80\x04K\x01."), &Limits::default(), &mut |entry| {
///     entries.push(entry);
/// });
/// assert!(matches!(&entries[0].body, Body::Pickle { layout: Layout::Plain, .. }));
/// ```
pub fn walk(name: &str, data: Bytes, limits: &Limits, visit: &mut dyn FnMut(Entry)) {
    walk::Walker::new(limits, visit).walk(&mut vec![name.to_owned()], data, 0);
}

/// For directory trees: walks every file under `path` (dotfiles included, such as a
/// Distributed Checkpoint's `.metadata`; symbolic links not followed), or `path` itself when
/// it is a file. Each entry's path starts with the file's path.
///
/// A file that cannot be read inside a tree is a [`Body::Inconclusive`] entry.
///
/// # Errors
///
/// When `path` itself cannot be read.
///
/// # Example
///
/// ```
/// let dir = std::env::temp_dir().join(format!("brine-container-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// std::fs::write(dir.join(".metadata"), b"\x80\x04N.")?;
/// let mut found = 0;
/// brine_container::walk_path(&dir, &Default::default(), &mut |_| found += 1)?;
/// assert_eq!(found, 1);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn walk_path(
    path: &Path,
    limits: &Limits,
    visit: &mut dyn FnMut(Entry),
) -> std::io::Result<()> {
    walk::walk_path(path, limits, visit)
}

/// The crate README, whose examples run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
