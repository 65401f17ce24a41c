//! [`Flavour`]: which CPython's pickler wrote a pickle, where their choices differ.

/// The CPython picklers whose choices differ where the object graph alone cannot tell them
/// apart: the encoder reproduces the one it is given (`brine_encode::Options::flavour`), and
/// the decoder names the one whose idioms it saw ([`crate::Graph::flavour`]).
///
/// The choices each one makes are listed, with the CPython source they come from, where the
/// encoder applies them (`brine-encode`'s `flavour.rs`). Each is the C pickler's (`_pickle.c`,
/// `cPickle.c` on 2.7), which `pickle.dumps` is; the pure-Python `pickle._Pickler` is not
/// reproduced.
///
/// The pinned producers and their flavours: 2.7.18 `Py27`, 3.6.15 `Py36`, 3.7.16 `Py37`,
/// 3.8.18, 3.9.18, 3.10.13, 3.11.7 and 3.12.1 `Py311`, 3.13.0 `Py313`. 3.8 to 3.12 write every
/// fixture their `_pickle` writes as 3.11.7 does, and 3.7.16 as well but for a bytearray below
/// protocol 3 (fixtures/README.md, "Producers"); what else differs between them is the objects'
/// own reductions, which the graph keeps: a set of str iterates in another order before 3.11
/// (3.11 hashes str with SipHash-1-3, 3.10 and older with SipHash-2-4), and
/// `fractions.Fraction` reduces to `(cls, ('-7/3',))` before 3.11 and to `(cls, (-7, 3))` from
/// 3.11 on.
///
/// # What the decoder can tell apart
///
/// [`crate::Graph::flavour`] names a flavour only from an idiom in the stream that that
/// CPython's pickler alone writes: 2.7's memo numbered from 1, INT beyond 32 bits or `%.17g`
/// protocol 0 FLOAT; 3.6's LONG within 32 bits, FRAME under 4 bytes, payload of 64 KiB or more
/// inside a frame or raw NUL, CR or Ctrl-Z in a protocol 0 UNICODE line; 3.6's and 3.7's
/// `bytearray(text, 'latin-1')` below protocol 3 (taken for 3.7's unless a 3.6 idiom shows).
/// It cannot tell apart 3.8 to 3.12 from 3.11 (nor 3.13 from 3.11 in a pickle without a
/// nested global below protocol 4, whose unmemoized parts the graph keeps anyway), a 2.7
/// pickle without a memo, an INT beyond 32 bits or such a float (a lone `1.5`), or a 3.6 or
/// 3.7 pickle without those idioms: there the producers write the same bytes, so re-encoding
/// with the reference gives the pickle back.
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
    /// `bytearray(text, 'latin-1')` below protocol 3 (3.7's `Objects/bytearrayobject.c`
    /// `_common_reduce`; 3.8 reduces it to `bytearray(bytes)`). 3.7 is the first to write a
    /// frame under 4 bytes without FRAME and payloads of 64 KiB or more outside frames
    /// (`_Pickler_CommitFrame`, `_Pickler_write_bytes`), protocol 0 ints within 32 bits as INT
    /// (`save_long`) and NUL, CR and Ctrl-Z escaped in protocol 0 text (`raw_unicode_escape`),
    /// as 3.11 does.
    Py37,
    /// CPython 3.8 to 3.12 (the reference is 3.11.7): their `_pickle.c` make the same choices
    /// (3.8 adds protocol 5 and its BYTEARRAY8, NEXT_BUFFER and READONLY_BUFFER).
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
