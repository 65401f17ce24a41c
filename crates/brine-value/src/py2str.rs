//! Python 2 `str`: how its bytes read as text, with Python 3's `encoding` and `errors`.
//!
//! A Python 2 `str` (STRING, BINSTRING, SHORT_BINSTRING) is bytes, and what it means depends
//! on the reader: `pickle.loads(data, encoding="latin1")` makes text of it, `encoding="bytes"`
//! keeps the bytes. The graph keeps the bytes as written ([`crate::Node::Py2Str`]) together
//! with the choice the loader was given ([`crate::Graph::py2_text`]), and every reader that
//! needs text (interpretation, serde, the encoder at protocol 3 and above) decodes with
//! [`Py2Text::decode`], so a protocol 0-2 re-encoding still writes the same Python 2 `str`.

use std::fmt;

use bytes::Bytes;

use crate::pystr::PyStr;

/// How Python 2 `str` objects read (Python's `encoding` parameter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum StringEncoding {
    /// `'ASCII'`: Python's default.
    #[default]
    Ascii,
    /// `'latin1'`: every byte is a code point; never fails. The choice for NumPy arrays and
    /// datetime objects pickled by Python 2.
    Latin1,
    /// `'utf-8'`.
    Utf8,
    /// `'bytes'`: keep them as `bytes`.
    Bytes,
    /// `'koi8-r'`: Russian Cyrillic (RFC 1489); every byte is a character, as in Python's
    /// `koi8_r` codec, whose table WHATWG's KOI8-R (the `encoding_rs` one read here) is.
    Koi8R,
}

impl StringEncoding {
    /// The encoding Python calls `name` (`"ASCII"`, `"latin1"`, `"latin-1"`, `"iso-8859-1"`,
    /// `"utf-8"`, `"utf8"`, `"koi8-r"`, `"bytes"`), ignoring case and `_` for `-`, as Python's
    /// codec lookup does.
    ///
    /// # Example
    ///
    /// ```
    /// use brine_value::StringEncoding;
    ///
    /// assert_eq!(StringEncoding::from_name("ISO8859_1"), Some(StringEncoding::Latin1));
    /// assert_eq!(StringEncoding::from_name("KOI8_R"), Some(StringEncoding::Koi8R));
    /// assert_eq!(StringEncoding::from_name("koi8-u"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<StringEncoding> {
        let normalized = name.to_ascii_lowercase().replace('_', "-");
        Some(match normalized.as_str() {
            "ascii" | "us-ascii" | "646" => StringEncoding::Ascii,
            "latin1" | "latin-1" | "iso-8859-1" | "iso8859-1" | "8859" | "cp819" | "l1" => {
                StringEncoding::Latin1
            }
            "utf-8" | "utf8" | "u8" => StringEncoding::Utf8,
            "koi8-r" | "cskoi8r" => StringEncoding::Koi8R,
            "bytes" => StringEncoding::Bytes,
            _ => return None,
        })
    }

    /// Python's name for the encoding.
    pub fn name(self) -> &'static str {
        match self {
            StringEncoding::Ascii => "ascii",
            StringEncoding::Latin1 => "latin1",
            StringEncoding::Utf8 => "utf-8",
            StringEncoding::Bytes => "bytes",
            StringEncoding::Koi8R => "koi8-r",
        }
    }
}

/// What to do with bytes the encoding cannot decode (Python's `errors` parameter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum StringErrors {
    /// `'strict'`: an error.
    #[default]
    Strict,
    /// `'replace'`: U+FFFD.
    Replace,
    /// `'ignore'`: drop the byte.
    Ignore,
    /// `'surrogateescape'`: U+DC80 + byte, which round-trips.
    SurrogateEscape,
}

impl StringErrors {
    /// The handler Python calls `name`: `"strict"`, `"replace"`, `"ignore"`,
    /// `"surrogateescape"`.
    pub fn from_name(name: &str) -> Option<StringErrors> {
        Some(match name {
            "strict" => StringErrors::Strict,
            "replace" => StringErrors::Replace,
            "ignore" => StringErrors::Ignore,
            "surrogateescape" => StringErrors::SurrogateEscape,
            _ => return None,
        })
    }
}

/// How a graph's Python 2 `str` read: the `encoding` and `errors` the loader was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Py2Text {
    /// The encoding. Default: ASCII, as in Python.
    pub encoding: StringEncoding,
    /// The error handler. Default: strict.
    pub errors: StringErrors,
}

/// What a Python 2 `str` reads as.
#[derive(Debug, Clone, PartialEq)]
pub enum Py2Value {
    /// Text (every encoding but `bytes`).
    Str(PyStr),
    /// The bytes themselves (`encoding="bytes"`).
    Bytes(Bytes),
}

/// A Python 2 `str` that the chosen encoding cannot decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeError {
    /// The encoding.
    pub encoding: StringEncoding,
    /// The offset of the first byte that does not decode.
    pub position: usize,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "python 2 str is not valid {} at position {} (choose another encoding, or 'bytes')",
            self.encoding.name(),
            self.position
        )
    }
}

impl std::error::Error for DecodeError {}

