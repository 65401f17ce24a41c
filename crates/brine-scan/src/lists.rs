//! The allow list of what honest pickles name and the deny list of what runs code, each entry
//! with the reason it is there, and [`judge`], which puts a global on one side.
//!
//! An entry is either an exact global, `module.qualname`, or a module with all its
//! submodules, `module.*`. The deny list was assembled from what the public scanners list
//! (picklescan's `_unsafe_globals`, modelscan's `unsafe_globals`, fickling's `UNSAFE_IMPORTS`
//! and its overtly-bad evaluation), from the bypasses published against them
//! (CVE-2025-1716 `pip.main`; CVE-2025-1889 and CVE-2025-1944/1945, which hide pickles in zip
//! members and flags; CVE-2025-10155/10156/10157, which reach `asyncio`, `_osx_support`,
//! `pydoc`, `lib2to3`, `idlelib`, `trace` and friends through subclasses and submodules;
//! CVE-2025-32434, PyTorch's `weights_only` escape), and from the standard library itself:
//! every module that executes, compiles, imports, resolves names, spawns processes, opens
//! files or sockets, installs packages or loads nested pickles or code objects.

use crate::report::Verdict;

/// What [`judge`] decided about one global, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judgement {
    /// Safe, suspicious or dangerous.
    pub verdict: Verdict,
    /// Why, in words: the list entry's reason, or the structural rule.
    pub reason: String,
}

/// Judges the global `module.name` (Python 3 names; map Python 2 ones first) against the
/// lists, with `extra_allow` (entries in the same syntax) treated as allowed.
///
/// Order: a dunder attribute on the way to the name, then the deny list, then the allow
/// lists, then a dotted name below an entry of either list (an attribute of a known class or
/// function reaches its methods), then unknown, which is suspicious.
///
/// # Example
///
/// ```
/// use brine_scan::{Verdict, lists::judge};
///
/// assert_eq!(judge("posix", "system", &[]).verdict, Verdict::Dangerous);
/// assert_eq!(judge("collections", "OrderedDict", &[]).verdict, Verdict::Safe);
/// assert_eq!(judge("mypkg.model", "Net", &[]).verdict, Verdict::Suspicious);
/// assert_eq!(judge("mypkg.model", "Net", &["mypkg.*".to_owned()]).verdict, Verdict::Safe);
/// ```
pub fn judge(module: &str, name: &str, extra_allow: &[String]) -> Judgement {
    if let Some(segment) = name.split('.').find(|segment| is_dunder(segment)) {
        return Judgement {
            verdict: Verdict::Dangerous,
            reason: format!(
                "the name reaches the special attribute `{segment}`, a way to objects and \
                 functions no list can name"
            ),
        };
    }
    if module.split('.').any(str::is_empty) || name.split('.').any(str::is_empty) {
        return Judgement {
            verdict: Verdict::Dangerous,
            reason: "a malformed dotted name, which no honest pickler writes".into(),
        };
    }
    if let Some(reason) = find(DENY, module, name) {
        return Judgement {
            verdict: Verdict::Dangerous,
            reason: reason.to_owned(),
        };
    }
    if let Some(reason) = find(ALLOW, module, name) {
        return Judgement {
            verdict: Verdict::Safe,
            reason: reason.to_owned(),
        };
    }
    if extra_allow.iter().any(|entry| matches(entry, module, name)) {
        return Judgement {
            verdict: Verdict::Safe,
            reason: "allowed by the caller".into(),
        };
    }
    // `pathlib.Path.write_text`: an allowed class's method, or a denied function's attribute.
    if let Some((owner, _)) = name.rsplit_once('.') {
        let parent = judge(module, owner, &[]);
        if parent.verdict != Verdict::Suspicious || find(ALLOW, module, owner).is_some() {
            return Judgement {
                verdict: Verdict::Dangerous,
                reason: format!(
                    "an attribute of `{module}.{owner}`: reaches a method or function of a \
                     known object, which its own entry does not allow"
                ),
            };
        }
    }
    Judgement {
        verdict: Verdict::Suspicious,
        reason: "not on the allow list: whatever this module does when imported and called is \
                 unknown"
            .into(),
    }
}

/// Whether `segment` is a special name, `__x__` (not a private one such as
/// `__randomstate_ctor`).
pub(crate) fn is_dunder(segment: &str) -> bool {
    segment.len() > 4 && segment.starts_with("__") && segment.ends_with("__")
}

/// The reason of the first entry of `list` that covers `module.name`.
fn find(list: &[(&'static str, &'static str)], module: &str, name: &str) -> Option<&'static str> {
    list.iter()
        .find(|(entry, _)| matches(entry, module, name))
        .map(|(_, reason)| *reason)
}

/// Whether the list entry `entry` (`module.*` or `module.qualname`) covers `module.name`.
///
/// A `module.*` entry is matched against the whole dotted text, so that `torch.hub.*` also
/// covers the module `torch` with the qualified name `hub.load` (a submodule reached as an
/// attribute).
pub(crate) fn matches(entry: &str, module: &str, name: &str) -> bool {
    if let Some(prefix) = entry.strip_suffix(".*") {
        let covers = |text: &str| {
            text.strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
        };
        return covers(module) || covers(&format!("{module}.{name}"));
    }
    entry.len() == module.len() + 1 + name.len()
        && entry.starts_with(module)
        && entry.as_bytes()[module.len()] == b'.'
        && entry.ends_with(name)
}

