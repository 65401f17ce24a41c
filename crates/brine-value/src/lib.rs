//! The object graph of a Python pickle.
//!
//! A pickle describes objects with identity: two references to one list are one list, and a
//! list may contain itself. [`Graph`] keeps that topology exactly. Its nodes live in an arena
//! and refer to each other by [`NodeId`]; the scalars Python never memoizes (`None`, `bool`,
//! `int`, `float`) are held inline in a [`Value`]. Nothing here executes or imports anything:
//! globals are names, REDUCE and NEWOBJ are recorded as nodes that say what a Python
//! unpickler would have called, and BUILD as a [`Change`] of the object it sets the state of.
//!
//! - [`Graph`], [`Node`], [`Value`]: the graph; equality follows identity topology.
//! - [`Change`]: what BUILD, and APPEND/SETITEMS/ADDITEMS on objects that are not plain
//!   containers, did to a node after it was created.
//! - [`ValueRef`]: a read API (`as_list()`, `get("key")`, iteration).
//! - [`PyStr`]: a Python `str`, lone surrogates included.
//! - [`iso`]: the graph-isomorphism work list behind [`same_shape`], for arenas of any kind.
//!
//! This crate does not parse or write pickles, and does not say what a reduction means:
//! `brine-vm` builds graphs from pickles, `brine-encode` writes them, and `brine-interpret`
//! reads the standard reductions (set, OrderedDict, datetime, instances, …) as the values
//! they stand for.
//!
//! # Example
//!
//! ```
//! use brine_value::{Graph, Node, Value};
//!
//! let mut graph = Graph::new();
//! let name = graph.add_str("pi");
//! let dict = graph.add(Node::Dict(vec![(name, Value::Float(3.14))]));
//! graph.set_root(Value::Node(dict));
//! assert_eq!(graph.root().get("pi").and_then(|v| v.as_f64()), Some(3.14));
//! assert_eq!(format!("{graph:?}"), "{'pi': 3.14}");
//! ```
#![forbid(unsafe_code)]

#[cfg(feature = "arbitrary")]
mod arbitrary;
mod change;
pub mod compat;
mod debug;
mod eq;
mod extension;
mod flavour;
mod graph;
pub mod iso;
mod node;
mod py2int;
mod py2str;
mod pystr;
mod value;

pub use change::Change;
pub use eq::same_shape;
pub use extension::{ExtensionError, ExtensionRegistry};
pub use flavour::Flavour;
pub use graph::{GlobalLine, Graph, ValueRef};
pub use node::{Node, PickleBuffer};
pub use py2int::Py2Int;
pub use py2str::{DecodeError, Py2Text, Py2Value, StringEncoding, StringErrors};
pub use pystr::PyStr;
pub use value::{BigIntId, NodeId, Value};

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
