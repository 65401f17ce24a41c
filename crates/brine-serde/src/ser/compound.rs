//! The containers of the mapping: [`Seq`] (lists, tuples, sets, a namedtuple's arguments, a
//! tuple variant), [`Map`] (dicts) and [`Struct`] (a dict of fields, an instance's state, a
//! struct variant, a [`crate::PyInstance`]).
//!
//! The fields of a class's struct open the instance's state when the first begins: nothing is
//! written between `serialize_struct` and the first `serialize_field`, so the bytes are the
//! same, and a struct without fields writes no state, as CPython writes no BUILD for an empty
//! `__dict__`.

use serde::ser::{self, Serialize};

use super::instance::ArgsCall;
use super::mapping::{Mapping, Mutable};
use super::sink::Sink;
use super::text::Text;
use crate::error::{Error, ErrorKind};
use crate::options::PyClass;

/// A list, tuple, set, frozenset, namedtuple or tuple variant being written.
pub struct Seq<'a, 'o, S: Sink> {
    m: &'a mut Mapping<'o, S>,
    kind: SeqKind<S>,
}

enum SeqKind<S: Sink> {
    List(S::Seq),
    Set {
        seq: S::Seq,
        frozen: bool,
        /// The first unhashable item's reason, reported once all are written.
        unhashable: Option<Mutable>,
    },
    Tuple {
        tuple: S::Tuple,
        count: usize,
        /// The last unhashable item's reason: a tuple is hashable when its items are.
        unhashable: Option<Mutable>,
    },
    /// The arguments of an instance (a tuple struct mapped to a class).
    Args {
        call: ArgsCall<S>,
        args: S::Tuple,
        count: usize,
    },
    /// The tuple inside `{variant: ...}`.
    Variant {
        dict: S::Dict,
        key: S::Obj,
        tuple: S::Tuple,
        count: usize,
    },
}

impl<'a, 'o, S: Sink> Seq<'a, 'o, S> {
    pub(super) fn list(m: &'a mut Mapping<'o, S>, len: Option<usize>) -> Result<Self, Error> {
        let seq = m.sink.begin_list(len)?;
        Ok(Seq {
            m,
            kind: SeqKind::List(seq),
        })
    }

    pub(super) fn set(
        m: &'a mut Mapping<'o, S>,
        len: Option<usize>,
        frozen: bool,
    ) -> Result<Self, Error> {
        let seq = m.sink.begin_set(len, frozen)?;
        // Cleared once: a hashable scalar leaves it alone, and the first reason is kept.
        m.unhashable = None;
        Ok(Seq {
            m,
            kind: SeqKind::Set {
                seq,
                frozen,
                unhashable: None,
            },
        })
    }

    pub(super) fn tuple(m: &'a mut Mapping<'o, S>, len: usize) -> Result<Self, Error> {
        let tuple = m.sink.begin_tuple(len)?;
        // Cleared once: a hashable scalar leaves it alone, so after an item it holds the last
        // reason so far.
        m.unhashable = None;
        Ok(Seq {
            m,
            kind: SeqKind::Tuple {
                tuple,
                count: 0,
                unhashable: None,
            },
        })
    }

    pub(super) fn args(
        m: &'a mut Mapping<'o, S>,
        class: &PyClass,
        len: usize,
    ) -> Result<Self, Error> {
        let (call, args) = m.begin_args(class, len)?;
        Ok(Seq {
            m,
            kind: SeqKind::Args {
                call,
                args,
                count: 0,
            },
        })
    }

    pub(super) fn variant(
        m: &'a mut Mapping<'o, S>,
        variant: &'static str,
        len: usize,
    ) -> Result<Self, Error> {
        let (dict, key) = m.begin_variant(variant)?;
        let tuple = m.sink.begin_tuple(len)?;
        Ok(Seq {
            m,
            kind: SeqKind::Variant {
                dict,
                key,
                tuple,
                count: 0,
            },
        })
    }

