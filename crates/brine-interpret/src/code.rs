//! Functions, code objects and classes that cloudpickle and dill pickle by value, read as inert
//! descriptions: nothing is compiled, imported or run.
//!
//! A function defined in `__main__`, a lambda or a closure cannot be pickled by name, so
//! cloudpickle and dill write what it is made of: its code object (the arguments of
//! `types.CodeType`), its globals, defaults and closure cells, and the calls that put them
//! together. Loading such a pickle in Python runs that code whenever the function is called;
//! reading it here gives the parts to look at ([`Code`], [`Function`], [`ClassDef`],
//! [`Session`]), each borrowed from the graph, the bytecode included.
//!
//! # What is recognised
//!
//! Checked against pickles cloudpickle 3.1.3 and dill 0.4.1 wrote under CPython 3.11.7 at
//! protocols 0-5 (`fixtures/thirdparty/`), the descriptions compared with what CPython saw when
//! it loaded each one:
//!
//! | what the pickle calls | read as |
//! |---|---|
//! | `types.CodeType(...)`, cloudpickle's `_builtin_type('CodeType')(...)`, dill's `_create_code(...)` | [`Code`], by [`Interpreter::code`] |
//! | cloudpickle's `_make_function(code, globals, name, argdefs, closure)` with the state its `_function_setstate` applies | [`Function`], by [`Interpreter::function`] |
//! | dill's `_create_function(code, globals, name, defaults, closure[, dict, kwdefaults])` with its BUILD state and the cell contents it sets afterwards | [`Function`] |
//! | `types.FunctionType(code, globals[, name, argdefs, closure])` | [`Function`] |
//! | cloudpickle's `_make_cell`, `_make_empty_cell`; dill's `_create_cell`; `types.CellType` | [`Cell`] |
//! | cloudpickle's `_make_skeleton_class` and `_make_skeleton_enum` with `_class_setstate`, dill's `_create_type` | [`ClassDef`], by [`Interpreter::class_def`] |
//! | dill's `_import_module(name)` or `_create_module(name)` with a BUILD of its `__dict__` (`dill.dump_session`) | [`Session`], by [`Interpreter::session`] |
//!
//! The code object's arguments are read in every layout dill and cloudpickle write, one per
//! `CodeType` signature ([`CodeSignature`]): 15 arguments (Python 3.7), 16 (3.8-3.10), 17
//! (PyPy 3.11), 18 (3.11-3.13) and 20 (the 3.11 alphas), with dill's extra leading `co_lnotab`
//! (written from 3.10 on) kept apart.
//!
//! Module and callable names are matched as cloudpickle and dill have spelled them:
//! `cloudpickle.cloudpickle`, `cloudpickle.cloudpickle_fast` and `cloudpickle`; `dill._dill`,
//! `dill.dill` and `dill`.

mod class;
mod function;

use std::borrow::Cow;
use std::fmt;

use brine_value::Value;

use crate::view::{Data, GlobalName, Interpreter, Object, ObjectKind, View};

pub use class::{ClassDef, ClassKind, Member, Session};
pub use function::{Cell, CellFills, Function, Globals};

/// How deep code objects nest in each other's constants before the reading stops with [`CodeError::TooDeep`]: far beyond what Python compiles (its parser
/// stops nesting near 200 levels of brackets, and functions nest far less).
pub const MAX_DEPTH: usize = 64;

/// Which library wrote a function or class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Producer {
    /// cloudpickle (`cloudpickle.cloudpickle._make_function`, ...).
    Cloudpickle,
    /// dill (`dill._dill._create_function`, ...).
    Dill,
    /// The standard library's constructors (`types.FunctionType`, `types.CodeType`), as a
    /// hand-written reduction calls them.
    Types,
}

/// Which `types.CodeType` signature a code object's arguments follow: the Python version that
/// wrote them, and with it what the line table means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CodeSignature {
    /// Python 3.7: 15 arguments, no `posonlyargcount`; the line table is `co_lnotab`.
    Py37,
    /// Python 3.8 to 3.10: 16 arguments; the line table is `co_lnotab` up to 3.9 and
    /// `co_linetable` in 3.10 (dill, which writes `co_lnotab` first from 3.10 on, tells them
    /// apart: [`Code::lnotab`]).
    Py38,
    /// PyPy 3.11: 17 arguments, a `qualname` and no exception table.
    PyPy311,
    /// Python 3.11 to 3.13: 18 arguments, with `qualname` and `exceptiontable`; the line
    /// table is the location table of PEP 657.
    Py311,
    /// The Python 3.11 alphas: 20 arguments, with `endlinetable` and `columntable`.
    Py311Alpha,
}

