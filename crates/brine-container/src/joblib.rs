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
//! joblib before 0.10 kept each array in a side file named by an `NDArrayWrapper` (or a
//! zlib-compressed one by a `ZNDArrayWrapper`): nothing follows those in the stream, and the
//! side files are reported as notes.

use brine_interpret::joblib::Wrapper as JoblibWrapper;
use brine_value::{Graph, NodeId, Value};
use bytes::Bytes;

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
    for file in side_files {
        walker.emit(
            path,
            Body::Note(format!(
                "an array is kept in the side file `{file}` (joblib < 0.10), which joblib loads \
                 from beside this file: scan it too"
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
    codec: Option<brine_compress::Codec>,
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
}

impl std::fmt::Display for JoblibError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JoblibError::Compression(err) => write!(f, "joblib file: {err}"),
            JoblibError::Decode(err) => write!(f, "joblib file: {err}"),
            JoblibError::ZFile => f.write_str("joblib z-file: no zlib stream after its header"),
        }
    }
}

impl std::error::Error for JoblibError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            JoblibError::Compression(err) => Some(err),
            JoblibError::Decode(err) => Some(err),
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
            codec,
        })
    }

    /// The decoded graph of the stream.
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// An interpreter over [`JoblibFile::graph`]: its `ndarray`, `array_at` and `arrays`
    /// read the wrappers as arrays (object arrays as [`ArrayData::Pickled`](brine_interpret::numpy::ArrayData::Pickled);
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

#[cfg(test)]
mod tests {
    use super::*;

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
