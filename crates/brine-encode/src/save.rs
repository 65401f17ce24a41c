//! The pickler proper: each node written with the opcodes CPython 3.11's C pickler chooses.
//!
//! The graph may be arbitrarily deep, so saving is driven by an explicit task stack rather
//! than recursion. Tasks are pushed in reverse, so the bytes come out in exactly the order a
//! recursive pickler writes them.

use brine_value::{BigIntId, Change, Graph, Node, NodeId, PickleBuffer, Py2Value, Value};
use hashbrown::{HashMap, HashSet};

use crate::emit::{Batch, Emitter, NOT_MEMOIZED, is_binary_scalar, is_shared_str};
use crate::error::EncodeError;
use crate::output::Target;

/// Decides, for each persistent object, the persistent id to write instead of the object.
pub type PersistentId<'h> = dyn FnMut(&Graph, &Value) -> Option<Value> + 'h;
/// Decides, for each out-of-band-capable buffer, whether to write it in-band (`true`) or
/// out-of-band (`false`, the caller keeps the bytes).
pub type BufferCallback<'h> = dyn FnMut(&PickleBuffer) -> bool + 'h;

/// The fewest items left in a container for which [`Emitter::scalar_items`] (or
/// `scalar_pairs`) is asked to write a run of scalars: its setup costs more than it saves
/// on the ten ints of a short list.
const MIN_RUN: usize = 32;

/// Which items of a node a [`Task::Range`], [`Task::Items`] or [`Task::Pairs`] walks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    /// The items of a tuple, list, set or frozenset node, or the pairs of a dict node.
    Items,
    /// The constructor arguments of an Inst or Obj node.
    Args,
    /// The items or pairs of the node's change with this index (Append, SetItems, AddItems).
    Change(usize),
    /// Items (or pairs) `from..to` of a list, set or dict node.
    Span(usize, usize),
}

/// An opcode the pickler writes between saves, each through the [`Emitter`] method that
/// checks the protocol has it.
#[derive(Clone, Copy)]
enum Op {
    Pop,
    Mark,
    Reduce,
    Build,
    NewObj,
    NewObjEx,
    Obj,
    StackGlobal,
    /// The TUPLE2 of a state setter's `(obj, state)`, at every protocol.
    StateSetterArgs,
    BinPersId,
}

enum Task {
    Save(Value),
    Op(Op),
    /// INST with the class's module and name, after the instance's arguments (protocol 0).
    Inst(Box<str>, Box<str>),
    MemoizeNode(NodeId),
    /// Closes a temporary tuple of this many items.
    EndTuple(usize),
    EmptyTuple,
    /// Saves items `start..end` of a node, unbatched.
    Range {
        id: NodeId,
        field: Field,
        start: usize,
        end: usize,
    },
    /// Saves the items of a node in the batches `batch` lays out, from `batch.count()` on.
    Items {
        id: NodeId,
        field: Field,
        batch: Batch,
    },
    /// Saves the key-value pairs of a dict node or a SetItems change, as [`Task::Items`].
    Pairs {
        id: NodeId,
        field: Field,
        batch: Batch,
    },
    /// The elements are saved: unless that saved the tuple itself, write TUPLE and memoize.
    FinishTuple {
        id: NodeId,
        n_items: usize,
        marked: bool,
    },
    FinishFrozenSet(NodeId),
    /// REDUCE or NEWOBJ is written: unless saving the arguments saved the object, memoize it.
    FinishCall(NodeId),
    EndProgress(NodeId),
    /// The node is saved and memoized: write its changes, unless a re-entrant save of the
    /// node (through its constructor arguments) wrote them already.
    Changes(NodeId),
    /// A global the pickler itself needs, such as `builtins.bytearray`.
    GlobalName(&'static str, &'static str),
    /// `bytes(obj)` of a bytearray, for its protocol 0-4 form.
    BytesOf(NodeId),
    /// The arguments `(text, 'latin-1')` of a bytearray, for 3.6's and 3.7's protocol 0-2
    /// form.
    Latin1Of(NodeId),
    /// Fast mode: the node and all it holds are written; it may be met again.
    Leave(NodeId),
    /// Fast mode: the node's prelude is written, now the node itself.
    SaveBody(NodeId),
    /// Saves a value the pickle computes only to discard it (a POP follows): a call made
    /// for its effect, or the first attempt at an object, which CPython never memoizes.
    Discard(Value),
}

pub(crate) struct Pickler<'g, 'h, W> {
    graph: &'g Graph,
    /// Writes each object; holds the memo counter, the shared objects and the globals.
    e: Emitter<'h, W>,
    /// Each node's memo index, or [`NOT_MEMOIZED`].
    memo: Vec<u32>,
    /// For each node being saved, the memo size when its save began: re-entering it (a
    /// recursive tuple or constructor argument) is fine once something has been memoized
    /// since, and an endless cycle when nothing has.
    entered: Vec<u32>,
    /// The nodes whose changes have been written.
    changes_written: HashSet<NodeId>,
    /// For each node with a prelude, how many of its values have been written.
    preludes_written: HashMap<NodeId, usize>,
    /// The calls being written only to be discarded: not memoized once made.
    discarding: HashSet<NodeId>,
    /// The Python 2 `str` that are a datetime's packed state, written as bytes from
    /// protocol 3 (what the datetime Python 3 loads gives when pickled again).
    py2_as_bytes: HashSet<NodeId>,
    /// For each container a [`Change::Fill`] adds to later, how many of its items come
    /// before: the ones written where the container is first written.
    filled_from: HashMap<NodeId, usize>,
    tasks: Vec<Task>,
    /// CPython's fast mode: nothing memoized, each reference written in full.
    fast: bool,
    /// Fast mode: the nodes being written, each met again only through a cycle.
    in_progress: Vec<bool>,
    persistent_id: Option<&'h mut PersistentId<'h>>,
    buffer_callback: Option<&'h mut BufferCallback<'h>>,
}

