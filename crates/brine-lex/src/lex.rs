//! The lexer over a byte slice: one opcode at a time, arguments borrowed from the input.
//!
//! nom does the byte-level reading; its error type stays inside this module.

use std::borrow::Cow;

use nom::Parser;
use nom::bytes::complete::take;
use nom::number::complete::{be_f64, le_i32, le_u8, le_u16, le_u32, le_u64};

use crate::arg::{Arg, Op};
use crate::error::{LexError, LexErrorKind};
use crate::escape;
use crate::number::{self, Decimal, FloatError};
use crate::opcode::{ArgKind, Opcode};
use crate::pystr;

/// Lexes the opcode that starts at `input[offset]`: the one decoder of opcodes, used by
/// [`Lexer`], [`crate::StreamLexer`] and brine-vm's decoding loop alike.
///
/// Returns the opcode and the offset just past it. The opcodes most of a pickle is made of
/// (small ints, floats, short strs, memo puts and gets, and every opcode without an
/// argument) are decoded in line, so that a caller's loop matching on the result compiles to
/// one dispatch; the others, and any hot opcode that is not well-formed, take the general
/// path, which is also the one place that reports what is wrong.
///
/// # Errors
///
/// [`LexErrorKind::NoStop`] when `offset` is at the end of the input, otherwise whatever is
/// wrong with the opcode; the error's offset is `offset`.
///
/// # Example
///
/// ```
/// use brine_lex::{Arg, Opcode, lex_op};
/// let (op, next) = lex_op(b"K\x2a.", 0).unwrap();
/// assert_eq!((op.code, op.arg, next), (Opcode::BININT1, Arg::Int(42), 2));
/// ```
#[inline]
pub fn lex_op(input: &[u8], offset: usize) -> Result<(Op<'_>, usize), LexError> {
    match lex_hot(input, offset) {
        Some((code, arg, next)) => {
            let arg = match arg {
                HotArg::None => Arg::None,
                HotArg::Int(value) => Arg::Int(value),
                HotArg::Float(value) => Arg::Float(value),
                HotArg::Str(text) => Arg::Unicode(Cow::Borrowed(text)),
                HotArg::Text(text) => Arg::Unicode(Cow::Borrowed(text.as_bytes())),
            };
            Ok((Op { code, arg }, next))
        }
        None => lex_general(input, offset),
    }
}

