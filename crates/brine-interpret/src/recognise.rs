//! The recognisers: which REDUCE calls of the standard library and of `copyreg` stand for
//! which values, read from the graph without changing it, in one table.
//!
//! A recogniser is a function of the call's arguments, found by the Python 3 name of the
//! callable ([`RECOGNISERS`]). Adding one is a function in the module of its Python module
//! and one entry in the table.

mod builtins;
mod codecs;
mod collections;
mod copyreg;
mod datetime;
mod numbers;

use brine_value::{Graph, Node, PyStr, Value, compat};

use crate::view::{GlobalName, Object, ObjectKind, View};

/// How deep a pattern may look through nested reductions (`bytes(_codecs.encode(...))`,
/// `getattr(getattr(...), ...)`): enough for every form CPython writes, and a bound on work.
pub(crate) const MAX_PATTERN_DEPTH: usize = 16;

/// A recogniser: the view of `callable(*args)`, or `None` when the arguments are not what
/// the callable takes (Python would raise, so the call stays a call). `depth` counts the
/// reductions looked through to get here.
pub(crate) type Recognise = for<'g> fn(Reader<'g>, &'g [Value], usize) -> Option<View<'g>>;

/// The known callables, by their Python 3 module and name (Python 2 names are mapped
/// through `_compat_pickle`'s tables first).
pub(crate) const RECOGNISERS: &[(&str, &str, Recognise)] = &[
    ("builtins", "set", builtins::set),
    ("builtins", "frozenset", builtins::frozenset),
    ("builtins", "list", builtins::list),
    ("builtins", "tuple", builtins::tuple),
    ("builtins", "dict", builtins::dict),
    ("builtins", "bytes", builtins::bytes),
    ("builtins", "bytearray", builtins::bytearray),
    ("builtins", "complex", builtins::complex),
    ("builtins", "range", builtins::range),
    ("builtins", "slice", builtins::slice),
    ("builtins", "getattr", builtins::getattr),
    ("_codecs", "encode", codecs::encode),
    ("collections", "OrderedDict", collections::ordered_dict),
    ("collections", "defaultdict", collections::defaultdict),
    ("collections", "Counter", collections::counter),
    ("collections", "deque", collections::deque),
    ("datetime", "date", datetime::date),
    ("datetime", "time", datetime::time),
    ("datetime", "datetime", datetime::datetime),
    ("datetime", "timedelta", datetime::timedelta),
    ("datetime", "timezone", datetime::timezone),
    ("decimal", "Decimal", numbers::decimal),
    ("fractions", "Fraction", numbers::fraction),
    ("copyreg", "_reconstructor", copyreg::reconstructor),
    ("copyreg", "__newobj__", copyreg::newobj),
    ("copyreg", "__newobj_ex__", copyreg::newobj_ex),
];

/// Read access to the graph for the recognisers.
#[derive(Clone, Copy)]
pub(crate) struct Reader<'g> {
    graph: &'g Graph,
}

impl<'g> Reader<'g> {
    pub(crate) fn new(graph: &'g Graph) -> Reader<'g> {
        Reader { graph }
    }

    pub(crate) fn graph(self) -> &'g Graph {
        self.graph
    }

    /// An int argument within `i64`, a Python 2 int kept for its type included (Python 3
    /// loads `5L` as `5`).
    pub(crate) fn int(self, value: &Value) -> Option<i64> {
        self.graph.get(value).as_i64()
    }

