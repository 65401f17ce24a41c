//! Random graphs for property tests and fuzzing (the `arbitrary` feature).
//!
//! Every graph made here is one a Python process could hold and CPython's pickler could write
//! and read back to the same shape: cycles pass through a list or dict (never a tuple alone);
//! the objects CPython keeps one of (empty and one-character str, short bytes, a global per
//! name) appear once; dict keys and set items are hashable; objects may carry changes (BUILD,
//! SETITEMS) and be shared like any other node; and persistent ids are referenced once.

use arbitrary::{Arbitrary, Result, Unstructured};
use bytes::Bytes;
use hashbrown::HashMap;

use crate::change::Change;
use crate::graph::Graph;
use crate::node::Node;
use crate::pystr::PyStr;
use crate::value::{NodeId, Value};

/// The globals a random graph may name (module, qualified name).
const GLOBALS: [(&str, &str); 6] = [
    ("collections", "OrderedDict"),
    ("builtins", "complex"),
    ("datetime", "date"),
    ("copyreg", "_reconstructor"),
    ("brine_fixtures", "Plain"),
    ("brine_fixtures", "Outer.Inner"),
];

impl<'a> Arbitrary<'a> for Graph {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Graph> {
        Builder::default().build(u)
    }
}

#[derive(Default)]
struct Builder {
    graph: Graph,
    /// Nodes any other node may refer to, any number of times.
    shared: Vec<NodeId>,
    /// Nodes that must be referenced at most once, and whether they have been.
    single: Vec<(NodeId, bool)>,
    /// Hashable nodes, for dict keys and set items.
    hashable: Vec<NodeId>,
    singletons: HashMap<(bool, Vec<u8>), NodeId>,
    globals: HashMap<usize, NodeId>,
}

impl Builder {
    fn build(mut self, u: &mut Unstructured<'_>) -> Result<Graph> {
        let n_nodes = u.int_in_range(0..=48)?;
        for _ in 0..n_nodes {
            self.node(u)?;
        }
        // Close cycles through lists and dicts only.
        let n_cycles = u.int_in_range(0..=4)?;
        for _ in 0..n_cycles {
            let containers: Vec<NodeId> = self
                .shared
                .iter()
                .copied()
                .filter(|&id| matches!(self.graph.node(id), Node::List(_) | Node::Dict(_)))
                .collect();
            let (Some(&target), false) = (u.choose(&containers).ok(), self.shared.is_empty())
            else {
                break;
            };
            let value = Value::Node(*u.choose(&self.shared)?);
            match self.graph.node_mut(target) {
                Node::List(items) => items.push(value),
                Node::Dict(pairs) => pairs.push((Value::Int(pairs.len() as i64 + 1000), value)),
                _ => {}
            }
        }
        let root = self.value(u)?;
        self.graph.set_root(root);
        Ok(self.graph)
    }

    fn scalar(&mut self, u: &mut Unstructured<'_>) -> Result<Value> {
        Ok(match u.int_in_range(0..=5)? {
            0 => Value::None,
            1 => Value::Bool(u.arbitrary()?),
            2 => Value::Int(i64::from(u.arbitrary::<i16>()?)),
            3 => Value::Int(u.arbitrary()?),
            4 => {
                let magnitude: u128 = u.arbitrary()?;
                let negative: bool = u.arbitrary()?;
                let big = num_bigint::BigInt::from(magnitude) << 64u32;
                self.graph.add_int(if negative { -big } else { big })
            }
            _ => Value::Float(f64::from_bits(u.arbitrary()?)),
        })
    }

    /// Any value: a scalar, a node that may be shared, or a single-use node not used yet.
    fn value(&mut self, u: &mut Unstructured<'_>) -> Result<Value> {
        match u.int_in_range(0..=3)? {
            0 => self.scalar(u),
            1 | 2 if !self.shared.is_empty() => Ok(Value::Node(*u.choose(&self.shared)?)),
            _ => {
                let unused: Vec<usize> = (0..self.single.len())
                    .filter(|&idx| !self.single[idx].1)
                    .collect();
                match u.choose(&unused) {
                    Ok(&idx) => {
                        self.single[idx].1 = true;
                        Ok(Value::Node(self.single[idx].0))
                    }
                    Err(_) => self.scalar(u),
                }
            }
        }
    }

    fn hashable_value(&mut self, u: &mut Unstructured<'_>) -> Result<Value> {
        if !self.hashable.is_empty() && u.arbitrary()? {
            return Ok(Value::Node(*u.choose(&self.hashable)?));
        }
        self.scalar(u)
    }

    fn values(&mut self, u: &mut Unstructured<'_>, max: usize) -> Result<Vec<Value>> {
        let len = u.int_in_range(0..=max)?;
        (0..len).map(|_| self.value(u)).collect()
    }

    fn add_shared(&mut self, node: Node, hashable: bool) -> NodeId {
        let id = self.graph.add(node);
        self.shared.push(id);
        if hashable {
            self.hashable.push(id);
        }
        id
    }

