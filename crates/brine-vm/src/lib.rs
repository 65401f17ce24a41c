//! The pickle machine: decodes a pickle into a [`brine_value::Graph`], executing nothing.
//!
//! Every opcode of protocols 0 to 5 runs with the semantics of CPython 3.11's C unpickler,
//! with one difference that is the point of this crate: nothing is imported and nothing is
//! called. A global becomes a name, REDUCE and NEWOBJ become records of the call a Python
//! unpickler would make, BUILD a record of the state it would set. Loading is therefore safe
//! for any input; deciding what the objects mean is left to the caller (or to the opt-in
//! interpretation in `brine-interpret`).
//!
//! What CPython offers is here in Rust form: `fix_imports`, `encoding` and `errors` for
//! Python 2 pickles, a persistent_load hook, the extension registry, out-of-band buffers, and
//! a find_class policy ([`FindClass`]). Untrusted input meets [`Limits`] with a clear error
//! instead of exhausting memory: a length prefix larger than the input is an error before
//! anything is allocated, and references made by DUP and GET share nodes instead of copying
//! them, so no input grows the graph faster than it is read.
//!
//! The graph also keeps how the pickle was written where the objects alone do not say: which
//! nodes it never memoized ([`brine_value::Graph::memoized`]), and the CPython whose idioms
//! it showed ([`brine_value::Graph::flavour`]): a memo numbered from 1 or an INT beyond 32
//! bits is 2.7's cPickle; a LONG within 32 bits, a FRAME under 4 bytes, a payload of 64 KiB
//! or more inside a frame, or a protocol 0 UNICODE line with a raw NUL, CR or Ctrl-Z (and no
//! escape) is 3.6 or older. The encoder writes as that CPython when told no other.
//!
//! # Example
//!
//! ```
//! // pickle.dumps({"a": [1, 2]}, protocol=2)
//! let pickle = b"\x80\x02}q\x00X\x01\x00\x00\x00aq\x01]q\x02(K\x01K\x02es.";
//! let graph = brine_vm::from_slice(pickle, &Default::default())?;
//! let list = graph.root().get("a").unwrap();
//! assert_eq!(list.as_list().map(|items| items.len()), Some(2));
//! assert_eq!(format!("{graph:?}"), "{'a': [1, 2]}");
//! # Ok::<(), brine_vm::Error>(())
//! ```
#![forbid(unsafe_code)]

mod discard;
mod error;
mod fast;
mod idioms;
mod machine;
mod memo;
mod options;
mod read;

use std::io::BufRead;

use brine_value::{Graph, NodeId, Value};
use bytes::Bytes;

pub use error::{Error, ErrorKind};
pub use machine::AfterBuild;
pub use machine::Origin;
pub use machine::PersistentLoad;
pub use options::{AllowList, FindClass, GlobalFilter, Limits, Options};

use machine::{Machine, Scratch};

/// Loads the pickle at the start of `data`, as `pickle.loads` does; bytes after its STOP are
/// ignored unless [`Options::reject_trailing`] is set.
///
/// Payloads (str, bytes) are copied out of `data`; [`from_bytes`] shares them instead.
///
/// # Errors
///
/// Whatever makes the pickle malformed, with the opcode and its byte offset.
///
/// # Example
///
/// ```
/// let graph = brine_vm::from_slice(b"K\x07.", &Default::default())?;
/// assert_eq!(graph.root().as_i64(), Some(7));
/// # Ok::<(), brine_vm::Error>(())
/// ```
pub fn from_slice(data: &[u8], options: &Options) -> Result<Graph, Error> {
    Decoder::new(options.clone()).from_slice(data)
}

/// Loads the pickle at the start of `data`, sharing its str and bytes payloads with `data`
/// instead of copying them: a 100 MB bytes object costs no copy.
///
/// # Errors
///
/// As [`from_slice`].
pub fn from_bytes(data: Bytes, options: &Options) -> Result<Graph, Error> {
    Decoder::new(options.clone()).from_bytes(&data)
}

