//! The cloudpickle and dill fixtures of `fixtures/thirdparty` (cloudpickle 3.1.3 and dill 0.4.1
//! under CPython 3.11.7, protocols 0-5) read as functions, classes, instances and a session,
//! each described as `gen_thirdparty.py`'s `describe` described what CPython loaded
//! (`expect/*.json`): every field of every code object (names, constants and their reprs,
//! bytecode, line and exception tables, counts, flags), defaults, keyword defaults, the
//! globals the code uses, closure cell contents and their reprs, function dicts and docs, class
//! namespaces and bases.

use brine_interpret::Interpreter;
use brine_interpret::code::{
    Cell, CellFills, ClassDef, Code, Const, Function, Globals, Member, Session,
};
use brine_interpret::{ObjectKind, View};
use brine_value::{NodeId, Value};
use serde_json::{Map, Value as Json, json};
use sha2::{Digest, Sha256};

#[test]
fn the_function_fixtures_read_as_cpython_loaded_them() {
    let mut checked = 0;
    let mut functions = 0;
    for fixture in brine_testdata::thirdparty() {
        if fixture.library != "cloudpickle" && fixture.library != "dill" {
            continue;
        }
        let case = &fixture.path;
        let expect: Json =
            serde_json::from_slice(&std::fs::read(fixture.expect_path()).unwrap()).unwrap();
        let graph = brine_vm::from_slice(&fixture.bytes(), &Default::default())
            .unwrap_or_else(|err| panic!("{case}: {err}"));
        let interp = Interpreter::new(&graph);
        let mut describer = Describer {
            interp,
            fills: interp.cell_fills(),
            session: None,
            stack: Vec::new(),
            functions: 0,
        };
        let ours = describer.root(graph.root_value());
        if ours != expect {
            panic!("{case}: {}", first_difference(&expect, &ours, "$"));
        }
        functions += describer.functions;
        checked += 1;
    }
    // 11 objects by each library at 6 protocols, dill's by-reference lambda at 6 and its session.
    assert_eq!(checked, 66 + 73);
    assert!(functions > 400, "{functions} functions described");
}

/// What `describe` in gen_thirdparty.py prints, computed from brine's descriptions.
struct Describer<'g> {
    interp: Interpreter<'g>,
    /// The cells the pickle fills later, found once (`repr` finds them itself each time).
    fills: CellFills<'g>,
    /// The session being described: the globals of its functions (dill's `__main__` by
    /// reference).
    session: Option<Session<'g>>,
    /// The functions, classes and instances being described, as `describe`'s `stack`.
    stack: Vec<(NodeId, String)>,
    functions: usize,
}

impl<'g> Describer<'g> {
    fn root(&mut self, value: &Value) -> Json {
        if let Some(session) = self.interp.session(value) {
            self.session = Some(session.clone());
            let mut entries = Map::new();
            for (key, value) in session.dict.iter() {
                let key = self.interp.graph().get(key).as_str().unwrap();
                if key.starts_with("session_") || key.starts_with("Session") {
                    entries.insert(key.to_owned(), self.describe(value));
                }
            }
            return json!({"module": session.module, "session": entries});
        }
        self.describe(value)
    }

