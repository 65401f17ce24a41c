//! Python's `repr()` of the values pickle arguments hold, character for character as CPython
//! 3.11 prints them, so that disassembly matches `pickletools`.

mod unprintable;

use std::fmt::Write as _;

use num_bigint::{BigInt, Sign};

use crate::pystr;

/// `repr(s)` of a Python `str` held as surrogatepass UTF-8 (see [`crate::pystr`]).
///
/// # Example
///
/// ```
/// assert_eq!(brine_lex::repr::str_repr("it's\n".as_bytes()), r#""it's\n""#);
/// assert_eq!(brine_lex::repr::str_repr(b"\xed\xa0\x80"), r"'\ud800'");
/// ```
pub fn str_repr(text: &[u8]) -> String {
    let has_single = text.contains(&b'\'');
    let quote = if has_single && !text.contains(&b'"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(text.len() + 2);
    out.push(quote);
    for cp in pystr::code_points(text) {
        match cp {
            0x5C => out.push_str("\\\\"),
            0x09 => out.push_str("\\t"),
            0x0A => out.push_str("\\n"),
            0x0D => out.push_str("\\r"),
            _ if cp == u32::from(quote) => {
                out.push('\\');
                out.push(quote);
            }
            0x00..=0x1F | 0x7F => push_hex(&mut out, "\\x", cp, 2),
            0x20..=0x7E => out.push(char::from(cp as u8)),
            _ if !is_printable(cp) => match cp {
                0x80..=0xFF => push_hex(&mut out, "\\x", cp, 2),
                0x100..=0xFFFF => push_hex(&mut out, "\\u", cp, 4),
                _ => push_hex(&mut out, "\\U", cp, 8),
            },
            // Printable code points are never surrogates, so the conversion succeeds.
            _ => out.push(char::from_u32(cp).unwrap_or(char::REPLACEMENT_CHARACTER)),
        }
    }
    out.push(quote);
    out
}

/// `repr(b)` of a Python `bytes`.
///
/// # Example
///
/// ```
/// assert_eq!(brine_lex::repr::bytes_repr(b"a'\x00\xff"), r#"b"a'\x00\xff""#);
/// ```
pub fn bytes_repr(data: &[u8]) -> String {
    let quote = if data.contains(&b'\'') && !data.contains(&b'"') {
        b'"'
    } else {
        b'\''
    };
    let mut out = String::with_capacity(data.len() + 3);
    out.push('b');
    out.push(char::from(quote));
    for &byte in data {
        match byte {
            b'\\' => out.push_str("\\\\"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            _ if byte == quote => {
                out.push('\\');
                out.push(char::from(quote));
            }
            0x20..=0x7E => out.push(char::from(byte)),
            _ => push_hex(&mut out, "\\x", u32::from(byte), 2),
        }
    }
    out.push(char::from(quote));
    out
}

/// `repr(x)` of a Python `float`: the shortest text that reads back as the same double, in
/// Python's layout (`1e+16`, `1e-05`, `0.0001`, `100.0`, `inf`, `nan`).
///
/// # Example
///
/// ```
/// use brine_lex::repr::float_repr;
/// assert_eq!(float_repr(1e16), "1e+16");
/// assert_eq!(float_repr(1e15), "1000000000000000.0");
/// assert_eq!(float_repr(-0.0), "-0.0");
/// assert_eq!(float_repr(5e-324), "5e-324");
/// ```
pub fn float_repr(value: f64) -> String {
    if value.is_nan() {
        return "nan".to_owned();
    }
    if value.is_infinite() {
        return if value > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    // Rust's `{:e}` gives the shortest round-tripping digits, like Python's repr; only the
    // layout differs.
    let sci = format!("{:e}", value.abs());
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    // The position of the decimal point relative to the start of `digits`.
    let decpt = exponent + 1;
    let mut out = String::new();
    if value.is_sign_negative() {
        out.push('-');
    }
    let n_digits = digits.len() as i32;
    if (-4 < decpt) && (decpt <= 16) {
        if decpt <= 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-decpt) as usize));
            out.push_str(&digits);
        } else if decpt >= n_digits {
            out.push_str(&digits);
            out.extend(std::iter::repeat_n('0', (decpt - n_digits) as usize));
            out.push_str(".0");
        } else {
            out.push_str(&digits[..decpt as usize]);
            out.push('.');
            out.push_str(&digits[decpt as usize..]);
        }
    } else {
        out.push_str(&digits[..1]);
        if n_digits > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let _ = write!(
            out,
            "e{}{:02}",
            if exponent < 0 { '-' } else { '+' },
            exponent.abs()
        );
    }
    out
}

