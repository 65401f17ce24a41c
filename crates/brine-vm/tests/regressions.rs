//! Replays every input the fuzzers ever found (fuzz/regressions/unpickle/): each one loads or
//! fails the same way (the same error at the same offset) from a slice and from readers,
//! without a panic.
//!
//! - `frame-longer-than-stream.pickle` (unpickle target): a FRAME claiming more bytes than the
//!   pickle holds loaded from a reader but not from a slice; a frame that extends past STOP is
//!   now an error on both paths, as CPython (which reads the whole frame first) makes it.

use std::fs;
use std::path::Path;

#[test]
fn every_fuzz_finding_stays_fixed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/regressions/unpickle");
    let mut replayed = 0;
    for entry in fs::read_dir(&dir).expect("fuzz/regressions/unpickle exists") {
        let path = entry.expect("readable directory").path();
        let data = fs::read(&path).expect("readable finding");
        let options = brine_vm::Options::default();
        let from_slice = brine_vm::from_slice(&data, &options);
        let from_reader = brine_vm::from_reader(&mut data.as_slice(), &options);
        let from_trickle = brine_vm::from_reader(brine_testdata::Trickle(&data), &options);
        // The same outcome, and the same error down to its offset, from every input.
        let slice = from_slice
            .map(|graph| format!("{graph:?}"))
            .map_err(|e| e.to_string());
        for (reader, res) in [("a reader", from_reader), ("a 1-byte reader", from_trickle)] {
            let res = res
                .map(|graph| format!("{graph:?}"))
                .map_err(|e| e.to_string());
            assert_eq!(res, slice, "{}: from {reader}", path.display());
        }
        replayed += 1;
    }
    println!("{replayed} fuzz findings replayed");
    assert!(replayed > 0);
}
