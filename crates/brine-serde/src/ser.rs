//! Serialization: a Rust value becomes a [`Graph`] of the Python objects CPython would pickle
//! for it, which `brine-encode` then writes.

use std::collections::HashMap;

use brine_value::{Change, Graph, Node, PyStr, Value};
use num_bigint::BigInt;
use serde::ser::{self, Serialize};

use crate::error::{Error, ErrorKind};
use crate::options::{Options, PyClass};
use crate::{FROZENSET_TOKEN, INSTANCE_TOKEN, SET_TOKEN};

/// Builds the graph for one value.
pub(crate) struct Builder<'o> {
    pub(crate) graph: Graph,
    options: &'o Options,
    /// Field and variant names: one str object each, as Python interns identifiers.
    names: HashMap<&'static str, Value>,
    /// Globals: one object per class, as CPython memoizes a class once.
    globals: HashMap<(String, String), Value>,
    /// The str CPython keeps one object of (`brine_encode::is_shared_str`).
    shared_strs: HashMap<String, Value>,
}

/// What an instance is made from.
enum Body {
    /// `cls.__new__(cls)`, then BUILD with the state unless it is empty.
    State(Value),
    /// `cls.__new__(cls, *args)`: a namedtuple.
    Args(Vec<Value>),
}

impl<'o> Builder<'o> {
    pub(crate) fn new(options: &'o Options) -> Builder<'o> {
        Builder {
            graph: Graph::new(),
            options,
            names: HashMap::new(),
            globals: HashMap::new(),
            shared_strs: HashMap::new(),
        }
    }

    /// A str node, shared where CPython shares the str object.
    fn text(&mut self, text: &str) -> Value {
        if !brine_encode::is_shared_str(text.as_bytes()) {
            return self.graph.add_str(text);
        }
        if let Some(value) = self.shared_strs.get(text) {
            return *value;
        }
        let value = self.graph.add_str(text);
        self.shared_strs.insert(text.to_owned(), value);
        value
    }

    fn name(&mut self, name: &'static str) -> Value {
        if let Some(value) = self.names.get(name) {
            return *value;
        }
        let value = self.text(name);
        self.names.insert(name, value);
        value
    }

    fn global(&mut self, module: &str, qualname: &str) -> Value {
        let key = (module.to_owned(), qualname.to_owned());
        if let Some(value) = self.globals.get(&key) {
            return *value;
        }
        let nested = qualname
            .rsplit_once('.')
            .filter(|_| self.options.protocol < 4);
        let value = match nested {
            // Below protocol 4 a global names no nested class: CPython writes
            // `getattr(Outer, 'Inner')` instead.
            Some((parent, attr)) => {
                let parent = self.global(module, parent);
                let getattr = self.global("builtins", "getattr");
                let attr = self.text(attr);
                let args = self.add(Node::Tuple(vec![parent, attr]));
                self.add(Node::Reduce {
                    callable: getattr,
                    args,
                })
            }
            None => {
                let module = self.text(module);
                let name = self.text(qualname);
                self.add(Node::Global { module, name })
            }
        };
        self.globals.insert(key, value);
        value
    }

    fn add(&mut self, node: Node) -> Value {
        Value::Node(self.graph.add(node))
    }

    /// An instance of `module.qualname`, in the form CPython writes at the chosen protocol.
    fn instance(&mut self, module: &str, qualname: &str, body: Body) -> Value {
        let cls = self.global(module, qualname);
        let modern = self.options.protocol >= 2;
        let (object, state) = match body {
            Body::Args(items) if modern => {
                let args = self.add(Node::Tuple(items));
                let object = self.add(Node::NewObj {
                    cls,
                    args,
                    kwargs: None,
                });
                (object, Value::None)
            }
            Body::Args(items) => {
                // copyreg._reconstructor(cls, tuple, items): a tuple subclass below protocol 2.
                let reconstructor = self.global("copyreg", "_reconstructor");
                let base = self.global("builtins", "tuple");
                let base_state = self.add(Node::Tuple(items));
                let args = self.add(Node::Tuple(vec![cls, base, base_state]));
                let object = self.add(Node::Reduce {
                    callable: reconstructor,
                    args,
                });
                (object, Value::None)
            }
            Body::State(state) if modern => {
                let args = self.add(Node::Tuple(Vec::new()));
                let object = self.add(Node::NewObj {
                    cls,
                    args,
                    kwargs: None,
                });
                (object, state)
            }
            Body::State(state) => {
                let reconstructor = self.global("copyreg", "_reconstructor");
                let base = self.global("builtins", "object");
                let args = self.add(Node::Tuple(vec![cls, base, Value::None]));
                let object = self.add(Node::Reduce {
                    callable: reconstructor,
                    args,
                });
                (object, state)
            }
        };
        if !self.is_empty_state(&state) {
            if let Value::Node(id) = object {
                self.graph.push_change(id, Change::Build(state));
            }
        }
        object
    }

    /// Whether CPython would leave the state out: `None`, or an empty dict.
    fn is_empty_state(&self, state: &Value) -> bool {
        match state {
            Value::None => true,
            Value::Node(id) => {
                matches!(self.graph.node(*id), Node::Dict(pairs) if pairs.is_empty())
            }
            _ => false,
        }
    }

    /// A struct's fields as the state of `class`: a dict, or `(None, dict)` for slots.
    fn struct_instance(&mut self, class: &PyClass, pairs: Vec<(Value, Value)>) -> Value {
        let state = if pairs.is_empty() {
            Value::None
        } else {
            let dict = self.add(Node::Dict(pairs));
            if class.slots {
                self.add(Node::Tuple(vec![Value::None, dict]))
            } else {
                dict
            }
        };
        self.instance(&class.module, &class.qualname, Body::State(state))
    }

    /// The reason Python could not hash `value`, if it could not.
    fn unhashable(&self, value: &Value) -> Option<&'static str> {
        let mut pending = vec![value];
        while let Some(value) = pending.pop() {
            let Some(id) = value.node() else { continue };
            match self.graph.node(id) {
                Node::List(_) => return Some("list"),
                Node::Dict(_) => return Some("dict"),
                Node::Set(_) => return Some("set"),
                Node::ByteArray(_) => return Some("bytearray"),
                Node::Tuple(items) | Node::FrozenSet(items) => pending.extend(items),
                _ => {}
            }
        }
        None
    }

