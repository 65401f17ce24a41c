//! gzip members: the RFC 1952 header and trailer parsed here as CPython's `gzip` module parses
//! them, the deflate body by `flate2`.

use std::io::Read;

use flate2::Crc;

use super::Decode;
use super::Fault;
use super::Input;
use super::inflate::Inflate;
use super::step::Step;
use super::step::pump;

/// Header flag: a two-byte CRC16 of the header follows (read and not checked, as in CPython).
const FHCRC: u8 = 0x02;
/// Header flag: a length-prefixed extra field follows.
const FEXTRA: u8 = 0x04;
/// Header flag: a zero-terminated file name follows.
const FNAME: u8 = 0x08;
/// Header flag: a zero-terminated comment follows.
const FCOMMENT: u8 = 0x10;

/// Decodes one gzip member at a time.
pub(crate) struct Decoder {
    phase: Phase,
    inflate: Inflate,
    crc: Crc,
}

enum Phase {
    Header,
    Body,
    Trailer,
    End,
}

impl Decoder {
    pub(crate) fn new() -> Decoder {
        Decoder {
            phase: Phase::Header,
            inflate: Inflate::new(false),
            crc: Crc::new(),
        }
    }
}

impl<R: Read> Decode<R> for Decoder {
    fn decode(&mut self, input: &mut Input<R>, out: &mut [u8]) -> Result<usize, Fault> {
        loop {
            match self.phase {
                Phase::Header => {
                    read_header(input)?;
                    self.phase = Phase::Body;
                }
                Phase::Body => {
                    let (produced, ended) = pump(&mut self.inflate, input, out)?;
                    self.crc.update(&out[..produced]);
                    if ended {
                        self.phase = Phase::Trailer;
                    }
                    if produced > 0 {
                        return Ok(produced);
                    }
                }
                Phase::Trailer => {
                    let trailer = input.take_array::<8>()?;
                    let [c0, c1, c2, c3, l0, l1, l2, l3] = trailer;
                    let crc = u32::from_le_bytes([c0, c1, c2, c3]);
                    let len = u32::from_le_bytes([l0, l1, l2, l3]);
                    if crc != self.crc.sum() {
                        return Err(Fault::Corrupt(format!(
                            "crc32 check failed: trailer says {crc:#010x}, data has {:#010x}",
                            self.crc.sum()
                        )));
                    }
                    if len != self.crc.amount() {
                        return Err(Fault::Corrupt(format!(
                            "length check failed: trailer says {len} bytes (mod 2**32), data has {}",
                            self.crc.amount()
                        )));
                    }
                    self.phase = Phase::End;
                }
                Phase::End => return Ok(0),
            }
        }
    }

    fn reset(&mut self) -> Result<(), Fault> {
        self.phase = Phase::Header;
        self.inflate.restart()?;
        self.crc.reset();
        Ok(())
    }
}

/// Reads a member header up to the deflate data, as `gzip._read_gzip_header` does.
fn read_header<R: Read>(input: &mut Input<R>) -> Result<(), Fault> {
    let [
        id1,
        id2,
        method,
        flags,
        _mtime0,
        _mtime1,
        _mtime2,
        _mtime3,
        _xfl,
        _os,
    ] = input.take_array::<10>()?;
    if [id1, id2] != [0x1f, 0x8b] {
        return Err(Fault::Corrupt(format!(
            "not a gzip member: magic {id1:#04x} {id2:#04x} instead of 0x1f 0x8b"
        )));
    }
    if method != 8 {
        return Err(Fault::Corrupt(format!(
            "unknown compression method {method}: only 8 (deflate) exists"
        )));
    }
    if flags & FEXTRA != 0 {
        let extra_len = u16::from_le_bytes(input.take_array::<2>()?);
        input.skip(u64::from(extra_len))?;
    }
    if flags & FNAME != 0 {
        input.skip_past_nul()?;
    }
    if flags & FCOMMENT != 0 {
        input.skip_past_nul()?;
    }
    if flags & FHCRC != 0 {
        input.take_array::<2>()?;
    }
    Ok(())
}
