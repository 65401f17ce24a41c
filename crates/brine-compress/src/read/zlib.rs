//! zlib streams (RFC 1950), as Python's `zlib.compress` and joblib's default compressor write
//! them: the two-byte header, deflate and the Adler-32 trailer, all checked by `flate2`.

use std::io::Read;

use flate2::Decompress;
use flate2::FlushDecompress;
use flate2::Status;

use super::Decode;
use super::Fault;
use super::Input;

/// Decodes one zlib stream at a time.
pub(crate) struct Decoder {
    inflate: Decompress,
    ended: bool,
}

impl Decoder {
    pub(crate) fn new() -> Decoder {
        Decoder {
            inflate: Decompress::new(true),
            ended: false,
        }
    }
}

impl<R: Read> Decode<R> for Decoder {
    fn decode(&mut self, input: &mut Input<R>, out: &mut [u8]) -> Result<usize, Fault> {
        while !self.ended {
            let avail = input.fill()?;
            let at_end = avail.is_empty();
            let (in_before, out_before) = (self.inflate.total_in(), self.inflate.total_out());
            let status = self
                .inflate
                .decompress(avail, out, FlushDecompress::None)
                .map_err(|err| Fault::Corrupt(format!("invalid zlib data: {err}")))?;
            // Both counts are bounded by the slices just handed to `decompress`.
            let consumed = (self.inflate.total_in() - in_before) as usize;
            let produced = (self.inflate.total_out() - out_before) as usize;
            input.consume(consumed);
            if status == Status::StreamEnd {
                self.ended = true;
            }
            if produced > 0 {
                return Ok(produced);
            }
            if !self.ended && consumed == 0 && (at_end || !input.fill_more()?) {
                return Err(Fault::Truncated);
            }
        }
        Ok(0)
    }

    fn reset(&mut self) -> Result<(), Fault> {
        self.inflate.reset(true);
        self.ended = false;
        Ok(())
    }
}
