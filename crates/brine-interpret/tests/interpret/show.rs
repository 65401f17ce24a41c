//! A compact, Python-like text of an interpreted graph, for expectations: `#n=` labels a node
//! reached more than once, `#n` refers to it again.

use std::fmt::Write as _;

use brine_interpret::natural::{Interpreted, Natural, Object};
use brine_interpret::{ObjectKind, Time};
use brine_lex::repr;
use brine_value::Value;
use hashbrown::HashMap;

/// The text of the interpreted graph.
pub fn show(graph: &Interpreted) -> String {
    let mut counts: HashMap<u32, u32> = HashMap::new();
    let mut stack: Vec<Value> = vec![*graph.root_value()];
    while let Some(value) = stack.pop() {
        if let Some(id) = value.node() {
            let count = counts.entry(id.index() as u32).or_insert(0);
            *count += 1;
            if *count == 1 {
                graph.node(id).for_each_child(|child| stack.push(*child));
            }
        }
    }
    let mut printer = Printer {
        graph,
        counts,
        labels: HashMap::new(),
        out: String::new(),
    };
    printer.value(graph.root_value());
    printer.out
}

struct Printer<'g> {
    graph: &'g Interpreted,
    counts: HashMap<u32, u32>,
    labels: HashMap<u32, usize>,
    out: String,
}

