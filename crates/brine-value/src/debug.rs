//! A readable `Debug` for graphs: Python's repr, with `#n=` labels on shared nodes.

use std::fmt::{self, Write as _};

use brine_lex::repr;
use hashbrown::HashMap;

use crate::change::Change;
use crate::graph::{Graph, ValueRef};
use crate::node::Node;
use crate::value::{NodeId, Value};

/// Nesting beyond this prints `...`, so that a 100,000-deep list cannot overflow the stack.
const MAX_DEPTH: usize = 200;

impl fmt::Debug for Graph {
    /// Python's repr of the root, where a node reached more than once is labelled `#n=` the
    /// first time and written `#n` after: `#0=[#0]` is a list that contains itself.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // What the pickle computed and discarded with nothing on its stack comes first, as
        // statements before the result.
        f.write_str(&render(self, self.effects(), self.root_value()))
    }
}

impl fmt::Debug for ValueRef<'_> {
    /// Python's repr of this value, labelled as [`Graph`]'s `Debug` labels the whole graph,
    /// counting only the references reachable from this value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&render(self.graph(), &[], self.value()))
    }
}

/// The repr of `effects` (as statements) and then `value`.
fn render(graph: &Graph, effects: &[Value], value: &Value) -> String {
    let mut printer = Printer {
        graph,
        shared: shared_nodes(graph, effects, value),
        labels: HashMap::new(),
        out: String::new(),
    };
    for effect in effects {
        printer.value(effect, 0);
        printer.out.push_str("; ");
    }
    printer.value(value, 0);
    printer.out
}

/// The nodes reachable from `value` (and from `effects`) through more than one edge.
fn shared_nodes(graph: &Graph, effects: &[Value], value: &Value) -> HashMap<NodeId, ()> {
    let mut seen: HashMap<NodeId, u32> = HashMap::new();
    let start = value.node().filter(|&id| graph.try_node(id).is_some());
    let mut stack: Vec<NodeId> = start.into_iter().collect();
    if let Some(start) = start {
        seen.insert(start, 0);
    }
    for effect in effects.iter().filter_map(Value::node) {
        let count = seen.entry(effect).or_insert(0);
        *count += 1;
        if *count == 1 && Some(effect) != start {
            stack.push(effect);
        }
    }
    while let Some(id) = stack.pop() {
        graph.for_each_child(id, |child| {
            if let Some(child) = child.node() {
                let count = seen.entry(child).or_insert(0);
                *count += 1;
                if *count == 1 && Some(child) != start {
                    stack.push(child);
                }
            }
        });
    }
    seen.into_iter()
        .filter(|&(id, count)| count + u32::from(Some(id) == start) > 1)
        .map(|(id, _)| (id, ()))
        .collect()
}

struct Printer<'g> {
    graph: &'g Graph,
    shared: HashMap<NodeId, ()>,
    labels: HashMap<NodeId, usize>,
    out: String,
}

