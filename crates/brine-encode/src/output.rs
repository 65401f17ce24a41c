//! The byte sink: protocol 4 framing, into a `std::io::Write` or in place into the pickle's
//! own vector.
//!
//! Opcodes collect in a frame buffer; at an object boundary a frame of at least 64 KiB is
//! committed behind a FRAME opcode, so memory stays bounded however large the pickle. Payloads
//! of 64 KiB or more bypass the frames: the frame so far is committed and the payload is
//! written straight from the node's bytes, unframed, as CPython writes it.
//!
//! Where the pickle goes is the [`Target`]. A writer gets each frame as it is committed, and
//! the buffer starts again. [`Memory`] keeps everything in the buffer, which is the pickle:
//! each frame's header is reserved where the frame begins and filled in when it is committed,
//! so no frame is copied (a sixth of encoding a list of floats was that copy).
//!
//! Below protocol 4 the same buffer collects the bytes and is handed to a writer in chunks
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
/// The FRAME opcode and its 8-byte length, reserved where the frame begins and filled in when
/// the frame is committed, so a frame goes out in one write (or, in memory, stays in place).
const HEADER_LEN: usize = 9;

/// The frame length (header included) at which an object boundary commits the frame (or,
/// unframed, flushes to a writer).
const COMMIT_AT: usize = FRAME_SIZE_TARGET + HEADER_LEN;

/// Where an [`crate::Emitter`] writes the pickle: any `std::io::Write`, which gets each frame
/// as it fills, or [`Memory`], whose vector is the pickle itself.
///
/// Sealed: these two are the only kinds.
pub trait Target: sealed::Sealed {
    /// What [`crate::Emitter::finish`] returns: the writer, or the pickle's bytes.
    type Done;
    /// The frames stay in the buffer, which becomes the pickle.
    #[doc(hidden)]
    const IN_PLACE: bool;
    /// Writes committed bytes (a writer only; in place nothing leaves the buffer).
    #[doc(hidden)]
    fn write_all(&mut self, data: &[u8]) -> io::Result<()>;
    /// Ends the pickle whose last bytes (all of it, in place) are `buf`.
    #[doc(hidden)]
    fn done(self, buf: Vec<u8>) -> io::Result<Self::Done>;
}

mod sealed {
    pub trait Sealed {}
}

impl<W: Write> sealed::Sealed for W {}

impl<W: Write> Target for W {
    type Done = W;
    const IN_PLACE: bool = false;

    #[inline]
    fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        Write::write_all(self, data)
    }

    fn done(mut self, buf: Vec<u8>) -> io::Result<W> {
        debug_assert!(buf.is_empty(), "the last frame was committed");
        self.flush()?;
        Ok(self)
    }
}

/// A pickle written into memory, as `to_vec` returns it: frames are written in place, their
/// headers filled in as they close, and [`crate::Emitter::finish`] returns the vector.
///
/// # Example
///
/// ```
/// use brine_encode::{Emitter, Memory, Options};
///
/// let options = Options::protocol(4);
/// let mut emitter = Emitter::new(Memory::new(), &options)?;
/// emitter.boundary()?;
/// emitter.int(1)?;
/// // pickle.dumps(1, protocol=4): too small a frame for a FRAME opcode.
/// assert_eq!(emitter.finish()?, b"\x80\x04K\x01.");
/// # Ok::<(), brine_encode::EncodeError>(())
/// ```
#[derive(Debug, Default)]
pub struct Memory {
    _private: (),
}

impl Memory {
    /// A pickle to be written into memory.
    pub fn new() -> Memory {
        Memory::default()
    }
}

impl sealed::Sealed for Memory {}

impl Target for Memory {
    type Done = Vec<u8>;
    const IN_PLACE: bool = true;

    fn write_all(&mut self, _data: &[u8]) -> io::Result<()> {
        // In place, committed bytes stay where they are.
        Ok(())
    }

    fn done(self, buf: Vec<u8>) -> io::Result<Vec<u8>> {
        Ok(buf)
    }
}

