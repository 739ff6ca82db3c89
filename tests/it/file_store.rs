//! The `file` store (Docker and Kubernetes mounted secrets), added through
//! the store seam: a directory of files, a dotenv file, a JSON file,
//! `${VAR}` in its path, bounded reads of regular files only.

use crate::support::*;
use std::path::Path;

fn export_json(sb: &Sandbox, cfg: &Path) -> serde_json::Value {
    let o = sb.ok(&[
        "--config",
        cfg.to_str().unwrap(),
        "export",
        "--format",
        "json",
    ]);
    parse_json(&o.stdout)
}

#[test]
fn a_directory_of_mounted_secrets() {
    let sb = Sandbox::new();
    // Kubernetes: each key is a symlink into a hidden timestamped directory.
    let data = sb.path("secrets/..2026_11_23_06_00_00.123");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("db-password"), "hunter2\n").unwrap();
    std::fs::write(data.join("crlf"), "value\r\n").unwrap();
    std::fs::write(data.join("two-newlines"), "x\n\n").unwrap();
    std::fs::write(data.join("json"), "{\"user\": \"app\", \"port\": 5432}\n").unwrap();
    std::os::unix::fs::symlink("..2026_11_23_06_00_00.123", sb.path("secrets/..data")).unwrap();
    for k in ["db-password", "crlf", "two-newlines", "json"] {
        std::os::unix::fs::symlink(format!("..data/{k}"), sb.path(&format!("secrets/{k}")))
            .unwrap();
    }
    let mut sb = sb;
    sb.set("SECRETS_DIR", &sb.path("secrets").display().to_string());
    let cfg = sb.write(
        "c.yaml",
        "version: 1\nsecretStores:\n  k8s:\n    type: file\n    path: ${SECRETS_DIR}\nenvs:\n  e:\n    DB: {from: {store: k8s, key: db-password}}\n    CRLF: {from: {store: k8s, key: crlf}}\n    TWO: {from: {store: k8s, key: two-newlines}}\n    USER: {from: {store: k8s, key: json, field: user}}\n    PORT: {from: {store: k8s, key: json, field: port}}\n    GONE: {from: {store: k8s, key: missing}, optional: true}\n",
    );
    let v = export_json(&sb, &cfg);
    assert_eq!(v["DB"], "hunter2");
    assert_eq!(v["CRLF"], "value");
    assert_eq!(v["TWO"], "x\n", "only one trailing newline is removed");
    assert_eq!(v["USER"], "app");
    assert_eq!(v["PORT"], "5432");
    assert!(v.get("GONE").is_none());
    // A key is one file name: no way out of the directory.
    for key in ["../c.yaml", "..", "a/b"] {
        let bad = sb.write(
            "bad.yaml",
            &format!("version: 1\nsecretStores:\n  k8s:\n    type: file\n    path: ${{SECRETS_DIR}}\nenvs:\n  e:\n    X: {{from: {{store: k8s, key: \"{key}\"}}}}\n"),
        );
        let err = sb.fails(&["--config", bad.to_str().unwrap(), "export"], 3);
        assert!(err.contains("not a file name"), "{key}: {err}");
    }
    // doctor's probe.
    let o = sb
        .cmd()
        .args([
            "--config",
            cfg.to_str().unwrap(),
            "doctor",
            "--store",
            "k8s",
        ])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("store 'k8s' (file): 4 file(s)"), "{out}");
}

#[test]
fn dotenv_and_json_files() {
    let sb = Sandbox::new();
    sb.write(
        "app.env",
        "# comment\nexport API_KEY=abc123\nQUOTED=\"line1\\nline2\"\nLITERAL='$HOME \\n'\nPLAIN = spaced value # note\n",
    );
    sb.write(
        "creds.json",
        "{\"token\": \"t-1\", \"nested\": {\"a\": 1}, \"nothing\": null}",
    );
    sb.write("noext", "A=1\n");
    let cfg = sb.write(
        "c.yaml",
        &format!(
            "version: 1\nsecretStores:\n  env:\n    type: file\n    path: {}\n  js:\n    type: file\n    path: {}\n  forced:\n    type: file\n    path: {}\n    format: dotenv\nenvs:\n  e:\n    K: {{from: {{store: env, key: API_KEY}}}}\n    Q: {{from: {{store: env, key: QUOTED}}}}\n    L: {{from: {{store: env, key: LITERAL}}}}\n    P: {{from: {{store: env, key: PLAIN}}}}\n    T: {{from: {{store: js, key: token}}}}\n    N: {{from: {{store: js, key: nested}}}}\n    Z: {{from: {{store: js, key: nothing}}, optional: true}}\n    F: {{from: {{store: forced, key: A}}}}\n",
            sb.path("app.env").display(),
            sb.path("creds.json").display(),
            sb.path("noext").display()
        ),
    );
    let v = export_json(&sb, &cfg);
    assert_eq!(v["K"], "abc123");
    assert_eq!(v["Q"], "line1\nline2");
    assert_eq!(v["L"], "$HOME \\n");
    assert_eq!(v["P"], "spaced value");
    assert_eq!(v["T"], "t-1");
    assert_eq!(v["N"], "{\"a\":1}");
    assert!(v.get("Z").is_none());
    assert_eq!(v["F"], "1");
    // A file whose format cannot be told, and a format that is not one.
    let bad = sb.write(
        "bad.yaml",
        &format!(
            "version: 1\nsecretStores:\n  s:\n    type: file\n    path: {}\nenvs:\n  e:\n    A: {{from: {{store: s, key: A}}}}\n",
            sb.path("noext").display()
        ),
    );
    let err = sb.fails(&["--config", bad.to_str().unwrap(), "export"], 3);
    assert!(err.contains("set format: dotenv or json"), "{err}");
    let bad = sb.write(
        "bad2.yaml",
        "version: 1\nsecretStores:\n  s:\n    type: file\n    path: /x\n    format: toml\n",
    );
    let err = sb.fails(&["--config", bad.to_str().unwrap(), "export"], 3);
    assert!(
        err.contains("secretStores.s.format") && err.contains("dotenv or json"),
        "{err}"
    );
}

#[test]
fn only_bounded_regular_files() {
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.path("dir")).unwrap();
    std::fs::write(sb.path("dir/big"), vec![b'x'; (1 << 20) + 1]).unwrap();
    let ok = std::process::Command::new("mkfifo")
        .arg(sb.path("dir/fifo"))
        .status()
        .unwrap();
    assert!(ok.success());
    for key in ["big", "fifo"] {
        let cfg = sb.write(
            "c.yaml",
            &format!(
                "version: 1\nsecretStores:\n  s:\n    type: file\n    path: {}\nenvs:\n  e:\n    A: {{from: {{store: s, key: {key}}}}}\n",
                sb.path("dir").display()
            ),
        );
        let t = std::time::Instant::now();
        let err = sb.fails(&["--config", cfg.to_str().unwrap(), "export"], 1);
        assert!(
            t.elapsed() < std::time::Duration::from_secs(5),
            "{key} hung"
        );
        assert!(err.contains("cannot read"), "{key}: {err}");
    }
}
