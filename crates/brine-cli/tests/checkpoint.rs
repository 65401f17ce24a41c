//! `brine checkpoint`: the checkpoint fixtures of fixtures/containers (made by its
//! generate.py in torch's layouts: `{'model': OrderedDict(linear.weight = float32 (2, 3)
//! holding 0..6, steps = int64 [7]), 'epoch': 3}`), and a hostile one from the scan corpus.

use std::process::{Command, Output};

fn brine(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_brine"))
        .args(args)
        .output()
        .expect("brine runs")
}

fn fixture(path: &str) -> String {
    format!("{}/../../fixtures/{path}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn ls_lists_every_tensor_of_both_formats() {
    for file in [
        "containers/torch/checkpoint.pt",
        "containers/torch/legacy.pt",
    ] {
        let out = brine(&["checkpoint", "ls", &fixture(file)]);
        assert!(
            out.status.success(),
            "{file}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8(out.stdout).unwrap(),
            "model.linear.weight\ttorch.float32\t[2, 3]\t24\nmodel.steps\ttorch.int64\t[1]\t8\n",
            "{file}"
        );
    }
}

#[test]
fn to_safetensors_writes_the_tensors_data() {
    let dir = std::env::temp_dir().join(format!("brine-checkpoint-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for file in [
        "containers/torch/checkpoint.pt",
        "containers/torch/legacy.pt",
    ] {
        let target = dir.join("model.safetensors");
        let out = brine(&[
            "checkpoint",
            "to-safetensors",
            &fixture(file),
            "-o",
            target.to_str().unwrap(),
        ]);
        assert!(
            out.status.success(),
            "{file}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let data = std::fs::read(&target).unwrap();
        let tensors = safetensors::SafeTensors::deserialize(&data).unwrap();
        let weight = tensors.tensor("model.linear.weight").unwrap();
        assert_eq!(weight.dtype(), safetensors::Dtype::F32);
        assert_eq!(weight.shape(), [2, 3]);
        let values: Vec<f32> = weight
            .data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
            .collect();
        assert_eq!(values, [0.0, 1.0, 2.0, 3.0, 4.0, 5.0], "{file}");
        let steps = tensors.tensor("model.steps").unwrap();
        assert_eq!(
            (steps.dtype(), steps.shape()),
            (safetensors::Dtype::I64, &[1][..])
        );
        assert_eq!(steps.data(), 7i64.to_le_bytes());
        let (_, metadata) = safetensors::SafeTensors::read_metadata(&data).unwrap();
        assert_eq!(metadata.metadata().as_ref().unwrap()["format"], "pt");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_hostile_checkpoint_is_refused_with_the_finding() {
    for file in [
        "scan/hostile/torch_zip_data_pkl.pt",
        "scan/hostile/legacy_torch_evil.pt",
    ] {
        let out = brine(&["checkpoint", "ls", &fixture(file)]);
        assert!(!out.status.success(), "{file}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(stderr.contains("refused: dangerous"), "{file}: {stderr}");
        assert!(out.stdout.is_empty(), "{file}: nothing listed");
    }
}

#[test]
fn a_file_that_is_no_checkpoint_is_an_error() {
    let out = brine(&["checkpoint", "ls", &fixture("containers/npy/float64.npy")]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("not a PyTorch checkpoint")
    );
}
