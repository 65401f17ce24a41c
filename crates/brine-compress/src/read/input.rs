//! The compressed side of a decompression: a refillable buffer over a `Read` that counts offsets.

use std::io;
use std::io::Read;

/// Size of the buffer between the caller's reader and the codecs.
const BUF_LEN: usize = 64 * 1024;

/// Why a codec stopped, before the reader adds the codec name and the positions.
#[derive(Debug)]
pub(crate) enum Fault {
    /// The input ended before the codec's end marker.
    Truncated,
    /// The codec rejected the input.
    Corrupt(String),
    /// The codec needs more memory than `Options::max_decoder_memory`.
    Memory(String),
    /// The caller's reader failed.
    Io(io::Error),
}

impl From<io::Error> for Fault {
    fn from(err: io::Error) -> Fault {
        Fault::Io(err)
    }
}

/// A buffered reader that can peek a given number of bytes and knows its compressed offset.
pub(crate) struct Input<R> {
    inner: R,
    buf: Box<[u8]>,
    /// `buf[start..end]` holds bytes read but not yet consumed.
    start: usize,
    end: usize,
    /// Bytes consumed so far: the offset of `buf[start]` in the compressed stream.
    offset: u64,
    eof: bool,
}

impl<R> Input<R> {
    pub(crate) fn new(inner: R) -> Input<R> {
        Input {
            inner,
            buf: vec![0; BUF_LEN].into_boxed_slice(),
            start: 0,
            end: 0,
            offset: 0,
            eof: false,
        }
    }

    /// Compressed bytes consumed so far.
    pub(crate) fn offset(&self) -> u64 {
        self.offset
    }

    /// Compressed bytes read from the inner reader so far, consumed or not.
    pub(crate) fn seen(&self) -> u64 {
        self.offset + (self.end - self.start) as u64
    }

    pub(crate) fn get_ref(&self) -> &R {
        &self.inner
    }
}

impl<R: Read> Input<R> {
    /// The unconsumed bytes, refilled when there are none; empty only at the end of the input.
    pub(crate) fn fill(&mut self) -> io::Result<&[u8]> {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
            self.read_more()?;
        }
        Ok(&self.buf[self.start..self.end])
    }

    /// Reads more input behind the unconsumed bytes; `false` at the end of the input.
    ///
    /// A codec calls this when it made no progress on what [`Input::fill`] gave it.
    pub(crate) fn fill_more(&mut self) -> Result<bool, Fault> {
        if self.start > 0 && self.end == self.buf.len() {
            self.compact();
        }
        if self.end == self.buf.len() {
            // A codec that cannot progress on a full buffer would never progress.
            return Err(Fault::Corrupt(format!(
                "the codec made no progress on {BUF_LEN} bytes of input"
            )));
        }
        let before = self.end;
        self.read_more()?;
        Ok(self.end > before)
    }

    /// At least `n` unconsumed bytes (`n` at most the buffer size), or fewer at the end of the
    /// input.
    pub(crate) fn peek(&mut self, n: usize) -> io::Result<&[u8]> {
        debug_assert!(n <= self.buf.len());
        if self.end - self.start < n {
            if self.start + n > self.buf.len() {
                self.compact();
            }
            while self.end - self.start < n && !self.eof {
                self.read_more()?;
            }
        }
        Ok(&self.buf[self.start..self.end])
    }

    /// Exactly `N` bytes, consumed; `Fault::Truncated` at the end of the input.
    pub(crate) fn take_array<const N: usize>(&mut self) -> Result<[u8; N], Fault> {
        let avail = self.peek(N)?;
        let Some(bytes) = avail.get(..N) else {
            return Err(Fault::Truncated);
        };
        let mut array = [0; N];
        array.copy_from_slice(bytes);
        self.consume(N);
        Ok(array)
    }

    /// Fills `dst` completely, consuming; `Fault::Truncated` at the end of the input.
    pub(crate) fn take_into(&mut self, dst: &mut [u8]) -> Result<(), Fault> {
        let mut filled = 0;
        while filled < dst.len() {
            let avail = self.fill()?;
            if avail.is_empty() {
                return Err(Fault::Truncated);
            }
            let n = avail.len().min(dst.len() - filled);
            dst[filled..filled + n].copy_from_slice(&avail[..n]);
            self.consume(n);
            filled += n;
        }
        Ok(())
    }

    /// Consumes `n` bytes without looking at them; `Fault::Truncated` at the end of the input.
    pub(crate) fn skip(&mut self, mut n: u64) -> Result<(), Fault> {
        while n > 0 {
            let avail = self.fill()?.len();
            if avail == 0 {
                return Err(Fault::Truncated);
            }
            let step = usize::try_from(n).map_or(avail, |n| n.min(avail));
            self.consume(step);
            n -= step as u64;
        }
        Ok(())
    }

    /// Consumes bytes up to and including the next `0x00`; `Fault::Truncated` if none comes.
    pub(crate) fn skip_past_nul(&mut self) -> Result<(), Fault> {
        loop {
            let avail = self.fill()?;
            if avail.is_empty() {
                return Err(Fault::Truncated);
            }
            if let Some(nul) = avail.iter().position(|&byte| byte == 0) {
                self.consume(nul + 1);
                return Ok(());
            }
            let n = avail.len();
            self.consume(n);
        }
    }

    /// Consumes bytes equal to `0x00`, returning how many; stops at another byte or the end.
    pub(crate) fn skip_zeros(&mut self) -> io::Result<u64> {
        let mut skipped = 0;
        loop {
            let avail = self.fill()?;
            if avail.is_empty() {
                return Ok(skipped);
            }
            let zeros = avail.iter().take_while(|&&byte| byte == 0).count();
            let all = zeros == avail.len();
            self.consume(zeros);
            skipped += zeros as u64;
            if !all {
                return Ok(skipped);
            }
        }
    }

    /// Marks `n` of the bytes returned by the last `fill` or `peek` as consumed.
    pub(crate) fn consume(&mut self, n: usize) {
        debug_assert!(n <= self.end - self.start);
        self.start += n;
        self.offset += n as u64;
    }

    fn compact(&mut self) {
        self.buf.copy_within(self.start..self.end, 0);
        self.end -= self.start;
        self.start = 0;
    }

    /// One read into the free tail of the buffer, retrying on `Interrupted`.
    fn read_more(&mut self) -> io::Result<()> {
        if self.eof {
            return Ok(());
        }
        loop {
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(());
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(err),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out one byte per call, the worst case for refills.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match (self.0.split_first(), buf.first_mut()) {
                (Some((&byte, rest)), Some(slot)) => {
                    *slot = byte;
                    self.0 = rest;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    #[test]
    fn peek_gathers_short_reads() {
        let mut input = Input::new(Trickle(b"BZh91AY&SY tail"));
        assert_eq!(input.peek(10).unwrap(), b"BZh91AY&SY");
        input.consume(3);
        assert_eq!(input.offset(), 3);
        assert_eq!(input.take_array::<2>().unwrap(), *b"91");
        input.skip(5).unwrap();
        assert_eq!(input.peek(100).unwrap(), b" tail");
        assert!(matches!(input.skip(6), Err(Fault::Truncated)));
    }

    #[test]
    fn skip_zeros_and_nul() {
        let mut input = Input::new(Trickle(b"name\0\0\0\0x"));
        input.skip_past_nul().unwrap();
        assert_eq!(input.skip_zeros().unwrap(), 3);
        assert_eq!(input.offset(), 8);
        assert_eq!(input.fill().unwrap(), b"x");
    }
}
