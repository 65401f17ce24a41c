//! The argument of one opcode, decoded from the stream and borrowed from it where possible.

use std::borrow::Cow;

use crate::opcode::Opcode;

/// One opcode and its argument.
#[derive(Debug, Clone, PartialEq)]
pub struct Op<'a> {
    /// The opcode.
    pub code: Opcode,
    /// Its argument; which variant depends on the opcode's [`crate::ArgKind`].
    pub arg: Arg<'a>,
}

/// An opcode's argument.
///
/// The variant follows from the opcode's [`crate::ArgKind`]:
///
/// | argument kind | variant |
/// |---|---|
/// | none | `None` |
/// | uint1, uint2, int4, uint4 | `Int` |
/// | uint8 | `Size` |
/// | decimalnl_short | `Bool` for `00`/`01`, else `Int` or `BigDecimal` |
/// | decimalnl_long | `Int` or `BigDecimal` |
/// | long1, long4 | `Int` or `BigLong` |
/// | float8, floatnl | `Float` |
/// | string1, string4, bytes1/4/8, bytearray8 | `Bytes` |
/// | stringnl | `String` |
/// | stringnl_noescape | `Line` |
/// | stringnl_noescape_pair | `Pair` |
/// | unicodestringnl, unicodestring1/4/8 | `Unicode` |
#[derive(Debug, Clone, PartialEq)]
pub enum Arg<'a> {
    /// The opcode takes no argument.
    None,
    /// An integer that fits in an `i64`.
    Int(i64),
    /// An unsigned eight-byte size (FRAME's length).
    Size(u64),
    /// INT's `00` and `01`, the protocol 0 booleans.
    Bool(bool),
    /// A decimal integer too large for an `i64`: an optional sign and ASCII digits.
    BigDecimal(&'a [u8]),
    /// A LONG1/LONG4 integer too large for an `i64`: little-endian two's complement bytes.
    BigLong(&'a [u8]),
    /// A float.
    Float(f64),
    /// Raw bytes: a Python 2 `str` (SHORT_BINSTRING, BINSTRING), `bytes` or `bytearray`.
    Bytes(&'a [u8]),
    /// STRING's argument with its quotes removed and its escapes decoded.
    String(Cow<'a, [u8]>),
    /// PERSID's raw line, without the newline.
    Line(&'a [u8]),
    /// GLOBAL's and INST's two raw lines: module and qualified name.
    Pair(&'a [u8], &'a [u8]),
    /// A Python `str` as surrogatepass UTF-8 (see [`crate::pystr`]), already validated.
    Unicode(Cow<'a, [u8]>),
}
