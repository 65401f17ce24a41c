//! The CPython fixture corpus in `fixtures/`, as the test suites of the layers that read and write pickles read it.
//!
//! `cargo xtask fixtures` writes the corpus and its manifest (`fixtures/manifest.tsv`, described
//! in `fixtures/README.md`); this crate parses the manifest so that tests iterate over fixtures
//! by producer, protocol and object without knowing the layout. It is a dev-dependency only.
#![forbid(unsafe_code)]

use std::fs;
use std::io::{self, BufRead, Read};
use std::path::{Path, PathBuf};

/// One fixture: a pickle written by a pinned CPython, and pickletools' disassembly of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fixture {
    /// The pickle's path relative to `fixtures/`.
    pub path: String,
    /// The producer's short name, as `brine_python::PINS` names it: `py27`, `py36`, ..., `py313`.
    pub producer: String,
    /// The producer's exact version, e.g. `3.11.7`.
    pub version: String,
    /// The protocol the pickle was written with.
    pub protocol: u8,
    /// The object's id, the same for every producer and protocol.
    pub object: String,
    /// `plain`, or `optimized` for `pickletools.optimize` output.
    pub variant: String,
    /// The disassembly's path relative to `fixtures/`.
    pub dis: String,
    /// Whether pickletools disassembled the pickle without an error.
    pub dis_ok: bool,
    /// The last line pickletools wrote to stderr when it failed.
    pub dis_error: String,
}

impl Fixture {
    /// The pickle's bytes.
    pub fn bytes(&self) -> Vec<u8> {
        read(&self.path)
    }

    /// The reference disassembly (the stdout of `python3.11 -m pickletools`).
    pub fn dis_text(&self) -> Vec<u8> {
        read(&self.dis)
    }

    /// The pickle's absolute path.
    pub fn full_path(&self) -> PathBuf {
        fixtures_dir().join(&self.path)
    }

    /// A short name for messages: `py311/int_255.p2`.
    pub fn name(&self) -> String {
        let stem = self.path.trim_start_matches("pickles/");
        stem.trim_end_matches(".pickle").to_owned()
    }
}

/// A reader over a slice that hands out one byte at a time, from `fill_buf` and `read` alike,
/// so that every opcode longer than a byte straddles the end of the reader's buffer.
///
/// What is left unread stays in the public field, for checking where a load stopped.
#[derive(Debug)]
pub struct Trickle<'a>(pub &'a [u8]);

impl Read for Trickle<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let len = self.0.len().min(out.len()).min(1);
        out[..len].copy_from_slice(&self.0[..len]);
        self.0 = &self.0[len..];
        Ok(len)
    }
}

impl BufRead for Trickle<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        Ok(&self.0[..self.0.len().min(1)])
    }

    fn consume(&mut self, len: usize) {
        self.0 = &self.0[len..];
    }
}

/// The absolute path of `fixtures/`.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

/// Every fixture in the manifest, in manifest order.
///
/// # Panics
///
/// When the manifest is missing or malformed: the corpus is part of the repository, so that is
/// a broken checkout, and a test should fail loudly.
pub fn all() -> Vec<Fixture> {
    let manifest = String::from_utf8(read("manifest.tsv")).expect("manifest.tsv is UTF-8");
    let mut lines = manifest.lines().filter(|line| !line.starts_with('#'));
    let header: Vec<&str> = lines
        .next()
        .expect("manifest has a header row")
        .split('\t')
        .collect();
    let column = |name: &str| {
        header
            .iter()
            .position(|&col| col == name)
            .unwrap_or_else(|| panic!("manifest has no column {name:?}"))
    };
    let cols = [
        column("path"),
        column("producer"),
        column("version"),
        column("protocol"),
        column("object"),
        column("variant"),
        column("dis"),
        column("dis_status"),
        column("dis_error"),
    ];
    lines
        .filter(|line| !line.is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            let field = |idx: usize| fields.get(cols[idx]).copied().unwrap_or("").to_owned();
            Fixture {
                path: field(0),
                producer: field(1),
                version: field(2),
                protocol: field(3).parse().expect("protocol is a number"),
                object: field(4),
                variant: field(5),
                dis: field(6),
                dis_ok: field(7) == "ok",
                dis_error: field(8),
            }
        })
        .collect()
}

