//! Graph equality by identity topology: an isomorphism between the reachable nodes.

use hashbrown::HashMap;

use crate::change::Change;
use crate::graph::Graph;
use crate::node::Node;
use crate::value::{NodeId, Value};

impl PartialEq for Graph {
    fn eq(&self, other: &Graph) -> bool {
        Isomorphism::new(self, other).values(self.root_value(), other.root_value())
    }
}

/// Compares `value_a` of `a` with `value_b` of `b` by identity topology.
///
/// # Example
///
/// ```
/// use brine_value::{Graph, Node, Value, same_shape};
///
/// // [x, x] and [x, y] with x == y are not the same graph: sharing differs.
/// let mut a = Graph::new();
/// let x = a.add(Node::List(vec![]));
/// let root_a = Value::Node(a.add(Node::List(vec![Value::Node(x), Value::Node(x)])));
/// let mut b = Graph::new();
/// let (x, y) = (b.add(Node::List(vec![])), b.add(Node::List(vec![])));
/// let root_b = Value::Node(b.add(Node::List(vec![Value::Node(x), Value::Node(y)])));
/// assert!(!same_shape(&a, &root_a, &b, &root_b));
/// ```
pub fn same_shape(a: &Graph, value_a: &Value, b: &Graph, value_b: &Value) -> bool {
    Isomorphism::new(a, b).values(value_a, value_b)
}

/// The mapping built so far, and the node pairs still to compare.
struct Isomorphism<'g> {
    a: &'g Graph,
    b: &'g Graph,
    a_to_b: HashMap<NodeId, NodeId>,
    b_to_a: HashMap<NodeId, NodeId>,
    pending: Vec<(NodeId, NodeId)>,
}

impl<'g> Isomorphism<'g> {
    fn new(a: &'g Graph, b: &'g Graph) -> Isomorphism<'g> {
        Isomorphism {
            a,
            b,
            a_to_b: HashMap::new(),
            b_to_a: HashMap::new(),
            pending: Vec::new(),
        }
    }

    /// Compares two values and then, without recursion, every node pair they lead to.
    fn values(mut self, x: &Value, y: &Value) -> bool {
        if !self.pair(x, y) {
            return false;
        }
        while let Some((x, y)) = self.pending.pop() {
            let (Some(node_a), Some(node_b)) = (self.a.try_node(x), self.b.try_node(y)) else {
                return false;
            };
            if !self.nodes(node_a, node_b) {
                return false;
            }
            let (a, b) = (self.a, self.b);
            if !self.changes(a.changes(x), b.changes(y)) {
                return false;
            }
        }
        true
    }

    /// Compares two values shallowly, queueing node pairs seen for the first time.
    fn pair(&mut self, x: &Value, y: &Value) -> bool {
        match (x, y) {
            (Value::None, Value::None) => true,
            (Value::Bool(x), Value::Bool(y)) => x == y,
            (Value::Int(x), Value::Int(y)) => x == y,
            (Value::BigInt(x), Value::BigInt(y)) => {
                matches!((self.a.try_bigint(*x), self.b.try_bigint(*y)), (Some(x), Some(y)) if x == y)
            }
            (Value::Float(x), Value::Float(y)) => x.to_bits() == y.to_bits(),
            (Value::Node(x), Value::Node(y)) => match (self.a_to_b.get(x), self.b_to_a.get(y)) {
                (Some(mapped), _) => mapped == y,
                (None, Some(_)) => false,
                (None, None) => {
                    self.a_to_b.insert(*x, *y);
                    self.b_to_a.insert(*y, *x);
                    self.pending.push((*x, *y));
                    true
                }
            },
            _ => false,
        }
    }

    fn all(&mut self, xs: &[Value], ys: &[Value]) -> bool {
        xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| self.pair(x, y))
    }

    fn pairs(&mut self, xs: &[(Value, Value)], ys: &[(Value, Value)]) -> bool {
        xs.len() == ys.len()
            && xs
                .iter()
                .zip(ys)
                .all(|((kx, vx), (ky, vy))| self.pair(kx, ky) && self.pair(vx, vy))
    }

    fn changes(&mut self, xs: &[Change], ys: &[Change]) -> bool {
        xs.len() == ys.len()
            && xs.iter().zip(ys).all(|pair| match pair {
                (Change::Build(x), Change::Build(y)) => self.pair(x, y),
                (Change::Append(x), Change::Append(y))
                | (Change::AddItems(x), Change::AddItems(y)) => self.all(x, y),
                (Change::SetItems(x), Change::SetItems(y)) => self.pairs(x, y),
                (Change::Raw(x), Change::Raw(y)) => x == y,
                _ => false,
            })
    }

    fn nodes(&mut self, x: &Node, y: &Node) -> bool {
        match (x, y) {
            (Node::Str(x), Node::Str(y)) => x == y,
            (Node::Bytes(x), Node::Bytes(y)) | (Node::ByteArray(x), Node::ByteArray(y)) => x == y,
            (Node::Tuple(x), Node::Tuple(y))
            | (Node::List(x), Node::List(y))
            | (Node::Set(x), Node::Set(y))
            | (Node::FrozenSet(x), Node::FrozenSet(y)) => self.all(x, y),
            (Node::Dict(x), Node::Dict(y)) => self.pairs(x, y),
            (
                Node::Global {
                    module: mx,
                    name: nx,
                },
                Node::Global {
                    module: my,
                    name: ny,
                },
            ) => self.pair(mx, my) && self.pair(nx, ny),
            (
                Node::Reduce {
                    callable: cx,
                    args: ax,
                },
                Node::Reduce {
                    callable: cy,
                    args: ay,
                },
            ) => self.pair(cx, cy) && self.pair(ax, ay),
            (
                Node::NewObj {
                    cls: cx,
                    args: ax,
                    kwargs: kx,
                },
                Node::NewObj {
                    cls: cy,
                    args: ay,
                    kwargs: ky,
                },
            ) => {
                self.pair(cx, cy)
                    && self.pair(ax, ay)
                    && match (kx, ky) {
                        (None, None) => true,
                        (Some(kx), Some(ky)) => self.pair(kx, ky),
                        _ => false,
                    }
            }
            (
                Node::Inst {
                    class: cx,
                    args: ax,
                },
                Node::Inst {
                    class: cy,
                    args: ay,
                },
            )
            | (
                Node::Obj {
                    class: cx,
                    args: ax,
                },
                Node::Obj {
                    class: cy,
                    args: ay,
                },
            ) => self.pair(cx, cy) && self.all(ax, ay),
            (Node::PersistentId(x), Node::PersistentId(y)) => self.pair(x, y),
            (Node::Buffer(x), Node::Buffer(y)) => x == y,
            _ => false,
        }
    }
}
