//! Files as [`Bytes`] over a read-only memory map, so that a multi-GB checkpoint costs no
//! copy: every slice a reader takes of it (a tensor's storage, a pickle inside a zip) is a
//! view of the mapping, and only the pages actually read are ever brought into memory.
//!
//! Readers [`release`] what they looked at and skip (the head of a storage), so that the
//! memory of a scan does not grow with the file even where a page fault maps a whole large
//! folio.
//!
//! This crate is brine's only unsafe code, two calls (mapping a file, and dropping the page
//! table entries of part of that read-only mapping), kept here so that every other crate
//! keeps `#![forbid(unsafe_code)]`. It reads files and does nothing else.
//!
//! # Example
//!
//! ```
//! let path = std::env::temp_dir().join(format!("brine-mmap-doc-{}", std::process::id()));
//! std::fs::write(&path, b"\x80\x04K\x07.")?;
//! let data = brine_mmap::read(&path)?;
//! assert_eq!(&data[..], b"\x80\x04K\x07.");
//! # std::fs::remove_file(&path)?;
//! # Ok::<(), std::io::Error>(())
//! ```

#![deny(unsafe_code)]

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::sync::{Arc, Mutex, Weak};

use bytes::Bytes;

/// Files smaller than this are read into memory: mapping costs two system calls and a page
/// fault per page, more than a read of a few pages.
pub const MAP_THRESHOLD: u64 = 1 << 20;

/// The span [`release`] rounds out to: the largest folio a fault maps at once (a PMD, 2 MiB
/// on x86-64 and arm64). A fault in a file that the page cache holds in large folios maps
/// the whole folio, so reading one byte of a skipped storage costs up to this much resident
/// memory until it is released.
const RELEASE_SPAN: usize = 2 << 20;

/// The mappings alive, by address: what [`release`] may act on.
static MAPPINGS: Mutex<Vec<(usize, usize, Weak<memmap2::Mmap>)>> = Mutex::new(Vec::new());

/// The owner of a mapping inside the `Bytes` [`read`] returns.
struct Mapping(Arc<memmap2::Mmap>);

impl AsRef<[u8]> for Mapping {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// The content of the file at `path`: memory-mapped when it is a regular file of at least
/// [`MAP_THRESHOLD`] bytes, read into memory otherwise (small files, pipes, special files, or
/// a file the system cannot map).
///
/// # What a change to the file does
///
/// A mapped file is read where it lies. If another process writes to it while the returned
/// `Bytes` (or a slice of it) is alive, reads see the new bytes, so two reads of one place may
/// differ; brine's readers check every length against the slice they hold, whose length never
/// changes, so this can give wrong data or an error but never a read outside the mapping. If
/// the file is truncated, reading a page past its new end raises `SIGBUS`, which ends the
/// process. Callers that cannot rule out writers read the file with [`std::fs::read`].
///
/// # Errors
///
/// When the file cannot be opened or read.
pub fn read(path: &Path) -> io::Result<Bytes> {
    let mut file = File::open(path)?;
    let meta = file.metadata()?;
    if meta.is_file() && meta.len() >= MAP_THRESHOLD {
        if let Ok(map) = map(&file) {
            let map = Arc::new(map);
            let mut mappings = MAPPINGS
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            mappings.retain(|(_, _, owner)| owner.strong_count() > 0);
            mappings.push((map.as_ptr() as usize, map.len(), Arc::downgrade(&map)));
            drop(mappings);
            return Ok(Bytes::from_owner(Mapping(map)));
        }
    }
    let mut data = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0).min(1 << 30));
    file.read_to_end(&mut data)?;
    Ok(Bytes::from(data))
}

/// Tells the system that the pages around `data` are not needed now, when `data` lies in a
/// file [`read`] mapped: their page-table entries are dropped (rounded out to 2 MiB, the
/// largest folio a fault maps), so they no longer count as this process's memory; the next
/// read of them maps them again from the page cache, with the same content. For anything
/// else (bytes read into memory, a slice of another buffer) it does nothing.
///
/// Readers call it on what they have looked at and will skip: the head of a checkpoint's
/// storage that showed it is raw data, a local zip header. That is what keeps the memory of a
/// scan of a multi-GB checkpoint from growing with the file.
///
/// # Example
///
/// ```
/// let data = bytes::Bytes::from_static(b"not mapped");
/// brine_mmap::release(&data[..4]); // nothing happens
/// assert_eq!(&data[..], b"not mapped");
/// ```
pub fn release(data: &[u8]) {
    let start = data.as_ptr() as usize;
    let end = start + data.len();
    let found = {
        let mappings = MAPPINGS
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        mappings
            .iter()
            .find(|&&(base, len, _)| base <= start && end <= base + len)
            .and_then(|(base, len, owner)| Some((*base, *len, owner.upgrade()?)))
    };
    let Some((base, len, map)) = found else {
        return;
    };
    let from = (start - base) / RELEASE_SPAN * RELEASE_SPAN;
    let to = (end - base)
        .div_ceil(RELEASE_SPAN)
        .saturating_mul(RELEASE_SPAN)
        .min(len);
    forget(&map, from, to - from);
}

/// Maps `file` read-only.
///
/// `Mmap::map` is unsafe because the bytes behind the returned slice may change: brine maps
/// read-only and privately and never writes to the file, so only another process changing or
/// truncating the file underneath can change them; [`read`] says what that does. The mapping
/// lives as long as the `Bytes` that own it.
#[allow(unsafe_code)]
fn map(file: &File) -> io::Result<memmap2::Mmap> {
    // SAFETY: see above; the file is opened read-only and nothing in brine writes to it.
    unsafe { memmap2::MmapOptions::new().map(file) }
}

/// `MADV_DONTNEED` over `len` bytes of `map` from `offset`.
///
/// Unsafe in general because it discards private changes to the pages (anonymous memory
/// reads back as zeros); this mapping is read-only, so it holds no private change, and its
/// pages read back from the file exactly as before: only their page-table entries go.
#[allow(unsafe_code)]
fn forget(map: &memmap2::Mmap, offset: usize, len: usize) {
    // SAFETY: see above.
    let _ = unsafe { map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, offset, len) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_and_large_files_read_whole() {
        let dir = std::env::temp_dir().join(format!("brine-mmap-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let small = dir.join("small");
        std::fs::write(&small, b"abc").unwrap();
        assert_eq!(&read(&small).unwrap()[..], b"abc");
        let large = dir.join("large");
        let content: Vec<u8> = (0..MAP_THRESHOLD as usize + 5).map(|i| i as u8).collect();
        std::fs::write(&large, &content).unwrap();
        let data = read(&large).unwrap();
        assert_eq!(&data[..], &content[..]);
        let empty = dir.join("empty");
        std::fs::write(&empty, b"").unwrap();
        assert!(read(&empty).unwrap().is_empty());
        assert!(read(&dir.join("missing")).is_err());
        // Released pages read back the same.
        release(&data[10..20]);
        release(&data[..]);
        assert_eq!(&data[..], &content[..]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

/// The crate README, whose examples run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
