//! The `larch` binary's commands that need no server: keys, configuration errors, help.

use std::process::Command;

fn larch() -> Command {
    Command::new(env!("CARGO_BIN_EXE_larch"))
}

#[test]
fn keys_create_list_delete() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let out = larch().args(["keys", "create", "--account", "111111111111", "--data", data]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2);
    let akid = lines[0].strip_prefix("AWS_ACCESS_KEY_ID=").expect("export line for the key id");
    let secret = lines[1].strip_prefix("AWS_SECRET_ACCESS_KEY=").expect("export line for the secret");
    assert!(akid.starts_with("AKIA") && akid.len() == 20);
    assert_eq!(secret.len(), 40);

    let list = larch().args(["keys", "list", "--data", data]).output().unwrap();
    let listed = String::from_utf8(list.stdout).unwrap();
    assert!(listed.contains(akid) && listed.contains("111111111111"));
    assert!(!listed.contains(secret), "secrets are never listed");

    assert!(larch().args(["keys", "delete", akid, "--data", data]).status().unwrap().success());
    let again = larch().args(["keys", "delete", akid, "--data", data]).output().unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("no such key"));
}

#[test]
fn keys_create_rejects_bad_account_ids() {
    let dir = tempfile::tempdir().unwrap();
    let out =
        larch().args(["keys", "create", "--account", "12ab", "--data", dir.path().to_str().unwrap()]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("12 digits"));
}

#[test]
fn serve_refuses_insecure_mode_off_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let out = larch()
        .args(["serve", "--listen", "0.0.0.0:0", "--insecure-accept-any-key", "--data", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("loopback"));
}

#[test]
fn serve_reports_a_bad_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("larch.toml");
    std::fs::write(&config, "lisen = \"127.0.0.1:1\"\n").unwrap();
    let out = larch().args(["serve", "--config", config.to_str().unwrap()]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid config"));
}

#[test]
fn client_commands_fail_cleanly_without_a_server() {
    let dir = tempfile::tempdir().unwrap();
    let out = larch()
        .args(["groups", "--endpoint", "http://127.0.0.1:1", "--data", dir.path().to_str().unwrap()])
        .env("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot reach"));
}
