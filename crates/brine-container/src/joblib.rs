//! joblib files (`joblib.dump`): a pickle stream in which each numpy array is a
//! `NumpyArrayWrapper` whose BUILD is followed by the array's raw bytes, written by joblib
//! outside any opcode (joblib/numpy_pickle.py, `NumpyArrayWrapper.write_array`).
//!
//! The layout after a wrapper's BUILD, as joblib 0.10 and later write it:
//!
//! - an array whose dtype holds objects: a whole pickle of the array (protocol 2), which
//!   joblib loads with `pickle.load`: an embedded pickle, reported as its own entry;
//! - any other array: when the wrapper's state has `numpy_array_alignment_bytes` (joblib
//!   1.2 and later, unless the file could not seek), one byte giving a padding length and that
//!   many padding bytes; then the array's `prod(shape) * itemsize` bytes.
//!
//! joblib before 0.10 kept each array in a side file named by an `NDArrayWrapper` (an `.npy`
//! file) or, for a compressed dump, a `ZNDArrayWrapper` (a z-file of the raw elements): nothing
//! follows those in the stream. The container walk reports the side files as notes;
//! [`JoblibFile::open_path`] reads them as the arrays.

use brine_interpret::joblib::Wrapper as JoblibWrapper;
use brine_value::{Graph, NodeId, Value};
use bytes::Bytes;

use std::path::Path;

use brine_interpret::numpy::{ArrayData, NdArray};

use crate::npy::{self, Npy, NpyError};
use crate::walk::Walker;
use crate::{Body, Layout};

/// The after_build hook for joblib streams: how many raw bytes after the BUILD of `node`
/// belong to it (`rest` is the input after BUILD). Anything that is not a joblib array
/// wrapper claims none.
///
/// # Errors
///
/// A wrapper whose state does not say how long its data is, or an object array whose
/// embedded pickle has no STOP.
///
/// # Example
///
/// ```
/// use brine_value::Change;
///
/// // A file written by joblib.dump: five arrays in a dict, their data inside the stream.
/// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/containers/joblib/model.joblib");
/// let data = std::fs::read(path)?;
/// let graph = brine_vm::Decoder::new(Default::default())
///     .after_build(brine_container::joblib::after_build)
///     .from_slice(&data)?;
/// // `coef` is numpy.arange(5.0): 40 bytes of float64 after a padding byte and its padding.
/// let coef = graph.root().get("coef").unwrap();
/// let Some(Change::Raw(raw)) = coef.changes().last() else { panic!("no raw data") };
/// let floats = &raw[1 + usize::from(raw[0])..];
/// assert_eq!(floats[8..16], 1.0f64.to_le_bytes());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn after_build(graph: &Graph, node: NodeId, rest: &[u8]) -> Result<u64, String> {
    Ok(match wrapper(graph, node, rest)? {
        Wrapper::Raw(len) | Wrapper::Objects(len) => len,
        Wrapper::None | Wrapper::SideFile(_) => 0,
    })
}

/// What a BUILD set the state of, for joblib.
enum Wrapper {
    /// Not an array wrapper.
    None,
    /// Raw array data (padding included) of this many bytes.
    Raw(u64),
    /// An embedded pickle of an object array, this long.
    Objects(u64),
    /// An array kept in this side file.
    SideFile(String),
}

fn wrapper(graph: &Graph, node: NodeId, rest: &[u8]) -> Result<Wrapper, String> {
    let interp = brine_interpret::Interpreter::new(graph);
    let found = match interp.joblib_wrapper(&Value::Node(node)) {
        None => return Ok(Wrapper::None),
        Some(found) => found.map_err(|err| err.to_string())?,
    };
    Ok(match found {
        JoblibWrapper::SideFile { filename, .. } => Wrapper::SideFile(filename.to_owned()),
        JoblibWrapper::Array(array) => match array.data_len(rest).map_err(|e| e.to_string())? {
            Some(len) => Wrapper::Raw(len),
            None => {
                let end =
                    crate::pickle::end(rest, 0).map_err(|err| format!("object array: {err}"))?;
                Wrapper::Objects(end as u64)
            }
        },
        _ => Wrapper::None,
    })
}