/// Loads one pickle from `reader`, reading up to its STOP opcode and not a byte further, so
/// that successive pickles in one stream load one by one.
///
/// # Errors
///
/// As [`from_slice`], and [`ErrorKind::Io`] when reading fails.
///
/// # Example
///
/// ```
/// let mut stream: &[u8] = b"K\x01.K\x02.";
/// let first = brine_vm::from_reader(&mut stream, &Default::default())?;
/// let second = brine_vm::from_reader(&mut stream, &Default::default())?;
/// assert_eq!((first.root().as_i64(), second.root().as_i64()), (Some(1), Some(2)));
/// # Ok::<(), brine_vm::Error>(())
/// ```
pub fn from_reader<R: BufRead>(reader: R, options: &Options) -> Result<Graph, Error> {
    Decoder::new(options.clone()).from_reader(reader)
}

/// An unpickler with hooks: out-of-band buffers and a persistent_load function, beside the
/// [`Options`].
///
/// A decoder is meant to be reused, as a Python program reuses its `Unpickler`: between
/// loads it keeps the room of its stack, memo and other working vectors (emptied, and at
/// most 65,536 entries of each), so that loading many small pickles does not allocate them
/// every time. Nothing else carries over: each load starts with an empty memo and stack, and
/// gives exactly what a new decoder gives, also after a load that failed.
/// [`from_slice`], [`from_bytes`] and [`from_reader`] are a new decoder's one load.
///
/// ```
/// let mut decoder = brine_vm::Decoder::new(Default::default());
/// // pickle.dumps([i, i]) for i in 1, 2, 3, at protocol 2: the memo starts afresh each time.
/// for (pickle, expect) in [
///     (&b"\x80\x02]q\x00(K\x01K\x01e."[..], "[1, 1]"),
///     (b"\x80\x02]q\x00(K\x02K\x02e.", "[2, 2]"),
///     (b"\x80\x02]q\x00(K\x03", "error"),
///     (b"\x80\x02]q\x00(K\x03K\x03e.", "[3, 3]"),
/// ] {
///     match decoder.from_slice(pickle) {
///         Ok(graph) => assert_eq!(format!("{graph:?}"), expect),
///         Err(err) => assert!(expect == "error" && err.is_eof()),
///     }
/// }
/// ```
///
/// # Example
///
/// ```
/// use brine_value::{Node, Value};
///
/// // pickle.dumps(PickleBuffer(b"abc"), protocol=5, buffer_callback=...) writes NEXT_BUFFER.
/// let pickle = b"\x80\x05\x97\x98.";
/// let buffers = [bytes::Bytes::from_static(b"abc")];
/// let graph = brine_vm::Decoder::new(Default::default()).buffers(&buffers).from_slice(pickle)?;
/// match graph.root().node() {
///     Some(Node::Buffer(buffer)) => assert!(buffer.readonly && buffer.data.as_deref() == Some(&b"abc"[..])),
///     other => panic!("{other:?}"),
/// }
/// # Ok::<(), brine_vm::Error>(())
/// ```
pub struct Decoder<'h> {
    options: Options,
    buffers: Option<&'h [Bytes]>,
    persistent_load: Option<Box<PersistentLoad<'h>>>,
    after_build: Option<Box<AfterBuild<'h>>>,
    /// The stack, memo and other vectors of the last load, empty, for the next to reuse.
    scratch: Scratch,
}

