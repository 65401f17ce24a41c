//! The serde path at the crate root: Rust values to pickles and back, as serde_json's
//! `to_vec` and `from_slice`, with the facade's [`Error`].
//!
//! The functions without `_with` use [`Options::default`]: protocol 4, Python's defaults for
//! `fix_imports`, `encoding` and `errors`, every global kept as an inert name.

use std::io::{BufRead, Write};

use ::serde::Serialize;
use ::serde::de::{Deserialize, DeserializeOwned};
use brine_serde::Options;

use crate::Error;

/// Writes `value` as the pickle CPython writes for the equivalent Python object, at protocol 4.
///
/// # Errors
///
/// A value serde cannot map to Python ([`Error::Serde`]), with the path to it.
///
/// # Example
///
/// ```
/// // pickle.dumps([1, 2], protocol=4)
/// assert_eq!(
///     brine::to_vec(&vec![1, 2])?,
///     b"\x80\x04\x95\x09\x00\x00\x00\x00\x00\x00\x00]\x94(K\x01K\x02e."
/// );
/// # Ok::<(), brine::Error>(())
/// ```
pub fn to_vec<T: ?Sized + Serialize>(value: &T) -> Result<Vec<u8>, Error> {
    to_vec_with(value, &Options::default())
}

/// [`to_vec`] with `options`: the protocol, and the structs written as instances of a class.
///
/// # Errors
///
/// As [`to_vec`].
///
/// # Example
///
/// ```
/// let pickle = brine::to_vec_with(&7u8, &brine::Options::protocol(2))?;
/// assert_eq!(pickle, b"\x80\x02K\x07.");
/// # Ok::<(), brine::Error>(())
/// ```
pub fn to_vec_with<T: ?Sized + Serialize>(value: &T, options: &Options) -> Result<Vec<u8>, Error> {
    Ok(brine_serde::to_vec(value, options)?)
}

/// Writes `value` to `writer` at protocol 4, as [`to_vec`] would (pass `&mut file` to keep
/// the file).
///
/// # Errors
///
/// As [`to_vec`], and [`Error::Serde`] wrapping the writer's error.
pub fn to_writer<W: Write, T: ?Sized + Serialize>(writer: W, value: &T) -> Result<(), Error> {
    to_writer_with(writer, value, &Options::default())
}

/// [`to_writer`] with `options`.
///
/// # Errors
///
/// As [`to_writer`].
pub fn to_writer_with<W: Write, T: ?Sized + Serialize>(
    writer: W,
    value: &T,
    options: &Options,
) -> Result<(), Error> {
    Ok(brine_serde::to_writer(writer, value, options)?)
}

/// Reads the pickle at the start of `data` into a `T`, borrowing strings and bytes from
/// `data` where `T` asks to.
///
/// # Errors
///
/// A malformed pickle (with [`Error::offset`]), or one that holds something `T` cannot be
/// made from (with [`Error::path`], and the Python type found).
///
/// # Example
///
/// ```
/// #[derive(serde::Deserialize)]
/// struct Cmd {
///     command: String,
/// }
///
/// // pickle.dumps({'command': 'ls'}, protocol=2)
/// let cmd: Cmd = brine::from_slice(b"\x80\x02}q\x00X\x07\x00\x00\x00commandq\x01X\x02\x00\x00\x00lsq\x02s.")?;
/// assert_eq!(cmd.command, "ls");
///
/// // os.system('ls') where a str was expected: the call is named, and nothing was run.
/// let err = brine::from_slice::<String>(b"cposix\nsystem\n(S'ls'\ntR.").unwrap_err();
/// assert!(err.to_string().contains("call of posix.system"), "{err}");
/// # Ok::<(), brine::Error>(())
/// ```
pub fn from_slice<'de, T: Deserialize<'de>>(data: &'de [u8]) -> Result<T, Error> {
    from_slice_with(data, &Options::default())
}

/// [`from_slice`] with `options`: Python 2 `encoding` and `errors`, `fix_imports`, the
/// decoder's limits, and a [`find_class`](Options::find_class) policy that refuses globals.
///
/// # Errors
///
/// As [`from_slice`], and a load error for a global the policy refuses.
///
/// # Example
///
/// ```
/// use brine::{AllowList, FindClass, Options};
///
/// let mut options = Options::default();
/// options.find_class = FindClass::AllowList(AllowList::new().name("builtins", "set"));
/// let err = brine::from_slice_with::<String>(b"cposix\nsystem\n(S'ls'\ntR.", &options).unwrap_err();
/// assert_eq!(err.offset(), Some(0));
/// # Ok::<(), brine::Error>(())
/// ```
pub fn from_slice_with<'de, T: Deserialize<'de>>(
    data: &'de [u8],
    options: &Options,
) -> Result<T, Error> {
    Ok(brine_serde::from_slice(data, options)?)
}

/// Reads one pickle from `reader` into a `T`, stopping right after it, so the next pickle in
/// the stream can be read by the next call.
///
/// # Errors
///
/// As [`from_slice`], and a load error wrapping the reader's error.
///
/// # Example
///
/// ```
/// let mut stream: &[u8] = b"K\x01.X\x01\x00\x00\x00a.";
/// let first: u8 = brine::from_reader(&mut stream)?;
/// let second: String = brine::from_reader(&mut stream)?;
/// assert_eq!((first, second.as_str()), (1, "a"));
/// # Ok::<(), brine::Error>(())
/// ```
pub fn from_reader<R: BufRead, T: DeserializeOwned>(reader: R) -> Result<T, Error> {
    from_reader_with(reader, &Options::default())
}

/// [`from_reader`] with `options`.
///
/// # Errors
///
/// As [`from_reader`].
pub fn from_reader_with<R: BufRead, T: DeserializeOwned>(
    reader: R,
    options: &Options,
) -> Result<T, Error> {
    Ok(brine_serde::from_reader(reader, options)?)
}
