//! Serialization: a Rust value becomes the Python objects CPython would pickle for it.
//!
//! The mapping from serde's data model to Python objects is written once ([`mapping`], with
//! the instance forms in [`instance`], the containers in [`compound`], an instance's state in
//! [`state`] and sets in [`set`]) against a [`sink::Sink`]. Two sinks take what it writes:
//! [`emitter::ByteSink`] writes the pickle with `brine-encode`'s emitter while the value
//! serializes ([`Serializer`], [`crate::to_vec`]), and [`graph::GraphSink`] builds the graph
//! ([`crate::to_value`]), which `brine-encode` pickles to the same bytes.

/// Calls `$then! { $pre... methods }` with the `serde::Serializer` methods that take a
/// scalar and no value to serialize: the ones the special-purpose serializers (a set's
/// sequence, an instance's state, a class's name) all answer alike, by kind.
macro_rules! scalar_methods {
    ($then:ident! { $($pre:tt)* }) => {
        $then! { $($pre)*
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
    };
}

mod compound;
mod emitter;
mod graph;
mod instance;
mod mapping;
mod names;
mod set;
mod sink;
mod state;
mod text;

use std::io::Write;

use brine_encode::Memory;
use brine_value::Graph;
use serde::ser::{self, Serialize};

use crate::error::Error;
use crate::options::Options;

use compound::{Map, Seq, Struct};
use emitter::ByteSink;
use mapping::Mapping;

/// A serde [`Serializer`](serde::Serializer) that writes one pickle to `W` at
/// [`Options::protocol`], while the value serializes, as [`crate::to_writer`] does.
///
/// It is what serde tooling that wraps a serializer needs (`serde_path_to_error`,
/// `serde_transcode`); [`crate::to_vec`] and [`crate::to_writer`] are the common path. Serialize
/// one value into `&mut serializer`, then [`Serializer::finish`] writes STOP.
///
/// # Example
///
/// ```
/// use serde::Serialize;
///
/// let options = brine_serde::Options::protocol(2);
/// let mut serializer = brine_serde::Serializer::new(Vec::new(), &options)?;
/// vec![1, 2].serialize(&mut serializer)?;
/// // pickle.dumps([1, 2], protocol=2)
/// assert_eq!(serializer.finish()?, b"\x80\x02]q\x00(K\x01K\x02e.");
/// # Ok::<(), brine_serde::Error>(())
/// ```
pub struct Serializer<'o, W> {
    mapping: Mapping<'o, ByteSink<W>>,
}

impl<'o, W: Write> Serializer<'o, W> {
    /// Starts a pickle on `writer`: PROTO from protocol 2, framing from 4.
    ///
    /// # Errors
    ///
    /// A protocol above 5, or writing failed ([`crate::ErrorKind::Encode`]).
    ///
    /// # Example
    ///
    /// ```
    /// let options = brine_serde::Options::protocol(6);
    /// assert!(brine_serde::Serializer::new(Vec::new(), &options).is_err());
    /// ```
    pub fn new(writer: W, options: &'o Options) -> Result<Serializer<'o, W>, Error> {
        Ok(Serializer {
            mapping: Mapping::new(ByteSink::new(writer, options)?, options),
        })
    }

    /// Ends the pickle (STOP, the last frame) and returns the writer.
    ///
    /// # Errors
    ///
    /// Writing failed ([`crate::ErrorKind::Encode`]).
    ///
    /// # Example
    ///
    /// ```
    /// use serde::Serialize;
    ///
    /// let options = brine_serde::Options::protocol(0);
    /// let mut serializer = brine_serde::Serializer::new(Vec::new(), &options)?;
    /// ().serialize(&mut serializer)?;
    /// assert_eq!(serializer.finish()?, b"N.");
    /// # Ok::<(), brine_serde::Error>(())
    /// ```
    pub fn finish(self) -> Result<W, Error> {
        self.mapping.sink.finish()
    }
}

/// `serde::Serializer` methods of `&mut Serializer`, each the mapping's.
macro_rules! forward {
    ($($method:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)*) => {
        $(
            #[inline]
            fn $method(self, $($arg: $ty),*) -> Result<$ret, Error> {
                ser::Serializer::$method(&mut self.mapping, $($arg),*)
            }
        )*
    };
}

impl<'a, 'o, W: Write> ser::Serializer for &'a mut Serializer<'o, W> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Seq<'a, 'o, ByteSink<W>>;
    type SerializeTuple = Seq<'a, 'o, ByteSink<W>>;
    type SerializeTupleStruct = Seq<'a, 'o, ByteSink<W>>;
    type SerializeTupleVariant = Seq<'a, 'o, ByteSink<W>>;
    type SerializeMap = Map<'a, 'o, ByteSink<W>>;
    type SerializeStruct = Struct<'a, 'o, ByteSink<W>>;
    type SerializeStructVariant = Struct<'a, 'o, ByteSink<W>>;

