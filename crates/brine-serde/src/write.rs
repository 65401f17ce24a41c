//! Serialization straight to pickle bytes: each serde value is written with
//! [`brine_encode::Emitter`] while it serializes, no graph in between.
//!
//! The bytes are those the graph path writes ([`crate::to_value`], whose graph
//! `brine_encode::to_vec` pickles): the same Python objects, saved in the same order, with the
//! same objects shared (field and variant names, classes, the one-character strings CPython
//! shares) and the frames ending at the same object boundaries. Every opcode choice is the
//! emitter's, which the graph pickler uses too; this file only decides which Python objects a
//! serde value is, as `ser.rs` does for the graph.
//!
//! Two things the graph path learns only once a value is complete are decided up front here:
//! a list or dict of one item has no MARK (serde announces the length; when it does not, the
//! emitter holds the MARK pending until the second item or the end), and an instance's state
//! that is empty (`None`, an empty dict) writes no BUILD, which a look at the state's
//! outermost shape tells before it is written ([`Peek`]).

use std::collections::HashMap;
use std::io::Write;

use brine_encode::{Batch, Emitter, EncodeError};
use num_bigint::BigInt;
use serde::ser::{self, Impossible, Serialize};

use crate::error::{Error, ErrorKind};
use crate::options::{Options, PyClass};
use crate::{FROZENSET_TOKEN, INSTANCE_TOKEN, SET_TOKEN};

/// What a serialized value tells its container: why Python could not hash it, if it could
/// not (a dict key or set item must be hashable). One byte, so that every `serialize_*`
/// returns in registers.
type Unhashable = Option<Mutable>;

/// The Python types that cannot be hashed, of those a serde value can be.
#[derive(Clone, Copy)]
pub(crate) enum Mutable {
    List,
    Dict,
    Set,
}

impl Mutable {
    fn unhashable(self) -> Error {
        ErrorKind::Unhashable(match self {
            Mutable::List => "list",
            Mutable::Dict => "dict",
            Mutable::Set => "set",
        })
        .into()
    }
}

/// Writes serde values as pickle objects.
pub(crate) struct Writer<'o, W> {
    e: Emitter<'o, W>,
    options: &'o Options,
    names: Names,
}

