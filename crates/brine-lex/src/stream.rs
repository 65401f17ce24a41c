//! The lexer over a `std::io::BufRead`: one opcode in memory at a time, however long the pickle.

use std::fmt;
use std::io::{self, BufRead, Read};

use crate::arg::Op;
use crate::error::{LexError, LexErrorKind};
use crate::lex::lex_op;
use crate::opcode::{ArgKind, Opcode};

/// Lexes a pickle from a reader, holding only the current opcode in memory.
///
/// The reader is read up to and including the STOP opcode and not a byte further (bytes the
/// `BufRead` has buffered stay in it), so the next pickle of a stream can be lexed by a new
/// `StreamLexer` over the same reader.
///
/// # Example
///
/// ```
/// use brine_lex::{Opcode, StreamLexer};
/// let mut input: &[u8] = b"K\x01.K\x02.";
/// let mut lexer = StreamLexer::new(&mut input);
/// let mut codes = Vec::new();
/// while let Some((_, op)) = lexer.next_op()? {
///     codes.push(op.code);
/// }
/// assert_eq!(codes, [Opcode::BININT1, Opcode::STOP]);
/// assert_eq!(input, b"K\x02.");
/// # Ok::<(), brine_lex::ReadError>(())
/// ```
#[derive(Debug)]
pub struct StreamLexer<R> {
    reader: R,
    buf: Vec<u8>,
    offset: u64,
    done: bool,
}

impl<R: BufRead> StreamLexer<R> {
    /// A lexer at the reader's current position, which counts as offset 0.
    pub fn new(reader: R) -> StreamLexer<R> {
        StreamLexer {
            reader,
            buf: Vec::new(),
            offset: 0,
            done: false,
        }
    }

    /// The next opcode and its offset, or `None` once STOP has been returned.
    ///
    /// # Errors
    ///
    /// [`ReadError::Io`] when the reader fails, [`ReadError::Lex`] when the bytes are not a
    /// well-formed opcode or end before STOP. After an error the lexer returns `None`.
    pub fn next_op(&mut self) -> Result<Option<(u64, Op<'_>)>, ReadError> {
        if self.done {
            return Ok(None);
        }
        let offset = self.offset;
        // Mark the lexer finished first; a successful non-STOP opcode clears it below.
        self.done = true;
        self.buf.clear();
        self.read_opcode(offset)?;
        let (op, used) =
            lex_op(&self.buf, 0).map_err(|err| ReadError::Lex(err.with_offset(offset)))?;
        debug_assert_eq!(used, self.buf.len(), "the reader took exactly one opcode");
        self.offset += used as u64;
        self.done = op.code == Opcode::STOP;
        Ok(Some((offset, op)))
    }

    /// The offset of the next opcode, which is also the number of bytes consumed.
    pub fn position(&self) -> u64 {
        self.offset
    }

    /// The reader, positioned after the last opcode returned.
    pub fn into_inner(self) -> R {
        self.reader
    }

    /// Reads the bytes of one opcode into `self.buf`; the slice lexer then decodes them.
    fn read_opcode(&mut self, offset: u64) -> Result<(), ReadError> {
        let lex_error = |kind, opcode| ReadError::Lex(LexError::new(kind, offset, opcode));
        if self.take(1)? == 0 {
            return Err(lex_error(LexErrorKind::NoStop, None));
        }
        let code = Opcode(self.buf[0]);
        let Some(kind) = code.arg_kind() else {
            return Err(lex_error(LexErrorKind::UnknownOpcode, Some(code)));
        };
        let fixed = match kind {
            ArgKind::None => 0,
            ArgKind::Uint1 => 1,
            ArgKind::Uint2 => 2,
            ArgKind::Int4 | ArgKind::Uint4 => 4,
            ArgKind::Uint8 | ArgKind::Float8 => 8,
            ArgKind::DecimalnlShort
            | ArgKind::DecimalnlLong
            | ArgKind::Floatnl
            | ArgKind::Stringnl
            | ArgKind::StringnlNoescape
            | ArgKind::Unicodestringnl => return self.read_line(),
            ArgKind::StringnlNoescapePair => {
                self.read_line()?;
                return self.read_line();
            }
            ArgKind::Long1 | ArgKind::String1 | ArgKind::Bytes1 | ArgKind::Unicodestring1 => {
                return self.read_counted(1, false);
            }
            ArgKind::Long4 | ArgKind::String4 => return self.read_counted(4, true),
            ArgKind::Bytes4 | ArgKind::Unicodestring4 => return self.read_counted(4, false),
            ArgKind::Bytes8 | ArgKind::Bytearray8 | ArgKind::Unicodestring8 => {
                return self.read_counted(8, false);
            }
        };
        // A short read leaves the buffer short, and the slice lexer reports the truncation.
        self.take(fixed)?;
        Ok(())
    }

