//! .xz streams through `liblzma`'s stream decoder, and legacy `.lzma` (LZMA_ALONE) streams
//! through its alone decoder, one stream at a time; the padding between streams is the
//! reader's business.

use std::io;
use std::io::Read;

use liblzma::stream::Action;
use liblzma::stream::Status;
use liblzma::stream::Stream;

use super::Decode;
use super::Fault;
use super::Input;

/// Decodes one .xz stream at a time.
pub(crate) struct Decoder {
    inner: Stream,
    memlimit: u64,
    alone: bool,
    ended: bool,
}

impl Decoder {
    /// An .xz decoder, or with `alone` a legacy `.lzma` one.
    pub(crate) fn new(memlimit: u64, alone: bool) -> io::Result<Decoder> {
        Ok(Decoder {
            inner: new_stream(memlimit, alone)?,
            memlimit,
            alone,
            ended: false,
        })
    }
}

fn new_stream(memlimit: u64, alone: bool) -> io::Result<Stream> {
    let stream = if alone {
        Stream::new_lzma_decoder(memlimit.max(1))
    } else {
        // No flags: one stream (the reader handles concatenation), and every check is verified.
        Stream::new_stream_decoder(memlimit.max(1), 0)
    };
    stream.map_err(|err| io::Error::other(format!("lzma decoder setup failed: {err}")))
}

impl<R: Read> Decode<R> for Decoder {
    fn decode(&mut self, input: &mut Input<R>, out: &mut [u8]) -> Result<usize, Fault> {
        while !self.ended {
            let avail = input.fill()?;
            let at_end = avail.is_empty();
            let action = if at_end { Action::Finish } else { Action::Run };
            let (in_before, out_before) = (self.inner.total_in(), self.inner.total_out());
            let result = self.inner.process(avail, out, action);
            // Both counts are bounded by the slices just handed to `process`.
            let consumed = (self.inner.total_in() - in_before) as usize;
            let produced = (self.inner.total_out() - out_before) as usize;
            input.consume(consumed);
            match result {
                Ok(Status::StreamEnd) => self.ended = true,
                Ok(Status::Ok | Status::GetCheck | Status::MemNeeded) => {}
                Err(liblzma::stream::Error::MemLimit) => {
                    return Err(Fault::Memory(
                        "the stream's dictionary is larger than the memory limit".to_owned(),
                    ));
                }
                Err(err) => return Err(Fault::Corrupt(err.to_string())),
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
        self.inner = new_stream(self.memlimit, self.alone)?;
        self.ended = false;
        Ok(())
    }
}
