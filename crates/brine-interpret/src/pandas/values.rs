//! The values of a column, an index or a block: numpy arrays and pandas' extension arrays.

use brine_value::Value;

use crate::numpy::{ArrayData, NdArray};
use crate::view::{Interpreter, Object, View};

use super::index::{self, Index};
use super::{MAX_DEPTH, PandasError, is_pandas, malformed, too_deep, unsupported};

/// The values of a column, index or block, as pandas holds them.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Values<'g> {
    /// A numpy array: numbers, bools, `datetime64` / `timedelta64` (a `DatetimeArray` or
    /// `TimedeltaArray` of a naive dtype is its array), or objects (strings of an `object`
    /// column are graph values). A frame's block holds a 2-d one, a column a 1-d one.
    Numpy(NdArray<'g>),
    /// A `Categorical`.
    Categorical(Categorical<'g>),
    /// A nullable `IntegerArray`, `FloatingArray` or `BooleanArray`: the values, and the
    /// mask that is true where a value is missing.
    Masked {
        /// pandas' dtype name: `Int64`, `UInt8`, `Float64`, `boolean`, ...
        dtype: String,
        /// The values (anything where the mask is true).
        data: NdArray<'g>,
        /// The missing-value mask, a bool array of the same shape.
        mask: NdArray<'g>,
    },
    /// A `StringArray`: an object array of `str` and missing values (`pd.NA`, `None` or NaN
    /// as graph values).
    Strings {
        /// pandas' dtype name: `string` (`StringDtype()`, missing as `pd.NA`) or `str`
        /// (pandas 3's default, missing as NaN).
        dtype: &'static str,
        /// The object array.
        data: NdArray<'g>,
    },
}

/// A `Categorical`: codes into categories, `-1` for a missing value.
#[derive(Debug, Clone)]
pub struct Categorical<'g> {
    /// The codes, a signed integer array.
    pub codes: NdArray<'g>,
    /// The categories, an index.
    pub categories: Box<Index<'g>>,
    /// Whether the categories are ordered.
    pub ordered: bool,
}

impl<'g> Values<'g> {
    /// pandas' name of the dtype, as `str(values.dtype)` prints it: `int64`, `float64`,
    /// `bool`, `object`, `datetime64[ns]`, `category`, `Int64`, `boolean`, `string`, `str`.
    pub fn dtype_name(&self) -> String {
        match self {
            Values::Numpy(array) => numpy_dtype_name(array),
            Values::Categorical(_) => "category".to_owned(),
            Values::Masked { dtype, .. } => dtype.clone(),
            Values::Strings { dtype, .. } => (*dtype).to_owned(),
        }
    }

    /// The number of values along the last axis: a column's length, or a block's rows.
    pub fn len(&self) -> u64 {
        let array = match self {
            Values::Numpy(array) => array,
            Values::Categorical(categorical) => &categorical.codes,
            Values::Masked { data, .. } | Values::Strings { data, .. } => data,
        };
        array.shape.last().copied().unwrap_or(1)
    }

    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Row `row` of a 2-d block (the values of one column), or the values themselves when
    /// they are 1-d (an extension array holds one column).
    pub(super) fn row(&self, row: u64) -> Result<Values<'g>, PandasError> {
        match self {
            Values::Numpy(array) if array.shape.len() == 2 => {
                Ok(Values::Numpy(row_of(array, row)?))
            }
            Values::Numpy(array) if array.shape.len() != 1 => malformed(format!(
                "a block's values have {} dimensions",
                array.shape.len()
            )),
            _ if row == 0 => Ok(self.clone()),
            _ => malformed(format!("row {row} of a one-column block")),
        }
    }
}

/// pandas' name of a numpy dtype: numpy's own name (`int64`, `datetime64[ns]`).
fn numpy_dtype_name(array: &NdArray<'_>) -> String {
    let dtype = &array.dtype;
    let bits = dtype.item_size * 8;
    let unit = || match &dtype.time_unit {
        Some((unit, 1)) => format!("[{unit}]"),
        Some((unit, count)) => format!("[{count}{unit}]"),
        None => String::new(),
    };
    match dtype.kind {
        'b' => "bool".to_owned(),
        'i' => format!("int{bits}"),
        'u' => format!("uint{bits}"),
        'f' => format!("float{bits}"),
        'c' => format!("complex{bits}"),
        'O' => "object".to_owned(),
        'M' => format!("datetime64{}", unit()),
        'm' => format!("timedelta64{}", unit()),
        _ => dtype.to_string(),
    }
}

