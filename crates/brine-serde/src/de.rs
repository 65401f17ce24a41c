//! Deserialization: walks a decoded [`Graph`] as a serde `Deserializer`, borrowing str and bytes
//! from the input where it can.
//!
//! Each container entered is one level of [`crate::Options::max_depth`], and a container met
//! again inside itself is a cycle: both are errors, never a stack overflow.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt::Write as _;

use brine_value::{Graph, Node, NodeId, PyStr, Value};
use num_bigint::BigInt;
use serde::de::value::{BorrowedStrDeserializer, SeqDeserializer, StrDeserializer};
use serde::de::{self, DeserializeSeed, Expected, Unexpected, Visitor};

use crate::error::{Error, ErrorKind};
use crate::shape::{self, Object, Pairs, Shape, StateView};
use crate::{INSTANCE_TOKEN, Options};

/// Where the graph's str and bytes payloads can be borrowed from for `'de`.
pub(crate) trait Source<'de, 'g>: Copy {
    /// `text`, for `'de`, when it lives in the input.
    fn str(self, text: &'g str) -> Option<&'de str>;
    /// The text of str node `id`, for `'de`, when the source lends text by node (it lives in
    /// the input and is strict UTF-8), checked once per node while the source remembers it.
    fn node_str(self, id: NodeId, text: &'g PyStr) -> Option<&'de str>;
    /// `data`, for `'de`, when it lives in the input.
    fn bytes(self, data: &'g [u8]) -> Option<&'de [u8]>;
}

/// [`crate::from_value`]: everything borrows from the graph itself.
#[derive(Clone, Copy)]
pub(crate) struct FromGraph;

impl<'g> Source<'g, 'g> for FromGraph {
    fn str(self, text: &'g str) -> Option<&'g str> {
        Some(text)
    }

    fn node_str(self, _id: NodeId, _text: &'g PyStr) -> Option<&'g str> {
        // The graph's own text, checked through the deserializer's cache, is lent as it is.
        None
    }

    fn bytes(self, data: &'g [u8]) -> Option<&'g [u8]> {
        Some(data)
    }
}

/// [`crate::from_slice`]: the graph's payloads are slices of a copy of the input made at
/// address `start`, so a payload at `start + k` is `input[k..]`, byte for byte.
#[derive(Clone, Copy)]
pub(crate) struct FromInput<'c, 'de> {
    pub(crate) input: &'de [u8],
    pub(crate) start: usize,
    /// The str nodes lent so far (a shared dict key is checked once, not once per record).
    pub(crate) lent: &'c TextCache<'de>,
}

impl<'de, 'g> Source<'de, 'g> for FromInput<'_, 'de> {
    fn str(self, text: &'g str) -> Option<&'de str> {
        std::str::from_utf8(self.bytes(text.as_bytes())?).ok()
    }

    fn node_str(self, id: NodeId, text: &'g PyStr) -> Option<&'de str> {
        self.lent.text(id, || {
            std::str::from_utf8(self.bytes(text.as_bytes())?).ok()
        })
    }

    fn bytes(self, data: &'g [u8]) -> Option<&'de [u8]> {
        if data.is_empty() {
            // The decoder may not slice an empty payload; nothing is lost by not borrowing it.
            return Some(&[]);
        }
        // The copy is alive and unchanged while the graph is, so a payload inside its address
        // range is a slice of it, and the input holds the same bytes at the same offset.
        let offset = (data.as_ptr() as usize).checked_sub(self.start)?;
        self.input.get(offset..offset.checked_add(data.len())?)
    }
}

/// [`crate::from_reader`]: nothing can be borrowed.
#[derive(Clone, Copy)]
pub(crate) struct Owned;

impl<'de, 'g> Source<'de, 'g> for Owned {
    fn str(self, _text: &'g str) -> Option<&'de str> {
        None
    }

    fn node_str(self, _id: NodeId, _text: &'g PyStr) -> Option<&'de str> {
        None
    }

    fn bytes(self, _data: &'g [u8]) -> Option<&'de [u8]> {
        None
    }
}

/// Deserializes `T` from the root of `graph`.
pub(crate) fn deserialize<'de, 'g, T, S>(
    graph: &'g Graph,
    source: S,
    options: &Options,
) -> Result<T, Error>
where
    T: de::Deserialize<'de>,
    S: Source<'de, 'g>,
{
    let max_containers = budget(graph, options);
    let ctx = Ctx {
        graph,
        source,
        max_depth: options.max_depth,
        budget: Cell::new(max_containers),
        max_containers,
        texts: TextCache::default(),
    };
    let frame = Frame {
        parent: None,
        segment: Segment::Root,
        within: None,
        depth: 0,
    };
    T::deserialize(ValueDe {
        ctx: &ctx,
        value: graph.root_value(),
        frame: &frame,
    })
}

struct Ctx<'g, S> {
    graph: &'g Graph,
    source: S,
    max_depth: usize,
    /// How many more containers may be entered.
    budget: Cell<u64>,
    max_containers: u64,
    /// The text of recently read str nodes, so that a str the pickle shares (a dict key
    /// written once and fetched from the memo for every record) is UTF-8-checked once.
    texts: TextCache<'g>,
}

/// A direct-mapped cache of str nodes already checked to be UTF-8, by node id.
pub(crate) struct TextCache<'s> {
    slots: [Cell<Option<(NodeId, &'s str)>>; TEXT_CACHE_SLOTS],
}

const TEXT_CACHE_SLOTS: usize = 64;

impl Default for TextCache<'_> {
    fn default() -> Self {
        TextCache {
            slots: std::array::from_fn(|_| Cell::new(None)),
        }
    }
}

impl<'s> TextCache<'s> {
    /// The text of str node `id`: from the cache, or `check`ed and remembered.
    fn text(&self, id: NodeId, check: impl FnOnce() -> Option<&'s str>) -> Option<&'s str> {
        let slot = &self.slots[id.index() % TEXT_CACHE_SLOTS];
        if let Some((cached, checked)) = slot.get() {
            if cached == id {
                return Some(checked);
            }
        }
        let checked = check()?;
        slot.set(Some((id, checked)));
        Some(checked)
    }
}

/// The containers [`crate::Options::max_expansion`] allows for `graph`.
fn budget(graph: &Graph, options: &Options) -> u64 {
    (graph.len() as u64)
        .saturating_mul(options.max_expansion)
        .max(1_000_000)
}

/// One step of the path from the root to the value being deserialized, on the stack.
struct Frame<'a, 'g> {
    parent: Option<&'a Frame<'a, 'g>>,
    segment: Segment<'g>,
    /// The container the value sits in.
    within: Option<NodeId>,
    /// How many containers deep the value is.
    depth: usize,
}

#[derive(Clone, Copy)]
enum Segment<'g> {
    Root,
    /// The same place, one level in (an instance's state, a map key).
    Same,
    Index(usize),
    Key(&'g Value),
}

impl<'a, 'g> Frame<'a, 'g> {
    fn child(&'a self, segment: Segment<'g>, within: NodeId) -> Frame<'a, 'g> {
        Frame {
            parent: Some(self),
            segment,
            within: Some(within),
            depth: self.depth + 1,
        }
    }

    /// The path as `records[3].name`.
    fn path(&self, graph: &Graph) -> String {
        let mut segments = Vec::new();
        let mut frame = Some(self);
        while let Some(current) = frame {
            segments.push(current.segment);
            frame = current.parent;
        }
        let mut out = String::new();
        for segment in segments.into_iter().rev() {
            match segment {
                Segment::Root | Segment::Same => {}
                Segment::Index(idx) => {
                    let _ = write!(out, "[{idx}]");
                }
                Segment::Key(key) => match key {
                    Value::Int(v) => {
                        let _ = write!(out, "[{v}]");
                    }
                    Value::BigInt(id) => match graph.try_bigint(*id) {
                        Some(v) => {
                            let _ = write!(out, "[{v}]");
                        }
                        None => out.push_str("[?]"),
                    },
                    Value::Bool(v) => out.push_str(if *v { "[True]" } else { "[False]" }),
                    Value::None => out.push_str("[None]"),
                    Value::Float(v) => {
                        let _ = write!(out, "[{v:?}]");
                    }
                    Value::Node(_) => match graph.get(key).as_str() {
                        Some(name) if is_identifier(name) => push_name(&mut out, name),
                        Some(text) => {
                            let _ = write!(out, "[{text:?}]");
                        }
                        None => {
                            let _ = write!(out, "[<{}>]", shape::describe(graph, key));
                        }
                    },
                },
            }
        }
        out
    }
}

fn push_name(out: &mut String, name: &str) {
    if !out.is_empty() {
        out.push('.');
    }
    out.push_str(name);
}

fn is_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
}

/// A value of the graph, as a serde `Deserializer`.
struct ValueDe<'a, 'g, S> {
    ctx: &'a Ctx<'g, S>,
    value: &'g Value,
    frame: &'a Frame<'a, 'g>,
}

impl<S> Clone for ValueDe<'_, '_, S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S> Copy for ValueDe<'_, '_, S> {}

impl<'de, 'a, 'g, S: Source<'de, 'g>> ValueDe<'a, 'g, S> {
    /// The value resolved; reading an object's changes is work, charged to the expansion
    /// budget.
    fn shape(&self) -> Result<Shape<'g>, Error> {
        let (shape, steps) = shape::shape_counted(self.ctx.graph, self.value);
        if steps > 1 {
            let budget = self.ctx.budget.get();
            let Some(left) = budget.checked_sub(steps as u64) else {
                return Err(ErrorKind::ExpansionLimit(self.ctx.max_containers).into());
            };
            self.ctx.budget.set(left);
        }
        Ok(shape)
    }

    /// Records the path and the Python type on an error that has none yet.
    fn locate<T>(&self, res: Result<T, Error>) -> Result<T, Error> {
        res.map_err(|err| {
            err.locate(
                || self.frame.path(self.ctx.graph),
                || shape::describe(self.ctx.graph, self.value),
            )
        })
    }

    /// Checks the depth limit and cycles before entering the container `id`.
    fn enter(&self, id: NodeId) -> Result<(), Error> {
        if self.frame.depth >= self.ctx.max_depth {
            return Err(ErrorKind::DepthLimit(self.ctx.max_depth).into());
        }
        let budget = self.ctx.budget.get();
        if budget == 0 {
            return Err(ErrorKind::ExpansionLimit(self.ctx.max_containers).into());
        }
        self.ctx.budget.set(budget - 1);
        let mut frame = Some(self.frame);
        while let Some(current) = frame {
            if current.within.is_some_and(|within| within == id) {
                return Err(ErrorKind::Cycle.into());
            }
            frame = current.parent;
        }
        Ok(())
    }

    fn at(&self, value: &'g Value, frame: &'a Frame<'a, 'g>) -> ValueDe<'a, 'g, S> {
        ValueDe {
            ctx: self.ctx,
            value,
            frame,
        }
    }

    fn visit_text<V: Visitor<'de>>(&self, text: &'g PyStr, visitor: V) -> Result<V::Value, Error> {
        let checked = match *self.value {
            Value::Node(id) => {
                if let Some(lent) = self.ctx.source.node_str(id, text) {
                    return visitor.visit_borrowed_str(lent);
                }
                self.ctx.texts.text(id, || text.as_str())
            }
            _ => text.as_str(),
        };
        let Some(text) = checked else {
            return Err(ErrorKind::LoneSurrogate.into());
        };
        match self.ctx.source.str(text) {
            Some(borrowed) => visitor.visit_borrowed_str(borrowed),
            None => visitor.visit_str(text),
        }
    }

    fn visit_data<V: Visitor<'de>>(&self, data: &'g [u8], visitor: V) -> Result<V::Value, Error> {
        match self.ctx.source.bytes(data) {
            Some(borrowed) => visitor.visit_borrowed_bytes(borrowed),
            None => visitor.visit_bytes(data),
        }
    }

    fn visit_bigint<V: Visitor<'de>>(&self, value: &BigInt, visitor: V) -> Result<V::Value, Error> {
        if let Ok(v) = u64::try_from(value) {
            visitor.visit_u64(v)
        } else if let Ok(v) = i128::try_from(value) {
            visitor.visit_i128(v)
        } else if let Ok(v) = u128::try_from(value) {
            visitor.visit_u128(v)
        } else {
            Err(ErrorKind::IntTooLarge.into())
        }
    }

    fn visit_seq_parts<V: Visitor<'de>>(
        &self,
        parts: Vec<&'g [Value]>,
        id: NodeId,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.enter(id)?;
        let remaining = parts.iter().map(|part| part.len()).sum();
        visitor.visit_seq(SeqAccess {
            de: *self,
            id,
            items: [].iter(),
            parts: parts.into_iter(),
            count: 0,
            remaining,
        })
    }

    fn visit_map_parts<V: Visitor<'de>>(
        &self,
        parts: Vec<Pairs<'g>>,
        id: NodeId,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.enter(id)?;
        let remaining = parts.iter().map(|part| part.len()).sum();
        visitor.visit_map(MapAccess {
            de: *self,
            id,
            parts,
            part: 0,
            idx: 0,
            remaining,
            value: None,
        })
    }

    /// An instance's state, deserialized as what it is, one level in.
    fn state<T>(
        &self,
        object: &Object<'g>,
        state: &'g Value,
        then: impl FnOnce(ValueDe<'_, 'g, S>) -> Result<T, Error>,
    ) -> Result<T, Error> {
        self.enter(object.id)?;
        let frame = self.frame.child(Segment::Same, object.id);
        then(self.at(state, &frame))
    }

    fn any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        // Scalars and str first, without resolving a shape: the items of a list of numbers,
        // the fields of a record. (A str's changes, which only a hand-made pickle has, mean
        // nothing to the data model: the shape of a str is its text either way.)
        match *self.value {
            Value::None => return visitor.visit_unit(),
            Value::Bool(v) => return visitor.visit_bool(v),
            Value::Int(v) => return visitor.visit_i64(v),
            Value::Float(v) => return visitor.visit_f64(v),
            Value::Node(id) => {
                if let Some(Node::Str(text)) = self.ctx.graph.try_node(id) {
                    return self.visit_text(text, visitor);
                }
            }
            Value::BigInt(_) => {}
        }
        match self.shape()? {
            Shape::None => visitor.visit_unit(),
            Shape::Bool(v) => visitor.visit_bool(v),
            Shape::Int(v) => visitor.visit_i64(v),
            Shape::BigInt(v) => self.visit_bigint(v, visitor),
            Shape::Float(v) => visitor.visit_f64(v),
            Shape::Str(text) => self.visit_text(text, visitor),
            Shape::AsciiStr(text) => match self.ctx.source.str(text) {
                Some(borrowed) => visitor.visit_borrowed_str(borrowed),
                None => visitor.visit_str(text),
            },
            Shape::OwnedStr(text) => match text.as_str() {
                Some(text) => visitor.visit_str(text),
                None => Err(ErrorKind::LoneSurrogate.into()),
            },
            Shape::Bytes(data, _) => self.visit_data(data, visitor),
            // `bytes()`, as protocols 0-2 write empty bytes: as borrowable as any empty slice.
            Shape::OwnedBytes(data, _) if data.is_empty() => visitor.visit_borrowed_bytes(&[]),
            Shape::OwnedBytes(data, _) => visitor.visit_byte_buf(data),
            Shape::Seq(seq) => self.visit_seq_parts(seq.parts, seq.id, visitor),
            Shape::Map(map) => self.visit_map_parts(map.parts, map.id, visitor),
            Shape::Object(object) => {
                if !object.set_items.is_empty() {
                    let parts = object
                        .set_items
                        .iter()
                        .map(|pairs| Pairs::Pairs(pairs))
                        .collect();
                    return self.visit_map_parts(parts, object.id, visitor);
                }
                if !object.appended.is_empty() {
                    return self.visit_seq_parts(object_items(&object), object.id, visitor);
                }
                match object.state_view(self.ctx.graph) {
                    Some(StateView::Fields(parts)) => {
                        self.visit_map_parts(parts, object.id, visitor)
                    }
                    Some(StateView::Value(state)) => {
                        self.state(&object, state, |de| de.any(visitor))
                    }
                    None if !object.args.is_empty() => {
                        self.visit_seq_parts(vec![object.args], object.id, visitor)
                    }
                    None => self.visit_map_parts(Vec::new(), object.id, visitor),
                }
            }
            Shape::Other(what) => Err(ErrorKind::Unsupported(format!("python {what}")).into()),
        }
    }

    fn integer<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            // bool is a subclass of int in Python: True is 1.
            Value::Bool(v) => visitor.visit_u64(u64::from(*v)),
            Value::Int(v) => visitor.visit_i64(*v),
            _ => self.any(visitor),
        }
    }

