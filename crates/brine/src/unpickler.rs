//! [`Unpickler`]: `pickle.Unpickler` with its parameters.

use std::io::BufRead;

use brine_value::{ExtensionRegistry, Graph, Value};
use brine_value::{StringEncoding, StringErrors};
use brine_vm::{FindClass, Limits};
use bytes::Bytes;

use crate::error::Error;

/// Python's `pickle.Unpickler`: `fix_imports`, `encoding`, `errors`, `buffers`,
/// `persistent_load` and `find_class`, plus the limits untrusted input meets.
///
/// # Example
///
/// ```
/// // A Python 2 pickle of the str 'caf\xe9' (protocol 2).
/// let data = b"\x80\x02U\x04caf\xe9q\x00.";
/// // The graph keeps the Python 2 str as written; reading it as text applies the encoding.
/// assert_eq!(brine::loads(data)?.root().text(), None); // ASCII by default, as in Python
/// let graph = brine::Unpickler::new().encoding("latin1")?.loads(data)?;
/// assert_eq!(graph.root().text().as_deref(), Some("café"));
/// # Ok::<(), brine::Error>(())
/// ```
pub struct Unpickler<'h> {
    /// The decoder holds the options and hooks; the facade adds Python's names for them and
    /// decompression.
    decoder: brine_vm::Decoder<'h>,
    #[cfg(feature = "compress")]
    decompress: Option<brine_compress::Options>,
}

impl Default for Unpickler<'_> {
    fn default() -> Self {
        Unpickler::new()
    }
}

impl<'h> Unpickler<'h> {
    /// An unpickler with Python's defaults and brine's default limits.
    pub fn new() -> Unpickler<'h> {
        Unpickler {
            decoder: brine_vm::Decoder::new(brine_vm::Options::default()),
            #[cfg(feature = "compress")]
            decompress: None,
        }
    }

    /// Python's `fix_imports`. Default: on.
    pub fn fix_imports(mut self, fix_imports: bool) -> Unpickler<'h> {
        self.decoder.options_mut().fix_imports = fix_imports;
        self
    }

    /// Python's `encoding` for Python 2 `str`: `"ASCII"` (the default), `"latin1"`,
    /// `"utf-8"`, `"koi8-r"` or `"bytes"`.
    ///
    /// # Errors
    ///
    /// Another encoding name.
    pub fn encoding(mut self, name: &str) -> Result<Unpickler<'h>, Error> {
        self.decoder.options_mut().encoding = StringEncoding::from_name(name)
            .ok_or_else(|| Error::InvalidArgument(format!("unsupported encoding {name:?}")))?;
        Ok(self)
    }

    /// Python's `errors`: `"strict"` (the default), `"replace"`, `"ignore"` or
    /// `"surrogateescape"`.
    ///
    /// # Errors
    ///
    /// Another handler name.
    pub fn errors(mut self, name: &str) -> Result<Unpickler<'h>, Error> {
        self.decoder.options_mut().errors = match name {
            "strict" => StringErrors::Strict,
            "replace" => StringErrors::Replace,
            "ignore" => StringErrors::Ignore,
            "surrogateescape" => StringErrors::SurrogateEscape,
            _ => {
                return Err(Error::InvalidArgument(format!(
                    "unsupported error handler {name:?}"
                )));
            }
        };
        Ok(self)
    }

    /// Which globals may appear (Python's `find_class` override). Default: all, as inert names.
    pub fn find_class(mut self, policy: FindClass) -> Unpickler<'h> {
        self.decoder.options_mut().find_class = policy;
        self
    }

    /// The extension codes EXT1/EXT2/EXT4 refer to. Default: none, as in CPython.
    pub fn extensions(mut self, extensions: ExtensionRegistry) -> Unpickler<'h> {
        self.decoder.options_mut().extensions = extensions;
        self
    }

    /// Resource limits. Default: [`Limits::default`].
    pub fn limits(mut self, limits: Limits) -> Unpickler<'h> {
        self.decoder.options_mut().limits = limits;
        self
    }

    /// Python's `buffers`: the out-of-band buffers of a protocol 5 pickle, shared into the
    /// graph without a copy.
    pub fn buffers(mut self, buffers: &'h [Bytes]) -> Unpickler<'h> {
        self.decoder = self.decoder.buffers(buffers);
        self
    }

    /// Python's `persistent_load`. Without one, persistent ids stay as nodes.
    pub fn persistent_load(
        mut self,
        hook: impl FnMut(&mut Graph, Value) -> Result<Value, String> + 'h,
    ) -> Unpickler<'h> {
        self.decoder = self.decoder.persistent_load(hook);
        self
    }

    /// Accept input compressed with any enabled codec (recognised by its magic bytes), with
    /// these limits on the decompressed size. Plain pickles are read as they are.
    #[cfg(feature = "compress")]
    pub fn decompress(mut self, options: brine_compress::Options) -> Unpickler<'h> {
        self.decompress = Some(options);
        self
    }

    /// Loads the pickle at the start of `data`.
    ///
    /// # Errors
    ///
    /// A malformed pickle ([`Error::Load`]) or undecodable compressed input.
    pub fn loads(&mut self, data: &[u8]) -> Result<Graph, Error> {
        #[cfg(feature = "compress")]
        if let Some(options) = &self.decompress {
            if brine_compress::Codec::detect(data).is_some() {
                let plain = brine_compress::decompress(data, options)?;
                return self.loads_bytes(Bytes::from(plain));
            }
        }
        Ok(self.decoder.from_slice(data)?)
    }

    /// Loads the pickle at the start of `data`, sharing its str and bytes payloads instead of
    /// copying them.
    ///
    /// # Errors
    ///
    /// As [`Unpickler::loads`].
    pub fn loads_bytes(&mut self, data: Bytes) -> Result<Graph, Error> {
        Ok(self.decoder.from_bytes(&data)?)
    }

    /// Loads one pickle from `reader`, stopping right after it.
    ///
    /// # Errors
    ///
    /// As [`Unpickler::loads`], and reader errors.
    pub fn load<R: BufRead>(&mut self, reader: R) -> Result<Graph, Error> {
        #[cfg(feature = "compress")]
        if let Some(options) = &self.decompress {
            let reader = brine_compress::decompress_reader(reader, options)?;
            return Ok(self.decoder.from_reader(std::io::BufReader::new(reader))?);
        }
        Ok(self.decoder.from_reader(reader)?)
    }
}
