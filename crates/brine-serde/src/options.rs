//! [`Options`]: the protocol, the Python 2 knobs, the limits, and which structs are instances
//! of which Python classes.

use std::collections::BTreeMap;

use brine_value::{StringEncoding, StringErrors};
use brine_vm::{FindClass, Limits};

/// How Rust values map to pickles and back. `Default` is the safe setting: protocol 4, limits
/// on, every struct a dict.
///
/// # Example
///
/// ```
/// use brine_serde::{Options, PyClass};
///
/// let mut options = Options::protocol(2).class("Plain", PyClass::new("brine_fixtures", "Plain"));
/// options.max_depth = 64;
/// assert_eq!(options.protocol, 2);
/// assert_eq!(options.classes["Plain"].qualname, "Plain");
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Options {
    /// The protocol [`crate::to_vec`], [`crate::to_writer`] and [`crate::to_value`] write, 0 to 5.
    /// Deserialization reads every protocol whatever this says.
    ///
    /// Default: 4, Python's `pickle.DEFAULT_PROTOCOL`.
    pub protocol: u8,
    /// Python 2 names for globals at protocols 0 to 2 when writing (`builtins.set` as
    /// `__builtin__.set`), and Python 3 names for Python 2 ones when reading, as Python's
    /// `fix_imports`.
    ///
    /// Default: `true`, as in Python.
    pub fix_imports: bool,
    /// When writing, CPython's `Pickler.fast`: no memo. A Rust value shares nothing serde
    /// can see, so what the memo saves is only the names written again: a struct's field
    /// names and a class's global are written once and fetched with GET after. Fast mode
    /// writes each of them in full every time and writes no MEMOIZE, PUT or BINPUT, as
    /// `p = pickle.Pickler(f, protocol); p.fast = True` does; Python loads the same values.
    /// Reading ignores it.
    ///
    /// Default: `false`, as in Python.
    ///
    /// ```
    /// #[derive(serde::Serialize)]
    /// struct Row {
    ///     a: i64,
    /// }
    ///
    /// let mut options = brine_serde::Options::protocol(2);
    /// options.fast = true;
    /// let pickle = brine_serde::to_vec(&vec![Row { a: 1 }, Row { a: 2 }], &options)?;
    /// // p = pickle.Pickler(f, 2); p.fast = True; p.dump([{"a": 1}, {"a": 2}])
    /// assert_eq!(
    ///     pickle,
    ///     b"\x80\x02](}X\x01\x00\x00\x00aK\x01s}X\x01\x00\x00\x00aK\x02se."
    /// );
    /// # Ok::<(), brine_serde::Error>(())
    /// ```
    pub fast: bool,
    /// How Python 2 `str` objects are decoded when reading, as Python's `encoding`
    /// (`StringEncoding::Latin1` for pickles of binary data written by Python 2).
    ///
    /// Default: ASCII, as in Python.
    pub encoding: StringEncoding,
    /// What to do with Python 2 `str` bytes the encoding cannot decode, as Python's `errors`.
    ///
    /// Default: strict (an error).
    pub errors: StringErrors,
    /// Structs written as instances of a Python class instead of dicts, keyed by the name serde
    /// gives the type: its Rust name, or its `#[serde(rename = "...")]`.
    /// See [`PyClass`] for what each kind of struct becomes.
    ///
    /// Default: empty: every struct is a dict with str keys.
    pub classes: BTreeMap<String, PyClass>,
    /// The deepest nesting of containers deserialization follows (each list, tuple, dict, set
    /// and instance is one level). Serde deserializes by recursion, so this bounds the stack.
    ///
    /// Default: 128, as serde_json.
    pub max_depth: usize,
    /// How many containers deserialization enters in all, per node of the graph (with a floor
    /// of one million). A shared container is read once per reference, so a small pickle that
    /// refers to one list twice, nested sixty times, would otherwise expand to 2^60 lists.
    /// Walking an object's BUILD, APPEND and SETITEMS records counts too, one per record.
    ///
    /// Default: 16 per node.
    pub max_expansion: u64,
    /// The decoder's resource limits (memo, nodes, stack, payload bytes, MARK depth).
    ///
    /// Default: see [`brine_vm::Limits`].
    pub limits: Limits,
    /// Which globals a pickle may name when reading, as the graph path's `find_class`: a
    /// pickle naming any other global fails to load, before deserialization sees it. Nothing
    /// is imported whatever this says.
    ///
    /// Default: [`FindClass::KeepAll`], as the graph path: every global is an inert name, and
    /// deserializing one into a Rust type fails with a message that names it.
    pub find_class: FindClass,
    /// Whether, and within which limits, compressed input is decompressed when reading: a
    /// pickle compressed as Python's gzip, bz2, lzma, zstandard or lz4.frame write it is
    /// recognised by its magic bytes (a pickle never starts with them) and decompressed; a
    /// plain one is read as it is. Decompressed text is owned, so `&str` fields cannot borrow
    /// it. Feature `compress`.
    ///
    /// Default: `None`, as Python's `pickle.loads`: compressed bytes are not a pickle.
    #[cfg(feature = "compress")]
    pub decompress: Option<brine_compress::Options>,
}

