//! [`Sink`]: what the serde mapping writes Python objects to, so that the mapping is written
//! once for the pickle bytes and for the graph.
//!
//! The mapping calls a sink in pickle order: an object's parts before the object, a
//! container's items between its `begin_` and `end_` calls. The byte sink writes each call as
//! it comes; the graph sink collects the parts and makes a node when the object is complete.
//! Each side gets the operands it needs: the graph sink takes the parts as
//! [`Sink::Obj`] values, the byte sink has them on the pickle's stack already and its
//! `Obj` is `()`.

use num_bigint::BigInt;

use crate::error::Error;

/// Where Python objects are written, one at a time.
///
/// Public only so that the associated types of the public [`crate::Serializer`] can name the
/// mapping's containers; its module is private, so no one outside implements or calls it.
pub trait Sink {
    /// An object written, as the container or call that holds it needs it.
    type Obj: Copy;
    /// A list, set or frozenset being written.
    type Seq;
    /// A dict being written.
    type Dict;
    /// A tuple being written.
    type Tuple;

    /// The protocol being written, which decides the instance forms.
    fn protocol(&self) -> u8;

    /// `None`.
    fn none(&mut self) -> Result<Self::Obj, Error>;
    /// `True` or `False`.
    fn bool(&mut self, value: bool) -> Result<Self::Obj, Error>;
    /// An int that fits 64 bits.
    fn int(&mut self, value: i64) -> Result<Self::Obj, Error>;
    /// An int that does not.
    fn bigint(&mut self, value: BigInt) -> Result<Self::Obj, Error>;
    /// A float.
    fn float(&mut self, value: f64) -> Result<Self::Obj, Error>;
    /// A str: its own object, unless it is one CPython shares (`brine_encode::is_shared_str`).
    fn str(&mut self, text: &str) -> Result<Self::Obj, Error>;
    /// A field or variant name: one str object per name, as Python interns identifiers.
    fn name(&mut self, name: &'static str) -> Result<Self::Obj, Error>;
    /// A bytes object.
    fn bytes(&mut self, data: &[u8]) -> Result<Self::Obj, Error>;
    /// The class (or function) `module.qualname`: one object however often it is named.
    fn global(&mut self, module: &str, qualname: &str) -> Result<Self::Obj, Error>;

    /// Opens a list of `len` items, if known.
    fn begin_list(&mut self, len: Option<usize>) -> Result<Self::Seq, Error>;
    /// Opens a set (or a frozenset) of `len` items, if known.
    fn begin_set(&mut self, len: Option<usize>, frozen: bool) -> Result<Self::Seq, Error>;
    /// An item of `seq` begins.
    fn begin_item(&mut self, seq: &mut Self::Seq) -> Result<(), Error>;
    /// The item just begun is `item`.
    fn push_item(&mut self, seq: &mut Self::Seq, item: Self::Obj);
    /// Closes `seq`.
    fn end_seq(&mut self, seq: Self::Seq) -> Result<Self::Obj, Error>;

    /// Opens a dict of `len` pairs, if known.
    fn begin_dict(&mut self, len: Option<usize>) -> Result<Self::Dict, Error>;
    /// A pair of `dict` begins (its key follows).
    fn begin_pair(&mut self, dict: &mut Self::Dict) -> Result<(), Error>;
    /// The pair just begun is `key: value`.
    fn push_pair(&mut self, dict: &mut Self::Dict, key: Self::Obj, value: Self::Obj);
    /// Closes `dict`.
    fn end_dict(&mut self, dict: Self::Dict) -> Result<Self::Obj, Error>;

    /// Opens a tuple announced with `len` items.
    fn begin_tuple(&mut self, len: usize) -> Result<Self::Tuple, Error>;
    /// The next item of `tuple` is `item` (already written).
    fn push_field(&mut self, tuple: &mut Self::Tuple, item: Self::Obj);
    /// Closes `tuple`, given `count` items.
    ///
    /// # Errors
    ///
    /// Where the layout written for the announced length cannot hold `count` items.
    fn end_tuple(&mut self, tuple: Self::Tuple, count: usize) -> Result<Self::Obj, Error>;

    /// `cls.__new__(cls, *args)` (NEWOBJ), one object.
    fn newobj(&mut self, cls: Self::Obj, args: Self::Obj) -> Result<Self::Obj, Error>;
    /// `callable(*args)` (REDUCE), one object.
    fn reduce(&mut self, callable: Self::Obj, args: Self::Obj) -> Result<Self::Obj, Error>;
    /// `object.__setstate__(state)` (BUILD), the state just written.
    fn build(&mut self, object: Self::Obj, state: Self::Obj) -> Result<(), Error>;
}
