//! numpy's `.npy` format (numpy/lib/format.py): the magic, a version, a Python-literal header,
//! then the data; an array whose dtype holds objects stores a pickle instead of data.
//!
//! One parser serves both readers: [`read`] and [`read_npz`] give the arrays as
//! brine-interpret's [`NdArray`] (the type a pickled array reads as), and the container
//! walk reports the same header to the scanner, handing it an object array's pickle.

use brine_interpret::Interpreter;
use brine_interpret::numpy::{ArrayError, ByteOrder, DType, Field, NdArray};
use brine_value::Graph;
use bytes::Bytes;

use crate::literal::{self, Literal};
use crate::walk::Walker;
use crate::{Body, Layout, Limits, zip};

pub(crate) fn walk(walker: &mut Walker<'_>, path: &[String], data: Bytes) {
    let body = match body(&data) {
        Ok(body) => body,
        Err(reason) => Body::Inconclusive(format!("npy file: {reason}")),
    };
    walker.emit(path, body);
}

/// The parts of a `.npy` file: its header's three keys and where the data starts.
struct Parsed {
    descr: Literal,
    fortran_order: bool,
    shape: Vec<u64>,
    body: Bytes,
}

/// The magic, the version, the header dict literal; the data is left as a slice of `data`.
fn parse(data: &Bytes) -> Result<Parsed, String> {
    if !data.starts_with(b"\x93NUMPY") {
        return Err("no \\x93NUMPY magic".into());
    }
    let (major, minor) = match data.get(6..8) {
        Some(&[major, minor]) => (major, minor),
        _ => return Err("ends inside its version".into()),
    };
    let (len, start) = match major {
        1 => (
            data.get(8..10)
                .map(|b| usize::from(u16::from_le_bytes([b[0], b[1]]))),
            10,
        ),
        2 | 3 => (
            data.get(8..12)
                .and_then(|b| usize::try_from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])).ok()),
            12,
        ),
        _ => {
            return Err(format!(
                "format version {major}.{minor} is not one numpy writes"
            ));
        }
    };
    let len = len.ok_or("ends inside its header length")?;
    let start: usize = start;
    let header = start
        .checked_add(len)
        .and_then(|end| data.get(start..end))
        .ok_or_else(|| format!("ends inside its header of {len} bytes"))?;
    // Versions 1 and 2 are Latin-1, version 3 UTF-8.
    let text: String = if major == 3 {
        String::from_utf8(header.to_vec()).map_err(|_| "header is not UTF-8")?
    } else {
        header.iter().map(|&b| char::from(b)).collect()
    };
    let header = literal::parse(&text).map_err(|err| format!("header: {err}"))?;
    let descr = header.get("descr").ok_or("header has no descr")?.clone();
    let fortran_order = match header.get("fortran_order") {
        Some(Literal::Bool(flag)) => *flag,
        None => false,
        Some(_) => return Err("fortran_order is not a bool".into()),
    };
    let shape = match header.get("shape") {
        Some(Literal::Seq(dims)) => dims
            .iter()
            .map(|dim| match dim {
                Literal::Int(n) => u64::try_from(*n).map_err(|_| "negative dimension".to_owned()),
                _ => Err("shape holds a non-int".to_owned()),
            })
            .collect::<Result<Vec<u64>, String>>()?,
        _ => return Err("header has no shape tuple".into()),
    };
    Ok(Parsed {
        descr,
        fortran_order,
        shape,
        // In range: `header` ends there.
        body: data.slice(start + len..),
    })
}

fn body(data: &Bytes) -> Result<Body, String> {
    let Parsed {
        descr, shape, body, ..
    } = parse(data)?;
    let dtype = describe(&descr);
    if has_object(&descr) {
        // numpy pickles the whole array (`pickle.dump(array, fp, protocol=3)`).
        return Ok(Body::Pickle {
            data: body,
            layout: Layout::Plain,
        });
    }
    if let Some(itemsize) = itemsize(&descr) {
        let want = shape
            .iter()
            .try_fold(itemsize, |acc, &dim| acc.checked_mul(dim))
            .ok_or("shape and dtype overflow")?;
        if (body.len() as u64) < want {
            return Err(format!(
                "data is cut short: dtype {dtype} and shape {shape:?} take {want} bytes, {} are there",
                body.len()
            ));
        }
    }
    Ok(Body::Skipped(format!(
        "numpy array, dtype {dtype}, shape {shape:?}"
    )))
}