impl Default for Options {
    fn default() -> Options {
        Options::protocol(brine_encode::DEFAULT_PROTOCOL)
    }
}

impl Options {
    /// The default options, writing `protocol`.
    ///
    /// # Example
    ///
    /// ```
    /// let pickle = brine_serde::to_vec(&7u8, &brine_serde::Options::protocol(2))?;
    /// assert_eq!(pickle, b"\x80\x02K\x07.");
    /// # Ok::<(), brine_serde::Error>(())
    /// ```
    pub fn protocol(protocol: u8) -> Options {
        Options {
            protocol,
            fix_imports: true,
            fast: false,
            encoding: StringEncoding::default(),
            errors: StringErrors::default(),
            classes: BTreeMap::new(),
            max_depth: 128,
            max_expansion: 16,
            limits: Limits::default(),
            find_class: FindClass::default(),
            #[cfg(feature = "compress")]
            decompress: None,
        }
    }

    /// These options, with the struct serde calls `rust_name` written as an instance of `class`.
    ///
    /// # Example
    ///
    /// ```
    /// use brine_serde::{Options, PyClass};
    ///
    /// #[derive(serde::Serialize)]
    /// struct Plain {
    ///     a: i64,
    ///     b: String,
    /// }
    ///
    /// let options = Options::protocol(2).class("Plain", PyClass::new("brine_fixtures", "Plain"));
    /// let pickle = brine_serde::to_vec(&Plain { a: 1, b: "two".into() }, &options)?;
    /// // pickle.dumps(brine_fixtures.Plain(1, "two"), protocol=2)
    /// assert_eq!(
    ///     pickle,
    ///     b"\x80\x02cbrine_fixtures\nPlain\nq\x00)\x81q\x01}q\x02(X\x01\x00\x00\x00aq\x03K\x01\
    ///       X\x01\x00\x00\x00bq\x04X\x03\x00\x00\x00twoq\x05ub."
    /// );
    /// # Ok::<(), brine_serde::Error>(())
    /// ```
    pub fn class(mut self, rust_name: &str, class: PyClass) -> Options {
        self.classes.insert(rust_name.to_owned(), class);
        self
    }

    pub(crate) fn vm_options(&self) -> brine_vm::Options {
        let mut options = brine_vm::Options::default();
        options.fix_imports = self.fix_imports;
        options.encoding = self.encoding;
        options.errors = self.errors;
        options.limits = self.limits.clone();
        options.find_class = self.find_class.clone();
        options
    }
}

