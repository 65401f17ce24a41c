//! Functions and their closure cells, as cloudpickle, dill and `types.FunctionType` rebuild them.

use brine_value::{Change, NodeId, Value};
use hashbrown::HashMap;

use super::{Code, CodeError, Const, Producer, malformed, producer_of};
use crate::view::{Interpreter, ObjectKind, Pairs, View};

/// A function pickled by value: its code and everything its pickle gives it.
#[derive(Debug, Clone)]
pub struct Function<'g> {
    /// Which library wrote it.
    pub producer: Producer,
    /// `__code__`.
    pub code: Code<'g>,
    /// `__name__`: the name the pickle gives, else the code's.
    pub name: &'g str,
    /// `__qualname__`: the one the pickle sets, else the code's `co_qualname`, else the name.
    pub qualname: &'g str,
    /// `__module__`: the one the pickle sets, else the `__name__` of its globals; `None` when
    /// neither says.
    pub module: Option<&'g str>,
    /// `__globals__`, as far as the pickle holds them.
    pub globals: Globals<'g>,
    /// `__defaults__`: the positional defaults, `None` when there are none.
    pub defaults: Option<&'g [Value]>,
    /// `__kwdefaults__`, a dict of the keyword-only defaults; `None` when the pickle sets
    /// none (or sets `None`).
    pub kwdefaults: Option<&'g Value>,
    /// `__closure__`: a cell per free variable of the code, `None` for a function that
    /// closes over nothing.
    pub closure: Option<Vec<Cell<'g>>>,
    /// `__annotations__`, as the pickle sets it (usually a dict).
    pub annotations: Option<&'g Value>,
    /// `__doc__`, when the pickle sets it; [`Function::doc`] gives what Python has otherwise.
    pub doc: Option<&'g Value>,
    /// The function's `__dict__`: the attributes set on it.
    pub dict: Pairs<'g>,
}

/// What a pickled function has for `__globals__`.
#[derive(Debug, Clone)]
pub enum Globals<'g> {
    /// A dict in the pickle: the names cloudpickle and dill (with `recurse=True`) found the
    /// code uses, beside the module's `__name__` (and, for cloudpickle, `__package__` and
    /// `__file__`), in the order written: cloudpickle's first dict, then what its
    /// `_function_setstate` adds.
    Dict(Pairs<'g>),
    /// The `__dict__` of a module, by reference (dill's default: `__builtin__.__main__`, or
    /// `<module>.__dict__`), which the loading process supplies.
    Module(&'g str),
}

/// A closure cell.
#[derive(Debug, Clone, Copy)]
pub enum Cell<'g> {
    /// A cell with no value yet (a variable assigned after the function was made).
    Empty,
    /// A cell holding a value: the cell's contents once the pickle is loaded, a value set
    /// later by dill's `setattr(cell, 'cell_contents', value)` included.
    Full(&'g Value),
}

impl<'g> Function<'g> {
    /// The value of the global `name` as the pickle gives it; `None` when it is not given (or
    /// the globals are a module's, by reference).
    pub fn global(&self, name: &str) -> Option<&'g Value> {
        let Globals::Dict(pairs) = &self.globals else {
            return None;
        };
        let graph = pairs.graph();
        // A later pair replaces an earlier one, as in the dict Python builds.
        pairs
            .iter()
            .filter(|(key, _)| graph.get(key).as_str() == Some(name))
            .last()
            .map(|(_, value)| value)
    }

    /// The globals the code uses ([`Code::global_names`]) that the pickle gives values for,
    /// by name in sorted order: what calling the function may read.
    pub fn referenced_globals(&self) -> Vec<(&'g str, &'g Value)> {
        self.code
            .global_names()
            .into_iter()
            .filter_map(|name| Some((name, self.global(name)?)))
            .collect()
    }

    /// `__doc__` as Python has it: the one the pickle sets (`None` when it sets `None`),
    /// else the code's first constant when it is a `str` (where CPython 3.11-3.13 take a
    /// docstring from).
    pub fn doc(&self) -> Option<&'g Value> {
        match self.doc {
            Some(Value::None) => return None,
            Some(doc) => return Some(doc),
            None => {}
        }
        let graph = self.dict.graph();
        match self.code.consts.first() {
            Some(Const::Value(first)) if graph.get(first).as_pystr().is_some() => Some(first),
            _ => None,
        }
    }
}

