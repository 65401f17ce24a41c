//! Python `str` values as bytes: UTF-8 in which lone surrogates are allowed.
//!
//! CPython writes a `str` into a pickle with the `surrogatepass` error handler, so a string that
//! holds a lone surrogate (`'\ud800'`) becomes the three bytes `ED A0 80`, which strict UTF-8
//! rejects. brine keeps such text in exactly that encoding ("surrogatepass UTF-8"): every code
//! point from U+0000 to U+10FFFF, surrogates included, encoded on its own the way UTF-8 encodes
//! it. Valid UTF-8 is the common case and is a subset, so `std::str::from_utf8` tells whether a
//! value is an ordinary Rust string. Two surrogates written one after the other stay two code
//! points, as they are in Python.

/// Checks that `data` is surrogatepass UTF-8.
///
/// # Errors
///
/// The offset of the first byte that does not start a well-formed sequence.
///
/// # Example
///
/// ```
/// use brine_lex::pystr::validate;
/// assert!(validate("café".as_bytes()).is_ok());
/// assert!(validate(b"\xed\xa0\x80").is_ok()); // a lone surrogate
/// assert_eq!(validate(b"ab\xff"), Err(2));
/// ```
pub fn validate(data: &[u8]) -> Result<(), usize> {
    // Short text is mostly ASCII, and simdutf8 hands inputs under 64 bytes to std's
    // validator, which reads them a byte at a time.
    if data.len() < 64 && short_ascii(data) {
        return Ok(());
    }
    if as_str(data).is_some() {
        return Ok(());
    }
    match std::str::from_utf8(data) {
        Ok(_) => Ok(()),
        Err(err) => validate_slow(data, err.valid_up_to()),
    }
}

/// The text, when `data` is strict UTF-8 (surrogatepass UTF-8 without a lone surrogate).
///
/// SIMD-validated: the common case, valid text, costs a fraction of `std::str::from_utf8`.
///
/// # Example
///
/// ```
/// use brine_lex::pystr::as_str;
/// assert_eq!(as_str("café".as_bytes()), Some("café"));
/// assert_eq!(as_str(b"\xed\xa0\x80"), None); // a lone surrogate
/// ```
#[inline]
pub fn as_str(data: &[u8]) -> Option<&str> {
    simdutf8::basic::from_utf8(data).ok()
}

/// Whether `data`, under 64 bytes, is ASCII: eight bytes at a time (the last word overlapping
/// the one before it), four or one at a time below eight.
#[inline]
fn short_ascii(data: &[u8]) -> bool {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let word = |at: usize| u64::from_le_bytes(data[at..at + 8].try_into().unwrap_or([0x80; 8]));
    let half = |at: usize| u32::from_le_bytes(data[at..at + 4].try_into().unwrap_or([0x80; 4]));
    let len = data.len();
    if len >= 8 {
        let mut acc = word(len - 8);
        let mut at = 0;
        while at + 8 <= len {
            acc |= word(at);
            at += 8;
        }
        acc & HIGH == 0
    } else if len >= 4 {
        (half(0) | half(len - 4)) & (HIGH as u32) == 0
    } else {
        data.iter().all(u8::is_ascii)
    }
}

fn validate_slow(data: &[u8], mut pos: usize) -> Result<(), usize> {
    while pos < data.len() {
        match decode_one(&data[pos..]) {
            Some((_, len)) => pos += len,
            None => return Err(pos),
        }
    }
    Ok(())
}

/// Decodes the code point at the start of `data` and its length in bytes, accepting surrogates.
fn decode_one(data: &[u8]) -> Option<(u32, usize)> {
    let first = *data.first()?;
    let cont = |idx: usize| -> Option<u32> {
        let byte = *data.get(idx)?;
        (byte & 0xC0 == 0x80).then_some(u32::from(byte & 0x3F))
    };
    match first {
        0x00..=0x7F => Some((u32::from(first), 1)),
        0xC2..=0xDF => Some(((u32::from(first & 0x1F) << 6) | cont(1)?, 2)),
        0xE0..=0xEF => {
            let cp = (u32::from(first & 0x0F) << 12) | (cont(1)? << 6) | cont(2)?;
            (cp >= 0x800).then_some((cp, 3))
        }
        0xF0..=0xF4 => {
            let cp =
                (u32::from(first & 0x07) << 18) | (cont(1)? << 12) | (cont(2)? << 6) | cont(3)?;
            (0x10000..=0x10FFFF).contains(&cp).then_some((cp, 4))
        }
        _ => None,
    }
}

