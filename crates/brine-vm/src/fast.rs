//! The decoding loop over a slice, with the hot opcodes decoded in place.
//!
//! Most of a pickle is a handful of opcodes: small ints, floats, short strs, memo puts and
//! gets, MARK and the empty containers. Here they are decoded straight from the input and run
//! without building an [`Op`]; every other opcode, and any of these that is not
//! well-formed (truncated, invalid UTF-8), goes through the lexer and [`Machine::step`], so
//! the lexer stays the one place that reports malformed input.

use std::borrow::Cow;

use brine_lex::{Arg, ArgKind, Op, Opcode};
use brine_value::{Node, PyStr, Value};

use crate::error::{Error, ErrorKind};
use crate::machine::{Machine, Step};

impl Machine<'_> {
    /// Runs the pickle that starts at `data[pos]` through its STOP; returns the result and
    /// the offset after STOP.
    pub(crate) fn run_slice(
        &mut self,
        data: &[u8],
        mut pos: usize,
    ) -> Result<(Value, usize), Error> {
        loop {
            let offset = pos;
            let Some(&byte) = data.get(pos) else {
                return Err(self.slow_error(data, pos));
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
                let (op, next) = brine_lex::lex_op(data, pos).map_err(Error::from_lex)?;
                pos = next;
                if let Step::Stop(root) = self.step(offset as u64, op)? {
                    return Ok((root, pos));
                }
                continue;
            };
            pos += len;
            match arg {
                FastArg::None => {
                    let op = Op {
                        code,
                        arg: Arg::None,
                    };
                    if let Step::Stop(root) = self.step(offset as u64, op)? {
                        return Ok((root, pos));
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
                    self.push(value)?;
                }
                FastArg::Str(text) => {
                    if brine_lex::pystr::validate(text).is_err() {
                        // The lexer reports the malformed text.
                        return Err(self.slow_error(data, offset));
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
    fn begin(&mut self, offset: usize, code: Opcode) -> Result<(), Error> {
        self.offset = offset as u64;
        self.code = code;
        self.check_frame()
    }

    /// The lexer's error for the opcode at `pos` (which the fast path found malformed).
    fn slow_error(&self, data: &[u8], pos: usize) -> Error {
        match brine_lex::lex_op(data, pos) {
            Err(err) => Error::from_lex(err),
            // The fast path only bails out on input the lexer rejects.
            Ok(_) => Error::new(
                ErrorKind::Lex(brine_lex::LexErrorKind::InvalidUtf8(0)),
                pos as u64,
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
