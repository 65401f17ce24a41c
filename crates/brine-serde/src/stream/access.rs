//! A list's items and a dict's pairs, read as they come: batches between MARK and
//! APPENDS/SETITEMS, and single items before APPEND/SETITEM.

use brine_lex::Opcode;
use serde::de::{self, DeserializeSeed, IgnoredAny};

use super::{Memoed, Stream, fallback};
use crate::error::Error;

/// Where a container's body is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Body {
    /// Between batches: a MARK, a single item or the end comes next.
    Between,
    /// Inside a MARK: items until APPENDS or SETITEMS.
    Batch,
    /// The container is complete.
    Done,
}

/// The items of the list just opened.
pub(super) struct ListAccess<'s, 'de, 'o> {
    de: &'s mut Stream<'de, 'o>,
    body: Body,
}

impl<'s, 'de, 'o> ListAccess<'s, 'de, 'o> {
    pub(super) fn new(de: &'s mut Stream<'de, 'o>) -> ListAccess<'s, 'de, 'o> {
        ListAccess {
            de,
            body: Body::Between,
        }
    }

    /// Reads past the items the visitor left.
    pub(super) fn finish(mut self) -> Result<(), Error> {
        while de::SeqAccess::next_element::<IgnoredAny>(&mut self)?.is_some() {}
        Ok(())
    }

    /// Moves to the next item: `None` at the list's end, else whether the item is a single
    /// one (APPEND follows it).
    #[inline(always)]
    fn advance(&mut self) -> Result<Option<bool>, Error> {
        advance(self.de, &mut self.body, Opcode::APPENDS, |de| {
            de.simple_then(de.pos, Opcode::APPEND).is_some()
        })
    }
}

/// Moves a container's body to its next item (a dict's next key): `None` at its end, else
/// whether the item is a single one. `batch_end` closes a batch; `single` says whether the
/// opcodes at the position are a single item.
#[inline(always)]
fn advance(
    de: &mut Stream<'_, '_>,
    body: &mut Body,
    batch_end: Opcode,
    single: impl Fn(&Stream<'_, '_>) -> bool,
) -> Result<Option<bool>, Error> {
    loop {
        match *body {
            Body::Done => return Ok(None),
            Body::Batch => {
                if de.code()? != batch_end {
                    return Ok(Some(false));
                }
                de.pos += 1;
                de.marks -= 1;
                *body = Body::Between;
            }
            Body::Between => match de.code()? {
                Opcode::MARK => {
                    de.mark()?;
                    de.pos += 1;
                    *body = Body::Batch;
                }
                Opcode::MEMOIZE | Opcode::BINPUT | Opcode::LONG_BINPUT => {
                    de.puts(Memoed::Opaque)?;
                }
                _ if single(de) => return Ok(Some(true)),
                _ => {
                    *body = Body::Done;
                    return Ok(None);
                }
            },
        }
    }
}

impl<'de> de::SeqAccess<'de> for ListAccess<'_, 'de, '_> {
    type Error = Error;

    #[inline]
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        let Some(single) = self.advance()? else {
            return Ok(None);
        };
        let item = self.de.value(seed)?;
        if single {
            self.de.expect(Opcode::APPEND)?;
        }
        Ok(Some(item))
    }
}

/// The pairs of the dict just opened.
pub(super) struct DictAccess<'s, 'de, 'o> {
    de: &'s mut Stream<'de, 'o>,
    body: Body,
    /// Whether the pair whose key was read is a single one (SETITEM follows its value).
    single: bool,
    /// A key is read and its value is not.
    awaiting: bool,
}

impl<'s, 'de, 'o> DictAccess<'s, 'de, 'o> {
    pub(super) fn new(de: &'s mut Stream<'de, 'o>) -> DictAccess<'s, 'de, 'o> {
        DictAccess {
            de,
            body: Body::Between,
            single: false,
            awaiting: false,
        }
    }

    /// No pairs: an instance without state.
    pub(super) fn empty(de: &'s mut Stream<'de, 'o>) -> DictAccess<'s, 'de, 'o> {
        DictAccess {
            body: Body::Done,
            ..DictAccess::new(de)
        }
    }

    /// Reads past the pairs the visitor left.
    pub(super) fn finish(mut self) -> Result<(), Error> {
        if self.awaiting {
            de::MapAccess::next_value::<IgnoredAny>(&mut self)?;
        }
        while de::MapAccess::next_entry::<IgnoredAny, IgnoredAny>(&mut self)?.is_some() {}
        Ok(())
    }
}

impl<'de> de::MapAccess<'de> for DictAccess<'_, 'de, '_> {
    type Error = Error;

    #[inline]
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        if self.awaiting {
            // The graph path passes over a value the visitor does not ask for.
            de::MapAccess::next_value::<IgnoredAny>(self)?;
        }
        let single = |de: &Stream<'_, '_>| {
            de.simple(de.pos)
                .and_then(|end| de.simple_then(end, Opcode::SETITEM))
                .is_some()
        };
        let Some(single) = advance(self.de, &mut self.body, Opcode::SETITEMS, single)? else {
            return Ok(None);
        };
        self.single = single;
        let key = self.de.value(seed)?;
        self.awaiting = true;
        Ok(Some(key))
    }

    #[inline]
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        if !self.awaiting {
            return Err(fallback());
        }
        self.awaiting = false;
        let value = self.de.value(seed)?;
        if self.single {
            self.de.expect(Opcode::SETITEM)?;
        }
        Ok(value)
    }
}