    fn check_hashable(&self, value: &Value) -> Result<(), Error> {
        match self.unhashable(value) {
            Some(kind) => Err(ErrorKind::Unhashable(kind).into()),
            None => Ok(()),
        }
    }

    fn class(&self, name: &str) -> Option<&'o PyClass> {
        self.options.classes.get(name)
    }

    fn variant(&mut self, variant: &'static str, value: Value) -> Value {
        let key = self.name(variant);
        self.add(Node::Dict(vec![(key, value)]))
    }
}

impl<'a, 'o> ser::Serializer for &'a mut Builder<'o> {
    type Ok = Value;
    type Error = Error;
    type SerializeSeq = SeqBuilder<'a, 'o>;
    type SerializeTuple = SeqBuilder<'a, 'o>;
    type SerializeTupleStruct = SeqBuilder<'a, 'o>;
    type SerializeTupleVariant = SeqBuilder<'a, 'o>;
    type SerializeMap = MapBuilder<'a, 'o>;
    type SerializeStruct = StructBuilder<'a, 'o>;
    type SerializeStructVariant = StructBuilder<'a, 'o>;

    fn serialize_bool(self, v: bool) -> Result<Value, Error> {
        Ok(Value::Bool(v))
    }

    fn serialize_i8(self, v: i8) -> Result<Value, Error> {
        Ok(Value::Int(v.into()))
    }

    fn serialize_i16(self, v: i16) -> Result<Value, Error> {
        Ok(Value::Int(v.into()))
    }

    fn serialize_i32(self, v: i32) -> Result<Value, Error> {
        Ok(Value::Int(v.into()))
    }

    fn serialize_i64(self, v: i64) -> Result<Value, Error> {
        Ok(Value::Int(v))
    }

    fn serialize_i128(self, v: i128) -> Result<Value, Error> {
        Ok(self.int(v))
    }

    fn serialize_u8(self, v: u8) -> Result<Value, Error> {
        Ok(Value::Int(v.into()))
    }

