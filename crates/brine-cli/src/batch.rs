//! `brine convert --batch`: many conversions through one process, for callers (the CPython
//! test-suite runner, `python/pickletester_brine.py`) that would otherwise start a process per
//! pickle.
//!
//! Requests arrive on stdin one after another, each answered on stdout before the next is read,
//! and the process ends cleanly at end of input between two requests. Integers are little-endian.
//!
//! ```text
//! request:  u8 protocol | u8 flags (bit 0: fix_imports)
//!           | u8 n, n bytes: encoding name | u8 n, n bytes: errors name
//!           | u32 n, n bytes: the pickle
//! response: u8 status (0 converted, 1 refused) | u32 n, n bytes
//!           converted: the pickle at the requested protocol
//!           refused:   the error kind (one word, `Lex.Truncated`, `NegativeMemoKey`, ...),
//!                      a newline, and the message `brine convert` prints
//! ```
//!
//! A refused pickle is an answer, not a failure of the batch: the process goes on with the next
//! request. A malformed request (a cut length, a protocol above 5) ends the process with an
//! error, since the stream can no longer be trusted to be in step.

use std::io::{self, BufRead, Read, Write};

use brine_lex::LexErrorKind;
use brine_value::{StringEncoding, StringErrors};
use brine_vm::ErrorKind;

/// Why a batch stopped before the end of its input.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// Reading a request or writing a response failed, or a request was cut short.
    #[error("batch request {index}: {source}")]
    Io {
        /// The request's index, from 0.
        index: u64,
        /// What failed.
        source: io::Error,
    },
    /// A request asked for a protocol above 5.
    #[error("batch request {index}: protocol {protocol} is not 0 to 5")]
    Protocol {
        /// The request's index, from 0.
        index: u64,
        /// The protocol asked for.
        protocol: u8,
    },
}

/// One request, as read from the stream.
struct Request {
    protocol: u8,
    fix_imports: bool,
    encoding: String,
    errors: String,
    pickle: Vec<u8>,
}

/// Answers requests from `input` on `output` until `input` ends between two requests.
pub fn run(input: &mut dyn BufRead, output: &mut dyn Write) -> Result<(), BatchError> {
    for index in 0.. {
        let io_err = |source| BatchError::Io { index, source };
        let Some(request) = read_request(input).map_err(io_err)? else {
            return Ok(());
        };
        if request.protocol > brine_encode::HIGHEST_PROTOCOL {
            return Err(BatchError::Protocol {
                index,
                protocol: request.protocol,
            });
        }
        let (status, payload) = match convert(&request) {
            Ok(pickle) => (0u8, pickle),
            Err((kind, message)) => (1u8, format!("{kind}\n{message}").into_bytes()),
        };
        let len = u32::try_from(payload.len()).map_err(|_| {
            io_err(io::Error::other(format!(
                "the answer of {} bytes does not fit a u32 length",
                payload.len()
            )))
        })?;
        output.write_all(&[status]).map_err(io_err)?;
        output.write_all(&len.to_le_bytes()).map_err(io_err)?;
        output.write_all(&payload).map_err(io_err)?;
        output.flush().map_err(io_err)?;
    }
    Ok(())
}

/// Reads one request; `None` at end of input before its first byte.
fn read_request(input: &mut dyn BufRead) -> io::Result<Option<Request>> {
    if input.fill_buf()?.is_empty() {
        return Ok(None);
    }
    let mut head = [0u8; 2];
    input.read_exact(&mut head)?;
    let encoding = read_name(input)?;
    let errors = read_name(input)?;
    let mut len = [0u8; 4];
    input.read_exact(&mut len)?;
    let len = u32::from_le_bytes(len);
    // Read through `take` so that a claimed length the stream does not hold allocates only
    // what actually arrives.
    let mut pickle = Vec::new();
    input.take(u64::from(len)).read_to_end(&mut pickle)?;
    if pickle.len() as u64 != u64::from(len) {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("the pickle ends after {} of {len} bytes", pickle.len()),
        ));
    }
    Ok(Some(Request {
        protocol: head[0],
        fix_imports: head[1] & 1 != 0,
        encoding,
        errors,
        pickle,
    }))
}

fn read_name(input: &mut dyn BufRead) -> io::Result<String> {
    let mut len = [0u8; 1];
    input.read_exact(&mut len)?;
    let mut name = vec![0u8; usize::from(len[0])];
    input.read_exact(&mut name)?;
    String::from_utf8(name)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "a name is not UTF-8"))
}

/// Decodes and re-encodes one pickle, or says why not: the error kind and its message.
fn convert(request: &Request) -> Result<Vec<u8>, (String, String)> {
    let mut decode = brine_vm::Options::default();
    decode.encoding = StringEncoding::from_name(&request.encoding).ok_or_else(|| {
        (
            "UnknownEncoding".to_owned(),
            format!("unknown encoding: {}", request.encoding),
        )
    })?;
    decode.errors = StringErrors::from_name(&request.errors).ok_or_else(|| {
        (
            "UnknownErrorHandler".to_owned(),
            format!("unknown error handler name {:?}", request.errors),
        )
    })?;
    decode.fix_imports = request.fix_imports;
    let graph = brine_vm::from_slice(&request.pickle, &decode)
        .map_err(|err| (kind_name(err.kind()), err.to_string()))?;
    let mut encode = brine_encode::Options::protocol(request.protocol);
    encode.fix_imports = request.fix_imports;
    brine_encode::to_vec(&graph, &encode).map_err(|err| ("Encode".to_owned(), err.to_string()))
}

