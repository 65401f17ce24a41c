//! The known reductions: which REDUCE calls of the standard library and of `copyreg` stand
//! for which natural values, read from the graph without changing it.

use bytes::Bytes;
use num_bigint::{BigInt, Sign};

use super::decimal;
use super::natural::{Date, Global, Natural, Object, ObjectKind, Time, TimeDelta, TimeZone};
use crate::change::Change;
use crate::compat;
use crate::graph::Graph;
use crate::node::Node;
use crate::pystr::PyStr;
use crate::value::Value;

/// How deep a pattern may look through nested reductions (`bytes(_codecs.encode(...))`,
/// `getattr(getattr(...), ...)`): enough for every form CPython writes, and a bound on work.
const MAX_PATTERN_DEPTH: usize = 8;

/// The largest numerator or denominator, in bits, a fraction is reduced to lowest terms for.
const MAX_FRACTION_BITS: u64 = 1 << 14;

const MICROS_PER_DAY: i128 = 86_400_000_000;

/// Read access to the graph for the recognisers.
#[derive(Clone, Copy)]
pub(super) struct Reader<'g> {
    pub(super) graph: &'g Graph,
}

impl<'g> Reader<'g> {
    /// The natural a REDUCE stands for: a known form, or a generic call. `None` when the
    /// arguments are not a tuple.
    pub(super) fn reduce(&self, callable: &Value, args: &Value) -> Option<Natural> {
        let items = self.tuple(args)?;
        if let Some(natural) = self.known(callable, items, 0) {
            return Some(natural);
        }
        if let Some(natural) = self.partial_new(callable, items) {
            return Some(natural);
        }
        self.generic_call(callable, args)
    }

    /// `callable(*args)` as a generic call.
    pub(super) fn generic_call(&self, callable: &Value, args: &Value) -> Option<Natural> {
        let mut object = Object::new(ObjectKind::Call, *callable);
        object.args = self.tuple(args)?.to_vec();
        Some(Natural::Object(Box::new(object)))
    }