    fn serialize_u16(self, v: u16) -> Result<Value, Error> {
        Ok(Value::Int(v.into()))
    }

    fn serialize_u32(self, v: u32) -> Result<Value, Error> {
        Ok(Value::Int(v.into()))
    }

    fn serialize_u64(self, v: u64) -> Result<Value, Error> {
        Ok(self.int(v))
    }

    fn serialize_u128(self, v: u128) -> Result<Value, Error> {
        Ok(self.int(v))
    }

    fn serialize_f32(self, v: f32) -> Result<Value, Error> {
        Ok(Value::Float(v.into()))
    }

    fn serialize_f64(self, v: f64) -> Result<Value, Error> {
        Ok(Value::Float(v))
    }

    fn serialize_char(self, v: char) -> Result<Value, Error> {
        Ok(self.text(v.encode_utf8(&mut [0; 4])))
    }

    fn serialize_str(self, v: &str) -> Result<Value, Error> {
        if brine_encode::is_shared_str(v.as_bytes()) {
            return Ok(self.text(v));
        }
        Ok(self.add(Node::Str(PyStr::new(v))))
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<Value, Error> {
        Ok(self.add(Node::Bytes(bytes::Bytes::copy_from_slice(v))))
    }

    fn serialize_none(self) -> Result<Value, Error> {
        Ok(Value::None)
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<Value, Error> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<Value, Error> {
        Ok(Value::None)
    }

    fn serialize_unit_struct(self, name: &'static str) -> Result<Value, Error> {
        Ok(match self.class(name) {
            Some(class) => self.instance(&class.module, &class.qualname, Body::State(Value::None)),
            None => Value::None,
        })
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _variant_index: u32,
        variant: &'static str,
    ) -> Result<Value, Error> {
        Ok(self.name(variant))
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<Value, Error> {
        let set_kind = match name {
            SET_TOKEN => Some(false),
            FROZENSET_TOKEN => Some(true),
            _ => None,
        };
        let inner = value.serialize(&mut *self)?;
        if let Some(frozen) = set_kind {
            return self.make_set(inner, frozen);
        }
        Ok(match self.class(name) {
            Some(class) => self.instance(&class.module, &class.qualname, Body::State(inner)),
            None => inner,
        })
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _variant_index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Value, Error> {
        let inner = value.serialize(&mut *self)?;
        Ok(self.variant(variant, inner))
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<SeqBuilder<'a, 'o>, Error> {
        Ok(SeqBuilder::new(self, SeqKind::List, len.unwrap_or(0)))
    }

    fn serialize_tuple(self, len: usize) -> Result<SeqBuilder<'a, 'o>, Error> {
        Ok(SeqBuilder::new(self, SeqKind::Tuple, len))
    }

    fn serialize_tuple_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<SeqBuilder<'a, 'o>, Error> {
        let kind = match self.class(name) {
            Some(class) => SeqKind::Instance(class),
            None => SeqKind::Tuple,
        };
        Ok(SeqBuilder::new(self, kind, len))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _variant_index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<SeqBuilder<'a, 'o>, Error> {
        Ok(SeqBuilder::new(self, SeqKind::Variant(variant), len))
    }

    fn serialize_map(self, len: Option<usize>) -> Result<MapBuilder<'a, 'o>, Error> {
        Ok(MapBuilder {
            builder: self,
            pairs: Vec::with_capacity(len.unwrap_or(0).min(4096)),
            key: None,
        })
    }

    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<StructBuilder<'a, 'o>, Error> {
        let kind = if name == INSTANCE_TOKEN {
            StructKind::PyInstance
        } else {
            match self.class(name) {
                Some(class) => StructKind::Instance(class),
                None => StructKind::Dict,
            }
        };
        Ok(StructBuilder::new(self, kind, len))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _variant_index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<StructBuilder<'a, 'o>, Error> {
        Ok(StructBuilder::new(self, StructKind::Variant(variant), len))
    }
}

impl Builder<'_> {
    /// A Python int: inline when it fits an `i64`, a big int in the graph otherwise.
    fn int<T: Copy + TryInto<i64> + Into<BigInt>>(&mut self, v: T) -> Value {
        match v.try_into() {
            Ok(small) => Value::Int(small),
            Err(_) => self.graph.add_int(v.into()),
        }
    }

    /// Turns the list `inner` was serialized as into a set or frozenset.
    fn make_set(&mut self, inner: Value, frozen: bool) -> Result<Value, Error> {
        let Some(id) = inner.node() else {
            return Err(Error::new(ErrorKind::Message(
                "as_set and as_frozenset need a sequence".to_owned(),
            )));
        };
        let items = match self.graph.node_mut(id) {
            Node::List(items) | Node::Tuple(items) => std::mem::take(items),
            _ => {
                return Err(Error::new(ErrorKind::Message(
                    "as_set and as_frozenset need a sequence".to_owned(),
                )));
            }
        };
        for item in &items {
            self.check_hashable(item)?;
        }
        *self.graph.node_mut(id) = if frozen {
            Node::FrozenSet(items)
        } else {
            Node::Set(items)
        };
        Ok(inner)
    }
}

enum SeqKind<'o> {
    List,
    Tuple,
    Instance(&'o PyClass),
    Variant(&'static str),
}

/// A list, tuple, tuple struct or tuple variant being serialized.
pub(crate) struct SeqBuilder<'a, 'o> {
    builder: &'a mut Builder<'o>,
    kind: SeqKind<'o>,
    items: Vec<Value>,
}

impl<'a, 'o> SeqBuilder<'a, 'o> {
    fn new(builder: &'a mut Builder<'o>, kind: SeqKind<'o>, len: usize) -> SeqBuilder<'a, 'o> {
        SeqBuilder {
            builder,
            kind,
            // A hint from the value, not from untrusted input; still, allocate in steps.
            items: Vec::with_capacity(len.min(4096)),
        }
    }

    fn push<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        let value = value.serialize(&mut *self.builder)?;
        self.items.push(value);
        Ok(())
    }

    fn finish(self) -> Value {
        let builder = self.builder;
        match self.kind {
            SeqKind::List => builder.add(Node::List(self.items)),
            SeqKind::Tuple => builder.add(Node::Tuple(self.items)),
            SeqKind::Instance(class) => {
                builder.instance(&class.module, &class.qualname, Body::Args(self.items))
            }
            SeqKind::Variant(variant) => {
                let tuple = builder.add(Node::Tuple(self.items));
                builder.variant(variant, tuple)
            }
        }
    }
}

impl ser::SerializeSeq for SeqBuilder<'_, '_> {
    type Ok = Value;
    type Error = Error;

    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.push(value)
    }

    fn end(self) -> Result<Value, Error> {
        Ok(self.finish())
    }
}

impl ser::SerializeTuple for SeqBuilder<'_, '_> {
    type Ok = Value;
    type Error = Error;

    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.push(value)
    }

    fn end(self) -> Result<Value, Error> {
        Ok(self.finish())
    }
}

impl ser::SerializeTupleStruct for SeqBuilder<'_, '_> {
    type Ok = Value;
    type Error = Error;

    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.push(value)
    }

    fn end(self) -> Result<Value, Error> {
        Ok(self.finish())
    }
}

impl ser::SerializeTupleVariant for SeqBuilder<'_, '_> {
    type Ok = Value;
    type Error = Error;

    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.push(value)
    }

    fn end(self) -> Result<Value, Error> {
        Ok(self.finish())
    }
}

/// A map being serialized: a dict.
pub(crate) struct MapBuilder<'a, 'o> {
    builder: &'a mut Builder<'o>,
    pairs: Vec<(Value, Value)>,
    key: Option<Value>,
}

impl ser::SerializeMap for MapBuilder<'_, '_> {
    type Ok = Value;
    type Error = Error;

    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), Error> {
        let key = key.serialize(&mut *self.builder)?;
        self.builder.check_hashable(&key)?;
        self.key = Some(key);
        Ok(())
    }

    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        let value = value.serialize(&mut *self.builder)?;
        let key = self.key.take().ok_or_else(|| {
            Error::new(ErrorKind::Message(
                "serialize_value called before serialize_key".to_owned(),
            ))
        })?;
        self.pairs.push((key, value));
        Ok(())
    }

