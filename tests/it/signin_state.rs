//! What `dsops login` and `dsops doctor` say about the sign-in state: a
//! valid token kept (until when, in local time), `login --force`, and doctor
//! reading the AWS config of someone set up only with `aws configure sso`.

use crate::support::*;
use serde_json::Value;

/// Sign-ins the fake has seen (either flow).
fn sign_ins(idc: &FakeIdc) -> u64 {
    idc.counter("token_device_code") + idc.counter("token_authorization_code")
}

/// The one cached SSO token file.
fn token_file(sb: &Sandbox) -> std::path::PathBuf {
    std::fs::read_dir(sb.path(".aws/sso/cache"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "json"))
        .expect("a cached token")
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn login_with_a_valid_token_says_until_when_and_opens_no_browser() {
    let idc = FakeIdc::start(&[]);
    let mut sb = sso_sandbox(&idc, "us-east-1", "");
    // Five hours behind UTC, all year (POSIX TZ: no rules, no files).
    sb.set("TZ", "XST5");
    sb.ok(&["login", "--profile", "dev"]);
    assert_eq!(browser_calls(&sb), 1);
    assert_eq!(sign_ins(&idc), 1);
    let t: Value = parse_json(&std::fs::read(token_file(&sb)).unwrap());
    let expires = t["expiresAt"].as_str().unwrap().to_string();
    // HH:MM of the expiry, five hours earlier.
    let h: i64 = expires[11..13].parse().unwrap();
    let local = format!("{:02}:{}", (h + 24 - 5) % 24, &expires[14..16]);

    let o = sb
        .cmd()
        .args(["login", "--profile", "dev"])
        .output()
        .unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(
        err.contains("already signed in to sso-session 'my-sso'")
            && err.contains(START_URL)
            && err.contains(&format!("{local} (local time)")),
        "want 'already signed in ... until {local} (local time)': {err}"
    );
    assert_eq!(browser_calls(&sb), 1, "no browser for a valid token");
    assert_eq!(sign_ins(&idc), 1);
}

#[test]
fn login_force_signs_in_with_a_valid_token() {
    let idc = FakeIdc::start(&[]);
    let sb = sso_sandbox(&idc, "us-east-1", "");
    sb.ok(&["login", "--profile", "dev"]);
    let before: Value = parse_json(&std::fs::read(token_file(&sb)).unwrap());
    let o = sb
        .cmd()
        .args(["login", "--profile", "dev", "--force"])
        .output()
        .unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert_eq!(browser_calls(&sb), 2, "--force signs in: {err}");
    assert_eq!(sign_ins(&idc), 2);
    assert!(
        err.contains("signed in to") && !err.contains("already"),
        "{err}"
    );
    let after: Value = parse_json(&std::fs::read(token_file(&sb)).unwrap());
    assert_ne!(before["accessToken"], after["accessToken"], "a new token");
}

/// Make the cached token expired and unable to refresh.
fn expire_token(sb: &Sandbox) {
    let path = token_file(sb);
    let mut t: Value = parse_json(&std::fs::read(&path).unwrap());
    let o = t.as_object_mut().unwrap();
    o.remove("refreshToken");
    o.insert("expiresAt".to_string(), iso(-3600).into());
    std::fs::write(&path, t.to_string()).unwrap();
}

/// `doctor`'s stdout lines that start with `status` and contain every one
/// of `words`.
fn lines_with<'a>(out: &'a str, status: &str, words: &[&str]) -> Vec<&'a str> {
    out.lines()
        .filter(|l| l.starts_with(status) && words.iter().all(|w| l.contains(w)))
        .collect()
}

