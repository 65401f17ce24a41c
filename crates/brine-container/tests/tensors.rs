//! The tensors of the checkpoint fixtures, read through brine-container and brine-interpret's
//! torch reader. fixtures/containers/generate.py writes one state dict in each of torch's
//! formats: `{'model': OrderedDict(linear.weight = float32 (2, 3) in storage '0',
//! steps = int64 (1,) in storage '1'), 'epoch': 3}`; these tests check that every format gives
//! exactly that.

use std::path::PathBuf;

use brine_container::{Body, Limits};
use brine_interpret::Interpreter;
use brine_interpret::torch::{Tensor, TorchDType};
use bytes::Bytes;

fn fixture(name: &str) -> Bytes {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/containers")
        .join(name);
    Bytes::from(std::fs::read(path).unwrap())
}

/// A tensor as a listing shows it: name, dtype, storage key, shape, stride.
type Listed = (String, TorchDType, &'static str, Vec<u64>, Vec<u64>);

/// The tensors of every pickle the container holds, by name.
fn tensors(name: &str) -> Vec<Listed> {
    let mut found = Vec::new();
    brine_container::walk(name, fixture(name), &Limits::default(), &mut |entry| {
        let Body::Pickle { data, .. } = entry.body else {
            return;
        };
        // Several pickles after each other in the legacy format: read them all.
        let mut rest = &data[..];
        while !rest.is_empty() {
            let mut reader = rest;
            let Ok(graph) = brine_vm::from_reader(&mut reader, &Default::default()) else {
                break;
            };
            rest = reader;
            for (name, tensor) in Interpreter::new(&graph).tensors(graph.root_value()) {
                let Tensor {
                    dtype,
                    storage_key,
                    shape,
                    stride,
                    ..
                } = tensor.unwrap();
                let key = match storage_key {
                    "0" => "0",
                    "1" => "1",
                    other => panic!("unexpected storage key {other}"),
                };
                found.push((name, dtype, key, shape, stride));
            }
        }
    });
    found
}

fn expected() -> Vec<Listed> {
    vec![
        (
            "model.linear.weight".into(),
            TorchDType::Float32,
            "0",
            vec![2, 3],
            vec![3, 1],
        ),
        (
            "model.steps".into(),
            TorchDType::Int64,
            "1",
            vec![1],
            vec![1],
        ),
    ]
}

#[test]
fn a_zip_checkpoint_lists_its_state_dict() {
    assert_eq!(tensors("torch/checkpoint.pt"), expected());
}

#[test]
fn a_legacy_checkpoint_lists_its_state_dict() {
    assert_eq!(tensors("torch/legacy.pt"), expected());
}

#[test]
fn byte_ranges_of_contiguous_tensors() {
    let weight = Tensor {
        dtype: TorchDType::Float32,
        storage_key: "0",
        location: "cpu",
        storage_len: 6,
        offset: 0,
        shape: vec![2, 3],
        stride: vec![3, 1],
        requires_grad: false,
    };
    assert_eq!(weight.byte_range(), Some(0..24));
    let transposed = Tensor {
        shape: vec![3, 2],
        stride: vec![1, 3],
        ..weight.clone()
    };
    assert!(!transposed.is_contiguous());
    assert_eq!(transposed.byte_range(), None);
    let row = Tensor {
        shape: vec![3],
        stride: vec![1],
        offset: 3,
        ..weight.clone()
    };
    assert_eq!(row.byte_range(), Some(12..24));
    let beyond = Tensor { offset: 4, ..row };
    assert_eq!(beyond.byte_range(), None, "past the storage's end");
}

/// The generator's storages: `linear.weight` is `numpy.arange(6, dtype='<f4')` in storage
/// '0', `steps` is `[7]` as int64 in storage '1'.
#[test]
fn checkpoints_open_with_their_storages_uncopied() {
    use brine_container::checkpoint::Checkpoint;
    for name in ["torch/checkpoint.pt", "torch/legacy.pt"] {
        let data = fixture(name);
        let checkpoint = Checkpoint::open(data.clone(), 1 << 20).unwrap();
        assert!(checkpoint.little_endian, "{name}");
        let graph = brine_vm::from_bytes(checkpoint.pickle.clone(), &Default::default()).unwrap();
        let tensors = Interpreter::new(&graph).tensors(graph.root_value());
        assert_eq!(tensors.len(), 2, "{name}");
        let (_, weight) = &tensors[0];
        let weight = weight.as_ref().unwrap();
        let storage = &checkpoint.storages[weight.storage_key];
        let range = weight.byte_range().unwrap();
        let bytes = storage.slice(range.start as usize..range.end as usize);
        let values: Vec<f32> = bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
            .collect();
        assert_eq!(values, [0.0, 1.0, 2.0, 3.0, 4.0, 5.0], "{name}");
        // The storage is a slice of the file itself: nothing was copied.
        assert!(data.as_ptr_range().contains(&bytes.as_ptr()), "{name}");
        let steps = &checkpoint.storages["1"];
        assert_eq!(&steps[..], 7i64.to_le_bytes(), "{name}");
    }
    assert!(Checkpoint::open(fixture("npy/float64.npy"), 1 << 20).is_err());
}
