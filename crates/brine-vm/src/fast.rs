//! The decoding loop over a slice, with the hot opcodes decoded in place.
//!
//! Most of a pickle is a handful of opcodes: small ints, floats, short strs, memo puts and
//! gets, MARK and the empty containers. Here they are decoded straight from the input and run
//! without building an [`Op`]; every other opcode, and any of these that is not
//! well-formed (truncated, invalid UTF-8), goes through the lexer and [`Machine::step`], so
//! the lexer stays the one place that reports malformed input.
//!
//! The same loop runs over the chunks of a stream (`crate::read`): a reader's buffer or a
//! frame. A chunk is not the whole input, so an opcode cut by its end is handed back to the
//! caller instead of being reported as truncated.

use std::borrow::Cow;

use brine_lex::{Arg, ArgKind, Op, Opcode};
use brine_value::{Node, PyStr, Value};

use crate::error::{Error, ErrorKind};
use crate::machine::{Machine, Step};

/// Where a run over a chunk stopped.
pub(crate) enum Chunk {
    /// STOP ran: the pickle's result, and the position after STOP.
    Stop(Value, usize),
    /// The opcode at this position is cut by the chunk's end, or the chunk ends here.
    More(usize),
    /// A FRAME opened a frame that ends past the chunk: the frame starts at this position and
    /// claims this many bytes.
    Frame(usize, u64),
}

