//! Arbitrary bytes through the scanner, containers included, with small limits: a report,
//! never a panic, and never a clean verdict for bytes the scan could not read to the end.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut options = brine_scan::Options::default();
    options.container_limits.max_member_bytes = 1 << 20;
    options.container_limits.max_total_bytes = 4 << 20;
    options.container_limits.max_depth = 8;
    options.vm_limits.max_nodes = 1 << 16;
    options.vm_limits.max_stack = 1 << 16;
    options.vm_limits.max_memo = 1 << 16;
    options.vm_limits.max_bytes = 4 << 20;
    options.max_pickles = 64;
    let report = brine_scan::scan_bytes("fuzz", bytes::Bytes::copy_from_slice(data), &options);
    for member in &report.members {
        assert!(member.verdict <= report.verdict);
        if let brine_scan::MemberKind::Pickles(pickles) = &member.kind {
            for pickle in pickles {
                assert!(
                    pickle.error.is_none() || pickle.verdict >= brine_scan::Verdict::Suspicious
                );
            }
        }
    }
    let pickle = brine_scan::scan_pickle(data, &options);
    assert!(pickle.error.is_none() || pickle.verdict >= brine_scan::Verdict::Inconclusive);
});
