//! LZ4 frames: the frame format parsed here, blocks decompressed by `lz4_flex`.
//!
//! `lz4_flex::frame::FrameDecoder` takes input that ends between two blocks for the end of the
//! frame, so brine parses the frame itself and leaves only the blocks to `lz4_flex`.
//! The format is <https://github.com/lz4/lz4/blob/dev/doc/lz4_Frame_format.md>.

use std::hash::Hasher;
use std::io::Read;

use twox_hash::XxHash32;

use super::Decode;
use super::Fault;
use super::Input;

/// The magic number of an LZ4 frame, little-endian.
const MAGIC: u32 = 0x184d_2204;
/// Skippable frames carry one of these sixteen magic numbers.
const SKIPPABLE_MAGIC: std::ops::RangeInclusive<u32> = 0x184d_2a50..=0x184d_2a5f;
/// How far back a match in a linked block may reach.
const WINDOW_LEN: usize = 64 * 1024;

/// FLG bits.
const FLG_VERSION_MASK: u8 = 0b1100_0000;
const FLG_VERSION_01: u8 = 0b0100_0000;
const FLG_INDEPENDENT_BLOCKS: u8 = 0b0010_0000;
const FLG_BLOCK_CHECKSUM: u8 = 0b0001_0000;
const FLG_CONTENT_SIZE: u8 = 0b0000_1000;
const FLG_CONTENT_CHECKSUM: u8 = 0b0000_0100;
const FLG_RESERVED: u8 = 0b0000_0010;
const FLG_DICT_ID: u8 = 0b0000_0001;
/// Block-size bits of BD; the other bits are reserved.
const BD_BLOCK_SIZE_MASK: u8 = 0b0111_0000;
/// The high bit of a block size marks a block stored uncompressed.
const BLOCK_UNCOMPRESSED: u32 = 0x8000_0000;

/// Decodes one LZ4 frame (or skips one skippable frame) at a time.
///
/// Blocks are decoded one after another into `buf`, so that for linked blocks the 64 KiB
/// before a block are the bytes just before it; when `buf` is full its last 64 KiB move to
/// the front.
pub(crate) struct Decoder {
    phase: Phase,
    frame: Frame,
    /// The compressed block being read.
    src: Vec<u8>,
    /// Decoded output; `buf[out_pos..out_end]` is still to be handed out.
    buf: Vec<u8>,
    out_pos: usize,
    out_end: usize,
    hasher: XxHash32,
    content_len: u64,
}

enum Phase {
    Header,
    Blocks,
    End,
}

/// What a frame descriptor says.
#[derive(Default)]
struct Frame {
    linked: bool,
    block_checksum: bool,
    content_checksum: bool,
    content_size: Option<u64>,
    max_block_len: usize,
}

impl Decoder {
    pub(crate) fn new() -> Decoder {
        Decoder {
            phase: Phase::Header,
            frame: Frame::default(),
            src: Vec::new(),
            buf: Vec::new(),
            out_pos: 0,
            out_end: 0,
            hasher: XxHash32::with_seed(0),
            content_len: 0,
        }
    }

    /// Reads a frame header; `false` when it was a skippable frame, now skipped.
    fn read_header<R: Read>(&mut self, input: &mut Input<R>) -> Result<bool, Fault> {
        let magic = u32::from_le_bytes(input.take_array::<4>()?);
        if SKIPPABLE_MAGIC.contains(&magic) {
            let len = u32::from_le_bytes(input.take_array::<4>()?);
            input.skip(u64::from(len))?;
            return Ok(false);
        }
        if magic != MAGIC {
            return Err(Fault::Corrupt(format!(
                "not an lz4 frame: magic {magic:#010x} instead of {MAGIC:#010x}"
            )));
        }
        let [flg, bd] = input.take_array::<2>()?;
        if flg & FLG_VERSION_MASK != FLG_VERSION_01 {
            return Err(Fault::Corrupt(format!(
                "unsupported frame version {}",
                (flg & FLG_VERSION_MASK) >> 6
            )));
        }
        if flg & FLG_RESERVED != 0 || bd & !BD_BLOCK_SIZE_MASK != 0 {
            return Err(Fault::Corrupt(
                "reserved bits are set in the frame descriptor".to_owned(),
            ));
        }
        if flg & FLG_DICT_ID != 0 {
            return Err(Fault::Corrupt(
                "frames that need a dictionary are not supported".to_owned(),
            ));
        }
        let max_block_len = match (bd & BD_BLOCK_SIZE_MASK) >> 4 {
            4 => 64 * 1024,
            5 => 256 * 1024,
            6 => 1024 * 1024,
            7 => 4 * 1024 * 1024,
            other => {
                return Err(Fault::Corrupt(format!(
                    "invalid block maximum size code {other}: expected 4 to 7"
                )));
            }
        };
        let mut descriptor = vec![flg, bd];
        let content_size = if flg & FLG_CONTENT_SIZE != 0 {
            let bytes = input.take_array::<8>()?;
            descriptor.extend_from_slice(&bytes);
            Some(u64::from_le_bytes(bytes))
        } else {
            None
        };
        let [header_checksum] = input.take_array::<1>()?;
        let expected = (XxHash32::oneshot(0, &descriptor) >> 8) as u8;
        if header_checksum != expected {
            return Err(Fault::Corrupt(format!(
                "header checksum {header_checksum:#04x} does not match {expected:#04x}"
            )));
        }
        self.frame = Frame {
            linked: flg & FLG_INDEPENDENT_BLOCKS == 0,
            block_checksum: flg & FLG_BLOCK_CHECKSUM != 0,
            content_checksum: flg & FLG_CONTENT_CHECKSUM != 0,
            content_size,
            max_block_len,
        };
        // Growing only: the buffers keep their size from frame to frame, without zeroing.
        let buf_len = WINDOW_LEN + (2 * max_block_len).max(1 << 20);
        if self.buf.len() < buf_len {
            self.buf.resize(buf_len, 0);
        }
        if self.src.len() < max_block_len {
            self.src.resize(max_block_len, 0);
        }
        self.out_pos = 0;
        self.out_end = 0;
        self.hasher = XxHash32::with_seed(0);
        self.content_len = 0;
        Ok(true)
    }

