//! The pickler: writes a [`brine_value::Graph`] as pickle bytes, with exactly the choices
//! CPython 3.11's C pickler makes at each protocol from 0 to 5.
//!
//! A graph decoded from a pickle CPython wrote at protocol P encodes at P to the same bytes:
//! the same memo numbering (PUT, BINPUT, MEMOIZE), the same GETs for shared objects, the same
//! APPENDS/SETITEMS/ADDITEMS batches of 1000, the same frames of about 64 KiB with large
//! payloads outside them, the same opcode for every int, float, str and bytes size, and the
//! same protocol 0-3 forms of bytes, bytearray, set and frozenset. Writing goes to any
//! `std::io::Write` in bounded memory: frames are flushed as they fill and large payloads are
//! written straight from the graph's buffers, never copied. [`to_vec`] writes into the vector
//! it returns ([`Memory`]), each frame in place, its header filled in when it closes.
//!
//! Other CPythons chose differently in places (2.7's cPickle memoizes by reference count and
//! numbers from 1, 3.6 writes every protocol 0 int as LONG and frames everything, 3.13 writes
//! nested globals as a `getattr` chain): [`Options::flavour`] names the one to reproduce
//! ([`Flavour`]; each rule and the CPython source it comes from is in `flavour.rs`), and by
//! default it is the one `brine-vm` recognised in the pickle the graph was decoded from.
//! What only the pickle records, which objects it memoized, the graph keeps
//! ([`Graph::memoized`]), and the encoder follows it at the pickle's own protocol.
//!
//! [`Emitter`] is the same pickler one object at a time, for a writer that has no graph
//! (`brine-serde` writes serde values with it): the graph pickler calls it for every object,
//! so both make the same choices.
//!
//! This crate only writes: `brine-vm` reads pickles into graphs.
//!
//! # Example
//!
//! ```
//! use brine_value::{Graph, Node, Value};
//!
//! let mut graph = Graph::new();
//! let items = graph.add(Node::List(vec![Value::Int(1), Value::Int(2)]));
//! graph.set_root(Value::Node(items));
//! // pickle.dumps([1, 2], protocol=2)
//! let bytes = brine_encode::to_vec(&graph, &brine_encode::Options::protocol(2))?;
//! assert_eq!(bytes, b"\x80\x02]q\x00(K\x01K\x02e.");
//! # Ok::<(), brine_encode::EncodeError>(())
//! ```
#![forbid(unsafe_code)]

mod emit;
mod error;
mod flavour;
mod optimize;
mod output;
mod save;

use std::io::Write;

use brine_value::{ExtensionRegistry, Graph, PickleBuffer, Value};

pub use brine_value::Flavour;

pub use emit::{Batch, Emitter, NOT_MEMOIZED, is_shared_str};
pub use error::EncodeError;
pub use optimize::{OptimizeError, optimize};
pub use output::{Memory, Target};
pub use save::{BufferCallback, PersistentId};

use save::{Pickler as Machine, Scratch};

/// CPython's `pickle.DEFAULT_PROTOCOL`.
pub const DEFAULT_PROTOCOL: u8 = 4;
/// CPython's `pickle.HIGHEST_PROTOCOL`.
pub const HIGHEST_PROTOCOL: u8 = 5;

/// How to write a pickle: Python's `Pickler` parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// The protocol, 0 to 5.
    ///
    /// Default: 4 ([`DEFAULT_PROTOCOL`]).
    pub protocol: u8,
    /// At protocols 0-2, write Python 2 names for globals (`builtins.set` as
    /// `__builtin__.set`), so that Python 2 can read the pickle.
    ///
    /// Default: `true`.
    pub fix_imports: bool,
    /// Globals with extension codes, written as EXT1/EXT2/EXT4 from protocol 2.
    ///
    /// Default: empty, as in CPython.
    pub extensions: ExtensionRegistry,
    /// The CPython whose pickler's choices to reproduce, where they differ from 3.11's
    /// (see [`Flavour`]): `None` writes as the pickler whose idioms the decoder saw in the
    /// graph's pickle ([`Graph::flavour`]), and as 3.11 when it saw none or the graph was
    /// built by hand. At a protocol the named CPython never wrote, 3.11's choices apply.
    ///
    /// Whatever the flavour, an object the graph's pickle never memoized
    /// ([`Graph::memoized`]) is not memoized.
    ///
    /// Default: `None`.
    pub flavour: Option<Flavour>,
    /// CPython's `Pickler.fast`: no memo. Nothing is memoized (no MEMOIZE, PUT or BINPUT)
    /// and nothing fetched again (no GET): an object the graph refers to twice is written
    /// twice, and Python loads two objects. The pickle is smaller and quicker to write for
    /// data without sharing. A cycle cannot be written this way and is refused with
    /// [`EncodeError::FastModeCycle`], as CPython refuses it with `ValueError`.
    ///
    /// Default: `false`.
    pub fast: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options::protocol(DEFAULT_PROTOCOL)
    }
}

