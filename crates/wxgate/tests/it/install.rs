//! Issue 13 item 6: install paths — shell completions from the binary, release builds without
//! debug info and a profile that keeps line tables for profiling.
use std::process::Command;

use crate::helpers::BIN;

#[test]
fn issue_13_completions_for_each_shell() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = Command::new(BIN)
            .args(["completions", shell])
            .output()
            .expect("run wxgate");
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = String::from_utf8_lossy(&out.stdout);
        for word in ["wxgate", "simulate", "qrcode", "config"] {
            assert!(script.contains(word), "{shell} script lacks {word}");
        }
    }
    let out = Command::new(BIN)
        .args(["completions", "tcsh"])
        .output()
        .expect("run wxgate");
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unknown shell is a usage error"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("SHELL") && stderr.contains("tcsh"),
        "{stderr}"
    );
}

#[test]
fn issue_13_release_is_stripped_and_profiling_keeps_line_tables() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.toml");
    let text = std::fs::read_to_string(path).expect("workspace Cargo.toml");
    let manifest: toml::Value = toml::from_str(&text).expect("TOML");
    let profile = |name: &str, key: &str| manifest["profile"][name].get(key).cloned();
    assert_eq!(profile("release", "strip"), Some("debuginfo".into()));
    assert_eq!(profile("release", "debug"), Some(false.into()));
    assert_eq!(profile("profiling", "inherits"), Some("release".into()));
    assert_eq!(
        profile("profiling", "debug"),
        Some("line-tables-only".into())
    );
    assert_eq!(profile("profiling", "strip"), Some("none".into()));
}
