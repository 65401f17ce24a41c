//! scikit-learn estimators as typed data: a fitted model's arrays reached by name, read
//! without scikit-learn.
//!
//! An estimator pickles as any instance does: its class made without arguments, then BUILD
//! with its `__dict__` (`BaseEstimator.__getstate__` adds `_sklearn_version`). Its
//! hyperparameters are the attributes without a trailing underscore, what `fit` learned the
//! ones with one (`coef_`, `intercept_`, `classes_`, `tree_`, `estimators_`), numpy arrays
//! among them. Nested estimators sit in its attributes: a `Pipeline`'s `steps` is a list of
//! `(name, estimator)` tuples, a forest's `estimators_` a list of trees.
//! A fitted tree's `tree_` is `sklearn.tree._tree.Tree(n_features, n_classes, n_outputs)`
//! REDUCE'd with a state dict holding `max_depth`, `node_count`, `nodes` (a structured array:
//! `left_child`, `right_child`, `feature`, `threshold`, `impurity`, `n_node_samples`,
//! `weighted_n_node_samples`, `missing_go_to_left`) and `values`.
//!
//! Values are reached by path: `.name` for an attribute (of an instance's dict state, a
//! `__setstate__` dict, or a slot) or a `str` key of a dict, `[i]` for an item of a list or
//! tuple (negative from the end), `['key']` for a dict key. `steps[1][1].coef_` is the
//! coefficients of a pipeline's second step, `estimators_[0].tree_.nodes` the node array of a
//! forest's first tree. [`Interpreter::arrays`] lists every array under a value with its path.
//!
//! Nothing here imports scikit-learn or runs anything: the names are compared.

use std::fmt;

use brine_value::Value;

use crate::numpy::{ArrayError, NdArray};
use crate::view::{GlobalName, Interpreter, Object, Pairs, View};

/// How deep [`Interpreter::arrays`] follows nested values: deeper than any estimator nests.
const MAX_NESTING: usize = 64;

/// The most arrays [`Interpreter::arrays`] lists.
const MAX_ARRAYS: usize = 1 << 16;

/// The most values [`Interpreter::arrays`] visits: a bound on the work a graph whose sharing
/// fans out (a list holding one list twice, nested 64 deep, has 2^64 paths) can cause.
const MAX_VISITS: usize = 1 << 20;

/// A scikit-learn estimator: an instance of a class under `sklearn`.
#[derive(Debug, Clone)]
pub struct Estimator<'g> {
    /// The class (`sklearn.linear_model._base.LinearRegression`).
    pub class: GlobalName<'g>,
    /// The scikit-learn version that pickled it (`_sklearn_version`), when recorded.
    pub version: Option<&'g str>,
    /// Its attributes, in the order the pickle set them.
    pub attributes: Pairs<'g>,
}

impl<'g> Estimator<'g> {
    /// The attributes `fit` set: those whose name ends with `_` but does not start with `_`,
    /// in order.
    pub fn fitted(&self, interp: &Interpreter<'g>) -> Vec<(&'g str, &'g Value)> {
        self.attributes
            .iter()
            .filter_map(|(key, value)| Some((interp.str_at(key)?, value)))
            .filter(|(name, _)| name.ends_with('_') && !name.starts_with('_'))
            .collect()
    }

    /// The attribute `name` (the last the pickle set, as Python keeps it).
    pub fn get(&self, interp: &Interpreter<'g>, name: &str) -> Option<&'g Value> {
        field(interp, &self.attributes, name)
    }
}

/// Why a path does not lead to a value.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PathError {
    /// The path is not made of `.name`, `[i]` and `['key']` steps; the message says where.
    Syntax(String),
    /// The step at this position names nothing in the value it is applied to.
    NotFound {
        /// The path up to and including the step that failed.
        at: String,
        /// What the value there is.
        found: String,
    },
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathError::Syntax(what) => write!(f, "bad path: {what}"),
            PathError::NotFound { at, found } => write!(f, "`{at}` names nothing in a {found}"),
        }
    }
}

