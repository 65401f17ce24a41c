//! The container fixtures (fixtures/containers, made by its generate.py with numpy, joblib and
//! torch's documented layouts): each gives the entries its manifest lists, and every
//! truncation of each gives an error entry, never a panic.

use std::collections::BTreeSet;
use std::path::PathBuf;

use brine_container::{Body, Entry, Layout, Limits};
use bytes::Bytes;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/containers")
}

/// The limits of these tests: a 1 MiB member limit stops the zip bomb.
fn limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_member_bytes = 4 << 20;
    limits
}

struct Row {
    file: String,
    entries: BTreeSet<(String, String)>,
}

fn manifest() -> Vec<Row> {
    let text = std::fs::read_to_string(root().join("manifest.tsv")).unwrap();
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .skip(1)
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            let entries = fields[3]
                .split(" ; ")
                .map(|item| {
                    let (path, kind) = item.rsplit_once('=').unwrap();
                    (path.to_owned(), kind.to_owned())
                })
                .collect();
            Row {
                file: fields[0].to_owned(),
                entries,
            }
        })
        .collect()
}

fn kind(body: &Body) -> &'static str {
    match body {
        Body::Pickle {
            layout: Layout::Joblib,
            ..
        } => "joblib",
        Body::Pickle { .. } => "pickle",
        Body::Skipped(_) => "skipped",
        Body::Inconclusive(_) => "inconclusive",
        Body::Note(_) => "note",
        _ => "other",
    }
}

fn walk(name: &str, data: Bytes) -> Vec<Entry> {
    let mut entries = Vec::new();
    brine_container::walk(name, data, &limits(), &mut |entry| entries.push(entry));
    entries
}

