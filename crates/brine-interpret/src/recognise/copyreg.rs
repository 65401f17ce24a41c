//! Instances made through `copyreg` (`_reconstructor` at protocols 0 and 1, `__newobj__` and
//! `__newobj_ex__` for callers of `__reduce_ex__`) and through
//! `functools.partial(cls.__new__, cls, ...)`, which protocols 2 and 3 write for a class with
//! `__getnewargs_ex__`.

use brine_value::{Change, Node, Value};

use super::Reader;
use crate::view::{GlobalName, Items, Object, ObjectKind, Pairs, View};

/// `copyreg._reconstructor(cls, base, state)`: `base.__new__(cls, state)`, as protocols 0
/// and 1 write instances.
pub(super) fn reconstructor<'g>(
    reader: Reader<'g>,
    args: &'g [Value],
    _depth: usize,
) -> Option<View<'g>> {
    let [cls, base, state] = args else {
        return None;
    };
    let mut object = Object::new(reader.graph(), ObjectKind::Instance, *cls);
    match (reader.class_name(base)?, state) {
        (("builtins", "object"), Value::None) => {}
        // A tuple subclass: the tuple's items are the arguments, as a namedtuple's
        // `__getnewargs__` gives them at protocol 2 and above.
        (("builtins", "tuple"), state) => object.args = reader.tuple(state)?,
        (("builtins", "list"), state) => match reader.node(state)? {
            Node::List(items) => object.list_items = Items::new(items),
            _ => return None,
        },
        (("builtins", "dict"), state) => {
            object.dict_items = Pairs::of(reader.graph(), reader.dict(state)?);
        }
        (("builtins", "int" | "float" | "complex" | "str" | "bytes"), _) => {
            object.args = &args[2..];
        }
        _ => return None,
    }
    Some(View::Object(Box::new(object)))
}

/// `copyreg.__newobj__(cls, *args)`.
pub(super) fn newobj<'g>(reader: Reader<'g>, args: &'g [Value], _depth: usize) -> Option<View<'g>> {
    let (cls, args) = args.split_first()?;
    let mut object = Object::new(reader.graph(), ObjectKind::Instance, *cls);
    object.args = args;
    Some(View::Object(Box::new(object)))
}

/// `copyreg.__newobj_ex__(cls, args, kwargs)`.
pub(super) fn newobj_ex<'g>(
    reader: Reader<'g>,
    args: &'g [Value],
    _depth: usize,
) -> Option<View<'g>> {
    let [cls, args, kwargs] = args else {
        return None;
    };
    let mut object = Object::new(reader.graph(), ObjectKind::Instance, *cls);
    object.args = reader.tuple(args)?;
    object.kwargs = reader.dict(kwargs)?;
    Some(View::Object(Box::new(object)))
}

/// `partial(cls.__new__, cls, *args, **kwargs)()`, how protocols 2 and 3 write an object
/// whose class has `__getnewargs_ex__`: an instance made with those arguments. It is found by
/// its shape, not by the callable's name, since the callable is itself a reduction.
///
/// The callable is the partial: `reduce(<global functools.partial>, (f,))` changed by
/// `.build((f, (cls, *args), kwargs, None))`, with `f` being `getattr(cls, '__new__')`.
pub(super) fn partial_new<'g>(
    reader: Reader<'g>,
    callable: &'g Value,
    args: &'g [Value],
) -> Option<View<'g>> {
    if !args.is_empty() {
        return None;
    }
    let Node::Reduce {
        callable: partial,
        args: partial_args,
    } = reader.node(callable)?
    else {
        return None;
    };
    let [Change::Build(state)] = reader.graph().changes(callable.node()?) else {
        return None;
    };
    if reader.known_name(partial)? != ("functools", "partial") {
        return None;
    }
    let [func] = reader.tuple(partial_args)? else {
        return None;
    };
    let [state_func, call_args, kwargs, partial_dict] = reader.tuple(state)? else {
        return None;
    };
    let (cls, call_args) = reader.tuple(call_args)?.split_first()?;
    let cls_global = reader.global(cls, 0)?;
    for func in [func, state_func] {
        if new_of(reader, func)? != cls_global {
            return None;
        }
    }
    let kwargs = match kwargs {
        Value::None => &[][..],
        kwargs => reader.dict(kwargs)?,
    };
    match partial_dict {
        Value::None => {}
        dict if reader.dict(dict)?.is_empty() => {}
        _ => return None,
    }
    let mut object = Object::new(reader.graph(), ObjectKind::Instance, *cls);
    object.args = call_args;
    object.kwargs = kwargs;
    Some(View::Object(Box::new(object)))
}

/// The class `getattr(cls, '__new__')` takes `__new__` of.
fn new_of<'g>(reader: Reader<'g>, value: &Value) -> Option<GlobalName<'g>> {
    let Node::Reduce { callable, args } = reader.node(value)? else {
        return None;
    };
    if reader.known_name(callable)? != ("builtins", "getattr") {
        return None;
    }
    let [cls, attr] = reader.tuple(args)? else {
        return None;
    };
    (reader.text(attr)? == "__new__").then_some(())?;
    reader.global(cls, 0)
}