/// joblib's z-file framing (joblib < 0.10 with `compress=`, `numpy_pickle_compat.write_zfile`):
/// `ZF`, the uncompressed length in hex padded with spaces to 19 characters (one more space
/// from joblib 0.8.4 and before), then a zlib stream. Where the zlib stream starts, if `data`
/// is one.
pub(crate) fn zfile_body(data: &[u8]) -> Option<usize> {
    const HEADER: usize = 2 + 19;
    let header = data.get(..HEADER)?;
    let length = std::str::from_utf8(header.strip_prefix(b"ZF")?).ok()?;
    let digits = length.trim_end_matches(' ').strip_prefix("0x")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    // zlib's first byte is never a space (RFC 6713), so a space here is the wider header.
    Some(HEADER + usize::from(data.get(HEADER) == Some(&b' ')))
}

/// Whether a pickle stream is joblib's: it names joblib's array wrappers.
pub(crate) fn is_joblib(data: &[u8]) -> bool {
    memchr::memmem::find(data, b"ArrayWrapper").is_some()
        && memchr::memmem::find(data, b"numpy_pickle").is_some()
}

/// Reports a joblib stream, then the object arrays' pickles embedded in it and the side files
/// it names, found by decoding it with the hook (nothing is executed).
pub(crate) fn walk(walker: &mut Walker<'_>, path: &[String], data: Bytes) {
    let mut embedded = Vec::new();
    let mut side_files = Vec::new();
    let total = data.len();
    // The decode only locates; its errors are the scanner's to report, from the same bytes.
    let _ = brine_vm::Decoder::new(Default::default())
        .after_build(|graph, node, rest| {
            let offset = total - rest.len();
            Ok(match wrapper(graph, node, rest)? {
                Wrapper::Objects(len) => {
                    embedded.push((offset, len as usize));
                    len
                }
                Wrapper::Raw(len) => len,
                Wrapper::SideFile(file) => {
                    side_files.push(file);
                    0
                }
                Wrapper::None => 0,
            })
        })
        .from_bytes(&data);
    walker.emit(
        path,
        Body::Pickle {
            data: data.clone(),
            layout: Layout::Joblib,
        },
    );
    for (index, (offset, len)) in embedded.into_iter().enumerate() {
        walker.emit_in(
            path,
            &format!("<object array {}>", index + 1),
            Body::Pickle {
                data: data.slice(offset..offset + len),
                layout: Layout::Plain,
            },
        );
    }
    if path.len() == 1 {
        walker.side_files.extend(side_files.iter().cloned());
    }
    for file in side_files {
        walker.emit(
            path,
            Body::Note(format!(
                "an array is kept in the side file `{file}` (joblib < 0.10), which joblib loads \
                 from beside this file; walked by its path, this file's walk reaches it next"
            )),
        );
    }
}

/// A file `joblib.dump` wrote, opened: the decoded graph, with each `NumpyArrayWrapper`'s data
/// kept on it, and the embedded pickles of its object arrays decoded too.
///
/// Compressed files (`compress=` zlib, gzip, bz2, lzma, xz, lz4, and the `ZF` z-files of
/// joblib < 0.10) are recognised by content and decompressed through brine-compress first; the arrays are then slices of the decompressed
/// bytes, and of the input itself for an uncompressed file. Nothing is imported or called.
///
/// # Example
///
/// ```
/// use brine_container::joblib::JoblibFile;
///
/// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/containers/joblib/model.xz.joblib");
/// let file = JoblibFile::open(std::fs::read(path)?.into(), &Default::default())?;
/// let interp = file.interpreter();
/// // `coef` is numpy.arange(5.0).
/// let coef = interp.array_at(file.graph().root_value(), "coef")?;
/// assert_eq!(coef.to_vec::<f64>()?, [0.0, 1.0, 2.0, 3.0, 4.0]);
/// assert_eq!(file.codec(), Some(brine_compress::Codec::Xz));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct JoblibFile {
    graph: Graph,
    /// The graph of each object array's embedded pickle, by its wrapper's node.
    embedded: Vec<(NodeId, Graph)>,
    /// The arrays of the side files of joblib < 0.10, by their wrapper's node, when the file
    /// was opened by [`JoblibFile::open_path`].
    side: Vec<(NodeId, SideArray)>,
    codec: Option<brine_compress::Codec>,
}

