//! The stack machine: the semantics of each opcode, as CPython 3.11's C unpickler gives them,
//! except that nothing is imported or called: objects are built as graph nodes.

use std::borrow::Cow;

use brine_lex::{Arg, Op, Opcode};
use brine_value::{
    Change, Flavour, GlobalLine, Graph, Node, NodeId, PickleBuffer, Py2Int, Py2Text, Py2Value,
    PyStr, StringEncoding, Value, compat,
};
use bytes::Bytes;
use hashbrown::HashMap;
use num_bigint::BigInt;

use crate::discard::{Discarded, REFERS_BACK_BUDGET, Site, prune, refers_back};
use crate::error::{Error, ErrorKind};
use crate::idioms::{LineIdiom, PendingLine, is_latin1_bytearray};
use crate::memo::Memo;
use crate::options::{FindClass, Options};

/// A persistent_load hook: given the graph and the persistent id, the value to use instead.
pub type PersistentLoad<'h> = dyn FnMut(&mut Graph, Value) -> Result<Value, String> + 'h;

/// An after_build hook: given the graph, the object BUILD just set the state of, and the input
/// after BUILD, how many raw bytes that follow belong to the object.
pub type AfterBuild<'h> = dyn FnMut(&Graph, NodeId, &[u8]) -> Result<u64, String> + 'h;

/// What a step did: go on, or the pickle's result at STOP.
pub(crate) enum Step {
    Continue,
    Stop(Value),
}

pub(crate) struct Machine<'h> {
    options: &'h Options,
    pub(crate) graph: Graph,
    stack: Vec<Value>,
    /// Stack heights at each MARK; the top one is the fence pops may not cross.
    marks: Vec<usize>,
    pub(crate) memo: Memo,
    proto: u8,
    ext_cache: HashMap<i64, Value>,
    buffers: Option<&'h [Bytes]>,
    next_buffer: usize,
    persistent_load: Option<&'h mut PersistentLoad<'h>>,
    /// Set by the unpickler after `new`, for slices only.
    pub(crate) after_build: Option<&'h mut AfterBuild<'h>>,
    /// The input when it is shared, or the buffer of the opcode [`Machine::step_shared`] runs:
    /// payloads become slices of it instead of copies.
    shared: Option<Bytes>,
    payload_bytes: u64,
    /// Where the current FRAME ends, if one is open.
    frame_end: Option<u64>,
    /// The offset from which an opcode's start needs [`Machine::settle`]'s bookkeeping: never
    /// past `frame_end`, and 0 while `pending_line` is set. Lower is always safe (the
    /// bookkeeping then finds nothing to do and moves it on), so that the fast loop tests one
    /// offset per opcode instead of the line and the frame.
    settle_at: u64,
    /// The offset from which `settle` next sizes the arena and the memo from what the pickle
    /// so far predicts ([`Machine::plan_room`]).
    room_at: u64,
    /// The input's length, when known: a FRAME must not claim more.
    input_len: Option<u64>,
    // The opcode being executed, for errors.
    pub(crate) offset: u64,
    pub(crate) code: Opcode,
    /// The values POP and POP_MARK discarded, in stream order, with where each was kept.
    discarded: Vec<Discarded>,
    /// How many more nodes [`refers_back`] may visit.
    refers_back_budget: usize,
    /// Where each global, call and BUILD was made, when the caller asked
    /// ([`crate::Decoder::partial_from_slice`]): the graph itself keeps no offsets.
    pub(crate) origins: Option<Vec<Origin>>,
    /// The stack slots a memo GET filled with a node, by increasing slot: a dict, list or
    /// set mutated there was reached again after other opcodes ran.
    refetched: Vec<Refetched>,
    /// The anchor and the GET of the last [`Change::Fill`] recorded, which the next fill
    /// through the same GET continues.
    last_fill: Option<(NodeId, u64)>,
    /// The global the last GLOBAL made, until a memo PUT stores it or it is known never to
    /// be ([`GlobalLine`]).
    pending_global: Option<NodeId>,
    /// The key of the first memo PUT: 2.7's cPickle numbers from 1.
    first_memo_key: Option<u64>,
    /// Nodes whose memoization says nothing of the producer: shared by DUP (referenced
    /// twice without the memo), or made by an opcode without being pushed (a GLOBAL's
    /// names, a PERSID's id).
    unrecorded: Vec<NodeId>,
    /// The idioms seen that only some CPython wrote.
    idioms: Idioms,
    /// The last FLOAT or UNICODE line, whose length the next opcode's offset shows.
    pending_line: Option<PendingLine>,
    /// One bit per node, set for the nodes [`Machine::record_memoization`] finds memoized.
    memoized: Vec<u64>,
}

/// The vectors a machine fills and empties within one pickle, which a
/// [`crate::Decoder`] keeps between loads so that their room is allocated once, as
/// CPython's `Unpickler` keeps its memo and stack: on a small pickle, allocating and freeing
/// them was a tenth of the decode.
///
/// Between loads every vector is empty; only capacity carries over, and at most
/// [`RETAIN`] entries of each, so that one large pickle does not pin its memory.
#[derive(Default)]
pub(crate) struct Scratch {
    stack: Vec<Value>,
    marks: Vec<usize>,
    memo: Memo,
    discarded: Vec<Discarded>,
    refetched: Vec<Refetched>,
    unrecorded: Vec<NodeId>,
    memoized: Vec<u64>,
}

/// The most entries of each [`Scratch`] vector kept between loads (1 MiB of memo).
const RETAIN: usize = 1 << 16;

/// `vec`, emptied, or a new vector when it holds room for more than [`RETAIN`] entries.
fn emptied<T>(mut vec: Vec<T>) -> Vec<T> {
    if vec.capacity() > RETAIN {
        return Vec::new();
    }
    vec.clear();
    vec
}

/// What a pickle wrote as only some CPython's pickler writes it (see [`Flavour`]).
#[derive(Debug, Default, Clone, Copy)]
struct Idioms {
    /// INT text for an int beyond 32 bits, a Python 2 `int` of 64 bits (3.x writes LONG), or
    /// LONG1 / LONG4 for one within them, a Python 2 `long` (3.x writes BININT).
    py2_ints: bool,
    /// FLOAT text that is not `repr()`: 2.7's `%.17g` (see `idioms.rs`).
    py27_float: bool,
    /// 3.7 and older: `bytearray(text, 'latin-1')` below protocol 3.
    up_to_py37: bool,
    /// 3.6 and older: LONG text for an int within 32 bits (every protocol 0 int in 3.6, a
    /// `long` in 2.7), a FRAME of fewer than 4 bytes, a payload of 64 KiB or more inside a
    /// frame, a protocol 0 UNICODE holding a raw NUL, carriage return or Ctrl-Z (see
    /// `idioms.rs`).
    up_to_py36: bool,
}

/// Where the pickle named a global, made a call or set an object's state: the node and the
/// opcode that did it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin {
    /// The node made (a global, a call, an instance), or whose state BUILD set.
    pub node: NodeId,
    /// The byte offset of the opcode, from the start of the pickle.
    pub offset: u64,
    /// The opcode: GLOBAL, STACK_GLOBAL, EXT1/2/4, REDUCE, NEWOBJ, NEWOBJ_EX, INST, OBJ or
    /// BUILD.
    pub opcode: Opcode,
}

/// A stack slot a memo GET filled.
#[derive(Clone, Copy)]
struct Refetched {
    slot: usize,
    id: NodeId,
    /// The offset of the GET.
    at: u64,
}

/// How far down the stack a discarded value looks for the object it was made with.
const ANCHOR_SEARCH: usize = 64;

/// The most nodes and memo entries reserved from the input's length (57 KiB of arena).
const SMALL_RESERVE: u64 = 1024;
/// How many bytes of input pass between two sizings of the arena and the memo.
const ROOM_STRIDE: u64 = 1 << 16;
/// The fewest entries from which a density predicts anything.
const PREDICT_MIN: usize = 1 << 10;
/// The most stack slots reserved.
const STACK_RESERVE: usize = 64;

