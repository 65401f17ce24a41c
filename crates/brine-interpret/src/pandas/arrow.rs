//! A [`DataFrame`] as an Arrow [`RecordBatch`] (feature `arrow`), for the dtypes that map.
//!
//! The mapping is the table in [the module docs](crate::pandas#arrow).

use std::fmt;
use std::sync::Arc;

use arrow_array::builder::StringBuilder;
use arrow_array::types::{Int8Type, Int16Type, Int32Type, Int64Type};
use arrow_array::{
    ArrayRef, ArrowPrimitiveType, BooleanArray, DictionaryArray, Int64Array, PrimitiveArray,
    RecordBatch, TimestampMicrosecondArray, TimestampMillisecondArray, TimestampNanosecondArray,
    TimestampSecondArray,
};
use arrow_buffer::{BooleanBuffer, NullBuffer, ScalarBuffer};
use arrow_schema::{Field, Schema};

use crate::numpy::{ArrayData, ByteOrder, NdArray};
use crate::view::{Interpreter, View};

use super::frame::DataFrame;
use super::index::{self, Index};
use super::values::{Categorical, Values};
use super::{PandasError, is_missing};

/// Why a frame is not a record batch.
#[derive(Debug)]
#[non_exhaustive]
pub enum ArrowError {
    /// A column whose values have no Arrow type here; the reason says what they are.
    Unmapped {
        /// The column's label.
        column: String,
        /// Its dtype and, for an object column, what it holds.
        reason: String,
    },
    /// A column's values could not be read.
    Pandas {
        /// The column's label.
        column: String,
        /// Why.
        source: PandasError,
    },
    /// Arrow refused the batch.
    Arrow(arrow_schema::ArrowError),
}

impl fmt::Display for ArrowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArrowError::Unmapped { column, reason } => {
                write!(f, "column {column:?} has no Arrow type: {reason}")
            }
            ArrowError::Pandas { column, source } => write!(f, "column {column:?}: {source}"),
            ArrowError::Arrow(err) => write!(f, "arrow: {err}"),
        }
    }
}

impl std::error::Error for ArrowError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ArrowError::Unmapped { .. } => None,
            ArrowError::Pandas { source, .. } => Some(source),
            ArrowError::Arrow(err) => Some(err),
        }
    }
}

/// The most categories of a `RangeIndex` turned into a dictionary's values.
const MAX_RANGE_CATEGORIES: u64 = 1 << 24;

/// What stopped one column, before the column's name is known.
enum Refusal {
    Unmapped(String),
    Pandas(PandasError),
}

impl From<PandasError> for Refusal {
    fn from(err: PandasError) -> Refusal {
        Refusal::Pandas(err)
    }
}

impl From<crate::numpy::ArrayError> for Refusal {
    fn from(err: crate::numpy::ArrayError) -> Refusal {
        Refusal::Pandas(PandasError::Array(err))
    }
}

impl<'g> DataFrame<'g> {
    /// The frame as an Arrow record batch: one field per column, named by its label (a `str`
    /// as it is, an integer in decimal), typed as the table in [the module docs](crate::pandas#arrow)
    /// says. The
    /// index is not a column.
    ///
    /// # Errors
    ///
    /// [`ArrowError::Unmapped`] naming the first column whose dtype does not map.
    pub fn to_record_batch(&self, interp: &Interpreter<'g>) -> Result<RecordBatch, ArrowError> {
        let mut fields = Vec::new();
        let mut arrays = Vec::new();
        for column in self.columns() {
            let name = column.name.describe(interp);
            let array = to_array(interp, &column.values).map_err(|refusal| match refusal {
                Refusal::Unmapped(reason) => ArrowError::Unmapped {
                    column: name.clone(),
                    reason,
                },
                Refusal::Pandas(source) => ArrowError::Pandas {
                    column: name.clone(),
                    source,
                },
            })?;
            fields.push(Field::new(name, array.data_type().clone(), true));
            arrays.push(array);
        }
        RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).map_err(ArrowError::Arrow)
    }
}