impl CodeSignature {
    /// The signature of a `CodeType` call with `n` arguments.
    pub fn of_len(n: usize) -> Option<CodeSignature> {
        Some(match n {
            15 => CodeSignature::Py37,
            16 => CodeSignature::Py38,
            17 => CodeSignature::PyPy311,
            18 => CodeSignature::Py311,
            20 => CodeSignature::Py311Alpha,
            _ => return None,
        })
    }
}

/// A code object: the arguments its pickle gives `types.CodeType`, named as Python names the
/// attributes (`co_argcount` is `argcount`).
#[derive(Debug, Clone)]
pub struct Code<'g> {
    /// Who wrote the code object.
    pub producer: Producer,
    /// The `CodeType` signature its arguments follow.
    pub signature: CodeSignature,
    /// `co_argcount`: positional parameters, positional-only ones included.
    pub argcount: i64,
    /// `co_posonlyargcount` (0 in the 3.7 signature, which has none).
    pub posonlyargcount: i64,
    /// `co_kwonlyargcount`.
    pub kwonlyargcount: i64,
    /// `co_nlocals`.
    pub nlocals: i64,
    /// `co_stacksize`.
    pub stacksize: i64,
    /// `co_flags` (`CO_OPTIMIZED`, `CO_NEWLOCALS`, `CO_VARARGS`, ...).
    pub flags: i64,
    /// `co_code`, the bytecode: the graph's own bytes (shared, not copied) from protocol 3,
    /// decoded from the latin-1 text protocols 0-2 write.
    pub bytecode: Data<'g>,
    /// `co_consts`, code objects among them read in turn.
    pub consts: Vec<Const<'g>>,
    /// `co_names`: the global and attribute names the bytecode uses.
    pub names: Vec<&'g str>,
    /// `co_varnames`: the parameters, then the other local variables.
    pub varnames: Vec<&'g str>,
    /// `co_freevars`: the variables its closure cells hold.
    pub freevars: Vec<&'g str>,
    /// `co_cellvars`: its variables that nested functions close over.
    pub cellvars: Vec<&'g str>,
    /// `co_filename` (cloudpickle writes `<dynamic-code>` whatever it was).
    pub filename: &'g str,
    /// `co_name`.
    pub name: &'g str,
    /// `co_qualname`; `None` in the signatures before 3.11, where Python takes `name`.
    pub qualname: Option<&'g str>,
    /// `co_firstlineno`.
    pub firstlineno: i64,
    /// The line table: `co_lnotab` (3.7-3.9), `co_linetable` (3.10) or the location table
    /// (3.11 on), as [`CodeSignature`] says.
    pub linetable: Data<'g>,
    /// The `co_lnotab` dill writes before the arguments from Python 3.10 on (computed from
    /// the line table then); `None` when the pickle has none.
    pub lnotab: Option<Data<'g>>,
    /// `co_exceptiontable` (3.11 on).
    pub exceptiontable: Option<Data<'g>>,
    /// `co_endlinetable` and `co_columntable` of the 3.11 alphas, as the graph holds them.
    pub alpha_tables: Option<(&'g Value, &'g Value)>,
}

/// One of `co_consts`.
#[derive(Debug, Clone)]
pub enum Const<'g> {
    /// A nested code object (a nested function's, a lambda's, a comprehension's).
    Code(Box<Code<'g>>),
    /// Any other constant, as the graph holds it (`None`, numbers, text, tuples, ...).
    Value(&'g Value),
}

impl<'g> Code<'g> {
    /// `co_qualname`, or `co_name` where the signature has no qualified name.
    pub fn qualname(&self) -> &'g str {
        self.qualname.unwrap_or(self.name)
    }

    /// The names the code and the code nested in its constants use (`co_names` of each), in
    /// sorted order without repeats: the globals a function may look up, as cloudpickle
    /// chooses which globals to pickle.
    pub fn global_names(&self) -> Vec<&'g str> {
        let mut names = Vec::new();
        let mut stack = vec![self];
        while let Some(code) = stack.pop() {
            names.extend(code.names.iter().copied());
            stack.extend(code.consts.iter().filter_map(|c| match c {
                Const::Code(code) => Some(&**code),
                Const::Value(_) => None,
            }));
        }
        names.sort_unstable();
        names.dedup();
        names
    }

    /// The code objects nested in the constants, in order (not their own nested ones).
    pub fn nested(&self) -> impl Iterator<Item = &Code<'g>> {
        self.consts.iter().filter_map(|c| match c {
            Const::Code(code) => Some(&**code),
            Const::Value(_) => None,
        })
    }
}