/// A side file's array: an `.npy` file (`NDArrayWrapper`), or the elements of a z-file
/// (`ZNDArrayWrapper`).
#[derive(Debug)]
enum SideArray {
    Npy(Npy),
    Elements(NdArray<'static>),
}

/// One array of a [`JoblibFile`].
#[derive(Debug, Clone)]
pub struct Array<'f> {
    /// The array; an object array's items are values of [`Array::graph`].
    pub array: brine_interpret::numpy::NdArray<'f>,
    /// The graph the items of an object array live in: its embedded pickle's, or the file's.
    pub graph: &'f Graph,
}

/// Why a file is not a joblib file brine can open.
#[derive(Debug)]
#[non_exhaustive]
pub enum JoblibError {
    /// Decompressing the file failed.
    Compression(brine_compress::Error),
    /// Decoding the pickle stream (or an object array's embedded pickle) failed.
    Decode(brine_vm::Error),
    /// A joblib z-file header (`ZF` and a length) not followed by a zlib stream.
    ZFile,
    /// Reading the file failed ([`JoblibFile::open_path`]).
    Io(std::io::Error),
    /// A side file of joblib < 0.10 could not be read as the array its wrapper describes.
    SideFile {
        /// The file name the wrapper gives.
        file: String,
        /// Why it could not be read.
        reason: SideFileError,
    },
}

/// Why a side file of joblib < 0.10 could not be read.
#[derive(Debug)]
#[non_exhaustive]
pub enum SideFileError {
    /// The wrapper names a path, not a file name in the pickle's directory.
    NotAFileName,
    /// Reading it failed (a missing file included).
    Io(std::io::Error),
    /// It is larger than `Limits::max_member_bytes`.
    TooLarge {
        /// Its length.
        len: u64,
        /// The limit.
        max: u64,
    },
    /// An `NDArrayWrapper`'s file is not an `.npy` file brine reads.
    Npy(NpyError),
    /// A `ZNDArrayWrapper`'s file is not a z-file (`ZF`, a length, zlib), or does not
    /// decompress to the length its header gives.
    ZFile(String),
    /// The elements do not make the array the wrapper describes.
    Array(brine_interpret::numpy::ArrayError),
}

impl std::fmt::Display for SideFileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SideFileError::NotAFileName => {
                f.write_str("the name is a path; only a file beside the pickle is read")
            }
            SideFileError::Io(err) => write!(f, "{err}"),
            SideFileError::TooLarge { len, max } => {
                write!(f, "{len} bytes, more than the limit of {max}")
            }
            SideFileError::Npy(err) => write!(f, "{err}"),
            SideFileError::ZFile(reason) => write!(f, "z-file: {reason}"),
            SideFileError::Array(err) => write!(f, "{err}"),
        }
    }
}

impl std::error::Error for SideFileError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SideFileError::Io(err) => Some(err),
            SideFileError::Npy(err) => Some(err),
            SideFileError::Array(err) => Some(err),
            _ => None,
        }
    }
}

impl std::fmt::Display for JoblibError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JoblibError::Compression(err) => write!(f, "joblib file: {err}"),
            JoblibError::Decode(err) => write!(f, "joblib file: {err}"),
            JoblibError::ZFile => f.write_str("joblib z-file: no zlib stream after its header"),
            JoblibError::Io(err) => write!(f, "joblib file: {err}"),
            JoblibError::SideFile { file, reason } => {
                write!(f, "joblib side file `{file}`: {reason}")
            }
        }
    }
}

