//! [`View`]: what one value of a graph means, borrowed from the graph, computed when asked.

use std::borrow::Cow;
use std::fmt;

use brine_value::{Change, Graph, Node, NodeId, PickleBuffer, PyStr, Value};
use bytes::Bytes;
use num_bigint::BigInt;

use crate::absorb;
use crate::recognise::Reader;
use crate::time::{Date, Time, TimeDelta, TimeZone};

/// The interpreter over one graph: hands out a [`View`] of any value, on demand.
///
/// Nothing is copied or precomputed: each call to [`Interpreter::view`] looks at the node,
/// the reduction it records and the changes made to it, and answers with slices of the graph.
/// It is `Copy`, and cheap to make.
///
/// # Example
///
/// ```
/// use brine_interpret::{Interpreter, View};
/// use brine_value::{Graph, Node, Value};
///
/// // reduce(<global builtins.set>, ([1, 2],)), as protocols 0 to 3 write a set.
/// let mut graph = Graph::new();
/// let module = graph.add_str("builtins");
/// let name = graph.add_str("set");
/// let set = graph.add(Node::Global { module, name });
/// let items = graph.add(Node::List(vec![Value::Int(1), Value::Int(2)]));
/// let args = graph.add(Node::Tuple(vec![Value::Node(items)]));
/// let root = graph.add(Node::Reduce { callable: Value::Node(set), args: Value::Node(args) });
/// graph.set_root(Value::Node(root));
///
/// let view = Interpreter::new(&graph).root();
/// let View::Set(items) = &view else { panic!("not a set: {view:?}") };
/// assert_eq!(items.iter().collect::<Vec<_>>(), [&Value::Int(1), &Value::Int(2)]);
/// assert_eq!(view.kind_name(), "set");
/// ```
#[derive(Clone, Copy)]
pub struct Interpreter<'g> {
    graph: &'g Graph,
}

impl<'g> Interpreter<'g> {
    /// An interpreter over `graph`.
    pub fn new(graph: &'g Graph) -> Interpreter<'g> {
        Interpreter { graph }
    }

    /// The graph.
    pub fn graph(&self) -> &'g Graph {
        self.graph
    }

    /// What the graph's root means.
    pub fn root(&self) -> View<'g> {
        self.view(self.graph.root_value())
    }

    /// What `value` means: a scalar as it is, a node as its [`NodeView::view`] (the changes
    /// that could not be merged into it left out; [`Interpreter::node`] gives them).
    pub fn view(&self, value: &Value) -> View<'g> {
        match *value {
            Value::None => View::None,
            Value::Bool(v) => View::Bool(v),
            Value::Int(v) => View::Int(v),
            Value::BigInt(id) => match self.graph.try_bigint(id) {
                // A Python 2 int kept for its Python 2 type (`brine_value::Py2Int`) is the
                // int Python 3 loads.
                Some(v) => i64::try_from(v).map_or(View::BigInt(v), View::Int),
                None => View::Missing,
            },
            Value::Float(v) => View::Float(v),
            Value::Node(id) => self.node(id).view,
        }
    }

    /// What node `id` means, with the changes made to it merged in where the object can hold
    /// them, and the rest.
    pub fn node(&self, id: NodeId) -> NodeView<'g> {
        absorb::node(Reader::new(self.graph), id)
    }

    /// Node `id` read as the generic call its REDUCE records (`callable(*args)`, with its
    /// changes merged in), whatever a recogniser makes of it; `None` when the node is not a
    /// REDUCE with an argument tuple. For readers that map only some recognised kinds: a
    /// `Decimal` is also the call `decimal.Decimal('3.14')`.
    pub fn call(&self, id: NodeId) -> Option<NodeView<'g>> {
        absorb::call(Reader::new(self.graph), id)
    }

    /// The short kind name of what `value` means: `"int"`, `"set"`, `"datetime"`,
    /// `"instance"`, … ([`View::kind_name`]).
    pub fn kind_name(&self, value: &Value) -> &'static str {
        self.view(value).kind_name()
    }

    /// What `value` means, in words for messages: the kind name, with the class or callable
    /// for an object and the name for a global (`"m.C instance"`, `"call of posix.system"`,
    /// `"global os.system"`).
    pub fn describe(&self, value: &Value) -> String {
        self.view(value).describe()
    }
}

