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
    // simdutf8 hands inputs under 64 bytes to std's validator, which branches on every
    // non-ASCII byte (on mixed short text, a mispredicted branch every few bytes). Short
    // text is checked here instead, and any error is located by the path below.
    if data.len() < 64 && (short_ascii(data) || dfa_accepts(&SURROGATEPASS, data)) {
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
/// SIMD-validated (text under 64 bytes by a table-driven automaton): the common case, valid
/// text, costs a fraction of `std::str::from_utf8`.
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
    // Below 64 bytes simdutf8 defers to std, which branches on every non-ASCII byte; the
    // automaton checks short text without a branch on its bytes.
    if data.len() < 64 {
        if !(short_ascii(data) || dfa_accepts(&STRICT, data)) {
            return None;
        }
        // SAFETY: `data` is UTF-8. Either every byte is ASCII, or the `STRICT` automaton
        // ended between code points: it accepts exactly the well-formed byte sequences of
        // the Unicode Standard's table 3-7 (`next_state` spells that table out, leading
        // bytes C2 to F4 and each one's range of second bytes), the ones `str` requires.
        // The tests check that it agrees with `std::str::from_utf8` on every input of up to
        // three bytes, on four-byte inputs (every first two bytes, the last two at the edges
        // of the ranges it tells apart), on every code point and its truncations, and on
        // random text built of valid and malformed pieces.
        #[allow(unsafe_code)]
        return Some(unsafe { std::str::from_utf8_unchecked(data) });
    }
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

/// The states of the UTF-8 automaton, each a bit offset into a row of [`SURROGATEPASS`] or
/// [`STRICT`]: a row holds, at a state's offset, the six-bit offset of the state that byte
/// leads to. [`ERROR`] is offset 0, so a transition a row does not set leads there, and it
/// leads nowhere else.
const ERROR: u32 = 0;
/// Between code points.
const ACCEPT: u32 = 6;
/// One continuation byte (80 to BF) to go.
const CONT_1: u32 = 12;
/// Two continuation bytes to go.
const CONT_2: u32 = 18;
/// Three continuation bytes to go.
const CONT_3: u32 = 24;
/// After E0: A0 to BF (an overlong otherwise), then one more.
const AFTER_E0: u32 = 30;
/// After ED in strict UTF-8: 80 to 9F (a surrogate otherwise), then one more.
const AFTER_ED: u32 = 36;
/// After F0: 90 to BF (an overlong otherwise), then two more.
const AFTER_F0: u32 = 42;
/// After F4: 80 to 8F (above U+10FFFF otherwise), then two more.
const AFTER_F4: u32 = 48;

/// The state after `byte` in `state`: the well-formed sequences of the Unicode Standard's
/// table 3-7, with ED followed by any continuation byte when `surrogates` (surrogatepass).
const fn next_state(state: u32, byte: u8, surrogates: bool) -> u32 {
    let cont = matches!(byte, 0x80..=0xBF);
    match state {
        ACCEPT => match byte {
            0x00..=0x7F => ACCEPT,
            0xC2..=0xDF => CONT_1,
            0xE0 => AFTER_E0,
            0xED if !surrogates => AFTER_ED,
            0xE1..=0xEF => CONT_2,
            0xF0 => AFTER_F0,
            0xF1..=0xF3 => CONT_3,
            0xF4 => AFTER_F4,
            _ => ERROR,
        },
        CONT_1 if cont => ACCEPT,
        CONT_2 if cont => CONT_1,
        CONT_3 if cont => CONT_2,
        AFTER_E0 if matches!(byte, 0xA0..=0xBF) => CONT_1,
        AFTER_ED if matches!(byte, 0x80..=0x9F) => CONT_1,
        AFTER_F0 if matches!(byte, 0x90..=0xBF) => CONT_2,
        AFTER_F4 if matches!(byte, 0x80..=0x8F) => CONT_2,
        _ => ERROR,
    }
}

/// The automaton's rows, one per byte value.
const fn dfa_rows(surrogates: bool) -> [u64; 256] {
    let states = [
        ACCEPT, CONT_1, CONT_2, CONT_3, AFTER_E0, AFTER_ED, AFTER_F0, AFTER_F4,
    ];
    let mut rows = [0u64; 256];
    let mut byte = 0;
    while byte < 256 {
        let mut idx = 0;
        while idx < states.len() {
            let state = states[idx];
            rows[byte] |= (next_state(state, byte as u8, surrogates) as u64) << state;
            idx += 1;
        }
        byte += 1;
    }
    rows
}

/// Surrogatepass UTF-8, as [`validate`] accepts it.
static SURROGATEPASS: [u64; 256] = dfa_rows(true);
/// Strict UTF-8, as `std::str::from_utf8` accepts it.
static STRICT: [u64; 256] = dfa_rows(false);

/// Whether the automaton `rows` ends between code points after `data`.
///
/// The row load does not depend on the state, so the loop carries one shift per byte and no
/// branch on the bytes (the shift count is the state, taken modulo 64 as `wrapping_shr` does,
/// which is why the bits above a row's state need no masking).
#[inline]
fn dfa_accepts(rows: &[u64; 256], data: &[u8]) -> bool {
    let mut state = u64::from(ACCEPT);
    for &byte in data {
        state = rows[usize::from(byte)].wrapping_shr(state as u32);
    }
    state as u32 & 63 == ACCEPT
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
    use proptest::prelude::*;

    /// What `validate` returned before short text had its own check: std's validator, then
    /// `validate_slow` from the first byte it rejects.
    fn validate_reference(data: &[u8]) -> Result<(), usize> {
        match std::str::from_utf8(data) {
            Ok(_) => Ok(()),
            Err(err) => validate_slow(data, err.valid_up_to()),
        }
    }

    /// Checks every entry point against its reference on `data`.
    fn agrees(data: &[u8]) {
        let strict = std::str::from_utf8(data).ok();
        let surrogatepass = validate_reference(data);
        assert_eq!(
            dfa_accepts(&STRICT, data),
            strict.is_some(),
            "strict {data:x?}"
        );
        assert_eq!(
            dfa_accepts(&SURROGATEPASS, data),
            surrogatepass.is_ok(),
            "surrogatepass {data:x?}"
        );
        assert_eq!(as_str(data), strict, "as_str {data:x?}");
        assert_eq!(validate(data), surrogatepass, "validate {data:x?}");
    }

    #[test]
    fn automata_agree_on_every_input_of_up_to_three_bytes() {
        agrees(b"");
        for first in 0..=255u8 {
            agrees(&[first]);
            for second in 0..=255u8 {
                agrees(&[first, second]);
                for third in 0..=255u8 {
                    agrees(&[first, second, third]);
                }
            }
        }
    }

    #[test]
    fn automata_agree_on_four_bytes_that_start_a_sequence() {
        // The last two bytes range over the edges of every range the automaton tells apart.
        const EDGES: [u8; 16] = [
            0x00, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xED,
            0xF4, 0xFF,
        ];
        for first in 0x80..=255u8 {
            for second in 0..=255u8 {
                for third in EDGES {
                    for fourth in EDGES {
                        agrees(&[first, second, third, fourth]);
                    }
                }
            }
        }
    }

    #[test]
    fn automata_agree_on_every_code_point_and_its_truncations() {
        for cp in (0..=0x10FFFF)
            .step_by(7)
            .chain([0xD800, 0xDBFF, 0xDC00, 0xDFFF])
        {
            let mut text = b"ab".to_vec();
            push_code_point(&mut text, cp);
            for end in 0..=text.len() {
                agrees(&text[..end]);
                agrees(&text[2..end.max(2)]);
            }
        }
    }

    /// Text made of pieces that stress a validator: ASCII, code points of each length
    /// (surrogates included), and arbitrary bytes (continuation bytes, overlong and
    /// out-of-range leads).
    fn piece() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            proptest::collection::vec(0x20..0x7Fu8, 1..12),
            (0x80..0x800u32).prop_map(encoded),
            (0x800..0x10000u32).prop_map(encoded),
            (0xD800..0xE000u32).prop_map(encoded),
            (0x10000..0x110000u32).prop_map(encoded),
            any::<u8>().prop_map(|byte| vec![byte]),
            prop::sample::select(vec![
                &b"\xc0\x80"[..],
                b"\xc1\xbf",
                b"\xe0\x9f\xbf",
                b"\xf0\x8f\xbf\xbf",
                b"\xf4\x90\x80\x80",
                b"\xf5\x80\x80\x80",
                b"\xed\xa0\x80",
                b"\xed\x9f\xbf",
            ])
            .prop_map(<[u8]>::to_vec),
        ]
    }

    fn encoded(cp: u32) -> Vec<u8> {
        let mut out = Vec::new();
        push_code_point(&mut out, cp);
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn automata_agree_on_random_text(pieces in proptest::collection::vec(piece(), 0..24)) {
            let text = pieces.concat();
            for end in 0..=text.len() {
                agrees(&text[..end]);
            }
            for start in 0..text.len() {
                agrees(&text[start..]);
            }
        }
    }

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
