//! The opt-in interpretation layer: the standard reductions CPython writes, turned into the
//! values they stand for, by pattern matching alone.
//!
//! A [`Graph`] records what a pickle asked for: `reduce(<global builtins.set>, ([1, 2],))`
//! is a set, `newobj(<global m.C>, ()).build({'a': 1})` an instance of `m.C` with `a = 1`,
//! and a datetime is a call with ten packed bytes. [`interpret`] recognises these forms and
//! gives an [`Interpreted`] graph of [`Natural`] nodes instead: `Set`, `Object`, `DateTime`.
//! Nothing is imported or called; a form that is not recognised stays a generic
//! [`ObjectKind::Call`] record (or a [`Natural::Record`] when the node is malformed), so
//! nothing is dropped.
//!
//! # The representation
//!
//! [`Interpreted`] is an arena like [`Graph`], with the same [`Value`] type: scalars inline,
//! [`Value::Node`] ids indexing the `Interpreted` arena. Identity is kept exactly:
//!
//! - Each graph node reachable from the root becomes at most one natural node, so shared
//!   references stay shared and cycles stay cycles.
//! - A node and the [`Change`](crate::Change)s made to it (BUILD, and APPEND, SETITEMS or
//!   ADDITEMS on an object) are one Python object, so they become *one* natural node: the
//!   `reduce(<global collections.OrderedDict>, ()).setitems({...})` is one `OrderedDict`, and
//!   a self-referencing instance (`#0=newobj(C, ()).build({'me': #0})`) is one `Object` whose
//!   state refers to itself. The changes are applied in pickle order.
//! - The nodes a recognised form consumes (an argument tuple, the packed bytes of a
//!   datetime, the `getattr` call naming a nested class) are not natural nodes of their own
//!   unless something else refers to them too, just as the argument tuple is gone after
//!   Python's unpickler made the call.
//!
//! What is recognised (names after `fix_imports`, with Python 2 names matched as well):
//!
//! | form | natural |
//! |------|---------|
//! | `builtins.set(items)`, `builtins.frozenset(items)` | `Set`, `FrozenSet` |
//! | `_codecs.encode(text, 'latin1')`, `builtins.bytes()` | `Bytes` |
//! | `builtins.bytearray()`, `(bytes)`, `(text, encoding)` | `ByteArray` |
//! | `builtins.complex(real, imag)` | `Complex` |
//! | `collections.OrderedDict`, `defaultdict`, `Counter`, `deque` with their items | `OrderedDict`, `DefaultDict`, `Counter`, `Deque` |
//! | `datetime.date`, `time`, `datetime` from packed bytes (or Python 2 latin1 text), with `tzinfo` and `fold` | `Date`, `Time`, `DateTime` |
//! | `datetime.timedelta(days, seconds, microseconds)`, `datetime.timezone(offset[, name])` | `TimeDelta`, `TimeZone` |
//! | `decimal.Decimal(text)`, `fractions.Fraction(text)` or `(numerator, denominator)` | `Decimal`, `Fraction` |
//! | `builtins.range(...)`, `builtins.slice(...)` | `Range`, `Slice` |
//! | `builtins.getattr(<global m.Outer>, 'Inner')` | the `Global` `m.Outer.Inner` |
//! | NEWOBJ, NEWOBJ_EX, INST, OBJ, `copyreg.__newobj__`, `copyreg.__newobj_ex__`, `copyreg._reconstructor(cls, base, state)`, and the `functools.partial(cls.__new__, cls, ...)` protocols 2 and 3 write for `__getnewargs_ex__` | an [`Object`] of kind `Instance` |
//! | REDUCE of anything else (an enum member `Color(1)`, a class's own `__reduce__`) | an [`Object`] of kind `Call` |
//!
//! An [`Object`] gathers everything done to it: its arguments, the BUILD state (a dict goes to
//! `state`, a `(dict, slots)` pair to `state` and `slots`, anything else to `setstate`), and
//! the items APPEND(S) and SETITEM(S) added.
//!
//! Two forms are read in one of two possible ways, as documented on the items: a
//! `copyreg._reconstructor(cls, tuple, items)` instance (protocols 0 and 1) takes the tuple's
//! items as its arguments, which is what a namedtuple's `__getnewargs__` gives at protocol 2
//! and above; and a BUILD state that is a pair of dicts (or `None` and a dict) is taken as
//! `(state, slots)`.
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
//! use brine_value::interpret::{Natural, interpret};
//! use brine_value::{Graph, Node, Value};
//!
//! // reduce(<global builtins.set>, ([1, 2],)), as protocols 0 to 3 write a set.
//! let mut graph = Graph::new();
//! let module = graph.add_str("builtins");
//! let name = graph.add_str("set");
//! let set = graph.add(Node::Global { module, name });
//! let items = graph.add(Node::List(vec![Value::Int(1), Value::Int(2)]));
//! let args = graph.add(Node::Tuple(vec![Value::Node(items)]));
//! let root = graph.add(Node::Reduce { callable: Value::Node(set), args: Value::Node(args) });
//! graph.set_root(Value::Node(root));
//!
//! let interpreted = interpret(&graph);
//! let root = interpreted.root_value().node().unwrap();
//! assert_eq!(interpreted.node(root), &Natural::Set(vec![Value::Int(1), Value::Int(2)]));
//! ```

mod build;
mod decimal;
mod eq;
mod natural;
mod reduce;

use hashbrown::HashMap;
use num_bigint::BigInt;

use crate::graph::Graph;
#[cfg(doc)]
use crate::node::Node;
use crate::value::{BigIntId, NodeId, Value};

pub use natural::{Date, Global, Natural, Object, ObjectKind, Time, TimeDelta, TimeZone};

/// Interprets the graph: the standard reductions become natural values, identity and cycles
/// kept. Never fails: what is not recognised is kept as a generic record.
///
/// The work and the memory are linear in the size of the graph, and nothing recurses on the
/// graph's depth: a 100,000-deep list is fine.
///
/// # Example
///
/// ```
/// use brine_value::interpret::{Natural, interpret};
/// use brine_value::{Graph, Node, Value};
///
/// // l = []; l.append(l): one list that contains itself.
/// let mut graph = Graph::new();
/// let list = graph.add(Node::List(Vec::new()));
/// if let Node::List(items) = graph.node_mut(list) {
///     items.push(Value::Node(list));
/// }
/// graph.set_root(Value::Node(list));
///
/// let interpreted = interpret(&graph);
/// let root = interpreted.root_value().node().unwrap();
/// assert_eq!(interpreted.node(root), &Natural::List(vec![Value::Node(root)]));
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
            .map(|(idx, node)| (NodeId(idx as u32), node))
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
