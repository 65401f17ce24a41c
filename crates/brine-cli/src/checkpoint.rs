//! `brine checkpoint ls|to-safetensors FILE`: a PyTorch checkpoint's tensors, listed or written
//! as a `.safetensors` file, without ever running its pickle.
//!
//! The whole file is scanned first (brine-scan's `checkpoint::open_path`: every member and
//! every pickle in it): a dangerous finding anywhere is refused, a suspicious one (classes
//! the lists do not know) is refused unless `--allow-suspicious`, and then reported; only
//! then is the pickle decoded and its tensors read (brine-interpret) from the storages, which
//! are slices of the memory-mapped file (brine-container). Formats: the zip of `torch.save`,
//! TorchScript archives, the legacy stream, torch < 0.4's tar, and any of them compressed.

use std::fmt::Write as _;
use std::path::PathBuf;

use brine_container::checkpoint::Checkpoint;
use brine_interpret::torch::{Tensor, TorchDType};
use brine_scan::Policy;
use brine_scan::checkpoint::Opened;

use crate::output;

/// Arguments of `brine checkpoint`.
#[derive(Debug, clap::Args)]
pub struct CheckpointArgs {
    #[command(subcommand)]
    command: CheckpointCommand,
}

#[derive(Debug, clap::Subcommand)]
enum CheckpointCommand {
    /// List every tensor: name, dtype, shape, bytes.
    Ls(Source),
    /// Write the tensors as a .safetensors file (the pickle is never run).
    ToSafetensors {
        #[command(flatten)]
        source: Source,
        /// The .safetensors file to write.
        #[arg(short, long)]
        output: PathBuf,
    },
}

#[derive(Debug, clap::Args)]
struct Source {
    /// The checkpoint: a `torch.save` zip, a TorchScript archive, the legacy stream or tar
    /// format, or any of them compressed.
    input: PathBuf,
    /// Accept classes the scanner's lists do not know (dangerous ones are still refused).
    #[arg(long)]
    allow_suspicious: bool,
}

pub fn run(args: &CheckpointArgs) -> Result<(), String> {
    match &args.command {
        CheckpointCommand::Ls(source) => {
            let opened = open(source)?;
            let tensors = tensors(source, &opened.checkpoint, &opened.graph)?;
            let mut text = String::new();
            for (name, tensor) in &tensors {
                let bytes = tensor.len() * tensor.dtype.element_size();
                let shape: Vec<String> = tensor.shape.iter().map(u64::to_string).collect();
                let _ = writeln!(
                    text,
                    "{name}\t{}\t[{}]\t{bytes}",
                    tensor.dtype,
                    shape.join(", ")
                );
            }
            output::write_all(None, text.as_bytes()).map_err(|err| err.to_string())
        }
        CheckpointCommand::ToSafetensors { source, output } => {
            let opened = open(source)?;
            let tensors = tensors(source, &opened.checkpoint, &opened.graph)?;
            let data = safetensors_bytes(&opened.checkpoint, &tensors)?;
            std::fs::write(output, data).map_err(|err| format!("{}: {err}", output.display()))
        }
    }
}

/// The checkpoint and its pickle's graph, once the scan of the whole file let it through.
/// Suspicious findings accepted with `--allow-suspicious` are reported on stderr.
fn open(source: &Source) -> Result<Opened, String> {
    let path = &source.input;
    let policy = if source.allow_suspicious {
        Policy::DangerousAllowSuspicious
    } else {
        Policy::Lists
    };
    let opened = brine_scan::checkpoint::open_path(path, &Default::default(), &policy)
        .map_err(|err| format!("{}: {err}", path.display()))?;
    for (member, finding) in opened.report.unsafe_findings() {
        let place = match member.path.get(1..) {
            Some(inner) if !inner.is_empty() => format!(": {}", inner.join(" / ")),
            _ => String::new(),
        };
        let what = finding
            .call
            .as_deref()
            .or(finding.global.as_deref())
            .unwrap_or("(structure)");
        eprintln!(
            "brine: {}{place}: {}: {what}: {} (accepted: --allow-suspicious)",
            path.display(),
            finding.verdict,
            finding.reason
        );
    }
    Ok(opened)
}

