//! Smaller edges of a newcomer's first hour (issue 20, point 8): clear
//! network errors, local times for people, `logout` twice, completion of
//! stores that give credentials, examples in per-command help.

use crate::support::*;

/// `console` with no network: the message names the host and what failed
/// (the name did not resolve), never "uncategorized error".
#[test]
fn console_without_network_names_the_host_and_the_failure() {
    let idc = FakeIdc::start(&["--auto-approve"]);
    let mut sb = sso_sandbox(&idc, "eu-west-1", "");
    sb.set("DSOPS_USE_DEVICE_CODE", "1");
    // Sign in and cache the role first, against the fake.
    sb.set("AWS_ENDPOINT_URL_SIGNIN", &idc.url);
    sb.ok(&["console", "--profile", "dev", "--print"]);
    // `.invalid` never resolves (RFC 6761), with or without a network.
    sb.set(
        "AWS_ENDPOINT_URL_SIGNIN",
        "http://signin.dsops-test.invalid",
    );
    let err = sb.fails(&["console", "--profile", "dev", "--print"], 1);
    assert!(!err.contains("uncategorized"), "{err}");
    assert!(err.contains("signin.dsops-test.invalid"), "{err}");
    assert!(err.contains("the host name could not be resolved"), "{err}");
}

fn files_under(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// `logout` removes the session's lock files with its token and cached role;
/// a second `logout` says there is nothing to sign out of, and succeeds.
/// A lock another process holds is waited for, not removed under it.
#[test]
fn logout_removes_its_locks_and_says_not_signed_in_the_second_time() {
    let idc = FakeIdc::start(&["--auto-approve"]);
    let mut sb = sso_sandbox(&idc, "eu-west-1", "");
    sb.set("DSOPS_USE_DEVICE_CODE", "1");
    sb.ok(&["creds", "--profile", "dev"]);
    let sso = sb.path(".aws/sso/cache");
    let cli = sb.path(".aws/cli/cache");
    let locks = |d: &std::path::Path| -> Vec<String> {
        files_under(d)
            .into_iter()
            .filter(|n| n.ends_with(".lock"))
            .collect()
    };
    assert!(!locks(&sso).is_empty(), "{:?}", files_under(&sso));
    assert!(!locks(&cli).is_empty(), "{:?}", files_under(&cli));

    let out = sb.ok(&["logout", "--profile", "dev"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("signed out of"), "{err}");
    assert!(locks(&sso).is_empty(), "{:?}", files_under(&sso));
    assert!(locks(&cli).is_empty(), "{:?}", files_under(&cli));

    let out = sb.ok(&["logout", "--profile", "dev"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not signed in to"), "{err}");
    assert!(!err.contains("signed out"), "{err}");
    assert!(locks(&sso).is_empty(), "{:?}", files_under(&sso));
}

/// While another process holds the session's lock, `logout` waits for it,
/// and only then removes it.
#[test]
fn logout_takes_a_held_lock_before_removing_it() {
    let idc = FakeIdc::start(&["--auto-approve"]);
    let mut sb = sso_sandbox(&idc, "eu-west-1", "");
    sb.set("DSOPS_USE_DEVICE_CODE", "1");
    sb.ok(&["creds", "--profile", "dev"]);
    let sso = sb.path(".aws/sso/cache");
    let lock = files_under(&sso)
        .into_iter()
        .find(|n| n.ends_with(".json.lock"))
        .map(|n| sso.join(n))
        .expect("the session's lock file");
    let held = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&lock)
        .unwrap();
    held.lock().unwrap();
    let mut cmd = sb.std_cmd();
    cmd.args(["logout", "--profile", "dev"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    // Still there: logout is waiting for the holder.
    assert!(lock.exists());
    held.unlock().unwrap();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(!lock.exists());
}

/// `doctor` shows when a store's token and role credentials expire on the
/// local clock, as `login` does, not in UTC.
#[test]
fn doctor_shows_store_expiry_in_local_time() {
    let idc = FakeIdc::start(&["--auto-approve"]);
    let mut sb = sso_sandbox(&idc, "eu-west-1", "");
    sb.set("DSOPS_USE_DEVICE_CODE", "1");
    // Five hours behind UTC, all year (POSIX TZ: no rules, no files).
    sb.set("TZ", "XST5");
    sb.write(
        ".config/dsops/config.yaml",
        "version: 1\nsecretStores:\n  dev-store:\n    type: aws.sso\n    profile: dev\n",
    );
    sb.ok(&["creds", "--store", "dev-store"]);
    let out = sb.cmd().arg("doctor").output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = text.lines().filter(|l| l.contains("valid until")).collect();
    assert!(lines.len() >= 2, "{text}");
    for l in lines {
        assert!(l.contains("(local time)"), "{l}\n{text}");
    }
}

/// Per-command help shows examples (long help and `help CMD`), and the man
/// page carries them too.
#[test]
fn per_command_help_has_examples() {
    let sb = Sandbox::new();
    for cmd in ["creds", "login", "exec", "export", "allow"] {
        for args in [vec!["help", cmd], vec![cmd, "--help"]] {
            let out = sb.cmd().args(&args).output().unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(out.status.success(), "{args:?}");
            let after = text.split("\nExamples:\n").nth(1).unwrap_or_default();
            assert!(
                after.contains(&format!("  dsops {cmd}")),
                "{args:?}:\n{text}"
            );
        }
    }
    let man = sb.cmd().args(["--generate", "man"]).output().unwrap();
    let man = String::from_utf8_lossy(&man.stdout);
    assert!(
        man.contains("Examples:\n.PP\n.RS 4\n.EX\ndsops exec \\-\\-env local \\-\\- npm test\n"),
        "{man}"
    );
}