impl<'g> Interpreter<'g> {
    /// `value` as a function pickled by value: `None` when it is not a call of cloudpickle's
    /// `_make_function`, dill's `_create_function` or `types.FunctionType`, an error when it
    /// is but not as the library writes one.
    ///
    /// cloudpickle makes the function with empty cells and sets the rest with the state
    /// setter `_function_setstate(func, (dict, slots))` ([`Change::SetState`]); dill makes it
    /// with its name and defaults, sets `__qualname__`, `__kwdefaults__` and the like with
    /// BUILD, and fills a cell whose contents refer back to the function afterwards, with a
    /// `setattr(cell, 'cell_contents', value)` that the pickle computes and discards
    /// ([`Change::Effect`]). Both are read into one [`Function`]. Finding dill's later
    /// `setattr`s is a pass over the graph's changes ([`Interpreter::cell_fills`]), made for
    /// each dill closure with such a cell: a reader of many functions finds them once and
    /// calls [`Interpreter::function_with`].
    ///
    /// # Example
    ///
    /// ```
    /// # fn pickle() -> Vec<u8> {
    /// #     // cloudpickle.dumps(lambda x: x + 1, protocol=5) under CPython 3.11.7, the lambda
    /// #     // compiled from '<string>' in `python -c`.
    /// #     b"\x80\x05\x95\xc1\x01\x00\x00\x00\x00\x00\x00\x8c\x17cloudpickle.cloudpickle\x94\x8c\x0e_make_function\x94\x93\x94(h\x00\x8c\x0d_builtin_type\x94\x93\x94\x8c\x08CodeType\x94\x85\x94R\x94(K\x01K\x00K\x00K\x01K\x02K\x03C\x0c\x97\x00|\x00d\x01z\x00\x00\x00S\x00\x94NK\x01\x86\x94)\x8c\x01x\x94\x85\x94\x8c\x0e<dynamic-code>\x94\x8c\x08<lambda>\x94\x8c\x08<lambda>\x94K\x01C\x0a\x80\x00\x88!\x88a\x89%\x80\x00\x94C\x00\x94))t\x94R\x94}\x94(\x8c\x0b__package__\x94N\x8c\x08__name__\x94\x8c\x08__main__\x94uNNNt\x94R\x94h\x00\x8c\x12_function_setstate\x94\x93\x94h\x18}\x94}\x94(h\x15\x8c\x08<lambda>\x94\x8c\x0c__qualname__\x94\x8c\x08<lambda>\x94\x8c\x0f__annotations__\x94}\x94\x8c\x0e__kwdefaults__\x94N\x8c\x0c__defaults__\x94N\x8c\x0a__module__\x94h\x16\x8c\x07__doc__\x94N\x8c\x0b__closure__\x94N\x8c\x17_cloudpickle_submodules\x94]\x94\x8c\x0b__globals__\x94}\x94u\x86\x94\x86R0.".to_vec()
    /// # }
    /// use brine_interpret::Interpreter;
    ///
    /// let graph = brine_vm::from_slice(&pickle(), &Default::default())?;
    /// let function = Interpreter::new(&graph).function(graph.root_value()).unwrap()?;
    /// assert_eq!(function.qualname, "<lambda>");
    /// assert_eq!(function.module, Some("__main__"));
    /// assert_eq!(function.code.varnames, ["x"]);
    /// assert_eq!(function.code.bytecode.as_slice().len(), 12);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn function(&self, value: &Value) -> Option<Result<Function<'g>, CodeError>> {
        self.function_impl(value, None)
    }

    /// [`Interpreter::function`] with the cell contents the pickle sets found beforehand
    /// ([`Interpreter::cell_fills`]): for a reader of many functions of one graph, which
    /// `function` would otherwise look for again for each dill closure with a cell filled
    /// later.
    pub fn function_with(
        &self,
        value: &Value,
        fills: &CellFills<'g>,
    ) -> Option<Result<Function<'g>, CodeError>> {
        self.function_impl(value, Some(fills))
    }

    fn function_impl(
        &self,
        value: &Value,
        fills: Option<&CellFills<'g>>,
    ) -> Option<Result<Function<'g>, CodeError>> {
        let id = value.node()?;
        let View::Object(object) = self.node(id).view else {
            return None;
        };
        if object.kind != ObjectKind::Call {
            return None;
        }
        let producer = match object.class() {
            Some(name) => match producer_of(&name)? {
                (Producer::Cloudpickle, "_make_function") => Producer::Cloudpickle,
                (Producer::Dill, "_create_function") => Producer::Dill,
                (Producer::Types, "FunctionType") => Producer::Types,
                _ => return None,
            },
            None => match self.builtin_type(&object.callable)? {
                (_, "FunctionType") => Producer::Types,
                _ => return None,
            },
        };
        let [code, globals, rest @ ..] = object.args else {
            return Some(malformed(format!(
                "a function made of {} arguments",
                object.args.len()
            )));
        };
        let code = match self.code(code) {
            Some(Ok(code)) => code,
            Some(Err(err)) => return Some(Err(err)),
            None => {
                return Some(malformed(format!(
                    "the function's code is a {}",
                    self.describe(code)
                )));
            }
        };
        let reading = Reading {
            interp: *self,
            id,
            code,
            globals,
            rest,
        };
        Some(match producer {
            Producer::Cloudpickle => reading.cloudpickle(),
            _ => reading.dill_or_types(producer, &object.state, &object.slots, fills),
        })
    }

    /// `value` as a closure cell: `None` when it is not a call of a cell constructor
    /// (cloudpickle's `_make_cell` and `_make_empty_cell`, dill's `_create_cell`,
    /// `types.CellType`). A dill cell made empty and filled later by a `setattr` is read as
    /// made: [`Interpreter::function`] looks for the `setattr` ([`Interpreter::cell_fills`]).
    pub fn cell(&self, value: &Value) -> Option<Cell<'g>> {
        let View::Object(object) = self.view(value) else {
            return None;
        };
        if object.kind != ObjectKind::Call {
            return None;
        }
        let maker = match object.class() {
            Some(name) => match producer_of(&name)? {
                (Producer::Cloudpickle, "_make_cell" | "_make_empty_cell") => name.name,
                (Producer::Dill, "_create_cell") => name.name,
                (Producer::Types, "CellType") => name.name,
                _ => return None,
            },
            None => match self.builtin_type(&object.callable)? {
                (_, "CellType") => "CellType".into(),
                _ => return None,
            },
        };
        Some(match (&*maker, object.args) {
            ("_make_empty_cell" | "_make_cell" | "CellType", []) => Cell::Empty,
            ("_create_cell", []) => Cell::Full(&Value::None),
            ("_make_cell", [contents]) if self.is_shim(contents, "_empty_cell_value") => {
                Cell::Empty
            }
            ("_create_cell", [contents]) if self.is_shim(contents, "_CELL_EMPTY") => Cell::Empty,
            ("_make_cell" | "_create_cell" | "CellType", [contents]) => Cell::Full(contents),
            _ => return None,
        })
    }

    /// Whether `value` is the cloudpickle or dill object `name`: a global of their modules
    /// (or `dill._shims`), or dill's shim `getattr(dill._dill, name[, default])`.
    fn is_shim(&self, value: &Value, name: &str) -> bool {
        self.shim_name(value) == Some(name)
    }

    fn shim_name(&self, value: &Value) -> Option<&'g str> {
        match self.view(value) {
            View::Global(global) => {
                let module = global.module;
                let is_library = super::CLOUDPICKLE_MODULES.contains(&module)
                    || super::DILL_MODULES.contains(&module)
                    || module == "dill._shims";
                match global.name {
                    std::borrow::Cow::Borrowed(name) if is_library => Some(name),
                    _ => None,
                }
            }
            View::Object(object) if object.kind == ObjectKind::Call => {
                let callable = object.class()?;
                if callable.module != "builtins" && callable.module != "__builtin__"
                    || callable.name != "getattr"
                {
                    return None;
                }
                let [owner, name, ..] = object.args else {
                    return None;
                };
                let View::Global(owner) = self.view(owner) else {
                    return None;
                };
                let owner = format!("{}.{}", owner.module, owner.name);
                super::DILL_MODULES
                    .contains(&owner.as_str())
                    .then(|| self.str_at(name))?
            }
            _ => None,
        }
    }

    /// `setattr` or `delattr` for a callable that is one (the builtin, or dill's shim of it).
    fn attr_setter(&self, value: &Value) -> Option<&'static str> {
        let name = match self.view(value) {
            View::Global(global)
                if global.module == "builtins" || global.module == "__builtin__" =>
            {
                global.name
            }
            _ => self.shim_name(value)?.into(),
        };
        match &*name {
            "setattr" | "_setattr" => Some("setattr"),
            "delattr" | "_delattr" => Some("delattr"),
            _ => None,
        }
    }

    /// The closure cells the pickle fills after making them: dill's
    /// `setattr(cell, 'cell_contents', value)` and `delattr(cell, 'cell_contents')`, computed
    /// and discarded ([`Change::Effect`]), found in one pass over the graph's changes.
    pub fn cell_fills(&self) -> CellFills<'g> {
        let graph = self.graph();
        let effects = graph
            .changed_nodes()
            .flat_map(|id| graph.changes(id))
            .filter_map(|change| match change {
                Change::Effect(value) => Some(value),
                _ => None,
            })
            .chain(graph.effects());
        let mut fills = CellFills::default();
        for effect in effects {
            let View::Object(call) = self.view(effect) else {
                continue;
            };
            let Some(setter) = self.attr_setter(&call.callable) else {
                continue;
            };
            let (target, attr, contents) = match (setter, call.args) {
                ("setattr", [target, attr, contents]) => (target, attr, Some(contents)),
                ("delattr", [target, attr]) => (target, attr, None),
                _ => continue,
            };
            let Some(target) = target.node() else {
                continue;
            };
            if self.str_at(attr) == Some("cell_contents") {
                // A later call replaces what an earlier one set, as in Python.
                fills.fills.insert(target, contents);
            }
        }
        fills
    }
}

