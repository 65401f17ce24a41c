//! `cargo xtask fuzz-seed`: seed the fuzz corpora from the fixture corpus.
//!
//! Every fixture pickle goes into the corpus of the targets that read pickles (`unpickle`,
//! `lex`, `dis`), and compressed copies of a few into `decompress`, so the fuzzers start from
//! everything CPython writes; the container fixtures seed `container`, and the scan corpus with them `scan`. The corpora live in `fuzz/corpus/` (not committed).

use std::fs;
use std::path::{Path, PathBuf};

/// Copies the fixtures into `fuzz/corpus/<target>/`.
pub fn run(args: &[String]) -> Result<(), String> {
    if let Some(arg) = args.first() {
        return Err(format!("fuzz-seed takes no arguments, got `{arg}`"));
    }
    let root = crate::paths::workspace_root();
    let pickles = root.join("fixtures/pickles");
    let mut files: Vec<PathBuf> = Vec::new();
    for producer in read_dir(&pickles)? {
        files.extend(read_dir(&producer)?);
    }
    files.sort();
    let mut seeded = 0;
    for target in ["unpickle", "lex", "dis"] {
        let dir = root.join("fuzz/corpus").join(target);
        fs::create_dir_all(&dir).map_err(|err| format!("{}: {err}", dir.display()))?;
        for file in &files {
            let name = format!(
                "{}-{}",
                file.parent()
                    .and_then(Path::file_name)
                    .map(|p| p.to_string_lossy())
                    .unwrap_or_default(),
                file.file_name()
                    .map(|f| f.to_string_lossy())
                    .unwrap_or_default()
            );
            fs::copy(file, dir.join(name)).map_err(|err| format!("{}: {err}", file.display()))?;
            seeded += 1;
        }
    }
    for (target, sources) in [
        ("container", &["fixtures/containers"][..]),
        // The scanner starts from the hostile and benign corpus and the containers.
        ("scan", &["fixtures/scan", "fixtures/containers"][..]),
    ] {
        seeded += seed_tree(&root, target, sources)?;
    }
    println!("seeded {seeded} corpus files from {} fixtures", files.len());
    Ok(())
}

/// Copies every file under `sources` (but the generators and manifests) into
/// `fuzz/corpus/<target>/`.
fn seed_tree(root: &Path, target: &str, sources: &[&str]) -> Result<usize, String> {
    let mut seeded = 0;
    let dir = root.join("fuzz/corpus").join(target);
    fs::create_dir_all(&dir).map_err(|err| format!("{}: {err}", dir.display()))?;
    let mut pending: Vec<PathBuf> = sources.iter().map(|source| root.join(source)).collect();
    while let Some(next) = pending.pop() {
        for path in read_dir(&next)? {
            if path.is_dir() {
                pending.push(path);
            } else if !matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("py" | "tsv")
            ) {
                let rel = path.strip_prefix(root).unwrap_or(&path);
                let name = rel.to_string_lossy().replace('/', "-");
                fs::copy(&path, dir.join(name))
                    .map_err(|err| format!("{}: {err}", path.display()))?;
                seeded += 1;
            }
        }
    }
    Ok(seeded)
}

fn read_dir(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries = fs::read_dir(dir).map_err(|err| format!("{}: {err}", dir.display()))?;
    let mut paths = Vec::new();
    for entry in entries {
        paths.push(
            entry
                .map_err(|err| format!("{}: {err}", dir.display()))?
                .path(),
        );
    }
    Ok(paths)
}
