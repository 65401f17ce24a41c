//! The streaming path of [`crate::from_slice`]: serde's data model read straight from the
//! opcodes, with no graph, for the pickles most typed data is: scalars, strs, lists, dicts
//! and instances of plain classes written by CPython's pickler (protocols 1 to 5).
//!
//! An instance is the form protocols 2 and above write for a class without a reduction of
//! its own: the class global (GLOBAL, STACK_GLOBAL, or a memo GET of either), `()`, NEWOBJ,
//! and when it has attributes a state dict and BUILD. The graph path reads NEWOBJ as an
//! instance whatever the class (brine-interpret's one decision: only a REDUCE's callable makes
//! a set, a date or an OrderedDict), and an instance whose state is a dict as that dict's
//! pairs; this path reads the same pairs as they come. So the memo keeps globals (a GET
//! begins another instance of the class) beside scalars and strs.
//!
//! The opcodes are decoded by brine-lex's hot-opcode decoder ([`brine_lex::lex_hot`]), the one
//! brine-vm's loop runs; strs are lent from the input as they stand. Anything outside that
//! grammar — a container or an instance fetched from the memo (it may be shared, or changed
//! later), a tuple, NEWOBJ with arguments, a state other than a dict, a reduction, a policy on
//! globals, a limit close by, an opcode this path does not run, a visitor's error — ends the
//! attempt with [`Fallback`], and [`crate::from_slice`] decodes
//! the pickle again on the graph path, which gives the result or the error (with its path)
//! as it always has. So this path never reports an error of its own, and a pickle it reads
//! whole reads to the same value on both paths: the visitor sees the same calls in the same
//! order.
//!
//! Every opcode it accepts applies the stack effect the machine would apply, and the
//! pickle's structure is only predicted where the opcodes leave it open (a value after a
//! list's items is an APPEND's item only when an APPEND follows it, a dict after NEWOBJ is the
//! instance's state only when BUILD follows its pairs); a wrong prediction meets an opcode the
//! predicted structure does not allow, and falls back. A str is taken for a class's module
//! when a str and STACK_GLOBAL follow it, and only where an instance may be read (`any`, a
//! struct, a map): read as a str elsewhere, it leaves a STACK_GLOBAL nothing reads.

mod access;
#[cfg(test)]
mod tests;

use brine_lex::{Arg, HotArg, Op, Opcode};
use brine_vm::FindClass;
use serde::de::{self, Visitor};

use crate::Options;
use crate::error::{Error, ErrorKind};

use access::{DictAccess, ListAccess};

/// The message of the error that ends a streaming attempt (never shown: the graph path runs
/// instead).
const FALLBACK: &str = "the streaming path needs the graph";

/// The error that sends a pickle to the graph path.
#[cold]
#[inline(never)]
fn fallback() -> Error {
    ErrorKind::Message(FALLBACK.to_owned()).into()
}

/// The containers the graph path allows whatever the options: its expansion budget is at
/// least this many (`crate::de::budget`).
const MIN_CONTAINER_BUDGET: u64 = 1_000_000;

/// Deserializes `T` from the pickle at the start of `input` without a graph; `None` when the
/// pickle needs the graph path (or is malformed, or the visitor fails: the graph path says
/// how).
pub(crate) fn from_slice<'de, T: de::Deserialize<'de>>(
    input: &'de [u8],
    options: &Options,
) -> Option<T> {
    let mut stream = Stream::new(input, options);
    stream.prologue().ok()?;
    let value = stream.value(std::marker::PhantomData::<T>).ok()?;
    stream.stop().ok()?;
    Some(value)
}

/// A memo entry, as far as this path reads it.
#[derive(Clone, Copy)]
enum Memoed<'de> {
    /// A scalar or a str: fetching it again pushes the same value.
    Simple(Head<'de>),
    /// A class global (GLOBAL or STACK_GLOBAL): fetching it again begins another instance
    /// of the class.
    Global,
    /// A container or anything else: fetching it needs the graph.
    Opaque,
}

/// The first opcode of a value, read.
#[derive(Clone, Copy)]
enum Head<'de> {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(&'de str),
    /// EMPTY_LIST: the items follow.
    List,
    /// EMPTY_DICT: the pairs follow.
    Dict,
    /// `cls () NEWOBJ`, the class a global: an instance, whose state dict and BUILD follow
    /// when it has attributes.
    Object,
}

