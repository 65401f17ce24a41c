//! joblib's array wrappers: what `joblib.dump` writes in place of each numpy array, read
//! without joblib.
//!
//! joblib 0.10 and later replace every array with a `NumpyArrayWrapper` instance whose BUILD
//! state is a dict of `subclass`, `shape`, `order` (`'C'` or `'F'`), `dtype`, `allow_mmap`
//! and, from joblib 1.2, `numpy_array_alignment_bytes`; the array's data follows the BUILD in
//! the stream, outside any opcode (joblib/numpy_pickle.py, `NumpyArrayWrapper.write_array`):
//!
//! - an array whose dtype holds objects: a whole pickle of the array (protocol 2), which
//!   joblib reads with `pickle.load`;
//! - any other: when the state has `numpy_array_alignment_bytes`, one byte giving a padding
//!   length and that many padding bytes; then the `prod(shape) * itemsize` bytes of the
//!   elements, in the wrapper's order.
//!
//! A decoder that knows the layout (brine-vm's `Decoder::after_build` with
//! `brine_container::joblib::after_build`) keeps those bytes on the wrapper as a
//! [`Change::Raw`]; [`Interpreter::ndarray`] then reads the wrapper as the array it stands for,
//! its data a slice of them. joblib before 0.10 kept each array in a side file named by an
//! `NDArrayWrapper` (or a zlib-compressed one by a `ZNDArrayWrapper`): [`Wrapper::SideFile`].
//!
//! Nothing here imports joblib or runs anything: the names are compared, the bytes shared.

use brine_value::{Change, Value};
use bytes::Bytes;

use crate::numpy::{ArrayData, ArrayError, DType, NdArray};
use crate::view::{GlobalName, Interpreter, Object, View};

/// The modules joblib's wrappers have lived in (scikit-learn once vendored joblib).
const MODULES: &[&str] = &[
    "joblib.numpy_pickle",
    "joblib.numpy_pickle_compat",
    "sklearn.externals.joblib.numpy_pickle",
    "sklearn.externals.joblib.numpy_pickle_compat",
];

/// A joblib array wrapper, as its state describes it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Wrapper<'g> {
    /// A `NumpyArrayWrapper`: the array's data follows it in the stream.
    Array(ArrayWrapper<'g>),
    /// An `NDArrayWrapper` or `ZNDArrayWrapper` (joblib < 0.10): the array is in a file
    /// beside the pickle.
    SideFile {
        /// The side file's name, relative to the pickle's directory.
        filename: &'g str,
        /// Whether it is a `ZNDArrayWrapper`, whose file is a joblib z-file (`ZF`, a length,
        /// zlib) of the raw elements rather than an `.npy` file.
        compressed: bool,
    },
}

/// A `NumpyArrayWrapper`: the array's description, and its data when the decoder kept it.
#[derive(Debug, Clone)]
pub struct ArrayWrapper<'g> {
    /// The element type.
    pub dtype: DType,
    /// The length of each dimension.
    pub shape: Vec<u64>,
    /// Whether the data is in Fortran order (`order='F'`).
    pub fortran_order: bool,
    /// The array class it was (`numpy.ndarray`, `numpy.memmap`, `numpy.matrix`).
    pub subclass: Option<GlobalName<'g>>,
    /// Whether joblib may memory-map it on loading.
    pub allow_mmap: bool,
    /// `numpy_array_alignment_bytes`: present from joblib 1.2, when a padding byte and
    /// padding come before the data.
    pub alignment: Option<u64>,
    /// The bytes that followed the wrapper's BUILD (padding included), when the graph was
    /// decoded with the joblib hook.
    pub raw: Option<&'g Bytes>,
}

