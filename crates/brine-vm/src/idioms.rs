//! Protocol 0 text lines whose length names the CPython that wrote them, known once the next
//! opcode starts: the lexer gives the value of a FLOAT or UNICODE line, not its bytes.
//!
//! - A FLOAT line is `repr()` of the value in every Python 3 pickler (3.6's and later
//!   `_pickle.c` `save_float`: `PyOS_double_to_string(x, 'r', 0, Py_DTSF_ADD_DOT_0, NULL)`)
//!   and in 2.7's `pickle.py`; 2.7's `cPickle.c` `save_float` writes `%.17g`
//!   (`PyOS_double_to_string(x, 'g', 17, 0, NULL)`), so `0.1` is `0.10000000000000001` and
//!   `0.0` is `0`. A line that is not as long as the repr is 2.7's.
//! - A UNICODE line escapes NUL, carriage return and Ctrl-Z as `\u0000`, `\u000d` and `\u001a`
//!   from 3.7 on (`_pickle.c` `raw_unicode_escape`); 3.6's and 2.7's leave them raw. A line
//!   shorter than the text escaped as 3.7 escapes it holds raw controls: 3.6 or older.
//!
//! What the length cannot tell: a FLOAT whose `%.17g` and repr are the same text (`1.5`,
//! `1e+22`, `inf`), and a UNICODE without those three controls, are written alike by all.
//!
//! One call names 3.7 or older too: [`is_latin1_bytearray`].

use brine_value::{Graph, Node, Value};

/// What a line whose length is not the reference's says of its pickler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineIdiom {
    /// A FLOAT that is not `repr()`: 2.7's `cPickle`.
    Py27Float,
    /// A UNICODE with a raw NUL, carriage return or Ctrl-Z: 3.6 or older.
    RawControls,
}

/// A protocol 0 line whose length is checked when the next opcode starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PendingLine {
    /// The offset of the line's opcode; the line starts at the next byte.
    opcode_offset: u64,
    /// The line's length, without its newline, as 3.7 and later write it.
    reference_len: u64,
    /// What another length says.
    pub(crate) idiom: LineIdiom,
}

impl PendingLine {
    /// The FLOAT at `opcode_offset` holding `value`.
    pub(crate) fn float(opcode_offset: u64, value: f64) -> PendingLine {
        PendingLine {
            opcode_offset,
            reference_len: brine_lex::repr::float_repr(value).len() as u64,
            idiom: LineIdiom::Py27Float,
        }
    }

    /// The UNICODE at `opcode_offset` holding `text` (UTF-8, surrogates allowed), when it
    /// holds a character that 3.7 escapes and 3.6 does not; else `None`, as every pickler
    /// writes it alike.
    pub(crate) fn unicode(opcode_offset: u64, text: &[u8]) -> Option<PendingLine> {
        if !text.iter().any(|&b| matches!(b, 0x00 | 0x0D | 0x1A)) {
            return None;
        }
        Some(PendingLine {
            opcode_offset,
            reference_len: escaped_len(text),
            idiom: LineIdiom::RawControls,
        })
    }

    /// Whether the line, followed by the opcode at `next_offset`, is of another length than
    /// the reference's.
    pub(crate) fn differs(&self, next_offset: u64) -> bool {
        // The opcode byte, the line, its newline.
        next_offset.checked_sub(self.opcode_offset + 2) != Some(self.reference_len)
    }
}

/// Whether `callable(*args)` is `bytearray(text, 'latin-1')`: what 3.6's and 3.7's
/// `bytearray.__reduce_ex__` gives below protocol 3 (`Objects/bytearrayobject.c`
/// `_common_reduce`); 3.8 and later give `bytearray(bytes)`, and 3.8's bytes below protocol 3
/// are `_codecs.encode(text, 'latin1')`, spelled without the hyphen.
pub(crate) fn is_latin1_bytearray(graph: &Graph, callable: Value, args: Value) -> bool {
    let node = |value: Value| value.node().map(|id| graph.node(id));
    let text = |value: Value| match node(value) {
        Some(Node::Str(text)) => Some(text.as_bytes()),
        _ => None,
    };
    let Some(Node::Global { module, name }) = node(callable) else {
        return false;
    };
    let Some(Node::Tuple(items)) = node(args) else {
        return false;
    };
    matches!(text(*module), Some(b"builtins" | b"__builtin__"))
        && text(*name) == Some(b"bytearray")
        && matches!(items[..], [data, encoding] if text(data).is_some() && text(encoding) == Some(b"latin-1"))
}

/// The length of `text` (UTF-8, surrogates allowed) written as 3.7's `raw_unicode_escape`
/// writes it: backslash, newline, NUL, carriage return and Ctrl-Z as `\uXXXX`, U+0080 to
/// U+00FF as one Latin-1 byte, other code points beyond U+00FF as `\uXXXX` or `\UXXXXXXXX`.
fn escaped_len(text: &[u8]) -> u64 {
    let mut len = 0;
    let mut pos = 0;
    while let Some(&lead) = text.get(pos) {
        let (width, written) = match lead {
            b'\\' | b'\n' | 0x00 | 0x0D | 0x1A => (1, 6),
            0x00..=0x7F => (1, 1),
            // U+0080 to U+00FF.
            0xC2 | 0xC3 => (2, 1),
            0xC4..=0xDF => (2, 6),
            0xE0..=0xEF => (3, 6),
            _ => (4, 10),
        };
        len += written;
        pos += width;
    }
    len
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each line is what CPython wrote at protocol 0: `pickle.dumps(value, 0)` in 3.11.7 (the
    /// reference lengths) and `cPickle.dumps(value, 0)` in 2.7.18 / `pickle.dumps(value, 0)`
    /// in 3.6.15 (the others).
    #[test]
    fn line_lengths_name_the_pickler() {
        let at = |line: &str| 2 + line.len() as u64;
        assert!(!PendingLine::float(0, 0.1).differs(at("0.1")));
        assert!(PendingLine::float(0, 0.1).differs(at("0.10000000000000001")));
        assert!(PendingLine::float(0, 0.0).differs(at("0")));
        assert!(!PendingLine::float(0, 1.5).differs(at("1.5")));
        assert!(PendingLine::float(0, 1e16).differs(at("10000000000000000")));

        assert_eq!(PendingLine::unicode(0, "a\tb\u{e9}".as_bytes()), None);
        let text = "a\nb\\c\0d\re\u{e9}\u{4e2d}\u{1f600}";
        let line = PendingLine::unicode(0, text.as_bytes()).unwrap();
        // 3.11: a\u000ab\u005cc\u0000d\u000de\xe9\u4e2d\U0001f600
        assert!(!line.differs(at("a\\u000ab\\u005cc\\u0000d\\u000de_\\u4e2d\\U0001f600")));
        // 3.6: the NUL and the carriage return raw.
        assert!(line.differs(at("a\\u000ab\\u005cc_d_e_\\u4e2d\\U0001f600")));
        // A lone surrogate is three bytes of UTF-8 and `\udXXX` in the line.
        let surrogate = [0x00, 0xED, 0xA0, 0x80];
        let line = PendingLine::unicode(0, &surrogate).unwrap();
        assert!(!line.differs(at("\\u0000\\ud800")));
        assert!(line.differs(at("_\\ud800")));
    }
}
