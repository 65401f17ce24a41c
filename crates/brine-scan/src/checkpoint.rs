//! PyTorch checkpoints opened for their tensors only once the scan lets them through: the
//! whole file is scanned first (every member of a zip, every pickle of the legacy formats,
//! TorchScript's `constants.pkl`, whatever is compressed), a [`Policy`] judges every pickle
//! in it, and only then is the checkpoint opened ([`brine_container::checkpoint`]) and its
//! pickle decoded. Nothing is ever executed; what is refused is not even decoded for its
//! tensors.
//!
//! # Example
//!
//! ```
//! use brine_scan::checkpoint::{self, OpenError};
//!
//! // The legacy torch.save stream with a model pickle that calls posix.system('id').
//! let mut data = b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19.\x80\x02M\xe9\x03.\x80\x02}.".to_vec();
//! data.extend_from_slice(b"\x80\x02cposix\nsystem\nX\x02\x00\x00\x00id\x85R.\x80\x02].");
//! let err = checkpoint::open("evil.pt", data.into(), &Default::default(), &Default::default())
//!     .unwrap_err();
//! assert!(matches!(err, OpenError::Refused { .. }));
//! assert!(err.to_string().contains("posix.system"), "{err}");
//! ```

use std::path::Path;

use brine_container::checkpoint::{Checkpoint, CheckpointError};
use brine_value::Graph;
use bytes::Bytes;

use crate::options::Options;
use crate::policy::{Policy, Refusal};
use crate::report::{FileReport, MemberKind, Verdict};

/// A checkpoint the scan let through, with its decoded pickle.
#[derive(Debug)]
#[non_exhaustive]
pub struct Opened {
    /// The checkpoint: its pickle and its storages (slices of the file).
    pub checkpoint: Checkpoint,
    /// The decoded pickle; [`Checkpoint::tensors`] lists its tensors.
    pub graph: Graph,
    /// The scan of the whole file, suspicious findings the policy accepted included.
    pub report: FileReport,
}

/// Why a checkpoint was not opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The scan found what the policy refuses: the member and the finding.
    #[error("refused: {}{}", .refusal.reason, member_place(.member))]
    Refused {
        /// Where in the file: the file name, then each member inside it.
        member: Vec<String>,
        /// The finding that decided, and why.
        refusal: Box<Refusal>,
    },
    /// The file is no checkpoint brine opens, or its layout is broken.
    #[error(transparent)]
    NotACheckpoint(#[from] CheckpointError),
    /// The checkpoint's pickle does not decode (the scan read it; the machine that builds
    /// the graph refused it).
    #[error("the checkpoint's pickle: {0}")]
    Decode(#[from] brine_vm::Error),
}

/// ` (in a / b)` for a member inside the file, nothing for the file itself.
fn member_place(member: &[String]) -> String {
    match member.get(1..) {
        Some(inner) if !inner.is_empty() => format!(" (in {})", inner.join(" / ")),
        _ => String::new(),
    }
}

/// Scans `data` (a file named `name`), refuses it when `policy` does, and otherwise opens it
/// as a checkpoint and decodes its pickle.
///
/// Every policy refuses a dangerous finding anywhere in the file (a member torch.load would
/// not read included: something put it there) and anything that could not be scanned to its
/// end; [`Policy::Lists`] refuses suspicious findings too, and
/// [`Policy::DangerousAllowSuspicious`] accepts them (they stay in [`Opened::report`]).
///
/// # Errors
///
/// [`OpenError::Refused`] with the finding, [`OpenError::NotACheckpoint`], or
/// [`OpenError::Decode`].
pub fn open(
    name: &str,
    data: Bytes,
    options: &Options,
    policy: &Policy,
) -> Result<Opened, OpenError> {
    let report = crate::file::scan_bytes(name, data.clone(), options);
    if let Some((member, refusal)) = refusal(&report, policy) {
        return Err(OpenError::Refused {
            member,
            refusal: Box::new(refusal),
        });
    }
    let checkpoint = Checkpoint::open(data, options.container_limits.max_member_bytes)?;
    let graph = brine_vm::from_bytes(checkpoint.pickle.clone(), &Default::default())?;
    Ok(Opened {
        checkpoint,
        graph,
        report,
    })
}

/// [`open`] for the file at `path`, memory-mapped when it is large (`brine_mmap::read`):
/// the storages are never read by the scan, and are slices of the mapping.
///
/// # Errors
///
/// As [`open`]; a file that cannot be read is [`OpenError::NotACheckpoint`].
pub fn open_path(path: &Path, options: &Options, policy: &Policy) -> Result<Opened, OpenError> {
    let data = brine_mmap::read(path)
        .map_err(|err| CheckpointError(format!("cannot read {}: {err}", path.display())))?;
    open(&path.display().to_string(), data, options, policy)
}

/// The refusal `policy` makes of a file, and the member it is about: a dangerous finding
/// anywhere first, then the first pickle the policy refuses or member that could not be
/// read.
pub fn refusal(report: &FileReport, policy: &Policy) -> Option<(Vec<String>, Refusal)> {
    let pickles = || {
        report.members.iter().flat_map(|member| {
            let pickles: &[_] = match &member.kind {
                MemberKind::Pickles(pickles) => pickles,
                _ => &[],
            };
            pickles.iter().map(move |pickle| (member, pickle))
        })
    };
    let dangerous = pickles()
        .filter(|(_, pickle)| pickle.verdict == Verdict::Dangerous)
        .find_map(|(member, pickle)| Some((member.path.clone(), policy.refusal(pickle)?)));
    if dangerous.is_some() {
        return dangerous;
    }
    for member in &report.members {
        match &member.kind {
            MemberKind::Pickles(pickles) => {
                if let Some(refusal) = pickles.iter().find_map(|pickle| policy.refusal(pickle)) {
                    return Some((member.path.clone(), refusal));
                }
            }
            MemberKind::Inconclusive(why) => {
                return Some((
                    member.path.clone(),
                    Refusal {
                        finding: None,
                        verdict: Verdict::Inconclusive,
                        reason: format!("could not be scanned to its end: {why}"),
                    },
                ));
            }
            _ => {}
        }
    }
    None
}
