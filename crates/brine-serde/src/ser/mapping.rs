//! [`Mapping`]: the serde data model as Python objects, written once against a [`Sink`]:
//! which object each serde value is (see the table in the crate docs), and what Python
//! could not hash.

use num_bigint::BigInt;
use serde::ser::{self, Serialize};

use super::compound::{Map, Seq, Struct};
use super::set::SetSerializer;
use super::sink::Sink;
use crate::error::{Error, ErrorKind};
use crate::options::{Options, PyClass};
use crate::{FROZENSET_TOKEN, INSTANCE_TOKEN, SET_TOKEN};

/// Writes serde values to `S` as the Python objects they stand for.
pub struct Mapping<'o, S> {
    pub(crate) sink: S,
    options: &'o Options,
    /// Why Python could not hash the value written last, if it could not: a dict key or set
    /// item must be hashable. A value that holds others (a list, a dict, a tuple, an
    /// instance) sets it as it ends, and a scalar, which Python can always hash, leaves it
    /// alone: no store on the hot path of ints, floats and strs. A container that cares
    /// clears it before the items it reads it after (a dict before each key; a tuple or set
    /// once, as a scalar item leaves the reason of an earlier one, which is the one it keeps).
    pub(super) unhashable: Option<Mutable>,
    /// The last struct name looked up in [`Options::classes`] (its address and length) and
    /// what it found: a derive passes the same `&'static str` for every value of a type, so
    /// a sequence of structs searches the map once rather than once per value. Address 0,
    /// which no reference has, marks it empty.
    last_class: (usize, usize, Option<&'o PyClass>),
}

/// Whether the newtype struct `name` is its inner value: neither a set ([`crate::as_set`],
/// [`crate::as_frozenset`]) nor an instance of a class in `options`.
pub(super) fn is_plain_newtype(options: &Options, name: &str) -> bool {
    !matches!(name, SET_TOKEN | FROZENSET_TOKEN) && !options.classes.contains_key(name)
}

/// The Python types that cannot be hashed, of those a serde value can be.
#[derive(Clone, Copy)]
pub(crate) enum Mutable {
    List,
    Dict,
    Set,
}

impl Mutable {
    pub(super) fn error(self) -> Error {
        ErrorKind::Unhashable(match self {
            Mutable::List => "list",
            Mutable::Dict => "dict",
            Mutable::Set => "set",
        })
        .into()
    }
}

impl<'o, S: Sink> Mapping<'o, S> {
    pub(crate) fn new(sink: S, options: &'o Options) -> Mapping<'o, S> {
        Mapping {
            sink,
            options,
            unhashable: None,
            last_class: (0, 0, None),
        }
    }

    pub(super) fn options(&self) -> &'o Options {
        self.options
    }

    pub(super) fn class(&self, name: &str) -> Option<&'o PyClass> {
        self.options.classes.get(name)
    }

    /// [`Mapping::class`] of a type's own name, remembered: two `&'static str` of one address
    /// and length are the same text.
    #[inline]
    fn static_class(&mut self, name: &'static str) -> Option<&'o PyClass> {
        let (addr, len) = (name.as_ptr() as usize, name.len());
        let (seen_addr, seen_len, seen) = self.last_class;
        if seen_addr == addr && seen_len == len {
            return seen;
        }
        let class = self.class(name);
        self.last_class = (addr, len, class);
        class
    }

    /// A Python int: a small one when it fits 64 bits, LONG1 and the like beyond.
    fn int<T: Copy + TryInto<i64> + Into<BigInt>>(&mut self, v: T) -> Result<S::Obj, Error> {
        match v.try_into() {
            Ok(small) => self.sink.int(small),
            Err(_) => self.sink.bigint(v.into()),
        }
    }

    /// Opens the one-pair dict `{variant: ...}` of an enum's variant, up to its value.
    pub(super) fn begin_variant(
        &mut self,
        variant: &'static str,
    ) -> Result<(S::Dict, S::Obj), Error> {
        let mut dict = self.sink.begin_dict(Some(1))?;
        self.sink.begin_pair(&mut dict)?;
        let key = self.sink.name(variant)?;
        Ok((dict, key))
    }

    /// Closes what [`Mapping::begin_variant`] opened, with `value`.
    pub(super) fn end_variant(
        &mut self,
        mut dict: S::Dict,
        key: S::Obj,
        value: S::Obj,
    ) -> Result<S::Obj, Error> {
        self.sink.push_pair(&mut dict, key, value);
        let obj = self.sink.end_dict(dict)?;
        self.unhashable = Some(Mutable::Dict);
        Ok(obj)
    }
}

