//! The two escape syntaxes of protocol 0 text: Python's `string-escape` and
//! `raw-unicode-escape`, decoded exactly as CPython decodes them.

use std::borrow::Cow;

use crate::pystr;

/// Why escaped text could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EscapeError {
    /// A backslash ends the text.
    TrailingBackslash,
    /// `\x` is not followed by two hex digits; the offset of the backslash.
    InvalidHexEscape(usize),
    /// `\u` or `\U` is not followed by 4 or 8 hex digits; the offset of the backslash.
    TruncatedUnicodeEscape(usize),
    /// `\U` names a code point above U+10FFFF; the offset of the backslash.
    UnicodeOutOfRange(usize),
}

/// Undoes Python's `string-escape` (`codecs.escape_decode`), as CPython's
/// `PyBytes_DecodeEscape` does for the STRING opcode.
///
/// An unknown escape such as `\q` keeps its backslash, and an octal escape above `\377` keeps
/// its low eight bits, as in CPython.
///
/// # Errors
///
/// A trailing backslash or a malformed `\x` escape.
///
/// # Example
///
/// ```
/// use brine_lex::escape::escape_decode;
/// assert_eq!(&*escape_decode(br"a\n\x41\101\q").unwrap(), b"a\nAA\\q");
/// ```
pub fn escape_decode(data: &[u8]) -> Result<Cow<'_, [u8]>, EscapeError> {
    let Some(first) = memchr::memchr(b'\\', data) else {
        return Ok(Cow::Borrowed(data));
    };
    let mut out = Vec::with_capacity(data.len());
    out.extend_from_slice(&data[..first]);
    let mut pos = first;
    while pos < data.len() {
        let byte = data[pos];
        if byte != b'\\' {
            out.push(byte);
            pos += 1;
            continue;
        }
        let escape_pos = pos;
        pos += 1;
        let Some(&kind) = data.get(pos) else {
            return Err(EscapeError::TrailingBackslash);
        };
        pos += 1;
        match kind {
            b'\n' => {}
            b'\\' => out.push(b'\\'),
            b'\'' => out.push(b'\''),
            b'"' => out.push(b'"'),
            b'b' => out.push(0x08),
            b'f' => out.push(0x0C),
            b't' => out.push(b'\t'),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b'v' => out.push(0x0B),
            b'a' => out.push(0x07),
            b'0'..=b'7' => {
                let mut value = u32::from(kind - b'0');
                for _ in 0..2 {
                    match data.get(pos) {
                        Some(&digit @ b'0'..=b'7') => {
                            value = (value << 3) + u32::from(digit - b'0');
                            pos += 1;
                        }
                        _ => break,
                    }
                }
                // CPython stores the value in a char, keeping the low eight bits.
                out.push((value & 0xFF) as u8);
            }
            b'x' => {
                let digits = data
                    .get(pos..pos + 2)
                    .and_then(|hex| Some((hex_digit(hex[0])?, hex_digit(hex[1])?)));
                let Some((high, low)) = digits else {
                    return Err(EscapeError::InvalidHexEscape(escape_pos));
                };
                out.push(((high << 4) | low) as u8);
                pos += 2;
            }
            _ => {
                out.push(b'\\');
                pos -= 1;
            }
        }
    }
    Ok(Cow::Owned(out))
}

