//! The decoding loop over a slice, with the hot opcodes run in place.
//!
//! Most of a pickle is a handful of opcodes: small ints, floats, short strs, memo puts and
//! gets, MARK and the empty containers. Here the loop matches the opcode byte once, reads the
//! argument with brine-lex's reader for that opcode ([`brine_lex::hot_uint1`] and the others,
//! the readers [`brine_lex::lex_hot`] is made of) and runs the opcode without the general
//! [`Machine::step`]; every other opcode, and one a reader declines, goes through
//! [`brine_lex::lex_op`] and `step`. The lexer is the one decoder and the one place that
//! reports malformed input.
//!
//! The same loop runs over the chunks of a stream (`crate::read`): a reader's buffer or a
//! frame. A chunk is not the whole input, so an opcode cut by its end is handed back to the
//! caller instead of being reported as truncated.

use brine_lex::{Arg, Opcode};
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
        'opcodes: loop {
            let offset = base + pos as u64;
            // The hot opcodes: one match on the opcode byte goes straight to the action, with
            // brine-lex's reader of the opcode's argument. A reader's `None` (the opcode is
            // cut short or malformed) and every other opcode leave the block for the general
            // path below, where the lexer says what is wrong.
            'general: {
                let Some(&byte) = data.get(pos) else {
                    break 'general;
                };
                let code = Opcode(byte);
                match code {
                    Opcode::BININT1 => {
                        let Some((value, next)) = brine_lex::hot_uint1(data, pos) else {
                            break 'general;
                        };
                        pos = next;
                        self.push_scalar(offset, code, Value::Int(value.into()))?;
                    }
                    Opcode::BININT2 => {
                        let Some((value, next)) = brine_lex::hot_uint2(data, pos) else {
                            break 'general;
                        };
                        pos = next;
                        self.push_scalar(offset, code, Value::Int(value.into()))?;
                    }
                    Opcode::BININT => {
                        let Some((value, next)) = brine_lex::hot_int4(data, pos) else {
                            break 'general;
                        };
                        pos = next;
                        self.push_scalar(offset, code, Value::Int(value.into()))?;
                    }
                    Opcode::BINFLOAT => {
                        let Some((value, next)) = brine_lex::hot_float8(data, pos) else {
                            break 'general;
                        };
                        pos = next;
                        self.push_scalar(offset, code, Value::Float(value))?;
                    }
                    // Memo keys: BINPUT's and BINGET's are one unsigned byte, LONG_BINPUT's
                    // and LONG_BINGET's four.
                    Opcode::BINPUT => {
                        let Some((key, next)) = brine_lex::hot_uint1(data, pos) else {
                            break 'general;
                        };
                        pos = next;
                        self.begin(offset, code)?;
                        self.memo_put(key.into())?;
                    }
                    Opcode::LONG_BINPUT => {
                        let Some((key, next)) = brine_lex::hot_uint4(data, pos) else {
                            break 'general;
                        };
                        pos = next;
                        self.begin(offset, code)?;
                        self.memo_put(key.into())?;
                    }
                    Opcode::BINGET => {
                        let Some((key, next)) = brine_lex::hot_uint1(data, pos) else {
                            break 'general;
                        };
                        pos = next;
                        self.memo_get(offset, code, key.into())?;
                    }
                    Opcode::LONG_BINGET => {
                        let Some((key, next)) = brine_lex::hot_uint4(data, pos) else {
                            break 'general;
                        };
                        pos = next;
                        self.memo_get(offset, code, key.into())?;
                    }
                    Opcode::SHORT_BINUNICODE => {
                        let Some((text, next)) = brine_lex::hot_unicodestring1(data, pos) else {
                            break 'general;
                        };
                        pos = next;
                        self.push_str(offset, code, text)?;
                    }
                    Opcode::BINUNICODE => {
                        let Some((text, next)) = brine_lex::hot_unicodestring4(data, pos) else {
                            break 'general;
                        };
                        pos = next;
                        self.push_str(offset, code, text)?;
                    }
                    // The argument-less opcodes of scalars, the memo and containers; the
                    // others go through the general path and the general step.
                    _ => {
                        match code {
                            Opcode::NONE => self.push_scalar(offset, code, Value::None)?,
                            Opcode::NEWTRUE => self.push_scalar(offset, code, Value::Bool(true))?,
                            Opcode::NEWFALSE => {
                                self.push_scalar(offset, code, Value::Bool(false))?
                            }
                            Opcode::EMPTY_LIST => {
                                self.push_empty(offset, code, Node::List(Vec::new()))?
                            }
                            Opcode::EMPTY_DICT => {
                                self.push_empty(offset, code, Node::Dict(Vec::new()))?
                            }
                            Opcode::EMPTY_TUPLE => {
                                self.push_empty(offset, code, Node::Tuple(Vec::new()))?
                            }
                            Opcode::MEMOIZE => {
                                self.begin(offset, code)?;
                                let key = self.memo.len() as u64;
                                self.memo_put(key)?;
                            }
                            Opcode::MARK => {
                                self.begin(offset, code)?;
                                self.mark()?;
                            }
                            Opcode::APPEND => {
                                self.begin(offset, code)?;
                                self.append_one()?;
                            }
                            Opcode::APPENDS => {
                                self.begin(offset, code)?;
                                self.appends()?;
                            }
                            Opcode::SETITEM => {
                                self.begin(offset, code)?;
                                self.set_item()?;
                            }
                            Opcode::SETITEMS => {
                                self.begin(offset, code)?;
                                self.set_items_marked()?;
                            }
                            Opcode::TUPLE1 | Opcode::TUPLE2 | Opcode::TUPLE3 => {
                                self.begin(offset, code)?;
                                self.small_tuple(code)?;
                            }
                            Opcode::TUPLE => {
                                self.begin(offset, code)?;
                                self.tuple()?;
                            }
                            Opcode::STACK_GLOBAL => {
                                self.begin(offset, code)?;
                                self.stack_global_op()?;
                            }
                            Opcode::REDUCE => {
                                self.begin(offset, code)?;
                                self.reduce()?;
                            }
                            Opcode::NEWOBJ => {
                                self.begin(offset, code)?;
                                self.new_obj()?;
                            }
                            Opcode::BUILD => {
                                self.begin(offset, code)?;
                                self.build()?;
                                pos += 1;
                                if self.after_build.is_some() {
                                    pos = self.after_build::<FINAL>(data, pos)?;
                                }
                                continue 'opcodes;
                            }
                            _ => break 'general,
                        }
                        pos += 1;
                    }
                }
                continue 'opcodes;
            }
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
            // A frame the chunk does not hold whole is read by the caller, so that a frame
            // cut short is reported at its FRAME, as from a slice.
            if let Some(len) = frame_len.filter(|_| !FINAL) {
                if self
                    .frame_end()
                    .is_some_and(|frame_end| frame_end > base + data.len() as u64)
                {
                    return Ok(Chunk::Frame(pos, len));
                }
            }
        }
    }

    /// BINGET, LONG_BINGET: pushes the value the memo holds under `key`.
    #[inline(always)]
    fn memo_get(&mut self, offset: u64, code: Opcode, key: u64) -> Result<(), Error> {
        self.begin(offset, code)?;
        let Some(value) = self.memo.get(key) else {
            return Err(self.error(ErrorKind::MemoKeyMissing(key)));
        };
        self.got(value);
        self.push(value)?;
        self.refetch(value);
        Ok(())
    }

    /// SHORT_BINUNICODE, BINUNICODE: pushes a str of the text.
    #[inline(always)]
    fn push_str(&mut self, offset: u64, code: Opcode, text: &[u8]) -> Result<(), Error> {
        self.begin(offset, code)?;
        let text = self.payload_slice(text)?;
        let node = self.add(Node::Str(PyStr::from_surrogatepass_unchecked(text)))?;
        self.push(node)
    }

    /// Pushes the scalar an argument-less opcode makes.
    #[inline]
    fn push_scalar(&mut self, offset: u64, code: Opcode, value: Value) -> Result<(), Error> {
        self.begin(offset, code)?;
        self.push(value)
    }

    /// Pushes the empty container an argument-less opcode makes.
    #[inline]
    fn push_empty(&mut self, offset: u64, code: Opcode, node: Node) -> Result<(), Error> {
        self.begin(offset, code)?;
        self.push_node(node)
    }

    /// Sets the opcode errors name and applies the frame rules, as [`Machine::step`] does.
    #[inline]
    fn begin(&mut self, offset: u64, code: Opcode) -> Result<(), Error> {
        self.offset = offset;
        self.code = code;
        self.settle()
    }
}

/// FRAME's length (the only Size argument), as it claims it.
pub(crate) fn frame_len(arg: &Arg<'_>) -> Option<u64> {
    match *arg {
        Arg::Size(len) => Some(len),
        _ => None,
    }
}
