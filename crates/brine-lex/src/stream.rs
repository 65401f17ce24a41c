//! The lexer over a `std::io::BufRead`: one opcode in memory at a time, however long the pickle.

use std::fmt;
use std::io::{self, BufRead, Read};

use crate::arg::Op;
use crate::error::LexError;
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
        read_op(&mut self.reader, &mut self.buf)?;
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
}

/// Completes in `buf` the opcode whose first bytes it holds, reading the rest from `reader`
/// up to the opcode's last byte and not a byte further; [`lex_op`]`(buf, 0)` then lexes it.
///
/// `buf` holds the start of one opcode and nothing after it: nothing at all (the whole opcode
/// is read), or the part of it that a caller lexing in place found at the end of its buffer.
/// When the input ends first, `buf` is left short and `lex_op` reports the truncation, as it
/// would on a slice that ends there. A length prefix is never trusted for allocation: `buf`
/// grows with the bytes that arrive, and at most to the length the prefix claims.
///
/// # Errors
///
/// Whatever the reader returns, other than [`io::ErrorKind::Interrupted`], which is retried.
///
/// # Example
///
/// ```
/// use brine_lex::{Arg, lex_op, read_op};
/// // A SHORT_BINUNICODE split after its length byte, and the next opcode behind it.
/// let mut buf = b"\x8c\x03".to_vec();
/// let mut rest: &[u8] = b"abcN.";
/// read_op(&mut rest, &mut buf)?;
/// assert_eq!(rest, b"N.");
/// let (op, used) = lex_op(&buf, 0).unwrap();
/// assert_eq!((op.arg, used), (Arg::Unicode(b"abc"[..].into()), 5));
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn read_op<R: BufRead + ?Sized>(reader: &mut R, buf: &mut Vec<u8>) -> io::Result<()> {
    if !fill_to(reader, buf, 1)? {
        return Ok(());
    }
    // An unknown opcode reads nothing more; lex_op reports it.
    let Some(kind) = Opcode(buf[0]).arg_kind() else {
        return Ok(());
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
        | ArgKind::Unicodestringnl => {
            read_line(reader, buf, 1)?;
            return Ok(());
        }
        ArgKind::StringnlNoescapePair => {
            if let Some(end) = read_line(reader, buf, 1)? {
                read_line(reader, buf, end)?;
            }
            return Ok(());
        }
        ArgKind::Long1 | ArgKind::String1 | ArgKind::Bytes1 | ArgKind::Unicodestring1 => {
            return read_counted(reader, buf, 1, false);
        }
        ArgKind::Long4 | ArgKind::String4 => return read_counted(reader, buf, 4, true),
        ArgKind::Bytes4 | ArgKind::Unicodestring4 => return read_counted(reader, buf, 4, false),
        ArgKind::Bytes8 | ArgKind::Bytearray8 | ArgKind::Unicodestring8 => {
            return read_counted(reader, buf, 8, false);
        }
    };
    // A short read leaves the buffer short, and the slice lexer reports the truncation.
    fill_to(reader, buf, 1 + fixed)?;
    Ok(())
}

/// Reads until `buf` holds `len` bytes; returns `false` when the input ends first.
///
/// The bytes are copied out of the reader's own buffer: the opcodes read this way are short.
fn fill_to<R: BufRead + ?Sized>(reader: &mut R, buf: &mut Vec<u8>, len: usize) -> io::Result<bool> {
    while buf.len() < len {
        let available = match reader.fill_buf() {
            Ok(available) => available,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        };
        if available.is_empty() {
            return Ok(false);
        }
        let take = available.len().min(len - buf.len());
        buf.extend_from_slice(&available[..take]);
        reader.consume(take);
    }
    Ok(true)
}

/// Makes sure a newline follows `buf[from]`, reading up to it; returns the index after it, or
/// `None` when the input ends first.
fn read_line<R: BufRead + ?Sized>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    from: usize,
) -> io::Result<Option<usize>> {
    if let Some(end) = memchr::memchr(b'\n', &buf[from..]) {
        return Ok(Some(from + end + 1));
    }
    // read_until stops at the first newline, so a newline at the end is the one it read.
    let got = reader.read_until(b'\n', buf)?;
    Ok((got > 0 && buf.last() == Some(&b'\n')).then_some(buf.len()))
}

/// Reads a little-endian length prefix of `width` bytes after the opcode byte, and then the
/// payload it counts (or what the input holds of it).
fn read_counted<R: BufRead + ?Sized>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    width: usize,
    signed: bool,
) -> io::Result<()> {
    if !fill_to(reader, buf, 1 + width)? {
        return Ok(());
    }
    let mut prefix = [0u8; 8];
    prefix[..width].copy_from_slice(&buf[1..1 + width]);
    // A negative signed length reads nothing more; the slice lexer then rejects it.
    if signed && prefix[width - 1] & 0x80 != 0 {
        return Ok(());
    }
    let len = u64::from_le_bytes(prefix);
    // Part of the payload may already be in `buf`, from a caller that lexed in place.
    let present = (buf.len() - 1 - width) as u64;
    read_up_to(reader, buf, len.saturating_sub(present))
}

/// The least a payload read grows `buf` by, so that a long payload is read in few calls.
const MIN_GROWTH: usize = 8 << 10;