    fn float<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            // An int where a float is expected, as Python's float() takes it.
            Value::Int(v) => visitor.visit_f64(*v as f64),
            Value::Float(v) => visitor.visit_f64(*v),
            Value::BigInt(id) => match self.ctx.graph.try_bigint(*id) {
                Some(v) => visitor.visit_f64(num_bigint_to_f64(v)),
                None => self.any(visitor),
            },
            _ => self.any(visitor),
        }
    }

    fn seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.shape()? {
            Shape::Seq(seq) => self.visit_seq_parts(seq.parts, seq.id, visitor),
            // bytes into a Vec<u8> without serde_bytes: a sequence of ints.
            Shape::Bytes(data, _) => visitor.visit_seq(SeqDeserializer::new(data.iter().copied())),
            Shape::OwnedBytes(data, _) => visitor.visit_seq(SeqDeserializer::new(data.into_iter())),
            Shape::Object(object) => {
                if !object.appended.is_empty() || !object.args.is_empty() {
                    return self.visit_seq_parts(object_items(&object), object.id, visitor);
                }
                match object.state_view(self.ctx.graph) {
                    Some(StateView::Value(state)) => {
                        self.state(&object, state, |de| de.seq(visitor))
                    }
                    _ => Err(de::Error::invalid_type(
                        Unexpected::Other(&object.describe()),
                        &visitor,
                    )),
                }
            }
            _ => self.any(visitor),
        }
    }

    fn map<V: Visitor<'de>>(
        self,
        fields: Option<&'static [&'static str]>,
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.shape()? {
            Shape::Map(map) => self.visit_map_parts(map.parts, map.id, visitor),
            // A struct from a tuple: positional fields, as a namedtuple or a tuple state.
            Shape::Seq(seq) if fields.is_some() => self.visit_seq_parts(seq.parts, seq.id, visitor),
            Shape::Object(object) => {
                if !object.set_items.is_empty() {
                    let parts = object
                        .set_items
                        .iter()
                        .map(|pairs| Pairs::Pairs(pairs))
                        .collect();
                    return self.visit_map_parts(parts, object.id, visitor);
                }
                match object.state_view(self.ctx.graph) {
                    Some(StateView::Fields(parts)) => {
                        self.visit_map_parts(parts, object.id, visitor)
                    }
                    Some(StateView::Value(state)) => {
                        self.state(&object, state, |de| de.map(fields, visitor))
                    }
                    None if fields.is_some() && !object.args.is_empty() => {
                        self.visit_seq_parts(vec![object.args], object.id, visitor)
                    }
                    None if object.args.is_empty() => {
                        self.visit_map_parts(Vec::new(), object.id, visitor)
                    }
                    None => Err(de::Error::invalid_type(
                        Unexpected::Other(&object.describe()),
                        &visitor,
                    )),
                }
            }
            _ => self.any(visitor),
        }
    }

    fn instance<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let class = match self.shape()? {
            Shape::Object(object) => object.class,
            _ => None,
        };
        let Some((module, qualname)) = class else {
            return Err(de::Error::invalid_type(
                Unexpected::Other(&format!(
                    "python {}",
                    shape::describe(self.ctx.graph, self.value)
                )),
                &"a python instance",
            ));
        };
        visitor.visit_map(InstanceAccess {
            de: self,
            module,
            qualname,
            step: 0,
        })
    }

    fn enumeration<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.shape()? {
            Shape::Str(_) | Shape::AsciiStr(_) | Shape::OwnedStr(_) => {
                visitor.visit_enum(EnumAccess {
                    de: self,
                    variant: self.value,
                    content: None,
                })
            }
            Shape::Map(map) if map.parts.iter().map(|part| part.len()).sum::<usize>() == 1 => {
                self.enter(map.id)?;
                let part = map.parts.iter().find(|part| part.len() == 1).copied();
                let (variant, content) = match part {
                    Some(Pairs::Pairs([(key, value)])) => (key, value),
                    Some(Pairs::List([item])) => pair(self.ctx.graph, item)?,
                    _ => {
                        return Err(ErrorKind::Message(
                            "expected one (key, value) pair".to_owned(),
                        )
                        .into());
                    }
                };
                visitor.visit_enum(EnumAccess {
                    de: self,
                    variant,
                    content: Some((content, map.id)),
                })
            }
            _ => Err(de::Error::invalid_type(
                Unexpected::Other(&format!(
                    "python {}",
                    shape::describe(self.ctx.graph, self.value)
                )),
                &"a str (unit variant) or a dict with one key (other variants)",
            )),
        }
    }
}

