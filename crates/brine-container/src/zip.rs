//! Zip archives read the way PyTorch's reader (miniz) reads them, and checked the way a
//! careful reader would: central directory first, local headers compared with it, every
//! member opened whatever its name.

use std::collections::HashSet;

use bytes::Bytes;

use crate::Body;
use crate::walk::Walker;

const LOCAL: &[u8; 4] = b"PK\x03\x04";
const CENTRAL: &[u8; 4] = b"PK\x01\x02";
const EOCD: &[u8; 4] = b"PK\x05\x06";
const EOCD64: &[u8; 4] = b"PK\x06\x06";
const EOCD64_LOCATOR: &[u8; 4] = b"PK\x06\x07";

/// Flag bit 0: the member is encrypted.
const ENCRYPTED: u16 = 0x0001;
/// Flag bit 3: sizes and CRC follow the data, in a data descriptor.
const DATA_DESCRIPTOR: u16 = 0x0008;

/// A member as a header describes it.
#[derive(Debug, Clone)]
struct Member {
    name: String,
    flags: u16,
    method: u16,
    crc: u32,
    compressed: u64,
    uncompressed: u64,
    /// Where its local header starts.
    local_offset: u64,
}

/// Where the end-of-central-directory record starts: searched backwards over the last
/// 64 KiB + 22 bytes, as miniz and Python's zipfile do.
pub(crate) fn find_eocd(data: &[u8]) -> Option<usize> {
    if data.len() < 22 {
        return None;
    }
    let lowest = data.len().saturating_sub(22 + 0xffff);
    let window = &data[lowest..data.len() - 18];
    // The last signature is the record: a comment that runs past the end is tolerated, as
    // miniz tolerates it.
    memchr::memmem::rfind(window, EOCD).map(|pos| lowest + pos)
}

/// Whether a well-formed local header starts within the first 64 KiB: an archive after a
/// stub, whose end may be cut off.
pub(crate) fn starts_soon(data: &[u8]) -> bool {
    let head = &data[..data.len().min(1 << 16)];
    memchr::memmem::find_iter(head, LOCAL).any(|pos| {
        local_header(data, pos as u64)
            .is_ok_and(|(member, _)| matches!(member.method, 0 | 8) && !member.name.is_empty())
    })
}

pub(crate) fn walk(walker: &mut Walker<'_>, path: &mut Vec<String>, data: Bytes, depth: usize) {
    let central = find_eocd(&data)
        .ok_or_else(|| "no end-of-central-directory record".to_owned())
        .and_then(|eocd| central_directory(&data, eocd));
    let mut listed = HashSet::new();
    let first_local = memchr::memmem::find(&data, LOCAL);
    match central {
        Ok((members, base)) => {
            if base > 0 {
                walker.emit(
                    path,
                    Body::Note(format!(
                        "{base} bytes before the zip archive: Python's zipfile reads it, \
                         torch.load does not (it wants the archive at the start)"
                    )),
                );
            }
            note_torchscript(walker, path, &members);
            for member in &members {
                listed.insert(member.local_offset);
                open_member(walker, path, &data, member, true, depth);
            }
            // The other view: members that only the local headers show.
            let start = first_local.unwrap_or(data.len());
            scan_locals(walker, path, &data, start, &members, &listed, depth);
        }
        Err(reason) => {
            walker.emit(
                path,
                Body::Inconclusive(format!(
                    "zip archive without a readable central directory ({reason}): PyTorch and \
                     Python's zipfile refuse it; members found by their local headers"
                )),
            );
            if let Some(start) = first_local {
                scan_locals(walker, path, &data, start, &[], &listed, depth);
            }
        }
    }
}

/// Reports a TorchScript archive (its `code/` is compiled and run by `torch.jit.load`).
fn note_torchscript(walker: &mut Walker<'_>, path: &[String], members: &[Member]) {
    let is = |suffix: &str| {
        members
            .iter()
            .any(|m| m.name == suffix || m.name.ends_with(&format!("/{suffix}")))
    };
    let code = members
        .iter()
        .filter(|m| m.name.starts_with("code/") || m.name.contains("/code/"))
        .filter(|m| !m.name.ends_with('/'))
        .count();
    if is("constants.pkl") && code > 0 {
        walker.emit(
            path,
            Body::Note(format!(
                "TorchScript archive: {code} files under code/ hold TorchScript source, which \
                 torch.jit.load compiles and runs; its pickles are scanned, its code is not"
            )),
        );
    }
}

