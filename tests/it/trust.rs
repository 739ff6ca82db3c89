//! Trust that reads the change: the allowed copy, the diff by risk in the
//! hook's message and `allow --show`, confirmation for high risk, and edits
//! that change nothing parsed trusted without asking, in a real interactive
//! shell.

use crate::support::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const BASE: &str = "\
version: 1
defaultEnv: dev
secretStores:
  sso:
    type: aws.sso
    sso_start_url: https://x.awsapps.com/start
    sso_region: us-east-1
    account_id: \"111111111111\"
    role_name: Dev
  secrets:
    type: aws.secretsmanager
    region: us-east-1
    credentials_from: sso
envs:
  dev:
    MODE: fast-4e1a
    API_TOKEN: token-value-9c2f
    DB_URL:
      from: {store: secrets, key: app/db}
      optional: true
  lit:
    LIT: lit-value-6b0e
";

/// A sandbox whose project config is `BASE`, allowed.
fn allowed() -> (Sandbox, PathBuf) {
    let sb = Sandbox::new();
    let cfg = sb.write("project/.dsops.yaml", BASE);
    sb.ok(&["allow", cfg.to_str().unwrap()]);
    (sb, cfg)
}

fn edit(cfg: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(cfg).unwrap();
    assert!(text.contains(from), "{from}");
    std::fs::write(cfg, text.replacen(from, to, 1)).unwrap();
}

/// `hook-env bash`'s stderr (its one-time message) for the project.
fn hook_message(sb: &Sandbox) -> String {
    let o = sb.cmd().args(["hook-env", "bash"]).output().unwrap();
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn show(sb: &Sandbox) -> String {
    let o = sb.ok(&["allow", "--show"]);
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn trust_dir(sb: &Sandbox) -> PathBuf {
    sb.path(".local/share/dsops/trust")
}

fn copies(sb: &Sandbox) -> Vec<PathBuf> {
    std::fs::read_dir(trust_dir(sb))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "allowed"))
        .collect()
}

#[test]
fn allowed_copy_is_private_and_removed_by_deny() {
    let (sb, cfg) = allowed();
    let c = copies(&sb);
    assert_eq!(c.len(), 1);
    assert_eq!(std::fs::read_to_string(&c[0]).unwrap(), BASE);
    assert_eq!(file_mode(&c[0]), 0o600);
    assert_eq!(file_mode(&trust_dir(&sb)), 0o700);
    sb.ok(&["deny", cfg.to_str().unwrap()]);
    assert!(copies(&sb).is_empty(), "deny left the copy");
}

#[test]
fn reformatting_stays_trusted_without_a_new_allow() {
    let (sb, cfg) = allowed();
    edit(
        &cfg,
        "version: 1\n",
        "# a comment added after review\nversion: \"1\"\n",
    );
    edit(&cfg, "MODE: fast-4e1a", "MODE: 'fast-4e1a'   # quoted now");
    // Untrusted would exit 4.
    let o = sb.ok(&["--quiet", "export", "--env", "lit", "--format", "json"]);
    assert_eq!(parse_json(&o.stdout)["LIT"], "lit-value-6b0e");
    assert!(show(&sb).contains("unchanged since it was allowed"));
}

#[test]
fn a_new_exec_store_is_high_named_and_needs_allow() {
    let (sb, cfg) = allowed();
    let marker = sb.path("RAN");
    edit(
        &cfg,
        "envs:\n",
        &format!(
            "  op:\n    type: exec\n    command: [\"touch\", \"{}\"]\nenvs:\n",
            marker.display()
        ),
    );
    edit(
        &cfg,
        "    MODE: fast-4e1a\n",
        "    MODE: {from: {store: op, key: x}}\n",
    );
    let msg = hook_message(&sb);
    assert!(msg.contains("high: +exec store 'op'"), "{msg}");
    assert!(
        msg.contains("touch"),
        "the message names the command: {msg}"
    );
    assert!(msg.contains("medium: MODE now from 'op'"), "{msg}");
    assert!(msg.contains("dsops allow --show"), "{msg}");
    assert!(!marker.exists(), "an unallowed exec store ran");
    let err = sb.fails(&["export", "--no-login"], 4);
    assert!(err.contains("high: +exec store 'op'"), "{err}");
    let full = show(&sb);
    assert!(
        full.contains("high") && full.contains("secretStores.op: new exec store"),
        "{full}"
    );
    assert!(!marker.exists(), "allow --show ran something");
    // Without a terminal `allow` allows as before; --yes says the same.
    sb.ok(&["allow", "--yes"]);
    let o = sb
        .cmd()
        .args(["export", "--format", "json", "--no-login"])
        .output()
        .unwrap();
    assert!(marker.exists(), "the allowed exec store did not run: {o:?}");
}