impl<'o, W: Write> Writer<'o, W> {
    /// Starts the pickle (PROTO, framing); `encode` are `options`' encoder options.
    pub(crate) fn new(
        writer: W,
        options: &'o Options,
        encode: &'o brine_encode::Options,
    ) -> Result<Writer<'o, W>, Error> {
        Ok(Writer {
            e: Emitter::new(writer, encode)?,
            options,
            names: Names::new(),
        })
    }

    /// Writes STOP and the last frame.
    pub(crate) fn finish(self) -> Result<W, Error> {
        Ok(self.e.finish()?)
    }

    fn class(&self, name: &str) -> Option<&'o PyClass> {
        self.options.classes.get(name)
    }

    /// A field or variant name: one str object per name, as Python interns identifiers.
    fn name(&mut self, name: &'static str) -> Result<(), Error> {
        self.e.boundary()?;
        match self.names.get(name) {
            Some(idx) => self.e.get(idx)?,
            None => {
                let idx = self.e.str(name)?;
                self.names.insert(name, idx);
            }
        }
        Ok(())
    }

    /// An instance made without arguments, memoized: `cls.__new__(cls)` (NEWOBJ) from
    /// protocol 2, `copyreg._reconstructor(cls, object, None)` below. Its state, if any,
    /// follows, then BUILD.
    fn instance_object(&mut self, module: &str, qualname: &str) -> Result<(), Error> {
        if self.e.protocol() >= 2 {
            self.e.boundary()?;
            self.e.global_object(module, qualname)?;
            self.e.boundary()?;
            self.e.empty_tuple()?;
            self.e.newobj()?;
        } else {
            self.reconstructor_args(module, qualname, "object")?;
            self.e.boundary()?;
            self.e.none()?;
            self.e.end_tuple(3)?;
            self.e.reduce()?;
        }
        self.e.memoize()?;
        Ok(())
    }

    /// `copyreg._reconstructor` and its arguments up to the third: the class and its base.
    fn reconstructor_args(
        &mut self,
        module: &str,
        qualname: &str,
        base: &str,
    ) -> Result<(), Error> {
        self.e.boundary()?;
        self.e.global_object("copyreg", "_reconstructor")?;
        self.e.boundary()?;
        self.e.begin_tuple(3)?;
        self.e.boundary()?;
        self.e.global_object(module, qualname)?;
        self.e.boundary()?;
        self.e.global_object("builtins", base)?;
        Ok(())
    }

    /// Opens an instance made from `n_args` arguments, as CPython writes a namedtuple:
    /// `cls.__new__(cls, *args)` from protocol 2, `copyreg._reconstructor(cls, tuple, args)`
    /// below. The arguments follow, then [`Writer::end_args_instance`].
    fn begin_args_instance(&mut self, class: &PyClass, n_args: usize) -> Result<(), Error> {
        if self.e.protocol() >= 2 {
            self.e.boundary()?;
            self.e.global_object(&class.module, &class.qualname)?;
        } else {
            self.reconstructor_args(&class.module, &class.qualname, "tuple")?;
        }
        self.e.boundary()?;
        if n_args > 0 {
            self.e.begin_tuple(n_args)?;
        }
        Ok(())
    }

    fn end_args_instance(&mut self, len: usize, count: usize) -> Result<(), Error> {
        self.end_tuple(len, count)?;
        if self.e.protocol() >= 2 {
            self.e.newobj()?;
        } else {
            self.e.end_tuple(3)?;
            self.e.reduce()?;
        }
        self.e.memoize()?;
        Ok(())
    }

    /// Closes a tuple announced with `len` items and given `count`.
    fn end_tuple(&mut self, len: usize, count: usize) -> Result<(), Error> {
        // The MARK (or its absence) was written for `len`.
        let same_layout = (len == 0) == (count == 0)
            && (count == 0 || self.e.tuple_needs_mark(len) == self.e.tuple_needs_mark(count));
        if !same_layout {
            return Err(EncodeError::LengthMismatch {
                expected: len,
                actual: count,
            }
            .into());
        }
        if count == 0 {
            self.e.empty_tuple()?;
        } else {
            self.e.end_tuple(count)?;
        }
        Ok(())
    }

    /// BUILD with `state`, unless it is one CPython leaves out (`None`, an empty dict).
    fn state<T: ?Sized + Serialize>(&mut self, state: &T) -> Result<(), Error> {
        let peek = Peek {
            options: self.options,
            capture: false,
        };
        if let Peeked::Empty = state.serialize(peek)? {
            return Ok(());
        }
        state.serialize(&mut *self)?;
        self.e.build()?;
        Ok(())
    }

    /// Opens a one-pair dict `{variant: ...}`, up to where the value follows.
    fn begin_variant(&mut self, variant: &'static str) -> Result<Batch, Error> {
        self.e.boundary()?;
        let mut dict = self.e.begin_dict(Some(1))?;
        self.e.item(&mut dict)?;
        self.name(variant)?;
        Ok(dict)
    }
}

/// Field and variant names already written, and their memo indices.
struct Names {
    /// By address and length: a derive passes the same `&'static str` every time, so most
    /// lookups end here without hashing the text.
    recent: [(usize, usize, u32); 32],
    /// By text: two structs' fields of one name are one str, as in the graph path.
    by_text: HashMap<&'static str, u32>,
}

impl Names {
    fn new() -> Names {
        Names {
            recent: [(0, 0, 0); 32],
            by_text: HashMap::new(),
        }
    }

    fn slot(name: &str) -> usize {
        let addr = name.as_ptr() as usize;
        (addr ^ (addr >> 5) ^ name.len()) % 32
    }

    #[inline]
    fn get(&mut self, name: &'static str) -> Option<u32> {
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

    fn insert(&mut self, name: &'static str, idx: u32) {
        self.by_text.insert(name, idx);
        self.recent[Names::slot(name)] = (name.as_ptr() as usize, name.len(), idx);
    }
}

impl<'a, 'o, W: Write> ser::Serializer for &'a mut Writer<'o, W> {
    type Ok = Unhashable;
    type Error = Error;
    type SerializeSeq = SeqWriter<'a, 'o, W>;
    type SerializeTuple = SeqWriter<'a, 'o, W>;
    type SerializeTupleStruct = SeqWriter<'a, 'o, W>;
    type SerializeTupleVariant = SeqWriter<'a, 'o, W>;
    type SerializeMap = MapWriter<'a, 'o, W>;
    type SerializeStruct = StructWriter<'a, 'o, W>;
    type SerializeStructVariant = StructWriter<'a, 'o, W>;

