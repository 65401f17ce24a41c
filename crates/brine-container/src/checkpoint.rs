//! PyTorch checkpoints opened for their tensors: the pickle that describes them and the raw
//! storages their data lives in, by key, as slices of the file (never copied; a file opened
//! with [`Checkpoint::open_path`] is memory-mapped, so a storage is read only when its bytes
//! are).
//!
//! - The zip format of `torch.save` (torch 1.6 and later) and TorchScript archives:
//!   `<prefix>/data.pkl`, each storage in `<prefix>/data/<key>`, `<prefix>/byteorder`
//!   (`little` or `big`; little when absent).
//! - The legacy stream of `torch.save(..., _use_new_zipfile_serialization=False)`: five
//!   pickles (magic number, protocol, sys info, the object, the storage keys), then per key
//!   an element count and the storage's bytes.
//! - The tar format of torch < 0.4 (`legacy_load` in torch/serialization.py): members
//!   `sys_info`, `pickle` (the object, whose persistent ids name tensors by key), `tensors`
//!   (each tensor's storage, sizes, strides and offset) and `storages`.
//! - Any of these compressed (gzip, bz2, xz, lzma, zlib, zstd, lz4), within the member limit.
//!
//! The pickle is only found here; reading it (brine-vm, then [`Checkpoint::tensors`]) is the
//! caller's, and so is deciding whether to trust it: brine-scan's `checkpoint` module scans
//! the whole file first and refuses what the scanner calls dangerous.

use std::collections::HashMap;
use std::path::Path;

use brine_interpret::Interpreter;
use brine_interpret::torch::{Tensor, TensorError, TorchDType};
use brine_value::{Graph, Value};
use bytes::Bytes;

/// A checkpoint's pickle and storages.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Checkpoint {
    /// Which of torch's formats the file is in.
    pub format: Format,
    /// The pickle that describes the object saved (the state dict, usually).
    pub pickle: Bytes,
    /// The raw bytes of each storage, by the key its persistent id names.
    pub storages: HashMap<String, Bytes>,
    /// Whether the storages are little-endian (`byteorder`, or the sys info's
    /// `little_endian`).
    pub little_endian: bool,
    /// The tar format's tensors, by the key the pickle's persistent ids name (empty for the
    /// other formats, whose pickle describes each tensor itself).
    pub legacy_tensors: HashMap<String, LegacyTensor>,
}

/// The format of a [`Checkpoint`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// The zip format of `torch.save` (torch 1.6 and later).
    Zip,
    /// A TorchScript archive (`torch.jit.save`): a zip with `constants.pkl` and `code/`.
    TorchScript,
    /// The legacy stream of `torch.save(..., _use_new_zipfile_serialization=False)`.
    Legacy,
    /// The tar format of torch < 0.4.
    LegacyTar,
}

/// A tensor of the tar format, as its `tensors` and `storages` records describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyTensor {
    /// The key of its storage in [`Checkpoint::storages`].
    pub storage_key: String,
    /// Where the storage lived (`"cpu"`).
    pub location: String,
    /// The element type, from the storage's class.
    pub dtype: TorchDType,
    /// The storage's length in elements.
    pub storage_len: u64,
    /// The offset of the first element in the storage, in elements.
    pub offset: u64,
    /// The length of each dimension.
    pub shape: Vec<u64>,
    /// The step of each dimension, in elements.
    pub stride: Vec<u64>,
}

/// Why a file is not a checkpoint brine can open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointError(pub String);

impl std::fmt::Display for CheckpointError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "not a PyTorch checkpoint brine can open: {}", self.0)
    }
}

impl std::error::Error for CheckpointError {}

/// The magic number the legacy stream starts with (torch/serialization.py, `MAGIC_NUMBER`),
/// as the LONG1 a protocol 2 pickle writes it.
const LEGACY_MAGIC: &[u8] = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19";

impl Checkpoint {
    /// Opens `data`, a checkpoint in any of the formats above, with `max_member_bytes` the
    /// most bytes a compressed file or zip member may decompress to.
    ///
    /// # Errors
    ///
    /// When the file is none of the formats, or its layout is broken (no `data.pkl`, a
    /// storage that runs past the end).
    pub fn open(data: Bytes, max_member_bytes: u64) -> Result<Checkpoint, CheckpointError> {
        Checkpoint::open_within(data, max_member_bytes, true)
    }