/// A `.npy` file read as an array: the data a slice of the file's bytes, or for an array of
/// Python objects the pickle numpy stores instead, decoded (nothing in it is run).
#[derive(Debug, Clone)]
pub enum Npy {
    /// Numbers, strings or structures: the data shared with the file, never copied.
    Array(NdArray<'static>),
    /// An object array: the graph of the pickle numpy wrote (`pickle.dump(array,
    /// protocol=3)`), whose root is the array; [`Npy::array`] reads it.
    Pickle(Graph),
}

impl Npy {
    /// The array, whichever way the file holds it.
    ///
    /// # Errors
    ///
    /// When an object array's pickle is not a numpy array.
    pub fn array(&self) -> Result<NdArray<'_>, NpyError> {
        match self {
            Npy::Array(array) => Ok(array.clone()),
            Npy::Pickle(graph) => match Interpreter::new(graph).ndarray(graph.root_value()) {
                Some(array) => array.map_err(NpyError::Array),
                None => Err(NpyError::Header(
                    "the object array's pickle is not a numpy array".into(),
                )),
            },
        }
    }
}

/// Why a `.npy` or `.npz` file could not be read as arrays.
#[derive(Debug)]
#[non_exhaustive]
pub enum NpyError {
    /// The magic, version or header is not what numpy writes; the message says what.
    Header(String),
    /// The dtype and shape do not fit the data.
    Array(ArrayError),
    /// An object array's pickle does not decode.
    Pickle(brine_vm::Error),
    /// An `.npz` file whose zip archive cannot be read.
    Zip(String),
    /// A member of an `.npz` file, by its name, and why it could not be read.
    Member(String, Box<NpyError>),
}

impl std::fmt::Display for NpyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NpyError::Header(why) => write!(f, "not a .npy file numpy writes: {why}"),
            NpyError::Array(err) => write!(f, ".npy data: {err}"),
            NpyError::Pickle(err) => write!(f, ".npy object array pickle: {err}"),
            NpyError::Zip(why) => write!(f, ".npz archive: {why}"),
            NpyError::Member(name, err) => write!(f, ".npz member `{name}`: {err}"),
        }
    }
}

impl std::error::Error for NpyError {}

/// Reads a `.npy` file (format 1.0, 2.0 or 3.0) as an array. The data is a slice of `data`,
/// so a memory-mapped file is read without copying it; only as many bytes as the shape and
/// dtype take are kept (numpy writes nothing after them).
///
/// # Errors
///
/// [`NpyError`] when the header is not numpy's, the data is shorter than the header says, or
/// the descr is one brine does not read.
///
/// # Example
///
/// ```
/// // numpy.save of numpy.arange(3, dtype='<i2'): the header padded to 64 bytes.
/// let mut file = b"\x93NUMPY\x01\x00\x76\x00{'descr': '<i2', 'fortran_order': False, 'shape': (3,), }".to_vec();
/// file.resize(127, b' ');
/// file.push(b'\n');
/// file.extend_from_slice(b"\x00\x00\x01\x00\x02\x00");
/// let npy = brine_container::npy::read(bytes::Bytes::from(file))?;
/// let array = npy.array()?;
/// assert_eq!(array.to_vec::<i16>()?, [0, 1, 2]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read(data: Bytes) -> Result<Npy, NpyError> {
    let parsed = parse(&data).map_err(NpyError::Header)?;
    if has_object(&parsed.descr) {
        let graph =
            brine_vm::from_bytes(parsed.body, &Default::default()).map_err(NpyError::Pickle)?;
        return Ok(Npy::Pickle(graph));
    }
    let dtype = dtype_of(&parsed.descr).map_err(NpyError::Header)?;
    let want = parsed
        .shape
        .iter()
        .try_fold(dtype.item_size, |acc, &dim| acc.checked_mul(dim))
        .and_then(|want| usize::try_from(want).ok())
        .ok_or_else(|| NpyError::Header("shape and dtype overflow".into()))?;
    if parsed.body.len() < want {
        return Err(NpyError::Array(ArrayError::Size {
            expected: want as u64,
            found: parsed.body.len() as u64,
        }));
    }
    let body = parsed.body.slice(..want);
    NdArray::from_bytes(dtype, parsed.shape, parsed.fortran_order, body)
        .map(Npy::Array)
        .map_err(NpyError::Array)
}

