//! The interpreter: recognises each object with the changes made to it, and copies what is
//! reachable into the [`Interpreted`] arena without recursion.

use hashbrown::HashMap;

use super::Interpreted;
use super::natural::{Global, Natural, Object, ObjectKind};
use super::reduce::Reader;
use crate::change::Change;
use crate::graph::Graph;
use crate::node::Node;
use crate::value::{NodeId, Value};

pub(super) fn run(graph: &Graph) -> Interpreted {
    let mut interpreter = Interpreter {
        reader: Reader { graph },
        map: HashMap::new(),
        nodes: Vec::new(),
        queue: Vec::new(),
    };
    let root = interpreter.value(graph.root_value());
    while let Some((id, mut natural)) = interpreter.queue.pop() {
        natural.for_each_child_mut(|child| *child = interpreter.value(child));
        interpreter.nodes[id.index()] = natural;
    }
    Interpreted {
        nodes: interpreter.nodes,
        root,
        from_graph: interpreter.map,
        bigints: graph.bigints().to_vec(),
    }
}

struct Interpreter<'g> {
    reader: Reader<'g>,
    /// Graph node → natural node.
    map: HashMap<NodeId, NodeId>,
    nodes: Vec<Natural>,
    /// Natural nodes whose children are still graph values.
    queue: Vec<(NodeId, Natural)>,
}

impl Interpreter<'_> {
    /// The natural value for a graph value, allocating (and queueing) its node on first sight.
    fn value(&mut self, value: &Value) -> Value {
        match value {
            Value::Node(id) => Value::Node(self.natural_id(*id)),
            other => *other,
        }
    }

    fn natural_id(&mut self, id: NodeId) -> NodeId {
        if let Some(natural) = self.map.get(&id) {
            return *natural;
        }
        let graph = self.reader.graph;
        let changes = graph.changes(id);
        let (natural, absorbed) = self.reader.chain(id, changes);
        let mut stage = self.alloc(natural);
        let unmerged = &changes[absorbed..];
        if unmerged.is_empty() {
            self.map.insert(id, stage);
            return stage;
        }
        // Changes that could not be merged stay records of their own, each referring to the
        // stage before it; the object is the last stage. Its id is known before any change's
        // children are read, so that a state referring to the object finds it.
        let first = self.nodes.len();
        for _ in unmerged {
            self.nodes.push(Natural::Record {
                kind: "pending",
                fields: Vec::new(),
            });
        }
        self.map
            .insert(id, NodeId((first + unmerged.len() - 1) as u32));
        for (offset, change) in unmerged.iter().enumerate() {
            let mut fields = vec![Value::Node(stage)];
            // Mapping a child only allocates (and queues) its natural: no recursion.
            change.for_each_child(|child| fields.push(self.value(child)));
            stage = NodeId((first + offset) as u32);
            self.nodes[stage.index()] = Natural::Record {
                kind: change.kind_name(),
                fields,
            };
        }
        stage
    }

    fn alloc(&mut self, natural: Natural) -> NodeId {
        // A graph has at most u32::MAX nodes and each becomes at most one natural node.
        let id = NodeId(self.nodes.len() as u32);
        self.nodes.push(Natural::Record {
            kind: "pending",
            fields: Vec::new(),
        });
        self.queue.push((id, natural));
        id
    }
}