impl fmt::Debug for Interpreter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Interpreter")
            .field("nodes", &self.graph.len())
            .finish()
    }
}

/// A node's [`View`], and the changes made to it that the view could not hold.
#[derive(Debug, Clone)]
pub struct NodeView<'g> {
    /// What the node means, with the changes it could hold merged in.
    pub view: View<'g>,
    /// The changes after the last one merged: a second `__setstate__` state, ADDITEMS on an
    /// instance. Empty nearly always.
    pub unmerged: &'g [Change],
}

/// What one value of a graph means.
///
/// The plain kinds (`None` to `FrozenSet`) are the graph's own; the others are what
/// [`Interpreter`] recognised in a reduction. Child values are the graph's own [`Value`]s,
/// to view in turn. What is not recognised is an [`Object`] of kind [`ObjectKind::Call`] (a
/// REDUCE of an unknown callable) or a [`View::Record`] (a malformed node), never dropped.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum View<'g> {
    /// Python `None`.
    None,
    /// Python `bool`.
    Bool(bool),
    /// A Python `int` within `i64`.
    Int(i64),
    /// A Python `int` beyond `i64`.
    BigInt(&'g BigInt),
    /// Python `float`.
    Float(f64),
    /// Python `str`.
    Str(&'g PyStr),
    /// A Python 2 `str` read as text with the graph's encoding ([`brine_value::Graph::py2_text`]),
    /// as `pickle.loads` gives it (sharing the graph's bytes where no decoding was needed).
    /// With `encoding="bytes"` it is a [`View::Bytes`] instead, and bytes the encoding cannot
    /// decode are a [`View::Record`] of the node.
    Py2Str(PyStr),
    /// Python `bytes`: BINBYTES, or `_codecs.encode(text, 'latin1')` and `bytes()` at
    /// protocols 0 to 2.
    Bytes(Data<'g>),
    /// Python `bytearray`: BYTEARRAY8, or `bytearray(...)` at protocols 0 to 4.
    ByteArray(Data<'g>),
    /// Python `tuple`.
    Tuple(&'g [Value]),
    /// Python `list`; also `list(iterable)` and a list grown by APPEND.
    List(Items<'g>),
    /// Python `dict`, in insertion order; also `dict(mapping)`.
    Dict(Pairs<'g>),
    /// Python `set`: EMPTY_SET and ADDITEMS, or `set([...])`; in pickle order.
    Set(Items<'g>),
    /// Python `frozenset`: FROZENSET, or `frozenset([...])`; in pickle order.
    FrozenSet(Items<'g>),
    /// A global name; `getattr(Outer, 'Inner')` (how protocols 0 to 3 write nested classes)
    /// is the global `Outer.Inner`.
    Global(GlobalName<'g>),
    /// `complex(real, imag)`.
    Complex {
        /// The real part.
        real: f64,
        /// The imaginary part.
        imag: f64,
    },
    /// `collections.OrderedDict`, its items in order.
    OrderedDict(Pairs<'g>),
    /// `collections.defaultdict`.
    DefaultDict {
        /// The `default_factory` (`None` when there is none).
        factory: Value,
        /// The items, in order.
        items: Pairs<'g>,
    },
    /// `collections.Counter`, its counts in order.
    Counter(Pairs<'g>),
    /// `collections.deque`.
    Deque {
        /// The items, left to right.
        items: Items<'g>,
        /// The `maxlen`, if bounded.
        maxlen: Option<i64>,
    },
    /// `datetime.date`.
    Date(Date),
    /// `datetime.time`.
    Time(Time),
    /// `datetime.datetime`: a date and a time of day (which carries `tzinfo` and `fold`).
    DateTime(Date, Time),
    /// `datetime.timedelta`, normalized as Python keeps it.
    TimeDelta(TimeDelta),
    /// `datetime.timezone`: a fixed offset and an optional name.
    TimeZone(TimeZone),
    /// `decimal.Decimal`, as its canonical text: `str(d)` in Python.
    Decimal(String),
    /// `fractions.Fraction`, in lowest terms with a positive denominator.
    Fraction {
        /// The numerator.
        numerator: BigInt,
        /// The denominator, always positive.
        denominator: BigInt,
    },
    /// `range(start, stop, step)`, each an int.
    Range {
        /// The start.
        start: Value,
        /// The stop.
        stop: Value,
        /// The step, never zero.
        step: Value,
    },
    /// `slice(start, stop, step)`, each any value.
    Slice {
        /// The start.
        start: Value,
        /// The stop.
        stop: Value,
        /// The step.
        step: Value,
    },
    /// An instance of a class, or a call the interpreter does not know.
    Object(Box<Object<'g>>),
    /// PERSID / BINPERSID: an object the pickle refers to by a persistent id.
    PersistentId(Value),
    /// NEXT_BUFFER: a protocol 5 out-of-band buffer.
    Buffer(&'g PickleBuffer),
    /// An extension code no registry resolved: a global known by its number.
    Ext(i64),
    /// A node that is malformed for its kind (a REDUCE whose arguments are not a tuple, a
    /// global whose names are not text), or a form this version does not know: the node as
    /// it is.
    Record(&'g Node),
    /// A value that refers to nothing in the graph (a node id or big int id out of range).
    Missing,
}

impl<'g> View<'g> {
    /// A short name of the kind: `"str"`, `"datetime"`, `"instance"`, `"call"`, …
    pub fn kind_name(&self) -> &'static str {
        match self {
            View::None => "None",
            View::Bool(_) => "bool",
            View::Int(_) | View::BigInt(_) => "int",
            View::Float(_) => "float",
            View::Str(_) | View::Py2Str(_) => "str",
            View::Bytes(_) => "bytes",
            View::ByteArray(_) => "bytearray",
            View::Tuple(_) => "tuple",
            View::List(_) => "list",
            View::Dict(_) => "dict",
            View::Set(_) => "set",
            View::FrozenSet(_) => "frozenset",
            View::Global(_) => "global",
            View::Complex { .. } => "complex",
            View::OrderedDict(_) => "ordereddict",
            View::DefaultDict { .. } => "defaultdict",
            View::Counter(_) => "counter",
            View::Deque { .. } => "deque",
            View::Date(_) => "date",
            View::Time(_) => "time",
            View::DateTime(..) => "datetime",
            View::TimeDelta(_) => "timedelta",
            View::TimeZone(_) => "timezone",
            View::Decimal(_) => "decimal",
            View::Fraction { .. } => "fraction",
            View::Range { .. } => "range",
            View::Slice { .. } => "slice",
            View::Object(object) => match object.kind {
                ObjectKind::Instance => "instance",
                ObjectKind::Call => "call",
            },
            View::PersistentId(_) => "persistent_id",
            View::Buffer(_) => "buffer",
            View::Ext(_) => "ext",
            View::Record(_) => "record",
            View::Missing => "missing",
        }
    }

    /// The items, when the view is a sequence (a tuple, list, set, frozenset or deque); the
    /// view back otherwise.
    ///
    /// # Errors
    ///
    /// The view itself, when it is not a sequence.
    pub fn into_items(self) -> Result<Items<'g>, View<'g>> {
        match self {
            View::Tuple(items) => Ok(Items::new(items)),
            View::List(items)
            | View::Set(items)
            | View::FrozenSet(items)
            | View::Deque { items, .. } => Ok(items),
            other => Err(other),
        }
    }

    /// The pairs, when the view is a mapping (a dict, OrderedDict, Counter or defaultdict);
    /// the view back otherwise.
    ///
    /// # Errors
    ///
    /// The view itself, when it is not a mapping.
    pub fn into_pairs(self) -> Result<Pairs<'g>, View<'g>> {
        match self {
            View::Dict(pairs)
            | View::OrderedDict(pairs)
            | View::Counter(pairs)
            | View::DefaultDict { items: pairs, .. } => Ok(pairs),
            other => Err(other),
        }
    }

    /// The kind in words for messages: the kind name, with the class or callable of an
    /// object (`"m.C instance"`, `"call of posix.system"`), the name of a global
    /// (`"global os.system"`) and the kind of a malformed node (`"record of a reduce"`).
    pub fn describe(&self) -> String {
        match self {
            View::Object(object) => match (object.kind, object.class()) {
                (ObjectKind::Instance, Some(class)) => format!("{class} instance"),
                (ObjectKind::Call, Some(callable)) => format!("call of {callable}"),
                (ObjectKind::Instance, None) => "instance of a computed class".to_owned(),
                (ObjectKind::Call, None) => "call of a computed callable".to_owned(),
            },
            View::Global(global) => format!("global {global}"),
            View::Record(node) => format!("record of a {}", node.kind_name()),
            View::Ext(code) => format!("extension code {code}"),
            other => other.kind_name().to_owned(),
        }
    }
}

/// The bytes of a `bytes` or `bytearray`: the graph's own, or decoded from the text a
/// protocol 0-2 reduction holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Data<'g> {
    /// A payload of the graph (shared, never copied).
    Shared(&'g Bytes),
    /// Bytes a reduction spells as text (`_codecs.encode('\xff', 'latin1')`).
    Decoded(Vec<u8>),
}

impl<'g> Data<'g> {
    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        match self {
            Data::Shared(data) => data,
            Data::Decoded(data) => data,
        }
    }

    /// The bytes as a shared [`Bytes`]: the graph's own, or the decoded ones moved in.
    pub fn into_bytes(self) -> Bytes {
        match self {
            Data::Shared(data) => data.clone(),
            Data::Decoded(data) => Bytes::from(data),
        }
    }
}

/// The items of a sequence, as runs of the graph's values: a list and what APPEND added to
/// it, a `set([...])` and what ADDITEMS added.
#[derive(Debug, Clone, Default)]
pub struct Items<'g> {
    first: &'g [Value],
    rest: Vec<&'g [Value]>,
}

impl<'g> Items<'g> {
    pub(crate) fn new(first: &'g [Value]) -> Items<'g> {
        Items {
            first,
            rest: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, run: &'g [Value]) {
        if self.first.is_empty() && self.rest.is_empty() {
            self.first = run;
        } else if !run.is_empty() {
            self.rest.push(run);
        }
    }

    /// The items in order.
    pub fn iter(&self) -> impl Iterator<Item = &'g Value> + '_ {
        self.runs().flatten()
    }

    /// The runs of items, in order (one, unless changes added some).
    pub fn runs(&self) -> impl Iterator<Item = &'g [Value]> + '_ {
        std::iter::once(self.first).chain(self.rest.iter().copied())
    }

    /// How many items there are.
    pub fn len(&self) -> usize {
        self.runs().map(<[Value]>::len).sum()
    }

    /// Whether there is no item.
    pub fn is_empty(&self) -> bool {
        self.runs().all(<[Value]>::is_empty)
    }
}

/// The pairs of a mapping, as runs of the graph's values: a dict and what SETITEMS added to
/// it, or the list of `[key, value]` pairs Python 2 wrote for an OrderedDict.
#[derive(Clone)]
pub struct Pairs<'g> {
    graph: &'g Graph,
    runs: Vec<PairRun<'g>>,
}

/// One run of [`Pairs`].
#[derive(Debug, Clone, Copy)]
enum PairRun<'g> {
    Pairs(&'g [(Value, Value)]),
    /// A list of two-item lists or tuples, each checked to be one when the run was made.
    List(&'g [Value]),
}

impl<'g> Pairs<'g> {
    pub(crate) fn empty(graph: &'g Graph) -> Pairs<'g> {
        Pairs {
            graph,
            runs: Vec::new(),
        }
    }

    pub(crate) fn of(graph: &'g Graph, pairs: &'g [(Value, Value)]) -> Pairs<'g> {
        let mut out = Pairs::empty(graph);
        out.push(pairs);
        out
    }

    pub(crate) fn push(&mut self, pairs: &'g [(Value, Value)]) {
        if !pairs.is_empty() {
            self.runs.push(PairRun::Pairs(pairs));
        }
    }

    /// Adds a list of `[key, value]` items, if every item is one.
    pub(crate) fn push_list(&mut self, items: &'g [Value]) -> Option<()> {
        items
            .iter()
            .all(|item| pair_of(self.graph, item).is_some())
            .then_some(())?;
        if !items.is_empty() {
            self.runs.push(PairRun::List(items));
        }
        Some(())
    }

    /// The graph the pairs belong to.
    pub(crate) fn graph(&self) -> &'g Graph {
        self.graph
    }

    /// Adds the pairs of `other` after these.
    pub(crate) fn extend(&mut self, other: &Pairs<'g>) {
        self.runs.extend(other.runs.iter().copied());
    }

    /// The pairs in order.
    pub fn iter(&self) -> impl Iterator<Item = (&'g Value, &'g Value)> + '_ {
        let graph = self.graph;
        self.runs.iter().flat_map(move |run| {
            let (pairs, list): (&'g [(Value, Value)], &'g [Value]) = match *run {
                PairRun::Pairs(pairs) => (pairs, &[]),
                PairRun::List(items) => (&[], items),
            };
            pairs
                .iter()
                .map(|(key, value)| (key, value))
                .chain(list.iter().filter_map(move |item| pair_of(graph, item)))
        })
    }

    /// The pairs, when they are one run of the graph's own (key, value) pairs; `None` when
    /// they are in several runs or in Python 2's list form.
    pub fn as_slice(&self) -> Option<&'g [(Value, Value)]> {
        match self.runs.as_slice() {
            [] => Some(&[]),
            [PairRun::Pairs(pairs)] => Some(pairs),
            _ => None,
        }
    }

    /// How many pairs there are.
    pub fn len(&self) -> usize {
        self.runs
            .iter()
            .map(|run| match run {
                PairRun::Pairs(pairs) => pairs.len(),
                PairRun::List(items) => items.len(),
            })
            .sum()
    }

    /// Whether there is no pair.
    pub fn is_empty(&self) -> bool {
        self.runs.is_empty()
    }
}

impl<'g> IntoIterator for Items<'g> {
    type Item = &'g Value;
    type IntoIter = ItemsIter<'g>;

    fn into_iter(self) -> ItemsIter<'g> {
        ItemsIter {
            current: self.first.iter(),
            rest: self.rest.into_iter(),
        }
    }
}

/// The items of [`Items`], owned by the iterator.
#[derive(Debug, Clone)]
pub struct ItemsIter<'g> {
    current: std::slice::Iter<'g, Value>,
    rest: std::vec::IntoIter<&'g [Value]>,
}

impl<'g> Iterator for ItemsIter<'g> {
    type Item = &'g Value;

    fn next(&mut self) -> Option<&'g Value> {
        loop {
            if let Some(item) = self.current.next() {
                return Some(item);
            }
            self.current = self.rest.next()?.iter();
        }
    }
}

impl<'g> IntoIterator for Pairs<'g> {
    type Item = (&'g Value, &'g Value);
    type IntoIter = PairsIter<'g>;

    fn into_iter(self) -> PairsIter<'g> {
        PairsIter {
            graph: self.graph,
            current: PairRun::Pairs(&[]),
            rest: self.runs.into_iter(),
        }
    }
}

/// The pairs of [`Pairs`], owned by the iterator.
#[derive(Debug, Clone)]
pub struct PairsIter<'g> {
    graph: &'g Graph,
    current: PairRun<'g>,
    rest: std::vec::IntoIter<PairRun<'g>>,
}

impl<'g> Iterator for PairsIter<'g> {
    type Item = (&'g Value, &'g Value);

    fn next(&mut self) -> Option<(&'g Value, &'g Value)> {
        loop {
            match self.current {
                PairRun::Pairs([(key, value), rest @ ..]) => {
                    self.current = PairRun::Pairs(rest);
                    return Some((key, value));
                }
                PairRun::List([item, rest @ ..]) => {
                    self.current = PairRun::List(rest);
                    if let Some(pair) = pair_of(self.graph, item) {
                        return Some(pair);
                    }
                }
                _ => self.current = self.rest.next()?,
            }
        }
    }
}

impl fmt::Debug for Pairs<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// The key and value of a `[key, value]` list or tuple node.
fn pair_of<'g>(graph: &'g Graph, item: &Value) -> Option<(&'g Value, &'g Value)> {
    match graph.try_node(item.node()?)? {
        Node::List(items) | Node::Tuple(items) => match items.as_slice() {
            [key, value] => Some((key, value)),
            _ => None,
        },
        _ => None,
    }
}

/// A global name: a module and a qualified name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GlobalName<'g> {
    /// The module, e.g. `collections`.
    pub module: &'g str,
    /// The qualified name, e.g. `OrderedDict`, or `Outer.Inner` (joined from a `getattr`
    /// chain).
    pub name: Cow<'g, str>,
}

impl fmt::Display for GlobalName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.module, self.name)
    }
}

