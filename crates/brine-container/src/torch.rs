//! PyTorch's files before the zip format (torch/serialization.py, `_legacy_save` and
//! `legacy_load`): the legacy `torch.save` stream and the tar format of torch < 0.4. Their
//! pickles are handed over; their raw storages are stepped over by the sizes the pickles give,
//! found by decoding them with brine-vm (nothing is executed).

use std::collections::HashMap;
use std::ops::Range;

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
    let ranges = storage_ranges(data, object_start, keys_start, start)?;
    let end = ranges.last().map_or(start, |(_, range)| range.end);
    Ok((ranges.len(), end - start))
}

/// Where each storage's bytes are, by key, after the keys pickle.
fn storage_ranges(
    data: &[u8],
    object_start: usize,
    keys_start: usize,
    start: usize,
) -> Result<Vec<(String, Range<usize>)>, String> {
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
    let mut ranges = Vec::with_capacity(keys.len());
    for key in keys {
        let size = *sizes
            .get(key.as_str())
            .ok_or_else(|| format!("storage `{key}` is not in the object's persistent ids"))?;
        let end = skip_storage(data, pos, size).map_err(|err| format!("storage `{key}`: {err}"))?;
        ranges.push((key, pos + 8..end));
        pos = end;
    }
    Ok(ranges)
}

/// Where the parts of a legacy stream are.
pub(crate) struct LegacyLayout {
    /// The pickle of the object saved.
    pub(crate) object: Range<usize>,
    /// Each storage's bytes (after its element count), by key.
    pub(crate) storages: Vec<(String, Range<usize>)>,
    /// What the sys info pickle says of the storages' byte order.
    pub(crate) little_endian: bool,
}

