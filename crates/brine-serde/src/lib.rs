//! serde for Python's pickle: any `Serialize` type to the pickle CPython writes for the
//! equivalent Python objects, and any `Deserialize` type from the pickles CPython 2.7 to 3.13
//! write, executing nothing.
//!
//! Serialization writes the Python objects a value stands for (a struct is a dict, or an
//! instance of a class you name) while the value serializes, with `brine-encode`'s
//! [`brine_encode::Emitter`], so the bytes are those `pickle.dumps` writes for the same objects
//! at the same protocol; [`to_value`] builds the same objects as a [`brine_value::Graph`],
//! through the same mapping.
//! Deserialization decodes with `brine-vm`, which imports and calls nothing, and reads the graph
//! as serde's data model through `brine-interpret`'s view of it, so it knows the forms CPython
//! writes at each protocol as that crate does: sets, bytes
//! and bytearrays as protocol 0-3 reductions, OrderedDicts, instances of any class (their
//! `__dict__`, slots or `__setstate__` state), namedtuples, Python 2 `str`. `&str` and `&[u8]`
//! borrow from the input where the pickle holds them as UTF-8 or raw bytes.
//!
//! What this crate does not do: it never imports or runs Python code, so an instance is its
//! class's name and its state, never the class's behaviour; it does not represent shared
//! references or cycles (serde's data model is a tree: a shared object is read once per
//! reference, and a cycle is an error); and it does not interpret values outside the table
//! below (a datetime or a Decimal reads as the call that makes it; `brine_interpret` gives
//! their values).
//!
//! - [`to_vec`], [`to_writer`], [`from_slice`], [`from_reader`]: the common path.
//! - [`to_value`], [`from_value`]: to and from a [`brine_value::Graph`], to inspect or edit one.
//! - [`Serializer`], [`Deserializer`]: serde's traits over a writer and a slice, for tooling
//!   that wraps them (`serde_path_to_error`, `serde_transcode`).
//! - [`Options`]: the protocol, `fix_imports`, Python 2 `encoding`, limits, and
//!   [`Options::class`] to write a struct as an instance of a Python class ([`PyClass`]).
//! - [`PyInstance`]: an instance of a class named at run time, both ways.
//! - [`as_set`], [`as_frozenset`]: `#[serde(with = ...)]` for Python sets.
//!
//! # Example
//!
//! ```
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize, Debug, PartialEq)]
//! struct Record<'a> {
//!     name: &'a str,
//!     scores: Vec<f64>,
//!     parent: Option<u32>,
//! }
//!
//! let record = Record { name: "brine", scores: vec![1.5, 2.0], parent: None };
//! let pickle = brine_serde::to_vec(&record, &Default::default())?;
//! // The bytes of pickle.dumps({"name": "brine", "scores": [1.5, 2.0], "parent": None}).
//! assert_eq!(&pickle[..2], b"\x80\x04");
//!
//! // `name` borrows from `pickle`.
//! let back: Record<'_> = brine_serde::from_slice(&pickle, &Default::default())?;
//! assert_eq!(back, record);
//! # Ok::<(), brine_serde::Error>(())
//! ```
//!
//! # The mapping
//!
//! | Rust (serde data model) | Python: written | Python: read |
//! |---|---|---|
//! | `bool` | `bool` | `bool` |
//! | `i8`-`i64`, `u8`-`u64`, `i128`, `u128` | `int` (LONG1 beyond 64 bits) | `int` in range; `bool` as 0 or 1 (bool is an int subclass in Python) |
//! | `f32`, `f64` | `float` (`nan`, `inf`, `-0.0` included) | `float`, or an `int`, as `float(n)` |
//! | `char` | `str` of one character | `str` of one character |
//! | `String`, `&str` | `str` | `str`; Python 2 `str` decoded by [`Options::encoding`]; `&str` borrows from the input when the pickle holds UTF-8 (BINUNICODE, the protocol 1-5 form) |
//! | bytes (`serde_bytes`) | `bytes` | `bytes`, `bytearray`, `PickleBuffer`, and the protocol 0-2 forms `_codecs.encode(s, 'latin1')`, `bytes()`, `bytearray(...)`; `&[u8]` borrows from the input for BINBYTES |
//! | `Vec<u8>` without `serde_bytes` | `list` of `int` | also `bytes`, as a sequence of ints |
//! | `Option<T>` | `None` or the value | `None` is `None`; `Some(None)` writes `None`, so reads back as `None` |
//! | `()`, unit struct | `None` | `None`, or the empty tuple |
//! | tuple, tuple struct | `tuple` | any sequence, or an instance made from arguments: a namedtuple, a class with `__getnewargs__` or a `__reduce__` that calls it |
//! | `Vec`, `VecDeque`, slice, array | `list` | `list`, `tuple`, `set`, `frozenset`, `collections.deque`, and `builtins.set([...])` / `frozenset` at protocols 0-3 |
//! | `HashSet`, `BTreeSet` with [`as_set`] / [`as_frozenset`] | `set` / `frozenset` | any of the sequences above |
//! | `HashMap`, `BTreeMap` | `dict`; keys may be any hashable value: `int`, `str`, `bytes`, `tuple`, `frozenset`, `bool`, `None`, `float` (a list, dict or set key is an error) | `dict`, `collections.OrderedDict` (both its Python 3 SETITEMS form and Python 2's list of pairs), `Counter`, `defaultdict`, a dict subclass |
//! | struct | `dict` with `str` keys, in field order | `dict`, or the state of any instance (its `__dict__`, slots merged in, as `object.__setstate__` does); a `tuple` or namedtuple gives the fields by position |
//! | struct, tuple struct, newtype or unit struct named in [`Options::classes`] | an instance of the [`PyClass`], as CPython writes one at the protocol (NEWOBJ from protocol 2, `copyreg._reconstructor` below; see [`PyClass`]) | as the unnamed kind of struct |
//! | newtype struct | the inner value | the inner value; for a class, the instance's state |
//! | enum, unit variant | `str`, the variant's name | `str` (or a one-key dict with `None`) |
//! | enum, other variants | `{"Variant": value}`: a dict with one key, as serde_json's externally tagged form (a tuple variant's value is a tuple, a struct variant's a dict) | a dict with one key |
//! | [`PyInstance<T>`] | an instance of its class with state `T` | any instance: class and state |
//!
//! Field and variant names are one `str` object each, as Python interns identifiers, so a list
//! of records writes each key once and refers to it after, as CPython does.
//! Other strings are separate objects.
//!
//! # `__getstate__` and `__setstate__`
//!
//! Python classes leave out what cannot be pickled in `__getstate__` and rebuild it in
//! `__setstate__`. In Rust the same is `#[serde(skip)]` on the field, with `Default` (or
//! `#[serde(default = "...")]`) rebuilding it on load; for a state of another shape, convert
//! through a state struct with `#[serde(into = "...", from = "...")]`:
//!
//! ```
//! use std::collections::HashMap;
//!
//! use serde::{Deserialize, Serialize};
//!
//! /// What is pickled: the words, as `__getstate__` would return them.
//! #[derive(Serialize, Deserialize)]
//! struct IndexState {
//!     words: Vec<String>,
//! }
//!
//! /// The live object: a lookup table that is not pickled but rebuilt on load.
//! #[derive(Serialize, Deserialize, Clone)]
//! #[serde(into = "IndexState", from = "IndexState")]
//! struct Index {
//!     words: Vec<String>,
//!     positions: HashMap<String, usize>,
//! }
//!
//! impl From<Index> for IndexState {
//!     // __getstate__: leave the table out.
//!     fn from(index: Index) -> IndexState {
//!         IndexState { words: index.words }
//!     }
//! }
//!
//! impl From<IndexState> for Index {
//!     // __setstate__: rebuild it.
//!     fn from(state: IndexState) -> Index {
//!         let positions = state.words.iter().enumerate().map(|(i, w)| (w.clone(), i)).collect();
//!         Index { words: state.words, positions }
//!     }
//! }
//!
//! let index = Index::from(IndexState { words: vec!["salt".into(), "brine".into()] });
//! let pickle = brine_serde::to_vec(&index, &Default::default())?;
//! let graph = brine_vm::from_slice(&pickle, &Default::default()).unwrap();
//! assert_eq!(format!("{graph:?}"), "{'words': ['salt', 'brine']}");
//! let back: Index = brine_serde::from_slice(&pickle, &Default::default())?;
//! assert_eq!(back.positions["brine"], 1);
//! # Ok::<(), brine_serde::Error>(())
//! ```
//!
//! # Limits
//!
//! Deserialization enters one level of [`Options::max_depth`] (default 128) per container, so
//! hostile input cannot overflow the stack however deep the pickle nests; a container met again
//! inside itself is [`ErrorKind::Cycle`]. A shared container is read once per reference, and
//! [`Options::max_expansion`] bounds how far sharing may multiply the work (a pickle of a few
//! bytes can refer to one list twice, nested sixty times). The decoder's own limits are
//! [`Options::limits`].
//! Ignored values (unknown fields) are skipped without being read.
#![forbid(unsafe_code)]