/// The items of an object read as a sequence: its constructor arguments (a namedtuple, or the
/// list of a list subclass below protocol 2), then what APPEND added (a list subclass, a deque).
fn object_items<'g>(object: &Object<'g>) -> Vec<&'g [Value]> {
    let mut parts = Vec::with_capacity(1 + object.appended.len());
    if !object.args.is_empty() {
        parts.push(object.args);
    }
    parts.extend(object.appended.iter().copied());
    parts
}

fn num_bigint_to_f64(value: &BigInt) -> f64 {
    // Python's float(int) rounds to nearest; the decimal route does the same.
    value.to_string().parse().unwrap_or(f64::NAN)
}

/// A `[key, value]` item of a Python 2 OrderedDict's list.
fn pair<'g>(graph: &'g Graph, item: &'g Value) -> Result<(&'g Value, &'g Value), Error> {
    match graph
        .get(item)
        .as_list()
        .or_else(|| graph.get(item).as_tuple())
    {
        Some([key, value]) => Ok((key, value)),
        _ => Err(ErrorKind::Message(format!(
            "expected a (key, value) pair, found python {}",
            shape::describe(graph, item)
        ))
        .into()),
    }
}

macro_rules! forward {
    ($($method:ident => $how:ident,)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
                let res = self.$how(visitor);
                self.locate(res)
            }
        )*
    };
}

