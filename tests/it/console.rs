//! `dsops console` against the fake federation endpoint of the fake
//! Identity Center: the Session JSON carries the role credentials, the URL
//! carries the SigninToken and the destination, BROWSER receives it, and
//! neither the URL nor the credentials appear in `--debug` or an error.

use crate::support::*;
use serde_json::Value;

fn console_sandbox(idc: &FakeIdc) -> Sandbox {
    let mut sb = sso_sandbox(idc, "eu-west-1", "");
    sb.set("AWS_ENDPOINT_URL_SIGNIN", &idc.url)
        .set("DSOPS_USE_DEVICE_CODE", "1");
    sb
}

/// The role credentials dsops cached for `dev` (the only cache entry).
fn cached_role(sb: &Sandbox) -> Value {
    let dir = sb.path(".aws/cli/cache");
    let entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .collect();
    assert_eq!(entries.len(), 1, "one cached role");
    parse_json(&std::fs::read(entries[0].path()).unwrap())["Credentials"].clone()
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = vec![];
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

fn query(url: &str, key: &str) -> Option<String> {
    url.split_once('?')?
        .1
        .split('&')
        .find_map(|kv| kv.strip_prefix(&format!("{key}=")))
        .map(decode)
}

#[test]
fn print_gives_the_signin_url_with_the_role_credentials() {
    let idc = FakeIdc::start(&["--auto-approve"]);
    let sb = console_sandbox(&idc);
    let out = sb.ok(&["--debug", "console", "--profile", "dev", "--print"]);
    let url = String::from_utf8(out.stdout).unwrap();
    let url = url.trim();
    let signin = idc.get("/_control/signin");
    assert_eq!(signin["sessions"].as_array().unwrap().len(), 1);
    let session = &signin["sessions"][0];
    let role = cached_role(&sb);
    assert_eq!(session["sessionId"], role["AccessKeyId"]);
    assert_eq!(session["sessionKey"], role["SecretAccessKey"]);
    assert_eq!(session["sessionToken"], role["SessionToken"]);
    let token = signin["tokens"][0].as_str().unwrap();
    assert!(
        url.starts_with(&format!(
            "{}/federation?Action=login&Issuer=dsops&",
            idc.url
        )),
        "{url}"
    );
    assert_eq!(query(url, "SigninToken").as_deref(), Some(token));
    assert_eq!(
        query(url, "Destination").as_deref(),
        Some("https://console.aws.amazon.com/console/home?region=eu-west-1"),
        "the profile's region"
    );
    // --debug said something, and nothing of the URL or the credentials.
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("debug"), "{err}");
    for secret in [
        token,
        role["SecretAccessKey"].as_str().unwrap(),
        role["SessionToken"].as_str().unwrap(),
        "Action=login",
        "getSigninToken&",
    ] {
        assert!(!err.contains(secret), "--debug leaked {secret}: {err}");
    }

    // --destination and --region.
    let out = sb.ok(&[
        "console",
        "--profile",
        "dev",
        "--print",
        "--region",
        "cn-north-1",
        "--destination",
        "https://console.aws.amazon.com/s3/home",
    ]);
    let url = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        query(url.trim(), "Destination").as_deref(),
        Some("https://console.aws.amazon.com/s3/home")
    );
}

#[test]
fn browser_receives_the_url_and_errors_hide_it() {
    let idc = FakeIdc::start(&["--auto-approve"]);
    let mut sb = console_sandbox(&idc);
    sb.ok(&["creds", "--profile", "dev"]);
    // A browser that only logs what it is given.
    let log = sb.path("console.log");
    let script = sb.write(
        "bin/console-browser",
        &format!("#!/bin/sh\necho \"$1\" >> '{}'\n", log.display()),
    );
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    sb.set("BROWSER", &script.display().to_string());
    let out = sb.ok(&["console", "--profile", "dev"]);
    assert!(out.stdout.is_empty(), "the URL went to the browser only");
    let mut got = String::new();
    for _ in 0..100 {
        got = std::fs::read_to_string(&log).unwrap_or_default();
        if !got.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let token = idc.get("/_control/signin")["tokens"][0]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        query(got.trim(), "SigninToken").as_deref(),
        Some(token.as_str()),
        "{got}"
    );

    // The federation endpoint fails: the error says so by status, and holds
    // neither the request (the role's secret) nor a token.
    idc.configure(serde_json::json!({"fail_next": 5, "fail_ops": ["get_signin_token"]}));
    let err = sb.fails(&["--debug", "console", "--profile", "dev", "--print"], 1);
    assert!(
        err.contains("getSigninToken") && err.contains("HTTP 500"),
        "{err}"
    );
    let role = cached_role(&sb);
    for secret in [
        role["SecretAccessKey"].as_str().unwrap(),
        role["SessionToken"].as_str().unwrap(),
        "sessionKey",
        "Session=",
    ] {
        assert!(!err.contains(secret), "the error leaked {secret}: {err}");
    }
    // Unreachable: named by host, not by URL.
    sb.set(
        "AWS_ENDPOINT_URL_SIGNIN",
        &format!("http://127.0.0.1:{}", free_port()),
    );
    let err = sb.fails(&["console", "--profile", "dev", "--print"], 1);
    assert!(
        err.contains("cannot reach the federation endpoint"),
        "{err}"
    );
    assert!(
        !err.contains("Session=") && !err.contains("sessionKey"),
        "{err}"
    );
}