/// Why a value that names cloudpickle's, dill's or `types`' constructors is not a function,
/// code object or class brine can read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CodeError {
    /// A part is not what the library writes; the message says which.
    Malformed(String),
    /// A form the library writes that brine does not read; the message names it.
    Unsupported(String),
    /// Code objects nested deeper than [`MAX_DEPTH`].
    TooDeep,
}

impl fmt::Display for CodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CodeError::Malformed(what) => {
                write!(f, "not a function, code object or class as pickled: {what}")
            }
            CodeError::Unsupported(what) => {
                write!(f, "a pickled code form brine does not read: {what}")
            }
            CodeError::TooDeep => write!(f, "code objects nested deeper than {MAX_DEPTH} levels"),
        }
    }
}

impl std::error::Error for CodeError {}

pub(crate) fn malformed<T>(what: impl Into<String>) -> Result<T, CodeError> {
    Err(CodeError::Malformed(what.into()))
}

/// The module names cloudpickle has defined its reconstructors in.
const CLOUDPICKLE_MODULES: &[&str] = &[
    "cloudpickle.cloudpickle",
    "cloudpickle.cloudpickle_fast",
    "cloudpickle",
];

/// The module names dill has defined its reconstructors in.
const DILL_MODULES: &[&str] = &["dill._dill", "dill.dill", "dill"];

/// The library and the name of one of its reconstructors that `name` is, if it is one.
pub(crate) fn producer_of<'a>(name: &'a GlobalName<'_>) -> Option<(Producer, &'a str)> {
    if CLOUDPICKLE_MODULES.contains(&name.module) {
        Some((Producer::Cloudpickle, &name.name))
    } else if DILL_MODULES.contains(&name.module) {
        Some((Producer::Dill, &name.name))
    } else if name.module == "types" {
        Some((Producer::Types, &name.name))
    } else {
        None
    }
}

/// The names dill's `_load_type` and cloudpickle's `_builtin_type` take whose class is not
/// `builtins.<name>`: (name, `__module__`, `__qualname__`), sorted by name. Generated from
/// dill 0.4.1's `dill._dill._reverse_typemap` under CPython 3.11.7 (its names include those of
/// `types`, which `_builtin_type` looks up).
const BUILTIN_TYPES: &[(&str, &str, &str)] = &[
    ("AsyncGeneratorType", "builtins", "async_generator"),
    ("AttrGetterType", "operator", "attrgetter"),
    ("BufferedRandomType", "_io", "BufferedRandom"),
    ("BufferedReaderType", "_io", "BufferedReader"),
    ("BufferedWriterType", "_io", "BufferedWriter"),
    (
        "BuiltinFunctionType",
        "builtins",
        "builtin_function_or_method",
    ),
    (
        "BuiltinMethodType",
        "builtins",
        "builtin_function_or_method",
    ),
    ("CellType", "builtins", "cell"),
    (
        "ClassMethodDescriptorType",
        "builtins",
        "classmethod_descriptor",
    ),
    ("CodeType", "builtins", "code"),
    ("CoroutineType", "builtins", "coroutine"),
    ("DictItemsType", "builtins", "dict_items"),
    ("DictKeysType", "builtins", "dict_keys"),
    ("DictValuesType", "builtins", "dict_values"),
    ("EllipsisType", "builtins", "ellipsis"),
    ("EnvironmentError", "builtins", "OSError"),
    ("ExitType", "_sitebuiltins", "Quitter"),
    ("FileType", "_io", "FileIO"),
    ("FrameType", "builtins", "frame"),
    ("FunctionType", "builtins", "function"),
    ("GeneratorType", "builtins", "generator"),
    (
        "GenericAliasIteratorType",
        "builtins",
        "generic_alias_iterator",
    ),
    ("GetSetDescriptorType", "builtins", "getset_descriptor"),
    ("IOError", "builtins", "OSError"),
    ("ItemGetterType", "operator", "itemgetter"),
    ("LambdaType", "builtins", "function"),
    ("MappingProxyType", "builtins", "mappingproxy"),
    ("MemberDescriptorType", "builtins", "member_descriptor"),
    ("MethodDescriptorType", "builtins", "method_descriptor"),
    ("MethodType", "builtins", "method"),
    ("MethodWrapperType", "builtins", "method-wrapper"),
    ("ModuleType", "builtins", "module"),
    ("OdictItemsType", "builtins", "odict_items"),
    ("OdictKeysType", "builtins", "odict_keys"),
    ("OdictValuesType", "builtins", "odict_values"),
    ("PartialType", "functools", "partial"),
    ("PyBufferedRandomType", "_pyio", "BufferedRandom"),
    ("PyBufferedReaderType", "_pyio", "BufferedReader"),
    ("PyBufferedWriterType", "_pyio", "BufferedWriter"),
    ("PyCapsuleType", "builtins", "PyCapsule"),
    ("PyTextWrapperType", "_pyio", "TextIOWrapper"),
    ("SuperType", "builtins", "super"),
    ("TextWrapperType", "_io", "TextIOWrapper"),
    ("TracebackType", "builtins", "traceback"),
    ("WrapperDescriptorType", "builtins", "wrapper_descriptor"),
];