impl<'de, 'a, 'g, S: Source<'de, 'g>> de::Deserializer<'de> for ValueDe<'a, 'g, S> {
    type Error = Error;

    forward! {
        deserialize_any => any,
        deserialize_bool => any,
        deserialize_i8 => integer,
        deserialize_i16 => integer,
        deserialize_i32 => integer,
        deserialize_i64 => integer,
        deserialize_i128 => integer,
        deserialize_u8 => integer,
        deserialize_u16 => integer,
        deserialize_u32 => integer,
        deserialize_u64 => integer,
        deserialize_u128 => integer,
        deserialize_f32 => float,
        deserialize_f64 => float,
        deserialize_char => any,
        deserialize_str => any,
        deserialize_string => any,
        deserialize_bytes => any,
        deserialize_byte_buf => any,
        deserialize_seq => seq,
        deserialize_identifier => any,
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let res = match self.value {
            Value::None => visitor.visit_none(),
            _ => visitor.visit_some(self),
        };
        self.locate(res)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let res = match self.shape()? {
            Shape::None => visitor.visit_unit(),
            // `()` is also the empty tuple.
            Shape::Seq(seq)
                if seq.kind == "tuple" && seq.parts.iter().all(|part| part.is_empty()) =>
            {
                visitor.visit_unit()
            }
            // An instance with no state: a `PyInstance<()>`.
            Shape::Object(object)
                if object.state_view(self.ctx.graph).is_none() && object.args.is_empty() =>
            {
                visitor.visit_unit()
            }
            _ => self.any(visitor),
        };
        self.locate(res)
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        let res = match self.shape()? {
            Shape::None => visitor.visit_unit(),
            // A unit struct mapped to a class: an instance, its state if any ignored.
            Shape::Object(_) => visitor.visit_unit(),
            _ => self.any(visitor),
        };
        self.locate(res)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        let res = match self.shape()? {
            // A newtype struct mapped to a class: the instance's state is the inner value.
            Shape::Object(object) => match object.state_view(self.ctx.graph) {
                Some(StateView::Value(state)) => {
                    self.state(&object, state, |de| visitor.visit_newtype_struct(de))
                }
                _ => visitor.visit_newtype_struct(self),
            },
            _ => visitor.visit_newtype_struct(self),
        };
        self.locate(res)
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        let res = self.seq(visitor);
        self.locate(res)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        let res = self.seq(visitor);
        self.locate(res)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let res = self.map(None, visitor);
        self.locate(res)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let res = if name == INSTANCE_TOKEN {
            self.instance(visitor)
        } else {
            self.map(Some(fields), visitor)
        };
        self.locate(res)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let res = self.enumeration(visitor);
        self.locate(res)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        // Nothing to read: an ignored value costs nothing, cycles and depth included.
        visitor.visit_unit()
    }
}