fn to_array(interp: &Interpreter<'_>, values: &Values<'_>) -> Result<ArrayRef, Refusal> {
    match values {
        Values::Numpy(array) => numpy(interp, array, None),
        Values::Masked { data, mask, .. } => {
            let missing = mask.to_vec::<bool>()?;
            let valid = NullBuffer::new(BooleanBuffer::from_iter(missing.iter().map(|m| !m)));
            numpy(interp, data, Some(valid))
        }
        Values::Strings { data, .. } => strings(interp, data),
        Values::Categorical(categorical) => dictionary(interp, categorical),
    }
}

fn primitive<T: ArrowPrimitiveType>(values: Vec<T::Native>, nulls: Option<NullBuffer>) -> ArrayRef {
    Arc::new(PrimitiveArray::<T>::new(ScalarBuffer::from(values), nulls))
}

/// A numeric, bool, datetime64 or object array, with the nulls of a masked array.
fn numpy(
    interp: &Interpreter<'_>,
    array: &NdArray<'_>,
    nulls: Option<NullBuffer>,
) -> Result<ArrayRef, Refusal> {
    use arrow_array::types::*;
    let dtype = &array.dtype;
    Ok(match (dtype.kind, dtype.item_size) {
        ('b', 1) => Arc::new(BooleanArray::new(
            BooleanBuffer::from(array.to_vec::<bool>()?),
            nulls,
        )),
        ('i', 1) => primitive::<Int8Type>(array.to_vec()?, nulls),
        ('i', 2) => primitive::<Int16Type>(array.to_vec()?, nulls),
        ('i', 4) => primitive::<Int32Type>(array.to_vec()?, nulls),
        ('i', 8) => primitive::<Int64Type>(array.to_vec()?, nulls),
        ('u', 1) => primitive::<UInt8Type>(array.to_vec()?, nulls),
        ('u', 2) => primitive::<UInt16Type>(array.to_vec()?, nulls),
        ('u', 4) => primitive::<UInt32Type>(array.to_vec()?, nulls),
        ('u', 8) => primitive::<UInt64Type>(array.to_vec()?, nulls),
        ('f', 4) => primitive::<Float32Type>(array.to_vec()?, nulls),
        ('f', 8) => primitive::<Float64Type>(array.to_vec()?, nulls),
        ('M', 8) => {
            let counts = datetimes(array);
            // NaT is i64::MIN.
            let nat = NullBuffer::new(BooleanBuffer::from_iter(
                counts.iter().map(|&n| n != i64::MIN),
            ));
            let nulls = NullBuffer::union(nulls.as_ref(), Some(&nat));
            let unit = dtype
                .time_unit
                .as_ref()
                .map(|(unit, count)| (unit.as_str(), *count));
            match unit {
                Some(("ns", 1)) => Arc::new(TimestampNanosecondArray::new(counts.into(), nulls)),
                Some(("us", 1)) => Arc::new(TimestampMicrosecondArray::new(counts.into(), nulls)),
                Some(("ms", 1)) => Arc::new(TimestampMillisecondArray::new(counts.into(), nulls)),
                Some(("s", 1)) => Arc::new(TimestampSecondArray::new(counts.into(), nulls)),
                _ => return Err(Refusal::Unmapped(format!("dtype {dtype}"))),
            }
        }
        ('O', _) => strings(interp, array)?,
        _ => return Err(Refusal::Unmapped(format!("dtype {dtype}"))),
    })
}

/// The counts of a datetime64 array, in the array's byte order.
fn datetimes(array: &NdArray<'_>) -> Vec<i64> {
    let big = array.dtype.byte_order == ByteOrder::Big;
    array
        .bytes()
        .map(|bytes| {
            bytes
                .chunks_exact(8)
                .map(|item| {
                    // Invariant: chunks_exact(8) yields 8 bytes.
                    let item: [u8; 8] = item.try_into().expect("8 bytes");
                    if big {
                        i64::from_be_bytes(item)
                    } else {
                        i64::from_le_bytes(item)
                    }
                })
                .collect()
        })
        .unwrap_or_default()
}