    /// A list of the items of `iter`: what serde's default `collect_seq` makes of
    /// [`Seq::list`], one item after another, with the list's state in locals rather than
    /// behind the compound (so the loop over a `Vec<f64>` neither matches the kind of
    /// sequence again for each item nor keeps the batch count in memory).
    #[inline]
    pub(super) fn collect_list<I>(m: &'a mut Mapping<'o, S>, iter: I) -> Result<S::Obj, Error>
    where
        I: Iterator,
        I::Item: Serialize,
    {
        let mut seq = m.sink.begin_list(len_hint(&iter))?;
        for item in iter {
            m.sink.begin_item(&mut seq)?;
            let item = item.serialize(&mut *m)?;
            m.sink.push_item(&mut seq, item);
        }
        let obj = m.sink.end_seq(seq)?;
        m.unhashable = Some(Mutable::List);
        Ok(obj)
    }

    #[inline]
    fn push<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        let m = &mut *self.m;
        match &mut self.kind {
            SeqKind::List(seq) => {
                m.sink.begin_item(seq)?;
                let item = value.serialize(&mut *m)?;
                m.sink.push_item(seq, item);
            }
            SeqKind::Set {
                seq, unhashable, ..
            } => {
                m.sink.begin_item(seq)?;
                let item = value.serialize(&mut *m)?;
                m.sink.push_item(seq, item);
                if unhashable.is_none() {
                    *unhashable = m.unhashable;
                }
            }
            SeqKind::Tuple {
                tuple,
                count,
                unhashable,
            } => {
                let item = value.serialize(&mut *m)?;
                m.sink.push_field(tuple, item);
                *count += 1;
                if m.unhashable.is_some() {
                    *unhashable = m.unhashable;
                }
            }
            SeqKind::Args {
                args: tuple, count, ..
            }
            | SeqKind::Variant { tuple, count, .. } => {
                let item = value.serialize(&mut *m)?;
                m.sink.push_field(tuple, item);
                *count += 1;
            }
        }
        Ok(())
    }

    pub(super) fn finish(self) -> Result<S::Obj, Error> {
        let m = self.m;
        let (obj, unhashable) = match self.kind {
            SeqKind::List(seq) => (m.sink.end_seq(seq)?, Some(Mutable::List)),
            SeqKind::Set {
                seq,
                frozen,
                unhashable,
            } => {
                let obj = m.sink.end_seq(seq)?;
                if let Some(mutable) = unhashable {
                    return Err(mutable.error());
                }
                (obj, (!frozen).then_some(Mutable::Set))
            }
            SeqKind::Tuple {
                tuple,
                count,
                unhashable,
            } => (m.sink.end_tuple(tuple, count)?, unhashable),
            SeqKind::Args { call, args, count } => (m.end_args(call, args, count)?, None),
            SeqKind::Variant {
                dict,
                key,
                tuple,
                count,
            } => {
                let tuple = m.sink.end_tuple(tuple, count)?;
                return m.end_variant(dict, key, tuple);
            }
        };
        m.unhashable = unhashable;
        Ok(obj)
    }
}

/// The length serde's default `collect_seq` announces for `iter`: its size hint when exact.
fn len_hint<I: Iterator>(iter: &I) -> Option<usize> {
    match iter.size_hint() {
        (lo, Some(hi)) if lo == hi => Some(lo),
        _ => None,
    }
}

/// A map being written: a dict.
pub struct Map<'a, 'o, S: Sink> {
    m: &'a mut Mapping<'o, S>,
    dict: S::Dict,
    /// The key of the pair being written.
    key: Option<S::Obj>,
}

impl<'a, 'o, S: Sink> Map<'a, 'o, S> {
    pub(super) fn new(m: &'a mut Mapping<'o, S>, len: Option<usize>) -> Result<Self, Error> {
        let dict = m.sink.begin_dict(len)?;
        Ok(Map { m, dict, key: None })
    }

    pub(super) fn finish(self) -> Result<S::Obj, Error> {
        let obj = self.m.sink.end_dict(self.dict)?;
        self.m.unhashable = Some(Mutable::Dict);
        Ok(obj)
    }
}