/// The members the central directory lists, and how far the archive sits into `data` (bytes
/// before it, as in a self-extracting archive).
fn central_directory(data: &[u8], eocd: usize) -> Result<(Vec<Member>, u64), String> {
    let mut count = u64::from(u16_at(data, eocd + 10));
    let mut size = u64::from(u32_at(data, eocd + 12));
    let mut offset = u64::from(u32_at(data, eocd + 16));
    // Where the central directory really starts: just before the EOCD (or the zip64 records).
    let mut cd_end = eocd as u64;
    if eocd >= 20 && data[eocd - 20..].starts_with(EOCD64_LOCATOR) {
        let record = u64_at(data, eocd - 20 + 8);
        let record = usize::try_from(record)
            .ok()
            .filter(|&r| r + 56 <= data.len() && data[r..].starts_with(EOCD64))
            // An archive with bytes before it: the record sits just before the locator.
            .or_else(|| {
                let r = (eocd - 20).checked_sub(56)?;
                data[r..].starts_with(EOCD64).then_some(r)
            })
            .ok_or("zip64 end-of-central-directory record not found")?;
        count = u64_at(data, record + 32);
        size = u64_at(data, record + 40);
        offset = u64_at(data, record + 48);
        cd_end = record as u64;
    }
    let cd_start = cd_end
        .checked_sub(size)
        .ok_or("the central directory is larger than what precedes its end record")?;
    let base = cd_start
        .checked_sub(offset)
        .ok_or("the central directory is not where its end record says")?;
    let mut members = Vec::new();
    let mut pos = usize::try_from(cd_start).map_err(|_| "central directory offset too large")?;
    // The count is a claim: the records are read while they are there.
    while pos + 46 <= data.len() && data[pos..].starts_with(CENTRAL) {
        let name_len = usize::from(u16_at(data, pos + 28));
        let extra_len = usize::from(u16_at(data, pos + 30));
        let comment_len = usize::from(u16_at(data, pos + 32));
        let name_end = pos + 46 + name_len;
        let extra_end = name_end + extra_len;
        if extra_end > data.len() {
            return Err(format!("central directory record at {pos} is cut short"));
        }
        let mut member = Member {
            name: String::from_utf8_lossy(&data[pos + 46..name_end]).into_owned(),
            flags: u16_at(data, pos + 8),
            method: u16_at(data, pos + 10),
            crc: u32_at(data, pos + 16),
            compressed: u64::from(u32_at(data, pos + 20)),
            uncompressed: u64::from(u32_at(data, pos + 24)),
            local_offset: u64::from(u32_at(data, pos + 42)),
        };
        zip64_extra(&data[name_end..extra_end], &mut member);
        member.local_offset = member.local_offset.saturating_add(base);
        members.push(member);
        pos = extra_end + comment_len;
    }
    if members.is_empty() && count > 0 {
        return Err(format!(
            "the end record lists {count} members, none is there"
        ));
    }
    Ok((members, base))
}

/// Applies the zip64 extended information field: the 64-bit values of the fields that are
/// 0xffffffff in the record, in order.
fn zip64_extra(mut extra: &[u8], member: &mut Member) {
    while extra.len() >= 4 {
        let id = u16::from_le_bytes([extra[0], extra[1]]);
        let len = usize::from(u16::from_le_bytes([extra[2], extra[3]]));
        let Some(body) = extra.get(4..4 + len) else {
            return;
        };
        if id == 0x0001 {
            let mut values = body.chunks_exact(8).map(|c| u64_at(c, 0));
            for field in [
                &mut member.uncompressed,
                &mut member.compressed,
                &mut member.local_offset,
            ] {
                if *field == 0xffff_ffff {
                    match values.next() {
                        Some(value) => *field = value,
                        None => return,
                    }
                }
            }
        }
        extra = &extra[4 + len..];
    }
}

