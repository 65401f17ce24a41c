//! pandas indexes: `_new_Index(cls, dict)` and `_new_DatetimeIndex(cls, dict)`.

use brine_value::Value;

use crate::numpy::NdArray;
use crate::view::{Interpreter, View};

use super::values::{self, Values};
use super::{MAX_DEPTH, PandasError, is_pandas, malformed, too_deep};

/// A pandas index.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Index<'g> {
    /// A `RangeIndex`: `range(start, stop, step)`.
    Range {
        /// The name (a graph value; `None` when it has none).
        name: Option<&'g Value>,
        /// The first value.
        start: i64,
        /// The end, not included.
        stop: i64,
        /// The step, never zero.
        step: i64,
    },
    /// Any other single-level index (`Index`, `DatetimeIndex`, `Int64Index`,
    /// `CategoricalIndex`, ...) by its values.
    Values {
        /// The class name, e.g. `Index` or `DatetimeIndex`.
        class: String,
        /// The name (a graph value; `None` when it has none).
        name: Option<&'g Value>,
        /// The values.
        values: Box<Values<'g>>,
    },
    /// A `MultiIndex`: for each level its values and its codes into them.
    Multi {
        /// The names of the levels, graph values.
        names: Vec<&'g Value>,
        /// The levels.
        levels: Vec<Index<'g>>,
        /// The codes of each level, `-1` for a missing value.
        codes: Vec<NdArray<'g>>,
    },
}

impl<'g> Index<'g> {
    /// The number of labels.
    pub fn len(&self) -> u64 {
        match self {
            Index::Range {
                start, stop, step, ..
            } => {
                let (start, stop, step) = (*start as i128, *stop as i128, *step as i128);
                let span = if step > 0 { stop - start } else { start - stop };
                if span <= 0 {
                    0
                } else {
                    ((span - 1) / step.abs() + 1) as u64
                }
            }
            Index::Values { values, .. } => values.len(),
            Index::Multi { codes, .. } => codes.first().map_or(0, NdArray::len),
        }
    }

    /// Whether there are no labels.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The class name: `RangeIndex`, `MultiIndex`, or the class of [`Index::Values`].
    pub fn class(&self) -> &str {
        match self {
            Index::Range { .. } => "RangeIndex",
            Index::Values { class, .. } => class,
            Index::Multi { .. } => "MultiIndex",
        }
    }
}

/// The labels of `range(start, stop, step)`, at most `limit` of them (the caller's bound on
/// what it can use, so a hostile range allocates nothing more).
pub(super) fn range_labels(start: i64, stop: i64, step: i64, limit: u64) -> Vec<i64> {
    let mut labels = Vec::new();
    let mut label = Some(start);
    while let Some(n) = label {
        if labels.len() as u64 >= limit || !((step > 0 && n < stop) || (step < 0 && n > stop)) {
            break;
        }
        labels.push(n);
        label = n.checked_add(step);
    }
    labels
}

/// `value` as an index.
pub(super) fn read<'g>(
    interp: &Interpreter<'g>,
    value: &'g Value,
    depth: usize,
) -> Result<Index<'g>, PandasError> {
    if depth > MAX_DEPTH {
        return too_deep();
    }
    let object = interp.pandas_object(value, "the index")?;
    let Some(function) = object.class() else {
        return malformed(format!("the index is a {}", interp.describe(value)));
    };
    if !is_pandas(&function, "_new_Index") && !is_pandas(&function, "_new_DatetimeIndex") {
        return malformed(format!("the index is a {}", interp.describe(value)));
    }
    let [class, fields] = object.args else {
        return malformed(format!(
            "{function} with {} arguments, not 2",
            object.args.len()
        ));
    };
    let View::Global(class) = interp.view(class) else {
        return malformed(format!("the index class is a {}", interp.describe(class)));
    };
    let Ok(fields) = interp.view(fields).into_pairs() else {
        return malformed(format!(
            "the {class} fields are a {}",
            interp.describe(fields)
        ));
    };
    let field = |key: &str| interp.pandas_field(&fields, key);
    let need = |key: &str| {
        field(key).ok_or_else(|| PandasError::Malformed(format!("a {class} without {key}")))
    };
    let name = field("name").filter(|name| !matches!(name, Value::None));
    match &*class.name {
        "RangeIndex" => {
            let int = |key: &str| match interp.view(need(key)?) {
                View::Int(n) => Ok(n),
                other => malformed(format!("the RangeIndex {key} is a {}", other.describe())),
            };
            let (start, stop, step) = (int("start")?, int("stop")?, int("step")?);
            if step == 0 {
                return malformed("a RangeIndex step of 0");
            }
            Ok(Index::Range {
                name,
                start,
                stop,
                step,
            })
        }
        "MultiIndex" => {
            let items = |key: &str| {
                interp.view(need(key)?).into_items().map_err(|other| {
                    PandasError::Malformed(format!(
                        "the MultiIndex {key} are a {}",
                        other.describe()
                    ))
                })
            };
            let levels = items("levels")?
                .iter()
                .map(|level| read(interp, level, depth + 1))
                .collect::<Result<Vec<_>, _>>()?;
            let codes = items("codes")?
                .iter()
                .map(|codes| interp.pandas_ndarray(codes, "a level's codes"))
                .collect::<Result<Vec<_>, _>>()?;
            let names: Vec<&Value> = items("names")?.iter().collect();
            if codes.len() != levels.len() || names.len() != levels.len() {
                return malformed(format!(
                    "a MultiIndex of {} levels with {} codes and {} names",
                    levels.len(),
                    codes.len(),
                    names.len()
                ));
            }
            if codes
                .iter()
                .any(|codes| codes.dtype.kind != 'i' || codes.shape.len() != 1)
            {
                return malformed("MultiIndex codes that are not 1-d integer arrays");
            }
            let len = codes.first().map_or(0, NdArray::len);
            if codes.iter().any(|codes| codes.len() != len) {
                return malformed("MultiIndex codes of different lengths");
            }
            Ok(Index::Multi {
                names,
                levels,
                codes,
            })
        }
        other => Ok(Index::Values {
            class: other.to_owned(),
            name,
            values: Box::new(values::read(interp, need("data")?, depth + 1)?),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::range_labels;

    #[test]
    fn range_labels_are_python_ranges_within_a_limit() {
        assert_eq!(range_labels(2, 11, 3, 100), [2, 5, 8]);
        assert_eq!(range_labels(5, 0, -2, 100), [5, 3, 1]);
        assert_eq!(range_labels(0, 0, 1, 100), [0i64; 0]);
        assert_eq!(range_labels(0, i64::MAX, 1, 4), [0, 1, 2, 3]);
        // The next label would overflow: the range ends, as Python's does at `stop`.
        assert_eq!(range_labels(i64::MAX - 1, i64::MAX, 2, 100), [i64::MAX - 1]);
    }
}
