//! Classes pickled by value (cloudpickle's skeleton classes, dill's `_create_type`) and dill's
//! sessions.

use brine_value::{Change, Value};

use super::function::lookup;
use super::{CellFills, CodeError, Function, Producer, malformed, producer_of};
use crate::view::{Interpreter, Object, ObjectKind, Pairs, View};

/// A class pickled by value: what `type(name, bases, namespace)` is given.
#[derive(Debug, Clone)]
pub struct ClassDef<'g> {
    /// Which library wrote it.
    pub producer: Producer,
    /// A class or an enum.
    pub kind: ClassKind,
    /// `__name__`.
    pub name: &'g str,
    /// `__qualname__`, when the pickle sets it (dill's `setattr(cls, '__qualname__', ...)`,
    /// cloudpickle's enums).
    pub qualname: Option<&'g str>,
    /// `__module__`, from the namespace (or an enum's own argument).
    pub module: Option<&'g str>,
    /// The metaclass that makes it (usually the global `builtins.type`); `None` for an enum,
    /// whose metaclass is its last base's.
    pub metaclass: Option<&'g Value>,
    /// `__bases__`, as the graph holds them: globals, or classes pickled by value in turn.
    pub bases: &'g [Value],
    /// The class namespace, in the order written: methods as [`Function`]s, the rest as
    /// values.
    pub namespace: Vec<(&'g str, Member<'g>)>,
    /// An enum's members, name to value; empty for a class.
    pub enum_members: Pairs<'g>,
    /// cloudpickle's class tracker id, by which a process that loads the class twice makes
    /// it once.
    pub tracker_id: Option<&'g str>,
}

/// Whether a [`ClassDef`] is a class or an enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ClassKind {
    /// A class.
    Class,
    /// An `enum.Enum` subclass (cloudpickle's `_make_skeleton_enum`).
    Enum,
}

/// One entry of a class namespace.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Member<'g> {
    /// A method: a function pickled by value.
    Function(Box<Function<'g>>),
    /// `classmethod(function)`.
    ClassMethod(Box<Function<'g>>),
    /// `staticmethod(function)`.
    StaticMethod(Box<Function<'g>>),
    /// `property(fget, fset, fdel, doc)`, each accessor a function pickled by value.
    Property {
        /// `fget`.
        getter: Option<Box<Function<'g>>>,
        /// `fset`.
        setter: Option<Box<Function<'g>>>,
        /// `fdel`.
        deleter: Option<Box<Function<'g>>>,
        /// `doc`, as the graph holds it.
        doc: Option<&'g Value>,
    },
    /// Any other attribute (a number, a string, a nested class, a function pickled by name),
    /// as the graph holds it.
    Value(&'g Value),
}

/// What `dill.dump_session` saves: a module and the entries of its `__dict__`.
#[derive(Debug, Clone)]
pub struct Session<'g> {
    /// The module's name (`__main__` for a session).
    pub module: &'g str,
    /// The entries of its `__dict__`, in the order written; functions and classes among them
    /// read with [`Interpreter::function`] and [`Interpreter::class_def`].
    pub dict: Pairs<'g>,
}

impl<'g> Session<'g> {
    /// The value of `name` in the module's `__dict__`.
    pub fn get(&self, name: &str) -> Option<&'g Value> {
        lookup(&self.dict, name)
    }
}

impl<'g> ClassDef<'g> {
    /// The namespace entry `name`.
    pub fn member(&self, name: &str) -> Option<&Member<'g>> {
        self.namespace
            .iter()
            .rev()
            .find(|(key, _)| *key == name)
            .map(|(_, member)| member)
    }
}

