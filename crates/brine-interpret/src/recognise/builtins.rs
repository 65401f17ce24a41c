//! `builtins`: set, frozenset, list, tuple, dict, bytes, bytearray, complex, range, slice,
//! and the `getattr(Outer, 'Inner')` protocols 0 to 3 write for a nested class.

use std::borrow::Cow;

use brine_value::{Node, Value};

use super::{Reader, codecs};
use crate::view::{GlobalName, Items, Pairs, View};

/// `set(iterable)`.
pub(super) fn set<'g>(reader: Reader<'g>, args: &'g [Value], _depth: usize) -> Option<View<'g>> {
    iterable(reader, args).map(View::Set)
}

/// `frozenset(iterable)`.
pub(super) fn frozenset<'g>(
    reader: Reader<'g>,
    args: &'g [Value],
    _depth: usize,
) -> Option<View<'g>> {
    iterable(reader, args).map(View::FrozenSet)
}

/// `list(iterable)`: a new list of the items.
pub(super) fn list<'g>(reader: Reader<'g>, args: &'g [Value], _depth: usize) -> Option<View<'g>> {
    iterable(reader, args).map(View::List)
}

/// `tuple(iterable)`.
pub(super) fn tuple<'g>(reader: Reader<'g>, args: &'g [Value], _depth: usize) -> Option<View<'g>> {
    match args {
        [] => Some(View::Tuple(&[])),
        [items] => Some(View::Tuple(plain_items(reader, items)?)),
        _ => None,
    }
}

/// `dict(mapping)`: a new dict of the pairs (or of a list of pairs).
pub(super) fn dict<'g>(reader: Reader<'g>, args: &'g [Value], _depth: usize) -> Option<View<'g>> {
    match args {
        [] => Some(View::Dict(Pairs::empty(reader.graph()))),
        [mapping] => super::collections::mapping(reader, mapping).map(View::Dict),
        _ => None,
    }
}

/// `bytes()`, `bytes(data)`, `bytes(text, encoding)`.
pub(super) fn bytes<'g>(reader: Reader<'g>, args: &'g [Value], depth: usize) -> Option<View<'g>> {
    codecs::bytes_args(reader, args, depth).map(View::Bytes)
}

/// `bytearray()`, `bytearray(data)`, `bytearray(text, encoding)`.
pub(super) fn bytearray<'g>(
    reader: Reader<'g>,
    args: &'g [Value],
    depth: usize,
) -> Option<View<'g>> {
    codecs::bytes_args(reader, args, depth).map(View::ByteArray)
}

/// `complex(real, imag)`.
pub(super) fn complex<'g>(
    reader: Reader<'g>,
    args: &'g [Value],
    _depth: usize,
) -> Option<View<'g>> {
    let number = |value: &Value| match *value {
        Value::Bool(value) => Some(f64::from(u8::from(value))),
        Value::Float(value) => Some(value),
        _ => reader.int(value).map(|value| value as f64),
    };
    let (real, imag) = match args {
        [] => (0.0, 0.0),
        [real] => (number(real)?, 0.0),
        [real, imag] => (number(real)?, number(imag)?),
        _ => return None,
    };
    Some(View::Complex { real, imag })
}

/// `range(stop)`, `range(start, stop[, step])`, with int arguments and a step other than 0.
pub(super) fn range<'g>(reader: Reader<'g>, args: &'g [Value], _depth: usize) -> Option<View<'g>> {
    let is_int = |value: &Value| matches!(value, Value::Int(_) | Value::BigInt(_));
    if !args.iter().all(is_int) {
        return None;
    }
    let (start, stop, step) = match args {
        [stop] => (Value::Int(0), *stop, Value::Int(1)),
        [start, stop] => (*start, *stop, Value::Int(1)),
        [start, stop, step] => (*start, *stop, *step),
        _ => return None,
    };
    if reader.int(&step) == Some(0) {
        return None;
    }
    Some(View::Range { start, stop, step })
}

/// `slice(stop)`, `slice(start, stop[, step])`.
pub(super) fn slice<'g>(_reader: Reader<'g>, args: &'g [Value], _depth: usize) -> Option<View<'g>> {
    let (start, stop, step) = match args {
        [stop] => (Value::None, *stop, Value::None),
        [start, stop] => (*start, *stop, Value::None),
        [start, stop, step] => (*start, *stop, *step),
        _ => return None,
    };
    Some(View::Slice { start, stop, step })
}

/// `getattr(owner, 'attr')` on a global owner: the global `owner.attr`.
pub(super) fn getattr<'g>(reader: Reader<'g>, args: &'g [Value], depth: usize) -> Option<View<'g>> {
    attribute(reader, args, depth).map(View::Global)
}

/// The global `owner.attr` that `getattr(owner, 'attr')` names.
pub(super) fn attribute<'g>(
    reader: Reader<'g>,
    args: &[Value],
    depth: usize,
) -> Option<GlobalName<'g>> {
    let [owner, attr] = args else {
        return None;
    };
    let owner = reader.global(owner, depth + 1)?;
    Some(GlobalName {
        module: owner.module,
        name: Cow::Owned(format!("{}.{}", owner.name, reader.text(attr)?)),
    })
}

/// The items of `set(iterable)` and `list(iterable)`: none, or a list, tuple, set or frozenset.
fn iterable<'g>(reader: Reader<'g>, args: &'g [Value]) -> Option<Items<'g>> {
    match args {
        [] => Some(Items::default()),
        [items] => Some(Items::new(plain_items(reader, items)?)),
        _ => None,
    }
}

fn plain_items<'g>(reader: Reader<'g>, value: &Value) -> Option<&'g [Value]> {
    match reader.node(value)? {
        Node::List(items) | Node::Tuple(items) | Node::Set(items) | Node::FrozenSet(items) => {
            Some(items)
        }
        _ => None,
    }
}
