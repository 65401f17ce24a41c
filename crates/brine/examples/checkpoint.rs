//! Opens a PyTorch checkpoint (any torch format) and prints each tensor's name, dtype, shape
//! and first values, without torch and without running the pickle: the whole file is
//! scanned first, and a checkpoint the scanner calls dangerous is refused.
//!
//! ```text
//! cargo run -p brine --features scan --example checkpoint [FILE]
//! ```
//!
//! Without FILE it opens fixtures/containers/torch/legacy.tar, a torch < 0.4 checkpoint.

use std::path::PathBuf;

use brine::scan::Policy;
use brine::scan::checkpoint;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args_os().nth(1).map_or_else(
        || {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../fixtures/containers/torch/legacy.tar")
        },
        PathBuf::from,
    );
    let opened = checkpoint::open_path(&path, &Default::default(), &Policy::WeightsOnly)?;
    let checkpoint = &opened.checkpoint;
    println!(
        "{:?} checkpoint, {} storages",
        checkpoint.format,
        checkpoint.storages.len()
    );
    for (name, tensor) in checkpoint.tensors(&opened.graph) {
        let tensor = tensor?;
        let first = match tensor.byte_range() {
            // The storage is a slice of the (memory-mapped) file: nothing was copied.
            Some(range) => {
                let bytes = &checkpoint.storages[tensor.storage_key]
                    [range.start as usize..range.end as usize];
                first_values(tensor.dtype, bytes, checkpoint.little_endian)
            }
            None => "(not contiguous)".to_owned(),
        };
        println!("{name}\t{}\t{:?}\t{first}", tensor.dtype, tensor.shape);
    }
    Ok(())
}

/// Up to four elements of a float32, float64 or int64 tensor, as Python prints them.
fn first_values(dtype: brine_interpret::torch::TorchDType, bytes: &[u8], little: bool) -> String {
    use brine_interpret::torch::TorchDType;
    let size = dtype.element_size() as usize;
    let values: Vec<String> = bytes
        .chunks_exact(size)
        .take(4)
        .map(|chunk| {
            let mut raw = chunk.to_vec();
            if !little {
                raw.reverse();
            }
            match dtype {
                TorchDType::Float32 => format!(
                    "{:?}",
                    f32::from_le_bytes(raw.try_into().unwrap_or_default())
                ),
                TorchDType::Float64 => format!(
                    "{:?}",
                    f64::from_le_bytes(raw.try_into().unwrap_or_default())
                ),
                TorchDType::Int64 => {
                    i64::from_le_bytes(raw.try_into().unwrap_or_default()).to_string()
                }
                _ => format!("{raw:02x?}"),
            }
        })
        .collect();
    format!("[{}]", values.join(", "))
}
