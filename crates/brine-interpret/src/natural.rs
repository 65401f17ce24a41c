//! [`Interpreted`]: an owned arena of [`Natural`] nodes, what the [`View`](crate::View)s of a
//! graph's reachable nodes say, kept for what a borrowed view cannot do: comparing two graphs
//! as Python compares the objects (producers and protocols write one object differently),
//! printing, and `brine json`.
//!
//! # Equality
//!
//! Two `Interpreted` graphs are equal (`==`) when their reachable nodes correspond
//! one-to-one, as [`Graph`] equality has it, with the differences Python's own equality
//! makes: immutable leaves (`str`, `bytes`, globals, `complex`, `Decimal`, `Fraction`,
//! `range`, `date`, `timedelta`, `timezone`) compare by value, since producers share them
//! differently (interning, singletons, memoization); dicts, sets and instance attributes
//! compare without regard to order when their keys are such leaves (or tuples and
//! frozensets of them), since Python 2 wrote them in hash order; floats compare by their
//! bits except that every nan equals every nan; and `range`s compare as Python compares
//! them, as sequences (`range(1, 11, 2) == range(1, 10, 2)`).
//!
//! # Example
//!
//! ```
//! use brine_interpret::natural::{Natural, interpret};
//! use brine_value::{Graph, Node, Value};
//!
//! // l = []; l.append(l): one list that contains itself.
//! let mut graph = Graph::new();
//! let list = graph.add(Node::List(Vec::new()));
//! if let Node::List(items) = graph.node_mut(list) {
//!     items.push(Value::Node(list));
//! }
//! graph.set_root(Value::Node(list));
//!
//! let interpreted = interpret(&graph);
//! let root = interpreted.root_value().node().unwrap();
//! assert_eq!(interpreted.node(root), &Natural::List(vec![Value::Node(root)]));
//! ```

mod build;
mod eq;

use brine_value::{BigIntId, Graph, NodeId, PickleBuffer, PyStr, Value};
use bytes::Bytes;
use hashbrown::HashMap;
use num_bigint::BigInt;

use crate::time::{Date, Time, TimeDelta, TimeZone};
use crate::view::ObjectKind;

/// Interprets the whole graph into an owned arena: the standard reductions become natural
/// values, identity and cycles kept. Never fails: what is not recognised is kept as a
/// generic record. Each node is read through [`crate::Interpreter`], the one recogniser.
///
/// The work and the memory are linear in the size of the graph, and nothing recurses on the
/// graph's depth: a 100,000-deep list is fine.
///
/// # Example
///
/// ```
/// use brine_interpret::natural::{Natural, interpret};
/// use brine_value::{Graph, Node, Value};
///
/// // reduce(<global builtins.frozenset>, ([1],))
/// let mut graph = Graph::new();
/// let module = graph.add_str("builtins");
/// let name = graph.add_str("frozenset");
/// let callable = Value::Node(graph.add(Node::Global { module, name }));
/// let items = graph.add(Node::List(vec![Value::Int(1)]));
/// let args = Value::Node(graph.add(Node::Tuple(vec![Value::Node(items)])));
/// let root = graph.add(Node::Reduce { callable, args });
/// graph.set_root(Value::Node(root));
///
/// let interpreted = interpret(&graph);
/// let root = interpreted.root_value().node().unwrap();
/// assert_eq!(interpreted.node(root), &Natural::FrozenSet(vec![Value::Int(1)]));
/// ```
pub fn interpret(graph: &Graph) -> Interpreted {
    build::run(graph)
}

/// A graph of [`Natural`] nodes: what [`interpret`] made of a [`Graph`].
///
/// Nodes live in an arena and refer to each other by [`NodeId`] in [`Value::Node`], as in a
/// [`Graph`]; only the nodes reachable from the root are present. Equality is described in
/// the [module documentation](self#equality).
#[derive(Debug, Clone, Default)]
pub struct Interpreted {
    nodes: Vec<Natural>,
    root: Value,
    from_graph: HashMap<NodeId, NodeId>,
    /// The graph's big ints: [`Value::BigInt`] ids index them here as they did there.
    bigints: Vec<BigInt>,
}

impl Interpreted {
    /// The big int with id `id`, or `None` when out of range.
    pub fn bigint(&self, id: BigIntId) -> Option<&BigInt> {
        self.bigints.get(id.index())
    }