#[test]
fn doctor_reads_an_aws_config_only_setup() {
    let idc = FakeIdc::start(&[]);
    // `aws configure sso` output plus the usual mistakes: a session without
    // its region, a role chain to nowhere, a line that is not a key.
    let extra = "[sso-session broken]\nsso_start_url = https://d-0000000000.awsapps.com/start\n\n\
                 [profile chained]\nrole_arn = arn:aws:iam::111111111111:role/Admin\nsource_profile = nowhere\n\n\
                 [profile bad]\nregion = us-east-1\nthis line is broken\n\n\
                 [profile after]\nsso_session = my-sso\nsso_account_id = 222222222222\nsso_role_name = ReadOnlyAccess\n";
    let sb = sso_sandbox(&idc, "us-east-1", extra);
    sb.ok(&["login", "--profile", "dev"]);
    expire_token(&sb);
    let config = sb.path(".aws/config");
    let text = std::fs::read_to_string(&config).unwrap();
    let broken_line = text
        .lines()
        .position(|l| l == "this line is broken")
        .unwrap()
        + 1;

    let o = sb.cmd().arg("doctor").output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(o.status.code(), Some(1), "{out}{}", stderr(&o));
    let config = config.display().to_string();
    let at = format!("{config}:{broken_line}:");
    assert_eq!(
        lines_with(&out, "FAIL", &[&at, "expected 'key = value'"]).len(),
        1,
        "the broken line, once, with file and line ({at}):\n{out}"
    );
    assert!(
        !lines_with(&out, "FAIL", &["[sso-session broken] has no sso_region"]).is_empty(),
        "{out}"
    );
    assert!(
        !lines_with(
            &out,
            "FAIL",
            &[
                "sso-session 'my-sso'",
                "expired",
                "dsops login --sso-session my-sso"
            ]
        )
        .is_empty(),
        "the expired session is a problem:\n{out}"
    );
    assert!(
        !lines_with(&out, "FAIL", &["[profile chained]", "nowhere"]).is_empty(),
        "{out}"
    );
    // The report goes on past the broken line, to its end.
    assert!(
        !lines_with(
            &out,
            "ok",
            &["[profile after]", "222222222222/ReadOnlyAccess"]
        )
        .is_empty(),
        "{out}"
    );
    assert!(out.lines().any(|l| l.contains("hook:")), "{out}");
    assert_eq!(browser_calls(&sb), 1, "no sign-in without a terminal");
}

#[test]
fn doctor_login_signs_in_to_an_expired_session() {
    let idc = FakeIdc::start(&[]);
    let sb = sso_sandbox(&idc, "us-east-1", "");
    sb.ok(&["login", "--profile", "dev"]);
    expire_token(&sb);
    // Never under CI=true, --login or not.
    let o = sb
        .cmd()
        .env("CI", "true")
        .args(["doctor", "--login"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(browser_calls(&sb), 1);

    let o = sb.cmd().args(["doctor", "--login"]).output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(o.status.code(), Some(0), "{out}{}", stderr(&o));
    assert_eq!(browser_calls(&sb), 2, "signed in: {out}");
    assert!(
        !lines_with(
            &out,
            "ok",
            &["sso-session 'my-sso'", "signed in", "valid until"]
        )
        .is_empty(),
        "{out}"
    );
    // And now all is well without it.
    sb.ok(&["doctor"]);
}

#[test]
fn doctor_on_a_terminal_offers_the_sign_in() {
    if !require_tool("python3") {
        return;
    }
    let idc = FakeIdc::start(&[]);
    let sb = sso_sandbox(&idc, "us-east-1", "");
    sb.ok(&["login", "--profile", "dev"]);
    expire_token(&sb);
    // The answer is typed at once; the terminal keeps it until asked.
    let ready = sb.write("ready", "");
    let run = |keys: &str| {
        default_signals(&mut std::process::Command::new("python3"))
            .arg(repo().join("tests/support/pty_run.py"))
            .arg(&ready)
            .arg(keys)
            .arg(bin())
            .arg("doctor")
            .env_clear()
            .envs(sb.base_env())
            .current_dir(sb.path("project"))
            .output()
            .unwrap()
    };
    // "n": reported, not signed in.
    let o = run("n\\r");
    let shown = stderr(&o);
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "1", "{shown}");
    assert!(shown.contains("Sign in now? [Y/n]"), "{shown}");
    assert_eq!(browser_calls(&sb), 1, "{shown}");
    // Enter: signed in, and all is well.
    let o = run("\\r");
    let shown = stderr(&o);
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "0", "{shown}");
    assert_eq!(browser_calls(&sb), 2, "{shown}");
    assert!(shown.contains("signed in"), "{shown}");
}
