//! Tidy: CPython's reductions are recognised in this crate only. Code anywhere else in the
//! workspace that names a reduction's callable is a second recogniser in the making.

use std::fs;
use std::path::{Path, PathBuf};

/// The names of the callables the recognisers know, as string literals in Rust code: a file
/// that spells one of them out is reading (or writing) that reduction.
const NEEDLES: &[&str] = &[
    "\"_reconstructor\"",
    "\"__newobj__\"",
    "\"__newobj_ex__\"",
    "\"copyreg\"",
    "\"copy_reg\"",
    "\"OrderedDict\"",
    "\"Counter\"",
    "\"_codecs\"",
    "\"Decimal\"",
    "\"Fraction\"",
    "\"functools\"",
    "\"getattr\"",
    "\"__builtin__\"",
];

/// Where the names may appear, and why. Paths are relative to the workspace root; a folder
/// ends with `/`.
const ALLOWED: &[(&str, &str)] = &[
    (
        "crates/brine-interpret/",
        "the one place that recognises the reductions",
    ),
    (
        "crates/brine-encode/",
        "the encoder writes CPython's forms (copyreg names, Python 2 names, `_codecs.encode` \
         bytes below protocol 3), it never reads them",
    ),
    (
        "crates/brine-serde/src/ser/instance.rs",
        "the serialize side writes instances as CPython does (`copyreg._reconstructor` below \
         protocol 2)",
    ),
    (
        "crates/brine-value/src/compat/",
        "CPython's `_compat_pickle` tables, generated",
    ),
    (
        "crates/brine-value/src/compat.rs",
        "CPython's `_compat_pickle` tables, generated",
    ),
    (
        "crates/brine-vm/src/idioms.rs",
        "names the CPython that wrote a pickle from how it spelled a bytearray below protocol 3 \
         (3.7's `bytearray(text, 'latin-1')`), for the flavour alone; what the call means is \
         read here",
    ),
    (
        "crates/brine-value/src/arbitrary.rs",
        "makes random graphs with the globals CPython writes, for property tests",
    ),
];

/// Folders never scanned: build output, the fixture corpus, and test code (which builds the
/// forms it checks readers against).
const SKIPPED_DIRS: &[&str] = &["target", ".git", "fixtures", "tests", "node_modules"];

#[test]
fn reductions_are_recognised_in_brine_interpret_only() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    for top in ["crates", "xtask", "benches", "fuzz"] {
        collect(&root.join(top), &mut files);
    }
    assert!(
        files.len() > 50,
        "only {} sources found under {}",
        files.len(),
        root.display()
    );
    let mut found = Vec::new();
    for file in &files {
        let relative = file
            .strip_prefix(&root)
            .expect("collected under the root")
            .to_string_lossy()
            .replace('\\', "/");
        if ALLOWED.iter().any(|(allowed, _)| {
            relative == *allowed || (allowed.ends_with('/') && relative.starts_with(allowed))
        }) {
            continue;
        }
        let text = fs::read_to_string(file).expect("readable source");
        for (idx, line) in text.lines().enumerate() {
            // Comments and docs may name a reduction to explain it.
            if line.trim_start().starts_with("//") {
                continue;
            }
            for needle in NEEDLES {
                if line.contains(needle) {
                    found.push(format!("{relative}:{}: {needle}: {}", idx + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "reduction names outside brine-interpret (recognise them there, through \
         brine_interpret::Interpreter, or add the file to ALLOWED with the reason):\n{}",
        found.join("\n")
    );
}

/// The tidy test catches what it is meant to: a line that names a reduction.
#[test]
fn the_needles_match_a_recogniser() {
    let line = r#"("copyreg", "_reconstructor") => self.reconstructor(args),"#;
    assert!(NEEDLES.iter().any(|needle| line.contains(needle)));
    let comment = "    // copyreg._reconstructor(cls, base, state)";
    assert!(comment.trim_start().starts_with("//"));
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if path.is_dir() {
            if !SKIPPED_DIRS.contains(&name.to_string_lossy().as_ref()) {
                collect(&path, out);
            }
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}