impl std::error::Error for PathError {}

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step<'p> {
    Name(&'p str),
    Index(i64),
    Key(&'p str),
}

impl<'g> Interpreter<'g> {
    /// `value` as a scikit-learn estimator: `None` when it is not an instance of a class in a
    /// module under `sklearn`, or has no dict state.
    ///
    /// # Example
    ///
    /// ```
    /// use brine_interpret::Interpreter;
    ///
    /// // pickle.dumps(LinearRegression().fit(...)) at protocol 4, cut to one attribute.
    /// let pickle = b"\x80\x04\x8c\x1asklearn.linear_model._base\x8c\x10LinearRegression\x93)\x81}(\x8c\x05coef_G?\xf0\x00\x00\x00\x00\x00\x00\x8c\x10_sklearn_version\x8c\x051.6.1ub.";
    /// let graph = brine_vm::from_slice(pickle, &Default::default())?;
    /// let interp = Interpreter::new(&graph);
    /// let model = interp.estimator(graph.root_value()).unwrap();
    /// assert_eq!(model.class.name, "LinearRegression");
    /// assert_eq!(model.version, Some("1.6.1"));
    /// let names: Vec<&str> = model.fitted(&interp).into_iter().map(|(name, _)| name).collect();
    /// assert_eq!(names, ["coef_"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn estimator(&self, value: &Value) -> Option<Estimator<'g>> {
        let View::Object(object) = self.view(value) else {
            return None;
        };
        let class = object.class()?;
        if class.module != "sklearn" && !class.module.starts_with("sklearn.") {
            return None;
        }
        let attributes = attributes(self, &object)?;
        let version = field(self, &attributes, "_sklearn_version").and_then(|v| self.str_at(v));
        Some(Estimator {
            class,
            version,
            attributes,
        })
    }

    /// The value `path` leads to from `value`: `.name` an attribute or `str` key, `[i]` an
    /// item, `['key']` a dict key (a leading `.` may be left out).
    ///
    /// # Errors
    ///
    /// When the path is malformed, or a step names nothing.
    ///
    /// # Example
    ///
    /// ```
    /// use brine_interpret::{Interpreter, View};
    ///
    /// // pickle.dumps({'steps': [('scale', None), ('fit', (1, 2))]}, protocol=4)
    /// let pickle = b"\x80\x04}\x8c\x05steps](\x8c\x05scaleN\x86\x8c\x03fitK\x01K\x02\x86\x86es.";
    /// let graph = brine_vm::from_slice(pickle, &Default::default())?;
    /// let interp = Interpreter::new(&graph);
    /// let found = interp.lookup(graph.root_value(), "steps[1][1][-1]")?;
    /// assert!(matches!(interp.view(found), View::Int(2)));
    /// let err = interp.lookup(graph.root_value(), "steps[2]").unwrap_err();
    /// assert_eq!(err.to_string(), "`steps[2]` names nothing in a list");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn lookup(&self, value: &'g Value, path: &str) -> Result<&'g Value, PathError> {
        let mut current = value;
        let mut rest = path;
        let mut done = 0;
        while !rest.is_empty() {
            let (step, after) = next_step(rest, done == 0)?;
            done = path.len() - after.len();
            current = self
                .step(current, &step)
                .ok_or_else(|| PathError::NotFound {
                    at: path[..done].to_owned(),
                    found: self.describe(current),
                })?;
            rest = after;
        }
        Ok(current)
    }

    /// The numpy array (or joblib array wrapper) `path` leads to from `value`.
    ///
    /// # Errors
    ///
    /// As [`Interpreter::lookup`], and when the value there is not an array
    /// ([`ArrayError::Malformed`] naming it) or not one brine reads.
    pub fn array_at(&self, value: &'g Value, path: &str) -> Result<NdArray<'g>, ArrayAtError> {
        let found = self.lookup(value, path).map_err(ArrayAtError::Path)?;
        match self.ndarray(found) {
            Some(array) => array.map_err(ArrayAtError::Array),
            None => Err(ArrayAtError::Array(ArrayError::Malformed(format!(
                "`{path}` is a {}, not a numpy array",
                self.describe(found)
            )))),
        }
    }

    /// Every numpy array under `value` (joblib's wrappers included), named by its path from
    /// `value` in the syntax of [`Interpreter::lookup`], depth first in pickle order: through
    /// instance attributes, dicts (`str` keys as `.name`, others as `[key]`), lists and tuples.
    /// An array reached along two paths is listed under both; a value the walk meets again
    /// inside itself is not entered twice. The walk stops after 2^20 values or 2^16 arrays.
    pub fn arrays(&self, value: &'g Value) -> Vec<(String, Result<NdArray<'g>, ArrayError>)> {
        let mut out = Vec::new();
        // (path, value, the node ids on the way, for cycles)
        let mut stack: Vec<(String, &'g Value, Vec<brine_value::NodeId>)> =
            vec![(String::new(), value, Vec::new())];
        let mut visits = 0;
        while let Some((path, value, mut above)) = stack.pop() {
            visits += 1;
            if out.len() >= MAX_ARRAYS || visits > MAX_VISITS {
                break;
            }
            if let Some(array) = self.ndarray(value) {
                out.push((path, array));
                continue;
            }
            if above.len() >= MAX_NESTING {
                continue;
            }
            if let Value::Node(id) = value {
                if above.contains(id) {
                    continue;
                }
                above.push(*id);
            }
            let mut children: Vec<(String, &'g Value)> = Vec::new();
            match self.view(value) {
                View::Dict(pairs) | View::OrderedDict(pairs) => {
                    for (key, child) in pairs.iter() {
                        children.push((join(&path, key_step(self, key)), child));
                    }
                }
                View::List(items) => {
                    for (i, child) in items.iter().enumerate() {
                        children.push((format!("{path}[{i}]"), child));
                    }
                }
                View::Tuple(items) => {
                    for (i, child) in items.iter().enumerate() {
                        children.push((format!("{path}[{i}]"), child));
                    }
                }
                View::Object(object) => {
                    if let Some(attrs) = attributes(self, &object) {
                        for (key, child) in attrs.iter() {
                            children.push((join(&path, key_step(self, key)), child));
                        }
                    }
                    for (key, child) in object.slots.iter() {
                        children.push((join(&path, key_step(self, key)), child));
                    }
                }
                _ => {}
            }
            stack.extend(
                children
                    .into_iter()
                    .rev()
                    .map(|(path, child)| (path, child, above.clone())),
            );
        }
        out
    }

    fn step(&self, value: &'g Value, step: &Step<'_>) -> Option<&'g Value> {
        match (self.view(value), step) {
            (View::Dict(pairs) | View::OrderedDict(pairs), Step::Name(key) | Step::Key(key)) => {
                field(self, &pairs, key)
            }
            (View::List(items), Step::Index(i)) => {
                let items: Vec<&'g Value> = items.iter().collect();
                items.get(index(*i, items.len())?).copied()
            }
            (View::Tuple(items), Step::Index(i)) => items.get(index(*i, items.len())?),
            (View::Object(object), Step::Name(name)) => attributes(self, &object)
                .and_then(|attrs| field(self, &attrs, name))
                .or_else(|| field(self, &object.slots, name)),
            (View::Object(object), Step::Key(key)) => field(self, &object.dict_items, key),
            (View::Object(object), Step::Index(i)) => {
                let items: Vec<&'g Value> = object.list_items.iter().collect();
                items.get(index(*i, items.len())?).copied()
            }
            _ => None,
        }
    }
}

/// Why [`Interpreter::array_at`] found no array.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ArrayAtError {
    /// The path leads nowhere.
    Path(PathError),
    /// What it leads to is not an array brine reads.
    Array(ArrayError),
}

