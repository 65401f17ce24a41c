//! pandas frames, series, indexes and categoricals as typed data: what pandas 1.x to 3.x
//! pickle, read without pandas.
//!
//! A `DataFrame` or `Series` pickles as `NDFrame.__getstate__` gives it: the class made
//! without arguments, then BUILD with a dict whose `_mgr` is the block manager. The manager is
//! read in either of the forms pandas writes:
//!
//! - `BlockManager(blocks, axes)` (the `__reduce__` of pandas 1.3 and later for a frame), each
//!   block `_unpickle_block(values, placement, ndim)` with its placement a `slice` or an array
//!   of positions;
//! - `BlockManager()` or `SingleBlockManager()` then BUILD with the 0.13.1-compatible state
//!   `(axes, block_values, block_items, {"0.14.1": {"axes": ..., "blocks": [{"values": ...,
//!   "mgr_locs": ...}]}})`, which every version writes for a series.
//!
//! A block's values are a numpy array (2-d for a frame: one row per column it holds) read by
//! [`Interpreter::ndarray`], or one of pandas' extension arrays:
//! `__pyx_unpickle_NDArrayBacked(cls, ...)` with the state `(dtype, ndarray[, attrs])` for a
//! `Categorical`, `DatetimeArray`, `TimedeltaArray`, `StringArray` or `NumpyExtensionArray`,
//! and an `IntegerArray`, `FloatingArray` or `BooleanArray` instance with `_data` and `_mask`.
//!
//! An index is `_new_Index(cls, dict)` (or `_new_DatetimeIndex`): a `RangeIndex` by its
//! `start`, `stop` and `step`, a `MultiIndex` by its `levels`, `codes` and `names`, any other
//! by its `data` and `name`.
//!
//! Classes are matched by name in any module under `pandas` (`pandas.DataFrame` in 3.x,
//! `pandas.core.frame.DataFrame` in 1.x and 2.x); nothing is imported or run.
//!
//! # What is recognised
//!
//! Checked against pickles pandas 1.5.3, 2.2.3 and 3.1.1 wrote at protocols 2, 4 and 5
//! (`fixtures/pandas/`):
//!
//! | pandas object | read as |
//! |---------------|---------|
//! | `DataFrame` | [`DataFrame`]: [`Column`]s (label, [`Values`]), the index, the [`Block`]s with their placements |
//! | `Series` | [`Series`]: name, index, values |
//! | `Index` (of objects, ints, `str`), `Int64Index`, `DatetimeIndex`, and any other index by its `data` | [`Index::Values`] |
//! | `RangeIndex` | [`Index::Range`] |
//! | `MultiIndex` | [`Index::Multi`]: levels, codes, names |
//! | `Categorical` | [`Categorical`]: codes, categories, ordered |
//! | numpy columns: ints, floats, bool, `datetime64`, `timedelta64`, `object` | [`Values::Numpy`] (object elements are graph values) |
//! | `Int64` and the other masked integers, `Float64`, `boolean` | [`Values::Masked`] |
//! | `string` (`StringDtype()`), `str` (pandas 3's default) with python storage | [`Values::Strings`] |
//!
//! Not read, each a [`PandasError::Unsupported`] naming it: time-zone-aware datetimes,
//! `MultiIndex` columns, pyarrow-backed arrays, sparse and interval arrays, and the block
//! manager states of pandas before 0.14.1.
//!
//! # Arrow
//!
//! With the feature `arrow`, `DataFrame::to_record_batch` gives a frame as an Arrow
//! `RecordBatch`, a field per column:
//!
//! | pandas dtype | Arrow type |
//! |--------------|------------|
//! | `int8`-`int64`, `uint8`-`uint64`, `float32`, `float64`, `bool` | the same, not null |
//! | `Int8`-`UInt64`, `Float32`, `Float64`, `boolean` (masked) | the same, null where masked |
//! | `datetime64[s]`, `[ms]`, `[us]`, `[ns]` | `Timestamp` of the unit, no zone; NaT is null |
//! | `object` of `str` and missing values, `string`, `str` | `Utf8`, missing as null |
//! | `category` | `Dictionary` of the codes' integer type over the categories; `-1` is null |
//!
//! Any other column (an `object` column holding something other than text, `timedelta64`,
//! `complex128`) is an `ArrowError::Unmapped` naming it.

mod frame;
mod index;
mod values;

use std::fmt;

use brine_value::Value;

use crate::numpy::{ArrayError, NdArray};
use crate::view::{GlobalName, Interpreter, Object, View};

pub use frame::{Block, Column, ColumnName, DataFrame, Series};
pub use index::Index;
pub use values::{Categorical, Values};

/// What a pandas pickle holds.
#[derive(Debug, Clone)]
#[non_exhaustive]
// One is made per pickle read and matched at once; boxing would only add a step to each match.
#[allow(clippy::large_enum_variant)]
pub enum Pandas<'g> {
    /// A `DataFrame`.
    DataFrame(DataFrame<'g>),
    /// A `Series`.
    Series(Series<'g>),
    /// An `Index` of any kind (`RangeIndex`, `DatetimeIndex`, `MultiIndex`, ...).
    Index(Index<'g>),
    /// A `Categorical`.
    Categorical(Categorical<'g>),
}

/// Why a value that names pandas' classes is not one brine can read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PandasError {
    /// A numpy array inside is not what numpy writes.
    Array(ArrayError),
    /// A part is not what pandas writes; the message says which.
    Malformed(String),
    /// A form pandas writes that brine does not read; the message names it.
    Unsupported(String),
}

impl fmt::Display for PandasError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PandasError::Array(err) => write!(f, "in a pandas object: {err}"),
            PandasError::Malformed(what) => {
                write!(f, "not a pandas object as pandas pickles one: {what}")
            }
            PandasError::Unsupported(what) => {
                write!(f, "a pandas form brine does not read: {what}")
            }
        }
    }
}

