//! [`Change`]: what a pickle did to an object after creating it.

use bytes::Bytes;

use crate::value::Value;

/// A change a pickle made to an existing object, in place, as Python would.
///
/// A Python unpickler mutates the object on the top of its stack: BUILD sets its state,
/// APPEND(S) extends it, SETITEM(S) stores into it, ADDITEMS adds to it. The object keeps its
/// identity, so every reference to it (memo GETs before the change included) sees the changed
/// object. The graph keeps these changes with the node they apply to, in the order the pickle
/// made them ([`crate::Graph::changes`]).
///
/// Plain lists, dicts and sets grow in place instead: APPENDS on a [`crate::Node::List`]
/// adds to its items and is not recorded as a change, unless the pickle fetched the list
/// again from its memo first ([`Change::Fill`]).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Change {
    /// BUILD: `object.__setstate__(state)`, or an update of its `__dict__` and slots.
    Build(Value),
    /// APPEND / APPENDS on something other than a list (a list subclass instance, say):
    /// `object.extend(items)`, or `append` item by item.
    Append(Vec<Value>),
    /// SETITEM / SETITEMS on something other than a dict (an OrderedDict made by REDUCE,
    /// say): `object[key] = value` for each pair, in order.
    SetItems(Vec<(Value, Value)>),
    /// ADDITEMS on something other than a set: `object.add(item)` for each item.
    AddItems(Vec<Value>),
    /// The state setter of a six-item `__reduce__`: `setter(object, state)`, which CPython
    /// writes where BUILD would go, as `setter object state TUPLE2 REDUCE POP` (the argument
    /// tuple is never memoized and the call's result is discarded).
    SetState {
        /// What is called, usually a global.
        setter: Value,
        /// Its second argument.
        state: Value,
    },
    /// A value computed while this object was on top of the stack and then discarded by
    /// POP: a call made for its effect on other objects, such as a post-processing
    /// `setattr(object, name, value)`. The encoder writes it back at the same place,
    /// followed by POP.
    Effect(Value),
    /// SETITEM(S), APPEND(S) or ADDITEMS on a plain dict, list or set that the pickle fetched
    /// again from its memo after building other objects: its items `from..to` were added
    /// here, while this object was the one nearest the top of the stack, rather than where
    /// the container was made. dill writes a function's globals dict so: it makes and
    /// memoizes the dict, builds the function, and only then fills the dict
    /// (`GET dict key value SETITEM POP`), so that the function can be in its own globals.
    ///
    /// The container's node holds all its items, so every reader sees its final contents;
    /// this says only where the stream added the later ones. The encoder writes the
    /// container's items before `from` where it first writes the container, and these ones
    /// here: a GET of the container, the items in CPython's batches, and POP.
    Fill {
        /// The dict, list or set, a [`crate::Node::Dict`], [`crate::Node::List`] or
        /// [`crate::Node::Set`].
        container: Value,
        /// The index of the first item (or pair) added here.
        from: usize,
        /// The index after the last item added here.
        to: usize,
    },
    /// Raw bytes that follow the object's BUILD in the input and belong to it, outside any
    /// opcode: joblib writes each numpy array's data right after its `NumpyArrayWrapper`.
    /// Shared with the input, never copied, so that an encoder can write them back.
    Raw(Bytes),
}

impl Change {
    /// The name of the change, after its opcode: `"build"`, `"append"`, `"setitems"`,
    /// `"additems"`, `"setstate"`, `"effect"`, `"fill"`, `"raw"`.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Change::Build(_) => "build",
            Change::Append(_) => "append",
            Change::SetItems(_) => "setitems",
            Change::AddItems(_) => "additems",
            Change::SetState { .. } => "setstate",
            Change::Effect(_) => "effect",
            Change::Fill { .. } => "fill",
            Change::Raw(_) => "raw",
        }
    }

    /// Calls `visit` on every value the change refers to, in order (none for [`Change::Raw`]).
    pub fn for_each_child(&self, mut visit: impl FnMut(&Value)) {
        match self {
            Change::Build(state)
            | Change::Effect(state)
            | Change::Fill {
                container: state, ..
            } => visit(state),
            Change::SetState { setter, state } => {
                visit(setter);
                visit(state);
            }
            Change::Append(items) | Change::AddItems(items) => items.iter().for_each(visit),
            Change::SetItems(pairs) => {
                for (key, value) in pairs {
                    visit(key);
                    visit(value);
                }
            }
            Change::Raw(_) => {}
        }
    }

    /// Folds `next` into `self` when applying both equals applying one: two extends, two
    /// runs of stores, two runs of adds. Returns `next` back when it cannot merge.
    pub(crate) fn merge(&mut self, next: Change) -> Option<Change> {
        match (self, next) {
            (Change::Append(items), Change::Append(more))
            | (Change::AddItems(items), Change::AddItems(more)) => {
                items.extend(more);
                None
            }
            (Change::SetItems(pairs), Change::SetItems(more)) => {
                pairs.extend(more);
                None
            }
            (_, next) => Some(next),
        }
    }
}

/// The changes of one node: nearly always one (a BUILD), held without a second allocation.
#[derive(Debug, Clone)]
pub(crate) enum Changes {
    One(Change),
    Many(Vec<Change>),
}

impl Changes {
    pub(crate) fn pop(&mut self) -> Option<Change> {
        match self {
            Changes::One(_) => {
                let Changes::One(only) = std::mem::replace(self, Changes::Many(Vec::new())) else {
                    unreachable!("matched One above");
                };
                Some(only)
            }
            Changes::Many(changes) => changes.pop(),
        }
    }

    pub(crate) fn retain(&mut self, keep: impl FnMut(&Change) -> bool) {
        if let Changes::One(_) = self {
            let Changes::One(only) = std::mem::replace(self, Changes::Many(Vec::new())) else {
                unreachable!("matched One above");
            };
            *self = Changes::Many(vec![only]);
        }
        if let Changes::Many(changes) = self {
            changes.retain(keep);
            // What the removed changes stood between may merge now, as it would have been
            // recorded without them.
            let mut merged: Vec<Change> = Vec::with_capacity(changes.len());
            for change in changes.drain(..) {
                match merged.last_mut() {
                    Some(last) => {
                        if let Some(change) = last.merge(change) {
                            merged.push(change);
                        }
                    }
                    None => merged.push(change),
                }
            }
            *changes = merged;
        }
    }

    pub(crate) fn as_slice(&self) -> &[Change] {
        match self {
            Changes::One(change) => std::slice::from_ref(change),
            Changes::Many(changes) => changes,
        }
    }

    pub(crate) fn as_mut_slice(&mut self) -> &mut [Change] {
        match self {
            Changes::One(change) => std::slice::from_mut(change),
            Changes::Many(changes) => changes,
        }
    }

    /// Appends `change`, merged into the last one where [`Change::merge`] allows.
    pub(crate) fn push(&mut self, change: Change) {
        let last = match self {
            Changes::One(last) => last,
            Changes::Many(changes) => changes.last_mut().expect("never empty"),
        };
        let Some(change) = last.merge(change) else {
            return;
        };
        match self {
            Changes::One(_) => {
                let Changes::One(first) = std::mem::replace(self, Changes::Many(Vec::new())) else {
                    unreachable!("matched One above");
                };
                *self = Changes::Many(vec![first, change]);
            }
            Changes::Many(changes) => changes.push(change),
        }
    }
}
