//! [`Names`]: the field and variant names the byte sink has written, and their memo indices.

use std::collections::HashMap;

/// Field and variant names already written, and their memo indices.
pub(crate) struct Names {
    /// By address and length: a derive passes the same `&'static str` every time, so most
    /// lookups end here without hashing the text.
    recent: [(usize, usize, u32); 32],
    /// By text: two structs' fields of one name are one str, as in the graph.
    by_text: HashMap<&'static str, u32>,
}

impl Names {
    pub(crate) fn new() -> Names {
        Names {
            recent: [(0, 0, 0); 32],
            by_text: HashMap::new(),
        }
    }

    #[inline]
    pub(crate) fn get(&mut self, name: &'static str) -> Option<u32> {
        let addr = name.as_ptr() as usize;
        let slot = Names::slot(name);
        let (seen_addr, seen_len, idx) = self.recent[slot];
        if seen_addr == addr && seen_len == name.len() {
            return Some(idx);
        }
        let idx = *self.by_text.get(name)?;
        self.recent[slot] = (addr, name.len(), idx);
        Some(idx)
    }

    pub(crate) fn insert(&mut self, name: &'static str, idx: u32) {
        self.by_text.insert(name, idx);
        self.recent[Names::slot(name)] = (name.as_ptr() as usize, name.len(), idx);
    }

    fn slot(name: &str) -> usize {
        let addr = name.as_ptr() as usize;
        (addr ^ (addr >> 5) ^ name.len()) % 32
    }
}