/// Serializer methods of the compound `$ty`: each item goes to `$push`, the end to `finish`.
macro_rules! compound {
    ($ty:ident; $($trait:ident :: $method:ident;)*) => {
        $(
            impl<S: Sink> ser::$trait for $ty<'_, '_, S> {
                type Ok = S::Obj;
                type Error = Error;

                #[inline]
                fn $method<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
                    self.push(value)
                }

                fn end(self) -> Result<S::Obj, Error> {
                    self.finish()
                }
            }
        )*
    };
}

compound! { Seq;
    SerializeSeq::serialize_element;
    SerializeTuple::serialize_element;
    SerializeTupleStruct::serialize_field;
    SerializeTupleVariant::serialize_field;
}

impl<S: Sink> ser::SerializeMap for Map<'_, '_, S> {
    type Ok = S::Obj;
    type Error = Error;

    #[inline]
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), Error> {
        let m = &mut *self.m;
        m.sink.begin_pair(&mut self.dict)?;
        m.unhashable = None;
        let key = key.serialize(&mut *m)?;
        if let Some(mutable) = m.unhashable {
            return Err(mutable.error());
        }
        self.key = Some(key);
        Ok(())
    }

    #[inline]
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        let Some(key) = self.key.take() else {
            return Err(Error::new(ErrorKind::Message(
                "serialize_value called before serialize_key".to_owned(),
            )));
        };
        let value = value.serialize(&mut *self.m)?;
        self.m.sink.push_pair(&mut self.dict, key, value);
        Ok(())
    }

    fn end(self) -> Result<S::Obj, Error> {
        self.finish()
    }
}

/// A struct or struct variant being written: a dict of its fields, or an instance's state.
pub struct Struct<'a, 'o, S: Sink> {
    m: &'a mut Mapping<'o, S>,
    kind: StructKind<S>,
    /// The number of fields announced.
    len: usize,
    /// The dict of the fields; for a class's struct, once the first has begun.
    dict: Option<S::Dict>,
}

enum StructKind<S: Sink> {
    Dict,
    /// The fields are the state of `object`, written already: a dict, or `(None, dict)` for
    /// slots, whose tuple is open once the first field has begun.
    Instance {
        object: S::Obj,
        slots: bool,
        tuple: Option<S::Tuple>,
    },
    /// The dict inside `{variant: ...}`.
    Variant {
        outer: S::Dict,
        key: S::Obj,
    },
    /// [`crate::PyInstance`]: the class comes with the value, before the state.
    PyInstance {
        module: Option<String>,
        qualname: Option<String>,
        object: Option<S::Obj>,
    },
}

impl<'a, 'o, S: Sink> Struct<'a, 'o, S> {
    pub(super) fn dict(m: &'a mut Mapping<'o, S>, len: usize) -> Result<Self, Error> {
        let dict = m.sink.begin_dict(Some(len))?;
        Ok(Struct {
            m,
            kind: StructKind::Dict,
            len,
            dict: Some(dict),
        })
    }

    pub(super) fn instance(
        m: &'a mut Mapping<'o, S>,
        class: &PyClass,
        len: usize,
    ) -> Result<Self, Error> {
        let object = m.new_instance(&class.module, &class.qualname)?;
        Ok(Struct {
            m,
            kind: StructKind::Instance {
                object,
                slots: class.slots,
                tuple: None,
            },
            len,
            dict: None,
        })
    }

    pub(super) fn variant(
        m: &'a mut Mapping<'o, S>,
        variant: &'static str,
        len: usize,
    ) -> Result<Self, Error> {
        let (outer, key) = m.begin_variant(variant)?;
        let dict = m.sink.begin_dict(Some(len))?;
        Ok(Struct {
            m,
            kind: StructKind::Variant { outer, key },
            len,
            dict: Some(dict),
        })
    }

    pub(super) fn py_instance(m: &'a mut Mapping<'o, S>) -> Self {
        Struct {
            m,
            kind: StructKind::PyInstance {
                module: None,
                qualname: None,
                object: None,
            },
            len: 0,
            dict: None,
        }
    }

