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
        loop {
            match self.body {
                Body::Done => return Ok(None),
                Body::Batch => {
                    if self.de.code()? != Opcode::APPENDS {
                        return Ok(Some(false));
                    }
                    self.de.pos += 1;
                    self.de.marks -= 1;
                    self.body = Body::Between;
                }
                Body::Between => match self.de.code()? {
                    Opcode::MARK => {
                        self.de.mark()?;
                        self.de.pos += 1;
                        self.body = Body::Batch;
                    }
                    Opcode::MEMOIZE | Opcode::BINPUT | Opcode::LONG_BINPUT => {
                        self.de.puts(Memoed::Opaque)?;
                    }
                    _ if self.de.simple_then(self.de.pos, Opcode::APPEND).is_some() => {
                        return Ok(Some(true));
                    }
                    _ => {
                        self.body = Body::Done;
                        return Ok(None);
                    }
                },
            }
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
        loop {
            match self.body {
                Body::Done => return Ok(None),
                Body::Batch => {
                    if self.de.code()? != Opcode::SETITEMS {
                        self.single = false;
                        let key = self.de.value(seed)?;
                        self.awaiting = true;
                        return Ok(Some(key));
                    }
                    self.de.pos += 1;
                    self.de.marks -= 1;
                    self.body = Body::Between;
                }
                Body::Between => match self.de.code()? {
                    Opcode::MARK => {
                        self.de.mark()?;
                        self.de.pos += 1;
                        self.body = Body::Batch;
                    }
                    Opcode::MEMOIZE | Opcode::BINPUT | Opcode::LONG_BINPUT => {
                        self.de.puts(Memoed::Opaque)?;
                    }
                    _ if self
                        .de
                        .simple(self.de.pos)
                        .and_then(|end| self.de.simple_then(end, Opcode::SETITEM))
                        .is_some() =>
                    {
                        self.single = true;
                        let key = self.de.value(seed)?;
                        self.awaiting = true;
                        return Ok(Some(key));
                    }
                    _ => {
                        self.body = Body::Done;
                        return Ok(None);
                    }
                },
            }
        }
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
