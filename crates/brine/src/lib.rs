//! Python's pickle in Rust: `dumps`, `loads`, `dump` and `load`, with Python's parameters.
//!
//! brine reads every pickle CPython 2.7 to 3.13 writes and writes pickles every one of them
//! reads back, byte for byte what CPython writes. It never executes anything a pickle asks
//! for: loading gives a [`Graph`] in which a global is a name and a REDUCE is a record of the
//! call Python would have made, so a hostile pickle is data to inspect, not code to run.
//!
//! | Python | brine |
//! |---|---|
//! | `pickle.loads(data)` | [`loads`] |
//! | `pickle.load(file)` | [`load`] |
//! | `pickle.dumps(obj, protocol)` | [`dumps`], [`Pickler::protocol`] |
//! | `pickle.dump(obj, file)` | [`dump`] |
//! | `fix_imports`, `encoding`, `errors`, `buffers` | [`Unpickler`] methods |
//! | `persistent_load`, `Unpickler.find_class` | [`Unpickler::persistent_load`], [`Unpickler::find_class`] |
//! | `persistent_id`, `buffer_callback` | [`Pickler::persistent_id`], [`Pickler::buffer_callback`] |
//! | `pickle.DEFAULT_PROTOCOL`, `HIGHEST_PROTOCOL` | [`DEFAULT_PROTOCOL`], [`HIGHEST_PROTOCOL`] |
//!
//! The layers underneath are crates of their own: `brine-lex` (opcodes and disassembly),
//! `brine-value` (the graph), `brine-vm` (loading), `brine-encode` (writing),
//! `brine-compress` and `brine-sign`.
//!
//! Rust types go through serde: `brine::serde::to_vec(&value, &Options)` writes what CPython
//! writes for the equivalent Python objects (dicts, or instances of a class you name), and
//! `brine::serde::from_slice` reads any CPython pickle into a `Deserialize` type.
//!
//! # Features
//!
//! - `serde` (default): [`serde`], serde both ways (`brine-serde`).
//! - `gzip`, `bz2`, `xz`, `zstd`, `lz4` (default): compressed pickles, [`compress`] and
//!   [`Unpickler::decompress`].
//! - `sign` (default): the HMAC envelope, [`sign`], [`load_signed`] and [`dumps_signed`].
//! - `scan`: safe loading, `loads_untrusted` and `loads_untrusted_with`, and `scan`
//!   (brine-scan: what a pickle would import and call, judged).
//!
//! Enabling a feature never changes what the functions above do by default.
//!
//! # Example
//!
//! ```
//! // pickle.dumps({"answer": 42}, protocol=2)
//! let data = b"\x80\x02}q\x00X\x06\x00\x00\x00answerq\x01K*s.";
//! let graph = brine::loads(data)?;
//! assert_eq!(graph.root().get("answer").and_then(|v| v.as_i64()), Some(42));
//! assert_eq!(brine::Pickler::new().protocol(2).dumps(&graph)?, data);
//! # Ok::<(), brine::Error>(())
//! ```
#![forbid(unsafe_code)]

mod error;
mod pickler;
mod unpickler;

use std::io::{BufRead, Write};

#[doc(inline)]
pub use brine_value::{
    ExtensionRegistry, Graph, Node, NodeId, PickleBuffer, PyStr, Value, ValueRef,
};
#[doc(inline)]
pub use brine_vm::{AllowList, FindClass, Limits};
pub use error::Error;
pub use pickler::Pickler;
pub use unpickler::Unpickler;

/// The compression layer (`brine-compress`).
#[cfg(feature = "compress")]
pub use brine_compress as compress;
/// serde both ways: Rust types to pickles and back (`brine-serde`).
#[cfg(feature = "serde")]
pub use brine_serde as serde;
/// The HMAC signing envelope (`brine-sign`).
#[cfg(feature = "sign")]
pub use brine_sign as sign;

#[cfg(feature = "scan")]
pub use brine_scan as scan;

/// The protocol [`dumps`] writes: 4, as in Python 3.8 and later.
pub const DEFAULT_PROTOCOL: u8 = brine_encode::DEFAULT_PROTOCOL;
/// The highest protocol: 5.
pub const HIGHEST_PROTOCOL: u8 = brine_encode::HIGHEST_PROTOCOL;

/// `pickle.loads(data)`: loads the pickle at the start of `data` with Python's defaults.
///
/// # Errors
///
/// A malformed pickle, with the opcode and byte offset ([`Error::Load`]).
///
/// # Example
///
/// ```
/// let graph = brine::loads(b"\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00K\x07\x85\x94.")?;
/// assert_eq!(format!("{graph:?}"), "(7,)");
/// # Ok::<(), brine::Error>(())
/// ```
pub fn loads(data: &[u8]) -> Result<Graph, Error> {
    Unpickler::new().loads(data)
}

/// `pickle.load(file)`: loads one pickle from `reader`, stopping right after it, so the next
/// pickle in the stream can be loaded by the next call.
///
/// # Errors
///
/// As [`loads`], and [`Error::Load`] wrapping the reader's error.
///
/// # Example
///
/// ```
/// let mut stream: &[u8] = b"K\x01.K\x02.";
/// assert_eq!(brine::load(&mut stream)?.root().as_i64(), Some(1));
/// assert_eq!(brine::load(&mut stream)?.root().as_i64(), Some(2));
/// # Ok::<(), brine::Error>(())
/// ```
pub fn load<R: BufRead>(reader: R) -> Result<Graph, Error> {
    Unpickler::new().load(reader)
}

