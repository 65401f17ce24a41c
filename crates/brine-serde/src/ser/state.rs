//! [`StateSerializer`]: an instance's state, written unless it is one CPython leaves out.
//!
//! CPython writes no BUILD when `__reduce_ex__` gives no state: `None`, or an empty
//! `__dict__`. Which serde values are those shows before anything is written: `None` and
//! unit are known at once, and a map or a struct (a dict) is empty until its first pair
//! begins, which is when [`super::compound`] opens it. So the state is serialized once, as
//! any value, and a state that turns out empty has written nothing.

use serde::ser::{self, Serialize};

use super::compound::{Map, Seq, Struct};
use super::mapping::{Mapping, is_plain_newtype};
use super::sink::Sink;
use crate::error::Error;

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
    type SerializeStructVariant = StateStruct<'a, 'o, S>;

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
        ser::Serializer::serialize_map(self.m, len).map(StateMap)
    }

    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<StateStruct<'a, 'o, S>, Error> {
        ser::Serializer::serialize_struct(self.m, name, len).map(StateStruct)
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        variant_index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<StateStruct<'a, 'o, S>, Error> {
        ser::Serializer::serialize_struct_variant(self.m, name, variant_index, variant, len)
            .map(StateStruct)
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

/// A map as a state: empty, and left out, until a pair begins.
pub(super) struct StateMap<'a, 'o, S: Sink>(Map<'a, 'o, S>);

impl<S: Sink> ser::SerializeMap for StateMap<'_, '_, S> {
    type Ok = Option<S::Obj>;
    type Error = Error;

    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), Error> {
        ser::SerializeMap::serialize_key(&mut self.0, key)
    }

    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        ser::SerializeMap::serialize_value(&mut self.0, value)
    }

    fn end(self) -> Result<Option<S::Obj>, Error> {
        if self.0.is_empty() {
            return Ok(None);
        }
        self.0.finish().map(Some)
    }
}

/// A struct as a state: a dict of its fields, empty and left out until a field begins, or
/// an instance.
pub(super) struct StateStruct<'a, 'o, S: Sink>(Struct<'a, 'o, S>);

/// `impl $trait for StateStruct`, for structs and struct variants alike.
macro_rules! state_fields {
    ($($trait:ident;)*) => {
        $(
            impl<S: Sink> ser::$trait for StateStruct<'_, '_, S> {
                type Ok = Option<S::Obj>;
                type Error = Error;

                fn serialize_field<T: ?Sized + Serialize>(
                    &mut self,
                    key: &'static str,
                    value: &T,
                ) -> Result<(), Error> {
                    self.0.push(key, value)
                }

                fn end(self) -> Result<Option<S::Obj>, Error> {
                    if self.0.is_empty_dict() {
                        return Ok(None);
                    }
                    self.0.finish().map(Some)
                }
            }
        )*
    };
}

state_fields! {
    SerializeStruct;
    SerializeStructVariant;
}