/// An object built by a class or a callable, whatever protocol wrote it: an instance
/// (NEWOBJ, NEWOBJ_EX, INST, OBJ, `copyreg._reconstructor`, `copyreg.__newobj__`,
/// `copyreg.__newobj_ex__`, `functools.partial(cls.__new__, cls, ...)`) or a call (REDUCE of
/// anything else), with everything BUILD, APPEND(S) and SETITEM(S) did to it afterwards.
#[derive(Debug, Clone)]
pub struct Object<'g> {
    /// Whether the object is an instance made without calling `__init__`, or the result of a
    /// call.
    pub kind: ObjectKind,
    /// The class of an instance, or what a call calls; usually a global.
    pub callable: Value,
    /// The positional arguments.
    pub args: &'g [Value],
    /// The keyword arguments (NEWOBJ_EX, `copyreg.__newobj_ex__`).
    pub kwargs: &'g [(Value, Value)],
    /// The attributes BUILD set in the instance dict: each dict state, or the first item of
    /// each `(dict, slots)` state, in order.
    pub state: Pairs<'g>,
    /// The slot attributes: the second item of each `(dict, slots)` state.
    pub slots: Pairs<'g>,
    /// Any other BUILD state, which Python passes to `__setstate__`.
    pub setstate: Option<&'g Value>,
    /// The items APPEND(S) added (`listitems` of `__reduce__`), or a list subclass's items
    /// at protocols 0 and 1.
    pub list_items: Items<'g>,
    /// The pairs SETITEM(S) set (`dictitems` of `__reduce__`), or a dict subclass's items at
    /// protocols 0 and 1.
    pub dict_items: Pairs<'g>,
    graph: &'g Graph,
}