    fn serialize_bool(self, v: bool) -> Result<Unhashable, Error> {
        self.e.boundary()?;
        self.e.bool(v)?;
        Ok(None)
    }

    fn serialize_i8(self, v: i8) -> Result<Unhashable, Error> {
        self.serialize_i64(v.into())
    }

    fn serialize_i16(self, v: i16) -> Result<Unhashable, Error> {
        self.serialize_i64(v.into())
    }

    fn serialize_i32(self, v: i32) -> Result<Unhashable, Error> {
        self.serialize_i64(v.into())
    }

    #[inline]
    fn serialize_i64(self, v: i64) -> Result<Unhashable, Error> {
        self.e.boundary()?;
        self.e.int(v)?;
        Ok(None)
    }

    fn serialize_i128(self, v: i128) -> Result<Unhashable, Error> {
        match i64::try_from(v) {
            Ok(small) => self.serialize_i64(small),
            Err(_) => {
                self.e.boundary()?;
                self.e.bigint(&BigInt::from(v))?;
                Ok(None)
            }
        }
    }

    fn serialize_u8(self, v: u8) -> Result<Unhashable, Error> {
        self.serialize_i64(v.into())
    }

    fn serialize_u16(self, v: u16) -> Result<Unhashable, Error> {
        self.serialize_i64(v.into())
    }

    fn serialize_u32(self, v: u32) -> Result<Unhashable, Error> {
        self.serialize_i64(v.into())
    }

    fn serialize_u64(self, v: u64) -> Result<Unhashable, Error> {
        self.serialize_u128(v.into())
    }

    fn serialize_u128(self, v: u128) -> Result<Unhashable, Error> {
        match i64::try_from(v) {
            Ok(small) => self.serialize_i64(small),
            Err(_) => {
                self.e.boundary()?;
                self.e.bigint(&BigInt::from(v))?;
                Ok(None)
            }
        }
    }

    fn serialize_f32(self, v: f32) -> Result<Unhashable, Error> {
        self.serialize_f64(v.into())
    }

    #[inline]
    fn serialize_f64(self, v: f64) -> Result<Unhashable, Error> {
        self.e.boundary()?;
        self.e.float(v)?;
        Ok(None)
    }

    fn serialize_char(self, v: char) -> Result<Unhashable, Error> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }

    #[inline]
    fn serialize_str(self, v: &str) -> Result<Unhashable, Error> {
        self.e.boundary()?;
        self.e.str(v)?;
        Ok(None)
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<Unhashable, Error> {
        self.e.boundary()?;
        self.e.bytes(v)?;
        Ok(None)
    }

    fn serialize_none(self) -> Result<Unhashable, Error> {
        self.e.boundary()?;
        self.e.none()?;
        Ok(None)
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<Unhashable, Error> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<Unhashable, Error> {
        self.serialize_none()
    }

    fn serialize_unit_struct(self, name: &'static str) -> Result<Unhashable, Error> {
        let Some(class) = self.class(name) else {
            return self.serialize_none();
        };
        self.e.boundary()?;
        self.instance_object(&class.module, &class.qualname)?;
        Ok(None)
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _variant_index: u32,
        variant: &'static str,
    ) -> Result<Unhashable, Error> {
        self.name(variant)?;
        Ok(None)
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<Unhashable, Error> {
        match name {
            SET_TOKEN => {
                return value.serialize(SetWriter {
                    w: self,
                    frozen: false,
                });
            }
            FROZENSET_TOKEN => {
                return value.serialize(SetWriter {
                    w: self,
                    frozen: true,
                });
            }
            _ => {}
        }
        let Some(class) = self.class(name) else {
            return value.serialize(self);
        };
        self.e.boundary()?;
        self.instance_object(&class.module, &class.qualname)?;
        self.state(value)?;
        Ok(None)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _variant_index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Unhashable, Error> {
        let dict = self.begin_variant(variant)?;
        value.serialize(&mut *self)?;
        self.e.end(dict)?;
        Ok(Some(Mutable::Dict))
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<SeqWriter<'a, 'o, W>, Error> {
        self.e.boundary()?;
        let list = self.e.begin_list(len)?;
        Ok(SeqWriter {
            w: self,
            kind: SeqKind::List(list),
        })
    }

    fn serialize_tuple(self, len: usize) -> Result<SeqWriter<'a, 'o, W>, Error> {
        self.e.boundary()?;
        if len > 0 {
            self.e.begin_tuple(len)?;
        }
        Ok(SeqWriter {
            w: self,
            kind: SeqKind::Tuple {
                len,
                count: 0,
                unhashable: None,
            },
        })
    }

    fn serialize_tuple_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<SeqWriter<'a, 'o, W>, Error> {
        let Some(class) = self.class(name) else {
            return self.serialize_tuple(len);
        };
        self.e.boundary()?;
        self.begin_args_instance(class, len)?;
        Ok(SeqWriter {
            w: self,
            kind: SeqKind::Args { len, count: 0 },
        })
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _variant_index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<SeqWriter<'a, 'o, W>, Error> {
        let dict = self.begin_variant(variant)?;
        self.e.boundary()?;
        if len > 0 {
            self.e.begin_tuple(len)?;
        }
        Ok(SeqWriter {
            w: self,
            kind: SeqKind::Variant {
                dict,
                len,
                count: 0,
            },
        })
    }

    fn serialize_map(self, len: Option<usize>) -> Result<MapWriter<'a, 'o, W>, Error> {
        self.e.boundary()?;
        let dict = self.e.begin_dict(len)?;
        Ok(MapWriter {
            w: self,
            dict,
            has_key: false,
        })
    }

    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<StructWriter<'a, 'o, W>, Error> {
        self.e.boundary()?;
        if name == INSTANCE_TOKEN {
            return Ok(StructWriter {
                w: self,
                kind: StructKind::PyInstance {
                    module: None,
                    qualname: None,
                    written: false,
                },
            });
        }
        let Some(class) = self.class(name) else {
            let dict = self.e.begin_dict(Some(len))?;
            return Ok(StructWriter {
                w: self,
                kind: StructKind::Dict(dict),
            });
        };
        self.instance_object(&class.module, &class.qualname)?;
        if len == 0 {
            // No fields, no state: CPython writes no BUILD.
            return Ok(StructWriter {
                w: self,
                kind: StructKind::Stateless,
            });
        }
        // The state: the fields as a dict, or `(None, dict)` for slots.
        self.e.boundary()?;
        if class.slots {
            self.e.begin_tuple(2)?;
            self.e.boundary()?;
            self.e.none()?;
            self.e.boundary()?;
        }
        let dict = self.e.begin_dict(Some(len))?;
        Ok(StructWriter {
            w: self,
            kind: StructKind::Instance {
                dict,
                slots: class.slots,
            },
        })
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _variant_index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<StructWriter<'a, 'o, W>, Error> {
        let outer = self.begin_variant(variant)?;
        self.e.boundary()?;
        let dict = self.e.begin_dict(Some(len))?;
        Ok(StructWriter {
            w: self,
            kind: StructKind::Variant { outer, dict },
        })
    }
}

enum SeqKind {
    List(Batch),
    Tuple {
        len: usize,
        count: usize,
        /// The last item's reason, as the graph path searches a tuple from its end.
        unhashable: Unhashable,
    },
    /// The arguments of an instance (a tuple struct mapped to a class).
    Args {
        len: usize,
        count: usize,
    },
    /// A tuple variant: the tuple inside `{variant: ...}`.
    Variant {
        dict: Batch,
        len: usize,
        count: usize,
    },
    Set {
        items: Batch,
        frozen: bool,
        /// The first unhashable item's reason, reported once all are written, as the graph
        /// path checks them once the set is built.
        unhashable: Unhashable,
    },
}

/// A list, tuple, tuple struct, tuple variant, set or frozenset being written.
pub(crate) struct SeqWriter<'a, 'o, W> {
    w: &'a mut Writer<'o, W>,
    kind: SeqKind,
}

impl<W: Write> SeqWriter<'_, '_, W> {
    #[inline]
    fn push<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        match &mut self.kind {
            SeqKind::List(list) => {
                self.w.e.item(list)?;
                value.serialize(&mut *self.w)?;
            }
            SeqKind::Tuple {
                count, unhashable, ..
            } => {
                *count += 1;
                if let Some(reason) = value.serialize(&mut *self.w)? {
                    *unhashable = Some(reason);
                }
            }
            SeqKind::Args { count, .. } | SeqKind::Variant { count, .. } => {
                *count += 1;
                value.serialize(&mut *self.w)?;
            }
            SeqKind::Set {
                items, unhashable, ..
            } => {
                self.w.e.item(items)?;
                let reason = value.serialize(&mut *self.w)?;
                if unhashable.is_none() {
                    *unhashable = reason;
                }
            }
        }
        Ok(())
    }

    fn finish(self) -> Result<Unhashable, Error> {
        let w = self.w;
        Ok(match self.kind {
            SeqKind::List(list) => {
                w.e.end(list)?;
                Some(Mutable::List)
            }
            SeqKind::Tuple {
                len,
                count,
                unhashable,
            } => {
                w.end_tuple(len, count)?;
                unhashable
            }
            SeqKind::Args { len, count } => {
                w.end_args_instance(len, count)?;
                None
            }
            SeqKind::Variant { dict, len, count } => {
                w.end_tuple(len, count)?;
                w.e.end(dict)?;
                Some(Mutable::Dict)
            }
            SeqKind::Set {
                items,
                frozen,
                unhashable,
            } => {
                w.e.end(items)?;
                if let Some(mutable) = unhashable {
                    return Err(mutable.unhashable());
                }
                (!frozen).then_some(Mutable::Set)
            }
        })
    }
}

impl<W: Write> ser::SerializeSeq for SeqWriter<'_, '_, W> {
    type Ok = Unhashable;
    type Error = Error;

    #[inline]
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.push(value)
    }

    fn end(self) -> Result<Unhashable, Error> {
        self.finish()
    }
}

impl<W: Write> ser::SerializeTuple for SeqWriter<'_, '_, W> {
    type Ok = Unhashable;
    type Error = Error;

    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.push(value)
    }

    fn end(self) -> Result<Unhashable, Error> {
        self.finish()
    }
}

impl<W: Write> ser::SerializeTupleStruct for SeqWriter<'_, '_, W> {
    type Ok = Unhashable;
    type Error = Error;

    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.push(value)
    }

    fn end(self) -> Result<Unhashable, Error> {
        self.finish()
    }
}

impl<W: Write> ser::SerializeTupleVariant for SeqWriter<'_, '_, W> {
    type Ok = Unhashable;
    type Error = Error;

    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.push(value)
    }

    fn end(self) -> Result<Unhashable, Error> {
        self.finish()
    }
}

/// A map being written: a dict.
pub(crate) struct MapWriter<'a, 'o, W> {
    w: &'a mut Writer<'o, W>,
    dict: Batch,
    has_key: bool,
}

impl<W: Write> ser::SerializeMap for MapWriter<'_, '_, W> {
    type Ok = Unhashable;
    type Error = Error;

    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), Error> {
        self.w.e.item(&mut self.dict)?;
        if let Some(mutable) = key.serialize(&mut *self.w)? {
            return Err(mutable.unhashable());
        }
        self.has_key = true;
        Ok(())
    }

    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        if !std::mem::take(&mut self.has_key) {
            return Err(Error::new(ErrorKind::Message(
                "serialize_value called before serialize_key".to_owned(),
            )));
        }
        value.serialize(&mut *self.w)?;
        Ok(())
    }