/// The argument of a hot opcode (see [`lex_hot`]), borrowed from the input: the same value
/// as the opcode's [`Arg`], in a form that needs no drop and fits in registers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum HotArg<'a> {
    /// The opcode takes no argument ([`Arg::None`]).
    None,
    /// BININT1, BININT2, BININT; the memo key of BINPUT, LONG_BINPUT, BINGET, LONG_BINGET
    /// ([`Arg::Int`]).
    Int(i64),
    /// BINFLOAT ([`Arg::Float`]).
    Float(f64),
    /// SHORT_BINUNICODE, BINUNICODE whose text holds a lone surrogate: validated
    /// surrogatepass UTF-8 ([`Arg::Unicode`]).
    Str(&'a [u8]),
    /// SHORT_BINUNICODE, BINUNICODE whose text is strict UTF-8, as nearly every str is
    /// ([`Arg::Unicode`]): checked once, so that a reader that wants a `&str` need not check
    /// it again.
    Text(&'a str),
}

/// Decodes the opcode at `input[offset]` when it is one of the opcodes most of a pickle is
/// made of (small ints, floats, short strs, memo puts and gets, and every opcode without an
/// argument) and well-formed; returns it, its argument and the offset just past it.
///
/// This is the in-line part of [`lex_op`], which decodes the other opcodes and reports
/// what is wrong with a malformed one: a `None` here means "ask [`lex_op`]". A loop that
/// matches on the result compiles to one dispatch per opcode.
///
/// # Example
///
/// ```
/// use brine_lex::{HotArg, Opcode, lex_hot, lex_op};
/// assert_eq!(lex_hot(b"K\x2a.", 0), Some((Opcode::BININT1, HotArg::Int(42), 2)));
/// // Truncated: lex_op says how.
/// assert_eq!(lex_hot(b"M\x01", 0), None);
/// assert!(lex_op(b"M\x01", 0).unwrap_err().is_eof());
/// ```
#[inline(always)]
pub fn lex_hot(input: &[u8], offset: usize) -> Option<(Opcode, HotArg<'_>, usize)> {
    let code = Opcode(*input.get(offset)?);
    let (arg, next) = match code {
        Opcode::BININT1 | Opcode::BINPUT | Opcode::BINGET => {
            let (value, next) = hot_uint1(input, offset)?;
            (HotArg::Int(i64::from(value)), next)
        }
        Opcode::BININT2 => {
            let (value, next) = hot_uint2(input, offset)?;
            (HotArg::Int(i64::from(value)), next)
        }
        Opcode::BININT => {
            let (value, next) = hot_int4(input, offset)?;
            (HotArg::Int(i64::from(value)), next)
        }
        Opcode::BINFLOAT => {
            let (value, next) = hot_float8(input, offset)?;
            (HotArg::Float(value), next)
        }
        Opcode::LONG_BINPUT | Opcode::LONG_BINGET => {
            let (value, next) = hot_uint4(input, offset)?;
            (HotArg::Int(i64::from(value)), next)
        }
        Opcode::SHORT_BINUNICODE => {
            let (text, next) = unicodestring1(input, offset)?;
            (hot_str(text)?, next)
        }
        Opcode::BINUNICODE => {
            let (text, next) = unicodestring4(input, offset)?;
            (hot_str(text)?, next)
        }
        _ if code.arg_kind() == Some(ArgKind::None) => (HotArg::None, offset + 1),
        _ => return None,
    };
    Some((code, arg, next))
}

// The argument readers of the hot opcodes, for a loop that matches the opcode byte itself
// and goes straight to its action: each decodes the argument of the opcode at
// `input[offset]`, whose code the caller has already read, and returns it with the offset
// just past the opcode. A `None` means what it means from [`lex_hot`]: "ask [`lex_op`]", the
// one place that says what is wrong. Each gives what `lex_hot` gives for its opcodes.

/// The one-byte argument (`uint1`) of the opcode at `input[offset]`: BININT1's value, the memo
/// key of BINPUT and BINGET. See [`lex_hot`].
///
/// ```
/// assert_eq!(brine_lex::hot_uint1(b"K\x2a.", 0), Some((42, 2)));
/// assert_eq!(brine_lex::hot_uint1(b"K", 0), None);
/// ```
#[inline(always)]
pub fn hot_uint1(input: &[u8], offset: usize) -> Option<(u8, usize)> {
    let value = *input.get(offset..)?.get(1)?;
    Some((value, offset + 2))
}

/// BININT2's argument (`uint2`), as [`hot_uint1`].
#[inline(always)]
pub fn hot_uint2(input: &[u8], offset: usize) -> Option<(u16, usize)> {
    let bytes = fixed(input.get(offset..)?.get(1..)?)?;
    Some((u16::from_le_bytes(bytes), offset + 3))
}

/// BININT's argument (`int4`), as [`hot_uint1`].
#[inline(always)]
pub fn hot_int4(input: &[u8], offset: usize) -> Option<(i32, usize)> {
    let bytes = fixed(input.get(offset..)?.get(1..)?)?;
    Some((i32::from_le_bytes(bytes), offset + 5))
}

/// The memo key (`uint4`) of LONG_BINPUT and LONG_BINGET, as [`hot_uint1`].
#[inline(always)]
pub fn hot_uint4(input: &[u8], offset: usize) -> Option<(u32, usize)> {
    let bytes = fixed(input.get(offset..)?.get(1..)?)?;
    Some((u32::from_le_bytes(bytes), offset + 5))
}

/// BINFLOAT's argument (`float8`, big-endian), as [`hot_uint1`].
#[inline(always)]
pub fn hot_float8(input: &[u8], offset: usize) -> Option<(f64, usize)> {
    let bytes = fixed(input.get(offset..)?.get(1..)?)?;
    Some((f64::from_be_bytes(bytes), offset + 9))
}

/// SHORT_BINUNICODE's text (`unicodestring1`): validated surrogatepass UTF-8 borrowed from
/// the input, as [`hot_uint1`].
///
/// ```
/// assert_eq!(brine_lex::hot_unicodestring1(b"\x8c\x02hi.", 0), Some((&b"hi"[..], 4)));
/// // Cut short, or not surrogatepass UTF-8: lex_op says how.
/// assert_eq!(brine_lex::hot_unicodestring1(b"\x8c\x03hi", 0), None);
/// assert_eq!(brine_lex::hot_unicodestring1(b"\x8c\x01\xff", 0), None);
/// ```
#[inline(always)]
pub fn hot_unicodestring1(input: &[u8], offset: usize) -> Option<(&[u8], usize)> {
    let (text, next) = unicodestring1(input, offset)?;
    pystr::validate(text).ok()?;
    Some((text, next))
}

/// BINUNICODE's text (`unicodestring4`), as [`hot_unicodestring1`].
#[inline(always)]
pub fn hot_unicodestring4(input: &[u8], offset: usize) -> Option<(&[u8], usize)> {
    let (text, next) = unicodestring4(input, offset)?;
    pystr::validate(text).ok()?;
    Some((text, next))
}

/// SHORT_BINUNICODE's bytes, not yet checked as text, and the offset past them.
#[inline(always)]
fn unicodestring1(input: &[u8], offset: usize) -> Option<(&[u8], usize)> {
    let (&len, text) = input.get(offset..)?.get(1..)?.split_first()?;
    let text = text.get(..usize::from(len))?;
    Some((text, offset + 2 + text.len()))
}

/// BINUNICODE's bytes, not yet checked as text, and the offset past them.
#[inline(always)]
fn unicodestring4(input: &[u8], offset: usize) -> Option<(&[u8], usize)> {
    let rest = input.get(offset..)?.get(1..)?;
    let len = u32::from_le_bytes(fixed(rest)?);
    let text = rest[4..].get(..usize::try_from(len).ok()?)?;
    Some((text, offset + 5 + text.len()))
}

/// A str's text as [`HotArg::Text`] when it is strict UTF-8, else as [`HotArg::Str`] when it
/// is surrogatepass UTF-8.
#[inline(always)]
fn hot_str(text: &[u8]) -> Option<HotArg<'_>> {
    if let Some(text) = pystr::as_str(text) {
        return Some(HotArg::Text(text));
    }
    pystr::validate(text).ok()?;
    Some(HotArg::Str(text))
}