impl<'g> Interpreter<'g> {
    /// `value` as a joblib array wrapper: `None` when it is not an instance of one of joblib's
    /// wrapper classes, an error when it is one with a state joblib does not write.
    ///
    /// # Example
    ///
    /// ```
    /// use brine_interpret::Interpreter;
    /// use brine_interpret::joblib::Wrapper;
    ///
    /// // joblib.numpy_pickle.NumpyArrayWrapper.__new__ then BUILD, as pickle writes any
    /// // instance; this one's dtype is left out, so it is malformed.
    /// let pickle = b"\x80\x04\x8c\x13joblib.numpy_pickle\x8c\x11NumpyArrayWrapper\x93)\x81}\x8c\x05shape\x8c\x01xsb.";
    /// let graph = brine_vm::from_slice(pickle, &Default::default())?;
    /// let interp = Interpreter::new(&graph);
    /// let err = interp.joblib_wrapper(graph.root_value()).unwrap().unwrap_err();
    /// assert_eq!(err.to_string(), "not a numpy array as numpy pickles one: the joblib wrapper's state has no dtype");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn joblib_wrapper(&self, value: &Value) -> Option<Result<Wrapper<'g>, ArrayError>> {
        let View::Object(object) = self.view(value) else {
            return None;
        };
        let class = object.class()?;
        if !MODULES.contains(&class.module) {
            return None;
        }
        match &*class.name {
            "NumpyArrayWrapper" => Some(self.array_wrapper(value, &object).map(Wrapper::Array)),
            name @ ("NDArrayWrapper" | "ZNDArrayWrapper") => {
                let filename = self
                    .joblib_field(&object, "filename")
                    .and_then(|f| self.str_at(f));
                Some(match filename {
                    Some(filename) => Ok(Wrapper::SideFile {
                        filename,
                        compressed: name == "ZNDArrayWrapper",
                    }),
                    None => Err(ArrayError::Malformed(format!(
                        "the {name}'s state has no filename"
                    ))),
                })
            }
            _ => None,
        }
    }

    fn array_wrapper(
        &self,
        value: &Value,
        object: &Object<'g>,
    ) -> Result<ArrayWrapper<'g>, ArrayError> {
        let field = |name: &str| {
            self.joblib_field(object, name).ok_or_else(|| {
                ArrayError::Malformed(format!("the joblib wrapper's state has no {name}"))
            })
        };
        let dtype = match self.dtype(field("dtype")?) {
            Some(dtype) => dtype?,
            None => {
                return Err(ArrayError::Malformed(
                    "the joblib wrapper's dtype is not a numpy.dtype".into(),
                ));
            }
        };
        let shape = self.shape(field("shape")?)?;
        let order = field("order")?;
        let fortran_order = match self.str_at(order) {
            Some("C") => false,
            Some("F") => true,
            _ => {
                let other = self.view(order);
                return Err(ArrayError::Malformed(format!(
                    "the joblib wrapper's order is {}",
                    other.describe()
                )));
            }
        };
        let subclass =
            self.joblib_field(object, "subclass")
                .and_then(|class| match self.view(class) {
                    View::Global(name) => Some(name),
                    _ => None,
                });
        let allow_mmap = self
            .joblib_field(object, "allow_mmap")
            .is_some_and(|flag| matches!(self.view(flag), View::Bool(true)));
        let alignment = match self.joblib_field(object, "numpy_array_alignment_bytes") {
            None => None,
            Some(align) => match self.view(align) {
                View::Int(n) if n > 0 => Some(n as u64),
                // joblib reads the attribute as absent only when it is missing; `None` is
                // what a file that could not seek gets.
                View::None => None,
                other => {
                    return Err(ArrayError::Malformed(format!(
                        "numpy_array_alignment_bytes is {}",
                        other.describe()
                    )));
                }
            },
        };
        let raw = match value {
            Value::Node(id) => self
                .graph()
                .changes(*id)
                .iter()
                .find_map(|change| match change {
                    Change::Raw(raw) => Some(raw),
                    _ => None,
                }),
            _ => None,
        };
        Ok(ArrayWrapper {
            dtype,
            shape,
            fortran_order,
            subclass,
            allow_mmap,
            alignment,
            raw,
        })
    }

    /// The array a `ZNDArrayWrapper` (joblib < 0.10 with `compress=`) stands for, given the
    /// elements its side file holds once decompressed (`data`). The wrapper keeps
    /// `ndarray.__reduce__`'s state without its data, `(1, shape, dtype, is_fortran)`, which
    /// joblib completes with `data` and passes to `ndarray.__setstate__`
    /// (joblib/numpy_pickle_compat.py, `ZNDArrayWrapper.read`).
    ///
    /// # Errors
    ///
    /// When `value` is not a `ZNDArrayWrapper`, its state is not that tuple, the dtype holds
    /// objects (joblib pickled those in the stream itself), or `data` does not hold what the
    /// shape and dtype need.
    pub fn joblib_zfile_array(
        &self,
        value: &Value,
        data: Bytes,
    ) -> Result<NdArray<'g>, ArrayError> {
        let not_one = || ArrayError::Malformed("not a joblib ZNDArrayWrapper".into());
        let View::Object(object) = self.view(value) else {
            return Err(not_one());
        };
        let class = object.class().ok_or_else(not_one)?;
        if !MODULES.contains(&class.module) || &*class.name != "ZNDArrayWrapper" {
            return Err(not_one());
        }
        let state = self.joblib_field(&object, "state").ok_or_else(|| {
            ArrayError::Malformed("the ZNDArrayWrapper's state has no state".into())
        })?;
        let View::Tuple(state) = self.view(state) else {
            return Err(ArrayError::Malformed(format!(
                "the ZNDArrayWrapper's array state is a {}",
                self.describe(state)
            )));
        };
        let [version, shape, dtype, fortran] = state else {
            return Err(ArrayError::Malformed(format!(
                "the ZNDArrayWrapper's array state has {} items, not 4",
                state.len()
            )));
        };
        if !matches!(self.view(version), View::Int(1)) {
            return Err(ArrayError::Malformed(
                "the ZNDArrayWrapper's array state version is not 1".into(),
            ));
        }
        let shape = self.shape(shape)?;
        let dtype = match self.dtype(dtype) {
            Some(dtype) => dtype?,
            None => {
                return Err(ArrayError::Malformed(format!(
                    "the ZNDArrayWrapper's dtype is a {}",
                    self.describe(dtype)
                )));
            }
        };
        if dtype.has_objects() {
            return Err(ArrayError::Malformed(
                "a ZNDArrayWrapper of objects: joblib keeps those in the stream".into(),
            ));
        }
        let fortran_order = match self.view(fortran) {
            View::Bool(flag) => flag,
            View::Int(flag) => flag != 0,
            other => {
                return Err(ArrayError::Malformed(format!(
                    "the ZNDArrayWrapper's is_fortran is {}",
                    other.describe()
                )));
            }
        };
        NdArray::checked(dtype, shape, fortran_order, ArrayData::Bytes(data))
    }

    /// The value of attribute `name` in an object's dict state (the last, as Python keeps it).
    fn joblib_field(&self, object: &Object<'g>, name: &str) -> Option<&'g Value> {
        object
            .state
            .iter()
            .filter(|(key, _)| self.str_at(key) == Some(name))
            .map(|(_, value)| value)
            .last()
    }
}

