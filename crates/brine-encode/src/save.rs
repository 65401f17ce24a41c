//! The pickler proper: each node written with the opcodes CPython 3.11's C pickler chooses.
//!
//! The graph may be arbitrarily deep, so saving is driven by an explicit task stack rather
//! than recursion. Tasks are pushed in reverse, so the bytes come out in exactly the order a
//! recursive pickler writes them.

use std::io::Write;

use brine_lex::Opcode;
use brine_value::{Change, ExtensionRegistry, Graph, Node, NodeId, PickleBuffer, Value, compat};
use hashbrown::{HashMap, HashSet};
use num_bigint::BigInt;

use crate::error::EncodeError;
use crate::output::Output;

/// CPython's `BATCHSIZE` for APPENDS, SETITEMS and ADDITEMS.
const BATCH_SIZE: usize = 1000;
const NOT_MEMOIZED: u32 = u32::MAX;

/// Decides, for each persistent object, the persistent id to write instead of the object.
pub type PersistentId<'h> = dyn FnMut(&Graph, &Value) -> Option<Value> + 'h;
/// Decides, for each out-of-band-capable buffer, whether to write it in-band (`true`) or
/// out-of-band (`false`, the caller keeps the bytes).
pub type BufferCallback<'h> = dyn FnMut(&PickleBuffer) -> bool + 'h;

/// How CPython batches the items of a container.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// `batch_list_exact`: a list.
    ExactList,
    /// `batch_dict_exact`: a dict.
    ExactDict,
    /// `batch_list` / `batch_dict` over an iterator: items of a reduce's listitems/dictitems.
    Generic,
    /// `save_set`'s ADDITEMS batches.
    AddItems,
}

/// Which items of a node a [`Task::Range`] or [`Task::Pairs`] walks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    /// The items of a tuple, list, set or frozenset node, or the pairs of a dict node.
    Items,
    /// The constructor arguments of an Inst or Obj node.
    Args,
    /// The items or pairs of the node's change with this index (Append, SetItems, AddItems).
    Change(usize),
}