    fn describe(&mut self, value: &Value) -> Json {
        let interp = self.interp;
        if let Some(id) = value.node() {
            if let Some((_, name)) = self.stack.iter().find(|(seen, _)| *seen == id) {
                return json!({"cycle": name});
            }
        }
        if let Some(function) = interp.function_with(value, &self.fills) {
            let function = function.unwrap_or_else(|err| panic!("{err}"));
            return self.within(value, function.qualname, |this| this.function(&function));
        }
        if let Some(class) = interp.class_def_with(value, &self.fills) {
            let class = class.unwrap_or_else(|err| panic!("{err}"));
            let name = class.qualname.unwrap_or(class.name);
            return self.within(value, name, |this| this.class(&class));
        }
        if let Some(module) = interp.module_ref(value) {
            return json!({"module": module});
        }
        if let Some((module, name)) = interp.builtin_class(value) {
            return json!({"class_ref": format!("{module}.{name}")});
        }
        match interp.view(value) {
            View::None => Json::Null,
            View::Bool(v) => json!(v),
            View::Int(v) => json!(v),
            View::Float(v) => json!({"float": float_hex(v)}),
            View::Str(text) => json!(text.as_str().unwrap()),
            View::Bytes(data) => json!({"bytes": hex(data.as_slice())}),
            View::Tuple(items) => json!({"tuple": self.describe_all(items.iter())}),
            View::List(items) => json!({"list": self.describe_all(items.iter())}),
            View::Dict(pairs) => {
                let pairs: Vec<Json> = pairs
                    .iter()
                    .map(|(k, v)| json!([self.describe(k), self.describe(v)]))
                    .collect();
                json!({"dict": pairs})
            }
            View::Global(global) => json!({"class_ref": global.to_string()}),
            View::Object(object) if object.kind == ObjectKind::Instance => {
                let class = interp
                    .class_def(&object.callable)
                    .expect("an instance of a class pickled by value")
                    .unwrap();
                let name = class.qualname.unwrap_or(class.name);
                self.within(value, name, |this| {
                    let class = this.describe(&object.callable);
                    let mut state: Vec<(&str, &'g Value)> = object
                        .state
                        .iter()
                        .map(|(k, v)| (interp.graph().get(k).as_str().unwrap(), v))
                        .collect();
                    state.sort_by_key(|(k, _)| *k);
                    let state: Vec<Json> = state
                        .into_iter()
                        .map(|(k, v)| json!([k, this.describe(v)]))
                        .collect();
                    json!({"instance": class, "state": {"dict": state}})
                })
            }
            other => match interp.code(value) {
                Some(_) => panic!("a code object outside a function"),
                None => panic!("no description for {}", other.describe()),
            },
        }
    }

    fn describe_all(&mut self, items: impl Iterator<Item = &'g Value>) -> Vec<Json> {
        items.map(|item| self.describe(item)).collect()
    }

    fn within(
        &mut self,
        value: &Value,
        name: &str,
        describe: impl FnOnce(&mut Self) -> Json,
    ) -> Json {
        self.stack.push((value.node().unwrap(), name.to_owned()));
        let out = describe(self);
        self.stack.pop();
        out
    }

    fn function(&mut self, function: &Function<'g>) -> Json {
        self.functions += 1;
        let interp = self.interp;
        let graph = interp.graph();
        let globals: Vec<(&str, &'g Value)> = match (&function.globals, &self.session) {
            (Globals::Dict(_), _) => function.referenced_globals(),
            (Globals::Module("__main__"), Some(session)) => function
                .code
                .global_names()
                .into_iter()
                .filter_map(|name| Some((name, session.get(name)?)))
                .collect(),
            // A module's dict by reference: the loading process's, which defines none of
            // the names these functions use.
            (Globals::Module(_), _) => Vec::new(),
        };
        let mut globals_json = Map::new();
        for (name, value) in globals {
            globals_json.insert(name.to_owned(), self.describe(value));
        }
        let cells = function.closure.clone().unwrap_or_default();
        let closure: Vec<Json> = cells
            .iter()
            .map(|cell| match cell {
                Cell::Full(value) => self.describe(value),
                Cell::Empty => json!("<empty cell>"),
            })
            .collect();
        let closure_repr: Vec<Json> = cells
            .iter()
            .map(|cell| match cell {
                Cell::Full(value) => json!(self.repr(value)),
                Cell::Empty => json!(self.repr_str("<empty cell>")),
            })
            .collect();
        let mut dict: Vec<(&str, &'g Value)> = function
            .dict
            .iter()
            .map(|(k, v)| (graph.get(k).as_str().unwrap(), v))
            .collect();
        dict.sort_by_key(|(k, _)| *k);
        let dict: Vec<Json> = dict
            .into_iter()
            .map(|(k, v)| json!([k, self.describe(v)]))
            .collect();
        let defaults = match function.defaults {
            Some(items) => json!({"tuple": self.describe_all(items.iter())}),
            None => Json::Null,
        };
        let kwdefaults = match function.kwdefaults {
            Some(value) => self.describe(value),
            None => Json::Null,
        };
        let doc = function.doc().map_or(Json::Null, |doc| self.describe(doc));
        json!({
            "function": function.qualname,
            "module": function.module,
            "name": function.name,
            "code": self.code(&function.code),
            "defaults": defaults,
            "kwdefaults": kwdefaults,
            "globals": globals_json,
            "global_names": function.code.global_names(),
            "closure": closure,
            "closure_repr": closure_repr,
            "dict": {"dict": dict},
            "doc": doc,
        })
    }

    fn code(&mut self, code: &Code<'g>) -> Json {
        let consts: Vec<Json> = code
            .consts
            .iter()
            .map(|c| match c {
                Const::Code(nested) => self.code(nested),
                Const::Value(value) => self.describe(value),
            })
            .collect();
        let consts_repr: Vec<String> = code
            .consts
            .iter()
            .map(|c| match c {
                Const::Code(nested) => format!("<code {}>", nested.qualname()),
                Const::Value(value) => self.repr(value),
            })
            .collect();
        let bytecode = code.bytecode.as_slice();
        json!({
            "name": code.qualname(),
            "co_name": code.name,
            "bytes": hex(bytecode),
            "sha256": hex(&Sha256::digest(bytecode)),
            "consts": consts,
            "consts_repr": consts_repr,
            "names": code.names,
            "varnames": code.varnames,
            "freevars": code.freevars,
            "cellvars": code.cellvars,
            "args": [code.argcount, code.posonlyargcount, code.kwonlyargcount],
            "flags": code.flags,
            "filename": code.filename,
            "firstlineno": code.firstlineno,
            "nlocals": code.nlocals,
            "stacksize": code.stacksize,
            "linetable": hex(code.linetable.as_slice()),
            "exceptiontable": hex(code.exceptiontable.as_ref().unwrap().as_slice()),
        })
    }

    fn class(&mut self, class: &ClassDef<'g>) -> Json {
        let bases = self.describe_all(class.bases.iter());
        let mut attrs = Map::new();
        for (key, member) in &class.namespace {
            let described = match member {
                Member::Function(function) => self.function(function),
                Member::ClassMethod(function) => json!({"classmethod": self.function(function)}),
                Member::StaticMethod(function) => json!({"staticmethod": self.function(function)}),
                Member::Property { getter, .. } => {
                    let getter = getter.as_ref().map(|getter| self.function(getter));
                    json!({ "property": getter })
                }
                Member::Value(value) => self.describe(value),
                other => panic!("unexpected member {other:?}"),
            };
            attrs.insert((*key).to_owned(), described);
        }
        // Python gives every class a `__doc__`, None unless the body has a docstring.
        attrs.entry("__doc__").or_insert(Json::Null);
        json!({
            "class": class.qualname.unwrap_or(class.name),
            "bases": bases,
            "attrs": attrs,
        })
    }

    fn repr(&self, value: &Value) -> String {
        repr(&self.interp, value)
    }

    fn repr_str(&self, text: &str) -> String {
        brine_lex::repr::str_repr(text.as_bytes())
    }
}

/// Python's `repr`, with functions, classes and code named (`stable_repr`).
fn repr(interp: &Interpreter<'_>, value: &Value) -> String {
    if let Some(function) = interp.function(value) {
        return format!("<function {}>", function.unwrap().qualname);
    }
    if let Some(class) = interp.class_def(value) {
        let class = class.unwrap();
        return format!("<type {}>", class.qualname.unwrap_or(class.name));
    }
    match interp.view(value) {
        View::None => "None".to_owned(),
        View::Bool(v) => if v { "True" } else { "False" }.to_owned(),
        View::Int(v) => v.to_string(),
        View::Float(v) => brine_lex::repr::float_repr(v),
        View::Str(text) => brine_lex::repr::str_repr(text.as_bytes()),
        View::Bytes(data) => brine_lex::repr::bytes_repr(data.as_slice()),
        View::Tuple(items) => {
            let items: Vec<String> = items.iter().map(|item| repr(interp, item)).collect();
            match items.as_slice() {
                [one] => format!("({one},)"),
                _ => format!("({})", items.join(", ")),
            }
        }
        other => panic!("no repr for {}", other.describe()),
    }
}

fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}

/// Python's `float.hex()`.
fn float_hex(value: f64) -> String {
    if value.is_nan() {
        return "nan".to_owned();
    }
    if value.is_infinite() {
        return if value > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    let sign = if value.is_sign_negative() { "-" } else { "" };
    let bits = value.to_bits();
    let exponent = ((bits >> 52) & 0x7ff) as i64;
    let mantissa = bits & ((1 << 52) - 1);
    if exponent == 0 && mantissa == 0 {
        return format!("{sign}0x0.0p+0");
    }
    let (lead, exp) = if exponent == 0 {
        (0, -1022)
    } else {
        (1, exponent - 1023)
    };
    let digits = format!("{mantissa:013x}");
    let exp_sign = if exp >= 0 { "+" } else { "-" };
    format!("{sign}0x{lead}.{digits}p{exp_sign}{}", exp.abs())
}

fn first_difference(a: &Json, b: &Json, path: &str) -> String {
    match (a, b) {
        (Json::Object(x), Json::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                match (x.get(key), y.get(key)) {
                    (Some(p), Some(q)) if p != q => {
                        return first_difference(p, q, &format!("{path}.{key}"));
                    }
                    (Some(_), None) => return format!("{path}.{key}: not read"),
                    (None, Some(_)) => return format!("{path}.{key}: read but not expected"),
                    _ => {}
                }
            }
        }
        (Json::Array(x), Json::Array(y)) if x.len() == y.len() => {
            for (idx, (p, q)) in x.iter().zip(y).enumerate() {
                if p != q {
                    return first_difference(p, q, &format!("{path}[{idx}]"));
                }
            }
        }
        _ => {}
    }
    format!("{path}: expected {a} but read {b}")
}

#[test]
fn float_hex_is_pythons() {
    // float.hex() of each, from CPython 3.11.7.
    assert_eq!(float_hex(4.5), "0x1.2000000000000p+2");
    assert_eq!(float_hex(0.1), "0x1.999999999999ap-4");
    assert_eq!(float_hex(-0.0), "-0x0.0p+0");
    assert_eq!(float_hex(5e-324), "0x0.0000000000001p-1022");
}

/// Functions with what the fixtures lack (positional-only and keyword-only parameters with
/// defaults, a `try` block and so an exception table, a generator, a comprehension, a closure
/// over a cell variable, constants of every literal kind), pickled by cloudpickle and dill
/// (`recurse=True`) at protocols 0, 2, 4 and 5, loaded back, and described as CPython sees
/// the loaded function: one JSON line per case. `sys.argv[1]` is the third-party venv's
/// site-packages, put last on the path so that another CPython can import the two (pure
/// Python) libraries from it.
const FUNCTIONS: &str = r#"
import hashlib, json, pickle, sys, types
sys.path.append(sys.argv[1])
import cloudpickle, dill

SOURCE = '''
import math
K = 10
def plain(a, b=2, /, c=3, *args, d, e=5, **kw):
    "doc of plain"
    return a + b + c + d + e + K + len(args) + len(kw)
def guarded(x):
    try:
        return 1 / x
    except ZeroDivisionError:
        return math.inf
    finally:
        K
def gen(n):
    for i in range(n):
        yield i * K
def comp(xs):
    return [y for y in xs if y > K]
def outer(n):
    m = n * 2
    def inner(z):
        return z + m + n
    return inner
lam = lambda q: (q, 1.5, -0.0, "s\\u00e9", b"b\\x00", None, True, (1, (2,)), 2 ** 70)
'''
exec(compile(SOURCE, "<brine-code-test>", "exec"), globals())

def code(co):
    return {
        "name": co.co_name, "qualname": co.co_qualname,
        "counts": [co.co_argcount, co.co_posonlyargcount, co.co_kwonlyargcount, co.co_nlocals,
                   co.co_stacksize, co.co_flags, co.co_firstlineno],
        "code": co.co_code.hex(),
        "consts": [code(c) if isinstance(c, types.CodeType) else repr(c) for c in co.co_consts],
        "names": list(co.co_names), "varnames": list(co.co_varnames),
        "freevars": list(co.co_freevars), "cellvars": list(co.co_cellvars),
        "filename": co.co_filename, "linetable": co.co_linetable.hex(),
        "exceptiontable": co.co_exceptiontable.hex(),
    }

def function(f):
    return {
        "name": f.__name__, "qualname": f.__qualname__, "module": f.__module__,
        "code": code(f.__code__), "defaults": repr(f.__defaults__),
        "kwdefaults": repr(sorted((f.__kwdefaults__ or {}).items())), "doc": f.__doc__,
        "closure": [repr(c.cell_contents) for c in f.__closure__ or ()],
    }

for obj in [plain, guarded, gen, comp, outer(3), lam]:
    for lib, dumps, loads in [("cloudpickle", cloudpickle.dumps, pickle.loads),
                              ("dill", lambda o, protocol: dill.dumps(o, protocol=protocol, recurse=True), dill.loads)]:
        for protocol in (0, 2, 4, 5):
            data = dumps(obj, protocol=protocol)
            print(json.dumps({"lib": lib, "protocol": protocol, "pickle": data.hex(),
                              "function": function(loads(data))}))
"#;

/// [`FUNCTIONS`] under the reference CPython (3.11.7, in the venv) and under 3.13.0, which
/// writes other bytecode, line tables and exception tables in the same `CodeType` signature:
/// every field brine reads is what CPython loaded.
#[test]
fn functions_read_as_cpython_loads_them_in_311_and_313() {
    let venv = match brine_python::venv() {
        Ok(python) => python,
        Err(err) => return brine_python::skip(err),
    };
    let site = brine_python::command(&venv)
        .args([
            "-c",
            "import dill, os; print(os.path.dirname(os.path.dirname(dill.__file__)))",
        ])
        .output()
        .expect("run the venv's python");
    assert!(
        site.status.success(),
        "{}",
        String::from_utf8_lossy(&site.stderr)
    );
    let site = String::from_utf8(site.stdout).unwrap().trim().to_owned();
    let mut pythons = vec![("3.11.7", venv)];
    match brine_python::locate("py313") {
        Ok(python) => pythons.push(("3.13.0", python)),
        Err(err) => brine_python::skip(err),
    }
    for (version, python) in pythons {
        let out = brine_python::command(&python)
            .args(["-s", "-c", FUNCTIONS, &site])
            .output()
            .expect("run python");
        assert!(
            out.status.success(),
            "{version}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut checked = 0;
        for line in String::from_utf8(out.stdout).unwrap().lines() {
            let case: Json = serde_json::from_str(line).unwrap();
            let what = format!(
                "{version} {} p{} {}",
                case["lib"].as_str().unwrap(),
                case["protocol"],
                case["function"]["qualname"].as_str().unwrap()
            );
            let pickle = unhex(case["pickle"].as_str().unwrap());
            let graph = brine_vm::from_slice(&pickle, &Default::default())
                .unwrap_or_else(|err| panic!("{what}: {err}"));
            let interp = Interpreter::new(&graph);
            let function = interp
                .function(graph.root_value())
                .unwrap_or_else(|| panic!("{what}: not a function"))
                .unwrap_or_else(|err| panic!("{what}: {err}"));
            let ours = loaded_function(&interp, &function);
            if ours != case["function"] {
                panic!(
                    "{what}: {}",
                    first_difference(&case["function"], &ours, "$")
                );
            }
            checked += 1;
        }
        assert_eq!(checked, 6 * 2 * 4, "{version}: every case printed");
    }
}

/// What [`FUNCTIONS`] prints of a loaded function, from brine's description.
fn loaded_function(interp: &Interpreter<'_>, function: &Function<'_>) -> Json {
    let defaults = match function.defaults {
        Some(items) => repr_tuple(interp, items),
        None => "None".to_owned(),
    };
    let mut kwdefaults: Vec<(String, String)> = match function.kwdefaults {
        Some(value) => match interp.view(value) {
            View::Dict(pairs) => pairs
                .iter()
                .map(|(k, v)| {
                    (
                        interp.graph().get(k).as_str().unwrap().to_owned(),
                        repr(interp, v),
                    )
                })
                .collect(),
            other => panic!("kwdefaults {}", other.describe()),
        },
        None => Vec::new(),
    };
    kwdefaults.sort();
    let kwdefaults: Vec<String> = kwdefaults
        .iter()
        .map(|(k, v)| format!("({}, {v})", brine_lex::repr::str_repr(k.as_bytes())))
        .collect();
    let closure: Vec<String> = function
        .closure
        .iter()
        .flatten()
        .map(|cell| match cell {
            Cell::Full(value) => repr(interp, value),
            Cell::Empty => panic!("an empty cell"),
        })
        .collect();
    let doc = function
        .doc()
        .map(|doc| interp.graph().get(doc).as_str().unwrap().to_owned());
    json!({
        "name": function.name,
        "qualname": function.qualname,
        "module": function.module,
        "code": loaded_code(interp, &function.code),
        "defaults": defaults,
        "kwdefaults": format!("[{}]", kwdefaults.join(", ")),
        "doc": doc,
        "closure": closure,
    })
}

fn loaded_code(interp: &Interpreter<'_>, code: &Code<'_>) -> Json {
    let consts: Vec<Json> = code
        .consts
        .iter()
        .map(|c| match c {
            Const::Code(nested) => loaded_code(interp, nested),
            Const::Value(value) => json!(repr(interp, value)),
        })
        .collect();
    json!({
        "name": code.name,
        "qualname": code.qualname(),
        "counts": [code.argcount, code.posonlyargcount, code.kwonlyargcount, code.nlocals,
                   code.stacksize, code.flags, code.firstlineno],
        "code": hex(code.bytecode.as_slice()),
        "consts": consts,
        "names": code.names,
        "varnames": code.varnames,
        "freevars": code.freevars,
        "cellvars": code.cellvars,
        "filename": code.filename,
        "linetable": hex(code.linetable.as_slice()),
        "exceptiontable": hex(code.exceptiontable.as_ref().unwrap().as_slice()),
    })
}

fn repr_tuple(interp: &Interpreter<'_>, items: &[Value]) -> String {
    let items: Vec<String> = items.iter().map(|item| repr(interp, item)).collect();
    match items.as_slice() {
        [one] => format!("({one},)"),
        _ => format!("({})", items.join(", ")),
    }
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|idx| u8::from_str_radix(&text[idx..idx + 2], 16).unwrap())
        .collect()
}

/// A graph builder for the forms no fixture has.
struct Build {
    graph: brine_value::Graph,
}

impl Build {
    fn new() -> Build {
        Build {
            graph: brine_value::Graph::new(),
        }
    }

