//! [`Text`]: a [`crate::PyInstance`]'s module or qualname, taken as the `String` it
//! serializes as; it is part of the class's name, not an object of the pickle.

use serde::ser::{self, Impossible, Serialize};

use super::mapping::is_plain_newtype;
use crate::error::{Error, ErrorKind};
use crate::options::Options;

/// Takes the str a value serializes as; anything else is an error naming the field.
#[derive(Clone, Copy)]
pub(super) struct Text<'o> {
    pub(super) field: &'static str,
    pub(super) options: &'o Options,
}

impl Text<'_> {
    /// The error for field `name` that is missing or no str.
    pub(super) fn needs(name: &str) -> Error {
        Error::new(ErrorKind::Message(format!("PyInstance needs a str {name}")))
    }

    fn refuse<T>(self) -> Result<T, Error> {
        Err(Text::needs(self.field))
    }
}

/// Serializer methods that are not a str.
macro_rules! refuse {
    ($ok:ty; $($method:ident($($arg:ident: $ty:ty),*);)*) => {
        $(
            fn $method(self, $($arg: $ty),*) -> Result<$ok, Error> {
                $(let _ = $arg;)*
                self.refuse()
            }
        )*
    };
}

impl ser::Serializer for Text<'_> {
    type Ok = String;
    type Error = Error;
    type SerializeSeq = Impossible<String, Error>;
    type SerializeTuple = Impossible<String, Error>;
    type SerializeTupleStruct = Impossible<String, Error>;
    type SerializeTupleVariant = Impossible<String, Error>;
    type SerializeMap = Impossible<String, Error>;
    type SerializeStruct = Impossible<String, Error>;
    type SerializeStructVariant = Impossible<String, Error>;

    scalar_methods! { refuse! { String; } }

    refuse! { String;
        serialize_none();
        serialize_unit();
        serialize_unit_struct(name: &'static str);
    }

    refuse! { Impossible<String, Error>;
        serialize_seq(len: Option<usize>);
        serialize_tuple(len: usize);
        serialize_tuple_struct(name: &'static str, len: usize);
        serialize_tuple_variant(name: &'static str, index: u32, variant: &'static str, len: usize);
        serialize_map(len: Option<usize>);
        serialize_struct(name: &'static str, len: usize);
        serialize_struct_variant(name: &'static str, index: u32, variant: &'static str, len: usize);
    }

    fn serialize_char(self, v: char) -> Result<String, Error> {
        Ok(v.to_string())
    }

    fn serialize_str(self, v: &str) -> Result<String, Error> {
        Ok(v.to_owned())
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<String, Error> {
        value.serialize(self)
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<String, Error> {
        // A set is no str, nor is an instance of a class.
        if !is_plain_newtype(self.options, name) {
            return self.refuse();
        }
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _variant_index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<String, Error> {
        self.refuse()
    }
}
