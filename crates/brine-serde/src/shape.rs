//! What a graph value is in serde's terms: the forms CPython writes for a set, bytes or an
//! OrderedDict at each protocol, and instances with their class, arguments and state.
//!
//! Nothing is looked up or called: a reduction is recognised by the global it names.

use std::borrow::Cow;

use brine_value::{Change, Graph, Node, NodeId, PyStr, Value};
use num_bigint::BigInt;

/// A graph value, resolved.
pub(crate) enum Shape<'g> {
    None,
    Bool(bool),
    Int(i64),
    BigInt(&'g BigInt),
    Float(f64),
    Str(&'g PyStr),
    /// An ASCII Python 2 `str`: the same text in every encoding.
    AsciiStr(&'g str),
    /// A Python 2 `str` read as text with the graph's encoding.
    OwnedStr(PyStr),
    /// `bytes`, `bytearray` or a protocol 5 buffer, held in the graph.
    Bytes(&'g [u8], &'static str),
    /// Bytes made by a protocol 0-2 reduction: `_codecs.encode(text, 'latin1')`.
    OwnedBytes(Vec<u8>, &'static str),
    Seq(Seq<'g>),
    Map(Map<'g>),
    Object(Object<'g>),
    /// Something the data model has no place for, named for messages.
    Other(String),
}

/// The items of a list, tuple, set, frozenset, or of a reduction that makes one, in parts.
pub(crate) struct Seq<'g> {
    pub(crate) kind: &'static str,
    pub(crate) parts: Vec<&'g [Value]>,
    pub(crate) id: NodeId,
}

/// The pairs of a dict, or of a reduction that makes one (OrderedDict, Counter, defaultdict,
/// a dict subclass), in parts.
pub(crate) struct Map<'g> {
    pub(crate) kind: &'static str,
    pub(crate) parts: Vec<Pairs<'g>>,
    pub(crate) id: NodeId,
}

/// A run of key-value pairs.
#[derive(Clone, Copy)]
pub(crate) enum Pairs<'g> {
    /// SETITEMS pairs.
    Pairs(&'g [(Value, Value)]),
    /// A list of `[key, value]` lists or tuples, as Python 2 pickles an OrderedDict.
    List(&'g [Value]),
}

impl Pairs<'_> {
    pub(crate) fn len(self) -> usize {
        match self {
            Pairs::Pairs(pairs) => pairs.len(),
            Pairs::List(items) => items.len(),
        }
    }
}

/// An instance, or any object made by a call the resolver does not know: its class, its
/// constructor arguments, its BUILD states and what APPEND / SETITEMS added to it.
pub(crate) struct Object<'g> {
    pub(crate) class: Option<Class<'g>>,
    pub(crate) args: &'g [Value],
    pub(crate) states: Vec<&'g Value>,
    pub(crate) appended: Vec<&'g [Value]>,
    pub(crate) set_items: Vec<&'g [(Value, Value)]>,
    pub(crate) id: NodeId,
}

/// How an instance's state reads as struct fields.
pub(crate) enum StateView<'g> {
    /// Dicts: `__dict__` and slots, merged in order as BUILD applies them.
    Fields(Vec<Pairs<'g>>),
    /// A state of another kind, handed to `__setstate__` in Python: read it as it is.
    Value(&'g Value),
}

impl<'g> Object<'g> {
    /// The class as `module.qualname`, for messages.
    pub(crate) fn describe(&self) -> String {
        match &self.class {
            Some((module, qualname)) => format!("{module}.{qualname} instance"),
            None => "object made by a call".to_owned(),
        }
    }

    /// The state as struct fields, following `object.__setstate__`'s default: a dict updates
    /// `__dict__`, a `(dict, slots)` pair sets both.
    pub(crate) fn state_view(&self, graph: &'g Graph) -> Option<StateView<'g>> {
        let mut parts = Vec::new();
        let mut other = None;
        for &state in &self.states {
            match state {
                Value::None => {}
                Value::Node(id) => match graph.try_node(*id) {
                    Some(Node::Dict(pairs)) => parts.push(Pairs::Pairs(pairs)),
                    Some(Node::Tuple(items)) if items.len() == 2 && is_state_pair(graph, items) => {
                        for item in items {
                            if let Some(Node::Dict(pairs)) =
                                item.node().and_then(|id| graph.try_node(id))
                            {
                                parts.push(Pairs::Pairs(pairs));
                            }
                        }
                    }
                    _ => other = Some(state),
                },
                _ => other = Some(state),
            }
        }
        match other {
            Some(state) if parts.is_empty() => Some(StateView::Value(state)),
            _ if parts.is_empty() && self.states.is_empty() => None,
            _ => Some(StateView::Fields(parts)),
        }
    }
}

/// `(dict or None, dict)`: the state CPython writes for an instance with `__slots__`.
fn is_state_pair(graph: &Graph, items: &[Value]) -> bool {
    let is_dict = |value: &Value| {
        matches!(
            value.node().and_then(|id| graph.try_node(id)),
            Some(Node::Dict(_))
        )
    };
    (items[0] == Value::None || is_dict(&items[0])) && is_dict(&items[1])
}

/// Resolves `value`.
pub(crate) fn shape<'g>(graph: &'g Graph, value: &'g Value) -> Shape<'g> {
    shape_counted(graph, value).0
}

/// Resolves `value`, and says how many changes (BUILD, APPEND, SETITEMS, ADDITEMS) it read:
/// the work, which hostile input could make large.
pub(crate) fn shape_counted<'g>(graph: &'g Graph, value: &'g Value) -> (Shape<'g>, usize) {
    match value {
        Value::None => (Shape::None, 0),
        Value::Bool(v) => (Shape::Bool(*v), 0),
        Value::Int(v) => (Shape::Int(*v), 0),
        Value::BigInt(id) => match graph.try_bigint(*id) {
            Some(v) => (Shape::BigInt(v), 0),
            None => (
                Shape::Other(format!("int {} (not in the graph)", id.index())),
                0,
            ),
        },
        Value::Float(v) => (Shape::Float(*v), 0),
        Value::Node(id) => node_shape(graph, *id),
    }
}

/// The Python type of `value`, for messages.
pub(crate) fn describe(graph: &Graph, value: &Value) -> String {
    match shape(graph, value) {
        Shape::None => "None".to_owned(),
        Shape::Bool(_) => "bool".to_owned(),
        Shape::Int(_) | Shape::BigInt(_) => "int".to_owned(),
        Shape::Float(_) => "float".to_owned(),
        Shape::Str(_) | Shape::AsciiStr(_) | Shape::OwnedStr(_) => "str".to_owned(),
        Shape::Bytes(_, kind) | Shape::OwnedBytes(_, kind) => kind.to_owned(),
        Shape::Seq(seq) => seq.kind.to_owned(),
        Shape::Map(map) => map.kind.to_owned(),
        Shape::Object(object) => object.describe(),
        Shape::Other(what) => what,
    }
}

fn node_shape(graph: &Graph, id: NodeId) -> (Shape<'_>, usize) {
    let Some(node) = graph.try_node(id) else {
        return (
            Shape::Other(format!("node {} (not in the graph)", id.index())),
            0,
        );
    };
    let changes = graph.changes(id);
    let mut states = Vec::new();
    let mut appended = Vec::new();
    let mut set_items = Vec::new();
    let mut added = Vec::new();
    for change in changes {
        match change {
            Change::Build(state) => states.push(state),
            Change::Append(items) => appended.push(&items[..]),
            Change::SetItems(pairs) => set_items.push(&pairs[..]),
            Change::AddItems(items) => added.push(&items[..]),
            _ => {
                let what = format!("an object with a {} change", change.kind_name());
                return (Shape::Other(what), changes.len());
            }
        }
    }
    (
        base_shape(graph, node, id, states, appended, set_items, added),
        changes.len(),
    )
}

/// The object with what its changes did to it, in the order the pickle made them.
#[allow(clippy::too_many_arguments)] // reason: the parts of one decoded object, used once
fn base_shape<'g>(
    graph: &'g Graph,
    node: &'g Node,
    id: NodeId,
    states: Vec<&'g Value>,
    appended: Vec<&'g [Value]>,
    set_items: Vec<&'g [(Value, Value)]>,
    added: Vec<&'g [Value]>,
) -> Shape<'g> {
    let (class, callable_args): (Option<Class<'_>>, &[Value]) = match node {
        Node::Str(text) => return Shape::Str(text),
        // What `pickle.loads(data, encoding=...)` gives for a Python 2 str.
        Node::Py2Str(data) => {
            let text = graph.py2_text();
            if data.is_ascii() && text.encoding != brine_value::StringEncoding::Bytes {
                // ASCII bytes are valid UTF-8.
                return Shape::AsciiStr(std::str::from_utf8(data).unwrap_or_default());
            }
            return match text.decode(data) {
                Ok(brine_value::Py2Value::Str(text)) => Shape::OwnedStr(text),
                Ok(brine_value::Py2Value::Bytes(_)) => Shape::Bytes(data, "bytes"),
                Err(err) => Shape::Other(format!("str (Python 2): {err}")),
            };
        }
        Node::Bytes(data) => return Shape::Bytes(data, "bytes"),
        Node::ByteArray(data) => return Shape::Bytes(data, "bytearray"),
        Node::Tuple(items) => return seq("tuple", vec![items], id),
        Node::List(items) => return seq("list", vec![items], id),
        Node::Set(items) => {
            let mut parts = vec![&items[..]];
            parts.extend(added);
            return seq("set", parts, id);
        }
        Node::FrozenSet(items) => return seq("frozenset", vec![items], id),
        Node::Dict(pairs) => {
            let mut parts = vec![Pairs::Pairs(pairs)];
            parts.extend(set_items.into_iter().map(Pairs::Pairs));
            return Shape::Map(Map {
                kind: "dict",
                parts,
                id,
            });
        }
        Node::Buffer(buffer) => {
            return match &buffer.data {
                Some(data) => Shape::Bytes(data, "PickleBuffer"),
                None => Shape::Other("out-of-band PickleBuffer without its data".to_owned()),
            };
        }
        Node::Global { .. } => {
            let name = graph
                .get(&Value::Node(id))
                .as_global()
                .map(|(module, name)| format!("global {module}.{name}"))
                .unwrap_or_else(|| "global".to_owned());
            return Shape::Other(name);
        }
        Node::PersistentId(_) => return Shape::Other("persistent id".to_owned()),
        Node::Reduce { callable, args } => {
            let Some(args) = tuple_items(graph, args) else {
                return Shape::Other("reduce with arguments that are not a tuple".to_owned());
            };
            (global(graph, callable), args)
        }
        Node::NewObj { cls, args, .. } => {
            let Some(args) = tuple_items(graph, args) else {
                return Shape::Other("newobj with arguments that are not a tuple".to_owned());
            };
            let object = Object {
                class: global(graph, cls),
                args,
                states,
                appended,
                set_items,
                id,
            };
            return Shape::Object(object);
        }
        Node::Inst { class, args } | Node::Obj { class, args } => {
            let object = Object {
                class: global(graph, class),
                args,
                states,
                appended,
                set_items,
                id,
            };
            return Shape::Object(object);
        }
        _ => return Shape::Other(node.kind_name().to_owned()),
    };
    reduce_shape(
        graph,
        class,
        callable_args,
        states,
        appended,
        set_items,
        added,
        id,
    )
}

/// A REDUCE: the standard reductions by the global they call, anything else an object.
#[allow(clippy::too_many_arguments)] // reason: the parts of one decoded object, used once
fn reduce_shape<'g>(
    graph: &'g Graph,
    class: Option<Class<'g>>,
    args: &'g [Value],
    states: Vec<&'g Value>,
    appended: Vec<&'g [Value]>,
    set_items: Vec<&'g [(Value, Value)]>,
    added: Vec<&'g [Value]>,
    id: NodeId,
) -> Shape<'g> {
    let (module, name) = class
        .as_ref()
        .map_or(("", ""), |(module, name)| (*module, name.as_ref()));
    let module = match module {
        "__builtin__" => "builtins",
        "copy_reg" => "copyreg",
        other => other,
    };
    let first_items = || args.first().and_then(|first| plain_items(graph, first));
    match (module, name) {
        ("builtins", kind @ ("set" | "frozenset" | "list" | "tuple"))
        | ("collections", kind @ "deque") => {
            let mut parts = Vec::new();
            match args.first() {
                None => {}
                Some(_) => match first_items() {
                    Some(items) => parts.push(items),
                    None => {
                        return Shape::Other(format!("{kind} of something not a list or tuple"));
                    }
                },
            }
            parts.extend(added);
            parts.extend(appended);
            let kind = match kind {
                "set" => "set",
                "frozenset" => "frozenset",
                "list" => "list",
                "tuple" => "tuple",
                _ => "collections.deque",
            };
            return seq(kind, parts, id);
        }
        ("builtins", kind @ ("bytes" | "bytearray")) => {
            let kind = if kind == "bytes" {
                "bytes"
            } else {
                "bytearray"
            };
            return match args {
                [] => Shape::OwnedBytes(Vec::new(), kind),
                [data] => bytes_argument(graph, data, kind),
                [text, encoding] => latin1_bytes(graph, text, encoding, kind),
                _ => Shape::Other(format!("{kind} with {} arguments", args.len())),
            };
        }
        ("_codecs", "encode") => {
            return match args {
                [text, encoding] => latin1_bytes(graph, text, encoding, "bytes"),
                _ => Shape::Other(
                    "_codecs.encode with other arguments than (str, 'latin1')".to_owned(),
                ),
            };
        }
        ("collections", kind @ ("OrderedDict" | "Counter" | "defaultdict"))
        | ("builtins", kind @ "dict") => {
            let kind = match kind {
                "OrderedDict" => "collections.OrderedDict",
                "Counter" => "collections.Counter",
                "defaultdict" => "collections.defaultdict",
                _ => "dict",
            };
            // defaultdict's first argument is the default factory, not the items.
            let initial = if kind == "collections.defaultdict" {
                args.get(1)
            } else {
                args.first()
            };
            let mut parts = Vec::new();
            if let Some(initial) = initial {
                match initial.node().and_then(|id| graph.try_node(id)) {
                    Some(Node::Dict(pairs)) => parts.push(Pairs::Pairs(pairs)),
                    Some(Node::List(items) | Node::Tuple(items)) => parts.push(Pairs::List(items)),
                    _ => {
                        return Shape::Other(format!(
                            "{kind} of something not a dict or a list of pairs"
                        ));
                    }
                }
            }
            parts.extend(set_items.into_iter().map(Pairs::Pairs));
            return Shape::Map(Map { kind, parts, id });
        }
        _ => {}
    }
    // copyreg._reconstructor(cls, base, base_state): protocols 0 and 1 write instances so; the
    // base state is the tuple of a tuple subclass (a namedtuple), the list of a list subclass.
    if (module, name) == ("copyreg", "_reconstructor") {
        if let [cls, _base, base_state] = args {
            let args = plain_items(graph, base_state).unwrap_or(&[]);
            let object = Object {
                class: global(graph, cls),
                args,
                states,
                appended,
                set_items,
                id,
            };
            return Shape::Object(object);
        }
    }
    // copyreg.__newobj__(cls, *args): NEWOBJ below protocol 2.
    if (module, name) == ("copyreg", "__newobj__") {
        if let Some((cls, rest)) = args.split_first() {
            let object = Object {
                class: global(graph, cls),
                args: rest,
                states,
                appended,
                set_items,
                id,
            };
            return Shape::Object(object);
        }
    }
    Shape::Object(Object {
        class,
        args,
        states,
        appended,
        set_items,
        id,
    })
}