impl<'g> ArrayWrapper<'g> {
    /// Whether the dtype holds Python objects (`dtype.hasobject`), so that the data is an
    /// embedded pickle.
    pub fn has_objects(&self) -> bool {
        self.dtype.has_objects()
    }

    /// How many bytes of the array's data follow the BUILD, when it is not an object array:
    /// the padding byte and padding (read from `rest`, the bytes after the BUILD) and the
    /// elements. `None` for an object array, whose embedded pickle ends at its STOP.
    ///
    /// # Errors
    ///
    /// When the size overflows, or `rest` is empty where the padding byte belongs.
    pub fn data_len(&self, rest: &[u8]) -> Result<Option<u64>, ArrayError> {
        if self.has_objects() {
            return Ok(None);
        }
        let mut len = self.element_bytes()?;
        if self.alignment.is_some() {
            let padding = *rest.first().ok_or_else(|| {
                ArrayError::Malformed("the joblib padding byte is missing".into())
            })?;
            len = len
                .checked_add(1 + u64::from(padding))
                .ok_or_else(|| ArrayError::Malformed("the array size overflows".into()))?;
        }
        Ok(Some(len))
    }

    /// The array it stands for: its elements a slice of the raw bytes after the padding, or,
    /// for an object array, [`ArrayData::Pickled`] with the embedded pickle.
    ///
    /// # Errors
    ///
    /// When the graph was decoded without the joblib hook (no raw bytes), or they do not hold
    /// what the shape and dtype need.
    pub fn array(&self) -> Result<NdArray<'g>, ArrayError> {
        let Some(raw) = self.raw else {
            return Err(ArrayError::Malformed(
                "the joblib wrapper has no data: decode with the joblib after_build hook".into(),
            ));
        };
        let data = if self.has_objects() {
            ArrayData::Pickled(raw.clone())
        } else {
            let skip = match (self.alignment, raw.first()) {
                (None, _) => 0,
                (Some(_), Some(&padding)) => 1 + usize::from(padding),
                (Some(_), None) => {
                    return Err(ArrayError::Malformed(
                        "the joblib padding byte is missing".into(),
                    ));
                }
            };
            if skip > raw.len() {
                return Err(ArrayError::Size {
                    expected: self.element_bytes()?,
                    found: 0,
                });
            }
            ArrayData::Bytes(raw.slice(skip..))
        };
        NdArray::checked(
            self.dtype.clone(),
            self.shape.clone(),
            self.fortran_order,
            data,
        )
    }

    fn element_bytes(&self) -> Result<u64, ArrayError> {
        self.shape
            .iter()
            .try_fold(self.dtype.item_size, |n, &dim| n.checked_mul(dim))
            .ok_or_else(|| ArrayError::Malformed("the array size overflows".into()))
    }
}
