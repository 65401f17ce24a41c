//! [`Graph`]: the arena that owns every node, and [`ValueRef`], the way to read it.

use std::collections::TryReserveError;

use hashbrown::HashMap;
use num_bigint::BigInt;

use crate::change::{Change, Changes};
use crate::flavour::Flavour;
use crate::node::Node;
use crate::py2str::Py2Text;
use crate::pystr::PyStr;
use crate::value::{BigIntId, NodeId, Value};

/// The objects a pickle builds, with their identity.
///
/// Nodes live in an arena and refer to each other by [`NodeId`], so shared references and
/// cycles (a list that contains itself, a dict that refers to its parent) are represented
/// exactly. The root is the value the pickle's STOP returned.
///
/// Two graphs are equal (`==`) when a one-to-one mapping of the nodes reachable from their
/// roots carries one onto the other: the same shapes, the same changes, the same sharing,
/// the same cycles.
/// Floats compare by their bits there, so `nan` equals `nan` and `-0.0` differs from `0.0`.
///
/// # Example
///
/// ```
/// use brine_value::{Graph, Node, Value};
///
/// // l = []; l.append(l)
/// let mut graph = Graph::new();
/// let list = graph.add(Node::List(Vec::new()));
/// if let Node::List(items) = graph.node_mut(list) {
///     items.push(Value::Node(list));
/// }
/// graph.set_root(Value::Node(list));
/// assert_eq!(format!("{graph:?}"), "#0=[#0]");
/// ```
#[derive(Clone, Default)]
pub struct Graph {
    nodes: Vec<Node>,
    /// Only the nodes that were changed have an entry: most have none.
    changes: HashMap<NodeId, Changes>,
    /// Values computed and discarded before a node was first pushed, by node (rare).
    preludes: HashMap<NodeId, Vec<Value>>,
    /// Values computed and discarded with no object on the stack to attach them to.
    effects: Vec<Value>,
    /// The ints outside the `i64` range and the Python 2 ints of the other type
    /// ([`crate::Py2Int`]), which [`Value::BigInt`] indexes.
    bigints: Vec<BigInt>,
    /// How the Python 2 `str` nodes read as text.
    py2_text: Py2Text,
    /// The globals written as CPython's pickler never writes them (rare).
    global_lines: HashMap<NodeId, GlobalLine>,
    /// One bit per node, set for a node the pickle made and never memoized; nodes past its
    /// end (every node of a graph built by hand) count as memoized.
    unmemoized: Vec<u64>,
    /// The protocol the pickle that left those nodes unmemoized declared (0 without PROTO).
    unmemoized_protocol: u8,
    /// The pickler whose idioms the decoder saw, if any.
    flavour: Option<Flavour>,
    root: Value,
}

/// How a pickle wrote a global that CPython's pickler would have written otherwise: as a
/// GLOBAL line at protocol 4 or 5, where CPython writes STACK_GLOBAL, or as a GLOBAL it never
/// memoized, where CPython memoizes every global. Such a line is a producer writing the opcode
/// itself: dill writes `GLOBAL '__builtin__ __main__'` for the `__main__` module's dict, at
/// every protocol, unmemoized.
///
/// The encoder writes the global the same way at `protocol`, so that re-encoding gives the
/// producer's bytes back, and as CPython's pickler does at any other protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GlobalLine {
    /// The protocol the pickle declared with PROTO; 0 without one (protocols 0 and 1).
    pub protocol: u8,
    /// Whether the pickle memoized the global.
    pub memoized: bool,
}

impl GlobalLine {
    /// Whether a pickle written at `protocol` is one like the pickle that wrote the global:
    /// its protocol, or either of 0 and 1 for a pickle without PROTO.
    ///
    /// ```
    /// use brine_value::GlobalLine;
    ///
    /// let line = GlobalLine { protocol: 0, memoized: false };
    /// assert!(line.applies_at(0) && line.applies_at(1) && !line.applies_at(2));
    /// let line = GlobalLine { protocol: 4, memoized: false };
    /// assert!(line.applies_at(4) && !line.applies_at(5));
    /// ```
    pub fn applies_at(self, protocol: u8) -> bool {
        self.protocol.max(1) == protocol.max(1)
    }
}