enum Task {
    Save(Value),
    Op(&'static [u8]),
    Text(Vec<u8>),
    /// Once the node is memoized, later equal singletons refer to it.
    RegisterSingleton(NodeId),
    MemoizeNode(NodeId),
    MemoizeTemp,
    /// Saves items `start..end` of a node, writing `each` after every one.
    Range {
        id: NodeId,
        field: Field,
        start: usize,
        end: usize,
        each: Option<&'static [u8]>,
    },
    /// Saves key-value pairs `start..end` of a dict node or a SetItems change.
    Pairs {
        id: NodeId,
        field: Field,
        start: usize,
        end: usize,
        each: Option<&'static [u8]>,
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
    /// A temporary str, such as the Latin-1 decoding of bytes in their protocol 0-2 form.
    TempStr(Vec<u8>),
    /// Memoizes a temporary `bytes`; a singleton's content is remembered for later GETs.
    MemoizeTempBytes(Option<Vec<u8>>),
    /// A str CPython interns, such as `'latin1'`.
    InternedStr(&'static str),
    /// A global the pickler itself needs, such as `builtins.set`.
    GlobalName(&'static str, &'static str),
    /// `bytes(obj)` of a bytearray, for its protocol 0-4 form.
    BytesOf(NodeId),
}

pub(crate) struct Pickler<'g, 'h, W> {
    graph: &'g Graph,
    proto: u8,
    fix_imports: bool,
    extensions: &'h ExtensionRegistry,
    out: Output<W>,
    memo: Vec<u32>,
    memo_len: u32,
    /// Objects CPython keeps one of: empty and one-character str and bytes, and interned
    /// names. Keyed by (is_bytes, content).
    singletons: HashMap<(bool, Vec<u8>), u32>,
    /// Globals by name: a class is one object however many nodes name it.
    globals: HashMap<(String, String), u32>,
    /// For each node being saved, the memo size when its save began: re-entering it (a
    /// recursive tuple or constructor argument) is fine once something has been memoized
    /// since, and an endless cycle when nothing has.
    entered: Vec<u32>,
    /// The nodes whose changes have been written.
    changes_written: HashSet<NodeId>,
    tasks: Vec<Task>,
    persistent_id: Option<&'h mut PersistentId<'h>>,
    buffer_callback: Option<&'h mut BufferCallback<'h>>,
}

impl<'g, 'h, W: Write> Pickler<'g, 'h, W> {
    pub(crate) fn new(
        graph: &'g Graph,
        out: W,
        proto: u8,
        fix_imports: bool,
        extensions: &'h ExtensionRegistry,
        persistent_id: Option<&'h mut PersistentId<'h>>,
        buffer_callback: Option<&'h mut BufferCallback<'h>>,
    ) -> Pickler<'g, 'h, W> {
        Pickler {
            graph,
            proto,
            fix_imports: fix_imports && proto < 3,
            extensions,
            out: Output::new(out),
            memo: vec![NOT_MEMOIZED; graph.len()],
            memo_len: 0,
            singletons: HashMap::new(),
            globals: HashMap::new(),
            entered: vec![NOT_MEMOIZED; graph.len()],
            changes_written: HashSet::new(),
            tasks: Vec::new(),
            persistent_id,
            buffer_callback,
        }
    }

    /// Writes PROTO, the value, STOP, and flushes the last frame.
    pub(crate) fn dump(mut self, root: &Value) -> Result<W, EncodeError> {
        if self.proto >= 2 {
            self.out.write(&[Opcode::PROTO.0, self.proto])?;
        }
        if self.proto >= 4 {
            self.out.start_framing()?;
        }
        self.tasks.push(Task::Op(b"."));
        self.tasks.push(Task::Save(*root));
        while let Some(task) = self.tasks.pop() {
            self.run(task)?;
        }
        Ok(self.out.finish()?)
    }

    fn node(&self, id: NodeId) -> Result<&'g Node, EncodeError> {
        self.graph
            .try_node(id)
            .ok_or_else(|| EncodeError::DanglingNode(id.index()))
    }

    fn run(&mut self, task: Task) -> Result<(), EncodeError> {
        match task {
            Task::Save(value) => self.save(value)?,
            Task::Op(bytes) => self.out.write(bytes)?,
            Task::Text(bytes) => self.out.write(&bytes)?,
            Task::RegisterSingleton(id) => {
                if let Node::Bytes(data) = self.node(id)? {
                    self.singletons
                        .insert((true, data.to_vec()), self.memo[id.index()]);
                }
            }
            Task::MemoizeNode(id) => {
                let idx = self.memoize()?;
                self.memo[id.index()] = idx;
                if let Node::Global { module, name } = self.node(id)? {
                    let names = (
                        self.graph.get(module).as_str(),
                        self.graph.get(name).as_str(),
                    );
                    if let (Some(module), Some(name)) = names {
                        self.globals
                            .insert((module.to_owned(), name.to_owned()), idx);
                    }
                }
            }
            Task::MemoizeTemp => {
                self.memoize()?;
            }
            Task::Range {
                id,
                field,
                start,
                end,
                each,
            } => {
                let items = self.field(id, field)?;
                let items = items.get(start..end.min(items.len())).unwrap_or_default();
                // Leaves are written right here; the first other node suspends the walk,
                // which resumes once that node has been saved.
                for (offset, item) in items.iter().enumerate() {
                    if self.is_leaf(item) {
                        self.save_leaf(item)?;
                        if let Some(op) = each {
                            self.out.write(op)?;
                        }
                        continue;
                    }
                    self.tasks.push(Task::Range {
                        id,
                        field,
                        start: start + offset + 1,
                        end,
                        each,
                    });
                    if let Some(op) = each {
                        self.tasks.push(Task::Op(op));
                    }
                    self.tasks.push(Task::Save(*item));
                    break;
                }
            }
            Task::Pairs {
                id,
                field,
                start,
                end,
                each,
            } => {
                let pairs = self.pairs(id, field)?;
                let pairs = pairs.get(start..end.min(pairs.len())).unwrap_or_default();
                // Pairs of leaves are written right here; any other pair suspends the walk.
                for (offset, (key, value)) in pairs.iter().enumerate() {
                    if self.is_leaf(key) && self.is_leaf(value) {
                        self.save_leaf(key)?;
                        self.save_leaf(value)?;
                        if let Some(op) = each {
                            self.out.write(op)?;
                        }
                        continue;
                    }
                    self.tasks.push(Task::Pairs {
                        id,
                        field,
                        start: start + offset + 1,
                        end,
                        each,
                    });
                    if let Some(op) = each {
                        self.tasks.push(Task::Op(op));
                    }
                    self.tasks.push(Task::Save(*value));
                    self.tasks.push(Task::Save(*key));
                    break;
                }
            }
            Task::FinishTuple {
                id,
                n_items,
                marked,
            } => {
                self.entered[id.index()] = NOT_MEMOIZED;
                match self.memo[id.index()] {
                    NOT_MEMOIZED => {
                        let op: &[u8] = match (marked, n_items) {
                            (true, _) => b"t",
                            (false, 1) => b"\x85",
                            (false, 2) => b"\x86",
                            _ => b"\x87",
                        };
                        self.out.write(op)?;
                        let idx = self.memoize()?;
                        self.memo[id.index()] = idx;
                    }
                    // Saving the elements saved the tuple: it is recursive. Drop what was
                    // pushed and fetch it from the memo.
                    idx if marked && self.proto >= 1 => {
                        self.out.write(b"1")?;
                        self.write_get(idx)?;
                    }
                    idx => {
                        let pops = if marked { n_items + 1 } else { n_items };
                        self.out.write(&vec![b'0'; pops])?;
                        self.write_get(idx)?;
                    }
                }
            }
            Task::FinishFrozenSet(id) => {
                self.entered[id.index()] = NOT_MEMOIZED;
                match self.memo[id.index()] {
                    NOT_MEMOIZED => {
                        self.out.write(b"\x91")?;
                        let idx = self.memoize()?;
                        self.memo[id.index()] = idx;
                    }
                    idx => {
                        self.out.write(b"1")?;
                        self.write_get(idx)?;
                    }
                }
            }
            Task::FinishCall(id) => {
                self.entered[id.index()] = NOT_MEMOIZED;
                match self.memo[id.index()] {
                    NOT_MEMOIZED => {
                        let idx = self.memoize()?;
                        self.memo[id.index()] = idx;
                    }
                    idx => {
                        self.out.write(b"0")?;
                        self.write_get(idx)?;
                    }
                }
            }
            Task::EndProgress(id) => self.entered[id.index()] = NOT_MEMOIZED,
            Task::Changes(id) => {
                if self.changes_written.insert(id) {
                    self.push_changes(id)?;
                }
            }
            Task::TempStr(text) => {
                let singleton = is_singleton_str(&text);
                self.save_str_bytes(&text, singleton)?;
            }
            Task::MemoizeTempBytes(singleton) => {
                let idx = self.memoize()?;
                if let Some(content) = singleton {
                    self.singletons.insert((true, content), idx);
                }
            }
            Task::InternedStr(text) => {
                self.save_str_bytes(text.as_bytes(), true)?;
            }
            Task::GlobalName(module, name) => self.save_global_name(module, name, None)?,
            Task::BytesOf(id) => {
                let (Node::ByteArray(data) | Node::Bytes(data)) = self.node(id)? else {
                    return Ok(());
                };
                self.save_bytes_data(data, None)?;
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
            Some(Node::Bytes(_)) => self.proto >= 3,
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
        Ok(match self.node(id)? {
            Node::Dict(pairs) => pairs,
            _ => &[],
        })
    }

    fn memoize(&mut self) -> Result<u32, EncodeError> {
        let idx = self.memo_len;
        self.memo_len = idx
            .checked_add(1)
            .filter(|&len| len != NOT_MEMOIZED)
            .ok_or_else(|| EncodeError::Unpicklable("too many objects to memoize".to_owned()))?;
        if self.proto >= 4 {
            self.out.write(b"\x94")?;
        } else if self.proto >= 1 {
            match u8::try_from(idx) {
                Ok(small) => self.out.write(&[b'q', small])?,
                Err(_) => {
                    self.out.write(b"r")?;
                    self.out.write(&idx.to_le_bytes())?;
                }
            }
        } else {
            self.out.write(format!("p{idx}\n").as_bytes())?;
        }
        Ok(idx)
    }

    fn write_get(&mut self, idx: u32) -> Result<(), EncodeError> {
        if self.proto >= 1 {
            match u8::try_from(idx) {
                Ok(small) => self.out.write(&[b'h', small])?,
                Err(_) => {
                    self.out.write(b"j")?;
                    self.out.write(&idx.to_le_bytes())?;
                }
            }
        } else {
            self.out.write(format!("g{idx}\n").as_bytes())?;
        }
        Ok(())
    }

    fn save(&mut self, value: Value) -> Result<(), EncodeError> {
        self.out.boundary()?;
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
    #[inline]
    fn save_scalar(&mut self, value: &Value) -> Result<(), EncodeError> {
        match *value {
            Value::None => self.out.write(b"N")?,
            Value::Bool(value) => match (self.proto >= 2, value) {
                (true, true) => self.out.write(b"\x88")?,
                (true, false) => self.out.write(b"\x89")?,
                (false, true) => self.out.write(b"I01\n")?,
                (false, false) => self.out.write(b"I00\n")?,
            },
            Value::Int(value) => self.save_int(value)?,
            Value::BigInt(id) => {
                let graph = self.graph;
                let value = graph
                    .try_bigint(id)
                    .ok_or(EncodeError::DanglingInt(id.index()))?;
                self.save_bigint(value)?;
            }
            Value::Float(value) if self.proto >= 1 => {
                let mut op = [b'G'; 9];
                op[1..].copy_from_slice(&value.to_be_bytes());
                self.out.write(&op)?;
            }
            Value::Float(value) => {
                let text = format!("F{}\n", brine_lex::repr::float_repr(value));
                self.out.write(text.as_bytes())?;
            }
            Value::Node(id) => self.save_node(id)?,
        }
        Ok(())
    }

    /// Writes a value [`Pickler::is_leaf`] said is a leaf: a scalar without the detour
    /// through [`Pickler::save`] (a leaf means there is no persistent_id hook to ask).
    #[inline]
    fn save_leaf(&mut self, value: &Value) -> Result<(), EncodeError> {
        match value {
            Value::Node(_) => self.save(*value),
            scalar => {
                self.out.boundary()?;
                self.save_scalar(scalar)
            }
        }
    }

    fn save_int(&mut self, value: i64) -> Result<(), EncodeError> {
        if let Ok(small) = i32::try_from(value) {
            if self.proto >= 1 {
                match (u8::try_from(small), u16::try_from(small)) {
                    (Ok(byte), _) => self.out.write(&[b'K', byte])?,
                    (_, Ok(short)) => {
                        self.out.write(b"M")?;
                        self.out.write(&short.to_le_bytes())?;
                    }
                    _ => {
                        self.out.write(b"J")?;
                        self.out.write(&small.to_le_bytes())?;
                    }
                }
            } else {
                self.out.write(format!("I{small}\n").as_bytes())?;
            }
            return Ok(());
        }
        self.save_bigint(&BigInt::from(value))
    }

    /// An int outside the 32-bit range: LONG1/LONG4 from protocol 2, LONG text below.
    fn save_bigint(&mut self, value: &BigInt) -> Result<(), EncodeError> {
        if let Ok(small) = i32::try_from(value) {
            return self.save_int(i64::from(small));
        }
        if self.proto >= 2 {
            let encoded = encode_long(value);
            match u8::try_from(encoded.len()) {
                Ok(len) => self.out.write(&[0x8a, len])?,
                Err(_) => {
                    let len = i32::try_from(encoded.len()).map_err(|_| {
                        EncodeError::Unpicklable("int too large to pickle".to_owned())
                    })?;
                    self.out.write(&[0x8b])?;
                    self.out.write(&len.to_le_bytes())?;
                }
            }
            self.out.write(&encoded)?;
        } else {
            self.out.write(format!("L{value}L\n").as_bytes())?;
        }
        Ok(())
    }

    fn save_node(&mut self, id: NodeId) -> Result<(), EncodeError> {
        let node = self.node(id)?;
        let idx = self.memo[id.index()];
        if idx != NOT_MEMOIZED {
            return self.write_get(idx);
        }
        if self.entered[id.index()] == self.memo_len {
            let kind = match node {
                Node::Tuple(_) => "tuple",
                Node::FrozenSet(_) => "frozenset",
                _ => "object's constructor arguments",
            };
            return Err(EncodeError::ImpossibleCycle(kind));
        }
        // Pushed first, so it runs once the object is written and memoized, as CPython
        // writes BUILD (and the items of a list or dict subclass) after the object.
        if !self.graph.changes(id).is_empty() {
            self.tasks.push(Task::Changes(id));
        }
        match node {
            Node::Str(text) => {
                let singleton = is_singleton_str(text.as_bytes());
                let idx = self.save_str_bytes(text.as_bytes(), singleton)?;
                self.memo[id.index()] = idx;
            }
            Node::Bytes(data) => self.save_bytes_data(data, Some(id))?,
            Node::ByteArray(data) => self.save_bytearray(id, data)?,
            Node::Tuple(items) => self.save_tuple(id, items.len())?,
            Node::List(items) => {
                self.out.write(if self.proto >= 1 { b"]" } else { b"(l" })?;
                let idx = self.memoize()?;
                self.memo[id.index()] = idx;
                self.push_list_items(id, Field::Items, items.len());
            }
            Node::Dict(pairs) => {
                self.out.write(if self.proto >= 1 { b"}" } else { b"(d" })?;
                let idx = self.memoize()?;
                self.memo[id.index()] = idx;
                self.push_dict_items(id, Field::Items, pairs.len());
            }
            Node::Set(items) => self.save_set(id, items.len())?,
            Node::FrozenSet(items) => self.save_frozenset(id, items.len())?,
            Node::Global { module, name } => {
                let (Some(module_text), Some(name_text)) = (
                    self.graph.get(module).as_str(),
                    self.graph.get(name).as_str(),
                ) else {
                    return Err(EncodeError::Unpicklable(
                        "a global's module and name must be str".to_owned(),
                    ));
                };
                self.save_global(id, module_text, name_text, module, name)?;
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

    fn enter(&mut self, id: NodeId) {
        self.entered[id.index()] = self.memo_len;
    }

    /// Pushes the tasks that write the node's changes, in order: BUILD after its state,
    /// and the APPENDS / SETITEMS / ADDITEMS batches of a list, dict or set subclass.
    fn push_changes(&mut self, id: NodeId) -> Result<(), EncodeError> {
        let changes = self.graph.changes(id);
        if self.proto < 4 && changes.iter().any(|c| matches!(c, Change::AddItems(_))) {
            return Err(EncodeError::Unpicklable(format!(
                "ADDITEMS on an object needs protocol 4, not {}",
                self.proto
            )));
        }
        for (index, change) in changes.iter().enumerate().rev() {
            let field = Field::Change(index);
            match change {
                Change::Build(state) => {
                    self.tasks.push(Task::Op(b"b"));
                    self.tasks.push(Task::Save(*state));
                }
                Change::Append(items) => self.push_list_items(id, field, items.len()),
                Change::SetItems(pairs) => self.push_dict_items(id, field, pairs.len()),
                Change::AddItems(items) => self.push_additems(id, field, items.len()),
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

    /// Writes a str (surrogatepass UTF-8) and memoizes it; returns its memo index.
    ///
    /// A singleton (empty, one Latin-1 character, or an interned name) is written once and
    /// fetched from the memo after, as CPython's shared objects are.
    fn save_str_bytes(&mut self, data: &[u8], singleton: bool) -> Result<u32, EncodeError> {
        if singleton {
            if let Some(&idx) = self.singletons.get(&(false, data.to_vec())) {
                self.write_get(idx)?;
                return Ok(idx);
            }
        }
        if self.proto >= 1 {
            let len = data.len();
            if len <= 0xFF && self.proto >= 4 {
                self.out.write(&[0x8c, len as u8])?;
                self.out.write(data)?;
            } else if len > 0xFFFF_FFFF {
                if self.proto < 4 {
                    return Err(EncodeError::Unpicklable(
                        "cannot serialize a string larger than 4GiB below protocol 4".to_owned(),
                    ));
                }
                let header = header(0x8d, &(len as u64).to_le_bytes());
                self.out.write_large(&header, data)?;
            } else {
                let header = header(b'X', &(len as u32).to_le_bytes());
                self.out.write_payload(&header, data)?;
            }
        } else {
            let mut line = vec![b'V'];
            raw_unicode_escape(data, &mut line);
            line.push(b'\n');
            self.out.write_payload(&[], &line)?;
        }
        let idx = self.memoize()?;
        if singleton {
            self.singletons.insert((false, data.to_vec()), idx);
        }
        Ok(idx)
    }

    /// Writes bytes; `id` is the node to memoize, `None` for a temporary `bytes(obj)`.
    fn save_bytes_data(&mut self, data: &[u8], id: Option<NodeId>) -> Result<(), EncodeError> {
        let singleton = data.len() <= 1;
        if singleton {
            if let Some(&idx) = self.singletons.get(&(true, data.to_vec())) {
                if let Some(id) = id {
                    self.memo[id.index()] = idx;
                }
                return self.write_get(idx);
            }
        }
        if self.proto < 3 {
            // bytes(): `__builtin__.bytes()`; else `_codecs.encode(latin1_text, 'latin1')`.
            match id {
                Some(node) => {
                    self.enter(node);
                    if singleton {
                        self.tasks.push(Task::RegisterSingleton(node));
                    }
                    self.tasks.push(Task::FinishCall(node));
                }
                None => self
                    .tasks
                    .push(Task::MemoizeTempBytes(singleton.then(|| data.to_vec()))),
            }
            self.tasks.push(Task::Op(b"R"));
            if data.is_empty() {
                self.push_temp_tuple_empty();
                self.tasks.push(Task::GlobalName("builtins", "bytes"));
            } else {
                let text = brine_value::PyStr::from_latin1(data).as_bytes().to_vec();
                self.push_temp_tuple(2, |tasks| {
                    tasks.push(Task::InternedStr("latin1"));
                    tasks.push(Task::TempStr(text));
                });
                self.tasks.push(Task::GlobalName("_codecs", "encode"));
            }
            return Ok(());
        }
        let len = data.len();
        if len <= 0xFF {
            self.out.write(&[b'C', len as u8])?;
            self.out.write(data)?;
        } else if len > 0xFFFF_FFFF {
            if self.proto < 4 {
                return Err(EncodeError::Unpicklable(
                    "cannot serialize a bytes object larger than 4GiB below protocol 4".to_owned(),
                ));
            }
            let header = header(0x8e, &(len as u64).to_le_bytes());
            self.out.write_large(&header, data)?;
        } else {
            let header = header(b'B', &(len as u32).to_le_bytes());
            self.out.write_payload(&header, data)?;
        }
        let idx = self.memoize()?;
        if let Some(id) = id {
            self.memo[id.index()] = idx;
        }
        if singleton {
            self.singletons.insert((true, data.to_vec()), idx);
        }
        Ok(())
    }

    fn save_bytearray(&mut self, id: NodeId, data: &[u8]) -> Result<(), EncodeError> {
        if self.proto >= 5 {
            let header = header(0x96, &(data.len() as u64).to_le_bytes());
            self.out.write_payload(&header, data)?;
            let idx = self.memoize()?;
            self.memo[id.index()] = idx;
            return Ok(());
        }
        // `bytearray()` or `bytearray(bytes(obj))`.
        self.enter(id);
        self.tasks.push(Task::FinishCall(id));
        self.tasks.push(Task::Op(b"R"));
        if data.is_empty() {
            self.push_temp_tuple_empty();
        } else {
            self.push_temp_tuple(1, |tasks| tasks.push(Task::BytesOf(id)));
        }
        self.tasks.push(Task::GlobalName("builtins", "bytearray"));
        Ok(())
    }

    /// Pushes the tasks that save a temporary tuple whose `n_items` elements `push_items`
    /// pushes (in reverse order).
    fn push_temp_tuple(&mut self, n_items: usize, push_items: impl FnOnce(&mut Vec<Task>)) {
        if n_items <= 3 && self.proto >= 2 {
            self.tasks.push(Task::MemoizeTemp);
            self.tasks.push(Task::Op(match n_items {
                1 => b"\x85",
                2 => b"\x86",
                _ => b"\x87",
            }));
            push_items(&mut self.tasks);
        } else {
            self.tasks.push(Task::MemoizeTemp);
            self.tasks.push(Task::Op(b"t"));
            push_items(&mut self.tasks);
            self.tasks.push(Task::Op(b"("));
        }
    }

    fn push_temp_tuple_empty(&mut self) {
        self.tasks
            .push(Task::Op(if self.proto >= 1 { b")" } else { b"(t" }));
    }

    fn save_tuple(&mut self, id: NodeId, n_items: usize) -> Result<(), EncodeError> {
        if n_items == 0 {
            self.out.write(if self.proto >= 1 { b")" } else { b"(t" })?;
            return Ok(());
        }
        self.enter(id);
        let marked = !(n_items <= 3 && self.proto >= 2);
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
            each: None,
        });
        if marked {
            self.out.write(b"(")?;
        }
        Ok(())
    }

    /// A list's items (`Field::Items`, CPython's batch_list_exact), or the items a list
    /// subclass or other object is extended with (a change: batch_list over an iterator).
    fn push_list_items(&mut self, id: NodeId, field: Field, len: usize) {
        let layout = if field == Field::Items {
            Layout::ExactList
        } else {
            Layout::Generic
        };
        self.push_batches(id, len, layout, b"a", b"e", |id, start, end, each| {
            Task::Range {
                id,
                field,
                start,
                end,
                each,
            }
        });
    }

    /// A dict's pairs, or the pairs stored into a dict subclass or other object, as
    /// [`Pickler::push_list_items`].
    fn push_dict_items(&mut self, id: NodeId, field: Field, len: usize) {
        let layout = if field == Field::Items {
            Layout::ExactDict
        } else {
            Layout::Generic
        };
        self.push_batches(id, len, layout, b"s", b"u", |id, start, end, each| {
            Task::Pairs {
                id,
                field,
                start,
                end,
                each,
            }
        });
    }

    /// Pushes the APPENDS / SETITEMS batches for `len` items in CPython's layout.
    fn push_batches(
        &mut self,
        id: NodeId,
        len: usize,
        layout: Layout,
        single: &'static [u8],
        batch: &'static [u8],
        range: impl Fn(NodeId, usize, usize, Option<&'static [u8]>) -> Task,
    ) {
        if len == 0 {
            return;
        }
        if self.proto == 0 {
            self.tasks.push(range(id, 0, len, Some(single)));
            return;
        }
        if len == 1 && layout != Layout::AddItems {
            self.tasks.push(Task::Op(single));
            self.tasks.push(range(id, 0, 1, None));
            return;
        }
        // The tasks run in reverse order of pushing, so the batches are pushed last first.
        let mut push = |start: usize, end: usize, marked: bool| {
            if marked {
                self.tasks.push(Task::Op(batch));
                self.tasks.push(range(id, start, end, None));
                self.tasks.push(Task::Op(b"("));
            } else {
                self.tasks.push(Task::Op(single));
                self.tasks.push(range(id, start, end, None));
            }
        };
        // batch_dict_exact and ADDITEMS loop while the last batch was full, so a multiple of
        // 1000 items ends with an empty batch.
        if matches!(layout, Layout::ExactDict | Layout::AddItems) && len % BATCH_SIZE == 0 {
            push(len, len, true);
        }
        for batch_idx in (0..len.div_ceil(BATCH_SIZE)).rev() {
            let start = batch_idx * BATCH_SIZE;
            let end = (start + BATCH_SIZE).min(len);
            // batch_list over an iterator writes a lone last item with APPEND / SETITEM.
            let marked = !(layout == Layout::Generic && end - start == 1);
            push(start, end, marked);
        }
    }

    fn push_additems(&mut self, id: NodeId, field: Field, len: usize) {
        self.push_batches(
            id,
            len,
            Layout::AddItems,
            b"\x90",
            b"\x90",
            |id, start, end, each| Task::Range {
                id,
                field,
                start,
                end,
                each,
            },
        );
    }

    fn save_set(&mut self, id: NodeId, len: usize) -> Result<(), EncodeError> {
        if self.proto >= 4 {
            self.out.write(b"\x8f")?;
            let idx = self.memoize()?;
            self.memo[id.index()] = idx;
            if len > 0 {
                self.push_additems(id, Field::Items, len);
            }
            return Ok(());
        }
        self.save_collection_call(id, len, "set")
    }

    fn save_frozenset(&mut self, id: NodeId, len: usize) -> Result<(), EncodeError> {
        if self.proto >= 4 {
            self.enter(id);
            self.out.write(b"(")?;
            self.tasks.push(Task::FinishFrozenSet(id));
            self.tasks.push(Task::Range {
                id,
                field: Field::Items,
                start: 0,
                end: len,
                each: None,
            });
            return Ok(());
        }
        self.save_collection_call(id, len, "frozenset")
    }

    /// `set(list(items))` / `frozenset(list(items))`, the protocol 0-3 forms.
    fn save_collection_call(
        &mut self,
        id: NodeId,
        len: usize,
        type_name: &'static str,
    ) -> Result<(), EncodeError> {
        self.enter(id);
        self.tasks.push(Task::FinishCall(id));
        self.tasks.push(Task::Op(b"R"));
        // The argument tuple holds a temporary list of the items.
        let mut list_tasks = Vec::new();
        std::mem::swap(&mut self.tasks, &mut list_tasks);
        self.push_list_items(id, Field::Items, len);
        self.tasks.push(Task::MemoizeTemp);
        self.tasks
            .push(Task::Op(if self.proto >= 1 { b"]" } else { b"(l" }));
        let mut items_tasks = std::mem::replace(&mut self.tasks, list_tasks);
        self.push_temp_tuple(1, |tasks| tasks.append(&mut items_tasks));
        self.tasks.push(Task::GlobalName("builtins", type_name));
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
        if let Some(&idx) = self.globals.get(&(module.to_owned(), name.to_owned())) {
            self.memo[id.index()] = idx;
            return self.write_get(idx);
        }
        if self.proto >= 2 {
            if let Some(code) = self.extensions.code(module, name) {
                return self.write_ext(code);
            }
        }
        if self.proto >= 4 {
            self.enter(id);
            self.tasks.push(Task::MemoizeNode(id));
            self.tasks.push(Task::EndProgress(id));
            self.tasks.push(Task::Op(b"\x93"));
            self.tasks.push(Task::Save(*name_value));
            self.tasks.push(Task::Save(*module_value));
            return Ok(());
        }
        self.save_global_name(module, name, Some(id))
    }

    fn write_ext(&mut self, code: i32) -> Result<(), EncodeError> {
        if let Ok(small) = u8::try_from(code) {
            self.out.write(&[0x82, small])?;
        } else if let Ok(short) = u16::try_from(code) {
            self.out.write(&[0x83])?;
            self.out.write(&short.to_le_bytes())?;
        } else {
            self.out.write(&[0x84])?;
            self.out.write(&code.to_le_bytes())?;
        }
        Ok(())
    }

    /// A global by name: GLOBAL text below protocol 4, STACK_GLOBAL with interned names from
    /// 4; a nested qualname below 4 as `getattr(parent, name)`. `id` is the graph node, if
    /// the global is one.
    fn save_global_name(
        &mut self,
        module: &str,
        name: &str,
        id: Option<NodeId>,
    ) -> Result<(), EncodeError> {
        let key = (module.to_owned(), name.to_owned());
        if let Some(&idx) = self.globals.get(&key) {
            if let Some(id) = id {
                self.memo[id.index()] = idx;
            }
            return self.write_get(idx);
        }
        if self.proto >= 2 {
            if let Some(code) = self.extensions.code(module, name) {
                return self.write_ext(code);
            }
        }
        if self.proto >= 4 {
            self.save_str_bytes(module.as_bytes(), true)?;
            self.save_str_bytes(name.as_bytes(), true)?;
            self.out.write(b"\x93")?;
        } else if let Some((parent, last)) = name.rsplit_once('.') {
            // getattr(parent, last), then the result memoized as the global itself.
            self.save_global_name("builtins", "getattr", None)?;
            if self.proto < 2 {
                self.out.write(b"(")?;
            }
            self.save_global_name(module, parent, None)?;
            self.save_str_bytes(last.as_bytes(), is_singleton_str(last.as_bytes()))?;
            self.out
                .write(if self.proto >= 2 { b"\x86" } else { b"t" })?;
            self.memoize()?;
            self.out.write(b"R")?;
        } else if self.proto >= 3 {
            self.out.write(format!("c{module}\n{name}\n").as_bytes())?;
        } else {
            let (module, name) = if self.fix_imports {
                compat::py3_to_py2(module, name)
            } else {
                (module, name)
            };
            if !module.is_ascii() || !name.is_ascii() {
                return Err(EncodeError::Unpicklable(format!(
                    "can't pickle global identifier '{module}.{name}' using pickle protocol {}",
                    self.proto
                )));
            }
            self.out.write(format!("c{module}\n{name}\n").as_bytes())?;
        }
        let idx = self.memoize()?;
        self.globals.insert(key, idx);
        if let Some(id) = id {
            self.memo[id.index()] = idx;
        }
        Ok(())
    }

    fn save_reduce(
        &mut self,
        id: NodeId,
        callable: &Value,
        args: &Value,
    ) -> Result<(), EncodeError> {
        // `copyreg.__newobj__(cls, *args)` from protocol 2 is NEWOBJ, as in CPython.
        if self.proto >= 2 {
            if let Some(name) = self.global_name(callable) {
                if name == "__newobj__" {
                    if let Some(Node::Tuple(items)) =
                        args.node().and_then(|a| self.graph.try_node(a))
                    {
                        if let Some((cls, rest)) = items.split_first() {
                            let args_id = args.node().ok_or(EncodeError::DanglingNode(0))?;
                            self.enter(id);
                            self.tasks.push(Task::FinishCall(id));
                            self.tasks.push(Task::Op(b"\x81"));
                            let n_rest = rest.len();
                            if n_rest == 0 {
                                self.push_temp_tuple_empty();
                            } else {
                                self.push_temp_tuple(n_rest, |tasks| {
                                    tasks.push(Task::Range {
                                        id: args_id,
                                        field: Field::Items,
                                        start: 1,
                                        end: n_rest + 1,
                                        each: None,
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
        self.enter(id);
        self.tasks.push(Task::FinishCall(id));
        self.tasks.push(Task::Op(b"R"));
        self.tasks.push(Task::Save(*args));
        self.tasks.push(Task::Save(*callable));
        Ok(())
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
        match (kwargs, self.proto) {
            (None, 2..) => {
                self.tasks.push(Task::Op(b"\x81"));
                self.tasks.push(Task::Save(*args));
                self.tasks.push(Task::Save(*cls));
            }
            (Some(kwargs), 4..) => {
                self.tasks.push(Task::Op(b"\x92"));
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
                self.tasks.push(Task::Op(b"R"));
                let cls = *cls;
                self.push_temp_tuple(n_items + 1, |tasks| {
                    tasks.push(Task::Range {
                        id: args_id,
                        field: Field::Items,
                        start: 0,
                        end: n_items,
                        each: None,
                    });
                    tasks.push(Task::Save(cls));
                });
                self.tasks.push(Task::GlobalName("copyreg", "__newobj__"));
            }
            (Some(kwargs), _) => {
                // copyreg.__newobj_ex__(cls, args, kwargs)
                self.tasks.push(Task::Op(b"R"));
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
        if self.proto == 0 {
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
            let (module, name) = if self.fix_imports {
                compat::py3_to_py2(module, name)
            } else {
                (module, name)
            };
            self.tasks
                .push(Task::Text(format!("i{module}\n{name}\n").into_bytes()));
            self.tasks.push(Task::Range {
                id,
                field: Field::Args,
                start: 0,
                end: n_args,
                each: None,
            });
            self.out.write(b"(")?;
        } else {
            self.tasks.push(Task::Op(b"o"));
            self.tasks.push(Task::Range {
                id,
                field: Field::Args,
                start: 0,
                end: n_args,
                each: None,
            });
            self.tasks.push(Task::Save(*class));
            self.out.write(b"(")?;
        }
        Ok(())
    }

    fn save_persistent(&mut self, pid: Value) -> Result<(), EncodeError> {
        if self.proto >= 1 {
            // The id itself is saved without asking the persistent_id hook again.
            self.tasks.push(Task::Op(b"Q"));
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
        let Some(text) = text.filter(|text| !text.contains('\n')) else {
            return Err(EncodeError::Unpicklable(
                "persistent IDs in protocol 0 must be ASCII strings".to_owned(),
            ));
        };
        self.out.write(format!("P{text}\n").as_bytes())?;
        Ok(())
    }

    fn save_buffer(&mut self, id: NodeId, buffer: &PickleBuffer) -> Result<(), EncodeError> {
        if self.proto < 5 {
            return Err(EncodeError::Unpicklable(
                "PickleBuffer can only be pickled with protocol >= 5".to_owned(),
            ));
        }
        let in_band = match self.buffer_callback.as_mut() {
            Some(callback) => callback(buffer),
            None => true,
        };
        if !in_band {
            self.out.write(b"\x97")?;
            if buffer.readonly {
                self.out.write(b"\x98")?;
            }
            return Ok(());
        }
        let Some(data) = &buffer.data else {
            return Err(EncodeError::Unpicklable(
                "an out-of-band buffer without its bytes cannot be written in-band".to_owned(),
            ));
        };
        if buffer.readonly {
            self.save_bytes_data(data, Some(id))
        } else {
            let header = header(0x96, &(data.len() as u64).to_le_bytes());
            self.out.write_payload(&header, data)?;
            let idx = self.memoize()?;
            self.memo[id.index()] = idx;
            Ok(())
        }
    }
}

/// Whether CPython keeps a single shared object for this str: the empty string and
/// one-character strings below U+0100.
fn is_singleton_str(data: &[u8]) -> bool {
    // One code point below U+0100 is one ASCII byte or a two-byte sequence led by C2 or C3.
    match data {
        [] => true,
        [byte] => byte.is_ascii(),
        [lead, _] => matches!(lead, 0xC2 | 0xC3),
        _ => false,
    }
}

/// An opcode followed by its little-endian length prefix, without a heap allocation.
struct Header {
    bytes: [u8; 9],
    len: usize,
}

impl std::ops::Deref for Header {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

fn header(op: u8, len: &[u8]) -> Header {
    let mut bytes = [0u8; 9];
    bytes[0] = op;
    bytes[1..=len.len()].copy_from_slice(len);
    Header {
        bytes,
        len: 1 + len.len(),
    }
}

/// CPython's `encode_long`: little-endian two's complement in the fewest bytes.
fn encode_long(value: &BigInt) -> Vec<u8> {
    value.to_signed_bytes_le()
}

/// `raw-unicode-escape` of a str, after the replacements protocol 0 makes so the line can be
/// read back: backslash, NUL, newline, carriage return and Ctrl-Z as `\uXXXX`.
fn raw_unicode_escape(data: &[u8], out: &mut Vec<u8>) {
    for cp in brine_lex::pystr::code_points(data) {
        match cp {
            0x5C | 0x00 | 0x0A | 0x0D | 0x1A => {
                out.extend_from_slice(format!("\\u{cp:04x}").as_bytes())
            }
            0..=0xFF => out.push(cp as u8),
            0x100..=0xFFFF => out.extend_from_slice(format!("\\u{cp:04x}").as_bytes()),
            _ => out.extend_from_slice(format!("\\U{cp:08x}").as_bytes()),
        }
    }
}
