//! Equality of interpreted graphs: identity topology for the objects that have identity,
//! value for immutable leaves, and Python's order-insensitive dicts and sets.

use std::cmp::Ordering;

use hashbrown::HashMap;
use num_bigint::BigInt;

use super::Interpreted;
use super::natural::{Natural, Object, Time};
use crate::value::{NodeId, Value};

/// How deep a dict key or set item is looked into to order it.
const MAX_KEY_DEPTH: usize = 16;

impl PartialEq for Interpreted {
    fn eq(&self, other: &Interpreted) -> bool {
        let mut iso = Isomorphism {
            a: self,
            b: other,
            a_to_b: HashMap::new(),
            b_to_a: HashMap::new(),
            pending: Vec::new(),
        };
        if !iso.pair(&self.root, &other.root) {
            return false;
        }
        while let Some((x, y)) = iso.pending.pop() {
            let (Some(x), Some(y)) = (self.try_node(x), other.try_node(y)) else {
                return false;
            };
            if !iso.nodes(x, y) {
                return false;
            }
        }
        true
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

struct Isomorphism<'g> {
    a: &'g Interpreted,
    b: &'g Interpreted,
    a_to_b: HashMap<NodeId, NodeId>,
    b_to_a: HashMap<NodeId, NodeId>,
    pending: Vec<(NodeId, NodeId)>,
}

impl Isomorphism<'_> {
    /// Compares two values shallowly, queueing node pairs seen for the first time.
    fn pair(&mut self, x: &Value, y: &Value) -> bool {
        match (x, y) {
            (Value::None, Value::None) => true,
            (Value::Bool(x), Value::Bool(y)) => x == y,
            (Value::Int(x), Value::Int(y)) => x == y,
            (Value::BigInt(x), Value::BigInt(y)) => {
                matches!((self.a.bigint(*x), self.b.bigint(*y)), (Some(x), Some(y)) if x == y)
            }
            (Value::Float(x), Value::Float(y)) => same_float(*x, *y),
            (Value::Node(x), Value::Node(y)) => {
                let (Some(node_x), Some(node_y)) = (self.a.try_node(*x), self.b.try_node(*y))
                else {
                    return false;
                };
                if is_leaf(node_x) || is_leaf(node_y) {
                    return leaves_equal((self.a, node_x), (self.b, node_y));
                }
                match (self.a_to_b.get(x), self.b_to_a.get(y)) {
                    (Some(mapped), _) => mapped == y,
                    (None, Some(_)) => false,
                    (None, None) => {
                        self.a_to_b.insert(*x, *y);
                        self.b_to_a.insert(*y, *x);
                        self.pending.push((*x, *y));
                        true
                    }
                }
            }
            _ => false,
        }
    }

    fn all(&mut self, xs: &[Value], ys: &[Value]) -> bool {
        xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| self.pair(x, y))
    }

    fn pairs(&mut self, xs: &[(Value, Value)], ys: &[(Value, Value)]) -> bool {
        xs.len() == ys.len()
            && xs
                .iter()
                .zip(ys)
                .all(|((kx, vx), (ky, vy))| self.pair(kx, ky) && self.pair(vx, vy))
    }

    /// Items of a set: in the order of their keys when every item has one, else as given.
    fn unordered(&mut self, xs: &[Value], ys: &[Value]) -> bool {
        if xs.len() != ys.len() {
            return false;
        }
        match (sorted(self.a, xs, |v| v), sorted(self.b, ys, |v| v)) {
            (Some(xs), Some(ys)) => xs.iter().zip(&ys).all(|(x, y)| self.pair(x, y)),
            _ => self.all(xs, ys),
        }
    }

    /// Pairs of a dict: in the order of their keys when every key has one, else as given.
    fn unordered_pairs(&mut self, xs: &[(Value, Value)], ys: &[(Value, Value)]) -> bool {
        if xs.len() != ys.len() {
            return false;
        }
        match (sorted(self.a, xs, |p| &p.0), sorted(self.b, ys, |p| &p.0)) {
            (Some(xs), Some(ys)) => xs
                .iter()
                .zip(&ys)
                .all(|((kx, vx), (ky, vy))| self.pair(kx, ky) && self.pair(vx, vy)),
            _ => self.pairs(xs, ys),
        }
    }

    fn time(&mut self, x: &Time, y: &Time) -> bool {
        (x.hour, x.minute, x.second, x.microsecond, x.fold)
            == (y.hour, y.minute, y.second, y.microsecond, y.fold)
            && self.pair(&x.tzinfo, &y.tzinfo)
    }

    fn objects(&mut self, x: &Object, y: &Object) -> bool {
        x.kind == y.kind
            && self.pair(&x.callable, &y.callable)
            && self.all(&x.args, &y.args)
            && self.unordered_pairs(&x.kwargs, &y.kwargs)
            && self.unordered_pairs(&x.state, &y.state)
            && self.unordered_pairs(&x.slots, &y.slots)
            && match (&x.setstate, &y.setstate) {
                (None, None) => true,
                (Some(x), Some(y)) => self.pair(x, y),
                _ => false,
            }
            && self.all(&x.list_items, &y.list_items)
            && self.pairs(&x.dict_items, &y.dict_items)
    }

    fn nodes(&mut self, x: &Natural, y: &Natural) -> bool {
        match (x, y) {
            (Natural::ByteArray(x), Natural::ByteArray(y)) => x == y,
            (Natural::Tuple(x), Natural::Tuple(y)) | (Natural::List(x), Natural::List(y)) => {
                self.all(x, y)
            }
            (Natural::Set(x), Natural::Set(y)) | (Natural::FrozenSet(x), Natural::FrozenSet(y)) => {
                self.unordered(x, y)
            }
            (Natural::Dict(x), Natural::Dict(y)) | (Natural::Counter(x), Natural::Counter(y)) => {
                self.unordered_pairs(x, y)
            }
            (Natural::OrderedDict(x), Natural::OrderedDict(y)) => self.pairs(x, y),
            (
                Natural::DefaultDict {
                    factory: fx,
                    items: ix,
                },
                Natural::DefaultDict {
                    factory: fy,
                    items: iy,
                },
            ) => self.pair(fx, fy) && self.unordered_pairs(ix, iy),
            (
                Natural::Deque {
                    items: ix,
                    maxlen: mx,
                },
                Natural::Deque {
                    items: iy,
                    maxlen: my,
                },
            ) => mx == my && self.all(ix, iy),
            (Natural::Time(x), Natural::Time(y)) => self.time(x, y),
            (Natural::DateTime(dx, tx), Natural::DateTime(dy, ty)) => dx == dy && self.time(tx, ty),
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
            ) => self.pair(ax, ay) && self.pair(bx, by) && self.pair(cx, cy),
            (Natural::Object(x), Natural::Object(y)) => self.objects(x, y),
            (Natural::PersistentId(x), Natural::PersistentId(y)) => self.pair(x, y),
            (Natural::Buffer(x), Natural::Buffer(y)) => x == y,
            (Natural::Ext(x), Natural::Ext(y)) => x == y,
            (
                Natural::Record {
                    kind: kx,
                    fields: fx,
                },
                Natural::Record {
                    kind: ky,
                    fields: fy,
                },
            ) => kx == ky && self.all(fx, fy),
            _ => false,
        }
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