#[test]
fn every_fixture_gives_the_entries_its_manifest_lists() {
    let rows = manifest();
    assert!(rows.len() > 40, "{} rows", rows.len());
    let mut failures = Vec::new();
    for row in &rows {
        let data = std::fs::read(root().join(&row.file)).unwrap();
        let entries = walk(&row.file, Bytes::from(data));
        let got: BTreeSet<(String, String)> = entries
            .iter()
            .map(|entry| (entry.path[1..].join("/"), kind(&entry.body).to_owned()))
            .collect();
        let want = &row.entries;
        let matches = if let Some((_, kind)) = want.iter().find(|(path, _)| path == "*") {
            got.iter().any(|(_, got_kind)| got_kind == kind)
        } else {
            &got == want
        };
        if !matches {
            failures.push(format!(
                "{}:\n  want {want:?}\n  got  {entries:#?}",
                row.file
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Whether an entry tells of a fault: inconclusive, or pickle bytes that do not decode to
/// their end (the scanner reports those).
fn is_error(entry: &Entry) -> bool {
    match &entry.body {
        Body::Inconclusive(_) => true,
        Body::Pickle {
            data,
            layout: Layout::Joblib,
        } => brine_vm::Decoder::new(Default::default())
            .after_build(brine_container::joblib::after_build)
            .from_bytes(data)
            .is_err(),
        Body::Pickle { data, .. } => {
            let mut rest = &data[..];
            if rest.is_empty() {
                return true;
            }
            while !rest.is_empty() {
                let mut reader = rest;
                if brine_vm::from_reader(&mut reader, &Default::default()).is_err() {
                    return true;
                }
                rest = reader;
            }
            false
        }
        _ => false,
    }
}

#[test]
fn every_truncation_of_a_container_gives_an_error_entry() {
    let mut failures = Vec::new();
    for row in manifest() {
        // Files that hold no container stay what they are when cut: data, text, and plain
        // pickles (whose cuts the scanner reports).
        if row.file.starts_with("other/")
            || row.file.ends_with(".distcp")
            || row.file.ends_with(".pickle")
        {
            continue;
        }
        let data = Bytes::from(std::fs::read(root().join(&row.file)).unwrap());
        // Every cut of the small files, a spread of cuts of the larger ones.
        let step = (data.len() / 1500).max(1);
        for len in (1..data.len()).step_by(step) {
            // A tar header's first 262 bytes hold nothing that names it a tar, and a stub
            // before a zip nothing that names a zip.
            if row.file.ends_with(".tar") && len < 262
                // (the 17-byte stub, then the first local header and its 5-byte name)
                || row.file.ends_with("junk_prefix.zip") && len < 17 + 30 + 5
            {
                continue;
            }
            // A tar cut after its end-of-archive block lost only padding.
            if row.file.ends_with(".tar") && tar_end(&data).is_some_and(|end| len >= end) {
                continue;
            }
            let entries = walk(&row.file, data.slice(..len));
            if !entries.iter().any(is_error) {
                failures.push(format!("{} cut at {len}: {entries:?}", row.file));
            }
        }
    }
    let shown: Vec<_> = failures.iter().take(10).collect();
    assert!(
        failures.is_empty(),
        "{} failures: {shown:#?}",
        failures.len()
    );
}

/// Where a tar's first end-of-archive block ends, walking its headers.
fn tar_end(data: &[u8]) -> Option<usize> {
    let mut pos = 0;
    loop {
        let header = data.get(pos..pos + 512)?;
        if header.iter().all(|&b| b == 0) {
            return Some(pos + 512);
        }
        let size = std::str::from_utf8(&header[124..135]).ok()?;
        let size = usize::from_str_radix(size.trim_matches(|c| c == ' ' || c == '\0'), 8).ok()?;
        pos += 512 + size.div_ceil(512) * 512;
    }
}

#[test]
fn a_distributed_checkpoint_directory_is_walked_with_its_dotfiles() {
    let mut entries = Vec::new();
    brine_container::walk_path(&root().join("torch/dcp"), &limits(), &mut |entry| {
        entries.push(entry)
    })
    .unwrap();
    let kinds: Vec<(String, &str)> = entries
        .iter()
        .map(|entry| {
            let file = PathBuf::from(&entry.path[0]);
            let name = file.file_name().unwrap().to_string_lossy().into_owned();
            (name, kind(&entry.body))
        })
        .collect();
    assert_eq!(
        kinds,
        [
            (".metadata".to_owned(), "pickle"),
            ("__0_0.distcp".to_owned(), "skipped")
        ]
    );
}

#[test]
fn stored_members_are_slices_of_the_input() {
    let data = Bytes::from(std::fs::read(root().join("torch/checkpoint.pt")).unwrap());
    let entries = walk("checkpoint.pt", data.clone());
    let pickle = entries
        .iter()
        .find_map(|entry| match &entry.body {
            Body::Pickle { data, .. } => Some(data.clone()),
            _ => None,
        })
        .unwrap();
    let start = data.as_ptr() as usize;
    let at = pickle.as_ptr() as usize;
    assert!(at > start && at + pickle.len() <= start + data.len());
    // PyTorch's writer aligns each member's data to 64 bytes.
    assert_eq!((at - start) % 64, 0);
}

#[test]
fn joblib_arrays_are_skipped_by_their_layout() {
    let data = Bytes::from(std::fs::read(root().join("joblib/model.joblib")).unwrap());
    let graph = brine_vm::Decoder::new(Default::default())
        .after_build(brine_container::joblib::after_build)
        .from_bytes(&data)
        .unwrap();
    let root = graph.root();
    let raw = |key: &str| match root.get(key).unwrap().changes().last() {
        Some(brine_value::Change::Raw(raw)) => raw.clone(),
        other => panic!("{key}: {other:?}"),
    };
    // numpy.arange(5.0) after its padding byte and padding.
    let coef = raw("coef");
    let floats: Vec<f64> = coef[1 + usize::from(coef[0])..]
        .chunks(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(floats, [0.0, 1.0, 2.0, 3.0, 4.0]);
    // joblib aligns array data to 16 bytes from the start of the stream.
    let offset = coef.as_ptr() as usize - data.as_ptr() as usize + 1 + usize::from(coef[0]);
    assert_eq!(offset % 16, 0);
    // The Fortran-order int64 2x3 array: 48 bytes, column by column.
    let fortran = raw("fortran");
    let ints: Vec<i64> = fortran[1 + usize::from(fortran[0])..]
        .chunks(8)
        .map(|c| i64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(ints, [0, 3, 1, 4, 2, 5]);
    // The object array's pickle is its own entry, and holds the array's items.
    let entries = walk("model.joblib", data);
    let embedded = entries
        .iter()
        .find(|entry| entry.path.last().unwrap() == "<object array 1>")
        .unwrap();
    let Body::Pickle { data, .. } = &embedded.body else {
        panic!("{embedded:?}");
    };
    assert!(data.starts_with(b"\x80\x02"));
    assert!(memchr::memmem::find(data, b"two").is_some());
}
