//! Deserialization: walks a decoded [`Graph`] as a serde `Deserializer`, borrowing str and bytes
//! from the input where it can.
//!
//! Each container entered is one level of [`crate::Options::max_depth`], and a container met
//! again inside itself is a cycle: both are errors, never a stack overflow.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt::Write as _;

use brine_interpret::{Data, Interpreter, Items, Object, Pairs, View};
use brine_value::{Graph, Node, NodeId, PickleBuffer, PyStr, Value};
use num_bigint::BigInt;
use serde::de::value::{BorrowedStrDeserializer, SeqDeserializer, StrDeserializer};
use serde::de::{self, DeserializeSeed, Expected, Unexpected, Visitor};

use crate::error::{Error, ErrorKind};
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
    let root = Root::new(graph, source, options);
    T::deserialize(root.de())
}

/// The context and frame of a graph's root, with its limits fresh.
struct Root<'g, S> {
    ctx: Ctx<'g, S>,
    frame: Frame<'g, 'g>,
}

impl<'de, 'g, S: Source<'de, 'g>> Root<'g, S> {
    fn new(graph: &'g Graph, source: S, options: &Options) -> Root<'g, S> {
        let max_containers = budget(graph, options);
        Root {
            ctx: Ctx {
                graph,
                interpreter: Interpreter::new(graph),
                source,
                max_depth: options.max_depth,
                budget: Cell::new(max_containers),
                max_containers,
                texts: TextCache::default(),
            },
            frame: Frame {
                parent: None,
                segment: Segment::Root,
                within: None,
                depth: 0,
            },
        }
    }

    /// A deserializer of the root value.
    fn de(&self) -> ValueDe<'_, 'g, S> {
        ValueDe {
            ctx: &self.ctx,
            value: self.ctx.graph.root_value(),
            frame: &self.frame,
        }
    }
}

/// A serde [`Deserializer`](serde::Deserializer) of one pickle in a slice, as
/// [`crate::from_slice`] reads it: decoded (executing nothing) when it is made, then read as
/// serde's data model, `&str` and `&[u8]` borrowing from the slice where the pickle holds them
/// as UTF-8 text or raw bytes.
///
/// It is what serde tooling that wraps a deserializer needs (`serde_path_to_error`,
/// `serde_transcode`); [`crate::from_slice`] is the common path. Deserialize one value from
/// `&mut deserializer`.
///
/// # Example
///
/// ```
/// use serde::Deserialize;
///
/// // pickle.dumps({"a": [1, 2]}, protocol=2)
/// let pickle = b"\x80\x02}q\x00X\x01\x00\x00\x00aq\x01]q\x02(K\x01K\x02es.";
/// let mut deserializer = brine_serde::Deserializer::from_slice(pickle, &Default::default())?;
/// let map = std::collections::BTreeMap::<&str, Vec<u8>>::deserialize(&mut deserializer)?;
/// assert_eq!(map["a"], [1, 2]);
/// # Ok::<(), brine_serde::Error>(())
/// ```
pub struct Deserializer<'de> {
    input: &'de [u8],
    /// The copy of `input` the graph's payloads slice: alive, and unchanged, as long as the
    /// graph, so a payload's address tells its offset in `input`.
    shared: bytes::Bytes,
    graph: Graph,
    options: Options,
    /// The str nodes lent from `input` so far.
    lent: TextCache<'de>,
}

impl<'de> Deserializer<'de> {
    /// Decodes the pickle at the start of `data`; bytes after its STOP are ignored, as
    /// `pickle.loads` ignores them.
    ///
    /// To borrow, the input is copied once into a shared buffer that the decoder slices (one
    /// copy of the input, cheaper than one allocation per string), and payloads are mapped
    /// back to `data` by their offset.
    ///
    /// # Errors
    ///
    /// A malformed pickle ([`crate::ErrorKind::Load`], with the opcode's byte offset).
    ///
    /// # Example
    ///
    /// ```
    /// let err = brine_serde::Deserializer::from_slice(b"K", &Default::default()).err().unwrap();
    /// assert!(matches!(err.kind(), brine_serde::ErrorKind::Load(_)));
    /// ```
    pub fn from_slice(data: &'de [u8], options: &Options) -> Result<Deserializer<'de>, Error> {
        #[cfg(feature = "compress")]
        if let Some(decompress) = &options.decompress {
            if brine_compress::Codec::detect(data).is_some() {
                // The pickle is the decompressed bytes, not `data`: nothing can be lent from
                // the input, so an empty input lends nothing and every value is owned.
                let plain = brine_compress::decompress(data, decompress)
                    .map_err(|err| Error::from(ErrorKind::Decompress(err)))?;
                let shared = bytes::Bytes::from(plain);
                let graph = brine_vm::from_bytes(shared.clone(), &options.vm_options())?;
                return Ok(Deserializer {
                    input: &[],
                    shared,
                    graph,
                    options: options.clone(),
                    lent: TextCache::default(),
                });
            }
        }
        let shared = bytes::Bytes::copy_from_slice(data);
        let graph = brine_vm::from_bytes(shared.clone(), &options.vm_options())?;
        Ok(Deserializer {
            input: data,
            shared,
            graph,
            options: options.clone(),
            lent: TextCache::default(),
        })
    }

    /// The pickle's root, whose `&str` and `&[u8]` borrow from the input.
    fn root(&self) -> Root<'_, FromInput<'_, 'de>> {
        let source = FromInput {
            input: self.input,
            start: self.shared.as_ptr() as usize,
            lent: &self.lent,
        };
        Root::new(&self.graph, source, &self.options)
    }
}

