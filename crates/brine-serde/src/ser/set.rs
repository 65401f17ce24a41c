//! [`SetSerializer`]: the sequence inside [`crate::as_set`] / [`crate::as_frozenset`],
//! written as a Python set; anything but a sequence is an error.

use serde::ser::{self, Impossible, Serialize};

use super::compound::Seq;
use super::mapping::{Mapping, is_plain_newtype};
use super::sink::Sink;
use crate::error::{Error, ErrorKind};

/// Writes the sequence a value serializes as as a set, or a frozenset.
pub(super) struct SetSerializer<'a, 'o, S> {
    m: &'a mut Mapping<'o, S>,
    frozen: bool,
}

impl<'a, 'o, S: Sink> SetSerializer<'a, 'o, S> {
    pub(super) fn new(m: &'a mut Mapping<'o, S>, frozen: bool) -> Self {
        SetSerializer { m, frozen }
    }

    fn begin(self, len: Option<usize>) -> Result<Seq<'a, 'o, S>, Error> {
        Seq::set(self.m, len, self.frozen)
    }
}

fn not_a_sequence() -> Error {
    Error::new(ErrorKind::Message(
        "as_set and as_frozenset need a sequence".to_owned(),
    ))
}

/// Serializer methods that all fail: the value is no sequence.
macro_rules! refuse {
    ($ok:ty; $($method:ident($($arg:ident: $ty:ty),*);)*) => {
        $(
            fn $method(self, $($arg: $ty),*) -> Result<$ok, Error> {
                $(let _ = $arg;)*
                Err(not_a_sequence())
            }
        )*
    };
}

impl<'a, 'o, S: Sink> ser::Serializer for SetSerializer<'a, 'o, S> {
    type Ok = S::Obj;
    type Error = Error;
    type SerializeSeq = Seq<'a, 'o, S>;
    type SerializeTuple = Seq<'a, 'o, S>;
    type SerializeTupleStruct = Seq<'a, 'o, S>;
    type SerializeTupleVariant = Impossible<S::Obj, Error>;
    type SerializeMap = Impossible<S::Obj, Error>;
    type SerializeStruct = Impossible<S::Obj, Error>;
    type SerializeStructVariant = Impossible<S::Obj, Error>;

    scalar_methods! { refuse! { S::Obj; } }

    refuse! { S::Obj;
        serialize_char(v: char);
        serialize_str(v: &str);
        serialize_none();
        serialize_unit();
        serialize_unit_struct(name: &'static str);
    }

    refuse! { Impossible<S::Obj, Error>;
        serialize_tuple_variant(name: &'static str, index: u32, variant: &'static str, len: usize);
        serialize_map(len: Option<usize>);
        serialize_struct(name: &'static str, len: usize);
        serialize_struct_variant(name: &'static str, index: u32, variant: &'static str, len: usize);
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<S::Obj, Error> {
        value.serialize(self)
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<S::Obj, Error> {
        if !is_plain_newtype(self.m.options(), name) {
            return Err(not_a_sequence());
        }
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _variant_index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<S::Obj, Error> {
        Err(not_a_sequence())
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Seq<'a, 'o, S>, Error> {
        self.begin(len)
    }

    fn serialize_tuple(self, len: usize) -> Result<Seq<'a, 'o, S>, Error> {
        self.begin(Some(len))
    }

    fn serialize_tuple_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Seq<'a, 'o, S>, Error> {
        if self.m.class(name).is_some() {
            return Err(not_a_sequence());
        }
        self.begin(Some(len))
    }
}