    /// Decodes the next block into `buf[out_pos..out_end]`; `false` at the end mark, after the
    /// checks.
    fn read_block<R: Read>(&mut self, input: &mut Input<R>) -> Result<bool, Fault> {
        let size = u32::from_le_bytes(input.take_array::<4>()?);
        if size == 0 {
            self.check_end(input)?;
            return Ok(false);
        }
        let stored = size & BLOCK_UNCOMPRESSED != 0;
        // A u32 always fits in usize on the targets brine supports (32 and 64 bits).
        let len = (size & !BLOCK_UNCOMPRESSED) as usize;
        let max_block_len = self.frame.max_block_len;
        if len > max_block_len {
            return Err(Fault::Corrupt(format!(
                "block of {len} bytes is larger than the frame's maximum of {max_block_len}"
            )));
        }
        // Where this block goes: after the previous one, or at the front once `buf` is full,
        // keeping the last 64 KiB before it for linked blocks.
        let mut pos = self.out_end;
        if pos + max_block_len > self.buf.len() {
            let keep = if self.frame.linked {
                pos.min(WINDOW_LEN)
            } else {
                0
            };
            self.buf.copy_within(pos - keep..pos, 0);
            pos = keep;
        }
        let src = &mut self.src[..len];
        input.take_into(if stored {
            &mut self.buf[pos..pos + len]
        } else {
            &mut *src
        })?;
        if self.frame.block_checksum {
            let checksum = u32::from_le_bytes(input.take_array::<4>()?);
            let raw = if stored {
                &self.buf[pos..pos + len]
            } else {
                &self.src[..len]
            };
            let actual = XxHash32::oneshot(0, raw);
            if checksum != actual {
                return Err(Fault::Corrupt(format!(
                    "block checksum {checksum:#010x} does not match {actual:#010x}"
                )));
            }
        }
        let decoded = if stored {
            len
        } else {
            let (before, after) = self.buf.split_at_mut(pos);
            let out = &mut after[..max_block_len];
            let src = &self.src[..len];
            if self.frame.linked && pos > 0 {
                let dict = &before[pos.saturating_sub(WINDOW_LEN)..];
                lz4_flex::block::decompress_into_with_dict(src, out, dict)
            } else {
                lz4_flex::block::decompress_into(src, out)
            }
            .map_err(|err| Fault::Corrupt(format!("invalid block: {err}")))?
        };
        self.out_pos = pos;
        self.out_end = pos + decoded;
        self.content_len += decoded as u64;
        if let Some(content_size) = self.frame.content_size.filter(|&n| self.content_len > n) {
            return Err(Fault::Corrupt(format!(
                "frame holds more than the {content_size} bytes its header announces"
            )));
        }
        if self.frame.content_checksum {
            self.hasher.write(&self.buf[self.out_pos..self.out_end]);
        }
        Ok(true)
    }

    fn check_end<R: Read>(&mut self, input: &mut Input<R>) -> Result<(), Fault> {
        if let Some(content_size) = self.frame.content_size.filter(|&n| n != self.content_len) {
            return Err(Fault::Corrupt(format!(
                "frame holds {} bytes but its header announces {content_size}",
                self.content_len
            )));
        }
        if self.frame.content_checksum {
            let checksum = u32::from_le_bytes(input.take_array::<4>()?);
            let actual = self.hasher.finish_32();
            if checksum != actual {
                return Err(Fault::Corrupt(format!(
                    "content checksum {checksum:#010x} does not match {actual:#010x}"
                )));
            }
        }
        Ok(())
    }
}

impl<R: Read> Decode<R> for Decoder {
    fn decode(&mut self, input: &mut Input<R>, out: &mut [u8]) -> Result<usize, Fault> {
        loop {
            match self.phase {
                Phase::Header => {
                    self.phase = if self.read_header(input)? {
                        Phase::Blocks
                    } else {
                        Phase::End
                    };
                }
                Phase::Blocks => {
                    let pending = &self.buf[self.out_pos..self.out_end];
                    if !pending.is_empty() {
                        let n = pending.len().min(out.len());
                        out[..n].copy_from_slice(&pending[..n]);
                        self.out_pos += n;
                        return Ok(n);
                    }
                    if !self.read_block(input)? {
                        self.phase = Phase::End;
                    }
                }
                Phase::End => return Ok(0),
            }
        }
    }

    fn reset(&mut self) -> Result<(), Fault> {
        self.phase = Phase::Header;
        Ok(())
    }
}