/// The decoding state: the input, the position, the open frame, the memo and the counts
/// behind the limits.
pub(crate) struct Stream<'de, 'o> {
    input: &'de [u8],
    pos: usize,
    /// Where the open frame ends, as brine-vm's machine keeps it.
    frame_end: Option<usize>,
    /// The memo, numbered as the machine numbers it: CPython's dense keys 0, 1, 2, ...; any
    /// other numbering falls back.
    memo: Vec<Option<Memoed<'de>>>,
    options: &'o Options,
    /// The head read by a `deserialize_*` that handed the value on (`deserialize_option`).
    pending: Option<Head<'de>>,
    /// Containers entered, and how deep the current one is.
    containers: u64,
    depth: usize,
    /// MARKs open.
    marks: usize,
    /// Values pushed so far: at least the machine's nodes and stack items.
    pushed: usize,
    /// str payload bytes so far.
    payload: u64,
    /// Values whose head was read so far.
    heads: u64,
}

impl<'de, 'o> Stream<'de, 'o> {
    fn new(input: &'de [u8], options: &'o Options) -> Stream<'de, 'o> {
        Stream {
            input,
            pos: 0,
            frame_end: None,
            memo: Vec::new(),
            options,
            pending: None,
            containers: 0,
            depth: 0,
            marks: 0,
            pushed: 0,
            payload: 0,
            heads: 0,
        }
    }

    /// PROTO, when the pickle opens with one.
    fn prologue(&mut self) -> Result<(), Error> {
        if self.input.first() != Some(&Opcode::PROTO.0) {
            return Ok(());
        }
        match brine_lex::lex_op(self.input, 0) {
            Ok((
                Op {
                    arg: Arg::Int(proto),
                    ..
                },
                next,
            )) if (0..=5).contains(&proto) => {
                self.pos = next;
                Ok(())
            }
            _ => Err(fallback()),
        }
    }

    /// STOP after the root value, with the frame rules the machine applies to it.
    fn stop(&mut self) -> Result<(), Error> {
        if self.code()? != Opcode::STOP || self.pending.is_some() {
            return Err(fallback());
        }
        if self.frame_end.is_some_and(|end| end > self.pos + 1) {
            return Err(fallback());
        }
        Ok(())
    }

    /// The opcode byte at the position, not consumed, with the frame rules applied at its
    /// start (a FRAME is run here, and the opcode after it returned).
    #[inline(always)]
    fn code(&mut self) -> Result<Opcode, Error> {
        loop {
            match self.frame_end {
                Some(end) if self.pos > end => return Err(fallback()),
                Some(end) if self.pos == end => self.frame_end = None,
                _ => {}
            }
            match self.input.get(self.pos) {
                Some(&byte) if byte != Opcode::FRAME.0 => return Ok(Opcode(byte)),
                Some(_) => self.frame()?,
                None => return Err(fallback()),
            }
        }
    }

    /// The hot opcode at the position (see [`Stream::code`]), decoded; any other opcode
    /// falls back.
    #[inline(always)]
    fn lex(&mut self) -> Result<(Opcode, HotArg<'de>, usize), Error> {
        self.code()?;
        brine_lex::lex_hot(self.input, self.pos).ok_or_else(fallback)
    }

    /// A FRAME at the position, run as the machine runs it; any other opcode falls back.
    #[cold]
    fn frame(&mut self) -> Result<(), Error> {
        let Ok((
            Op {
                code: Opcode::FRAME,
                arg: Arg::Size(len),
            },
            next,
        )) = brine_lex::lex_op(self.input, self.pos)
        else {
            return Err(fallback());
        };
        if self.frame_end.is_some() {
            return Err(fallback());
        }
        let end = usize::try_from(len)
            .ok()
            .and_then(|len| self.pos.checked_add(9)?.checked_add(len))
            .filter(|&end| end <= self.input.len())
            .ok_or_else(fallback)?;
        self.frame_end = Some(end);
        self.pos = next;
        Ok(())
    }

    /// Runs the memo puts at the position, each storing `what`.
    #[inline(always)]
    fn puts(&mut self, what: Memoed<'de>) -> Result<(), Error> {
        // Most values are not memoized (floats, ints, a record's values).
        if !matches!(
            self.input.get(self.pos).map(|&byte| Opcode(byte)),
            Some(Opcode::MEMOIZE | Opcode::BINPUT | Opcode::LONG_BINPUT | Opcode::FRAME)
        ) && self.frame_end != Some(self.pos)
        {
            return Ok(());
        }
        self.memo_puts(what)
    }

