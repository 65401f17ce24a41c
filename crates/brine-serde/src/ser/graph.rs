//! [`GraphSink`]: the sink that builds the [`Graph`] of the Python objects, for
//! [`crate::to_value`].
//!
//! It shares what CPython shares, so that `brine_encode` pickles the graph to the bytes the
//! byte sink writes: one str object per field or variant name, one per one-character str
//! (`brine_encode::is_shared_str`), one object per class.

use std::collections::HashMap;

use brine_value::{Change, Graph, Node, Value};
use num_bigint::BigInt;

use super::sink::Sink;
use crate::error::Error;

/// Builds the graph of one value.
pub(crate) struct GraphSink {
    pub(crate) graph: Graph,
    protocol: u8,
    /// Field and variant names: one str object each, as Python interns identifiers.
    names: HashMap<&'static str, Value>,
    /// Globals: one object per class, as CPython memoizes a class once.
    globals: HashMap<(String, String), Value>,
    /// The str CPython keeps one object of (`brine_encode::is_shared_str`).
    shared_strs: HashMap<String, Value>,
}

/// A list, set or frozenset being built.
pub(crate) struct Items {
    items: Vec<Value>,
    kind: ItemsKind,
}

enum ItemsKind {
    List,
    Set,
    FrozenSet,
}

impl GraphSink {
    pub(crate) fn new(protocol: u8) -> GraphSink {
        GraphSink {
            graph: Graph::new(),
            protocol,
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

    fn add(&mut self, node: Node) -> Value {
        Value::Node(self.graph.add(node))
    }
}

/// Room for `len` items, allocated in steps: the length is a hint from the value.
fn room<T>(len: usize) -> Vec<T> {
    Vec::with_capacity(len.min(4096))
}

impl Sink for GraphSink {
    type Obj = Value;
    type Seq = Items;
    type Dict = Vec<(Value, Value)>;
    type Tuple = Vec<Value>;

    fn protocol(&self) -> u8 {
        self.protocol
    }

    fn none(&mut self) -> Result<Value, Error> {
        Ok(Value::None)
    }

    fn bool(&mut self, value: bool) -> Result<Value, Error> {
        Ok(Value::Bool(value))
    }

    fn int(&mut self, value: i64) -> Result<Value, Error> {
        Ok(Value::Int(value))
    }

    fn bigint(&mut self, value: BigInt) -> Result<Value, Error> {
        Ok(self.graph.add_int(value))
    }

    fn float(&mut self, value: f64) -> Result<Value, Error> {
        Ok(Value::Float(value))
    }

    fn str(&mut self, text: &str) -> Result<Value, Error> {
        Ok(self.text(text))
    }

    fn name(&mut self, name: &'static str) -> Result<Value, Error> {
        if let Some(value) = self.names.get(name) {
            return Ok(*value);
        }
        let value = self.text(name);
        self.names.insert(name, value);
        Ok(value)
    }

    fn bytes(&mut self, data: &[u8]) -> Result<Value, Error> {
        Ok(self.add(Node::Bytes(bytes::Bytes::copy_from_slice(data))))
    }

    fn global(&mut self, module: &str, qualname: &str) -> Result<Value, Error> {
        // A nested class is one global at every protocol: below protocol 4 the pickler
        // writes it as `getattr(Outer, 'Inner')`, as CPython does.
        let key = (module.to_owned(), qualname.to_owned());
        if let Some(value) = self.globals.get(&key) {
            return Ok(*value);
        }
        let module = self.text(module);
        let name = self.text(qualname);
        let value = self.add(Node::Global { module, name });
        self.globals.insert(key, value);
        Ok(value)
    }

    fn begin_list(&mut self, len: Option<usize>) -> Result<Items, Error> {
        Ok(Items {
            items: room(len.unwrap_or(0)),
            kind: ItemsKind::List,
        })
    }

    fn begin_set(&mut self, len: Option<usize>, frozen: bool) -> Result<Items, Error> {
        Ok(Items {
            items: room(len.unwrap_or(0)),
            kind: if frozen {
                ItemsKind::FrozenSet
            } else {
                ItemsKind::Set
            },
        })
    }

    fn begin_item(&mut self, _seq: &mut Items) -> Result<(), Error> {
        Ok(())
    }

    fn push_item(&mut self, seq: &mut Items, item: Value) {
        seq.items.push(item);
    }

    fn end_seq(&mut self, seq: Items) -> Result<Value, Error> {
        let items = seq.items;
        Ok(self.add(match seq.kind {
            ItemsKind::List => Node::List(items),
            ItemsKind::Set => Node::Set(items),
            ItemsKind::FrozenSet => Node::FrozenSet(items),
        }))
    }

    fn begin_dict(&mut self, len: Option<usize>) -> Result<Vec<(Value, Value)>, Error> {
        Ok(room(len.unwrap_or(0)))
    }

    fn begin_pair(&mut self, _dict: &mut Vec<(Value, Value)>) -> Result<(), Error> {
        Ok(())
    }

    fn push_pair(&mut self, dict: &mut Vec<(Value, Value)>, key: Value, value: Value) {
        dict.push((key, value));
    }

    fn end_dict(&mut self, dict: Vec<(Value, Value)>) -> Result<Value, Error> {
        Ok(self.add(Node::Dict(dict)))
    }

    fn begin_tuple(&mut self, len: usize) -> Result<Vec<Value>, Error> {
        Ok(room(len))
    }

    fn push_field(&mut self, tuple: &mut Vec<Value>, item: Value) {
        tuple.push(item);
    }

    fn end_tuple(&mut self, tuple: Vec<Value>, _count: usize) -> Result<Value, Error> {
        Ok(self.add(Node::Tuple(tuple)))
    }

    fn newobj(&mut self, cls: Value, args: Value) -> Result<Value, Error> {
        Ok(self.add(Node::NewObj {
            cls,
            args,
            kwargs: None,
        }))
    }

    fn reduce(&mut self, callable: Value, args: Value) -> Result<Value, Error> {
        Ok(self.add(Node::Reduce { callable, args }))
    }

    fn build(&mut self, object: Value, state: Value) -> Result<(), Error> {
        if let Value::Node(id) = object {
            self.graph.push_change(id, Change::Build(state));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nested_class_is_one_global() {
        let mut objects = GraphSink::new(3);
        let class = objects.global("m", "A.B.C").unwrap();
        assert_eq!(objects.global("m", "A.B.C").unwrap(), class);
        objects.graph.set_root(class);
        assert_eq!(format!("{:?}", objects.graph), "<global m.A.B.C>");
    }
}
