//! Arbitrary bytes through the container walker with small limits: entries, never a panic,
//! and no entry whose bytes lie outside what the walk was given or could decompress. The same
//! bytes opened as a PyTorch checkpoint (every format) and its tensors listed: a checkpoint
//! or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut limits = brine_container::Limits::default();
    limits.max_member_bytes = 1 << 20;
    limits.max_total_bytes = 4 << 20;
    limits.max_depth = 8;
    let mut pickled = 0u64;
    brine_container::walk(
        "fuzz",
        bytes::Bytes::copy_from_slice(data),
        &limits,
        &mut |entry| {
            assert!(!entry.path.is_empty());
            if let brine_container::Body::Pickle { data: bytes, .. } = &entry.body {
                pickled += bytes.len() as u64;
            }
        },
    );
    if let Ok(checkpoint) =
        brine_container::checkpoint::Checkpoint::open(bytes::Bytes::copy_from_slice(data), 1 << 20)
    {
        if let Ok(graph) = brine_vm::from_bytes(checkpoint.pickle.clone(), &Default::default()) {
            for (_, tensor) in checkpoint.tensors(&graph) {
                if let Ok(tensor) = tensor {
                    let _ = tensor.byte_range();
                }
            }
        }
    }
    // Each pickle is the input or decompressed within the budget; joblib's embedded pickles
    // repeat part of their stream, so allow twice the budget.
    assert!(
        pickled <= 2 * (data.len() as u64 + (4 << 20)),
        "{pickled} bytes of pickles"
    );
});