    fn global(&mut self, module: &str, name: &str) -> Value {
        let (module, name) = (self.graph.add_str(module), self.graph.add_str(name));
        Value::Node(self.graph.add(brine_value::Node::Global { module, name }))
    }

    fn text(&mut self, text: &str) -> Value {
        self.graph.add_str(text)
    }

    fn bytes(&mut self, data: &[u8]) -> Value {
        Value::Node(
            self.graph
                .add(brine_value::Node::Bytes(bytes::Bytes::copy_from_slice(
                    data,
                ))),
        )
    }

    fn tuple(&mut self, items: Vec<Value>) -> Value {
        Value::Node(self.graph.add(brine_value::Node::Tuple(items)))
    }

    fn names(&mut self, names: &[&str]) -> Value {
        let items = names.iter().map(|name| self.text(name)).collect();
        self.tuple(items)
    }

    fn call(&mut self, callable: Value, args: Vec<Value>) -> Value {
        let args = self.tuple(args);
        Value::Node(self.graph.add(brine_value::Node::Reduce { callable, args }))
    }
}

/// The arguments of `types.CodeType` in `signature`'s order (CPython's `CodeType` docs for
/// 3.7, 3.8-3.10, 3.11-3.13 and the 3.11 alphas; PyPy 3.11's as dill 0.4.1 writes it), each
/// field a value that says which it is.
fn code_args(b: &mut Build, signature: brine_interpret::code::CodeSignature) -> Vec<Value> {
    use brine_interpret::code::CodeSignature as S;
    let mut args = vec![Value::Int(1)];
    if signature != S::Py37 {
        args.push(Value::Int(2));
    }
    args.extend([Value::Int(3), Value::Int(4), Value::Int(5), Value::Int(6)]);
    args.push(b.bytes(b"CODE"));
    let none = b.tuple(vec![Value::None]);
    args.push(none);
    args.push(b.names(&["n"]));
    args.push(b.names(&["v"]));
    args.push(b.text("file.py"));
    args.push(b.text("nm"));
    if matches!(signature, S::PyPy311 | S::Py311 | S::Py311Alpha) {
        args.push(b.text("Q.nm"));
    }
    args.push(Value::Int(7));
    args.push(b.bytes(b"LINES"));
    if signature == S::Py311Alpha {
        args.push(b.bytes(b"END"));
        args.push(b.bytes(b"COLUMNS"));
    }
    if matches!(signature, S::Py311 | S::Py311Alpha) {
        args.push(b.bytes(b"EXC"));
    }
    args.push(b.names(&["fv"]));
    args.push(b.names(&["cv"]));
    args
}

#[test]
fn every_code_type_signature_is_read_by_position() {
    use brine_interpret::code::{CodeSignature as S, Producer};
    for signature in [S::Py37, S::Py38, S::PyPy311, S::Py311, S::Py311Alpha] {
        for (producer, lnotab) in [
            (Producer::Types, false),
            (Producer::Dill, false),
            (Producer::Dill, true),
        ] {
            let mut b = Build::new();
            let callable = match producer {
                Producer::Types => b.global("types", "CodeType"),
                _ => b.global("dill._dill", "_create_code"),
            };
            let mut args = code_args(&mut b, signature);
            if lnotab {
                let lnotab = b.bytes(b"LNOTAB");
                args.insert(0, lnotab);
            }
            let root = b.call(callable, args);
            b.graph.set_root(root);
            let interp = Interpreter::new(&b.graph);
            let case = format!("{signature:?} {producer:?} lnotab {lnotab}");
            let code = interp
                .code(b.graph.root_value())
                .unwrap()
                .unwrap_or_else(|err| panic!("{case}: {err}"));
            assert_eq!(code.signature, signature, "{case}");
            assert_eq!(code.producer, producer, "{case}");
            let posonly = if signature == S::Py37 { 0 } else { 2 };
            assert_eq!(
                [
                    code.argcount,
                    code.posonlyargcount,
                    code.kwonlyargcount,
                    code.nlocals,
                    code.stacksize,
                    code.flags
                ],
                [1, posonly, 3, 4, 5, 6],
                "{case}"
            );
            assert_eq!(code.bytecode.as_slice(), b"CODE", "{case}");
            assert_eq!(code.consts.len(), 1, "{case}");
            assert_eq!(
                (code.names.as_slice(), code.varnames.as_slice()),
                (&["n"][..], &["v"][..]),
                "{case}"
            );
            assert_eq!(
                (code.filename, code.name, code.firstlineno),
                ("file.py", "nm", 7),
                "{case}"
            );
            let qualname = if matches!(signature, S::Py37 | S::Py38) {
                None
            } else {
                Some("Q.nm")
            };
            assert_eq!(code.qualname, qualname, "{case}");
            assert_eq!(code.linetable.as_slice(), b"LINES", "{case}");
            assert_eq!(
                code.lnotab.as_ref().map(|data| data.as_slice()),
                lnotab.then_some(&b"LNOTAB"[..]),
                "{case}"
            );
            let exceptiontable =
                matches!(signature, S::Py311 | S::Py311Alpha).then_some(&b"EXC"[..]);
            assert_eq!(
                code.exceptiontable.as_ref().map(|data| data.as_slice()),
                exceptiontable,
                "{case}"
            );
            assert_eq!(
                code.alpha_tables.is_some(),
                signature == S::Py311Alpha,
                "{case}"
            );
            assert_eq!(
                (code.freevars.as_slice(), code.cellvars.as_slice()),
                (&["fv"][..], &["cv"][..]),
                "{case}"
            );
        }
    }
}

#[test]
fn malformed_code_and_functions_are_errors() {
    use brine_interpret::code::{CodeError, CodeSignature};
    // 19 arguments: no signature.
    let mut b = Build::new();
    let callable = b.global("types", "CodeType");
    let mut args = code_args(&mut b, CodeSignature::Py311);
    args.push(Value::None);
    let root = b.call(callable, args);
    b.graph.set_root(root);
    let err = Interpreter::new(&b.graph)
        .code(b.graph.root_value())
        .unwrap()
        .unwrap_err();
    assert!(matches!(err, CodeError::Unsupported(_)), "{err}");

    // Text where the bytecode belongs.
    let mut b = Build::new();
    let callable = b.global("types", "CodeType");
    let mut args = code_args(&mut b, CodeSignature::Py311);
    args[6] = b.text("CODE");
    let root = b.call(callable, args);
    b.graph.set_root(root);
    let err = Interpreter::new(&b.graph)
        .code(b.graph.root_value())
        .unwrap()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "not a function, code object or class as pickled: co_code is a str, not bytes"
    );

