//! .xz streams through `liblzma`'s stream decoder, and legacy `.lzma` (LZMA_ALONE) streams
//! through its alone decoder, one stream at a time; the padding between streams is the
//! reader's business.

use std::io;

use liblzma::stream::Action;
use liblzma::stream::Status;
use liblzma::stream::Stream;

use super::Fault;
use super::step::Progress;
use super::step::Step;
use super::step::Stepped;

/// Decodes one .xz (or `.lzma`) stream at a time.
pub(crate) type Decoder = Stepped<Xz>;

/// One call of liblzma's stream or alone decoder.
pub(crate) struct Xz {
    inner: Stream,
    memlimit: u64,
    alone: bool,
}

impl Decoder {
    /// An .xz decoder, or with `alone` a legacy `.lzma` one.
    pub(crate) fn new(memlimit: u64, alone: bool) -> io::Result<Decoder> {
        Ok(Stepped::from_step(Xz {
            inner: new_stream(memlimit, alone)?,
            memlimit,
            alone,
        }))
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

impl Step for Xz {
    fn step(&mut self, input: &[u8], out: &mut [u8], at_end: bool) -> Result<Progress, Fault> {
        let action = if at_end { Action::Finish } else { Action::Run };
        let (in_before, out_before) = (self.inner.total_in(), self.inner.total_out());
        let ended = match self.inner.process(input, out, action) {
            Ok(Status::StreamEnd) => true,
            Ok(Status::Ok | Status::GetCheck | Status::MemNeeded) => false,
            Err(liblzma::stream::Error::MemLimit) => {
                return Err(Fault::Memory(
                    "the stream's dictionary is larger than the memory limit".to_owned(),
                ));
            }
            Err(err) => return Err(Fault::Corrupt(err.to_string())),
        };
        // Both counts are bounded by the slices just handed to `process`.
        Ok(Progress {
            consumed: (self.inner.total_in() - in_before) as usize,
            produced: (self.inner.total_out() - out_before) as usize,
            ended,
        })
    }

    fn restart(&mut self) -> Result<(), Fault> {
        self.inner = new_stream(self.memlimit, self.alone)?;
        Ok(())
    }
}