/// The first `N` bytes of `rest`, if it holds them.
#[inline(always)]
fn fixed<const N: usize>(rest: &[u8]) -> Option<[u8; N]> {
    rest.get(..N)?.try_into().ok()
}

/// [`lex_op`] for every opcode: the table's argument kind decides how the argument reads.
#[inline(never)]
fn lex_general(input: &[u8], offset: usize) -> Result<(Op<'_>, usize), LexError> {
    let error = |kind, opcode| LexError::new(kind, offset as u64, opcode);
    let Some(&byte) = input.get(offset) else {
        return Err(error(LexErrorKind::NoStop, None));
    };
    let code = Opcode(byte);
    let Some(kind) = code.arg_kind() else {
        return Err(error(LexErrorKind::UnknownOpcode, Some(code)));
    };
    let rest = &input[offset + 1..];
    match lex_arg(kind, rest) {
        Ok((arg, used)) => Ok((Op { code, arg }, offset + 1 + used)),
        Err(kind) => Err(error(kind, Some(code))),
    }
}

/// An iterator over the opcodes of one pickle, from its start through its STOP opcode.
///
/// Yields `(offset, op)` pairs. After STOP or after an error it yields nothing more;
/// [`Lexer::position`] then tells where the next pickle of a stream would begin.
///
/// # Example
///
/// ```
/// use brine_lex::{Lexer, Opcode};
/// let codes: Vec<Opcode> = Lexer::new(b"\x80\x04K\x01.")
///     .map(|res| res.map(|(_, op)| op.code))
///     .collect::<Result<_, _>>()
///     .unwrap();
/// assert_eq!(codes, [Opcode::PROTO, Opcode::BININT1, Opcode::STOP]);
/// ```
#[derive(Debug, Clone)]
pub struct Lexer<'a> {
    input: &'a [u8],
    pos: usize,
    done: bool,
}