impl Graph {
    /// An empty graph whose root is `None`.
    pub fn new() -> Graph {
        Graph::default()
    }

    /// An empty graph with room for `capacity` nodes.
    pub fn with_capacity(capacity: usize) -> Graph {
        Graph {
            nodes: Vec::with_capacity(capacity),
            changes: HashMap::new(),
            preludes: HashMap::new(),
            effects: Vec::new(),
            bigints: Vec::new(),
            py2_text: Py2Text::default(),
            global_lines: HashMap::new(),
            unmemoized: Vec::new(),
            unmemoized_protocol: 0,
            flavour: None,
            root: Value::None,
        }
    }

    /// Makes room for `additional` more nodes, or reports that the allocator refused it and
    /// leaves the graph as it was (the arena then grows as nodes are added).
    ///
    /// # Errors
    ///
    /// The allocator's refusal.
    pub fn try_reserve(&mut self, additional: usize) -> Result<(), TryReserveError> {
        self.nodes.try_reserve(additional)
    }

    /// Gives back the node arena's room beyond its nodes when that room is more than the
    /// nodes take, so that a graph decoded into a room sized for a larger one pins at most
    /// twice its nodes' memory, as a grown `Vec` does.
    pub fn trim_arena(&mut self) {
        if self.nodes.capacity() / 2 > self.nodes.len() {
            self.nodes.shrink_to_fit();
        }
    }

    /// Whether a pickle written at `protocol` may memoize node `id`: `false` only for a node
    /// the graph's pickle made and never memoized, at a protocol like its own (as
    /// [`GlobalLine::applies_at`] says), which the encoder then does not memoize either.
    /// CPython 3's picklers memoize every object but a few they never share (the empty
    /// tuple, an extension code's global); CPython 2.7's cPickle memoizes only what is
    /// referenced more than once when it is written, and 3.13 leaves the parts of a nested
    /// global's `getattr` unmemoized: what only the pickle itself records. At any other
    /// protocol the encoder memoizes as CPython's pickler does.
    ///
    /// ```
    /// use brine_value::{Graph, Node};
    ///
    /// let mut graph = Graph::new();
    /// let tuple = graph.add(Node::Tuple(Vec::new()));
    /// assert!(graph.memoized(tuple, 2));
    /// graph.set_unmemoized(tuple, 2);
    /// assert!(!graph.memoized(tuple, 2));
    /// assert!(graph.memoized(tuple, 4));
    /// ```
    pub fn memoized(&self, id: NodeId, protocol: u8) -> bool {
        let index = id.index();
        let applies = self.unmemoized_protocol.max(1) == protocol.max(1);
        !applies
            || self
                .unmemoized
                .get(index / 64)
                .is_none_or(|word| word & (1 << (index % 64)) == 0)
    }

    /// Records that node `id` was made by a pickle written at `protocol` (0 without PROTO)
    /// and never memoized; every such node of a graph has the same protocol.
    pub fn set_unmemoized(&mut self, id: NodeId, protocol: u8) {
        self.unmemoized_protocol = protocol;
        let index = id.index();
        if self.unmemoized.len() <= index / 64 {
            self.unmemoized.resize(index / 64 + 1, 0);
        }
        self.unmemoized[index / 64] |= 1 << (index % 64);
    }

    /// Records every node as memoized (or free to be), forgetting what the pickle did.
    pub fn clear_unmemoized(&mut self) {
        self.unmemoized = Vec::new();
    }

    /// The pickler whose idioms the decoder saw in the pickle (`None`: none that sets one
    /// CPython apart, or a graph built by hand). The encoder writes as that pickler when its
    /// options name no flavour.
    pub fn flavour(&self) -> Option<Flavour> {
        self.flavour
    }

    /// Sets the pickler the graph's pickle was written by.
    pub fn set_flavour(&mut self, flavour: Option<Flavour>) {
        self.flavour = flavour;
    }

    /// How the graph's Python 2 `str` nodes ([`Node::Py2Str`]) read as text: the `encoding`
    /// and `errors` its loader was given (default: ASCII, strict, as in Python).
    pub fn py2_text(&self) -> Py2Text {
        self.py2_text
    }

