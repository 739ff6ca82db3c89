//! `dsops sso list` and `dsops sso populate` against the fake Identity
//! Center with several pages of accounts and roles: everything listed; the
//! AWS config kept byte for byte around the profiles written; a second run
//! that changes nothing; `--dry-run`, `--prune`, clashes with profiles the
//! user wrote; two runs at once; and the AWS CLI and botocore reading the
//! result.

use crate::support::*;
use serde_json::{Value, json};
use std::process::Command;

/// Accounts with names that need normalizing, some roles each.
fn accounts(n: usize) -> Value {
    let list: Vec<Value> = (0..n)
        .map(|i| {
            let roles: Vec<String> = (0..(1 + i % 3)).map(|r| format!("Role{r}")).collect();
            json!({
                "accountId": format!("{:012}", 100_000_000_000u64 + i as u64),
                "accountName": format!("Team {i} (EU)"),
                "emailAddress": format!("t{i}@example.com"),
                "roles": roles,
            })
        })
        .collect();
    Value::Array(list)
}

fn pairs(n: usize) -> usize {
    (0..n).map(|i| 1 + i % 3).sum()
}

/// What the user wrote: comments, odd spacing, a default, a profile, the
/// session, and a profile whose name the default template also produces.
const USER_CONFIG: &str = "# my AWS config\n;  kept as written\n[default]\nregion = eu-central-1   ; inline\noutput=json\n\n\
[profile mine]\n  # indented comment\nregion = us-west-2\n\n\
[profile Team-0-EU.Role0]\nregion = ap-south-1\n\n\
[services local]\ndynamodb =\n  endpoint_url = http://localhost:8000\n";

fn populate_sandbox(idc: &FakeIdc, n: usize) -> Sandbox {
    let mut sb = sso_sandbox(idc, "us-east-1", USER_CONFIG);
    sb.set("DSOPS_USE_DEVICE_CODE", "1");
    idc.configure(json!({"accounts": accounts(n), "page_size": 2}));
    sb.ok(&["login", "--sso-session", "my-sso"]);
    sb
}

fn config(sb: &Sandbox) -> String {
    std::fs::read_to_string(sb.path(".aws/config")).unwrap()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn list_follows_every_page() {
    let idc = FakeIdc::start(&["--auto-approve"]);
    let sb = populate_sandbox(&idc, 7);
    let before = idc.counters();
    let out = sb.ok(&["sso", "list", "--format", "json"]);
    let rows = parse_json(&out.stdout);
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), pairs(7), "every account and role");
    assert_eq!(rows[0]["accountName"], "Team 0 (EU)");
    assert_eq!(rows[0]["roleName"], "Role0");
    let after = idc.counters();
    let n = |c: &Value, k: &str| c[k].as_u64().unwrap();
    assert_eq!(
        n(&after, "list_accounts") - n(&before, "list_accounts"),
        4,
        "7 accounts, 2 a page"
    );
    // 7 accounts with 1, 2, 3, 1, 2, 3, 1 roles: 1+1+2+1+1+2+1 pages.
    assert_eq!(
        n(&after, "list_account_roles") - n(&before, "list_account_roles"),
        9
    );
    // The table: a header and one aligned row per pair.
    let out = sb.ok(&["sso", "list", "--sso-session", "my-sso"]);
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), pairs(7) + 1);
    let col = lines[0].find("ACCOUNT NAME").unwrap();
    assert!(
        lines[1..].iter().all(|l| l[col..].starts_with("Team ")),
        "{text}"
    );
    assert!(
        stderr(&out).is_empty(),
        "no progress when stderr is not a terminal"
    );
    // On a terminal (script(1) gives it one), progress goes to stderr.
    if require_tool("script") {
        let out = Command::new("script")
            .args([
                "-qec",
                &format!("{} sso list", bin().display()),
                "/dev/null",
            ])
            .env_clear()
            .envs(sb.base_env())
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        let tty = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{tty}");
        assert!(tty.contains("dsops: 7 of 7 accounts"), "{tty}");
    }
    // --profile picks the session of a profile.
    let out = sb.ok(&["sso", "list", "--profile", "dev", "--format", "json"]);
    assert_eq!(parse_json(&out.stdout).as_array().unwrap().len(), pairs(7));
}