/// The items of a sequence, in parts.
struct SeqAccess<'a, 'g, S> {
    de: ValueDe<'a, 'g, S>,
    id: NodeId,
    /// The rest of the current part.
    items: std::slice::Iter<'g, Value>,
    /// The parts after it.
    parts: std::vec::IntoIter<&'g [Value]>,
    count: usize,
    remaining: usize,
}

impl<'de, 'g, S: Source<'de, 'g>> de::SeqAccess<'de> for SeqAccess<'_, 'g, S> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        let item = loop {
            if let Some(item) = self.items.next() {
                break item;
            }
            let Some(part) = self.parts.next() else {
                return Ok(None);
            };
            self.items = part.iter();
        };
        let index = self.count;
        self.count += 1;
        self.remaining -= 1;
        let frame = self.de.frame.child(Segment::Index(index), self.id);
        seed.deserialize(self.de.at(item, &frame)).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.remaining)
    }
}

/// The pairs of a map or an instance's state, in parts.
struct MapAccess<'a, 'g, S> {
    de: ValueDe<'a, 'g, S>,
    id: NodeId,
    parts: Vec<Pairs<'g>>,
    part: usize,
    idx: usize,
    remaining: usize,
    value: Option<(&'g Value, &'g Value)>,
}

impl<'de, 'g, S: Source<'de, 'g>> de::MapAccess<'de> for MapAccess<'_, 'g, S> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        loop {
            let Some(part) = self.parts.get(self.part).copied() else {
                return Ok(None);
            };
            if self.idx >= part.len() {
                self.part += 1;
                self.idx = 0;
                continue;
            }
            let (key, value) = match part {
                Pairs::Pairs(pairs) => (&pairs[self.idx].0, &pairs[self.idx].1),
                Pairs::List(items) => pair(self.de.ctx.graph, &items[self.idx])?,
            };
            self.idx += 1;
            self.remaining -= 1;
            self.value = Some((key, value));
            let frame = self.de.frame.child(Segment::Key(key), self.id);
            return seed.deserialize(self.de.at(key, &frame)).map(Some);
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let Some((key, value)) = self.value.take() else {
            return Err(ErrorKind::Message("next_value called before next_key".to_owned()).into());
        };
        let frame = self.de.frame.child(Segment::Key(key), self.id);
        seed.deserialize(self.de.at(value, &frame))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.remaining)
    }
}