    /// [`Stream::puts`] when a put (or a frame) is next.
    fn memo_puts(&mut self, what: Memoed<'de>) -> Result<(), Error> {
        loop {
            let key = match self.code()? {
                Opcode::MEMOIZE => {
                    self.pos += 1;
                    self.memo.len()
                }
                Opcode::BINPUT | Opcode::LONG_BINPUT => match self.lex()? {
                    (_, HotArg::Int(key), next) => {
                        self.pos = next;
                        usize::try_from(key).map_err(|_| fallback())?
                    }
                    _ => return Err(fallback()),
                },
                _ => return Ok(()),
            };
            if key < self.memo.len() {
                self.memo[key] = Some(what);
            } else if key == self.memo.len() && self.memo.len() < self.options.limits.max_memo {
                self.memo.push(Some(what));
            } else {
                return Err(fallback());
            }
        }
    }

    /// Counts one pushed value against the machine's node and stack limits.
    #[inline(always)]
    fn push(&mut self) -> Result<(), Error> {
        self.pushed += 1;
        let limits = &self.options.limits;
        if self.pushed >= limits.max_nodes || self.pushed >= limits.max_stack {
            return Err(fallback());
        }
        Ok(())
    }

    /// Reads the first opcode of a value (and the memo puts after a scalar's, a str's or an
    /// empty container's).
    #[inline(always)]
    fn head(&mut self) -> Result<Head<'de>, Error> {
        if let Some(head) = self.pending.take() {
            return Ok(head);
        }
        self.code()?;
        let Some((code, arg, next)) = brine_lex::lex_hot(self.input, self.pos) else {
            return self.global();
        };
        let head = match (code, arg) {
            (_, HotArg::Int(value)) => match code {
                Opcode::BININT | Opcode::BININT1 | Opcode::BININT2 => Head::Int(value),
                Opcode::BINGET | Opcode::LONG_BINGET => {
                    match usize::try_from(value)
                        .ok()
                        .and_then(|key| self.memo.get(key).copied())
                    {
                        Some(Some(Memoed::Simple(head))) => head,
                        Some(Some(Memoed::Global)) => return self.fetched_class(next),
                        _ => return Err(fallback()),
                    }
                }
                _ => return Err(fallback()),
            },
            (_, HotArg::Float(value)) => Head::Float(value),
            (_, HotArg::Text(text)) => {
                self.payload += text.len() as u64;
                if self.payload > self.options.limits.max_bytes {
                    return Err(fallback());
                }
                Head::Str(text)
            }
            // A lone surrogate is an error the graph path reports.
            (_, HotArg::Str(_)) => return Err(fallback()),
            (Opcode::NONE, HotArg::None) => Head::None,
            (Opcode::NEWTRUE, HotArg::None) => Head::Bool(true),
            (Opcode::NEWFALSE, HotArg::None) => Head::Bool(false),
            (Opcode::EMPTY_LIST, HotArg::None) => Head::List,
            (Opcode::EMPTY_DICT, HotArg::None) => Head::Dict,
            _ => return Err(fallback()),
        };
        self.pos = next;
        self.heads += 1;
        self.push()?;
        match head {
            Head::List | Head::Dict | Head::Object => self.puts(Memoed::Opaque)?,
            _ => self.puts(Memoed::Simple(head))?,
        }
        Ok(head)
    }

    /// [`Stream::head`], or the instance a str head begins (see [`Stream::object`]): for
    /// the readers that take an instance.
    #[inline(always)]
    fn object_head(&mut self) -> Result<Head<'de>, Error> {
        let head = self.head()?;
        self.object(head)
    }

    /// `head`, or the instance it begins when it is the module of a STACK_GLOBAL: the str
    /// just read, then the class's name, STACK_GLOBAL and `() NEWOBJ`.
    ///
    /// Only the readers that take an instance look (a str, a string or a field name does
    /// not): a STACK_GLOBAL's module read as a str value leaves the STACK_GLOBAL, which
    /// nothing else reads, so the attempt falls back.
    #[inline(always)]
    fn object(&mut self, head: Head<'de>) -> Result<Head<'de>, Error> {
        match head {
            Head::Str(_) => self.module(head),
            head => Ok(head),
        }
    }

    /// [`Stream::object`] of a str head, kept out of the readers' loops.
    #[inline(never)]
    fn module(&mut self, head: Head<'de>) -> Result<Head<'de>, Error> {
        if self.stack_global_follows() {
            return self.stack_global();
        }
        Ok(head)
    }

    /// Whether a str or a memo GET, its memo puts and STACK_GLOBAL are next, read ahead
    /// without decoding the str (a FRAME between them says no, and the attempt falls back).
    #[inline]
    fn stack_global_follows(&self) -> bool {
        let input = self.input;
        let pos = self.pos;
        let mut end = match input.get(pos).map(|&byte| Opcode(byte)) {
            Some(Opcode::SHORT_BINUNICODE) => match input.get(pos + 1) {
                Some(&len) => pos + 2 + usize::from(len),
                None => return false,
            },
            Some(Opcode::BINUNICODE) => {
                let len = input
                    .get(pos + 1..pos + 5)
                    .and_then(|len| <[u8; 4]>::try_from(len).ok())
                    .map(u32::from_le_bytes)
                    .and_then(|len| usize::try_from(len).ok());
                match len {
                    Some(len) => (pos + 5).saturating_add(len),
                    None => return false,
                }
            }
            Some(Opcode::BINGET) => pos + 2,
            Some(Opcode::LONG_BINGET) => pos + 5,
            _ => return false,
        };
        loop {
            match input.get(end).map(|&byte| Opcode(byte)) {
                Some(Opcode::MEMOIZE) => end += 1,
                Some(Opcode::BINPUT) => end += 2,
                Some(Opcode::LONG_BINPUT) => end += 5,
                Some(Opcode::STACK_GLOBAL) => return true,
                _ => return false,
            }
        }
    }

    /// The class's name and STACK_GLOBAL, after its module, then `() NEWOBJ`.
    #[inline(never)]
    fn stack_global(&mut self) -> Result<Head<'de>, Error> {
        let Head::Str(_) = self.head()? else {
            // Another operand (a str is what STACK_GLOBAL takes): the graph path says what.
            return Err(fallback());
        };
        self.expect(Opcode::STACK_GLOBAL)?;
        self.class()
    }

    /// A GLOBAL at the position, then `() NEWOBJ`; any other opcode [`brine_lex::lex_hot`]
    /// does not decode falls back.
    #[cold]
    #[inline(never)]
    fn global(&mut self) -> Result<Head<'de>, Error> {
        let Ok((
            Op {
                code: Opcode::GLOBAL,
                arg: Arg::Pair(module, name),
            },
            next,
        )) = brine_lex::lex_op(self.input, self.pos)
        else {
            return Err(fallback());
        };
        // The machine rejects names that are not UTF-8.
        if std::str::from_utf8(module).is_err() || std::str::from_utf8(name).is_err() {
            return Err(fallback());
        }
        self.payload += (module.len() + name.len()) as u64;
        if self.payload > self.options.limits.max_bytes {
            return Err(fallback());
        }
        self.pos = next;
        self.class()
    }

    /// A class fetched from the memo by the GET before `next`, then `() NEWOBJ`: kept out
    /// of [`Stream::head`], which every value runs.
    #[inline(never)]
    fn fetched_class(&mut self, next: usize) -> Result<Head<'de>, Error> {
        self.pos = next;
        self.push()?;
        self.puts(Memoed::Global)?;
        self.newobj()
    }

    /// The class global just read, as the machine counts it (at most three nodes: the
    /// names, which fix_imports may replace, and the global), and its memo puts; then
    /// `() NEWOBJ`.
    fn class(&mut self) -> Result<Head<'de>, Error> {
        // A policy decides on the names after fix_imports: the graph path applies it.
        if !matches!(self.options.find_class, FindClass::KeepAll) {
            return Err(fallback());
        }
        for _ in 0..3 {
            self.push()?;
        }
        self.puts(Memoed::Global)?;
        self.newobj()
    }

    /// `() NEWOBJ` after a class, and the memo puts of each: `cls.__new__(cls)`, which
    /// brine-interpret reads as an instance whatever the class (only a REDUCE's callable
    /// can make another value of it).
    fn newobj(&mut self) -> Result<Head<'de>, Error> {
        self.expect(Opcode::EMPTY_TUPLE)?;
        self.push()?;
        self.puts(Memoed::Opaque)?;
        self.expect(Opcode::NEWOBJ)?;
        self.heads += 1;
        self.push()?;
        self.puts(Memoed::Opaque)?;
        Ok(Head::Object)
    }

    /// Whether the opcodes at the position are one scalar or str (with its memo puts) and
    /// then `then`: a list's APPEND item, a dict's SETITEM key. Returns where `then` is.
    fn simple_then(&self, pos: usize, then: Opcode) -> Option<usize> {
        let end = self.simple(pos)?;
        (self.input.get(end) == Some(&then.0)).then_some(end)
    }

    /// The end of the one scalar or str at `pos` and its memo puts, read ahead.
    fn simple(&self, pos: usize) -> Option<usize> {
        let (code, _, mut end) = brine_lex::lex_hot(self.input, pos)?;
        let simple = matches!(
            code,
            Opcode::BININT
                | Opcode::BININT1
                | Opcode::BININT2
                | Opcode::BINFLOAT
                | Opcode::SHORT_BINUNICODE
                | Opcode::BINUNICODE
                | Opcode::BINGET
                | Opcode::LONG_BINGET
                | Opcode::NONE
                | Opcode::NEWTRUE
                | Opcode::NEWFALSE
        );
        if !simple {
            return None;
        }
        while let Some((Opcode::MEMOIZE | Opcode::BINPUT | Opcode::LONG_BINPUT, _, next)) =
            brine_lex::lex_hot(self.input, end)
        {
            end = next;
        }
        Some(end)
    }

    /// One value, deserialized by `seed`; read past when the seed did not read it (the graph
    /// path hands a seed its value, and what it leaves is left).
    #[inline(always)]
    fn value<S: de::DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, Error> {
        let before = self.heads;
        let value = seed.deserialize(&mut *self)?;
        if self.pending.is_some() || self.heads == before {
            self.unread()?;
        }
        Ok(value)
    }

    /// Reads past the value a seed left: its head is pending, or not read.
    #[cold]
    #[inline(never)]
    fn unread(&mut self) -> Result<(), Error> {
        let head = match self.pending.take() {
            Some(head) => head,
            None => self.object_head()?,
        };
        self.visit(head, de::IgnoredAny)?;
        Ok(())
    }

    /// Consumes the one-byte opcode `code` at the position, or falls back.
    #[inline]
    fn expect(&mut self, code: Opcode) -> Result<(), Error> {
        if self.code()? != code {
            return Err(fallback());
        }
        self.pos += 1;
        Ok(())
    }

    /// Opens a MARK.
    fn mark(&mut self) -> Result<(), Error> {
        if self.marks + 1 >= self.options.limits.max_depth {
            return Err(fallback());
        }
        self.marks += 1;
        Ok(())
    }

    /// Enters a container, within the graph path's depth limit and expansion budget.
    fn enter(&mut self) -> Result<(), Error> {
        self.containers += 1;
        if self.depth >= self.options.max_depth || self.containers >= MIN_CONTAINER_BUDGET {
            return Err(fallback());
        }
        self.depth += 1;
        Ok(())
    }

    /// A value whose head is read, as the graph path's `any` visits it.
    fn visit<V: Visitor<'de>>(&mut self, head: Head<'de>, visitor: V) -> Result<V::Value, Error> {
        match head {
            Head::None => visitor.visit_unit(),
            Head::Bool(v) => visitor.visit_bool(v),
            Head::Int(v) => visitor.visit_i64(v),
            Head::Float(v) => visitor.visit_f64(v),
            Head::Str(text) => visitor.visit_borrowed_str(text),
            Head::List => {
                self.enter()?;
                let mut access = ListAccess::new(self);
                let value = visitor.visit_seq(&mut access)?;
                access.finish()?;
                self.depth -= 1;
                Ok(value)
            }
            Head::Dict | Head::Object => {
                self.enter()?;
                // One visit of a map for both, so that each visitor has one.
                let object = matches!(head, Head::Object);
                let build = object && self.state()?;
                let mut access = if object && !build {
                    DictAccess::empty(self)
                } else {
                    DictAccess::new(self)
                };
                let value = visitor.visit_map(&mut access)?;
                access.finish()?;
                if build {
                    self.expect(Opcode::BUILD)?;
                }
                self.depth -= 1;
                Ok(value)
            }
        }
    }

    /// After an instance's NEWOBJ, whether a state dict follows (then read up to its pairs):
    /// the graph path reads an instance whose state is a dict as that dict's pairs (its
    /// `__dict__`), and one with no state as an empty map. A dict here is taken for the
    /// state, so BUILD must follow its pairs.
    #[inline(never)]
    fn state(&mut self) -> Result<bool, Error> {
        if self.code()? != Opcode::EMPTY_DICT {
            return Ok(false);
        }
        self.head()?;
        Ok(true)
    }
}