/// The local header at `offset`: the member it describes, and where its data starts.
fn local_header(data: &[u8], offset: u64) -> Result<(Member, usize), String> {
    let pos = usize::try_from(offset)
        .ok()
        .filter(|&pos| pos + 30 <= data.len())
        .ok_or_else(|| format!("local header at {offset} is past the end of the archive"))?;
    if !data[pos..].starts_with(LOCAL) {
        return Err(format!("no local header signature at {offset}"));
    }
    let name_len = usize::from(u16_at(data, pos + 26));
    let extra_len = usize::from(u16_at(data, pos + 28));
    let name_end = pos + 30 + name_len;
    let data_start = name_end + extra_len;
    if data_start > data.len() {
        return Err(format!("local header at {offset} is cut short"));
    }
    let mut member = Member {
        name: String::from_utf8_lossy(&data[pos + 30..name_end]).into_owned(),
        flags: u16_at(data, pos + 6),
        method: u16_at(data, pos + 8),
        crc: u32_at(data, pos + 14),
        compressed: u64::from(u32_at(data, pos + 18)),
        uncompressed: u64::from(u32_at(data, pos + 22)),
        local_offset: offset,
    };
    zip64_extra(&data[name_end..data_start], &mut member);
    member.local_offset = offset;
    // Read once: in a mapped checkpoint, the page around it need not stay resident.
    brine_mmap::release(&data[pos..data_start]);
    Ok((member, data_start))
}

/// Opens one member and walks its content. `central` says the sizes come from the central
/// directory, which PyTorch trusts over the local header. Returns where its data ends, when
/// known.
fn open_member(
    walker: &mut Walker<'_>,
    path: &mut Vec<String>,
    data: &Bytes,
    member: &Member,
    central: bool,
    depth: usize,
) -> Option<usize> {
    let name = &member.name;
    let (local, data_start) = match local_header(data, member.local_offset) {
        Ok(local) => local,
        Err(reason) => {
            walker.emit_in(path, name, Body::Inconclusive(reason));
            return None;
        }
    };
    if central && local.name != *name {
        walker.emit(
            path,
            Body::Note(format!(
                "member `{name}` is named `{}` in its local header: PyTorch and Python's \
                 zipfile go by the central name, streaming readers by the local one",
                local.name
            )),
        );
    }
    if name.ends_with('/') && member.compressed == 0 {
        return Some(data_start);
    }
    if member.flags & ENCRYPTED != 0 {
        walker.emit_in(
            path,
            name,
            Body::Inconclusive("encrypted member: not opened".into()),
        );
        return None;
    }
    let sizes_known = central || member.flags & DATA_DESCRIPTOR == 0;
    let (content, data_end) = if sizes_known {
        let end = usize::try_from(member.compressed)
            .ok()
            .and_then(|len| data_start.checked_add(len))
            .filter(|&end| end <= data.len());
        let Some(end) = end else {
            walker.emit_in(
                path,
                name,
                Body::Inconclusive(format!(
                    "member data runs past the end of the archive: {} bytes claimed, {} there",
                    member.compressed,
                    data.len() - data_start
                )),
            );
            return None;
        };
        if let Some(body) = large_member(walker, member, &data.slice(data_start..end)) {
            walker.emit_in(path, name, body);
            return Some(end);
        }
        match decode(walker, member.method, &data.slice(data_start..end), None) {
            Ok((content, _)) => (content, end),
            Err(reason) => {
                walker.emit_in(path, name, Body::Inconclusive(reason));
                return Some(end);
            }
        }
    } else {
        // A data descriptor and no central record: only a deflate stream shows its own end.
        match decode(walker, member.method, &data.slice(data_start..), Some(())) {
            Ok((content, used)) => (content, data_start + used),
            Err(reason) => {
                walker.emit_in(path, name, Body::Inconclusive(reason));
                return None;
            }
        }
    };
    if sizes_known && member.flags & DATA_DESCRIPTOR == 0 || central {
        let crc = crc32(&content);
        if crc != member.crc {
            walker.emit(
                path,
                Body::Note(format!(
                    "member `{name}` has CRC-32 {crc:08x}, its header says {:08x}: PyTorch's \
                     reader does not check it, Python's zipfile refuses the member",
                    member.crc
                )),
            );
        }
    }
    walker.walk_member(path, name, content, depth);
    Some(data_end)
}

