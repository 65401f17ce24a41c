//! Decoding from a reader, through the same loop as a slice.
//!
//! The opcodes run in place from the reader's own buffer (`BufRead::fill_buf`) through the
//! slice loop of `fast.rs`, and are consumed once run. Three things leave that path:
//!
//! - a FRAME whose frame the buffer does not hold whole: the frame is read into one buffer,
//!   reused from frame to frame, and the same loop runs over it. CPython reads frames whole
//!   too, and so a frame cut short is an error at its FRAME, as it is from a slice;
//! - an opcode cut by the end of a buffer: `brine_lex::read_op` completes its bytes in a small
//!   buffer, and [`Machine::step`] runs it;
//! - such an opcode when it is long (a large bytes or str payload, which CPython writes
//!   outside frames): its buffer, filled straight from the reader, becomes the payload
//!   instead of being copied out of.
//!
//! Buffers grow with the bytes that arrive, never with what a length prefix claims, and
//! nothing past STOP is consumed: bytes the reader buffered after it stay there, so the next
//! pickle of a stream loads from the same reader.

use std::io::{self, BufRead, Read};

use brine_lex::{LexErrorKind, Opcode};
use brine_value::Value;
use bytes::Bytes;

use crate::error::{Error, ErrorKind};
use crate::fast::{Chunk, frame_len};
use crate::machine::{Machine, Step};

/// An opcode read into a buffer of its own that is at least this long keeps the buffer as
/// its payload. The size of CPython's frames: every longer opcode is written outside them.
const OWN_BUFFER_MIN: usize = 64 << 10;

impl Machine<'_> {
    /// Runs the pickle at the reader's position through its STOP, and leaves the reader just
    /// after STOP.
    pub(crate) fn run_reader<R: BufRead>(&mut self, reader: R) -> Result<Value, Error> {
        let mut stream = Stream {
            reader,
            pos: 0,
            op: Vec::new(),
            frame: Vec::new(),
        };
        let mut next = Next::Buffered;
        loop {
            next = match next {
                Next::Buffered => stream.buffered(self)?,
                Next::Straddling(offset) => stream.straddling(self, offset)?,
                Next::Frame { offset, len } => stream.frame(self, offset, len)?,
                Next::Done(root) => return Ok(root),
            };
        }
    }
}

/// What to read next.
enum Next {
    /// Opcodes in place from the reader's buffer.
    Buffered,
    /// The rest of the opcode at this offset, whose first bytes are in `Stream::op`.
    Straddling(u64),
    /// The frame opened by the FRAME at `offset`: the next `len` bytes.
    Frame { offset: u64, len: u64 },
    /// STOP ran, with this result.
    Done(Value),
}

struct Stream<R> {
    reader: R,
    /// The offset of the reader's position in the pickle.
    pos: u64,
    /// An opcode cut by the end of a buffer.
    op: Vec<u8>,
    /// A frame the reader's buffer did not hold whole.
    frame: Vec<u8>,
}

impl<R: BufRead> Stream<R> {
    /// Runs the opcodes the reader's buffer holds, in place.
    fn buffered(&mut self, machine: &mut Machine<'_>) -> Result<Next, Error> {
        let start = self.pos;
        let chunk = fill_buf(&mut self.reader).map_err(|err| io_error(err, start))?;
        if chunk.is_empty() {
            return Err(Error::new(
                ErrorKind::Lex(LexErrorKind::NoStop),
                start,
                None,
            ));
        }
        let chunk_len = chunk.len();
        Ok(match machine.run_chunk::<false>(chunk, 0, start)? {
            Chunk::Stop(root, end) => {
                self.consume(end);
                Next::Done(root)
            }
            Chunk::More(end) => {
                // The start of the cut opcode moves out, so that the reader can refill.
                self.op.clear();
                self.op.extend_from_slice(&chunk[end..]);
                self.consume(chunk_len);
                if self.op.is_empty() {
                    Next::Buffered
                } else {
                    Next::Straddling(start + end as u64)
                }
            }
            Chunk::Frame(end, len) => {
                self.consume(end);
                self.frame_opened(machine, len)
            }
        })
    }