/// The one builtin judged by its uses: `getattr(Outer, 'Inner')` is how protocols 0-3 write
/// a nested class.
pub(crate) const GETATTR: &str = "builtins.getattr";

const EXEC: &str = "executes Python source or a code object";
const IMPORT: &str = "imports modules by name, or resolves any name to an object";
const SPAWN: &str = "runs a shell command or spawns a process";
const FILES: &str = "opens, reads, writes or removes files";
const NET: &str = "opens network connections or serves on a socket";
const INSTALL: &str = "installs packages or builds and runs extension code";
const NESTED: &str = "loads a nested pickle, marshal data or another serialized format that \
                      runs code";
const ATTR: &str = "gets, sets or deletes attributes by name: a path to any object and any \
                    method";
const PROCESS: &str = "controls the running interpreter: its modules, signals, exit, hooks";
const NATIVE: &str = "calls native code or reads and writes raw memory";
const DEBUG: &str = "a debugger or profiler that runs the code it is given";
const CODEGEN: &str = "generates and executes Python source";
const THREAD: &str = "starts threads or processes that run a target callable";

/// Everything that executes, compiles, imports, resolves names, spawns, opens files or
/// sockets, installs packages, or loads nested pickles, marshal data or code objects.
pub const DENY: &[(&str, &str)] = &[
    // builtins (and Python 2's names, which fix_imports maps here).
    ("builtins.eval", EXEC),
    ("builtins.exec", EXEC),
    ("builtins.execfile", EXEC),
    (
        "builtins.compile",
        "compiles source into a code object, which other calls can run",
    ),
    ("builtins.__import__", IMPORT),
    ("builtins.reload", IMPORT),
    ("builtins.getattr", ATTR),
    ("builtins.setattr", ATTR),
    ("builtins.delattr", ATTR),
    ("builtins.vars", ATTR),
    (
        "builtins.globals",
        "returns a module's namespace, to read or rebind any name",
    ),
    (
        "builtins.locals",
        "returns a namespace, to read or rebind any name",
    ),
    ("builtins.open", FILES),
    ("builtins.file", FILES),
    (
        "builtins.input",
        "reads the terminal and, in Python 2, evaluates it",
    ),
    ("builtins.raw_input", "reads the terminal"),
    ("builtins.breakpoint", DEBUG),
    (
        "builtins.help",
        "starts the interactive help, which runs a pager process",
    ),
    ("builtins.exit", PROCESS),
    ("builtins.quit", PROCESS),
    (
        "builtins.apply",
        "calls any callable with any arguments (Python 2)",
    ),
    ("builtins.memoryview", NATIVE),
    (
        "__builtin__.*",
        "Python 2's builtins, read by a Python 3 unpickler without fix_imports",
    ),
    ("__main__.__builtins__", ATTR),
    // Processes.
    ("os.*", SPAWN),
    ("posix.*", SPAWN),
    ("nt.*", SPAWN),
    ("subprocess.*", SPAWN),
    ("_posixsubprocess.*", SPAWN),
    ("_winapi.*", SPAWN),
    ("pty.*", SPAWN),
    ("pexpect.*", SPAWN),
    ("ptyprocess.*", SPAWN),
    ("commands.*", SPAWN),
    ("popen2.*", SPAWN),
    ("platform.popen", SPAWN),
    ("platform._syscmd_file", SPAWN),
    ("platform._syscmd_ver", SPAWN),
    ("platform.architecture", SPAWN),
    (
        "_osx_support.*",
        "runs shell commands (`_read_output`), a scanner bypass (CVE-2025-10155)",
    ),
    ("_aix_support.*", SPAWN),
    ("uuid._get_command_stdout", SPAWN),
    ("uuid._popen", SPAWN),
    ("uuid._find_mac", SPAWN),
    ("uuid._ifconfig_getnode", SPAWN),
    ("uuid._ip_getnode", SPAWN),
    ("uuid._arp_getnode", SPAWN),
    ("uuid._lanscan_getnode", SPAWN),
    ("uuid._netstat_getnode", SPAWN),
    ("uuid._find_mac_near_keyword", SPAWN),
    ("uuid._find_mac_under_heading", SPAWN),
    ("ctypes.util.*", SPAWN),
    (
        "mailcap.*",
        "finds and runs the shell command registered for a MIME type",
    ),
    ("webbrowser.*", "starts a browser process on any URL"),
    (
        "asyncio.*",
        "starts subprocesses, sockets and event loops (`asyncio.unix_events`)",
    ),
    ("multiprocessing.*", THREAD),
    ("concurrent.*", THREAD),
    ("threading.*", THREAD),
    ("_thread.*", THREAD),
    ("thread.*", THREAD),
    ("sh.*", SPAWN),
    ("plumbum.*", SPAWN),
    ("invoke.*", SPAWN),
    ("fabric.*", SPAWN),
    (
        "paramiko.*",
        "opens SSH connections and runs remote commands",
    ),
    ("distutils.*", INSTALL),
    ("setuptools.*", INSTALL),
    ("pkg_resources.*", IMPORT),
    (
        "pip.*",
        "installs packages from any index (CVE-2025-1716, `pip.main`)",
    ),
    ("_pip.*", INSTALL),
    ("ensurepip.*", INSTALL),
    ("venv.*", INSTALL),
    ("virtualenv.*", INSTALL),
    ("conda.*", INSTALL),
    (
        "site.*",
        "runs .pth files and user customization on (re)initialization",
    ),
    ("sysconfig.*", SPAWN),
    // Code execution and compilation.
    ("code.*", EXEC),
    ("codeop.*", EXEC),
    ("compileall.*", EXEC),
    ("py_compile.*", EXEC),
    ("runpy.*", EXEC),
    ("timeit.*", EXEC),
    (
        "trace.*",
        "runs code under tracing (`Trace.runctx`), a scanner bypass",
    ),
    ("profile.*", DEBUG),
    ("cProfile.*", DEBUG),
    ("_lsprof.*", DEBUG),
    ("pdb.*", DEBUG),
    ("bdb.*", DEBUG),
    (
        "doctest.*",
        "runs the examples in docstrings (`debug_script`)",
    ),
    ("unittest.*", "loads and runs test modules by name"),
    (
        "test.*",
        "CPython's test helpers run scripts and subprocesses",
    ),
    (
        "idlelib.*",
        "IDLE's shell runs code (`ModifiedInterpreter.runcode`), a scanner bypass",
    ),
    (
        "lib2to3.*",
        "its grammar loader unpickles files and its parser evaluates (`pgen.make_label`)",
    ),
    ("turtledemo.*", EXEC),
    ("tkinter.*", "Tcl's `eval` runs Tcl and shell commands"),
    ("_tkinter.*", "Tcl's `eval` runs Tcl and shell commands"),
    ("Tkinter.*", "Tcl's `eval` runs Tcl and shell commands"),
    ("IPython.*", "runs magics, shell escapes and code"),
    ("ipykernel.*", EXEC),
    ("jupyter_client.*", SPAWN),
    ("nbconvert.*", EXEC),
    ("types.FunctionType", "makes a function from a code object"),
    ("types.LambdaType", "makes a function from a code object"),
    ("types.CodeType", "makes a code object from its parts"),
    ("types.MethodType", "binds any function to any object"),
    ("types.ModuleType", "makes a module, to rebind names in"),
    ("types.new_class", CODEGEN),
    ("types.prepare_class", CODEGEN),
    ("types.coroutine", ATTR),
    ("types.GeneratorType", EXEC),
    (
        "types.CellType",
        "makes closure cells for rebuilt functions",
    ),
    ("marshal.*", NESTED),
    ("imp.*", IMPORT),
    ("importlib.*", IMPORT),
    (
        "pkgutil.*",
        "resolves dotted names to objects (`resolve_name`) and imports",
    ),
    ("zipimport.*", IMPORT),
    (
        "pydoc.*",
        "resolves names (`locate`) and runs pagers (`pipepager`)",
    ),
    ("inspect.getattr_static", ATTR),
    ("inspect.getmodule", IMPORT),
    ("operator.attrgetter", ATTR),
    ("operator.methodcaller", "calls any method by name"),
    ("operator.call", "calls any callable"),
    (
        "operator.getitem",
        "indexes any object, a step in gadget chains",
    ),
    (
        "_operator.*",
        "the C half of `operator`: attribute and method getters",
    ),
    (
        "functools.reduce",
        "calls a function repeatedly on computed values",
    ),
    ("functools.singledispatch", CODEGEN),
    ("functools.update_wrapper", ATTR),
    ("functools.wraps", ATTR),
    ("collections.namedtuple", CODEGEN),
    ("dataclasses.make_dataclass", CODEGEN),
    ("dataclasses._create_fn", CODEGEN),
    (
        "string.Formatter",
        "evaluates attribute lookups in a format string",
    ),
    ("string.Template", "reaches attributes through substitution"),
    ("ast.*", "parses and, through `compile`, runs source"),
    ("dis.*", "reads code objects"),
    ("opcode.*", "reads code objects"),
    ("cgi.*", FILES),
    ("cgitb.*", FILES),
    (
        "gc.*",
        "reaches every live object (`get_objects`, `get_referrers`)",
    ),
    ("weakref.*", "reaches live objects"),
    (
        "copy.deepcopy",
        "calls `__deepcopy__` and `__reduce_ex__` of any object",
    ),
    (
        "copyreg.add_extension",
        "rebinds extension codes, changing what later EXT opcodes name",
    ),
    ("copyreg.remove_extension", "rebinds extension codes"),
    (
        "copyreg.pickle",
        "registers reducers, changing how later objects are pickled",
    ),
    ("copyreg.constructor", "registers reducers"),
    (
        "copyreg._reduce_ex",
        "calls `__reduce_ex__` machinery on any object",
    ),
    // The running interpreter.
    ("sys.*", PROCESS),
    ("atexit.*", "registers callables to run at exit"),
    ("signal.*", "installs handlers that run callables"),
    ("faulthandler.*", PROCESS),
    ("resource.*", PROCESS),
    ("builtins.__build_class__", CODEGEN),
    ("abc.ABCMeta.register", ATTR),
    ("ctypes.*", NATIVE),
    ("_ctypes.*", NATIVE),
    ("cffi.*", NATIVE),
    ("mmap.*", NATIVE),
    ("_ssl.*", NET),
    // Nested pickles and serialized code.
    ("pickle.*", NESTED),
    ("_pickle.*", NESTED),
    ("cPickle.*", NESTED),
    ("pickle5.*", NESTED),
    ("pickletools.*", NESTED),
    ("shelve.*", NESTED),
    ("dbm.*", FILES),
    ("anydbm.*", FILES),
    (
        "dill.*",
        "dill rebuilds functions and code objects (`dill._dill._create_function`)",
    ),
    (
        "cloudpickle.*",
        "cloudpickle rebuilds functions and code objects",
    ),
    ("jsonpickle.*", NESTED),
    ("yaml.load", NESTED),
    ("yaml.unsafe_load", NESTED),
    ("yaml.full_load", NESTED),
    ("yaml.load_all", NESTED),
    ("yaml.unsafe_load_all", NESTED),
    ("yaml.constructor.*", NESTED),
    ("ruamel.*", NESTED),
    ("joblib.load", NESTED),
    ("joblib.numpy_pickle.load", NESTED),
    ("joblib.numpy_pickle.read_array", NESTED),
    ("joblib.numpy_pickle_compat.load_compatibility", NESTED),
    ("joblib.numpy_pickle_compat.read_zfile", FILES),
    (
        "joblib.externals.*",
        "joblib's vendored cloudpickle and loky: functions rebuilt, processes spawned",
    ),
    ("joblib._memmapping_reducer.*", FILES),
    ("joblib.parallel.*", THREAD),
    ("joblib.Parallel", THREAD),
    ("joblib.delayed", THREAD),
    ("joblib.Memory", FILES),
    ("joblib.memory.*", FILES),
    ("numpy.load", NESTED),
    ("numpy.loads", NESTED),
    ("numpy.lib.npyio.*", NESTED),
    ("numpy.lib.format.read_array", NESTED),
    ("numpy.lib.format.open_memmap", FILES),
    ("numpy.fromfile", FILES),
    ("numpy.tofile", FILES),
    ("numpy.loadtxt", FILES),
    ("numpy.genfromtxt", FILES),
    ("numpy.savetxt", FILES),
    ("numpy.save", FILES),
    ("numpy.savez", FILES),
    ("numpy.memmap", FILES),
    ("numpy.core.memmap.*", FILES),
    ("numpy._core.memmap.*", FILES),
    ("numpy.DataSource", FILES),
    ("numpy.lib._datasource.*", FILES),
    (
        "numpy.f2py.*",
        "`crackfortran` evaluates expressions; f2py compiles and imports extensions",
    ),
    ("numpy.distutils.*", INSTALL),
    (
        "numpy.testing.*",
        "`runstring` executes source; the helpers spawn processes",
    ),
    ("numpy.ctypeslib.*", NATIVE),
    ("numpy.lib.utils.*", IMPORT),
    ("numpy.core._internal._ctypes", NATIVE),
    ("numexpr.*", "evaluates expression strings"),
    ("pandas.read_pickle", NESTED),
    (
        "pandas.io.*",
        "reads and writes files and URLs (and nested pickles)",
    ),
    ("pandas.eval", "evaluates expression strings"),
    ("pandas.core.computation.*", "evaluates expression strings"),
    ("pandas.read_csv", FILES),
    ("pandas.read_json", FILES),
    ("pandas.read_excel", FILES),
    ("pandas.read_html", NET),
    ("pandas.read_sql", "runs SQL on a connection"),
    ("sympy.sympify", "parses and evaluates expression strings"),
    (
        "sympy.core.sympify.*",
        "parses and evaluates expression strings",
    ),
    ("sympy.parsing.*", "parses and evaluates expression strings"),
    ("sympy.utilities.lambdify.*", CODEGEN),
    ("scipy.io.*", FILES),
    ("sklearn.utils._testing.*", SPAWN),
    ("sklearn.externals.*", NESTED),
    ("sklearn.datasets.*", NET),
    // PyTorch.
    ("torch.load", NESTED),
    ("torch.serialization.load", NESTED),
    ("torch.serialization._load", NESTED),
    ("torch.serialization._legacy_load", NESTED),
    ("torch.serialization.save", FILES),
    (
        "torch.storage._load_from_bytes",
        "calls torch.load on bytes in the pickle: a nested pickle",
    ),
    (
        "torch.hub.*",
        "downloads and imports code from a repository",
    ),
    (
        "torch.jit.*",
        "TorchScript: compiles and runs code (`unsupported_tensor_ops.execWrapper`)",
    ),
    ("torch._jit_internal.*", EXEC),
    ("torch.package.*", "imports code packaged in an archive"),
    (
        "torch.fx.*",
        "`reduce_graph_module` executes generated source; `ShapeEnv` evaluates guards",
    ),
    (
        "torch._dynamo.*",
        "evaluates guard expressions (`GuardBuilder.get`)",
    ),
    (
        "torch._inductor.*",
        "compiles and loads generated code (`codecache.compile_file`)",
    ),
    ("torch._functorch.*", CODEGEN),
    ("torch._export.*", CODEGEN),
    ("torch.export.*", CODEGEN),
    ("torch.compiler.*", CODEGEN),
    ("torch.utils.cpp_extension.*", INSTALL),
    (
        "torch.utils._config_module.*",
        "`load_config` unpickles and executes configuration",
    ),
    (
        "torch.utils.data.datapipes.*",
        "decoders unpickle and open files",
    ),
    ("torch.utils.bottleneck.*", EXEC),
    ("torch.utils.collect_env.*", SPAWN),
    ("torch.utils.model_zoo.*", NET),
    ("torch.utils.tensorboard.*", FILES),
    ("torch.testing._internal.*", SPAWN),
    ("torch.distributed.run", SPAWN),
    ("torch.distributed.launch", SPAWN),
    ("torch.distributed.elastic.*", SPAWN),
    ("torch.distributed.rpc.*", NET),
    ("torch.multiprocessing.*", THREAD),
    (
        "torch.ops.*",
        "calls any registered operator, file and process ones included",
    ),
    ("torch._ops.*", "calls any registered operator"),
    (
        "torch._C.*",
        "PyTorch's C bindings: TorchScript compilation, operators, raw memory",
    ),
    ("torch.backends.*", NATIVE),
    (
        "torch.classes.*",
        "instantiates any registered TorchScript class",
    ),
    (
        "torch._classes.*",
        "instantiates any registered TorchScript class",
    ),
    (
        "torch.library.*",
        "registers operators implemented by any callable",
    ),
    ("torch.Tensor.__setstate__", ATTR),
    ("torchvision.datasets.*", NET),
    (
        "transformers.*",
        "loads remote code and nested checkpoints (`trust_remote_code`)",
    ),
    ("huggingface_hub.*", NET),
    ("keras.*", "deserializes layers that run Python lambdas"),
    (
        "tensorflow.*",
        "tf.io writes files, tf.py_function runs Python",
    ),
    ("tf.*", "tf.io writes files, tf.py_function runs Python"),
    ("jax.*", "compiles and runs code"),
    ("onnx.*", FILES),
    // Files.
    ("io.*", FILES),
    ("_io.*", FILES),
    ("codecs.open", FILES),
    ("codecs.EncodedFile", FILES),
    ("codecs.lookup", IMPORT),
    ("encodings.*", IMPORT),
    ("shutil.*", FILES),
    ("tempfile.*", FILES),
    ("glob.*", FILES),
    ("fnmatch.*", FILES),
    ("fileinput.*", FILES),
    ("filecmp.*", FILES),
    ("linecache.*", FILES),
    ("tarfile.*", FILES),
    ("zipfile.*", FILES),
    ("gzip.open", FILES),
    ("bz2.open", FILES),
    ("lzma.open", FILES),
    ("sqlite3.*", FILES),
    (
        "logging.*",
        "file handlers open files; `logging.config.listen` executes configuration",
    ),
    ("configparser.*", FILES),
    ("netrc.*", FILES),
    ("mailbox.*", FILES),
    ("wave.*", FILES),
    ("aifc.*", FILES),
    ("sunau.*", FILES),
    ("imghdr.*", FILES),
    ("sndhdr.*", FILES),
    ("posixpath.*", FILES),
    ("ntpath.*", FILES),
    ("genericpath.*", FILES),
    ("pathlib.Path.open", FILES),
    ("pathlib.Path.write_text", FILES),
    ("pathlib.Path.write_bytes", FILES),
    ("pathlib.Path.read_text", FILES),
    ("pathlib.Path.read_bytes", FILES),
    ("pathlib.Path.unlink", FILES),
    ("pathlib.Path.rmdir", FILES),
    ("pathlib.Path.rename", FILES),
    ("pathlib.Path.replace", FILES),
    ("pathlib.Path.touch", FILES),
    ("pathlib.Path.mkdir", FILES),
    ("pathlib.Path.chmod", FILES),
    ("pathlib.Path.symlink_to", FILES),
    ("pathlib.Path.hardlink_to", FILES),
    // Network.
    ("socket.*", NET),
    ("_socket.*", NET),
    ("ssl.*", NET),
    ("select.*", NET),
    ("selectors.*", NET),
    ("socketserver.*", NET),
    ("SocketServer.*", NET),
    ("http.*", NET),
    ("httplib.*", NET),
    ("urllib.*", NET),
    ("urllib2.*", NET),
    ("urllib3.*", NET),
    ("requests.*", NET),
    ("httpx.*", NET),
    ("aiohttp.*", NET),
    ("ftplib.*", NET),
    ("smtplib.*", NET),
    ("smtpd.*", NET),
    ("poplib.*", NET),
    ("imaplib.*", NET),
    ("nntplib.*", NET),
    ("telnetlib.*", NET),
    ("xmlrpc.*", NET),
    ("xmlrpclib.*", NET),
    ("wsgiref.*", NET),
    ("asyncore.*", NET),
    ("asynchat.*", NET),
    (
        "email.*",
        "parses messages and, through its generators, writes files",
    ),
    (
        "xml.*",
        "parsers fetch external entities from files and URLs",
    ),
    ("boto3.*", NET),
    ("botocore.*", NET),
    ("fsspec.*", "opens local and remote files"),
    ("smart_open.*", "opens local and remote files"),
];