/// Members this large are sniffed by their first bytes before anything else is done with
/// them; smaller ones are read whole (their CRC-32 checked) as before.
const LARGE_MEMBER: u64 = 1 << 20;

/// How much of a large deflated member is inflated to sniff it: what `sniff::kind` and
/// `starts_soon` look at.
const SNIFF_HEAD: usize = 1 << 16;

/// What a large member is when its first bytes settle it, without reading the rest: raw data
/// (a checkpoint's storage) is skipped by its declared length, never copied, CRC-checked or
/// inflated beyond its head, so a multi-GB checkpoint scans in bounded memory; a deflated
/// member that declares more than the member limit is inconclusive without being inflated.
/// `None` when the member must be opened whole (it is small, or its head is a pickle or a
/// container).
fn large_member(walker: &Walker<'_>, member: &Member, raw: &Bytes) -> Option<Body> {
    match member.method {
        0 if raw.len() as u64 >= LARGE_MEMBER => is_raw_data(raw, true).then(|| {
            brine_mmap::release(raw);
            Body::Skipped(format!(
                "{} bytes of data, no pickle or container (a large member: read no further \
                 than its first and last bytes, its CRC-32 not checked)",
                raw.len()
            ))
        }),
        8 if member.uncompressed > walker.member_limit() => Some(Body::Inconclusive(format!(
            "member declares {} bytes inflated, more than the limit of {} bytes: not inflated",
            member.uncompressed,
            walker.member_limit()
        ))),
        8 if member.uncompressed >= LARGE_MEMBER => {
            let head = inflate_head(raw, SNIFF_HEAD)?;
            is_raw_data(&head, false).then(|| {
                brine_mmap::release(raw);
                Body::Skipped(format!(
                    "{} bytes deflated to {} declared, no pickle or container in its first {} \
                     bytes: inflated no further, its CRC-32 not checked",
                    raw.len(),
                    member.uncompressed,
                    head.len()
                ))
            })
        }
        _ => None,
    }
}

/// Whether `data` (a member, or with `whole` false only its head) holds no pickle and no
/// container: what the walker would report as raw data.
fn is_raw_data(data: &[u8], whole: bool) -> bool {
    crate::sniff::kind(data) == crate::sniff::Kind::Unknown
        && !(whole && find_eocd(data).is_some())
        && !starts_soon(data)
}

/// The first `len` bytes raw deflate data inflates to; `None` when it ends sooner (then the
/// member is small after all, and is opened whole) or is not valid deflate.
fn inflate_head(raw: &[u8], len: usize) -> Option<Vec<u8>> {
    let mut inflater = flate2::Decompress::new(false);
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        let (used, made) = (inflater.total_in(), inflater.total_out());
        let status = inflater
            .decompress_vec(
                &raw[used as usize..],
                &mut out,
                flate2::FlushDecompress::None,
            )
            .ok()?;
        if status == flate2::Status::StreamEnd
            || (inflater.total_in(), inflater.total_out()) == (used, made)
        {
            return None;
        }
    }
    Some(out)
}

/// Walks the local headers from `start` in order, opening those the central directory does
/// not list.
fn scan_locals(
    walker: &mut Walker<'_>,
    path: &mut Vec<String>,
    data: &Bytes,
    start: usize,
    members: &[Member],
    listed: &HashSet<u64>,
    depth: usize,
) {
    let mut pos = start;
    while pos + 30 <= data.len() && data[pos..].starts_with(LOCAL) {
        let offset = pos as u64;
        let next = if listed.contains(&offset) {
            // Listed and opened already: step over it by the central sizes.
            let Some(member) = members.iter().find(|m| m.local_offset == offset) else {
                return;
            };
            let Ok((_, data_start)) = local_header(data, offset) else {
                return;
            };
            let descriptor = if member.flags & DATA_DESCRIPTOR != 0 {
                descriptor_len(data, data_start, member.compressed)
            } else {
                0
            };
            usize::try_from(member.compressed)
                .ok()
                .and_then(|len| data_start.checked_add(len)?.checked_add(descriptor))
        } else {
            let Ok((member, _)) = local_header(data, offset) else {
                walker.emit(
                    path,
                    Body::Inconclusive(format!("bad local header at {offset}")),
                );
                return;
            };
            if !members.is_empty() {
                walker.emit(
                    path,
                    Body::Note(format!(
                        "member `{}` is in the local headers but not in the central directory: \
                         streaming readers see it, PyTorch and Python's zipfile do not",
                        member.name
                    )),
                );
            }
            open_member(walker, path, data, &member, false, depth).map(|end| {
                let descriptor = if member.flags & DATA_DESCRIPTOR != 0 {
                    descriptor_len(data, end, 0)
                } else {
                    0
                };
                end + descriptor
            })
        };
        match next {
            Some(next) if next > pos => pos = next,
            _ => return,
        }
    }
}

