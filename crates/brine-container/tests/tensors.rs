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

/// The generator's storages: `linear.weight` is `numpy.arange(6, dtype='<f4')`, `steps` is
/// `[7]` as int64 (in the tar, element 1 of the root storage `[5, 7, 9]`, through a storage
/// view). Every format, the compressed one included, opens through one API with the same
/// tensors, their data slices of the file.
#[test]
fn checkpoints_of_every_format_open_with_their_storages_uncopied() {
    use brine_container::checkpoint::{Checkpoint, Format};
    for (name, format) in [
        ("torch/checkpoint.pt", Format::Zip),
        ("torch/legacy.pt", Format::Legacy),
        ("torch/legacy.tar", Format::LegacyTar),
        ("torch/legacy.pt.gz", Format::Legacy),
    ] {
        let data = fixture(name);
        let checkpoint = Checkpoint::open(data.clone(), 1 << 20).unwrap();
        assert_eq!(checkpoint.format, format, "{name}");
        assert!(checkpoint.little_endian, "{name}");
        let graph = brine_vm::from_bytes(checkpoint.pickle.clone(), &Default::default()).unwrap();
        let tensors: Vec<_> = checkpoint
            .tensors(&graph)
            .into_iter()
            .map(|(name, tensor)| (name, tensor.unwrap()))
            .collect();
        let listed: Vec<_> = tensors
            .iter()
            .map(|(name, t)| (name.as_str(), t.dtype, t.shape.clone(), t.stride.clone()))
            .collect();
        assert_eq!(
            listed,
            [
                (
                    "model.linear.weight",
                    TorchDType::Float32,
                    vec![2, 3],
                    vec![3, 1]
                ),
                ("model.steps", TorchDType::Int64, vec![1], vec![1]),
            ],
            "{name}"
        );
        let bytes_of = |tensor: &Tensor<'_>| {
            let range = tensor.byte_range().unwrap();
            checkpoint.storages[tensor.storage_key].slice(range.start as usize..range.end as usize)
        };
        let weight = bytes_of(&tensors[0].1);
        let values: Vec<f32> = weight
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
            .collect();
        assert_eq!(values, [0.0, 1.0, 2.0, 3.0, 4.0, 5.0], "{name}");
        assert_eq!(&bytes_of(&tensors[1].1)[..], 7i64.to_le_bytes(), "{name}");
        if !name.ends_with(".gz") {
            // The storage is a slice of the file itself: nothing was copied.
            assert!(data.as_ptr_range().contains(&weight.as_ptr()), "{name}");
        }
    }
    assert!(Checkpoint::open(fixture("npy/float64.npy"), 1 << 20).is_err());
}

/// A file opened by path is read through brine-mmap, and reads the same.
#[test]
fn checkpoints_open_by_path() {
    use brine_container::checkpoint::Checkpoint;
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/containers/torch/legacy.tar");
    let checkpoint = Checkpoint::open_path(&path, 1 << 20).unwrap();
    let graph = brine_vm::from_bytes(checkpoint.pickle.clone(), &Default::default()).unwrap();
    assert_eq!(checkpoint.tensors(&graph).len(), 2);
    let missing = Checkpoint::open_path(&path.with_extension("missing"), 1 << 20).unwrap_err();
    assert!(missing.to_string().contains("cannot read"), "{missing}");
}

/// The tar's broken layouts are errors naming the member, never a panic.
#[test]
fn broken_legacy_tars_are_errors() {
    use brine_container::checkpoint::Checkpoint;
    let data = fixture("torch/legacy.tar");
    for cut in (0..data.len()).step_by(97) {
        let _ = Checkpoint::open(data.slice(..cut), 1 << 20);
    }
    let mut corrupt = data.to_vec();
    for i in (512..corrupt.len()).step_by(31) {
        corrupt[i] ^= 0xff;
        let _ = Checkpoint::open(bytes::Bytes::from(corrupt.clone()), 1 << 20);
        corrupt[i] ^= 0xff;
    }
}