impl fmt::Display for ArrayAtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArrayAtError::Path(err) => err.fmt(f),
            ArrayAtError::Array(err) => err.fmt(f),
        }
    }
}

impl std::error::Error for ArrayAtError {}

/// An object's attributes: its dict state, or a `__setstate__` state that is a dict (as
/// sklearn's `Tree` and any `__reduce__` with a dict state give).
fn attributes<'g>(interp: &Interpreter<'g>, object: &Object<'g>) -> Option<Pairs<'g>> {
    if !object.state.is_empty() {
        return Some(object.state.clone());
    }
    match object.setstate.map(|state| interp.view(state)) {
        Some(View::Dict(pairs)) => Some(pairs),
        _ if object.setstate.is_none() => Some(object.state.clone()),
        _ => None,
    }
}

/// The value under the `str` key `name` of `pairs`, the last one as Python keeps it.
fn field<'g>(interp: &Interpreter<'g>, pairs: &Pairs<'g>, name: &str) -> Option<&'g Value> {
    pairs
        .iter()
        .filter(|(key, _)| interp.str_at(key) == Some(name))
        .map(|(_, value)| value)
        .last()
}

/// The path step for a dict key: `.name` for an identifier, `['text']` for other text, `[n]`
/// for an int, `[?]` for anything else.
fn key_step(interp: &Interpreter<'_>, key: &Value) -> String {
    match interp.view(key) {
        View::Str(text) => match text.as_str() {
            Some(name) if is_identifier(name) => format!(".{name}"),
            Some(text) if !text.contains('\'') => format!("['{text}']"),
            _ => "[?]".to_owned(),
        },
        View::Int(n) => format!("[{n}]"),
        _ => "[?]".to_owned(),
    }
}

