//! zlib streams (RFC 1950), as Python's `zlib.compress` and joblib's default compressor write
//! them: the two-byte header, deflate and the Adler-32 trailer, all checked by `flate2`.

use super::inflate::Inflate;
use super::step::Stepped;

/// Decodes one zlib stream at a time.
pub(crate) type Decoder = Stepped<Inflate>;

impl Decoder {
    pub(crate) fn new() -> Decoder {
        Stepped::from_step(Inflate::new(true))
    }
}
