//! One error type for everything the facade does, wrapping each layer's own.

use std::fmt;
use std::io;

use brine_lex::Opcode;

/// Loading, dumping, converting to or from Rust types, decompressing or verifying failed.
///
/// Each variant keeps the lower layer's error whole: [`std::error::Error::source`] returns
/// it, [`Error::offset`] and [`Error::opcode`] say where in the pickle a load failed, and
/// [`Error::path`] where in a Rust value a serde conversion failed. Every function of the
/// facade returns this one type, so `?` joins them.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The pickle could not be loaded.
    Load(brine_vm::Error),
    /// The graph could not be written as a pickle.
    Dump(brine_encode::EncodeError),
    /// Reading or writing failed.
    Io(io::Error),
    /// A parameter is not one Python accepts (a protocol above 5, an unknown encoding).
    InvalidArgument(String),
    /// Compressed input could not be decompressed, or output compressed.
    #[cfg(feature = "compress")]
    Compress(brine_compress::Error),
    /// A signed envelope did not verify.
    #[cfg(feature = "sign")]
    Sign(brine_sign::Error),
    /// A Rust value could not be written as a pickle, or a pickle read as a Rust type
    /// ([`crate::to_vec`], [`crate::from_slice`] and the rest of the serde path).
    #[cfg(feature = "serde")]
    Serde(brine_serde::Error),
}

impl Error {
    /// The byte offset of the opcode at fault, for a load error.
    pub fn offset(&self) -> Option<u64> {
        match self {
            Error::Load(err) => Some(err.offset()),
            #[cfg(feature = "serde")]
            Error::Serde(err) => err.offset(),
            _ => None,
        }
    }

    /// The opcode at fault, for a load error.
    pub fn opcode(&self) -> Option<Opcode> {
        match self {
            Error::Load(err) => err.opcode(),
            #[cfg(feature = "serde")]
            Error::Serde(err) => match err.kind() {
                brine_serde::ErrorKind::Load(err) => err.opcode(),
                _ => None,
            },
            _ => None,
        }
    }

    /// Where in the Rust value a serde conversion failed, as serde_path_to_error spells it
    /// (`records[0].name`), when the error came from one.
    pub fn path(&self) -> Option<&str> {
        match self {
            #[cfg(feature = "serde")]
            Error::Serde(err) => err.path(),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Load(err) => write!(f, "cannot load pickle: {err}"),
            Error::Dump(err) => write!(f, "cannot pickle: {err}"),
            Error::Io(err) => write!(f, "i/o error: {err}"),
            Error::InvalidArgument(message) => f.write_str(message),
            #[cfg(feature = "compress")]
            Error::Compress(err) => write!(f, "compression: {err}"),
            #[cfg(feature = "sign")]
            Error::Sign(err) => write!(f, "signature: {err}"),
            #[cfg(feature = "serde")]
            Error::Serde(err) => write!(f, "{err}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Load(err) => Some(err),
            Error::Dump(err) => Some(err),
            Error::Io(err) => Some(err),
            Error::InvalidArgument(_) => None,
            #[cfg(feature = "compress")]
            Error::Compress(err) => Some(err),
            #[cfg(feature = "sign")]
            Error::Sign(err) => Some(err),
            #[cfg(feature = "serde")]
            Error::Serde(err) => Some(err),
        }
    }
}

impl From<brine_vm::Error> for Error {
    fn from(err: brine_vm::Error) -> Error {
        Error::Load(err)
    }
}

impl From<brine_encode::EncodeError> for Error {
    fn from(err: brine_encode::EncodeError) -> Error {
        Error::Dump(err)
    }
}

impl From<io::Error> for Error {
    fn from(err: io::Error) -> Error {
        Error::Io(err)
    }
}

#[cfg(feature = "compress")]
impl From<brine_compress::Error> for Error {
    fn from(err: brine_compress::Error) -> Error {
        Error::Compress(err)
    }
}

#[cfg(feature = "sign")]
impl From<brine_sign::Error> for Error {
    fn from(err: brine_sign::Error) -> Error {
        Error::Sign(err)
    }
}

#[cfg(feature = "serde")]
impl From<brine_serde::Error> for Error {
    fn from(err: brine_serde::Error) -> Error {
        Error::Serde(err)
    }
}