/// One third-party fixture: a pickle written by numpy, pandas, cloudpickle or dill in the
/// reference CPython (`fixtures/thirdparty/`, made by `generate/gen_thirdparty.py`).
///
/// These are not in [`all`]: loading them needs the library, and protocol 5 ones may need
/// their out-of-band buffers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThirdParty {
    /// The pickle's path relative to `fixtures/thirdparty/`.
    pub path: String,
    /// `numpy`, `pandas`, `cloudpickle` or `dill`.
    pub library: String,
    /// The protocol the pickle was written with.
    pub protocol: u8,
    /// The object's id, e.g. `float64` or `lambda`.
    pub object: String,
    /// The out-of-band buffers, in the order NEXT_BUFFER takes them, relative to
    /// `fixtures/thirdparty/`.
    pub buffers: Vec<String>,
    /// What CPython sees when it loads the pickle (JSON), relative to `fixtures/thirdparty/`.
    pub expect: String,
}

impl ThirdParty {
    /// The pickle's bytes.
    pub fn bytes(&self) -> Vec<u8> {
        read(&format!("thirdparty/{}", self.path))
    }

    /// The contents of the out-of-band buffers.
    pub fn buffer_bytes(&self) -> Vec<Vec<u8>> {
        self.buffers
            .iter()
            .map(|buf| read(&format!("thirdparty/{buf}")))
            .collect()
    }

    /// The absolute path of the pickle.
    pub fn full_path(&self) -> PathBuf {
        fixtures_dir().join("thirdparty").join(&self.path)
    }

    /// The absolute paths of the buffers.
    pub fn buffer_paths(&self) -> Vec<PathBuf> {
        self.buffers
            .iter()
            .map(|buf| fixtures_dir().join("thirdparty").join(buf))
            .collect()
    }

    /// The absolute path of the expected description.
    pub fn expect_path(&self) -> PathBuf {
        fixtures_dir().join("thirdparty").join(&self.expect)
    }

    /// A short name for messages: `numpy_int8.p2`.
    pub fn name(&self) -> String {
        let stem = self.path.trim_start_matches("pickles/");
        stem.trim_end_matches(".pickle").to_owned()
    }
}

/// Every third-party fixture in `fixtures/thirdparty/manifest.tsv`, in manifest order.
///
/// # Panics
///
/// When the manifest is missing or malformed (a broken checkout).
pub fn thirdparty() -> Vec<ThirdParty> {
    let manifest =
        String::from_utf8(read("thirdparty/manifest.tsv")).expect("manifest.tsv is UTF-8");
    manifest
        .lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .skip(1)
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            let [path, library, protocol, object, buffers, expect, _sha256] = fields[..] else {
                panic!("malformed third-party manifest row {line:?}");
            };
            ThirdParty {
                path: path.to_owned(),
                library: library.to_owned(),
                protocol: protocol.parse().expect("protocol is a number"),
                object: object.to_owned(),
                buffers: buffers
                    .split(',')
                    .filter(|buf| *buf != "-")
                    .map(str::to_owned)
                    .collect(),
                expect: expect.to_owned(),
            }
        })
        .collect()
}

fn read(relative: &str) -> Vec<u8> {
    let path = fixtures_dir().join(relative);
    fs::read(&path).unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()))
}

/// The copyreg extension codes `brine_fixtures` registers (code, module, name): a decoder
/// must register the same ones to read the `ext_code*` fixtures, as in Python.
pub const EXTENSION_CODES: [(i64, &str, &str); 3] = [
    (0xF1, "brine_fixtures", "ExtCode1"),
    (0xF1F2, "brine_fixtures", "ExtCode2"),
    (0xF1F2F3, "brine_fixtures", "ExtCode4"),
];
