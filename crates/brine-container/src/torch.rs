//! PyTorch's files before the zip format (torch/serialization.py, `_legacy_save` and
//! `legacy_load`): the legacy `torch.save` stream and the tar format of torch < 0.4. Their
//! pickles are handed over; their raw storages are stepped over by the sizes the pickles give,
//! found by decoding them with brine-vm (nothing is executed).

use std::collections::HashMap;

use brine_value::{Graph, Node};
use bytes::Bytes;

use crate::tar::TarMember;
use crate::walk::Walker;
use crate::{Body, Layout};

/// The legacy stream: the magic number, protocol version, sys info, the object and the
/// storage keys, each a pickle; then per key an element count (int64, little-endian) and the
/// storage's bytes.
pub(crate) fn walk_legacy(walker: &mut Walker<'_>, path: &[String], data: Bytes) {
    let mut ends = Vec::with_capacity(5);
    let mut pos = 0;
    for _ in 0..5 {
        match crate::pickle::end(&data, pos) {
            Ok(end) => {
                ends.push(end);
                pos = end;
            }
            Err(reason) => {
                // Everything is handed over, so that the scanner sees what torch.load runs.
                walker.emit(
                    path,
                    Body::Pickle {
                        data,
                        layout: Layout::Plain,
                    },
                );
                walker.emit(
                    path,
                    Body::Inconclusive(format!("legacy torch file: {reason}")),
                );
                return;
            }
        }
    }
    walker.emit(
        path,
        Body::Pickle {
            data: data.slice(..pos),
            layout: Layout::Plain,
        },
    );
    let body = match storages(&data, ends[2], ends[3], pos) {
        Ok((count, bytes)) if pos + bytes == data.len() => {
            Body::Skipped(format!("{count} raw storages, {bytes} bytes"))
        }
        Ok((count, bytes)) => Body::Note(format!(
            "{count} raw storages of {bytes} bytes, then {} bytes torch.load never reads",
            data.len() - pos - bytes
        )),
        Err(reason) => Body::Inconclusive(format!("legacy torch storages: {reason}")),
    };
    walker.emit(path, body);
}

/// Steps over the storages after the keys pickle: their count and bytes.
fn storages(
    data: &[u8],
    object_start: usize,
    keys_start: usize,
    start: usize,
) -> Result<(usize, usize), String> {
    let object = decode(&data[object_start..keys_start])?;
    let sizes = element_sizes(&object);
    let keys = decode(&data[keys_start..start])?;
    let keys: Vec<String> = keys
        .root()
        .iter()
        .ok_or("the storage keys are not a list")?
        .map(|key| {
            key.as_str()
                .map(str::to_owned)
                .ok_or("a storage key is not a str")
        })
        .collect::<Result<_, _>>()?;
    let mut pos = start;
    for key in &keys {
        let size = *sizes
            .get(key.as_str())
            .ok_or_else(|| format!("storage `{key}` is not in the object's persistent ids"))?;
        pos = skip_storage(data, pos, size).map_err(|err| format!("storage `{key}`: {err}"))?;
    }
    Ok((keys.len(), pos - start))
}