impl Options {
    /// Default options at `protocol`.
    pub fn protocol(protocol: u8) -> Options {
        Options {
            protocol,
            fix_imports: true,
            extensions: ExtensionRegistry::default(),
            flavour: None,
            fast: false,
        }
    }

    /// These options in CPython's fast mode ([`Options::fast`]).
    ///
    /// # Example
    ///
    /// ```
    /// use brine_value::{Graph, Node, Value};
    ///
    /// let mut graph = Graph::new();
    /// let inner = graph.add(Node::List(vec![]));
    /// let outer = graph.add(Node::List(vec![Value::Node(inner), Value::Node(inner)]));
    /// graph.set_root(Value::Node(outer));
    /// // p = pickle.Pickler(f, 2); p.fast = True; p.dump([inner, inner])
    /// let bytes = brine_encode::to_vec(&graph, &brine_encode::Options::protocol(2).fast())?;
    /// assert_eq!(bytes, b"\x80\x02](]]e.");
    /// # Ok::<(), brine_encode::EncodeError>(())
    /// ```
    pub fn fast(mut self) -> Options {
        self.fast = true;
        self
    }
}

/// Writes `graph` as a pickle.
///
/// # Errors
///
/// A protocol above 5, a value the protocol cannot express (a PickleBuffer below protocol 5,
/// a non-ASCII global name below protocol 3), a tuple that contains itself directly, or in
/// fast mode any cycle.
///
/// # Example
///
/// ```
/// let graph = brine_vm::from_slice(b"\x80\x04K\x05.", &Default::default()).unwrap();
/// assert_eq!(brine_encode::to_vec(&graph, &Default::default())?, b"\x80\x04K\x05.");
/// # Ok::<(), brine_encode::EncodeError>(())
/// ```
pub fn to_vec(graph: &Graph, options: &Options) -> Result<Vec<u8>, EncodeError> {
    Encoder::new(options.clone()).to_vec(graph)
}

/// Writes `graph` as a pickle to `writer`, in bounded memory.
///
/// # Errors
///
/// As [`to_vec`], and [`EncodeError::Io`] when writing fails.
pub fn to_writer<W: Write>(graph: &Graph, writer: W, options: &Options) -> Result<W, EncodeError> {
    Encoder::new(options.clone()).to_writer(graph, writer)
}

