//! Tar archives: ustar, GNU and old (pre-POSIX) headers, with GNU long names and pax paths;
//! the legacy PyTorch tar format is recognised by its members and handed to `torch`.

use bytes::Bytes;

use crate::Body;
use crate::walk::Walker;

const BLOCK: usize = 512;

/// Whether `data` starts with a tar header: a name, and a checksum that matches.
pub(crate) fn is_header(data: &[u8]) -> bool {
    let Some(header) = data.get(..BLOCK) else {
        return false;
    };
    header[0] != 0 && checksum_ok(header)
}

fn checksum_ok(header: &[u8]) -> bool {
    let Some(stored) = octal(&header[148..156]) else {
        return false;
    };
    // The sum of the header's bytes, with the checksum field counted as spaces; old tars
    // summed signed bytes.
    let unsigned: u64 = header
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                32
            } else {
                u64::from(b)
            }
        })
        .sum();
    let signed: i64 = header
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                32
            } else {
                i64::from(b as i8)
            }
        })
        .sum();
    stored == unsigned || i64::try_from(stored).is_ok_and(|stored| stored == signed)
}

/// An octal number field (NUL- or space-terminated), or GNU's base-256 form.
fn octal(field: &[u8]) -> Option<u64> {
    if field.first().is_some_and(|&b| b & 0x80 != 0) {
        let mut value: u64 = u64::from(field[0] & 0x7f);
        for &b in &field[1..] {
            value = value.checked_mul(256)?.checked_add(u64::from(b))?;
        }
        return Some(value);
    }
    let text = field
        .iter()
        .skip_while(|&&b| b == b' ')
        .take_while(|&&b| b != 0 && b != b' ');
    let mut value: u64 = 0;
    let mut digits = 0;
    for &b in text {
        if !(b'0'..=b'7').contains(&b) {
            return None;
        }
        value = value.checked_mul(8)?.checked_add(u64::from(b - b'0'))?;
        digits += 1;
    }
    (digits > 0).then_some(value)
}

/// A regular file of the archive.
pub(crate) struct TarMember {
    pub(crate) name: String,
    pub(crate) data: Bytes,
}

pub(crate) fn walk(walker: &mut Walker<'_>, path: &mut Vec<String>, data: Bytes, depth: usize) {
    let (members, fault) = read(&data);
    let names: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
    let legacy_torch = fault.is_none()
        && ["storages", "tensors", "pickle"]
            .iter()
            .all(|name| names.contains(name));
    if legacy_torch {
        crate::torch::walk_legacy_tar(walker, path, members, depth);
    } else {
        for member in members {
            walker.walk_member(path, &member.name, member.data, depth);
        }
    }
    if let Some(fault) = fault {
        walker.emit(path, Body::Inconclusive(fault));
    }
}

/// The regular files of the archive, and why it could not be read to its end.
pub(crate) fn read(data: &Bytes) -> (Vec<TarMember>, Option<String>) {
    let mut members = Vec::new();
    let mut pos = 0;
    let mut long_name: Option<String> = None;
    loop {
        let Some(header) = data.get(pos..pos + BLOCK) else {
            let fault = if pos == data.len() {
                "tar archive ends without its end-of-archive blocks".to_owned()
            } else {
                format!("tar archive ends inside the header at {pos}")
            };
            return (members, Some(fault));
        };
        if header.iter().all(|&b| b == 0) {
            return (members, None);
        }
        if !checksum_ok(header) {
            return (
                members,
                Some(format!("tar header at {pos} has a bad checksum")),
            );
        }
        let Some(size) = octal(&header[124..136]) else {
            return (members, Some(format!("tar header at {pos} has a bad size")));
        };
        let start = pos + BLOCK;
        let end = usize::try_from(size)
            .ok()
            .and_then(|size| start.checked_add(size));
        let Some(end) = end.filter(|&end| end <= data.len()) else {
            let name = field_text(&header[..100]);
            return (
                members,
                Some(format!(
                    "tar member `{name}` claims {size} bytes, {} are there",
                    data.len().saturating_sub(start)
                )),
            );
        };
        let content = data.slice(start..end);
        match header[156] {
            b'0' | 0 | b'7' => {
                let name = long_name.take().unwrap_or_else(|| {
                    let name = field_text(&header[..100]);
                    let prefix = if &header[257..262] == b"ustar" {
                        field_text(&header[345..500])
                    } else {
                        String::new()
                    };
                    if prefix.is_empty() {
                        name
                    } else {
                        format!("{prefix}/{name}")
                    }
                });
                members.push(TarMember {
                    name,
                    data: content,
                });
            }
            // GNU long name: the next header's name.
            b'L' => long_name = Some(field_text(&content)),
            // pax extended header: its `path` record names the next member.
            b'x' => long_name = pax_path(&content).or(long_name),
            // Directories, links, global pax headers and the rest hold no file data to scan.
            _ => {}
        }
        pos = start + (end - start).div_ceil(BLOCK) * BLOCK;
    }
}

fn field_text(field: &[u8]) -> String {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    String::from_utf8_lossy(&field[..end]).into_owned()
}

/// The `path` of pax records `LEN key=value\n`.
fn pax_path(records: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(records);
    text.lines().find_map(|line| {
        let (_, record) = line.split_once(' ')?;
        record.strip_prefix("path=").map(str::to_owned)
    })
}