impl<'h> Decoder<'h> {
    /// An unpickler with these options and no hooks.
    pub fn new(options: Options) -> Decoder<'h> {
        Decoder {
            options,
            buffers: None,
            persistent_load: None,
            after_build: None,
            scratch: Scratch::default(),
        }
    }

    /// The options, to change between loads (a facade that sets Python's parameters one by
    /// one keeps one decoder and its hooks).
    pub fn options_mut(&mut self) -> &mut Options {
        &mut self.options
    }

    /// The out-of-band buffers NEXT_BUFFER takes, in order (Python's `buffers`). They are
    /// shared into the graph, never copied.
    pub fn buffers(mut self, buffers: &'h [Bytes]) -> Decoder<'h> {
        self.buffers = Some(buffers);
        self
    }

    /// The function PERSID and BINPERSID call with the persistent id (Python's
    /// `persistent_load`). Without one, the id is kept as a [`brine_value::Node::PersistentId`].
    pub fn persistent_load(
        mut self,
        hook: impl FnMut(&mut Graph, Value) -> Result<Value, String> + 'h,
    ) -> Decoder<'h> {
        self.persistent_load = Some(Box::new(hook));
        self
    }

    /// A function BUILD calls after setting an object's state, with the graph, the object and
    /// the input after BUILD, that returns how many raw bytes of that input belong to the
    /// object (joblib writes each numpy array's data right after its `NumpyArrayWrapper`).
    /// The machine checks that they are there, keeps them on the object as a
    /// [`brine_value::Change::Raw`] (shared with the input by [`Decoder::from_bytes`]) and
    /// goes on after them. An error from the hook is [`ErrorKind::AfterBuild`].
    ///
    /// Raw bytes exist only in a slice: [`Decoder::from_reader`] with this hook is an error.
    ///
    /// # Example
    ///
    /// ```
    /// use brine_value::Change;
    ///
    /// // An object, its BUILD, then three raw bytes that are no opcodes, then the rest.
    /// let pickle = b"\x80\x02cm\nC\n)\x81}b\xff\xfe\xfd.";
    /// let graph = brine_vm::Decoder::new(Default::default())
    ///     .after_build(|_, _, rest| Ok(if rest.starts_with(b"\xff") { 3 } else { 0 }))
    ///     .from_slice(pickle)?;
    /// let changes = graph.root().changes();
    /// assert!(matches!(&changes[1], Change::Raw(raw) if raw[..] == b"\xff\xfe\xfd"[..]));
    /// # Ok::<(), brine_vm::Error>(())
    /// ```
    pub fn after_build(
        mut self,
        hook: impl FnMut(&Graph, NodeId, &[u8]) -> Result<u64, String> + 'h,
    ) -> Decoder<'h> {
        self.after_build = Some(Box::new(hook));
        self
    }

    /// Loads the pickle at the start of `data`. See [`from_slice`].
    ///
    /// # Errors
    ///
    /// As [`from_slice`].
    pub fn from_slice(&mut self, data: &[u8]) -> Result<Graph, Error> {
        self.run_slice(data, None)
    }

    /// Loads the pickle at the start of `data`, sharing payloads. See [`from_bytes`].
    ///
    /// # Errors
    ///
    /// As [`from_slice`].
    pub fn from_bytes(&mut self, data: &Bytes) -> Result<Graph, Error> {
        self.run_slice(data, Some(data))
    }

    /// Loads one pickle from `reader`. See [`from_reader`].
    ///
    /// # Errors
    ///
    /// As [`from_reader`].
    pub fn from_reader<R: BufRead>(&mut self, reader: R) -> Result<Graph, Error> {
        if self.after_build.is_some() {
            return Err(Error::new(
                ErrorKind::AfterBuild(
                    "raw bytes after BUILD cannot be taken from a reader; load from a slice".into(),
                ),
                0,
                None,
            ));
        }
        let scratch = std::mem::take(&mut self.scratch);
        let persistent_load = self.persistent_load.as_deref_mut().map(shorten);
        let mut machine = Machine::new(
            &self.options,
            None,
            None,
            self.buffers,
            persistent_load,
            scratch,
        );
        let res = machine.run_reader(reader).map(|root| machine.finish(root));
        self.scratch = machine.into_scratch();
        res
    }

    /// Runs the pickle at the start of `data` as far as it goes, and returns what the
    /// machine built up to its STOP or up to the first error, with where each global, call
    /// and BUILD was made.
    ///
    /// A Python unpickler has run every call before the opcode that fails, so a scanner
    /// must see them: after an error, whatever the stack and the memo hold is kept in the
    /// graph's effects ([`Graph::effects`]), and the root is `None`.
    ///
    /// # Example
    ///
    /// ```
    /// use brine_value::Node;
    ///
    /// // GLOBAL os system, a call, then a byte that is no opcode.
    /// let pickle = b"cos\nsystem\n(S'echo pwned'\ntR\xff";
    /// let partial = brine_vm::Decoder::new(Default::default()).partial_from_slice(pickle);
    /// assert!(partial.error.is_some());
    /// let effect = partial.graph.effects()[0];
    /// assert!(matches!(partial.graph.get(&effect).node(), Some(Node::Reduce { .. })));
    /// assert_eq!(partial.origins.len(), 2);
    /// ```
    pub fn partial_from_slice(&mut self, data: &[u8]) -> Partial {
        self.partial(data, None)
    }

    /// [`Decoder::partial_from_slice`], sharing payloads with `data` as
    /// [`Decoder::from_bytes`] does.
    pub fn partial_from_bytes(&mut self, data: &Bytes) -> Partial {
        self.partial(data, Some(data))
    }

    fn partial(&mut self, data: &[u8], shared: Option<&Bytes>) -> Partial {
        let mut machine = self.slice_machine(data, shared);
        machine.origins = Some(Vec::new());
        let partial = match machine.run_slice(data, 0) {
            Ok((root, end)) => {
                let origins = machine.origins.take().unwrap_or_default();
                let open_marks = machine.open_marks();
                Partial {
                    graph: machine.finish(root),
                    end,
                    error: None,
                    origins,
                    open_marks,
                }
            }
            Err(err) => {
                let origins = machine.origins.take().unwrap_or_default();
                machine.keep_memo();
                let end =
                    usize::try_from(err.offset()).map_or(data.len(), |end| end.min(data.len()));
                let open_marks = machine.open_marks();
                Partial {
                    graph: machine.finish(Value::None),
                    end,
                    error: Some(err),
                    origins,
                    open_marks,
                }
            }
        };
        self.scratch = machine.into_scratch();
        partial
    }

    /// A machine over the slice `data`, with this unpickler's options, hooks and scratch
    /// (which [`Machine::into_scratch`] gives back).
    fn slice_machine<'a>(&'a mut self, data: &[u8], shared: Option<&'a Bytes>) -> Machine<'a> {
        let scratch = std::mem::take(&mut self.scratch);
        let persistent_load = self.persistent_load.as_deref_mut().map(shorten);
        let input_len = Some(data.len() as u64);
        let mut machine = Machine::new(
            &self.options,
            input_len,
            shared,
            self.buffers,
            persistent_load,
            scratch,
        );
        machine.after_build = self.after_build.as_deref_mut().map(shorten_after_build);
        machine
    }

    fn run_slice(&mut self, data: &[u8], shared: Option<&Bytes>) -> Result<Graph, Error> {
        let reject_trailing = self.options.reject_trailing;
        let mut machine = self.slice_machine(data, shared);
        let res = machine.run_slice(data, 0).and_then(|(root, end)| {
            if reject_trailing && end < data.len() {
                let trailing = (data.len() - end) as u64;
                return Err(machine.error(ErrorKind::TrailingData(trailing)));
            }
            Ok(machine.finish(root))
        });
        self.scratch = machine.into_scratch();
        res
    }
}

/// What [`Decoder::partial_from_slice`] built: the graph up to STOP or up to the first error.
#[derive(Debug)]
#[non_exhaustive]
pub struct Partial {
    /// The graph: the pickle's result at STOP, or, after an error, a `None` root with
    /// everything the stack and the memo held kept as effects.
    pub graph: Graph,
    /// The offset right after STOP, or the offset of the opcode at fault.
    pub end: usize,
    /// The error that stopped the machine, if one did.
    pub error: Option<Error>,
    /// Where each global, call and BUILD was made, in stream order.
    pub origins: Vec<Origin>,
    /// How many MARKs were still open at STOP. CPython's unpickler ignores them, and its
    /// pickler never leaves one: a reader that models the stack loosely may misread what
    /// they hide.
    pub open_marks: usize,
}

/// Lets the machine borrow the hook for less than the unpickler's lifetime.
fn shorten<'a>(hook: &'a mut PersistentLoad<'_>) -> &'a mut PersistentLoad<'a> {
    hook
}

/// Lets the machine borrow the hook for less than the unpickler's lifetime.
fn shorten_after_build<'a>(hook: &'a mut AfterBuild<'_>) -> &'a mut AfterBuild<'a> {
    hook
}

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