/// An object array of `str` and missing values as `Utf8`.
fn strings(interp: &Interpreter<'_>, array: &NdArray<'_>) -> Result<ArrayRef, Refusal> {
    let ArrayData::Objects(items) = &array.data else {
        return Err(Refusal::Unmapped(format!("dtype {}", array.dtype)));
    };
    let mut builder = StringBuilder::with_capacity(items.len(), 0);
    for item in *items {
        if is_missing(interp, item) {
            builder.append_null();
            continue;
        }
        match interp.view(item) {
            View::Str(text) => builder.append_value(text.to_string()),
            other => {
                return Err(Refusal::Unmapped(format!(
                    "an object column holding a {}",
                    other.describe()
                )));
            }
        }
    }
    Ok(Arc::new(builder.finish()))
}

/// A `Categorical` as a dictionary of its codes over its categories.
fn dictionary(
    interp: &Interpreter<'_>,
    categorical: &Categorical<'_>,
) -> Result<ArrayRef, Refusal> {
    let categories: ArrayRef = match &*categorical.categories {
        Index::Values { values, .. } => to_array(interp, values)?,
        Index::Range {
            start, stop, step, ..
        } => {
            let len = categorical.categories.len();
            // Each label becomes 8 bytes: refuse what a frame's codes could not need.
            if len > MAX_RANGE_CATEGORIES {
                return Err(Refusal::Unmapped(format!(
                    "a RangeIndex of {len} categories"
                )));
            }
            Arc::new(Int64Array::from(index::range_labels(
                *start, *stop, *step, len,
            )))
        }
        Index::Multi { .. } => return Err(Refusal::Unmapped("categories of a MultiIndex".into())),
    };
    let codes = &categorical.codes;
    fn keyed<K: arrow_array::types::ArrowDictionaryKeyType>(
        codes: Vec<K::Native>,
        categories: ArrayRef,
    ) -> Result<ArrayRef, Refusal>
    where
        K::Native: Into<i64>,
    {
        let valid = NullBuffer::new(BooleanBuffer::from_iter(
            codes.iter().map(|&c| c.into() >= 0),
        ));
        let keys = PrimitiveArray::<K>::new(ScalarBuffer::from(codes), Some(valid));
        DictionaryArray::<K>::try_new(keys, categories)
            .map(|array| Arc::new(array) as ArrayRef)
            .map_err(|err| {
                Refusal::Pandas(PandasError::Malformed(format!("categorical codes: {err}")))
            })
    }
    match codes.dtype.item_size {
        1 => keyed::<Int8Type>(codes.to_vec()?, categories),
        2 => keyed::<Int16Type>(codes.to_vec()?, categories),
        4 => keyed::<Int32Type>(codes.to_vec()?, categories),
        8 => keyed::<Int64Type>(codes.to_vec()?, categories),
        _ => Err(Refusal::Unmapped(format!(
            "categorical codes of dtype {}",
            codes.dtype
        ))),
    }
}

