//! [`Pickler`]: `pickle.Pickler` with its parameters.

use std::io::Write;

use brine_value::{ExtensionRegistry, Graph, PickleBuffer, Value};

use crate::error::Error;

/// Python's `pickle.Pickler`: a protocol, `fix_imports`, `persistent_id`, `buffer_callback`,
/// and (with a compression feature) a codec for the output.
///
/// # Example
///
/// ```
/// let graph = brine::loads(b"K\x05.")?;
/// assert_eq!(brine::Pickler::new().protocol(0).dumps(&graph)?, b"I5\n.");
/// assert!(brine::Pickler::new().protocol(6).dumps(&graph).is_err());
/// # Ok::<(), brine::Error>(())
/// ```
pub struct Pickler<'h> {
    /// The encoder holds the options and hooks; the facade adds Python's names, the protocol
    /// check and compression.
    encoder: brine_encode::Encoder<'h>,
    #[cfg(feature = "compress")]
    compression: Option<(brine_compress::Codec, brine_compress::Level)>,
}

impl Default for Pickler<'_> {
    fn default() -> Self {
        Pickler::new()
    }
}

impl<'h> Pickler<'h> {
    /// A pickler with Python's defaults: protocol 4, `fix_imports=True`.
    pub fn new() -> Pickler<'h> {
        Pickler {
            encoder: brine_encode::Encoder::new(brine_encode::Options::default()),
            #[cfg(feature = "compress")]
            compression: None,
        }
    }

    /// The protocol, 0 to [`crate::HIGHEST_PROTOCOL`]; a higher one fails when dumping.
    pub fn protocol(mut self, protocol: u8) -> Pickler<'h> {
        self.encoder.options_mut().protocol = protocol;
        self
    }

    /// Python's `fix_imports`: Python 2 names for globals at protocols 0 to 2. Default: on.
    pub fn fix_imports(mut self, fix_imports: bool) -> Pickler<'h> {
        self.encoder.options_mut().fix_imports = fix_imports;
        self
    }

    /// Python's `Pickler.fast`: no memo, so an object referred to twice is written twice
    /// (no MEMOIZE, PUT or GET), and a cycle fails with
    /// [`brine_encode::EncodeError::FastModeCycle`] as CPython's raises `ValueError`. For data
    /// without sharing the pickle is smaller and quicker to write. Default: off.
    ///
    /// # Example
    ///
    /// ```
    /// // ["spam", "spam"] with one str: p = pickle.Pickler(f, 4); p.fast = True; p.dump(obj)
    /// let graph = brine::loads(b"\x80\x04]\x94(\x8c\x04spam\x94h\x01e.")?;
    /// assert_eq!(
    ///     brine::Pickler::new().fast(true).dumps(&graph)?,
    ///     b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00](\x8c\x04spam\x8c\x04spame."
    /// );
    /// # Ok::<(), brine::Error>(())
    /// ```
    pub fn fast(mut self, fast: bool) -> Pickler<'h> {
        self.encoder.options_mut().fast = fast;
        self
    }

    /// Extension codes to write as EXT1/EXT2/EXT4 (Python's `copyreg.add_extension`).
    pub fn extensions(mut self, extensions: ExtensionRegistry) -> Pickler<'h> {
        self.encoder.options_mut().extensions = extensions;
        self
    }

    /// Python's `persistent_id`: returning `Some(pid)` for a value writes the persistent id
    /// (a value of the same graph) instead of the value.
    pub fn persistent_id(
        mut self,
        hook: impl FnMut(&Graph, &Value) -> Option<Value> + 'h,
    ) -> Pickler<'h> {
        self.encoder = self.encoder.persistent_id(hook);
        self
    }

    /// Python's `buffer_callback` (protocol 5): returning `false` writes a buffer out-of-band.
    pub fn buffer_callback(mut self, hook: impl FnMut(&PickleBuffer) -> bool + 'h) -> Pickler<'h> {
        self.encoder = self.encoder.buffer_callback(hook);
        self
    }

    /// Compresses the output with `codec` at `level`, in a format Python's module reads.
    #[cfg(feature = "compress")]
    pub fn compress(
        mut self,
        codec: brine_compress::Codec,
        level: brine_compress::Level,
    ) -> Pickler<'h> {
        self.compression = Some((codec, level));
        self
    }

    /// Writes `graph` as a pickle.
    ///
    /// # Errors
    ///
    /// A protocol above 5 ([`Error::InvalidArgument`]), a graph the protocol cannot express
    /// ([`Error::Dump`]), or a compression failure.
    pub fn dumps(&mut self, graph: &Graph) -> Result<Vec<u8>, Error> {
        #[cfg(feature = "compress")]
        if self.compression.is_some() {
            return self.dump(graph, Vec::new());
        }
        self.check_protocol()?;
        // The encoder writes the frames in place in the vector it returns.
        Ok(self.encoder.to_vec(graph)?)
    }

    /// Writes `graph` as a pickle to `writer` and returns the writer.
    ///
    /// # Errors
    ///
    /// As [`Pickler::dumps`], and writer errors.
    pub fn dump<W: Write>(&mut self, graph: &Graph, writer: W) -> Result<W, Error> {
        self.check_protocol()?;
        #[cfg(feature = "compress")]
        if let Some((codec, level)) = self.compression {
            let writer = brine_compress::compress_writer(writer, codec, level)?;
            let writer = self.encoder.to_writer(graph, writer)?;
            return Ok(writer.finish()?);
        }
        Ok(self.encoder.to_writer(graph, writer)?)
    }

    /// Refuses a protocol above 5 as Python's `Pickler` does.
    fn check_protocol(&mut self) -> Result<(), Error> {
        let protocol = self.encoder.options_mut().protocol;
        if protocol > crate::HIGHEST_PROTOCOL {
            return Err(Error::InvalidArgument(format!(
                "pickle protocol must be <= {}, not {protocol}",
                crate::HIGHEST_PROTOCOL,
            )));
        }
        Ok(())
    }
}
