//! The byte sink: protocol 4 framing around a `std::io::Write`.
//!
//! Opcodes collect in a frame buffer; at an object boundary a frame of at least 64 KiB is
//! flushed behind a FRAME opcode, so memory stays bounded however large the pickle. Payloads of
//! 64 KiB or more bypass the buffer: the frame so far is flushed and the payload is written
//! straight from the node's bytes, unframed, as CPython writes it.
//!
//! Below protocol 4 the same buffer collects the bytes and is handed to the writer in chunks
//! of about 64 KiB, so that the many small writes of a pickle (a one-byte opcode, a 9-byte
//! float) are plain appends the compiler inlines, for every protocol.

use std::io::{self, Write};

/// CPython's `_FRAME_SIZE_TARGET`.
pub(crate) const FRAME_SIZE_TARGET: usize = 64 * 1024;
/// CPython's `_FRAME_SIZE_MIN`: a smaller frame is written without a FRAME opcode.
const FRAME_SIZE_MIN: usize = 4;
/// The FRAME opcode and its 8-byte length, reserved at the start of the buffer when framing
/// and filled in when the frame is flushed, so a frame goes out in one write.
const HEADER_LEN: usize = 9;

pub(crate) struct Output<W> {
    out: W,
    /// The bytes not yet handed to `out`: when framing, the header room and the current frame.
    buf: Vec<u8>,
    /// Protocol 4 and above.
    framing: bool,
}

impl<W: Write> Output<W> {
    pub(crate) fn new(out: W) -> Output<W> {
        Output {
            out,
            buf: Vec::with_capacity(FRAME_SIZE_TARGET + 1024),
            framing: false,
        }
    }

    /// Starts protocol 4 framing; whatever was written before (PROTO) goes out first.
    pub(crate) fn start_framing(&mut self) -> io::Result<()> {
        self.flush_buf()?;
        self.framing = true;
        self.buf.resize(HEADER_LEN, 0);
        Ok(())
    }

    #[inline]
    pub(crate) fn write(&mut self, data: &[u8]) -> io::Result<()> {
        self.buf.extend_from_slice(data);
        Ok(())
    }

    /// At an object boundary: flushes the frame (or, unframed, the buffer) once it has
    /// reached the target size.
    #[inline]
    pub(crate) fn boundary(&mut self) -> io::Result<()> {
        if self.buf.len() >= FRAME_SIZE_TARGET + HEADER_LEN {
            self.commit_frame()?;
        }
        Ok(())
    }

    /// Writes a header and a large payload outside any frame.
    pub(crate) fn write_large(&mut self, header: &[u8], payload: &[u8]) -> io::Result<()> {
        self.commit_frame()?;
        self.out.write_all(header)?;
        self.out.write_all(payload)
    }

    /// Writes a header and payload: in the frame when small, outside when large.
    pub(crate) fn write_payload(&mut self, header: &[u8], payload: &[u8]) -> io::Result<()> {
        if payload.len() >= FRAME_SIZE_TARGET {
            self.write_large(header, payload)
        } else {
            self.write(header)?;
            self.write(payload)
        }
    }

    /// Flushes whatever the frame holds (unframed: the buffer).
    pub(crate) fn commit_frame(&mut self) -> io::Result<()> {
        if !self.framing {
            return self.flush_buf();
        }
        let len = self.buf.len() - HEADER_LEN;
        if len == 0 {
            return Ok(());
        }
        if len >= FRAME_SIZE_MIN {
            self.buf[0] = 0x95;
            self.buf[1..HEADER_LEN].copy_from_slice(&(len as u64).to_le_bytes());
            self.out.write_all(&self.buf)?;
        } else {
            self.out.write_all(&self.buf[HEADER_LEN..])?;
        }
        // Keep the header room, and the allocation, for the next frame.
        self.buf.truncate(HEADER_LEN);
        Ok(())
    }

    pub(crate) fn finish(mut self) -> io::Result<W> {
        self.commit_frame()?;
        self.out.flush()?;
        Ok(self.out)
    }

    fn flush_buf(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }
}
