//! The memo: what PUT, BINPUT, LONG_BINPUT and MEMOIZE stored, for GET to fetch.
//!
//! CPython's picklers number memo entries 0, 1, 2, … so the keys are dense: a vector indexed
//! by key is the fast path. A key far beyond the entries already stored (which only a
//! hand-made pickle has) moves the memo to a hash map instead of allocating the gap.

use brine_value::Value;
use hashbrown::HashMap;

/// Keys up to this far past the dense vector's end still extend it.
const DENSE_SLACK: u64 = 1024;

/// One memo entry: the value, and whether it is a dict, list or set, the containers
/// SETITEM(S), APPEND(S) and ADDITEMS fill in place (known when it is stored, so that a GET
/// need not look at the node).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Entry {
    pub(crate) value: Value,
    pub(crate) container: bool,
}

#[derive(Debug, Default)]
pub(crate) struct Memo {
    dense: Vec<Option<Entry>>,
    sparse: HashMap<u64, Entry>,
    len: usize,
    /// The value the latest PUT stored.
    last: Option<Value>,
}

impl Memo {
    /// A memo with room for `capacity` dense entries.
    pub(crate) fn with_capacity(capacity: usize) -> Memo {
        Memo {
            dense: Vec::with_capacity(capacity),
            ..Memo::default()
        }
    }

    /// Stores `value` under `key`, returning whether the key is new; `container` says
    /// whether it is a dict, list or set.
    #[inline]
    pub(crate) fn put(&mut self, key: u64, value: Value, container: bool) -> bool {
        self.last = Some(value);
        let value = Entry { value, container };
        let dense_len = self.dense.len() as u64;
        // The common case: CPython numbers entries 0, 1, 2, ...
        if key == dense_len && self.sparse.is_empty() {
            self.dense.push(Some(value));
            self.len += 1;
            return true;
        }
        let is_new = if key < dense_len {
            self.dense[key as usize].replace(value).is_none()
        } else if self.sparse.is_empty() && key <= dense_len + DENSE_SLACK {
            // The gap is at most DENSE_SLACK entries, so this allocation is bounded.
            self.dense.resize(key as usize, None);
            self.dense.push(Some(value));
            true
        } else {
            self.sparse.insert(key, value).is_none()
        };
        self.len += usize::from(is_new);
        is_new
    }

    pub(crate) fn get(&self, key: u64) -> Option<&Entry> {
        match self.dense.get(key as usize) {
            Some(slot) if key < self.dense.len() as u64 => slot.as_ref(),
            _ => self.sparse.get(&key),
        }
    }

    /// The value the latest PUT stored.
    pub(crate) fn last_put(&self) -> Option<Value> {
        self.last
    }

    /// Every value stored, dense keys first, in no promised order.
    pub(crate) fn values(&self) -> impl Iterator<Item = Value> + '_ {
        self.dense
            .iter()
            .flatten()
            .chain(self.sparse.values())
            .map(|entry| entry.value)
    }

    /// The number of distinct keys stored.
    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_and_sparse_keys() {
        let mut memo = Memo::default();
        assert!(memo.put(0, Value::Int(0), false));
        assert!(memo.put(2, Value::Int(2), false));
        assert!(!memo.put(2, Value::Int(3), false));
        assert!(memo.put(u64::from(u32::MAX), Value::Int(4), false));
        assert!(memo.put(5, Value::Int(5), true));
        assert_eq!(memo.get(1), None);
        assert_eq!(memo.get(2).map(|e| e.value), Some(Value::Int(3)));
        assert_eq!(
            memo.get(5).copied(),
            Some(Entry {
                value: Value::Int(5),
                container: true
            })
        );
        assert_eq!(
            memo.get(u64::from(u32::MAX)).map(|e| e.value),
            Some(Value::Int(4))
        );
        assert_eq!(memo.len(), 4);
        assert!(memo.dense.len() < 10, "a far key must not allocate the gap");
    }
}
