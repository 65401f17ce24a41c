//! The side files of joblib < 0.10: `joblib.load` reads each array's file from beside the
//! pickle, an object array's `.npy` with `allow_pickle=True`, so scanning the pickle by its
//! path scans them as members of its report.

use std::path::{Path, PathBuf};

use brine_scan::Verdict;

/// A protocol 2 stream of a list of one `NDArrayWrapper` per name, as joblib 0.9 writes it.
fn old_joblib(files: &[&str]) -> Vec<u8> {
    let mut out = b"\x80\x02](".to_vec();
    for file in files {
        out.extend(b"cjoblib.numpy_pickle\nNDArrayWrapper\n)\x81}(");
        for text in ["filename", file] {
            out.push(b'X');
            out.extend((text.len() as u32).to_le_bytes());
            out.extend(text.as_bytes());
        }
        out.extend(b"ub");
    }
    out.extend(b"e.");
    out
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("brine-scan-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn hostile(name: &str) -> Vec<u8> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/scan");
    std::fs::read(dir.join(name)).unwrap()
}

#[test]
fn a_hostile_side_file_makes_its_pickle_dangerous() {
    let dir = scratch("side-hostile");
    let pickle = dir.join("old.pkl");
    std::fs::write(&pickle, old_joblib(&["old.pkl_01.npy", "old.pkl_02.npy"])).unwrap();
    // An honest array first, then an object array whose pickle calls os.system.
    let mut honest = b"\x93NUMPY\x01\x00".to_vec();
    let header = "{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }";
    let header = format!("{header:<117}\n");
    honest.extend((header.len() as u16).to_le_bytes());
    honest.extend(header.as_bytes());
    honest.extend(7i64.to_le_bytes());
    std::fs::write(dir.join("old.pkl_01.npy"), &honest).unwrap();
    std::fs::write(
        dir.join("old.pkl_02.npy"),
        hostile("hostile/npy_object_evil.npy"),
    )
    .unwrap();

    let report = brine_scan::scan_file(&pickle, &Default::default());
    assert_eq!(report.verdict, Verdict::Dangerous, "{report:#?}");
    let evil = dir.join("old.pkl_02.npy").display().to_string();
    assert!(
        report
            .members
            .iter()
            .any(|m| m.path.first() == Some(&evil) && m.verdict == Verdict::Dangerous),
        "{report:#?}"
    );
    // From memory there is no directory to read them from: the pickle alone is safe, and its
    // notes name the files.
    let alone = brine_scan::scan_bytes(
        "old.pkl",
        std::fs::read(&pickle).unwrap().into(),
        &Default::default(),
    );
    assert_ne!(alone.verdict, Verdict::Dangerous, "{alone:#?}");

    // Without its side files: what joblib would load is unknown.
    std::fs::remove_file(dir.join("old.pkl_01.npy")).unwrap();
    std::fs::remove_file(dir.join("old.pkl_02.npy")).unwrap();
    let report = brine_scan::scan_file(&pickle, &Default::default());
    assert_eq!(report.verdict, Verdict::Inconclusive, "{report:#?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn side_files_named_by_a_path_are_reported_not_read() {
    let dir = scratch("side-paths");
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(
        dir.join("sub/evil.npy"),
        hostile("hostile/npy_object_evil.npy"),
    )
    .unwrap();
    let pickle = dir.join("sub/old.pkl");
    let outside = dir.join("sub/evil.npy").display().to_string();
    std::fs::write(&pickle, old_joblib(&["../sub/evil.npy", &outside])).unwrap();
    let report = brine_scan::scan_file(&pickle, &Default::default());
    // joblib would load them, wherever they are: not vouched for, and not read.
    assert_eq!(report.verdict, Verdict::Inconclusive, "{report:#?}");
    let named_by_path = report
        .members
        .iter()
        .filter(|m| matches!(&m.kind, brine_scan::MemberKind::Inconclusive(why) if why.contains("by a path")))
        .count();
    assert_eq!(named_by_path, 2, "{report:#?}");
    assert!(
        report
            .members
            .iter()
            .all(|m| m.path[0] == pickle.display().to_string()),
        "only the pickle's own members: {report:#?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
