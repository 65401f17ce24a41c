//! `DataFrame` and `Series`: the block manager in `_mgr`, its axes and blocks.

use brine_value::Value;

use crate::view::{Interpreter, Object, View};

use super::index::{self, Index};
use super::values::{self, Values};
use super::{PandasError, is_pandas, malformed, unsupported};

/// A `DataFrame`: its columns in order, its index, and the blocks they were read from.
#[derive(Debug, Clone)]
pub struct DataFrame<'g> {
    /// The row labels (the manager's second axis).
    pub index: Index<'g>,
    /// The column labels (the manager's first axis).
    pub column_index: Index<'g>,
    /// The blocks as the pickle lays them out: each holds the columns at its placement.
    pub blocks: Vec<Block<'g>>,
    columns: Vec<Column<'g>>,
}

impl<'g> DataFrame<'g> {
    /// The columns, in the frame's order, each with its values taken from its block.
    pub fn columns(&self) -> &[Column<'g>] {
        &self.columns
    }

    /// The column named `name` (a `str` label), if there is one.
    pub fn column(&self, interp: &Interpreter<'g>, name: &str) -> Option<&Column<'g>> {
        self.columns
            .iter()
            .find(|column| column.name.as_str(interp) == Some(name))
    }
}

/// One column of a frame.
#[derive(Debug, Clone)]
pub struct Column<'g> {
    /// The label.
    pub name: ColumnName<'g>,
    /// The values: a 1-d numpy array, or an extension array.
    pub values: Values<'g>,
}

/// A column label: a graph value (a `str` label of an object or string index), or an integer
/// of an integer or range index.
#[derive(Debug, Clone, Copy)]
pub enum ColumnName<'g> {
    /// A label that is a value of the graph.
    Value(&'g Value),
    /// An integer label of an `int64` or `RangeIndex` column index.
    Int(i64),
}

impl<'g> ColumnName<'g> {
    /// The label's text, when it is a `str`.
    pub fn as_str(&self, interp: &Interpreter<'g>) -> Option<&'g str> {
        match self {
            ColumnName::Value(value) => match interp.view(value) {
                View::Str(text) => text.as_str(),
                _ => None,
            },
            ColumnName::Int(_) => None,
        }
    }

    /// The label as text for messages and display: a `str` as it is, an integer in decimal,
    /// anything else described.
    pub fn describe(&self, interp: &Interpreter<'g>) -> String {
        match self {
            ColumnName::Int(n) => n.to_string(),
            ColumnName::Value(value) => match interp.view(value) {
                View::Str(text) => text.to_string(),
                View::Int(n) => n.to_string(),
                other => other.describe(),
            },
        }
    }
}

/// A block of a frame's manager: the values of the columns at `placement`, one row each.
#[derive(Debug, Clone)]
pub struct Block<'g> {
    /// The positions of the block's columns in the frame (`mgr_locs`).
    pub placement: Vec<u64>,
    /// The values: a 2-d numpy array (a row per column), or a 1-d extension array.
    pub values: Values<'g>,
}

/// A `Series`: its values, index and name.
#[derive(Debug, Clone)]
pub struct Series<'g> {
    /// The name (a graph value; `None` when it has none).
    pub name: Option<&'g Value>,
    /// The index.
    pub index: Index<'g>,
    /// The values.
    pub values: Values<'g>,
}

/// The state dict of an `NDFrame` (BUILD of `DataFrame()` / `Series()`) and its `_mgr`.
fn manager<'g>(
    interp: &Interpreter<'g>,
    object: &Object<'g>,
) -> Result<(Vec<Index<'g>>, Vec<Block<'g>>), PandasError> {
    let Some(mgr) = interp.pandas_field(&object.state, "_mgr") else {
        return match object.setstate {
            Some(_) => unsupported("a frame state without _mgr (pandas before 0.20)"),
            None => malformed("a frame without its _mgr state"),
        };
    };
    let mgr_object = interp.pandas_object(mgr, "_mgr")?;
    let Some(class) = mgr_object.class() else {
        return malformed(format!("_mgr is a {}", interp.describe(mgr)));
    };
    if !is_pandas(&class, "BlockManager") && !is_pandas(&class, "SingleBlockManager") {
        return unsupported(format!("the manager {class}"));
    }
    if let Some(state) = mgr_object.setstate.filter(|_| mgr_object.args.is_empty()) {
        return legacy_state(interp, state);
    }
    // BlockManager.__reduce__: (blocks, axes), or (block, axis) for a SingleBlockManager.
    let [blocks, axes] = mgr_object.args else {
        return malformed(format!(
            "{class} with {} arguments and no state",
            mgr_object.args.len()
        ));
    };
    let single = is_pandas(&class, "SingleBlockManager");
    let blocks: Vec<&Value> = if single {
        vec![blocks]
    } else {
        items(interp, blocks, "the blocks")?
    };
    let axes: Vec<&Value> = if single {
        vec![axes]
    } else {
        items(interp, axes, "the axes")?
    };
    let axes = axes
        .into_iter()
        .map(|axis| index::read(interp, axis, 0))
        .collect::<Result<Vec<_>, _>>()?;
    let blocks = blocks
        .into_iter()
        .map(|block| unpickled_block(interp, block))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((axes, blocks))
}

