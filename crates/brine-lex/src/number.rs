//! The numbers of protocol 0 text: decimal integers (INT, LONG, GET, PUT) and floats (FLOAT).

/// A decimal integer argument, parsed from the text of one line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Decimal<'a> {
    /// Fits in an `i64`.
    Small(i64),
    /// Too large for an `i64`: the sign (if any) and digits, as written.
    Big(&'a [u8]),
}

/// Parses `[+-]?[0-9]+`, the decimal literals every CPython writes.
///
/// Leading zeros are decimal, as Python's `int(s)` reads them; CPython never writes them except
/// in INT's `00`/`01` booleans, which the caller handles first.
pub(crate) fn parse_decimal(text: &[u8]) -> Option<Decimal<'_>> {
    let digits = match text.first()? {
        b'+' | b'-' => &text[1..],
        _ => text,
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    // The text is ASCII digits with an optional sign, so it is UTF-8 and `parse` only fails on
    // overflow, which means the value needs a big integer.
    let ascii = std::str::from_utf8(text).ok()?;
    Some(match ascii.parse::<i64>() {
        Ok(value) => Decimal::Small(value),
        Err(_) => Decimal::Big(text),
    })
}

/// Why FLOAT's text is not a float.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FloatError {
    Invalid,
    Overflow,
}

/// Parses FLOAT's text as CPython's `PyOS_string_to_double` does: decimal or exponent
/// notation, `inf`, `infinity` and `nan` in any case, with an optional sign, and an
/// `OverflowError` for finite text too large for a double.
pub(crate) fn parse_float(text: &[u8]) -> Result<f64, FloatError> {
    let ascii = std::str::from_utf8(text).map_err(|_| FloatError::Invalid)?;
    let unsigned = ascii.strip_prefix(['+', '-']).unwrap_or(ascii);
    let is_special = ["inf", "infinity", "nan"]
        .iter()
        .any(|word| unsigned.eq_ignore_ascii_case(word));
    let is_numeral = !unsigned.is_empty()
        && unsigned
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
        && unsigned.as_bytes()[0] != b'+'
        && unsigned.as_bytes()[0] != b'-';
    if !is_special && !is_numeral {
        return Err(FloatError::Invalid);
    }
    let value: f64 = ascii.parse().map_err(|_| FloatError::Invalid)?;
    if value.is_infinite() && !is_special {
        return Err(FloatError::Overflow);
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_fit_or_stay_text() {
        assert_eq!(parse_decimal(b"0"), Some(Decimal::Small(0)));
        assert_eq!(parse_decimal(b"-17"), Some(Decimal::Small(-17)));
        assert_eq!(parse_decimal(b"+5"), Some(Decimal::Small(5)));
        assert_eq!(parse_decimal(b"007"), Some(Decimal::Small(7)));
        assert_eq!(
            parse_decimal(b"9223372036854775807"),
            Some(Decimal::Small(i64::MAX))
        );
        assert_eq!(
            parse_decimal(b"-9223372036854775808"),
            Some(Decimal::Small(i64::MIN))
        );
        assert_eq!(
            parse_decimal(b"9223372036854775808"),
            Some(Decimal::Big(b"9223372036854775808"))
        );
        for bad in [
            &b""[..],
            b"-",
            b"1L",
            b"0x10",
            b" 1",
            b"1_000",
            b"--1",
            b"1.0",
        ] {
            assert_eq!(parse_decimal(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn floats_follow_pyos_string_to_double() {
        assert_eq!(parse_float(b"1.5"), Ok(1.5));
        assert_eq!(
            parse_float(b"-0.0").map(f64::to_bits),
            Ok((-0.0f64).to_bits())
        );
        assert_eq!(parse_float(b"1e308"), Ok(1e308));
        assert_eq!(parse_float(b"5e-324"), Ok(5e-324));
        assert_eq!(parse_float(b"inf"), Ok(f64::INFINITY));
        assert_eq!(parse_float(b"-Infinity"), Ok(f64::NEG_INFINITY));
        assert!(parse_float(b"nan").is_ok_and(f64::is_nan));
        assert_eq!(parse_float(b"1e400"), Err(FloatError::Overflow));
        for bad in [&b""[..], b"x", b"1.5x", b" 1.5", b"1_0", b"+-1", b"0x1p3"] {
            assert_eq!(parse_float(bad), Err(FloatError::Invalid), "{bad:?}");
        }
    }
}