/// A Python class: the module and qualified name a pickle names it by, and how its instances
/// keep their attributes.
///
/// A type mapped to a class (with [`Options::class`]) is written the way CPython writes an
/// instance of a plain class, so that `pickle.loads` in Python returns a real instance without
/// calling `__init__`:
///
/// | Rust | protocol 2 and above | protocols 0 and 1 |
/// |------|----------------------|-------------------|
/// | struct | `cls.__new__(cls)` (NEWOBJ), then BUILD with the fields as a dict | `copyreg._reconstructor(cls, object, None)`, then BUILD |
/// | struct, [`PyClass::slots`] | the same, BUILD with `(None, fields)` | the same, BUILD with `(None, fields)` |
/// | newtype struct | BUILD with the inner value as the state (for `__setstate__`) | the same |
/// | tuple struct | `cls.__new__(cls, *fields)`, as CPython writes a namedtuple | `copyreg._reconstructor(cls, tuple, fields)` |
/// | unit struct | `cls.__new__(cls)` | `copyreg._reconstructor(cls, object, None)` |
///
/// As in CPython, a state that is empty (a struct with no fields, or all skipped) writes no
/// BUILD. CPython refuses to pickle a slotted class at protocols 0 and 1; brine writes the form
/// Python loads.
///
/// # Example
///
/// ```
/// let point = brine_serde::PyClass::new("brine_fixtures", "Point");
/// assert_eq!((point.module.as_str(), point.qualname.as_str(), point.slots), ("brine_fixtures", "Point", false));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct PyClass {
    /// The module, e.g. `brine_fixtures` (Python 3 names: fix_imports maps them for Python 2).
    pub module: String,
    /// The qualified name, e.g. `Plain` or `Outer.Inner`.
    pub qualname: String,
    /// Whether the attributes are `__slots__`: the state is then `(None, {fields})`, as
    /// CPython writes an instance of a class with `__slots__` and no `__dict__`.
    pub slots: bool,
}

impl PyClass {
    /// The class `module.qualname`, whose instances keep their attributes in `__dict__`.
    ///
    /// # Example
    ///
    /// ```
    /// use brine_serde::{Options, PyClass};
    ///
    /// #[derive(serde::Serialize)]
    /// struct Inner {
    ///     value: i64,
    /// }
    ///
    /// let options = Options::default().class("Inner", PyClass::new("brine_fixtures", "Outer.Inner"));
    /// let graph = brine_serde::to_value(&Inner { value: 7 }, &options)?;
    /// assert_eq!(
    ///     format!("{graph:?}"),
    ///     "newobj(<global brine_fixtures.Outer.Inner>, ()).build({'value': 7})"
    /// );
    /// # Ok::<(), brine_serde::Error>(())
    /// ```
    pub fn new(module: &str, qualname: &str) -> PyClass {
        PyClass {
            module: module.to_owned(),
            qualname: qualname.to_owned(),
            slots: false,
        }
    }

    /// The class `module.qualname`, whose instances keep their attributes in `__slots__`.
    ///
    /// # Example
    ///
    /// ```
    /// use brine_serde::{Options, PyClass};
    ///
    /// #[derive(serde::Serialize)]
    /// struct Slots {
    ///     x: i64,
    ///     y: String,
    /// }
    ///
    /// let options = Options::protocol(2).class("Slots", PyClass::slots("brine_fixtures", "Slots"));
    /// let pickle = brine_serde::to_vec(&Slots { x: 1, y: "why".into() }, &options)?;
    /// // pickle.dumps(brine_fixtures.Slots(1, "why"), protocol=2)
    /// assert_eq!(
    ///     pickle,
    ///     b"\x80\x02cbrine_fixtures\nSlots\nq\x00)\x81q\x01N}q\x02(X\x01\x00\x00\x00xq\x03K\x01\
    ///       X\x01\x00\x00\x00yq\x04X\x03\x00\x00\x00whyq\x05u\x86q\x06b."
    /// );
    /// # Ok::<(), brine_serde::Error>(())
    /// ```
    pub fn slots(module: &str, qualname: &str) -> PyClass {
        PyClass {
            slots: true,
            ..PyClass::new(module, qualname)
        }
    }
}
