//! `brine json`: the value of a pickle as JSON, in the format docs/json.md describes.
//!
//! The pickle is decoded, interpreted (`brine_interpret::natural`) and written without
//! recursion: plain JSON for what JSON can hold, a tagged object (`{"$tuple": [...]}`) for
//! everything else, and `{"$id": n, ...}` / `{"$ref": n}` for objects reached more than once.
//! The text is exactly what `python/describe_pickle.py` prints for the object Python loads,
//! byte for byte.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::PathBuf;

use brine_interpret::natural::{self, Interpreted, Natural, Object};
use brine_interpret::{ObjectKind, Time};
use brine_lex::repr;
use brine_value::StringEncoding;
use brine_value::{NodeId, PyStr, Value};
use hashbrown::{HashMap, HashSet};
use num_bigint::BigInt;

use crate::{input, output};

/// Arguments of `brine json`.
#[derive(Debug, clap::Args)]
pub struct JsonArgs {
    /// The pickle to read; `-` or nothing reads stdin.
    input: Option<PathBuf>,
    /// How to decode Python 2 `str` objects: ASCII, latin1, utf-8 or bytes.
    #[arg(long, default_value = "ASCII")]
    encoding: String,
    /// Do not map names between Python 2 and 3.
    #[arg(long)]
    no_fix_imports: bool,
    /// Register an extension code, as `copyreg.add_extension` does: `241=module:name`.
    #[arg(long = "ext", value_name = "CODE=MODULE:NAME")]
    extensions: Vec<String>,
    /// Stop with an error once the output would exceed this many bytes
    /// (default: 64 MiB plus 32 bytes per input byte).
    #[arg(long, value_name = "BYTES")]
    max_output: Option<u64>,
}

/// Decodes the pickle and prints its value as one line of JSON.
pub fn run(args: &JsonArgs) -> Result<(), Box<dyn std::error::Error>> {
    let data = input::read_bytes(args.input.as_deref())?;
    let mut options = brine_vm::Options::default();
    options.encoding = StringEncoding::from_name(&args.encoding)
        .ok_or_else(|| format!("unknown encoding {:?}", args.encoding))?;
    options.fix_imports = !args.no_fix_imports;
    for spec in &args.extensions {
        let (code, module, name) = parse_extension(spec)
            .ok_or_else(|| format!("bad extension {spec:?}: expected CODE=MODULE:NAME"))?;
        options.extensions.add(code, module, name)?;
    }
    let limit = args
        .max_output
        .unwrap_or_else(|| (64 << 20) + 32 * data.len() as u64);
    let graph = brine_vm::from_bytes(data, &options)?;
    let interpreted = natural::interpret(&graph);
    let mut out = output::open(None)?;
    write_json(&interpreted, &mut out, limit)?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(())
}

fn parse_extension(spec: &str) -> Option<(i64, &str, &str)> {
    let (code, global) = spec.split_once('=')?;
    let (module, name) = global.split_once(':')?;
    let code = match code.strip_prefix("0x") {
        Some(hex) => i64::from_str_radix(hex, 16).ok()?,
        None => code.parse().ok()?,
    };
    Some((code, module, name))
}

/// Writes the interpreted graph's root as JSON (without a final newline).
///
/// # Errors
///
/// Writing fails; the output would exceed `limit` bytes; or a set holds sets nested more
/// than [`MAX_SET_NESTING`] deep, so that its items cannot be ordered.
pub fn write_json(graph: &Interpreted, out: &mut dyn Write, limit: u64) -> io::Result<()> {
    let mut sets = SetOrders {
        orders: HashMap::new(),
        in_progress: HashSet::new(),
        nesting: 0,
        key_bytes: 0,
        limit,
    };
    let mut out = Limited {
        out,
        written: 0,
        limit,
    };
    Writer::new(graph, graph.root_value(), &mut sets).write(&mut out)
}

/// How deep sets may nest inside the items of a set being ordered.
pub const MAX_SET_NESTING: usize = 64;

/// Integers of smaller magnitude are plain JSON numbers (JavaScript's safe integers).
const MAX_PLAIN_INT: u64 = (1 << 53) - 1;