    // A function whose code is an int, and one with two cells for one free variable.
    let mut b = Build::new();
    let make = b.global("cloudpickle.cloudpickle", "_make_function");
    let globals = Value::Node(b.graph.add(brine_value::Node::Dict(Vec::new())));
    let root = b.call(
        make,
        vec![
            Value::Int(1),
            globals,
            Value::None,
            Value::None,
            Value::None,
        ],
    );
    b.graph.set_root(root);
    let err = Interpreter::new(&b.graph)
        .function(b.graph.root_value())
        .unwrap()
        .unwrap_err();
    assert!(
        err.to_string().ends_with("the function's code is a int"),
        "{err}"
    );

    let mut b = Build::new();
    let code_type = b.global("types", "CodeType");
    let args = code_args(&mut b, CodeSignature::Py311);
    let code = b.call(code_type, args);
    let cell = b.global("types", "CellType");
    let cells = vec![
        b.call(cell, vec![Value::Int(1)]),
        b.call(cell, vec![Value::Int(2)]),
    ];
    let closure = b.tuple(cells);
    let function_type = b.global("types", "FunctionType");
    let globals = Value::Node(b.graph.add(brine_value::Node::Dict(Vec::new())));
    let root = b.call(
        function_type,
        vec![code, globals, Value::None, Value::None, closure],
    );
    b.graph.set_root(root);
    let err = Interpreter::new(&b.graph)
        .function(b.graph.root_value())
        .unwrap()
        .unwrap_err();
    assert!(
        err.to_string()
            .ends_with("a closure of 2 cells for 1 free variables"),
        "{err}"
    );
}

