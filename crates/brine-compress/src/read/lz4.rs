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
pub(crate) struct Decoder {
    phase: Phase,
    frame: Frame,
    /// The compressed block being read.
    src: Vec<u8>,
    /// The decompressed block being handed out: `block[block_pos..]` is still to go.
    block: Vec<u8>,
    block_pos: usize,
    /// The last `WINDOW_LEN` bytes of output before `block`, for linked blocks.
    window: Vec<u8>,
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
            block: Vec::new(),
            block_pos: 0,
            window: Vec::new(),
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
        self.block.clear();
        self.block_pos = 0;
        self.window.clear();
        self.hasher = XxHash32::with_seed(0);
        self.content_len = 0;
        Ok(true)
    }

    /// Reads the next block into `self.block`; `false` at the end mark, after the checks.
    fn read_block<R: Read>(&mut self, input: &mut Input<R>) -> Result<bool, Fault> {
        if self.frame.linked {
            push_window(&mut self.window, &self.block);
        }
        self.block.clear();
        self.block_pos = 0;
        let size = u32::from_le_bytes(input.take_array::<4>()?);
        if size == 0 {
            self.check_end(input)?;
            return Ok(false);
        }
        let stored = size & BLOCK_UNCOMPRESSED != 0;
        // A u32 always fits in usize on the targets brine supports (32 and 64 bits).
        let len = (size & !BLOCK_UNCOMPRESSED) as usize;
        if len > self.frame.max_block_len {
            return Err(Fault::Corrupt(format!(
                "block of {len} bytes is larger than the frame's maximum of {}",
                self.frame.max_block_len
            )));
        }
        self.src.resize(len, 0);
        input.take_into(&mut self.src)?;
        if self.frame.block_checksum {
            let checksum = u32::from_le_bytes(input.take_array::<4>()?);
            let actual = XxHash32::oneshot(0, &self.src);
            if checksum != actual {
                return Err(Fault::Corrupt(format!(
                    "block checksum {checksum:#010x} does not match {actual:#010x}"
                )));
            }
        }
        if stored {
            std::mem::swap(&mut self.block, &mut self.src);
        } else {
            self.block.resize(self.frame.max_block_len, 0);
            let decoded = if self.frame.linked {
                lz4_flex::block::decompress_into_with_dict(&self.src, &mut self.block, &self.window)
            } else {
                lz4_flex::block::decompress_into(&self.src, &mut self.block)
            }
            .map_err(|err| Fault::Corrupt(format!("invalid block: {err}")))?;
            self.block.truncate(decoded);
        }
        self.content_len += self.block.len() as u64;
        if let Some(content_size) = self.frame.content_size.filter(|&n| self.content_len > n) {
            return Err(Fault::Corrupt(format!(
                "frame holds more than the {content_size} bytes its header announces"
            )));
        }
        if self.frame.content_checksum {
            self.hasher.write(&self.block);
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
                    let pending = &self.block[self.block_pos..];
                    if !pending.is_empty() {
                        let n = pending.len().min(out.len());
                        out[..n].copy_from_slice(&pending[..n]);
                        self.block_pos += n;
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

/// Appends `data` to the window, keeping its last `WINDOW_LEN` bytes.
fn push_window(window: &mut Vec<u8>, data: &[u8]) {
    if data.len() >= WINDOW_LEN {
        window.clear();
        window.extend_from_slice(&data[data.len() - WINDOW_LEN..]);
        return;
    }
    let excess = (window.len() + data.len()).saturating_sub(WINDOW_LEN);
    window.drain(..excess);
    window.extend_from_slice(data);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_keeps_the_last_64_kib() {
        let mut window = Vec::new();
        push_window(&mut window, &[1; 40_000]);
        push_window(&mut window, &[2; 40_000]);
        assert_eq!(window.len(), WINDOW_LEN);
        assert_eq!(window[..WINDOW_LEN - 40_000], [1; WINDOW_LEN - 40_000]);
        push_window(&mut window, &[3; 70_000]);
        assert_eq!(window, [3; WINDOW_LEN]);
    }
}