impl std::error::Error for JoblibError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            JoblibError::Compression(err) => Some(err),
            JoblibError::Decode(err) => Some(err),
            JoblibError::Io(err) => Some(err),
            JoblibError::SideFile { reason, .. } => Some(reason),
            JoblibError::ZFile => None,
        }
    }
}

impl JoblibFile {
    /// Opens `data`, decompressing it first when it is compressed (no more than
    /// `limits.max_member_bytes`), and decodes it with brine-vm's default options and the
    /// joblib hook.
    ///
    /// # Errors
    ///
    /// When decompression fails or a limit is reached, or the stream or an embedded pickle
    /// does not decode (a truncated file, a wrapper whose data runs past the end).
    pub fn open(data: Bytes, limits: &crate::Limits) -> Result<JoblibFile, JoblibError> {
        let (data, zfile) = match zfile_body(&data) {
            Some(start) => (data.slice(start..), true),
            None => (data, false),
        };
        let codec = brine_compress::Codec::detect(&data);
        if zfile && codec != Some(brine_compress::Codec::Zlib) {
            return Err(JoblibError::ZFile);
        }
        let data = match codec {
            None => data,
            Some(_) => {
                let mut options = brine_compress::Options::default();
                options.max_decompressed_len = limits.max_member_bytes;
                Bytes::from(
                    brine_compress::decompress(&data, &options)
                        .map_err(JoblibError::Compression)?,
                )
            }
        };
        let graph = brine_vm::Decoder::new(Default::default())
            .after_build(after_build)
            .from_bytes(&data)
            .map_err(JoblibError::Decode)?;
        let mut embedded = Vec::new();
        let interp = brine_interpret::Interpreter::new(&graph);
        // Only the wrappers the hook gave raw bytes to need a look.
        let with_raw = graph.nodes().map(|(node, _)| node).filter(|&node| {
            graph
                .changes(node)
                .iter()
                .any(|change| matches!(change, brine_value::Change::Raw(_)))
        });
        for node in with_raw {
            if let Some(Ok(JoblibWrapper::Array(wrapper))) =
                interp.joblib_wrapper(&Value::Node(node))
            {
                if let (true, Some(raw)) = (wrapper.has_objects(), wrapper.raw) {
                    let inner = brine_vm::from_bytes(raw.clone(), &Default::default())
                        .map_err(JoblibError::Decode)?;
                    embedded.push((node, inner));
                }
            }
        }
        Ok(JoblibFile {
            graph,
            embedded,
            side: Vec::new(),
            codec,
        })
    }

    /// Opens the file at `path` as [`JoblibFile::open`] does, then reads the side files that
    /// joblib before 0.10 wrote beside it, one per array (`NAME_01.npy`, … named by each
    /// `NDArrayWrapper`; `NAME_01.npy.z`, … by each `ZNDArrayWrapper` of a compressed dump),
    /// so that [`JoblibFile::array`] gives those arrays too.
    ///
    /// joblib joins the name a wrapper gives to the pickle's directory, whatever the name is;
    /// brine reads only a plain file name there, so a stream cannot point it at any other
    /// file. No side file may be larger than `limits.max_member_bytes`, nor decompress to more.
    ///
    /// # Errors
    ///
    /// As [`JoblibFile::open`]; [`JoblibError::Io`] when the file cannot be read;
    /// [`JoblibError::SideFile`] when a side file is missing, is named by a path rather than a
    /// file name, or does not hold the array its wrapper describes.
    ///
    /// # Example
    ///
    /// ```no_run
    /// use brine_container::joblib::JoblibFile;
    ///
    /// // joblib 0.9's `joblib.dump([numpy.arange(5)], "old.pkl")` wrote old.pkl and old.pkl_01.npy.
    /// let file = JoblibFile::open_path("old.pkl", &Default::default())?;
    /// for (path, array) in file.arrays() {
    ///     println!("{path}: {:?}", array?.array.shape);
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open_path(
        path: impl AsRef<Path>,
        limits: &crate::Limits,
    ) -> Result<JoblibFile, JoblibError> {
        let path = path.as_ref();
        let data = Bytes::from(std::fs::read(path).map_err(JoblibError::Io)?);
        let mut file = JoblibFile::open(data, limits)?;
        let dir = path.parent().unwrap_or_else(|| Path::new(""));
        file.side = file.read_side_files(dir, limits)?;
        Ok(file)
    }