impl<'a> Lexer<'a> {
    /// A lexer at the start of `input`.
    pub fn new(input: &'a [u8]) -> Lexer<'a> {
        Lexer::at(input, 0)
    }

    /// A lexer that starts at `input[pos]`; offsets stay relative to `input`.
    pub fn at(input: &'a [u8], pos: usize) -> Lexer<'a> {
        Lexer {
            input,
            pos,
            done: false,
        }
    }

    /// The offset of the next opcode to lex.
    pub fn position(&self) -> usize {
        self.pos
    }
}

impl<'a> Iterator for Lexer<'a> {
    type Item = Result<(usize, Op<'a>), LexError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let offset = self.pos;
        match lex_op(self.input, offset) {
            Ok((op, next)) => {
                self.pos = next;
                self.done = op.code == Opcode::STOP;
                Some(Ok((offset, op)))
            }
            Err(err) => {
                self.done = true;
                Some(Err(err))
            }
        }
    }
}

type NomResult<'a, T> = nom::IResult<&'a [u8], T, ()>;

/// Decodes one argument of `kind` at the start of `rest`; returns it and the bytes it used.
fn lex_arg(kind: ArgKind, rest: &[u8]) -> Result<(Arg<'_>, usize), LexErrorKind> {
    let fixed = |res: NomResult<'_, Arg<'static>>, len: usize| {
        res.map(|(_, arg)| (arg, len))
            .map_err(|_| LexErrorKind::Truncated {
                needed: len as u64,
                available: rest.len() as u64,
            })
    };
    match kind {
        ArgKind::None => Ok((Arg::None, 0)),
        ArgKind::Uint1 => fixed(le_u8(rest).map(|(r, v)| (r, Arg::Int(v.into()))), 1),
        ArgKind::Uint2 => fixed(le_u16(rest).map(|(r, v)| (r, Arg::Int(v.into()))), 2),
        ArgKind::Int4 => fixed(le_i32(rest).map(|(r, v)| (r, Arg::Int(v.into()))), 4),
        ArgKind::Uint4 => fixed(le_u32(rest).map(|(r, v)| (r, Arg::Int(v.into()))), 4),
        ArgKind::Uint8 => fixed(le_u64(rest).map(|(r, v)| (r, Arg::Size(v))), 8),
        ArgKind::Float8 => fixed(be_f64(rest).map(|(r, v)| (r, Arg::Float(v))), 8),
        ArgKind::DecimalnlShort => {
            let (line, used) = line(rest)?;
            let arg = match line {
                b"00" => Arg::Bool(false),
                b"01" => Arg::Bool(true),
                _ => decimal_arg(line)?,
            };
            Ok((arg, used))
        }
        ArgKind::DecimalnlLong => {
            let (line, used) = line(rest)?;
            let digits = line.strip_suffix(b"L").unwrap_or(line);
            Ok((decimal_arg(digits)?, used))
        }
        ArgKind::Floatnl => {
            let (line, used) = line(rest)?;
            let value = number::parse_float(line).map_err(|err| match err {
                FloatError::Invalid => LexErrorKind::InvalidFloat,
                FloatError::Overflow => LexErrorKind::FloatOverflow,
            })?;
            Ok((Arg::Float(value), used))
        }
        ArgKind::Stringnl => {
            let (line, used) = line(rest)?;
            let quoted = line.len() >= 2
                && line[0] == line[line.len() - 1]
                && matches!(line[0], b'\'' | b'"');
            if !quoted {
                return Err(LexErrorKind::StringNotQuoted);
            }
            let decoded =
                escape::escape_decode(&line[1..line.len() - 1]).map_err(LexErrorKind::Escape)?;
            Ok((Arg::String(decoded), used))
        }
        ArgKind::StringnlNoescape => {
            let (line, used) = line(rest)?;
            Ok((Arg::Line(line), used))
        }
        ArgKind::StringnlNoescapePair => {
            let (module, used_module) = line(rest)?;
            let (name, used_name) = line(&rest[used_module..])?;
            Ok((Arg::Pair(module, name), used_module + used_name))
        }
        ArgKind::Unicodestringnl => {
            let (line, used) = line(rest)?;
            let decoded = escape::raw_unicode_escape_decode(line).map_err(LexErrorKind::Escape)?;
            Ok((Arg::Unicode(decoded), used))
        }
        ArgKind::Long1 => {
            let (payload, used) = counted(rest, Prefix::U8)?;
            Ok((long_arg(payload), used))
        }
        ArgKind::Long4 => {
            let (payload, used) = counted(rest, Prefix::I32)?;
            Ok((long_arg(payload), used))
        }
        ArgKind::String1 | ArgKind::Bytes1 => bytes_arg(rest, Prefix::U8),
        ArgKind::String4 => bytes_arg(rest, Prefix::I32),
        ArgKind::Bytes4 => bytes_arg(rest, Prefix::U32),
        ArgKind::Bytes8 | ArgKind::Bytearray8 => bytes_arg(rest, Prefix::U64),
        ArgKind::Unicodestring1 => unicode_arg(rest, Prefix::U8),
        ArgKind::Unicodestring4 => unicode_arg(rest, Prefix::U32),
        ArgKind::Unicodestring8 => unicode_arg(rest, Prefix::U64),
    }
}

/// The text up to the next newline, and the bytes used including the newline.
fn line(rest: &[u8]) -> Result<(&[u8], usize), LexErrorKind> {
    match memchr::memchr(b'\n', rest) {
        Some(end) => Ok((&rest[..end], end + 1)),
        None => Err(LexErrorKind::MissingNewline),
    }
}

fn decimal_arg(text: &[u8]) -> Result<Arg<'_>, LexErrorKind> {
    match number::parse_decimal(text) {
        Some(Decimal::Small(value)) => Ok(Arg::Int(value)),
        Some(Decimal::Big(digits)) => Ok(Arg::BigDecimal(digits)),
        None => Err(LexErrorKind::InvalidInt),
    }
}

/// A LONG1/LONG4 payload: little-endian two's complement, empty meaning zero.
fn long_arg(payload: &[u8]) -> Arg<'_> {
    if payload.len() > 8 {
        return Arg::BigLong(payload);
    }
    let mut buf = [0u8; 8];
    buf[..payload.len()].copy_from_slice(payload);
    // Sign-extend from the payload's top bit.
    if payload.last().is_some_and(|&top| top & 0x80 != 0) {
        buf[payload.len()..].fill(0xFF);
    }
    Arg::Int(i64::from_le_bytes(buf))
}

