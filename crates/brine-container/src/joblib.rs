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

use brine_value::{Change, Graph, Node, NodeId, ValueRef};
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

/// The modules joblib's wrappers have lived in (scikit-learn once vendored joblib).
const MODULES: &[&str] = &[
    "joblib.numpy_pickle",
    "joblib.numpy_pickle_compat",
    "sklearn.externals.joblib.numpy_pickle",
    "sklearn.externals.joblib.numpy_pickle_compat",
];

fn wrapper(graph: &Graph, node: NodeId, rest: &[u8]) -> Result<Wrapper, String> {
    let Some(class) = class_name(graph, node) else {
        return Ok(Wrapper::None);
    };
    let Some(state) = graph
        .changes(node)
        .iter()
        .rev()
        .find_map(|change| match change {
            Change::Build(state) => Some(graph.get(state)),
            _ => None,
        })
    else {
        return Ok(Wrapper::None);
    };
    match class.as_str() {
        "NumpyArrayWrapper" => {}
        "NDArrayWrapper" | "ZNDArrayWrapper" => {
            let file = state
                .get("filename")
                .and_then(|f| f.as_str())
                .unwrap_or("?");
            return Ok(Wrapper::SideFile(file.to_owned()));
        }
        _ => return Ok(Wrapper::None),
    }
    let dtype = state
        .get("dtype")
        .ok_or("NumpyArrayWrapper state has no dtype")?;
    let (typestr, dtype_state) =
        dtype_parts(dtype).ok_or("NumpyArrayWrapper dtype is not a numpy.dtype")?;
    let flags = dtype_state
        .as_ref()
        .and_then(|state| state.index(7))
        .and_then(|flags| flags.as_i64())
        .unwrap_or(0);
    // NPY_ITEM_HASOBJECT, which numpy's `dtype.hasobject` reads.
    if typestr.starts_with('O') || flags & 1 != 0 {
        let end = crate::pickle::end(rest, 0).map_err(|err| format!("object array: {err}"))?;
        return Ok(Wrapper::Objects(end as u64));
    }
    let elsize = dtype_state
        .as_ref()
        .and_then(|state| state.index(5))
        .and_then(|elsize| elsize.as_i64())
        .filter(|&elsize| elsize > 0);
    let itemsize = match elsize {
        Some(elsize) => elsize as u64,
        None => typestr
            .trim_start_matches(|c: char| c.is_ascii_alphabetic())
            .parse::<u64>()
            .map_err(|_| format!("dtype `{typestr}` has no item size"))?,
    };
    let shape = state
        .get("shape")
        .ok_or("NumpyArrayWrapper state has no shape")?;
    let dims = shape
        .iter()
        .ok_or("NumpyArrayWrapper shape is not a tuple")?;
    let mut len = itemsize;
    for dim in dims {
        let dim = dim
            .as_i64()
            .and_then(|d| u64::try_from(d).ok())
            .ok_or("bad dimension")?;
        len = len.checked_mul(dim).ok_or("array size overflows")?;
    }
    let aligned = state
        .get("numpy_array_alignment_bytes")
        .is_some_and(|align| align.as_i64().is_some());
    if aligned {
        let padding = *rest.first().ok_or("the padding byte is missing")?;
        len = len
            .checked_add(1 + u64::from(padding))
            .ok_or("array size overflows")?;
    }
    Ok(Wrapper::Raw(len))
}

/// The joblib wrapper class name of the object `node`, if it is an instance of one
/// (whatever form the protocol wrote it in: brine-interpret reads the instance).
fn class_name(graph: &Graph, node: NodeId) -> Option<String> {
    let brine_interpret::View::Object(object) =
        brine_interpret::Interpreter::new(graph).node(node).view
    else {
        return None;
    };
    let class = object.class()?;
    MODULES
        .contains(&class.module)
        .then(|| class.name.into_owned())
}

/// A `numpy.dtype(typestr, ...)` reduction: its type string and BUILD state.
fn dtype_parts<'g>(dtype: ValueRef<'g>) -> Option<(&'g str, Option<ValueRef<'g>>)> {
    let graph = dtype.graph();
    let Some(Node::Reduce { args, .. }) = dtype.node() else {
        return None;
    };
    let typestr = graph.get(args).index(0)?.as_str()?;
    let state = dtype.changes().iter().find_map(|change| match change {
        Change::Build(state) => Some(graph.get(state)),
        _ => None,
    });
    Some((typestr, state))
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
