//! The opcodes of Python's pickle protocols 0 to 5, a zero-copy lexer for them, and a
//! disassembler whose output is byte for byte what `python3.11 -m pickletools` prints.
//!
//! This is the lowest layer of brine. It turns bytes into a sequence of opcodes with decoded
//! arguments and nothing more: it builds no objects, keeps no memo, and never imports or calls
//! anything a pickle names. The layers above (`brine-vm`, `brine-scan`) give the opcodes
//! meaning.
//!
//! - [`opcode`]: the table of all 68 opcodes ([`OPCODES`]) with CPython's names, argument
//!   kinds, stack effects, protocols and documentation.
//! - [`lex_op`] and [`Lexer`]: lex a `&[u8]`, yielding `(offset, Op)` with arguments borrowed
//!   from the input and decoded exactly as CPython decodes them. Length prefixes are checked
//!   against the bytes present before anything is taken, so no input makes the lexer allocate
//!   more than it holds. [`lex_hot`] is the in-line part of the same decoder, for loops
//!   that run the common opcodes themselves.
//! - [`StreamLexer`]: the same over a `BufRead`, holding only the current opcode in memory;
//!   [`read_op`] completes one opcode from a `BufRead`, for callers that lex in place.
//! - [`dis`] and [`dis_reader`]: pickletools-identical disassembly.
//! - [`pystr`], [`escape`] and [`repr`]: Python `str` text with lone surrogates, the protocol 0
//!   escape syntaxes, and Python's `repr()` of argument values.
//!
//! # Example
//!
//! ```
//! use brine_lex::{Arg, Lexer, Opcode};
//!
//! // pickle.dumps((1, "a"), protocol=2)
//! let pickle = b"\x80\x02K\x01X\x01\x00\x00\x00aq\x00\x86q\x01.";
//! let mut names = Vec::new();
//! for res in Lexer::new(pickle) {
//!     let (_offset, op) = res?;
//!     names.push(op.code.to_string());
//!     if op.code == Opcode::BININT1 {
//!         assert_eq!(op.arg, Arg::Int(1));
//!     }
//! }
//! assert_eq!(names, ["PROTO", "BININT1", "BINUNICODE", "BINPUT", "TUPLE2", "BINPUT", "STOP"]);
//! # Ok::<(), brine_lex::LexError>(())
//! ```
// One `unsafe` block, in `pystr::as_str`, turns text the UTF-8 automaton accepted into a
// `&str` without checking it again; it carries its proof. Nothing else may use `unsafe`.
#![deny(unsafe_code)]

mod arg;
mod dis;
mod error;
pub mod escape;
mod lex;
mod number;
pub mod opcode;
pub mod pystr;
pub mod repr;
mod stream;

pub use arg::{Arg, Op};
pub use dis::{DisError, DisOptions, dis, dis_reader};
pub use error::{LexError, LexErrorKind};
pub use lex::{
    HotArg, Lexer, hot_float8, hot_int4, hot_uint1, hot_uint2, hot_uint4, hot_unicodestring1,
    hot_unicodestring4, lex_hot, lex_op,
};
pub use opcode::{ArgKind, OPCODES, Opcode, OpcodeInfo, StackKind};
pub use stream::{ReadError, StreamLexer, read_op};

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