fn items<'g>(
    interp: &Interpreter<'g>,
    value: &'g Value,
    what: &str,
) -> Result<Vec<&'g Value>, PandasError> {
    match interp.view(value).into_items() {
        Ok(items) => Ok(items.iter().collect()),
        Err(other) => malformed(format!("{what} are a {}", other.describe())),
    }
}

/// `_unpickle_block(values, placement, ndim)` (pandas 1.3 and later; `new_block` and
/// `make_block` take the same arguments).
fn unpickled_block<'g>(
    interp: &Interpreter<'g>,
    value: &'g Value,
) -> Result<Block<'g>, PandasError> {
    let object = interp.pandas_object(value, "a block")?;
    let class = object.class();
    let known = ["_unpickle_block", "new_block", "make_block"];
    if !class
        .as_ref()
        .is_some_and(|class| known.iter().any(|name| is_pandas(class, name)))
    {
        return unsupported(format!("a block made by {}", interp.describe(value)));
    }
    let [values, placement, ..] = object.args else {
        return malformed(format!("a block with {} arguments", object.args.len()));
    };
    Ok(Block {
        placement: placement_of(interp, placement)?,
        values: values::read(interp, values, 0)?,
    })
}

/// The 0.13.1-compatible state `(axes, block_values, block_items, extra)`, read from its
/// `extra["0.14.1"]` (the axes, and each block's `values` and `mgr_locs`).
fn legacy_state<'g>(
    interp: &Interpreter<'g>,
    state: &'g Value,
) -> Result<(Vec<Index<'g>>, Vec<Block<'g>>), PandasError> {
    let View::Tuple(state) = interp.view(state) else {
        return malformed(format!("the manager state is a {}", interp.describe(state)));
    };
    let [_, _, _, extra] = state else {
        return unsupported(format!("a manager state of {} items", state.len()));
    };
    let Ok(extra) = interp.view(extra).into_pairs() else {
        return malformed(format!(
            "the manager's extra state is a {}",
            interp.describe(extra)
        ));
    };
    let Some(current) = interp.pandas_field(&extra, "0.14.1") else {
        return unsupported("a manager state without its 0.14.1 part (pandas before 0.14.1)");
    };
    let Ok(current) = interp.view(current).into_pairs() else {
        return malformed("the 0.14.1 state is not a dict");
    };
    let need = |key: &str| {
        interp
            .pandas_field(&current, key)
            .ok_or_else(|| PandasError::Malformed(format!("the 0.14.1 state has no {key}")))
    };
    let axes = items(interp, need("axes")?, "the axes")?
        .into_iter()
        .map(|axis| index::read(interp, axis, 0))
        .collect::<Result<Vec<_>, _>>()?;
    let blocks = items(interp, need("blocks")?, "the blocks")?
        .into_iter()
        .map(|block| {
            let Ok(block) = interp.view(block).into_pairs() else {
                return malformed(format!("a block is a {}", interp.describe(block)));
            };
            let need = |key: &str| {
                interp
                    .pandas_field(&block, key)
                    .ok_or_else(|| PandasError::Malformed(format!("a block has no {key}")))
            };
            Ok(Block {
                placement: placement_of(interp, need("mgr_locs")?)?,
                values: values::read(interp, need("values")?, 0)?,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((axes, blocks))
}

/// The most positions a placement may hold: a frame's columns are counted in the axis checked
/// later, so this only keeps a hostile `slice(0, 2**62)` from allocating.
const MAX_PLACEMENT: i64 = 1 << 20;

/// A block's placement: `slice(start, stop, step)` or an integer array of positions.
fn placement_of(interp: &Interpreter<'_>, value: &Value) -> Result<Vec<u64>, PandasError> {
    if let View::Slice { start, stop, step } = interp.view(value) {
        let int = |value: &Value, default: i64| match interp.view(value) {
            View::None => Ok(default),
            View::Int(n) => Ok(n),
            other => malformed(format!("a placement slice bound is a {}", other.describe())),
        };
        let (start, stop, step) = (int(&start, 0)?, int(&stop, 0)?, int(&step, 1)?);
        if start < 0 || stop < start || step <= 0 || stop - start > MAX_PLACEMENT {
            return unsupported(format!("the placement slice({start}, {stop}, {step})"));
        }
        return Ok((start..stop)
            .step_by(step as usize)
            .map(|n| n as u64)
            .collect());
    }
    let array = interp.pandas_ndarray(value, "a placement")?;
    let positions = match (array.dtype.kind, array.dtype.item_size) {
        ('i', 8) => array.to_vec::<i64>()?,
        ('i', 4) => array.to_vec::<i32>()?.into_iter().map(i64::from).collect(),
        _ => return malformed(format!("a placement of dtype {}", array.dtype)),
    };
    positions
        .into_iter()
        .map(|n| {
            u64::try_from(n).map_err(|_| PandasError::Malformed(format!("a placement of {n}")))
        })
        .collect()
}

/// A `DataFrame()` with BUILD `{'_mgr': BlockManager, ...}`.
pub(super) fn dataframe<'g>(
    interp: &Interpreter<'g>,
    object: &Object<'g>,
) -> Result<DataFrame<'g>, PandasError> {
    let (axes, blocks) = manager(interp, object)?;
    let Ok([column_index, index]) = <[Index<'g>; 2]>::try_from(axes) else {
        return malformed("a frame manager without two axes");
    };
    let n_columns = column_index.len();
    // Every column is in one block: the placements count the columns, and bound the slots by
    // what the pickle holds rather than by what the axis claims.
    let placed: u64 = blocks
        .iter()
        .map(|block| block.placement.len() as u64)
        .sum();
    if placed != n_columns {
        return malformed(format!("blocks place {placed} columns of {n_columns}"));
    }
    let mut slots: Vec<Option<Values<'g>>> = vec![None; placed as usize];
    for block in &blocks {
        let rows = match &block.values {
            Values::Numpy(array) if array.shape.len() == 2 => array.shape[0],
            _ => 1,
        };
        if block.placement.len() as u64 != rows {
            return malformed(format!(
                "a block of {rows} columns placed at {} positions",
                block.placement.len()
            ));
        }
        for (row, &position) in block.placement.iter().enumerate() {
            if position >= n_columns {
                return malformed(format!(
                    "a block placed at column {position} of {n_columns}"
                ));
            }
            let values = block.values.row(row as u64)?;
            if values.len() != index.len() {
                return malformed(format!(
                    "column {position} has {} values for {} rows",
                    values.len(),
                    index.len()
                ));
            }
            if slots[position as usize].replace(values).is_some() {
                return malformed(format!("two blocks hold column {position}"));
            }
        }
    }
    let names = column_names(&column_index)?;
    let columns = names
        .into_iter()
        .zip(slots.into_iter().flatten())
        .map(|(name, values)| Column { name, values })
        .collect();
    Ok(DataFrame {
        index,
        column_index,
        blocks,
        columns,
    })
}

/// The labels of a frame's column axis.
fn column_names<'g>(columns: &Index<'g>) -> Result<Vec<ColumnName<'g>>, PandasError> {
    use crate::numpy::ArrayData;
    match columns {
        // The caller checked the axis's length against the blocks' placements.
        Index::Range {
            start, stop, step, ..
        } => Ok(index::range_labels(*start, *stop, *step, columns.len())
            .into_iter()
            .map(ColumnName::Int)
            .collect()),
        Index::Values { values, .. } => match &**values {
            Values::Numpy(array) | Values::Strings { data: array, .. } => match &array.data {
                ArrayData::Objects(items) => Ok(items.iter().map(ColumnName::Value).collect()),
                ArrayData::Bytes(_) if array.dtype.kind == 'i' && array.dtype.item_size == 8 => {
                    Ok(array
                        .to_vec::<i64>()?
                        .into_iter()
                        .map(ColumnName::Int)
                        .collect())
                }
                _ => unsupported(format!("column labels of dtype {}", array.dtype)),
            },
            other => unsupported(format!("column labels of dtype {}", other.dtype_name())),
        },
        Index::Multi { .. } => unsupported("MultiIndex columns"),
    }
}

/// A `Series()` with BUILD `{'_mgr': SingleBlockManager, '_name' (or 'name'): ...}`.
pub(super) fn series<'g>(
    interp: &Interpreter<'g>,
    object: &Object<'g>,
) -> Result<Series<'g>, PandasError> {
    let (axes, blocks) = manager(interp, object)?;
    let Ok([index]) = <[Index<'g>; 1]>::try_from(axes) else {
        return malformed("a series manager without one axis");
    };
    let Ok([block]) = <[Block<'g>; 1]>::try_from(blocks) else {
        return malformed("a series manager without one block");
    };
    if block.values.len() != index.len() {
        return malformed(format!(
            "a series of {} values for {} labels",
            block.values.len(),
            index.len()
        ));
    }
    let name = interp
        .pandas_field(&object.state, "_name")
        .or_else(|| interp.pandas_field(&object.state, "name"))
        .filter(|name| !matches!(name, Value::None));
    Ok(Series {
        name,
        index,
        values: block.values,
    })
}