impl<'g> Interpreter<'g> {
    /// `value` as a class pickled by value: `None` when it is not a call of cloudpickle's
    /// `_make_skeleton_class` or `_make_skeleton_enum` or of dill's `_create_type`, an error
    /// when it is but not as the library writes one. cloudpickle's namespace comes from its
    /// state setter `_class_setstate(cls, (namespace, slots))`, dill's from the call itself.
    pub fn class_def(&self, value: &Value) -> Option<Result<ClassDef<'g>, CodeError>> {
        self.class_def_impl(value, None)
    }

    /// [`Interpreter::class_def`] with the cell contents the pickle sets found beforehand
    /// ([`Interpreter::cell_fills`]), for a reader of many classes of one graph.
    pub fn class_def_with(
        &self,
        value: &Value,
        fills: &CellFills<'g>,
    ) -> Option<Result<ClassDef<'g>, CodeError>> {
        self.class_def_impl(value, Some(fills))
    }

    fn class_def_impl(
        &self,
        value: &Value,
        fills: Option<&CellFills<'g>>,
    ) -> Option<Result<ClassDef<'g>, CodeError>> {
        let id = value.node()?;
        let View::Object(object) = self.node(id).view else {
            return None;
        };
        if object.kind != ObjectKind::Call {
            return None;
        }
        let name = object.class()?;
        let (producer, maker) = producer_of(&name)?;
        let kind = match (producer, maker) {
            (Producer::Cloudpickle, "_make_skeleton_class") => ClassKind::Class,
            (Producer::Cloudpickle, "_make_skeleton_enum") => ClassKind::Enum,
            (Producer::Dill, "_create_type") => ClassKind::Class,
            _ => return None,
        };
        let graph = self.graph();
        let state = graph.changes(id).iter().find_map(|change| match change {
            Change::SetState { setter, state } if self.class_setter(setter) => Some(state),
            _ => None,
        });
        Some(
            self.class_parts(producer, kind, &object, state, fills)
                .map(|mut class| {
                    if producer == Producer::Dill {
                        class.qualname = self.set_qualname(id);
                    }
                    class
                }),
        )
    }

    fn class_setter(&self, setter: &Value) -> bool {
        matches!(self.view(setter), View::Global(global)
            if producer_of(&global) == Some((Producer::Cloudpickle, "_class_setstate")))
    }

    /// The `__qualname__` dill sets on a class after making it:
    /// `setattr(cls, '__qualname__', name)`, discarded.
    fn set_qualname(&self, id: brine_value::NodeId) -> Option<&'g str> {
        self.graph()
            .changes(id)
            .iter()
            .filter_map(|change| match change {
                Change::Effect(effect) => Some(effect),
                _ => None,
            })
            .filter_map(|effect| {
                let View::Object(call) = self.view(effect) else {
                    return None;
                };
                let View::Global(setter) = self.view(&call.callable) else {
                    return None;
                };
                if setter.name != "setattr" {
                    return None;
                }
                let [target, attr, qualname] = call.args else {
                    return None;
                };
                let graph = self.graph();
                (target.node() == Some(id) && graph.get(attr).as_str() == Some("__qualname__"))
                    .then(|| graph.get(qualname).as_str())?
            })
            .last()
    }

    fn class_parts(
        &self,
        producer: Producer,
        kind: ClassKind,
        object: &Object<'g>,
        state: Option<&'g Value>,
        fills: Option<&CellFills<'g>>,
    ) -> Result<ClassDef<'g>, CodeError> {
        // Found once for all the methods, and only if one needs them.
        let found = std::cell::OnceCell::new();
        let fills = || fills.unwrap_or_else(|| found.get_or_init(|| self.cell_fills()));
        let graph = self.graph();
        let text = |value: &Value, what: &str| self.code_text(value, what);
        let tuple = |value: &Value, what: &str| match self.view(value) {
            View::Tuple(items) => Ok(items),
            other => malformed(format!("{what} is a {}, not a tuple", other.describe())),
        };
        let dict = |value: &Value, what: &str| match self.dict_pairs(value) {
            Some(pairs) => Ok(pairs),
            None => malformed(format!("{what} is a {}, not a dict", self.describe(value))),
        };
        let mut class = ClassDef {
            producer,
            kind,
            name: "",
            qualname: None,
            module: None,
            metaclass: None,
            bases: &[],
            namespace: Vec::new(),
            enum_members: Pairs::empty(graph),
            tracker_id: None,
        };
        let mut namespace = Pairs::empty(graph);
        match (producer, kind, object.args) {
            (
                Producer::Cloudpickle,
                ClassKind::Class,
                [metaclass, name, bases, type_kwargs, tracker_id, _extra],
            ) => {
                class.metaclass = Some(metaclass);
                class.name = text(name, "the class name")?;
                class.bases = tuple(bases, "the bases")?;
                namespace = dict(type_kwargs, "the type's keyword arguments")?;
                class.tracker_id = graph.get(tracker_id).as_str();
            }
            (
                Producer::Cloudpickle,
                ClassKind::Enum,
                [bases, name, qualname, members, module, tracker_id, _extra],
            ) => {
                class.bases = tuple(bases, "the bases")?;
                class.name = text(name, "the enum name")?;
                class.qualname = Some(text(qualname, "the enum qualname")?);
                class.enum_members = dict(members, "the enum members")?;
                class.module = Some(text(module, "the enum module")?);
                class.tracker_id = graph.get(tracker_id).as_str();
            }
            (Producer::Dill, _, [metaclass, name, bases, dill_namespace]) => {
                class.metaclass = Some(metaclass);
                class.name = text(name, "the class name")?;
                class.bases = tuple(bases, "the bases")?;
                namespace = dict(dill_namespace, "the class namespace")?;
            }
            (_, _, args) => {
                return malformed(format!(
                    "a class made of {} arguments, not as {producer:?} writes one",
                    args.len()
                ));
            }
        }
        if let Some(state) = state {
            let Some(clsdict) = self.pair_item(state, 0).and_then(|v| self.dict_pairs(v)) else {
                return malformed("_class_setstate's state is not a (dict, dict) pair");
            };
            namespace.extend(&clsdict);
        }
        for (key, value) in namespace.iter() {
            let key = text(key, "a namespace key")?;
            class.namespace.push((key, self.member(value, &fills)?));
        }
        if class.module.is_none() {
            class.module = lookup(&namespace, "__module__").and_then(|m| graph.get(m).as_str());
        }
        if class.qualname.is_none() {
            class.qualname = lookup(&namespace, "__qualname__").and_then(|q| graph.get(q).as_str());
        }
        Ok(class)
    }

    /// A namespace entry: a function, a `classmethod`, `staticmethod` or `property` of
    /// functions, or a value.
    fn member<'f>(
        &self,
        value: &'g Value,
        fills: &impl Fn() -> &'f CellFills<'g>,
    ) -> Result<Member<'g>, CodeError>
    where
        'g: 'f,
    {
        if let Some(function) = self.function_with(value, fills()) {
            return Ok(Member::Function(Box::new(function?)));
        }
        let View::Object(object) = self.view(value) else {
            return Ok(Member::Value(value));
        };
        if object.kind != ObjectKind::Call {
            return Ok(Member::Value(value));
        }
        let Some((_, wrapper)) = self.builtin_type(&object.callable) else {
            return Ok(Member::Value(value));
        };
        let accessor = |value: Option<&'g Value>| -> Result<Option<Box<Function<'g>>>, CodeError> {
            match value {
                None | Some(Value::None) => Ok(None),
                Some(value) => match self.function_with(value, fills()) {
                    Some(function) => Ok(Some(Box::new(function?))),
                    None => malformed(format!("a property accessor is a {}", self.describe(value))),
                },
            }
        };
        Ok(match (wrapper, object.args) {
            ("classmethod", [function]) => match accessor(Some(function))? {
                Some(function) => Member::ClassMethod(function),
                None => Member::Value(value),
            },
            ("staticmethod", [function]) => match accessor(Some(function))? {
                Some(function) => Member::StaticMethod(function),
                None => Member::Value(value),
            },
            ("property", args) if args.len() <= 4 => Member::Property {
                getter: accessor(args.first())?,
                setter: accessor(args.get(1))?,
                deleter: accessor(args.get(2))?,
                doc: args.get(3).filter(|doc| !matches!(doc, Value::None)),
            },
            _ => Member::Value(value),
        })
    }

    /// `value` as what `dill.dump_session` writes: `_import_module(name)` (or
    /// `_create_module(name)` for a module that cannot be imported) followed by a BUILD of
    /// its `__dict__`. `None` for anything else, a module reference without state included.
    pub fn session(&self, value: &Value) -> Option<Session<'g>> {
        let View::Object(object) = self.view(value) else {
            return None;
        };
        if object.kind != ObjectKind::Call || object.state.is_empty() {
            return None;
        }
        let name = object.class()?;
        match producer_of(&name)? {
            (Producer::Dill, "_import_module" | "_create_module") => Some(Session {
                module: self.str_at(object.args.first()?)?,
                dict: object.state,
            }),
            _ => None,
        }
    }
}