/// `path` then `step`, without the dot of a name that starts the path.
fn join(path: &str, step: String) -> String {
    match step.strip_prefix('.') {
        Some(name) if path.is_empty() => name.to_owned(),
        _ => format!("{path}{step}"),
    }
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c == '_' || c.is_alphabetic())
        && chars.all(|c| c == '_' || c.is_alphanumeric())
}

fn index(i: i64, len: usize) -> Option<usize> {
    let i = if i < 0 {
        (len as i64).checked_add(i)?
    } else {
        i
    };
    usize::try_from(i).ok().filter(|&i| i < len)
}

/// The first step of `rest` and what follows it; `first` allows a name without a dot.
fn next_step(rest: &str, first: bool) -> Result<(Step<'_>, &str), PathError> {
    if let Some(inner) = rest.strip_prefix('[') {
        let Some(close) = inner.find(']') else {
            return Err(PathError::Syntax(format!("`[` without `]` in `{rest}`")));
        };
        let body = &inner[..close];
        let after = &inner[close + 1..];
        let quoted = body
            .strip_prefix('\'')
            .and_then(|b| b.strip_suffix('\''))
            .or_else(|| body.strip_prefix('"').and_then(|b| b.strip_suffix('"')));
        if let Some(key) = quoted {
            return Ok((Step::Key(key), after));
        }
        return match body.trim().parse::<i64>() {
            Ok(i) => Ok((Step::Index(i), after)),
            Err(_) => Err(PathError::Syntax(format!(
                "`[{body}]` is neither an index nor a quoted key"
            ))),
        };
    }
    let name_start = match rest.strip_prefix('.') {
        Some(name) => name,
        None if first => rest,
        None => {
            return Err(PathError::Syntax(format!(
                "`{rest}` does not start with `.` or `[`"
            )));
        }
    };
    let end = name_start.find(['.', '[']).unwrap_or(name_start.len());
    if end == 0 {
        return Err(PathError::Syntax(format!("an empty name before `{rest}`")));
    }
    Ok((Step::Name(&name_start[..end]), &name_start[end..]))
}

#[cfg(test)]
mod tests {
    use brine_value::{Graph, Node, Value};

    use crate::Interpreter;

    /// A list holding the list below it twice, 60 deep: 2^60 paths, walked within the bound.
    #[test]
    fn a_fanning_out_graph_is_walked_within_the_bound() {
        let mut graph = Graph::new();
        let mut below = Value::Int(1);
        for _ in 0..60 {
            below = Value::Node(graph.add(Node::List(vec![below, below])));
        }
        graph.set_root(below);
        let interp = Interpreter::new(&graph);
        assert!(interp.arrays(graph.root_value()).is_empty());
        assert!(matches!(
            interp.view(interp.lookup(graph.root_value(), "[0][1][0]").unwrap()),
            crate::View::List(_)
        ));
    }
}