/// A pickler with hooks: persistent_id and buffer_callback, beside the [`Options`].
///
/// An encoder is meant to be reused, as a Python program reuses its `Pickler`: between
/// dumps it keeps the room of its memo and its task stack (emptied, and at most 65,536
/// entries of each vector), so that writing many small graphs does not
/// allocate them every time. Nothing else carries over: each dump starts with an empty memo
/// (CPython's `clear_memo()` before every `dump`) and writes exactly what a new encoder
/// writes, also after a dump that failed. [`to_vec`] and [`to_writer`] are a new encoder's
/// one dump.
///
/// ```
/// use brine_value::{Graph, Node, Value};
///
/// let mut encoder = brine_encode::Encoder::new(brine_encode::Options::protocol(2));
/// for n in 1..=3 {
///     let mut graph = Graph::new();
///     let items = graph.add(Node::List(vec![Value::Int(n)]));
///     graph.set_root(Value::Node(items));
///     // pickle.dumps([n], protocol=2): memo index 0 every time.
///     assert_eq!(encoder.to_vec(&graph)?, [&b"\x80\x02]q\x00K"[..], &[n as u8], b"a."].concat());
/// }
/// # Ok::<(), brine_encode::EncodeError>(())
/// ```
///
/// # Example
///
/// ```
/// use brine_value::{Graph, Node, PickleBuffer, Value};
///
/// let mut graph = Graph::new();
/// let data = Some(bytes::Bytes::from_static(b"abc"));
/// let buffer = PickleBuffer { index: 0, readonly: true, data };
/// let buffer = graph.add(Node::Buffer(Box::new(buffer)));
/// graph.set_root(Value::Node(buffer));
/// let mut out_of_band = Vec::new();
/// let pickle = brine_encode::Encoder::new(brine_encode::Options::protocol(5))
///     .buffer_callback(|buffer| {
///         out_of_band.push(buffer.data.clone());
///         false
///     })
///     .to_writer(&graph, Vec::new())?;
/// assert_eq!(pickle, b"\x80\x05\x97\x98.");
/// assert_eq!(out_of_band.len(), 1);
/// # Ok::<(), brine_encode::EncodeError>(())
/// ```
pub struct Encoder<'h> {
    options: Options,
    persistent_id: Option<Box<PersistentId<'h>>>,
    buffer_callback: Option<Box<BufferCallback<'h>>>,
    /// The memo and other vectors of the last dump, empty, for the next to reuse.
    scratch: Scratch,
}

impl<'h> Encoder<'h> {
    /// A pickler with these options and no hooks.
    pub fn new(options: Options) -> Encoder<'h> {
        Encoder {
            options,
            persistent_id: None,
            buffer_callback: None,
            scratch: Scratch::default(),
        }
    }

    /// Python's `persistent_id`: called with every value about to be saved; returning
    /// `Some(pid)` writes the persistent id (a value of the same graph) instead.
    pub fn persistent_id(
        mut self,
        hook: impl FnMut(&Graph, &Value) -> Option<Value> + 'h,
    ) -> Encoder<'h> {
        self.persistent_id = Some(Box::new(hook));
        self
    }

    /// The options, to change between dumps.
    pub fn options_mut(&mut self) -> &mut Options {
        &mut self.options
    }

    /// Python's `buffer_callback`: called with each buffer at protocol 5; returning `false`
    /// writes it out-of-band (NEXT_BUFFER), `true` in-band.
    pub fn buffer_callback(mut self, hook: impl FnMut(&PickleBuffer) -> bool + 'h) -> Encoder<'h> {
        self.buffer_callback = Some(Box::new(hook));
        self
    }

    /// Writes `graph` to `writer` and returns the writer.
    ///
    /// # Errors
    ///
    /// As [`to_writer`].
    pub fn to_writer<W: Write>(&mut self, graph: &Graph, writer: W) -> Result<W, EncodeError> {
        self.dump(graph, writer)
    }

    /// Writes `graph` as a pickle into a new vector.
    ///
    /// # Errors
    ///
    /// As [`to_vec`].
    pub fn to_vec(&mut self, graph: &Graph) -> Result<Vec<u8>, EncodeError> {
        // The frames are written in place, the vector being the pickle.
        self.dump(graph, Memory::new())
    }

    fn dump<W: Target>(&mut self, graph: &Graph, writer: W) -> Result<W::Done, EncodeError> {
        let flavour = self.options.flavour.or(graph.flavour()).unwrap_or_default();
        let scratch = std::mem::take(&mut self.scratch);
        let emitter = Emitter::with_flavour(writer, &self.options, flavour)?;
        let machine = Machine::new(
            graph,
            emitter,
            self.persistent_id.as_deref_mut().map(shorten_pid),
            self.buffer_callback.as_deref_mut().map(shorten_buffer),
            scratch,
        );
        machine.dump(graph.root_value(), &mut self.scratch)
    }
}

fn shorten_pid<'a>(hook: &'a mut PersistentId<'_>) -> &'a mut PersistentId<'a> {
    hook
}

fn shorten_buffer<'a>(hook: &'a mut BufferCallback<'_>) -> &'a mut BufferCallback<'a> {
    hook
}

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