/// The length of the data descriptor at `pos + compressed`: 12 bytes, 16 with its optional
/// signature.
fn descriptor_len(data: &[u8], pos: usize, compressed: u64) -> usize {
    let at = usize::try_from(compressed)
        .ok()
        .and_then(|len| pos.checked_add(len));
    match at {
        Some(at)
            if data
                .get(at..)
                .is_some_and(|rest| rest.starts_with(b"PK\x07\x08")) =>
        {
            16
        }
        _ => 12,
    }
}

/// The content of a member stored with `method`, and how many bytes of `raw` it used.
/// `until_end` asks for a stream that ends itself (deflate), for a member of unknown size.
fn decode(
    walker: &mut Walker<'_>,
    method: u16,
    raw: &Bytes,
    until_end: Option<()>,
) -> Result<(Bytes, usize), String> {
    match method {
        0 if until_end.is_none() => Ok((raw.clone(), raw.len())),
        0 => Err("stored member of unknown size (data descriptor, no central record)".into()),
        8 => {
            let limit = walker.member_limit();
            let (out, used) = inflate(raw, limit)?;
            walker.charge(out.len() as u64);
            Ok((Bytes::from(out), used))
        }
        // bzip2 and zstd members hold the codec's own stream.
        12 | 93 if until_end.is_none() => {
            let mut options = brine_compress::Options::default();
            options.max_decompressed_len = walker.member_limit();
            let out = brine_compress::decompress(raw, &options).map_err(|err| err.to_string())?;
            walker.charge(out.len() as u64);
            Ok((Bytes::from(out), raw.len()))
        }
        other => Err(format!("compression method {other} is not supported")),
    }
}

/// Inflates raw deflate data to its end, refusing to produce more than `limit` bytes.
fn inflate(raw: &[u8], limit: u64) -> Result<(Vec<u8>, usize), String> {
    let mut inflater = flate2::Decompress::new(false);
    let mut out = Vec::with_capacity(raw.len().min(1 << 20) * 2);
    loop {
        if out.len() as u64 > limit {
            return Err(format!(
                "member inflates to more than the limit of {limit} bytes"
            ));
        }
        if out.capacity() - out.len() < 1 << 15 {
            out.reserve(out.len().max(1 << 16));
        }
        let (used, made) = (inflater.total_in(), inflater.total_out());
        let status = inflater
            .decompress_vec(
                &raw[used as usize..],
                &mut out,
                flate2::FlushDecompress::None,
            )
            .map_err(|err| format!("invalid deflate data: {err}"))?;
        if status == flate2::Status::StreamEnd {
            if out.len() as u64 > limit {
                return Err(format!(
                    "member inflates to more than the limit of {limit} bytes"
                ));
            }
            return Ok((out, inflater.total_in() as usize));
        }
        if (inflater.total_in(), inflater.total_out()) == (used, made) {
            return Err("deflate data ends before its last block".into());
        }
    }
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = flate2::Crc::new();
    crc.update(data);
    crc.sum()
}

fn u16_at(data: &[u8], pos: usize) -> u16 {
    match data.get(pos..pos + 2) {
        Some(b) => u16::from_le_bytes([b[0], b[1]]),
        None => 0,
    }
}

fn u32_at(data: &[u8], pos: usize) -> u32 {
    match data.get(pos..pos + 4) {
        Some(b) => u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
        None => 0,
    }
}

fn u64_at(data: &[u8], pos: usize) -> u64 {
    match data.get(pos..pos + 8) {
        Some(b) => u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
        None => 0,
    }
}

