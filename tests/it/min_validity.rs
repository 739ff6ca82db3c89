//! `--min-validity DURATION` on creds, exec, export and login: role
//! credentials with less left are fetched again; a fresh fetch that still has
//! less is refused, naming the endpoint; a token that cannot be refreshed and
//! expires sooner means a sign-in now, or status 5 where sign-in is not
//! allowed.

use crate::support::*;
use serde_json::{Value, json};

fn sign_ins(idc: &FakeIdc) -> u64 {
    idc.counter("token_device_code") + idc.counter("token_authorization_code")
}

fn left_secs(expiration: &str) -> i64 {
    let t = time::OffsetDateTime::parse(expiration, &time::format_description::well_known::Rfc3339)
        .unwrap();
    (t - time::OffsetDateTime::now_utc()).whole_seconds()
}

fn creds(sb: &Sandbox, extra: &[&str]) -> Value {
    sb.json(&[&["creds", "--profile", "dev"][..], extra].concat())
}

#[test]
fn creds_fetch_again_what_expires_sooner_and_refuse_what_cannot_last() {
    let idc = FakeIdc::start(&[]);
    let sb = sso_sandbox(&idc, "us-east-1", "");
    // Cached credentials with an hour left.
    let hour = creds(&sb, &[]);
    assert_eq!(idc.counter("get_role_credentials"), 1);
    // Enough: reused.
    let same = creds(&sb, &["--min-validity", "30m"]);
    assert_eq!(same["AccessKeyId"], hour["AccessKeyId"]);
    assert_eq!(idc.counter("get_role_credentials"), 1);

    // Not enough, and the role allows 3 hours: fetched again.
    idc.configure(json!({"role_ttl": 3 * 3600}));
    let long = creds(&sb, &["--min-validity", "2h"]);
    assert_ne!(long["AccessKeyId"], hour["AccessKeyId"]);
    assert_eq!(idc.counter("get_role_credentials"), 2);
    assert!(left_secs(long["Expiration"].as_str().unwrap()) > 2 * 3600);
    // ...and now cached: 1h30m is satisfied without a fetch.
    let cached = creds(&sb, &["--min-validity", "1h30m"]);
    assert_eq!(cached["AccessKeyId"], long["AccessKeyId"]);
    assert_eq!(idc.counter("get_role_credentials"), 2);

    // The permission set's session is shorter than asked: a fresh fetch
    // cannot cover it. Refused, naming the endpoint; nothing on stdout.
    idc.configure(json!({"role_ttl": 3600}));
    let out = sb
        .cmd()
        .args(["creds", "--profile", "dev", "--min-validity", "4h"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(out.stdout.is_empty());
    assert_eq!(idc.counter("get_role_credentials"), 3, "it did fetch again");
    assert!(err.contains("--min-validity 4h"), "{err}");
    assert!(err.contains("dsops exec --profile dev -- CMD"), "{err}");
    assert!(!err.contains(long["SecretAccessKey"].as_str().unwrap()));

    let e = sb.fails(&["creds", "--profile", "dev", "--min-validity", "soon"], 2);
    assert!(e.contains("--min-validity soon"), "{e}");
}

#[test]
fn export_and_static_exec_need_role_credentials_that_last() {
    let idc = FakeIdc::start(&[]);
    let sb = sso_sandbox(&idc, "us-east-1", "");
    sb.write(
        ".config/dsops/config.yaml",
        "version: 1\nsecretStores:\n  sso:\n    type: aws.sso\n    profile: dev\nenvs:\n  e:\n    AWS_ACCESS_KEY_ID: {from: {store: sso, key: access_key_id}}\n    EXP: {from: {store: sso, key: expiration}}\n",
    );
    let err = sb.fails(
        &[
            "export",
            "--env",
            "e",
            "--format",
            "json",
            "--min-validity",
            "2h",
        ],
        1,
    );
    assert!(err.contains("dsops exec --store sso -- CMD"), "{err}");
    idc.configure(json!({"role_ttl": 3 * 3600}));
    let out = sb.ok(&[
        "export",
        "--env",
        "e",
        "--format",
        "json",
        "--min-validity",
        "2h",
    ]);
    let v = parse_json(&out.stdout);
    assert!(left_secs(v["EXP"].as_str().unwrap()) > 2 * 3600, "{v}");

    // exec --static-credentials likewise.
    idc.configure(json!({"role_ttl": 3600}));
    let marker = sb.path("ran");
    let o = sb
        .cmd()
        .args(["exec", "--profile", "dev", "--static-credentials"])
        .args(["--min-validity", "3h", "--", "touch"])
        .arg(&marker)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(!marker.exists(), "the command ran");
}

#[test]
fn a_token_that_cannot_be_refreshed_means_a_sign_in_now() {
    // Tokens without a refresh token, lasting an hour.
    let idc = FakeIdc::start(&[]);
    idc.configure(json!({"omit_refresh_token": true, "token_ttl": 3600}));
    let sb = sso_sandbox(&idc, "us-east-1", "");
    sb.ok(&["login", "--profile", "dev"]);
    assert_eq!(sign_ins(&idc), 1);
    let marker = sb.path("ran");
    let exec = |extra: &[&str]| {
        let _ = std::fs::remove_file(&marker);
        sb.cmd()
            .args(["exec", "--profile", "dev"])
            .args(extra)
            .arg("--")
            .arg("touch")
            .arg(&marker)
            .output()
            .unwrap()
    };
    // Enough: no sign-in.
    let o = exec(&["--min-validity", "30m"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(sign_ins(&idc), 1);

    // Not enough, sign-in not allowed: status 5, the command never runs.
    let o = exec(&["--min-validity", "2h", "--no-login"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(5), "{err}");
    assert!(
        err.contains("expires in") && err.contains("dsops login --profile dev"),
        "{err}"
    );
    assert!(!marker.exists());
    assert_eq!(sign_ins(&idc), 1);

    // Not enough, and a sign-in gives a token that lasts: signed in now.
    idc.configure(json!({"token_ttl": 4 * 3600}));
    let o = exec(&["--min-validity", "2h"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(marker.exists());
    assert_eq!(sign_ins(&idc), 2, "one sign-in, before the command");

    // A sign-in that still cannot last is refused.
    idc.configure(json!({"token_ttl": 3600}));
    let o = exec(&["--min-validity", "5h"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("less than --min-validity 5h"), "{err}");
    assert!(!marker.exists());
}

#[test]
fn login_with_min_validity_signs_in_only_when_needed() {
    let idc = FakeIdc::start(&[]);
    idc.configure(json!({"token_ttl": 3600}));
    let sb = sso_sandbox(&idc, "us-east-1", "");
    sb.ok(&["login", "--profile", "dev"]);
    assert_eq!(sign_ins(&idc), 1);
    // A refresh token (the fake's default) serves any --min-validity.
    sb.ok(&["login", "--profile", "dev", "--min-validity", "8h"]);
    assert_eq!(sign_ins(&idc), 1);
    // Without one, a token that expires sooner means a sign-in now.
    idc.configure(json!({"omit_refresh_token": true}));
    let token_file = std::fs::read_dir(sb.path(".aws/sso/cache"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "json"))
        .unwrap();
    let mut t: Value = parse_json(&std::fs::read(&token_file).unwrap());
    t.as_object_mut().unwrap().remove("refreshToken");
    t["expiresAt"] = iso(3600).into();
    std::fs::write(&token_file, t.to_string()).unwrap();
    idc.configure(json!({"token_ttl": 10 * 3600}));
    sb.ok(&["login", "--profile", "dev", "--min-validity", "30m"]);
    assert_eq!(sign_ins(&idc), 1, "an hour is enough for 30m");
    sb.ok(&["login", "--profile", "dev", "--min-validity", "8h"]);
    assert_eq!(sign_ins(&idc), 2);
    let t: Value = parse_json(&std::fs::read(&token_file).unwrap());
    assert!(left_secs(t["expiresAt"].as_str().unwrap()) > 8 * 3600);
}
