//! The read loop every streaming codec shares, around one call of its decompressor.
//!
//! bzip2, xz, lzma-alone, zstd, zlib and gzip's deflate body are each driven the same way:
//! hand the decompressor what the input holds, consume what it took, stop once it produced
//! output or ended its stream, and call the stream truncated when it made no progress and no
//! more input comes. Each codec says only how one call goes ([`Step`]).

use std::io::Read;

use super::Decode;
use super::Fault;
use super::Input;

/// What one call of a decompressor did.
pub(crate) struct Progress {
    /// Input bytes it took.
    pub(crate) consumed: usize,
    /// Output bytes it wrote.
    pub(crate) produced: usize,
    /// It reached the end of its stream (member, frame) and checked the trailer.
    pub(crate) ended: bool,
}

/// One call of a codec's streaming decompressor.
pub(crate) trait Step {
    /// Decompresses from `input` into `out` (never empty); `at_end` when `input` is empty
    /// because the input has ended.
    fn step(&mut self, input: &[u8], out: &mut [u8], at_end: bool) -> Result<Progress, Fault>;

    /// Prepares for another stream of the same codec.
    fn restart(&mut self) -> Result<(), Fault>;
}

/// Runs `step` until it produces output or ends its stream; returns the bytes produced and
/// whether the stream ended.
///
/// # Errors
///
/// [`Fault::Truncated`] when the decompressor needs input that never comes, and whatever the
/// step or the input reports.
pub(crate) fn pump<R: Read>(
    step: &mut impl Step,
    input: &mut Input<R>,
    out: &mut [u8],
) -> Result<(usize, bool), Fault> {
    loop {
        let avail = input.fill()?;
        let at_end = avail.is_empty();
        let Progress {
            consumed,
            produced,
            ended,
        } = step.step(avail, out, at_end)?;
        input.consume(consumed);
        if produced > 0 || ended {
            return Ok((produced, ended));
        }
        if consumed == 0 && (at_end || !input.fill_more()?) {
            return Err(Fault::Truncated);
        }
    }
}

/// A [`Decode`] made of a [`Step`]: one stream at a time through [`pump`].
pub(crate) struct Stepped<S> {
    step: S,
    ended: bool,
}

impl<S> Stepped<S> {
    pub(crate) fn from_step(step: S) -> Stepped<S> {
        Stepped { step, ended: false }
    }
}

impl<R: Read, S: Step> Decode<R> for Stepped<S> {
    fn decode(&mut self, input: &mut Input<R>, out: &mut [u8]) -> Result<usize, Fault> {
        if self.ended {
            return Ok(0);
        }
        let (produced, ended) = pump(&mut self.step, input, out)?;
        self.ended = ended;
        Ok(produced)
    }

    fn reset(&mut self) -> Result<(), Fault> {
        self.step.restart()?;
        self.ended = false;
        Ok(())
    }
}
