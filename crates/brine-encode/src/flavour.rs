//! What each CPython pickler does differently from the reference (3.11), one fact per field,
//! each with the CPython source it comes from.
//!
//! The choices a graph cannot hold live here; what only the pickle itself records (which
//! objects it memoized) the graph keeps ([`brine_value::Graph::memoized`]), and the encoder
//! follows it whatever the flavour.

use brine_value::Flavour;

use crate::output::FRAME_SIZE_MIN;

/// The choices of one CPython pickler at one protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Choices {
    /// The first memo index. 2.7's `cPickle.c` `put2`: `p = PyDict_Size(self->memo); p++;`
    /// ("Make sure memo keys are positive!"); every other pickler starts at 0.
    pub(crate) memo_base: u32,
    /// Protocol 0 writes every int as LONG text (`L1L`). 3.6's `_pickle.c` `save_long` takes
    /// the INT/BININT path only `if (self->bin && ...)`, so at protocol 0 every int falls
    /// through to `repr(obj)` and LONG; 3.7 writes INT within 32 bits.
    pub(crate) long_text_ints: bool,
    /// Python 2's two integer types are written as Python 2 writes them, where the graph
    /// keeps a type that is not the one Python 3's encoding gives (`brine_value::Py2Int`):
    /// 2.7's `cPickle.c` `save_int` writes an `int` (a C long) as INT text whenever `!self->bin
    /// || l > 0x7fffffffL || l < -0x80000000L`, so at every protocol beyond 32 bits, and
    /// `save_long` writes a `long` as LONG text (`repr()`, `5L`) below protocol 2 and LONG1 /
    /// LONG4 from it, whatever its value.
    pub(crate) py2_int_types: bool,
    /// Protocol 0 UNICODE escapes NUL, carriage return and Ctrl-Z too (3.7's
    /// `raw_unicode_escape` in `_pickle.c`); 2.7's `modified_EncodeRawUnicodeEscape` and
    /// 3.6's escape only backslash and newline (and code points beyond U+00FF).
    pub(crate) escape_controls: bool,
    /// Protocol 0 FLOAT is `%.17g` (2.7's `cPickle.c` `save_float`:
    /// `PyOS_double_to_string(x, 'g', 17, 0, NULL)`) rather than `repr()`.
    pub(crate) float_17g: bool,
    /// The smallest frame written with a FRAME opcode. 3.7's `_Pickler_CommitFrame` writes
    /// a frame under `FRAME_SIZE_MIN` (4) bytes without one; 3.6's frames every frame.
    pub(crate) frame_min: usize,
    /// Payloads of 64 KiB or more are written outside frames (3.7's `_Pickler_write_bytes`);
    /// 3.6 writes them into the frame, which then exceeds 64 KiB.
    pub(crate) large_outside_frames: bool,
    /// Below protocol 3 a bytearray is `bytearray(latin1_text, 'latin-1')`: 3.6's and 3.7's
    /// `bytearray.__reduce_ex__` (`Objects/bytearrayobject.c` `_common_reduce`, which 3.8
    /// changed to `bytearray(bytes)`, pickled through `_codecs.encode`).
    pub(crate) bytearray_latin1: bool,
    /// A nested global below protocol 4 is `getattr(Parent, 'name')` with `Parent` written
    /// by name unmemoized, and the argument tuple and the intermediate results unmemoized
    /// (3.13's `save_global`: "getattr(getattr(..., attrname1), attrname2)"); 3.11 pickles
    /// `(getattr, (parent, lastname))` through `save_reduce`, memoizing each part.
    pub(crate) getattr_chain: bool,
    /// `builtins.int` is `__builtin__.int` under `fix_imports`, the name 2.7 gives its own
    /// `int` (`pickle.dumps(int)` in 2.7); 3.x's `_compat_pickle.REVERSE_NAME_MAPPING` maps it
    /// to `__builtin__.long`, Python 2's other integer type. Both load as `builtins.int`.
    pub(crate) py2_int_name: bool,
}

impl Choices {
    /// What `flavour` writes at `protocol`; at a protocol that pickler never wrote, the
    /// reference's choices.
    pub(crate) fn of(flavour: Flavour, protocol: u8) -> Choices {
        let reference = Choices {
            memo_base: 0,
            long_text_ints: false,
            py2_int_types: false,
            escape_controls: true,
            float_17g: false,
            frame_min: FRAME_SIZE_MIN,
            large_outside_frames: true,
            bytearray_latin1: false,
            getattr_chain: false,
            py2_int_name: false,
        };
        if protocol > flavour.highest_protocol() {
            return reference;
        }
        match flavour {
            Flavour::Py27 => Choices {
                memo_base: 1,
                py2_int_types: true,
                escape_controls: false,
                float_17g: true,
                py2_int_name: true,
                ..reference
            },
            Flavour::Py36 => Choices {
                long_text_ints: protocol == 0,
                escape_controls: false,
                frame_min: 1,
                large_outside_frames: false,
                bytearray_latin1: true,
                ..reference
            },
            Flavour::Py37 => Choices {
                bytearray_latin1: true,
                ..reference
            },
            Flavour::Py313 => Choices {
                getattr_chain: true,
                ..reference
            },
            _ => reference,
        }
    }
}

/// `'%.17g' % value`, as C's printf writes it (2.7's protocol 0 floats).
pub(crate) fn format_17g(value: f64) -> String {
    if value.is_nan() {
        return "nan".to_owned();
    }
    if value.is_infinite() {
        return if value > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    const PRECISION: i32 = 17;
    // 17 significant digits, correctly rounded: `d.dddddddddddddddde±x`.
    let sci = format!("{:.*e}", PRECISION as usize - 1, value);
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, digits) = match mantissa.strip_prefix('-') {
        Some(rest) => ("-", rest.replace('.', "")),
        None => ("", mantissa.replace('.', "")),
    };
    let mut out = String::from(sign);
    if (-4..PRECISION).contains(&exp) {
        // Fixed notation with PRECISION - 1 - exp decimals, trailing zeros removed.
        if exp < 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-exp - 1) as usize));
            out.push_str(digits.trim_end_matches('0'));
        } else {
            let (int_part, frac) = digits.split_at((exp + 1) as usize);
            out.push_str(int_part);
            let frac = frac.trim_end_matches('0');
            if !frac.is_empty() {
                out.push('.');
                out.push_str(frac);
            }
        }
        if out.ends_with('.') {
            out.pop();
        }
        return out;
    }
    let (lead, rest) = digits.split_at(1);
    out.push_str(lead);
    let rest = rest.trim_end_matches('0');
    if !rest.is_empty() {
        out.push('.');
        out.push_str(rest);
    }
    let sign = if exp < 0 { '-' } else { '+' };
    out.push_str(&format!("e{sign}{:02}", exp.abs()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printf_17g() {
        // Each expected string is what CPython 2.7.18 wrote: `cPickle.dumps(value, 0)`.
        for (value, text) in [
            (0.0, "0"),
            (-0.0, "-0"),
            (1.0, "1"),
            (0.1, "0.10000000000000001"),
            (1.5, "1.5"),
            (1e16, "10000000000000000"),
            (1e17, "1e+17"),
            (1.25e-5, "1.2500000000000001e-05"),
            (0.0001, "0.0001"),
            (std::f64::consts::PI, "3.1415926535897931"),
            (-2.5e300, "-2.5000000000000001e+300"),
            (f64::INFINITY, "inf"),
            (f64::NAN, "nan"),
        ] {
            assert_eq!(format_17g(value), text, "{value}");
        }
    }
}