/// `pickle.dumps(obj)`: writes `graph` at the default protocol (4).
///
/// # Errors
///
/// A graph the protocol cannot express ([`Error::Dump`]).
///
/// # Example
///
/// ```
/// let graph = brine::loads(b"]q\x00K\x01a.")?;
/// let again = brine::dumps(&graph)?;
/// assert_eq!(brine::loads(&again)?, graph);
/// # Ok::<(), brine::Error>(())
/// ```
pub fn dumps(graph: &Graph) -> Result<Vec<u8>, Error> {
    Pickler::new().dumps(graph)
}

/// `pickle.dump(obj, file)`: writes `graph` at the default protocol to `writer`, in bounded
/// memory, and returns the writer.
///
/// # Errors
///
/// As [`dumps`], and [`Error::Dump`] wrapping the writer's error.
pub fn dump<W: Write>(graph: &Graph, writer: W) -> Result<W, Error> {
    Pickler::new().dump(graph, writer)
}

/// Verifies a signed envelope with `keyring` and loads the pickle inside it. Unverified bytes
/// never reach the unpickler: the payload comes only from a successful verification.
///
/// # Errors
///
/// [`Error::Sign`] for an envelope that does not verify (any altered byte, a wrong or unknown
/// key, a wrong context, an expired envelope), else as [`loads`].
///
/// # Example
///
/// ```
/// use brine::sign::{Key, Keyring, SignOptions, VerifyOptions};
///
/// let key = Key::new(b"k1".to_vec(), &[7u8; 32])?;
/// let keyring = Keyring::new(key.clone());
/// let graph = brine::loads(b"K\x05.")?;
/// let envelope = brine::dumps_signed(&graph, &key, &SignOptions::default())?;
/// let loaded = brine::load_signed(&keyring, &VerifyOptions::default(), &envelope)?;
/// assert_eq!(loaded, graph);
///
/// let mut tampered = envelope.clone();
/// let last = tampered.len() - 1;
/// tampered[last] ^= 1;
/// assert!(matches!(
///     brine::load_signed(&keyring, &VerifyOptions::default(), &tampered),
///     Err(brine::Error::Sign(_))
/// ));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg(feature = "sign")]
pub fn load_signed(
    keyring: &brine_sign::Keyring,
    options: &brine_sign::VerifyOptions,
    envelope: &[u8],
) -> Result<Graph, Error> {
    let verified = brine_sign::verify(keyring, options, envelope)?;
    loads(verified.payload())
}

/// Writes `graph` at the default protocol and wraps it in a signed envelope.
///
/// # Errors
///
/// As [`dumps`], and [`Error::Sign`] when signing fails.
#[cfg(feature = "sign")]
pub fn dumps_signed(
    graph: &Graph,
    key: &brine_sign::Key,
    options: &brine_sign::SignOptions,
) -> Result<Vec<u8>, Error> {
    let pickle = dumps(graph)?;
    Ok(brine_sign::sign(key, options, &pickle)?)
}

/// Loads a pickle from a source that is not trusted: scans it first, with the machine that
/// loads, and refuses it unless everything it would import and call is on the allow list
/// ([`scan::Policy::Lists`]). What a Python program would run on `pickle.loads(data)` never
/// reaches the caller as a graph.
///
/// # Errors
///
/// [`Error::Refused`], naming the global and its offset, for anything dangerous, suspicious
/// (not known honest) or that could not be scanned to its end; otherwise as [`loads`].
///
/// # Example
///
/// ```
/// let refused = brine::loads_untrusted(b"cos\nsystem\n(S'echo pwned'\ntR.").unwrap_err();
/// assert!(refused.to_string().contains("os.system"), "{refused}");
/// assert_eq!(refused.offset(), Some(27)); // the REDUCE
/// // pickle.dumps({"a": [1, 2]}, protocol=2)
/// let graph = brine::loads_untrusted(b"\x80\x02}q\x00X\x01\x00\x00\x00aq\x01]q\x02(K\x01K\x02es.")?;
/// assert_eq!(format!("{graph:?}"), "{'a': [1, 2]}");
/// # Ok::<(), brine::Error>(())
/// ```
#[cfg(feature = "scan")]
pub fn loads_untrusted(data: &[u8]) -> Result<Graph, Error> {
    loads_untrusted_with(data, &brine_scan::Policy::default())
}

/// [`loads_untrusted`] under another policy: the lists with suspicious globals accepted,
/// PyTorch's `weights_only` set, or an explicit allow list.
///
/// # Errors
///
/// As [`loads_untrusted`].
///
/// # Example
///
/// ```
/// use brine::scan::Policy;
///
/// // pickle.dumps(mypkg.Net(), protocol=2), a class of the program's own.
/// let data = b"\x80\x02cmypkg\nNet\n)\x81.";
/// assert!(brine::loads_untrusted(data).is_err());
/// let allow = Policy::AllowList(vec!["mypkg.Net".into()]);
/// assert!(brine::loads_untrusted_with(data, &allow).is_ok());
/// ```
#[cfg(feature = "scan")]
pub fn loads_untrusted_with(data: &[u8], policy: &brine_scan::Policy) -> Result<Graph, Error> {
    let report = brine_scan::scan_pickle(data, &brine_scan::Options::default());
    if let Some(refusal) = policy.refusal(&report) {
        return Err(Error::Refused {
            refusal: Box::new(refusal),
            report: Box::new(report),
        });
    }
    loads(data)
}

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