/// Code objects nested in each other's constants beyond `MAX_DEPTH` are an error, not a
/// stack overflow.
#[test]
fn deeply_nested_code_is_an_error() {
    use brine_interpret::code::{CodeError, CodeSignature, MAX_DEPTH};
    let mut b = Build::new();
    let callable = b.global("types", "CodeType");
    let mut inner = Value::None;
    for _ in 0..MAX_DEPTH + 8 {
        let mut args = code_args(&mut b, CodeSignature::Py311);
        args[7] = b.tuple(vec![inner]);
        inner = b.call(callable, args);
    }
    b.graph.set_root(inner);
    let err = Interpreter::new(&b.graph)
        .code(b.graph.root_value())
        .unwrap()
        .unwrap_err();
    assert_eq!(err, CodeError::TooDeep);
}

/// A class of many dill methods, each with a cell dill fills afterwards (as it writes a
/// method's `__class__` cell): every cell reads the value set, and finding them is one pass
/// for the class, not one per method (20,000 methods would take minutes otherwise).
#[test]
fn the_cells_of_many_methods_are_found_in_one_pass() {
    use brine_interpret::code::CodeSignature;
    const METHODS: usize = 20_000;
    let mut b = Build::new();
    let code_type = b.global("types", "CodeType");
    let create_function = b.global("dill._dill", "_create_function");
    let create_cell = b.global("dill._dill", "_create_cell");
    let setattr = b.global("builtins", "setattr");
    let attr = b.text("cell_contents");
    let args = code_args(&mut b, CodeSignature::Py311);
    let code = b.call(code_type, args);
    let mut namespace = Vec::new();
    for idx in 0..METHODS {
        let cell = b.call(create_cell, vec![Value::None]);
        let closure = b.tuple(vec![cell]);
        let globals = Value::Node(b.graph.add(brine_value::Node::Dict(Vec::new())));
        let function = b.call(
            create_function,
            vec![code, globals, Value::None, Value::None, closure],
        );
        let fill = b.call(setattr, vec![cell, attr, Value::Int(idx as i64)]);
        b.graph
            .push_change(function.node().unwrap(), brine_value::Change::Effect(fill));
        let name = b.text(&format!("m{idx}"));
        namespace.push((name, function));
    }
    let create_type = b.global("dill._dill", "_create_type");
    let metaclass = b.global("builtins", "type");
    let name = b.text("C");
    let bases = b.tuple(Vec::new());
    let namespace = Value::Node(b.graph.add(brine_value::Node::Dict(namespace)));
    let root = b.call(create_type, vec![metaclass, name, bases, namespace]);
    b.graph.set_root(root);
    let class = Interpreter::new(&b.graph)
        .class_def(b.graph.root_value())
        .unwrap()
        .unwrap();
    assert_eq!(class.namespace.len(), METHODS);
    for (idx, (_, member)) in class.namespace.iter().enumerate() {
        let Member::Function(function) = member else {
            panic!("m{idx} is {member:?}");
        };
        match function.closure.as_deref() {
            Some([Cell::Full(Value::Int(n))]) => assert_eq!(*n, idx as i64),
            other => panic!("m{idx}: {other:?}"),
        }
    }
}

