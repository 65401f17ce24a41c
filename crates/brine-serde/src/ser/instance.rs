//! The forms of an instance of a Python class, as CPython writes one at each protocol (see
//! [`crate::PyClass`]): `cls.__new__(cls, *args)` (NEWOBJ) from protocol 2, and
//! `copyreg._reconstructor(cls, base, state)` below, then BUILD with the state unless it is
//! empty.

use serde::Serialize;

use super::mapping::Mapping;
use super::sink::Sink;
use super::state::StateSerializer;
use crate::error::Error;
use crate::options::PyClass;

/// How an instance made from arguments is completed once its arguments are written.
pub(super) enum ArgsCall<S: Sink> {
    /// NEWOBJ of the class.
    NewObj { cls: S::Obj },
    /// `copyreg._reconstructor(cls, tuple, args)`, open up to its third argument.
    Reconstruct {
        reconstructor: S::Obj,
        outer: S::Tuple,
    },
}

impl<S: Sink> Mapping<'_, S> {
    /// An instance made without arguments: `cls.__new__(cls)`, or
    /// `copyreg._reconstructor(cls, object, None)` below protocol 2.
    pub(super) fn new_instance(&mut self, module: &str, qualname: &str) -> Result<S::Obj, Error> {
        if self.sink.protocol() >= 2 {
            let cls = self.sink.global(module, qualname)?;
            let args = self.sink.begin_tuple(0)?;
            let args = self.sink.end_tuple(args, 0)?;
            return self.sink.newobj(cls, args);
        }
        let (reconstructor, mut outer) = self.reconstructor(module, qualname, "object")?;
        let none = self.sink.none()?;
        self.sink.push_field(&mut outer, none);
        let args = self.sink.end_tuple(outer, 3)?;
        self.sink.reduce(reconstructor, args)
    }

    /// Opens an instance of `class` made from `len` arguments, as CPython writes a
    /// namedtuple, up to its arguments: `cls.__new__(cls, *args)`, or
    /// `copyreg._reconstructor(cls, tuple, args)` below protocol 2.
    pub(super) fn begin_args(
        &mut self,
        class: &PyClass,
        len: usize,
    ) -> Result<(ArgsCall<S>, S::Tuple), Error> {
        let call = if self.sink.protocol() >= 2 {
            let cls = self.sink.global(&class.module, &class.qualname)?;
            ArgsCall::NewObj { cls }
        } else {
            let (reconstructor, outer) =
                self.reconstructor(&class.module, &class.qualname, "tuple")?;
            ArgsCall::Reconstruct {
                reconstructor,
                outer,
            }
        };
        let args = self.sink.begin_tuple(len)?;
        Ok((call, args))
    }

    /// Closes what [`Mapping::begin_args`] opened, given `count` arguments.
    pub(super) fn end_args(
        &mut self,
        call: ArgsCall<S>,
        args: S::Tuple,
        count: usize,
    ) -> Result<S::Obj, Error> {
        let args = self.sink.end_tuple(args, count)?;
        match call {
            ArgsCall::NewObj { cls } => self.sink.newobj(cls, args),
            ArgsCall::Reconstruct {
                reconstructor,
                mut outer,
            } => {
                self.sink.push_field(&mut outer, args);
                let outer = self.sink.end_tuple(outer, 3)?;
                self.sink.reduce(reconstructor, outer)
            }
        }
    }

    /// BUILD of `object` with `state`, unless the state is one CPython leaves out (`None`,
    /// an empty dict), which [`StateSerializer`] writes nothing for.
    pub(super) fn state<T: ?Sized + Serialize>(
        &mut self,
        object: S::Obj,
        state: &T,
    ) -> Result<(), Error> {
        if let Some(state) = state.serialize(StateSerializer::new(self))? {
            self.sink.build(object, state)?;
        }
        Ok(())
    }

    /// `copyreg._reconstructor` and a tuple of its arguments, open after the first two: the
    /// class and its base.
    fn reconstructor(
        &mut self,
        module: &str,
        qualname: &str,
        base: &str,
    ) -> Result<(S::Obj, S::Tuple), Error> {
        let reconstructor = self.sink.global("copyreg", "_reconstructor")?;
        let mut outer = self.sink.begin_tuple(3)?;
        let cls = self.sink.global(module, qualname)?;
        self.sink.push_field(&mut outer, cls);
        let base = self.sink.global("builtins", base)?;
        self.sink.push_field(&mut outer, base);
        Ok((reconstructor, outer))
    }
}