    /// The side files the stream names (joblib < 0.10), in the order of their wrappers'
    /// nodes: empty for files of joblib 0.10 and later.
    pub fn side_files(&self) -> Vec<&str> {
        self.side_wrappers()
            .map(|(_, filename, _)| filename)
            .collect()
    }

    /// Each side-file wrapper: its node, the file name it gives, whether it is compressed.
    fn side_wrappers(&self) -> impl Iterator<Item = (NodeId, &str, bool)> + '_ {
        let interp = brine_interpret::Interpreter::new(&self.graph);
        // A wrapper is an instance with a BUILD state: only nodes with changes need a look.
        self.graph
            .nodes()
            .map(|(node, _)| node)
            .filter(|&node| !self.graph.changes(node).is_empty())
            .filter_map(
                move |node| match interp.joblib_wrapper(&Value::Node(node)) {
                    Some(Ok(JoblibWrapper::SideFile {
                        filename,
                        compressed,
                    })) => Some((node, filename, compressed)),
                    _ => None,
                },
            )
    }

    fn read_side_files(
        &self,
        dir: &Path,
        limits: &crate::Limits,
    ) -> Result<Vec<(NodeId, SideArray)>, JoblibError> {
        let interp = brine_interpret::Interpreter::new(&self.graph);
        let mut side = Vec::new();
        for (node, filename, compressed) in self.side_wrappers() {
            let fail = |reason| JoblibError::SideFile {
                file: filename.to_owned(),
                reason,
            };
            if !is_file_name(filename) {
                return Err(fail(SideFileError::NotAFileName));
            }
            let data = read_limited(&dir.join(filename), limits).map_err(fail)?;
            let array = if compressed {
                let elements = zfile_elements(&data, limits).map_err(fail)?;
                let array = interp
                    .joblib_zfile_array(&Value::Node(node), elements)
                    .map_err(|err| fail(SideFileError::Array(err)))?;
                SideArray::Elements(owned(array).map_err(fail)?)
            } else {
                SideArray::Npy(npy::read(data).map_err(|err| fail(SideFileError::Npy(err)))?)
            };
            side.push((node, array));
        }
        Ok(side)
    }

    /// The decoded graph of the stream.
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// An interpreter over [`JoblibFile::graph`]: its `ndarray`, `array_at` and `arrays`
    /// read the wrappers as arrays (object arrays as [`ArrayData::Pickled`];
    /// [`JoblibFile::array`] gives their items).
    pub fn interpreter(&self) -> brine_interpret::Interpreter<'_> {
        brine_interpret::Interpreter::new(&self.graph)
    }

    /// The codec the file was compressed with, if any.
    pub fn codec(&self) -> Option<brine_compress::Codec> {
        self.codec
    }

    /// The array `value` (a value of [`JoblibFile::graph`]) stands for: a joblib wrapper, an
    /// object array's items read from its embedded pickle, or a plain numpy array; `None` when
    /// it is none of these.
    pub fn array(
        &self,
        value: &Value,
    ) -> Option<Result<Array<'_>, brine_interpret::numpy::ArrayError>> {
        if let Some((_, side)) = self
            .side
            .iter()
            .find(|(node, _)| Value::Node(*node) == *value)
        {
            return Some(match side {
                SideArray::Elements(array) => Ok(Array {
                    array: array.clone(),
                    graph: &self.graph,
                }),
                SideArray::Npy(npy) => npy
                    .array()
                    .map(|array| Array {
                        array,
                        graph: match npy {
                            Npy::Pickle(graph) => graph,
                            Npy::Array(_) => &self.graph,
                        },
                    })
                    .map_err(|err| match err {
                        NpyError::Array(err) => err,
                        other => brine_interpret::numpy::ArrayError::Malformed(other.to_string()),
                    }),
            });
        }
        let found = self.interpreter().ndarray(value)?;
        Some(found.and_then(|array| {
            if !matches!(array.data, brine_interpret::numpy::ArrayData::Pickled(_)) {
                return Ok(Array {
                    array,
                    graph: &self.graph,
                });
            }
            let inner = self
                .embedded
                .iter()
                .find(|(node, _)| Value::Node(*node) == *value)
                .map(|(_, graph)| graph)
                .ok_or_else(|| {
                    brine_interpret::numpy::ArrayError::Malformed(
                        "an object array without its embedded pickle".into(),
                    )
                })?;
            let interp = brine_interpret::Interpreter::new(inner);
            match interp.ndarray(inner.root_value()) {
                Some(Ok(array)) => Ok(Array {
                    array,
                    graph: inner,
                }),
                Some(Err(err)) => Err(err),
                None => Err(brine_interpret::numpy::ArrayError::Malformed(format!(
                    "an object array's embedded pickle holds a {}",
                    interp.describe(inner.root_value())
                ))),
            }
        }))
    }

    /// Every array under the root, named by path ([`brine_interpret::Interpreter::arrays`]),
    /// object arrays read from their embedded pickles.
    pub fn arrays(
        &self,
    ) -> Vec<(
        String,
        Result<Array<'_>, brine_interpret::numpy::ArrayError>,
    )> {
        let interp = self.interpreter();
        let root = self.graph.root_value();
        let mut out = Vec::new();
        for (path, _) in interp.arrays(root) {
            let found = interp
                .lookup(root, &path)
                .ok()
                .and_then(|value| self.array(value));
            if let Some(found) = found {
                out.push((path, found));
            }
        }
        out
    }
}