#[test]
fn risks_of_edits() {
    for (from, to, risk, names) in [
        (
            "\"111111111111\"",
            "\"222222222222\"",
            "high",
            "secretStores.sso.account_id",
        ),
        (
            "    credentials_from: sso\n",
            "    credentials_from: sso\n    endpoint_url: https://elsewhere.example\n",
            "high",
            "secretStores.secrets.endpoint_url",
        ),
        ("key: app/db", "key: app/other", "medium", "envs.dev.DB_URL"),
        ("MODE: fast-4e1a", "MODE: slow-7d3b", "low", "envs.dev.MODE"),
    ] {
        let (sb, cfg) = allowed();
        edit(&cfg, from, to);
        let msg = hook_message(&sb);
        assert!(msg.contains(&format!("({risk}: ")), "{from}: {msg}");
        let full = show(&sb);
        assert!(
            full.contains(risk) && full.contains(names),
            "{from}: {full}"
        );
    }
}

#[test]
fn auto_allow_low_trusts_low_changes_only() {
    let (sb, cfg) = allowed();
    edit(&cfg, "MODE: fast-4e1a", "MODE: slow-7d3b");
    // Without the setting: not loaded.
    sb.fails(&["export", "--env", "lit"], 4);
    sb.write(
        ".config/dsops/config.yaml",
        "version: 1\ntrust:\n  auto_allow: low\n",
    );
    let o = sb.ok(&["export", "--env", "lit", "--format", "json"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("low: MODE value") && err.contains("auto_allow"),
        "{err}"
    );
    assert_eq!(parse_json(&o.stdout)["LIT"], "lit-value-6b0e");
    // Medium is never trusted by the setting.
    edit(&cfg, "key: app/db", "key: app/other");
    sb.fails(&["export", "--env", "lit"], 4);
    // A project may not set it for itself.
    let (sb, cfg) = allowed();
    edit(
        &cfg,
        "version: 1\n",
        "version: 1\ntrust: {auto_allow: low}\n",
    );
    let err = sb.fails(&["allow", cfg.to_str().unwrap()], 3);
    assert!(err.contains("trust"), "{err}");
}

#[test]
fn secret_looking_literals_never_appear() {
    let (sb, cfg) = allowed();
    edit(
        &cfg,
        "API_TOKEN: token-value-9c2f",
        "API_TOKEN: token-new-5e8d",
    );
    let msg = hook_message(&sb);
    let full = show(&sb);
    for text in [&msg, &full] {
        assert!(!text.contains("token-value-9c2f"), "{text}");
        assert!(!text.contains("token-new-5e8d"), "{text}");
    }
    assert!(full.contains("envs.dev.API_TOKEN: changed"), "{full}");
}

#[test]
fn old_records_without_a_copy_keep_working() {
    let (sb, cfg) = allowed();
    for c in copies(&sb) {
        std::fs::remove_file(c).unwrap();
    }
    // Unchanged: still trusted.
    let o = sb.ok(&["export", "--env", "lit", "--format", "json"]);
    assert_eq!(parse_json(&o.stdout)["LIT"], "lit-value-6b0e");
    edit(&cfg, "MODE: fast-4e1a", "MODE: slow-7d3b");
    let full = show(&sb);
    assert!(full.contains("nothing to compare with"), "{full}");
    let msg = hook_message(&sb);
    assert!(msg.contains("changed since it was allowed"), "{msg}");
}

/// In a real interactive bash (tmux): a comment-only edit of the loaded
/// config keeps the set loaded with no message and no re-allow.
#[test]
fn interactive_shell_keeps_loading_after_a_comment_edit() {
    if !require_tool("tmux") || !require_tool("bash") {
        return;
    }
    let sb = Sandbox::new();
    let cfg = sb.write(
        "project/.dsops.yaml",
        "version: 1\nenvs:\n  e:\n    TRUST_FOO: trust-foo-3a8c\n",
    );
    sb.ok(&["allow", cfg.to_str().unwrap()]);
    let rc = sb.write(
        "rc.bash",
        &format!("PS1='$ '\neval \"$('{}' hook bash)\"\n", bin().display()),
    );
    let sock = sb.path("tmux.sock");
    let tmux = |args: &[&str]| {
        Command::new("tmux")
            .arg("-S")
            .arg(&sock)
            .args(args)
            .env_clear()
            .envs(sb.base_env())
            .env("TERM", "xterm-256color")
            .current_dir(&sb.home)
            .output()
            .unwrap()
    };
    let start = format!("bash --noprofile --rcfile '{}' -i", rc.display());
    assert!(
        tmux(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-x",
            "150",
            "-y",
            "40",
            &start
        ])
        .status
        .success()
    );
    let seen = sb.path("seen");
    let check = |want: &str| {
        let _ = std::fs::remove_file(&seen);
        tmux(&[
            "send-keys",
            &format!("printf %s \"${{TRUST_FOO-unset}}\" > '{}'", seen.display()),
            "Enter",
        ]);
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(10) {
            if std::fs::read_to_string(&seen).is_ok_and(|s| s == want) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    };
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        tmux(&[
            "send-keys",
            &format!("cd '{}'", sb.path("project").display()),
            "Enter",
        ]);
        assert!(check("trust-foo-3a8c"), "not loaded on entering");
        std::fs::write(
            &cfg,
            "# reviewed and reformatted\nversion: 1\nenvs:\n  e: {TRUST_FOO: \"trust-foo-3a8c\"}\n",
        )
        .unwrap();
        // A new prompt notices the edit and must keep the set loaded.
        tmux(&["send-keys", "true", "Enter"]);
        assert!(
            check("trust-foo-3a8c"),
            "the reformatted config was unloaded"
        );
        let pane = String::from_utf8_lossy(&tmux(&["capture-pane", "-p"]).stdout).into_owned();
        assert!(
            !pane.contains("changed since") && !pane.contains("unloading"),
            "{pane}"
        );
    }));
    let _ = tmux(&["kill-server"]);
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}

