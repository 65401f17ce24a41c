//! Pickle streams as bytes: whether a blob is one, where each pickle in it ends, and which
//! layout it has. Nothing here decodes values; brine-lex finds the opcodes.

use brine_lex::Opcode;
use bytes::Bytes;

use crate::walk::Walker;
use crate::{Body, Layout};

/// The opcodes a protocol 0 or 1 pickle can start with: a value or a MARK, never an opcode
/// that needs something on the stack.
const OPENERS: &[u8] = b"(NIJKLMFGSTUVXBC)]}cPp\x88\x89";

/// Whether `data` starts like a pickle: PROTO and well-formed opcodes, or a protocol 0-1
/// opener whose opcodes reach a STOP, or that would import or call something before it ends
/// (CPython runs those before it notices the end).
pub(crate) fn plausible(data: &[u8]) -> bool {
    match *data {
        [0x80, proto, ..] if proto <= 5 => lexes(data, 3, false),
        [0x80] => true,
        [first, ..] if OPENERS.contains(&first) => lexes(data, usize::MAX, true),
        _ => false,
    }
}

/// Lexes opcodes from the start: true at STOP; at the end of the input, true when `ops`
/// opcodes were whole (or, with `acts`, when one of them imports or calls); false at a
/// malformed opcode.
fn lexes(data: &[u8], ops: usize, acts: bool) -> bool {
    let mut pos = 0;
    let mut count = 0;
    let mut acted = false;
    loop {
        if count >= ops {
            return true;
        }
        match brine_lex::lex_op(data, pos) {
            Ok((op, next)) => {
                if op.code == Opcode::STOP {
                    return true;
                }
                acted |= matches!(
                    op.code,
                    Opcode::GLOBAL | Opcode::STACK_GLOBAL | Opcode::INST | Opcode::REDUCE
                );
                count += 1;
                pos = next;
            }
            Err(err) if err.is_eof() => return if acts { acted } else { true },
            Err(_) => return false,
        }
    }
}

/// Where the pickle that starts at `data[start]` ends: the offset just after its STOP.
///
/// # Errors
///
/// The lexer's message, when an opcode is malformed or the input ends before STOP.
pub(crate) fn end(data: &[u8], start: usize) -> Result<usize, String> {
    let mut pos = start;
    loop {
        match brine_lex::lex_op(data, pos) {
            Ok((op, next)) => {
                if op.code == Opcode::STOP {
                    return Ok(next);
                }
                pos = next;
            }
            Err(err) => return Err(format!("pickle at offset {start}: {err}")),
        }
    }
}

/// Reports a pickle stream, with its layout, and for joblib the pickles embedded in it.
pub(crate) fn walk(walker: &mut Walker<'_>, path: &[String], data: Bytes) {
    if crate::joblib::is_joblib(&data) {
        crate::joblib::walk(walker, path, data);
    } else {
        walker.emit(
            path,
            Body::Pickle {
                data,
                layout: Layout::Plain,
            },
        );
    }
}