    /// Sets how the graph's Python 2 `str` nodes read as text.
    pub fn set_py2_text(&mut self, py2_text: Py2Text) {
        self.py2_text = py2_text;
    }

    /// How the pickle wrote global node `id`, when not as CPython's pickler would have:
    /// see [`GlobalLine`] (`None` for nearly every global).
    pub fn global_line(&self, id: NodeId) -> Option<GlobalLine> {
        self.global_lines.get(&id).copied()
    }

    /// Records how the pickle wrote global node `id`.
    pub fn set_global_line(&mut self, id: NodeId, line: GlobalLine) {
        self.global_lines.insert(id, line);
    }

    /// Adds a node and returns its id.
    ///
    /// # Panics
    ///
    /// When the graph already holds `u32::MAX` nodes (the decoder's node limit stops far
    /// below that).
    pub fn add(&mut self, node: Node) -> NodeId {
        let id = u32::try_from(self.nodes.len()).expect("a graph holds at most u32::MAX nodes");
        self.nodes.push(node);
        NodeId(id)
    }

    /// Adds a `str` node.
    pub fn add_str(&mut self, text: &str) -> Value {
        Value::Node(self.add(Node::Str(PyStr::new(text))))
    }

    /// An int value: [`Value::Int`] when it fits in an `i64`, else a [`Value::BigInt`] kept in
    /// the graph's table.
    ///
    /// # Panics
    ///
    /// When the graph already holds `u32::MAX` big ints.
    ///
    /// # Example
    ///
    /// ```
    /// use brine_value::{Graph, Value};
    /// use num_bigint::BigInt;
    ///
    /// let mut graph = Graph::new();
    /// assert_eq!(graph.add_int(BigInt::from(7)), Value::Int(7));
    /// let big = graph.add_int(BigInt::from(u64::MAX));
    /// assert!(matches!(big, Value::BigInt(_)));
    /// assert_eq!(graph.get(&big).as_bigint(), Some(BigInt::from(u64::MAX)));
    /// ```
    pub fn add_int(&mut self, value: BigInt) -> Value {
        if let Ok(small) = i64::try_from(&value) {
            return Value::Int(small);
        }
        self.push_bigint(value)
    }

    /// A new entry of the int table.
    pub(crate) fn push_bigint(&mut self, value: BigInt) -> Value {
        let id = u32::try_from(self.bigints.len()).expect("a graph holds at most u32::MAX ints");
        self.bigints.push(value);
        Value::BigInt(BigIntId(id))
    }

    /// The big int with id `id`.
    ///
    /// # Panics
    ///
    /// When `id` comes from another graph and is out of range.
    pub fn bigint(&self, id: BigIntId) -> &BigInt {
        &self.bigints[id.index()]
    }

    /// The big int with id `id`, or `None` when out of range.
    pub fn try_bigint(&self, id: BigIntId) -> Option<&BigInt> {
        self.bigints.get(id.index())
    }

    /// All big ints, by id.
    pub fn bigints(&self) -> &[BigInt] {
        &self.bigints
    }