const SCALAR: &str = "a builtin scalar, container or type: constructs data, runs nothing";
const REBUILD: &str = "copyreg's reconstructors: make an instance of a class, judged itself";
const STDLIB_DATA: &str = "a standard library data type that constructs a value from constants";
const NUMPY: &str = "numpy's array, dtype and scalar reconstructors, as numpy writes them";
const RANDOM: &str = "numpy's random state and bit generator reconstructors";
const TORCH: &str = "PyTorch's tensor and parameter rebuild functions, as torch.save writes them";
const STORAGE: &str = "a PyTorch storage class, as torch.save writes storages";
const TORCH_DATA: &str = "a PyTorch value type (size, device, dtype, layout)";
const DCP: &str = "a PyTorch Distributed Checkpoint metadata dataclass";
const JOBLIB: &str = "joblib's array wrapper, which its loader reads raw array bytes for";

/// What honest pickles name: data types, their reconstructors, numpy's and PyTorch's
/// rebuild functions and classes.
pub const ALLOW: &[(&str, &str)] = &[
    ("builtins.object", SCALAR),
    (
        "builtins.type",
        "the type of a value (`type(None)`); three-argument form makes a class with no code",
    ),
    ("builtins.bool", SCALAR),
    ("builtins.int", SCALAR),
    ("builtins.float", SCALAR),
    ("builtins.complex", SCALAR),
    ("builtins.str", SCALAR),
    ("builtins.bytes", SCALAR),
    ("builtins.bytearray", SCALAR),
    ("builtins.list", SCALAR),
    ("builtins.tuple", SCALAR),
    ("builtins.dict", SCALAR),
    ("builtins.set", SCALAR),
    ("builtins.frozenset", SCALAR),
    ("builtins.slice", SCALAR),
    ("builtins.range", SCALAR),
    ("builtins.xrange", SCALAR),
    ("builtins.long", SCALAR),
    ("builtins.unicode", SCALAR),
    ("builtins.basestring", SCALAR),
    ("builtins.NoneType", SCALAR),
    ("builtins.Ellipsis", SCALAR),
    ("builtins.NotImplemented", SCALAR),
    ("builtins.ellipsis", SCALAR),
    ("builtins.property", SCALAR),
    (
        "builtins.Exception",
        "an exception class: constructs a value",
    ),
    (
        "builtins.BaseException",
        "an exception class: constructs a value",
    ),
    (
        "builtins.ValueError",
        "an exception class: constructs a value",
    ),
    (
        "builtins.TypeError",
        "an exception class: constructs a value",
    ),
    (
        "builtins.KeyError",
        "an exception class: constructs a value",
    ),
    (
        "builtins.IndexError",
        "an exception class: constructs a value",
    ),
    (
        "builtins.RuntimeError",
        "an exception class: constructs a value",
    ),
    (
        "builtins.AttributeError",
        "an exception class: constructs a value",
    ),
    ("builtins.OSError", "an exception class: constructs a value"),
    (
        "builtins.NotImplementedError",
        "an exception class: constructs a value",
    ),
    (
        "builtins.StopIteration",
        "an exception class: constructs a value",
    ),
    (
        "builtins.ZeroDivisionError",
        "an exception class: constructs a value",
    ),
    (
        "builtins.ArithmeticError",
        "an exception class: constructs a value",
    ),
    (
        "builtins.UnicodeDecodeError",
        "an exception class: constructs a value",
    ),
    ("builtins.Warning", "an exception class: constructs a value"),
    (
        "builtins.UserWarning",
        "an exception class: constructs a value",
    ),
    ("copyreg._reconstructor", REBUILD),
    ("copyreg.__newobj__", REBUILD),
    ("copyreg.__newobj_ex__", REBUILD),
    ("copyreg._reconstruct", REBUILD),
    (
        "_codecs.encode",
        "turns a str into bytes: how protocols 0-2 write bytes",
    ),
    ("codecs.encode", "turns a str into bytes"),
    (
        "functools.partial",
        "binds arguments; a call of the result is judged on its own",
    ),
    (
        "operator.itemgetter",
        "an item getter by constant keys; reaches no attribute",
    ),
    ("collections.OrderedDict", STDLIB_DATA),
    ("collections.defaultdict", STDLIB_DATA),
    ("collections.deque", STDLIB_DATA),
    ("collections.Counter", STDLIB_DATA),
    ("collections.ChainMap", STDLIB_DATA),
    ("collections.UserDict", STDLIB_DATA),
    ("collections.UserList", STDLIB_DATA),
    ("collections.UserString", STDLIB_DATA),
    ("datetime.date", STDLIB_DATA),
    ("datetime.time", STDLIB_DATA),
    ("datetime.datetime", STDLIB_DATA),
    ("datetime.timedelta", STDLIB_DATA),
    ("datetime.timezone", STDLIB_DATA),
    ("datetime.tzinfo", STDLIB_DATA),
    (
        "zoneinfo.ZoneInfo",
        "a time zone by name from the system's database",
    ),
    ("zoneinfo._common.load_data", "reads a time zone file"),
    ("decimal.Decimal", STDLIB_DATA),
    ("fractions.Fraction", STDLIB_DATA),
    ("uuid.UUID", STDLIB_DATA),
    ("uuid.SafeUUID", STDLIB_DATA),
    ("enum.Enum", STDLIB_DATA),
    ("enum.IntEnum", STDLIB_DATA),
    ("enum.Flag", STDLIB_DATA),
    ("enum.IntFlag", STDLIB_DATA),
    (
        "pathlib.Path",
        "a path value; opening it is a method its entry does not allow",
    ),
    (
        "pathlib.PosixPath",
        "a path value; opening it is a method its entry does not allow",
    ),
    (
        "pathlib.WindowsPath",
        "a path value; opening it is a method its entry does not allow",
    ),
    ("pathlib.PurePath", "a path value"),
    ("pathlib.PurePosixPath", "a path value"),
    ("pathlib.PureWindowsPath", "a path value"),
    ("ipaddress.IPv4Address", STDLIB_DATA),
    ("ipaddress.IPv6Address", STDLIB_DATA),
    ("ipaddress.IPv4Network", STDLIB_DATA),
    ("ipaddress.IPv6Network", STDLIB_DATA),
    ("ipaddress.IPv4Interface", STDLIB_DATA),
    ("ipaddress.IPv6Interface", STDLIB_DATA),
    (
        "re._compile",
        "compiles a regular expression (a pattern, not code)",
    ),
    ("array.array", STDLIB_DATA),
    ("array._array_reconstructor", STDLIB_DATA),
    (
        "argparse.Namespace",
        "a configuration namespace: attributes set from constants",
    ),
    (
        "types.SimpleNamespace",
        "a namespace: attributes set from constants",
    ),
    (
        "inspect.Signature",
        "a function signature description (fastai exports)",
    ),
    (
        "inspect.Parameter",
        "a function parameter description (fastai exports)",
    ),
    (
        "inspect._empty",
        "the empty-annotation marker of signatures",
    ),
    (
        "inspect._ParameterKind",
        "the parameter kind enum of signatures",
    ),
    ("numpy.ndarray", NUMPY),
    ("numpy.dtype", NUMPY),
    ("numpy.core.multiarray._reconstruct", NUMPY),
    ("numpy._core.multiarray._reconstruct", NUMPY),
    ("numpy.core.multiarray.scalar", NUMPY),
    ("numpy._core.multiarray.scalar", NUMPY),
    ("numpy.core.numeric._frombuffer", NUMPY),
    ("numpy._core.numeric._frombuffer", NUMPY),
    ("numpy.core._multiarray_umath._reconstruct", NUMPY),
    ("numpy.ma.core._mareconstruct", NUMPY),
    ("numpy.ma.core.MaskedArray", NUMPY),
    ("numpy.matrix", NUMPY),
    ("numpy.matrixlib.defmatrix.matrix", NUMPY),
    ("numpy.recarray", NUMPY),
    ("numpy.record", NUMPY),
    ("numpy.core.records.recarray", NUMPY),
    ("numpy.dtypes.*", "numpy 2's dtype classes"),
    ("numpy.bool_", NUMPY),
    ("numpy.int8", NUMPY),
    ("numpy.int16", NUMPY),
    ("numpy.int32", NUMPY),
    ("numpy.int64", NUMPY),
    ("numpy.uint8", NUMPY),
    ("numpy.uint16", NUMPY),
    ("numpy.uint32", NUMPY),
    ("numpy.uint64", NUMPY),
    ("numpy.float16", NUMPY),
    ("numpy.float32", NUMPY),
    ("numpy.float64", NUMPY),
    ("numpy.complex64", NUMPY),
    ("numpy.complex128", NUMPY),
    ("numpy.str_", NUMPY),
    ("numpy.bytes_", NUMPY),
    ("numpy.datetime64", NUMPY),
    ("numpy.timedelta64", NUMPY),
    ("numpy.random._pickle.__randomstate_ctor", RANDOM),
    ("numpy.random._pickle.__generator_ctor", RANDOM),
    ("numpy.random._pickle.__bit_generator_ctor", RANDOM),
    ("numpy.random._pickle._ctor", RANDOM),
    ("numpy.random.mtrand.RandomState", RANDOM),
    ("numpy.random.mtrand._rand", RANDOM),
    ("numpy.random._generator.Generator", RANDOM),
    ("numpy.random._mt19937.MT19937", RANDOM),
    ("numpy.random._pcg64.PCG64", RANDOM),
    ("numpy.random._pcg64.PCG64DXSM", RANDOM),
    ("numpy.random._philox.Philox", RANDOM),
    ("numpy.random._sfc64.SFC64", RANDOM),
    ("numpy.random.bit_generator.SeedSequence", RANDOM),
    (
        "numpy.random.bit_generator.__pyx_unpickle_SeedSequence",
        RANDOM,
    ),
    ("joblib.numpy_pickle.NumpyArrayWrapper", JOBLIB),
    ("joblib.numpy_pickle.NDArrayWrapper", JOBLIB),
    ("joblib.numpy_pickle.ZNDArrayWrapper", JOBLIB),
    ("joblib.numpy_pickle_compat.NDArrayWrapper", JOBLIB),
    ("joblib.numpy_pickle_compat.ZNDArrayWrapper", JOBLIB),
    ("joblib.numpy_pickle_utils.NumpyArrayWrapper", JOBLIB),
    ("torch._utils._rebuild_tensor", TORCH),
    ("torch._utils._rebuild_tensor_v2", TORCH),
    ("torch._utils._rebuild_tensor_v3", TORCH),
    ("torch._utils._rebuild_parameter", TORCH),
    ("torch._utils._rebuild_parameter_with_state", TORCH),
    ("torch._utils._rebuild_sparse_tensor", TORCH),
    ("torch._utils._rebuild_sparse_csr_tensor", TORCH),
    ("torch._utils._rebuild_nested_tensor", TORCH),
    ("torch._utils._rebuild_qtensor", TORCH),
    ("torch._utils._rebuild_device_tensor_from_numpy", TORCH),
    ("torch._utils._rebuild_device_tensor_from_cpu_tensor", TORCH),
    ("torch._utils._rebuild_meta_tensor_no_storage", TORCH),
    ("torch._utils._rebuild_wrapper_subclass", TORCH),
    ("torch._utils._rebuild_xla_tensor", TORCH),
    ("torch._utils._rebuild_mlc_tensor", TORCH),
    ("torch._tensor._rebuild_from_type", TORCH),
    ("torch._tensor._rebuild_from_type_v2", TORCH),
    ("torch.nn.parameter.Parameter", TORCH),
    ("torch.nn.parameter.Buffer", TORCH),
    ("torch.Tensor", TORCH),
    ("torch.tensor", TORCH),
    ("torch.FloatTensor", TORCH),
    ("torch.DoubleTensor", TORCH),
    ("torch.LongTensor", TORCH),
    ("torch.IntTensor", TORCH),
    ("torch.ByteTensor", TORCH),
    ("torch.storage.TypedStorage", STORAGE),
    ("torch.storage.UntypedStorage", STORAGE),
    ("torch.storage._LegacyStorage", STORAGE),
    ("torch.UntypedStorage", STORAGE),
    ("torch.TypedStorage", STORAGE),
    ("torch.FloatStorage", STORAGE),
    ("torch.DoubleStorage", STORAGE),
    ("torch.HalfStorage", STORAGE),
    ("torch.BFloat16Storage", STORAGE),
    ("torch.LongStorage", STORAGE),
    ("torch.IntStorage", STORAGE),
    ("torch.ShortStorage", STORAGE),
    ("torch.CharStorage", STORAGE),
    ("torch.ByteStorage", STORAGE),
    ("torch.BoolStorage", STORAGE),
    ("torch.ComplexFloatStorage", STORAGE),
    ("torch.ComplexDoubleStorage", STORAGE),
    ("torch.QUInt8Storage", STORAGE),
    ("torch.QInt8Storage", STORAGE),
    ("torch.QInt32Storage", STORAGE),
    ("torch.QUInt4x2Storage", STORAGE),
    ("torch.QUInt2x4Storage", STORAGE),
    ("torch.cuda.FloatStorage", STORAGE),
    ("torch.Size", TORCH_DATA),
    ("torch.device", TORCH_DATA),
    ("torch.dtype", TORCH_DATA),
    ("torch.layout", TORCH_DATA),
    ("torch.memory_format", TORCH_DATA),
    ("torch.strided", TORCH_DATA),
    ("torch.sparse_coo", TORCH_DATA),
    ("torch.sparse_csr", TORCH_DATA),
    ("torch.contiguous_format", TORCH_DATA),
    ("torch.channels_last", TORCH_DATA),
    ("torch.preserve_format", TORCH_DATA),
    ("torch.float16", TORCH_DATA),
    ("torch.float32", TORCH_DATA),
    ("torch.float64", TORCH_DATA),
    ("torch.bfloat16", TORCH_DATA),
    ("torch.int8", TORCH_DATA),
    ("torch.int16", TORCH_DATA),
    ("torch.int32", TORCH_DATA),
    ("torch.int64", TORCH_DATA),
    ("torch.uint8", TORCH_DATA),
    ("torch.bool", TORCH_DATA),
    ("torch.complex64", TORCH_DATA),
    ("torch.complex128", TORCH_DATA),
    ("torch.serialization._get_layout", TORCH_DATA),
    ("torch.per_tensor_affine", TORCH_DATA),
    ("torch.per_channel_affine", TORCH_DATA),
    ("torch.distributed.checkpoint.metadata.*", DCP),
    ("torch.distributed.checkpoint.filesystem._StorageInfo", DCP),
    ("torch.distributed.checkpoint.planner.*", DCP),
    ("torch.distributed._shard.sharded_tensor.metadata.*", DCP),
    ("torch.distributed._shard.metadata.*", DCP),
    ("torch.distributed.checkpoint._nested_dict.*", DCP),
    ("torch.distributed._tensor.placement_types.*", DCP),
    ("torch.distributed.tensor.placement_types.*", DCP),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_has_a_reason_and_a_valid_pattern() {
        for (entry, reason) in DENY.iter().chain(ALLOW) {
            assert!(!reason.is_empty(), "{entry}");
            let pattern = entry.strip_suffix(".*").unwrap_or(entry);
            assert!(pattern.contains('.') || entry.ends_with(".*"), "{entry}");
            assert!(!pattern.split('.').any(str::is_empty), "{entry}");
        }
        assert!(DENY.len() + ALLOW.len() >= 300);
    }

    #[test]
    fn no_entry_is_on_both_lists() {
        for (entry, _) in ALLOW {
            let (module, name) = entry.rsplit_once('.').expect("dotted");
            assert!(find(DENY, module, name).is_none(), "{entry} is denied");
        }
    }

    #[test]
    fn prefixes_cover_submodules_only() {
        assert!(matches("os.*", "os", "system"));
        assert!(matches("os.*", "os.path", "join"));
        assert!(!matches("os.*", "osx", "x"));
        assert!(matches("torch.hub.*", "torch", "hub.load"));
        assert!(!matches("torch.hub.*", "torch", "hubble"));
        assert!(matches("builtins.eval", "builtins", "eval"));
        assert!(!matches("builtins.eval", "builtins", "evaluate"));
    }

    #[test]
    fn structural_names() {
        assert_eq!(
            judge("builtins", "object.__subclasses__", &[]).verdict,
            Verdict::Dangerous
        );
        assert_eq!(
            judge("pathlib", "Path.write_text", &[]).verdict,
            Verdict::Dangerous
        );
        assert_eq!(
            judge("pathlib", "Path.is_file", &[]).verdict,
            Verdict::Dangerous
        );
        assert_eq!(
            judge("builtins", "str.join", &[]).verdict,
            Verdict::Dangerous
        );
        assert_eq!(
            judge("numpy.random._pickle", "__randomstate_ctor", &[]).verdict,
            Verdict::Safe
        );
        assert_eq!(
            judge("__main__", "Outer.Inner", &[]).verdict,
            Verdict::Suspicious
        );
        assert_eq!(
            judge("os", "system", &["os.*".to_owned()]).verdict,
            Verdict::Dangerous
        );
    }
}