/// Decodes `raw-unicode-escape` text into surrogatepass UTF-8 (see [`crate::pystr`]), as the
/// UNICODE opcode requires.
///
/// Bytes other than the escapes `\uXXXX` and `\UXXXXXXXX` are Latin-1 code points; a backslash
/// before anything else stays a backslash.
///
/// # Errors
///
/// A truncated `\u`/`\U` escape or one above U+10FFFF.
///
/// # Example
///
/// ```
/// use brine_lex::escape::raw_unicode_escape_decode;
/// assert_eq!(&*raw_unicode_escape_decode(br"caf\xe9\u20ac").unwrap(), "caf\\xe9€".as_bytes());
/// assert_eq!(&*raw_unicode_escape_decode(b"\xe9").unwrap(), "é".as_bytes());
/// ```
pub fn raw_unicode_escape_decode(data: &[u8]) -> Result<Cow<'_, [u8]>, EscapeError> {
    if data.iter().all(|&b| b != b'\\' && b.is_ascii()) {
        return Ok(Cow::Borrowed(data));
    }
    let mut out = Vec::with_capacity(data.len() + data.len() / 2);
    let mut pos = 0;
    while pos < data.len() {
        let byte = data[pos];
        pos += 1;
        if byte != b'\\' {
            pystr::push_code_point(&mut out, u32::from(byte));
            continue;
        }
        let escape_pos = pos - 1;
        let count = match data.get(pos) {
            Some(b'u') => 4,
            Some(b'U') => 8,
            Some(&other) => {
                out.push(b'\\');
                pystr::push_code_point(&mut out, u32::from(other));
                pos += 1;
                continue;
            }
            None => {
                out.push(b'\\');
                break;
            }
        };
        pos += 1;
        let mut cp: u32 = 0;
        for _ in 0..count {
            let digit = data.get(pos).and_then(|&b| hex_digit(b));
            let Some(digit) = digit else {
                return Err(EscapeError::TruncatedUnicodeEscape(escape_pos));
            };
            cp = (cp << 4) | digit;
            pos += 1;
        }
        if cp > 0x10FFFF {
            return Err(EscapeError::UnicodeOutOfRange(escape_pos));
        }
        pystr::push_code_point(&mut out, cp);
    }
    Ok(Cow::Owned(out))
}

fn hex_digit(byte: u8) -> Option<u32> {
    char::from(byte).to_digit(16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_decode_matches_cpython() {
        let check = |input: &[u8], expect: Result<&[u8], EscapeError>| {
            assert_eq!(
                escape_decode(input).as_deref().map_err(|e| *e),
                expect,
                "{input:?}"
            );
        };
        check(b"plain", Ok(b"plain"));
        check(br#"\\\'\""#, Ok(b"\\'\""));
        check(br"\a\b\f\n\r\t\v", Ok(b"\x07\x08\x0c\n\r\t\x0b"));
        check(b"a\\\nb", Ok(b"ab"));
        check(br"\0\07\007\0077", Ok(b"\x00\x07\x07\x077"));
        check(br"\777", Ok(b"\xff"));
        check(br"\xff\x0A", Ok(b"\xff\n"));
        check(br"\q\8", Ok(br"\q\8"));
        check(br"\x4", Err(EscapeError::InvalidHexEscape(0)));
        check(br"ab\xg0", Err(EscapeError::InvalidHexEscape(2)));
        check(b"ab\\", Err(EscapeError::TrailingBackslash));
    }

    #[test]
    fn raw_unicode_escape_matches_cpython() {
        let check = |input: &[u8], expect: Result<&[u8], EscapeError>| {
            assert_eq!(
                raw_unicode_escape_decode(input).as_deref().map_err(|e| *e),
                expect,
                "{input:?}"
            );
        };
        check(b"abc", Ok(b"abc"));
        check(b"\xff", Ok("\u{ff}".as_bytes()));
        check(br"\u005c\u000a", Ok(b"\\\n"));
        check(br"\U0001f600", Ok("\u{1F600}".as_bytes()));
        check(br"\ud800", Ok(b"\xed\xa0\x80"));
        check(br"\x41\n", Ok(br"\x41\n"));
        check(b"a\\", Ok(b"a\\"));
        check(br"\\u0041", Ok(br"\\u0041"));
        check(br"\u12", Err(EscapeError::TruncatedUnicodeEscape(0)));
        check(br"x\U0011ffff", Err(EscapeError::UnicodeOutOfRange(1)));
        check(br"\u12g4", Err(EscapeError::TruncatedUnicodeEscape(0)));
    }
}