    fn end(self) -> Result<Unhashable, Error> {
        self.w.e.end(self.dict)?;
        Ok(Some(Mutable::Dict))
    }
}

enum StructKind {
    Dict(Batch),
    /// The fields are the state of an instance already written.
    Instance {
        dict: Batch,
        slots: bool,
    },
    /// An instance announced without fields.
    Stateless,
    /// A struct variant: the dict inside `{variant: ...}`.
    Variant {
        outer: Batch,
        dict: Batch,
    },
    /// [`crate::PyInstance`]: the class comes with the value, before the state.
    PyInstance {
        module: Option<String>,
        qualname: Option<String>,
        written: bool,
    },
}

/// A struct or struct variant being written: a dict, or an instance's state.
pub(crate) struct StructWriter<'a, 'o, W> {
    w: &'a mut Writer<'o, W>,
    kind: StructKind,
}

impl<W: Write> StructWriter<'_, '_, W> {
    fn push<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result<(), Error> {
        let dict = match &mut self.kind {
            StructKind::Dict(dict)
            | StructKind::Instance { dict, .. }
            | StructKind::Variant { dict, .. } => dict,
            StructKind::Stateless => {
                return Err(EncodeError::LengthMismatch {
                    expected: 0,
                    actual: 1,
                }
                .into());
            }
            StructKind::PyInstance {
                module,
                qualname,
                written,
            } => {
                let peek = Peek {
                    options: self.w.options,
                    capture: true,
                };
                match key {
                    "module" => *module = value.serialize(peek)?.text(),
                    "qualname" => *qualname = value.serialize(peek)?.text(),
                    "state" if !*written => {
                        let (module, qualname) = class_names(module, qualname)?;
                        self.w.instance_object(module, qualname)?;
                        *written = true;
                        self.w.state(value)?;
                    }
                    _ => {}
                }
                return Ok(());
            }
        };
        self.w.e.item(dict)?;
        self.w.name(key)?;
        value.serialize(&mut *self.w)?;
        Ok(())
    }