    /// The node with id `id`.
    ///
    /// # Panics
    ///
    /// When `id` comes from another graph and is out of range.
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.index()]
    }

    /// The node with id `id`, to change it.
    ///
    /// # Panics
    ///
    /// When `id` comes from another graph and is out of range.
    pub fn node_mut(&mut self, id: NodeId) -> &mut Node {
        &mut self.nodes[id.index()]
    }

    /// The node with id `id`, or `None` when out of range.
    pub fn try_node(&self, id: NodeId) -> Option<&Node> {
        self.nodes.get(id.index())
    }

    /// All nodes, reachable or not, by id.
    pub fn nodes(&self) -> impl ExactSizeIterator<Item = (NodeId, &Node)> {
        self.nodes
            .iter()
            .enumerate()
            .map(|(idx, node)| (NodeId(idx as u32), node))
    }

    /// The changes made to node `id` after it was created, in the order they were made
    /// (empty for most nodes).
    pub fn changes(&self, id: NodeId) -> &[Change] {
        self.changes.get(&id).map_or(&[], Changes::as_slice)
    }

    /// The changes of node `id`, to edit them in place.
    pub fn changes_mut(&mut self, id: NodeId) -> &mut [Change] {
        self.changes
            .get_mut(&id)
            .map_or(&mut [], Changes::as_mut_slice)
    }

    /// Records a change made to node `id`, after the ones it already has.
    ///
    /// A change that continues the last one merges into it, as applying both equals applying
    /// one: two [`Change::Append`]s become one longer one, as do runs of
    /// [`Change::SetItems`] and [`Change::AddItems`]. Two BUILDs stay two.
    ///
    /// # Example
    ///
    /// ```
    /// use brine_value::{Change, Graph, Node, Value};
    ///
    /// // class C: pass; c = C(); c.x = 1, as NEWOBJ then BUILD would make it
    /// let mut graph = Graph::new();
    /// let cls = graph.add_str("C");
    /// let args = Value::Node(graph.add(Node::Tuple(vec![])));
    /// let object = graph.add(Node::NewObj { cls, args, kwargs: None });
    /// let key = graph.add_str("x");
    /// let state = Value::Node(graph.add(Node::Dict(vec![(key, Value::Int(1))])));
    /// graph.push_change(object, Change::Build(state));
    /// graph.set_root(Value::Node(object));
    /// assert_eq!(format!("{graph:?}"), "newobj('C', ()).build({'x': 1})");
    /// assert_eq!(graph.changes(object).len(), 1);
    /// ```
    pub fn push_change(&mut self, id: NodeId, change: Change) {
        match self.changes.entry(id) {
            hashbrown::hash_map::Entry::Occupied(mut changes) => changes.get_mut().push(change),
            hashbrown::hash_map::Entry::Vacant(slot) => {
                slot.insert(Changes::One(change));
            }
        }
    }

    /// Removes the last change of node `id` and returns it.
    pub fn pop_change(&mut self, id: NodeId) -> Option<Change> {
        let changes = self.changes.get_mut(&id)?;
        let last = changes.pop();
        if changes.as_slice().is_empty() {
            self.changes.remove(&id);
        }
        last
    }

    /// Removes the changes of node `id` for which `keep` says `false`.
    pub fn retain_changes(&mut self, id: NodeId, keep: impl FnMut(&Change) -> bool) {
        let Some(changes) = self.changes.get_mut(&id) else {
            return;
        };
        changes.retain(keep);
        if changes.as_slice().is_empty() {
            self.changes.remove(&id);
        }
    }

    /// The nodes that have changes, in no particular order.
    pub fn changed_nodes(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.changes.keys().copied()
    }

    /// The values the pickle computed and discarded right before it first pushed node `id`,
    /// in stream order (empty for nearly every node).
    ///
    /// CPython writes an object that its own constructor arguments refer back to (a set
    /// holding an instance whose state holds the set, at protocols 0-3) as `callable args
    /// REDUCE POP GET`: the outer call builds a first copy, whose arguments built and
    /// memoized the object itself, and the copy is dropped for the memoized object. The
    /// copy is this node's prelude. An object tried more than once before it is memoized
    /// (an object whose `copyreg.__newobj_ex__` arguments hold it, below protocol 4) has
    /// several, one inside the other: each attempt's arguments reach the object again, and
    /// so make the attempt popped before it. The encoder writes the last one popped first,
    /// each earlier one where writing the previous attempt reaches the node, each followed
    /// by POP.
    pub fn prelude(&self, id: NodeId) -> &[Value] {
        self.preludes.get(&id).map_or(&[], Vec::as_slice)
    }

    /// Records a value computed and discarded right before node `id` was pushed.
    pub fn push_prelude(&mut self, id: NodeId, value: Value) {
        self.preludes.entry(id).or_default().push(value);
    }

    /// Removes the prelude values of node `id` for which `keep` says `false`.
    pub fn retain_prelude(&mut self, id: NodeId, keep: impl FnMut(&Value) -> bool) {
        if let Some(values) = self.preludes.get_mut(&id) {
            values.retain(keep);
            if values.is_empty() {
                self.preludes.remove(&id);
            }
        }
    }

    /// The nodes that have a prelude, in no particular order.
    pub fn prelude_nodes(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.preludes.keys().copied()
    }

    /// The values the pickle computed and discarded when no object was on its stack to
    /// attach them to (`os.system('ls') POP` at the start of a pickle), in stream order.
    /// The encoder writes each, then POP, before the root.
    pub fn effects(&self) -> &[Value] {
        &self.effects
    }

    /// Records a value computed and discarded with nothing on the stack to attach it to.
    pub fn push_effect(&mut self, value: Value) {
        self.effects.push(value);
    }

    /// Removes the last effect and returns it.
    pub fn pop_effect(&mut self) -> Option<Value> {
        self.effects.pop()
    }

    /// Removes the effects for which `keep` says `false`.
    pub fn retain_effects(&mut self, keep: impl FnMut(&Value) -> bool) {
        self.effects.retain(keep);
    }

    /// Whether anything was computed and discarded: a prelude, an effect, or a
    /// [`Change::Effect`] or [`Change::SetState`] of some node.
    pub fn has_effects(&self) -> bool {
        !self.effects.is_empty()
            || !self.preludes.is_empty()
            || self.changes.values().any(|changes| {
                changes
                    .as_slice()
                    .iter()
                    .any(|c| matches!(c, Change::Effect(_) | Change::SetState { .. }))
            })
    }

    /// Calls `visit` on every value node `id` refers to: its prelude, its own children, then
    /// those of its changes.
    pub fn for_each_child(&self, id: NodeId, mut visit: impl FnMut(&Value)) {
        self.prelude(id).iter().for_each(&mut visit);
        if let Some(node) = self.try_node(id) {
            node.for_each_child(&mut visit);
        }
        for change in self.changes(id) {
            change.for_each_child(&mut visit);
        }
    }

    /// The number of nodes in the arena.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// How many nodes the arena holds room for without growing.
    pub fn capacity(&self) -> usize {
        self.nodes.capacity()
    }

    /// Whether the arena holds no node.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The root value.
    pub fn root_value(&self) -> &Value {
        &self.root
    }

    /// Sets the root value.
    pub fn set_root(&mut self, root: Value) {
        self.root = root;
    }

    /// The root, to read.
    pub fn root(&self) -> ValueRef<'_> {
        ValueRef {
            graph: self,
            value: &self.root,
        }
    }

    /// Any value of this graph, to read.
    pub fn get<'g>(&'g self, value: &'g Value) -> ValueRef<'g> {
        ValueRef { graph: self, value }
    }
}