    fn end(self) -> Result<Value, Error> {
        Ok(self.builder.add(Node::Dict(self.pairs)))
    }
}

enum StructKind<'o> {
    Dict,
    Instance(&'o PyClass),
    Variant(&'static str),
    /// [`crate::PyInstance`]: the class comes with the value.
    PyInstance,
}

/// A struct or struct variant being serialized: a dict, or an instance's state.
pub(crate) struct StructBuilder<'a, 'o> {
    builder: &'a mut Builder<'o>,
    kind: StructKind<'o>,
    pairs: Vec<(Value, Value)>,
}

impl<'a, 'o> StructBuilder<'a, 'o> {
    fn new(
        builder: &'a mut Builder<'o>,
        kind: StructKind<'o>,
        len: usize,
    ) -> StructBuilder<'a, 'o> {
        StructBuilder {
            builder,
            kind,
            pairs: Vec::with_capacity(len.min(4096)),
        }
    }

    fn push<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result<(), Error> {
        let value = value.serialize(&mut *self.builder)?;
        let key = self.builder.name(key);
        self.pairs.push((key, value));
        Ok(())
    }

    fn finish(self) -> Result<Value, Error> {
        let builder = self.builder;
        Ok(match self.kind {
            StructKind::Dict => builder.add(Node::Dict(self.pairs)),
            StructKind::Instance(class) => builder.struct_instance(class, self.pairs),
            StructKind::Variant(variant) => {
                let dict = builder.add(Node::Dict(self.pairs));
                builder.variant(variant, dict)
            }
            StructKind::PyInstance => {
                let text = |name: &str| -> Result<String, Error> {
                    self.pairs
                        .iter()
                        .find(|(key, _)| builder.graph.get(key).as_str() == Some(name))
                        .and_then(|(_, value)| builder.graph.get(value).as_str())
                        .map(str::to_owned)
                        .ok_or_else(|| {
                            Error::new(ErrorKind::Message(format!("PyInstance needs a str {name}")))
                        })
                };
                let module = text("module")?;
                let qualname = text("qualname")?;
                let state = self
                    .pairs
                    .iter()
                    .find(|(key, _)| builder.graph.get(key).as_str() == Some("state"))
                    .map(|(_, value)| *value)
                    .unwrap_or_default();
                builder.instance(&module, &qualname, Body::State(state))
            }
        })
    }
}

impl ser::SerializeStruct for StructBuilder<'_, '_> {
    type Ok = Value;
    type Error = Error;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.push(key, value)
    }

    fn end(self) -> Result<Value, Error> {
        self.finish()
    }
}

