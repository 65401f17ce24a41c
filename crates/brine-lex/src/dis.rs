//! Symbolic disassembly, line for line what `python3.11 -m pickletools FILE` prints.
//!
//! Like `pickletools.dis`, the disassembler emulates the stack and memo just enough to indent
//! MARK blocks, note `(MARK at N)` and `(as N)`, and catch misuse: popping an empty stack, a
//! missing MARK, a memo key used before it is stored or stored twice. A fault ends the
//! disassembly after the offending line has been written, as in CPython.

use std::collections::HashMap;
use std::fmt;
use std::io::{self, BufRead, Write};

use crate::arg::{Arg, Op};
use crate::error::LexError;
use crate::escape;
use crate::lex::Lexer;
use crate::opcode::{ArgKind, Opcode, StackKind};
use crate::repr;
use crate::stream::{ReadError, StreamLexer};

/// How to lay out the disassembly.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DisOptions {
    /// Blanks by which each MARK level indents.
    ///
    /// Default: 4 (pickletools' `-l`).
    pub indent: usize,
    /// The column hint for a one-line description of each opcode; 0 prints none.
    ///
    /// Default: 0. pickletools' `-a` uses 30.
    pub annotate: usize,
}

impl Default for DisOptions {
    fn default() -> DisOptions {
        DisOptions {
            indent: 4,
            annotate: 0,
        }
    }
}

/// Disassembles the pickle at the start of `input` into `out`, through its STOP opcode.
///
/// # Errors
///
/// When the pickle is malformed, every line before the fault has been written and the error
/// says what pickletools would have complained about.
///
/// # Example
///
/// ```
/// let mut out = Vec::new();
/// brine_lex::dis(b"\x80\x04K\x2a.", &mut out, &Default::default())?;
/// assert_eq!(
///     String::from_utf8(out).unwrap(),
///     "    0: \\x80 PROTO      4\n    2: K    BININT1    42\n    4: .    STOP\n\
///      highest protocol among opcodes = 2\n"
/// );
/// # Ok::<(), brine_lex::DisError>(())
/// ```
pub fn dis<W: Write>(input: &[u8], out: &mut W, options: &DisOptions) -> Result<(), DisError> {
    let mut machine = Disassembler::new(options);
    for res in Lexer::new(input) {
        let (offset, op) = res.map_err(DisError::Lex)?;
        machine.step(offset as u64, &op, out)?;
    }
    machine.finish(out)
}

/// Disassembles a pickle read from `reader`, holding one opcode in memory at a time.
///
/// # Errors
///
/// As [`dis`], and [`DisError::Io`] when reading or writing fails.
pub fn dis_reader<R: BufRead, W: Write>(
    reader: R,
    out: &mut W,
    options: &DisOptions,
) -> Result<(), DisError> {
    let mut machine = Disassembler::new(options);
    let mut lexer = StreamLexer::new(reader);
    loop {
        match lexer.next_op() {
            Ok(Some((offset, op))) => machine.step(offset, &op, out)?,
            Ok(None) => break,
            Err(ReadError::Io(err)) => return Err(DisError::Io(err)),
            Err(ReadError::Lex(err)) => return Err(DisError::Lex(err)),
        }
    }
    machine.finish(out)
}

/// Why a disassembly stopped early.
#[derive(Debug)]
#[non_exhaustive]
pub enum DisError {
    /// An opcode could not be lexed.
    Lex(LexError),
    /// An argument pickletools cannot display, or a misuse of the stack or memo.
    Invalid {
        /// The offset of the offending opcode.
        offset: u64,
        /// pickletools' complaint.
        message: String,
    },
    /// Reading the pickle or writing the text failed.
    Io(io::Error),
}

impl fmt::Display for DisError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DisError::Lex(err) => err.fmt(f),
            DisError::Invalid { offset, message } => write!(f, "at offset {offset}: {message}"),
            DisError::Io(err) => write!(f, "i/o error: {err}"),
        }
    }
}

impl std::error::Error for DisError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DisError::Lex(err) => Some(err),
            DisError::Io(err) => Some(err),
            DisError::Invalid { .. } => None,
        }
    }
}

impl From<io::Error> for DisError {
    fn from(err: io::Error) -> DisError {
        DisError::Io(err)
    }
}

/// A memo key as pickletools' dict sees it: `True` and `1` are the same key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum MemoKey {
    Small(i64),
    Big(String),
}

