//! bzip2 streams through `bzip2`'s low-level decompressor, one stream at a time.

use bzip2::Decompress;
use bzip2::Status;

use super::Fault;
use super::step::Progress;
use super::step::Step;
use super::step::Stepped;

/// Decodes one bzip2 stream at a time.
pub(crate) type Decoder = Stepped<Bz2>;

/// One call of bzip2's decompressor.
pub(crate) struct Bz2(Decompress);

impl Decoder {
    pub(crate) fn new() -> Decoder {
        Stepped::from_step(Bz2(Decompress::new(false)))
    }
}

impl Step for Bz2 {
    fn step(&mut self, input: &[u8], out: &mut [u8], _at_end: bool) -> Result<Progress, Fault> {
        let (in_before, out_before) = (self.0.total_in(), self.0.total_out());
        let status = self.0.decompress(input, out).map_err(|err| {
            Fault::Corrupt(match err {
                bzip2::Error::DataMagic => "bad stream magic".to_owned(),
                other => other.to_string(),
            })
        })?;
        let ended = match status {
            Status::StreamEnd => true,
            Status::MemNeeded => return Err(Fault::Corrupt("out of memory".to_owned())),
            Status::Ok | Status::FlushOk | Status::RunOk | Status::FinishOk => false,
        };
        // Both counts are bounded by the slices just handed to `decompress`.
        Ok(Progress {
            consumed: (self.0.total_in() - in_before) as usize,
            produced: (self.0.total_out() - out_before) as usize,
            ended,
        })
    }

    fn restart(&mut self) -> Result<(), Fault> {
        self.0 = Decompress::new(false);
        Ok(())
    }
}
