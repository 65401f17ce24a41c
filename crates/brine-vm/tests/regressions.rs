//! Replays every input the fuzzers ever found (fuzz/regressions/unpickle/): each one loads or
//! fails the same way from a slice and from a reader, without a panic.
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
        let from_slice = brine_vm::loads(&data, &options);
        let from_reader = brine_vm::load(&mut data.as_slice(), &options);
        assert_eq!(
            from_slice.is_ok(),
            from_reader.is_ok(),
            "{}: slice {:?} vs reader {:?}",
            path.display(),
            from_slice.err().map(|e| e.to_string()),
            from_reader.err().map(|e| e.to_string())
        );
        replayed += 1;
    }
    println!("{replayed} fuzz findings replayed");
    assert!(replayed > 0);
}
