//! [`Names`]: the field and variant names the byte sink has written, and their memo indices.

use std::collections::HashMap;

/// Slots of the by-address table: room for the field names of a few dozen structs.
const SLOTS: usize = 64;
/// Slots looked at from a name's own before giving up on the table.
const PROBES: usize = 4;

/// Field and variant names already written, and their memo indices.
pub(crate) struct Names {
    /// By address and length (an address of 0 marks a free slot), probed linearly from a
    /// slot the address hashes to: a derive passes the same `&'static str` every time, so
    /// most lookups end here without hashing the text, whatever addresses the names got.
    recent: [(usize, usize, u32); SLOTS],
    /// By text: two structs' fields of one name are one str, as in the graph.
    by_text: HashMap<&'static str, u32>,
}

impl Names {
    pub(crate) fn new() -> Names {
        Names {
            recent: [(0, 0, 0); SLOTS],
            by_text: HashMap::new(),
        }
    }

    #[inline]
    pub(crate) fn get(&mut self, name: &'static str) -> Option<u32> {
        let (addr, len) = (name.as_ptr() as usize, name.len());
        let first = Names::slot(addr, len);
        for probe in 0..PROBES {
            let (seen_addr, seen_len, idx) = self.recent[(first + probe) % SLOTS];
            if seen_addr == addr && seen_len == len {
                return Some(idx);
            }
            if seen_addr == 0 {
                break;
            }
        }
        let idx = *self.by_text.get(name)?;
        self.remember(addr, len, idx);
        Some(idx)
    }

    pub(crate) fn insert(&mut self, name: &'static str, idx: u32) {
        self.by_text.insert(name, idx);
        self.remember(name.as_ptr() as usize, name.len(), idx);
    }

    /// Puts the name in the first free slot it probes, or in its own slot when all are taken.
    fn remember(&mut self, addr: usize, len: usize, idx: u32) {
        let first = Names::slot(addr, len);
        let slot = (0..PROBES)
            .map(|probe| (first + probe) % SLOTS)
            .find(|&slot| self.recent[slot].0 == 0 || self.recent[slot].0 == addr)
            .unwrap_or(first);
        self.recent[slot] = (addr, len, idx);
    }

    /// A multiplicative hash: names laid out side by side in the binary spread over the table.
    fn slot(addr: usize, len: usize) -> usize {
        let mixed = (addr ^ len.rotate_left(40)) as u64;
        (mixed.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58) as usize % SLOTS
    }
}
