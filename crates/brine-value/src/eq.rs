//! Graph equality by identity topology: an isomorphism between the reachable nodes.

use crate::change::Change;
use crate::graph::Graph;
use crate::iso::{self, Compare, Worklist};
use crate::node::Node;
use crate::value::{NodeId, Value};

impl PartialEq for Graph {
    fn eq(&self, other: &Graph) -> bool {
        // What a graph computed and discarded before its root counts as much as the root.
        let values = |graph: &Graph| {
            let mut values = graph.effects().to_vec();
            values.push(*graph.root_value());
            values
        };
        iso::isomorphic_all(&Graphs { a: self, b: other }, &values(self), &values(other))
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
    iso::isomorphic(&Graphs { a, b }, value_a, value_b)
}

/// Two graphs compared node for node: every node has identity, changes included.
struct Graphs<'g> {
    a: &'g Graph,
    b: &'g Graph,
}

impl Compare for Graphs<'_> {
    fn scalars(&self, x: &Value, y: &Value) -> bool {
        iso::same_scalar(
            x,
            y,
            |x, y| matches!((self.a.try_bigint(x), self.b.try_bigint(y)), (Some(x), Some(y)) if x == y),
            |x, y| x.to_bits() == y.to_bits(),
        )
    }

    fn nodes(&self, x: NodeId, y: NodeId, work: &mut Worklist<'_, Self>) -> bool {
        let (Some(node_a), Some(node_b)) = (self.a.try_node(x), self.b.try_node(y)) else {
            return false;
        };
        nodes(work, node_a, node_b)
            && changes(work, self.a.changes(x), self.b.changes(y))
            && work.all(self.a.prelude(x), self.b.prelude(y))
    }
}

fn changes(work: &mut Worklist<'_, Graphs<'_>>, xs: &[Change], ys: &[Change]) -> bool {
    xs.len() == ys.len()
        && xs.iter().zip(ys).all(|pair| match pair {
            (Change::Build(x), Change::Build(y)) | (Change::Effect(x), Change::Effect(y)) => {
                work.value(x, y)
            }
            (
                Change::SetState {
                    setter: sx,
                    state: tx,
                },
                Change::SetState {
                    setter: sy,
                    state: ty,
                },
            ) => work.value(sx, sy) && work.value(tx, ty),
            (Change::Append(x), Change::Append(y)) | (Change::AddItems(x), Change::AddItems(y)) => {
                work.all(x, y)
            }
            (Change::SetItems(x), Change::SetItems(y)) => work.pairs(x, y),
            (
                Change::Fill {
                    container: cx,
                    from: fx,
                    to: tx,
                },
                Change::Fill {
                    container: cy,
                    from: fy,
                    to: ty,
                },
            ) => fx == fy && tx == ty && work.value(cx, cy),
            (Change::Raw(x), Change::Raw(y)) => x == y,
            _ => false,
        })
}

fn nodes(work: &mut Worklist<'_, Graphs<'_>>, x: &Node, y: &Node) -> bool {
    match (x, y) {
        (Node::Str(x), Node::Str(y)) => x == y,
        (Node::Bytes(x), Node::Bytes(y))
        | (Node::ByteArray(x), Node::ByteArray(y))
        | (Node::Py2Str(x), Node::Py2Str(y)) => x == y,
        (Node::Ext(x), Node::Ext(y)) => x == y,
        (Node::Tuple(x), Node::Tuple(y))
        | (Node::List(x), Node::List(y))
        | (Node::Set(x), Node::Set(y))
        | (Node::FrozenSet(x), Node::FrozenSet(y)) => work.all(x, y),
        (Node::Dict(x), Node::Dict(y)) => work.pairs(x, y),
        (
            Node::Global {
                module: mx,
                name: nx,
            },
            Node::Global {
                module: my,
                name: ny,
            },
        ) => work.value(mx, my) && work.value(nx, ny),
        (
            Node::Reduce {
                callable: cx,
                args: ax,
            },
            Node::Reduce {
                callable: cy,
                args: ay,
            },
        ) => work.value(cx, cy) && work.value(ax, ay),
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
        ) => work.value(cx, cy) && work.value(ax, ay) && work.option(kx.as_ref(), ky.as_ref()),
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
        ) => work.value(cx, cy) && work.all(ax, ay),
        (Node::PersistentId(x), Node::PersistentId(y)) => work.value(x, y),
        (Node::Buffer(x), Node::Buffer(y)) => x == y,
        _ => false,
    }
}
