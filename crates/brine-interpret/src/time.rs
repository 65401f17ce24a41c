//! The values of `datetime` objects, as the standard library holds them: shared by the views
//! and the natural arena.

use brine_value::{PyStr, Value};

/// A calendar date, as `datetime.date` holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date {
    /// The year.
    pub year: u16,
    /// The month, 1 to 12.
    pub month: u8,
    /// The day of the month.
    pub day: u8,
}

/// A time of day, as `datetime.time` (and the time part of `datetime.datetime`) holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Time {
    /// The hour, 0 to 23.
    pub hour: u8,
    /// The minute.
    pub minute: u8,
    /// The second.
    pub second: u8,
    /// The microsecond.
    pub microsecond: u32,
    /// The `tzinfo`: `None`, a `datetime.timezone`, or any other object.
    pub tzinfo: Value,
    /// The `fold` (PEP 495): `true` for the second of two repeated wall times. Pickles keep it
    /// from protocol 4 on.
    pub fold: bool,
}

/// A duration, normalized as `datetime.timedelta` keeps it: `0 <= seconds < 86400` and
/// `0 <= microseconds < 1_000_000`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TimeDelta {
    /// Whole days, possibly negative.
    pub days: i32,
    /// Seconds within the day.
    pub seconds: i32,
    /// Microseconds within the second.
    pub microseconds: i32,
}

/// A fixed-offset time zone, as `datetime.timezone` holds it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TimeZone {
    /// The offset from UTC, strictly between -24 and 24 hours.
    pub offset: TimeDelta,
    /// The name given to the constructor, if any.
    pub name: Option<PyStr>,
}