impl Machine<'_> {
    /// Runs the pickle that starts at `data[pos]` through its STOP; returns the result and
    /// the offset after STOP.
    pub(crate) fn run_slice(&mut self, data: &[u8], pos: usize) -> Result<(Value, usize), Error> {
        match self.run_chunk::<true>(data, pos, 0)? {
            Chunk::Stop(root, end) => Ok((root, end)),
            // A final chunk reports its end as NoStop and never asks for a frame.
            Chunk::More(end) | Chunk::Frame(end, _) => Err(Error::new(
                ErrorKind::Lex(brine_lex::LexErrorKind::NoStop),
                end as u64,
                None,
            )),
        }
    }

    /// Runs the opcodes of `data` from `data[pos]`, where `data[0]` is at offset `base` of the
    /// pickle (offsets in errors and frames are the pickle's).
    ///
    /// When `FINAL`, `data` is the whole rest of the input: the run ends at STOP or with an
    /// error. Otherwise more input follows `data`, and the run also ends with
    /// [`Chunk::More`] at an opcode `data` does not hold whole (the lexer would call it
    /// truncated), and with [`Chunk::Frame`] after a FRAME whose frame `data` does not hold.
    pub(crate) fn run_chunk<const FINAL: bool>(
        &mut self,
        data: &[u8],
        mut pos: usize,
        base: u64,
    ) -> Result<Chunk, Error> {
        loop {
            let start = pos;
            let offset = base + start as u64;
            let Some(&byte) = data.get(pos) else {
                if !FINAL {
                    return Ok(Chunk::More(pos));
                }
                return Err(self.slow_error(data, pos, base));
            };
            let code = Opcode(byte);
            let fast = match byte {
                b'K' => data.get(pos + 1).map(|&v| (FastArg::Int(i64::from(v)), 2)),
                b'M' => data
                    .get(pos + 1..pos + 3)
                    .map(|b| (FastArg::Int(i64::from(u16::from_le_bytes([b[0], b[1]]))), 3)),
                b'J' => data.get(pos + 1..pos + 5).map(|b| {
                    (
                        FastArg::Int(i64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]]))),
                        5,
                    )
                }),
                b'G' => data.get(pos + 1..pos + 9).map(|b| {
                    let mut bits = [0u8; 8];
                    bits.copy_from_slice(b);
                    (FastArg::Float(f64::from_be_bytes(bits)), 9)
                }),
                b'q' => data.get(pos + 1).map(|&k| (FastArg::Put(u64::from(k)), 2)),
                b'h' => data.get(pos + 1).map(|&k| (FastArg::Get(u64::from(k)), 2)),
                b'r' => data.get(pos + 1..pos + 5).map(|b| {
                    (
                        FastArg::Put(u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))),
                        5,
                    )
                }),
                b'j' => data.get(pos + 1..pos + 5).map(|b| {
                    (
                        FastArg::Get(u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))),
                        5,
                    )
                }),
                0x8c => data.get(pos + 1).and_then(|&len| {
                    let end = pos + 2 + usize::from(len);
                    data.get(pos + 2..end)
                        .map(|text| (FastArg::Str(text), end - pos))
                }),
                b'X' => data.get(pos + 1..pos + 5).and_then(|b| {
                    let len = u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize;
                    let end = (pos + 5).checked_add(len)?;
                    data.get(pos + 5..end)
                        .map(|text| (FastArg::Str(text), end - pos))
                }),
                b'N' => Some((FastArg::Scalar(Value::None), 1)),
                0x88 => Some((FastArg::Scalar(Value::Bool(true)), 1)),
                0x89 => Some((FastArg::Scalar(Value::Bool(false)), 1)),
                0x94 => Some((FastArg::Memoize, 1)),
                b']' => Some((FastArg::Empty(Empty::List), 1)),
                b'}' => Some((FastArg::Empty(Empty::Dict), 1)),
                b')' => Some((FastArg::Empty(Empty::Tuple), 1)),
                _ if code.arg_kind() == Some(ArgKind::None) => Some((FastArg::None, 1)),
                _ => None,
            };
            let Some((arg, len)) = fast else {
                let (op, next) = match brine_lex::lex_op(data, pos) {
                    Ok(lexed) => lexed,
                    Err(err) if !FINAL && err.is_eof() => return Ok(Chunk::More(pos)),
                    Err(err) => return Err(Error::from_lex(err, base)),
                };
                pos = next;
                let frame_len = frame_len(&op.arg);
                if let Step::Stop(root) = self.step(offset, op)? {
                    return Ok(Chunk::Stop(root, pos));
                }
                // A frame the chunk does not hold whole is read by the caller, so that a
                // frame cut short is reported at its FRAME, as from a slice.
                if let Some(len) = frame_len.filter(|_| !FINAL) {
                    if self
                        .frame_end()
                        .is_some_and(|frame_end| frame_end > base + data.len() as u64)
                    {
                        return Ok(Chunk::Frame(pos, len));
                    }
                }
                continue;
            };
            pos += len;
            match arg {
                // The argument-less opcodes of containers, run without the general step.
                FastArg::None if is_container_op(code) => {
                    self.begin(offset, code)?;
                    match code {
                        Opcode::MARK => self.mark()?,
                        Opcode::APPEND => self.append_one()?,
                        Opcode::APPENDS => self.appends()?,
                        Opcode::SETITEM => self.set_item()?,
                        Opcode::SETITEMS => self.set_items_marked()?,
                        _ => self.small_tuple(code)?,
                    }
                }
                FastArg::None => {
                    let op = Op {
                        code,
                        arg: Arg::None,
                    };
                    if let Step::Stop(root) = self.step(offset, op)? {
                        return Ok(Chunk::Stop(root, pos));
                    }
                    if code == Opcode::BUILD && self.after_build.is_some() {
                        pos = self.after_build::<FINAL>(data, pos)?;
                    }
                }
                FastArg::Scalar(value) => {
                    self.begin(offset, code)?;
                    self.push(value)?;
                }
                FastArg::Memoize => {
                    self.begin(offset, code)?;
                    let key = self.memo.len() as u64;
                    self.memo_put(key)?;
                }
                FastArg::Empty(kind) => {
                    self.begin(offset, code)?;
                    self.push_node(match kind {
                        Empty::List => Node::List(Vec::new()),
                        Empty::Dict => Node::Dict(Vec::new()),
                        Empty::Tuple => Node::Tuple(Vec::new()),
                    })?;
                }
                FastArg::Int(value) => {
                    self.begin(offset, code)?;
                    self.push(Value::Int(value))?;
                }
                FastArg::Float(value) => {
                    self.begin(offset, code)?;
                    self.push(Value::Float(value))?;
                }
                FastArg::Put(key) => {
                    self.begin(offset, code)?;
                    self.memo_put(key)?;
                }
                FastArg::Get(key) => {
                    self.begin(offset, code)?;
                    let Some(value) = self.memo.get(key) else {
                        return Err(self.error(ErrorKind::MemoKeyMissing(key)));
                    };
                    let value = *value;
                    self.got(value);
                    self.push(value)?;
                }
                FastArg::Str(text) => {
                    if brine_lex::pystr::validate(text).is_err() {
                        // The lexer reports the malformed text.
                        return Err(self.slow_error(data, start, base));
                    }
                    self.begin(offset, code)?;
                    let text = self.payload(Cow::Borrowed(text))?;
                    let node = self.add(Node::Str(PyStr::from_surrogatepass_unchecked(text)))?;
                    self.push(node)?;
                }
            }
        }
    }

    /// Sets the opcode errors name and applies the frame rules, as [`Machine::step`] does.
    #[inline]
    fn begin(&mut self, offset: u64, code: Opcode) -> Result<(), Error> {
        self.offset = offset;
        self.code = code;
        self.check_frame()
    }

    /// The lexer's error for the opcode at `pos` (which the fast path found malformed).
    fn slow_error(&self, data: &[u8], pos: usize, base: u64) -> Error {
        match brine_lex::lex_op(data, pos) {
            Err(err) => Error::from_lex(err, base),
            // The fast path only bails out on input the lexer rejects.
            Ok(_) => Error::new(
                ErrorKind::Lex(brine_lex::LexErrorKind::InvalidUtf8(0)),
                base + pos as u64,
                None,
            ),
        }
    }
}

/// An argument decoded by the fast path.
enum FastArg<'a> {
    /// An opcode without argument, run by [`Machine::step`].
    None,
    Scalar(Value),
    Memoize,
    Empty(Empty),
    Int(i64),
    Float(f64),
    Put(u64),
    Get(u64),
    Str(&'a [u8]),
}

/// The empty containers EMPTY_LIST, EMPTY_DICT and EMPTY_TUPLE make.
enum Empty {
    List,
    Dict,
    Tuple,
}

/// FRAME's length (the only Size argument), as it claims it.
pub(crate) fn frame_len(arg: &Arg<'_>) -> Option<u64> {
    match *arg {
        Arg::Size(len) => Some(len),
        _ => None,
    }
}

/// The argument-less opcodes [`Machine::run_chunk`] runs itself.
#[inline]
fn is_container_op(code: Opcode) -> bool {
    matches!(
        code,
        Opcode::MARK
            | Opcode::APPEND
            | Opcode::APPENDS
            | Opcode::SETITEM
            | Opcode::SETITEMS
            | Opcode::TUPLE1
            | Opcode::TUPLE2
            | Opcode::TUPLE3
    )
}