/// The members of a zip archive by their central names, with their contents: stored members
/// as slices of `data` (no copy), deflated ones inflated within `limit` bytes each. For
/// readers that want members by name (a checkpoint's storages), not a walk.
pub(crate) fn members(data: &Bytes, limit: u64) -> Result<Vec<(String, Bytes)>, String> {
    let eocd = find_eocd(data).ok_or("no end-of-central-directory record")?;
    let (members, _) = central_directory(data, eocd)?;
    let mut out = Vec::with_capacity(members.len());
    for member in members {
        if member.flags & ENCRYPTED != 0 {
            return Err(format!("member `{}` is encrypted", member.name));
        }
        let (_, start) = local_header(data, member.local_offset)?;
        let end = usize::try_from(member.compressed)
            .ok()
            .and_then(|len| start.checked_add(len))
            .filter(|&end| end <= data.len())
            .ok_or_else(|| format!("member `{}` runs past the end of the archive", member.name))?;
        let raw = data.slice(start..end);
        let content = match member.method {
            0 => raw,
            8 => Bytes::from(inflate(&raw, limit)?.0),
            other => {
                return Err(format!(
                    "member `{}`: compression method {other} is not supported",
                    member.name
                ));
            }
        };
        out.push((member.name, content));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Entry, Limits};

    /// A zip of stored members, as Python's zipfile writes one (no extra fields).
    fn stored_zip(members: &[(&str, &[u8])]) -> Vec<u8> {
        let (mut out, mut central) = (Vec::new(), Vec::new());
        for (name, data) in members {
            let offset = out.len() as u32;
            let crc = crc32(data);
            let fixed = |sig: &[u8]| {
                let mut header = sig.to_vec();
                header.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0x21, 0]);
                header.extend_from_slice(&crc.to_le_bytes());
                header.extend_from_slice(&(data.len() as u32).to_le_bytes());
                header.extend_from_slice(&(data.len() as u32).to_le_bytes());
                header.extend_from_slice(&(name.len() as u16).to_le_bytes());
                header
            };
            out.extend(fixed(LOCAL));
            out.extend_from_slice(&[0, 0]);
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(data);
            central.extend_from_slice(CENTRAL);
            central.extend_from_slice(&[20, 0]);
            central.extend(fixed(b""));
            central.extend_from_slice(&[0; 12]);
            central.extend_from_slice(&offset.to_le_bytes());
            central.extend_from_slice(name.as_bytes());
        }
        let (cd_offset, cd_len) = (out.len() as u32, central.len() as u32);
        out.extend(central);
        out.extend_from_slice(EOCD);
        out.extend_from_slice(&[0, 0, 0, 0]);
        let count = (members.len() as u16).to_le_bytes();
        out.extend_from_slice(&[count[0], count[1], count[0], count[1]]);
        out.extend_from_slice(&cd_len.to_le_bytes());
        out.extend_from_slice(&cd_offset.to_le_bytes());
        out.extend_from_slice(&[0, 0]);
        out
    }

    fn walk_zip(data: Vec<u8>) -> Vec<Entry> {
        let mut entries = Vec::new();
        crate::walk(
            "z.pt",
            Bytes::from(data),
            &Limits::default(),
            &mut |entry| entries.push(entry),
        );
        entries
    }

    #[test]
    fn a_large_stored_storage_is_skipped_by_its_head() {
        let storage = vec![0x3f; 3 << 20];
        let mut pickle = b"\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00\x00C\x00".to_vec();
        pickle.extend(std::iter::repeat_n(b'N', 2 << 20));
        pickle.push(b'.');
        let entries = walk_zip(stored_zip(&[
            ("a/data/0", &storage),
            ("a/big.pkl", &pickle),
        ]));
        let kinds: Vec<_> = entries
            .iter()
            .map(|entry| (entry.path[1..].join("/"), &entry.body))
            .collect();
        assert!(
            matches!(&kinds[0], (name, Body::Skipped(what)) if name == "a/data/0"
                && what.contains("CRC-32 not checked")),
            "{kinds:?}"
        );
        // A large member whose head is a pickle is read whole.
        assert!(
            matches!(&kinds[1], (name, Body::Pickle { data, .. }) if name == "a/big.pkl"
                && data.len() == pickle.len()),
            "{kinds:?}"
        );
    }
}