/// A [`crate::PyInstance`]: the class, then the instance read as its state.
struct InstanceAccess<'a, 'g, S> {
    de: ValueDe<'a, 'g, S>,
    module: &'g str,
    qualname: Cow<'g, str>,
    step: usize,
}

impl<'de, 'g, S: Source<'de, 'g>> de::MapAccess<'de> for InstanceAccess<'_, 'g, S> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let key = match self.step {
            0 => "module",
            1 => "qualname",
            2 => "state",
            _ => return Ok(None),
        };
        seed.deserialize(BorrowedStrDeserializer::new(key))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        self.step += 1;
        let text = match self.step {
            1 => Cow::Borrowed(self.module),
            2 => self.qualname.clone(),
            _ => return seed.deserialize(self.de),
        };
        match text {
            Cow::Borrowed(text) => match self.de.ctx.source.str(text) {
                Some(borrowed) => seed.deserialize(BorrowedStrDeserializer::new(borrowed)),
                None => seed.deserialize(StrDeserializer::new(text)),
            },
            Cow::Owned(text) => seed.deserialize(StrDeserializer::new(&text)),
        }
    }
}

/// An enum: a str for a unit variant, a dict with one key for the others.
struct EnumAccess<'a, 'g, S> {
    de: ValueDe<'a, 'g, S>,
    variant: &'g Value,
    content: Option<(&'g Value, NodeId)>,
}

impl<'de, 'a, 'g, S: Source<'de, 'g>> de::EnumAccess<'de> for EnumAccess<'a, 'g, S> {
    type Error = Error;
    type Variant = VariantAccess<'a, 'g, S>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Self::Variant), Error> {
        let variant = seed.deserialize(self.de.at(self.variant, self.de.frame))?;
        Ok((
            variant,
            VariantAccess {
                de: self.de,
                variant: self.variant,
                content: self.content,
            },
        ))
    }
}