impl<'a, 'o, S: Sink> ser::Serializer for &'a mut Mapping<'o, S> {
    type Ok = S::Obj;
    type Error = Error;
    type SerializeSeq = Seq<'a, 'o, S>;
    type SerializeTuple = Seq<'a, 'o, S>;
    type SerializeTupleStruct = Seq<'a, 'o, S>;
    type SerializeTupleVariant = Seq<'a, 'o, S>;
    type SerializeMap = Map<'a, 'o, S>;
    type SerializeStruct = Struct<'a, 'o, S>;
    type SerializeStructVariant = Struct<'a, 'o, S>;

    fn serialize_bool(self, v: bool) -> Result<S::Obj, Error> {
        self.sink.bool(v)
    }

    fn serialize_i8(self, v: i8) -> Result<S::Obj, Error> {
        self.serialize_i64(v.into())
    }

    fn serialize_i16(self, v: i16) -> Result<S::Obj, Error> {
        self.serialize_i64(v.into())
    }

    fn serialize_i32(self, v: i32) -> Result<S::Obj, Error> {
        self.serialize_i64(v.into())
    }

    #[inline]
    fn serialize_i64(self, v: i64) -> Result<S::Obj, Error> {
        self.sink.int(v)
    }

    fn serialize_i128(self, v: i128) -> Result<S::Obj, Error> {
        self.int(v)
    }

    fn serialize_u8(self, v: u8) -> Result<S::Obj, Error> {
        self.serialize_i64(v.into())
    }

    fn serialize_u16(self, v: u16) -> Result<S::Obj, Error> {
        self.serialize_i64(v.into())
    }

    fn serialize_u32(self, v: u32) -> Result<S::Obj, Error> {
        self.serialize_i64(v.into())
    }

    fn serialize_u64(self, v: u64) -> Result<S::Obj, Error> {
        self.int(v)
    }

    fn serialize_u128(self, v: u128) -> Result<S::Obj, Error> {
        self.int(v)
    }

    fn serialize_f32(self, v: f32) -> Result<S::Obj, Error> {
        self.serialize_f64(v.into())
    }

    #[inline]
    fn serialize_f64(self, v: f64) -> Result<S::Obj, Error> {
        self.sink.float(v)
    }

    fn serialize_char(self, v: char) -> Result<S::Obj, Error> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }

    #[inline]
    fn serialize_str(self, v: &str) -> Result<S::Obj, Error> {
        self.sink.str(v)
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<S::Obj, Error> {
        self.sink.bytes(v)
    }

    fn serialize_none(self) -> Result<S::Obj, Error> {
        self.sink.none()
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<S::Obj, Error> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<S::Obj, Error> {
        self.serialize_none()
    }

    fn serialize_unit_struct(self, name: &'static str) -> Result<S::Obj, Error> {
        let Some(class) = self.static_class(name) else {
            return self.serialize_none();
        };
        self.new_instance(&class.module, &class.qualname)
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _variant_index: u32,
        variant: &'static str,
    ) -> Result<S::Obj, Error> {
        self.sink.name(variant)
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<S::Obj, Error> {
        match name {
            SET_TOKEN => return value.serialize(SetSerializer::new(self, false)),
            FROZENSET_TOKEN => return value.serialize(SetSerializer::new(self, true)),
            _ => {}
        }
        let Some(class) = self.static_class(name) else {
            return value.serialize(self);
        };
        let obj = self.new_instance(&class.module, &class.qualname)?;
        self.state(obj, value)?;
        // The state may have said it cannot be hashed; the instance can.
        self.unhashable = None;
        Ok(obj)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _variant_index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<S::Obj, Error> {
        let (dict, key) = self.begin_variant(variant)?;
        let value = value.serialize(&mut *self)?;
        self.end_variant(dict, key, value)
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Seq<'a, 'o, S>, Error> {
        Seq::list(self, len)
    }

    fn serialize_tuple(self, len: usize) -> Result<Seq<'a, 'o, S>, Error> {
        Seq::tuple(self, len)
    }

    #[inline]
    fn collect_seq<I>(self, iter: I) -> Result<S::Obj, Error>
    where
        I: IntoIterator,
        I::Item: Serialize,
    {
        Seq::collect_list(self, iter.into_iter())
    }

    fn serialize_tuple_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Seq<'a, 'o, S>, Error> {
        match self.static_class(name) {
            Some(class) => Seq::args(self, class, len),
            None => Seq::tuple(self, len),
        }
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _variant_index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Seq<'a, 'o, S>, Error> {
        Seq::variant(self, variant, len)
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Map<'a, 'o, S>, Error> {
        Map::new(self, len)
    }

    fn serialize_struct(self, name: &'static str, len: usize) -> Result<Struct<'a, 'o, S>, Error> {
        if name == INSTANCE_TOKEN {
            return Ok(Struct::py_instance(self));
        }
        match self.static_class(name) {
            Some(class) => Struct::instance(self, class, len),
            None => Struct::dict(self, len),
        }
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _variant_index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Struct<'a, 'o, S>, Error> {
        Struct::variant(self, variant, len)
    }
}
