//! The memo: what PUT, BINPUT, LONG_BINPUT and MEMOIZE stored, for GET to fetch.
//!
//! CPython's picklers number memo entries 0, 1, 2, … so the keys are dense: a vector indexed
//! by key is the fast path. A key far beyond the entries already stored (which only a
//! hand-made pickle has) moves the memo to a hash map instead of allocating the gap.

use brine_value::{NodeId, Value};
use hashbrown::HashMap;

/// Keys up to this far past the dense vector's end still extend it.
const DENSE_SLACK: u64 = 1024;

/// The memo. A dense entry is an `Option<Value>` of 16 bytes: a pickle memoizes nearly every
/// object it writes, so the memo is a sixth of the decoder's memory on a list of small
/// records. Whether an entry is a container that SETITEM(S), APPEND(S) or ADDITEMS fill in
/// place is the node's to say, looked up by the one GET that needs it.
#[derive(Debug, Default)]
pub(crate) struct Memo {
    dense: Vec<Option<Value>>,
    sparse: HashMap<u64, Value>,
    len: usize,
    /// The value the latest PUT stored.
    last: Option<Value>,
}

impl Memo {
    /// Makes room for `additional` more dense entries.
    pub(crate) fn reserve(&mut self, additional: usize) {
        self.dense.reserve(additional);
    }

    /// Makes room for `additional` more dense entries if the allocator grants it.
    pub(crate) fn try_reserve(&mut self, additional: usize) {
        let _ = self.dense.try_reserve(additional);
    }

    /// The dense vector's entries and the room it holds for them.
    pub(crate) fn dense_room(&self) -> (usize, usize) {
        (self.dense.len(), self.dense.capacity())
    }

    /// The memo emptied for another pickle, keeping the room of its vector and map unless
    /// either holds room for more than `retain` entries.
    pub(crate) fn emptied(mut self, retain: usize) -> Memo {
        if self.dense.capacity() > retain {
            self.dense = Vec::new();
        }
        if self.sparse.capacity() > retain {
            self.sparse = HashMap::new();
        }
        self.dense.clear();
        self.sparse.clear();
        self.len = 0;
        self.last = None;
        self
    }

    /// Stores `value` under `key`, returning whether the key is new.
    #[inline]
    pub(crate) fn put(&mut self, key: u64, value: Value) -> bool {
        self.last = Some(value);
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

    #[inline]
    pub(crate) fn get(&self, key: u64) -> Option<Value> {
        match self.dense.get(key as usize) {
            Some(slot) if key < self.dense.len() as u64 => *slot,
            _ => self.sparse.get(&key).copied(),
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
            .copied()
    }

    /// Calls `f` with every node stored, dense keys first, in no promised order: what
    /// [`Memo::values`] gives, filtered, in a plain loop over the dense vector, which costs
    /// a few instructions an entry where the chained iterator cost thirty.
    pub(crate) fn for_each_node(&self, mut f: impl FnMut(NodeId)) {
        for slot in &self.dense {
            if let Some(Value::Node(id)) = *slot {
                f(id);
            }
        }
        for value in self.sparse.values() {
            if let Value::Node(id) = *value {
                f(id);
            }
        }
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
        assert!(memo.put(0, Value::Int(0)));
        assert!(memo.put(2, Value::Int(2)));
        assert!(!memo.put(2, Value::Int(3)));
        assert!(memo.put(u64::from(u32::MAX), Value::Int(4)));
        assert!(memo.put(5, Value::Int(5)));
        assert_eq!(memo.get(1), None);
        assert_eq!(memo.get(2), Some(Value::Int(3)));
        assert_eq!(memo.get(5), Some(Value::Int(5)));
        assert_eq!(memo.get(u64::from(u32::MAX)), Some(Value::Int(4)));
        assert_eq!(memo.len(), 4);
        assert!(memo.dense.len() < 10, "a far key must not allocate the gap");
    }

    #[test]
    fn a_dense_entry_is_16_bytes() {
        assert_eq!(std::mem::size_of::<Option<Value>>(), 16);
    }
}
