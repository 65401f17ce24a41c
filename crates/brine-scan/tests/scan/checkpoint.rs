//! `brine_scan::checkpoint`: every hostile checkpoint of the corpus (each container kind) is
//! refused with its finding; the state dict fixtures of every format open with their tensors.

use std::path::PathBuf;

use brine_scan::Policy;
use brine_scan::checkpoint::{self, OpenError};

fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(path)
}

#[test]
fn hostile_checkpoints_are_refused_with_the_finding() {
    for (file, member) in [
        ("scan/hostile/torch_zip_data_pkl.pt", "archive/data.pkl"),
        (
            "scan/hostile/torch_zip_other_member.pt",
            "archive/extra.txt",
        ),
        ("scan/hostile/torch_zip_deflated.pt", "archive/data.pkl"),
        ("scan/hostile/torch_zip_sleepy.pt", "archive/data.pkl"),
        ("scan/hostile/legacy_torch_evil.pt", ""),
        ("scan/hostile/legacy_torch_evil.pt.gz", ""),
        ("scan/hostile/legacy_torch_tar_evil.tar", "pickle"),
        ("scan/hostile/legacy_torch_tar_evil_record.tar", "storages"),
        (
            "scan/hostile/torchscript_constants_evil.pt",
            "model/constants.pkl",
        ),
    ] {
        for policy in [
            Policy::Lists,
            Policy::DangerousAllowSuspicious,
            Policy::WeightsOnly,
        ] {
            let err = checkpoint::open_path(&fixture(file), &Default::default(), &policy)
                .expect_err(file);
            let OpenError::Refused {
                member: path,
                refusal,
            } = err
            else {
                panic!("{file}: {err}");
            };
            assert_eq!(path[1..].join("/"), member, "{file}");
            let finding = refusal.finding.expect("a finding");
            assert_eq!(finding.verdict, brine_scan::Verdict::Dangerous, "{file}");
            let global = finding.global.as_deref();
            assert!(
                matches!(global, Some("posix.system" | "builtins.exec")),
                "{file}: {global:?}"
            );
        }
    }
}

#[test]
fn honest_checkpoints_open_with_their_tensors() {
    for file in [
        "containers/torch/checkpoint.pt",
        "containers/torch/legacy.pt",
        "containers/torch/legacy.tar",
        "containers/torch/legacy.pt.gz",
    ] {
        let opened =
            checkpoint::open_path(&fixture(file), &Default::default(), &Policy::WeightsOnly)
                .unwrap_or_else(|err| panic!("{file}: {err}"));
        let names: Vec<String> = opened
            .checkpoint
            .tensors(&opened.graph)
            .into_iter()
            .map(|(name, tensor)| {
                tensor.unwrap();
                name
            })
            .collect();
        assert_eq!(names, ["model.linear.weight", "model.steps"], "{file}");
    }
}

#[test]
fn a_suspicious_checkpoint_opens_only_when_the_policy_allows() {
    let file = fixture("containers/torch/suspicious.pt");
    let err = checkpoint::open_path(&file, &Default::default(), &Policy::Lists).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("refused: not allowed: trainer.config.TrainConfig"),
        "{err}"
    );
    let opened = checkpoint::open_path(
        &file,
        &Default::default(),
        &Policy::AllowList(vec!["trainer.config.TrainConfig".into()]),
    );
    // An allow list names every global the pickle may use: torch's are not on this one.
    assert!(opened.is_err());
    let opened = checkpoint::open_path(
        &file,
        &Default::default(),
        &Policy::DangerousAllowSuspicious,
    )
    .unwrap();
    assert_eq!(opened.report.verdict, brine_scan::Verdict::Suspicious);
    assert_eq!(opened.checkpoint.tensors(&opened.graph).len(), 2);
}

#[test]
fn a_file_that_is_no_checkpoint_is_not_opened() {
    let err = checkpoint::open_path(
        &fixture("containers/npy/float64.npy"),
        &Default::default(),
        &Policy::Lists,
    )
    .unwrap_err();
    assert!(matches!(err, OpenError::NotACheckpoint(_)), "{err}");
}
