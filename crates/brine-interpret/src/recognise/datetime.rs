//! `datetime`: date, time and datetime from their packed state (bytes, or Python 2's latin1
//! text), timedelta normalized as Python keeps it, and timezone.

use brine_value::{Node, Value};

use super::{Reader, codecs};
use crate::time::{Date, Time, TimeDelta, TimeZone};
use crate::view::View;

const MICROS_PER_DAY: i128 = 86_400_000_000;

/// `date(state)`, where the state packs the year in two bytes, the month and the day.
pub(super) fn date<'g>(reader: Reader<'g>, args: &'g [Value], depth: usize) -> Option<View<'g>> {
    let [state] = args else {
        return None;
    };
    let data = packed(reader, state, 4, depth)?;
    Some(View::Date(unpack_date(&data[..4], data[2])?))
}

/// `time(state[, tzinfo])`: hour (with the fold in its top bit), minute, second and three
/// bytes of microseconds.
pub(super) fn time<'g>(reader: Reader<'g>, args: &'g [Value], depth: usize) -> Option<View<'g>> {
    let (state, tzinfo) = args.split_first()?;
    if tzinfo.len() > 1 {
        return None;
    }
    let data = packed(reader, state, 6, depth)?;
    Some(View::Time(unpack_time(
        &data,
        self::tzinfo(reader, tzinfo.first())?,
    )?))
}

/// `datetime(state[, tzinfo])`: the date's four bytes (the fold in the month's top bit),
/// then the time's six.
pub(super) fn datetime<'g>(
    reader: Reader<'g>,
    args: &'g [Value],
    depth: usize,
) -> Option<View<'g>> {
    let (state, tzinfo) = args.split_first()?;
    if tzinfo.len() > 1 {
        return None;
    }
    let mut data = packed(reader, state, 10, depth)?;
    let fold = data[2] & 0x80 != 0;
    data[2] &= 0x7F;
    let date = unpack_date(&data[..4], data[2])?;
    let mut time = unpack_time(&data[4..], self::tzinfo(reader, tzinfo.first())?)?;
    time.fold = fold;
    Some(View::DateTime(date, time))
}

/// `timedelta(days, seconds, microseconds)`.
pub(super) fn timedelta<'g>(
    reader: Reader<'g>,
    args: &'g [Value],
    _depth: usize,
) -> Option<View<'g>> {
    delta(reader, args).map(View::TimeDelta)
}

/// `timezone(offset[, name])`, the offset a timedelta strictly within a day.
pub(super) fn timezone<'g>(
    reader: Reader<'g>,
    args: &'g [Value],
    depth: usize,
) -> Option<View<'g>> {
    let (offset, name) = match args {
        [offset] => (offset, None),
        [offset, name] => (offset, Some(reader.pystr(name)?.clone())),
        _ => return None,
    };
    let View::TimeDelta(offset) = reader.known_value(offset, depth + 1)? else {
        return None;
    };
    let micros = total_micros(&offset);
    if micros <= -MICROS_PER_DAY || micros >= MICROS_PER_DAY {
        return None;
    }
    Some(View::TimeZone(TimeZone { offset, name }))
}

/// The packed state of a date or time: bytes, or (from Python 2) text with code points
/// below 256, of exactly `len` bytes.
fn packed(reader: Reader<'_>, value: &Value, len: usize, depth: usize) -> Option<Vec<u8>> {
    let data = match reader.node(value)? {
        Node::Str(text) => text
            .code_points()
            .map(|cp| u8::try_from(cp).ok())
            .collect::<Option<Vec<u8>>>()?,
        // Python 2's packed state, whatever the encoding: datetime reads it as latin1.
        Node::Py2Str(data) => data.to_vec(),
        _ => codecs::bytes_of(reader, value, depth + 1)?
            .as_slice()
            .to_vec(),
    };
    (data.len() == len).then_some(data)
}

/// A tzinfo argument: `None` or an object (a str or a number is not one).
fn tzinfo(reader: Reader<'_>, value: Option<&Value>) -> Option<Value> {
    match value {
        None | Some(Value::None) => Some(Value::None),
        Some(value) => match reader.node(value)? {
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
fn delta(reader: Reader<'_>, args: &[Value]) -> Option<TimeDelta> {
    if args.len() > 3 {
        return None;
    }
    let mut parts = [0i128; 3];
    for (part, arg) in parts.iter_mut().zip(args) {
        *part = i128::from(reader.int(arg)?);
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