    /// Completes the opcode whose start is in `self.op`, and runs it.
    fn straddling(&mut self, machine: &mut Machine<'_>, offset: u64) -> Result<Next, Error> {
        let before = self.op.len();
        brine_lex::read_op(&mut self.reader, &mut self.op).map_err(|err| io_error(err, offset))?;
        self.pos += (self.op.len() - before) as u64;
        let (step, frame_len) = if self.op.len() < OWN_BUFFER_MIN {
            let (op, used) =
                brine_lex::lex_op(&self.op, 0).map_err(|err| Error::from_lex(err, offset))?;
            debug_assert_eq!(used, self.op.len(), "read_op reads one opcode");
            let frame_len = frame_len(&op.arg);
            (machine.step(offset, op)?, frame_len)
        } else {
            // The buffer was filled for this opcode alone: its payload keeps it.
            let data = Bytes::from(std::mem::take(&mut self.op));
            let (op, _) =
                brine_lex::lex_op(&data, 0).map_err(|err| Error::from_lex(err, offset))?;
            (machine.step_shared(offset, op, &data)?, None)
        };
        Ok(match (step, frame_len) {
            (Step::Stop(root), _) => Next::Done(root),
            (Step::Continue, Some(len)) => self.frame_opened(machine, len),
            (Step::Continue, None) => Next::Buffered,
        })
    }

    /// After a FRAME that claims `len` bytes, which the reader's buffer may not hold: the
    /// frame is read whole.
    fn frame_opened(&self, machine: &Machine<'_>, len: u64) -> Next {
        if machine
            .frame_end()
            .is_some_and(|frame_end| frame_end > self.pos)
        {
            Next::Frame {
                offset: machine.offset,
                len,
            }
        } else {
            Next::Buffered
        }
    }

    /// Reads the frame of the FRAME at `offset`, `len` bytes, and runs it.
    fn frame(&mut self, machine: &mut Machine<'_>, offset: u64, len: u64) -> Result<Next, Error> {
        // `take` reads what arrives, never more than `len`: a lying length allocates no more
        // than the input holds. The buffer keeps its capacity for the next frame.
        self.frame.clear();
        let got = Read::take(&mut self.reader, len)
            .read_to_end(&mut self.frame)
            .map_err(|err| io_error(err, offset))? as u64;
        if got < len {
            // As from a slice: the frame claims more than the input holds.
            let kind = LexErrorKind::Truncated {
                needed: len.saturating_add(8),
                available: got + 8,
            };
            return Err(Error::new(
                ErrorKind::Lex(kind),
                offset,
                Some(Opcode::FRAME),
            ));
        }
        let start = self.pos;
        self.pos += got;
        Ok(match machine.run_chunk::<false>(&self.frame, 0, start)? {
            Chunk::Stop(root, _) => Next::Done(root),
            Chunk::More(end) => {
                // An opcode that crosses the frame's end runs, and the next opcode reports
                // the crossing, as from a slice.
                self.op.clear();
                self.op.extend_from_slice(&self.frame[end..]);
                if self.op.is_empty() {
                    Next::Buffered
                } else {
                    Next::Straddling(start + end as u64)
                }
            }
            // Unreachable: every opcode of the frame starts before its end, where
            // `Machine::step` rejects a FRAME.
            Chunk::Frame(..) => {
                return Err(machine.error(ErrorKind::FrameMismatch(
                    "a new frame begins before the current one ends",
                )));
            }
        })
    }

    fn consume(&mut self, len: usize) {
        self.reader.consume(len);
        self.pos += len as u64;
    }
}

/// `BufRead::fill_buf`, retried when interrupted.
fn fill_buf<R: BufRead>(reader: &mut R) -> io::Result<&[u8]> {
    loop {
        match reader.fill_buf() {
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
            // Returning this borrow from inside the loop does not borrow-check (the borrow
            // would last through the retries); asking again returns the same buffered bytes.
            Ok(_) => break,
        }
    }
    reader.fill_buf()
}

fn io_error(err: io::Error, offset: u64) -> Error {
    Error::new(ErrorKind::Io(err), offset, None)
}
