//! bzip2 streams through `bzip2`'s low-level decompressor, one stream at a time.

use std::io::Read;

use bzip2::Decompress;
use bzip2::Status;

use super::Decode;
use super::Fault;
use super::Input;

/// Decodes one bzip2 stream at a time.
pub(crate) struct Decoder {
    inner: Decompress,
    ended: bool,
}

impl Decoder {
    pub(crate) fn new() -> Decoder {
        Decoder {
            inner: Decompress::new(false),
            ended: false,
        }
    }
}

impl<R: Read> Decode<R> for Decoder {
    fn decode(&mut self, input: &mut Input<R>, out: &mut [u8]) -> Result<usize, Fault> {
        while !self.ended {
            let avail = input.fill()?;
            let at_end = avail.is_empty();
            let (in_before, out_before) = (self.inner.total_in(), self.inner.total_out());
            let status = self.inner.decompress(avail, out).map_err(|err| {
                Fault::Corrupt(match err {
                    bzip2::Error::DataMagic => "bad stream magic".to_owned(),
                    other => other.to_string(),
                })
            })?;
            // Both counts are bounded by the slices just handed to `decompress`.
            let consumed = (self.inner.total_in() - in_before) as usize;
            let produced = (self.inner.total_out() - out_before) as usize;
            input.consume(consumed);
            match status {
                Status::StreamEnd => self.ended = true,
                Status::MemNeeded => {
                    return Err(Fault::Corrupt("out of memory".to_owned()));
                }
                Status::Ok | Status::FlushOk | Status::RunOk | Status::FinishOk => {}
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
        self.inner = Decompress::new(false);
        self.ended = false;
        Ok(())
    }
}