/// Row `row` of the 2-d array `array`: shared bytes in C order, gathered in Fortran order;
/// object items are always in C order.
fn row_of<'g>(array: &NdArray<'g>, row: u64) -> Result<NdArray<'g>, PandasError> {
    let [rows, len] = array.shape[..] else {
        return malformed("not a 2-d block");
    };
    if row >= rows {
        return malformed(format!("row {row} of a block of {rows}"));
    }
    let data = match &array.data {
        // A one-row block is the same in either order.
        ArrayData::Bytes(bytes) if !array.fortran_order || rows == 1 => {
            let size = array.dtype.item_size;
            // In range: NdArray checked that the bytes are rows * len * size.
            let start = (row * len * size) as usize;
            ArrayData::Bytes(bytes.slice(start..start + (len * size) as usize))
        }
        ArrayData::Bytes(bytes) => {
            let size = array.dtype.item_size as usize;
            let mut out = Vec::with_capacity(len as usize * size);
            for column in 0..len {
                let start = (column * rows + row) as usize * size;
                out.extend_from_slice(&bytes[start..start + size]);
            }
            ArrayData::Bytes(out.into())
        }
        // numpy lists an object array's items in C order whatever its layout
        // (`_getlist_pkl` iterates in index order), and `is_fortran` only sets the layout.
        ArrayData::Objects(items) => {
            let start = (row * len) as usize;
            ArrayData::Objects(&items[start..start + len as usize])
        }
        ArrayData::Pickled(_) => {
            return unsupported("an object block that joblib pickled on its own");
        }
    };
    Ok(NdArray {
        dtype: array.dtype.clone(),
        shape: vec![len],
        fortran_order: false,
        data,
    })
}

/// Whether `object` is one of the extension arrays [`read`] reads.
pub(super) fn is_extension_array(object: &Object<'_>) -> bool {
    object.class().is_some_and(|class| {
        is_pandas(&class, "__pyx_unpickle_NDArrayBacked")
            || MASKED.iter().any(|name| is_pandas(&class, name))
    })
}

/// The masked arrays, by class name.
const MASKED: [&str; 3] = ["IntegerArray", "FloatingArray", "BooleanArray"];

/// `value` as the values of a block, column or index.
pub(super) fn read<'g>(
    interp: &Interpreter<'g>,
    value: &'g Value,
    depth: usize,
) -> Result<Values<'g>, PandasError> {
    if depth > MAX_DEPTH {
        return too_deep();
    }
    if let Some(array) = interp.ndarray(value) {
        return Ok(Values::Numpy(array?));
    }
    let object = interp.pandas_object(value, "the values")?;
    let Some(class) = object.class() else {
        return unsupported(format!("values of a {}", interp.describe(value)));
    };
    if is_pandas(&class, "__pyx_unpickle_NDArrayBacked") {
        return backed(interp, &object, depth);
    }
    if MASKED.iter().any(|name| is_pandas(&class, name)) {
        return masked(interp, &object, &class.name);
    }
    unsupported(format!("values of a {}", interp.describe(value)))
}

/// `__pyx_unpickle_NDArrayBacked(cls, checksum, None)` with BUILD `(dtype, ndarray[, attrs])`.
fn backed<'g>(
    interp: &Interpreter<'g>,
    object: &Object<'g>,
    depth: usize,
) -> Result<Values<'g>, PandasError> {
    let Some(class) = object.args.first() else {
        return malformed("__pyx_unpickle_NDArrayBacked without a class");
    };
    let View::Global(class) = interp.view(class) else {
        return malformed(format!("the array class is a {}", interp.describe(class)));
    };
    let Some(state) = object.setstate else {
        return malformed(format!("a {class} without its state"));
    };
    let View::Tuple(state) = interp.view(state) else {
        return malformed(format!(
            "the state of a {class} is a {}",
            interp.describe(state)
        ));
    };
    let [dtype, data, ..] = state else {
        return malformed(format!("the state of a {class} has {} items", state.len()));
    };
    let data = interp.pandas_ndarray(data, "the array's data")?;
    match &*class.name {
        "Categorical" => categorical(interp, dtype, data, depth).map(Values::Categorical),
        "DatetimeArray" | "TimedeltaArray" if interp.dtype(dtype).is_some() => {
            Ok(Values::Numpy(data))
        }
        "DatetimeArray" => unsupported(format!(
            "a DatetimeArray of dtype {} (time zones are not read)",
            interp.describe(dtype)
        )),
        "StringArray" => Ok(Values::Strings {
            dtype: string_dtype(interp, dtype)?,
            data,
        }),
        "NumpyExtensionArray" | "PandasArray" => Ok(Values::Numpy(data)),
        other => unsupported(format!("the extension array {other}")),
    }
}

