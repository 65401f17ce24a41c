//! `collections`: OrderedDict, defaultdict, Counter and deque, with the items their
//! `__reduce__` passes (SETITEMS and APPENDS after them are merged by the caller).

use brine_value::Value;

use super::Reader;
use crate::view::{Items, Pairs, View};

/// `OrderedDict()` or `OrderedDict(items)`.
pub(super) fn ordered_dict<'g>(
    reader: Reader<'g>,
    args: &'g [Value],
    _depth: usize,
) -> Option<View<'g>> {
    match args {
        [] => Some(View::OrderedDict(Pairs::empty(reader.graph()))),
        [items] => mapping(reader, items).map(View::OrderedDict),
        _ => None,
    }
}

/// `defaultdict([factory[, items]])`.
pub(super) fn defaultdict<'g>(
    reader: Reader<'g>,
    args: &'g [Value],
    _depth: usize,
) -> Option<View<'g>> {
    let (factory, items) = match args {
        [] => (Value::None, Pairs::empty(reader.graph())),
        [factory] => (*factory, Pairs::empty(reader.graph())),
        [factory, items] => (*factory, mapping(reader, items)?),
        _ => return None,
    };
    Some(View::DefaultDict { factory, items })
}

/// `Counter()` or `Counter(counts)`.
pub(super) fn counter<'g>(
    reader: Reader<'g>,
    args: &'g [Value],
    _depth: usize,
) -> Option<View<'g>> {
    match args {
        [] => Some(View::Counter(Pairs::empty(reader.graph()))),
        [counts] => Some(View::Counter(Pairs::of(
            reader.graph(),
            reader.dict(counts)?,
        ))),
        _ => None,
    }
}

/// `deque([items[, maxlen]])`.
pub(super) fn deque<'g>(reader: Reader<'g>, args: &'g [Value], _depth: usize) -> Option<View<'g>> {
    let (items, maxlen) = match args {
        [] => (&[][..], None),
        [items] | [items, Value::None] => (reader.sequence(items)?, None),
        [items, maxlen] => match reader.int(maxlen) {
            Some(maxlen) if maxlen >= 0 => (reader.sequence(items)?, Some(maxlen)),
            _ => return None,
        },
        _ => return None,
    };
    Some(View::Deque {
        items: Items::new(items),
        maxlen,
    })
}

/// The pairs of a dict, or of a list of `[key, value]` pairs (how Python 2 wrote an
/// OrderedDict).
pub(super) fn mapping<'g>(reader: Reader<'g>, value: &Value) -> Option<Pairs<'g>> {
    if let Some(pairs) = reader.dict(value) {
        return Some(Pairs::of(reader.graph(), pairs));
    }
    let mut pairs = Pairs::empty(reader.graph());
    pairs.push_list(reader.sequence(value)?)?;
    Some(pairs)
}
