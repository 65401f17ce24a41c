//! [`PyStr`]: a Python `str`, lone surrogates included.

use std::fmt;

use brine_lex::pystr;
use bytes::Bytes;

/// A Python `str`.
///
/// Held as "surrogatepass UTF-8" (see [`brine_lex::pystr`]): UTF-8 in which the code points
/// U+D800 to U+DFFF may appear on their own, exactly as pickle writes a `str`. Every Python
/// string round-trips, and [`PyStr::as_str`] gives a `&str` for the ones Rust can hold.
/// Cloning is cheap: the bytes are shared.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct PyStr(Bytes);

impl PyStr {
    /// A `str` from Rust text.
    ///
    /// # Example
    ///
    /// ```
    /// let s = brine_value::PyStr::new("héllo");
    /// assert_eq!(s.as_str(), Some("héllo"));
    /// assert_eq!(s.char_len(), 5);
    /// ```
    pub fn new(text: &str) -> PyStr {
        PyStr(Bytes::copy_from_slice(text.as_bytes()))
    }

    /// A `str` from surrogatepass UTF-8 bytes, checking them.
    ///
    /// # Errors
    ///
    /// The offset of the first malformed byte.
    ///
    /// # Example
    ///
    /// ```
    /// use brine_value::PyStr;
    /// let lone = PyStr::from_surrogatepass(bytes::Bytes::from_static(b"\xed\xa0\x80")).unwrap();
    /// assert_eq!(lone.as_str(), None);
    /// assert_eq!(lone.code_points().collect::<Vec<_>>(), [0xD800]);
    /// ```
    pub fn from_surrogatepass(data: Bytes) -> Result<PyStr, usize> {
        pystr::validate(&data)?;
        Ok(PyStr(data))
    }

    /// A `str` from bytes the caller has already validated as surrogatepass UTF-8 (the lexer
    /// validates every unicode argument).
    ///
    /// Nothing unsafe follows from bytes that are not: `as_str` returns `None` and
    /// `code_points` yields U+FFFD for each malformed byte.
    pub fn from_surrogatepass_unchecked(data: Bytes) -> PyStr {
        debug_assert!(pystr::validate(&data).is_ok(), "unvalidated str bytes");
        PyStr(data)
    }

    /// A `str` holding the Latin-1 decoding of `data` (each byte one code point).
    pub fn from_latin1(data: &[u8]) -> PyStr {
        if data.is_ascii() {
            return PyStr(Bytes::copy_from_slice(data));
        }
        let mut out = Vec::with_capacity(data.len() * 2);
        for &byte in data {
            pystr::push_code_point(&mut out, u32::from(byte));
        }
        PyStr(Bytes::from(out))
    }

    /// The text, when it holds no lone surrogate.
    pub fn as_str(&self) -> Option<&str> {
        pystr::as_str(&self.0)
    }

    /// The surrogatepass UTF-8 bytes: what BINUNICODE writes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The shared buffer holding the bytes.
    pub fn to_bytes(&self) -> Bytes {
        self.0.clone()
    }

    /// The code points, surrogates included.
    pub fn code_points(&self) -> pystr::CodePoints<'_> {
        pystr::code_points(&self.0)
    }

    /// Python's `len()`: the number of code points.
    pub fn char_len(&self) -> usize {
        pystr::char_len(&self.0)
    }

    /// Whether the string is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<&str> for PyStr {
    fn from(text: &str) -> PyStr {
        PyStr::new(text)
    }
}

impl From<String> for PyStr {
    fn from(text: String) -> PyStr {
        PyStr(Bytes::from(text.into_bytes()))
    }
}

impl PartialEq<str> for PyStr {
    fn eq(&self, other: &str) -> bool {
        self.0 == other.as_bytes()
    }
}

impl PartialEq<&str> for PyStr {
    fn eq(&self, other: &&str) -> bool {
        self.0 == other.as_bytes()
    }
}

impl fmt::Debug for PyStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&brine_lex::repr::str_repr(&self.0))
    }
}

impl fmt::Display for PyStr {
    /// The text, with each lone surrogate shown as U+FFFD.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.as_str() {
            Some(text) => f.write_str(text),
            None => {
                let text: String = self
                    .code_points()
                    .map(|cp| char::from_u32(cp).unwrap_or(char::REPLACEMENT_CHARACTER))
                    .collect();
                f.write_str(&text)
            }
        }
    }
}