/// Reads an `.npz` file (`numpy.savez`, `numpy.savez_compressed`): each member's name without
/// its `.npy`, and its array. Stored members are slices of `data`; deflated ones are
/// inflated, each to at most `limits.max_member_bytes`.
///
/// # Errors
///
/// When the archive cannot be read, or a member is not a `.npy` file (named in the error).
pub fn read_npz(data: &Bytes, limits: &Limits) -> Result<Vec<(String, Npy)>, NpyError> {
    let members = zip::members(data, limits.max_member_bytes).map_err(NpyError::Zip)?;
    members
        .into_iter()
        .map(|(name, content)| {
            let npy = read(content).map_err(|err| NpyError::Member(name.clone(), Box::new(err)))?;
            let name = name.strip_suffix(".npy").unwrap_or(&name).to_owned();
            Ok((name, npy))
        })
        .collect()
}

/// The dtype a descr stands for: a type string (`'<f8'`, `'|b1'`, `'<U5'`, `'<M8[ns]'`,
/// `'|V4'`) or a structured list of `(name, descr[, shape])`.
fn dtype_of(descr: &Literal) -> Result<DType, String> {
    match descr {
        Literal::Str(text) => typestr(text),
        Literal::Seq(fields) => {
            let mut out = Vec::with_capacity(fields.len());
            let mut offset = 0u64;
            for field in fields {
                let Literal::Seq(parts) = field else {
                    return Err("a structured descr's field is not a tuple".into());
                };
                let (name, inner) = match parts.as_slice() {
                    [Literal::Str(name), inner, ..] => (name, inner),
                    // A titled field: ((title, name), descr).
                    [Literal::Seq(titled), inner, ..] => match titled.as_slice() {
                        [_, Literal::Str(name)] => (name, inner),
                        _ => return Err("a field's (title, name) is malformed".into()),
                    },
                    _ => return Err("a field is not (name, descr[, shape])".into()),
                };
                let mut dtype = dtype_of(inner)?;
                if let Some(shape) = parts.get(2) {
                    let dims: Vec<u64> = match shape {
                        Literal::Int(n) => vec![u64::try_from(*n).map_err(|_| "negative shape")?],
                        Literal::Seq(dims) => dims
                            .iter()
                            .map(|dim| match dim {
                                Literal::Int(n) => {
                                    u64::try_from(*n).map_err(|_| "negative shape".to_owned())
                                }
                                _ => Err("a subarray shape holds a non-int".to_owned()),
                            })
                            .collect::<Result<_, _>>()?,
                        _ => return Err("a field's shape is not an int or tuple".into()),
                    };
                    let count = dims
                        .iter()
                        .try_fold(1u64, |n, &d| n.checked_mul(d))
                        .ok_or("a subarray shape overflows")?;
                    let size = dtype
                        .item_size
                        .checked_mul(count)
                        .ok_or("a subarray overflows")?;
                    dtype = DType {
                        subarray: Some((Box::new(dtype), dims)),
                        ..DType::plain('V', ByteOrder::NotApplicable, size)
                    };
                }
                let size = dtype.item_size;
                // numpy names padding '' in the descr it writes for aligned structures.
                if !name.is_empty() {
                    out.push(Field {
                        name: name.clone(),
                        dtype,
                        offset,
                    });
                }
                offset = offset.checked_add(size).ok_or("a structure overflows")?;
            }
            Ok(DType {
                fields: out,
                ..DType::plain('V', ByteOrder::NotApplicable, offset)
            })
        }
        _ => Err("descr is neither a type string nor a list of fields".into()),
    }
}