/// A value together with the graph it lives in: the read API.
///
/// # Example
///
/// ```
/// use brine_value::{Graph, Node, Value};
///
/// let mut graph = Graph::new();
/// let key = graph.add_str("numbers");
/// let list = graph.add(Node::List(vec![Value::Int(1), Value::Int(2)]));
/// let dict = graph.add(Node::Dict(vec![(key, Value::Node(list))]));
/// graph.set_root(Value::Node(dict));
///
/// let numbers = graph.root().get("numbers").unwrap();
/// let ints: Vec<i64> = numbers.iter().unwrap().filter_map(|v| v.as_i64()).collect();
/// assert_eq!(ints, [1, 2]);
/// ```
#[derive(Clone, Copy)]
pub struct ValueRef<'g> {
    graph: &'g Graph,
    value: &'g Value,
}

impl<'g> ValueRef<'g> {
    /// The value itself.
    pub fn value(&self) -> &'g Value {
        self.value
    }

    /// The graph the value belongs to.
    pub fn graph(&self) -> &'g Graph {
        self.graph
    }

    /// The node the value refers to, if any.
    pub fn node(&self) -> Option<&'g Node> {
        self.value.node().and_then(|id| self.graph.try_node(id))
    }

    /// Python's `is`: whether both refer to the same object. Nodes are objects: the same node
    /// of the same graph is the same object, and two nodes are two objects even when equal
    /// (`[] is []` is false). `None`, `True` and `False` are singletons, as in Python. Other
    /// scalars (ints, floats) are kept inline without an identity, so they are never `is`
    /// anything: CPython's answer for them depends on its caches, not on the pickle.
    ///
    /// ```
    /// use brine_value::{Graph, Node};
    ///
    /// // x = []; [x, x, []]
    /// let mut graph = Graph::new();
    /// let x = graph.add(Node::List(vec![]));
    /// let other = graph.add(Node::List(vec![]));
    /// let root = graph.add(Node::List(vec![x.into(), x.into(), other.into()]));
    /// graph.set_root(root.into());
    ///
    /// let root = graph.root();
    /// let (a, b, c) = (root.index(0).unwrap(), root.index(1).unwrap(), root.index(2).unwrap());
    /// assert!(a.is(&b));
    /// assert!(!a.is(&c));
    /// ```
    pub fn is(&self, other: &ValueRef<'_>) -> bool {
        if !std::ptr::eq(self.graph, other.graph) {
            return false;
        }
        match (self.value, other.value) {
            (Value::Node(a), Value::Node(b)) => a == b,
            (Value::None, Value::None) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            _ => false,
        }
    }

    /// The changes the pickle made to the node after creating it (empty for a scalar).
    pub fn changes(&self) -> &'g [Change] {
        self.value.node().map_or(&[], |id| self.graph.changes(id))
    }

    /// Whether the value is `None`.
    pub fn is_none(&self) -> bool {
        matches!(self.value, Value::None)
    }

    /// The value of a `bool`.
    pub fn as_bool(&self) -> Option<bool> {
        match *self.value {
            Value::Bool(value) => Some(value),
            _ => None,
        }
    }

    /// The value of an `int` that fits in an `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        match *self.value {
            Value::Int(value) => Some(value),
            // A Python 2 int kept for its type ([`crate::Py2Int`]) is still an int.
            Value::BigInt(id) => self
                .graph
                .try_bigint(id)
                .and_then(|v| i64::try_from(v).ok()),
            _ => None,
        }
    }

    /// The value of any `int`.
    pub fn as_bigint(&self) -> Option<BigInt> {
        match self.value {
            Value::Int(value) => Some(BigInt::from(*value)),
            Value::BigInt(id) => self.graph.try_bigint(*id).cloned(),
            _ => None,
        }
    }

    /// The value of a `float`.
    pub fn as_f64(&self) -> Option<f64> {
        match *self.value {
            Value::Float(value) => Some(value),
            _ => None,
        }
    }

    /// The text of a `str` without lone surrogates, or of a Python 2 `str` that is ASCII
    /// (the same text in every encoding the graph may name, `bytes` aside).
    pub fn as_str(&self) -> Option<&'g str> {
        if let Some(Node::Py2Str(data)) = self.node() {
            if data.is_ascii() && self.graph.py2_text.encoding != crate::StringEncoding::Bytes {
                return std::str::from_utf8(data).ok();
            }
            return None;
        }
        self.as_pystr().and_then(PyStr::as_str)
    }

    /// A `str`, surrogates and all.
    pub fn as_pystr(&self) -> Option<&'g PyStr> {
        match self.node()? {
            Node::Str(text) => Some(text),
            _ => None,
        }
    }

    /// The bytes of a `bytes` or `bytearray`, or of a Python 2 `str` in a graph loaded with
    /// `encoding="bytes"` (which is what `pickle.loads` gives then).
    pub fn as_bytes(&self) -> Option<&'g [u8]> {
        match self.node()? {
            Node::Bytes(data) | Node::ByteArray(data) => Some(data),
            Node::Py2Str(data) if self.graph.py2_text.encoding == crate::StringEncoding::Bytes => {
                Some(data)
            }
            _ => None,
        }
    }

    /// The text of a `str`, or of a Python 2 `str` read with the graph's
    /// [`Graph::py2_text`], as `pickle.loads` would give it; `None` for anything else, for
    /// text with lone surrogates, and for a Python 2 `str` the encoding cannot decode (or
    /// `encoding="bytes"`).
    ///
    /// # Example
    ///
    /// ```
    /// use brine_value::{Graph, Node, Py2Text, StringEncoding, Value};
    ///
    /// let mut graph = Graph::new();
    /// let text = graph.add(Node::Py2Str(bytes::Bytes::from_static(b"caf\xe9")));
    /// graph.set_root(Value::Node(text));
    /// assert_eq!(graph.root().text(), None); // not ASCII
    /// graph.set_py2_text(Py2Text { encoding: StringEncoding::Latin1, ..Py2Text::default() });
    /// assert_eq!(graph.root().text().as_deref(), Some("café"));
    /// ```
    pub fn text(&self) -> Option<std::borrow::Cow<'g, str>> {
        match self.node()? {
            Node::Py2Str(data) => match self.graph.py2_text.decode(data).ok()? {
                crate::Py2Value::Str(text) => text
                    .as_str()
                    .map(|text| std::borrow::Cow::Owned(text.to_owned())),
                crate::Py2Value::Bytes(_) => None,
            },
            _ => self.as_str().map(std::borrow::Cow::Borrowed),
        }
    }

    /// The items of a `list`.
    pub fn as_list(&self) -> Option<&'g [Value]> {
        match self.node()? {
            Node::List(items) => Some(items),
            _ => None,
        }
    }

    /// The items of a `tuple`.
    pub fn as_tuple(&self) -> Option<&'g [Value]> {
        match self.node()? {
            Node::Tuple(items) => Some(items),
            _ => None,
        }
    }

    /// The pairs of a `dict`, in insertion order.
    pub fn as_dict(&self) -> Option<&'g [(Value, Value)]> {
        match self.node()? {
            Node::Dict(pairs) => Some(pairs),
            _ => None,
        }
    }

    /// The items of a list, tuple, set or frozenset, or the keys of a dict.
    pub fn iter(&self) -> Option<impl Iterator<Item = ValueRef<'g>> + 'g> {
        let graph = self.graph;
        let items: Box<dyn Iterator<Item = &'g Value> + 'g> = match self.node()? {
            Node::List(items) | Node::Tuple(items) | Node::Set(items) | Node::FrozenSet(items) => {
                Box::new(items.iter())
            }
            Node::Dict(pairs) => Box::new(pairs.iter().map(|(key, _)| key)),
            _ => return None,
        };
        Some(items.map(move |value| ValueRef { graph, value }))
    }

    /// The key-value pairs of a dict.
    pub fn items(&self) -> Option<impl Iterator<Item = (ValueRef<'g>, ValueRef<'g>)> + 'g> {
        let graph = self.graph;
        let pairs = self.as_dict()?;
        Some(
            pairs.iter().map(move |(key, value)| {
                (ValueRef { graph, value: key }, ValueRef { graph, value })
            }),
        )
    }

    /// The value under the `str` key `key` of a dict (the last one, as Python keeps).
    pub fn get(&self, key: &str) -> Option<ValueRef<'g>> {
        let graph = self.graph;
        let pairs = self.as_dict()?;
        pairs
            .iter()
            .rev()
            .find(|(k, _)| graph.get(k).as_str() == Some(key))
            .map(|(_, value)| ValueRef { graph, value })
    }

    /// Item `idx` of a list or tuple.
    pub fn index(&self, idx: usize) -> Option<ValueRef<'g>> {
        let graph = self.graph;
        let items = match self.node()? {
            Node::List(items) | Node::Tuple(items) => items,
            _ => return None,
        };
        items.get(idx).map(|value| ValueRef { graph, value })
    }

    /// The number of items of a container, or of code points of a str, or of bytes.
    pub fn len(&self) -> Option<usize> {
        Some(match self.node()? {
            Node::Str(text) => text.char_len(),
            Node::Bytes(data) | Node::ByteArray(data) => data.len(),
            Node::List(items) | Node::Tuple(items) | Node::Set(items) | Node::FrozenSet(items) => {
                items.len()
            }
            Node::Dict(pairs) => pairs.len(),
            _ => return None,
        })
    }

    /// Whether a container, str or bytes value is empty.
    pub fn is_empty(&self) -> Option<bool> {
        self.len().map(|len| len == 0)
    }

    /// The module and qualified name of a global, when both are text.
    pub fn as_global(&self) -> Option<(&'g str, &'g str)> {
        match self.node()? {
            Node::Global { module, name } => Some((
                self.graph.get(module).as_str()?,
                self.graph.get(name).as_str()?,
            )),
            _ => None,
        }
    }
}
