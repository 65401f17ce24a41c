//! [`StateSerializer`]: an instance's state, written unless it is one CPython leaves out.
//!
//! CPython writes no BUILD when `__reduce_ex__` gives no state: `None`, or an empty
//! `__dict__`. Which serde values are those shows before anything is written: `None` and
//! unit are known at once, and a map or a struct (a dict) is empty until its first pair
//! begins, which is when it is opened here. Nothing is written between `serialize_map` and
//! the first `serialize_key`, so the bytes are those of a dict opened at once. So the state
//! is serialized once, as any value, and a state that turns out empty has written nothing.

use serde::ser::{self, Serialize};

use super::compound::{Map, Seq, Struct};
use super::mapping::{Mapping, is_plain_newtype};
use super::sink::Sink;
use crate::INSTANCE_TOKEN;
use crate::error::{Error, ErrorKind};

/// Writes a state as [`Mapping`] writes any value, and says `None` for an empty one, having
/// written nothing.
pub(super) struct StateSerializer<'a, 'o, S> {
    m: &'a mut Mapping<'o, S>,
}

impl<'a, 'o, S: Sink> StateSerializer<'a, 'o, S> {
    pub(super) fn new(m: &'a mut Mapping<'o, S>) -> Self {
        StateSerializer { m }
    }
}

/// Serializer methods whose value is never empty: what [`Mapping`] writes.
macro_rules! written {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {
        $(
            fn $method(self, $($arg: $ty),*) -> Result<Option<S::Obj>, Error> {
                ser::Serializer::$method(self.m, $($arg),*).map(Some)
            }
        )*
    };
}

impl<'a, 'o, S: Sink> ser::Serializer for StateSerializer<'a, 'o, S> {
    type Ok = Option<S::Obj>;
    type Error = Error;
    type SerializeSeq = Written<Seq<'a, 'o, S>>;
    type SerializeTuple = Written<Seq<'a, 'o, S>>;
    type SerializeTupleStruct = Written<Seq<'a, 'o, S>>;
    type SerializeTupleVariant = Written<Seq<'a, 'o, S>>;
    type SerializeMap = StateMap<'a, 'o, S>;
    type SerializeStruct = StateStruct<'a, 'o, S>;
    type SerializeStructVariant = Written<Struct<'a, 'o, S>>;

    scalar_methods! { written! {} }

    written! {
        serialize_char(v: char);
        serialize_str(v: &str);
    }

    fn serialize_none(self) -> Result<Option<S::Obj>, Error> {
        Ok(None)
    }