impl Printer<'_> {
    fn value(&mut self, value: &Value) {
        match value {
            Value::None => self.out.push_str("None"),
            Value::Bool(true) => self.out.push_str("True"),
            Value::Bool(false) => self.out.push_str("False"),
            Value::Int(value) => {
                let _ = write!(self.out, "{value}");
            }
            Value::BigInt(id) => match self.graph.bigint(*id) {
                Some(value) => {
                    let _ = write!(self.out, "{value}");
                }
                None => self.out.push_str("<dangling int>"),
            },
            Value::Float(value) => self.out.push_str(&repr::float_repr(*value)),
            Value::Node(id) => {
                let key = id.index() as u32;
                if let Some(label) = self.labels.get(&key) {
                    let _ = write!(self.out, "#{label}");
                    return;
                }
                if self.counts.get(&key).copied().unwrap_or(0) > 1 {
                    let label = self.labels.len();
                    self.labels.insert(key, label);
                    let _ = write!(self.out, "#{label}=");
                }
                self.natural(self.graph.node(*id));
            }
        }
    }

    fn seq(&mut self, items: &[Value]) {
        for (idx, item) in items.iter().enumerate() {
            if idx > 0 {
                self.out.push_str(", ");
            }
            self.value(item);
        }
    }

    fn pairs(&mut self, pairs: &[(Value, Value)]) {
        self.out.push('{');
        for (idx, (key, value)) in pairs.iter().enumerate() {
            if idx > 0 {
                self.out.push_str(", ");
            }
            self.value(key);
            self.out.push_str(": ");
            self.value(value);
        }
        self.out.push('}');
    }

    fn time(&mut self, time: &Time) {
        let _ = write!(
            self.out,
            "{:02}:{:02}:{:02}.{:06}",
            time.hour, time.minute, time.second, time.microsecond
        );
        if time.fold {
            self.out.push_str(" fold");
        }
        if time.tzinfo != Value::None {
            self.out.push_str(" tz=");
            let tzinfo = time.tzinfo;
            self.value(&tzinfo);
        }
    }

    fn natural(&mut self, natural: &Natural) {
        match natural {
            Natural::Str(text) => {
                let _ = write!(self.out, "{text:?}");
            }
            Natural::Bytes(data) => self.out.push_str(&repr::bytes_repr(data)),
            Natural::ByteArray(data) => {
                let _ = write!(self.out, "bytearray({})", repr::bytes_repr(data));
            }
            Natural::Tuple(items) => {
                self.out.push('(');
                self.seq(items);
                if items.len() == 1 {
                    self.out.push(',');
                }
                self.out.push(')');
            }
            Natural::List(items) => {
                self.out.push('[');
                self.seq(items);
                self.out.push(']');
            }
            Natural::Dict(pairs) => self.pairs(pairs),
            Natural::Set(items) => {
                self.out.push_str("set([");
                self.seq(items);
                self.out.push_str("])");
            }
            Natural::FrozenSet(items) => {
                self.out.push_str("frozenset([");
                self.seq(items);
                self.out.push_str("])");
            }
            Natural::Global(global) => {
                let _ = write!(self.out, "{}:{}", global.module, global.name);
            }
            Natural::Complex { real, imag } => {
                let _ = write!(
                    self.out,
                    "complex({}, {})",
                    repr::float_repr(*real),
                    repr::float_repr(*imag)
                );
            }
            Natural::OrderedDict(pairs) => {
                self.out.push_str("OrderedDict(");
                self.pairs(pairs);
                self.out.push(')');
            }
            Natural::DefaultDict { factory, items } => {
                self.out.push_str("defaultdict(");
                self.value(factory);
                self.out.push_str(", ");
                self.pairs(items);
                self.out.push(')');
            }
            Natural::Counter(pairs) => {
                self.out.push_str("Counter(");
                self.pairs(pairs);
                self.out.push(')');
            }
            Natural::Deque { items, maxlen } => {
                self.out.push_str("deque([");
                self.seq(items);
                self.out.push(']');
                if let Some(maxlen) = maxlen {
                    let _ = write!(self.out, ", maxlen={maxlen}");
                }
                self.out.push(')');
            }
            Natural::Date(date) => {
                let _ = write!(
                    self.out,
                    "date({:04}-{:02}-{:02})",
                    date.year, date.month, date.day
                );
            }
            Natural::Time(time) => {
                self.out.push_str("time(");
                self.time(time);
                self.out.push(')');
            }
            Natural::DateTime(date, time) => {
                let _ = write!(
                    self.out,
                    "datetime({:04}-{:02}-{:02}T",
                    date.year, date.month, date.day
                );
                self.time(time);
                self.out.push(')');
            }
            Natural::TimeDelta(delta) => {
                let _ = write!(
                    self.out,
                    "timedelta({}, {}, {})",
                    delta.days, delta.seconds, delta.microseconds
                );
            }
            Natural::TimeZone(zone) => {
                let delta = zone.offset;
                let _ = write!(
                    self.out,
                    "timezone({}, {}, {}",
                    delta.days, delta.seconds, delta.microseconds
                );
                if let Some(name) = &zone.name {
                    let _ = write!(self.out, ", {name:?}");
                }
                self.out.push(')');
            }
            Natural::Decimal(text) => {
                let _ = write!(self.out, "Decimal('{text}')");
            }
            Natural::Fraction {
                numerator,
                denominator,
            } => {
                let _ = write!(self.out, "Fraction({numerator}, {denominator})");
            }
            Natural::Range { start, stop, step } => {
                self.out.push_str("range(");
                self.seq(&[*start, *stop, *step]);
                self.out.push(')');
            }
            Natural::Slice { start, stop, step } => {
                self.out.push_str("slice(");
                self.seq(&[*start, *stop, *step]);
                self.out.push(')');
            }
            Natural::Object(object) => self.object(object),
            Natural::PersistentId(pid) => {
                self.out.push_str("persistent_id(");
                self.value(pid);
                self.out.push(')');
            }
            Natural::Buffer(buffer) => {
                let _ = write!(self.out, "buffer({})", buffer.index);
            }
            Natural::Record { kind, fields } => {
                let _ = write!(self.out, "record:{kind}(");
                self.seq(fields);
                self.out.push(')');
            }
            other => {
                let _ = write!(self.out, "<{}>", other.kind_name());
            }
        }
    }

    fn object(&mut self, object: &Object) {
        self.out.push_str(match object.kind {
            ObjectKind::Instance => "Instance(",
            ObjectKind::Call => "Call(",
        });
        self.value(&object.callable);
        if !object.args.is_empty() {
            self.out.push_str(", args=[");
            self.seq(&object.args);
            self.out.push(']');
        }
        for (name, pairs) in [
            ("kwargs", &object.kwargs),
            ("state", &object.state),
            ("slots", &object.slots),
        ] {
            if !pairs.is_empty() {
                let _ = write!(self.out, ", {name}=");
                self.pairs(pairs);
            }
        }
        if let Some(state) = &object.setstate {
            self.out.push_str(", setstate=");
            self.value(state);
        }
        if !object.list_items.is_empty() {
            self.out.push_str(", listitems=[");
            self.seq(&object.list_items);
            self.out.push(']');
        }
        if !object.dict_items.is_empty() {
            self.out.push_str(", dictitems=");
            self.pairs(&object.dict_items);
        }
        self.out.push(')');
    }
}
