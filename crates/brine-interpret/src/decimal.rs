//! The canonical text of a `decimal.Decimal`: what `str(Decimal(text))` gives in Python (the
//! General Decimal Arithmetic "to-scientific-string" conversion).

/// The canonical text for the decimal literal `text`, or `None` when Python would reject it
/// (or it uses the rarely written underscores, or an exponent beyond 18 digits).
///
/// ```text
/// "3.140" → "3.140"   "1e5" → "1E+5"   ".5" → "0.5"   "0.0000001" → "1E-7"
/// "nan" → "NaN"       "-inf" → "-Infinity"   "sNaN012" → "sNaN12"
/// ```
pub(crate) fn canonical(text: &str) -> Option<String> {
    let text = text.trim();
    let (negative, body) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let sign = if negative { "-" } else { "" };
    let lower = body.to_ascii_lowercase();
    if lower == "inf" || lower == "infinity" {
        return Some(format!("{sign}Infinity"));
    }
    for (prefix, name) in [("snan", "sNaN"), ("nan", "NaN")] {
        if let Some(payload) = lower.strip_prefix(prefix) {
            if !payload.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            return Some(format!("{sign}{name}{}", payload.trim_start_matches('0')));
        }
    }
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(pos) => (&body[..pos], Some(&body[pos + 1..])),
        None => (body, None),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (int_part.is_empty() && frac_part.is_empty())
        || !all_digits(int_part)
        || !all_digits(frac_part)
    {
        return None;
    }
    let exponent: i128 = match exponent {
        None => 0,
        Some(exponent) => {
            let digits = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
            if digits.is_empty() || digits.len() > 18 || !all_digits(digits) {
                return None;
            }
            exponent.parse().ok()?
        }
    };
    let coefficient = format!("{int_part}{frac_part}");
    let coefficient = match coefficient.trim_start_matches('0') {
        "" => "0",
        digits => digits,
    };
    let exponent = exponent - frac_part.len() as i128;
    let n_digits = coefficient.len() as i128;
    let left_digits = exponent + n_digits;
    let dot_place = if exponent <= 0 && left_digits > -6 {
        left_digits
    } else {
        1
    };
    let mut out = String::from(sign);
    if dot_place <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-dot_place) as usize));
        out.push_str(coefficient);
    } else if dot_place >= n_digits {
        out.push_str(coefficient);
        out.extend(std::iter::repeat_n('0', (dot_place - n_digits) as usize));
    } else {
        out.push_str(&coefficient[..dot_place as usize]);
        out.push('.');
        out.push_str(&coefficient[dot_place as usize..]);
    }
    if left_digits != dot_place {
        out.push_str(&format!("E{:+}", left_digits - dot_place));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::canonical;

    #[test]
    fn matches_python_str() {
        // str(decimal.Decimal(text)) in CPython 3.11.
        for (text, expect) in [
            ("NaN0", "NaN"),
            ("nan", "NaN"),
            ("snan12", "sNaN12"),
            ("-inf", "-Infinity"),
            ("Infinity", "Infinity"),
            (".5", "0.5"),
            ("1.", "1"),
            ("+1", "1"),
            ("1e5", "1E+5"),
            ("1E-7", "1E-7"),
            ("0.000001", "0.000001"),
            ("0.0000001", "1E-7"),
            ("-0", "-0"),
            ("0e-10", "0E-10"),
            ("123.456e3", "123456"),
            ("1.23E+3", "1.23E+3"),
            ("  7  ", "7"),
            ("NaN00012", "NaN12"),
            ("00012.500", "12.500"),
            ("-sNaN", "-sNaN"),
            ("1e999999999999999999", "1E+999999999999999999"),
            ("3.14159265358979323846", "3.14159265358979323846"),
            ("1E+1000", "1E+1000"),
        ] {
            assert_eq!(canonical(text).as_deref(), Some(expect), "{text:?}");
        }
        for bad in [
            "", "-", ".", "1e", "e5", "abc", "1_000", "1.2.3", "nanx", "--1",
        ] {
            assert_eq!(canonical(bad), None, "{bad:?}");
        }
    }
}