/// The vectors a pickler sizes to the graph and the task stack it works through, which a
/// [`crate::Encoder`] keeps between dumps so that their room is allocated once, as CPython's
/// `Pickler` keeps its memo.
///
/// Between dumps every vector is empty; only capacity carries over, and at most
/// [`RETAIN`] entries of each, so that one large graph does not pin its memory.
#[derive(Default)]
pub(crate) struct Scratch {
    memo: Vec<u32>,
    entered: Vec<u32>,
    tasks: Vec<Task>,
    in_progress: Vec<bool>,
}

/// The most entries of each [`Scratch`] vector kept between dumps.
const RETAIN: usize = 1 << 16;

/// `vec`, emptied, or a new vector when it holds room for more than [`RETAIN`] entries.
fn emptied<T>(mut vec: Vec<T>) -> Vec<T> {
    if vec.capacity() > RETAIN {
        return Vec::new();
    }
    vec.clear();
    vec
}

/// `vec` (empty) holding `len` copies of `value`.
fn filled<T: Clone>(mut vec: Vec<T>, len: usize, value: T) -> Vec<T> {
    vec.resize(len, value);
    vec
}

impl<'g, 'h, W: Target> Pickler<'g, 'h, W> {
    pub(crate) fn new(
        graph: &'g Graph,
        emitter: Emitter<'h, W>,
        persistent_id: Option<&'h mut PersistentId<'h>>,
        buffer_callback: Option<&'h mut BufferCallback<'h>>,
        scratch: Scratch,
    ) -> Pickler<'g, 'h, W> {
        let fast = emitter.is_fast();
        Pickler {
            graph,
            e: emitter,
            memo: filled(scratch.memo, graph.len(), NOT_MEMOIZED),
            entered: filled(scratch.entered, graph.len(), NOT_MEMOIZED),
            changes_written: HashSet::new(),
            preludes_written: HashMap::new(),
            discarding: HashSet::new(),
            py2_as_bytes: HashSet::new(),
            // Without a memo there is no container to fetch and fill later: each is written
            // whole.
            filled_from: if fast {
                HashMap::new()
            } else {
                filled_from(graph)
            },
            tasks: scratch.tasks,
            fast,
            in_progress: if fast {
                filled(scratch.in_progress, graph.len(), false)
            } else {
                scratch.in_progress
            },
            persistent_id,
            buffer_callback,
        }
    }

    /// Writes the value, STOP, and flushes the last frame (PROTO is the emitter's). Once the
    /// graph is written, the pickler's vectors go back to `scratch`, emptied; after an error
    /// they are dropped instead, which keeps the error path out of the loop (returning them
    /// there as well cost 4% more instructions on a dict of dicts).
    pub(crate) fn dump(
        mut self,
        root: &Value,
        scratch: &mut Scratch,
    ) -> Result<W::Done, EncodeError> {
        self.tasks.push(Task::Save(*root));
        // What the pickle computed and discarded with nothing on its stack comes first.
        for effect in self.graph.effects().iter().rev() {
            self.tasks.push(Task::Op(Op::Pop));
            self.tasks.push(Task::Discard(*effect));
        }
        while let Some(task) = self.tasks.pop() {
            self.run(task)?;
        }
        *scratch = Scratch {
            memo: emptied(self.memo),
            entered: emptied(self.entered),
            tasks: emptied(self.tasks),
            in_progress: emptied(self.in_progress),
        };
        self.e.finish()
    }