impl std::error::Error for PandasError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PandasError::Array(err) => Some(err),
            _ => None,
        }
    }
}

impl From<ArrayError> for PandasError {
    fn from(err: ArrayError) -> PandasError {
        PandasError::Array(err)
    }
}

/// How deeply indexes and arrays may nest (a `CategoricalIndex` holds a `Categorical` whose
/// categories are an index, a `MultiIndex` holds its levels): a pickle's memo can make them a
/// cycle, which must end in an error rather than a stack overflow.
const MAX_DEPTH: usize = 16;

/// The error for nesting past [`MAX_DEPTH`].
fn too_deep<T>() -> Result<T, PandasError> {
    unsupported(format!(
        "indexes and arrays nested more than {MAX_DEPTH} deep"
    ))
}

fn malformed<T>(what: impl Into<String>) -> Result<T, PandasError> {
    Err(PandasError::Malformed(what.into()))
}

fn unsupported<T>(what: impl Into<String>) -> Result<T, PandasError> {
    Err(PandasError::Unsupported(what.into()))
}

/// Whether an element of an object array is a missing value as pandas writes one: `None`, a
/// NaN, or the global `pd.NA` (`pandas.NA` in 3.x, `pandas._libs.missing.NA` before).
pub fn is_missing(interp: &Interpreter<'_>, value: &Value) -> bool {
    match interp.view(value) {
        View::None => true,
        View::Float(f) => f.is_nan(),
        View::Global(global) => is_pandas(&global, "NA"),
        _ => false,
    }
}

/// Whether `global` is pandas' `name`, in whichever module the version defines it.
fn is_pandas(global: &GlobalName<'_>, name: &str) -> bool {
    global.name == name && (global.module == "pandas" || global.module.starts_with("pandas."))
}

impl<'g> Interpreter<'g> {
    /// `value` as a pandas object: `None` when it is not a `DataFrame`, `Series`, index or
    /// `Categorical` as pandas pickles them, an error when it is one but not in a form brine
    /// reads.
    ///
    /// # Example
    ///
    /// ```no_run
    /// use brine_interpret::Interpreter;
    /// use brine_interpret::pandas::Pandas;
    ///
    /// let data = std::fs::read("frame.pickle")?;
    /// let graph = brine_vm::from_slice(&data, &Default::default())?;
    /// let interp = Interpreter::new(&graph);
    /// if let Some(Ok(Pandas::DataFrame(frame))) = interp.pandas(graph.root_value()) {
    ///     for column in frame.columns() {
    ///         println!("{} {} {}", column.name.describe(&interp), column.values.dtype_name(), column.values.len());
    ///     }
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn pandas(&self, value: &'g Value) -> Option<Result<Pandas<'g>, PandasError>> {
        let View::Object(object) = self.view(value) else {
            return None;
        };
        let class = object.class()?;
        if is_pandas(&class, "DataFrame") {
            Some(frame::dataframe(self, &object).map(Pandas::DataFrame))
        } else if is_pandas(&class, "Series") {
            Some(frame::series(self, &object).map(Pandas::Series))
        } else if is_pandas(&class, "_new_Index") || is_pandas(&class, "_new_DatetimeIndex") {
            Some(index::read(self, value, 0).map(Pandas::Index))
        } else if values::is_extension_array(&object) {
            match values::read(self, value, 0) {
                Ok(Values::Categorical(categorical)) => Some(Ok(Pandas::Categorical(categorical))),
                Ok(_) => None,
                Err(err) => Some(Err(err)),
            }
        } else {
            None
        }
    }

    /// The object `value` is, for the readers below: an error naming what it is otherwise.
    fn pandas_object(&self, value: &Value, what: &str) -> Result<Box<Object<'g>>, PandasError> {
        match self.view(value) {
            View::Object(object) => Ok(object),
            other => malformed(format!("{what} is a {}", other.describe())),
        }
    }

    /// `value` as a numpy array, as the readers below need one.
    fn pandas_ndarray(&self, value: &Value, what: &str) -> Result<NdArray<'g>, PandasError> {
        match self.ndarray(value) {
            Some(array) => Ok(array?),
            None => malformed(format!(
                "{what} is a {}, not a numpy array",
                self.describe(value)
            )),
        }
    }

    /// The value of key `key` in the dict `pairs` (the last, as Python keeps it).
    fn pandas_field(&self, pairs: &crate::view::Pairs<'g>, key: &str) -> Option<&'g Value> {
        pairs
            .iter()
            .filter(|(k, _)| self.str_at(k) == Some(key))
            .map(|(_, v)| v)
            .last()
    }
}

#[cfg(feature = "arrow")]
mod arrow;
#[cfg(feature = "arrow")]
pub use arrow::ArrowError;
