//! `brine::loads_untrusted` on the scan corpus: every hostile pickle refused, every pickle
//! of allow-listed data loaded.
#![cfg(feature = "scan")]

use std::path::Path;

fn corpus() -> Vec<(String, String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/scan");
    let manifest = std::fs::read_to_string(root.join("manifest.tsv")).expect("manifest");
    manifest
        .lines()
        .filter(|line| !line.starts_with('#') && !line.starts_with("file\t"))
        .filter(|line| {
            line.split('\t')
                .next()
                .is_some_and(|file| file.ends_with(".pickle"))
        })
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            let data = std::fs::read(root.join(fields[0])).expect("fixture");
            (fields[0].to_owned(), fields[1].to_owned(), data)
        })
        .collect()
}

#[test]
fn hostile_pickles_are_refused_and_safe_ones_load() {
    let mut refused = 0;
    let mut loaded = 0;
    for (file, expect, data) in corpus() {
        // A file whose hostile part follows an honest first pickle is loaded as
        // pickle.loads would: the first pickle only.
        let first_is_hostile = brine::scan::scan_pickle(&data, &Default::default()).verdict
            > brine::scan::Verdict::Safe;
        match brine::loads_untrusted(&data) {
            Ok(_) => {
                assert!(
                    expect == "safe" || !first_is_hostile,
                    "{file} ({expect}) was loaded"
                );
                loaded += 1;
            }
            Err(brine::Error::Refused { refusal, .. }) => {
                assert_ne!(expect, "safe", "{file} refused: {}", refusal.reason);
                refused += 1;
            }
            Err(err) => panic!("{file}: {err}"),
        }
    }
    assert!(
        refused > 150 && loaded > 90,
        "{refused} refused, {loaded} loaded"
    );
}