    /// The root value.
    pub fn root_value(&self) -> &Value {
        &self.root
    }

    /// The natural node with id `id`.
    ///
    /// # Panics
    ///
    /// When `id` does not come from this graph and is out of range.
    pub fn node(&self, id: NodeId) -> &Natural {
        &self.nodes[id.index()]
    }

    /// The natural node with id `id`, or `None` when out of range.
    pub fn try_node(&self, id: NodeId) -> Option<&Natural> {
        self.nodes.get(id.index())
    }

    /// All natural nodes, by id.
    pub fn nodes(&self) -> impl ExactSizeIterator<Item = (NodeId, &Natural)> {
        self.nodes
            .iter()
            .enumerate()
            .map(|(idx, node)| (build::arena_id(idx), node))
    }

    /// The number of natural nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether there is no natural node (the root is a scalar).
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The natural node that the graph node `id` became, if it was reached. An object with a
    /// change that could not be merged became a chain of records: this is the last of them.
    pub fn natural_of(&self, id: NodeId) -> Option<NodeId> {
        self.from_graph.get(&id).copied()
    }

    /// The module and qualified name of a [`Natural::Global`].
    pub fn global(&self, value: &Value) -> Option<&Global> {
        match self.try_node(value.node()?)? {
            Natural::Global(global) => Some(global),
            _ => None,
        }
    }
}

/// An object of an [`Interpreted`] graph.
///
/// Child values are [`Value`]s whose [`Value::Node`] ids index the `Interpreted` arena (not the
/// [`Graph`] the interpretation was made from).
///
/// The plain kinds (`Str` to `FrozenSet`) are the graph's own; the others are what the opt-in
/// interpretation recognised. What it did not recognise is an [`Object`] of kind
/// [`ObjectKind::Call`] (a REDUCE it cannot name) or a [`Natural::Record`] (a malformed node),
/// never dropped.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Natural {
    /// Python `str`.
    Str(PyStr),
    /// Python `bytes`: BINBYTES, or `_codecs.encode(text, 'latin1')` and `bytes()` at
    /// protocols 0 to 2.
    Bytes(Bytes),
    /// Python `bytearray`: BYTEARRAY8, or `bytearray(...)` at protocols 0 to 4.
    ByteArray(Bytes),
    /// Python `tuple`.
    Tuple(Vec<Value>),
    /// Python `list`.
    List(Vec<Value>),
    /// Python `dict`, in insertion order.
    Dict(Vec<(Value, Value)>),
    /// Python `set`: EMPTY_SET and ADDITEMS, or `set([...])`; in pickle order.
    Set(Vec<Value>),
    /// Python `frozenset`: FROZENSET, or `frozenset([...])`; in pickle order.
    FrozenSet(Vec<Value>),
    /// A global name: a class, a function, or anything else a pickle names by module and
    /// qualified name. `getattr(Outer, 'Inner')` (how protocols 0 to 3 write nested classes)
    /// is the global `Outer.Inner`.
    Global(Global),
    /// `complex(real, imag)`.
    Complex {
        /// The real part.
        real: f64,
        /// The imaginary part.
        imag: f64,
    },
    /// `collections.OrderedDict`, its items in order.
    OrderedDict(Vec<(Value, Value)>),
    /// `collections.defaultdict`.
    DefaultDict {
        /// The `default_factory` (`None` when there is none).
        factory: Value,
        /// The items, in order.
        items: Vec<(Value, Value)>,
    },
    /// `collections.Counter`, its counts in order.
    Counter(Vec<(Value, Value)>),
    /// `collections.deque`.
    Deque {
        /// The items, left to right.
        items: Vec<Value>,
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
    /// An instance of a class, or a call the interpretation does not know.
    Object(Box<Object>),
    /// PERSID / BINPERSID: an object the pickle refers to by a persistent id.
    PersistentId(Value),
    /// NEXT_BUFFER: a protocol 5 out-of-band buffer.
    Buffer(PickleBuffer),
    /// An extension code no registry resolved: a global known only by its number.
    Ext(i64),
    /// A node that is malformed for its kind (a REDUCE whose arguments are not a tuple, a
    /// global whose names are not text): the graph node as it was; or a change that cannot
    /// be merged into its object (a second `__setstate__` state, ADDITEMS on an instance):
    /// the object before the change, then the change's values.
    Record {
        /// The graph node's [`brine_value::Node::kind_name`], e.g. `"reduce"`, or the change's
        /// [`brine_value::Change::kind_name`], e.g. `"build"`.
        kind: &'static str,
        /// The node's children in [`brine_value::Node::for_each_child`] order; for a change, the
        /// object before it, then the change's values in [`brine_value::Change::for_each_child`]
        /// order.
        fields: Vec<Value>,
    },
}