    fn serialize_unit(self) -> Result<Option<S::Obj>, Error> {
        Ok(None)
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<Option<S::Obj>, Error> {
        value.serialize(self)
    }

    fn serialize_unit_struct(self, name: &'static str) -> Result<Option<S::Obj>, Error> {
        // A unit struct is `None` unless it is an instance of a class.
        if self.m.class(name).is_none() {
            return Ok(None);
        }
        ser::Serializer::serialize_unit_struct(self.m, name).map(Some)
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<Option<S::Obj>, Error> {
        // A plain newtype is its inner value, which may be empty.
        if is_plain_newtype(self.m.options(), name) {
            return value.serialize(self);
        }
        ser::Serializer::serialize_newtype_struct(self.m, name, value).map(Some)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        variant_index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Option<S::Obj>, Error> {
        ser::Serializer::serialize_newtype_variant(self.m, name, variant_index, variant, value)
            .map(Some)
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Written<Seq<'a, 'o, S>>, Error> {
        ser::Serializer::serialize_seq(self.m, len).map(Written)
    }

    fn serialize_tuple(self, len: usize) -> Result<Written<Seq<'a, 'o, S>>, Error> {
        ser::Serializer::serialize_tuple(self.m, len).map(Written)
    }

    fn serialize_tuple_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Written<Seq<'a, 'o, S>>, Error> {
        ser::Serializer::serialize_tuple_struct(self.m, name, len).map(Written)
    }

    fn serialize_tuple_variant(
        self,
        name: &'static str,
        variant_index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Written<Seq<'a, 'o, S>>, Error> {
        ser::Serializer::serialize_tuple_variant(self.m, name, variant_index, variant, len)
            .map(Written)
    }

    fn serialize_map(self, len: Option<usize>) -> Result<StateMap<'a, 'o, S>, Error> {
        Ok(StateMap {
            m: Some(self.m),
            len,
            map: None,
        })
    }

    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<StateStruct<'a, 'o, S>, Error> {
        let mut state = StateStruct {
            m: Some(self.m),
            name,
            len,
            st: None,
        };
        // A struct is a dict, empty until a field comes, unless it is an instance.
        if name == INSTANCE_TOKEN || state.m.as_ref().is_some_and(|m| m.class(name).is_some()) {
            state.open()?;
        }
        Ok(state)
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        variant_index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Written<Struct<'a, 'o, S>>, Error> {
        ser::Serializer::serialize_struct_variant(self.m, name, variant_index, variant, len)
            .map(Written)
    }
}

/// A compound whose value is never empty.
pub(super) struct Written<C>(C);

/// `impl $trait for Written<C>` through `C`'s, with one method that takes an item.
macro_rules! written_compound {
    ($($trait:ident :: $method:ident;)*) => {
        $(
            impl<C: ser::$trait<Error = Error>> ser::$trait for Written<C> {
                type Ok = Option<C::Ok>;
                type Error = Error;

                fn $method<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
                    ser::$trait::$method(&mut self.0, value)
                }

                fn end(self) -> Result<Option<C::Ok>, Error> {
                    ser::$trait::end(self.0).map(Some)
                }
            }
        )*
    };
}

written_compound! {
    SerializeSeq::serialize_element;
    SerializeTuple::serialize_element;
    SerializeTupleStruct::serialize_field;
    SerializeTupleVariant::serialize_field;
}

impl<C: ser::SerializeStructVariant<Error = Error>> ser::SerializeStructVariant for Written<C> {
    type Ok = Option<C::Ok>;
    type Error = Error;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        ser::SerializeStructVariant::serialize_field(&mut self.0, key, value)
    }

    fn end(self) -> Result<Option<C::Ok>, Error> {
        ser::SerializeStructVariant::end(self.0).map(Some)
    }
}

/// The error for a state written to after an error opening it.
fn broken() -> Error {
    Error::new(ErrorKind::Message(
        "an instance state written to after an error".to_owned(),
    ))
}

/// A map as a state: empty, and left out, until a pair begins and opens it.
pub(super) struct StateMap<'a, 'o, S: Sink> {
    /// Until the map is opened.
    m: Option<&'a mut Mapping<'o, S>>,
    len: Option<usize>,
    map: Option<Map<'a, 'o, S>>,
}

impl<'a, 'o, S: Sink> StateMap<'a, 'o, S> {
    fn open(&mut self) -> Result<&mut Map<'a, 'o, S>, Error> {
        if let Some(m) = self.m.take() {
            return Ok(self.map.insert(Map::new(m, self.len)?));
        }
        self.map.as_mut().ok_or_else(broken)
    }
}

impl<S: Sink> ser::SerializeMap for StateMap<'_, '_, S> {
    type Ok = Option<S::Obj>;
    type Error = Error;

    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), Error> {
        ser::SerializeMap::serialize_key(self.open()?, key)
    }

    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        ser::SerializeMap::serialize_value(self.open()?, value)
    }

    fn end(self) -> Result<Option<S::Obj>, Error> {
        match self.map {
            Some(map) => map.finish().map(Some),
            None => Ok(None),
        }
    }
}

/// A struct as a state: a dict of its fields, empty and left out until a field begins and
/// opens it, or an instance, opened at once.
pub(super) struct StateStruct<'a, 'o, S: Sink> {
    /// Until the struct is opened.
    m: Option<&'a mut Mapping<'o, S>>,
    name: &'static str,
    len: usize,
    st: Option<Struct<'a, 'o, S>>,
}

impl<'a, 'o, S: Sink> StateStruct<'a, 'o, S> {
    fn open(&mut self) -> Result<&mut Struct<'a, 'o, S>, Error> {
        if let Some(m) = self.m.take() {
            let st = ser::Serializer::serialize_struct(m, self.name, self.len)?;
            return Ok(self.st.insert(st));
        }
        self.st.as_mut().ok_or_else(broken)
    }
}

impl<S: Sink> ser::SerializeStruct for StateStruct<'_, '_, S> {
    type Ok = Option<S::Obj>;
    type Error = Error;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.open()?.push(key, value)
    }

    fn end(self) -> Result<Option<S::Obj>, Error> {
        match self.st {
            Some(st) => st.finish().map(Some),
            None => Ok(None),
        }
    }
}
