//! numpy arrays as typed data: what `ndarray.__reduce_ex__` writes, read without numpy.
//!
//! numpy pickles an array one of two ways (`numpy/_core/src/multiarray/methods.c`,
//! `array_reduce_ex`):
//!
//! - `_reconstruct(ndarray, (0,), b'b')` then BUILD with the state
//!   `(1, shape, dtype, is_fortran, data)`: the data is the array's bytes in C order (or
//!   Fortran order when `is_fortran`), or for an object array a list of the elements, which
//!   is in C order whatever `is_fortran` says (`_getlist_pkl` iterates in index order, and
//!   `__setstate__` fills a Fortran array from the list in index order too). Every
//!   protocol below 5 writes this, and protocol 5 too for an array that is not contiguous or
//!   holds objects.
//! - `_frombuffer(PickleBuffer(array), dtype, shape, order)` at protocol 5: the buffer is in
//!   band (BYTEARRAY8) or out of band (NEXT_BUFFER), and `order` is `'C'` or `'F'`.
//!
//! A numpy scalar (`numpy.float32(1.25)`) is `scalar(dtype, data)`, read here as a 0-d array.
//!
//! A dtype is `numpy.dtype(spec, align, copy)` then BUILD with its state `(version, byteorder,
//! subarray, names, fields, elsize, alignment, flags[, metadata])`. numpy 1.x names the
//! functions under `numpy.core`, numpy 2.x under `numpy._core`; both are read.
//!
//! Nothing here imports numpy or runs anything: the names are compared, the bytes shared.
//!
//! The other way, [`NdArray::from_slice`] (or `NdArray::from_ndarray` with the `ndarray`
//! feature) makes an array of Rust numbers and [`NdArray::to_graph`] the graph numpy's
//! `__reduce_ex__` would have the pickler write, in either form and with numpy 1.x or 2.x
//! names, which `brine_encode` writes to the bytes numpy writes ([`PickleForm`]).
//!
//! With the feature `ndarray`, `NdArray::view` borrows the bytes as an
//! `ndarray::ArrayViewD` (no copy, where they are aligned and in this machine's byte
//! order) and `NdArray::to_array` converts them to an `ndarray::ArrayD`.

#[cfg(feature = "ndarray")]
mod array;
mod dtype;
mod write;

use std::fmt;

use brine_value::Value;
use bytes::Bytes;

pub use dtype::{ByteOrder, DType, Element, Field};
pub use write::{NumpyNames, PickleForm};

use crate::view::{Interpreter, Object, View};

/// A numpy array read from a pickle, as the pickle holds it: numpy's `__setstate__` turns a
/// big-endian array of protocols 0-4 into a native one as it loads it, brine keeps the bytes
/// and [`ByteOrder`] the pickle wrote ([`NdArray::to_vec`] converts).
#[derive(Debug, Clone)]
pub struct NdArray<'g> {
    /// The element type.
    pub dtype: DType,
    /// The length of each dimension; empty for a 0-d array.
    pub shape: Vec<u64>,
    /// Whether the bytes are in Fortran (column-major) order rather than C order. numpy
    /// sets it for an array that is Fortran-contiguous and not C-contiguous; an object
    /// array's items ([`ArrayData::Objects`]) are in C order either way.
    pub fortran_order: bool,
    /// The elements.
    pub data: ArrayData<'g>,
}

/// Where an array's elements are.
#[derive(Debug, Clone)]
pub enum ArrayData<'g> {
    /// The raw bytes of a numeric, string or structured array, shared with the graph (or, for
    /// protocols 0-2, decoded from the text the pickle spells them in).
    Bytes(Bytes),
    /// The elements of an object array (dtype `O`), as graph values to view in turn, in C
    /// order even when [`NdArray::fortran_order`] is set: numpy lists them in index order.
    Objects(&'g [Value]),
    /// An array holding objects that joblib wrote as a pickle of its own after its wrapper
    /// ([`crate::joblib`]): decode these bytes (a protocol 2 pickle of the array) to reach
    /// its items, as `brine_container::joblib` does.
    Pickled(Bytes),
}

/// Why a value that names numpy's array reconstructors is not an array brine can read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ArrayError {
    /// A part of the reduction is not what numpy writes; the message says which.
    Malformed(String),
    /// The data holds fewer or more bytes than the shape and dtype need.
    Size {
        /// The bytes the shape and item size need.
        expected: u64,
        /// The bytes the pickle holds.
        found: u64,
    },
    /// An out-of-band buffer that was not supplied when loading.
    MissingBuffer,
    /// The bytes cannot be borrowed as the type asked for (unaligned, another byte order);
    /// the message says why. Converting them instead (`to_vec`, `to_array`) works.
    NotInPlace(String),
    /// The array cannot be written as a pickle in the form asked for; the message says why.
    Unwritable(String),
}