/// A global name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Global {
    /// The module, e.g. `collections`.
    pub module: String,
    /// The qualified name, e.g. `OrderedDict` or `Outer.Inner`.
    pub name: String,
}

/// An object built by a class or a callable: an instance (NEWOBJ, NEWOBJ_EX, INST, OBJ,
/// `copyreg._reconstructor`, `copyreg.__newobj__`) or a call (REDUCE of anything else), with
/// everything BUILD, APPEND(S) and SETITEM(S) did to it afterwards.
#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    /// Whether the object is an instance made without calling `__init__`, or the result of a
    /// call.
    pub kind: ObjectKind,
    /// The class of an instance, or what a call calls; usually a [`Natural::Global`].
    pub callable: Value,
    /// The positional arguments.
    pub args: Vec<Value>,
    /// The keyword arguments (NEWOBJ_EX, `copyreg.__newobj_ex__`).
    pub kwargs: Vec<(Value, Value)>,
    /// The attributes BUILD set in the instance dict: a dict state, or the first item of a
    /// `(dict, slots)` state. Empty when there is none; an empty dict state is no state.
    pub state: Vec<(Value, Value)>,
    /// The slot attributes: the second item of a `(dict, slots)` state.
    pub slots: Vec<(Value, Value)>,
    /// Any other BUILD state, which Python passes to `__setstate__`.
    pub setstate: Option<Value>,
    /// The items APPEND(S) added (`listitems` of `__reduce__`).
    pub list_items: Vec<Value>,
    /// The pairs SETITEM(S) set (`dictitems` of `__reduce__`).
    pub dict_items: Vec<(Value, Value)>,
}