/// Appends the encoding of one code point (0 to 0x10FFFF, surrogates included).
///
/// # Example
///
/// ```
/// let mut out = Vec::new();
/// brine_lex::pystr::push_code_point(&mut out, 0xD800);
/// brine_lex::pystr::push_code_point(&mut out, 'é' as u32);
/// assert_eq!(out, b"\xed\xa0\x80\xc3\xa9");
/// ```
pub fn push_code_point(out: &mut Vec<u8>, cp: u32) {
    debug_assert!(cp <= 0x10FFFF, "code point out of range");
    // Truncating casts below keep exactly the bits each UTF-8 byte carries.
    match cp {
        0..=0x7F => out.push(cp as u8),
        0x80..=0x7FF => out.extend_from_slice(&[0xC0 | (cp >> 6) as u8, 0x80 | (cp & 0x3F) as u8]),
        0x800..=0xFFFF => out.extend_from_slice(&[
            0xE0 | (cp >> 12) as u8,
            0x80 | ((cp >> 6) & 0x3F) as u8,
            0x80 | (cp & 0x3F) as u8,
        ]),
        _ => out.extend_from_slice(&[
            0xF0 | (cp >> 18) as u8,
            0x80 | ((cp >> 12) & 0x3F) as u8,
            0x80 | ((cp >> 6) & 0x3F) as u8,
            0x80 | (cp & 0x3F) as u8,
        ]),
    }
}

/// The code points of surrogatepass UTF-8 text.
///
/// Bytes that are not well-formed (which [`validate`] would have rejected) come out as
/// U+FFFD, one per byte, so the iterator never fails.
///
/// # Example
///
/// ```
/// let cps: Vec<u32> = brine_lex::pystr::code_points(b"a\xed\xa0\x80").collect();
/// assert_eq!(cps, [0x61, 0xD800]);
/// ```
pub fn code_points(data: &[u8]) -> CodePoints<'_> {
    CodePoints { data }
}

/// Iterator returned by [`code_points`].
#[derive(Debug, Clone)]
pub struct CodePoints<'a> {
    data: &'a [u8],
}

impl Iterator for CodePoints<'_> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        if self.data.is_empty() {
            return None;
        }
        let (cp, len) = decode_one(self.data).unwrap_or((0xFFFD, 1));
        self.data = &self.data[len..];
        Some(cp)
    }
}

/// The number of code points, which is Python's `len()` of the string.
///
/// # Example
///
/// ```
/// assert_eq!(brine_lex::pystr::char_len("日本".as_bytes()), 2);
/// ```
pub fn char_len(data: &[u8]) -> usize {
    // Every code point has exactly one byte that is not a continuation byte.
    data.iter().filter(|&&b| b & 0xC0 != 0x80).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_ascii_sees_every_byte() {
        for len in 0..64 {
            let text = vec![b'a'; len];
            assert!(short_ascii(&text), "{len} ASCII bytes");
            for at in 0..len {
                let mut text = text.clone();
                text[at] = 0xC3;
                assert!(!short_ascii(&text), "a high byte at {at} of {len}");
                assert_eq!(
                    validate(&text),
                    Err(at),
                    "a lone lead byte at {at} of {len}"
                );
            }
        }
    }

    #[test]
    fn validate_accepts_surrogates_and_rejects_malformed() {
        let check = |data: &[u8], expect: Result<(), usize>| assert_eq!(validate(data), expect);
        check(b"", Ok(()));
        check("\u{10FFFF}".as_bytes(), Ok(()));
        check(b"\xed\xbf\xbf", Ok(())); // U+DFFF
        check(b"\xed\xa0\xbd\xed\xb8\x80", Ok(())); // a pair written as two code points
        check(b"\xc0\x80", Err(0)); // overlong NUL
        check(b"\xe0\x80\x80", Err(0)); // overlong
        check(b"\xf4\x90\x80\x80", Err(0)); // above U+10FFFF
        check(b"a\xe2\x82", Err(1)); // truncated
        check(b"\x80", Err(0));
    }

    #[test]
    fn push_and_iterate_round_trip_every_boundary() {
        for cp in [
            0, 0x7F, 0x80, 0x7FF, 0x800, 0xD800, 0xDFFF, 0xFFFF, 0x10000, 0x10FFFF,
        ] {
            let mut out = Vec::new();
            push_code_point(&mut out, cp);
            assert_eq!(validate(&out), Ok(()));
            assert_eq!(code_points(&out).collect::<Vec<_>>(), [cp]);
            assert_eq!(char_len(&out), 1);
        }
    }
}
