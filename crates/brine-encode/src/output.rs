//! The byte sink: protocol 4 framing around a `std::io::Write`.
//!
//! Opcodes collect in a frame buffer; at an object boundary a frame of at least 64 KiB is
//! flushed behind a FRAME opcode, so memory stays bounded however large the pickle. Payloads of
//! 64 KiB or more bypass the buffer: the frame so far is flushed and the payload is written
//! straight from the node's bytes, unframed, as CPython writes it.

use std::io::{self, Write};

/// CPython's `_FRAME_SIZE_TARGET`.
pub(crate) const FRAME_SIZE_TARGET: usize = 64 * 1024;
/// CPython's `_FRAME_SIZE_MIN`: a smaller frame is written without a FRAME opcode.
const FRAME_SIZE_MIN: usize = 4;

pub(crate) struct Output<W> {
    out: W,
    /// The current frame's bytes, when framing (protocol 4 and above).
    frame: Option<Vec<u8>>,
    written: u64,
}

impl<W: Write> Output<W> {
    pub(crate) fn new(out: W) -> Output<W> {
        Output {
            out,
            frame: None,
            written: 0,
        }
    }

    pub(crate) fn start_framing(&mut self) {
        self.frame = Some(Vec::with_capacity(FRAME_SIZE_TARGET + 1024));
    }

    pub(crate) fn write(&mut self, data: &[u8]) -> io::Result<()> {
        match &mut self.frame {
            Some(frame) => {
                frame.extend_from_slice(data);
                Ok(())
            }
            None => self.write_direct(data),
        }
    }

    /// At an object boundary: flushes the frame when it has reached the target size.
    pub(crate) fn boundary(&mut self) -> io::Result<()> {
        if self
            .frame
            .as_ref()
            .is_some_and(|frame| frame.len() >= FRAME_SIZE_TARGET)
        {
            self.commit_frame()?;
        }
        Ok(())
    }

    /// Writes a header and a large payload outside any frame.
    pub(crate) fn write_large(&mut self, header: &[u8], payload: &[u8]) -> io::Result<()> {
        self.commit_frame()?;
        self.write_direct(header)?;
        self.write_direct(payload)
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

    /// Flushes whatever the frame holds.
    pub(crate) fn commit_frame(&mut self) -> io::Result<()> {
        let Some(frame) = self.frame.as_mut() else {
            return Ok(());
        };
        if frame.is_empty() {
            return Ok(());
        }
        let data = std::mem::take(frame);
        if data.len() >= FRAME_SIZE_MIN {
            let mut header = [0u8; 9];
            header[0] = 0x95;
            header[1..].copy_from_slice(&(data.len() as u64).to_le_bytes());
            self.write_direct(&header)?;
        }
        self.write_direct(&data)?;
        // Reuse the allocation for the next frame.
        let mut data = data;
        data.clear();
        if let Some(frame) = self.frame.as_mut() {
            *frame = data;
        }
        Ok(())
    }

    pub(crate) fn finish(mut self) -> io::Result<W> {
        self.commit_frame()?;
        self.out.flush()?;
        Ok(self.out)
    }

    fn write_direct(&mut self, data: &[u8]) -> io::Result<()> {
        self.written += data.len() as u64;
        self.out.write_all(data)
    }
}