    fn text(u: &mut Unstructured<'_>) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        for _ in 0..u.int_in_range(0..=12)? {
            let cp = match u.int_in_range(0..=3)? {
                0 => u.int_in_range(0x20..=0x7E)?,
                1 => u.int_in_range(0..=0xFF)?,
                2 => u.int_in_range(0xD800..=0xDFFF)?,
                _ => u.int_in_range(0..=0x10FFFF)?,
            };
            brine_lex::pystr::push_code_point(&mut out, cp);
        }
        Ok(out)
    }

    /// A str node, reusing the one node of a singleton's content.
    fn str_node(&mut self, data: Vec<u8>) -> NodeId {
        let singleton = match brine_lex::pystr::code_points(&data)
            .collect::<Vec<_>>()
            .as_slice()
        {
            [] => true,
            [cp] => *cp < 0x100,
            _ => false,
        };
        if singleton {
            if let Some(&id) = self.singletons.get(&(false, data.clone())) {
                return id;
            }
        }
        let id = self.add_shared(
            Node::Str(PyStr::from_surrogatepass_unchecked(Bytes::from(
                data.clone(),
            ))),
            true,
        );
        if singleton {
            self.singletons.insert((false, data), id);
        }
        id
    }

    fn global(&mut self, u: &mut Unstructured<'_>) -> Result<Value> {
        let idx = u.choose_index(GLOBALS.len())?;
        if let Some(&id) = self.globals.get(&idx) {
            return Ok(Value::Node(id));
        }
        let (module, name) = GLOBALS[idx];
        // The names are the global's own strs, never shared with data.
        let module = Value::Node(self.graph.add(Node::Str(PyStr::new(module))));
        let name = Value::Node(self.graph.add(Node::Str(PyStr::new(name))));
        let id = self.add_shared(Node::Global { module, name }, true);
        self.globals.insert(idx, id);
        Ok(Value::Node(id))
    }

    /// A tuple. The empty tuple has no identity a pickle keeps (CPython never memoizes it),
    /// so each one is used once.
    fn tuple(&mut self, u: &mut Unstructured<'_>) -> Result<Value> {
        let items = self.values(u, 4)?;
        if items.is_empty() {
            return Ok(Value::Node(self.graph.add(Node::Tuple(items))));
        }
        Ok(Value::Node(self.add_shared(Node::Tuple(items), false)))
    }

    fn node(&mut self, u: &mut Unstructured<'_>) -> Result<()> {
        match u.int_in_range(0..=12)? {
            0 | 1 => {
                let text = Self::text(u)?;
                self.str_node(text);
            }
            2 => {
                let data: Vec<u8> = u.arbitrary()?;
                if data.len() <= 1 {
                    if !self.singletons.contains_key(&(true, data.clone())) {
                        let id = self.add_shared(Node::Bytes(Bytes::from(data.clone())), true);
                        self.singletons.insert((true, data), id);
                    }
                } else {
                    self.add_shared(Node::Bytes(Bytes::from(data)), true);
                }
            }
            3 => {
                let data: Vec<u8> = u.arbitrary()?;
                self.add_shared(Node::ByteArray(Bytes::from(data)), false);
            }
            4 => {
                if let Value::Node(id) = self.tuple(u)? {
                    if matches!(self.graph.node(id), Node::Tuple(items) if items.is_empty()) {
                        self.single.push((id, false));
                    }
                }
            }
            5 => {
                let items = self.values(u, 6)?;
                self.add_shared(Node::List(items), false);
            }
            6 => {
                let mut pairs = Vec::new();
                for _ in 0..u.int_in_range(0..=5)? {
                    pairs.push((self.hashable_value(u)?, self.value(u)?));
                }
                self.add_shared(Node::Dict(pairs), false);
            }
            7 | 8 => {
                let items = (0..u.int_in_range(0..=5)?)
                    .map(|_| self.hashable_value(u))
                    .collect::<Result<Vec<_>>>()?;
                let frozen: bool = u.arbitrary()?;
                let node = if frozen {
                    Node::FrozenSet(items)
                } else {
                    Node::Set(items)
                };
                self.add_shared(node, frozen);
            }
            9 => {
                self.global(u)?;
            }
            10 => {
                // An object: REDUCE or NEWOBJ(_EX), maybe built with a state.
                let callable = self.global(u)?;
                let args = self.tuple(u)?;
                let object = match u.int_in_range(0..=2)? {
                    0 => Node::Reduce { callable, args },
                    1 => Node::NewObj {
                        cls: callable,
                        args,
                        kwargs: None,
                    },
                    _ => {
                        let mut pairs = Vec::new();
                        for idx in 0..u.int_in_range(0..=2)? {
                            let key = self.str_node(format!("k{idx}").into_bytes());
                            pairs.push((Value::Node(key), self.value(u)?));
                        }
                        let kwargs = Value::Node(self.add_shared(Node::Dict(pairs), false));
                        Node::NewObj {
                            cls: callable,
                            args,
                            kwargs: Some(kwargs),
                        }
                    }
                };
                let object = self.add_shared(object, false);
                match u.int_in_range(0..=2)? {
                    0 => {}
                    1 => {
                        let state = self.value(u)?;
                        self.graph.push_change(object, Change::Build(state));
                    }
                    _ => {
                        let mut pairs = Vec::new();
                        for _ in 0..u.int_in_range(1..=3)? {
                            pairs.push((self.hashable_value(u)?, self.value(u)?));
                        }
                        self.graph.push_change(object, Change::SetItems(pairs));
                    }
                }
            }
            _ => {
                let pid = if u.arbitrary()? {
                    Value::Int(u.arbitrary::<u16>()?.into())
                } else {
                    let text = format!("pid{}", u.arbitrary::<u16>()?);
                    Value::Node(self.graph.add(Node::Str(PyStr::from(text))))
                };
                let id = self.graph.add(Node::PersistentId(pid));
                self.single.push((id, false));
            }
        }
        Ok(())
    }
}
