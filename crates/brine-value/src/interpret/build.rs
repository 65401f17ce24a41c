//! The interpreter: finds each object's chain of mutations, recognises the chain, and copies
//! what is reachable into the [`Interpreted`] arena without recursion.

use hashbrown::HashMap;

use super::Interpreted;
use super::natural::{Global, Natural, Object, ObjectKind};
use super::reduce::Reader;
use crate::graph::Graph;
use crate::node::Node;
use crate::value::{NodeId, Value};

pub(super) fn run(graph: &Graph) -> Interpreted {
    let (base_of, wrappers) = chains(graph);
    let mut interpreter = Interpreter {
        reader: Reader { graph },
        base_of,
        wrappers,
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
    }
}

struct Interpreter<'g> {
    reader: Reader<'g>,
    /// The base object of each wrapper node.
    base_of: HashMap<NodeId, NodeId>,
    /// The wrappers of each base object, in creation (pickle) order.
    wrappers: HashMap<NodeId, Vec<NodeId>>,
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
            other => other.clone(),
        }
    }

    fn natural_id(&mut self, id: NodeId) -> NodeId {
        if let Some(natural) = self.map.get(&id) {
            return *natural;
        }
        let base = self.base_of.get(&id).copied().unwrap_or(id);
        let wrappers = self.wrappers.remove(&base).unwrap_or_default();
        let (natural, absorbed) = self.reader.chain(base, &wrappers);
        let natural_id = self.alloc(natural);
        self.map.insert(base, natural_id);
        for wrapper in &wrappers[..absorbed] {
            self.map.insert(*wrapper, natural_id);
        }
        // Mutations that could not be merged stay records of their own, each referring to
        // the stage before it.
        for wrapper in &wrappers[absorbed..] {
            let record = self.reader.record(*wrapper);
            let record_id = self.alloc(record);
            self.map.insert(*wrapper, record_id);
        }
        self.map[&id]
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

/// The base of each wrapper, and the wrappers of each base in creation order.
fn chains(graph: &Graph) -> (HashMap<NodeId, NodeId>, HashMap<NodeId, Vec<NodeId>>) {
    let mut base_of: HashMap<NodeId, NodeId> = HashMap::new();
    let mut wrappers: HashMap<NodeId, Vec<NodeId>> = HashMap::new();
    let mut path = Vec::new();
    for (id, node) in graph.nodes() {
        if wrapper_object(node).is_none() || base_of.contains_key(&id) {
            continue;
        }
        // Follow the objects down to the base. A graph the VM made has each wrapper after its
        // object, so this takes one step; a hand-made one may not, or may even loop.
        path.clear();
        let mut current = id;
        let base = loop {
            if let Some(base) = base_of.get(&current) {
                break Some(*base);
            }
            if path.contains(&current) {
                break None;
            }
            match graph.try_node(current).and_then(wrapper_object) {
                Some(Value::Node(object)) => {
                    path.push(current);
                    current = *object;
                }
                Some(_) => break None,
                None => break Some(current),
            }
        };
        if let Some(base) = base {
            for wrapper in &path {
                base_of.insert(*wrapper, base);
            }
        }
    }
    for (wrapper, base) in &base_of {
        wrappers.entry(*base).or_default().push(*wrapper);
    }
    for list in wrappers.values_mut() {
        list.sort_unstable();
    }
    (base_of, wrappers)
}

fn wrapper_object(node: &Node) -> Option<&Value> {
    match node {
        Node::Build { object, .. }
        | Node::Append { object, .. }
        | Node::SetItems { object, .. }
        | Node::AddItems { object, .. } => Some(object),
        _ => None,
    }
}

impl Reader<'_> {
    /// The natural for `base` with its `wrappers` applied, and how many of them were merged
    /// (a prefix; the rest become records).
    fn chain(&self, base: NodeId, wrappers: &[NodeId]) -> (Natural, usize) {
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
        let mut absorbed = self.absorb_all(&mut natural, wrappers);
        if absorbed < wrappers.len() && !matches!(natural, Natural::Object(_)) {
            // A known container with something it cannot hold (an OrderedDict with instance
            // attributes, say) is described as the call it was.
            if let Node::Reduce { callable, args } = node {
                if let Some(mut generic) = self.generic_call(callable, args) {
                    let generic_absorbed = self.absorb_all(&mut generic, wrappers);
                    if generic_absorbed > absorbed {
                        natural = generic;
                        absorbed = generic_absorbed;
                    }
                }
            }
        }
        (natural, absorbed)
    }

    fn absorb_all(&self, natural: &mut Natural, wrappers: &[NodeId]) -> usize {
        wrappers
            .iter()
            .take_while(|wrapper| {
                self.graph
                    .try_node(**wrapper)
                    .is_some_and(|node| self.absorb(natural, node))
            })
            .count()
    }

    /// The natural a node is on its own, before any wrapper.
    fn alone(&self, node: &Node) -> Natural {
        match node {
            Node::Str(text) => Natural::Str(text.clone()),
            Node::Bytes(data) => Natural::Bytes(data.clone()),
            Node::ByteArray(data) => Natural::ByteArray(data.clone()),
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
                        let mut object = Object::new(ObjectKind::Instance, cls.clone());
                        object.args = args.to_vec();
                        object.kwargs = kwargs.to_vec();
                        Natural::Object(Box::new(object))
                    }
                    _ => record_of(node),
                }
            }
            Node::Inst { class, args } | Node::Obj { class, args } => {
                let mut object = Object::new(ObjectKind::Instance, class.clone());
                object.args = args.clone();
                Natural::Object(Box::new(object))
            }
            Node::PersistentId(pid) => Natural::PersistentId(pid.clone()),
            Node::Buffer(buffer) => Natural::Buffer(buffer.clone()),
            Node::Build { .. }
            | Node::Append { .. }
            | Node::SetItems { .. }
            | Node::AddItems { .. } => record_of(node),
        }
    }

    /// Applies one wrapper to the natural, if it can hold what the wrapper does; leaves the
    /// natural unchanged otherwise.
    fn absorb(&self, natural: &mut Natural, wrapper: &Node) -> bool {
        match (natural, wrapper) {
            (Natural::Object(object), Node::Build { state, .. }) => {
                self.absorb_state(object, state)
            }
            (Natural::Object(object), Node::Append { items, .. }) => {
                object.list_items.extend_from_slice(items);
                true
            }
            (Natural::Object(object), Node::SetItems { pairs, .. }) => {
                object.dict_items.extend_from_slice(pairs);
                true
            }
            (
                Natural::OrderedDict(existing)
                | Natural::Counter(existing)
                | Natural::DefaultDict {
                    items: existing, ..
                },
                Node::SetItems { pairs, .. },
            ) => {
                existing.extend_from_slice(pairs);
                true
            }
            (
                Natural::Deque {
                    items: existing, ..
                },
                Node::Append { items, .. },
            ) => {
                existing.extend_from_slice(items);
                true
            }
            (Natural::Set(existing), Node::AddItems { items, .. }) => {
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
        object.setstate = Some(state.clone());
        true
    }

    /// A wrapper that could not be merged, as a record of its children.
    fn record(&self, id: NodeId) -> Natural {
        match self.graph.try_node(id) {
            Some(node) => record_of(node),
            None => Natural::Record {
                kind: "missing",
                fields: Vec::new(),
            },
        }
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
    node.for_each_child(|child| fields.push(child.clone()));
    Natural::Record {
        kind: node.kind_name(),
        fields,
    }
}