    /// Opens the file at `path` as [`Checkpoint::open`] does, memory-mapped when it is large
    /// (`brine_mmap::read`, which says what happens if the file changes while it is open).
    ///
    /// # Errors
    ///
    /// When the file cannot be read, or as [`Checkpoint::open`].
    pub fn open_path(path: &Path, max_member_bytes: u64) -> Result<Checkpoint, CheckpointError> {
        let data = brine_mmap::read(path)
            .map_err(|err| CheckpointError(format!("cannot read {}: {err}", path.display())))?;
        Checkpoint::open(data, max_member_bytes)
    }

    fn open_within(
        data: Bytes,
        max_member_bytes: u64,
        decompress: bool,
    ) -> Result<Checkpoint, CheckpointError> {
        if data.starts_with(b"PK\x03\x04") {
            return zip(&data, max_member_bytes);
        }
        if data.starts_with(LEGACY_MAGIC) {
            return legacy(&data);
        }
        if crate::tar::is_header(&data) {
            return legacy_tar(&data);
        }
        if let Some(codec) = brine_compress::Codec::detect(&data).filter(|_| decompress) {
            let mut options = brine_compress::Options::default();
            options.max_decompressed_len = max_member_bytes;
            let inner = brine_compress::decompress(&data, &options)
                .map_err(|err| CheckpointError(format!("{codec} stream: {err}")))?;
            // One level: a checkpoint is compressed once, never a compressed compressed file.
            return Checkpoint::open_within(Bytes::from(inner), max_member_bytes, false);
        }
        Err(CheckpointError(
            "neither a zip archive, a legacy torch.save stream nor a legacy tar".into(),
        ))
    }

    /// Every tensor of the object saved, named as a state dict names them (keys joined by
    /// `.`), in pickle order: `graph` is the decoded [`Checkpoint::pickle`]. A tensor written
    /// wrongly is listed with its error; a tensor whose storage the file does not hold is an
    /// error too.
    pub fn tensors<'a>(
        &'a self,
        graph: &'a Graph,
    ) -> Vec<(String, Result<Tensor<'a>, TensorError>)> {
        let interpreter = Interpreter::new(graph);
        let resolve = |pid: &Value| -> Option<Result<Tensor<'a>, TensorError>> {
            // The tar format: a persistent id `str(key)` is a tensor of the `tensors` member.
            let key = crate::torch::legacy_key(graph.get(pid))?;
            let tensor = self.legacy_tensors.get(&key)?;
            Some(Ok(Tensor {
                dtype: tensor.dtype,
                storage_key: &tensor.storage_key,
                location: &tensor.location,
                storage_len: tensor.storage_len,
                offset: tensor.offset,
                shape: tensor.shape.clone(),
                stride: tensor.stride.clone(),
                requires_grad: false,
            }))
        };
        let found = if self.legacy_tensors.is_empty() {
            interpreter.tensors(graph.root_value())
        } else {
            interpreter.tensors_with(graph.root_value(), &resolve)
        };
        found
            .into_iter()
            .map(|(name, tensor)| {
                let tensor = tensor.and_then(|tensor| {
                    if self.storages.contains_key(tensor.storage_key) {
                        Ok(tensor)
                    } else {
                        Err(TensorError(format!(
                            "storage `{}` is not in the checkpoint",
                            tensor.storage_key
                        )))
                    }
                });
                (name, tensor)
            })
            .collect()
    }
}

fn zip(data: &Bytes, limit: u64) -> Result<Checkpoint, CheckpointError> {
    let members = crate::zip::members(data, limit).map_err(CheckpointError)?;
    let pickle_name = members
        .iter()
        .map(|(name, _)| name)
        .find(|name| name.ends_with("/data.pkl") && name.matches('/').count() == 1)
        .ok_or_else(|| CheckpointError("no <prefix>/data.pkl member".into()))?;
    let prefix = pickle_name.trim_end_matches("data.pkl").to_owned();
    let storage_prefix = format!("{prefix}data/");
    let mut pickle = None;
    let mut storages = HashMap::new();
    let mut little_endian = true;
    let mut torchscript = false;
    for (name, content) in members {
        let Some(rest) = name.strip_prefix(&prefix) else {
            continue;
        };
        if rest == "data.pkl" {
            pickle = Some(content);
        } else if rest == "constants.pkl" {
            torchscript = true;
        } else if rest == "byteorder" {
            little_endian = match &content[..] {
                b"little" => true,
                b"big" => false,
                other => {
                    return Err(CheckpointError(format!(
                        "byteorder is {:?}",
                        String::from_utf8_lossy(other)
                    )));
                }
            };
        } else if let Some(key) = name.strip_prefix(&storage_prefix) {
            storages.insert(key.to_owned(), content);
        }
    }
    Ok(Checkpoint {
        format: if torchscript {
            Format::TorchScript
        } else {
            Format::Zip
        },
        pickle: pickle.expect("the data.pkl member was found above"),
        storages,
        little_endian,
        legacy_tensors: HashMap::new(),
    })
}