    fn finish(self) -> Result<Unhashable, Error> {
        let w = self.w;
        Ok(match self.kind {
            StructKind::Dict(dict) => {
                w.e.end(dict)?;
                Some(Mutable::Dict)
            }
            StructKind::Instance { dict, slots } => {
                if dict.is_empty() {
                    // The state was opened for fields that never came.
                    return Err(EncodeError::LengthMismatch {
                        expected: dict.len().unwrap_or(0),
                        actual: 0,
                    }
                    .into());
                }
                w.e.end(dict)?;
                if slots {
                    w.e.end_tuple(2)?;
                }
                w.e.build()?;
                None
            }
            StructKind::Stateless => None,
            StructKind::Variant { outer, dict } => {
                w.e.end(dict)?;
                w.e.end(outer)?;
                Some(Mutable::Dict)
            }
            StructKind::PyInstance {
                module,
                qualname,
                written,
            } => {
                if !written {
                    let (module, qualname) = class_names(&module, &qualname)?;
                    w.instance_object(module, qualname)?;
                }
                None
            }
        })
    }
}

/// A [`crate::PyInstance`]'s module and qualname, which must be str.
fn class_names<'n>(
    module: &'n Option<String>,
    qualname: &'n Option<String>,
) -> Result<(&'n str, &'n str), Error> {
    let needs =
        |name: &str| Error::new(ErrorKind::Message(format!("PyInstance needs a str {name}")));
    let module = module.as_deref().ok_or_else(|| needs("module"))?;
    let qualname = qualname.as_deref().ok_or_else(|| needs("qualname"))?;
    Ok((module, qualname))
}

impl<W: Write> ser::SerializeStruct for StructWriter<'_, '_, W> {
    type Ok = Unhashable;
    type Error = Error;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.push(key, value)
    }

    fn end(self) -> Result<Unhashable, Error> {
        self.finish()
    }
}

impl<W: Write> ser::SerializeStructVariant for StructWriter<'_, '_, W> {
    type Ok = Unhashable;
    type Error = Error;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.push(key, value)
    }

    fn end(self) -> Result<Unhashable, Error> {
        self.finish()
    }
}

/// The sequence inside [`crate::as_set`] / [`crate::as_frozenset`], written as a set.
struct SetWriter<'a, 'o, W> {
    w: &'a mut Writer<'o, W>,
    frozen: bool,
}

impl<'a, 'o, W: Write> SetWriter<'a, 'o, W> {
    fn begin(self, len: Option<usize>) -> Result<SeqWriter<'a, 'o, W>, Error> {
        let w = self.w;
        w.e.boundary()?;
        let items = if self.frozen {
            w.e.begin_frozenset(len)?
        } else {
            w.e.begin_set(len)?
        };
        Ok(SeqWriter {
            w,
            kind: SeqKind::Set {
                items,
                frozen: self.frozen,
                unhashable: None,
            },
        })
    }
}

fn not_a_sequence() -> Error {
    Error::new(ErrorKind::Message(
        "as_set and as_frozenset need a sequence".to_owned(),
    ))
}

/// Serializer methods that all fail with `$err`.
macro_rules! refuse {
    ($err:expr; $($method:ident($($arg:ident: $ty:ty),*);)*) => {
        $(
            fn $method(self, $($arg: $ty),*) -> Result<Self::Ok, Error> {
                $(let _ = $arg;)*
                Err($err)
            }
        )*
    };
}

impl<'a, 'o, W: Write> ser::Serializer for SetWriter<'a, 'o, W> {
    type Ok = Unhashable;
    type Error = Error;
    type SerializeSeq = SeqWriter<'a, 'o, W>;
    type SerializeTuple = SeqWriter<'a, 'o, W>;
    type SerializeTupleStruct = SeqWriter<'a, 'o, W>;
    type SerializeTupleVariant = Impossible<Unhashable, Error>;
    type SerializeMap = Impossible<Unhashable, Error>;
    type SerializeStruct = Impossible<Unhashable, Error>;
    type SerializeStructVariant = Impossible<Unhashable, Error>;