/// A numpy type string: byte order, kind, size, and a datetime's `[unit]`.
fn typestr(text: &str) -> Result<DType, String> {
    let bad = || format!("unknown descr {text:?}");
    let mut chars = text.chars();
    let byte_order = match chars.next() {
        Some('<') => ByteOrder::Little,
        Some('>') => ByteOrder::Big,
        Some('|') => ByteOrder::NotApplicable,
        // '=' is the writer's native order: numpy's format writes '<' or '>' instead, and
        // every machine numpy supports loading from writes little-endian unless it says '>'.
        Some('=') => ByteOrder::Little,
        _ => return Err(bad()),
    };
    let kind = chars
        .next()
        .filter(|kind| "biufcmMSUV".contains(*kind))
        .ok_or_else(bad)?;
    let rest = chars.as_str();
    let (size, unit) = match rest.split_once('[') {
        Some((size, unit)) => (size, Some(unit.strip_suffix(']').ok_or_else(bad)?)),
        None => (rest, None),
    };
    let size: u64 = size.parse().map_err(|_| bad())?;
    let item_size = if kind == 'U' {
        size.checked_mul(4).ok_or_else(bad)?
    } else {
        size
    };
    let time_unit = match unit {
        Some(unit) => {
            let digits = unit.chars().take_while(char::is_ascii_digit).count();
            let count = if digits == 0 {
                1
            } else {
                unit[..digits].parse().map_err(|_| bad())?
            };
            Some((unit[digits..].to_owned(), count))
        }
        None => None,
    };
    Ok(DType {
        time_unit,
        ..DType::plain(kind, byte_order, item_size)
    })
}

fn describe(descr: &Literal) -> String {
    match descr {
        Literal::Str(s) => s.clone(),
        _ => "structured".into(),
    }
}

/// The type code of a numpy type string (`<f8` is `f`, `|O` is `O`).
fn code(typestr: &str) -> Option<char> {
    typestr
        .trim_start_matches(['<', '>', '|', '='])
        .chars()
        .next()
}

/// Whether a descr holds Python objects anywhere: `O`, or a field that does.
fn has_object(descr: &Literal) -> bool {
    match descr {
        Literal::Str(s) => code(s) == Some('O'),
        Literal::Seq(fields) => fields.iter().any(|field| match field {
            Literal::Seq(parts) => parts.get(1).is_some_and(has_object),
            _ => false,
        }),
        _ => false,
    }
}

/// The bytes of one item, where the descr says it plainly.
fn itemsize(descr: &Literal) -> Option<u64> {
    match descr {
        Literal::Str(s) => {
            let typecode = code(s)?;
            let rest = s.trim_start_matches(['<', '>', '|', '=']).get(1..)?;
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            let n: u64 = digits.parse().ok()?;
            Some(if typecode == 'U' {
                n.checked_mul(4)?
            } else {
                n
            })
        }
        Literal::Seq(fields) => fields.iter().try_fold(0u64, |acc, field| {
            let Literal::Seq(parts) = field else {
                return None;
            };
            let mut size = itemsize(parts.get(1)?)?;
            if let Some(Literal::Seq(dims)) = parts.get(2) {
                for dim in dims {
                    let Literal::Int(n) = dim else {
                        return None;
                    };
                    size = size.checked_mul(u64::try_from(*n).ok()?)?;
                }
            } else if let Some(Literal::Int(n)) = parts.get(2) {
                size = size.checked_mul(u64::try_from(*n).ok()?)?;
            }
            acc.checked_add(size)
        }),
        _ => None,
    }
}