fn legacy(data: &Bytes) -> Result<Checkpoint, CheckpointError> {
    let layout = crate::torch::legacy_storages(data).map_err(CheckpointError)?;
    Ok(Checkpoint {
        format: Format::Legacy,
        pickle: data.slice(layout.object.clone()),
        storages: layout
            .storages
            .into_iter()
            .map(|(key, range)| (key, data.slice(range)))
            .collect(),
        little_endian: layout.little_endian,
        legacy_tensors: HashMap::new(),
    })
}

/// The tar format: `storages` and `tensors` read by their records, `pickle` handed over.
fn legacy_tar(data: &Bytes) -> Result<Checkpoint, CheckpointError> {
    let (members, fault) = crate::tar::read(data);
    if let Some(fault) = fault {
        return Err(CheckpointError(fault));
    }
    let member = |name: &str| {
        members
            .iter()
            .find(|member| member.name == name)
            .map(|member| member.data.clone())
            .ok_or_else(|| CheckpointError(format!("a tar without the `{name}` member")))
    };
    let (pickle, storages_data, tensors_data) =
        (member("pickle")?, member("storages")?, member("tensors")?);
    let little_endian = match member("sys_info") {
        Ok(sys_info) => brine_vm::from_slice(&sys_info, &Default::default())
            .ok()
            .and_then(|info| info.root().get("little_endian")?.as_bool())
            .unwrap_or(true),
        Err(_) => true,
    };
    let (records, views) = crate::torch::parse_storages(&storages_data, &mut Vec::new())
        .map_err(|reason| CheckpointError(format!("`storages`: {reason}")))?;
    let mut storages = HashMap::new();
    // key -> (class, location, length in elements)
    let mut kinds: HashMap<String, (TorchDType, String, u64)> = HashMap::new();
    for record in records {
        let dtype = TorchDType::from_storage_class(&record.class)
            .ok_or_else(|| CheckpointError(format!("unknown storage type {}", record.class)))?;
        let len = record.range.len() as u64 / dtype.element_size();
        kinds.insert(record.key.clone(), (dtype, record.location, len));
        storages.insert(record.key, storages_data.slice(record.range));
    }
    for view in views {
        let (Some(root), Some(&(dtype, ref location, _))) =
            (storages.get(&view.root).cloned(), kinds.get(&view.root))
        else {
            return Err(CheckpointError(format!(
                "storage view {} of storage {}, which the file does not hold",
                view.target, view.root
            )));
        };
        let size = dtype.element_size();
        let range = view
            .offset
            .checked_add(view.size)
            .and_then(|end| Some(view.offset.checked_mul(size)?..end.checked_mul(size)?))
            .filter(|range| range.end <= root.len() as u64)
            .ok_or_else(|| {
                CheckpointError(format!(
                    "storage view {} runs past the end of storage {}",
                    view.target, view.root
                ))
            })?;
        let location = location.clone();
        storages.insert(
            view.target.clone(),
            root.slice(range.start as usize..range.end as usize),
        );
        kinds.insert(view.target, (dtype, location, view.size));
    }
    let mut legacy_tensors = HashMap::new();
    for tensor in crate::torch::parse_tensors(&tensors_data, &mut Vec::new())
        .map_err(|reason| CheckpointError(format!("`tensors`: {reason}")))?
    {
        let Some((dtype, location, storage_len)) = kinds.get(&tensor.storage) else {
            return Err(CheckpointError(format!(
                "tensor {} is in storage {}, which the file does not hold",
                tensor.key, tensor.storage
            )));
        };
        legacy_tensors.insert(
            tensor.key,
            LegacyTensor {
                storage_key: tensor.storage,
                location: location.clone(),
                dtype: *dtype,
                storage_len: *storage_len,
                offset: tensor.offset,
                shape: tensor.shape,
                stride: tensor.stride,
            },
        );
    }
    Ok(Checkpoint {
        format: Format::LegacyTar,
        pickle,
        storages,
        little_endian,
        legacy_tensors,
    })
}
