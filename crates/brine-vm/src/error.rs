//! Why a pickle could not be loaded: what went wrong, at which opcode, at which byte offset.

use std::fmt;
use std::io;

use brine_lex::{LexError, LexErrorKind, Opcode};

/// A pickle that could not be loaded.
///
/// Boxed, so that `Result<Graph, Error>` stays small on the hot path. Every error names the
/// byte offset of the opcode at fault and, where one was read, the opcode.
pub struct Error(Box<Inner>);

struct Inner {
    kind: ErrorKind,
    offset: u64,
    opcode: Option<Opcode>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, offset: u64, opcode: Option<Opcode>) -> Error {
        Error(Box::new(Inner {
            kind,
            offset,
            opcode,
        }))
    }

    /// The error of the lexer run over a part of the pickle that starts at offset `base`.
    pub(crate) fn from_lex(err: LexError, base: u64) -> Error {
        Error::new(
            ErrorKind::Lex(err.kind()),
            base + err.offset(),
            err.opcode(),
        )
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }

    /// The byte offset of the opcode at fault, from the start of the pickle.
    pub fn offset(&self) -> u64 {
        self.0.offset
    }

    /// The opcode at fault, when its byte was read.
    pub fn opcode(&self) -> Option<Opcode> {
        self.0.opcode
    }

    /// Whether the input ended before the pickle did.
    pub fn is_eof(&self) -> bool {
        match &self.0.kind {
            ErrorKind::Lex(kind) => matches!(
                kind,
                LexErrorKind::NoStop
                    | LexErrorKind::Truncated { .. }
                    | LexErrorKind::MissingNewline
            ),
            _ => false,
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.0.kind)
            .field("offset", &self.0.offset)
            .field("opcode", &self.0.opcode)
            .finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.opcode {
            Some(opcode) if !matches!(self.0.kind, ErrorKind::Lex(LexErrorKind::UnknownOpcode)) => {
                write!(f, "{} at offset {}: {}", opcode, self.0.offset, self.0.kind)
            }
            Some(opcode) => {
                write!(
                    f,
                    "at offset {}: unknown opcode 0x{:02x}",
                    self.0.offset, opcode.0
                )
            }
            None => write!(f, "at offset {}: {}", self.0.offset, self.0.kind),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.0.kind {
            ErrorKind::Io(err) => Some(err),
            _ => None,
        }
    }
}

