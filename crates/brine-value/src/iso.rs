//! The one graph-isomorphism worklist: the graph's own equality and the interpretation
//! layer's equality both find their node correspondence through it, each saying how its
//! leaves compare and which children a pair of nodes has.

use hashbrown::HashMap;

use crate::value::{BigIntId, NodeId, Value};

/// How two arenas compare, for [`isomorphic`].
///
/// [`isomorphic`] walks the two arenas together with one work list (never recursion), keeping
/// a one-to-one correspondence of the nodes that have identity; a `Compare` says what a leaf
/// is and what a pair of nodes holds.
pub trait Compare {
    /// Compares two values of which at least one is not a node (a scalar).
    fn scalars(&self, x: &Value, y: &Value) -> bool;

    /// Compares two nodes by value, without identity, when at least one of them is such a
    /// leaf (an immutable value that producers share differently); `None` when both have
    /// identity and are to be paired. A node missing from its arena gives `Some(false)`.
    fn leaves(&self, x: NodeId, y: NodeId) -> Option<bool> {
        let _ = (x, y);
        None
    }

    /// Compares the contents of two paired nodes, handing their children to `work`.
    fn nodes(&self, x: NodeId, y: NodeId, work: &mut Worklist<'_, Self>) -> bool;
}

/// Whether `x` (in the arena `cmp` calls `a`) and `y` (in `b`) are the same object graph:
/// values equal as `cmp` compares them, and the nodes with identity in one-to-one
/// correspondence, so sharing and cycles match.
///
/// # Example
///
/// ```
/// use brine_value::iso::{Compare, Worklist, isomorphic};
/// use brine_value::{Graph, Node, NodeId, Value};
///
/// /// Lists only: compares the items.
/// struct Lists<'g>(&'g Graph, &'g Graph);
///
/// impl Compare for Lists<'_> {
///     fn scalars(&self, x: &Value, y: &Value) -> bool {
///         x == y
///     }
///     fn nodes(&self, x: NodeId, y: NodeId, work: &mut Worklist<'_, Self>) -> bool {
///         match (self.0.node(x), self.1.node(y)) {
///             (Node::List(xs), Node::List(ys)) => work.all(xs, ys),
///             _ => false,
///         }
///     }
/// }
///
/// // l = []; l.append(l), in two graphs.
/// let mut a = Graph::new();
/// let l = a.add(Node::List(vec![]));
/// if let Node::List(items) = a.node_mut(l) {
///     items.push(Value::Node(l));
/// }
/// let b = a.clone();
/// assert!(isomorphic(&Lists(&a, &b), &Value::Node(l), &Value::Node(l)));
/// ```
pub fn isomorphic<C: Compare + ?Sized>(cmp: &C, x: &Value, y: &Value) -> bool {
    isomorphic_all(cmp, std::slice::from_ref(x), std::slice::from_ref(y))
}

/// Whether `xs` and `ys` correspond item by item under one correspondence of their nodes, as
/// [`isomorphic`] says of one pair.
pub fn isomorphic_all<C: Compare + ?Sized>(cmp: &C, xs: &[Value], ys: &[Value]) -> bool {
    let mut work = Worklist {
        cmp,
        a_to_b: HashMap::new(),
        b_to_a: HashMap::new(),
        pending: Vec::new(),
    };
    if !work.all(xs, ys) {
        return false;
    }
    while let Some((x, y)) = work.pending.pop() {
        if !cmp.nodes(x, y, &mut work) {
            return false;
        }
    }
    true
}

/// Whether two scalars are the same: of one kind and equal, big ints as `bigints` compares
/// their ids, floats as `floats` compares them. A node is no scalar: `false`.
pub fn same_scalar(
    x: &Value,
    y: &Value,
    bigints: impl FnOnce(BigIntId, BigIntId) -> bool,
    floats: impl FnOnce(f64, f64) -> bool,
) -> bool {
    match (x, y) {
        (Value::None, Value::None) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::BigInt(x), Value::BigInt(y)) => bigints(*x, *y),
        (Value::Float(x), Value::Float(y)) => floats(*x, *y),
        _ => false,
    }
}

/// The correspondence found so far, and the node pairs still to compare.
pub struct Worklist<'c, C: ?Sized> {
    cmp: &'c C,
    a_to_b: HashMap<NodeId, NodeId>,
    b_to_a: HashMap<NodeId, NodeId>,
    pending: Vec<(NodeId, NodeId)>,
}

impl<C: Compare + ?Sized> Worklist<'_, C> {
    /// Compares two values shallowly: scalars and leaves at once, node pairs by the
    /// correspondence (a pair seen for the first time is queued).
    pub fn value(&mut self, x: &Value, y: &Value) -> bool {
        let (Value::Node(x), Value::Node(y)) = (x, y) else {
            return self.cmp.scalars(x, y);
        };
        if let Some(equal) = self.cmp.leaves(*x, *y) {
            return equal;
        }
        match (self.a_to_b.get(x), self.b_to_a.get(y)) {
            (Some(mapped), _) => mapped == y,
            (None, Some(_)) => false,
            (None, None) => {
                self.a_to_b.insert(*x, *y);
                self.b_to_a.insert(*y, *x);
                self.pending.push((*x, *y));
                true
            }
        }
    }

    /// Compares two sequences item by item.
    pub fn all(&mut self, xs: &[Value], ys: &[Value]) -> bool {
        xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| self.value(x, y))
    }

    /// Compares two sequences of pairs, key and value by key and value.
    pub fn pairs(&mut self, xs: &[(Value, Value)], ys: &[(Value, Value)]) -> bool {
        xs.len() == ys.len()
            && xs
                .iter()
                .zip(ys)
                .all(|((kx, vx), (ky, vy))| self.value(kx, ky) && self.value(vx, vy))
    }

    /// Compares two values that may be absent.
    pub fn option(&mut self, x: Option<&Value>, y: Option<&Value>) -> bool {
        match (x, y) {
            (None, None) => true,
            (Some(x), Some(y)) => self.value(x, y),
            _ => false,
        }
    }
}