impl<'g> Interpreter<'g> {
    /// `value` as a code object: `None` when it is not a call of `types.CodeType` (by that
    /// name or cloudpickle's `_builtin_type('CodeType')`) or of dill's `_create_code`, an
    /// error when it is but its arguments are not a code object's.
    ///
    /// # Example
    ///
    /// ```
    /// # fn pickle() -> Vec<u8> {
    /// #     // dill.dumps((lambda x: x + 1).__code__, protocol=4) under CPython 3.11.7, the
    /// #     // lambda compiled from '<string>'.
    /// #     b"\x80\x04\x95y\x00\x00\x00\x00\x00\x00\x00\x8c\x0adill._dill\x94\x8c\x0c_create_code\x94\x93\x94(C\x00\x94K\x01K\x00K\x00K\x01K\x02K\x03C\x0c\x97\x00|\x00d\x01z\x00\x00\x00S\x00\x94NK\x01\x86\x94)\x8c\x01x\x94\x85\x94\x8c\x08<string>\x94\x8c\x08<lambda>\x94h\x09K\x01C\x0a\x80\x00\x88!\x88a\x89%\x80\x00\x94h\x03))t\x94R\x94.".to_vec()
    /// # }
    /// use brine_interpret::Interpreter;
    /// use brine_interpret::code::CodeSignature;
    ///
    /// let graph = brine_vm::from_slice(&pickle(), &Default::default())?;
    /// let code = Interpreter::new(&graph).code(graph.root_value()).unwrap()?;
    /// assert_eq!(code.signature, CodeSignature::Py311);
    /// assert_eq!(code.qualname(), "<lambda>");
    /// assert_eq!(code.varnames, ["x"]);
    /// assert_eq!(code.bytecode.as_slice(), b"\x97\x00|\x00d\x01z\x00\x00\x00S\x00");
    /// assert_eq!(code.consts.len(), 2); // None and 1
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn code(&self, value: &Value) -> Option<Result<Code<'g>, CodeError>> {
        self.code_at(value, 0)
    }

    pub(crate) fn code_at(
        &self,
        value: &Value,
        depth: usize,
    ) -> Option<Result<Code<'g>, CodeError>> {
        let View::Object(object) = self.view(value) else {
            return None;
        };
        if object.kind != ObjectKind::Call {
            return None;
        }
        let producer = match object.class() {
            Some(name) => match producer_of(&name)? {
                (Producer::Dill, "_create_code") => Producer::Dill,
                (Producer::Types, "CodeType") => Producer::Types,
                _ => return None,
            },
            // cloudpickle's `_builtin_type('CodeType')(...)`, dill's `_load_type('CodeType')`.
            None => match self.builtin_type(&object.callable)? {
                (producer, "CodeType") => producer,
                _ => return None,
            },
        };
        if depth >= MAX_DEPTH {
            return Some(Err(CodeError::TooDeep));
        }
        Some(self.code_args(producer, &object, depth))
    }

    /// The arguments of a code object's constructor, in any [`CodeSignature`].
    fn code_args(
        &self,
        producer: Producer,
        object: &Object<'g>,
        depth: usize,
    ) -> Result<Code<'g>, CodeError> {
        let mut args = object.args;
        let mut lnotab = None;
        // dill puts `co_lnotab` first (from 3.10 on): the first argument is then not an int.
        if producer == Producer::Dill {
            if let [first, rest @ ..] = args {
                if !matches!(self.view(first), View::Int(_)) {
                    lnotab = Some(self.code_bytes(first, "co_lnotab")?);
                    args = rest;
                }
            }
        }
        let Some(signature) = CodeSignature::of_len(args.len()) else {
            return Err(CodeError::Unsupported(format!(
                "a code object of {} arguments, no CodeType signature",
                args.len()
            )));
        };
        // The 3.7 signature has no `posonlyargcount`: it reads as 0.
        let n_counts = if signature == CodeSignature::Py37 {
            5
        } else {
            6
        };
        let (counts, rest) = args.split_at(n_counts);
        let mut counts = counts.iter().map(|count| self.code_int(count));
        let mut next_count = || counts.next().unwrap_or(Ok(0));
        let argcount = next_count()?;
        let posonlyargcount = if signature == CodeSignature::Py37 {
            0
        } else {
            next_count()?
        };
        let [kwonlyargcount, nlocals, stacksize, flags] = [(); 4].map(|()| next_count());
        // The length fixed the signature, so these patterns match; the errors are never made.
        let [code, consts, names, varnames, filename, name, rest @ ..] = rest else {
            return malformed("too few arguments for the signature");
        };
        let (qualname, tail) = match (signature, rest) {
            (CodeSignature::Py37 | CodeSignature::Py38, _) => (None, rest),
            (_, [qualname, tail @ ..]) => (Some(qualname), tail),
            _ => return malformed("too few arguments for the signature"),
        };
        let (firstlineno, linetable, alpha_tables, exceptiontable, freevars, cellvars) =
            match (signature, tail) {
                (
                    CodeSignature::Py37 | CodeSignature::Py38 | CodeSignature::PyPy311,
                    [firstlineno, linetable, freevars, cellvars],
                ) => (firstlineno, linetable, None, None, freevars, cellvars),
                (
                    CodeSignature::Py311,
                    [firstlineno, linetable, exceptiontable, freevars, cellvars],
                ) => (
                    firstlineno,
                    linetable,
                    None,
                    Some(exceptiontable),
                    freevars,
                    cellvars,
                ),
                (
                    CodeSignature::Py311Alpha,
                    [
                        firstlineno,
                        linetable,
                        endlinetable,
                        columntable,
                        exceptiontable,
                        freevars,
                        cellvars,
                    ],
                ) => (
                    firstlineno,
                    linetable,
                    Some((endlinetable, columntable)),
                    Some(exceptiontable),
                    freevars,
                    cellvars,
                ),
                _ => return malformed("too few arguments for the signature"),
            };
        Ok(Code {
            producer,
            signature,
            argcount,
            posonlyargcount,
            kwonlyargcount: kwonlyargcount?,
            nlocals: nlocals?,
            stacksize: stacksize?,
            flags: flags?,
            bytecode: self.code_bytes(code, "co_code")?,
            consts: self.consts(consts, depth)?,
            names: self.names(names, "co_names")?,
            varnames: self.names(varnames, "co_varnames")?,
            freevars: self.names(freevars, "co_freevars")?,
            cellvars: self.names(cellvars, "co_cellvars")?,
            filename: self.code_text(filename, "co_filename")?,
            name: self.code_text(name, "co_name")?,
            qualname: qualname
                .map(|qualname| self.code_text(qualname, "co_qualname"))
                .transpose()?,
            firstlineno: self.code_int(firstlineno)?,
            linetable: self.code_bytes(linetable, "the line table")?,
            lnotab,
            exceptiontable: exceptiontable
                .map(|table| self.code_bytes(table, "co_exceptiontable"))
                .transpose()?,
            alpha_tables,
        })
    }

    fn consts(&self, value: &'g Value, depth: usize) -> Result<Vec<Const<'g>>, CodeError> {
        let View::Tuple(items) = self.view(value) else {
            return malformed(format!("co_consts is a {}", self.describe(value)));
        };
        items
            .iter()
            .map(|item| match self.code_at(item, depth + 1) {
                Some(code) => code.map(|code| Const::Code(Box::new(code))),
                None => Ok(Const::Value(item)),
            })
            .collect()
    }

    fn names(&self, value: &Value, what: &str) -> Result<Vec<&'g str>, CodeError> {
        let View::Tuple(items) = self.view(value) else {
            return malformed(format!("{what} is a {}", self.describe(value)));
        };
        items
            .iter()
            .map(|item| self.code_text(item, what))
            .collect()
    }

    /// The text of a `str` value (without lone surrogates, as every name is), or of an ASCII
    /// Python 2 `str`: the one reader of names, keys and fields for every layer.
    pub(crate) fn str_at(&self, value: &Value) -> Option<&'g str> {
        crate::recognise::Reader::new(self.graph()).text(value)
    }

    pub(crate) fn code_text(&self, value: &Value, what: &str) -> Result<&'g str, CodeError> {
        match self.str_at(value) {
            Some(text) => Ok(text),
            None => malformed(format!("{what} holds a {}, not text", self.describe(value))),
        }
    }

    fn code_int(&self, value: &Value) -> Result<i64, CodeError> {
        match self.view(value) {
            View::Int(n) => Ok(n),
            other => malformed(format!(
                "{} where a code object has a count",
                other.describe()
            )),
        }
    }

    /// A `bytes` argument: BINBYTES, `_codecs.encode(text, 'latin1')`, `bytes()`, or the
    /// `_load_type('bytes')()` dill writes for empty bytes at protocols 0-2.
    fn code_bytes(&self, value: &Value, what: &str) -> Result<Data<'g>, CodeError> {
        match self.view(value) {
            View::Bytes(data) => Ok(data),
            View::Object(object)
                if object.args.is_empty()
                    && object.kind == ObjectKind::Call
                    && matches!(self.builtin_type(&object.callable), Some((_, "bytes"))) =>
            {
                Ok(Data::Decoded(Vec::new()))
            }
            other => malformed(format!("{what} is a {}, not bytes", other.describe())),
        }
    }

    /// The type a value names through cloudpickle's `_builtin_type(name)` or dill's
    /// `_load_type(name)` (a name of `types` or `builtins`), or a global of `types` or
    /// `builtins`: the library and the type's name.
    pub fn builtin_type(&self, value: &Value) -> Option<(Producer, &'g str)> {
        match self.view(value) {
            View::Global(global) if global.module == "builtins" || global.module == "types" => {
                match global.name {
                    Cow::Borrowed(name) => Some((Producer::Types, name)),
                    Cow::Owned(_) => None,
                }
            }
            View::Object(object) if object.kind == ObjectKind::Call => {
                let name = object.class()?;
                let producer = match producer_of(&name)? {
                    (Producer::Cloudpickle, "_builtin_type") => Producer::Cloudpickle,
                    (Producer::Dill, "_load_type") => Producer::Dill,
                    _ => return None,
                };
                let [type_name] = object.args else {
                    return None;
                };
                Some((producer, self.str_at(type_name)?))
            }
            _ => None,
        }
    }

    /// The class [`Interpreter::builtin_type`] names, as Python names it (`__module__`,
    /// `__qualname__`): `builtins.super` for dill's `_load_type('SuperType')`, `builtins.code`
    /// for cloudpickle's `_builtin_type('CodeType')`, `builtins.object` for `_load_type('object')`.
    pub fn builtin_class(&self, value: &Value) -> Option<(&'g str, &'g str)> {
        let (_, name) = self.builtin_type(value)?;
        Some(
            match BUILTIN_TYPES.binary_search_by_key(&name, |(key, _, _)| key) {
                Ok(idx) => (BUILTIN_TYPES[idx].1, BUILTIN_TYPES[idx].2),
                Err(_) => ("builtins", name),
            },
        )
    }

    /// The module a value imports by name: dill's `_import_module(name)` and cloudpickle's
    /// `subimport(name)` or `dynamic_subimport(name, vars)`; `None` for anything else.
    pub fn module_ref(&self, value: &Value) -> Option<&'g str> {
        let View::Object(object) = self.view(value) else {
            return None;
        };
        if object.kind != ObjectKind::Call {
            return None;
        }
        let name = object.class()?;
        match producer_of(&name)? {
            (Producer::Dill, "_import_module")
            | (Producer::Cloudpickle, "subimport" | "dynamic_subimport") => {
                self.str_at(object.args.first()?)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_types_are_sorted_for_binary_search() {
        assert!(BUILTIN_TYPES.windows(2).all(|pair| pair[0].0 < pair[1].0));
    }

    #[test]
    fn every_signature_has_its_length() {
        for (n, signature) in [
            (15, CodeSignature::Py37),
            (16, CodeSignature::Py38),
            (17, CodeSignature::PyPy311),
            (18, CodeSignature::Py311),
            (20, CodeSignature::Py311Alpha),
        ] {
            assert_eq!(CodeSignature::of_len(n), Some(signature));
        }
        assert_eq!(CodeSignature::of_len(19), None);
        assert_eq!(CodeSignature::of_len(21), None);
    }
}