mod de;
mod error;
mod instance;
mod options;
mod ser;
mod sets;
mod stream;

use std::io::{BufRead, Write};

use brine_value::Graph;
use serde::Serialize;
use serde::de::{Deserialize, DeserializeOwned};

pub use de::Deserializer;
pub use error::{Error, ErrorKind};
pub use instance::PyInstance;
pub use options::{Options, PyClass};
pub use ser::Serializer;
pub use sets::{as_frozenset, as_set};

/// The newtype name [`as_set`] writes under; the serializer turns the sequence into a `set`.
pub(crate) const SET_TOKEN: &str = "$brine_serde::set";
/// The newtype name [`as_frozenset`] writes under.
pub(crate) const FROZENSET_TOKEN: &str = "$brine_serde::frozenset";
/// The struct name of [`PyInstance`].
pub(crate) const INSTANCE_TOKEN: &str = "$brine_serde::PyInstance";

/// Serializes `value` as a pickle at [`Options::protocol`].
///
/// # Errors
///
/// A map key or set item Python cannot hash, a protocol above 5, an error the value's
/// `Serialize` implementation reports, or one that announced a length other than the number
/// of items it gave where the layout depends on it ([`ErrorKind::Encode`] with
/// `EncodeError::LengthMismatch`).
///
/// # Example
///
/// ```
/// let pickle = brine_serde::to_vec(&vec![1, 2], &brine_serde::Options::protocol(2))?;
/// // pickle.dumps([1, 2], protocol=2)
/// assert_eq!(pickle, b"\x80\x02]q\x00(K\x01K\x02e.");
/// # Ok::<(), brine_serde::Error>(())
/// ```
pub fn to_vec<T: ?Sized + Serialize>(value: &T, options: &Options) -> Result<Vec<u8>, Error> {
    ser::to_vec(value, options)
}