/// The ways loading a pickle can fail.
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The bytes are not a well-formed opcode, or end before STOP.
    Lex(LexErrorKind),
    /// Reading the input failed.
    Io(io::Error),
    /// PROTO names a protocol above 5.
    UnsupportedProtocol(u64),
    /// An opcode needs more items than the stack holds above the topmost MARK.
    StackUnderflow,
    /// An opcode that works on the items after a MARK found no MARK.
    MarkNotFound,
    /// GET asked for a memo key nothing was stored under.
    MemoKeyMissing(u64),
    /// PUT or GET with a negative key.
    NegativeMemoKey,
    /// A FRAME whose declared length does not match the opcodes inside it.
    FrameMismatch(&'static str),
    /// PERSID's id is not ASCII.
    BadPersistentId,
    /// The persistent_load hook refused an id.
    PersistentLoad(String),
    /// The after_build hook failed, or claimed raw bytes the input does not hold.
    AfterBuild(String),
    /// EXT1/2/4 with a code of zero or less.
    ExtensionCodeNotPositive(i64),
    /// EXT1/2/4 with a code the extension registry does not hold.
    UnregisteredExtension(i64),
    /// NEXT_BUFFER, but no out-of-band buffers were given.
    NoBuffers,
    /// NEXT_BUFFER after every out-of-band buffer has been used.
    NotEnoughBuffers,
    /// READONLY_BUFFER on something that is not a buffer.
    NotABuffer,
    /// The find_class policy rejected a global.
    RejectedGlobal {
        /// The module, after fix_imports.
        module: String,
        /// The qualified name, after fix_imports.
        name: String,
    },
    /// A global's module or name is not valid text.
    BadGlobalName,
    /// STACK_GLOBAL found something other than two str objects.
    StackGlobalNotStr,
    /// An argument tuple was expected (REDUCE, NEWOBJ, NEWOBJ_EX).
    ExpectedTuple,
    /// NEWOBJ_EX's keyword arguments are not a dict.
    ExpectedDict,
    /// DICT or SETITEMS with an odd number of items after the MARK.
    OddItemCount,
    /// A mutation applied to an object that cannot take it, such as APPEND on a tuple.
    CannotMutate {
        /// What the opcode does.
        operation: &'static str,
        /// The Python type of the target.
        target: &'static str,
    },
    /// A Python 2 string could not be decoded with the chosen encoding.
    StringDecode {
        /// The encoding.
        encoding: &'static str,
        /// The offset of the first byte that does not decode.
        position: usize,
    },
    /// One of the configured limits was exceeded.
    LimitExceeded {
        /// Which limit.
        limit: &'static str,
        /// Its value.
        max: u64,
    },
    /// Bytes follow the STOP opcode and the options reject them.
    TrailingData(u64),
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Lex(kind) => kind.fmt(f),
            ErrorKind::Io(err) => write!(f, "reading the pickle failed: {err}"),
            ErrorKind::UnsupportedProtocol(proto) => {
                write!(f, "unsupported pickle protocol: {proto}")
            }
            ErrorKind::StackUnderflow => f.write_str("unpickling stack underflow"),
            ErrorKind::MarkNotFound => f.write_str("could not find MARK"),
            ErrorKind::MemoKeyMissing(key) => write!(f, "memo value not found at index {key}"),
            ErrorKind::NegativeMemoKey => f.write_str("negative memo key"),
            ErrorKind::FrameMismatch(what) => write!(f, "frame size mismatch: {what}"),
            ErrorKind::BadPersistentId => {
                f.write_str("persistent IDs in protocol 0 must be ASCII strings")
            }
            ErrorKind::PersistentLoad(message) => write!(f, "persistent_load failed: {message}"),
            ErrorKind::AfterBuild(message) => write!(f, "after_build failed: {message}"),
            ErrorKind::ExtensionCodeNotPositive(code) => {
                write!(f, "EXT specifies code <= 0: {code}")
            }
            ErrorKind::UnregisteredExtension(code) => {
                write!(f, "unregistered extension code {code}")
            }
            ErrorKind::NoBuffers => f.write_str(
                "pickle stream refers to out-of-band data but no buffers argument was given",
            ),
            ErrorKind::NotEnoughBuffers => f.write_str("not enough out-of-band buffers"),
            ErrorKind::NotABuffer => f.write_str("READONLY_BUFFER applied to a non-buffer"),
            ErrorKind::RejectedGlobal { module, name } => {
                write!(
                    f,
                    "global '{module}.{name}' is forbidden by the find_class policy"
                )
            }
            ErrorKind::BadGlobalName => f.write_str("global module or name is not valid utf-8"),
            ErrorKind::StackGlobalNotStr => f.write_str("STACK_GLOBAL requires str"),
            ErrorKind::ExpectedTuple => f.write_str("expected an argument tuple"),
            ErrorKind::ExpectedDict => f.write_str("keyword arguments must be a dict"),
            ErrorKind::OddItemCount => f.write_str("odd number of items for a dict"),
            ErrorKind::CannotMutate { operation, target } => {
                write!(f, "cannot {operation} a {target}")
            }
            ErrorKind::StringDecode { encoding, position } => write!(
                f,
                "python 2 str is not valid {encoding} at position {position} \
                 (choose another encoding, or 'bytes')"
            ),
            ErrorKind::LimitExceeded { limit, max } => {
                write!(f, "limit exceeded: more than {max} {limit}")
            }
            ErrorKind::TrailingData(len) => write!(f, "{len} bytes follow the STOP opcode"),
        }
    }
}
