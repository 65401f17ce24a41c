//! Why a graph could not be written as a pickle.

use std::fmt;
use std::io;

/// A graph that could not be pickled, or an output that failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum EncodeError {
    /// The protocol is not 0 to 5.
    UnsupportedProtocol(u8),
    /// A value this protocol cannot express, and why.
    Unpicklable(String),
    /// A tuple (or another object built from its contents) contains itself without a list,
    /// dict or object in between, which no Python object can.
    ImpossibleCycle(&'static str),
    /// In fast mode ([`crate::Options::fast`]), an object that contains itself: without a
    /// memo it would be written forever. CPython's C pickler raises `ValueError` ("fast mode:
    /// can't pickle cyclic objects including object type ...") for a list or dict; the
    /// type named here is that of the first object met again while it was being written.
    FastModeCycle(&'static str),
    /// A reference to a node the graph does not hold.
    DanglingNode(usize),
    /// A reference to a big int the graph does not hold.
    DanglingInt(usize),
    /// A list or dict written with [`crate::Emitter`] was announced with one length and given
    /// a number of items that needs another layout (CPython writes a lone item without MARK).
    LengthMismatch {
        /// The length announced.
        expected: usize,
        /// The items given.
        actual: usize,
    },
    /// Writing failed.
    Io(io::Error),
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::UnsupportedProtocol(proto) => {
                write!(f, "pickle protocol must be <= 5, not {proto}")
            }
            EncodeError::Unpicklable(why) => f.write_str(why),
            EncodeError::ImpossibleCycle(kind) => {
                write!(
                    f,
                    "a {kind} contains itself with no mutable object in between"
                )
            }
            EncodeError::FastModeCycle(kind) => write!(
                f,
                "fast mode: can't pickle cyclic objects including object type {kind}"
            ),
            EncodeError::DanglingNode(idx) => write!(f, "node {idx} is not in the graph"),
            EncodeError::DanglingInt(idx) => write!(f, "big int {idx} is not in the graph"),
            EncodeError::LengthMismatch { expected, actual } => write!(
                f,
                "a container announced {expected} items but was given {actual}"
            ),
            EncodeError::Io(err) => write!(f, "writing the pickle failed: {err}"),
        }
    }
}

impl std::error::Error for EncodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            EncodeError::Io(err) => Some(err),
            _ => None,
        }
    }
}

impl From<io::Error> for EncodeError {
    fn from(err: io::Error) -> EncodeError {
        EncodeError::Io(err)
    }
}