    pub(super) fn push<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        let m = &mut *self.m;
        let dict = match (&mut self.dict, &mut self.kind) {
            (Some(dict), _) => dict,
            (
                None,
                StructKind::PyInstance {
                    module,
                    qualname,
                    object,
                },
            ) => {
                let text = |field| Text {
                    field,
                    options: m.options(),
                };
                match key {
                    "module" => *module = Some(value.serialize(text("module"))?),
                    "qualname" => *qualname = Some(value.serialize(text("qualname"))?),
                    "state" if object.is_none() => {
                        let (module, qualname) = class_names(module, qualname)?;
                        let obj = m.new_instance(module, qualname)?;
                        *object = Some(obj);
                        m.state(obj, value)?;
                    }
                    _ => {}
                }
                return Ok(());
            }
            (None, StructKind::Instance { slots, tuple, .. }) => {
                if *slots {
                    let mut state = m.sink.begin_tuple(2)?;
                    let none = m.sink.none()?;
                    m.sink.push_field(&mut state, none);
                    *tuple = Some(state);
                }
                self.dict.insert(m.sink.begin_dict(Some(self.len))?)
            }
            (None, StructKind::Dict | StructKind::Variant { .. }) => {
                self.dict.insert(m.sink.begin_dict(Some(self.len))?)
            }
        };
        m.sink.begin_pair(dict)?;
        let key = m.sink.name(key)?;
        let value = value.serialize(&mut *m)?;
        m.sink.push_pair(dict, key, value);
        Ok(())
    }

    pub(super) fn finish(self) -> Result<S::Obj, Error> {
        let m = self.m;
        let len = self.len;
        let dict = |m: &mut Mapping<'o, S>, dict: Option<S::Dict>| match dict {
            Some(dict) => m.sink.end_dict(dict),
            None => {
                let dict = m.sink.begin_dict(Some(len))?;
                m.sink.end_dict(dict)
            }
        };
        let obj = match self.kind {
            StructKind::Dict => {
                let obj = dict(m, self.dict)?;
                m.unhashable = Some(Mutable::Dict);
                obj
            }
            StructKind::Instance {
                object,
                slots: _,
                tuple,
            } => {
                // No field, no state: CPython writes no BUILD.
                if let Some(fields) = self.dict {
                    let fields = m.sink.end_dict(fields)?;
                    let state = match tuple {
                        Some(mut tuple) => {
                            m.sink.push_field(&mut tuple, fields);
                            m.sink.end_tuple(tuple, 2)?
                        }
                        None => fields,
                    };
                    m.sink.build(object, state)?;
                }
                m.unhashable = None;
                object
            }
            StructKind::Variant { outer, key } => {
                let inner = dict(m, self.dict)?;
                m.end_variant(outer, key, inner)?
            }
            StructKind::PyInstance {
                module,
                qualname,
                object,
            } => {
                let object = match object {
                    Some(object) => object,
                    None => {
                        let (module, qualname) = class_names(&module, &qualname)?;
                        m.new_instance(module, qualname)?
                    }
                };
                m.unhashable = None;
                object
            }
        };
        Ok(obj)
    }
}

/// A [`crate::PyInstance`]'s module and qualname, which must have come before its state.
fn class_names<'n>(
    module: &'n Option<String>,
    qualname: &'n Option<String>,
) -> Result<(&'n str, &'n str), Error> {
    let module = module.as_deref().ok_or_else(|| Text::needs("module"))?;
    let qualname = qualname.as_deref().ok_or_else(|| Text::needs("qualname"))?;
    Ok((module, qualname))
}

/// Serializer methods of the struct compound `$ty`.
macro_rules! fields {
    ($ty:ident; $($trait:ident;)*) => {
        $(
            impl<S: Sink> ser::$trait for $ty<'_, '_, S> {
                type Ok = S::Obj;
                type Error = Error;

                fn serialize_field<T: ?Sized + Serialize>(
                    &mut self,
                    key: &'static str,
                    value: &T,
                ) -> Result<(), Error> {
                    self.push(key, value)
                }

                fn end(self) -> Result<S::Obj, Error> {
                    self.finish()
                }
            }
        )*
    };
}

fields! { Struct;
    SerializeStruct;
    SerializeStructVariant;
}
