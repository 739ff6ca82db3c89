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