/// The closure cells a pickle fills after making them ([`Interpreter::cell_fills`]): dill
/// makes a cell whose contents refer back to what is being built (a recursive closure, the
/// `__class__` cell of a method using `super()`) empty, and sets it once the object exists.
#[derive(Debug, Clone, Default)]
pub struct CellFills<'g> {
    fills: HashMap<NodeId, Option<&'g Value>>,
}

impl<'g> CellFills<'g> {
    /// What the pickle leaves in cell `id`, if it sets or deletes its contents.
    pub fn get(&self, id: NodeId) -> Option<Cell<'g>> {
        self.fills
            .get(&id)
            .map(|contents| contents.map_or(Cell::Empty, Cell::Full))
    }

    /// How many cells are filled or emptied.
    pub fn len(&self) -> usize {
        self.fills.len()
    }

    /// Whether no cell is.
    pub fn is_empty(&self) -> bool {
        self.fills.is_empty()
    }
}

/// The parts every constructor shares, while a function is read.
struct Reading<'g> {
    interp: Interpreter<'g>,
    id: NodeId,
    code: Code<'g>,
    globals: &'g Value,
    /// The arguments after the code and the globals.
    rest: &'g [Value],
}

impl<'g> Reading<'g> {
    /// cloudpickle's `_make_function(code, globals, name, argdefs, closure)` and its
    /// `_function_setstate(func, (state, slotstate))`.
    fn cloudpickle(self) -> Result<Function<'g>, CodeError> {
        let interp = self.interp;
        let graph = interp.graph();
        let [name, argdefs, closure] = self.rest else {
            return malformed(format!(
                "cloudpickle's _make_function takes 5 arguments, not {}",
                self.rest.len() + 2
            ));
        };
        let Some(base) = interp.dict_pairs(self.globals) else {
            return malformed(format!(
                "the function's globals are a {}",
                interp.describe(self.globals)
            ));
        };
        let mut globals = base;
        let mut dict = Pairs::empty(graph);
        let mut slots = Pairs::empty(graph);
        let setstate = graph
            .changes(self.id)
            .iter()
            .find_map(|change| match change {
                Change::SetState { setter, state }
                    if interp.is_shim(setter, "_function_setstate") =>
                {
                    Some(state)
                }
                _ => None,
            });
        if let Some(state) = setstate {
            let (Some(state_dict), Some(slot_state)) = (
                interp
                    .pair_item(state, 0)
                    .and_then(|v| interp.dict_pairs(v)),
                interp
                    .pair_item(state, 1)
                    .and_then(|v| interp.dict_pairs(v)),
            ) else {
                return malformed("_function_setstate's state is not a pair of dicts");
            };
            dict = state_dict;
            slots = slot_state;
        }
        let slot = |key: &str| lookup(&slots, key);
        if let Some(more) = slot("__globals__") {
            let Some(more) = interp.dict_pairs(more) else {
                return malformed("the state's __globals__ is not a dict");
            };
            globals.extend(&more);
        }
        let name = match slot("__name__").unwrap_or(name) {
            Value::None => self.code.name,
            name => interp.code_text(name, "__name__")?,
        };
        let qualname = match slot("__qualname__") {
            Some(qualname) => interp.code_text(qualname, "__qualname__")?,
            None => self.code.qualname.unwrap_or(name),
        };
        let module = match slot("__module__") {
            Some(Value::None) | None => {
                lookup(&globals, "__name__").and_then(|name| graph.get(name).as_str())
            }
            Some(module) => Some(interp.code_text(module, "__module__")?),
        };
        let closure = match slot("__closure__") {
            Some(closure) => closure,
            None => closure,
        };
        Ok(Function {
            producer: Producer::Cloudpickle,
            name,
            qualname,
            module,
            globals: Globals::Dict(globals),
            defaults: interp
                .tuple_or_none(slot("__defaults__").unwrap_or(argdefs), "__defaults__")?,
            kwdefaults: slot("__kwdefaults__").filter(|v| !matches!(v, Value::None)),
            closure: interp.closure(closure, &self.code)?,
            annotations: slot("__annotations__"),
            doc: slot("__doc__"),
            dict,
            code: self.code,
        })
    }

    /// dill's `_create_function(code, globals, name, defaults, closure[, dict, kwdefaults])`
    /// with its BUILD `(dict, state_dict)`, or `types.FunctionType(code, globals, name,
    /// argdefs, closure)`.
    fn dill_or_types(
        self,
        producer: Producer,
        state: &Pairs<'g>,
        slots: &Pairs<'g>,
        fills: Option<&CellFills<'g>>,
    ) -> Result<Function<'g>, CodeError> {
        let interp = self.interp;
        let graph = interp.graph();
        let max = if producer == Producer::Dill { 5 } else { 3 };
        if self.rest.len() > max {
            return malformed(format!(
                "a function made of {} arguments",
                self.rest.len() + 2
            ));
        }
        let globals = match interp.view(self.globals) {
            View::None => Globals::Dict(Pairs::empty(graph)),
            View::Dict(pairs) => Globals::Dict(pairs),
            View::Global(global) if global.name == "__main__" => Globals::Module("__main__"),
            View::Global(global) if global.name == "__dict__" => Globals::Module(global.module),
            other => {
                return malformed(format!("the function's globals are a {}", other.describe()));
            }
        };
        let slot = |key: &str| lookup(slots, key);
        let rest = self.rest;
        let positional = |idx: usize| rest.get(idx).filter(|v| !matches!(v, Value::None));
        let name = match positional(0) {
            Some(name) => interp.code_text(name, "the function's name")?,
            None => self.code.name,
        };
        let qualname = match slot("__qualname__") {
            Some(qualname) => interp.code_text(qualname, "__qualname__")?,
            None => self.code.qualname.unwrap_or(name),
        };
        let module = match slot("__module__") {
            Some(module) => Some(interp.code_text(module, "__module__")?),
            None => match &globals {
                Globals::Dict(pairs) => {
                    lookup(pairs, "__name__").and_then(|name| graph.get(name).as_str())
                }
                Globals::Module(name) => Some(*name),
            },
        };
        let mut dict = state.clone();
        if let Some(fdict) = positional(3) {
            let Some(fdict) = interp.dict_pairs(fdict) else {
                return malformed("the function's dict is not a dict");
            };
            dict.extend(&fdict);
        }
        let mut closure = match positional(2) {
            Some(closure) => interp.closure(closure, &self.code)?,
            None => None,
        };
        if let (Producer::Dill, Some(cells)) = (producer, &mut closure) {
            // dill's `_create_cell(None)` is also the cell it fills later; the other cells
            // hold their contents already.
            let placeholder = |cell: &Cell<'_>| matches!(cell, Cell::Full(Value::None));
            if cells.iter().any(placeholder) {
                let found;
                let fills = match fills {
                    Some(fills) => fills,
                    None => {
                        found = interp.cell_fills();
                        &found
                    }
                };
                interp.fill_cells(rest.get(2), cells, fills);
            }
        }
        Ok(Function {
            producer,
            name,
            qualname,
            module,
            globals,
            defaults: match positional(1) {
                Some(defaults) => interp.tuple_or_none(defaults, "__defaults__")?,
                None => None,
            },
            kwdefaults: slot("__kwdefaults__")
                .or_else(|| positional(4))
                .filter(|v| !matches!(v, Value::None)),
            closure,
            annotations: slot("__annotations__"),
            doc: slot("__doc__"),
            dict,
            code: self.code,
        })
    }
}