/// Whether `name` is one plain file name: no directory, no `..`, not absolute.
pub(crate) fn is_file_name(name: &str) -> bool {
    let mut parts = Path::new(name).components();
    matches!(
        (parts.next(), parts.next()),
        (Some(std::path::Component::Normal(_)), None)
    ) && !name.contains(['/', '\\', '\0'])
}

/// The file at `path`, if it is no longer than `limits.max_member_bytes`.
fn read_limited(path: &Path, limits: &crate::Limits) -> Result<Bytes, SideFileError> {
    let len = std::fs::metadata(path).map_err(SideFileError::Io)?.len();
    if len > limits.max_member_bytes {
        return Err(SideFileError::TooLarge {
            len,
            max: limits.max_member_bytes,
        });
    }
    std::fs::read(path)
        .map(Bytes::from)
        .map_err(SideFileError::Io)
}

/// The elements a `ZNDArrayWrapper`'s z-file holds: its zlib stream decompressed, exactly as
/// long as its header says (joblib/numpy_pickle_compat.py, `read_zfile`).
fn zfile_elements(data: &[u8], limits: &crate::Limits) -> Result<Bytes, SideFileError> {
    let bad = |reason: &str| SideFileError::ZFile(reason.to_owned());
    let start = zfile_body(data).ok_or_else(|| bad("no `ZF` header with a length"))?;
    let digits = std::str::from_utf8(&data[2..21])
        .map_err(|_| bad("the length is not text"))?
        .trim_end_matches(' ');
    let len = u64::from_str_radix(&digits[2..], 16).map_err(|_| bad("the length overflows"))?;
    if len > limits.max_member_bytes {
        return Err(SideFileError::TooLarge {
            len,
            max: limits.max_member_bytes,
        });
    }
    let mut options = brine_compress::Options::default();
    options.max_decompressed_len = len;
    let body = &data[start..];
    if brine_compress::Codec::detect(body) != Some(brine_compress::Codec::Zlib) {
        return Err(bad("no zlib stream after its header"));
    }
    let elements = brine_compress::decompress(body, &options)
        .map_err(|err| SideFileError::ZFile(err.to_string()))?;
    if elements.len() as u64 != len {
        return Err(SideFileError::ZFile(format!(
            "decompresses to {} bytes, its header says {len}",
            elements.len()
        )));
    }
    Ok(Bytes::from(elements))
}

