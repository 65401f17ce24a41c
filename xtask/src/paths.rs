//! Where the workspace and its build outputs are, found when the command runs.
//!
//! `cargo xtask` is `cargo run -p xtask`, which sets `CARGO_MANIFEST_DIR` for the process it
//! starts; reading it then, rather than the value compiled in, keeps a binary built from one
//! checkout (several clones sharing a `CARGO_TARGET_DIR`, which cargo does not rebuild for)
//! from working on another checkout's files.

use std::env;
use std::path::{Path, PathBuf};

/// The workspace root: the folder holding `xtask/`.
pub fn workspace_root() -> PathBuf {
    let manifest = env::var_os("CARGO_MANIFEST_DIR")
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    // Invariant: this crate lives in `xtask/` directly under the workspace root.
    manifest
        .parent()
        .map(Path::to_path_buf)
        .expect("xtask sits in the workspace root")
}

/// The path of a binary `cargo build --release` wrote, in `CARGO_TARGET_DIR` when set.
pub fn release_binary(name: &str) -> PathBuf {
    env::var_os("CARGO_TARGET_DIR")
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
        .join("release")
        .join(name)
}
