//! `_codecs.encode(text, encoding)`: how protocols 0 to 2 write `bytes` (and Python 2 a
//! `bytearray`), with encoding names looked up as CPython's codec registry looks them up.

use brine_value::{Node, PyStr, Value};

use super::Reader;
use crate::view::{Data, View};

/// `_codecs.encode(text[, encoding])`.
pub(super) fn encode<'g>(reader: Reader<'g>, args: &'g [Value], _depth: usize) -> Option<View<'g>> {
    encode_args(reader, args).map(View::Bytes)
}

/// The bytes of `bytes(...)` or `bytearray(...)`: no argument, bytes, or text and an
/// encoding.
pub(super) fn bytes_args<'g>(
    reader: Reader<'g>,
    args: &'g [Value],
    depth: usize,
) -> Option<Data<'g>> {
    match args {
        [] => Some(Data::Decoded(Vec::new())),
        [data] => bytes_of(reader, data, depth + 1),
        [_, _] => encode_args(reader, args),
        _ => None,
    }
}

/// The bytes a value stands for: a bytes or bytearray node, or a reduction that makes bytes.
pub(super) fn bytes_of<'g>(reader: Reader<'g>, value: &Value, depth: usize) -> Option<Data<'g>> {
    match reader.node(value)? {
        Node::Bytes(data) | Node::ByteArray(data) => Some(Data::Shared(data)),
        _ => match reader.known_value(value, depth)? {
            View::Bytes(data) | View::ByteArray(data) => Some(data),
            _ => None,
        },
    }
}

fn encode_args<'g>(reader: Reader<'g>, args: &'g [Value]) -> Option<Data<'g>> {
    let (text, encoding) = match args {
        [text] => (reader.pystr(text)?, Codec::Utf8),
        [text, encoding] => (reader.pystr(text)?, codec(reader.text(encoding)?)?),
        _ => return None,
    };
    encode_text(text, encoding).map(Data::Decoded)
}

/// The codecs a pickler encodes bytes with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Codec {
    Latin1,
    Ascii,
    Utf8,
}

/// The codec an encoding name names, as `codecs.lookup` finds it: the name lowercased, each
/// run of characters other than letters, digits and `.` made one `_` (and none at either
/// end), then looked up among the codecs' module names and `encodings.aliases` (CPython
/// 3.11), the aliases also with each `.` read as `_`.
fn codec(name: &str) -> Option<Codec> {
    let mut normalized = String::with_capacity(name.len());
    let mut gap = false;
    for ch in name.chars() {
        if ch.is_ascii_alphanumeric() || ch == '.' {
            if gap && !normalized.is_empty() {
                normalized.push('_');
            }
            gap = false;
            normalized.push(ch.to_ascii_lowercase());
        } else {
            gap = true;
        }
    }
    match normalized.as_str() {
        "latin_1" => return Some(Codec::Latin1),
        "ascii" => return Some(Codec::Ascii),
        "utf_8" => return Some(Codec::Utf8),
        _ => {}
    }
    alias(&normalized).or_else(|| alias(&normalized.replace('.', "_")))
}

/// The codec `encodings.aliases` maps `name` to.
fn alias(name: &str) -> Option<Codec> {
    Some(match name {
        "8859" | "cp819" | "csisolatin1" | "ibm819" | "iso8859" | "iso8859_1" | "iso_8859_1"
        | "iso_8859_1_1987" | "iso_ir_100" | "l1" | "latin" | "latin1" => Codec::Latin1,
        "646" | "ansi_x3.4_1968" | "ansi_x3.4_1986" | "ansi_x3_4_1968" | "cp367" | "csascii"
        | "ibm367" | "iso646_us" | "iso_646.irv_1991" | "iso_ir_6" | "us" | "us_ascii" => {
            Codec::Ascii
        }
        "cp65001" | "u8" | "utf" | "utf8" | "utf8_ucs2" | "utf8_ucs4" => Codec::Utf8,
        _ => return None,
    })
}

/// `text.encode(codec)` with the strict error handler; `None` where Python would raise.
fn encode_text(text: &PyStr, codec: Codec) -> Option<Vec<u8>> {
    let limit = match codec {
        Codec::Latin1 => 0x100,
        Codec::Ascii => 0x80,
        Codec::Utf8 => return text.as_str().map(|text| text.as_bytes().to_vec()),
    };
    text.code_points()
        .map(|cp| u8::try_from(cp).ok().filter(|_| cp < limit))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{Codec, codec};

    #[test]
    fn encoding_names_resolve_as_codecs_lookup_does() {
        // Each name is one `_codecs.encode` of CPython 3.11.7 accepts for the codec.
        for name in [
            "latin1",
            "latin-1",
            "LATIN_1",
            "iso8859-1",
            "iso-8859-1",
            "iso_8859_1",
            "l1",
            "L1",
            "8859",
            "cp819",
            "latin",
            " latin1",
            "latin 1",
            "latin--1",
            "ISO 8859-1",
            "iso-ir-100",
            "iso8859.1",
        ] {
            assert_eq!(codec(name), Some(Codec::Latin1), "{name:?}");
        }
        for name in [
            "ascii",
            "us-ascii",
            "US_ASCII",
            "646",
            "us",
            "cp367",
            "us.ascii",
            "ANSI_X3.4_1968",
        ] {
            assert_eq!(codec(name), Some(Codec::Ascii), "{name:?}");
        }
        for name in ["utf8", "UTF_8", "utf-8", "u8", "utf"] {
            assert_eq!(codec(name), Some(Codec::Utf8), "{name:?}");
        }
        // LookupError in CPython.
        for name in [
            "latin.1",
            "l.1",
            "utf.8",
            "latin-2",
            "",
            "utf-16",
            "iso8859-15",
        ] {
            assert_eq!(codec(name), None, "{name:?}");
        }
    }
}
