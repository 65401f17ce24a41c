//! `decimal.Decimal` and `fractions.Fraction`, canonicalized as Python holds them.

use brine_value::Value;
use num_bigint::{BigInt, Sign};

use super::Reader;
use crate::decimal;
use crate::view::View;

/// The largest numerator or denominator, in bits, a fraction is reduced to lowest terms for.
const MAX_FRACTION_BITS: u64 = 1 << 14;

/// `Decimal(text)` (or an int).
pub(super) fn decimal<'g>(
    reader: Reader<'g>,
    args: &'g [Value],
    _depth: usize,
) -> Option<View<'g>> {
    match args {
        [Value::Int(value)] => Some(View::Decimal(value.to_string())),
        [Value::BigInt(id)] => Some(View::Decimal(reader.graph().try_bigint(*id)?.to_string())),
        [text] => decimal::canonical(reader.text(text)?).map(View::Decimal),
        _ => None,
    }
}

/// `Fraction(text)` or `Fraction(numerator[, denominator])`, reduced as Python does.
pub(super) fn fraction<'g>(
    reader: Reader<'g>,
    args: &'g [Value],
    _depth: usize,
) -> Option<View<'g>> {
    let int = |value: &Value| match value {
        Value::Int(value) => Some(BigInt::from(*value)),
        Value::BigInt(id) => reader.graph().try_bigint(*id).cloned(),
        _ => None,
    };
    let (numerator, denominator) = match args {
        [text @ Value::Node(_)] => parse_fraction(reader.text(text)?)?,
        [numerator] => (int(numerator)?, BigInt::from(1)),
        [numerator, denominator] => (int(numerator)?, int(denominator)?),
        _ => return None,
    };
    let (numerator, denominator) = reduce_fraction(numerator, denominator)?;
    Some(View::Fraction {
        numerator,
        denominator,
    })
}

/// `"n"` or `"n/d"`, with an optional sign and surrounding whitespace: what `str()` of a
/// Fraction gives (Python 2 pickled fractions as that text).
fn parse_fraction(text: &str) -> Option<(BigInt, BigInt)> {
    let text = text.trim();
    let (numerator, denominator) = match text.split_once('/') {
        Some((numerator, denominator)) => (numerator, Some(denominator)),
        None => (text, None),
    };
    let digits = |text: &str| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    let unsigned = numerator.strip_prefix(['+', '-']).unwrap_or(numerator);
    if !digits(unsigned) || !denominator.is_none_or(digits) {
        return None;
    }
    let numerator: BigInt = numerator.parse().ok()?;
    let denominator: BigInt = match denominator {
        Some(denominator) => denominator.parse().ok()?,
        None => BigInt::from(1),
    };
    Some((numerator, denominator))
}

/// The fraction in lowest terms with a positive denominator; `None` for a zero denominator or
/// numbers too large to reduce cheaply.
fn reduce_fraction(numerator: BigInt, denominator: BigInt) -> Option<(BigInt, BigInt)> {
    if denominator.sign() == Sign::NoSign
        || numerator.bits() > MAX_FRACTION_BITS
        || denominator.bits() > MAX_FRACTION_BITS
    {
        return None;
    }
    let mut a = numerator.magnitude().clone();
    let mut b = denominator.magnitude().clone();
    while b.bits() > 0 {
        let rest = &a % &b;
        a = b;
        b = rest;
    }
    let gcd = BigInt::from(a);
    let (mut numerator, mut denominator) = (numerator / &gcd, denominator / &gcd);
    if denominator.sign() == Sign::Minus {
        numerator = -numerator;
        denominator = -denominator;
    }
    Some((numerator, denominator))
}