impl<'g> Interpreter<'g> {
    /// The pairs of a dict value (with what SETITEM(S) added to it), or `None`.
    pub(crate) fn dict_pairs(&self, value: &Value) -> Option<Pairs<'g>> {
        match self.view(value) {
            View::Dict(pairs) => Some(pairs),
            _ => None,
        }
    }

    /// Item `idx` of a tuple value.
    pub(crate) fn pair_item(&self, value: &Value, idx: usize) -> Option<&'g Value> {
        match self.view(value) {
            View::Tuple(items) => items.get(idx),
            _ => None,
        }
    }

    fn tuple_or_none(&self, value: &Value, what: &str) -> Result<Option<&'g [Value]>, CodeError> {
        match self.view(value) {
            View::None => Ok(None),
            View::Tuple(items) => Ok(Some(items)),
            other => malformed(format!("{what} is a {}, not a tuple", other.describe())),
        }
    }

    /// A closure: `None`, or a tuple of one cell per free variable of `code`.
    fn closure(&self, value: &Value, code: &Code<'g>) -> Result<Option<Vec<Cell<'g>>>, CodeError> {
        let cells = match self.view(value) {
            View::None => return Ok(None),
            View::Tuple(cells) => cells,
            other => return malformed(format!("the closure is a {}", other.describe())),
        };
        if cells.len() != code.freevars.len() {
            return malformed(format!(
                "a closure of {} cells for {} free variables",
                cells.len(),
                code.freevars.len()
            ));
        }
        cells
            .iter()
            .map(|cell| match self.cell(cell) {
                Some(cell) => Ok(cell),
                None => malformed(format!("a closure cell is a {}", self.describe(cell))),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// Applies the `setattr(cell, 'cell_contents', value)` calls dill writes after a function
    /// to the cells of its closure (`closure`, the tuple `cells` were read from).
    fn fill_cells(&self, closure: Option<&Value>, cells: &mut [Cell<'g>], fills: &CellFills<'g>) {
        let Some(View::Tuple(items)) = closure.map(|closure| self.view(closure)) else {
            return;
        };
        for (item, cell) in items.iter().zip(cells.iter_mut()) {
            if let Some(filled) = item.node().and_then(|id| fills.get(id)) {
                *cell = filled;
            }
        }
    }
}

/// The value of `key` in `pairs`, the last pair winning as in a dict.
pub(crate) fn lookup<'g>(pairs: &Pairs<'g>, key: &str) -> Option<&'g Value> {
    let graph = pairs.graph();
    pairs
        .iter()
        .filter(|(k, _)| graph.get(k).as_str() == Some(key))
        .last()
        .map(|(_, value)| value)
}
