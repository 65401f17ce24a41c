//! What CPython's reductions mean: the one place that reads a pickle graph's standard forms
//! as the values they stand for.
//!
//! A [`brine_value::Graph`] records what a pickle asked for: `reduce(<global builtins.set>,
//! ([1, 2],))` is a set, `newobj(<global m.C>, ()).build({'a': 1})` an instance of `m.C`
//! with `a = 1`, and a datetime is a call with ten packed bytes. [`Interpreter`] recognises
//! these forms on demand and answers with a [`View`] borrowed from the graph: `Set`,
//! `DateTime`, `Object`, nothing copied. Nothing is imported or called; a form that is not
//! recognised is a generic [`ObjectKind::Call`] (or a [`View::Record`] when the node is
//! malformed), so nothing is dropped.
//!
//! - [`Interpreter`], [`View`]: the lazy, borrowed view of any value; the readers above the
//!   graph (serde, `brine json`) read through it.
//! - [`Object`]: one way to read any instance, whatever protocol wrote it: its class,
//!   arguments, keyword arguments, state, slots, `__setstate__` state, list and dict items.
//! - [`numpy`], [`pandas`], [`torch`]: arrays, frames and tensors as typed data, read from the
//!   reductions those libraries write; [`joblib`]: the array wrappers `joblib.dump` writes,
//!   read as the arrays they stand for.
//! - [`sklearn`]: scikit-learn estimators, and any value's arrays reached by path
//!   (`steps[1][1].coef_`).
//! - [`code`]: functions, code objects, classes and sessions that cloudpickle and dill pickle
//!   by value, as inert descriptions (names, constants, bytecode, line tables, globals,
//!   defaults, closure cells), never compiled or run.
//! - [`natural`]: an owned arena built from the views, for equality across producers and
//!   protocols, and printing.
//!
//! This crate does not decode or write pickle bytes (`brine-vm`, `brine-encode`), and does
//! not change the graph it views; `NdArray::to_graph` makes a new graph of an array for
//! `brine-encode` to write as numpy would.
//!
//! # What is recognised
//!
//! Names after `fix_imports`, with Python 2 names matched as well:
//!
//! | form | view |
//! |------|------|
//! | `builtins.set(items)`, `builtins.frozenset(items)` | `Set`, `FrozenSet` |
//! | `builtins.list(items)`, `builtins.tuple(items)`, `builtins.dict(mapping)` | `List`, `Tuple`, `Dict` |
//! | `_codecs.encode(text, encoding)` (latin1, ascii, utf-8 under any name `codecs.lookup` takes), `builtins.bytes()` | `Bytes` |
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
//! A node and the [`Change`](brine_value::Change)s made to it (BUILD, and APPEND, SETITEMS or
//! ADDITEMS on an object) are one Python object, so they are one view: the
//! `reduce(<global collections.OrderedDict>, ()).setitems({...})` is one `OrderedDict`, and an
//! [`Object`] gathers its BUILD state (a dict goes to `state`, a `(dict, slots)` pair to
//! `state` and `slots`, anything else to `setstate`) and the items APPEND(S) and SETITEM(S)
//! added. A change the object cannot hold (a second `__setstate__` state) is left in
//! [`NodeView::unmerged`].
//!
//! Two forms are read in one of two possible ways: a `copyreg._reconstructor(cls, tuple,
//! items)` instance (protocols 0 and 1) takes the tuple's items as its arguments, which is
//! what a namedtuple's `__getnewargs__` gives at protocol 2 and above; and a BUILD state that
//! is a pair of dicts (or `None` and a dict) is taken as `(state, slots)`.
//!
//! # Example
//!
//! ```
//! use brine_interpret::{Interpreter, ObjectKind, View};
//! use brine_value::{Change, Graph, Node, Value};
//!
//! // copyreg._reconstructor(m.C, object, None) with BUILD {'a': 1}: an instance at protocol 0.
//! let mut graph = Graph::new();
//! let mut global = |graph: &mut Graph, module: &str, name: &str| {
//!     let (module, name) = (graph.add_str(module), graph.add_str(name));
//!     Value::Node(graph.add(Node::Global { module, name }))
//! };
//! let reconstructor = global(&mut graph, "copy_reg", "_reconstructor");
//! let class = global(&mut graph, "m", "C");
//! let base = global(&mut graph, "__builtin__", "object");
//! let args = Value::Node(graph.add(Node::Tuple(vec![class, base, Value::None])));
//! let object = graph.add(Node::Reduce { callable: reconstructor, args });
//! let key = graph.add_str("a");
//! let state = graph.add(Node::Dict(vec![(key, Value::Int(1))]));
//! graph.push_change(object, Change::Build(Value::Node(state)));
//! graph.set_root(Value::Node(object));
//!
//! let View::Object(instance) = Interpreter::new(&graph).root() else { panic!("not an object") };
//! assert_eq!(instance.kind, ObjectKind::Instance);
//! assert_eq!(instance.class().unwrap().to_string(), "m.C");
//! assert_eq!(instance.state.len(), 1);
//! ```
#![forbid(unsafe_code)]

mod absorb;
pub mod code;
mod decimal;
pub mod joblib;
pub mod natural;
pub mod numpy;
pub mod pandas;
mod recognise;
pub mod sklearn;
mod time;
pub mod torch;
mod view;

pub use time::{Date, Time, TimeDelta, TimeZone};
pub use view::{
    Data, GlobalName, Interpreter, Items, ItemsIter, NodeView, Object, ObjectKind, Pairs,
    PairsIter, View,
};

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