/// Appends up to `len` bytes from `reader` to `buf`, stopping early at the end of input.
///
/// `buf` grows in steps as big as what it holds (at least [`MIN_GROWTH`]), never past `len`:
/// a lying length costs at most twice the bytes that arrived, and an honest one ends with a
/// buffer of exactly its length. Each step is filled by `Read::read_to_end`, which reads into
/// the spare capacity without zeroing it and lets a `BufReader` whose buffer is empty read
/// straight from its source into `buf`: a large payload is copied once.
fn read_up_to<R: BufRead + ?Sized>(reader: &mut R, buf: &mut Vec<u8>, len: u64) -> io::Result<()> {
    let mut remaining = len;
    while remaining > 0 {
        if buf.capacity() == buf.len() {
            let step = buf.len().max(MIN_GROWTH);
            let step = usize::try_from(remaining).map_or(step, |remaining| remaining.min(step));
            buf.reserve_exact(step);
        }
        let spare = (buf.capacity() - buf.len()) as u64;
        let got = Read::take(&mut *reader, spare.min(remaining)).read_to_end(buf)?;
        if got == 0 {
            break;
        }
        remaining -= got as u64;
    }
    Ok(())
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
    use brine_testdata::Trickle;

    use super::*;
    use crate::lex::Lexer;

    /// Opcodes of every argument kind that reads lines or a count, in a frame.
    const PICKLE: &[u8] = b"\x80\x04\x95\x20\x00\x00\x00\x00\x00\x00\x00(\x8c\x03abcX\x01\x00\x00\x00z\x8a\x02\x00\x80I01\ncbuiltins\nset\nS'x'\nT\x01\x00\x00\x00ql.";

    /// The stream lexer yields what the slice lexer yields, for good and bad input alike, from
    /// a reader that holds everything and from one that holds a byte at a time.
    fn check_same_as_slice(input: &[u8]) {
        let from_slice: Vec<_> = Lexer::new(input)
            .map(|res| res.map(|(offset, op)| (offset, format!("{op:?}"))))
            .collect();
        let mut reader = input;
        assert_eq!(lex_stream(&mut reader), from_slice, "{input:?}");
        assert_eq!(
            lex_stream(Trickle(input)),
            from_slice,
            "{input:?}, trickled"
        );
    }

    fn lex_stream<R: BufRead>(reader: R) -> Vec<Result<(usize, String), LexError>> {
        let mut lexer = StreamLexer::new(reader);
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
        from_stream
    }

    #[test]
    fn stream_and_slice_agree_on_every_prefix() {
        for end in 0..=PICKLE.len() {
            check_same_as_slice(&PICKLE[..end]);
        }
    }

    #[test]
    fn read_op_completes_an_opcode_cut_anywhere() {
        // Each opcode, cut at each of its bytes: the start in `buf`, the rest in the reader,
        // which holds the next opcodes too and must be left just after this one.
        let mut offsets: Vec<usize> = Lexer::new(PICKLE).map(|res| res.unwrap().0).collect();
        offsets.push(PICKLE.len());
        for pair in offsets.windows(2) {
            let (start, end) = (pair[0], pair[1]);
            for cut in start..end {
                let mut buf = PICKLE[start..cut].to_vec();
                let mut reader = Trickle(&PICKLE[cut..]);
                read_op(&mut reader, &mut buf).unwrap();
                assert_eq!(buf, &PICKLE[start..end], "opcode at {start} cut at {cut}");
                assert_eq!(reader.0, &PICKLE[end..], "opcode at {start} cut at {cut}");
            }
        }
    }

    #[test]
    fn lying_lengths_allocate_nothing_they_did_not_read() {
        check_same_as_slice(b"\x8e\xff\xff\xff\xff\xff\xff\xff\x7fabc");
        check_same_as_slice(b"T\xff\xff\xff\xffabc");
        check_same_as_slice(b"B\xff\xff\xff\x7fabc");
        // A BINBYTES8 claiming a terabyte with three bytes behind it: the buffer holds what
        // arrived, not what was claimed.
        for input in [
            &b"\x8e\x00\x00\x00\x00\x00\x01\x00\x00abc"[..],
            &b"\x96\xff\xff\xff\xff\xff\xff\xff\xffabc"[..],
        ] {
            let mut buf = Vec::new();
            read_op(&mut Trickle(input), &mut buf).unwrap();
            assert_eq!(buf, input);
            assert!(buf.capacity() <= 2 * MIN_GROWTH, "{}", buf.capacity());
        }
    }

    #[test]
    fn an_honest_length_gets_a_buffer_of_exactly_its_size() {
        let payload = vec![0x5a; 3 * MIN_GROWTH + 5];
        let mut input = vec![0x8e];
        input.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        input.extend_from_slice(&payload);
        input.push(b'.');
        for split in [0, 1, 5, 9, 100] {
            let mut buf = input[..split].to_vec();
            let mut reader = &input[split..];
            read_op(&mut reader, &mut buf).unwrap();
            assert_eq!(reader, b".");
            assert_eq!(buf, &input[..input.len() - 1]);
            assert_eq!(buf.capacity(), buf.len(), "split at {split}");
        }
    }
}