    fn node(&self, value: &Value) -> Option<&'g Node> {
        self.graph.try_node(value.node()?)
    }

    /// The text of a `str` node without lone surrogates.
    pub(super) fn text(&self, value: &Value) -> Option<&'g str> {
        match self.node(value)? {
            Node::Str(text) => text.as_str(),
            // An ASCII Python 2 `str` reads the same in every text encoding.
            Node::Py2Str(data) if data.is_ascii() => std::str::from_utf8(data).ok(),
            _ => None,
        }
    }

    fn pystr(&self, value: &Value) -> Option<&'g PyStr> {
        match self.node(value)? {
            Node::Str(text) => Some(text),
            _ => None,
        }
    }

    pub(super) fn tuple(&self, value: &Value) -> Option<&'g [Value]> {
        match self.node(value)? {
            Node::Tuple(items) => Some(items),
            _ => None,
        }
    }

    pub(super) fn dict(&self, value: &Value) -> Option<&'g [(Value, Value)]> {
        match self.node(value)? {
            Node::Dict(pairs) => Some(pairs),
            _ => None,
        }
    }

    /// The items of a list or tuple.
    fn sequence(&self, value: &Value) -> Option<&'g [Value]> {
        match self.node(value)? {
            Node::List(items) | Node::Tuple(items) => Some(items),
            _ => None,
        }
    }

    /// The global a value names, as written: a global node, or `getattr(global, 'attr')`.
    fn global(&self, value: &Value, depth: usize) -> Option<Global> {
        if depth > MAX_PATTERN_DEPTH {
            return None;
        }
        match self.node(value)? {
            Node::Global { module, name } => Some(Global {
                module: self.text(module)?.to_owned(),
                name: self.text(name)?.to_owned(),
            }),
            Node::Reduce { callable, args } => {
                let [owner, attr] = self.tuple(args)? else {
                    return None;
                };
                if self.known_name(callable)? != ("builtins", "getattr") {
                    return None;
                }
                let owner = self.global(owner, depth + 1)?;
                Some(Global {
                    module: owner.module,
                    name: format!("{}.{}", owner.name, self.text(attr)?),
                })
            }
            _ => None,
        }
    }

    /// The Python 3 name of a global node, for matching known callables: `__builtin__.set`
    /// and `builtins.set` are the same.
    fn known_name(&self, value: &Value) -> Option<(&'g str, &'g str)> {
        match self.node(value)? {
            Node::Global { module, name } => {
                Some(compat::py2_to_py3(self.text(module)?, self.text(name)?))
            }
            _ => None,
        }
    }

    /// A known call `callable(*args)`.
    fn known(&self, callable: &Value, args: &[Value], depth: usize) -> Option<Natural> {
        if depth > MAX_PATTERN_DEPTH {
            return None;
        }
        let (module, name) = self.known_name(callable)?;
        match (module, name) {
            ("builtins", "set") => self.set_items(args).map(Natural::Set),
            ("builtins", "frozenset") => self.set_items(args).map(Natural::FrozenSet),
            ("builtins", "bytes") => self.bytes_args(args, depth).map(Natural::Bytes),
            ("builtins", "bytearray") => self.bytes_args(args, depth).map(Natural::ByteArray),
            ("_codecs", "encode") => self.encode(args).map(Natural::Bytes),
            ("builtins", "complex") => self.complex(args),
            ("builtins", "range") => self.range(args),
            ("builtins", "slice") => slice(args),
            ("builtins", "getattr") => {
                let [owner, attr] = args else {
                    return None;
                };
                let owner = self.global(owner, depth + 1)?;
                Some(Natural::Global(Global {
                    module: owner.module,
                    name: format!("{}.{}", owner.name, self.text(attr)?),
                }))
            }
            ("collections", "OrderedDict") => match args {
                [] => Some(Natural::OrderedDict(Vec::new())),
                [items] => self.mapping(items).map(Natural::OrderedDict),
                _ => None,
            },
            ("collections", "defaultdict") => match args {
                [] => Some(Natural::DefaultDict {
                    factory: Value::None,
                    items: Vec::new(),
                }),
                [factory] => Some(Natural::DefaultDict {
                    factory: *factory,
                    items: Vec::new(),
                }),
                [factory, items] => Some(Natural::DefaultDict {
                    factory: *factory,
                    items: self.mapping(items)?,
                }),
                _ => None,
            },
            ("collections", "Counter") => match args {
                [] => Some(Natural::Counter(Vec::new())),
                [counts] => Some(Natural::Counter(self.dict(counts)?.to_vec())),
                _ => None,
            },
            ("collections", "deque") => {
                let (items, maxlen) = match args {
                    [] => (&[][..], None),
                    [items] => (self.sequence(items)?, None),
                    [items, Value::None] => (self.sequence(items)?, None),
                    [items, Value::Int(maxlen)] if *maxlen >= 0 => {
                        (self.sequence(items)?, Some(*maxlen))
                    }
                    _ => return None,
                };
                Some(Natural::Deque {
                    items: items.to_vec(),
                    maxlen,
                })
            }
            ("datetime", "date") => self.date(args, depth),
            ("datetime", "time") => self.time(args, depth),
            ("datetime", "datetime") => self.datetime(args, depth),
            ("datetime", "timedelta") => timedelta(args).map(Natural::TimeDelta),
            ("datetime", "timezone") => self.timezone(args, depth).map(Natural::TimeZone),
            ("decimal", "Decimal") => match args {
                [Value::Int(value)] => Some(Natural::Decimal(value.to_string())),
                [Value::BigInt(id)] => {
                    Some(Natural::Decimal(self.graph.try_bigint(*id)?.to_string()))
                }
                [text] => decimal::canonical(self.text(text)?).map(Natural::Decimal),
                _ => None,
            },
            ("fractions", "Fraction") => self.fraction(args),
            ("copyreg", "_reconstructor") => self.reconstructor(args),
            ("copyreg", "__newobj__") => {
                let (cls, args) = args.split_first()?;
                let mut object = Object::new(ObjectKind::Instance, *cls);
                object.args = args.to_vec();
                Some(Natural::Object(Box::new(object)))
            }
            ("copyreg", "__newobj_ex__") => {
                let [cls, args, kwargs] = args else {
                    return None;
                };
                let mut object = Object::new(ObjectKind::Instance, *cls);
                object.args = self.tuple(args)?.to_vec();
                object.kwargs = self.dict(kwargs)?.to_vec();
                Some(Natural::Object(Box::new(object)))
            }
            _ => None,
        }
    }

    /// The items of `set(iterable)`.
    fn set_items(&self, args: &[Value]) -> Option<Vec<Value>> {
        match args {
            [] => Some(Vec::new()),
            [items] => match self.node(items)? {
                Node::List(items)
                | Node::Tuple(items)
                | Node::Set(items)
                | Node::FrozenSet(items) => Some(items.clone()),
                _ => None,
            },
            _ => None,
        }
    }

    /// The pairs of a dict, or of a list of `[key, value]` pairs (how Python 2 wrote an
    /// OrderedDict).
    fn mapping(&self, value: &Value) -> Option<Vec<(Value, Value)>> {
        if let Some(pairs) = self.dict(value) {
            return Some(pairs.to_vec());
        }
        self.sequence(value)?
            .iter()
            .map(|pair| match self.sequence(pair)? {
                [key, value] => Some((*key, *value)),
                _ => None,
            })
            .collect()
    }

    /// The bytes of `bytes(...)` or `bytearray(...)`: no argument, bytes, or text and an
    /// encoding.
    fn bytes_args(&self, args: &[Value], depth: usize) -> Option<Bytes> {
        match args {
            [] => Some(Bytes::new()),
            [data] => self.bytes_of(data, depth + 1),
            [_, _] => self.encode(args),
            _ => None,
        }
    }

    /// The bytes a value stands for: a bytes or bytearray node, or a reduction that makes
    /// bytes.
    fn bytes_of(&self, value: &Value, depth: usize) -> Option<Bytes> {
        match self.node(value)? {
            Node::Bytes(data) | Node::ByteArray(data) => Some(data.clone()),
            Node::Reduce { callable, args } => {
                match self.known(callable, self.tuple(args)?, depth)? {
                    Natural::Bytes(data) | Natural::ByteArray(data) => Some(data),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// `_codecs.encode(text, encoding)`, for the encodings picklers use.
    fn encode(&self, args: &[Value]) -> Option<Bytes> {
        let (text, encoding) = match args {
            [text] => (self.pystr(text)?, "utf-8".to_owned()),
            [text, encoding] => (
                self.pystr(text)?,
                self.text(encoding)?.to_ascii_lowercase().replace('_', "-"),
            ),
            _ => return None,
        };
        let limit = match encoding.as_str() {
            "latin1" | "latin-1" | "iso-8859-1" | "iso8859-1" | "l1" => 0x100,
            "ascii" | "us-ascii" => 0x80,
            "utf-8" | "utf8" => {
                return text
                    .as_str()
                    .map(|text| Bytes::copy_from_slice(text.as_bytes()));
            }
            _ => return None,
        };
        text.code_points()
            .map(|cp| u8::try_from(cp).ok().filter(|_| cp < limit))
            .collect::<Option<Vec<u8>>>()
            .map(Bytes::from)
    }

    /// The packed state of a date or time: bytes, or (from Python 2) text with code points
    /// below 256, of exactly `len` bytes.
    fn packed(&self, value: &Value, len: usize, depth: usize) -> Option<Vec<u8>> {
        let data = match self.node(value)? {
            Node::Str(text) => text
                .code_points()
                .map(|cp| u8::try_from(cp).ok())
                .collect::<Option<Vec<u8>>>()?,
            // Python 2's packed state, whatever the encoding (datetime takes it as latin1).
            Node::Py2Str(data) => data.to_vec(),
            _ => self.bytes_of(value, depth + 1)?.to_vec(),
        };
        (data.len() == len).then_some(data)
    }

    fn complex(&self, args: &[Value]) -> Option<Natural> {
        let number = |value: &Value| match *value {
            Value::Int(value) => Some(value as f64),
            Value::Bool(value) => Some(f64::from(u8::from(value))),
            Value::Float(value) => Some(value),
            _ => None,
        };
        let (real, imag) = match args {
            [] => (0.0, 0.0),
            [real] => (number(real)?, 0.0),
            [real, imag] => (number(real)?, number(imag)?),
            _ => return None,
        };
        Some(Natural::Complex { real, imag })
    }

    fn range(&self, args: &[Value]) -> Option<Natural> {
        let is_int = |value: &Value| matches!(value, Value::Int(_) | Value::BigInt(_));
        if !args.iter().all(is_int) {
            return None;
        }
        let (start, stop, step) = match args {
            [stop] => (Value::Int(0), *stop, Value::Int(1)),
            [start, stop] => (*start, *stop, Value::Int(1)),
            [start, stop, step] => (*start, *stop, *step),
            _ => return None,
        };
        if step == Value::Int(0) {
            return None;
        }
        Some(Natural::Range { start, stop, step })
    }

    /// A tzinfo argument: `None` or an object (a str or a number is not one).
    fn tzinfo(&self, value: Option<&Value>) -> Option<Value> {
        match value {
            None | Some(Value::None) => Some(Value::None),
            Some(value) => match self.node(value)? {
                Node::Global { .. }
                | Node::Reduce { .. }
                | Node::NewObj { .. }
                | Node::Inst { .. }
                | Node::Obj { .. }
                | Node::PersistentId(_) => Some(*value),
                _ => None,
            },
        }
    }

    /// `date(state)`, where the state packs the year in two bytes, the month and the day.
    fn date(&self, args: &[Value], depth: usize) -> Option<Natural> {
        let [state] = args else {
            return None;
        };
        let data = self.packed(state, 4, depth)?;
        let date = unpack_date(&data[..4], data[2])?;
        Some(Natural::Date(date))
    }

    /// `time(state[, tzinfo])`: hour (with the fold in its top bit), minute, second and three
    /// bytes of microseconds.
    fn time(&self, args: &[Value], depth: usize) -> Option<Natural> {
        let (state, tzinfo) = args.split_first()?;
        if tzinfo.len() > 1 {
            return None;
        }
        let data = self.packed(state, 6, depth)?;
        let time = unpack_time(&data, self.tzinfo(tzinfo.first())?)?;
        Some(Natural::Time(time))
    }

    /// `datetime(state[, tzinfo])`: the date's four bytes (the fold in the month's top bit),
    /// then the time's six.
    fn datetime(&self, args: &[Value], depth: usize) -> Option<Natural> {
        let (state, tzinfo) = args.split_first()?;
        if tzinfo.len() > 1 {
            return None;
        }
        let mut data = self.packed(state, 10, depth)?;
        let fold = data[2] & 0x80 != 0;
        data[2] &= 0x7F;
        let date = unpack_date(&data[..4], data[2])?;
        let mut time = unpack_time(&data[4..], self.tzinfo(tzinfo.first())?)?;
        time.fold = fold;
        Some(Natural::DateTime(date, time))
    }

    /// `timezone(offset[, name])`, the offset a timedelta strictly within a day.
    fn timezone(&self, args: &[Value], depth: usize) -> Option<TimeZone> {
        let (offset, name) = match args {
            [offset] => (offset, None),
            [offset, name] => (offset, Some(self.pystr(name)?.clone())),
            _ => return None,
        };
        let Node::Reduce { callable, args } = self.node(offset)? else {
            return None;
        };
        let Natural::TimeDelta(offset) = self.known(callable, self.tuple(args)?, depth + 1)? else {
            return None;
        };
        let micros = total_micros(&offset);
        if micros <= -MICROS_PER_DAY || micros >= MICROS_PER_DAY {
            return None;
        }
        Some(TimeZone { offset, name })
    }

    /// `Fraction(text)` or `Fraction(numerator[, denominator])`, reduced as Python does.
    fn fraction(&self, args: &[Value]) -> Option<Natural> {
        let int = |value: &Value| match value {
            Value::Int(value) => Some(BigInt::from(*value)),
            Value::BigInt(id) => self.graph.try_bigint(*id).cloned(),
            _ => None,
        };
        let (numerator, denominator) = match args {
            [text @ Value::Node(_)] => parse_fraction(self.text(text)?)?,
            [numerator] => (int(numerator)?, BigInt::from(1)),
            [numerator, denominator] => (int(numerator)?, int(denominator)?),
            _ => return None,
        };
        let (numerator, denominator) = reduce_fraction(numerator, denominator)?;
        Some(Natural::Fraction {
            numerator,
            denominator,
        })
    }

    /// `copyreg._reconstructor(cls, base, state)`: `base.__new__(cls, state)`, as protocols
    /// 0 and 1 write instances.
    fn reconstructor(&self, args: &[Value]) -> Option<Natural> {
        let [cls, base, state] = args else {
            return None;
        };
        let mut object = Object::new(ObjectKind::Instance, *cls);
        match (self.known_name(base)?, state) {
            (("builtins", "object"), Value::None) => {}
            // A tuple subclass: the tuple's items are the arguments, as a namedtuple's
            // `__getnewargs__` gives them at protocol 2 and above.
            (("builtins", "tuple"), state) => object.args = self.tuple(state)?.to_vec(),
            (("builtins", "list"), state) => match self.node(state)? {
                Node::List(items) => object.list_items = items.clone(),
                _ => return None,
            },
            (("builtins", "dict"), state) => object.dict_items = self.dict(state)?.to_vec(),
            (("builtins", "int" | "float" | "complex" | "str" | "bytes"), state) => {
                object.args = vec![*state];
            }
            _ => return None,
        }
        Some(Natural::Object(Box::new(object)))
    }

    /// `partial(cls.__new__, cls, *args, **kwargs)()`, how protocols 2 and 3 write an object
    /// whose class has `__getnewargs_ex__`: an instance made with those arguments.
    ///
    /// The callable is the partial: `reduce(<global functools.partial>, (f,))` changed by
    /// `.build((f, (cls, *args), kwargs, None))`, with `f` being `getattr(cls, '__new__')`.
    fn partial_new(&self, callable: &Value, args: &[Value]) -> Option<Natural> {
        if !args.is_empty() {
            return None;
        }
        let Node::Reduce {
            callable: partial,
            args: partial_args,
        } = self.node(callable)?
        else {
            return None;
        };
        let [Change::Build(state)] = self.graph.changes(callable.node()?) else {
            return None;
        };
        if self.known_name(partial)? != ("functools", "partial") {
            return None;
        }
        let [func] = self.tuple(partial_args)? else {
            return None;
        };
        let [state_func, call_args, kwargs, partial_dict] = self.tuple(state)? else {
            return None;
        };
        let (cls, call_args) = self.tuple(call_args)?.split_first()?;
        let cls_global = self.global(cls, 0)?;
        for func in [func, state_func] {
            if self.new_of(func)? != cls_global {
                return None;
            }
        }
        let kwargs = match kwargs {
            Value::None => &[][..],
            kwargs => self.dict(kwargs)?,
        };
        match partial_dict {
            Value::None => {}
            dict if self.dict(dict)?.is_empty() => {}
            _ => return None,
        }
        let mut object = Object::new(ObjectKind::Instance, *cls);
        object.args = call_args.to_vec();
        object.kwargs = kwargs.to_vec();
        Some(Natural::Object(Box::new(object)))
    }

    /// The class `getattr(cls, '__new__')` takes `__new__` of.
    fn new_of(&self, value: &Value) -> Option<Global> {
        let Node::Reduce { callable, args } = self.node(value)? else {
            return None;
        };
        if self.known_name(callable)? != ("builtins", "getattr") {
            return None;
        }
        let [cls, attr] = self.tuple(args)? else {
            return None;
        };
        (self.text(attr)? == "__new__").then_some(())?;
        self.global(cls, 0)
    }
}

fn slice(args: &[Value]) -> Option<Natural> {
    let (start, stop, step) = match args {
        [stop] => (Value::None, *stop, Value::None),
        [start, stop] => (*start, *stop, Value::None),
        [start, stop, step] => (*start, *stop, *step),
        _ => return None,
    };
    Some(Natural::Slice { start, stop, step })
}

/// A date from its four packed bytes, `month` being the month byte without the fold bit, when
/// the month is sane (CPython checks nothing else).
fn unpack_date(data: &[u8], month: u8) -> Option<Date> {
    (1..=12).contains(&month).then_some(())?;
    Some(Date {
        year: u16::from_be_bytes([data[0], data[1]]),
        month,
        day: data[3],
    })
}

/// A time from its six packed bytes, when the hour is sane (CPython checks nothing else).
fn unpack_time(data: &[u8], tzinfo: Value) -> Option<Time> {
    let hour = data[0] & 0x7F;
    (hour < 24).then_some(())?;
    Some(Time {
        hour,
        minute: data[1],
        second: data[2],
        microsecond: u32::from_be_bytes([0, data[3], data[4], data[5]]),
        tzinfo,
        fold: data[0] & 0x80 != 0,
    })
}

/// `timedelta(days, seconds, microseconds)` with int arguments, normalized as Python does.
fn timedelta(args: &[Value]) -> Option<TimeDelta> {
    if args.len() > 3 {
        return None;
    }
    let mut parts = [0i128; 3];
    for (part, arg) in parts.iter_mut().zip(args) {
        let Value::Int(value) = arg else {
            return None;
        };
        *part = i128::from(*value);
    }
    let micros = parts[0] * MICROS_PER_DAY + parts[1] * 1_000_000 + parts[2];
    let days = micros.div_euclid(MICROS_PER_DAY);
    let rest = micros.rem_euclid(MICROS_PER_DAY);
    if days.abs() > 999_999_999 {
        return None;
    }
    Some(TimeDelta {
        days: days as i32,
        seconds: (rest / 1_000_000) as i32,
        microseconds: (rest % 1_000_000) as i32,
    })
}

fn total_micros(delta: &TimeDelta) -> i128 {
    i128::from(delta.days) * MICROS_PER_DAY
        + i128::from(delta.seconds) * 1_000_000
        + i128::from(delta.microseconds)
}

/// `"n"` or `"n/d"`, with an optional sign and surrounding whitespace: what `str()` of a
/// Fraction gives (Python 2 pickled fractions as that text).
fn parse_fraction(text: &str) -> Option<(BigInt, BigInt)> {
    let text = text.trim();
    let (numerator, denominator) = match text.split_once('/') {
        Some((numerator, denominator)) => (numerator, Some(denominator)),
        None => (text, None),
    };
    let digits = |text: &str| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    let unsigned = numerator.strip_prefix(['+', '-']).unwrap_or(numerator);
    if !digits(unsigned) || !denominator.is_none_or(digits) {
        return None;
    }
    let numerator: BigInt = numerator.parse().ok()?;
    let denominator: BigInt = match denominator {
        Some(denominator) => denominator.parse().ok()?,
        None => BigInt::from(1),
    };
    Some((numerator, denominator))
}

/// The fraction in lowest terms with a positive denominator; `None` for a zero denominator or
/// numbers too large to reduce cheaply.
fn reduce_fraction(numerator: BigInt, denominator: BigInt) -> Option<(BigInt, BigInt)> {
    if denominator.sign() == Sign::NoSign
        || numerator.bits() > MAX_FRACTION_BITS
        || denominator.bits() > MAX_FRACTION_BITS
    {
        return None;
    }
    let mut a = numerator.magnitude().clone();
    let mut b = denominator.magnitude().clone();
    while b.bits() > 0 {
        let rest = &a % &b;
        a = b;
        b = rest;
    }
    let gcd = BigInt::from(a);
    let (mut numerator, mut denominator) = (numerator / &gcd, denominator / &gcd);
    if denominator.sign() == Sign::Minus {
        numerator = -numerator;
        denominator = -denominator;
    }
    Some((numerator, denominator))
}