fn seq<'g>(kind: &'static str, parts: Vec<&'g [Value]>, id: NodeId) -> Shape<'g> {
    Shape::Seq(Seq { kind, parts, id })
}

/// `_codecs.encode(text, 'latin1')`, as Python 3 writes bytes below protocol 3, and
/// `bytearray(text, 'latin-1')`, as Python 2 writes a bytearray.
fn latin1_bytes<'g>(
    graph: &'g Graph,
    text: &Value,
    encoding: &Value,
    kind: &'static str,
) -> Shape<'g> {
    let (Some(text), Some(encoding)) = (graph.get(text).as_pystr(), graph.get(encoding).as_str())
    else {
        return Shape::Other(format!("{kind} from other arguments than (str, 'latin1')"));
    };
    if !matches!(
        encoding.to_ascii_lowercase().as_str(),
        "latin1" | "latin-1" | "iso-8859-1" | "l1"
    ) {
        return Shape::Other(format!("{kind} encoded as {encoding:?}, not latin1"));
    }
    let mut out = Vec::with_capacity(text.as_bytes().len());
    for cp in text.code_points() {
        match u8::try_from(cp) {
            Ok(byte) => out.push(byte),
            Err(_) => return Shape::Other(format!("{kind} from a str that is not latin1")),
        }
    }
    Shape::OwnedBytes(out, kind)
}

