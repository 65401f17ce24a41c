//! Zstandard frames through libzstd's streaming decoder, which also skips skippable frames.

use std::io;

use zstd::stream::raw::InBuffer;
use zstd::stream::raw::Operation;
use zstd::stream::raw::OutBuffer;

use super::Fault;
use super::step::Progress;
use super::step::Step;
use super::step::Stepped;

/// The largest window log zstd allows on 64-bit targets (`ZSTD_WINDOWLOG_MAX_64`).
const WINDOW_LOG_MAX: u32 = 31;
/// The smallest window log zstd allows (`ZSTD_WINDOWLOG_ABSOLUTEMIN`).
const WINDOW_LOG_MIN: u32 = 10;

/// Decodes one zstd frame at a time.
pub(crate) type Decoder = Stepped<Zstd>;

/// One call of libzstd's streaming decoder.
pub(crate) struct Zstd(zstd::stream::raw::Decoder<'static>);

impl Decoder {
    pub(crate) fn new(max_memory: u64) -> io::Result<Decoder> {
        let mut inner = zstd::stream::raw::Decoder::new()?;
        let window_log = max_memory
            .checked_ilog2()
            .unwrap_or(0)
            .clamp(WINDOW_LOG_MIN, WINDOW_LOG_MAX);
        inner.set_parameter(zstd::zstd_safe::DParameter::WindowLogMax(window_log))?;
        Ok(Stepped::from_step(Zstd(inner)))
    }
}

impl Step for Zstd {
    fn step(&mut self, input: &[u8], out: &mut [u8], _at_end: bool) -> Result<Progress, Fault> {
        let mut in_buf = InBuffer::around(input);
        let mut out_buf = OutBuffer::around(out);
        let hint = self
            .0
            .run(&mut in_buf, &mut out_buf)
            .map_err(|err| fault(&err))?;
        Ok(Progress {
            consumed: in_buf.pos(),
            produced: out_buf.pos(),
            // A zero hint means the frame is decoded, checked and flushed.
            ended: hint == 0,
        })
    }

    fn restart(&mut self) -> Result<(), Fault> {
        // libzstd starts the next frame by itself once a frame is done.
        Ok(())
    }
}

fn fault(err: &io::Error) -> Fault {
    let message = err.to_string();
    if message.contains("too much memory") {
        Fault::Memory(message.to_lowercase())
    } else {
        Fault::Corrupt(message.to_lowercase())
    }
}

/// Decompresses a whole in-memory input of zstd frames that all record their content size in
/// one call, without the streaming decoder's window and its extra copy.
///
/// Returns `None` whenever that does not apply or fails (a frame without a content size, a
/// skippable frame, trailing bytes, more than `limit`, an implausible size, any error), and
/// the caller then runs the streaming decoder, which reports errors precisely.
pub(crate) fn decompress_whole(data: &[u8], limit: Option<u64>) -> Option<Vec<u8>> {
    let mut total: u64 = 0;
    let mut rest = data;
    while !rest.is_empty() {
        let content_len = zstd::zstd_safe::get_frame_content_size(rest).ok()??;
        let frame_len = zstd::zstd_safe::find_frame_compressed_size(rest).ok()?;
        total = total.checked_add(content_len)?;
        rest = rest.get(frame_len..)?;
    }
    // A header is trusted for the allocation only as far as such input plausibly expands;
    // beyond that the streaming decoder finds out the truth chunk by chunk.
    let plausible = (data.len() as u64)
        .saturating_mul(64)
        .saturating_add(1 << 20);
    if total > plausible || limit.is_some_and(|limit| total > limit) {
        return None;
    }
    let mut out = Vec::with_capacity(usize::try_from(total).ok()?);
    let mut decompressor = zstd::bulk::Decompressor::new().ok()?;
    let written = decompressor.decompress_to_buffer(data, &mut out).ok()?;
    (written as u64 == total).then_some(out)
}
