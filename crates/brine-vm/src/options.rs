//! What a caller can choose about loading: Python's `Unpickler` parameters, the find_class
//! policy and the resource limits.

use std::fmt;
use std::sync::Arc;

use brine_value::{ExtensionRegistry, StringEncoding, StringErrors};
use hashbrown::{HashMap, HashSet};

/// How to load a pickle. `Default` is the safe setting: limits on, every global kept as an
/// inert name, nothing trusted.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Options {
    /// Map Python 2 names to Python 3 ones (`__builtin__.set` → `builtins.set`) in pickles of
    /// protocol 0 to 2, with CPython's `_compat_pickle` tables.
    ///
    /// Default: `true`, as in Python.
    pub fix_imports: bool,
    /// How Python 2 `str` objects (STRING, BINSTRING, SHORT_BINSTRING) read as text. The
    /// graph keeps their bytes as written ([`brine_value::Node::Py2Str`]) and records this
    /// choice ([`brine_value::Graph::py2_text`]) for whatever reads them as text
    /// (interpretation, serde, the encoder at protocol 3 and above), where Python 3 applies
    /// it; a protocol 0-2 re-encoding writes the same `str` back whatever it is.
    ///
    /// Default: ASCII, as in Python.
    pub encoding: StringEncoding,
    /// What to do with bytes the encoding cannot decode, where they are read as text.
    ///
    /// Default: strict (an error).
    pub errors: StringErrors,
    /// Which globals may appear in the pickle.
    ///
    /// Default: every global is accepted as an inert name (nothing is imported).
    pub find_class: FindClass,
    /// The codes EXT1, EXT2 and EXT4 refer to. A code the registry does not name is kept as
    /// a [`brine_value::Node::Ext`] (nothing is resolved, so a code is just another name for
    /// a global), unless [`Options::reject_unregistered_extensions`] is set or `find_class`
    /// is not [`FindClass::KeepAll`] (an allow list cannot vet a name it cannot read).
    ///
    /// Default: empty, as in CPython.
    pub extensions: ExtensionRegistry,
    /// Reject an extension code the registry does not name, as CPython does ("unregistered
    /// extension code").
    ///
    /// Default: `false`: the code is kept in the graph.
    pub reject_unregistered_extensions: bool,
    /// Keep a NEXT_BUFFER read without buffers as a [`brine_value::PickleBuffer`] whose
    /// `data` is `None` (its index says which buffer), instead of CPython's error: for readers
    /// that look at a pickle without its out-of-band data (a scanner, a disassembly).
    ///
    /// Default: `false`: no buffers is an error, as in CPython.
    pub keep_missing_buffers: bool,
    /// The resource limits.
    ///
    /// Default: see [`Limits`].
    pub limits: Limits,
    /// Reject bytes after the STOP opcode when loading from a slice.
    ///
    /// Default: `false`: they are ignored, as `pickle.loads` ignores them.
    pub reject_trailing: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            fix_imports: true,
            encoding: StringEncoding::default(),
            errors: StringErrors::default(),
            find_class: FindClass::default(),
            extensions: ExtensionRegistry::default(),
            reject_unregistered_extensions: false,
            keep_missing_buffers: false,
            limits: Limits::default(),
            reject_trailing: false,
        }
    }
}

/// Which globals a pickle may name. Nothing is ever imported; a policy only decides which
/// names are accepted into the graph and which make loading fail.
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum FindClass {
    /// Accept every global as an inert name.
    #[default]
    KeepAll,
    /// Accept only the listed globals.
    AllowList(AllowList),
    /// Accept the globals for which the function returns `true` (called with the module and
    /// qualified name after fix_imports).
    Custom(Arc<GlobalFilter>),
}

/// A function deciding whether `module.name` is allowed.
pub type GlobalFilter = dyn Fn(&str, &str) -> bool + Send + Sync;

impl FindClass {
    /// Whether the policy accepts `module.name`.
    pub fn allows(&self, module: &str, name: &str) -> bool {
        match self {
            FindClass::KeepAll => true,
            FindClass::AllowList(list) => list.contains(module, name),
            FindClass::Custom(allow) => allow(module, name),
        }
    }
}

impl fmt::Debug for FindClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FindClass::KeepAll => f.write_str("KeepAll"),
            FindClass::AllowList(list) => f.debug_tuple("AllowList").field(list).finish(),
            FindClass::Custom(_) => f.write_str("Custom(..)"),
        }
    }
}

/// A set of allowed globals: exact `module.name` pairs and whole modules.
///
/// # Example
///
/// ```
/// use brine_vm::AllowList;
/// let list = AllowList::new().name("collections", "OrderedDict").module("datetime");
/// assert!(list.contains("collections", "OrderedDict"));
/// assert!(list.contains("datetime", "timedelta"));
/// assert!(!list.contains("os", "system"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList {
    /// The allowed names, by module: looked up with the borrowed `module` and `name`, so a
    /// lookup on the decode path allocates nothing.
    names: HashMap<String, HashSet<String>>,
    modules: HashSet<String>,
}

impl AllowList {
    /// An empty list, which allows nothing.
    pub fn new() -> AllowList {
        AllowList::default()
    }

    /// Allows `module.name`.
    pub fn name(mut self, module: &str, name: &str) -> AllowList {
        self.names
            .entry(module.to_owned())
            .or_default()
            .insert(name.to_owned());
        self
    }

    /// Allows every name in `module`.
    pub fn module(mut self, module: &str) -> AllowList {
        self.modules.insert(module.to_owned());
        self
    }

    /// Whether `module.name` is allowed.
    pub fn contains(&self, module: &str, name: &str) -> bool {
        self.modules.contains(module)
            || self
                .names
                .get(module)
                .is_some_and(|names| names.contains(name))
    }
}

/// Resource limits. Honest data never meets the defaults; hostile data meets them with a clear
/// error instead of exhausting memory.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// The deepest nesting of MARKs.
    ///
    /// Default: 10,000 (CPython's picklers stop near 1,000 by their recursion limit).
    pub max_depth: usize,
    /// The most memo entries.
    ///
    /// Default: 2^27.
    pub max_memo: usize,
    /// The most nodes in the graph.
    ///
    /// Default: 2^28.
    pub max_nodes: usize,
    /// The most items on the stack.
    ///
    /// Default: 2^28.
    pub max_stack: usize,
    /// The most bytes of str, bytes and bytearray payloads in all.
    ///
    /// Default: 16 GiB.
    pub max_bytes: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_depth: 10_000,
            max_memo: 1 << 27,
            max_nodes: 1 << 28,
            max_stack: 1 << 28,
            max_bytes: 16 << 30,
        }
    }
}