/// The sorted item order of each set, shared by a writer and the writers it starts to render
/// sort keys.
struct SetOrders {
    orders: HashMap<NodeId, Vec<usize>>,
    in_progress: HashSet<NodeId>,
    nesting: usize,
    key_bytes: u64,
    limit: u64,
}

/// A writer that stops at a byte limit.
struct Limited<'w> {
    out: &'w mut dyn Write,
    written: u64,
    limit: u64,
}

impl Limited<'_> {
    fn write(&mut self, text: &str) -> io::Result<()> {
        self.written += text.len() as u64;
        if self.written > self.limit {
            return Err(io::Error::other(format!(
                "the json output would exceed {} bytes (--max-output)",
                self.limit
            )));
        }
        self.out.write_all(text.as_bytes())
    }
}

/// One step of the output: a value to write, or literal text.
enum Task<'g> {
    Value(&'g Value),
    Text(Cow<'static, str>),
}

fn text(text: &'static str) -> Task<'static> {
    Task::Text(Cow::Borrowed(text))
}

struct Writer<'g, 's> {
    graph: &'g Interpreted,
    root: &'g Value,
    /// How often each node that may carry an id is reached.
    counts: HashMap<NodeId, u32>,
    /// The ids given so far.
    ids: HashMap<NodeId, u64>,
    sets: &'s mut SetOrders,
}

impl<'g, 's> Writer<'g, 's> {
    fn new(graph: &'g Interpreted, root: &'g Value, sets: &'s mut SetOrders) -> Writer<'g, 's> {
        let mut counts: HashMap<NodeId, u32> = HashMap::new();
        let mut stack = vec![root];
        while let Some(value) = stack.pop() {
            let Some(id) = value.node() else {
                continue;
            };
            let Some(natural) = graph.try_node(id) else {
                continue;
            };
            if has_identity(natural) {
                let count = counts.entry(id).or_insert(0);
                *count += 1;
                if *count > 1 {
                    continue;
                }
            }
            natural.for_each_child(|child| stack.push(child));
        }
        Writer {
            graph,
            root,
            counts,
            ids: HashMap::new(),
            sets,
        }
    }

    fn write(&mut self, out: &mut Limited<'_>) -> io::Result<()> {
        let mut tasks = vec![Task::Value(self.root)];
        let mut buf = String::new();
        while let Some(task) = tasks.pop() {
            match task {
                Task::Text(text) => out.write(&text)?,
                Task::Value(value) => {
                    buf.clear();
                    let start = tasks.len();
                    self.value(value, &mut buf, &mut tasks)?;
                    // What `value` queued is in writing order; the stack pops from the end.
                    tasks[start..].reverse();
                    out.write(&buf)?;
                }
            }
        }
        Ok(())
    }

    /// Writes a scalar to `buf`, or the start of a node to `buf` and the rest, in order, to
    /// `tasks`.
    fn value(
        &mut self,
        value: &'g Value,
        buf: &mut String,
        tasks: &mut Vec<Task<'g>>,
    ) -> io::Result<()> {
        match value {
            Value::None => buf.push_str("null"),
            Value::Bool(true) => buf.push_str("true"),
            Value::Bool(false) => buf.push_str("false"),
            Value::Int(value) if value.unsigned_abs() <= MAX_PLAIN_INT => {
                let _ = write!(buf, "{value}");
            }
            Value::Int(value) => {
                let _ = write!(buf, "{{\"$int\":\"{value}\"}}");
            }
            Value::BigInt(id) => {
                let value = self.graph.bigint(*id).ok_or_else(dangling_int)?;
                // A Python 2 int kept for its type (`brine_value::Py2Int`) is the int
                // Python 3 loads, written as any int of its value is.
                match i64::try_from(value) {
                    Ok(small) if small.unsigned_abs() <= MAX_PLAIN_INT => {
                        let _ = write!(buf, "{small}");
                    }
                    _ => {
                        let _ = write!(buf, "{{\"$int\":\"{value}\"}}");
                    }
                }
            }
            Value::Float(value) => float(*value, buf),
            Value::Node(id) => self.node(*id, buf, tasks)?,
        }
        Ok(())
    }

    fn node(&mut self, id: NodeId, buf: &mut String, tasks: &mut Vec<Task<'g>>) -> io::Result<()> {
        if let Some(label) = self.ids.get(&id) {
            let _ = write!(buf, "{{\"$ref\":{label}}}");
            return Ok(());
        }
        let graph = self.graph;
        let Some(natural) = graph.try_node(id) else {
            buf.push_str("{\"$record\":\"missing\",\"fields\":[]}");
            return Ok(());
        };
        let label = if self.counts.get(&id).copied().unwrap_or(0) > 1 {
            let label = self.ids.len() as u64 + 1;
            self.ids.insert(id, label);
            Some(label)
        } else {
            None
        };
        // Opens the tagged object `{"$id":n,"$tag":`.
        let open = |buf: &mut String, tag: &str| {
            buf.push('{');
            if let Some(label) = label {
                let _ = write!(buf, "\"$id\":{label},");
            }
            let _ = write!(buf, "\"${tag}\":");
        };
        match natural {
            Natural::Str(text) => string_value(text, buf),
            Natural::Bytes(data) => {
                open(buf, "bytes");
                let _ = write!(buf, "\"{}\"}}", base64(data));
            }
            Natural::ByteArray(data) => {
                open(buf, "bytearray");
                let _ = write!(buf, "\"{}\"}}", base64(data));
            }
            Natural::Tuple(items) => {
                open(buf, "tuple");
                array(items, tasks);
                tasks.push(text("}"));
            }
            Natural::List(items) if label.is_none() => array(items, tasks),
            Natural::List(items) => {
                open(buf, "list");
                array(items, tasks);
                tasks.push(text("}"));
            }
            Natural::Dict(pairs) => {
                if label.is_some() || !plain_keys(graph, pairs) {
                    open(buf, "dict");
                    self.dict_body(pairs, tasks);
                    tasks.push(text("}"));
                } else {
                    self.dict_body(pairs, tasks);
                }
            }
            Natural::Set(items) | Natural::FrozenSet(items) => {
                open(buf, natural.kind_name());
                let order = self.set_order(id, items)?;
                tasks.push(text("["));
                for (idx, item) in order.into_iter().enumerate() {
                    if idx > 0 {
                        tasks.push(text(","));
                    }
                    tasks.push(Task::Value(&items[item]));
                }
                tasks.push(text("]}"));
            }
            Natural::Global(global) => {
                open(buf, "global");
                buf.push('[');
                string(&global.module, buf);
                buf.push(',');
                string(&global.name, buf);
                buf.push_str("]}");
            }
            Natural::Complex { real, imag } => {
                open(buf, "complex");
                buf.push('[');
                float(*real, buf);
                buf.push(',');
                float(*imag, buf);
                buf.push_str("]}");
            }
            Natural::OrderedDict(pairs) | Natural::Counter(pairs) => {
                open(buf, natural.kind_name());
                self.dict_body(pairs, tasks);
                tasks.push(text("}"));
            }
            Natural::DefaultDict { factory, items } => {
                open(buf, "defaultdict");
                tasks.push(Task::Value(factory));
                tasks.push(text(",\"items\":"));
                self.dict_body(items, tasks);
                tasks.push(text("}"));
            }
            Natural::Deque { items, maxlen } => {
                open(buf, "deque");
                array(items, tasks);
                if let Some(maxlen) = maxlen {
                    tasks.push(Task::Text(Cow::Owned(format!(",\"maxlen\":{maxlen}"))));
                }
                tasks.push(text("}"));
            }
            Natural::Date(date) => {
                open(buf, "date");
                let _ = write!(
                    buf,
                    "\"{:04}-{:02}-{:02}\"}}",
                    date.year, date.month, date.day
                );
            }
            Natural::Time(time) => {
                open(buf, "time");
                buf.push('"');
                clock(time, buf);
                buf.push('"');
                time_fields(time, tasks);
            }
            Natural::DateTime(date, time) => {
                open(buf, "datetime");
                let _ = write!(buf, "\"{:04}-{:02}-{:02}T", date.year, date.month, date.day);
                clock(time, buf);
                buf.push('"');
                time_fields(time, tasks);
            }
            Natural::TimeDelta(delta) => {
                open(buf, "timedelta");
                let _ = write!(
                    buf,
                    "[{},{},{}]}}",
                    delta.days, delta.seconds, delta.microseconds
                );
            }
            Natural::TimeZone(zone) => {
                open(buf, "timezone");
                let delta = zone.offset;
                let _ = write!(
                    buf,
                    "[{},{},{}]",
                    delta.days, delta.seconds, delta.microseconds
                );
                if let Some(name) = &zone.name {
                    buf.push_str(",\"name\":");
                    string_value(name, buf);
                }
                buf.push('}');
            }
            Natural::Decimal(digits) => {
                open(buf, "decimal");
                string(digits, buf);
                buf.push('}');
            }
            Natural::Fraction {
                numerator,
                denominator,
            } => {
                open(buf, "fraction");
                let _ = write!(buf, "\"{numerator}/{denominator}\"}}");
            }
            Natural::Range { start, stop, step } | Natural::Slice { start, stop, step } => {
                open(buf, natural.kind_name());
                tasks.push(text("["));
                tasks.push(Task::Value(start));
                tasks.push(text(","));
                tasks.push(Task::Value(stop));
                tasks.push(text(","));
                tasks.push(Task::Value(step));
                tasks.push(text("]}"));
            }
            Natural::Object(object) => {
                open(
                    buf,
                    match object.kind {
                        ObjectKind::Instance => "instance",
                        ObjectKind::Call => "call",
                    },
                );
                self.object(object, tasks);
                tasks.push(text("}"));
            }
            Natural::PersistentId(pid) => {
                open(buf, "persistent_id");
                tasks.push(Task::Value(pid));
                tasks.push(text("}"));
            }
            Natural::Buffer(buffer) => {
                open(buf, "buffer");
                let _ = write!(buf, "{},\"readonly\":{}", buffer.index, buffer.readonly);
                if let Some(data) = &buffer.data {
                    let _ = write!(buf, ",\"data\":\"{}\"", base64(data));
                }
                buf.push('}');
            }
            Natural::Ext(code) => {
                open(buf, "ext");
                let _ = write!(buf, "{code}}}");
            }
            Natural::Record { kind, fields } => {
                open(buf, "record");
                string(kind, buf);
                buf.push_str(",\"fields\":");
                array(fields, tasks);
                tasks.push(text("}"));
            }
            other => {
                // A kind added to the interpretation after this writer: named, never dropped.
                open(buf, "record");
                string(other.kind_name(), buf);
                buf.push_str(",\"fields\":[]}");
            }
        }
        Ok(())
    }

    /// The fields of an instance or a call after its `$instance` / `$call` key.
    fn object(&self, object: &'g Object, tasks: &mut Vec<Task<'g>>) {
        tasks.push(Task::Value(&object.callable));
        if !object.args.is_empty() {
            tasks.push(text(",\"args\":"));
            array(&object.args, tasks);
        }
        for (name, pairs) in [
            (",\"kwargs\":", &object.kwargs),
            (",\"state\":", &object.state),
        ] {
            if !pairs.is_empty() {
                tasks.push(text(name));
                self.dict_body(pairs, tasks);
            }
        }
        if !object.slots.is_empty() {
            tasks.push(text(",\"slots\":"));
            self.slots_body(&object.slots, tasks);
        }
        if let Some(state) = &object.setstate {
            tasks.push(text(",\"setstate\":"));
            tasks.push(Task::Value(state));
        }
        if !object.list_items.is_empty() {
            tasks.push(text(",\"listitems\":"));
            array(&object.list_items, tasks);
        }
        if !object.dict_items.is_empty() {
            tasks.push(text(",\"dictitems\":"));
            self.dict_body(&object.dict_items, tasks);
        }
    }

    /// A dict's pairs: a JSON object when the keys are plain, else `[[key, value], ...]`.
    fn dict_body(&self, pairs: &'g [(Value, Value)], tasks: &mut Vec<Task<'g>>) {
        let plain = plain_keys(self.graph, pairs);
        tasks.push(text(if plain { "{" } else { "[" }));
        for (idx, (key, value)) in pairs.iter().enumerate() {
            if idx > 0 {
                tasks.push(text(","));
            }
            if plain {
                tasks.push(Task::Value(key));
                tasks.push(text(":"));
                tasks.push(Task::Value(value));
            } else {
                tasks.push(text("["));
                tasks.push(Task::Value(key));
                tasks.push(text(","));
                tasks.push(Task::Value(value));
                tasks.push(text("]"));
            }
        }
        tasks.push(text(if plain { "}" } else { "]" }));
    }

    /// Slot attributes have no order in Python (a class lists them, a pickle has them in its
    /// producer's order): with plain names they are written sorted by name.
    fn slots_body(&self, pairs: &'g [(Value, Value)], tasks: &mut Vec<Task<'g>>) {
        if !plain_keys(self.graph, pairs) {
            return self.dict_body(pairs, tasks);
        }
        let name = |key: &Value| match key.node().and_then(|id| self.graph.try_node(id)) {
            Some(Natural::Str(text)) => text.as_bytes(),
            _ => &[],
        };
        let mut sorted: Vec<&'g (Value, Value)> = pairs.iter().collect();
        sorted.sort_by(|a, b| name(&a.0).cmp(name(&b.0)));
        tasks.push(text("{"));
        for (idx, (key, value)) in sorted.into_iter().enumerate() {
            if idx > 0 {
                tasks.push(text(","));
            }
            tasks.push(Task::Value(key));
            tasks.push(text(":"));
            tasks.push(Task::Value(value));
        }
        tasks.push(text("}"));
    }

    /// The order in which a set's items are written (docs/json.md, "Sets").
    fn set_order(&mut self, id: NodeId, items: &'g [Value]) -> io::Result<Vec<usize>> {
        if let Some(order) = self.sets.orders.get(&id) {
            return Ok(order.clone());
        }
        if self.sets.in_progress.contains(&id) {
            // The set is reached again while its own items are being ordered: pickle order.
            return Ok((0..items.len()).collect());
        }
        if self.sets.nesting >= MAX_SET_NESTING {
            return Err(io::Error::other(format!(
                "sets nested more than {MAX_SET_NESTING} deep in set items cannot be ordered"
            )));
        }
        self.sets.in_progress.insert(id);
        self.sets.nesting += 1;
        let keys: io::Result<Vec<SortKey<'g>>> =
            items.iter().map(|item| self.sort_key(item)).collect();
        self.sets.nesting -= 1;
        self.sets.in_progress.remove(&id);
        let keys = keys?;
        let mut order: Vec<usize> = (0..items.len()).collect();
        order.sort_by(|&a, &b| keys[a].cmp(&keys[b]));
        self.sets.orders.insert(id, order.clone());
        Ok(order)
    }

    fn sort_key(&mut self, item: &'g Value) -> io::Result<SortKey<'g>> {
        Ok(match item {
            Value::None => SortKey::None,
            Value::Bool(value) => SortKey::Bool(*value),
            Value::Int(value) => SortKey::Int(BigInt::from(*value)),
            Value::BigInt(id) => {
                SortKey::Int(self.graph.bigint(*id).ok_or_else(dangling_int)?.clone())
            }
            Value::Float(value) => SortKey::Float(total_order(*value)),
            Value::Node(id) => match self.graph.try_node(*id) {
                Some(Natural::Str(text)) => SortKey::Str(text.as_bytes()),
                Some(Natural::Bytes(data)) => SortKey::Bytes(data),
                _ => {
                    // Anything else orders by its own JSON text, written as if it were the
                    // root.
                    let mut text = Vec::new();
                    let remaining = self.sets.limit.saturating_sub(self.sets.key_bytes);
                    let mut out = Limited {
                        out: &mut text,
                        written: 0,
                        limit: remaining,
                    };
                    Writer::new(self.graph, item, self.sets).write(&mut out)?;
                    self.sets.key_bytes += text.len() as u64;
                    SortKey::Other(text)
                }
            },
        })
    }
}

/// Set items order by kind, then within a kind: numbers by value, str by code point, bytes
/// by byte, anything else by its JSON text.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum SortKey<'g> {
    None,
    Bool(bool),
    Int(BigInt),
    Float(i64),
    Str(&'g [u8]),
    Bytes(&'g [u8]),
    Other(Vec<u8>),
}

/// `f64::total_cmp`'s order as an integer.
fn total_order(value: f64) -> i64 {
    let bits = value.to_bits() as i64;
    bits ^ (((bits >> 63) as u64) >> 1) as i64
}

/// Whether a node can be reached twice as the same object, and so may carry an id. Strings,
/// bytes, globals, the empty tuple and time zones are immutable values Python itself shares
/// freely (interning, singletons, `timezone.utc`): they are written in full every time.
fn has_identity(natural: &Natural) -> bool {
    match natural {
        Natural::Str(_) | Natural::Bytes(_) | Natural::Global(_) | Natural::TimeZone(_) => false,
        Natural::Tuple(items) => !items.is_empty(),
        _ => true,
    }
}

/// Whether a dict can be a plain JSON object: every key a str without lone surrogates, not
/// starting with `$`, and no key twice.
fn plain_keys(graph: &Interpreted, pairs: &[(Value, Value)]) -> bool {
    let mut seen = HashSet::with_capacity(pairs.len());
    pairs.iter().all(|(key, _)| {
        let text = key.node().and_then(|id| match graph.try_node(id) {
            Some(Natural::Str(text)) => text.as_str(),
            _ => None,
        });
        text.is_some_and(|text| !text.starts_with('$') && seen.insert(text))
    })
}

fn array<'g>(items: &'g [Value], tasks: &mut Vec<Task<'g>>) {
    tasks.push(text("["));
    for (idx, item) in items.iter().enumerate() {
        if idx > 0 {
            tasks.push(text(","));
        }
        tasks.push(Task::Value(item));
    }
    tasks.push(text("]"));
}

fn time_fields<'g>(time: &'g Time, tasks: &mut Vec<Task<'g>>) {
    if time.tzinfo != Value::None {
        tasks.push(text(",\"tzinfo\":"));
        tasks.push(Task::Value(&time.tzinfo));
    }
    if time.fold {
        tasks.push(text(",\"fold\":1"));
    }
    tasks.push(text("}"));
}

fn clock(time: &Time, buf: &mut String) {
    let _ = write!(
        buf,
        "{:02}:{:02}:{:02}.{:06}",
        time.hour, time.minute, time.second, time.microsecond
    );
}

fn float(value: f64, buf: &mut String) {
    if value.is_finite() {
        buf.push_str(&repr::float_repr(value));
    } else {
        let _ = write!(buf, "{{\"$float\":\"{}\"}}", repr::float_repr(value));
    }
}

/// A Python str: a JSON string, or `{"$str": [code points]}` when it holds a lone surrogate.
fn string_value(text: &PyStr, buf: &mut String) {
    match text.as_str() {
        Some(text) => string(text, buf),
        None => {
            buf.push_str("{\"$str\":[");
            for (idx, cp) in text.code_points().enumerate() {
                if idx > 0 {
                    buf.push(',');
                }
                let _ = write!(buf, "{cp}");
            }
            buf.push_str("]}");
        }
    }
}

/// A JSON string escaped as Python's `json.dumps(..., ensure_ascii=False)` escapes it.
fn string(text: &str, buf: &mut String) {
    buf.push('"');
    for ch in text.chars() {
        match ch {
            '"' => buf.push_str("\\\""),
            '\\' => buf.push_str("\\\\"),
            '\n' => buf.push_str("\\n"),
            '\r' => buf.push_str("\\r"),
            '\t' => buf.push_str("\\t"),
            '\u{8}' => buf.push_str("\\b"),
            '\u{c}' => buf.push_str("\\f"),
            ch if (ch as u32) < 0x20 => {
                let _ = write!(buf, "\\u{:04x}", ch as u32);
            }
            ch => buf.push(ch),
        }
    }
    buf.push('"');
}

/// Standard base64 with padding.
fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (idx, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if idx <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 0x3F) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn dangling_int() -> io::Error {
    io::Error::other("a big int is not in the graph")
}

#[cfg(test)]
mod tests {
    use super::{base64, string};

    #[test]
    fn base64_pads() {
        for (data, expect) in [
            (&b""[..], ""),
            (b"f", "Zg=="),
            (b"fo", "Zm8="),
            (b"foo", "Zm9v"),
            (b"\x00\xff", "AP8="),
        ] {
            assert_eq!(base64(data), expect);
        }
    }

    #[test]
    fn strings_escape_as_python_json() {
        let mut buf = String::new();
        string("a\"\\\n\r\t\u{8}\u{c}\u{1}\u{1f}\u{7f}\u{2028}é", &mut buf);
        assert_eq!(
            buf,
            "\"a\\\"\\\\\\n\\r\\t\\b\\f\\u0001\\u001f\u{7f}\u{2028}é\""
        );
    }
}