impl ser::SerializeStructVariant for StructBuilder<'_, '_> {
    type Ok = Value;
    type Error = Error;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.push(key, value)
    }

    fn end(self) -> Result<Value, Error> {
        self.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ints_are_inline_when_they_fit() {
        let options = Options::default();
        let mut builder = Builder::new(&options);
        assert_eq!(builder.int(u64::MAX >> 1), Value::Int(i64::MAX));
        let big = builder.int(u64::MAX);
        assert_eq!(
            builder.graph.get(&big).as_bigint(),
            Some(BigInt::from(u64::MAX))
        );
        assert_eq!(builder.int(i128::from(i64::MIN)), Value::Int(i64::MIN));
        let big = builder.int(u128::MAX);
        assert_eq!(
            builder.graph.get(&big).as_bigint(),
            Some(BigInt::from(u128::MAX))
        );
    }

    #[test]
    fn nested_classes_below_protocol_4_are_getattr() {
        let options = Options::protocol(3);
        let mut builder = Builder::new(&options);
        let class = builder.global("m", "A.B.C");
        builder.graph.set_root(class);
        assert_eq!(
            format!("{:?}", builder.graph),
            "reduce(#0=<global builtins.getattr>, (reduce(#0, (<global m.A>, 'B')), 'C'))"
        );
        let options = Options::protocol(4);
        let mut builder = Builder::new(&options);
        let class = builder.global("m", "A.B.C");
        builder.graph.set_root(class);
        assert_eq!(format!("{:?}", builder.graph), "<global m.A.B.C>");
    }
}