impl Py2Text {
    /// What `data`, a Python 2 `str`, reads as: what `pickle.loads(data, encoding=...,
    /// errors=...)` gives.
    ///
    /// # Errors
    ///
    /// With `errors` strict, a byte the encoding cannot decode.
    ///
    /// # Example
    ///
    /// ```
    /// use brine_value::{Py2Text, Py2Value, StringEncoding};
    ///
    /// let latin1 = Py2Text { encoding: StringEncoding::Latin1, ..Py2Text::default() };
    /// let Ok(Py2Value::Str(text)) = latin1.decode(&b"caf\xe9"[..].into()) else { panic!() };
    /// assert_eq!(text.as_str(), Some("café"));
    /// assert!(Py2Text::default().decode(&b"caf\xe9"[..].into()).is_err());
    /// ```
    pub fn decode(&self, data: &Bytes) -> Result<Py2Value, DecodeError> {
        let encoding = self.encoding;
        if encoding == StringEncoding::Bytes {
            return Ok(Py2Value::Bytes(data.clone()));
        }
        if data.is_ascii() {
            return Ok(Py2Value::Str(PyStr::from_surrogatepass_unchecked(
                data.clone(),
            )));
        }
        let decoded = match encoding {
            StringEncoding::Latin1 => Ok(PyStr::from_latin1(data)),
            // Every byte decodes, so there is never an error to handle.
            StringEncoding::Koi8R => Ok(PyStr::from(
                encoding_rs::KOI8_R
                    .decode_without_bom_handling(data)
                    .0
                    .into_owned(),
            )),
            StringEncoding::Utf8 => {
                decode_with_errors(data, self.errors, |rest| match std::str::from_utf8(rest) {
                    Ok(_) => rest.len(),
                    Err(err) => err.valid_up_to(),
                })
            }
            _ => decode_with_errors(data, self.errors, |rest| {
                rest.iter()
                    .position(|b| !b.is_ascii())
                    .unwrap_or(rest.len())
            }),
        };
        decoded
            .map(Py2Value::Str)
            .map_err(|position| DecodeError { encoding, position })
    }
}

/// Decodes `data`, where `valid_prefix(rest)` is how many leading bytes of `rest` decode as
/// themselves, handling each undecodable byte as `errors` says.
fn decode_with_errors(
    data: &[u8],
    errors: StringErrors,
    valid_prefix: impl Fn(&[u8]) -> usize,
) -> Result<PyStr, usize> {
    let mut out = Vec::with_capacity(data.len());
    let mut pos = 0;
    while pos < data.len() {
        let valid = valid_prefix(&data[pos..]);
        out.extend_from_slice(&data[pos..pos + valid]);
        pos += valid;
        if pos == data.len() {
            break;
        }
        match errors {
            StringErrors::Strict => return Err(pos),
            StringErrors::Replace => out.extend_from_slice("\u{FFFD}".as_bytes()),
            StringErrors::Ignore => {}
            StringErrors::SurrogateEscape => {
                brine_lex::pystr::push_code_point(&mut out, 0xDC00 + u32::from(data[pos]));
            }
        }
        pos += 1;
    }
    Ok(PyStr::from_surrogatepass_unchecked(Bytes::from(out)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(encoding: StringEncoding, errors: StringErrors, data: &[u8]) -> Option<String> {
        let text = Py2Text { encoding, errors };
        match text.decode(&Bytes::copy_from_slice(data)).ok()? {
            Py2Value::Str(text) => Some(String::from_utf8_lossy(text.as_bytes()).into_owned()),
            Py2Value::Bytes(data) => Some(format!("b{data:?}")),
        }
    }

    #[test]
    fn each_encoding_and_handler_as_python() {
        use StringEncoding::*;
        use StringErrors::*;
        // b'caf\xc3\xa9 \xff'.decode(encoding, errors) in CPython 3.11.
        let data = b"caf\xc3\xa9 \xff";
        assert_eq!(decode(Ascii, Strict, data), None);
        assert_eq!(
            decode(Ascii, Replace, data).as_deref(),
            Some("caf\u{FFFD}\u{FFFD} \u{FFFD}")
        );
        assert_eq!(decode(Ascii, Ignore, data).as_deref(), Some("caf "));
        assert_eq!(decode(Utf8, Strict, data), None);
        assert_eq!(decode(Utf8, Ignore, data).as_deref(), Some("café "));
        assert_eq!(decode(Latin1, Strict, data).as_deref(), Some("cafÃ© ÿ"));
        assert_eq!(
            decode(Bytes, Strict, data).as_deref(),
            Some("bb\"caf\\xc3\\xa9 \\xff\"")
        );
        let escaped = Py2Text {
            encoding: Ascii,
            errors: SurrogateEscape,
        }
        .decode(&bytes::Bytes::from_static(b"a\xff"))
        .unwrap();
        assert_eq!(
            escaped,
            Py2Value::Str(PyStr::from_surrogatepass_unchecked(
                bytes::Bytes::from_static(b"a\xed\xb3\xbf")
            ))
        );
    }

    #[test]
    fn strict_reports_the_first_bad_byte() {
        let err = Py2Text::default()
            .decode(&Bytes::from_static(b"ab\x80c"))
            .unwrap_err();
        assert_eq!(err.position, 2);
        assert_eq!(
            err.to_string(),
            "python 2 str is not valid ascii at position 2 (choose another encoding, or 'bytes')"
        );
    }
}