/// On a terminal, `allow` shows the changes and asks before trusting a high
/// one; "n" keeps it untrusted, "y" trusts it.
#[test]
fn terminal_allow_asks_for_high_risk() {
    if !require_tool("tmux") {
        return;
    }
    let (sb, cfg) = allowed();
    edit(&cfg, "\"111111111111\"", "\"999999999999\"");
    let sock = sb.path("tmux.sock");
    let tmux = |args: &[&str]| {
        Command::new("tmux")
            .arg("-S")
            .arg(&sock)
            .args(args)
            .env_clear()
            .envs(sb.base_env())
            .env("TERM", "xterm-256color")
            .current_dir(sb.path("project"))
            .output()
            .unwrap()
    };
    let status = sb.path("status");
    let run = format!(
        "'{}' allow; echo $? > '{}'",
        bin().display(),
        status.display()
    );
    let wait_status = || {
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(10) {
            if let Ok(s) = std::fs::read_to_string(&status)
                && s.ends_with('\n')
            {
                return s.trim().to_string();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        "timeout".to_string()
    };
    let pane = || String::from_utf8_lossy(&tmux(&["capture-pane", "-p"]).stdout).into_owned();
    let asked = || {
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(10) {
            if pane().contains("[y/N]") {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    };
    assert!(
        tmux(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-x",
            "200",
            "-y",
            "50",
            "bash --noprofile --norc -i"
        ])
        .status
        .success()
    );
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        tmux(&["send-keys", &run, "Enter"]);
        assert!(asked(), "no question: {}", pane());
        let p = pane();
        assert!(p.contains("high") && p.contains("999999999999"), "{p}");
        tmux(&["send-keys", "n", "Enter"]);
        assert_eq!(wait_status(), "4", "{}", pane());
        sb.fails(&["export", "--env", "lit"], 4);
        std::fs::remove_file(&status).unwrap();
        tmux(&["send-keys", "clear", "Enter"]);
        tmux(&["send-keys", &run, "Enter"]);
        assert!(asked(), "no question: {}", pane());
        tmux(&["send-keys", "y", "Enter"]);
        assert_eq!(wait_status(), "0", "{}", pane());
        sb.ok(&["export", "--env", "lit"]);
    }));
    let _ = tmux(&["kill-server"]);
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}
