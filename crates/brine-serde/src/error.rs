//! [`Error`]: why a value could not be written or read, and where in it.

use std::fmt;

/// A value that could not be serialized or deserialized.
///
/// Boxed, so that results stay small. Deserialization errors say where in the value they
/// happened ([`Error::path`], like `records[3].name`) and which Python type was found there
/// ([`Error::python_type`]); errors of the decoder carry the byte offset of the opcode at fault
/// ([`Error::offset`]).
///
/// # Example
///
/// ```
/// use std::collections::BTreeMap;
///
/// #[derive(serde::Deserialize, Debug)]
/// struct Record {
///     name: String,
/// }
///
/// // pickle.dumps({"records": [{"name": 3}]}, protocol=2)
/// let pickle = b"\x80\x02}q\x00X\x07\x00\x00\x00recordsq\x01]q\x02}q\x03X\x04\x00\x00\x00nameq\x04K\x03sas.";
/// let err = brine_serde::from_slice::<BTreeMap<String, Vec<Record>>>(pickle, &Default::default())
///     .unwrap_err();
/// assert_eq!(err.path(), Some("records[0].name"));
/// assert_eq!(err.python_type(), Some("int"));
/// assert_eq!(
///     err.to_string(),
///     "records[0].name: invalid type: integer `3`, expected a string (found python int)"
/// );
/// ```
pub struct Error(Box<Inner>);

struct Inner {
    kind: ErrorKind,
    path: Option<String>,
    python_type: Option<String>,
}

