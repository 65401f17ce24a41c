//! Equality of interpreted graphs: identity topology for the objects that have identity,
//! value for immutable leaves, and Python's order-insensitive dicts and sets.

use std::cmp::Ordering;

use brine_value::iso::{self, Compare, Worklist};
use brine_value::{NodeId, Value};
use num_bigint::BigInt;

use super::{Interpreted, Natural, Object, Time};

/// How deep a dict key or set item is looked into to order it.
const MAX_KEY_DEPTH: usize = 16;

impl PartialEq for Interpreted {
    fn eq(&self, other: &Interpreted) -> bool {
        iso::isomorphic(&Naturals { a: self, b: other }, &self.root, &other.root)
    }
}

/// A leaf natural: immutable and without children, compared by value.
fn is_leaf(natural: &Natural) -> bool {
    matches!(
        natural,
        Natural::Str(_)
            | Natural::Bytes(_)
            | Natural::Global(_)
            | Natural::Complex { .. }
            | Natural::Decimal(_)
            | Natural::Fraction { .. }
            | Natural::Range { .. }
            | Natural::Date(_)
            | Natural::TimeDelta(_)
            | Natural::TimeZone(_)
    )
}

/// Two interpreted graphs compared as Python compares the objects.
struct Naturals<'g> {
    a: &'g Interpreted,
    b: &'g Interpreted,
}

type Work<'w, 'g> = Worklist<'w, Naturals<'g>>;

impl Compare for Naturals<'_> {
    fn scalars(&self, x: &Value, y: &Value) -> bool {
        iso::same_scalar(
            x,
            y,
            |x, y| matches!((self.a.bigint(x), self.b.bigint(y)), (Some(x), Some(y)) if x == y),
            same_float,
        )
    }

    fn leaves(&self, x: NodeId, y: NodeId) -> Option<bool> {
        let (Some(node_x), Some(node_y)) = (self.a.try_node(x), self.b.try_node(y)) else {
            return Some(false);
        };
        (is_leaf(node_x) || is_leaf(node_y))
            .then(|| leaves_equal((self.a, node_x), (self.b, node_y)))
    }

    fn nodes(&self, x: NodeId, y: NodeId, work: &mut Work<'_, '_>) -> bool {
        let (Some(x), Some(y)) = (self.a.try_node(x), self.b.try_node(y)) else {
            return false;
        };
        nodes(self, work, x, y)
    }
}

/// Items of a set: in the order of their keys when every item has one, else as given.
fn unordered(cmp: &Naturals<'_>, work: &mut Work<'_, '_>, xs: &[Value], ys: &[Value]) -> bool {
    if xs.len() != ys.len() {
        return false;
    }
    match (sorted(cmp.a, xs, |v| v), sorted(cmp.b, ys, |v| v)) {
        (Some(xs), Some(ys)) => xs.iter().zip(&ys).all(|(x, y)| work.value(x, y)),
        _ => work.all(xs, ys),
    }
}

/// Pairs of a dict: in the order of their keys when every key has one, else as given.
fn unordered_pairs(
    cmp: &Naturals<'_>,
    work: &mut Work<'_, '_>,
    xs: &[(Value, Value)],
    ys: &[(Value, Value)],
) -> bool {
    if xs.len() != ys.len() {
        return false;
    }
    match (sorted(cmp.a, xs, |p| &p.0), sorted(cmp.b, ys, |p| &p.0)) {
        (Some(xs), Some(ys)) => xs
            .iter()
            .zip(&ys)
            .all(|((kx, vx), (ky, vy))| work.value(kx, ky) && work.value(vx, vy)),
        _ => work.pairs(xs, ys),
    }
}

fn time(work: &mut Work<'_, '_>, x: &Time, y: &Time) -> bool {
    (x.hour, x.minute, x.second, x.microsecond, x.fold)
        == (y.hour, y.minute, y.second, y.microsecond, y.fold)
        && work.value(&x.tzinfo, &y.tzinfo)
}

fn objects(cmp: &Naturals<'_>, work: &mut Work<'_, '_>, x: &Object, y: &Object) -> bool {
    x.kind == y.kind
        && work.value(&x.callable, &y.callable)
        && work.all(&x.args, &y.args)
        && unordered_pairs(cmp, work, &x.kwargs, &y.kwargs)
        && unordered_pairs(cmp, work, &x.state, &y.state)
        && unordered_pairs(cmp, work, &x.slots, &y.slots)
        && work.option(x.setstate.as_ref(), y.setstate.as_ref())
        && work.all(&x.list_items, &y.list_items)
        && work.pairs(&x.dict_items, &y.dict_items)
}