/// Skips an element count and that many elements of `size` bytes at `pos`.
fn skip_storage(data: &[u8], pos: usize, size: u64) -> Result<usize, String> {
    let count = data
        .get(pos..pos + 8)
        .map(|b| i64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
        .ok_or("the file ends inside its element count")?;
    let bytes = u64::try_from(count)
        .ok()
        .and_then(|count| count.checked_mul(size))
        .and_then(|bytes| usize::try_from(bytes).ok())
        .ok_or_else(|| format!("bad element count {count}"))?;
    let end = (pos + 8)
        .checked_add(bytes)
        .filter(|&end| end <= data.len())
        .ok_or_else(|| format!("{bytes} bytes claimed, {} there", data.len() - pos - 8))?;
    Ok(end)
}

/// The element size of each storage, by key, from the persistent ids
/// `('storage', storage_type, key, location, numel, ...)`.
fn element_sizes(graph: &Graph) -> HashMap<String, u64> {
    let mut sizes = HashMap::new();
    for (_, node) in graph.nodes() {
        let Node::PersistentId(pid) = node else {
            continue;
        };
        let pid = graph.get(pid);
        let (Some(class), Some(key)) = (pid.index(1), pid.index(2)) else {
            continue;
        };
        if let (Some((_, class)), Some(key)) = (class.as_global(), key.as_str()) {
            if let Some(size) = element_size(class) {
                sizes.insert(key.to_owned(), size);
            }
        }
    }
    sizes
}

/// The element size of a torch storage class (torch/storage.py, `_element_size`).
fn element_size(class: &str) -> Option<u64> {
    Some(match class {
        "DoubleStorage" | "LongStorage" | "ComplexFloatStorage" => 8,
        "FloatStorage" | "IntStorage" | "QInt32Storage" => 4,
        "HalfStorage" | "BFloat16Storage" | "ShortStorage" => 2,
        "ComplexDoubleStorage" => 16,
        "CharStorage" | "ByteStorage" | "BoolStorage" | "QInt8Storage" | "QUInt8Storage"
        | "QUInt4x2Storage" | "QUInt2x4Storage" | "UntypedStorage" => 1,
        _ => return None,
    })
}

fn decode(data: &[u8]) -> Result<Graph, String> {
    brine_vm::from_slice(data, &Default::default()).map_err(|err| err.to_string())
}

/// The tar format of torch < 0.4: `sys_info` and `pickle` are pickles; `storages` and
/// `tensors` interleave pickles with raw data.
pub(crate) fn walk_legacy_tar(
    walker: &mut Walker<'_>,
    path: &mut Vec<String>,
    members: Vec<TarMember>,
    depth: usize,
) {
    for member in members {
        let reader = match member.name.as_str() {
            "storages" => storages_member,
            "tensors" => tensors_member,
            _ => {
                walker.walk_member(path, &member.name, member.data, depth);
                continue;
            }
        };
        path.push(member.name.clone());
        let mut pickles = Vec::new();
        let result = reader(&member.data, &mut pickles);
        for (start, end) in pickles {
            walker.emit(
                path,
                Body::Pickle {
                    data: member.data.slice(start..end),
                    layout: Layout::Plain,
                },
            );
        }
        match result {
            Ok(raw) => walker.emit(path, Body::Skipped(format!("{raw} bytes of raw data"))),
            Err(reason) => walker.emit(path, Body::Inconclusive(reason)),
        }
        path.pop();
    }
}

/// Reads the pickle at `pos` into `pickles` and decodes it.
fn take_pickle(
    data: &[u8],
    pos: usize,
    pickles: &mut Vec<(usize, usize)>,
) -> Result<(Graph, usize), String> {
    let end = crate::pickle::end(data, pos)?;
    pickles.push((pos, end));
    Ok((decode(&data[pos..end])?, end))
}

/// `storages`: a count, then per storage `(key, location, storage_type)` and the storage,
/// then the storage views. Returns the raw bytes stepped over.
fn storages_member(data: &[u8], pickles: &mut Vec<(usize, usize)>) -> Result<usize, String> {
    let (count, mut pos) = take_pickle(data, 0, pickles)?;
    let count = count
        .root()
        .as_i64()
        .ok_or("the storage count is not an int")?;
    let mut raw = 0;
    for _ in 0..count {
        let (args, end) = take_pickle(data, pos, pickles)?;
        let class = args
            .root()
            .index(2)
            .and_then(|class| class.as_global())
            .map(|(_, name)| name.to_owned())
            .ok_or("storage arguments do not name a storage type")?;
        let size = element_size(&class).ok_or_else(|| format!("unknown storage type {class}"))?;
        pos = skip_storage(data, end, size)?;
        raw += pos - end;
    }
    let (_, end) = take_pickle(data, pos, pickles)?;
    if end != data.len() {
        return Err(format!(
            "{} bytes after the storage views",
            data.len() - end
        ));
    }
    Ok(raw)
}

/// `tensors`: a count, then per tensor `(key, storage_id, type)` and a binary header: ndim
/// (int32), 4 bytes, ndim sizes and ndim strides (int64), the storage offset (int64).
fn tensors_member(data: &[u8], pickles: &mut Vec<(usize, usize)>) -> Result<usize, String> {
    let (count, mut pos) = take_pickle(data, 0, pickles)?;
    let count = count
        .root()
        .as_i64()
        .ok_or("the tensor count is not an int")?;
    let mut raw = 0;
    for _ in 0..count {
        let (_, end) = take_pickle(data, pos, pickles)?;
        let ndim = data
            .get(end..end + 4)
            .map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .and_then(|ndim| usize::try_from(ndim).ok())
            .ok_or("bad tensor header")?;
        let header = 8 + 16 * ndim + 8;
        pos = end
            .checked_add(header)
            .filter(|&next| next <= data.len())
            .ok_or("the tensor header is cut short")?;
        raw += header;
    }
    if pos != data.len() {
        return Err(format!("{} bytes after the tensors", data.len() - pos));
    }
    Ok(raw)
}