/// The argument of `bytearray(data)`: bytes, or the `_codecs.encode` reduction of them
/// (protocols 0-2). Deliberately not recursive: hostile input could nest calls without end.
fn bytes_argument<'g>(graph: &'g Graph, data: &'g Value, kind: &'static str) -> Shape<'g> {
    match data.node().and_then(|id| graph.try_node(id)) {
        Some(Node::Bytes(data) | Node::ByteArray(data)) => Shape::Bytes(data, kind),
        Some(Node::Reduce { callable, args }) => {
            let encode = global(graph, callable)
                .is_some_and(|(module, name)| (module, name.as_ref()) == ("_codecs", "encode"));
            match tuple_items(graph, args) {
                Some([text, encoding]) if encode => latin1_bytes(graph, text, encoding, kind),
                _ => Shape::Other(format!("{kind} of something not bytes")),
            }
        }
        _ => Shape::Other(format!("{kind} of something not bytes")),
    }
}

/// A class: its module and qualified name.
pub(crate) type Class<'g> = (&'g str, Cow<'g, str>);

/// The module and qualified name of a global, or of `getattr(global, 'name')`, as protocols 0
/// to 3 write a nested class (`Outer.Inner`).
fn global<'g>(graph: &'g Graph, value: &'g Value) -> Option<Class<'g>> {
    let mut attrs: Vec<&str> = Vec::new();
    let mut current = value;
    // Classes nest a few levels; hostile input gets no further than this.
    for _ in 0..16 {
        match graph.try_node(current.node()?)? {
            Node::Global { .. } => {
                let (module, name) = graph.get(current).as_global()?;
                if attrs.is_empty() {
                    return Some((module, Cow::Borrowed(name)));
                }
                let mut qualname = name.to_owned();
                for attr in attrs.iter().rev() {
                    qualname.push('.');
                    qualname.push_str(attr);
                }
                return Some((module, Cow::Owned(qualname)));
            }
            Node::Reduce { callable, args } => {
                let getattr = graph.get(callable).as_global();
                if !matches!(getattr, Some(("builtins" | "__builtin__", "getattr"))) {
                    return None;
                }
                let [object, attr] = tuple_items(graph, args)? else {
                    return None;
                };
                attrs.push(graph.get(attr).as_str()?);
                current = object;
            }
            _ => return None,
        }
    }
    None
}