impl Natural {
    /// A short name of the kind: `"str"`, `"datetime"`, `"instance"`, `"call"`, …
    pub fn kind_name(&self) -> &'static str {
        match self {
            Natural::Str(_) => "str",
            Natural::Bytes(_) => "bytes",
            Natural::ByteArray(_) => "bytearray",
            Natural::Tuple(_) => "tuple",
            Natural::List(_) => "list",
            Natural::Dict(_) => "dict",
            Natural::Set(_) => "set",
            Natural::FrozenSet(_) => "frozenset",
            Natural::Global(_) => "global",
            Natural::Complex { .. } => "complex",
            Natural::OrderedDict(_) => "ordereddict",
            Natural::DefaultDict { .. } => "defaultdict",
            Natural::Counter(_) => "counter",
            Natural::Deque { .. } => "deque",
            Natural::Date(_) => "date",
            Natural::Time(_) => "time",
            Natural::DateTime(..) => "datetime",
            Natural::TimeDelta(_) => "timedelta",
            Natural::TimeZone(_) => "timezone",
            Natural::Decimal(_) => "decimal",
            Natural::Fraction { .. } => "fraction",
            Natural::Range { .. } => "range",
            Natural::Slice { .. } => "slice",
            Natural::Object(object) => match object.kind {
                ObjectKind::Instance => "instance",
                ObjectKind::Call => "call",
            },
            Natural::PersistentId(_) => "persistent_id",
            Natural::Ext(_) => "ext",
            Natural::Buffer(_) => "buffer",
            Natural::Record { .. } => "record",
        }
    }

    /// Calls `visit` on every value the natural refers to, in order.
    pub fn for_each_child<'a>(&'a self, mut visit: impl FnMut(&'a Value)) {
        match self {
            Natural::Str(_)
            | Natural::Bytes(_)
            | Natural::ByteArray(_)
            | Natural::Ext(_)
            | Natural::Global(_)
            | Natural::Complex { .. }
            | Natural::Date(_)
            | Natural::TimeDelta(_)
            | Natural::TimeZone(_)
            | Natural::Decimal(_)
            | Natural::Fraction { .. }
            | Natural::Buffer(_) => {}
            Natural::Tuple(items)
            | Natural::List(items)
            | Natural::Set(items)
            | Natural::FrozenSet(items)
            | Natural::Deque { items, .. }
            | Natural::Record { fields: items, .. } => items.iter().for_each(visit),
            Natural::Dict(pairs) | Natural::OrderedDict(pairs) | Natural::Counter(pairs) => {
                visit_pairs(pairs, &mut visit);
            }
            Natural::DefaultDict { factory, items } => {
                visit(factory);
                visit_pairs(items, &mut visit);
            }
            Natural::Time(time) | Natural::DateTime(_, time) => visit(&time.tzinfo),
            Natural::Range { start, stop, step } | Natural::Slice { start, stop, step } => {
                visit(start);
                visit(stop);
                visit(step);
            }
            Natural::Object(object) => object.for_each_child(visit),
            Natural::PersistentId(pid) => visit(pid),
        }
    }

    /// Calls `visit` on every value the natural refers to, in order, to change it.
    pub fn for_each_child_mut(&mut self, mut visit: impl FnMut(&mut Value)) {
        match self {
            Natural::Str(_)
            | Natural::Bytes(_)
            | Natural::ByteArray(_)
            | Natural::Ext(_)
            | Natural::Global(_)
            | Natural::Complex { .. }
            | Natural::Date(_)
            | Natural::TimeDelta(_)
            | Natural::TimeZone(_)
            | Natural::Decimal(_)
            | Natural::Fraction { .. }
            | Natural::Buffer(_) => {}
            Natural::Tuple(items)
            | Natural::List(items)
            | Natural::Set(items)
            | Natural::FrozenSet(items)
            | Natural::Deque { items, .. }
            | Natural::Record { fields: items, .. } => items.iter_mut().for_each(visit),
            Natural::Dict(pairs) | Natural::OrderedDict(pairs) | Natural::Counter(pairs) => {
                visit_pairs_mut(pairs, &mut visit);
            }
            Natural::DefaultDict { factory, items } => {
                visit(factory);
                visit_pairs_mut(items, &mut visit);
            }
            Natural::Time(time) | Natural::DateTime(_, time) => visit(&mut time.tzinfo),
            Natural::Range { start, stop, step } | Natural::Slice { start, stop, step } => {
                visit(start);
                visit(stop);
                visit(step);
            }
            Natural::Object(object) => {
                visit(&mut object.callable);
                object.args.iter_mut().for_each(&mut visit);
                visit_pairs_mut(&mut object.kwargs, &mut visit);
                visit_pairs_mut(&mut object.state, &mut visit);
                visit_pairs_mut(&mut object.slots, &mut visit);
                if let Some(state) = &mut object.setstate {
                    visit(state);
                }
                object.list_items.iter_mut().for_each(&mut visit);
                visit_pairs_mut(&mut object.dict_items, &mut visit);
            }
            Natural::PersistentId(pid) => visit(pid),
        }
    }
}

impl Object {
    /// An object of this kind with no arguments and no state.
    pub fn new(kind: ObjectKind, callable: Value) -> Object {
        Object {
            kind,
            callable,
            args: Vec::new(),
            kwargs: Vec::new(),
            state: Vec::new(),
            slots: Vec::new(),
            setstate: None,
            list_items: Vec::new(),
            dict_items: Vec::new(),
        }
    }

    /// Calls `visit` on every value the object refers to: the callable, the arguments, the
    /// keyword arguments, the state, the slots, the `__setstate__` state, the list items and
    /// the dict items, in that order.
    pub fn for_each_child<'a>(&'a self, mut visit: impl FnMut(&'a Value)) {
        visit(&self.callable);
        self.args.iter().for_each(&mut visit);
        visit_pairs(&self.kwargs, &mut visit);
        visit_pairs(&self.state, &mut visit);
        visit_pairs(&self.slots, &mut visit);
        if let Some(state) = &self.setstate {
            visit(state);
        }
        self.list_items.iter().for_each(&mut visit);
        visit_pairs(&self.dict_items, &mut visit);
    }
}

fn visit_pairs<'a>(pairs: &'a [(Value, Value)], visit: &mut impl FnMut(&'a Value)) {
    for (key, value) in pairs {
        visit(key);
        visit(value);
    }
}

fn visit_pairs_mut(pairs: &mut [(Value, Value)], visit: &mut impl FnMut(&mut Value)) {
    for (key, value) in pairs {
        visit(key);
        visit(value);
    }
}
