//! A node and the changes made to it are one Python object: this merges BUILD, APPEND(S),
//! SETITEM(S) and ADDITEMS into the node's [`View`], in pickle order, as far as the object
//! can hold them.

use brine_value::{Change, Node, NodeId, Value};

use crate::recognise::Reader;
use crate::view::{Items, NodeView, Object, ObjectKind, Pairs, View};

/// The view of node `id` with its changes merged in, and the changes that could not be (a
/// suffix).
pub(crate) fn node<'g>(reader: Reader<'g>, id: NodeId) -> NodeView<'g> {
    let graph = reader.graph();
    let Some(node) = graph.try_node(id) else {
        return NodeView {
            view: View::Missing,
            unmerged: &[],
        };
    };
    let changes = graph.changes(id);
    let mut view = alone(reader, node);
    let mut absorbed = absorb_all(reader, &mut view, changes);
    if absorbed < changes.len() && !matches!(view, View::Object(_)) {
        // A known container with something it cannot hold (an OrderedDict with instance
        // attributes, say) is described as the call it was.
        if let Node::Reduce { callable, args } = node {
            if let Some(mut generic) = reader.generic_call(callable, args) {
                let generic_absorbed = absorb_all(reader, &mut generic, changes);
                if generic_absorbed > absorbed {
                    view = generic;
                    absorbed = generic_absorbed;
                }
            }
        }
    }
    NodeView {
        view,
        unmerged: &changes[absorbed..],
    }
}

/// Node `id` as the generic call its REDUCE records, with its changes merged in.
pub(crate) fn call<'g>(reader: Reader<'g>, id: NodeId) -> Option<NodeView<'g>> {
    let graph = reader.graph();
    let Node::Reduce { callable, args } = graph.try_node(id)? else {
        return None;
    };
    let mut view = reader.generic_call(callable, args)?;
    let changes = graph.changes(id);
    let absorbed = absorb_all(reader, &mut view, changes);
    Some(NodeView {
        view,
        unmerged: &changes[absorbed..],
    })
}

/// What a node is on its own, before any change.
fn alone<'g>(reader: Reader<'g>, node: &'g Node) -> View<'g> {
    let graph = reader.graph();
    match node {
        Node::Str(text) => View::Str(text),
        Node::Py2Str(data) => match graph.py2_text().decode(data) {
            Ok(brine_value::Py2Value::Str(text)) => View::Py2Str(text),
            Ok(brine_value::Py2Value::Bytes(_)) => View::Bytes(crate::view::Data::Shared(data)),
            Err(_) => View::Record(node),
        },
        Node::Ext(code) => View::Ext(*code),
        Node::Bytes(data) => View::Bytes(crate::view::Data::Shared(data)),
        Node::ByteArray(data) => View::ByteArray(crate::view::Data::Shared(data)),
        Node::Tuple(items) => View::Tuple(items),
        Node::List(items) => View::List(Items::new(items)),
        Node::Dict(pairs) => View::Dict(Pairs::of(graph, pairs)),
        Node::Set(items) => View::Set(Items::new(items)),
        Node::FrozenSet(items) => View::FrozenSet(Items::new(items)),
        Node::Global { module, name } => match (reader.text(module), reader.text(name)) {
            (Some(module), Some(name)) => View::Global(crate::view::GlobalName {
                module,
                name: name.into(),
            }),
            _ => View::Record(node),
        },
        Node::Reduce { callable, args } => {
            reader.reduce(callable, args).unwrap_or(View::Record(node))
        }
        Node::NewObj { cls, args, kwargs } => {
            let args = reader.tuple(args);
            let kwargs = match kwargs {
                None => Some(&[][..]),
                Some(kwargs) => reader.dict(kwargs),
            };
            match (args, kwargs) {
                (Some(args), Some(kwargs)) => {
                    let mut object = Object::new(graph, ObjectKind::Instance, *cls);
                    object.args = args;
                    object.kwargs = kwargs;
                    View::Object(Box::new(object))
                }
                _ => View::Record(node),
            }
        }
        Node::Inst { class, args } | Node::Obj { class, args } => {
            let mut object = Object::new(graph, ObjectKind::Instance, *class);
            object.args = args;
            View::Object(Box::new(object))
        }
        Node::PersistentId(pid) => View::PersistentId(*pid),
        Node::Buffer(buffer) => View::Buffer(buffer),
        // A form of node added to the graph after this version: kept as it is.
        _ => View::Record(node),
    }
}

fn absorb_all<'g>(reader: Reader<'g>, view: &mut View<'g>, changes: &'g [Change]) -> usize {
    changes
        .iter()
        .take_while(|change| absorb(reader, view, change))
        .count()
}

/// Applies one change to the view, if the object can hold what the change does; leaves the
/// view unchanged otherwise.
fn absorb<'g>(reader: Reader<'g>, view: &mut View<'g>, change: &'g Change) -> bool {
    match (view, change) {
        (View::Object(object), Change::Build(state)) => absorb_state(reader, object, state),
        (View::Object(object), Change::Append(items)) => {
            object.list_items.push(items);
            true
        }
        (View::Object(object), Change::SetItems(pairs)) => {
            object.dict_items.push(pairs);
            true
        }
        (
            View::OrderedDict(existing)
            | View::Counter(existing)
            | View::DefaultDict {
                items: existing, ..
            },
            Change::SetItems(pairs),
        ) => {
            existing.push(pairs);
            true
        }
        (
            View::Deque {
                items: existing, ..
            },
            Change::Append(items),
        ) => {
            existing.push(items);
            true
        }
        (View::Set(existing), Change::AddItems(items)) => {
            existing.push(items);
            true
        }
        // Items added to another container, whose node holds them already: this object only
        // marks where the stream added them.
        (_, Change::Fill { .. }) => true,
        _ => false,
    }
}

/// BUILD: a dict state updates the instance dict, a `(dict or None, dict or None)` pair
/// the dict and the slots, anything else is a `__setstate__` state (only one, and not
/// beside dict state).
fn absorb_state<'g>(reader: Reader<'g>, object: &mut Object<'g>, state: &'g Value) -> bool {
    if let Some(pairs) = reader.dict(state) {
        if object.setstate.is_some() {
            return false;
        }
        object.state.push(pairs);
        return true;
    }
    if let Some([dict, slots]) = reader.tuple(state) {
        if let (Some(dict), Some(slots)) = (reader.dict_or_none(dict), reader.dict_or_none(slots)) {
            if object.setstate.is_some() {
                return false;
            }
            object.state.push(dict);
            object.slots.push(slots);
            return true;
        }
    }
    if !object.has_no_state() {
        return false;
    }
    object.setstate = Some(state);
    true
}
