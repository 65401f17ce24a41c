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
//!
//! A MARK can be left pending: a list or dict whose length nobody knew up front has a MARK
//! before its first item only if a second item follows (CPython writes a one-item list as
//! `EMPTY_LIST item APPEND`). Until that is known, the bytes stay in the buffer and the object
//! boundaries and large payloads met are recorded instead of acted on; once it is known, the
//! MARK is inserted (or not) and the recorded boundaries are replayed, so the frames come out
//! exactly as if the MARK had been written (or left out) from the start.

use std::io::{self, Write};

use brine_lex::Opcode;

/// CPython's `_FRAME_SIZE_TARGET`.
pub(crate) const FRAME_SIZE_TARGET: usize = 64 * 1024;
/// CPython's `_FRAME_SIZE_MIN`: a smaller frame is written without a FRAME opcode.
pub(crate) const FRAME_SIZE_MIN: usize = 4;
/// The FRAME opcode and its 8-byte length, reserved at the start of the buffer when framing
/// and filled in when the frame is flushed, so a frame goes out in one write.
const HEADER_LEN: usize = 9;

/// The buffer length at which an object boundary commits the frame (or, unframed, flushes).
const COMMIT_AT: usize = FRAME_SIZE_TARGET + HEADER_LEN;

pub(crate) struct Output<W> {
    out: W,
    /// The bytes not yet handed to `out`: when framing, the header room and the current frame.
    buf: Vec<u8>,
    /// Protocol 4 and above.
    framing: bool,
    /// The buffer length from which [`Output::boundary`] does more than return:
    /// [`COMMIT_AT`], or 0 while a MARK is pending so that every boundary is recorded.
    commit_at: usize,
    /// Where in `buf` the pending MARKs would go, innermost last.
    pending: Vec<usize>,
    /// While a MARK is pending: the boundaries and large payloads met, in order.
    events: Vec<Event>,
    /// The smallest frame written behind a FRAME opcode ([`FRAME_SIZE_MIN`], 1 for 3.6).
    frame_min: usize,
    /// Whether large payloads go outside frames (3.7 on), or into them (3.6).
    large_outside: bool,
}

/// Something [`Output`] would have acted on, recorded while a MARK is pending.
#[derive(Clone, Copy)]
enum Event {
    /// An object boundary at this buffer position.
    Boundary(usize),
    /// A large payload (header and data) at `buf[at..end]`, the header `header` bytes long,
    /// which goes outside any frame.
    Large {
        at: usize,
        header: usize,
        end: usize,
    },
}

impl Event {
    fn position(&self) -> usize {
        match *self {
            Event::Boundary(at) | Event::Large { at, .. } => at,
        }
    }

    fn shift(&mut self) {
        match self {
            Event::Boundary(at) => *at += 1,
            Event::Large { at, end, .. } => {
                *at += 1;
                *end += 1;
            }
        }
    }
}

impl<W: Write> Output<W> {
    pub(crate) fn new(out: W, frame_min: usize, large_outside: bool) -> Output<W> {
        Output::with_buf(out, Vec::new(), frame_min, large_outside)
    }

    /// [`Output::new`] collecting into `buf`, emptied: the room of a buffer an earlier
    /// pickle left ([`Output::finish_keeping_buf`]) is not allocated again.
    pub(crate) fn with_buf(
        out: W,
        mut buf: Vec<u8>,
        frame_min: usize,
        large_outside: bool,
    ) -> Output<W> {
        buf.clear();
        buf.reserve(FRAME_SIZE_TARGET + 1024);
        Output {
            out,
            buf,
            framing: false,
            commit_at: COMMIT_AT,
            pending: Vec::new(),
            events: Vec::new(),
            frame_min,
            large_outside,
        }
    }

    /// Starts protocol 4 framing; whatever was written before (PROTO) goes out first.
    pub(crate) fn start_framing(&mut self) -> io::Result<()> {
        self.flush_buf()?;
        self.framing = true;
        self.buf.resize(HEADER_LEN, 0);
        Ok(())
    }

    // Always inlined: most writes are a few bytes of constant length, which then copy as a
    // move or two instead of a call to memcpy.
    #[inline(always)]
    pub(crate) fn write(&mut self, data: &[u8]) -> io::Result<()> {
        self.buf.extend_from_slice(data);
        Ok(())
    }

