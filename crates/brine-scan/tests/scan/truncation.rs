//! Every prefix of a hostile pickle is dangerous or inconclusive, never clean, and never a
//! panic.

use std::path::PathBuf;

use brine_scan::{Options, Verdict};

#[test]
fn every_prefix_of_every_hostile_pickle_is_never_clean() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/scan/hostile");
    let mut checked = 0;
    for entry in std::fs::read_dir(dir).expect("hostile corpus") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|ext| ext != "pickle") {
            continue;
        }
        let data = std::fs::read(&path).expect("readable");
        // Where the hostile part follows an honest pickle, a prefix may be that pickle.
        if brine_scan::scan_pickle(&data, &Options::default()).verdict != Verdict::Dangerous {
            continue;
        }
        for len in 0..data.len() {
            let report = brine_scan::scan_pickle(&data[..len], &Options::default());
            assert!(
                report.verdict >= Verdict::Inconclusive,
                "{} cut at {len}: {}",
                path.display(),
                report.verdict
            );
            checked += 1;
        }
    }
    assert!(checked > 1000);
}

#[test]
fn small_limits_are_inconclusive_not_clean() {
    let mut options = Options::default();
    options.vm_limits.max_nodes = 3;
    // pickle.dumps(list(range(10)), protocol=2)
    let data = b"\x80\x02]q\x00(K\x00K\x01K\x02K\x03K\x04K\x05K\x06K\x07K\x08K\x09e.";
    let report = brine_scan::scan_pickle(data, &options);
    assert_eq!(report.verdict, Verdict::Safe, "no node beyond the list");
    options.vm_limits.max_stack = 4;
    let report = brine_scan::scan_pickle(data, &options);
    assert_eq!(report.verdict, Verdict::Inconclusive);
}

/// Bytes of the corpus changed one at a time, through the file scanner with small limits:
/// a report every time, never a panic (the fuzz target `scan` does this at length).
#[test]
fn mutated_corpus_files_give_reports() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/scan/hostile");
    let mut options = Options::default();
    options.container_limits.max_member_bytes = 1 << 20;
    options.vm_limits.max_nodes = 1 << 12;
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut scanned = 0;
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("hostile corpus")
        .map(|entry| entry.expect("entry").path())
        .collect();
    paths.sort();
    for path in paths {
        let data = std::fs::read(&path).expect("readable");
        if data.is_empty() {
            continue;
        }
        for _ in 0..8 {
            // xorshift: a fixed sequence, so that a failure reproduces.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let mut mutated = data.clone();
            let at = (state % data.len() as u64) as usize;
            mutated[at] = (state >> 32) as u8;
            let report = brine_scan::scan_bytes("mutated", bytes::Bytes::from(mutated), &options);
            assert!(!report.members.is_empty() || report.verdict == Verdict::Inconclusive);
            scanned += 1;
        }
    }
    assert!(scanned > 1000);
}
