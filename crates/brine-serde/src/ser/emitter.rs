//! [`ByteSink`]: the sink that writes pickle bytes with [`brine_encode::Emitter`] as the value
//! serializes, no graph in between.
//!
//! Every opcode choice is the emitter's, which the graph pickler uses too, so the bytes are
//! those [`super::graph::GraphSink`]'s graph pickles to. What the graph pickler learns only once
//! a container is complete is known up front here: a list or dict of one item has no MARK
//! (serde announces the length; when it does not, the emitter holds the MARK pending until
//! the second item or the end), and a tuple's layout is chosen by its announced length, so a
//! `Serialize` that gives another number of items is an error where the layout differs.

use std::sync::OnceLock;

use brine_encode::{Batch, Emitter, EncodeError, Target};
use num_bigint::BigInt;

use super::names::Names;
use super::sink::Sink;
use crate::error::Error;
use crate::options::Options;

/// Writes pickle bytes to `W`: a writer, or [`brine_encode::Memory`] for [`crate::to_vec`].
pub struct ByteSink<W> {
    e: Emitter<'static, W>,
    names: Names,
}

impl<W: Target> ByteSink<W> {
    /// Starts the pickle (PROTO, framing) at `options.protocol`.
    pub(crate) fn new(writer: W, options: &Options) -> Result<ByteSink<W>, Error> {
        Ok(ByteSink {
            e: Emitter::new(writer, encode_options(options)?)?,
            names: Names::new(),
        })
    }

    /// Writes STOP and the last frame, and returns the writer (or the bytes).
    pub(crate) fn finish(self) -> Result<W::Done, Error> {
        Ok(self.e.finish()?)
    }
}

/// The encoder options `options` stand for. brine-serde names no extension codes, so there
/// are 24 (a protocol, `fix_imports` or not, fast or not), made once and shared, and a writer
/// borrows nothing from its caller's options.
fn encode_options(options: &Options) -> Result<&'static brine_encode::Options, Error> {
    static ALL: OnceLock<Vec<brine_encode::Options>> = OnceLock::new();
    let all = ALL.get_or_init(|| {
        (0..=brine_encode::HIGHEST_PROTOCOL)
            .flat_map(|protocol| {
                [(false, false), (false, true), (true, false), (true, true)].map(
                    |(fix_imports, fast)| {
                        let mut encode = brine_encode::Options::protocol(protocol);
                        encode.fix_imports = fix_imports;
                        encode.fast = fast;
                        encode
                    },
                )
            })
            .collect()
    });
    let idx = usize::from(options.protocol) * 4
        + usize::from(options.fix_imports) * 2
        + usize::from(options.fast);
    all.get(idx)
        .ok_or_else(|| EncodeError::UnsupportedProtocol(options.protocol).into())
}

impl<W: Target> Sink for ByteSink<W> {
    type Obj = ();
    type Seq = Batch;
    type Dict = Batch;
    /// The announced length, which chose the layout.
    type Tuple = usize;

    #[inline]
    fn protocol(&self) -> u8 {
        self.e.protocol()
    }

    #[inline]
    fn none(&mut self) -> Result<(), Error> {
        self.e.boundary()?;
        Ok(self.e.none()?)
    }

    #[inline]
    fn bool(&mut self, value: bool) -> Result<(), Error> {
        self.e.boundary()?;
        Ok(self.e.bool(value)?)
    }

    #[inline]
    fn int(&mut self, value: i64) -> Result<(), Error> {
        self.e.boundary()?;
        Ok(self.e.int(value)?)
    }

    fn bigint(&mut self, value: BigInt) -> Result<(), Error> {
        self.e.boundary()?;
        Ok(self.e.bigint(&value)?)
    }

    #[inline]
    fn float(&mut self, value: f64) -> Result<(), Error> {
        self.e.boundary()?;
        Ok(self.e.float(value)?)
    }

    #[inline]
    fn str(&mut self, text: &str) -> Result<(), Error> {
        self.e.boundary()?;
        self.e.str(text)?;
        Ok(())
    }

    #[inline]
    fn name(&mut self, name: &'static str) -> Result<(), Error> {
        self.e.boundary()?;
        match self.names.get(name) {
            Some(idx) => self.e.get(idx)?,
            None => {
                let idx = self.e.str(name)?;
                // In fast mode nothing is memoized, so each name is written again.
                if idx != brine_encode::NOT_MEMOIZED {
                    self.names.insert(name, idx);
                }
            }
        }
        Ok(())
    }

    fn bytes(&mut self, data: &[u8]) -> Result<(), Error> {
        self.e.boundary()?;
        self.e.bytes(data)?;
        Ok(())
    }

    fn global(&mut self, module: &str, qualname: &str) -> Result<(), Error> {
        self.e.boundary()?;
        Ok(self.e.global_object(module, qualname)?)
    }

    #[inline]
    fn begin_list(&mut self, len: Option<usize>) -> Result<Batch, Error> {
        self.e.boundary()?;
        Ok(self.e.begin_list(len)?)
    }

    fn begin_set(&mut self, len: Option<usize>, frozen: bool) -> Result<Batch, Error> {
        self.e.boundary()?;
        Ok(if frozen {
            self.e.begin_frozenset(len)?
        } else {
            self.e.begin_set(len)?
        })
    }

    #[inline]
    fn begin_item(&mut self, seq: &mut Batch) -> Result<(), Error> {
        Ok(self.e.item(seq)?)
    }

    #[inline]
    fn push_item(&mut self, _seq: &mut Batch, _item: ()) {}

    fn end_seq(&mut self, seq: Batch) -> Result<(), Error> {
        self.e.end(seq)?;
        Ok(())
    }

    #[inline]
    fn begin_dict(&mut self, len: Option<usize>) -> Result<Batch, Error> {
        self.e.boundary()?;
        Ok(self.e.begin_dict(len)?)
    }

    #[inline]
    fn begin_pair(&mut self, dict: &mut Batch) -> Result<(), Error> {
        Ok(self.e.item(dict)?)
    }

    #[inline]
    fn push_pair(&mut self, _dict: &mut Batch, _key: (), _value: ()) {}

    fn end_dict(&mut self, dict: Batch) -> Result<(), Error> {
        self.e.end(dict)?;
        Ok(())
    }

    #[inline]
    fn begin_tuple(&mut self, len: usize) -> Result<usize, Error> {
        self.e.boundary()?;
        if len > 0 {
            self.e.begin_tuple(len)?;
        }
        Ok(len)
    }

    #[inline]
    fn push_field(&mut self, _tuple: &mut usize, _item: ()) {}

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

    fn newobj(&mut self, _cls: (), _args: ()) -> Result<(), Error> {
        self.e.newobj()?;
        self.e.memoize()?;
        Ok(())
    }

    fn reduce(&mut self, _callable: (), _args: ()) -> Result<(), Error> {
        self.e.reduce()?;
        self.e.memoize()?;
        Ok(())
    }

    fn build(&mut self, _object: (), _state: ()) -> Result<(), Error> {
        Ok(self.e.build()?)
    }
}