impl<'g> Object<'g> {
    pub(crate) fn new(graph: &'g Graph, kind: ObjectKind, callable: Value) -> Object<'g> {
        Object {
            kind,
            callable,
            args: &[],
            kwargs: &[],
            state: Pairs::empty(graph),
            slots: Pairs::empty(graph),
            setstate: None,
            list_items: Items::default(),
            dict_items: Pairs::empty(graph),
            graph,
        }
    }

    /// The class (or the callable) by name: a global, or a `getattr` chain naming a nested
    /// class; `None` when the pickle computed it some other way.
    pub fn class(&self) -> Option<GlobalName<'g>> {
        Reader::new(self.graph).global(&self.callable, 0)
    }

    /// Whether BUILD gave the object no state at all (an empty dict state is no state).
    pub fn has_no_state(&self) -> bool {
        self.state.is_empty() && self.slots.is_empty() && self.setstate.is_none()
    }
}

/// How an [`Object`] came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObjectKind {
    /// `cls.__new__(cls, *args, **kwargs)`, or an instance INST/OBJ made: the object is an
    /// instance of `callable`.
    Instance,
    /// `callable(*args)`: a REDUCE the interpretation does not know. An enum member is one:
    /// `Color(1)`, since telling an `Enum` from any other class would mean importing it.
    Call,
}