impl<'h> Machine<'h> {
    pub(crate) fn new(
        options: &'h Options,
        input_len: Option<u64>,
        shared: Option<&'h Bytes>,
        buffers: Option<&'h [Bytes]>,
        persistent_load: Option<&'h mut PersistentLoad<'h>>,
        scratch: Scratch,
    ) -> Machine<'h> {
        // A small pickle's arena, memo and stack sized up front from its length (about one
        // node per 16 bytes), so that they are allocated once rather than grown through
        // 4, 8, 16, ... entries: that growth was a fifth of decoding a 536-byte pickle. Capped
        // well below the allocator's mmap threshold; a large pickle grows them as it goes.
        let small = input_len.map_or(0, |len| (len / 16).min(SMALL_RESERVE) as usize);
        // A reused scratch (empty, see `Machine::into_scratch`) has this room already.
        let Scratch {
            mut stack,
            marks,
            mut memo,
            discarded,
            refetched,
            unrecorded,
            memoized,
        } = scratch;
        stack.reserve(small.min(STACK_RESERVE));
        memo.reserve(small);
        let mut graph = Graph::with_capacity(small);
        graph.set_py2_text(Py2Text {
            encoding: options.encoding,
            errors: options.errors,
        });
        Machine {
            options,
            graph,
            stack,
            marks,
            memo,
            proto: 0,
            ext_cache: HashMap::new(),
            buffers,
            next_buffer: 0,
            persistent_load,
            after_build: None,
            shared: shared.cloned(),
            payload_bytes: 0,
            frame_end: None,
            settle_at: 0,
            room_at: ROOM_STRIDE,
            input_len,
            offset: 0,
            code: Opcode::STOP,
            discarded,
            refers_back_budget: REFERS_BACK_BUDGET,
            origins: None,
            refetched,
            last_fill: None,
            pending_global: None,
            first_memo_key: None,
            unrecorded,
            idioms: Idioms::default(),
            pending_line: None,
            memoized,
        }
    }

    /// The machine's vectors, emptied, for the next machine to reuse (whether this one
    /// reached STOP, failed, or never ran).
    pub(crate) fn into_scratch(self) -> Scratch {
        Scratch {
            stack: emptied(self.stack),
            marks: emptied(self.marks),
            memo: self.memo.emptied(RETAIN),
            discarded: emptied(self.discarded),
            refetched: emptied(self.refetched),
            unrecorded: emptied(self.unrecorded),
            memoized: emptied(self.memoized),
        }
    }

    /// How many MARKs are open.
    pub(crate) fn open_marks(&self) -> usize {
        self.marks.len()
    }

    /// Records that the current opcode made (or, for BUILD, changed) the node `value`.
    fn note_site(&mut self, value: Value) {
        if let (Some(origins), Some(node)) = (self.origins.as_mut(), value.node()) {
            origins.push(Origin {
                node,
                offset: self.offset,
                opcode: self.code,
            });
        }
    }

    /// Records the node on top of the stack as made by the current opcode.
    fn note_top(&mut self) {
        if self.origins.is_some() {
            if let Some(&top) = self.stack.last() {
                self.note_site(top);
            }
        }
    }

    /// After an error: what the memo holds is kept as effects too, for [`Machine::finish`]
    /// to keep beside the stack, so that whatever the pickle built before the fault (a call
    /// CPython would already have made) stays in the graph.
    pub(crate) fn keep_memo(&mut self) {
        let mut seen = hashbrown::HashSet::new();
        for value in &self.stack {
            if let Some(id) = value.node() {
                seen.insert(id);
            }
        }
        let kept: Vec<Value> = self
            .memo
            .values()
            .filter(|value| value.node().is_some_and(|id| seen.insert(id)))
            .collect();
        for value in kept {
            self.graph.push_effect(value);
            self.discarded.push(Discarded {
                value,
                site: Site::Graph,
                end: u64::MAX,
            });
        }
    }

    pub(crate) fn error(&self, kind: ErrorKind) -> Error {
        Error::new(kind, self.offset, Some(self.code))
    }

    /// Executes one opcode that starts at `offset`.
    pub(crate) fn step(&mut self, offset: u64, op: Op<'_>) -> Result<Step, Error> {
        self.offset = offset;
        self.code = op.code;
        self.settle_line();
        self.check_frame()?;
        match op.code {
            Opcode::MARK => self.mark()?,
            Opcode::STOP => {
                // CPython reads a whole frame before running it, so a frame that claims bytes
                // past STOP is a truncated pickle, whether read from a slice or a stream.
                if self
                    .frame_end
                    .is_some_and(|frame_end| frame_end > offset + 1)
                {
                    return Err(self.error(ErrorKind::FrameMismatch(
                        "the pickle stops before the end of its frame",
                    )));
                }
                let value = self.pop()?;
                return Ok(Step::Stop(value));
            }
            Opcode::POP => {
                if self.stack.len() > self.fence() {
                    if let Some(value) = self.stack.pop() {
                        self.discard(value);
                    }
                } else if self.marks.last() == Some(&self.stack.len()) {
                    // POP of a MARK removes the mark, as in CPython.
                    self.marks.pop();
                } else {
                    return Err(self.error(ErrorKind::StackUnderflow));
                }
            }
            Opcode::POP_MARK => {
                for value in self.pop_mark()? {
                    self.discard(value);
                }
            }
            Opcode::DUP => {
                let top = *self.top()?;
                if let Some(id) = top.node() {
                    self.unrecorded.push(id);
                }
                self.push(top)?;
            }
            Opcode::PROTO => {
                let proto = self.int_arg(&op.arg);
                if !(0..=5).contains(&proto) {
                    return Err(self.error(ErrorKind::UnsupportedProtocol(proto as u64)));
                }
                self.proto = proto as u8;
            }
            Opcode::FRAME => {
                // check_frame has closed a frame that ended before this opcode.
                if self.frame_end.is_some() {
                    return Err(self.error(ErrorKind::FrameMismatch(
                        "a new frame begins before the current one ends",
                    )));
                }
                let Arg::Size(len) = op.arg else {
                    return Err(self.bad_arg());
                };
                // The frame's bytes follow the nine bytes of the FRAME opcode.
                let frame_end = offset.saturating_add(9).saturating_add(len);
                if let Some(input_len) = self.input_len.filter(|&input_len| frame_end > input_len) {
                    let available = input_len.saturating_sub(offset + 1);
                    let needed = len.saturating_add(8);
                    let kind = brine_lex::LexErrorKind::Truncated { needed, available };
                    return Err(self.error(ErrorKind::Lex(kind)));
                }
                // CPython 3.7 writes a frame under 4 bytes without FRAME; 3.6 does not.
                if len < 4 {
                    self.idioms.up_to_py36 = true;
                }
                self.frame_end = Some(frame_end);
                self.settle_at = self.settle_at.min(frame_end);
            }

            // Scalars.
            Opcode::NONE => self.push(Value::None)?,
            Opcode::NEWTRUE => self.push(Value::Bool(true))?,
            Opcode::NEWFALSE => self.push(Value::Bool(false))?,
            Opcode::INT
            | Opcode::BININT
            | Opcode::BININT1
            | Opcode::BININT2
            | Opcode::LONG
            | Opcode::LONG1
            | Opcode::LONG4 => {
                if let Arg::Int(value) = op.arg {
                    self.note_int(op.code, value);
                }
                let value = match op.arg {
                    Arg::Int(value) => self.int(op.code, value),
                    Arg::Bool(value) => Value::Bool(value),
                    Arg::BigDecimal(text) => self.graph.add_int(parse_big_decimal(text)),
                    Arg::BigLong(data) => self.graph.add_int(BigInt::from_signed_bytes_le(data)),
                    _ => return Err(self.bad_arg()),
                };
                self.push(value)?;
            }
            Opcode::FLOAT | Opcode::BINFLOAT => {
                let Arg::Float(value) = op.arg else {
                    return Err(self.bad_arg());
                };
                if op.code == Opcode::FLOAT {
                    self.pending_line = Some(PendingLine::float(offset, value));
                    self.settle_at = 0;
                }
                self.push(Value::Float(value))?;
            }

            // Strings.
            Opcode::UNICODE
            | Opcode::SHORT_BINUNICODE
            | Opcode::BINUNICODE
            | Opcode::BINUNICODE8 => {
                let Arg::Unicode(text) = op.arg else {
                    return Err(self.bad_arg());
                };
                if op.code == Opcode::UNICODE {
                    self.pending_line = PendingLine::unicode(offset, &text);
                    self.settle_at = 0;
                }
                let data = self.payload(text)?;
                let node = self.add(Node::Str(PyStr::from_surrogatepass_unchecked(data)))?;
                self.push(node)?;
            }
            Opcode::BINBYTES | Opcode::SHORT_BINBYTES | Opcode::BINBYTES8 => {
                let Arg::Bytes(data) = op.arg else {
                    return Err(self.bad_arg());
                };
                let data = self.payload(Cow::Borrowed(data))?;
                let node = self.add(Node::Bytes(data))?;
                self.push(node)?;
            }
            Opcode::BYTEARRAY8 => {
                let Arg::Bytes(data) = op.arg else {
                    return Err(self.bad_arg());
                };
                let data = self.payload(Cow::Borrowed(data))?;
                let node = self.add(Node::ByteArray(data))?;
                self.push(node)?;
            }
            Opcode::STRING | Opcode::BINSTRING | Opcode::SHORT_BINSTRING => {
                let data = match op.arg {
                    Arg::String(data) => data,
                    Arg::Bytes(data) => Cow::Borrowed(data),
                    _ => return Err(self.bad_arg()),
                };
                let node = self.py2_string(data)?;
                let node = self.add(node)?;
                self.push(node)?;
            }

            // Containers.
            Opcode::EMPTY_LIST => self.push_node(Node::List(Vec::new()))?,
            Opcode::EMPTY_DICT => self.push_node(Node::Dict(Vec::new()))?,
            Opcode::EMPTY_SET => self.push_node(Node::Set(Vec::new()))?,
            Opcode::EMPTY_TUPLE => self.push_node(Node::Tuple(Vec::new()))?,
            Opcode::TUPLE1 | Opcode::TUPLE2 | Opcode::TUPLE3 => self.small_tuple(op.code)?,
            Opcode::TUPLE => self.tuple()?,
            Opcode::LIST => {
                let items = self.pop_mark()?;
                self.push_node(Node::List(items))?;
            }
            Opcode::DICT => {
                let pairs = self.pop_mark_pairs()?;
                self.push_node(Node::Dict(pairs))?;
            }
            Opcode::FROZENSET => {
                let items = self.pop_mark()?;
                self.push_node(Node::FrozenSet(items))?;
            }
            Opcode::APPEND => self.append_one()?,
            Opcode::APPENDS => self.appends()?,
            Opcode::SETITEM => self.set_item()?,
            Opcode::SETITEMS => self.set_items_marked()?,
            Opcode::ADDITEMS => {
                let items = self.pop_mark()?;
                self.add_items(items)?;
            }

            // The memo.
            Opcode::PUT | Opcode::BINPUT | Opcode::LONG_BINPUT => {
                let key = self.memo_key(&op.arg)?;
                self.memo_put(key)?;
            }
            Opcode::MEMOIZE => {
                let key = self.memo.len() as u64;
                self.memo_put(key)?;
            }
            Opcode::GET | Opcode::BINGET | Opcode::LONG_BINGET => {
                let key = self.memo_key(&op.arg)?;
                let Some(value) = self.memo.get(key) else {
                    return Err(self.error(ErrorKind::MemoKeyMissing(key)));
                };
                self.got(value);
                self.push(value)?;
                self.refetch(value);
            }

            // Globals and objects.
            Opcode::GLOBAL => {
                let Arg::Pair(module, name) = op.arg else {
                    return Err(self.bad_arg());
                };
                let (Ok(module), Ok(name)) =
                    (std::str::from_utf8(module), std::str::from_utf8(name))
                else {
                    return Err(self.error(ErrorKind::BadGlobalName));
                };
                let global = self.global(module, name)?;
                self.push(global)?;
                self.note_site(global);
                self.global_line(global);
            }
            Opcode::STACK_GLOBAL => self.stack_global_op()?,
            Opcode::EXT1 | Opcode::EXT2 | Opcode::EXT4 => {
                let code = self.int_arg(&op.arg);
                let global = self.extension(code)?;
                self.push(global)?;
                self.note_site(global);
            }
            Opcode::REDUCE => self.reduce()?,
            Opcode::NEWOBJ => self.new_obj()?,
            Opcode::NEWOBJ_EX => {
                let kwargs = self.pop()?;
                let args = self.pop()?;
                self.expect_tuple(&args)?;
                if !self.may_be(&kwargs, |node| matches!(node, Node::Dict(_))) {
                    return Err(self.error(ErrorKind::ExpectedDict));
                }
                let cls = self.pop()?;
                self.push_node(Node::NewObj {
                    cls,
                    args,
                    kwargs: Some(kwargs),
                })?;
                self.note_top();
            }
            Opcode::BUILD => self.build()?,
            Opcode::INST => {
                let Arg::Pair(module, name) = op.arg else {
                    return Err(self.bad_arg());
                };
                let (Ok(module), Ok(name)) =
                    (std::str::from_utf8(module), std::str::from_utf8(name))
                else {
                    return Err(self.error(ErrorKind::BadGlobalName));
                };
                let args = self.pop_mark()?;
                let class = self.global(module, name)?;
                self.push_node(Node::Inst { class, args })?;
                self.note_top();
            }
            Opcode::OBJ => {
                let mut args = self.pop_mark()?;
                if args.is_empty() {
                    return Err(self.error(ErrorKind::StackUnderflow));
                }
                let class = args.remove(0);
                self.push_node(Node::Obj { class, args })?;
                self.note_top();
            }
            Opcode::PERSID => {
                let Arg::Line(line) = op.arg else {
                    return Err(self.bad_arg());
                };
                if !line.is_ascii() {
                    return Err(self.error(ErrorKind::BadPersistentId));
                }
                let pid = self.payload(Cow::Borrowed(line))?;
                let pid = self.add(Node::Str(PyStr::from_surrogatepass_unchecked(pid)))?;
                self.unrecorded.extend(pid.node());
                let value = self.persistent(pid)?;
                self.push(value)?;
            }
            Opcode::BINPERSID => {
                let pid = self.pop()?;
                let value = self.persistent(pid)?;
                self.push(value)?;
            }
            Opcode::NEXT_BUFFER => {
                let data = match self.buffers {
                    Some(buffers) => match buffers.get(self.next_buffer) {
                        Some(data) => Some(data.clone()),
                        None => return Err(self.error(ErrorKind::NotEnoughBuffers)),
                    },
                    None if self.options.keep_missing_buffers => None,
                    None => return Err(self.error(ErrorKind::NoBuffers)),
                };
                let buffer = PickleBuffer {
                    index: self.next_buffer,
                    readonly: false,
                    data,
                };
                self.next_buffer += 1;
                self.push_node(Node::Buffer(Box::new(buffer)))?;
            }
            Opcode::READONLY_BUFFER => {
                let top = *self.top()?;
                match top.node().map(|id| self.graph.node_mut(id)) {
                    Some(Node::Buffer(buffer)) => buffer.readonly = true,
                    _ => return Err(self.error(ErrorKind::NotABuffer)),
                }
            }
            _ => {
                return Err(self.error(ErrorKind::Lex(brine_lex::LexErrorKind::UnknownOpcode)));
            }
        }
        Ok(Step::Continue)
    }

    /// Executes one opcode read into `data`, a buffer nobody else holds: its payload becomes
    /// a slice of `data` instead of a copy.
    pub(crate) fn step_shared(
        &mut self,
        offset: u64,
        op: Op<'_>,
        data: &Bytes,
    ) -> Result<Step, Error> {
        let input = self.shared.replace(data.clone());
        let res = self.step(offset, op);
        self.shared = input;
        res
    }

    /// Notes what the length of the last FLOAT or UNICODE line says, now that the opcode at
    /// `self.offset` shows where it ended.
    #[inline]
    pub(crate) fn settle_line(&mut self) {
        if let Some(line) = self.pending_line.take() {
            if line.differs(self.offset) {
                match line.idiom {
                    LineIdiom::Py27Float => self.idioms.py27_float = true,
                    LineIdiom::RawControls => self.idioms.up_to_py36 = true,
                }
            }
        }
    }

    /// [`Machine::settle_line`] and [`Machine::check_frame`] for the opcode at `self.offset`,
    /// when `settle_at` says they may have something to do.
    #[inline(always)]
    pub(crate) fn settle(&mut self) -> Result<(), Error> {
        if self.offset >= self.settle_at {
            self.settle_slow()?;
        }
        Ok(())
    }

    #[inline(never)]
    fn settle_slow(&mut self) -> Result<(), Error> {
        self.settle_line();
        self.check_frame()?;
        if self.offset >= self.room_at {
            self.plan_room();
        }
        self.settle_at = self.frame_end.unwrap_or(u64::MAX).min(self.room_at);
        Ok(())
    }

    /// Every [`ROOM_STRIDE`] bytes of a pickle of known length: makes room in the node arena
    /// and the memo for the entries the rest of the pickle predicts at the density so far
    /// ([`predicted_room`]). Grown by doubling instead, each step below the allocator's mmap
    /// threshold copies the arena into fresh pages, and on a list of short str those page
    /// faults were half of the decode. Reserving from the length alone, before the first
    /// opcode, cost the pickles of few nodes (a list of a million floats) their time in
    /// reserving and returning room they never use. Room the allocator refuses is left to
    /// each vector's own growth; `finish` gives back what a prediction left unused.
    #[cold]
    fn plan_room(&mut self) {
        self.room_at = self.offset.saturating_add(ROOM_STRIDE);
        let (offset, input_len, limits) = (self.offset, self.input_len, &self.options.limits);
        let (len, capacity) = (self.graph.len(), self.graph.capacity());
        if let Some(room) = predicted_room(len, capacity, offset, input_len, limits.max_nodes) {
            let _ = self.graph.try_reserve(room - len);
        }
        let (len, capacity) = self.memo.dense_room();
        if let Some(room) = predicted_room(len, capacity, offset, input_len, limits.max_memo) {
            self.memo.try_reserve(room - len);
        }
    }

    /// Where the open frame ends, if one is open.
    pub(crate) fn frame_end(&self) -> Option<u64> {
        self.frame_end
    }

    /// Closes the open frame when this opcode starts where it ends; an opcode that starts past
    /// its end means the previous one crossed it.
    #[inline]
    pub(crate) fn check_frame(&mut self) -> Result<(), Error> {
        match self.frame_end {
            Some(frame_end) if self.offset > frame_end => Err(self.error(
                ErrorKind::FrameMismatch("the previous opcode crosses the end of its frame"),
            )),
            Some(frame_end) if self.offset == frame_end => {
                self.frame_end = None;
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn bad_arg(&self) -> Error {
        // The lexer gives each opcode the argument its kind calls for; this is unreachable
        // for lexed input and kept as an error rather than a panic.
        self.error(ErrorKind::Lex(brine_lex::LexErrorKind::InvalidInt))
    }

    fn int_arg(&self, arg: &Arg<'_>) -> i64 {
        match *arg {
            Arg::Int(value) => value,
            Arg::Bool(value) => i64::from(value),
            _ => -1,
        }
    }

    #[cold]
    fn limit(&self, limit: &'static str, max: usize) -> Error {
        self.limit_u64(limit, max as u64)
    }

    #[cold]
    fn limit_u64(&self, limit: &'static str, max: u64) -> Error {
        self.error(ErrorKind::LimitExceeded { limit, max })
    }

    fn cannot(&self, operation: &'static str, target: &Value) -> Error {
        let target = match target {
            Value::None => "NoneType",
            Value::Bool(_) => "bool",
            Value::Int(_) | Value::BigInt(_) => "int",
            Value::Float(_) => "float",
            Value::Node(id) => self.graph.node(*id).kind_name(),
        };
        self.error(ErrorKind::CannotMutate { operation, target })
    }

    fn node_of(&self, value: &Value) -> Option<&Node> {
        value.node().map(|id| self.graph.node(id))
    }

    pub(crate) fn fence(&self) -> usize {
        self.marks.last().copied().unwrap_or(0)
    }

    #[inline]
    pub(crate) fn push(&mut self, value: Value) -> Result<(), Error> {
        if self.stack.len() >= self.options.limits.max_stack {
            return Err(self.limit("stack items", self.options.limits.max_stack));
        }
        self.stack.push(value);
        Ok(())
    }

    pub(crate) fn add(&mut self, node: Node) -> Result<Value, Error> {
        if self.graph.len() >= self.options.limits.max_nodes {
            return Err(self.limit("nodes", self.options.limits.max_nodes));
        }
        Ok(Value::Node(self.graph.add(node)))
    }

    pub(crate) fn push_node(&mut self, node: Node) -> Result<(), Error> {
        let value = self.add(node)?;
        self.push(value)
    }

    #[inline]
    fn pop(&mut self) -> Result<Value, Error> {
        if self.stack.len() <= self.fence() {
            return Err(self.underflow());
        }
        self.stack.pop().ok_or_else(|| self.underflow())
    }

    #[inline]
    fn top(&self) -> Result<&Value, Error> {
        if self.stack.len() <= self.fence() {
            return Err(self.underflow());
        }
        self.stack.last().ok_or_else(|| self.underflow())
    }

    #[cold]
    fn underflow(&self) -> Error {
        self.error(ErrorKind::StackUnderflow)
    }

    fn pop_n(&mut self, n_items: usize) -> Result<Vec<Value>, Error> {
        if self.stack.len() < self.fence() + n_items {
            return Err(self.error(ErrorKind::StackUnderflow));
        }
        Ok(self.stack.split_off(self.stack.len() - n_items))
    }

    /// Pops everything above the topmost MARK, and the MARK.
    fn pop_mark(&mut self) -> Result<Vec<Value>, Error> {
        let Some(mark) = self.marks.pop() else {
            return Err(self.error(ErrorKind::MarkNotFound));
        };
        Ok(self.stack.split_off(mark))
    }

    /// Pops everything above the topmost MARK, and the MARK, as key-value pairs.
    fn pop_mark_pairs(&mut self) -> Result<Vec<(Value, Value)>, Error> {
        let Some(&mark) = self.marks.last() else {
            return Err(self.error(ErrorKind::MarkNotFound));
        };
        if (self.stack.len() - mark) % 2 != 0 {
            return Err(self.error(ErrorKind::OddItemCount));
        }
        self.marks.pop();
        let mut pairs = Vec::with_capacity((self.stack.len() - mark) / 2);
        let mut items = self.stack.drain(mark..);
        while let (Some(key), Some(value)) = (items.next(), items.next()) {
            pairs.push((key, value));
        }
        Ok(pairs)
    }

    /// MARK.
    #[inline]
    pub(crate) fn mark(&mut self) -> Result<(), Error> {
        if self.marks.len() >= self.options.limits.max_depth {
            return Err(self.limit("nested MARKs", self.options.limits.max_depth));
        }
        self.marks.push(self.stack.len());
        Ok(())
    }

    /// TUPLE1, TUPLE2, TUPLE3.
    #[inline]
    pub(crate) fn small_tuple(&mut self, code: Opcode) -> Result<(), Error> {
        let n_items = usize::from(code.0 - Opcode::TUPLE1.0 + 1);
        let items = self.pop_n(n_items)?;
        self.push_node(Node::Tuple(items))
    }

    /// TUPLE.
    #[inline]
    pub(crate) fn tuple(&mut self) -> Result<(), Error> {
        let items = self.pop_mark()?;
        self.push_node(Node::Tuple(items))
    }

    /// STACK_GLOBAL: the module and name on the stack make a global.
    #[inline]
    pub(crate) fn stack_global_op(&mut self) -> Result<(), Error> {
        let name = self.pop()?;
        let module = self.pop()?;
        let global = self.stack_global(module, name)?;
        self.push(global)?;
        self.note_site(global);
        Ok(())
    }

    /// REDUCE: the call of a callable on an argument tuple, recorded rather than made.
    #[inline]
    pub(crate) fn reduce(&mut self) -> Result<(), Error> {
        let args = self.pop()?;
        self.expect_tuple(&args)?;
        let callable = self.pop()?;
        if self.proto < 3 && is_latin1_bytearray(&self.graph, callable, args) {
            self.idioms.up_to_py37 = true;
        }
        self.push_node(Node::Reduce { callable, args })?;
        self.note_top();
        Ok(())
    }

    /// NEWOBJ: `cls.__new__(cls, *args)`, recorded rather than made.
    #[inline]
    pub(crate) fn new_obj(&mut self) -> Result<(), Error> {
        let args = self.pop()?;
        self.expect_tuple(&args)?;
        let cls = self.pop()?;
        self.push_node(Node::NewObj {
            cls,
            args,
            kwargs: None,
        })?;
        self.note_top();
        Ok(())
    }

    /// BUILD: the state becomes a change of the object under it.
    #[inline]
    pub(crate) fn build(&mut self) -> Result<(), Error> {
        let state = self.pop()?;
        let object = self.top()?;
        let Some(id) = object.node() else {
            return Err(self.cannot("set the state of", object));
        };
        // The object keeps its place on the stack and its identity: every reference to it,
        // earlier memo GETs included, sees the state.
        self.graph.push_change(id, Change::Build(state));
        self.note_site(Value::Node(id));
        Ok(())
    }

    /// APPEND: a list takes the item in place; anything else gets a one-item change.
    #[inline]
    pub(crate) fn append_one(&mut self) -> Result<(), Error> {
        let item = self.pop()?;
        let target = self.top()?.node();
        let slot = self.stack.len() - 1;
        match target.map(|id| (id, self.graph.node_mut(id))) {
            Some((id, Node::List(list))) => {
                list.push(item);
                let len = list.len();
                self.filled(slot, id, len - 1, len);
                Ok(())
            }
            _ => self.append(vec![item]),
        }
    }

    /// APPENDS.
    #[inline]
    pub(crate) fn appends(&mut self) -> Result<(), Error> {
        if !self.extend_list_in_place()? {
            let items = self.pop_mark()?;
            self.append(items)?;
        }
        Ok(())
    }

    /// SETITEM: a dict takes the pair in place; anything else gets a one-pair change.
    #[inline]
    pub(crate) fn set_item(&mut self) -> Result<(), Error> {
        let value = self.pop()?;
        let key = self.pop()?;
        let target = self.top()?.node();
        let slot = self.stack.len() - 1;
        match target.map(|id| (id, self.graph.node_mut(id))) {
            Some((id, Node::Dict(dict))) => {
                dict.push((key, value));
                let len = dict.len();
                self.filled(slot, id, len - 1, len);
                Ok(())
            }
            _ => self.set_items(vec![(key, value)]),
        }
    }

    /// SETITEMS.
    #[inline]
    pub(crate) fn set_items_marked(&mut self) -> Result<(), Error> {
        if !self.extend_dict_in_place()? {
            let pairs = self.pop_mark_pairs()?;
            self.set_items(pairs)?;
        }
        Ok(())
    }

    /// The fast path of APPENDS: when the target below the MARK is a list, the items move
    /// from the stack straight into it. Returns whether it applied.
    fn extend_list_in_place(&mut self) -> Result<bool, Error> {
        let Some(target) = self.target_below_mark() else {
            return Ok(false);
        };
        let mark = self.stack.len() - self.items_above_mark();
        let (offset, input_len) = (self.offset, self.input_len);
        match self.graph.node_mut(target) {
            Node::List(list) => {
                let from = list.len();
                let incoming = self.stack.len() - mark;
                if list.capacity() == 0 {
                    // A list's first batch (most lists have one) allocates its exact size
                    // straight away, without the growth path: the room `list_room` gives an
                    // empty list. `Value` is `Copy`, so the items move as one copy of the
                    // slice rather than one by one through a drain.
                    *list = self.stack[mark..].to_vec();
                } else {
                    if list.capacity() - from < incoming {
                        let room = list_room(from + incoming, list.capacity(), offset, input_len);
                        list.reserve_exact(room - from);
                    }
                    list.extend_from_slice(&self.stack[mark..]);
                }
                self.stack.truncate(mark);
                let to = list.len();
                self.marks.pop();
                self.filled(mark - 1, target, from, to);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// The fast path of SETITEMS into a dict, as [`Machine::extend_list_in_place`].
    fn extend_dict_in_place(&mut self) -> Result<bool, Error> {
        let Some(target) = self.target_below_mark() else {
            return Ok(false);
        };
        let n_items = self.items_above_mark();
        if n_items % 2 != 0 {
            return Err(self.error(ErrorKind::OddItemCount));
        }
        let mark = self.stack.len() - n_items;
        match self.graph.node_mut(target) {
            Node::Dict(dict) => {
                let from = dict.len();
                let items = &self.stack[mark..];
                dict.extend(items.chunks_exact(2).map(|pair| (pair[0], pair[1])));
                let to = dict.len();
                self.stack.truncate(mark);
                self.marks.pop();
                self.filled(mark - 1, target, from, to);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// The node just below the topmost MARK, when there is one above the MARK before it.
    fn target_below_mark(&self) -> Option<NodeId> {
        let (&mark, rest) = self.marks.split_last()?;
        let fence = rest.last().copied().unwrap_or(0);
        if mark <= fence {
            return None;
        }
        self.stack.get(mark - 1)?.node()
    }

    /// A memo GET pushed `value`: a dict, list or set's slot is remembered, so that filling
    /// it is known to come after other opcodes ran. Only those are filled in place; a str or
    /// an instance fetched again (a record's shared keys, the common case) costs a look at
    /// its node's kind. What the slots above hold is no longer on the stack: a fill drops
    /// those entries ([`Machine::filled`]), and so does the next container's GET.
    #[inline]
    pub(crate) fn refetch(&mut self, value: Value) {
        if let Some(id) = value.node().filter(|&id| {
            matches!(
                self.graph.node(id),
                Node::Dict(_) | Node::List(_) | Node::Set(_)
            )
        }) {
            self.remember_refetch(id);
        }
    }

    #[inline(never)]
    fn remember_refetch(&mut self, id: NodeId) {
        let slot = self.stack.len() - 1;
        // Keeping the slots in increasing order also keeps this vector no longer than the
        // stack.
        while self.refetched.last().is_some_and(|r| r.slot >= slot) {
            self.refetched.pop();
        }
        self.refetched.push(Refetched {
            slot,
            id,
            at: self.offset,
        });
    }

    /// Items `from..to` of plain container `id`, at stack slot `slot` (the top of the stack),
    /// were just added in place. When a memo GET put the container there, they were added
    /// after other objects were built, not while the container was made: that place in the
    /// stream is kept as a [`Change::Fill`] of the object nearest the top of the stack below
    /// it (of the container itself when there is none).
    #[inline]
    fn filled(&mut self, slot: usize, id: NodeId, from: usize, to: usize) {
        if self.refetched.is_empty() || from == to {
            return;
        }
        self.filled_after_get(slot, id, from, to);
    }

    #[inline(never)]
    fn filled_after_get(&mut self, slot: usize, id: NodeId, from: usize, to: usize) {
        debug_assert_eq!(
            slot + 1,
            self.stack.len(),
            "a fill targets the top of the stack"
        );
        // The slots above the target are gone from the stack, and with them what the GETs
        // that filled them left here: dropping those now keeps the next fills' test at the
        // last entry.
        while self.refetched.last().is_some_and(|r| r.slot > slot) {
            self.refetched.pop();
        }
        let Some(at) = self
            .refetched
            .last()
            .filter(|r| r.slot == slot && r.id == id)
            .map(|r| r.at)
        else {
            return;
        };
        self.record_fill(slot, id, at, from, to);
    }

    #[cold]
    fn record_fill(&mut self, slot: usize, id: NodeId, at: u64, from: usize, to: usize) {
        let anchor = self.stack[..slot]
            .iter()
            .rev()
            .take(ANCHOR_SEARCH)
            .find_map(Value::node)
            .unwrap_or(id);
        // SETITEM after SETITEM on the same GET is one run of stores, as a pickler writes
        // the pairs of one update at protocol 0, or more than one batch.
        if self.last_fill == Some((anchor, at)) {
            if let Some(Change::Fill {
                container, to: end, ..
            }) = self.graph.changes_mut(anchor).last_mut()
            {
                if *container == Value::Node(id) && *end == from {
                    *end = to;
                    return;
                }
            }
        }
        self.graph.push_change(
            anchor,
            Change::Fill {
                container: Value::Node(id),
                from,
                to,
            },
        );
        self.last_fill = Some((anchor, at));
    }

    fn items_above_mark(&self) -> usize {
        self.marks.last().map_or(0, |&mark| self.stack.len() - mark)
    }

    /// APPEND(S): a list grows in place; an object that is not a builtin container records
    /// the items as a [`Change::Append`].
    fn append(&mut self, items: Vec<Value>) -> Result<(), Error> {
        let target = self.top()?;
        let Some(id) = target.node() else {
            return Err(self.cannot("append to", target));
        };
        let slot = self.stack.len() - 1;
        match self.graph.node_mut(id) {
            Node::List(list) => {
                let from = list.len();
                list.extend(items);
                let to = list.len();
                self.filled(slot, id, from, to);
            }
            Node::Str(_)
            | Node::Bytes(_)
            | Node::Tuple(_)
            | Node::Dict(_)
            | Node::Set(_)
            | Node::FrozenSet(_) => return Err(self.cannot("append to", &Value::Node(id))),
            _ => self.graph.push_change(id, Change::Append(items)),
        }
        Ok(())
    }

    /// SETITEM(S): a dict grows in place; an object records a [`Change::SetItems`].
    fn set_items(&mut self, pairs: Vec<(Value, Value)>) -> Result<(), Error> {
        let target = self.top()?;
        let Some(id) = target.node() else {
            return Err(self.cannot("set items of", target));
        };
        let slot = self.stack.len() - 1;
        match self.graph.node_mut(id) {
            Node::Dict(dict) => {
                let from = dict.len();
                dict.extend(pairs);
                let to = dict.len();
                self.filled(slot, id, from, to);
            }
            Node::Str(_) | Node::Bytes(_) | Node::Tuple(_) | Node::Set(_) | Node::FrozenSet(_) => {
                return Err(self.cannot("set items of", &Value::Node(id)));
            }
            _ => self.graph.push_change(id, Change::SetItems(pairs)),
        }
        Ok(())
    }

    /// ADDITEMS: a set grows in place; an object records a [`Change::AddItems`].
    fn add_items(&mut self, items: Vec<Value>) -> Result<(), Error> {
        let target = self.top()?;
        let Some(id) = target.node() else {
            return Err(self.cannot("add items to", target));
        };
        let slot = self.stack.len() - 1;
        match self.graph.node_mut(id) {
            Node::Set(set) => {
                let from = set.len();
                set.extend(items);
                let to = set.len();
                self.filled(slot, id, from, to);
            }
            Node::Str(_)
            | Node::Bytes(_)
            | Node::ByteArray(_)
            | Node::Tuple(_)
            | Node::List(_)
            | Node::Dict(_)
            | Node::FrozenSet(_) => return Err(self.cannot("add items to", &Value::Node(id))),
            _ => self.graph.push_change(id, Change::AddItems(items)),
        }
        Ok(())
    }

    fn memo_key(&self, arg: &Arg<'_>) -> Result<u64, Error> {
        match *arg {
            Arg::Int(value) => {
                u64::try_from(value).map_err(|_| self.error(ErrorKind::NegativeMemoKey))
            }
            Arg::Bool(value) => Ok(u64::from(value)),
            Arg::BigDecimal(text) if text.first() == Some(&b'-') => {
                Err(self.error(ErrorKind::NegativeMemoKey))
            }
            // A key too large for 64 bits was never stored.
            Arg::BigDecimal(_) => Err(self.error(ErrorKind::MemoKeyMissing(u64::MAX))),
            _ => Err(self.bad_arg()),
        }
    }

    /// PUT, BINPUT, LONG_BINPUT and MEMOIZE: the top of the stack under `key`.
    #[inline]
    pub(crate) fn memo_put(&mut self, key: u64) -> Result<(), Error> {
        let value = *self.top()?;
        // Nearly every PUT is neither the first nor one that may store a pending GLOBAL.
        if self.first_memo_key.is_none() || self.pending_global.is_some() {
            self.note_put(key, value);
        }
        if self.memo.len() >= self.options.limits.max_memo {
            return Err(self.limit("memo entries", self.options.limits.max_memo));
        }
        self.memo.put(key, value);
        Ok(())
    }

    /// What the first PUT, and a PUT of the global GLOBAL just made, say of the producer.
    #[inline(never)]
    fn note_put(&mut self, key: u64, value: Value) {
        if self.first_memo_key.is_none() {
            self.first_memo_key = Some(key);
        }
        if let Some(id) = self.pending_global.filter(|id| value == Value::Node(*id)) {
            self.pending_global = None;
            if self.proto >= 4 {
                self.mark_global_line(id, true);
            }
        }
    }

    /// A payload as shared bytes: a slice of the input when it is shared, else a copy.
    pub(crate) fn payload(&mut self, data: Cow<'_, [u8]>) -> Result<Bytes, Error> {
        match data {
            Cow::Owned(data) => {
                self.count_payload(data.len())?;
                Ok(Bytes::from(data))
            }
            Cow::Borrowed(data) => self.payload_slice(data),
        }
    }

    /// [`Machine::payload`] of bytes borrowed from the input, the case of every str the fast
    /// loop reads.
    #[inline]
    pub(crate) fn payload_slice(&mut self, data: &[u8]) -> Result<Bytes, Error> {
        self.count_payload(data.len())?;
        Ok(match self.shared.as_ref() {
            Some(shared) => match offset_in(shared, data) {
                Some(start) => shared.slice(start..start + data.len()),
                None => Bytes::copy_from_slice(data),
            },
            None => Bytes::copy_from_slice(data),
        })
    }

    /// Counts `len` more payload bytes against their limit.
    #[inline]
    fn count_payload(&mut self, len: usize) -> Result<(), Error> {
        // CPython 3.7 writes a payload of 64 KiB or more outside any frame; 3.6 inside.
        if len >= 64 * 1024 && self.frame_end.is_some() {
            self.idioms.up_to_py36 = true;
        }
        self.payload_bytes = self.payload_bytes.saturating_add(len as u64);
        if self.payload_bytes > self.options.limits.max_bytes {
            return Err(self.limit_u64("payload bytes", self.options.limits.max_bytes));
        }
        Ok(())
    }

    /// A Python 2 `str`: its bytes, as written. The loader's `encoding` is recorded in the
    /// graph ([`Graph::py2_text`]) and applied by whatever reads the value as text, as
    /// Python 3 applies it, so that a protocol 0-2 re-encoding writes the same `str` back.
    fn py2_string(&mut self, data: Cow<'_, [u8]>) -> Result<Node, Error> {
        Ok(Node::Py2Str(self.payload(data)?))
    }

    /// A global from GLOBAL, INST or an extension code: fix_imports, then the policy.
    fn global(&mut self, module: &str, name: &str) -> Result<Value, Error> {
        let (module, name) = if self.proto < 3 && self.options.fix_imports {
            compat::py2_to_py3(module, name)
        } else {
            (module, name)
        };
        if !self.options.find_class.allows(module, name) {
            let (module, name) = (module.to_owned(), name.to_owned());
            return Err(self.error(ErrorKind::RejectedGlobal { module, name }));
        }
        let module = self.add(Node::Str(PyStr::new(module)))?;
        let name = self.add(Node::Str(PyStr::new(name)))?;
        self.unrecorded
            .extend([module, name].iter().filter_map(Value::node));
        self.add(Node::Global { module, name })
    }

    /// GLOBAL made `global`: CPython's pickler memoizes it right away, and writes STACK_GLOBAL
    /// instead from protocol 4. The previous GLOBAL, if still not memoized, never was.
    fn global_line(&mut self, global: Value) {
        if let Some(previous) = self.pending_global.take() {
            self.mark_global_line(previous, false);
        }
        self.pending_global = global.node();
    }

    #[cold]
    fn mark_global_line(&mut self, id: NodeId, memoized: bool) {
        let line = GlobalLine {
            protocol: self.proto,
            memoized,
        };
        self.graph.set_global_line(id, line);
    }

    /// STACK_GLOBAL keeps the str nodes the pickle pushed, so their sharing is preserved.
    fn stack_global(&mut self, module: Value, name: Value) -> Result<Value, Error> {
        let texts = match (self.text_of(&module)?, self.text_of(&name)?) {
            (Some(module), Some(name)) => module
                .as_str()
                .zip(name.as_str())
                .map(|(m, n)| (m.to_owned(), n.to_owned())),
            (module_text, name_text) => {
                return self.run_time_global(module, name, module_text, name_text);
            }
        };
        let Some((module_text, name_text)) = texts else {
            return Err(self.error(ErrorKind::BadGlobalName));
        };
        let (fixed_module, fixed_name) = if self.proto < 3 && self.options.fix_imports {
            compat::py2_to_py3(&module_text, &name_text)
        } else {
            (module_text.as_str(), name_text.as_str())
        };
        if !self.options.find_class.allows(fixed_module, fixed_name) {
            let (module, name) = (fixed_module.to_owned(), fixed_name.to_owned());
            return Err(self.error(ErrorKind::RejectedGlobal { module, name }));
        }
        let (module, name) =
            if (fixed_module, fixed_name) == (module_text.as_str(), name_text.as_str()) {
                (module, name)
            } else {
                let (fixed_module, fixed_name) = (fixed_module.to_owned(), fixed_name.to_owned());
                let names = (
                    self.add(Node::Str(PyStr::from(fixed_module)))?,
                    self.add(Node::Str(PyStr::from(fixed_name)))?,
                );
                self.unrecorded
                    .extend([names.0, names.1].iter().filter_map(Value::node));
                names
            };
        self.add(Node::Global { module, name })
    }

    /// STACK_GLOBAL whose module or name is not a str in the stream but may be one when the
    /// pickle runs (a persistent id, the result of a call, a global such as `os.sep`): CPython
    /// checks the objects' types only then, so the global is kept with those operands. Its
    /// name is unknown, so a policy that names the globals it accepts cannot accept it.
    fn run_time_global(
        &mut self,
        module: Value,
        name: Value,
        module_text: Option<PyStr>,
        name_text: Option<PyStr>,
    ) -> Result<Value, Error> {
        let is_str = |node: &Node| matches!(node, Node::Str(_) | Node::Py2Str(_));
        let may_be_str = |value: &Value, text: &Option<PyStr>| {
            text.is_some() || (!self.is_py2_bytes(value) && self.may_be(value, is_str))
        };
        if !may_be_str(&module, &module_text) || !may_be_str(&name, &name_text) {
            return Err(self.error(ErrorKind::StackGlobalNotStr));
        }
        if !matches!(self.options.find_class, FindClass::KeepAll) {
            let describe = |text: Option<PyStr>| match text {
                Some(text) => String::from_utf8_lossy(text.as_bytes()).into_owned(),
                None => "<known only at run time>".to_owned(),
            };
            let (module, name) = (describe(module_text), describe(name_text));
            return Err(self.error(ErrorKind::RejectedGlobal { module, name }));
        }
        self.add(Node::Global { module, name })
    }

    /// Whether `value` is a Python 2 `str` that the loader's encoding reads as `bytes`.
    fn is_py2_bytes(&self, value: &Value) -> bool {
        matches!(self.node_of(value), Some(Node::Py2Str(_)))
            && self.graph.py2_text().encoding == StringEncoding::Bytes
    }

    /// EXT1, EXT2, EXT4: the global the registry names, or the code itself when no registry
    /// entry names one (nothing is resolved, so a code is just another name), one node per
    /// code as CPython's extension cache gives one object.
    fn extension(&mut self, code: i64) -> Result<Value, Error> {
        if let Some(global) = self.ext_cache.get(&code) {
            return Ok(*global);
        }
        if code <= 0 {
            return Err(self.error(ErrorKind::ExtensionCodeNotPositive(code)));
        }
        let global = match self.options.extensions.global(code) {
            Some((module, name)) => self.global(module, name)?,
            // A code no registry resolves cannot be checked against an allow list.
            None if self.options.reject_unregistered_extensions
                || !matches!(self.options.find_class, FindClass::KeepAll) =>
            {
                return Err(self.error(ErrorKind::UnregisteredExtension(code)));
            }
            None => self.add(Node::Ext(code))?,
        };
        self.ext_cache.insert(code, global);
        Ok(global)
    }

    /// REDUCE and NEWOBJ take an argument tuple. A value whose type only running the pickle
    /// would tell (the result of a call, a global, a persistent object) may be one, so it is
    /// kept; what is certainly not a tuple is rejected, as CPython rejects it.
    fn expect_tuple(&self, args: &Value) -> Result<(), Error> {
        if self.may_be(args, |node| matches!(node, Node::Tuple(_))) {
            Ok(())
        } else {
            Err(self.error(ErrorKind::ExpectedTuple))
        }
    }

    /// Whether `value` may be of the type `is_type` accepts: it is, or it is a node whose
    /// Python type is known only at run time.
    fn may_be(&self, value: &Value, is_type: impl Fn(&Node) -> bool) -> bool {
        match self.node_of(value) {
            Some(node) if is_type(node) => true,
            Some(
                Node::Reduce { .. }
                | Node::NewObj { .. }
                | Node::Inst { .. }
                | Node::Obj { .. }
                | Node::Global { .. }
                | Node::Ext(_)
                | Node::PersistentId(_),
            ) => true,
            _ => false,
        }
    }

    /// The text of a str operand: a `str`, or a Python 2 `str` read with the loader's
    /// encoding (`None` for anything else, or `bytes`).
    fn text_of(&self, value: &Value) -> Result<Option<PyStr>, Error> {
        Ok(match self.node_of(value) {
            Some(Node::Str(text)) => Some(text.clone()),
            Some(Node::Py2Str(data)) => match self.graph.py2_text().decode(data) {
                Ok(Py2Value::Str(text)) => Some(text),
                Ok(Py2Value::Bytes(_)) => None,
                Err(err) => {
                    return Err(self.error(ErrorKind::StringDecode {
                        encoding: err.encoding.name(),
                        position: err.position,
                    }));
                }
            },
            _ => None,
        })
    }

    /// POP and POP_MARK: the value is gone from the stack, but whatever made it ran (a
    /// REDUCE has called, a BUILD has set state), so it is kept where CPython writes such a
    /// value. A state setter's call `setter(obj, state)` becomes a [`Change::SetState`] of
    /// `obj`; anything else a [`Change::Effect`] of the object nearest the top of the stack
    /// (or of the graph, when there is none), until [`Machine::finish`] drops those that
    /// other references keep anyway (the items of a recursive tuple) or that did nothing.
    fn discard(&mut self, value: Value) {
        let Some(id) = value.node() else {
            return;
        };
        let anchor = self
            .stack
            .iter()
            .rev()
            .take(ANCHOR_SEARCH)
            .find_map(Value::node);
        let end = self.offset + 1;
        if let Some(anchor) = anchor {
            if let Some(change) = self.state_setter(id, anchor) {
                self.graph.push_change(anchor, change);
                self.discarded.push(Discarded {
                    value,
                    site: Site::SetState,
                    end,
                });
                return;
            }
            self.graph.push_change(anchor, Change::Effect(value));
        } else {
            self.graph.push_effect(value);
        }
        let site = anchor.map_or(Site::Graph, Site::Change);
        self.discarded.push(Discarded { value, site, end });
    }

    /// `setter(obj, state)` as CPython writes a state setter: a REDUCE of a tuple of two,
    /// `obj` first, written with TUPLE2 and never memoized, and its result never memoized.
    fn state_setter(&self, id: NodeId, anchor: NodeId) -> Option<Change> {
        let Node::Reduce { callable, args } = self.graph.node(id) else {
            return None;
        };
        let Some(Node::Tuple(items)) = self.node_of(args) else {
            return None;
        };
        let [obj, state] = items[..] else {
            return None;
        };
        let last_put = self.memo.last_put();
        if obj != Value::Node(anchor)
            || last_put == Some(*args)
            || last_put == Some(Value::Node(id))
        {
            return None;
        }
        Some(Change::SetState {
            setter: *callable,
            state,
        })
    }

    /// GET right after a POP that discarded a call of the same callable (or class) as the
    /// object it fetches: CPython's `callable args REDUCE POP GET` for an object its own
    /// arguments refer back to. The discarded call was the first attempt at the object:
    /// it becomes the object's prelude.
    #[inline]
    pub(crate) fn got(&mut self, value: Value) {
        let Some(last) = self.discarded.last().copied() else {
            return;
        };
        // At protocol 0 the POP of a MARK may stand between.
        if last.end + 1 < self.offset {
            return;
        }
        self.take_over(last, value);
    }

    #[cold]
    fn take_over(&mut self, last: Discarded, value: Value) {
        let (Some(id), Some(discarded)) = (value.node(), last.value.node()) else {
            return;
        };
        if self.outer_copy(id) || last.end != self.offset {
            return;
        }
        if id == discarded || !matches!(last.site, Site::Change(_) | Site::Graph) {
            return;
        }
        let (same_call, same_fields) = match (self.graph.node(discarded), self.graph.node(id)) {
            (
                Node::Reduce { callable, args },
                Node::Reduce {
                    callable: callable_b,
                    args: args_b,
                },
            ) => (
                callable == callable_b,
                callable == callable_b && self.same_object(args, args_b),
            ),
            (
                Node::NewObj { cls, args, kwargs },
                Node::NewObj {
                    cls: cls_b,
                    args: args_b,
                    kwargs: kwargs_b,
                },
            ) => (
                cls == cls_b,
                cls == cls_b
                    && self.same_object(args, args_b)
                    && match (kwargs, kwargs_b) {
                        (Some(a), Some(b)) => self.same_object(a, b),
                        (a, b) => a == b,
                    },
            ),
            _ => (false, false),
        };
        if !same_call {
            return;
        }
        match last.site {
            Site::Change(anchor) => {
                self.graph.pop_change(anchor);
            }
            _ => {
                self.graph.pop_effect();
            }
        }
        // A first attempt made of the very same parts as an object its own arguments refer
        // back to is what the encoder writes anyway when it saves the object: nothing to
        // keep. Of an object that does not refer back, it is a call of its own. (Past the
        // walk's budget, the attempt is taken for the encoder's.)
        if same_fields
            && self.graph.changes(discarded).is_empty()
            && refers_back(&self.graph, id, &mut self.refers_back_budget) != Some(false)
        {
            self.discarded.pop();
            return;
        }
        self.graph.push_prelude(id, last.value);
        if let Some(entry) = self.discarded.last_mut() {
            entry.site = Site::Prelude(id);
        }
    }

    /// CPython writes a tuple (or frozenset) that its items refer back to as the items, then
    /// POPs (or POP_MARK) and a GET of the tuple their saving memoized: the popped items are
    /// a copy of the tuple's, which the encoder writes again from the tuple itself. Drops
    /// that copy when it is one, and says so.
    fn outer_copy(&mut self, id: NodeId) -> bool {
        // Popped scalars left no record: the copy is of the items that are nodes.
        let (items, all_items): (Vec<Value>, usize) = match self.graph.node(id) {
            Node::Tuple(items) | Node::FrozenSet(items) => (
                items
                    .iter()
                    .copied()
                    .filter(|item| item.node().is_some())
                    .collect(),
                items.len(),
            ),
            _ => return false,
        };
        let n_items = items.len();
        if n_items == 0 {
            return false;
        }
        let Some(start) = self.discarded.len().checked_sub(n_items) else {
            return false;
        };
        let popped = &self.discarded[start..];
        let last_end = popped[n_items - 1].end;
        // The GET follows the POPs, or at protocol 0 the POP of their MARK.
        if !matches!(self.offset.checked_sub(last_end), Some(0 | 1)) {
            return false;
        }
        // POP after POP pops the last item first; one POP_MARK pops them all, in order. The
        // POPs of scalar items between them left no record, so the recorded ones are in
        // order within one run of as many POPs as the tuple has items.
        let one_by_one = popped.windows(2).all(|pair| pair[0].end < pair[1].end)
            && last_end - popped[0].end < all_items as u64;
        let marked = popped.iter().all(|entry| entry.end == last_end);
        let matches = if one_by_one && n_items > 1 {
            popped
                .iter()
                .rev()
                .zip(&items)
                .all(|(p, i)| self.same_object(&p.value, i))
        } else {
            marked
                && popped
                    .iter()
                    .zip(&items)
                    .all(|(p, i)| self.same_object(&p.value, i))
        };
        if !matches
            || popped
                .iter()
                .any(|entry| !matches!(entry.site, Site::Change(_) | Site::Graph))
        {
            return false;
        }
        for entry in self.discarded.split_off(start).into_iter().rev() {
            match entry.site {
                Site::Change(anchor) => {
                    self.graph.pop_change(anchor);
                }
                _ => {
                    self.graph.pop_effect();
                }
            }
        }
        true
    }

    /// Whether `popped`, an item of an outer copy, stands for the same object as `item`: the
    /// same node, or one the pickler writes afresh each time (a persistent id, an extension
    /// code) with the same content.
    fn same_object(&self, popped: &Value, item: &Value) -> bool {
        if popped == item {
            return true;
        }
        match (self.node_of(popped), self.node_of(item)) {
            (Some(Node::PersistentId(a)), Some(Node::PersistentId(b))) => {
                a == b
                    || matches!(
                        (self.node_of(a), self.node_of(b)),
                        (Some(Node::Str(x)), Some(Node::Str(y))) if x == y
                    )
            }
            (Some(Node::Ext(a)), Some(Node::Ext(b))) => a == b,
            // CPython has one empty tuple, never memoized: EMPTY_TUPLE each time.
            (Some(Node::Tuple(a)), Some(Node::Tuple(b))) => a.is_empty() && b.is_empty(),
            _ => false,
        }
    }

    /// At STOP: what is left on the stack was computed and discarded too, and the
    /// discarded values that other references keep anyway, or that hold nothing that
    /// acted (no call, no global, no persistent id), are dropped.
    pub(crate) fn finish(&mut self, root: Value) -> Graph {
        if let Some(global) = self.pending_global.take() {
            self.mark_global_line(global, false);
        }
        let left: Vec<Value> = self.stack.drain(..).collect();
        for value in left.into_iter().filter(|value| value.node().is_some()) {
            self.graph.push_effect(value);
            self.discarded.push(Discarded {
                value,
                site: Site::Graph,
                end: u64::MAX,
            });
        }
        self.graph.set_root(root);
        if !self.discarded.is_empty() {
            prune(&mut self.graph, &self.discarded);
        }
        self.record_memoization();
        self.graph.trim_arena();
        std::mem::take(&mut self.graph)
    }

    /// The int `value` that opcode `code` pushes, with the Python 2 type the opcode gives it
    /// kept where that is not the type of Python 3's encoding of the value (`Py2Int`).
    fn int(&mut self, code: Opcode, value: i64) -> Value {
        let kind = match code {
            Opcode::LONG | Opcode::LONG1 | Opcode::LONG4 => Py2Int::Long,
            _ => Py2Int::Int,
        };
        if Py2Int::of_python3(value) == kind {
            Value::Int(value)
        } else {
            self.graph.add_py2_int(BigInt::from(value), kind)
        }
    }

    /// Notes the idioms of an int opcode holding `value`.
    fn note_int(&mut self, code: Opcode, value: i64) {
        let within_32_bits = i32::try_from(value).is_ok();
        if (code == Opcode::INT && !within_32_bits)
            || (matches!(code, Opcode::LONG1 | Opcode::LONG4) && within_32_bits)
        {
            self.idioms.py2_ints = true;
        } else if code == Opcode::LONG && within_32_bits {
            self.idioms.up_to_py36 = true;
        }
    }

    /// Records on the graph which nodes the pickle never memoized (nor shared with DUP), and
    /// which CPython's pickler its idioms name.
    fn record_memoization(&mut self) {
        let len = self.graph.len();
        let memoized = &mut self.memoized;
        memoized.clear();
        memoized.resize(len.div_ceil(64), 0);
        let mut mark = |id: NodeId| {
            if let Some(word) = memoized.get_mut(id.index() / 64) {
                *word |= 1 << (id.index() % 64);
            }
        };
        self.memo.for_each_node(&mut mark);
        self.unrecorded.iter().copied().for_each(mark);
        for (word_index, word) in self.memoized.iter().enumerate() {
            let mut unset = !word;
            while unset != 0 {
                let index = word_index * 64 + unset.trailing_zeros() as usize;
                if index >= len {
                    break;
                }
                if let Some(id) = NodeId::from_index(index) {
                    self.graph.set_unmemoized(id, self.proto);
                }
                unset &= unset - 1;
            }
        }
        let flavour =
            if self.first_memo_key == Some(1) || self.idioms.py2_ints || self.idioms.py27_float {
                Some(Flavour::Py27)
            } else if self.idioms.up_to_py36 {
                Some(Flavour::Py36)
            } else if self.idioms.up_to_py37 {
                Some(Flavour::Py37)
            } else {
                None
            };
        self.graph.set_flavour(flavour);
    }

    fn persistent(&mut self, pid: Value) -> Result<Value, Error> {
        match self.persistent_load.as_mut() {
            Some(hook) => hook(&mut self.graph, pid).map_err(|message| {
                Error::new(
                    ErrorKind::PersistentLoad(message),
                    self.offset,
                    Some(self.code),
                )
            }),
            None => self.add(Node::PersistentId(pid)),
        }
    }
}

impl Machine<'_> {
    /// Runs the after_build hook on the object BUILD left on the stack, and takes the raw
    /// bytes it claims from `data[pos..]` (the input after BUILD) as a [`Change::Raw`].
    /// Returns where the opcodes go on.
    pub(crate) fn after_build<const FINAL: bool>(
        &mut self,
        data: &[u8],
        pos: usize,
    ) -> Result<usize, Error> {
        let Some(hook) = self.after_build.as_mut() else {
            return Ok(pos);
        };
        if !FINAL {
            return Err(self.error(ErrorKind::AfterBuild(
                "raw bytes after BUILD cannot be taken from a reader; load from a slice".into(),
            )));
        }
        // BUILD leaves its object on the stack, and refuses anything that is not a node.
        let Some(id) = self.stack.last().and_then(Value::node) else {
            return Ok(pos);
        };
        let rest = &data[pos..];
        let claimed = match hook(&self.graph, id, rest) {
            Ok(claimed) => claimed,
            Err(message) => return Err(self.error(ErrorKind::AfterBuild(message))),
        };
        if claimed == 0 {
            return Ok(pos);
        }
        // Checked against what is there before anything is taken.
        let Some(len) = usize::try_from(claimed)
            .ok()
            .filter(|&len| len <= rest.len())
        else {
            return Err(self.error(ErrorKind::AfterBuild(format!(
                "the object claims {claimed} raw bytes after BUILD, but {} remain",
                rest.len()
            ))));
        };
        // Raw bytes sit outside frames: the frame that held BUILD must end with it.
        let start = self.offset + 1;
        match self.frame_end {
            Some(frame_end) if frame_end == start => self.frame_end = None,
            Some(_) => {
                return Err(self.error(ErrorKind::FrameMismatch(
                    "raw bytes after BUILD inside a frame",
                )));
            }
            None => {}
        }
        let raw = self.payload(Cow::Borrowed(&rest[..len]))?;
        self.graph.push_change(id, Change::Raw(raw));
        Ok(pos + len)
    }
}

/// Where `part` starts within `whole`, when it lies within `whole`'s memory.
#[inline]
fn offset_in(whole: &Bytes, part: &[u8]) -> Option<usize> {
    let start = (part.as_ptr() as usize).checked_sub(whole.as_ptr() as usize)?;
    (start.checked_add(part.len())? <= whole.len()).then_some(start)
}

/// The lexer validated the digits; an optional sign and ASCII digits always parse.
fn parse_big_decimal(text: &[u8]) -> BigInt {
    BigInt::parse_bytes(text, 10).unwrap_or_default()
}

/// How many items a list that APPENDS must grow to `needed` items should have room for.
///
/// `Vec` doubles, copying the list each time: a list that is most of the pickle (a million
/// floats) touches about twice the memory it ends at, and every fresh page is one the kernel
/// zeroes. The list's items per byte of pickle so far predict its final length from the
/// input's; the prediction is taken when it lies above doubling and within 16 times the
/// current capacity, so a short list at the front of a long pickle reserves at most 16 times
/// what it already holds, and anything else doubles as before.
fn list_room(needed: usize, capacity: usize, offset: u64, input_len: Option<u64>) -> usize {
    let doubled = needed.max(capacity.saturating_mul(2));
    let Some(input_len) = input_len.filter(|_| offset > 0 && capacity >= 1 << 12) else {
        return doubled;
    };
    let predicted = density_prediction(needed, offset, input_len);
    if predicted > doubled && predicted / 16 <= capacity {
        predicted
    } else {
        doubled
    }
}

/// The room a vector of `len` entries (of `capacity`) filled by the first `offset` bytes of
/// an input of `input_len` should have for the rest of it, when that is more than it has:
/// the entries per byte so far, a little over, never past `limit` (the decoder's limit on
/// such entries) nor one entry per byte. `None` without the input's length or with fewer
/// than [`PREDICT_MIN`] entries to go by.
fn predicted_room(
    len: usize,
    capacity: usize,
    offset: u64,
    input_len: Option<u64>,
    limit: usize,
) -> Option<usize> {
    let input_len = input_len.filter(|_| len >= PREDICT_MIN && offset > 0)?;
    let bytes = usize::try_from(input_len).unwrap_or(usize::MAX);
    let predicted = density_prediction(len, offset, input_len)
        .min(limit)
        .min(bytes);
    (predicted > capacity).then_some(predicted)
}

/// How many entries `count` entries in the first `offset` bytes (`offset > 0`) predict for
/// the whole `input_len` bytes at the same density, a little over, so that a vector
/// predicted a few entries short (the pickle's last opcodes make none) does not double at
/// its end.
fn density_prediction(count: usize, offset: u64, input_len: u64) -> usize {
    let predicted = count as u128 * u128::from(input_len) / u128::from(offset);
    let predicted = usize::try_from(predicted).unwrap_or(usize::MAX);
    predicted.saturating_add(predicted / 64)
}

#[cfg(test)]
mod tests {
    use super::{list_room, predicted_room};

    #[test]
    fn a_list_that_fills_the_pickle_is_sized_once_from_its_density() {
        // A million 9-byte BINFLOATs: at 65,536 items the list is at byte 589,826.
        let room = list_room(65_536 + 1_000, 65_536, 589_826, Some(9_000_011));
        assert!(room >= 1_000_000, "{room}");
        assert!(room <= 1_000_000 + 1_000_000 / 32, "{room}");
    }

    #[test]
    fn a_short_list_before_much_else_doubles() {
        // 5,000 items in the first 10 kB of a 100 MB pickle: the prediction (50 million) is
        // far beyond 16 times the capacity.
        assert_eq!(list_room(5_000, 4_096, 10_000, Some(100_000_000)), 8_192);
    }

    #[test]
    fn without_the_input_length_or_below_the_threshold_it_doubles() {
        assert_eq!(list_room(70_000, 65_536, 589_826, None), 131_072);
        assert_eq!(list_room(1_100, 1_000, 9_000, Some(9_000_000)), 2_000);
        // A batch larger than the doubled capacity is taken whole.
        assert_eq!(list_room(10_000, 4_096, 0, Some(100)), 10_000);
    }

    #[test]
    fn an_arena_is_sized_from_the_density_so_far() {
        // 4,000 str nodes in the first 64 KiB of a 3.3 MB pickle: room for about 205,000.
        let room = predicted_room(4_000, 4_096, 65_536, Some(3_300_000), usize::MAX);
        let room = room.expect("a prediction beyond the capacity");
        assert!((201_000..=205_000).contains(&room), "{room}");
        // Already room enough: nothing to do.
        assert_eq!(
            predicted_room(4_000, 300_000, 65_536, Some(3_300_000), usize::MAX),
            None
        );
    }

    #[test]
    fn a_prediction_stays_within_the_limit_and_the_input() {
        // A dense head of a long pickle predicts more than the limit allows, or than one
        // entry per byte: the smaller bound wins.
        assert_eq!(
            predicted_room(60_000, 65_536, 65_536, Some(1 << 40), 1_000_000),
            Some(1_000_000)
        );
        assert_eq!(
            predicted_room(65_536, 65_536, 65_536, Some(100_000), usize::MAX),
            Some(100_000)
        );
    }

    #[test]
    fn without_the_length_or_enough_entries_nothing_is_predicted() {
        assert_eq!(predicted_room(4_000, 4_096, 65_536, None, usize::MAX), None);
        assert_eq!(
            predicted_room(1_000, 1_024, 65_536, Some(1 << 30), usize::MAX),
            None
        );
        assert_eq!(
            predicted_room(4_000, 4_096, 0, Some(1 << 30), usize::MAX),
            None
        );
    }
}
