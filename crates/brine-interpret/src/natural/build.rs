//! Builds the [`Interpreted`] arena from the [`View`]s of the reachable nodes, without
//! recursion: each graph node becomes at most one natural node.

use brine_value::{Graph, Node, NodeId, Value};
use hashbrown::HashMap;

use super::{Global, Interpreted, Natural, Object};
use crate::view::{Interpreter, View};

pub(super) fn run(graph: &Graph) -> Interpreted {
    let mut builder = Builder {
        interpreter: Interpreter::new(graph),
        map: HashMap::new(),
        nodes: Vec::new(),
        queue: Vec::new(),
    };
    let root = builder.value(graph.root_value());
    while let Some((id, mut natural)) = builder.queue.pop() {
        natural.for_each_child_mut(|child| *child = builder.value(child));
        builder.nodes[id.index()] = natural;
    }
    Interpreted {
        nodes: builder.nodes,
        root,
        from_graph: builder.map,
        bigints: graph.bigints().to_vec(),
    }
}

struct Builder<'g> {
    interpreter: Interpreter<'g>,
    /// Graph node → natural node.
    map: HashMap<NodeId, NodeId>,
    nodes: Vec<Natural>,
    /// Natural nodes whose children are still graph values.
    queue: Vec<(NodeId, Natural)>,
}

impl Builder<'_> {
    /// The natural value for a graph value, allocating (and queueing) its node on first sight.
    fn value(&mut self, value: &Value) -> Value {
        match value {
            Value::Node(id) => Value::Node(self.natural_id(*id)),
            // A Python 2 int kept for its type (`brine_value::Py2Int`) is the int Python 3
            // loads.
            Value::BigInt(_) => match self.interpreter.graph().get(value).as_i64() {
                Some(small) => Value::Int(small),
                None => *value,
            },
            other => *other,
        }
    }

    fn natural_id(&mut self, id: NodeId) -> NodeId {
        if let Some(natural) = self.map.get(&id) {
            return *natural;
        }
        let node = self.interpreter.node(id);
        let mut stage = self.alloc(natural(node.view));
        if node.unmerged.is_empty() {
            self.map.insert(id, stage);
            return stage;
        }
        // Changes that could not be merged stay records of their own, each referring to the
        // stage before it; the object is the last stage. Its id is known before any change's
        // children are read, so that a state referring to the object finds it.
        let first = self.nodes.len();
        for _ in node.unmerged {
            self.nodes.push(pending());
        }
        self.map
            .insert(id, arena_id(first + node.unmerged.len() - 1));
        for (offset, change) in node.unmerged.iter().enumerate() {
            let mut fields = vec![Value::Node(stage)];
            // Mapping a child only allocates (and queues) its natural: no recursion.
            change.for_each_child(|child| fields.push(self.value(child)));
            stage = arena_id(first + offset);
            self.nodes[stage.index()] = Natural::Record {
                kind: change.kind_name(),
                fields,
            };
        }
        stage
    }

    fn alloc(&mut self, natural: Natural) -> NodeId {
        let id = arena_id(self.nodes.len());
        self.nodes.push(pending());
        self.queue.push((id, natural));
        id
    }
}

/// The id of the natural node at `index`.
pub(super) fn arena_id(index: usize) -> NodeId {
    // Each graph node and each of its changes becomes at most one natural node, and the VM's
    // node limit keeps a graph's nodes and changes far below `u32::MAX`.
    NodeId::from_index(index).expect("fewer natural nodes than u32::MAX")
}

fn pending() -> Natural {
    Natural::Record {
        kind: "pending",
        fields: Vec::new(),
    }
}

/// The owned natural of a node's view; its children still the graph's values.
fn natural(view: View<'_>) -> Natural {
    match view {
        View::Str(text) => Natural::Str(text.clone()),
        View::Py2Str(text) => Natural::Str(text),
        View::Ext(code) => Natural::Ext(code),
        View::Bytes(data) => Natural::Bytes(data.into_bytes()),
        View::ByteArray(data) => Natural::ByteArray(data.into_bytes()),
        View::Tuple(items) => Natural::Tuple(items.to_vec()),
        View::List(items) => Natural::List(items.iter().copied().collect()),
        View::Dict(pairs) => Natural::Dict(pairs_of(&pairs)),
        View::Set(items) => Natural::Set(items.iter().copied().collect()),
        View::FrozenSet(items) => Natural::FrozenSet(items.iter().copied().collect()),
        View::Global(global) => Natural::Global(Global {
            module: global.module.to_owned(),
            name: global.name.into_owned(),
        }),
        View::Complex { real, imag } => Natural::Complex { real, imag },
        View::OrderedDict(pairs) => Natural::OrderedDict(pairs_of(&pairs)),
        View::DefaultDict { factory, items } => Natural::DefaultDict {
            factory,
            items: pairs_of(&items),
        },
        View::Counter(pairs) => Natural::Counter(pairs_of(&pairs)),
        View::Deque { items, maxlen } => Natural::Deque {
            items: items.iter().copied().collect(),
            maxlen,
        },
        View::Date(date) => Natural::Date(date),
        View::Time(time) => Natural::Time(time),
        View::DateTime(date, time) => Natural::DateTime(date, time),
        View::TimeDelta(delta) => Natural::TimeDelta(delta),
        View::TimeZone(zone) => Natural::TimeZone(zone),
        View::Decimal(text) => Natural::Decimal(text),
        View::Fraction {
            numerator,
            denominator,
        } => Natural::Fraction {
            numerator,
            denominator,
        },
        View::Range { start, stop, step } => Natural::Range { start, stop, step },
        View::Slice { start, stop, step } => Natural::Slice { start, stop, step },
        View::Object(object) => Natural::Object(Box::new(Object {
            kind: object.kind,
            callable: object.callable,
            args: object.args.to_vec(),
            kwargs: object.kwargs.to_vec(),
            state: pairs_of(&object.state),
            slots: pairs_of(&object.slots),
            setstate: object.setstate.copied(),
            list_items: object.list_items.iter().copied().collect(),
            dict_items: pairs_of(&object.dict_items),
        })),
        View::PersistentId(pid) => Natural::PersistentId(pid),
        View::Buffer(buffer) => Natural::Buffer(buffer.clone()),
        View::Record(node) => record_of(node),
        // A node view is never a scalar; a missing node, or a kind this builder does not
        // know, is named and kept.
        other => Natural::Record {
            kind: other.kind_name(),
            fields: Vec::new(),
        },
    }
}

fn pairs_of(pairs: &crate::view::Pairs<'_>) -> Vec<(Value, Value)> {
    pairs.iter().map(|(key, value)| (*key, *value)).collect()
}

/// A node kept as it was: its kind and its children.
fn record_of(node: &Node) -> Natural {
    let mut fields = Vec::new();
    node.for_each_child(|child| fields.push(*child));
    Natural::Record {
        kind: node.kind_name(),
        fields,
    }
}