/// Serializes `value` as a pickle to `writer`.
///
/// The pickle is written while `value` serializes, in frames of about 64 KiB (large str and
/// bytes go to `writer` directly), so memory stays bounded however large the value. On an
/// error, a prefix of the pickle may have been written, as with Python's `pickle.dump`.
///
/// # Errors
///
/// As [`to_vec`], and [`ErrorKind::Encode`] when writing fails or a `Serialize`
/// implementation announced a length other than the number of items it then gave, where the
/// pickle's layout depends on it (CPython writes a one-item list without MARK).
///
/// # Example
///
/// ```
/// let mut out = Vec::new();
/// brine_serde::to_writer(&mut out, &("a", 1), &brine_serde::Options::protocol(2))?;
/// // pickle.dumps(("a", 1), protocol=2)
/// assert_eq!(out, b"\x80\x02X\x01\x00\x00\x00aq\x00K\x01\x86q\x01.");
/// # Ok::<(), brine_serde::Error>(())
/// ```
pub fn to_writer<W: Write, T: ?Sized + Serialize>(
    writer: W,
    value: &T,
    options: &Options,
) -> Result<(), Error> {
    ser::to_writer(writer, value, options).map(drop)
}

/// Serializes `value` as the graph of Python objects [`to_vec`] writes.
///
/// The instance forms depend on [`Options::protocol`] (see [`PyClass`]); everything else does
/// not.
///
/// # Errors
///
/// As [`to_vec`].
///
/// # Example
///
/// ```
/// use std::collections::BTreeMap;
///
/// let graph = brine_serde::to_value(&BTreeMap::from([((1, 2), "pair")]), &Default::default())?;
/// assert_eq!(format!("{graph:?}"), "{(1, 2): 'pair'}");
/// # Ok::<(), brine_serde::Error>(())
/// ```
pub fn to_value<T: ?Sized + Serialize>(value: &T, options: &Options) -> Result<Graph, Error> {
    ser::to_value(value, options)
}

