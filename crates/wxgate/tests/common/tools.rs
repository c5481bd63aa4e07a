//! Tools from outside cargo that some tests drive (schemathesis, the Python and Node receivers,
//! Chromium, nginx, Caddy), shared by the test binaries (`#[path]`-included).
//!
//! The rule: a test whose tool is missing FAILS, naming the command that installs it
//! (`.ci/setup`, which `.ci/run` runs first). It never reports `ok` for work it did not do.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// What installs every tool the tests need (Debian packages, the PyPI and npm packages).
pub const SETUP: &str = ".ci/setup";

/// The workspace's root folder.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The folders cargo may build into, where `.ci/setup` puts its Python environments:
/// `$CARGO_TARGET_DIR` (a relative one is taken from the workspace's root, where `.ci/setup`
/// runs), then the workspace's own `target/`.
pub fn target_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR").filter(|d| !d.is_empty()) {
        dirs.push(workspace().join(dir));
    }
    dirs.push(workspace().join("target"));
    dirs
}

/// `relative` (e.g. `schemathesis-venv/bin/schemathesis`) in the first of [`target_dirs`]
/// that has it.
pub fn in_target(relative: &str) -> Option<PathBuf> {
    target_dirs()
        .into_iter()
        .map(|dir| dir.join(relative))
        .find(|path| path.is_file())
}

/// `name` on the `PATH` (or the first of `also`, absolute paths, that exists).
pub fn on_path(name: &str, also: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .chain(also.iter().map(PathBuf::from))
        .find(|candidate| candidate.is_file())
}

/// Fail the test: `what` is missing. Names the command that installs it.
pub fn missing(what: &str) -> ! {
    panic!(
        "{what} is missing: this test needs it and does not pass without running. \
         Install every tool the tests use with `{SETUP}` (Debian; it needs root for apt-get), \
         or run the other tests with `--skip` naming this one"
    )
}
