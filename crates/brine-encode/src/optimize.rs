//! `pickletools.optimize`: drop the PUTs no GET uses, renumber the memo, reframe.
//!
//! The output is byte for byte what CPython 3.11's `pickletools.optimize` returns.

use std::fmt;

use brine_lex::{Arg, LexError, Lexer, Opcode};
use hashbrown::{HashMap, HashSet};

use crate::output::{FRAME_SIZE_MIN, FRAME_SIZE_TARGET, Memory, Output};

/// Why a pickle could not be optimized.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OptimizeError {
    /// The pickle is malformed.
    Lex(LexError),
    /// A GET names a memo key no PUT stored.
    MemoKeyMissing(u64),
    /// A memo key that is negative or too large.
    BadMemoKey,
}

impl fmt::Display for OptimizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OptimizeError::Lex(err) => err.fmt(f),
            OptimizeError::MemoKeyMissing(key) => {
                write!(f, "memo key {key} is read but never stored")
            }
            OptimizeError::BadMemoKey => f.write_str("memo key out of range"),
        }
    }
}

impl std::error::Error for OptimizeError {}

/// What the first pass keeps of each opcode.
enum Kept {
    Put(u64),
    Get(u64),
    /// The opcode's bytes, copied unchanged.
    Raw(usize, usize),
}

/// Optimizes the pickle at the start of `pickle` as `pickletools.optimize` does.
///
/// # Errors
///
/// A malformed pickle, or a GET of a key never stored.
///
/// # Example
///
/// ```
/// // pickle.dumps([1], protocol=2) memoizes the list, which nothing reads back.
/// let optimized = brine_encode::optimize(b"\x80\x02]q\x00K\x01a.")?;
/// assert_eq!(optimized, b"\x80\x02]K\x01a.");
/// # Ok::<(), brine_encode::OptimizeError>(())
/// ```
pub fn optimize(pickle: &[u8]) -> Result<Vec<u8>, OptimizeError> {
    let mut put_ids: HashSet<u64> = HashSet::new();
    let mut get_ids: HashMap<u64, Option<u32>> = HashMap::new();
    let mut kept = Vec::new();
    let mut proto: u8 = 0;
    let mut proto_header: &[u8] = &[];
    let mut lexer = Lexer::new(pickle);
    loop {
        let pos = lexer.position();
        let Some(res) = lexer.next() else { break };
        let (_, op) = res.map_err(OptimizeError::Lex)?;
        let end = lexer.position();
        let info_proto = op.code.info().map_or(0, |info| info.proto);
        match op.code {
            Opcode::PUT | Opcode::BINPUT | Opcode::LONG_BINPUT => {
                let key = memo_key(&op.arg)?;
                put_ids.insert(key);
                kept.push(Kept::Put(key));
            }
            Opcode::MEMOIZE => {
                let key = put_ids.len() as u64;
                put_ids.insert(key);
                kept.push(Kept::Put(key));
            }
            Opcode::FRAME => {}
            Opcode::GET | Opcode::BINGET | Opcode::LONG_BINGET => {
                proto = proto.max(info_proto);
                let key = memo_key(&op.arg)?;
                get_ids.insert(key, None);
                kept.push(Kept::Get(key));
            }
            Opcode::PROTO => {
                if let Arg::Int(value) = op.arg {
                    proto = proto.max(u8::try_from(value).unwrap_or(u8::MAX));
                }
                if pos == 0 {
                    proto_header = &pickle[pos..end];
                } else {
                    kept.push(Kept::Raw(pos, end));
                }
            }
            _ => kept.push(Kept::Raw(pos, end)),
        }
    }

    let mut out = Output::new(Memory::new(), FRAME_SIZE_MIN, true);
    out.write(proto_header)
        .map_err(|_| OptimizeError::BadMemoKey)?;
    if proto >= 4 {
        // Writing to a Vec cannot fail.
        let _ = out.start_framing();
    }
    let mut next_idx: u32 = 0;
    for item in kept {
        let data: Vec<u8> = match item {
            Kept::Put(key) => {
                let Some(slot) = get_ids.get_mut(&key) else {
                    continue;
                };
                *slot = Some(next_idx);
                let data = put_bytes(proto, next_idx);
                next_idx += 1;
                data
            }
            Kept::Get(key) => match get_ids.get(&key).copied().flatten() {
                Some(idx) => get_bytes(proto, idx),
                None => return Err(OptimizeError::MemoKeyMissing(key)),
            },
            Kept::Raw(start, end) => pickle[start..end].to_vec(),
        };
        // Writing to a Vec cannot fail.
        let frameless = data.len() > FRAME_SIZE_TARGET;
        if frameless {
            let _ = out.write_large(&[], &data);
        } else {
            let _ = out.boundary();
            let _ = out.write(&data);
        }
    }
    out.finish().map_err(|_| OptimizeError::BadMemoKey)
}

fn memo_key(arg: &Arg<'_>) -> Result<u64, OptimizeError> {
    match *arg {
        Arg::Int(value) => u64::try_from(value).map_err(|_| OptimizeError::BadMemoKey),
        Arg::Bool(value) => Ok(u64::from(value)),
        _ => Err(OptimizeError::BadMemoKey),
    }
}

/// `_Pickler.put` at `proto`.
fn put_bytes(proto: u8, idx: u32) -> Vec<u8> {
    if proto >= 4 {
        vec![Opcode::MEMOIZE.0]
    } else if proto >= 1 {
        match u8::try_from(idx) {
            Ok(small) => vec![Opcode::BINPUT.0, small],
            Err(_) => [&[Opcode::LONG_BINPUT.0][..], &idx.to_le_bytes()].concat(),
        }
    } else {
        [&[Opcode::PUT.0], format!("{idx}\n").as_bytes()].concat()
    }
}

/// `_Pickler.get` at `proto`.
fn get_bytes(proto: u8, idx: u32) -> Vec<u8> {
    if proto >= 1 {
        match u8::try_from(idx) {
            Ok(small) => vec![Opcode::BINGET.0, small],
            Err(_) => [&[Opcode::LONG_BINGET.0][..], &idx.to_le_bytes()].concat(),
        }
    } else {
        [&[Opcode::GET.0], format!("{idx}\n").as_bytes()].concat()
    }
}