/// Deserializes a `T` from the pickle at the start of `data`; bytes after its STOP are ignored,
/// as `pickle.loads` ignores them.
///
/// `&str` and `&[u8]` in `T` borrow from `data` where the pickle holds them as UTF-8 text
/// (BINUNICODE and its short forms) or raw bytes (BINBYTES).
///
/// A pickle of scalars, strs, lists, dicts and instances of plain classes (NEWOBJ, then a
/// state dict) as CPython writes them is read straight from its opcodes, without a graph, its
/// strs lent from `data` as they stand. Any other pickle
/// (or one that fails) is decoded into the graph and read from it: the input is copied once
/// into a shared buffer that the decoder slices (one copy of the input, cheaper than one
/// allocation per string), and payloads are mapped back to `data` by their offset. Both
/// paths give the same value, and every error comes from the graph path.
///
/// # Errors
///
/// A malformed pickle ([`ErrorKind::Load`], with the opcode's byte offset), or a value that
/// does not fit `T`, with its path and Python type.
///
/// # Example
///
/// ```
/// // pickle.dumps("hello", protocol=4)
/// let pickle = b"\x80\x04\x95\t\x00\x00\x00\x00\x00\x00\x00\x8c\x05hello\x94.";
/// let text: &str = brine_serde::from_slice(pickle, &Default::default())?;
/// assert_eq!(text, "hello");
/// assert!(pickle.as_ptr_range().contains(&text.as_ptr()));
/// # Ok::<(), brine_serde::Error>(())
/// ```
pub fn from_slice<'de, T: Deserialize<'de>>(
    data: &'de [u8],
    options: &Options,
) -> Result<T, Error> {
    #[cfg(feature = "compress")]
    let compressed = options.decompress.is_some() && brine_compress::Codec::detect(data).is_some();
    #[cfg(not(feature = "compress"))]
    let compressed = false;
    if !compressed {
        if let Some(value) = stream::from_slice(data, options) {
            return Ok(value);
        }
    }
    T::deserialize(&mut Deserializer::from_slice(data, options)?)
}

/// Deserializes a `T` from one pickle read from `reader`, reading up to its STOP opcode and not
/// a byte further, so that successive pickles in one stream read one by one.
///
/// The reader is a `BufRead` for that reason: wrap a file in `std::io::BufReader`.
///
/// # Errors
///
/// As [`from_slice`], and [`ErrorKind::Load`] when reading fails.
///
/// # Example
///
/// ```
/// let mut stream: &[u8] = b"K\x01.X\x01\x00\x00\x00a.";
/// let first: u8 = brine_serde::from_reader(&mut stream, &Default::default())?;
/// let second: String = brine_serde::from_reader(&mut stream, &Default::default())?;
/// assert_eq!((first, second.as_str()), (1, "a"));
/// # Ok::<(), brine_serde::Error>(())
/// ```
pub fn from_reader<R: BufRead, T: DeserializeOwned>(
    reader: R,
    options: &Options,
) -> Result<T, Error> {
    #[cfg(feature = "compress")]
    if let Some(decompress) = &options.decompress {
        // Plain pickles pass through the decompressing reader unchanged.
        let reader = brine_compress::decompress_reader(reader, decompress)
            .map_err(|err| Error::from(ErrorKind::Decompress(err)))?;
        let graph = brine_vm::from_reader(std::io::BufReader::new(reader), &options.vm_options())?;
        return de::deserialize(&graph, de::Owned, options);
    }
    let graph = brine_vm::from_reader(reader, &options.vm_options())?;
    de::deserialize(&graph, de::Owned, options)
}

/// Deserializes a `T` from the root of `graph`, borrowing `&str` and `&[u8]` from it.
///
/// Only [`Options::max_depth`] applies: the graph is already decoded.
///
/// # Errors
///
/// A value that does not fit `T`, with its path and Python type; a cycle; nesting deeper than
/// [`Options::max_depth`].
///
/// # Example
///
/// ```
/// use brine_value::{Graph, Node, Value};
///
/// let mut graph = Graph::new();
/// let text = graph.add_str("pi");
/// let tuple = graph.add(Node::Tuple(vec![text, Value::Float(3.14)]));
/// graph.set_root(Value::Node(tuple));
/// let (name, value): (&str, f64) = brine_serde::from_value(&graph, &Default::default())?;
/// assert_eq!((name, value), ("pi", 3.14));
/// # Ok::<(), brine_serde::Error>(())
/// ```
pub fn from_value<'g, T: Deserialize<'g>>(graph: &'g Graph, options: &Options) -> Result<T, Error> {
    de::deserialize(graph, de::FromGraph, options)
}

/// The README's examples, run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