fn bytes_arg(rest: &[u8], prefix: Prefix) -> Result<(Arg<'_>, usize), LexErrorKind> {
    let (payload, used) = counted(rest, prefix)?;
    Ok((Arg::Bytes(payload), used))
}

fn unicode_arg(rest: &[u8], prefix: Prefix) -> Result<(Arg<'_>, usize), LexErrorKind> {
    let (payload, used) = counted(rest, prefix)?;
    pystr::validate(payload).map_err(LexErrorKind::InvalidUtf8)?;
    Ok((Arg::Unicode(Cow::Borrowed(payload)), used))
}

/// How a counted argument encodes its length.
#[derive(Clone, Copy)]
enum Prefix {
    U8,
    /// Four bytes, signed: a negative length is an error (string4, long4).
    I32,
    U32,
    U64,
}

/// A length prefix and the payload it counts.
///
/// The length is checked against the bytes present before anything is taken, so a lying
/// prefix costs nothing.
#[inline]
fn counted(rest: &[u8], prefix: Prefix) -> Result<(&[u8], usize), LexErrorKind> {
    let prefix_len = match prefix {
        Prefix::U8 => 1,
        Prefix::I32 | Prefix::U32 => 4,
        Prefix::U64 => 8,
    };
    let truncated = || LexErrorKind::Truncated {
        needed: prefix_len as u64,
        available: rest.len() as u64,
    };
    let (after, len): (&[u8], u64) = match prefix {
        Prefix::U8 => le_u8::<_, ()>(rest).map(|(r, v)| (r, v.into())),
        Prefix::I32 => {
            let (r, v) = le_i32::<_, ()>(rest).map_err(|_| truncated())?;
            let len = u64::try_from(v).map_err(|_| LexErrorKind::NegativeLength(v))?;
            Ok((r, len))
        }
        Prefix::U32 => le_u32::<_, ()>(rest).map(|(r, v)| (r, v.into())),
        Prefix::U64 => le_u64::<_, ()>(rest),
    }
    .map_err(|_| truncated())?;
    let len_usize = usize::try_from(len).map_err(|_| LexErrorKind::LengthOverflow(len))?;
    let (_, payload) =
        take::<_, _, ()>(len_usize)
            .parse(after)
            .map_err(|_| LexErrorKind::Truncated {
                needed: (prefix_len as u64).saturating_add(len),
                available: rest.len() as u64,
            })?;
    Ok((payload, prefix_len + len_usize))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lexes `input` as one opcode and checks the argument and the length consumed.
    fn check(input: &[u8], expect: Result<Arg<'_>, LexErrorKind>) {
        let res = lex_op(input, 0);
        // The in-line decoder gives what the table-driven one gives, or leaves it to it.
        assert_eq!(res, lex_general(input, 0), "{input:?}");
        match (res, expect) {
            (Ok((op, used)), Ok(arg)) => {
                assert_eq!(op.arg, arg, "{input:?}");
                assert_eq!(used, input.len(), "{input:?} left bytes unused");
            }
            (Err(err), Err(kind)) => assert_eq!(err.kind(), kind, "{input:?}"),
            (res, expect) => panic!("{input:?}: got {res:?}, expected {expect:?}"),
        }
    }

    #[test]
    fn fixed_width_integers() {
        check(b"K\xff", Ok(Arg::Int(255)));
        check(b"M\xff\xff", Ok(Arg::Int(65535)));
        check(b"J\x00\x00\x00\x80", Ok(Arg::Int(-(1 << 31))));
        check(b"j\xff\xff\xff\xff", Ok(Arg::Int(u32::MAX.into())));
        check(
            b"\x95\xff\xff\xff\xff\xff\xff\xff\xff",
            Ok(Arg::Size(u64::MAX)),
        );
        check(
            b"\x80",
            Err(LexErrorKind::Truncated {
                needed: 1,
                available: 0,
            }),
        );
        check(
            b"M\x01",
            Err(LexErrorKind::Truncated {
                needed: 2,
                available: 1,
            }),
        );
        check(
            b"J\x01\x02\x03",
            Err(LexErrorKind::Truncated {
                needed: 4,
                available: 3,
            }),
        );
    }

    #[test]
    fn decimalnl_short_and_long() {
        check(b"I00\n", Ok(Arg::Bool(false)));
        check(b"I01\n", Ok(Arg::Bool(true)));
        check(b"I001\n", Ok(Arg::Int(1)));
        check(b"I-5\n", Ok(Arg::Int(-5)));
        check(
            b"I9223372036854775808\n",
            Ok(Arg::BigDecimal(b"9223372036854775808")),
        );
        check(b"I1L\n", Err(LexErrorKind::InvalidInt));
        check(b"I\n", Err(LexErrorKind::InvalidInt));
        check(b"I12", Err(LexErrorKind::MissingNewline));
        check(b"L12L\n", Ok(Arg::Int(12)));
        check(b"L-12\n", Ok(Arg::Int(-12)));
        check(
            b"L99999999999999999999L\n",
            Ok(Arg::BigDecimal(b"99999999999999999999")),
        );
        check(b"LL\n", Err(LexErrorKind::InvalidInt));
        check(b"g00\n", Ok(Arg::Bool(false)));
        check(b"p7\n", Ok(Arg::Int(7)));
    }

    #[test]
    fn long1_and_long4_are_twos_complement() {
        check(b"\x8a\x00", Ok(Arg::Int(0)));
        check(b"\x8a\x02\xff\x00", Ok(Arg::Int(255)));
        check(b"\x8a\x02\x00\xff", Ok(Arg::Int(-256)));
        check(b"\x8a\x02\x00\x80", Ok(Arg::Int(-32768)));
        check(
            b"\x8a\x08\xff\xff\xff\xff\xff\xff\xff\x7f",
            Ok(Arg::Int(i64::MAX)),
        );
        check(
            b"\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x80\x00",
            Ok(Arg::BigLong(b"\x00\x00\x00\x00\x00\x00\x00\x80\x00")),
        );
        check(b"\x8b\x00\x00\x00\x00", Ok(Arg::Int(0)));
        check(b"\x8b\x01\x00\x00\x00\xff", Ok(Arg::Int(-1)));
        check(
            b"\x8b\xff\xff\xff\xff",
            Err(LexErrorKind::NegativeLength(-1)),
        );
        check(
            b"\x8a\x03\x01",
            Err(LexErrorKind::Truncated {
                needed: 4,
                available: 2,
            }),
        );
    }

    #[test]
    fn floats() {
        check(b"G\xbf\xf4\x00\x00\x00\x00\x00\x00", Ok(Arg::Float(-1.25)));
        check(b"F-1.25\n", Ok(Arg::Float(-1.25)));
        check(b"Finf\n", Ok(Arg::Float(f64::INFINITY)));
        check(b"F1e999\n", Err(LexErrorKind::FloatOverflow));
        check(b"Fone\n", Err(LexErrorKind::InvalidFloat));
        check(
            b"G\x00",
            Err(LexErrorKind::Truncated {
                needed: 8,
                available: 1,
            }),
        );
    }

    #[test]
    fn counted_bytes_check_length_before_taking() {
        check(b"C\x03abc", Ok(Arg::Bytes(b"abc")));
        check(b"B\x00\x00\x00\x00", Ok(Arg::Bytes(b"")));
        check(
            b"\x8e\x01\x00\x00\x00\x00\x00\x00\x00z",
            Ok(Arg::Bytes(b"z")),
        );
        check(b"\x96\x00\x00\x00\x00\x00\x00\x00\x00", Ok(Arg::Bytes(b"")));
        check(b"U\x02hi", Ok(Arg::Bytes(b"hi")));
        check(b"T\x02\x00\x00\x00hi", Ok(Arg::Bytes(b"hi")));
        check(b"T\xff\xff\xff\xff", Err(LexErrorKind::NegativeLength(-1)));
        check(
            b"B\xff\xff\xff\xffab",
            Err(LexErrorKind::Truncated {
                needed: 4 + 0xFFFF_FFFF,
                available: 6,
            }),
        );
        check(
            b"\x8e\xff\xff\xff\xff\xff\xff\xff\xff",
            Err(LexErrorKind::Truncated {
                needed: u64::MAX,
                available: 8,
            }),
        );
        check(
            b"C\x05ab",
            Err(LexErrorKind::Truncated {
                needed: 6,
                available: 3,
            }),
        );
    }

    #[test]
    fn unicode_arguments_are_validated() {
        check(
            b"\x8c\x03\xe2\x82\xac",
            Ok(Arg::Unicode(Cow::Borrowed("€".as_bytes()))),
        );
        check(
            b"X\x03\x00\x00\x00\xed\xa0\x80",
            Ok(Arg::Unicode(Cow::Borrowed(b"\xed\xa0\x80"))),
        );
        check(
            b"\x8d\x01\x00\x00\x00\x00\x00\x00\x00a",
            Ok(Arg::Unicode(Cow::Borrowed(b"a"))),
        );
        check(b"\x8c\x02a\xff", Err(LexErrorKind::InvalidUtf8(1)));
        check(
            b"Vcaf\xe9\n",
            Ok(Arg::Unicode(Cow::Owned("café".as_bytes().to_vec()))),
        );
        check(
            b"V\\u12\n",
            Err(LexErrorKind::Escape(
                escape::EscapeError::TruncatedUnicodeEscape(0),
            )),
        );
    }

    #[test]
    fn text_strings_and_names() {
        check(b"S'a\\nb'\n", Ok(Arg::String(Cow::Owned(b"a\nb".to_vec()))));
        check(b"S\"it's\"\n", Ok(Arg::String(Cow::Borrowed(b"it's"))));
        check(b"S'abc\n", Err(LexErrorKind::StringNotQuoted));
        check(b"S'\n", Err(LexErrorKind::StringNotQuoted));
        check(b"Sabc\n", Err(LexErrorKind::StringNotQuoted));
        check(
            b"S'\\x4'\n",
            Err(LexErrorKind::Escape(escape::EscapeError::InvalidHexEscape(
                0,
            ))),
        );
        check(b"Pkey 1\n", Ok(Arg::Line(b"key 1")));
        check(b"cbuiltins\nset\n", Ok(Arg::Pair(b"builtins", b"set")));
        check(b"cbuiltins\nset", Err(LexErrorKind::MissingNewline));
        check(b"i__main__\nC\n", Ok(Arg::Pair(b"__main__", b"C")));
    }

    #[test]
    fn hot_opcodes_decode_in_line() {
        let hot: &[(&[u8], HotArg<'_>)] = &[
            (b"K\xff", HotArg::Int(255)),
            (b"M\xff\xff", HotArg::Int(65535)),
            (b"J\x00\x00\x00\x80", HotArg::Int(-(1 << 31))),
            (b"G\xbf\xf4\x00\x00\x00\x00\x00\x00", HotArg::Float(-1.25)),
            (b"q\x07", HotArg::Int(7)),
            (b"h\x07", HotArg::Int(7)),
            (b"r\xff\xff\xff\xff", HotArg::Int(u32::MAX.into())),
            (b"j\x01\x00\x00\x00", HotArg::Int(1)),
            (b"\x8c\x03\xe2\x82\xac", HotArg::Text("€")),
            (
                b"X\x03\x00\x00\x00\xed\xa0\x80",
                HotArg::Str(b"\xed\xa0\x80"),
            ),
            (b"\x94", HotArg::None),
            (b"t", HotArg::None),
        ];
        for &(input, arg) in hot {
            assert_eq!(
                lex_hot(input, 0),
                Some((Opcode(input[0]), arg, input.len())),
                "{input:?}"
            );
            check(
                input,
                lex_general(input, 0)
                    .map(|(op, _)| op.arg)
                    .map_err(|e| e.kind()),
            );
        }
        // Malformed or not hot: the general decoder's business.
        for input in [
            &b"K"[..],
            b"X\x05\x00\x00\x00ab",
            b"\x8c\x02a\xff",
            b"C\x01a",
            b"\xff",
            b"",
        ] {
            assert_eq!(lex_hot(input, 0), None, "{input:?}");
        }
    }

    #[test]
    fn unknown_and_missing_opcodes() {
        let err = lex_op(b"\xff", 0).unwrap_err();
        assert_eq!(
            (err.kind(), err.opcode(), err.offset()),
            (LexErrorKind::UnknownOpcode, Some(Opcode(0xff)), 0)
        );
        let err = lex_op(b"N", 1).unwrap_err();
        assert_eq!((err.kind(), err.offset()), (LexErrorKind::NoStop, 1));
    }

    #[test]
    fn lexer_stops_after_stop_and_reports_offsets() {
        let ops: Vec<_> = Lexer::new(b"(K\x01t.trailing")
            .collect::<Result<_, _>>()
            .unwrap();
        let offsets: Vec<usize> = ops.iter().map(|(offset, _)| *offset).collect();
        assert_eq!(offsets, [0, 1, 3, 4]);
        let mut lexer = Lexer::new(b"N");
        assert!(lexer.next().unwrap().is_ok());
        assert_eq!(
            lexer.next().unwrap().unwrap_err().kind(),
            LexErrorKind::NoStop
        );
        assert!(lexer.next().is_none());
    }
}