impl fmt::Display for ArrayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArrayError::Malformed(what) => {
                write!(f, "not a numpy array as numpy pickles one: {what}")
            }
            ArrayError::Size { expected, found } => write!(
                f,
                "numpy array data is {found} bytes where its shape and dtype need {expected}"
            ),
            ArrayError::MissingBuffer => {
                f.write_str("numpy array data is an out-of-band buffer that was not supplied")
            }
            ArrayError::NotInPlace(why) => {
                write!(f, "numpy array data cannot be borrowed in place: {why}")
            }
            ArrayError::Unwritable(why) => {
                write!(f, "numpy array cannot be written as a pickle: {why}")
            }
        }
    }
}

impl std::error::Error for ArrayError {}

fn malformed<T>(what: impl Into<String>) -> Result<T, ArrayError> {
    Err(ArrayError::Malformed(what.into()))
}

/// The modules numpy 1.x and 2.x keep the array reconstructors in.
const CORE_MODULES: [&str; 2] = ["numpy.core", "numpy._core"];

/// Whether `module.name` is `<numpy core>.<submodule>.<name>`.
fn is_core(module: &str, submodule: &str, name: &str, wanted: &str) -> bool {
    name == wanted
        && CORE_MODULES.iter().any(|core| {
            module
                .strip_prefix(core)
                .and_then(|rest| rest.strip_prefix('.'))
                .is_some_and(|rest| rest == submodule)
        })
}

