//! PyTorch checkpoints opened for their tensors: the pickle that describes them and the raw
//! storages their data lives in, by key, as slices of the file (never copied).
//!
//! - The zip format of `torch.save` (torch 1.6 and later): `<prefix>/data.pkl`, each storage
//!   in `<prefix>/data/<key>`, `<prefix>/byteorder` (`little` or `big`; little when absent).
//! - The legacy stream of `torch.save(..., _use_new_zipfile_serialization=False)`: five
//!   pickles (magic number, protocol, sys info, the object, the storage keys), then per key
//!   an element count and the storage's bytes.
//!
//! The pickle is only found here; reading it (brine-vm, then brine-interpret's
//! `Interpreter::tensors`) is the caller's, and so is deciding whether to trust it (the
//! scanner).

use std::collections::HashMap;

use bytes::Bytes;

/// A checkpoint's pickle and storages.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    /// The pickle that describes the object saved (the state dict, usually).
    pub pickle: Bytes,
    /// The raw bytes of each storage, by the key its persistent id names.
    pub storages: HashMap<String, Bytes>,
    /// Whether the storages are little-endian (`byteorder`).
    pub little_endian: bool,
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
    /// Opens `data`, a zip or legacy checkpoint, with `max_member_bytes` the most bytes a
    /// compressed zip member may inflate to.
    ///
    /// # Errors
    ///
    /// When the file is neither format, or its layout is broken (no `data.pkl`, a storage
    /// that runs past the end).
    pub fn open(data: Bytes, max_member_bytes: u64) -> Result<Checkpoint, CheckpointError> {
        if data.starts_with(b"PK\x03\x04") {
            return zip(&data, max_member_bytes);
        }
        if data.starts_with(LEGACY_MAGIC) {
            return legacy(&data);
        }
        Err(CheckpointError(
            "neither a zip archive nor a legacy torch.save stream".into(),
        ))
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
    for (name, content) in members {
        let Some(rest) = name.strip_prefix(&prefix) else {
            continue;
        };
        if rest == "data.pkl" {
            pickle = Some(content);
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
        pickle: pickle.expect("the data.pkl member was found above"),
        storages,
        little_endian,
    })
}

fn legacy(data: &Bytes) -> Result<Checkpoint, CheckpointError> {
    let layout = crate::torch::legacy_storages(data).map_err(CheckpointError)?;
    Ok(Checkpoint {
        pickle: data.slice(layout.object.clone()),
        storages: layout
            .storages
            .into_iter()
            .map(|(key, range)| (key, data.slice(range)))
            .collect(),
        little_endian: layout.little_endian,
    })
}