    fn node(&self, id: NodeId) -> Result<&'g Node, EncodeError> {
        self.graph
            .try_node(id)
            .ok_or_else(|| EncodeError::DanglingNode(id.index()))
    }

    fn run(&mut self, task: Task) -> Result<(), EncodeError> {
        match task {
            Task::Save(value) => self.save(value)?,
            Task::Op(op) => match op {
                Op::Pop => self.e.pop()?,
                Op::Mark => self.e.mark()?,
                Op::Reduce => self.e.reduce()?,
                Op::Build => self.e.build()?,
                Op::NewObj => self.e.newobj()?,
                Op::NewObjEx => self.e.newobj_ex()?,
                Op::Obj => self.e.obj()?,
                Op::StackGlobal => self.e.stack_global_of_nodes()?,
                Op::StateSetterArgs => self.e.state_setter_args()?,
                Op::BinPersId => self.e.binpersid()?,
            },
            Task::Inst(module, name) => self.e.inst(&module, &name)?,
            Task::MemoizeNode(id) => {
                self.skip_memo_if_unmemoized(id);
                let idx = self.e.memoize()?;
                self.memo[id.index()] = idx;
                if let Node::Global { module, name } = self.node(id)? {
                    let names = (
                        self.graph.get(module).as_str(),
                        self.graph.get(name).as_str(),
                    );
                    if let (Some(module), Some(name)) = names {
                        self.e.register_global(module, name, idx);
                    }
                }
            }
            Task::EndTuple(n_items) => {
                self.e.end_tuple(n_items)?;
            }
            Task::EmptyTuple => self.e.empty_tuple()?,
            Task::Range {
                id,
                field,
                start,
                end,
            } => {
                let items = self.field(id, field)?;
                let items = items.get(start..end.min(items.len())).unwrap_or_default();
                // Leaves are written right here; the first other node suspends the walk,
                // which resumes once that node has been saved.
                for (offset, item) in items.iter().enumerate() {
                    if self.is_leaf(item) {
                        self.save_leaf(item)?;
                        continue;
                    }
                    self.tasks.push(Task::Range {
                        id,
                        field,
                        start: start + offset + 1,
                        end,
                    });
                    self.tasks.push(Task::Save(*item));
                    break;
                }
            }
            Task::Items {
                id,
                field,
                mut batch,
            } => {
                let items = self.field(id, field)?;
                let mut rest = items.get(batch.count()..).unwrap_or_default();
                // A long run of scalars goes through the emitter's own loop, unless a
                // persistent_id hook must see each value; it ends at the first other item.
                if self.persistent_id.is_none()
                    && rest.len() >= MIN_RUN
                    && rest.first().is_some_and(is_binary_scalar)
                {
                    let n_written = self.e.scalar_items(&mut batch, rest)?;
                    rest = &rest[n_written..];
                }
                // As for a range; the batch writes the MARKs and APPENDS between items.
                for item in rest {
                    self.e.item(&mut batch)?;
                    if self.is_leaf(item) {
                        self.save_leaf(item)?;
                        continue;
                    }
                    self.tasks.push(Task::Items { id, field, batch });
                    self.tasks.push(Task::Save(*item));
                    return Ok(());
                }
                self.e.end_items(&batch)?;
            }
            Task::Pairs {
                id,
                field,
                mut batch,
            } => {
                let pairs = self.pairs(id, field)?;
                let mut rest = pairs.get(batch.count()..).unwrap_or_default();
                // A long run of scalar pairs goes through the emitter's loop, as for items.
                if self.persistent_id.is_none()
                    && rest.len() >= MIN_RUN
                    && rest.first().is_some_and(|(key, value)| {
                        is_binary_scalar(key) && is_binary_scalar(value)
                    })
                {
                    let n_written = self.e.scalar_pairs(&mut batch, rest)?;
                    rest = &rest[n_written..];
                }
                // Pairs of leaves are written right here; any other pair suspends the walk.
                for (key, value) in rest {
                    self.e.item(&mut batch)?;
                    if self.is_leaf(key) && self.is_leaf(value) {
                        self.save_leaf(key)?;
                        self.save_leaf(value)?;
                        continue;
                    }
                    self.tasks.push(Task::Pairs { id, field, batch });
                    self.tasks.push(Task::Save(*value));
                    self.tasks.push(Task::Save(*key));
                    return Ok(());
                }
                self.e.end_items(&batch)?;
            }
            Task::FinishTuple {
                id,
                n_items,
                marked,
            } => {
                self.entered[id.index()] = NOT_MEMOIZED;
                match self.memo[id.index()] {
                    NOT_MEMOIZED => {
                        self.skip_memo_if_unmemoized(id);
                        let idx = self.e.end_tuple(n_items)?;
                        self.memo[id.index()] = idx;
                    }
                    // Saving the elements saved the tuple: it is recursive. Drop what was
                    // pushed and fetch it from the memo.
                    idx if marked && self.e.protocol() >= 1 => {
                        self.e.pop_mark()?;
                        self.e.get(idx)?;
                    }
                    idx => {
                        let pops = if marked { n_items + 1 } else { n_items };
                        self.e.pops(pops)?;
                        self.e.get(idx)?;
                    }
                }
            }
            Task::FinishFrozenSet(id) => {
                self.entered[id.index()] = NOT_MEMOIZED;
                match self.memo[id.index()] {
                    NOT_MEMOIZED => {
                        self.skip_memo_if_unmemoized(id);
                        let idx = self.e.close_frozenset()?;
                        self.memo[id.index()] = idx;
                    }
                    idx => {
                        self.e.pop_mark()?;
                        self.e.get(idx)?;
                    }
                }
            }
            Task::FinishCall(id) => {
                self.entered[id.index()] = NOT_MEMOIZED;
                if self.discarding.remove(&id) {
                    return Ok(());
                }
                match self.memo[id.index()] {
                    NOT_MEMOIZED => {
                        self.skip_memo_if_unmemoized(id);
                        let idx = self.e.memoize()?;
                        self.memo[id.index()] = idx;
                    }
                    idx => {
                        self.e.pop()?;
                        self.e.get(idx)?;
                    }
                }
            }
            Task::EndProgress(id) => self.entered[id.index()] = NOT_MEMOIZED,
            Task::Leave(id) => self.in_progress[id.index()] = false,
            Task::SaveBody(id) => {
                let node = self.node(id)?;
                self.save_body(id, node)?;
            }
            Task::Changes(id) => {
                // In fast mode each time the node is written, its changes are too.
                if self.fast || self.changes_written.insert(id) {
                    self.push_changes(id)?;
                }
            }
            Task::GlobalName(module, name) => self.e.global(module, name)?,
            Task::Latin1Of(id) => {
                let Node::ByteArray(data) = self.node(id)? else {
                    return Ok(());
                };
                // `PyUnicode_DecodeLatin1`, which returns the shared str for zero or one
                // character, and a new 'latin-1' each time (`Py_BuildValue("(O(Ns)O)", ...)`).
                let text = brine_value::PyStr::from_latin1(data);
                self.e
                    .str_bytes(text.as_bytes(), is_shared_str(text.as_bytes()))?;
                self.e.str("latin-1")?;
            }
            Task::BytesOf(id) => {
                let (Node::ByteArray(data) | Node::Bytes(data)) = self.node(id)? else {
                    return Ok(());
                };
                self.e.bytes(data)?;
            }
            Task::Discard(value) => {
                if let Some(id) = value.node() {
                    let call = matches!(
                        self.graph.try_node(id),
                        Some(Node::Reduce { .. } | Node::NewObj { .. })
                    );
                    if call && self.memo[id.index()] == NOT_MEMOIZED {
                        self.discarding.insert(id);
                    }
                }
                self.save(value)?;
            }
        }
        Ok(())
    }

    /// Whether saving `value` writes it completely, pushing no task: a scalar, an object
    /// already memoized, a str, or bytes from protocol 3. Saving a leaf in place keeps the
    /// bytes in order. With a persistent_id hook nothing is a leaf, since the hook may
    /// replace any value by a persistent id saved through tasks.
    #[inline]
    fn is_leaf(&self, value: &Value) -> bool {
        if self.persistent_id.is_some() {
            return false;
        }
        let Some(id) = value.node() else { return true };
        if self
            .memo
            .get(id.index())
            .is_some_and(|&idx| idx != NOT_MEMOIZED)
        {
            return true;
        }
        match self.graph.try_node(id) {
            Some(Node::Str(_)) => true,
            Some(Node::Bytes(_)) => self.e.protocol() >= 3,
            _ => false,
        }
    }

    fn field(&self, id: NodeId, field: Field) -> Result<&'g [Value], EncodeError> {
        if let Field::Change(index) = field {
            return Ok(match self.graph.changes(id).get(index) {
                Some(Change::Append(items) | Change::AddItems(items)) => items,
                _ => &[],
            });
        }
        Ok(match (self.node(id)?, field) {
            (
                Node::Tuple(items) | Node::List(items) | Node::Set(items) | Node::FrozenSet(items),
                Field::Items,
            ) => items,
            (Node::List(items) | Node::Set(items), Field::Span(from, to)) => span(items, from, to),
            (Node::Inst { args, .. } | Node::Obj { args, .. }, Field::Args) => args,
            _ => &[],
        })
    }

    fn pairs(&self, id: NodeId, field: Field) -> Result<&'g [(Value, Value)], EncodeError> {
        if let Field::Change(index) = field {
            return Ok(match self.graph.changes(id).get(index) {
                Some(Change::SetItems(pairs)) => pairs,
                _ => &[],
            });
        }
        Ok(match (self.node(id)?, field) {
            (Node::Dict(pairs), Field::Span(from, to)) => span(pairs, from, to),
            (Node::Dict(pairs), _) => pairs,
            _ => &[],
        })
    }

    /// The items of a container written where it is first written: all but those a
    /// [`Change::Fill`] adds later.
    fn first_items(&self, id: NodeId, field: Field, len: usize) -> (Field, usize) {
        match self.filled_from.get(&id) {
            Some(&from) if from < len => (Field::Span(0, from), from),
            _ => (field, len),
        }
    }

    fn save(&mut self, value: Value) -> Result<(), EncodeError> {
        self.e.boundary()?;
        if let Some(hook) = self.persistent_id.as_mut() {
            if let Some(pid) = hook(self.graph, &value) {
                return self.save_persistent(pid);
            }
        }
        match value {
            Value::Node(id) => self.save_node(id),
            scalar => self.save_scalar(&scalar),
        }
    }

    /// Writes a scalar, which is never memoized: the hot path of a container's items, kept
    /// small so that it inlines into the item loops.
    #[inline(always)]
    fn save_scalar(&mut self, value: &Value) -> Result<(), EncodeError> {
        match *value {
            Value::None => self.e.none(),
            Value::Bool(value) => self.e.bool(value),
            Value::Int(value) => self.e.int(value),
            Value::BigInt(id) => self.save_bigint(id),
            Value::Float(value) => self.e.float(value),
            Value::Node(id) => self.save_node(id),
        }
    }

    #[cold]
    fn save_bigint(&mut self, id: BigIntId) -> Result<(), EncodeError> {
        let graph = self.graph;
        let value = graph
            .try_bigint(id)
            .ok_or(EncodeError::DanglingInt(id.index()))?;
        // Within i64 the table holds a Python 2 int kept for its type.
        match (i64::try_from(value), graph.py2_int(&Value::BigInt(id))) {
            (Ok(small), Some(kind)) => self.e.py2_int(small, kind),
            _ => self.e.bigint(value),
        }
    }

    /// Writes a value [`Pickler::is_leaf`] said is a leaf: a scalar without the detour
    /// through [`Pickler::save`] (a leaf means there is no persistent_id hook to ask).
    #[inline(always)]
    fn save_leaf(&mut self, value: &Value) -> Result<(), EncodeError> {
        match value {
            Value::Node(_) => self.save(*value),
            scalar => {
                self.e.boundary()?;
                self.save_scalar(scalar)
            }
        }
    }

    fn save_node(&mut self, id: NodeId) -> Result<(), EncodeError> {
        let node = self.node(id)?;
        let idx = self.memo[id.index()];
        if idx != NOT_MEMOIZED {
            return self.e.get(idx);
        }
        if self.fast {
            return self.save_fast(id, node);
        }
        // The first attempts at the object, which CPython writes and drops around it. Each
        // attempt whose arguments refer back to the object saves it again, and so makes the
        // next attempt: the last one popped is the outermost, written first, and the object
        // itself comes where the attempt popped first reaches it.
        let prelude = self.graph.prelude(id);
        if !prelude.is_empty() {
            let written = self.preludes_written.entry(id).or_insert(0);
            if let Some(value) = prelude.len().checked_sub(*written + 1).map(|i| prelude[i]) {
                *written += 1;
                self.tasks.push(Task::Save(Value::Node(id)));
                self.tasks.push(Task::Op(Op::Pop));
                self.tasks.push(Task::Discard(value));
                return Ok(());
            }
        }
        if self.entered[id.index()] == self.e.memo_len() {
            return Err(EncodeError::ImpossibleCycle(cycle_kind(node)));
        }
        self.save_body(id, node)
    }

    /// [`Pickler::save_node`] in fast mode: each time the node is met, its prelude and then
    /// the node, refused when it is met again while being written (a cycle).
    fn save_fast(&mut self, id: NodeId, node: &'g Node) -> Result<(), EncodeError> {
        let holds_values = !matches!(
            node,
            Node::Str(_) | Node::Bytes(_) | Node::Py2Str(_) | Node::Ext(_) | Node::Buffer(_)
        );
        let prelude = self.graph.prelude(id);
        if !holds_values && prelude.is_empty() && self.graph.changes(id).is_empty() {
            return self.save_body(id, node);
        }
        if std::mem::replace(&mut self.in_progress[id.index()], true) {
            return Err(EncodeError::FastModeCycle(node.kind_name()));
        }
        self.tasks.push(Task::Leave(id));
        if prelude.is_empty() {
            return self.save_body(id, node);
        }
        self.tasks.push(Task::SaveBody(id));
        for value in prelude.iter().rev() {
            self.tasks.push(Task::Op(Op::Pop));
            self.tasks.push(Task::Discard(*value));
        }
        Ok(())
    }

    /// Writes the node itself, its prelude written and the cycle checks made.
    fn save_body(&mut self, id: NodeId, node: &'g Node) -> Result<(), EncodeError> {
        // Pushed first, so it runs once the object is written and memoized, as CPython
        // writes BUILD (and the items of a list or dict subclass) after the object.
        if !self.graph.changes(id).is_empty() {
            self.tasks.push(Task::Changes(id));
        }
        match node {
            // The graph says which str are one object: CPython shares the one-character
            // ones it makes itself, but two equal str it was given stay two (a dict key
            // and a Counter's key of `'aab'`), so the shared table is not consulted here.
            Node::Str(text) => {
                self.skip_memo_if_unmemoized(id);
                let idx = self.e.node_str(text.as_bytes())?;
                self.memo[id.index()] = idx;
            }
            Node::Bytes(data) => {
                // Below protocol 3 the emitter memoizes the globals of `_codecs.encode` first.
                if self.e.protocol() >= 3 {
                    self.skip_memo_if_unmemoized(id);
                }
                let idx = self.e.bytes(data)?;
                self.memo[id.index()] = idx;
            }
            Node::ByteArray(data) => self.save_bytearray(id, data)?,
            Node::Py2Str(data) => self.save_py2_str(id, data)?,
            Node::Ext(code) => self.save_ext(*code)?,
            Node::Tuple(items) => self.save_tuple(id, items.len())?,
            Node::List(items) => {
                let (field, len) = self.first_items(id, Field::Items, items.len());
                self.skip_memo_if_unmemoized(id);
                let batch = self.e.begin_list(Some(len))?;
                self.memo[id.index()] = batch.memo_idx();
                self.push_items(id, field, batch);
            }
            Node::Dict(pairs) => {
                let (field, len) = self.first_items(id, Field::Items, pairs.len());
                self.skip_memo_if_unmemoized(id);
                let batch = self.e.begin_dict(Some(len))?;
                self.memo[id.index()] = batch.memo_idx();
                self.push_pairs(id, field, batch);
            }
            Node::Set(items) => self.save_set(id, items.len())?,
            Node::FrozenSet(items) => self.save_frozenset(id, items.len())?,
            Node::Global { module, name } => {
                match (
                    self.graph.get(module).as_str(),
                    self.graph.get(name).as_str(),
                ) {
                    (Some(module_text), Some(name_text)) => {
                        self.save_global(id, module_text, name_text, module, name)?;
                    }
                    _ => self.save_run_time_global(id, module, name)?,
                }
            }
            Node::Reduce { callable, args } => self.save_reduce(id, callable, args)?,
            Node::NewObj { cls, args, kwargs } => {
                self.save_newobj(id, cls, args, kwargs.as_ref())?
            }
            Node::Inst { class, args } | Node::Obj { class, args } => {
                self.save_instance(id, class, args.len())?;
            }
            Node::PersistentId(pid) => self.save_persistent(*pid)?,
            Node::Buffer(buffer) => self.save_buffer(id, buffer)?,
            _ => {
                return Err(EncodeError::Unpicklable(format!(
                    "cannot pickle a {} node",
                    node.kind_name()
                )));
            }
        }
        Ok(())
    }

    /// The graph's pickle never memoized `id`: neither does the next memoize.
    fn skip_memo_if_unmemoized(&mut self, id: NodeId) {
        if !self.graph.memoized(id, self.e.protocol()) {
            self.e.skip_next_memo();
        }
    }

    fn enter(&mut self, id: NodeId) {
        self.entered[id.index()] = self.e.memo_len();
    }

    /// Pushes the tasks that write the node's changes, in order: BUILD after its state,
    /// and the APPENDS / SETITEMS / ADDITEMS batches of a list, dict or set subclass.
    fn push_changes(&mut self, id: NodeId) -> Result<(), EncodeError> {
        let changes = self.graph.changes(id);
        if self.e.protocol() < 4 && changes.iter().any(|c| matches!(c, Change::AddItems(_))) {
            return Err(EncodeError::Unpicklable(format!(
                "ADDITEMS on an object needs protocol 4, not {}",
                self.e.protocol()
            )));
        }
        for (index, change) in changes.iter().enumerate().rev() {
            let field = Field::Change(index);
            match change {
                Change::Build(state) => {
                    self.tasks.push(Task::Op(Op::Build));
                    self.tasks.push(Task::Save(*state));
                }
                Change::Append(items) => {
                    let batch = self.e.begin_extend(items.len());
                    self.push_items(id, field, batch);
                }
                Change::SetItems(pairs) => {
                    let batch = self.e.begin_store(pairs.len());
                    self.push_pairs(id, field, batch);
                }
                Change::AddItems(items) => {
                    let batch = self.e.begin_additems(items.len());
                    self.push_items(id, field, batch);
                }
                // `setter(obj, state)`, with CPython's TUPLE2 at every protocol.
                Change::SetState { setter, state } => {
                    self.tasks.push(Task::Op(Op::Pop));
                    self.tasks.push(Task::Op(Op::Reduce));
                    self.tasks.push(Task::Op(Op::StateSetterArgs));
                    self.tasks.push(Task::Save(*state));
                    self.tasks.push(Task::Save(Value::Node(id)));
                    self.tasks.push(Task::Save(*setter));
                }
                Change::Effect(value) => {
                    self.tasks.push(Task::Op(Op::Pop));
                    self.tasks.push(Task::Discard(*value));
                }
                // The container fetched again (a GET), the items added here, and POP.
                Change::Fill {
                    container,
                    from,
                    to,
                } => {
                    // In fast mode the container was written whole.
                    if self.fast {
                        continue;
                    }
                    let Some(target) = container.node() else {
                        return Err(EncodeError::Unpicklable(
                            "a fill of something that is not a container".to_owned(),
                        ));
                    };
                    let len = to.saturating_sub(*from);
                    let span = Field::Span(*from, *to);
                    let node = self.node(target)?;
                    // Below protocol 4 a set is written whole (`set(list)`), its later items
                    // included.
                    if matches!(node, Node::Set(_)) && self.e.protocol() < 4 {
                        continue;
                    }
                    self.tasks.push(Task::Op(Op::Pop));
                    match node {
                        Node::Dict(_) => {
                            let batch = self.e.begin_store(len);
                            self.push_pairs(target, span, batch);
                        }
                        Node::List(_) => {
                            let batch = self.e.begin_extend(len);
                            self.push_items(target, span, batch);
                        }
                        Node::Set(_) => {
                            let batch = self.e.begin_additems(len);
                            self.push_items(target, span, batch);
                        }
                        node => {
                            return Err(EncodeError::Unpicklable(format!(
                                "cannot add items to a {}",
                                node.kind_name(),
                            )));
                        }
                    }
                    self.tasks.push(Task::Save(*container));
                }
                _ => {
                    return Err(EncodeError::Unpicklable(format!(
                        "cannot pickle a {} change",
                        change.kind_name()
                    )));
                }
            }
        }
        Ok(())
    }

    /// A Python 2 `str`: itself at protocols 0-2; from 3, what it reads as with the
    /// graph's encoding (a `str`, or `bytes` for `encoding="bytes"`), and a datetime's
    /// packed state as the bytes it is.
    fn save_py2_str(&mut self, id: NodeId, data: &bytes::Bytes) -> Result<(), EncodeError> {
        // Each form memoizes once, after its payload.
        self.skip_memo_if_unmemoized(id);
        let idx = if self.e.protocol() < 3 {
            self.e.py2_str(data)?
        } else if self.py2_as_bytes.contains(&id) {
            self.e.bytes(data)?
        } else {
            match self.graph.py2_text().decode(data) {
                Ok(Py2Value::Str(text)) => {
                    let text = text.as_bytes();
                    self.e.str_bytes(text, is_shared_str(text))?
                }
                Ok(Py2Value::Bytes(data)) => self.e.bytes(&data)?,
                Err(err) => return Err(EncodeError::Unpicklable(err.to_string())),
            }
        };
        self.memo[id.index()] = idx;
        Ok(())
    }

    /// An extension code no registry resolved: EXT again, or by name where the encoder's
    /// registry names it and the protocol has no EXT.
    fn save_ext(&mut self, code: i64) -> Result<(), EncodeError> {
        if self.e.protocol() < 2 {
            if let Some((module, name)) = i32::try_from(code)
                .ok()
                .and_then(|code| self.e.extension_name(code))
            {
                return self.e.global(&module, &name);
            }
        }
        self.e.ext(code)
    }

    fn save_bytearray(&mut self, id: NodeId, data: &[u8]) -> Result<(), EncodeError> {
        if self.e.protocol() >= 5 {
            self.skip_memo_if_unmemoized(id);
            self.memo[id.index()] = self.e.bytearray8(data)?;
            return Ok(());
        }
        // `bytearray()` or `bytearray(bytes(obj))`.
        self.enter(id);
        self.tasks.push(Task::FinishCall(id));
        self.tasks.push(Task::Op(Op::Reduce));
        if self.e.choices().bytearray_latin1 && self.e.protocol() < 3 {
            self.push_temp_tuple(2, |tasks| tasks.push(Task::Latin1Of(id)));
        } else if data.is_empty() {
            self.tasks.push(Task::EmptyTuple);
        } else {
            self.push_temp_tuple(1, |tasks| tasks.push(Task::BytesOf(id)));
        }
        self.tasks.push(Task::GlobalName("builtins", "bytearray"));
        Ok(())
    }

    /// Pushes the tasks that save a temporary tuple whose `n_items` (more than zero) elements
    /// `push_items` pushes (in reverse order).
    fn push_temp_tuple(&mut self, n_items: usize, push_items: impl FnOnce(&mut Vec<Task>)) {
        self.tasks.push(Task::EndTuple(n_items));
        push_items(&mut self.tasks);
        if self.e.tuple_needs_mark(n_items) {
            self.tasks.push(Task::Op(Op::Mark));
        }
    }

    fn save_tuple(&mut self, id: NodeId, n_items: usize) -> Result<(), EncodeError> {
        if n_items == 0 {
            return self.e.empty_tuple();
        }
        self.enter(id);
        let marked = self.e.tuple_needs_mark(n_items);
        self.tasks.push(Task::FinishTuple {
            id,
            n_items,
            marked,
        });
        self.tasks.push(Task::Range {
            id,
            field: Field::Items,
            start: 0,
            end: n_items,
        });
        self.e.begin_tuple(n_items)
    }

    /// Pushes the task that saves the items of `batch`'s container, if it has any.
    fn push_items(&mut self, id: NodeId, field: Field, batch: Batch) {
        if batch.len() != Some(0) {
            self.tasks.push(Task::Items { id, field, batch });
        }
    }

    /// Pushes the task that saves the pairs of `batch`'s dict, if it has any.
    fn push_pairs(&mut self, id: NodeId, field: Field, batch: Batch) {
        if batch.len() != Some(0) {
            self.tasks.push(Task::Pairs { id, field, batch });
        }
    }

    fn save_set(&mut self, id: NodeId, len: usize) -> Result<(), EncodeError> {
        if self.e.protocol() >= 4 {
            let (field, len) = self.first_items(id, Field::Items, len);
            self.skip_memo_if_unmemoized(id);
            let batch = self.e.begin_set(Some(len))?;
            self.memo[id.index()] = batch.memo_idx();
            self.push_items(id, field, batch);
            return Ok(());
        }
        // `set(list(items))`, memoized once called, with all its items: no protocol before 4
        // can add to a set later. Entered after the list is memoized: that list is new each
        // time the set is written, so it is no progress towards ending a cycle (a set whose
        // item's arguments hold the set, which CPython's pickler meets with RecursionError).
        self.tasks.push(Task::FinishCall(id));
        let batch = self.e.begin_set(Some(len))?;
        self.enter(id);
        self.tasks.push(Task::Items {
            id,
            field: Field::Items,
            batch,
        });
        Ok(())
    }

    fn save_frozenset(&mut self, id: NodeId, len: usize) -> Result<(), EncodeError> {
        self.tasks.push(if self.e.protocol() >= 4 {
            Task::FinishFrozenSet(id)
        } else {
            Task::FinishCall(id)
        });
        let batch = self.e.begin_frozenset(Some(len))?;
        // After the list of `frozenset(list)` below protocol 4, as for a set.
        self.enter(id);
        self.tasks.push(Task::Items {
            id,
            field: Field::Items,
            batch,
        });
        Ok(())
    }

    fn save_global(
        &mut self,
        id: NodeId,
        module: &str,
        name: &str,
        module_value: &Value,
        name_value: &Value,
    ) -> Result<(), EncodeError> {
        // A GLOBAL written by hand is written back so at the pickle's own protocol.
        if let Some(line) = self
            .graph
            .global_line(id)
            .filter(|line| line.applies_at(self.e.protocol()))
        {
            if let Some(idx) = self.e.verbatim_global(module, name, line.memoized)? {
                self.memo[id.index()] = idx;
            }
            return Ok(());
        }
        if self.e.protocol() < 4 {
            if let Some(idx) = self.e.global_name(module, name)? {
                self.memo[id.index()] = idx;
            }
            return Ok(());
        }
        if let Some(idx) = self.e.global_idx(module, name) {
            self.memo[id.index()] = idx;
            return self.e.get(idx);
        }
        if self.e.known_global(module, name)? {
            return Ok(());
        }
        // The module and name are nodes of the graph, saved (and memoized) as such.
        self.enter(id);
        self.tasks.push(Task::MemoizeNode(id));
        self.tasks.push(Task::EndProgress(id));
        self.tasks.push(Task::Op(Op::StackGlobal));
        self.tasks.push(Task::Save(*name_value));
        self.tasks.push(Task::Save(*module_value));
        Ok(())
    }

    /// A STACK_GLOBAL whose module or name is known only when the pickle runs (a persistent
    /// id, a call's result): written back as it was, operands then STACK_GLOBAL, which only
    /// protocol 4 and above have.
    fn save_run_time_global(
        &mut self,
        id: NodeId,
        module: &Value,
        name: &Value,
    ) -> Result<(), EncodeError> {
        if self.e.protocol() < 4 {
            return Err(EncodeError::Unpicklable(format!(
                "a global whose name is known only at run time needs STACK_GLOBAL (protocol 4), \
                 not protocol {}",
                self.e.protocol()
            )));
        }
        self.enter(id);
        self.tasks.push(Task::MemoizeNode(id));
        self.tasks.push(Task::EndProgress(id));
        self.tasks.push(Task::Op(Op::StackGlobal));
        self.tasks.push(Task::Save(*name));
        self.tasks.push(Task::Save(*module));
        Ok(())
    }

    fn save_reduce(
        &mut self,
        id: NodeId,
        callable: &Value,
        args: &Value,
    ) -> Result<(), EncodeError> {
        // `copyreg.__newobj__(cls, *args)` from protocol 2 is NEWOBJ, as in CPython.
        if self.e.protocol() >= 2 {
            if let Some(name) = self.global_name(callable) {
                if name == "__newobj__" {
                    if let Some(Node::Tuple(items)) =
                        args.node().and_then(|a| self.graph.try_node(a))
                    {
                        if let Some((cls, rest)) = items.split_first() {
                            let args_id = args.node().ok_or(EncodeError::DanglingNode(0))?;
                            self.enter(id);
                            self.tasks.push(Task::FinishCall(id));
                            self.tasks.push(Task::Op(Op::NewObj));
                            let n_rest = rest.len();
                            if n_rest == 0 {
                                self.tasks.push(Task::EmptyTuple);
                            } else {
                                self.push_temp_tuple(n_rest, |tasks| {
                                    tasks.push(Task::Range {
                                        id: args_id,
                                        field: Field::Items,
                                        start: 1,
                                        end: n_rest + 1,
                                    });
                                });
                            }
                            self.tasks.push(Task::Save(*cls));
                            return Ok(());
                        }
                    }
                }
            }
        }
        if self.e.protocol() >= 3 {
            self.mark_datetime_state(callable, args);
        }
        self.enter(id);
        self.tasks.push(Task::FinishCall(id));
        self.tasks.push(Task::Op(Op::Reduce));
        self.tasks.push(Task::Save(*args));
        self.tasks.push(Task::Save(*callable));
        Ok(())
    }

    /// Python 2 wrote a date, time or datetime with its packed state as a `str`; the object
    /// Python 3 loads (under `encoding="latin1"`, as the datetime docs require) pickles that
    /// state as `bytes`, so that is what is written.
    fn mark_datetime_state(&mut self, callable: &Value, args: &Value) {
        let is_datetime = callable
            .node()
            .and_then(|c| self.graph.try_node(c))
            .is_some_and(|node| match node {
                Node::Global { module, name } => {
                    self.graph.get(module).as_str() == Some("datetime")
                        && matches!(
                            self.graph.get(name).as_str(),
                            Some("date" | "time" | "datetime")
                        )
                }
                _ => false,
            });
        if !is_datetime {
            return;
        }
        if let Some(Node::Tuple(items)) = args.node().and_then(|a| self.graph.try_node(a)) {
            if let Some(state) = items.first().and_then(Value::node) {
                if matches!(self.graph.try_node(state), Some(Node::Py2Str(_))) {
                    self.py2_as_bytes.insert(state);
                }
            }
        }
    }

    fn global_name(&self, value: &Value) -> Option<&'g str> {
        match self.graph.try_node(value.node()?)? {
            Node::Global { name, .. } => self.graph.get(name).as_str(),
            _ => None,
        }
    }

    fn save_newobj(
        &mut self,
        id: NodeId,
        cls: &Value,
        args: &Value,
        kwargs: Option<&Value>,
    ) -> Result<(), EncodeError> {
        self.enter(id);
        self.tasks.push(Task::FinishCall(id));
        match (kwargs, self.e.protocol()) {
            (None, 2..) => {
                self.tasks.push(Task::Op(Op::NewObj));
                self.tasks.push(Task::Save(*args));
                self.tasks.push(Task::Save(*cls));
            }
            (Some(kwargs), 4..) => {
                self.tasks.push(Task::Op(Op::NewObjEx));
                self.tasks.push(Task::Save(*kwargs));
                self.tasks.push(Task::Save(*args));
                self.tasks.push(Task::Save(*cls));
            }
            (None, _) => {
                // copyreg.__newobj__(cls, *args)
                let Some(Node::Tuple(items)) = args.node().and_then(|a| self.graph.try_node(a))
                else {
                    return Err(EncodeError::Unpicklable(
                        "NEWOBJ arguments must be a tuple".to_owned(),
                    ));
                };
                let args_id = args.node().ok_or(EncodeError::DanglingNode(0))?;
                let n_items = items.len();
                self.tasks.push(Task::Op(Op::Reduce));
                let cls = *cls;
                self.push_temp_tuple(n_items + 1, |tasks| {
                    tasks.push(Task::Range {
                        id: args_id,
                        field: Field::Items,
                        start: 0,
                        end: n_items,
                    });
                    tasks.push(Task::Save(cls));
                });
                self.tasks.push(Task::GlobalName("copyreg", "__newobj__"));
            }
            (Some(kwargs), _) => {
                // copyreg.__newobj_ex__(cls, args, kwargs)
                self.tasks.push(Task::Op(Op::Reduce));
                let (cls, args, kwargs) = (*cls, *args, *kwargs);
                self.push_temp_tuple(3, |tasks| {
                    tasks.push(Task::Save(kwargs));
                    tasks.push(Task::Save(args));
                    tasks.push(Task::Save(cls));
                });
                self.tasks
                    .push(Task::GlobalName("copyreg", "__newobj_ex__"));
            }
        }
        Ok(())
    }

    /// An old-style instance: INST at protocol 0, OBJ from 1, as Python 2 wrote them.
    fn save_instance(
        &mut self,
        id: NodeId,
        class: &Value,
        n_args: usize,
    ) -> Result<(), EncodeError> {
        self.enter(id);
        self.tasks.push(Task::EndProgress(id));
        self.tasks.push(Task::MemoizeNode(id));
        if self.e.protocol() == 0 {
            let names =
                class
                    .node()
                    .and_then(|c| self.graph.try_node(c))
                    .and_then(|node| match node {
                        Node::Global { module, name } => Some((
                            self.graph.get(module).as_str()?,
                            self.graph.get(name).as_str()?,
                        )),
                        _ => None,
                    });
            let Some((module, name)) = names else {
                return Err(EncodeError::Unpicklable(
                    "an instance's class must be a global at protocol 0".to_owned(),
                ));
            };
            self.tasks.push(Task::Inst(module.into(), name.into()));
            self.tasks.push(Task::Range {
                id,
                field: Field::Args,
                start: 0,
                end: n_args,
            });
            self.e.mark()?;
        } else {
            self.tasks.push(Task::Op(Op::Obj));
            self.tasks.push(Task::Range {
                id,
                field: Field::Args,
                start: 0,
                end: n_args,
            });
            self.tasks.push(Task::Save(*class));
            self.e.mark()?;
        }
        Ok(())
    }

    fn save_persistent(&mut self, pid: Value) -> Result<(), EncodeError> {
        if self.e.protocol() >= 1 {
            // The id itself is saved without asking the persistent_id hook again.
            self.tasks.push(Task::Op(Op::BinPersId));
            let hook = self.persistent_id.take();
            let res = self.save(pid);
            self.persistent_id = hook;
            return res;
        }
        let text = match &pid {
            Value::Int(value) => Some(value.to_string()),
            Value::Node(_) => self
                .graph
                .get(&pid)
                .as_str()
                .filter(|t| t.is_ascii())
                .map(str::to_owned),
            _ => None,
        };
        let Some(text) = text else {
            return Err(EncodeError::Unpicklable(
                "persistent IDs in protocol 0 must be ASCII strings".to_owned(),
            ));
        };
        self.e.persid(&text)
    }

    fn save_buffer(&mut self, id: NodeId, buffer: &PickleBuffer) -> Result<(), EncodeError> {
        if self.e.protocol() < 5 {
            return Err(EncodeError::Unpicklable(
                "PickleBuffer can only be pickled with protocol >= 5".to_owned(),
            ));
        }
        let in_band = match self.buffer_callback.as_mut() {
            Some(callback) => callback(buffer),
            None => true,
        };
        if !in_band {
            return self.e.next_buffer(buffer.readonly);
        }
        let Some(data) = &buffer.data else {
            return Err(EncodeError::Unpicklable(
                "an out-of-band buffer without its bytes cannot be written in-band".to_owned(),
            ));
        };
        let idx = if buffer.readonly {
            self.e.bytes(data)?
        } else {
            self.e.bytearray8(data)?
        };
        self.memo[id.index()] = idx;
        Ok(())
    }
}

/// What [`EncodeError::ImpossibleCycle`] says of a node that contains itself.
fn cycle_kind(node: &Node) -> &'static str {
    match node {
        Node::Tuple(_) => "tuple",
        Node::FrozenSet(_) => "frozenset",
        Node::Set(_) => "set written as a call (below protocol 4)",
        _ => "object's constructor arguments",
    }
}

/// Items `from..to` of a container, as far as it has them.
fn span<T>(items: &[T], from: usize, to: usize) -> &[T] {
    items.get(from..to.min(items.len())).unwrap_or_default()
}

/// For each container the graph fills later ([`Change::Fill`]), the number of items it has
/// before the first fill.
fn filled_from(graph: &Graph) -> HashMap<NodeId, usize> {
    let mut filled_from = HashMap::new();
    for id in graph.changed_nodes() {
        for change in graph.changes(id) {
            if let Change::Fill {
                container: Value::Node(container),
                from,
                ..
            } = change
            {
                let first = filled_from.entry(*container).or_insert(*from);
                *first = (*first).min(*from);
            }
        }
    }
    filled_from
}
