//! [`Value`]: what a stack slot, a container item or the root holds.

/// The index of a node in its [`crate::Graph`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub(crate) u32);

impl NodeId {
    /// The node's position in the graph's arena.
    pub fn index(self) -> usize {
        self.0 as usize
    }

    /// The id of the node at `index` of an arena: for arenas built beside a graph (the
    /// interpretation layer's natural nodes), whose ids [`Value::Node`] holds too. `None`
    /// beyond `u32::MAX`.
    pub fn from_index(index: usize) -> Option<NodeId> {
        u32::try_from(index).ok().map(NodeId)
    }
}

/// The index of an int outside the `i64` range in its [`crate::Graph`]'s table of big ints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BigIntId(pub(crate) u32);

impl BigIntId {
    /// The int's position in the graph's table.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A value in the graph: a scalar that Python never memoizes, held inline, or a reference to a
/// node that has identity.
///
/// `None`, `bool`, `int` and `float` have no identity that pickle preserves (CPython's pickler
/// never memoizes them), so they are copied freely. Everything else lives in the graph's arena
/// and is shared by [`NodeId`], so two references to one list stay one list.
///
/// A `Value` is `Copy`, 16 bytes: an int beyond `i64` is kept in the graph's table
/// ([`crate::Graph::add_int`], [`crate::Graph::bigint`]) and compared by value, never by
/// where it is kept, so moving values through a decoder's stack and dropping a graph of
/// millions of them cost nothing per value.
// A tag of eight bytes puts every payload at offset 8, so that a copy is two word moves rather
// than the tag, the bool and the u32 ids moved one by one: 4.4% of the instructions of
// decoding a list of small dicts, which copy values between the stack, the memo and the
// dict. The spare tag values still give `Node` its niche (48 bytes, see node.rs).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[repr(u64)]
pub enum Value {
    /// Python `None`.
    #[default]
    None,
    /// Python `bool`.
    Bool(bool),
    /// A Python `int` that fits in an `i64`.
    Int(i64),
    /// A Python `int` in the graph's table: one outside the `i64` range, or a Python 2 int
    /// whose Python 2 type the graph keeps ([`crate::Py2Int`]: a `long` within 32 bits, an
    /// `int` beyond them). No other int within `i64` is ever kept there.
    BigInt(BigIntId),
    /// Python `float`.
    Float(f64),
    /// A node of the graph.
    Node(NodeId),
}

impl Value {
    /// The node this value refers to, if it is one.
    pub fn node(&self) -> Option<NodeId> {
        match *self {
            Value::Node(id) => Some(id),
            _ => None,
        }
    }
}

impl From<NodeId> for Value {
    fn from(id: NodeId) -> Value {
        Value::Node(id)
    }
}

impl From<i64> for Value {
    fn from(value: i64) -> Value {
        Value::Int(value)
    }
}

impl From<bool> for Value {
    fn from(value: bool) -> Value {
        Value::Bool(value)
    }
}

impl From<f64> for Value {
    fn from(value: f64) -> Value {
        Value::Float(value)
    }
}