/// The state `pickletools.dis` keeps between opcodes.
struct Disassembler<'o> {
    options: &'o DisOptions,
    stack: Vec<StackKind>,
    memo: HashMap<MemoKey, StackKind>,
    mark_offsets: Vec<u64>,
    max_proto: i32,
    annotate_col: usize,
    line: String,
}

impl<'o> Disassembler<'o> {
    fn new(options: &'o DisOptions) -> Disassembler<'o> {
        Disassembler {
            options,
            stack: Vec::new(),
            memo: HashMap::new(),
            mark_offsets: Vec::new(),
            max_proto: -1,
            annotate_col: options.annotate,
            line: String::new(),
        }
    }

    fn step<W: Write>(&mut self, offset: u64, op: &Op<'_>, out: &mut W) -> Result<(), DisError> {
        let invalid = |message: String| DisError::Invalid { offset, message };
        // pickletools reads (and so validates) the argument before printing anything.
        let arg_text = arg_repr(op).map_err(invalid)?;
        // Every opcode the lexer returns is in the table.
        let Some(info) = op.code.info() else {
            return Err(invalid(format!("opcode {:?} unknown", op.code)));
        };
        write!(out, "{offset:5}: ")?;
        self.line.clear();
        let code_text = code_repr(op.code);
        let indent = self.options.indent * self.mark_offsets.len();
        self.line
            .push_str(&format!("{code_text:<4} {:indent$}{}", "", info.name));
        self.max_proto = self.max_proto.max(i32::from(info.proto));

        let before = info.stack_before;
        let mut after: Vec<StackKind> = info.stack_after.to_vec();
        let mut n_to_pop = before.len();
        let mut error = None;
        let mut mark_note = None;

        let pops_mark = before.contains(&StackKind::MARK)
            || (op.code == Opcode::POP && self.stack.last() == Some(&StackKind::MARK));
        if pops_mark {
            if let Some(mark_offset) = self.mark_offsets.pop() {
                mark_note = Some(format!("(MARK at {mark_offset})"));
                loop {
                    match self.stack.pop() {
                        Some(StackKind::MARK) => break,
                        Some(_) => {}
                        None => {
                            error.get_or_insert_with(|| "list index out of range".to_owned());
                            break;
                        }
                    }
                }
                n_to_pop = before
                    .iter()
                    .position(|&kind| kind == StackKind::MARK)
                    .unwrap_or(0);
            } else {
                let message = "no MARK exists on stack".to_owned();
                mark_note = Some(message.clone());
                error = Some(message);
            }
        }

        let arg_key = memo_key(&op.arg);
        match op.code {
            Opcode::PUT | Opcode::BINPUT | Opcode::LONG_BINPUT | Opcode::MEMOIZE => {
                let key = if op.code == Opcode::MEMOIZE {
                    let key = self.memo.len() as i64;
                    mark_note = Some(format!("(as {key})"));
                    Some(MemoKey::Small(key))
                } else {
                    arg_key
                };
                let arg_shown = if op.code == Opcode::MEMOIZE {
                    "None"
                } else {
                    &arg_text
                };
                match (key, self.stack.last()) {
                    (Some(key), _) if self.memo.contains_key(&key) => {
                        error = Some(format!("memo key {arg_shown} already defined"));
                    }
                    (_, None) => {
                        error = Some("stack is empty -- can't store into memo".to_owned());
                    }
                    (_, Some(&StackKind::MARK)) => {
                        error = Some("can't store markobject in the memo".to_owned());
                    }
                    (Some(key), Some(&top)) => {
                        self.memo.insert(key, top);
                    }
                    (None, Some(_)) => {}
                }
            }
            Opcode::GET | Opcode::BINGET | Opcode::LONG_BINGET => {
                match arg_key.and_then(|key| self.memo.get(&key)) {
                    Some(&kind) => after = vec![kind],
                    None => error = Some(format!("memo key {arg_text} has never been stored into")),
                }
            }
            _ => {}
        }

        let has_arg = info.arg != ArgKind::None;
        if has_arg || mark_note.is_some() {
            let pad = 10usize.saturating_sub(info.name.len());
            self.line.extend(std::iter::repeat_n(' ', pad));
            if has_arg {
                self.line.push(' ');
                self.line.push_str(&arg_text);
            }
            if let Some(note) = &mark_note {
                self.line.push(' ');
                self.line.push_str(note);
            }
        }
        if self.options.annotate > 0 {
            // pickletools measures in characters, not bytes.
            let len = self.line.chars().count();
            let pad = self.annotate_col.saturating_sub(len);
            self.line.extend(std::iter::repeat_n(' ', pad));
            self.annotate_col = len + pad;
            if self.annotate_col > 50 {
                self.annotate_col = self.options.annotate;
            }
            self.line.push(' ');
            self.line.push_str(info.doc);
        }
        writeln!(out, "{}", self.line)?;

        if let Some(message) = error {
            return Err(invalid(message));
        }
        if self.stack.len() < n_to_pop {
            return Err(invalid(format!(
                "tries to pop {n_to_pop} items from stack with only {} items",
                self.stack.len()
            )));
        }
        self.stack.truncate(self.stack.len() - n_to_pop);
        if after.contains(&StackKind::MARK) {
            self.mark_offsets.push(offset);
        }
        self.stack.extend(after);
        Ok(())
    }

    fn finish<W: Write>(self, out: &mut W) -> Result<(), DisError> {
        writeln!(out, "highest protocol among opcodes = {}", self.max_proto)?;
        if !self.stack.is_empty() {
            let names: Vec<&str> = self.stack.iter().map(|kind| kind.name()).collect();
            return Err(DisError::Invalid {
                offset: 0,
                message: format!("stack not empty after STOP: [{}]", names.join(", ")),
            });
        }
        Ok(())
    }
}

/// `repr(opcode.code)[1:-1]`: the opcode byte as a Latin-1 character, escaped.
fn code_repr(code: Opcode) -> String {
    let repr = repr::str_repr(&latin1_to_pystr(&[code.0]));
    repr[1..repr.len() - 1].to_owned()
}

fn memo_key(arg: &Arg<'_>) -> Option<MemoKey> {
    match *arg {
        Arg::Int(value) => Some(MemoKey::Small(value)),
        Arg::Bool(value) => Some(MemoKey::Small(i64::from(value))),
        Arg::BigDecimal(text) => Some(MemoKey::Big(repr::decimal_repr(text))),
        _ => None,
    }
}

/// The text pickletools prints for the argument: `repr()` of the value its reader returns.
fn arg_repr(op: &Op<'_>) -> Result<String, String> {
    let kind = op.code.arg_kind().unwrap_or(ArgKind::None);
    Ok(match &op.arg {
        Arg::None => String::new(),
        Arg::Int(value) => value.to_string(),
        Arg::Size(value) => value.to_string(),
        Arg::Bool(true) => "True".to_owned(),
        Arg::Bool(false) => "False".to_owned(),
        Arg::BigDecimal(text) => repr::decimal_repr(text),
        Arg::BigLong(data) => repr::twos_complement_repr(data),
        Arg::Float(value) => repr::float_repr(*value),
        Arg::Bytes(data) => match kind {
            ArgKind::String1 | ArgKind::String4 => repr::str_repr(&latin1_to_pystr(data)),
            ArgKind::Bytearray8 => format!("bytearray({})", repr::bytes_repr(data)),
            _ => repr::bytes_repr(data),
        },
        Arg::String(data) => repr::str_repr(ascii_text(data)?),
        Arg::Line(line) => repr::str_repr(&escaped_ascii(line)?),
        Arg::Pair(module, name) => {
            let mut text = escaped_ascii(module)?;
            text.push(b' ');
            text.extend_from_slice(&escaped_ascii(name)?);
            repr::str_repr(&text)
        }
        Arg::Unicode(text) => repr::str_repr(text),
    })
}

/// pickletools decodes text lines with `codecs.escape_decode(...)[0].decode("ascii")`.
fn escaped_ascii(line: &[u8]) -> Result<Vec<u8>, String> {
    let decoded = escape::escape_decode(line).map_err(|err| match err {
        escape::EscapeError::TrailingBackslash => "Trailing \\ in string".to_owned(),
        escape::EscapeError::InvalidHexEscape(pos) => {
            format!("invalid \\x escape at position {pos}")
        }
        other => format!("{other:?}"),
    })?;
    Ok(ascii_text(&decoded)?.to_vec())
}

fn ascii_text(data: &[u8]) -> Result<&[u8], String> {
    match data.iter().position(|b| !b.is_ascii()) {
        None => Ok(data),
        Some(pos) => Err(format!(
            "'ascii' codec can't decode byte 0x{:02x} in position {pos}: ordinal not in range(128)",
            data[pos]
        )),
    }
}

fn latin1_to_pystr(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    for &byte in data {
        crate::pystr::push_code_point(&mut out, u32::from(byte));
    }
    out
}