    refuse! { not_a_sequence();
        serialize_bool(v: bool);
        serialize_i8(v: i8);
        serialize_i16(v: i16);
        serialize_i32(v: i32);
        serialize_i64(v: i64);
        serialize_u8(v: u8);
        serialize_u16(v: u16);
        serialize_u32(v: u32);
        serialize_u64(v: u64);
        serialize_f32(v: f32);
        serialize_f64(v: f64);
        serialize_char(v: char);
        serialize_str(v: &str);
        serialize_bytes(v: &[u8]);
        serialize_none();
        serialize_unit();
        serialize_unit_struct(name: &'static str);
        serialize_unit_variant(name: &'static str, index: u32, variant: &'static str);
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<Unhashable, Error> {
        value.serialize(self)
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<Unhashable, Error> {
        if matches!(name, SET_TOKEN | FROZENSET_TOKEN) || self.w.class(name).is_some() {
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
    ) -> Result<Unhashable, Error> {
        Err(not_a_sequence())
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<SeqWriter<'a, 'o, W>, Error> {
        self.begin(len)
    }

    fn serialize_tuple(self, len: usize) -> Result<SeqWriter<'a, 'o, W>, Error> {
        self.begin(Some(len))
    }

    fn serialize_tuple_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<SeqWriter<'a, 'o, W>, Error> {
        if self.w.class(name).is_some() {
            return Err(not_a_sequence());
        }
        self.begin(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _variant_index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Impossible<Unhashable, Error>, Error> {
        Err(not_a_sequence())
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Impossible<Unhashable, Error>, Error> {
        Err(not_a_sequence())
    }

    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Impossible<Unhashable, Error>, Error> {
        Err(not_a_sequence())
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _variant_index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Impossible<Unhashable, Error>, Error> {
        Err(not_a_sequence())
    }
}

/// What [`Peek`] saw of a value's outermost shape.
enum Peeked {
    /// What the graph path makes `None` or an empty dict: a state CPython leaves out.
    Empty,
    /// A str, when captured.
    Text(String),
    Other,
}

impl Peeked {
    fn text(self) -> Option<String> {
        match self {
            Peeked::Text(text) => Some(text),
            _ => None,
        }
    }
}

/// Looks at a value's outermost shape without writing it or its items: whether it is an
/// empty state, or (with `capture`) which str it is.
#[derive(Clone, Copy)]
struct Peek<'o> {
    options: &'o Options,
    capture: bool,
}

impl Peek<'_> {
    fn is_class(&self, name: &str) -> bool {
        self.options.classes.contains_key(name)
    }
}

/// Serializer methods that all return `$ok`.
macro_rules! answer {
    ($ok:expr; $($method:ident($($arg:ident: $ty:ty),*);)*) => {
        $(
            fn $method(self, $($arg: $ty),*) -> Result<Peeked, Error> {
                $(let _ = $arg;)*
                Ok($ok)
            }
        )*
    };
}

impl<'o> ser::Serializer for Peek<'o> {
    type Ok = Peeked;
    type Error = Error;
    type SerializeSeq = Skip;
    type SerializeTuple = Skip;
    type SerializeTupleStruct = Skip;
    type SerializeTupleVariant = Skip;
    type SerializeMap = Skip;
    type SerializeStruct = Skip;
    type SerializeStructVariant = Skip;

    answer! { Peeked::Other;
        serialize_bool(v: bool);
        serialize_i8(v: i8);
        serialize_i16(v: i16);
        serialize_i32(v: i32);
        serialize_i64(v: i64);
        serialize_i128(v: i128);
        serialize_u8(v: u8);
        serialize_u16(v: u16);
        serialize_u32(v: u32);
        serialize_u64(v: u64);
        serialize_u128(v: u128);
        serialize_f32(v: f32);
        serialize_f64(v: f64);
        serialize_bytes(v: &[u8]);
        serialize_unit_variant(name: &'static str, index: u32, variant: &'static str);
    }

    answer! { Peeked::Empty;
        serialize_none();
        serialize_unit();
    }

    fn serialize_char(self, v: char) -> Result<Peeked, Error> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }

    fn serialize_str(self, v: &str) -> Result<Peeked, Error> {
        Ok(if self.capture {
            Peeked::Text(v.to_owned())
        } else {
            Peeked::Other
        })
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<Peeked, Error> {
        value.serialize(self)
    }

    fn serialize_unit_struct(self, name: &'static str) -> Result<Peeked, Error> {
        Ok(if self.is_class(name) {
            Peeked::Other
        } else {
            Peeked::Empty
        })
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<Peeked, Error> {
        if matches!(name, SET_TOKEN | FROZENSET_TOKEN) || self.is_class(name) {
            return Ok(Peeked::Other);
        }
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _variant_index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<Peeked, Error> {
        Ok(Peeked::Other)
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Skip, Error> {
        Ok(Skip(Peeked::Other))
    }

    fn serialize_tuple(self, _len: usize) -> Result<Skip, Error> {
        Ok(Skip(Peeked::Other))
    }

    fn serialize_tuple_struct(self, _name: &'static str, _len: usize) -> Result<Skip, Error> {
        Ok(Skip(Peeked::Other))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _variant_index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Skip, Error> {
        Ok(Skip(Peeked::Other))
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Skip, Error> {
        // Empty until a key comes.
        Ok(Skip(Peeked::Empty))
    }

    fn serialize_struct(self, name: &'static str, _len: usize) -> Result<Skip, Error> {
        // A struct is a dict, empty until a field comes, unless it is an instance.
        Ok(Skip(if name == INSTANCE_TOKEN || self.is_class(name) {
            Peeked::Other
        } else {
            Peeked::Empty
        }))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _variant_index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Skip, Error> {
        Ok(Skip(Peeked::Other))
    }
}

/// The items of a value [`Peek`] looks at: not looked at, only counted as "not empty".
struct Skip(Peeked);

impl Skip {
    fn item(&mut self) {
        self.0 = Peeked::Other;
    }
}

impl ser::SerializeSeq for Skip {
    type Ok = Peeked;
    type Error = Error;

    fn serialize_element<T: ?Sized + Serialize>(&mut self, _value: &T) -> Result<(), Error> {
        Ok(())
    }

    fn end(self) -> Result<Peeked, Error> {
        Ok(self.0)
    }
}

impl ser::SerializeTuple for Skip {
    type Ok = Peeked;
    type Error = Error;

    fn serialize_element<T: ?Sized + Serialize>(&mut self, _value: &T) -> Result<(), Error> {
        Ok(())
    }

    fn end(self) -> Result<Peeked, Error> {
        Ok(self.0)
    }
}

impl ser::SerializeTupleStruct for Skip {
    type Ok = Peeked;
    type Error = Error;

    fn serialize_field<T: ?Sized + Serialize>(&mut self, _value: &T) -> Result<(), Error> {
        Ok(())
    }

    fn end(self) -> Result<Peeked, Error> {
        Ok(self.0)
    }
}

impl ser::SerializeTupleVariant for Skip {
    type Ok = Peeked;
    type Error = Error;

    fn serialize_field<T: ?Sized + Serialize>(&mut self, _value: &T) -> Result<(), Error> {
        Ok(())
    }

    fn end(self) -> Result<Peeked, Error> {
        Ok(self.0)
    }
}

impl ser::SerializeMap for Skip {
    type Ok = Peeked;
    type Error = Error;

    fn serialize_key<T: ?Sized + Serialize>(&mut self, _key: &T) -> Result<(), Error> {
        self.item();
        Ok(())
    }

    fn serialize_value<T: ?Sized + Serialize>(&mut self, _value: &T) -> Result<(), Error> {
        Ok(())
    }

    fn end(self) -> Result<Peeked, Error> {
        Ok(self.0)
    }
}

impl ser::SerializeStruct for Skip {
    type Ok = Peeked;
    type Error = Error;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        _key: &'static str,
        _value: &T,
    ) -> Result<(), Error> {
        self.item();
        Ok(())
    }

    fn end(self) -> Result<Peeked, Error> {
        Ok(self.0)
    }
}

impl ser::SerializeStructVariant for Skip {
    type Ok = Peeked;
    type Error = Error;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        _key: &'static str,
        _value: &T,
    ) -> Result<(), Error> {
        Ok(())
    }

    fn end(self) -> Result<Peeked, Error> {
        Ok(self.0)
    }
}