/// The ways serializing or deserializing can fail.
///
/// # Example
///
/// ```
/// use brine_serde::ErrorKind;
///
/// // l = []; l.append(l); pickle.dumps(l, protocol=2)
/// let pickle = b"\x80\x02]q\x00h\x00a.";
/// let err = brine_serde::from_slice::<Vec<Vec<i64>>>(pickle, &Default::default()).unwrap_err();
/// assert!(matches!(err.kind(), ErrorKind::Cycle));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The pickle is malformed or meets a decoder limit (the error has the opcode offset).
    #[error(transparent)]
    Load(#[from] brine_vm::Error),
    /// The graph could not be written at the chosen protocol, or writing failed.
    #[error(transparent)]
    Encode(#[from] brine_encode::EncodeError),
    /// Compressed input could not be decompressed ([`crate::Options::decompress`]).
    #[cfg(feature = "compress")]
    #[error(transparent)]
    Decompress(brine_compress::Error),
    /// A message from serde or from the type being (de)serialized: a wrong type, a missing
    /// field, an unknown variant.
    #[error("{0}")]
    Message(String),
    /// The value contains itself, which a serde data model cannot represent.
    #[error("the value contains itself (a cycle), which serde cannot represent")]
    Cycle,
    /// The value nests deeper than [`crate::Options::max_depth`].
    #[error("nesting deeper than {0} levels (Options::max_depth)")]
    DepthLimit(usize),
    /// Shared references expand to more containers than [`crate::Options::max_expansion`]
    /// allows.
    #[error("shared references expand to more than {0} containers (Options::max_expansion)")]
    ExpansionLimit(u64),
    /// A Python object that has no counterpart in the serde data model, such as a global or a
    /// persistent id.
    #[error("{0} cannot be deserialized")]
    Unsupported(String),
    /// A Python `int` wider than 128 bits.
    #[error("python int does not fit in 128 bits")]
    IntTooLarge,
    /// A Python `str` with a lone surrogate, which Rust text cannot hold.
    #[error("str holds a lone surrogate, which rust text cannot hold")]
    LoneSurrogate,
    /// A dict key or set item Python cannot hash (a list, dict, set or bytearray).
    #[error("a python {0} cannot be a dict key or set item: python cannot hash it")]
    Unhashable(&'static str),
}

impl Error {
    pub(crate) fn new(kind: ErrorKind) -> Error {
        Error(Box::new(Inner {
            kind,
            path: None,
            python_type: None,
        }))
    }

    /// What went wrong.
    ///
    /// # Example
    ///
    /// ```
    /// let err = brine_serde::to_vec(&std::collections::HashMap::from([(vec![1], 2)]), &Default::default())
    ///     .unwrap_err();
    /// assert!(matches!(err.kind(), brine_serde::ErrorKind::Unhashable("list")));
    /// ```
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }

    /// Where in the value, as a path from the root like `records[3].name` (`""` for the root
    /// itself); `None` for errors that are not about one place in the value.
    ///
    /// # Example
    ///
    /// ```
    /// // pickle.dumps([1, "x"], protocol=2)
    /// let pickle = b"\x80\x02]q\x00(K\x01X\x01\x00\x00\x00xq\x01e.";
    /// let err = brine_serde::from_slice::<Vec<i64>>(pickle, &Default::default()).unwrap_err();
    /// assert_eq!(err.path(), Some("[1]"));
    /// ```
    pub fn path(&self) -> Option<&str> {
        self.0.path.as_deref()
    }

    /// The Python type found where deserialization failed, like `int`, `dict` or
    /// `brine_fixtures.Plain instance`.
    ///
    /// # Example
    ///
    /// ```
    /// // pickle.dumps({"a": 1}, protocol=2)
    /// let pickle = b"\x80\x02}q\x00X\x01\x00\x00\x00aq\x01K\x01s.";
    /// let err = brine_serde::from_slice::<Vec<i64>>(pickle, &Default::default()).unwrap_err();
    /// assert_eq!(err.python_type(), Some("dict"));
    /// ```
    pub fn python_type(&self) -> Option<&str> {
        self.0.python_type.as_deref()
    }

    /// The byte offset of the opcode at fault, for errors of the decoder.
    ///
    /// # Example
    ///
    /// ```
    /// // An unknown opcode (0xff) at offset 4.
    /// let err = brine_serde::from_slice::<i64>(b"\x80\x02K\x01\xff.", &Default::default()).unwrap_err();
    /// assert_eq!(err.offset(), Some(4));
    /// ```
    pub fn offset(&self) -> Option<u64> {
        match &self.0.kind {
            ErrorKind::Load(err) => Some(err.offset()),
            _ => None,
        }
    }

    /// Whether the input ended before the pickle did.
    ///
    /// # Example
    ///
    /// ```
    /// let err = brine_serde::from_slice::<i64>(b"\x80\x02K", &Default::default()).unwrap_err();
    /// assert!(err.is_eof());
    /// ```
    pub fn is_eof(&self) -> bool {
        matches!(&self.0.kind, ErrorKind::Load(err) if err.is_eof())
    }

    /// Records where the error happened, unless a deeper place already did.
    pub(crate) fn locate(
        mut self,
        path: impl FnOnce() -> String,
        python_type: impl FnOnce() -> String,
    ) -> Error {
        if self.0.path.is_none()
            && !matches!(self.0.kind, ErrorKind::Load(_) | ErrorKind::Encode(_))
        {
            self.0.path = Some(path());
            self.0.python_type = Some(python_type());
        }
        self
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.0.kind)
            .field("path", &self.0.path)
            .field("python_type", &self.0.python_type)
            .finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(path) = self.0.path.as_deref().filter(|path| !path.is_empty()) {
            write!(f, "{path}: ")?;
        }
        write!(f, "{}", self.0.kind)?;
        if let Some(python_type) = &self.0.python_type {
            write!(f, " (found python {python_type})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.0.kind {
            ErrorKind::Load(err) => Some(err),
            ErrorKind::Encode(err) => Some(err),
            _ => None,
        }
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Error {
        Error::new(kind)
    }
}

impl From<brine_vm::Error> for Error {
    fn from(err: brine_vm::Error) -> Error {
        Error::new(ErrorKind::Load(err))
    }
}

impl From<brine_encode::EncodeError> for Error {
    fn from(err: brine_encode::EncodeError) -> Error {
        Error::new(ErrorKind::Encode(err))
    }
}

impl serde::ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Error {
        Error::new(ErrorKind::Message(msg.to_string()))
    }
}

impl serde::de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Error {
        Error::new(ErrorKind::Message(msg.to_string()))
    }
}
