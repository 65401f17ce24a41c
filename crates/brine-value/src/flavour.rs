//! [`Flavour`]: which CPython's pickler wrote a pickle, where their choices differ.

/// The CPython picklers whose choices differ where the object graph alone cannot tell them
/// apart: the encoder reproduces the one it is given (`brine_encode::Options::flavour`), and
/// the decoder names the one whose idioms it saw ([`crate::Graph::flavour`]).
///
/// The choices each one makes are listed, with the CPython source they come from, where the
/// encoder applies them (`brine-encode`'s `flavour.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[non_exhaustive]
pub enum Flavour {
    /// CPython 2.7's `cPickle`: memo indices from 1, only objects referenced more than once
    /// memoized, `int` and `long` written as the types the graph keeps ([`crate::Py2Int`]:
    /// an `int` of 64 bits as INT, a `long` within 32 bits as LONG or LONG1), protocol 0 text
    /// escaping only backslash and newline.
    Py27,
    /// CPython 3.6's `_pickle`: every protocol 0 int as LONG, protocol 0 text escaping only
    /// backslash and newline, every protocol 4 pickle framed and large payloads inside the
    /// frames, bytearray as `bytearray(text, 'latin-1')` below protocol 3.
    Py36,
    /// CPython 3.7's `_pickle`: as 3.11 but for bytearray, written as
    /// `bytearray(text, 'latin-1')` below protocol 3.
    Py37,
    /// CPython 3.8 to 3.12 (the reference is 3.11.7).
    #[default]
    Py311,
    /// CPython 3.13's `_pickle`: as 3.11, but a nested global below protocol 4 is
    /// `getattr(Parent, 'name')` with the parent and the tuple unmemoized, which the graph
    /// keeps as unmemoized nodes (see [`crate::Graph::memoized`]).
    Py313,
}

impl Flavour {
    /// The highest protocol this CPython writes.
    ///
    /// ```
    /// use brine_value::Flavour;
    /// assert_eq!(Flavour::Py27.highest_protocol(), 2);
    /// assert_eq!(Flavour::Py36.highest_protocol(), 4);
    /// assert_eq!(Flavour::Py313.highest_protocol(), 5);
    /// ```
    pub fn highest_protocol(self) -> u8 {
        match self {
            Flavour::Py27 => 2,
            Flavour::Py36 | Flavour::Py37 => 4,
            Flavour::Py311 | Flavour::Py313 => 5,
        }
    }
}