fn nodes(cmp: &Naturals<'_>, work: &mut Work<'_, '_>, x: &Natural, y: &Natural) -> bool {
    match (x, y) {
        (Natural::ByteArray(x), Natural::ByteArray(y)) => x == y,
        (Natural::Tuple(x), Natural::Tuple(y)) | (Natural::List(x), Natural::List(y)) => {
            work.all(x, y)
        }
        (Natural::Set(x), Natural::Set(y)) | (Natural::FrozenSet(x), Natural::FrozenSet(y)) => {
            unordered(cmp, work, x, y)
        }
        (Natural::Dict(x), Natural::Dict(y)) | (Natural::Counter(x), Natural::Counter(y)) => {
            unordered_pairs(cmp, work, x, y)
        }
        (Natural::OrderedDict(x), Natural::OrderedDict(y)) => work.pairs(x, y),
        (
            Natural::DefaultDict {
                factory: fx,
                items: ix,
            },
            Natural::DefaultDict {
                factory: fy,
                items: iy,
            },
        ) => work.value(fx, fy) && unordered_pairs(cmp, work, ix, iy),
        (
            Natural::Deque {
                items: ix,
                maxlen: mx,
            },
            Natural::Deque {
                items: iy,
                maxlen: my,
            },
        ) => mx == my && work.all(ix, iy),
        (Natural::Time(x), Natural::Time(y)) => time(work, x, y),
        (Natural::DateTime(dx, tx), Natural::DateTime(dy, ty)) => dx == dy && time(work, tx, ty),
        (
            Natural::Slice {
                start: ax,
                stop: bx,
                step: cx,
            },
            Natural::Slice {
                start: ay,
                stop: by,
                step: cy,
            },
        ) => work.value(ax, ay) && work.value(bx, by) && work.value(cx, cy),
        (Natural::Object(x), Natural::Object(y)) => objects(cmp, work, x, y),
        (Natural::PersistentId(x), Natural::PersistentId(y)) => work.value(x, y),
        (Natural::Buffer(x), Natural::Buffer(y)) => x == y,
        (
            Natural::Record {
                kind: kx,
                fields: fx,
            },
            Natural::Record {
                kind: ky,
                fields: fy,
            },
        ) => kx == ky && work.all(fx, fy),
        _ => false,
    }
}

fn same_float(x: f64, y: f64) -> bool {
    (x.is_nan() && y.is_nan()) || x.to_bits() == y.to_bits()
}

fn leaves_equal((a, x): (&Interpreted, &Natural), (b, y): (&Interpreted, &Natural)) -> bool {
    match (x, y) {
        (Natural::Complex { real: rx, imag: ix }, Natural::Complex { real: ry, imag: iy }) => {
            same_float(*rx, *ry) && same_float(*ix, *iy)
        }
        (
            Natural::Range {
                start: ax,
                stop: bx,
                step: cx,
            },
            Natural::Range {
                start: ay,
                stop: by,
                step: cy,
            },
        ) => same_range(ints(a, [ax, bx, cx]), ints(b, [ay, by, cy])),
        _ => x == y,
    }
}

/// Python's `range.__eq__`: the same sequence of numbers.
fn same_range(x: Option<[BigInt; 3]>, y: Option<[BigInt; 3]>) -> bool {
    let (Some([ax, bx, cx]), Some([ay, by, cy])) = (x, y) else {
        return false;
    };
    let len = |start: &BigInt, stop: &BigInt, step: &BigInt| -> BigInt {
        let zero = BigInt::from(0);
        let one = BigInt::from(1);
        let (span, divisor) = if *step > zero {
            (stop - start + step - &one, step.clone())
        } else {
            (start - stop - step - &one, -step)
        };
        let len = span / divisor;
        if len > zero { len } else { zero }
    };
    let (lx, ly) = (len(&ax, &bx, &cx), len(&ay, &by, &cy));
    let one = BigInt::from(1);
    lx == ly && (lx == BigInt::from(0) || (ax == ay && (lx == one || cx == cy)))
}

fn ints(graph: &Interpreted, values: [&Value; 3]) -> Option<[BigInt; 3]> {
    let int = |value: &Value| match value {
        Value::Int(value) => Some(BigInt::from(*value)),
        Value::BigInt(id) => graph.bigint(*id).cloned(),
        _ => None,
    };
    Some([int(values[0])?, int(values[1])?, int(values[2])?])
}

/// A dict key or set item by value, for putting two unordered collections in one order.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    None,
    Bool(bool),
    Int(BigInt),
    Float(u64),
    Leaf(String),
    Tuple(Vec<Key>),
    FrozenSet(Vec<Key>),
}

/// The items sorted by their keys, when every item has a key and no two are equal.
fn sorted<'v, T>(
    graph: &Interpreted,
    items: &'v [T],
    key_of: impl Fn(&T) -> &Value,
) -> Option<Vec<&'v T>> {
    let mut keyed: Vec<(Key, &T)> = items
        .iter()
        .map(|item| Some((key(graph, key_of(item), 0)?, item)))
        .collect::<Option<_>>()?;
    keyed.sort_by(|x, y| x.0.cmp(&y.0));
    if keyed
        .windows(2)
        .any(|pair| pair[0].0.cmp(&pair[1].0) == Ordering::Equal)
    {
        return None;
    }
    Some(keyed.into_iter().map(|(_, item)| item).collect())
}

fn key(graph: &Interpreted, value: &Value, depth: usize) -> Option<Key> {
    if depth > MAX_KEY_DEPTH {
        return None;
    }
    Some(match value {
        Value::None => Key::None,
        Value::Bool(value) => Key::Bool(*value),
        Value::Int(value) => Key::Int(BigInt::from(*value)),
        Value::BigInt(id) => Key::Int(graph.bigint(*id)?.clone()),
        Value::Float(value) if value.is_nan() => Key::Float(u64::MAX),
        Value::Float(value) => Key::Float(value.to_bits()),
        Value::Node(id) => {
            let natural = graph.try_node(*id)?;
            match natural {
                Natural::Tuple(items) => Key::Tuple(
                    items
                        .iter()
                        .map(|item| key(graph, item, depth + 1))
                        .collect::<Option<_>>()?,
                ),
                Natural::FrozenSet(items) => {
                    let mut keys: Vec<Key> = items
                        .iter()
                        .map(|item| key(graph, item, depth + 1))
                        .collect::<Option<_>>()?;
                    keys.sort();
                    Key::FrozenSet(keys)
                }
                leaf if is_leaf(leaf) => Key::Leaf(format!("{leaf:?}")),
                _ => return None,
            }
        }
    })
}