    /// At an object boundary: flushes the frame (or, unframed, the buffer) once it has
    /// reached the target size.
    #[inline]
    pub(crate) fn boundary(&mut self) -> io::Result<()> {
        if self.buf.len() >= self.commit_at {
            self.boundary_slow()?;
        }
        Ok(())
    }

    fn boundary_slow(&mut self) -> io::Result<()> {
        if self.pending.is_empty() {
            return self.commit_frame();
        }
        self.events.push(Event::Boundary(self.buf.len()));
        Ok(())
    }

    /// Writes a header and a large payload outside any frame.
    pub(crate) fn write_large(&mut self, header: &[u8], payload: &[u8]) -> io::Result<()> {
        if !self.large_outside {
            self.write(header)?;
            return self.write(payload);
        }
        if !self.pending.is_empty() {
            let at = self.buf.len();
            self.buf.extend_from_slice(header);
            self.buf.extend_from_slice(payload);
            self.events.push(Event::Large {
                at,
                header: header.len(),
                end: self.buf.len(),
            });
            return Ok(());
        }
        self.commit_frame()?;
        self.out.write_all(header)?;
        self.out.write_all(payload)
    }

    /// Here a MARK may or may not belong: [`Output::resolve_mark`] says which, later.
    pub(crate) fn pend_mark(&mut self) {
        self.pending.push(self.buf.len());
        self.commit_at = 0;
    }

    /// Settles the innermost pending MARK: inserts it if `mark`, and once no MARK is pending,
    /// acts on the boundaries and large payloads met meanwhile.
    pub(crate) fn resolve_mark(&mut self, mark: bool) -> io::Result<()> {
        let Some(at) = self.pending.pop() else {
            return Ok(());
        };
        if mark {
            self.buf.insert(at, Opcode::MARK.0);
            // What was met from `at` on comes after the MARK. Events are in buffer order.
            for event in self.events.iter_mut().rev() {
                if event.position() < at {
                    break;
                }
                event.shift();
            }
        }
        if self.pending.is_empty() {
            self.commit_at = COMMIT_AT;
            self.replay(at)?;
        }
        Ok(())
    }

    /// Writes `buf[start..]` again through [`Output::write`], [`Output::boundary`] and
    /// [`Output::write_large`], as the recorded events say, so that frames end where they
    /// would have ended had nothing been pending.
    fn replay(&mut self, start: usize) -> io::Result<()> {
        let mut events = std::mem::take(&mut self.events);
        let large = events.iter().any(|e| matches!(e, Event::Large { .. }));
        // Below the commit size at its end, no boundary in the region could have committed.
        if !large && self.buf.len() < COMMIT_AT {
            events.clear();
            self.events = events;
            return Ok(());
        }
        let tail = self.buf.split_off(start);
        let mut done = 0;
        for event in &events {
            match *event {
                Event::Boundary(at) => {
                    self.write(&tail[done..at - start])?;
                    done = at - start;
                    self.boundary()?;
                }
                Event::Large { at, header, end } => {
                    let (at, end) = (at - start, end - start);
                    self.write(&tail[done..at])?;
                    self.write_large(&tail[at..at + header], &tail[at + header..end])?;
                    done = end;
                }
            }
        }
        self.write(&tail[done..])?;
        events.clear();
        self.events = events;
        Ok(())
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
        if len >= self.frame_min {
            self.buf[0] = Opcode::FRAME.0;
            self.buf[1..HEADER_LEN].copy_from_slice(&(len as u64).to_le_bytes());
            self.out.write_all(&self.buf)?;
        } else {
            self.out.write_all(&self.buf[HEADER_LEN..])?;
        }
        // Keep the header room, and the allocation, for the next frame.
        self.buf.truncate(HEADER_LEN);
        Ok(())
    }

    pub(crate) fn finish(self) -> io::Result<W> {
        Ok(self.finish_keeping_buf()?.0)
    }

    /// [`Output::finish`], handing back the buffer too, for [`Output::with_buf`].
    pub(crate) fn finish_keeping_buf(mut self) -> io::Result<(W, Vec<u8>)> {
        self.commit_frame()?;
        self.out.flush()?;
        Ok((self.out, self.buf))
    }

    fn flush_buf(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }
}