struct VariantAccess<'a, 'g, S> {
    de: ValueDe<'a, 'g, S>,
    variant: &'g Value,
    content: Option<(&'g Value, NodeId)>,
}

impl<'de, 'g, S: Source<'de, 'g>> VariantAccess<'_, 'g, S> {
    fn content<T>(
        self,
        expected: &dyn Expected,
        then: impl FnOnce(ValueDe<'_, 'g, S>) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let Some((content, id)) = self.content else {
            return Err(de::Error::invalid_type(Unexpected::UnitVariant, expected));
        };
        let frame = self.de.frame.child(Segment::Key(self.variant), id);
        then(self.de.at(content, &frame))
    }
}

impl<'de, 'g, S: Source<'de, 'g>> de::VariantAccess<'de> for VariantAccess<'_, 'g, S> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        match self.content {
            None | Some((Value::None, _)) => Ok(()),
            Some((content, _)) => Err(de::Error::invalid_type(
                Unexpected::Other(&format!(
                    "python {}",
                    shape::describe(self.de.ctx.graph, content)
                )),
                &"None for a unit variant",
            )),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        self.content(&"a newtype variant", |de| seed.deserialize(de))
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, Error> {
        self.content(&"a tuple variant", |de| {
            de::Deserializer::deserialize_tuple(de, len, visitor)
        })
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.content(&"a struct variant", |de| {
            de::Deserializer::deserialize_struct(de, "", fields, visitor)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_dotted_other_keys_bracketed() {
        assert!(is_identifier("name"));
        assert!(is_identifier("_x1"));
        assert!(!is_identifier("1x"));
        assert!(!is_identifier("a b"));
        assert!(!is_identifier(""));
    }

    #[test]
    fn input_offsets_map_back_only_inside_the_copy() {
        let input = b"hello world";
        let copy = bytes::Bytes::copy_from_slice(input);
        let lent = TextCache::default();
        let source = FromInput {
            input,
            start: copy.as_ptr() as usize,
            lent: &lent,
        };
        let inside = &copy[6..11];
        assert_eq!(Source::<'_, '_>::bytes(source, inside), Some(&input[6..11]));
        assert_eq!(Source::<'_, '_>::str(source, "world"), None);
        let elsewhere = b"elsewhere".to_vec();
        assert_eq!(Source::<'_, '_>::bytes(source, &elsewhere), None);
    }
}