/// The name of a `StringDtype`: `str` for pandas 3's `StringDtype('python', nan)`, `string`
/// for `StringDtype()` (pandas 1.x, 2.x: BUILD `{'storage': 'python'}`) and pandas 3's
/// `StringDtype('python', NA)`.
fn string_dtype(interp: &Interpreter<'_>, dtype: &Value) -> Result<&'static str, PandasError> {
    let object = interp.pandas_object(dtype, "the string dtype")?;
    if !object
        .class()
        .is_some_and(|class| is_pandas(&class, "StringDtype"))
    {
        return malformed(format!("a StringArray of dtype {}", interp.describe(dtype)));
    }
    let storage = object
        .args
        .first()
        .or_else(|| interp.pandas_field(&object.state, "storage"));
    if let Some(storage) = storage {
        if interp.str_at(storage) != Some("python") {
            return unsupported(format!("string storage {}", interp.describe(storage)));
        }
    }
    Ok(match object.args.get(1).map(|na| interp.view(na)) {
        Some(View::Float(na)) if na.is_nan() => "str",
        _ => "string",
    })
}

/// A `Categorical`'s dtype (a `CategoricalDtype` with `categories` and `ordered`) and codes.
fn categorical<'g>(
    interp: &Interpreter<'g>,
    dtype: &'g Value,
    codes: NdArray<'g>,
    depth: usize,
) -> Result<Categorical<'g>, PandasError> {
    let object = interp.pandas_object(dtype, "the categorical dtype")?;
    if !object
        .class()
        .is_some_and(|class| is_pandas(&class, "CategoricalDtype"))
    {
        return malformed(format!("a Categorical of dtype {}", interp.describe(dtype)));
    }
    let Some(categories) = interp.pandas_field(&object.state, "categories") else {
        return malformed("a CategoricalDtype without categories");
    };
    let ordered = match interp
        .pandas_field(&object.state, "ordered")
        .map(|v| interp.view(v))
    {
        Some(View::Bool(ordered)) => ordered,
        None | Some(View::None) => false,
        Some(other) => return malformed(format!("ordered is a {}", other.describe())),
    };
    if !matches!(codes.dtype.kind, 'i') || codes.shape.len() != 1 {
        return malformed(format!("categorical codes of dtype {}", codes.dtype));
    }
    Ok(Categorical {
        codes,
        categories: Box::new(index::read(interp, categories, depth + 1)?),
        ordered,
    })
}

/// An `IntegerArray`, `FloatingArray` or `BooleanArray` instance with its `_data` and `_mask`.
fn masked<'g>(
    interp: &Interpreter<'g>,
    object: &Object<'g>,
    class: &str,
) -> Result<Values<'g>, PandasError> {
    let field = |key: &str| match interp.pandas_field(&object.state, key) {
        Some(value) => interp.pandas_ndarray(value, key),
        None => malformed(format!("a {class} without {key}")),
    };
    let (data, mask) = (field("_data")?, field("_mask")?);
    if mask.dtype.kind != 'b' || mask.shape != data.shape {
        return malformed(format!(
            "a {class} mask of dtype {} and shape {:?}",
            mask.dtype, mask.shape
        ));
    }
    let bits = data.dtype.item_size * 8;
    let dtype = match (class, data.dtype.kind) {
        ("BooleanArray", 'b') => "boolean".to_owned(),
        ("IntegerArray", 'i') => format!("Int{bits}"),
        ("IntegerArray", 'u') => format!("UInt{bits}"),
        ("FloatingArray", 'f') => format!("Float{bits}"),
        _ => return malformed(format!("a {class} of {}", data.dtype)),
    };
    Ok(Values::Masked { dtype, data, mask })
}