/// An array whose elements are bytes of its own, as one that borrows nothing from the graph.
fn owned(array: NdArray<'_>) -> Result<NdArray<'static>, SideFileError> {
    let data = match array.data {
        ArrayData::Bytes(bytes) => ArrayData::Bytes(bytes),
        ArrayData::Pickled(bytes) => ArrayData::Pickled(bytes),
        ArrayData::Objects(_) => {
            return Err(SideFileError::Array(
                brine_interpret::numpy::ArrayError::Malformed(
                    "a side file's array of objects".into(),
                ),
            ));
        }
    };
    Ok(NdArray {
        dtype: array.dtype,
        shape: array.shape,
        fortran_order: array.fortran_order,
        data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A protocol 2 stream of one `NDArrayWrapper` (or `ZNDArrayWrapper`) naming `filename`,
    /// as joblib < 0.10 writes it, with a ZNDArrayWrapper's `state` of a `<i8` array of 3.
    fn old_wrapper(filename: &str, compressed: bool) -> Vec<u8> {
        let str_op = |text: &str| {
            let mut op = vec![b'X'];
            op.extend((text.len() as u32).to_le_bytes());
            op.extend(text.as_bytes());
            op
        };
        let class = if compressed {
            "ZNDArrayWrapper"
        } else {
            "NDArrayWrapper"
        };
        let mut out = b"\x80\x02".to_vec();
        out.extend(format!("cjoblib.numpy_pickle\n{class}\n").bytes());
        out.extend(b")\x81}(");
        out.extend(str_op("filename"));
        out.extend(str_op(filename));
        if compressed {
            out.extend(str_op("state"));
            // (1, (3,), numpy.dtype('i8', 0, 1) with its state, False)
            out.extend(b"(K\x01K\x03\x85cnumpy\ndtype\n");
            out.extend(str_op("i8"));
            out.extend(b"K\x00K\x01\x87R(K\x03");
            out.extend(str_op("<"));
            out.extend(b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb\x89t");
        }
        out.extend(b"ub.");
        out
    }

    /// A fresh directory under the system's temporary directory.
    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("brine-joblib-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn zfile(elements: &[u8]) -> Vec<u8> {
        let mut data = format!("ZF{:<19}", format!("{:#x}", elements.len())).into_bytes();
        data.extend(
            brine_compress::compress(elements, brine_compress::Codec::Zlib, Default::default())
                .unwrap(),
        );
        data
    }

    #[test]
    fn a_zfile_side_file_reads_as_its_wrappers_array() {
        let dir = scratch("zfile");
        std::fs::write(dir.join("old.pkl"), old_wrapper("old.pkl_01.npy.z", true)).unwrap();
        let elements: Vec<u8> = [7i64, -1, 3].iter().flat_map(|n| n.to_le_bytes()).collect();
        std::fs::write(dir.join("old.pkl_01.npy.z"), zfile(&elements)).unwrap();
        let file = JoblibFile::open_path(dir.join("old.pkl"), &Default::default()).unwrap();
        assert_eq!(file.side_files(), ["old.pkl_01.npy.z"]);
        let array = file.array(file.graph().root_value()).unwrap().unwrap();
        assert_eq!(array.array.to_vec::<i64>().unwrap(), [7, -1, 3]);
        // One element short, the header's length unchanged: an error, as joblib's assert.
        let mut short = zfile(&elements[..16]);
        short[2..21].copy_from_slice(format!("{:<19}", "0x18").as_bytes());
        std::fs::write(dir.join("old.pkl_01.npy.z"), &short).unwrap();
        let err = JoblibFile::open_path(dir.join("old.pkl"), &Default::default()).unwrap_err();
        assert!(
            matches!(
                &err,
                JoblibError::SideFile {
                    reason: SideFileError::ZFile(_),
                    ..
                }
            ),
            "{err}"
        );
        // Every cut of the z-file is an error, never a panic.
        let whole = zfile(&elements);
        for cut in 0..whole.len() {
            std::fs::write(dir.join("old.pkl_01.npy.z"), &whole[..cut]).unwrap();
            assert!(
                JoblibFile::open_path(dir.join("old.pkl"), &Default::default()).is_err(),
                "cut at {cut}"
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn side_files_are_read_only_beside_the_pickle() {
        let dir = scratch("names");
        for name in [
            "../old.pkl_01.npy",
            "/etc/passwd",
            "sub/old.npy",
            "..",
            ".",
            "",
            "a\\b",
        ] {
            std::fs::write(dir.join("old.pkl"), old_wrapper(name, false)).unwrap();
            let err = JoblibFile::open_path(dir.join("old.pkl"), &Default::default()).unwrap_err();
            assert!(
                matches!(
                    &err,
                    JoblibError::SideFile {
                        reason: SideFileError::NotAFileName,
                        ..
                    }
                ),
                "{name:?}: {err}"
            );
        }
        // A plain name that is not there.
        std::fs::write(dir.join("old.pkl"), old_wrapper("old.pkl_01.npy", false)).unwrap();
        let err = JoblibFile::open_path(dir.join("old.pkl"), &Default::default()).unwrap_err();
        assert!(
            matches!(
                &err,
                JoblibError::SideFile {
                    reason: SideFileError::Io(_),
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(
            err.to_string().split(':').next(),
            Some("joblib side file `old.pkl_01.npy`")
        );
        // A side file over the limit is not read.
        std::fs::write(dir.join("old.pkl_01.npy"), [0u8; 64]).unwrap();
        let limits = crate::Limits {
            max_member_bytes: 63,
            ..Default::default()
        };
        let err = JoblibFile::open_path(dir.join("old.pkl"), &limits).unwrap_err();
        assert!(
            matches!(
                &err,
                JoblibError::SideFile {
                    reason: SideFileError::TooLarge { len: 64, max: 63 },
                    ..
                }
            ),
            "{err}"
        );
        // Not an .npy file.
        let err = JoblibFile::open_path(dir.join("old.pkl"), &Default::default()).unwrap_err();
        assert!(
            matches!(
                &err,
                JoblibError::SideFile {
                    reason: SideFileError::Npy(_),
                    ..
                }
            ),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// `write_zfile(f, pickle.dumps({'a': 1}, protocol=2))` of joblib 1.4.2's
    /// numpy_pickle_compat, the header written out: `ZF`, `0x10` padded to 19 characters.
    #[test]
    fn a_zfile_opens() {
        let pickle = b"\x80\x02}q\x00X\x01\x00\x00\x00aq\x01K\x01s.";
        let mut data = format!("ZF{:<19}", format!("{:#x}", pickle.len())).into_bytes();
        data.extend(
            brine_compress::compress(pickle, brine_compress::Codec::Zlib, Default::default())
                .unwrap(),
        );
        let file = JoblibFile::open(Bytes::from(data.clone()), &Default::default()).unwrap();
        assert_eq!(
            file.graph().root().get("a").and_then(|a| a.as_i64()),
            Some(1)
        );
        // joblib 0.8.4 and before wrote one more space.
        data.insert(21, b' ');
        let file = JoblibFile::open(Bytes::from(data.clone()), &Default::default()).unwrap();
        assert_eq!(file.codec(), Some(brine_compress::Codec::Zlib));
        // The walker (and so the scanner) opens it too.
        let mut found = Vec::new();
        crate::walk(
            "old.pkl",
            Bytes::from(data.clone()),
            &Default::default(),
            &mut |entry| found.push(entry.body),
        );
        assert!(
            matches!(&found[..], [crate::Body::Pickle { data, .. }] if &data[..] == pickle),
            "{found:?}"
        );
        data.truncate(22);
        assert!(matches!(
            JoblibFile::open(Bytes::from(data), &Default::default()),
            Err(JoblibError::ZFile)
        ));
    }
}
