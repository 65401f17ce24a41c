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
        PyStr(Bytes::from(latin1_to_utf8(data)))
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

/// The UTF-8 of Latin-1 `data`: a byte below 0x80 is itself, one above is two bytes
/// (`0xC0 | b >> 6`, `0x80 | b & 0x3F`).
///
/// Eight bytes at a time: an ASCII word is copied whole, and any other is expanded into a
/// 16-byte block without a branch on the bytes (both UTF-8 bytes of each are stored, and the
/// position moves on by one or two), so random bytes, half of them above 0x80, cost a few
/// instructions each rather than a call per code point.
fn latin1_to_utf8(data: &[u8]) -> Vec<u8> {
    const HIGH_BITS: u64 = 0x8080_8080_8080_8080;
    let mut words = data.chunks_exact(8);
    let word = |chunk: &[u8]| u64::from_le_bytes(chunk.try_into().unwrap_or_default());
    let high = (&mut words)
        .map(|chunk| (word(chunk) & HIGH_BITS).count_ones() as usize)
        .sum::<usize>()
        + words
            .remainder()
            .iter()
            .filter(|&&byte| byte >= 0x80)
            .count();
    let len = data.len() + high;
    // Slack for the last block's 16 bytes, of which as few as 8 may be the text's.
    let mut out = vec![0; len + 16];
    let mut at = 0;
    let mut words = data.chunks_exact(8);
    for chunk in &mut words {
        if word(chunk) & HIGH_BITS == 0 {
            out[at..at + 8].copy_from_slice(chunk);
            at += 8;
            continue;
        }
        let mut block = [0; 16];
        let mut used = 0;
        for &byte in chunk {
            used = push_latin1(&mut block, used, byte);
        }
        out[at..at + 16].copy_from_slice(&block);
        at += used;
    }
    let mut block = [0; 16];
    let mut used = 0;
    for &byte in words.remainder() {
        used = push_latin1(&mut block, used, byte);
    }
    out[at..at + 16].copy_from_slice(&block);
    at += used;
    debug_assert_eq!(at, len);
    out.truncate(len);
    out
}

/// Writes Latin-1 `byte` as UTF-8 into `block` at `used` (at most 14, eight bytes into a
/// block, so both stores land inside it), and returns the position after it.
#[inline(always)]
fn push_latin1(block: &mut [u8; 16], used: usize, byte: u8) -> usize {
    let high = usize::from(byte >> 7);
    let lead = if high == 0 { byte } else { 0xC0 | (byte >> 6) };
    // The masks keep the indices in the block, which they are already, without a bounds test.
    block[used & 15] = lead;
    block[(used + 1) & 15] = 0x80 | (byte & 0x3F);
    used + 1 + high
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

#[cfg(test)]
mod tests {
    use super::PyStr;

    /// What Python's `bytes.decode('latin-1')` gives, encoded as UTF-8: one `char` per byte.
    fn expected(data: &[u8]) -> Vec<u8> {
        data.iter()
            .map(|&byte| char::from(byte))
            .collect::<String>()
            .into_bytes()
    }

    fn check(data: &[u8]) {
        assert_eq!(
            PyStr::from_latin1(data).as_bytes(),
            expected(data),
            "{data:?}"
        );
    }

    #[test]
    fn from_latin1_is_each_byte_a_code_point() {
        let every: Vec<u8> = (0..=255).collect();
        check(&every);
        check(&[]);
        check(b"plain ascii, more than eight bytes long");
        // Every length around the 8-byte words, ASCII and not, at every alignment.
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        for len in 0..40 {
            for high_every in [1, 2, 3, 7, 9, 1000] {
                let data: Vec<u8> = (0..len)
                    .map(|i| {
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                        let byte = (state >> 24) as u8;
                        if i % high_every == 0 {
                            byte | 0x80
                        } else {
                            byte & 0x7F
                        }
                    })
                    .collect();
                check(&data);
            }
        }
    }
}