pub(crate) struct Output<W> {
    out: W,
    /// The bytes not yet handed to `out` (in place: the whole pickle); when framing, the
    /// current frame from its reserved header at `frame_start` on.
    buf: Vec<u8>,
    /// Where the current frame's header is reserved: 0 for a writer, whose buffer starts
    /// again with each frame.
    frame_start: usize,
    /// Protocol 4 and above.
    framing: bool,
    /// The buffer length from which [`Output::boundary`] does more than return:
    /// [`Output::commit_level`], or 0 while a MARK is pending so that every boundary is
    /// recorded.
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

impl<W: Target> Output<W> {
    pub(crate) fn new(out: W, frame_min: usize, large_outside: bool) -> Output<W> {
        let mut output = Output {
            out,
            buf: Vec::with_capacity(FRAME_SIZE_TARGET + 1024),
            frame_start: 0,
            framing: false,
            commit_at: 0,
            pending: Vec::new(),
            events: Vec::new(),
            frame_min,
            large_outside,
        };
        output.commit_at = output.commit_level();
        output
    }

    /// Where a boundary commits the frame, nothing pending: 64 KiB into the frame, or past
    /// the end of memory for an unframed pickle in place, which never commits.
    fn commit_level(&self) -> usize {
        if W::IN_PLACE && !self.framing {
            usize::MAX
        } else {
            self.frame_start + COMMIT_AT
        }
    }

    /// Starts protocol 4 framing; whatever was written before (PROTO) goes out first.
    pub(crate) fn start_framing(&mut self) -> io::Result<()> {
        self.flush_buf()?;
        self.framing = true;
        self.reserve_header();
        Ok(())
    }

    /// Reserves the header of a frame that begins at the end of the buffer.
    fn reserve_header(&mut self) {
        self.frame_start = self.buf.len();
        self.buf.resize(self.frame_start + HEADER_LEN, 0);
        if self.pending.is_empty() {
            self.commit_at = self.commit_level();
        }
    }

    // Always inlined: most writes are a few bytes of constant length, which then copy as a
    // move or two instead of a call to memcpy.
    #[inline(always)]
    pub(crate) fn write(&mut self, data: &[u8]) -> io::Result<()> {
        self.buf.extend_from_slice(data);
        Ok(())
    }

    /// How many bytes may be written before the next [`Output::boundary`] does anything
    /// (0 when the next one acts).
    #[inline]
    pub(crate) fn quiet_room(&self) -> usize {
        self.commit_at.saturating_sub(self.buf.len())
    }

    /// At an object boundary: commits the frame (or, unframed, flushes the buffer) once it
    /// has reached the target size.
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
        if !W::IN_PLACE {
            self.out.write_all(header)?;
            return self.out.write_all(payload);
        }
        // In place, the payload goes where the next frame's header was reserved, and the
        // header is reserved again after it.
        if self.framing {
            self.buf.truncate(self.frame_start);
        }
        self.buf.extend_from_slice(header);
        self.buf.extend_from_slice(payload);
        if self.framing {
            self.reserve_header();
        }
        Ok(())
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
            self.commit_at = self.commit_level();
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
        if !large && self.buf.len() < self.commit_at {
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

    /// Commits whatever the frame holds (unframed: flushes the buffer to a writer).
    pub(crate) fn commit_frame(&mut self) -> io::Result<()> {
        if !self.framing {
            return self.flush_buf();
        }
        let start = self.frame_start;
        let len = self.buf.len() - start - HEADER_LEN;
        if len == 0 {
            return Ok(());
        }
        if len >= self.frame_min {
            self.buf[start] = Opcode::FRAME.0;
            self.buf[start + 1..start + HEADER_LEN].copy_from_slice(&(len as u64).to_le_bytes());
        } else {
            // Too small a frame for a header: the few bytes take the header's place.
            self.buf.drain(start..start + HEADER_LEN);
        }
        if !W::IN_PLACE {
            self.out.write_all(&self.buf)?;
            // Keep the allocation for the next frame.
            self.buf.clear();
        }
        self.reserve_header();
        Ok(())
    }

    pub(crate) fn finish(mut self) -> io::Result<W::Done> {
        self.commit_frame()?;
        if self.framing {
            // The header reserved for a frame that never began.
            self.buf.truncate(self.frame_start);
        }
        self.out.done(self.buf)
    }

    fn flush_buf(&mut self) -> io::Result<()> {
        if !W::IN_PLACE && !self.buf.is_empty() {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }
}