    forward! {
        serialize_bool(v: bool) -> ();
        serialize_i8(v: i8) -> ();
        serialize_i16(v: i16) -> ();
        serialize_i32(v: i32) -> ();
        serialize_i64(v: i64) -> ();
        serialize_i128(v: i128) -> ();
        serialize_u8(v: u8) -> ();
        serialize_u16(v: u16) -> ();
        serialize_u32(v: u32) -> ();
        serialize_u64(v: u64) -> ();
        serialize_u128(v: u128) -> ();
        serialize_f32(v: f32) -> ();
        serialize_f64(v: f64) -> ();
        serialize_char(v: char) -> ();
        serialize_str(v: &str) -> ();
        serialize_bytes(v: &[u8]) -> ();
        serialize_none() -> ();
        serialize_unit() -> ();
        serialize_unit_struct(name: &'static str) -> ();
        serialize_unit_variant(name: &'static str, index: u32, variant: &'static str) -> ();
        serialize_seq(len: Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(len: usize) -> Self::SerializeTuple;
        serialize_tuple_struct(name: &'static str, len: usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(
            name: &'static str, index: u32, variant: &'static str, len: usize
        ) -> Self::SerializeTupleVariant;
        serialize_map(len: Option<usize>) -> Self::SerializeMap;
        serialize_struct(name: &'static str, len: usize) -> Self::SerializeStruct;
        serialize_struct_variant(
            name: &'static str, index: u32, variant: &'static str, len: usize
        ) -> Self::SerializeStructVariant;
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), Error> {
        ser::Serializer::serialize_some(&mut self.mapping, value)
    }

    #[inline]
    fn collect_seq<I>(self, iter: I) -> Result<(), Error>
    where
        I: IntoIterator,
        I::Item: Serialize,
    {
        ser::Serializer::collect_seq(&mut self.mapping, iter)
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        ser::Serializer::serialize_newtype_struct(&mut self.mapping, name, value)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        variant_index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        ser::Serializer::serialize_newtype_variant(
            &mut self.mapping,
            name,
            variant_index,
            variant,
            value,
        )
    }
}

/// Writes `value` to `writer` as a pickle, and returns the writer.
pub(crate) fn to_writer<W: Write, T: ?Sized + Serialize>(
    writer: W,
    value: &T,
    options: &Options,
) -> Result<W, Error> {
    let mut serializer = Serializer::new(writer, options)?;
    value.serialize(&mut serializer)?;
    serializer.finish()
}

/// Writes `value` as a pickle into a vector: the same bytes as [`to_writer`], with the
/// frames written in place rather than copied out of a frame buffer.
pub(crate) fn to_vec<T: ?Sized + Serialize>(
    value: &T,
    options: &Options,
) -> Result<Vec<u8>, Error> {
    // What `Serializer` would do: it forwards every method to the mapping.
    let mut mapping = Mapping::new(ByteSink::new(Memory::new(), options)?, options);
    value.serialize(&mut mapping)?;
    mapping.sink.finish()
}

/// The graph of the Python objects [`to_writer`] writes for `value`.
pub(crate) fn to_value<T: ?Sized + Serialize>(
    value: &T,
    options: &Options,
) -> Result<Graph, Error> {
    let mut mapping = Mapping::new(graph::GraphSink::new(options.protocol), options);
    let root = value.serialize(&mut mapping)?;
    let mut graph = mapping.sink.graph;
    graph.set_root(root);
    Ok(graph)
}
