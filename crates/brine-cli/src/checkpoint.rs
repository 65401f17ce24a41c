//! `brine checkpoint ls|to-safetensors FILE`: a PyTorch checkpoint's tensors, listed or written
//! as a `.safetensors` file, without ever running its pickle.
//!
//! The pickle is scanned first (brine-scan): a dangerous one is refused, a suspicious one
//! (classes the lists do not know) is refused unless `--allow-suspicious`; only then is it
//! decoded and its tensors read (brine-interpret) from the storages, which are slices of the
//! file (brine-container).

use std::fmt::Write as _;
use std::path::PathBuf;

use brine_container::checkpoint::Checkpoint;
use brine_interpret::Interpreter;
use brine_interpret::torch::{Tensor, TorchDType};
use brine_scan::Policy;
use bytes::Bytes;

use crate::{input, output};

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
    /// The checkpoint: a `torch.save` zip, or the legacy format.
    input: PathBuf,
    /// Accept classes the scanner's lists do not know (dangerous ones are still refused).
    #[arg(long)]
    allow_suspicious: bool,
}

pub fn run(args: &CheckpointArgs) -> Result<(), String> {
    match &args.command {
        CheckpointCommand::Ls(source) => {
            let (checkpoint, graph) = open(source)?;
            let tensors = tensors(source, &checkpoint, &graph)?;
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
            let (checkpoint, graph) = open(source)?;
            let tensors = tensors(source, &checkpoint, &graph)?;
            let data = safetensors_bytes(&checkpoint, &tensors)?;
            std::fs::write(output, data).map_err(|err| format!("{}: {err}", output.display()))
        }
    }
}

/// The checkpoint and its pickle's graph, once the scan let it through.
fn open(source: &Source) -> Result<(Checkpoint, brine_value::Graph), String> {
    let path = &source.input;
    let data = input::read_all(Some(path)).map_err(|err| format!("{}: {err}", path.display()))?;
    let checkpoint = Checkpoint::open(Bytes::from(data), 4 << 30)
        .map_err(|err| format!("{}: {err}", path.display()))?;
    let report = brine_scan::scan_pickle(&checkpoint.pickle, &Default::default());
    let policy = if source.allow_suspicious {
        Policy::DangerousAllowSuspicious
    } else {
        Policy::Lists
    };
    if let Some(refusal) = policy.refusal(&report) {
        return Err(format!("{}: refused: {}", path.display(), refusal.reason));
    }
    let graph = brine_vm::from_bytes(checkpoint.pickle.clone(), &Default::default())
        .map_err(|err| format!("{}: {err}", path.display()))?;
    Ok((checkpoint, graph))
}

/// Every tensor of the state dict, each with its storage present.
fn tensors<'g>(
    source: &Source,
    checkpoint: &Checkpoint,
    graph: &'g brine_value::Graph,
) -> Result<Vec<(String, Tensor<'g>)>, String> {
    let path = source.input.display();
    let mut out = Vec::new();
    for (name, tensor) in Interpreter::new(graph).tensors(graph.root_value()) {
        let tensor = tensor.map_err(|err| format!("{path}: {name}: {err}"))?;
        if !checkpoint.storages.contains_key(tensor.storage_key) {
            return Err(format!(
                "{path}: {name}: storage `{}` is not in the checkpoint",
                tensor.storage_key
            ));
        }
        out.push((name, tensor));
    }
    Ok(out)
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