    fn read_line(&mut self) -> Result<(), ReadError> {
        self.reader.read_until(b'\n', &mut self.buf)?;
        Ok(())
    }

    /// Reads a little-endian length prefix of `width` bytes and then up to that many bytes.
    fn read_counted(&mut self, width: usize, signed: bool) -> Result<(), ReadError> {
        let start = self.buf.len();
        if self.take(width as u64)? < width as u64 {
            return Ok(());
        }
        let mut prefix = [0u8; 8];
        prefix[..width].copy_from_slice(&self.buf[start..]);
        // A negative signed length reads nothing more; the slice lexer then rejects it.
        let negative = signed && prefix[width - 1] & 0x80 != 0;
        let len = if negative {
            0
        } else {
            u64::from_le_bytes(prefix)
        };
        self.take(len)?;
        Ok(())
    }

    /// Appends up to `len` bytes; the buffer grows with the bytes that arrive, never with the
    /// length a prefix claims.
    fn take(&mut self, len: u64) -> io::Result<u64> {
        let got = (&mut self.reader).take(len).read_to_end(&mut self.buf)?;
        Ok(got as u64)
    }
}

/// An error from [`StreamLexer`]: the reader failed, or the bytes are malformed.
#[derive(Debug)]
#[non_exhaustive]
pub enum ReadError {
    /// The reader returned an error.
    Io(io::Error),
    /// The bytes read are not a well-formed opcode, or ended before STOP.
    Lex(LexError),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Io(err) => write!(f, "reading the pickle failed: {err}"),
            ReadError::Lex(err) => err.fmt(f),
        }
    }
}

impl std::error::Error for ReadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReadError::Io(err) => Some(err),
            ReadError::Lex(err) => Some(err),
        }
    }
}

impl From<io::Error> for ReadError {
    fn from(err: io::Error) -> ReadError {
        ReadError::Io(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lex::Lexer;

    /// The stream lexer yields what the slice lexer yields, for good and bad input alike.
    fn check_same_as_slice(input: &[u8]) {
        let from_slice: Vec<_> = Lexer::new(input).collect();
        let mut reader = input;
        let mut lexer = StreamLexer::new(&mut reader);
        let mut from_stream = Vec::new();
        loop {
            match lexer.next_op() {
                Ok(Some((offset, op))) => {
                    from_stream.push(Ok((offset as usize, format!("{op:?}"))));
                }
                Ok(None) => break,
                Err(ReadError::Lex(err)) => {
                    from_stream.push(Err(err));
                    break;
                }
                Err(ReadError::Io(err)) => panic!("slices do not fail: {err}"),
            }
        }
        let from_slice: Vec<_> = from_slice
            .into_iter()
            .map(|res| res.map(|(offset, op)| (offset, format!("{op:?}"))))
            .collect();
        assert_eq!(from_stream, from_slice, "{input:?}");
    }

    #[test]
    fn stream_and_slice_agree_on_every_prefix() {
        let pickle: &[u8] = b"\x80\x04\x95\x20\x00\x00\x00\x00\x00\x00\x00(\x8c\x03abcX\x01\x00\x00\x00z\x8a\x02\x00\x80I01\ncbuiltins\nset\nS'x'\nT\x01\x00\x00\x00ql.";
        for end in 0..=pickle.len() {
            check_same_as_slice(&pickle[..end]);
        }
    }

    #[test]
    fn lying_lengths_allocate_nothing_they_did_not_read() {
        check_same_as_slice(b"\x8e\xff\xff\xff\xff\xff\xff\xff\x7fabc");
        check_same_as_slice(b"T\xff\xff\xff\xffabc");
        check_same_as_slice(b"B\xff\xff\xff\x7fabc");
    }
}