#[cfg(test)]
mod tests {
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Float64Type, Int8Type, Int64Type, TimestampNanosecondType};
    use arrow_array::{Array, BooleanArray};
    use arrow_schema::{DataType, TimeUnit};

    use super::*;
    use crate::pandas::Pandas;

    /// Reads `fixtures/pandas/<release>/pickles/<stem>.pickle` and converts it.
    fn batch(release: &str, stem: &str) -> Result<RecordBatch, ArrowError> {
        let path = format!(
            "{}/../../fixtures/pandas/{release}/pickles/{stem}.pickle",
            env!("CARGO_MANIFEST_DIR")
        );
        let data = std::fs::read(&path).unwrap();
        let graph = brine_vm::from_slice(&data, &Default::default()).unwrap();
        let interp = Interpreter::new(&graph);
        let Some(Ok(Pandas::DataFrame(frame))) = interp.pandas(graph.root_value()) else {
            panic!("{path}: not a frame");
        };
        frame.to_record_batch(&interp)
    }

    /// The values of `fixtures/generate/gen_pandas.py`'s `mixed` frame, as every release
    /// recorded them in `expect/mixed.json`.
    #[test]
    fn a_mixed_frame_is_a_record_batch() {
        for release in ["pandas-1.5.3", "pandas-2.2.3", "pandas-3.1.1"] {
            for protocol in [2, 5] {
                let batch = batch(release, &format!("mixed.p{protocol}")).unwrap();
                let schema = batch.schema();
                let types: Vec<(&str, &DataType)> = schema
                    .fields()
                    .iter()
                    .map(|field| (field.name().as_str(), field.data_type()))
                    .collect();
                let dictionary =
                    DataType::Dictionary(Box::new(DataType::Int8), Box::new(DataType::Utf8));
                assert_eq!(
                    types,
                    [
                        ("i", &DataType::Int64),
                        ("f", &DataType::Float64),
                        ("s", &DataType::Utf8),
                        ("b", &DataType::Boolean),
                        ("t", &DataType::Timestamp(TimeUnit::Nanosecond, None)),
                        ("c", &dictionary),
                    ],
                    "{release} p{protocol}"
                );
                let column = |n: usize| batch.column(n);
                assert_eq!(column(0).as_primitive::<Int64Type>().values(), &[1, -2, 3]);
                let floats = column(1).as_primitive::<Float64Type>();
                assert_eq!(floats.value(0), 1.5);
                assert!(floats.value(1).is_nan());
                assert_eq!(floats.value(2), -3.25);
                let text = column(2).as_string::<i32>();
                assert_eq!((text.value(0), text.value(1)), ("a", "bb"));
                assert!(text.is_null(2));
                let flags: &BooleanArray = column(3).as_boolean();
                assert_eq!(
                    flags.iter().collect::<Vec<_>>(),
                    [Some(true), Some(false), Some(true)]
                );
                // 2024-01-01, 2024-01-02, 2024-03-04 in nanoseconds since the epoch.
                let days = column(4).as_primitive::<TimestampNanosecondType>();
                assert_eq!(
                    days.values(),
                    &[
                        1_704_067_200_000_000_000,
                        1_704_153_600_000_000_000,
                        1_709_510_400_000_000_000
                    ]
                );
                let categories = column(5).as_dictionary::<Int8Type>();
                assert_eq!(categories.keys().values(), &[0, 1, 0]);
                let labels = categories.values().as_string::<i32>();
                assert_eq!((labels.value(0), labels.value(1)), ("x", "y"));
            }
        }
    }

    #[test]
    fn nullable_columns_keep_their_nulls() {
        for release in ["pandas-1.5.3", "pandas-2.2.3", "pandas-3.1.1"] {
            let batch = batch(release, "nullable.p4").unwrap();
            let ints = batch.column(0).as_primitive::<Int64Type>();
            assert_eq!(ints.iter().collect::<Vec<_>>(), [Some(1), None, Some(3)]);
            let flags = batch.column(1).as_boolean();
            assert_eq!(
                flags.iter().collect::<Vec<_>>(),
                [Some(true), None, Some(false)]
            );
            let text = batch.column(2).as_string::<i32>();
            assert_eq!(
                text.iter().collect::<Vec<_>>(),
                [Some("p"), None, Some("r")]
            );
        }
    }

    #[test]
    fn a_column_that_does_not_map_is_named() {
        for release in ["pandas-1.5.3", "pandas-2.2.3", "pandas-3.1.1"] {
            let err = batch(release, "objects.p4").unwrap_err();
            assert_eq!(
                err.to_string(),
                "column \"o\" has no Arrow type: an object column holding a int",
                "{release}"
            );
        }
    }
}