/// `serde::Deserializer` methods of `&mut Deserializer`, each the root's.
macro_rules! root {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, Error> {
                de::Deserializer::$method(self.root().de(), $($arg,)* visitor)
            }
        )*
    };
}

impl<'de> de::Deserializer<'de> for &mut Deserializer<'de> {
    type Error = Error;

    root! {
        deserialize_any();
        deserialize_bool();
        deserialize_i8();
        deserialize_i16();
        deserialize_i32();
        deserialize_i64();
        deserialize_i128();
        deserialize_u8();
        deserialize_u16();
        deserialize_u32();
        deserialize_u64();
        deserialize_u128();
        deserialize_f32();
        deserialize_f64();
        deserialize_char();
        deserialize_str();
        deserialize_string();
        deserialize_bytes();
        deserialize_byte_buf();
        deserialize_option();
        deserialize_unit();
        deserialize_unit_struct(name: &'static str);
        deserialize_newtype_struct(name: &'static str);
        deserialize_seq();
        deserialize_tuple(len: usize);
        deserialize_tuple_struct(name: &'static str, len: usize);
        deserialize_map();
        deserialize_struct(name: &'static str, fields: &'static [&'static str]);
        deserialize_enum(name: &'static str, variants: &'static [&'static str]);
        deserialize_identifier();
        deserialize_ignored_any();
    }
}

struct Ctx<'g, S> {
    graph: &'g Graph,
    /// How the graph's values read: brine-interpret's view.
    interpreter: Interpreter<'g>,
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
                            let _ = write!(out, "[<{}>]", Interpreter::new(graph).describe(key));
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
    /// What the value means (brine-interpret's view); reading an object's changes is work,
    /// charged to the expansion budget. A kind serde's data model has no place for that a
    /// REDUCE made (a `Decimal`, a `date`) is read as the call it is.
    fn view(&self) -> Result<View<'g>, Error> {
        let Value::Node(id) = *self.value else {
            return Ok(self.ctx.interpreter.view(self.value));
        };
        let steps = self.ctx.graph.changes(id).len();
        if steps > 1 {
            let budget = self.ctx.budget.get();
            let Some(left) = budget.checked_sub(steps as u64) else {
                return Err(ErrorKind::ExpansionLimit(self.ctx.max_containers).into());
            };
            self.ctx.budget.set(left);
        }
        let view = self.ctx.interpreter.node(id).view;
        // A Python 2 str the encoding cannot read fails as Python 3's loads would.
        if let View::Record(Node::Py2Str(data)) = view {
            if let Err(err) = self.ctx.graph.py2_text().decode(data) {
                return Err(ErrorKind::Message(err.to_string()).into());
            }
        }
        if has_serde_form(&view) {
            return Ok(view);
        }
        Ok(match self.ctx.interpreter.call(id) {
            Some(call) => call.view,
            None => view,
        })
    }

    /// The node of a container view: every container is a node.
    fn id(&self) -> Result<NodeId, Error> {
        self.value
            .node()
            .ok_or_else(|| ErrorKind::Message("a container that is not a node".to_owned()).into())
    }

    /// Records the path and the Python type on an error that has none yet.
    fn locate<T>(&self, res: Result<T, Error>) -> Result<T, Error> {
        res.map_err(|err| {
            err.locate(
                || self.frame.path(self.ctx.graph),
                || self.ctx.interpreter.describe(self.value),
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

    /// A Python 2 `str` read as text: borrowed from the input where it is ASCII (the text is
    /// the graph's bytes), else the decoded text.
    fn visit_py2_text<V: Visitor<'de>>(&self, text: PyStr, visitor: V) -> Result<V::Value, Error> {
        if let Some(Node::Py2Str(data)) =
            self.value.node().and_then(|id| self.ctx.graph.try_node(id))
        {
            if let Some(ascii) = data
                .is_ascii()
                .then(|| std::str::from_utf8(data).ok())
                .flatten()
            {
                if let Some(borrowed) = self.ctx.source.str(ascii) {
                    return visitor.visit_borrowed_str(borrowed);
                }
            }
        }
        match text.as_str() {
            Some(text) => visitor.visit_str(text),
            None => Err(ErrorKind::LoneSurrogate.into()),
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

    /// Bytes of the graph, or decoded from a protocol 0-2 reduction's text.
    fn visit_bytes<V: Visitor<'de>>(&self, data: Data<'g>, visitor: V) -> Result<V::Value, Error> {
        match data {
            Data::Shared(data) => self.visit_data(data, visitor),
            // `bytes()`, as protocols 0-2 write empty bytes: as borrowable as any empty slice.
            Data::Decoded(data) if data.is_empty() => visitor.visit_borrowed_bytes(&[]),
            Data::Decoded(data) => visitor.visit_byte_buf(data),
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

    fn visit_items<V: Visitor<'de>, I: Iterator<Item = &'g Value>>(
        &self,
        items: I,
        remaining: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        let id = self.id()?;
        self.enter(id)?;
        visitor.visit_seq(SeqAccess {
            de: *self,
            id,
            items,
            count: 0,
            remaining,
        })
    }

    fn visit_pairs<V: Visitor<'de>, I: Iterator<Item = (&'g Value, &'g Value)>>(
        &self,
        pairs: I,
        remaining: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        let id = self.id()?;
        self.enter(id)?;
        visitor.visit_map(MapAccess {
            de: *self,
            id,
            pairs,
            remaining,
            value: None,
        })
    }

    fn visit_sequence<V: Visitor<'de>>(
        &self,
        items: Items<'g>,
        visitor: V,
    ) -> Result<V::Value, Error> {
        let len = items.len();
        self.visit_items(items.into_iter(), len, visitor)
    }

    fn visit_mapping<V: Visitor<'de>>(
        &self,
        pairs: Pairs<'g>,
        visitor: V,
    ) -> Result<V::Value, Error> {
        let len = pairs.len();
        self.visit_pairs(pairs.into_iter(), len, visitor)
    }

    /// An instance's attributes as a map: its `__dict__`, then its slots.
    fn visit_fields<V: Visitor<'de>>(
        &self,
        object: Object<'g>,
        visitor: V,
    ) -> Result<V::Value, Error> {
        let remaining = object.state.len() + object.slots.len();
        let fields = object.state.into_iter().chain(object.slots);
        self.visit_pairs(fields, remaining, visitor)
    }

    /// The items of an object read as a sequence: its constructor arguments (a namedtuple),
    /// then its list items (a list subclass, a deque).
    fn visit_object_items<V: Visitor<'de>>(
        &self,
        object: Object<'g>,
        visitor: V,
    ) -> Result<V::Value, Error> {
        let remaining = object.args.len() + object.list_items.len();
        let items = object.args.iter().chain(object.list_items);
        self.visit_items(items, remaining, visitor)
    }

    /// An instance's state, deserialized as what it is, one level in.
    fn state<T>(
        &self,
        state: &'g Value,
        then: impl FnOnce(ValueDe<'_, 'g, S>) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let id = self.id()?;
        self.enter(id)?;
        let frame = self.frame.child(Segment::Same, id);
        then(self.at(state, &frame))
    }

    fn unsupported<T>(&self, view: &View<'g>) -> Result<T, Error> {
        Err(ErrorKind::Unsupported(format!("python {}", view.describe())).into())
    }

    fn any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        // Scalars and str first, without reading a view: the items of a list of numbers,
        // the fields of a record. (A str's changes, which only a hand-made pickle has, mean
        // nothing to the data model: a str is its text either way.)
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
        let view = match self.view()?.into_items() {
            Ok(items) => return self.visit_sequence(items, visitor),
            Err(view) => view,
        };
        let view = match view.into_pairs() {
            Ok(pairs) => return self.visit_mapping(pairs, visitor),
            Err(view) => view,
        };
        match view {
            View::None => visitor.visit_unit(),
            View::Bool(v) => visitor.visit_bool(v),
            View::Int(v) => visitor.visit_i64(v),
            View::BigInt(v) => self.visit_bigint(v, visitor),
            View::Float(v) => visitor.visit_f64(v),
            View::Str(text) => self.visit_text(text, visitor),
            View::Py2Str(text) => self.visit_py2_text(text, visitor),
            View::Bytes(data) | View::ByteArray(data) => self.visit_bytes(data, visitor),
            View::Buffer(PickleBuffer {
                data: Some(data), ..
            }) => self.visit_data(data, visitor),
            View::Buffer(_) => Err(ErrorKind::Unsupported(
                "python out-of-band PickleBuffer without its data".to_owned(),
            )
            .into()),
            View::Object(object) => {
                let object = *object;
                if !object.dict_items.is_empty() {
                    return self.visit_mapping(object.dict_items, visitor);
                }
                if !object.list_items.is_empty() {
                    return self.visit_object_items(object, visitor);
                }
                match state_view(&object) {
                    Some(StateView::Fields) => self.visit_fields(object, visitor),
                    Some(StateView::Value(state)) => self.state(state, |de| de.any(visitor)),
                    None if !object.args.is_empty() => {
                        self.visit_items(object.args.iter(), object.args.len(), visitor)
                    }
                    None => self.visit_fields(object, visitor),
                }
            }
            other => self.unsupported(&other),
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
        let view = match self.view()?.into_items() {
            Ok(items) => return self.visit_sequence(items, visitor),
            Err(view) => view,
        };
        match view {
            // bytes into a Vec<u8> without serde_bytes: a sequence of ints.
            View::Bytes(Data::Shared(data)) | View::ByteArray(Data::Shared(data)) => {
                visitor.visit_seq(SeqDeserializer::new(data.iter().copied()))
            }
            View::Buffer(PickleBuffer {
                data: Some(data), ..
            }) => visitor.visit_seq(SeqDeserializer::new(data.iter().copied())),
            View::Bytes(Data::Decoded(data)) | View::ByteArray(Data::Decoded(data)) => {
                visitor.visit_seq(SeqDeserializer::new(data.into_iter()))
            }
            View::Object(object) => {
                let object = *object;
                if !object.list_items.is_empty() || !object.args.is_empty() {
                    return self.visit_object_items(object, visitor);
                }
                match state_view(&object) {
                    Some(StateView::Value(state)) => self.state(state, |de| de.seq(visitor)),
                    _ => Err(de::Error::invalid_type(
                        Unexpected::Other(&View::Object(Box::new(object)).describe()),
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
        let view = match self.view()?.into_pairs() {
            Ok(pairs) => return self.visit_mapping(pairs, visitor),
            Err(view) => view,
        };
        // A struct from a sequence: positional fields, as a namedtuple or a tuple state.
        let view = match view.into_items() {
            Ok(items) if fields.is_some() => return self.visit_sequence(items, visitor),
            Ok(_) => return self.any(visitor),
            Err(view) => view,
        };
        match view {
            View::Object(object) => {
                let object = *object;
                if !object.dict_items.is_empty() {
                    return self.visit_mapping(object.dict_items, visitor);
                }
                match state_view(&object) {
                    Some(StateView::Fields) => self.visit_fields(object, visitor),
                    Some(StateView::Value(state)) => {
                        self.state(state, |de| de.map(fields, visitor))
                    }
                    None if fields.is_some() && !object.args.is_empty() => {
                        self.visit_items(object.args.iter(), object.args.len(), visitor)
                    }
                    None if object.args.is_empty() => self.visit_fields(object, visitor),
                    None => Err(de::Error::invalid_type(
                        Unexpected::Other(&View::Object(Box::new(object)).describe()),
                        &visitor,
                    )),
                }
            }
            _ => self.any(visitor),
        }
    }

    fn instance<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let view = self.view()?;
        let class = match &view {
            View::Object(object) => object.class(),
            _ => None,
        };
        let Some(class) = class else {
            return Err(de::Error::invalid_type(
                Unexpected::Other(&format!("python {}", view.describe())),
                &"a python instance",
            ));
        };
        visitor.visit_map(InstanceAccess {
            de: self,
            module: class.module,
            qualname: class.name,
            step: 0,
        })
    }

    fn enumeration<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let view = self.view()?;
        if let View::Str(_) | View::Py2Str(_) = view {
            return visitor.visit_enum(EnumAccess {
                de: self,
                variant: self.value,
                content: None,
            });
        }
        match view.into_pairs() {
            Ok(pairs) if pairs.len() == 1 => {
                let id = self.id()?;
                self.enter(id)?;
                let Some((variant, content)) = pairs.into_iter().next() else {
                    return Err(
                        ErrorKind::Message("expected one (key, value) pair".to_owned()).into(),
                    );
                };
                visitor.visit_enum(EnumAccess {
                    de: self,
                    variant,
                    content: Some((content, id)),
                })
            }
            _ => Err(de::Error::invalid_type(
                Unexpected::Other(&format!(
                    "python {}",
                    self.ctx.interpreter.describe(self.value)
                )),
                &"a str (unit variant) or a dict with one key (other variants)",
            )),
        }
    }
}

/// Whether serde's data model has a place for the view: scalars, str, bytes, sequences,
/// mappings and objects.
fn has_serde_form(view: &View<'_>) -> bool {
    matches!(
        view,
        View::None
            | View::Bool(_)
            | View::Int(_)
            | View::BigInt(_)
            | View::Float(_)
            | View::Str(_)
            | View::Bytes(_)
            | View::ByteArray(_)
            | View::Buffer(_)
            | View::Tuple(_)
            | View::List(_)
            | View::Set(_)
            | View::FrozenSet(_)
            | View::Deque { .. }
            | View::Dict(_)
            | View::OrderedDict(_)
            | View::Counter(_)
            | View::DefaultDict { .. }
            | View::Object(_)
    )
}

/// How an instance's state reads as struct fields.
enum StateView<'g> {
    /// Dicts: `__dict__` and slots, merged in order as BUILD applies them.
    Fields,
    /// A state of another kind, handed to `__setstate__` in Python: read it as it is.
    Value(&'g Value),
}

/// The state as struct fields, following `object.__setstate__`'s default: a dict updates
/// `__dict__`, a `(dict, slots)` pair sets both; a `None` state sets nothing.
fn state_view<'g>(object: &Object<'g>) -> Option<StateView<'g>> {
    match object.setstate {
        Some(Value::None) => Some(StateView::Fields),
        Some(state) => Some(StateView::Value(state)),
        None if object.state.is_empty() && object.slots.is_empty() => None,
        None => Some(StateView::Fields),
    }
}

fn num_bigint_to_f64(value: &BigInt) -> f64 {
    // Python's float(int) rounds to nearest; the decimal route does the same.
    value.to_string().parse().unwrap_or(f64::NAN)
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
        let res = match self.view()? {
            View::None => visitor.visit_unit(),
            // `()` is also the empty tuple.
            View::Tuple([]) => visitor.visit_unit(),
            // An instance with no state: a `PyInstance<()>`.
            View::Object(object) if state_view(&object).is_none() && object.args.is_empty() => {
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
        let res = match self.view()? {
            View::None => visitor.visit_unit(),
            // A unit struct mapped to a class: an instance, its state if any ignored.
            View::Object(_) => visitor.visit_unit(),
            _ => self.any(visitor),
        };
        self.locate(res)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        let res = match self.view()? {
            // A newtype struct mapped to a class: the instance's state is the inner value.
            View::Object(object) => match state_view(&object) {
                Some(StateView::Value(state)) => {
                    self.state(state, |de| visitor.visit_newtype_struct(de))
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

/// The items of a sequence.
struct SeqAccess<'a, 'g, S, I> {
    de: ValueDe<'a, 'g, S>,
    id: NodeId,
    items: I,
    count: usize,
    remaining: usize,
}

impl<'de, 'g, S: Source<'de, 'g>, I: Iterator<Item = &'g Value>> de::SeqAccess<'de>
    for SeqAccess<'_, 'g, S, I>
{
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        let Some(item) = self.items.next() else {
            return Ok(None);
        };
        let index = self.count;
        self.count += 1;
        self.remaining = self.remaining.saturating_sub(1);
        let frame = self.de.frame.child(Segment::Index(index), self.id);
        seed.deserialize(self.de.at(item, &frame)).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.remaining)
    }
}

/// The pairs of a map or an instance's state.
struct MapAccess<'a, 'g, S, I> {
    de: ValueDe<'a, 'g, S>,
    id: NodeId,
    pairs: I,
    remaining: usize,
    value: Option<(&'g Value, &'g Value)>,
}

impl<'de, 'g, S: Source<'de, 'g>, I: Iterator<Item = (&'g Value, &'g Value)>> de::MapAccess<'de>
    for MapAccess<'_, 'g, S, I>
{
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some((key, value)) = self.pairs.next() else {
            return Ok(None);
        };
        self.remaining = self.remaining.saturating_sub(1);
        self.value = Some((key, value));
        let frame = self.de.frame.child(Segment::Key(key), self.id);
        seed.deserialize(self.de.at(key, &frame)).map(Some)
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
                    self.de.ctx.interpreter.describe(content)
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
