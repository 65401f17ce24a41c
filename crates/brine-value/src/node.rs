//! [`Node`]: the objects with identity that a pickle builds.

use bytes::Bytes;

use crate::pystr::PyStr;
use crate::value::Value;

/// An object with identity: a string, a container, or a record of what an object-building
/// opcode asked for.
///
/// The object-building forms are inert: a [`Node::Global`] is a name, a [`Node::Reduce`]
/// records "call this with that", and nothing is ever looked up or called. The opt-in
/// [`crate::interpret`] layer turns the standard ones into natural values.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Node {
    /// Python `str`.
    Str(PyStr),
    /// Python `bytes`.
    Bytes(Bytes),
    /// Python `bytearray` (BYTEARRAY8).
    ByteArray(Bytes),
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
    /// [`Node::Str`] nodes, shared where the pickle shared them.
    Global {
        /// The module, e.g. `collections`.
        module: Value,
        /// The qualified name, e.g. `OrderedDict` or `Outer.Inner`.
        name: Value,
    },
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
    /// BUILD: `object.__setstate__(state)`, or an update of its `__dict__` and slots.
    ///
    /// BUILD and the other mutations of an object that is not a plain container
    /// ([`Node::Append`], [`Node::SetItems`], [`Node::AddItems`]) change the object in place
    /// in Python. Here they are recorded as a node that stands for the same Python object
    /// after the change and takes its place on the stack; references the pickle made to the
    /// object before the change (memo GETs) point at `object` itself.
    Build {
        /// The object being built.
        object: Value,
        /// Its state.
        state: Value,
    },
    /// APPEND / APPENDS on something other than a list (a list subclass instance, say):
    /// `object.extend(items)`. Consecutive ones on the same object merge.
    Append {
        /// The object extended.
        object: Value,
        /// The items, in order.
        items: Vec<Value>,
    },
    /// SETITEM / SETITEMS on something other than a dict (an OrderedDict made by REDUCE,
    /// say): `object[key] = value` for each pair. Consecutive ones on the same object merge.
    SetItems {
        /// The object updated.
        object: Value,
        /// The key-value pairs, in order.
        pairs: Vec<(Value, Value)>,
    },
    /// ADDITEMS on something other than a set: `object.add(item)` for each item.
    AddItems {
        /// The object added to.
        object: Value,
        /// The items, in order.
        items: Vec<Value>,
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
    /// NEXT_BUFFER (protocol 5): an out-of-band buffer.
    Buffer(PickleBuffer),
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
            Node::Tuple(_) => "tuple",
            Node::List(_) => "list",
            Node::Dict(_) => "dict",
            Node::Set(_) => "set",
            Node::FrozenSet(_) => "frozenset",
            Node::Global { .. } => "global",
            Node::Reduce { .. } => "reduce",
            Node::NewObj { .. } => "newobj",
            Node::Build { .. } => "build",
            Node::Append { .. } => "append",
            Node::SetItems { .. } => "setitems",
            Node::AddItems { .. } => "additems",
            Node::Inst { .. } => "inst",
            Node::Obj { .. } => "obj",
            Node::PersistentId(_) => "persistent_id",
            Node::Buffer(_) => "buffer",
        }
    }

    /// Calls `visit` on every value the node refers to, in order.
    pub fn for_each_child(&self, mut visit: impl FnMut(&Value)) {
        match self {
            Node::Str(_) | Node::Bytes(_) | Node::ByteArray(_) | Node::Buffer(_) => {}
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
            Node::Build { object, state } => {
                visit(object);
                visit(state);
            }
            Node::Append { object, items } | Node::AddItems { object, items } => {
                visit(object);
                items.iter().for_each(visit);
            }
            Node::SetItems { object, pairs } => {
                visit(object);
                for (key, value) in pairs {
                    visit(key);
                    visit(value);
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