/// An enum and a class defined in `__main__`, pickled by value by cloudpickle and dill, and
/// what CPython sees of each once loaded: its name, qualified name, module, the base names,
/// the enum members and the methods' names. `sys.argv[1]` is the venv's site-packages.
const CLASSES: &str = r#"
import enum, json, pickle, sys
sys.path.append(sys.argv[1])
import cloudpickle, dill

SOURCE = '''
import enum
class Color(enum.Enum):
    RED = 1
    GREEN = "g"
    def describe(self):
        return self.name.lower()
class Box:
    size = 3
    def __init__(self, item):
        self.item = item
    @staticmethod
    def make():
        return Box(None)
'''
exec(compile(SOURCE, "<brine-class-test>", "exec"), globals())

for cls in [Color, Box]:
    for lib, dumps, loads in [("cloudpickle", cloudpickle.dumps, pickle.loads),
                              ("dill", lambda o, protocol: dill.dumps(o, protocol=protocol, recurse=True), dill.loads)]:
        if lib == "dill" and cls is Color:
            continue  # dill warns that it cannot pickle an enum class with its members
        for protocol in (0, 4):
            loaded = loads(dumps(cls, protocol=protocol))
            members = [[m.name, repr(m.value)] for m in loaded] if issubclass(loaded, enum.Enum) else []
            methods = sorted(k for k, v in vars(loaded).items()
                             if callable(v) or isinstance(v, staticmethod))
            print(json.dumps({"lib": lib, "protocol": protocol,
                              "pickle": dumps(cls, protocol=protocol).hex(),
                              "name": loaded.__name__, "qualname": loaded.__qualname__,
                              "module": loaded.__module__,
                              "bases": ["%s.%s" % (b.__module__, b.__qualname__) for b in loaded.__bases__],
                              "members": members, "methods": methods}))