impl Reader<'_> {
    /// The natural for `base` with its `changes` applied, and how many of them were merged
    /// (a prefix; the rest become records).
    fn chain(&self, base: NodeId, changes: &[Change]) -> (Natural, usize) {
        let Some(node) = self.graph.try_node(base) else {
            return (
                Natural::Record {
                    kind: "missing",
                    fields: Vec::new(),
                },
                0,
            );
        };
        let mut natural = self.alone(node);
        let mut absorbed = self.absorb_all(&mut natural, changes);
        if absorbed < changes.len() && !matches!(natural, Natural::Object(_)) {
            // A known container with something it cannot hold (an OrderedDict with instance
            // attributes, say) is described as the call it was.
            if let Node::Reduce { callable, args } = node {
                if let Some(mut generic) = self.generic_call(callable, args) {
                    let generic_absorbed = self.absorb_all(&mut generic, changes);
                    if generic_absorbed > absorbed {
                        natural = generic;
                        absorbed = generic_absorbed;
                    }
                }
            }
        }
        (natural, absorbed)
    }

    fn absorb_all(&self, natural: &mut Natural, changes: &[Change]) -> usize {
        changes
            .iter()
            .take_while(|change| self.absorb(natural, change))
            .count()
    }

    /// The natural a node is on its own, before any change.
    fn alone(&self, node: &Node) -> Natural {
        match node {
            Node::Str(text) => Natural::Str(text.clone()),
            Node::Bytes(data) => Natural::Bytes(data.clone()),
            Node::ByteArray(data) => Natural::ByteArray(data.clone()),
            // A Python 2 `str` reads as the loader's encoding says; bytes it cannot decode
            // stay bytes rather than being lost.
            Node::Py2Str(data) => match self.graph.py2_text().decode(data) {
                Ok(crate::Py2Value::Str(text)) => Natural::Str(text),
                _ => Natural::Bytes(data.clone()),
            },
            Node::Tuple(items) => Natural::Tuple(items.clone()),
            Node::List(items) => Natural::List(items.clone()),
            Node::Dict(pairs) => Natural::Dict(pairs.clone()),
            Node::Set(items) => Natural::Set(items.clone()),
            Node::FrozenSet(items) => Natural::FrozenSet(items.clone()),
            Node::Global { module, name } => match (self.text(module), self.text(name)) {
                (Some(module), Some(name)) => Natural::Global(Global {
                    module: module.to_owned(),
                    name: name.to_owned(),
                }),
                _ => record_of(node),
            },
            Node::Reduce { callable, args } => self
                .reduce(callable, args)
                .unwrap_or_else(|| record_of(node)),
            Node::NewObj { cls, args, kwargs } => {
                let args = self.tuple(args);
                let kwargs = match kwargs {
                    None => Some(&[][..]),
                    Some(kwargs) => self.dict(kwargs),
                };
                match (args, kwargs) {
                    (Some(args), Some(kwargs)) => {
                        let mut object = Object::new(ObjectKind::Instance, *cls);
                        object.args = args.to_vec();
                        object.kwargs = kwargs.to_vec();
                        Natural::Object(Box::new(object))
                    }
                    _ => record_of(node),
                }
            }
            Node::Inst { class, args } | Node::Obj { class, args } => {
                let mut object = Object::new(ObjectKind::Instance, *class);
                object.args = args.clone();
                Natural::Object(Box::new(object))
            }
            Node::PersistentId(pid) => Natural::PersistentId(*pid),
            Node::Buffer(buffer) => Natural::Buffer(buffer.clone()),
            Node::Ext(code) => Natural::Ext(*code),
        }
    }

    /// Applies one change to the natural, if it can hold what the change does; leaves the
    /// natural unchanged otherwise.
    fn absorb(&self, natural: &mut Natural, change: &Change) -> bool {
        match (natural, change) {
            (Natural::Object(object), Change::Build(state)) => self.absorb_state(object, state),
            (Natural::Object(object), Change::Append(items)) => {
                object.list_items.extend_from_slice(items);
                true
            }
            (Natural::Object(object), Change::SetItems(pairs)) => {
                object.dict_items.extend_from_slice(pairs);
                true
            }
            (
                Natural::OrderedDict(existing)
                | Natural::Counter(existing)
                | Natural::DefaultDict {
                    items: existing, ..
                },
                Change::SetItems(pairs),
            ) => {
                existing.extend_from_slice(pairs);
                true
            }
            (
                Natural::Deque {
                    items: existing, ..
                },
                Change::Append(items),
            ) => {
                existing.extend_from_slice(items);
                true
            }
            (Natural::Set(existing), Change::AddItems(items)) => {
                existing.extend_from_slice(items);
                true
            }
            _ => false,
        }
    }

    /// BUILD: a dict state updates the instance dict, a `(dict or None, dict or None)` pair
    /// the dict and the slots, anything else is a `__setstate__` state (only one, and not
    /// beside dict state).
    fn absorb_state(&self, object: &mut Object, state: &Value) -> bool {
        if let Some(pairs) = self.dict(state) {
            if object.setstate.is_some() {
                return false;
            }
            object.state.extend_from_slice(pairs);
            return true;
        }
        if let Some([dict, slots]) = self.tuple(state) {
            if let (Some(dict), Some(slots)) = (self.dict_or_none(dict), self.dict_or_none(slots)) {
                if object.setstate.is_some() {
                    return false;
                }
                object.state.extend_from_slice(dict);
                object.slots.extend_from_slice(slots);
                return true;
            }
        }
        if object.setstate.is_some() || !object.state.is_empty() || !object.slots.is_empty() {
            return false;
        }
        object.setstate = Some(*state);
        true
    }

    fn dict_or_none(&self, value: &Value) -> Option<&[(Value, Value)]> {
        match value {
            Value::None => Some(&[]),
            _ => self.dict(value),
        }
    }
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
