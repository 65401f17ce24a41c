//! One call of `flate2`'s inflater: the deflate data of zlib streams and of gzip members.

use flate2::Decompress;
use flate2::FlushDecompress;
use flate2::Status;

use super::Fault;
use super::step::Progress;
use super::step::Step;

/// Inflates deflate data, behind a zlib header and trailer when `zlib_header`.
pub(crate) struct Inflate {
    inner: Decompress,
    zlib_header: bool,
}

impl Inflate {
    pub(crate) fn new(zlib_header: bool) -> Inflate {
        Inflate {
            inner: Decompress::new(zlib_header),
            zlib_header,
        }
    }
}

impl Step for Inflate {
    fn step(&mut self, input: &[u8], out: &mut [u8], _at_end: bool) -> Result<Progress, Fault> {
        let (in_before, out_before) = (self.inner.total_in(), self.inner.total_out());
        let status = self
            .inner
            .decompress(input, out, FlushDecompress::None)
            .map_err(|err| {
                let what = if self.zlib_header { "zlib" } else { "deflate" };
                Fault::Corrupt(format!("invalid {what} data: {err}"))
            })?;
        // Both counts are bounded by the slices just handed to `decompress`.
        Ok(Progress {
            consumed: (self.inner.total_in() - in_before) as usize,
            produced: (self.inner.total_out() - out_before) as usize,
            ended: status == Status::StreamEnd,
        })
    }

    fn restart(&mut self) -> Result<(), Fault> {
        self.inner.reset(self.zlib_header);
        Ok(())
    }
}
