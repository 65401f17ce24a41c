//! Prints what a function pickled by cloudpickle or dill is made of (its code object's names,
//! constants, bytecode and line table, its defaults, the globals it uses and its closure),
//! without Python and without running anything: the pickle that Ray, Dask or PySpark would
//! ship, read as a description.
//!
//! Run with `cargo run -p brine --example inspect_function` for the lambda
//! `lambda x: x * SCALE + 1` that cloudpickle 3.1.3 pickled under CPython 3.11.7
//! (`fixtures/thirdparty/pickles/cloudpickle_lambda.p4.pickle`), or with `-- FILE` for any
//! other pickle: a function, a class pickled by value (each method is printed), a list of them
//! or a `dill.dump_session` file.

use brine::Value;
use brine::interpret::code::{Cell, CellFills, ClassDef, Const, Function, Globals, Member};
use brine::interpret::{Interpreter, View};

const LAMBDA: &[u8] =
    include_bytes!("../../../fixtures/thirdparty/pickles/cloudpickle_lambda.p4.pickle");

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data = match std::env::args_os().nth(1) {
        Some(path) => std::fs::read(path)?,
        None => LAMBDA.to_vec(),
    };
    // `loads` refuses nothing a pickle names, and brine never imports or calls it: the code
    // objects stay bytes.
    let graph = brine::loads(&data)?;
    let interp = Interpreter::new(&graph);
    // The cells dill fills after making them, found once for every function printed.
    let fills = interp.cell_fills();
    let root = graph.root_value();
    if let Some(session) = interp.session(root) {
        println!("session of module {}", session.module);
        for (key, value) in session.dict.iter() {
            let name = graph.get(key).as_str().unwrap_or("?");
            show(&interp, &fills, name, value)?;
        }
        return Ok(());
    }
    match interp.view(root) {
        View::List(items) => {
            for (idx, item) in items.iter().enumerate() {
                show(&interp, &fills, &format!("[{idx}]"), item)?;
            }
        }
        _ => show(&interp, &fills, "root", root)?,
    }
    Ok(())
}

/// Prints `value` if it is a function or a class pickled by value, in one line otherwise.
fn show<'g>(
    interp: &Interpreter<'g>,
    fills: &CellFills<'g>,
    label: &str,
    value: &Value,
) -> Result<(), Box<dyn std::error::Error>> {
    if let Some(function) = interp.function_with(value, fills) {
        print_function(interp, &function?, "");
    } else if let Some(class) = interp.class_def_with(value, fills) {
        print_class(interp, &class?);
    } else {
        println!("{label}: {}", short(interp, value));
    }
    Ok(())
}

fn print_class(interp: &Interpreter<'_>, class: &ClassDef<'_>) {
    let bases: Vec<String> = class.bases.iter().map(|base| short(interp, base)).collect();
    println!(
        "class {} ({}), by {:?}, module {}",
        class.qualname.unwrap_or(class.name),
        bases.join(", "),
        class.producer,
        class.module.unwrap_or("?")
    );
    for (name, member) in &class.namespace {
        match member {
            Member::Function(function) => print_function(interp, function, "  "),
            Member::ClassMethod(function) => {
                println!("  @classmethod");
                print_function(interp, function, "  ");
            }
            Member::StaticMethod(function) => {
                println!("  @staticmethod");
                print_function(interp, function, "  ");
            }
            Member::Property { getter, .. } => {
                println!("  @property {name}");
                if let Some(getter) = getter {
                    print_function(interp, getter, "  ");
                }
            }
            Member::Value(value) => println!("  {name} = {}", short(interp, value)),
            other => println!("  {name}: {other:?}"),
        }
    }
}

fn print_function(interp: &Interpreter<'_>, function: &Function<'_>, indent: &str) {
    let code = &function.code;
    println!(
        "{indent}function {} (name {}, module {}), by {:?}",
        function.qualname,
        function.name,
        function.module.unwrap_or("?"),
        function.producer
    );
    println!(
        "{indent}  signature {:?}: {} positional ({} positional-only), {} keyword-only; \
         flags {:#x}, {} locals, stack {}",
        code.signature,
        code.argcount,
        code.posonlyargcount,
        code.kwonlyargcount,
        code.flags,
        code.nlocals,
        code.stacksize
    );
    println!("{indent}  varnames  {:?}", code.varnames);
    println!("{indent}  names     {:?}", code.names);
    if !code.freevars.is_empty() || !code.cellvars.is_empty() {
        println!(
            "{indent}  freevars  {:?}, cellvars {:?}",
            code.freevars, code.cellvars
        );
    }
    let consts: Vec<String> = code
        .consts
        .iter()
        .map(|constant| match constant {
            Const::Code(nested) => format!("<code {}>", nested.qualname()),
            Const::Value(value) => short(interp, value),
        })
        .collect();
    println!("{indent}  consts    ({})", consts.join(", "));
    println!(
        "{indent}  bytecode  {} bytes: {}",
        code.bytecode.as_slice().len(),
        hex(code.bytecode.as_slice())
    );
    println!(
        "{indent}  file {} line {}, line table of {} bytes",
        code.filename,
        code.firstlineno,
        code.linetable.as_slice().len()
    );
    if let Some(defaults) = function.defaults {
        let defaults: Vec<String> = defaults.iter().map(|value| short(interp, value)).collect();
        println!("{indent}  defaults  ({})", defaults.join(", "));
    }
    if let Some(kwdefaults) = function.kwdefaults {
        println!("{indent}  kwdefaults {}", short(interp, kwdefaults));
    }
    match &function.globals {
        Globals::Dict(_) => {
            for (name, value) in function.referenced_globals() {
                println!("{indent}  global    {name} = {}", short(interp, value));
            }
        }
        Globals::Module(module) => println!("{indent}  globals   the __dict__ of module {module}"),
    }
    for (name, cell) in code.freevars.iter().zip(function.closure.iter().flatten()) {
        match cell {
            Cell::Full(value) => println!("{indent}  closure   {name} = {}", short(interp, value)),
            Cell::Empty => println!("{indent}  closure   {name} (empty)"),
        }
    }
}

/// A value in one line: constants as Python writes them, anything else by its kind.
fn short(interp: &Interpreter<'_>, value: &Value) -> String {
    if let Some(Ok(function)) = interp.function(value) {
        return format!("<function {}>", function.qualname);
    }
    if let Some(Ok(class)) = interp.class_def(value) {
        return format!("<class {}>", class.qualname.unwrap_or(class.name));
    }
    if let Some(module) = interp.module_ref(value) {
        return format!("<module {module}>");
    }
    if let Some((module, name)) = interp.builtin_class(value) {
        return format!("{module}.{name}");
    }
    match interp.view(value) {
        View::None => "None".to_owned(),
        View::Bool(v) => if v { "True" } else { "False" }.to_owned(),
        View::Int(v) => v.to_string(),
        View::Float(v) => brine::repr::float_repr(v),
        View::Str(text) => brine::repr::str_repr(text.as_bytes()),
        View::Tuple(items) => {
            let items: Vec<String> = items.iter().map(|item| short(interp, item)).collect();
            match items.as_slice() {
                [one] => format!("({one},)"),
                _ => format!("({})", items.join(", ")),
            }
        }
        View::Global(global) => global.to_string(),
        other => format!("<{}>", other.describe()),
    }
}

fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}