#[test]
fn populate_keeps_every_byte_and_is_idempotent() {
    let idc = FakeIdc::start(&["--auto-approve"]);
    let sb = populate_sandbox(&idc, 7);
    let original = config(&sb);

    let out = sb.ok(&["sso", "populate"]);
    let first = config(&sb);
    assert!(
        first.starts_with(&original),
        "the user's bytes are kept:\n{first}"
    );
    let err = stderr(&out);
    assert!(
        err.contains("[profile Team-0-EU.Role0] exists and was not written"),
        "the clash is reported: {err}"
    );
    assert!(first.contains("[profile Team-6-EU.Role0]\n# managed by dsops sso populate (sso-session my-sso)\nsso_session = my-sso\nsso_account_id = 100000000006\nsso_role_name = Role0\nregion = us-east-1\n"), "{first}");
    assert_eq!(first.matches("[profile Team-0-EU.Role0]").count(), 1);
    assert_eq!(
        std::fs::read_to_string(sb.path(".aws/config.dsops-backup")).unwrap(),
        original
    );

    // Nothing changed: the same bytes, not even rewritten.
    let mtime = std::fs::metadata(sb.path(".aws/config"))
        .unwrap()
        .modified()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let out = sb.ok(&["sso", "populate", "--sso-session", "my-sso"]);
    assert!(stderr(&out).contains("up to date"), "{}", stderr(&out));
    assert_eq!(config(&sb), first);
    assert_eq!(
        std::fs::metadata(sb.path(".aws/config"))
            .unwrap()
            .modified()
            .unwrap(),
        mtime
    );

    // The AWS CLI and botocore read every profile written.
    let written: Vec<String> = first
        .lines()
        .filter_map(|l| l.strip_prefix("[profile ")?.strip_suffix(']'))
        .filter(|n| n.starts_with("Team-") && *n != "Team-0-EU.Role0")
        .map(str::to_string)
        .collect();
    assert_eq!(written.len(), pairs(7) - 1);
    // The AWS CLI v2 (Debian's awscli); an `aws` first on PATH may be v1.
    let aws = std::path::Path::new("/usr/bin/aws");
    if !aws.exists() && std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("/usr/bin/aws (AWS CLI v2) is required under CI=true");
    }
    if aws.exists() {
        let out = Command::new(aws)
            .args(["configure", "list-profiles"])
            .env_clear()
            .envs(sb.base_env())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let listed = String::from_utf8(out.stdout).unwrap();
        for name in &written {
            assert!(
                listed.lines().any(|l| l == name),
                "aws lacks {name}: {listed}"
            );
        }
    }
    if require_python_module("botocore") {
        let script = r#"
import json, sys, botocore.session
out = {}
for name in sys.argv[1:]:
    c = botocore.session.Session(profile=name).get_scoped_config()
    out[name] = [c["sso_session"], c["sso_account_id"], c["sso_role_name"], c["region"]]
print(json.dumps(out))
"#;
        let out = Command::new("python3")
            .arg("-c")
            .arg(script)
            .args(&written)
            .env_clear()
            .envs(sb.base_env())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let got = parse_json(&out.stdout);
        assert_eq!(
            got["Team-4-EU.Role1"],
            json!(["my-sso", "100000000004", "Role1", "us-east-1"])
        );
        assert_eq!(got.as_object().unwrap().len(), written.len());
    }

    // An account goes away: --dry-run shows it and changes nothing; without
    // --prune its profiles stay; with --prune they go, and nothing else.
    let fewer: Vec<Value> = accounts(7)
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["accountId"] != "100000000005")
        .cloned()
        .collect();
    idc.configure(json!({"accounts": fewer}));
    let out = sb.ok(&["sso", "populate", "--prune", "--dry-run"]);
    let diff = String::from_utf8(out.stdout).unwrap();
    assert!(diff.contains("-[profile Team-5-EU.Role2]"), "{diff}");
    assert!(
        !diff
            .lines()
            .any(|l| l.starts_with('+') && !l.starts_with("+++")),
        "only removals: {diff}"
    );
    assert_eq!(config(&sb), first, "--dry-run changes nothing");
    sb.ok(&["sso", "populate"]);
    assert_eq!(config(&sb), first, "without --prune nothing goes");
    sb.ok(&["sso", "populate", "--prune"]);
    let pruned = config(&sb);
    assert!(pruned.starts_with(&original));
    assert!(!pruned.contains("Team-5-EU"), "{pruned}");
    assert!(pruned.contains("[profile Team-6-EU.Role0]"));
    assert_eq!(
        pruned.matches("# managed by dsops").count(),
        pairs(7) - 1 - 3,
        "account 5 had three roles"
    );
}

#[test]
fn two_populates_at_once_leave_a_valid_file() {
    let idc = FakeIdc::start(&["--auto-approve"]);
    let sb = populate_sandbox(&idc, 20);
    let original = config(&sb);
    idc.configure(json!({"latency_ms": 5}));
    let runs: Vec<_> = ["{account_name}.{role_name}", "{account_id}-{role_name}"]
        .iter()
        .map(|t| {
            sb.std_cmd()
                .args(["sso", "populate", "--profile-name", t])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for r in runs {
        let out = r.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let text = config(&sb);
    assert!(text.starts_with(&original), "{text}");
    // Both runs' profiles are there, each once: the second read the first's
    // file under the lock.
    assert_eq!(text.matches("[profile 100000000019-Role0]").count(), 1);
    assert_eq!(text.matches("[profile Team-19-EU.Role0]").count(), 1);
    assert_eq!(
        text.matches("# managed by dsops").count(),
        2 * pairs(20) - 1,
        "all but the clash"
    );
    // And dsops reads it back: a populated profile gives credentials.
    sb.ok(&["creds", "--profile", "100000000019-Role0", "--no-login"]);
}