impl Printer<'_> {
    fn value(&mut self, value: &Value, depth: usize) {
        match value {
            Value::None => self.out.push_str("None"),
            Value::Bool(true) => self.out.push_str("True"),
            Value::Bool(false) => self.out.push_str("False"),
            Value::Int(value) => {
                let _ = write!(self.out, "{value}");
            }
            Value::BigInt(id) => match self.graph.try_bigint(*id) {
                Some(value) => {
                    let _ = write!(self.out, "{value}");
                }
                None => {
                    let _ = write!(self.out, "<dangling int {}>", id.index());
                }
            },
            Value::Float(value) => self.out.push_str(&repr::float_repr(*value)),
            Value::Node(id) => self.node(*id, depth),
        }
    }

    fn node(&mut self, id: NodeId, depth: usize) {
        if let Some(label) = self.labels.get(&id) {
            let _ = write!(self.out, "#{label}");
            return;
        }
        if depth > MAX_DEPTH {
            self.out.push_str("...");
            return;
        }
        if self.shared.contains_key(&id) {
            let label = self.labels.len();
            self.labels.insert(id, label);
            let _ = write!(self.out, "#{label}=");
        }
        let graph = self.graph;
        let Some(node) = graph.try_node(id) else {
            let _ = write!(self.out, "<dangling node {}>", id.index());
            return;
        };
        let depth = depth + 1;
        // A prelude was computed and dropped right before the node: `(prelude; node)`.
        let prelude = graph.prelude(id);
        if !prelude.is_empty() {
            self.out.push('(');
            for value in prelude {
                self.value(value, depth);
                self.out.push_str("; ");
            }
        }
        match node {
            Node::Str(text) => self.out.push_str(&repr::str_repr(text.as_bytes())),
            Node::Bytes(data) => self.out.push_str(&repr::bytes_repr(data)),
            Node::ByteArray(data) => {
                let _ = write!(self.out, "bytearray({})", repr::bytes_repr(data));
            }
            Node::Py2Str(data) => {
                let _ = write!(self.out, "py2str({})", repr::bytes_repr(data));
            }
            Node::Ext(code) => {
                let _ = write!(self.out, "<ext {code}>");
            }
            Node::Tuple(items) => {
                self.out.push('(');
                self.seq(items, depth);
                if items.len() == 1 {
                    self.out.push(',');
                }
                self.out.push(')');
            }
            Node::List(items) => {
                self.out.push('[');
                self.seq(items, depth);
                self.out.push(']');
            }
            Node::Dict(pairs) => {
                self.out.push('{');
                self.pairs(pairs, depth);
                self.out.push('}');
            }
            Node::Set(items) if items.is_empty() => self.out.push_str("set()"),
            Node::Set(items) => {
                self.out.push('{');
                self.seq(items, depth);
                self.out.push('}');
            }
            Node::FrozenSet(items) => {
                self.out.push_str("frozenset({");
                self.seq(items, depth);
                self.out.push_str("})");
            }
            Node::Global { module, name } => {
                let module_ref = graph.get(module);
                let name_ref = graph.get(name);
                match (module_ref.as_str(), name_ref.as_str()) {
                    (Some(module), Some(name)) => {
                        let _ = write!(self.out, "<global {module}.{name}>");
                    }
                    _ => self.call("global", &[module, name], depth),
                }
            }
            Node::Reduce { callable, args } => self.call("reduce", &[callable, args], depth),
            Node::NewObj {
                cls,
                args,
                kwargs: None,
            } => self.call("newobj", &[cls, args], depth),
            Node::NewObj {
                cls,
                args,
                kwargs: Some(kwargs),
            } => {
                self.call("newobj_ex", &[cls, args, kwargs], depth);
            }
            Node::Inst { class, args } | Node::Obj { class, args } => {
                let _ = write!(self.out, "{}(", node.kind_name());
                self.value(class, depth);
                for arg in args {
                    self.out.push_str(", ");
                    self.value(arg, depth);
                }
                self.out.push(')');
            }
            Node::PersistentId(pid) => self.call("persistent_id", &[pid], depth),
            Node::Buffer(buffer) => {
                let _ = write!(
                    self.out,
                    "<buffer {}{}{}>",
                    buffer.index,
                    if buffer.readonly { " readonly" } else { "" },
                    match &buffer.data {
                        Some(data) => format!(" of {} bytes", data.len()),
                        None => String::new(),
                    }
                );
            }
        }
        self.changes(id, depth);
        if !prelude.is_empty() {
            self.out.push(')');
        }
    }

    /// The changes as method calls after the node: `.build(state)`, `.append([…])`,
    /// `.setitems({…})`, `.additems([…])`, `.setstate(setter, state)`, `.effect(value)`,
    /// `.fill(container, from..to)`, `.raw(<n bytes>)`.
    fn changes(&mut self, id: NodeId, depth: usize) {
        for change in self.graph.changes(id) {
            let _ = write!(self.out, ".{}(", change.kind_name());
            match change {
                Change::Build(state) | Change::Effect(state) => self.value(state, depth),
                Change::SetState { setter, state } => {
                    self.value(setter, depth);
                    self.out.push_str(", ");
                    self.value(state, depth);
                }
                Change::Append(items) | Change::AddItems(items) => {
                    self.out.push('[');
                    self.seq(items, depth);
                    self.out.push(']');
                }
                Change::SetItems(pairs) => {
                    self.out.push('{');
                    self.pairs(pairs, depth);
                    self.out.push('}');
                }
                Change::Fill {
                    container,
                    from,
                    to,
                } => {
                    self.value(container, depth);
                    let _ = write!(self.out, ", {from}..{to}");
                }
                // The length, not the bytes: raw array data may be gigabytes.
                Change::Raw(data) => {
                    let _ = write!(self.out, "<{} bytes>", data.len());
                }
            }
            self.out.push(')');
        }
    }

    fn pairs(&mut self, pairs: &[(Value, Value)], depth: usize) {
        for (idx, (key, value)) in pairs.iter().enumerate() {
            if idx > 0 {
                self.out.push_str(", ");
            }
            self.value(key, depth);
            self.out.push_str(": ");
            self.value(value, depth);
        }
    }

    fn seq(&mut self, items: &[Value], depth: usize) {
        for (idx, item) in items.iter().enumerate() {
            if idx > 0 {
                self.out.push_str(", ");
            }
            self.value(item, depth);
        }
    }

    fn call(&mut self, name: &str, args: &[&Value], depth: usize) {
        self.out.push_str(name);
        self.out.push('(');
        for (idx, arg) in args.iter().enumerate() {
            if idx > 0 {
                self.out.push_str(", ");
            }
            self.value(arg, depth);
        }
        self.out.push(')');
    }
}

#[cfg(test)]
mod tests {
    use crate::{Graph, Node, Value};

    /// `x = [1]; root = [x, x, {"self": ...}]` where the dict holds the root itself.
    fn sample() -> Graph {
        let mut graph = Graph::new();
        let x = graph.add(Node::List(vec![Value::Int(1)]));
        let key = graph.add(Node::Str("self".into()));
        let root = graph.add(Node::List(vec![]));
        let dict = graph.add(Node::Dict(vec![(key.into(), root.into())]));
        *graph.node_mut(root) = Node::List(vec![x.into(), x.into(), dict.into()]);
        graph.set_root(root.into());
        graph
    }

    #[test]
    fn a_sub_value_prints_with_its_own_labels() {
        let graph = sample();
        assert_eq!(format!("{graph:?}"), "#0=[#1=[1], #1, {'self': #0}]");
        let root = graph.root();
        // Reached once from itself, the inner list is not labelled.
        assert_eq!(format!("{:?}", root.index(0).unwrap()), "[1]");
        // From the dict: the dict is reached again through the root list, and the inner list
        // twice; the root list only once.
        assert_eq!(
            format!("{:?}", root.index(2).unwrap()),
            "#0={'self': [#1=[1], #1, #0]}"
        );
        assert_eq!(format!("{:?}", graph.get(&Value::Int(7))), "7");
    }
}
