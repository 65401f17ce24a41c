//! What can be wrong with the bytes of a pickle at the level of single opcodes.

use std::fmt;

use crate::escape::EscapeError;
use crate::opcode::Opcode;

/// An opcode that could not be lexed: what is wrong, the byte offset of the opcode, and the
/// opcode where its byte was read.
///
/// Small and `Copy`, so that lexing stays cheap on the happy path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LexError {
    kind: LexErrorKind,
    offset: u64,
    opcode: Option<Opcode>,
}

impl LexError {
    pub(crate) fn new(kind: LexErrorKind, offset: u64, opcode: Option<Opcode>) -> LexError {
        LexError {
            kind,
            offset,
            opcode,
        }
    }

    /// What is wrong.
    pub fn kind(&self) -> LexErrorKind {
        self.kind
    }

    /// The byte offset of the opcode (or of the end of input, for [`LexErrorKind::NoStop`]).
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The opcode being lexed, when its byte could be read.
    pub fn opcode(&self) -> Option<Opcode> {
        self.opcode
    }

    /// Whether the input ended too early (as opposed to holding something malformed).
    pub fn is_eof(&self) -> bool {
        matches!(
            self.kind,
            LexErrorKind::NoStop | LexErrorKind::Truncated { .. } | LexErrorKind::MissingNewline
        )
    }

    pub(crate) fn with_offset(self, offset: u64) -> LexError {
        LexError { offset, ..self }
    }
}

impl fmt::Display for LexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.opcode {
            Some(opcode) if self.kind != LexErrorKind::UnknownOpcode => {
                write!(f, "{} at offset {}: {}", opcode, self.offset, self.kind)
            }
            _ => write!(f, "at offset {}: {}", self.offset, self.kind),
        }
    }
}

impl std::error::Error for LexError {}

/// The ways an opcode can be malformed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LexErrorKind {
    /// The input ended before a STOP opcode.
    NoStop,
    /// The byte is not an opcode of any protocol.
    UnknownOpcode,
    /// The argument needs more bytes than remain.
    Truncated {
        /// Bytes the argument needs after the opcode byte.
        needed: u64,
        /// Bytes that remain after the opcode byte.
        available: u64,
    },
    /// A text argument has no terminating newline.
    MissingNewline,
    /// A four-byte signed length is negative.
    NegativeLength(i32),
    /// A length does not fit in this machine's address space.
    LengthOverflow(u64),
    /// STRING's argument is not enclosed in matching quotes.
    StringNotQuoted,
    /// A protocol 0 escape sequence is malformed.
    Escape(EscapeError),
    /// A unicode argument is not UTF-8 (even allowing surrogates); the offset within it.
    InvalidUtf8(usize),
    /// A decimal integer argument is not a decimal integer.
    InvalidInt,
    /// A float argument is not a float.
    InvalidFloat,
    /// A float argument is finite but too large for a double.
    FloatOverflow,
}

impl fmt::Display for LexErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            LexErrorKind::NoStop => f.write_str("pickle exhausted before seeing STOP"),
            LexErrorKind::UnknownOpcode => f.write_str("unknown opcode"),
            LexErrorKind::Truncated { needed, available } => {
                write!(
                    f,
                    "argument needs {needed} bytes, but only {available} remain"
                )
            }
            LexErrorKind::MissingNewline => f.write_str("no newline found before end of input"),
            LexErrorKind::NegativeLength(len) => write!(f, "negative byte count {len}"),
            LexErrorKind::LengthOverflow(len) => {
                write!(f, "byte count {len} does not fit in memory")
            }
            LexErrorKind::StringNotQuoted => {
                f.write_str("the STRING opcode argument must be quoted")
            }
            LexErrorKind::Escape(EscapeError::TrailingBackslash) => {
                f.write_str("trailing backslash in string")
            }
            LexErrorKind::Escape(EscapeError::InvalidHexEscape(pos)) => {
                write!(f, "invalid \\x escape at position {pos}")
            }
            LexErrorKind::Escape(EscapeError::TruncatedUnicodeEscape(pos)) => {
                write!(f, "truncated \\uXXXX escape at position {pos}")
            }
            LexErrorKind::Escape(EscapeError::UnicodeOutOfRange(pos)) => {
                write!(f, "\\Uxxxxxxxx out of range at position {pos}")
            }
            LexErrorKind::InvalidUtf8(pos) => {
                write!(f, "invalid utf-8 at position {pos} of a str argument")
            }
            LexErrorKind::InvalidInt => f.write_str("could not convert string to int"),
            LexErrorKind::InvalidFloat => f.write_str("could not convert string to float"),
            LexErrorKind::FloatOverflow => f.write_str("float literal too large"),
        }
    }
}