    /// The view of a REDUCE: a known form, or a generic call. `None` when the arguments are
    /// not a tuple.
    pub(crate) fn reduce(self, callable: &'g Value, args: &'g Value) -> Option<View<'g>> {
        let items = self.tuple(args)?;
        if let Some(view) = self.known(callable, items, 0) {
            return Some(view);
        }
        if let Some(view) = copyreg::partial_new(self, callable, items) {
            return Some(view);
        }
        self.generic_call(callable, args)
    }

    /// `callable(*args)` as a generic call.
    pub(crate) fn generic_call(self, callable: &'g Value, args: &'g Value) -> Option<View<'g>> {
        let mut object = Object::new(self.graph, ObjectKind::Call, *callable);
        object.args = self.tuple(args)?;
        Some(View::Object(Box::new(object)))
    }

    /// A known call `callable(*args)`, looked up in [`RECOGNISERS`].
    pub(crate) fn known(
        self,
        callable: &Value,
        args: &'g [Value],
        depth: usize,
    ) -> Option<View<'g>> {
        if depth > MAX_PATTERN_DEPTH {
            return None;
        }
        let name = self.known_name(callable)?;
        let (_, _, recognise) = RECOGNISERS
            .iter()
            .find(|(module, qualname, _)| (*module, *qualname) == name)?;
        recognise(self, args, depth)
    }

    /// The view of a value that is itself a known call: `Some` only for a REDUCE a
    /// recogniser knows.
    pub(crate) fn known_value(self, value: &Value, depth: usize) -> Option<View<'g>> {
        match self.node(value)? {
            Node::Reduce { callable, args } => self.known(callable, self.tuple(args)?, depth),
            _ => None,
        }
    }

    pub(crate) fn node(self, value: &Value) -> Option<&'g Node> {
        self.graph.try_node(value.node()?)
    }

    /// The text of a `str` node without lone surrogates, or of an ASCII Python 2 `str`
    /// (the same text in every encoding): names, encodings, digits.
    pub(crate) fn text(self, value: &Value) -> Option<&'g str> {
        match self.node(value)? {
            Node::Py2Str(data) if data.is_ascii() => std::str::from_utf8(data).ok(),
            _ => self.pystr(value)?.as_str(),
        }
    }

    pub(crate) fn pystr(self, value: &Value) -> Option<&'g PyStr> {
        match self.node(value)? {
            Node::Str(text) => Some(text),
            _ => None,
        }
    }

    pub(crate) fn tuple(self, value: &Value) -> Option<&'g [Value]> {
        match self.node(value)? {
            Node::Tuple(items) => Some(items),
            _ => None,
        }
    }

    pub(crate) fn dict(self, value: &Value) -> Option<&'g [(Value, Value)]> {
        match self.node(value)? {
            Node::Dict(pairs) => Some(pairs),
            _ => None,
        }
    }

    pub(crate) fn dict_or_none(self, value: &Value) -> Option<&'g [(Value, Value)]> {
        match value {
            Value::None => Some(&[]),
            _ => self.dict(value),
        }
    }

    /// The items of a list or tuple.
    pub(crate) fn sequence(self, value: &Value) -> Option<&'g [Value]> {
        match self.node(value)? {
            Node::List(items) | Node::Tuple(items) => Some(items),
            _ => None,
        }
    }

    /// The global a value names, as written: a global node, or `getattr(global, 'attr')`.
    pub(crate) fn global(self, value: &Value, depth: usize) -> Option<GlobalName<'g>> {
        if depth > MAX_PATTERN_DEPTH {
            return None;
        }
        match self.node(value)? {
            Node::Global { module, name } => Some(GlobalName {
                module: self.text(module)?,
                name: self.text(name)?.into(),
            }),
            Node::Reduce { callable, args } => {
                if self.known_name(callable)? != ("builtins", "getattr") {
                    return None;
                }
                builtins::attribute(self, self.tuple(args)?, depth)
            }
            _ => None,
        }
    }

    /// The Python 3 name of a class: a global, or dill's `_load_type(name)`, by which dill
    /// names the builtin types (`object` as the base of `copyreg._reconstructor` at protocols
    /// 0 and 1).
    pub(crate) fn class_name(self, value: &Value) -> Option<(&'g str, &'g str)> {
        if let Some(name) = self.known_name(value) {
            return Some(name);
        }
        let Node::Reduce { callable, args } = self.node(value)? else {
            return None;
        };
        let Node::Global { module, name } = self.node(callable)? else {
            return None;
        };
        if !matches!(self.text(module)?, "dill._dill" | "dill.dill")
            || self.text(name)? != "_load_type"
        {
            return None;
        }
        let [type_name] = self.tuple(args)? else {
            return None;
        };
        Some(("builtins", self.text(type_name)?))
    }

    /// The Python 3 name of a global node, for matching known callables: `__builtin__.set`
    /// and `builtins.set` are the same.
    pub(crate) fn known_name(self, value: &Value) -> Option<(&'g str, &'g str)> {
        match self.node(value)? {
            Node::Global { module, name } => {
                Some(compat::py2_to_py3(self.text(module)?, self.text(name)?))
            }
            _ => None,
        }
    }
}