/// The layout of a legacy stream: its five pickles and the storages after them.
pub(crate) fn legacy_storages(data: &[u8]) -> Result<LegacyLayout, String> {
    let mut ends = Vec::with_capacity(5);
    let mut pos = 0;
    for _ in 0..5 {
        pos = crate::pickle::end(data, pos)?;
        ends.push(pos);
    }
    let sys_info = decode(&data[ends[1]..ends[2]])?;
    let little_endian = sys_info
        .root()
        .get("little_endian")
        .and_then(|flag| flag.as_bool())
        .unwrap_or(true);
    Ok(LegacyLayout {
        object: ends[2]..ends[3],
        storages: storage_ranges(data, ends[2], ends[3], pos)?,
        little_endian,
    })
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
    // The storage is stepped over; in a mapped file, the page its count sits in need not
    // stay resident.
    brine_mmap::release(&data[pos..pos + 8]);
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

/// The element size of a torch storage class, as brine-interpret's torch reader knows it.
pub(crate) fn element_size(class: &str) -> Option<u64> {
    brine_interpret::torch::TorchDType::from_storage_class(class).map(|dtype| dtype.element_size())
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

/// The most storages or tensors a legacy tar member may declare before its records are read:
/// each record is at least a pickle of a few bytes, so a larger count cannot be true.
fn record_count(count: &Graph, what: &str, data_len: usize) -> Result<usize, String> {
    count
        .root()
        .as_i64()
        .and_then(|count| usize::try_from(count).ok())
        .filter(|&count| count <= data_len)
        .ok_or_else(|| format!("the {what} count is not an int the member can hold"))
}

/// A key of the legacy tar format as torch compares them: an int (`obj._cdata`) in the
/// records, `str(int)` in the pickle's persistent ids; both become the int's decimal text.
pub(crate) fn legacy_key(key: brine_value::ValueRef<'_>) -> Option<String> {
    if let Some(n) = key.as_i64() {
        return Some(n.to_string());
    }
    let text = key.as_str()?;
    // persistent_load calls int(saved_id), which allows surrounding whitespace.
    text.trim().parse::<i64>().ok().map(|n| n.to_string())
}

/// One storage of a legacy tar's `storages` member.
pub(crate) struct TarStorage {
    pub(crate) key: String,
    pub(crate) location: String,
    pub(crate) class: String,
    /// Its bytes, after the element count.
    pub(crate) range: Range<usize>,
}

/// A view `(target, root, offset, size)` of the `storages` member: storage `target` is
/// `size` elements of `root` from element `offset`.
pub(crate) struct TarView {
    pub(crate) target: String,
    pub(crate) root: String,
    pub(crate) offset: u64,
    pub(crate) size: u64,
}

/// `storages`: a count, then per storage `(key, location, storage_type)` and the storage (an
/// int64 element count and the elements), then the storage views.
pub(crate) fn parse_storages(
    data: &[u8],
    pickles: &mut Vec<(usize, usize)>,
) -> Result<(Vec<TarStorage>, Vec<TarView>), String> {
    let (count, mut pos) = take_pickle(data, 0, pickles)?;
    let count = record_count(&count, "storage", data.len())?;
    let mut storages = Vec::with_capacity(count.min(1024));
    for _ in 0..count {
        let (args, end) = take_pickle(data, pos, pickles)?;
        let args = args.root();
        let class = args
            .index(2)
            .and_then(|class| class.as_global())
            .map(|(_, name)| name.to_owned())
            .ok_or("storage arguments do not name a storage type")?;
        let size = element_size(&class).ok_or_else(|| format!("unknown storage type {class}"))?;
        let key = args
            .index(0)
            .and_then(legacy_key)
            .ok_or("a storage key is not an int")?;
        let location = args
            .index(1)
            .and_then(|location| location.as_str().map(str::to_owned))
            .unwrap_or_default();
        pos = skip_storage(data, end, size)?;
        storages.push(TarStorage {
            key,
            location,
            class,
            range: end + 8..pos,
        });
    }
    let (views_graph, end) = take_pickle(data, pos, pickles)?;
    if end != data.len() {
        return Err(format!(
            "{} bytes after the storage views",
            data.len() - end
        ));
    }
    let mut views = Vec::new();
    let root = views_graph.root();
    for view in root.iter().ok_or("the storage views are not a list")? {
        let field = |i| view.index(i);
        let (Some(target), Some(root), Some(offset), Some(size)) = (
            field(0).and_then(legacy_key),
            field(1).and_then(legacy_key),
            field(2)
                .and_then(|v| v.as_i64())
                .and_then(|v| u64::try_from(v).ok()),
            field(3)
                .and_then(|v| v.as_i64())
                .and_then(|v| u64::try_from(v).ok()),
        ) else {
            return Err("a storage view is not (target, root, offset, size)".into());
        };
        views.push(TarView {
            target,
            root,
            offset,
            size,
        });
    }
    Ok((storages, views))
}

/// One tensor of a legacy tar's `tensors` member.
pub(crate) struct TarTensor {
    pub(crate) key: String,
    pub(crate) storage: String,
    pub(crate) shape: Vec<u64>,
    pub(crate) stride: Vec<u64>,
    pub(crate) offset: u64,
}

/// `tensors`: a count, then per tensor `(key, storage_id, type)` and a binary header: ndim
/// (int32), 4 bytes, ndim sizes and ndim strides (int64), the storage offset (int64).
pub(crate) fn parse_tensors(
    data: &[u8],
    pickles: &mut Vec<(usize, usize)>,
) -> Result<Vec<TarTensor>, String> {
    let (count, mut pos) = take_pickle(data, 0, pickles)?;
    let count = record_count(&count, "tensor", data.len())?;
    let mut tensors = Vec::with_capacity(count.min(1024));
    for _ in 0..count {
        let (args, end) = take_pickle(data, pos, pickles)?;
        let args = args.root();
        let key = args.index(0).and_then(legacy_key);
        let storage = args.index(1).and_then(legacy_key);
        let ndim = data
            .get(end..end + 4)
            .map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .and_then(|ndim| usize::try_from(ndim).ok())
            .ok_or("bad tensor header")?;
        let header = ndim
            .checked_mul(16)
            .and_then(|len| len.checked_add(16))
            .ok_or("bad tensor header")?;
        pos = end
            .checked_add(header)
            .filter(|&next| next <= data.len())
            .ok_or("the tensor header is cut short")?;
        let int64 = |at: usize| i64::from_le_bytes(data[at..at + 8].try_into().unwrap_or([0; 8]));
        let counts = |from: usize| -> Option<Vec<u64>> {
            (0..ndim)
                .map(|i| u64::try_from(int64(from + 8 * i)).ok())
                .collect()
        };
        let (Some(key), Some(storage)) = (key, storage) else {
            return Err("a tensor record is not (key, storage_id, type) with int keys".into());
        };
        let (Some(shape), Some(stride), Ok(offset)) = (
            counts(end + 8),
            counts(end + 8 + 8 * ndim),
            u64::try_from(int64(end + 8 + 16 * ndim)),
        ) else {
            return Err(format!("tensor {key}: a negative size, stride or offset"));
        };
        tensors.push(TarTensor {
            key,
            storage,
            shape,
            stride,
            offset,
        });
    }
    if pos != data.len() {
        return Err(format!("{} bytes after the tensors", data.len() - pos));
    }
    Ok(tensors)
}

/// `storages` as the walk reports it: the raw bytes stepped over.
fn storages_member(data: &[u8], pickles: &mut Vec<(usize, usize)>) -> Result<usize, String> {
    let (storages, _) = parse_storages(data, pickles)?;
    // Each storage's element count and elements.
    Ok(storages.iter().map(|s| 8 + s.range.len()).sum())
}

/// `tensors` as the walk reports it: the bytes of the binary headers.
fn tensors_member(data: &[u8], pickles: &mut Vec<(usize, usize)>) -> Result<usize, String> {
    let tensors = parse_tensors(data, pickles)?;
    Ok(tensors.iter().map(|t| 24 + 16 * t.shape.len()).sum())
}
