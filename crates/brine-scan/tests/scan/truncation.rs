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