/// The methods follow `crate::de`'s `ValueDe` for every value this path reads: a scalar where
/// a number is asked for converts as it does there, and every container reads as what it is.
impl<'de> de::Deserializer<'de> for &mut Stream<'de, '_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let head = self.object_head()?;
        self.visit(head, visitor)
    }

    // A map reads as `any` does, an instance included, as on the graph path.
    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let head = self.object_head()?;
        self.visit(head, visitor)
    }

    // These read a value as `any` does, without looking for an instance: the graph path
    // reads one as a map, which their visitors do not take, and a class's module read here
    // as a str leaves a STACK_GLOBAL that ends the attempt.
    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.plain(visitor)
    }
    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.plain(visitor)
    }
    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.plain(visitor)
    }
    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.plain(visitor)
    }
    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.plain(visitor)
    }
    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.plain(visitor)
    }
    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.plain(visitor)
    }

    // The graph path reads an instance as a sequence only from its arguments or list
    // items, and as `()` only without state: neither is read here.
    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.not_object(visitor)
    }
    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.not_object(visitor)
    }
    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.not_object(visitor)
    }
    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.not_object(visitor)
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.object_head()? {
            // A unit struct mapped to a class: the instance, its state ignored.
            Head::Object => {
                self.visit(Head::Object, de::IgnoredAny)?;
                visitor.visit_unit()
            }
            head => self.visit(head, visitor),
        }
    }

    fn deserialize_i8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.integer(visitor)
    }
    fn deserialize_i16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.integer(visitor)
    }
    fn deserialize_i32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.integer(visitor)
    }
    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.integer(visitor)
    }
    fn deserialize_i128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.integer(visitor)
    }
    fn deserialize_u8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.integer(visitor)
    }
    fn deserialize_u16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.integer(visitor)
    }
    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.integer(visitor)
    }
    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.integer(visitor)
    }
    fn deserialize_u128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.integer(visitor)
    }
    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.float(visitor)
    }
    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.float(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.head()? {
            Head::None => visitor.visit_none(),
            head => {
                self.pending = Some(head);
                visitor.visit_some(self)
            }
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        if name == crate::INSTANCE_TOKEN {
            // A PyInstance names the class: only the graph has one.
            return Err(fallback());
        }
        let head = self.object_head()?;
        self.visit(head, visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Error> {
        Err(fallback())
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        // The graph path reads nothing of an ignored value; here it is read past, and only
        // then visited as nothing.
        let head = self.object_head()?;
        self.visit(head, de::IgnoredAny)?;
        visitor.visit_unit()
    }
}

impl<'de> Stream<'de, '_> {
    /// A value as `any` reads it, an instance not looked for.
    fn plain<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value, Error> {
        let head = self.head()?;
        self.visit(head, visitor)
    }

    /// [`Stream::plain`], falling back on an instance.
    fn not_object<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value, Error> {
        match self.head()? {
            Head::Object => Err(fallback()),
            head => self.visit(head, visitor),
        }
    }

    fn integer<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value, Error> {
        match self.head()? {
            // bool is a subclass of int in Python: True is 1.
            Head::Bool(v) => visitor.visit_u64(u64::from(v)),
            head => self.visit(head, visitor),
        }
    }

    fn float<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value, Error> {
        // A BINFLOAT inside the open frame (an item of a list of floats), read in place.
        if self.pending.is_none() && self.frame_end.is_none_or(|end| self.pos < end) {
            let binfloat = self
                .input
                .get(self.pos..self.pos.saturating_add(9))
                .and_then(|op| op.split_first())
                .filter(|(code, _)| **code == Opcode::BINFLOAT.0)
                .and_then(|(_, bits)| <[u8; 8]>::try_from(bits).ok());
            if let Some(bits) = binfloat {
                let value = f64::from_be_bytes(bits);
                self.pos += 9;
                self.heads += 1;
                self.push()?;
                self.puts(Memoed::Simple(Head::Float(value)))?;
                return visitor.visit_f64(value);
            }
        }
        match self.head()? {
            // An int where a float is expected, as Python's float() takes it.
            Head::Int(v) => visitor.visit_f64(v as f64),
            head => self.visit(head, visitor),
        }
    }
}