/// The items of a tuple node.
fn tuple_items<'g>(graph: &'g Graph, value: &Value) -> Option<&'g [Value]> {
    match graph.try_node(value.node()?)? {
        Node::Tuple(items) => Some(items),
        _ => None,
    }
}

/// The items of a plain list, tuple, set or frozenset node.
fn plain_items<'g>(graph: &'g Graph, value: &Value) -> Option<&'g [Value]> {
    match graph.try_node(value.node()?)? {
        Node::Tuple(items) | Node::List(items) | Node::Set(items) | Node::FrozenSet(items) => {
            Some(items)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph_of(build: impl FnOnce(&mut Graph) -> Value) -> Graph {
        let mut graph = Graph::new();
        let root = build(&mut graph);
        graph.set_root(root);
        graph
    }

    fn global_value(graph: &mut Graph, module: &str, name: &str) -> Value {
        let module = graph.add_str(module);
        let name = graph.add_str(name);
        Value::Node(graph.add(Node::Global { module, name }))
    }

    #[test]
    fn getattr_chains_name_nested_classes() {
        let graph = graph_of(|graph| {
            let outer = global_value(graph, "m", "Outer");
            let getattr = global_value(graph, "builtins", "getattr");
            let attr = graph.add_str("Inner");
            let args = Value::Node(graph.add(Node::Tuple(vec![outer, attr])));
            Value::Node(graph.add(Node::Reduce {
                callable: getattr,
                args,
            }))
        });
        let class = global(&graph, graph.root_value());
        assert_eq!(class, Some(("m", Cow::Owned("Outer.Inner".to_owned()))));
    }

    #[test]
    fn codecs_encode_is_latin1_bytes() {
        // _codecs.encode('\xff\x00', 'latin1'), as protocols 0-2 write b'\xff\x00'.
        let graph = graph_of(|graph| {
            let encode = global_value(graph, "_codecs", "encode");
            let text = graph.add_str("\u{ff}\u{0}");
            let encoding = graph.add_str("latin1");
            let args = Value::Node(graph.add(Node::Tuple(vec![text, encoding])));
            Value::Node(graph.add(Node::Reduce {
                callable: encode,
                args,
            }))
        });
        match shape(&graph, graph.root_value()) {
            Shape::OwnedBytes(data, "bytes") => assert_eq!(data, [0xff, 0x00]),
            _ => panic!("not bytes"),
        }
        // A code point above 0xff is no latin1.
        let graph = graph_of(|graph| {
            let encode = global_value(graph, "_codecs", "encode");
            let text = graph.add_str("\u{100}");
            let encoding = graph.add_str("latin1");
            let args = Value::Node(graph.add(Node::Tuple(vec![text, encoding])));
            Value::Node(graph.add(Node::Reduce {
                callable: encode,
                args,
            }))
        });
        assert!(matches!(shape(&graph, graph.root_value()), Shape::Other(_)));
    }
}
