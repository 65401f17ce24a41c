//! `brine checkpoint`: the checkpoint fixtures of fixtures/containers (made by its
//! generate.py in torch's layouts: `{'model': OrderedDict(linear.weight = float32 (2, 3)
//! holding 0..6, steps = int64 [7]), 'epoch': 3}`), and hostile ones from the scan corpus,
//! one or more per container kind.

use std::process::{Command, Output};

fn brine(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_brine"))
        .args(args)
        .output()
        .expect("brine runs")
}

/// The same state dict in every format: zip, legacy stream, torch < 0.4's tar, compressed.
const FORMATS: [&str; 4] = [
    "containers/torch/checkpoint.pt",
    "containers/torch/legacy.pt",
    "containers/torch/legacy.tar",
    "containers/torch/legacy.pt.gz",
];

fn fixture(path: &str) -> String {
    format!("{}/../../fixtures/{path}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn ls_lists_every_tensor_of_every_format() {
    for file in FORMATS {
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
    for file in FORMATS {
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

/// One hostile checkpoint per container kind, each calling `posix.system('id')`: both
/// commands refuse it with the scanner's finding, name the member, and write nothing.
#[test]
fn a_hostile_checkpoint_of_every_kind_is_refused_with_the_finding() {
    let dir = std::env::temp_dir().join(format!("brine-checkpoint-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let target = dir.join("out.safetensors");
    for (file, member) in [
        (
            "scan/hostile/torch_zip_data_pkl.pt",
            " (in archive/data.pkl)",
        ),
        (
            "scan/hostile/torch_zip_other_member.pt",
            " (in archive/extra.txt)",
        ),
        (
            "scan/hostile/torch_zip_deflated.pt",
            " (in archive/data.pkl)",
        ),
        ("scan/hostile/legacy_torch_evil.pt", ""),
        ("scan/hostile/legacy_torch_evil.pt.gz", ""),
        ("scan/hostile/legacy_torch_tar_evil.tar", " (in pickle)"),
        (
            "scan/hostile/legacy_torch_tar_evil_record.tar",
            " (in storages)",
        ),
        (
            "scan/hostile/torchscript_constants_evil.pt",
            " (in model/constants.pkl)",
        ),
    ] {
        for command in [
            &["checkpoint", "ls", &fixture(file)][..],
            &[
                "checkpoint",
                "to-safetensors",
                &fixture(file),
                "-o",
                target.to_str().unwrap(),
            ][..],
        ] {
            let out = brine(command);
            assert!(!out.status.success(), "{file}");
            let stderr = String::from_utf8(out.stderr).unwrap();
            assert!(
                stderr.contains("refused: dangerous: posix.system at offset")
                    && stderr.contains("runs a shell command or spawns a process")
                    && stderr.trim_end().ends_with(member),
                "{file}: {stderr}"
            );
            assert!(out.stdout.is_empty(), "{file}: nothing listed");
            assert!(!target.exists(), "{file}: nothing written");
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The legacy stream's model pickle starts at byte 27 of the file, its call at byte 22 of
/// it: the refusal names the byte in the file.
#[test]
fn a_refusal_names_the_offset_in_the_file() {
    let out = brine(&[
        "checkpoint",
        "ls",
        &fixture("scan/hostile/legacy_torch_evil.pt"),
    ]);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("posix.system at offset 49:"), "{stderr}");
}

/// A class of the training code is suspicious: refused unless `--allow-suspicious`, which
/// lists the tensors and reports the finding on stderr.
#[test]
fn a_suspicious_checkpoint_opens_only_when_allowed() {
    let file = fixture("containers/torch/suspicious.pt");
    let out = brine(&["checkpoint", "ls", &file]);
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("refused: not allowed: trainer.config.TrainConfig"),
        "{stderr}"
    );
    let out = brine(&["checkpoint", "ls", "--allow-suspicious", &file]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "model.linear.weight\ttorch.float32\t[2, 3]\t24\nmodel.steps\ttorch.int64\t[1]\t8\n"
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("archive/data.pkl: suspicious: trainer.config.TrainConfig")
            && stderr.contains("(accepted: --allow-suspicious)"),
        "{stderr}"
    );
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