"#;

#[test]
fn classes_and_enums_read_as_cpython_loads_them() {
    use brine_interpret::code::ClassKind;
    let venv = match brine_python::venv() {
        Ok(python) => python,
        Err(err) => return brine_python::skip(err),
    };
    let site = brine_python::command(&venv)
        .args([
            "-c",
            "import dill, os; print(os.path.dirname(os.path.dirname(dill.__file__)))",
        ])
        .output()
        .expect("run the venv's python");
    let site = String::from_utf8(site.stdout).unwrap().trim().to_owned();
    let out = brine_python::command(&venv)
        .args(["-s", "-c", CLASSES, &site])
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut checked = 0;
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let case: Json = serde_json::from_str(line).unwrap();
        let what = format!("{} p{} {}", case["lib"], case["protocol"], case["name"]);
        let graph = brine_vm::from_slice(
            &unhex(case["pickle"].as_str().unwrap()),
            &Default::default(),
        )
        .unwrap_or_else(|err| panic!("{what}: {err}"));
        let interp = Interpreter::new(&graph);
        let class = interp
            .class_def(graph.root_value())
            .unwrap_or_else(|| panic!("{what}: not a class"))
            .unwrap_or_else(|err| panic!("{what}: {err}"));
        assert_eq!(class.name, case["name"], "{what}");
        assert_eq!(
            class.qualname.unwrap_or(class.name),
            case["qualname"],
            "{what}"
        );
        assert_eq!(class.module, case["module"].as_str(), "{what}");
        let bases: Vec<String> = class
            .bases
            .iter()
            .map(|base| match interp.view(base) {
                View::Global(global) => global.to_string(),
                _ => match interp.builtin_class(base) {
                    Some((module, name)) => format!("{module}.{name}"),
                    None => panic!("{what}: base {}", interp.describe(base)),
                },
            })
            .collect();
        assert_eq!(json!(bases), case["bases"], "{what}");
        let members: Vec<Json> = class
            .enum_members
            .iter()
            .map(|(name, value)| {
                json!([
                    interp.graph().get(name).as_str().unwrap(),
                    repr(&interp, value)
                ])
            })
            .collect();
        assert_eq!(json!(members), case["members"], "{what}");
        assert_eq!(class.kind == ClassKind::Enum, !members.is_empty(), "{what}");
        let mut methods: Vec<&str> = class
            .namespace
            .iter()
            .filter(|(_, member)| {
                matches!(
                    member,
                    Member::Function(_) | Member::StaticMethod(_) | Member::ClassMethod(_)
                )
            })
            .map(|(name, _)| *name)
            .collect();
        methods.sort_unstable();
        // Python adds methods of its own to an enum (`__new__`, `_generate_next_value_`, ...);
        // the ones the pickle defines are among what CPython lists.
        let listed: Vec<&str> = case["methods"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m.as_str().unwrap())
            .collect();
        for method in &methods {
            assert!(
                listed.contains(method),
                "{what}: {method} not in {listed:?}"
            );
        }
        assert!(
            methods.contains(&"describe") || methods.contains(&"__init__"),
            "{what}: {methods:?}"
        );
        checked += 1;
    }
    // The enum by cloudpickle, the class by both, at two protocols each.
    assert_eq!(checked, 6);
}
