//! Python's pickle in Rust: read and write the pickles CPython writes, without ever executing
//! anything a pickle asks for.
//!
//! # Which to use
//!
//! - **Your own Rust types** go through serde, as with serde_json: [`to_vec`] and
//!   [`to_writer`] write what CPython writes for the equivalent Python objects (dicts, or
//!   instances of a class named in [`Options`]), and [`from_slice`] and [`from_reader`] read
//!   any CPython pickle into a `Deserialize` type, borrowing strings from the input.
//! - **Pickles as Python sees them**, whatever they hold: [`loads`] and [`load`] give a
//!   [`Graph`], in which a global is a name and a REDUCE is a record of the call Python would
//!   have made, so a hostile pickle is data to inspect, not code to run. [`dumps`] and [`dump`]
//!   write a graph back, byte for byte what CPython writes. [`interpret`] reads the graph's
//!   sets, datetimes, Decimals and instances as the values they stand for.
//!
//! ```
//! #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
//! struct Point {
//!     x: i64,
//!     y: i64,
//! }
//!
//! // Rust → pickle → Rust: pickle.dumps({'x': 1, 'y': 2}, protocol=4).
//! let pickle = brine::to_vec(&Point { x: 1, y: 2 })?;
//! let point: Point = brine::from_slice(&pickle)?;
//! assert_eq!(point, Point { x: 1, y: 2 });
//!
//! // Any pickle, as Python sees it.
//! let graph = brine::loads(&pickle)?;
//! assert_eq!(graph.root().get("y").and_then(|v| v.as_i64()), Some(2));
//! assert_eq!(format!("{graph:?}"), "{'x': 1, 'y': 2}");
//! assert_eq!(brine::dumps(&graph)?, pickle);
//! # Ok::<(), brine::Error>(())
//! ```
//!
//! | Python | brine |
//! |---|---|
//! | `pickle.loads(data)` | [`loads`], or [`from_slice`] into a Rust type |
//! | `pickle.load(file)` | [`load`], or [`from_reader`] |
//! | `pickle.dumps(obj, protocol)` | [`dumps`], [`Pickler::protocol`]; [`to_vec`] for a Rust value |
//! | `pickle.dump(obj, file)` | [`dump`], or [`to_writer`] |
//! | `fix_imports`, `encoding`, `errors`, `buffers` | [`Unpickler`] methods, [`Options`] fields |
//! | `persistent_load`, `Unpickler.find_class` | [`Unpickler::persistent_load`], [`Unpickler::find_class`] |
//! | `persistent_id`, `buffer_callback` | [`Pickler::persistent_id`], [`Pickler::buffer_callback`] |
//! | `pickle.DEFAULT_PROTOCOL`, `HIGHEST_PROTOCOL` | [`DEFAULT_PROTOCOL`], [`HIGHEST_PROTOCOL`] |
//! | `pickletools.dis`, `pickletools.optimize` | [`dis()`], [`optimize`] |
//! | `x is y` | [`ValueRef::is`] |
//!
//! Every type these signatures use is re-exported here, and every function returns the one
//! [`Error`], so a program needs `brine` alone. The layers underneath are crates of their own,
//! for programs that want one layer: `brine-lex` (opcodes and disassembly), `brine-value` (the
//! graph), `brine-vm` (loading), `brine-encode` (writing), `brine-interpret`, `brine-serde`,
//! `brine-compress` and `brine-sign`.
//!
//! # Features
//!
//! - `serde` (default): [`to_vec`], [`to_writer`], [`from_slice`], [`from_reader`] and the
//!   [`serde`](mod@serde) module, serde both ways (`brine-serde`).
//! - `gzip`, `bz2`, `xz`, `zstd`, `lz4` (default): compressed pickles, the
//!   [`compress`](mod@compress) module and [`Unpickler::decompress`].
//! - `sign` (default): the HMAC envelope, the [`sign`](mod@sign) module, [`load_signed`] and
//!   [`dumps_signed`].
//! - `scan`: safe loading, `loads_untrusted` and `loads_untrusted_with`, and the `scan`
//!   module (brine-scan: what a pickle would import and call, judged).
//!
//! Enabling a feature never changes what the functions above do by default.
#![forbid(unsafe_code)]

mod error;
mod pickler;
mod unpickler;

use std::io::{BufRead, Write};

#[doc(inline)]
pub use brine_encode::{OptimizeError, optimize};
#[doc(inline)]
pub use brine_lex::{DisOptions, Opcode, dis, repr};
#[doc(inline)]
pub use brine_value::{
    BigIntId, Change, ExtensionRegistry, Graph, Node, NodeId, PickleBuffer, Py2Text, Py2Value,
    PyStr, StringEncoding, StringErrors, Value, ValueRef,
};
#[doc(inline)]
pub use brine_vm::{AllowList, FindClass, GlobalFilter, Limits};
/// Shared, reference-counted bytes: what a graph's `bytes` payloads and out-of-band buffers
/// are made of (the `bytes` crate).
pub use bytes::Bytes;
pub use error::Error;
pub use pickler::Pickler;
pub use unpickler::Unpickler;

/// What CPython's reductions mean: a lazy view, borrowed from a [`Graph`], that reads sets,
/// bytes, OrderedDicts, datetimes, Decimals and instances (whatever protocol wrote them) as
/// the values they stand for, executing nothing (`brine-interpret`).
///
/// ```
/// use brine::interpret::{Interpreter, View};
///
/// // class P: pass; p = P(); p.a = 1; pickle.dumps(p, protocol=0)
/// let pickle = b"ccopy_reg\n_reconstructor\np0\n(c__main__\nP\np1\nc__builtin__\nobject\np2\nNtp3\nRp4\n(dp5\nVa\np6\nI1\nsb.";
/// let graph = brine::loads(pickle)?;
/// let View::Object(p) = Interpreter::new(&graph).root() else { panic!("an instance") };
/// assert_eq!(p.class().unwrap().to_string(), "__main__.P");
/// let (name, value) = p.state.iter().next().unwrap();
/// assert_eq!((graph.get(name).as_str(), graph.get(value).as_i64()), (Some("a"), Some(1)));
/// # Ok::<(), brine::Error>(())
/// ```
#[doc(inline)]
pub use brine_interpret as interpret;

/// The compression layer (`brine-compress`).
#[cfg(feature = "compress")]
#[doc(inline)]
pub use brine_compress as compress;
/// serde both ways: Rust types to pickles and back (`brine-serde`). The common calls are at
/// the crate root: [`to_vec`], [`to_writer`], [`from_slice`], [`from_reader`].
#[cfg(feature = "serde")]
#[doc(inline)]
pub use brine_serde as serde;
#[cfg(feature = "serde")]
#[doc(inline)]
pub use brine_serde::{Deserializer, Options, PyClass, Serializer};
#[cfg(feature = "serde")]
mod serde_path;
/// The HMAC signing envelope (`brine-sign`).
#[cfg(feature = "sign")]
#[doc(inline)]
pub use brine_sign as sign;
#[cfg(feature = "serde")]
pub use serde_path::{
    from_reader, from_reader_with, from_slice, from_slice_with, to_vec, to_vec_with, to_writer,
    to_writer_with,
};

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
