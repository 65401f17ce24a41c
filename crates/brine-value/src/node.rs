//! [`Node`]: the objects with identity that a pickle builds.

use bytes::Bytes;

use crate::pystr::PyStr;
use crate::value::Value;

/// An object with identity: a string, a container, or a record of what an object-building
/// opcode asked for.
///
/// The object-building forms are inert: a [`Node::Global`] is a name, a [`Node::Reduce`]
/// records "call this with that", and nothing is ever looked up or called. The opt-in
/// `brine-interpret` layer turns the standard ones into natural values.
///
/// What a pickle does to an object after creating it (BUILD, and APPEND, SETITEMS or
/// ADDITEMS on something that is not a plain list, dict or set) is kept beside the node, as
/// the [`Change`](crate::Change)s that [`Graph::changes`](crate::Graph::changes) lists.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Node {
    /// Python `str`.
    Str(PyStr),
    /// Python `bytes`.
    Bytes(Bytes),
    /// Python `bytearray` (BYTEARRAY8).
    ByteArray(Bytes),
    /// A Python 2 `str` (STRING, BINSTRING, SHORT_BINSTRING): bytes whose text depends on
    /// the encoding the reader chooses (`pickle.loads(data, encoding=...)`), kept as written
    /// so that re-encoding at protocols 0-2 writes the same Python 2 `str` back.
    Py2Str(Bytes),
    /// Python `tuple`.
    Tuple(Vec<Value>),
    /// Python `list`.
    List(Vec<Value>),
    /// Python `dict`: key-value pairs in insertion order, as SETITEM(S) added them.
    Dict(Vec<(Value, Value)>),
    /// Python `set`, in the order ADDITEMS added the items.
    Set(Vec<Value>),
    /// Python `frozenset`.
    FrozenSet(Vec<Value>),
    /// A global name (GLOBAL, STACK_GLOBAL, EXT1/2/4): a module and a qualified name, both
    /// [`Node::Str`] nodes, shared where the pickle shared them. A STACK_GLOBAL whose operands
    /// are only known to be `str` when the pickle runs (a persistent id, a call's result)
    /// keeps those operands instead: its name is unknown until then.
    Global {
        /// The module, e.g. `collections`.
        module: Value,
        /// The qualified name, e.g. `OrderedDict` or `Outer.Inner`.
        name: Value,
    },
    /// An extension code (EXT1, EXT2, EXT4) that no registry resolved: a global named by
    /// its number in `copyreg`'s extension registry.
    Ext(i64),
    /// REDUCE: `callable(*args)`.
    Reduce {
        /// What would be called.
        callable: Value,
        /// The argument tuple.
        args: Value,
    },
    /// NEWOBJ (`kwargs` is `None`) and NEWOBJ_EX: `cls.__new__(cls, *args, **kwargs)`.
    NewObj {
        /// The class.
        cls: Value,
        /// The argument tuple.
        args: Value,
        /// The keyword argument dict of NEWOBJ_EX.
        kwargs: Option<Value>,
    },
    /// INST (protocol 0): an instance of a class named in the stream, made from the items
    /// after a MARK.
    Inst {
        /// The class, a [`Node::Global`].
        class: Value,
        /// The constructor arguments.
        args: Vec<Value>,
    },
    /// OBJ (protocol 1): an instance of the class found after a MARK, made from the rest.
    Obj {
        /// The class.
        class: Value,
        /// The constructor arguments.
        args: Vec<Value>,
    },
    /// PERSID / BINPERSID: an object the pickle refers to by a persistent id.
    PersistentId(Value),
    /// NEXT_BUFFER (protocol 5): an out-of-band buffer (boxed: it is rare, and inline it
    /// would make every node 8 bytes larger).
    Buffer(Box<PickleBuffer>),
}

/// A protocol 5 out-of-band buffer.
#[derive(Debug, Clone, PartialEq)]
pub struct PickleBuffer {
    /// Which of the out-of-band buffers (0 for the first NEXT_BUFFER).
    pub index: usize,
    /// Whether READONLY_BUFFER made it read-only.
    pub readonly: bool,
    /// The buffer's bytes, when the loader was given the buffers (shared, never copied).
    pub data: Option<Bytes>,
}

impl Node {
    /// The Python type name of the node, as `type(x).__name__` would say for the plain kinds
    /// (`"str"`, `"list"`, …) and the opcode's name for the object-building ones.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Node::Str(_) => "str",
            Node::Bytes(_) => "bytes",
            Node::ByteArray(_) => "bytearray",
            Node::Py2Str(_) => "str (Python 2)",
            Node::Tuple(_) => "tuple",
            Node::List(_) => "list",
            Node::Dict(_) => "dict",
            Node::Set(_) => "set",
            Node::FrozenSet(_) => "frozenset",
            Node::Global { .. } => "global",
            Node::Ext(_) => "extension code",
            Node::Reduce { .. } => "reduce",
            Node::NewObj { .. } => "newobj",
            Node::Inst { .. } => "inst",
            Node::Obj { .. } => "obj",
            Node::PersistentId(_) => "persistent_id",
            Node::Buffer(_) => "buffer",
        }
    }

    /// Calls `visit` on every value the node refers to, in order. The changes made to the
    /// node after it was created are not part of it: [`crate::Graph::for_each_child`]
    /// visits both.
    pub fn for_each_child(&self, mut visit: impl FnMut(&Value)) {
        match self {
            Node::Str(_)
            | Node::Bytes(_)
            | Node::ByteArray(_)
            | Node::Py2Str(_)
            | Node::Ext(_)
            | Node::Buffer(_) => {}
            Node::Tuple(items) | Node::List(items) | Node::Set(items) | Node::FrozenSet(items) => {
                items.iter().for_each(visit);
            }
            Node::Dict(pairs) => {
                for (key, value) in pairs {
                    visit(key);
                    visit(value);
                }
            }
            Node::Global { module, name } => {
                visit(module);
                visit(name);
            }
            Node::Reduce { callable, args } => {
                visit(callable);
                visit(args);
            }
            Node::NewObj { cls, args, kwargs } => {
                visit(cls);
                visit(args);
                if let Some(kwargs) = kwargs {
                    visit(kwargs);
                }
            }
            Node::Inst { class, args } | Node::Obj { class, args } => {
                visit(class);
                args.iter().for_each(visit);
            }
            Node::PersistentId(pid) => visit(pid),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The graph's memory is mostly nodes: a list of small records has one node per dict and
    /// per str. 48 bytes: the largest variant, NEWOBJ's three values, with the tag in the
    /// first value's spare tag values.
    #[test]
    fn a_node_is_48_bytes() {
        assert_eq!(std::mem::size_of::<Node>(), 48);
        assert_eq!(std::mem::size_of::<Value>(), 16);
    }
}