/// A stable one-word name for the kind of a load error, which a caller maps to its own error
/// classes (the runner to the exceptions CPython raises).
fn kind_name(kind: &ErrorKind) -> String {
    let name = match kind {
        ErrorKind::Lex(lex) => return format!("Lex.{}", lex_kind_name(lex)),
        ErrorKind::Io(_) => "Io",
        ErrorKind::UnsupportedProtocol(_) => "UnsupportedProtocol",
        ErrorKind::StackUnderflow => "StackUnderflow",
        ErrorKind::MarkNotFound => "MarkNotFound",
        ErrorKind::MemoKeyMissing(_) => "MemoKeyMissing",
        ErrorKind::NegativeMemoKey => "NegativeMemoKey",
        ErrorKind::FrameMismatch(_) => "FrameMismatch",
        ErrorKind::BadPersistentId => "BadPersistentId",
        ErrorKind::PersistentLoad(_) => "PersistentLoad",
        ErrorKind::AfterBuild(_) => "AfterBuild",
        ErrorKind::ExtensionCodeNotPositive(_) => "ExtensionCodeNotPositive",
        ErrorKind::UnregisteredExtension(_) => "UnregisteredExtension",
        ErrorKind::NoBuffers => "NoBuffers",
        ErrorKind::NotEnoughBuffers => "NotEnoughBuffers",
        ErrorKind::NotABuffer => "NotABuffer",
        ErrorKind::RejectedGlobal { .. } => "RejectedGlobal",
        ErrorKind::BadGlobalName => "BadGlobalName",
        ErrorKind::StackGlobalNotStr => "StackGlobalNotStr",
        ErrorKind::ExpectedTuple => "ExpectedTuple",
        ErrorKind::ExpectedDict => "ExpectedDict",
        ErrorKind::OddItemCount => "OddItemCount",
        ErrorKind::CannotMutate { .. } => "CannotMutate",
        ErrorKind::StringDecode { .. } => "StringDecode",
        ErrorKind::LimitExceeded { .. } => "LimitExceeded",
        ErrorKind::TrailingData(_) => "TrailingData",
        _ => "Other",
    };
    name.to_owned()
}

fn lex_kind_name(kind: &LexErrorKind) -> &'static str {
    match kind {
        LexErrorKind::NoStop => "NoStop",
        LexErrorKind::UnknownOpcode => "UnknownOpcode",
        LexErrorKind::Truncated { .. } => "Truncated",
        LexErrorKind::MissingNewline => "MissingNewline",
        LexErrorKind::NegativeLength(_) => "NegativeLength",
        LexErrorKind::LengthOverflow(_) => "LengthOverflow",
        LexErrorKind::StringNotQuoted => "StringNotQuoted",
        LexErrorKind::Escape(_) => "Escape",
        LexErrorKind::InvalidUtf8(_) => "InvalidUtf8",
        LexErrorKind::InvalidInt => "InvalidInt",
        LexErrorKind::InvalidFloat => "InvalidFloat",
        LexErrorKind::FloatOverflow => "FloatOverflow",
        _ => "Other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(protocol: u8, pickle: &[u8]) -> Vec<u8> {
        let mut out = vec![protocol, 1, 5];
        out.extend_from_slice(b"ASCII");
        out.push(6);
        out.extend_from_slice(b"strict");
        out.extend_from_slice(&(pickle.len() as u32).to_le_bytes());
        out.extend_from_slice(pickle);
        out
    }

    fn answers(mut input: &[u8]) -> Result<Vec<(u8, Vec<u8>)>, BatchError> {
        let mut out = Vec::new();
        run(&mut input, &mut out)?;
        let mut answers = Vec::new();
        let mut rest = &out[..];
        while !rest.is_empty() {
            let len = u32::from_le_bytes(rest[1..5].try_into().unwrap()) as usize;
            answers.push((rest[0], rest[5..5 + len].to_vec()));
            rest = &rest[5 + len..];
        }
        Ok(answers)
    }

    #[test]
    fn converts_and_refuses_in_one_stream() {
        let mut input = request(2, b"N.");
        input.extend(request(0, b"]"));
        input.extend(request(0, b"\x80\x02K\x01."));
        let answers = answers(&input).unwrap();
        assert_eq!(answers[0], (0, b"\x80\x02N.".to_vec()));
        let refused = String::from_utf8(answers[1].1.clone()).unwrap();
        assert_eq!(answers[1].0, 1);
        assert!(refused.starts_with("Lex.NoStop\n"), "{refused}");
        assert_eq!(answers[2], (0, b"I1\n.".to_vec()));
    }

    #[test]
    fn every_cut_request_is_an_error_not_a_panic() {
        let input = request(3, b"\x80\x03K\x01.");
        for cut in 1..input.len() {
            let err = answers(&input[..cut]).unwrap_err();
            assert!(matches!(err, BatchError::Io { index: 0, .. }), "{err}");
        }
        assert!(answers(&[]).unwrap().is_empty());
    }

    #[test]
    fn a_protocol_above_5_stops_the_batch() {
        let err = answers(&request(6, b"N.")).unwrap_err();
        assert!(matches!(err, BatchError::Protocol { protocol: 6, .. }));
    }
}