/// Every tensor of the state dict, each with its storage present.
fn tensors<'g>(
    source: &Source,
    checkpoint: &'g Checkpoint,
    graph: &'g brine_value::Graph,
) -> Result<Vec<(String, Tensor<'g>)>, String> {
    let path = source.input.display();
    checkpoint
        .tensors(graph)
        .into_iter()
        .map(|(name, tensor)| {
            tensor
                .map(|tensor| (name.clone(), tensor))
                .map_err(|err| format!("{path}: {name}: {err}"))
        })
        .collect()
}

/// A tensor ready for safetensors: name, type, shape, little-endian bytes.
type Prepared<'a> = (
    String,
    safetensors::Dtype,
    Vec<usize>,
    std::borrow::Cow<'a, [u8]>,
);

/// The .safetensors file of the tensors: each one's bytes, little-endian, from its storage.
fn safetensors_bytes(
    checkpoint: &Checkpoint,
    tensors: &[(String, Tensor<'_>)],
) -> Result<Vec<u8>, String> {
    let mut views = Vec::with_capacity(tensors.len());
    let mut owned: Vec<Prepared<'_>> = Vec::new();
    for (name, tensor) in tensors {
        let dtype = safetensors_dtype(tensor.dtype)
            .ok_or_else(|| format!("{name}: {} has no safetensors type", tensor.dtype))?;
        let range = tensor
            .byte_range()
            .ok_or_else(|| format!("{name}: not contiguous, or past its storage's end"))?;
        let storage = &checkpoint.storages[tensor.storage_key];
        let (start, end) = (range.start as usize, range.end as usize);
        let bytes = storage.get(start..end).ok_or_else(|| {
            format!(
                "{name}: storage `{}` is shorter than its tensor",
                tensor.storage_key
            )
        })?;
        let bytes = if checkpoint.little_endian {
            std::borrow::Cow::Borrowed(bytes)
        } else {
            // safetensors is little-endian: swap each element of a big-endian checkpoint.
            let size = tensor.dtype.element_size() as usize;
            let mut swapped = bytes.to_vec();
            swapped.chunks_exact_mut(size).for_each(<[u8]>::reverse);
            std::borrow::Cow::Owned(swapped)
        };
        let shape = tensor.shape.iter().map(|&d| d as usize).collect();
        owned.push((name.clone(), dtype, shape, bytes));
    }
    for (name, dtype, shape, bytes) in &owned {
        let view = safetensors::tensor::TensorView::new(*dtype, shape.clone(), bytes)
            .map_err(|err| format!("{name}: {err}"))?;
        views.push((name.as_str(), view));
    }
    let metadata = Some(std::collections::HashMap::from([(
        "format".to_owned(),
        "pt".to_owned(),
    )]));
    safetensors::serialize(views, &metadata).map_err(|err| err.to_string())
}

fn safetensors_dtype(dtype: TorchDType) -> Option<safetensors::Dtype> {
    use safetensors::Dtype;
    Some(match dtype {
        TorchDType::Float64 => Dtype::F64,
        TorchDType::Float32 => Dtype::F32,
        TorchDType::Float16 => Dtype::F16,
        TorchDType::BFloat16 => Dtype::BF16,
        TorchDType::Int64 => Dtype::I64,
        TorchDType::Int32 => Dtype::I32,
        TorchDType::Int16 => Dtype::I16,
        TorchDType::Int8 => Dtype::I8,
        TorchDType::UInt8 => Dtype::U8,
        TorchDType::Bool => Dtype::BOOL,
        _ => return None,
    })
}