/// `repr(n)` of an int given as decimal text (an optional sign and digits, leading zeros
/// allowed): the canonical decimal form.
///
/// # Example
///
/// ```
/// assert_eq!(brine_lex::repr::decimal_repr(b"+007"), "7");
/// assert_eq!(brine_lex::repr::decimal_repr(b"-0"), "0");
/// ```
pub fn decimal_repr(text: &[u8]) -> String {
    let (negative, digits) = match text.first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let start = digits
        .iter()
        .position(|&d| d != b'0')
        .unwrap_or(digits.len());
    let significant = String::from_utf8_lossy(&digits[start..]);
    match (significant.is_empty(), negative) {
        (true, _) => "0".to_owned(),
        (false, true) => format!("-{significant}"),
        (false, false) => significant.into_owned(),
    }
}

/// `repr(n)` of an int given as little-endian two's complement bytes (LONG1, LONG4).
///
/// # Example
///
/// ```
/// assert_eq!(brine_lex::repr::twos_complement_repr(b"\x00\xff"), "-256");
/// assert_eq!(brine_lex::repr::twos_complement_repr(b""), "0");
/// ```
pub fn twos_complement_repr(data: &[u8]) -> String {
    let value = BigInt::from_signed_bytes_le(data);
    match value.sign() {
        Sign::NoSign => "0".to_owned(),
        _ => value.to_string(),
    }
}

fn push_hex(out: &mut String, prefix: &str, cp: u32, width: usize) {
    let _ = write!(out, "{prefix}{cp:0width$x}");
}

/// Whether Python's `str.isprintable()` holds for the single code point `cp` (>= U+0080).
fn is_printable(cp: u32) -> bool {
    let table = &unprintable::UNPRINTABLE;
    let idx = table.partition_point(|&(_, end)| end < cp);
    table.get(idx).is_none_or(|&(start, _)| start > cp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn str_repr_follows_cpython() {
        let check = |text: &str, expect: &str| assert_eq!(str_repr(text.as_bytes()), expect);
        check("", "''");
        check("abc", "'abc'");
        check("it's", "\"it's\"");
        check("'\"", "'\\'\"'");
        check("a\\b\t\r\n\0\x7f", "'a\\\\b\\t\\r\\n\\x00\\x7f'");
        check("café \u{85}\u{a0}\u{ad}", "'café \\x85\\xa0\\xad'");
        check("中\u{2028}\u{fffe}", "'中\\u2028\\ufffe'");
        check(
            "\u{1F600}\u{E0001}\u{10FFFF}",
            "'\u{1F600}\\U000e0001\\U0010ffff'",
        );
    }

    #[test]
    fn bytes_repr_follows_cpython() {
        assert_eq!(bytes_repr(b""), "b''");
        assert_eq!(bytes_repr(b"\"'"), "b'\"\\''");
        assert_eq!(bytes_repr(b"\x7f\x80 ~"), "b'\\x7f\\x80 ~'");
    }

    #[test]
    fn float_repr_follows_cpython() {
        let check = |value: f64, expect: &str| assert_eq!(float_repr(value), expect, "{value:e}");
        check(0.0, "0.0");
        check(1.5, "1.5");
        check(0.1, "0.1");
        check(1e-5, "1e-05");
        check(0.0001, "0.0001");
        check(1e22, "1e+22");
        check(123456789.123, "123456789.123");
        check(1e308, "1e+308");
        check(2.2250738585072014e-308, "2.2250738585072014e-308");
        check(9007199254740993.0, "9007199254740992.0");
        check(1.7976931348623157e308, "1.7976931348623157e+308");
        check(-1.25, "-1.25");
        check(f64::NEG_INFINITY, "-inf");
        check(f64::NAN, "nan");
    }

    #[test]
    fn integer_reprs() {
        assert_eq!(decimal_repr(b"000"), "0");
        assert_eq!(
            decimal_repr(b"123456789012345678901234567890"),
            "123456789012345678901234567890"
        );
        assert_eq!(
            twos_complement_repr(b"\xff\xff\xff\xff\xff\xff\xff\xff\xff"),
            "-1"
        );
        assert_eq!(
            twos_complement_repr(b"\x00\x00\x00\x00\x00\x00\x00\x00\x01"),
            "18446744073709551616"
        );
    }
}