impl<'g> Interpreter<'g> {
    /// `value` as a numpy array (a scalar as a 0-d one): `None` when it is not one of numpy's
    /// array or scalar reductions, an error when it names them but is not what numpy writes.
    ///
    /// # Example
    ///
    /// ```
    /// # fn pickle() -> Vec<u8> {
    /// #     // numpy.arange(3, dtype='<i2').dumps() at protocol 2, as numpy 2.1 writes it.
    /// #     b"\x80\x02cnumpy._core.multiarray\n_reconstruct\nq\x00cnumpy\nndarray\nq\x01K\x00\x85q\x02c_codecs\nencode\nq\x03X\x01\x00\x00\x00bq\x04X\x06\x00\x00\x00latin1q\x05\x86q\x06Rq\x07\x87q\x08Rq\x09(K\x01K\x03\x85q\x0acnumpy\ndtype\nq\x0bX\x02\x00\x00\x00i2q\x0c\x89\x88\x87q\x0dRq\x0e(K\x03X\x01\x00\x00\x00<q\x0fNNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tq\x10b\x89h\x03X\x06\x00\x00\x00\x00\x00\x01\x00\x02\x00q\x11h\x05\x86q\x12Rq\x13tq\x14b.".to_vec()
    /// # }
    /// use brine_interpret::Interpreter;
    ///
    /// let graph = brine_vm::from_slice(&pickle(), &Default::default())?;
    /// let array = Interpreter::new(&graph).ndarray(graph.root_value()).unwrap()?;
    /// assert_eq!(array.shape, [3]);
    /// assert_eq!(array.dtype.to_string(), "<i2");
    /// assert_eq!(array.to_vec::<i16>()?, [0, 1, 2]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn ndarray(&self, value: &Value) -> Option<Result<NdArray<'g>, ArrayError>> {
        let View::Object(object) = self.view(value) else {
            return None;
        };
        let class = object.class()?;
        if is_core(class.module, "multiarray", &class.name, "_reconstruct") {
            Some(self.reconstructed(&object))
        } else if is_core(class.module, "numeric", &class.name, "_frombuffer") {
            Some(self.buffered(&object))
        } else if is_core(class.module, "multiarray", &class.name, "scalar") {
            Some(self.scalar(&object))
        } else {
            match self.joblib_wrapper(value)? {
                Ok(crate::joblib::Wrapper::Array(wrapper)) => Some(wrapper.array()),
                Ok(crate::joblib::Wrapper::SideFile { filename, .. }) => Some(malformed(format!(
                    "the array is in joblib's side file `{filename}`, beside the pickle"
                ))),
                Err(err) => Some(Err(err)),
            }
        }
    }

    /// `value` as a numpy dtype (`numpy.dtype(spec, align, copy)` and its state); `None` when
    /// it is not a call of `numpy.dtype`.
    pub fn dtype(&self, value: &Value) -> Option<Result<DType, ArrayError>> {
        let View::Object(object) = self.view(value) else {
            return None;
        };
        let class = object.class()?;
        (class.module == "numpy" && class.name == "dtype").then(|| dtype::read(self, &object))
    }

    fn dtype_of(&self, value: &Value) -> Result<DType, ArrayError> {
        self.dtype(value)
            .unwrap_or_else(|| malformed(format!("the dtype is a {}", self.describe(value))))
    }

    /// `_reconstruct(ndarray, (0,), b'b')` with the state BUILD gave it.
    fn reconstructed(&self, object: &Object<'g>) -> Result<NdArray<'g>, ArrayError> {
        let Some(state) = object.setstate else {
            return malformed("_reconstruct without a BUILD state");
        };
        let View::Tuple(state) = self.view(state) else {
            return malformed(format!("the state is a {}", self.describe(state)));
        };
        let [version, shape, dtype, fortran, data] = state else {
            return malformed(format!("the state has {} items, not 5", state.len()));
        };
        if !matches!(self.view(version), View::Int(1)) {
            return malformed("the state's version is not 1");
        }
        let shape = self.shape(shape)?;
        let dtype = self.dtype_of(dtype)?;
        let fortran_order = match self.view(fortran) {
            View::Bool(flag) => flag,
            View::Int(flag) => flag != 0,
            other => return malformed(format!("is_fortran is a {}", other.kind_name())),
        };
        let data = if dtype.kind == 'O' {
            match self.view(data) {
                View::List(items) if items.runs().count() <= 1 => {
                    ArrayData::Objects(items.runs().next().unwrap_or(&[]))
                }
                other => return malformed(format!("object data is a {}", other.kind_name())),
            }
        } else {
            match self.raw_data(data) {
                Some(data) => ArrayData::Bytes(data),
                None => return malformed(format!("the data is a {}", self.describe(data))),
            }
        };
        NdArray::checked(dtype, shape, fortran_order, data)
    }

    /// `scalar(dtype, data)`: a numpy scalar (`numpy.float32(1.25)`), read as a 0-d array.
    fn scalar(&self, object: &Object<'g>) -> Result<NdArray<'g>, ArrayError> {
        let [dtype, data] = object.args else {
            return malformed(format!(
                "scalar with {} arguments, not 2",
                object.args.len()
            ));
        };
        let dtype = self.dtype_of(dtype)?;
        let data = if dtype.kind == 'O' {
            ArrayData::Objects(std::slice::from_ref(data))
        } else {
            match self.raw_data(data) {
                Some(data) => ArrayData::Bytes(data),
                None => {
                    return malformed(format!("the scalar's data is a {}", self.describe(data)));
                }
            }
        };
        NdArray::checked(dtype, Vec::new(), false, data)
    }

    /// The bytes of an array's or a scalar's data: `bytes` or `bytearray` (protocol 3 and
    /// later, and `_codecs.encode` at 0-2), or the Python 2 `str` numpy under Python 2 writes,
    /// its bytes as written whatever text they would make (most views of it are a record).
    fn raw_data(&self, data: &Value) -> Option<Bytes> {
        if let Some(brine_value::Node::Py2Str(raw)) = self.graph().get(data).node() {
            return Some(raw.clone());
        }
        match self.view(data) {
            View::Bytes(data) | View::ByteArray(data) => Some(data.into_bytes()),
            _ => None,
        }
    }

    /// `_frombuffer(buffer, dtype, shape, order)`.
    fn buffered(&self, object: &Object<'g>) -> Result<NdArray<'g>, ArrayError> {
        let [buffer, dtype, shape, order] = object.args else {
            return malformed(format!(
                "_frombuffer with {} arguments, not 4",
                object.args.len()
            ));
        };
        let data = match self.view(buffer) {
            View::Bytes(data) | View::ByteArray(data) => data.into_bytes(),
            View::Buffer(buffer) => match &buffer.data {
                Some(data) => data.clone(),
                None => return Err(ArrayError::MissingBuffer),
            },
            other => return malformed(format!("the buffer is a {}", other.kind_name())),
        };
        let dtype = self.dtype_of(dtype)?;
        let shape = self.shape(shape)?;
        let fortran_order = match self.str_at(order) {
            Some("C") => false,
            Some("F") => true,
            _ => return malformed(format!("the order is a {}", self.describe(order))),
        };
        NdArray::checked(dtype, shape, fortran_order, ArrayData::Bytes(data))
    }

    pub(crate) fn shape(&self, value: &Value) -> Result<Vec<u64>, ArrayError> {
        let View::Tuple(dims) = self.view(value) else {
            return malformed(format!("the shape is a {}", self.describe(value)));
        };
        dims.iter()
            .map(|dim| match self.view(dim) {
                View::Int(n) if n >= 0 => Ok(n as u64),
                other => malformed(format!("a dimension is {}", other.describe())),
            })
            .collect()
    }
}

impl<'g> NdArray<'g> {
    pub(crate) fn checked(
        dtype: DType,
        shape: Vec<u64>,
        fortran_order: bool,
        data: ArrayData<'g>,
    ) -> Result<NdArray<'g>, ArrayError> {
        let count = shape.iter().try_fold(1u64, |n, &d| n.checked_mul(d));
        let (found, per_item) = match &data {
            ArrayData::Bytes(bytes) => (bytes.len() as u64, dtype.item_size),
            ArrayData::Objects(items) => (items.len() as u64, 1),
            // The embedded pickle holds its own shape; its decoder checks it.
            ArrayData::Pickled(_) => {
                return Ok(NdArray {
                    dtype,
                    shape,
                    fortran_order,
                    data,
                });
            }
        };
        let expected = count.and_then(|n| n.checked_mul(per_item));
        if expected != Some(found) {
            return Err(ArrayError::Size {
                expected: expected.unwrap_or(u64::MAX),
                found,
            });
        }
        Ok(NdArray {
            dtype,
            shape,
            fortran_order,
            data,
        })
    }

    /// The number of elements: the product of the shape (1 for a 0-d array).
    pub fn len(&self) -> u64 {
        self.shape.iter().product()
    }

    /// Whether the array has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The raw bytes, shared with the graph; `None` for an object array.
    pub fn bytes(&self) -> Option<&Bytes> {
        match &self.data {
            ArrayData::Bytes(bytes) => Some(bytes),
            ArrayData::Objects(_) | ArrayData::Pickled(_) => None,
        }
    }

    /// The elements as `T`, in the order they are stored (C order, or Fortran order when
    /// [`NdArray::fortran_order`]), converted from the array's byte order.
    ///
    /// # Errors
    ///
    /// When `T` is not the array's element type (`i16` for a `<i2` array, `f64` for `>f8`,
    /// `bool` for `?`).
    pub fn to_vec<T: Element>(&self) -> Result<Vec<T>, ArrayError> {
        let bytes = self.typed_bytes::<T>()?;
        let big = self.dtype.byte_order == ByteOrder::Big;
        Ok(bytes
            .chunks_exact(self.dtype.item_size as usize)
            .map(|item| T::from_bytes(item, big))
            .collect())
    }

    /// The bytes, when the items are `T`.
    fn typed_bytes<T: Element>(&self) -> Result<&Bytes, ArrayError> {
        if !T::matches(&self.dtype) {
            return malformed(format!("a {} array read as {}", self.dtype, T::NAME));
        }
        match self.bytes() {
            Some(bytes) => Ok(bytes),
            None => malformed(format!("an object array read as {}", T::NAME)),
        }
    }
}

impl NdArray<'static> {
    /// An array of `items` in C order with `shape` (empty for a 0-d array), little-endian,
    /// as numpy makes one from a list.
    ///
    /// # Errors
    ///
    /// [`ArrayError::Size`] when the shape does not hold `items.len()` elements.
    ///
    /// # Example
    ///
    /// ```
    /// use brine_interpret::numpy::NdArray;
    ///
    /// let array = NdArray::from_slice(&[1u8, 2, 3, 4, 5, 6], &[2, 3])?;
    /// assert_eq!(array.dtype.to_string(), "|u1");
    /// assert_eq!(array.to_vec::<u8>()?, [1, 2, 3, 4, 5, 6]);
    /// # Ok::<(), brine_interpret::numpy::ArrayError>(())
    /// ```
    pub fn from_slice<T: Element>(
        items: &[T],
        shape: &[u64],
    ) -> Result<NdArray<'static>, ArrayError> {
        let mut data = Vec::with_capacity(size_of_val(items));
        items.iter().for_each(|item| item.extend_le(&mut data));
        NdArray::checked(
            T::dtype(),
            shape.to_vec(),
            false,
            ArrayData::Bytes(data.into()),
        )
    }

    /// An array of raw `data` with `dtype` and `shape`, in Fortran order when
    /// `fortran_order`: a `.npy` file's data, or bytes made elsewhere.
    ///
    /// # Errors
    ///
    /// [`ArrayError::Size`] when `data` is not the size the shape and dtype take.
    pub fn from_bytes(
        dtype: DType,
        shape: Vec<u64>,
        fortran_order: bool,
        data: Bytes,
    ) -> Result<NdArray<'static>, ArrayError> {
        NdArray::checked(dtype, shape, fortran_order, ArrayData::Bytes(data))
    }
}
