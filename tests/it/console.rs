//! `dsops console` against the fake federation endpoint of the fake
//! Identity Center: the Session JSON carries the role credentials, the URL
//! carries the SigninToken and the destination, BROWSER receives a one-time
//! local address that redirects to it (never the URL itself), and neither
//! the URL nor the credentials appear in `--debug` or an error.

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
fn browser_gets_a_one_time_local_url_and_errors_hide_it() {
    let idc = FakeIdc::start(&["--auto-approve"]);
    let mut sb = console_sandbox(&idc);
    sb.ok(&["creds", "--profile", "dev"]);
    let other = as_other_user();
    // A browser that logs its argument, then fetches it (without following
    // the redirect): first as another user, then with a wrong path, then as
    // itself, then once more.
    let log = sb.path("console.log");
    let script = sb.write(
        "bin/console-browser",
        &format!(
            r#"#!/bin/bash
url=$1
hp=${{url#http://}}; path=/${{hp#*/}}; hp=${{hp%%/*}}; port=${{hp##*:}}
fetch() {{
  local p=$1; shift
  "$@" bash -c 'exec 3<>/dev/tcp/127.0.0.1/$0 || exit 1; printf "GET %s HTTP/1.1\r\nHost: x\r\n\r\n" "$1" >&3; tr -d "\r" <&3' "$port" "$p"
}}
{{
  echo "ARG $url"
  echo OTHER; {other} fetch "$path" {prefix}
  echo WRONG; fetch "${{path}}0"
  echo SELF; fetch "$path"
  echo AGAIN; fetch "$path"
  echo END
}} >> '{log}' 2>&1
"#,
            other = if other.is_some() { "" } else { ": " },
            prefix = other.clone().unwrap_or_default().join(" "),
            log = log.display()
        ),
    );
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    sb.set("BROWSER", &script.display().to_string());
    let out = sb.ok(&["--debug", "console", "--profile", "dev"]);
    assert!(out.stdout.is_empty(), "the URL went to the browser only");
    let mut got = String::new();
    for _ in 0..200 {
        got = std::fs::read_to_string(&log).unwrap_or_default();
        if got.contains("\nEND\n") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let part = |from: &str, to: &str| -> String {
        let a = got.find(&format!("{from}\n")).expect(from) + from.len() + 1;
        let b = got.find(&format!("{to}\n")).expect(to);
        got[a..b].to_string()
    };
    let token = idc.get("/_control/signin")["tokens"][0]
        .as_str()
        .unwrap()
        .to_string();
    // On the command line: a one-time local address, no credential.
    let arg = got.lines().next().unwrap().strip_prefix("ARG ").unwrap();
    let (_, random) = arg
        .strip_prefix("http://127.0.0.1:")
        .and_then(|rest| rest.split_once("/console/"))
        .unwrap_or_else(|| panic!("{got}"));
    assert!(
        random.len() == 32 && random.bytes().all(|b| b.is_ascii_hexdigit()),
        "{arg}"
    );
    assert!(
        !arg.contains(&token) && !arg.contains("SigninToken"),
        "{arg}"
    );
    // Another user is refused; a wrong path is not found; neither ends the
    // wait. Our own request is sent on, once.
    if other.is_some() {
        assert!(part("OTHER", "WRONG").starts_with("HTTP/1.1 403 "), "{got}");
    }
    assert!(part("WRONG", "SELF").starts_with("HTTP/1.1 404 "), "{got}");
    let answer = part("SELF", "AGAIN");
    assert!(answer.starts_with("HTTP/1.1 303 "), "{got}");
    let location = answer
        .lines()
        .find_map(|l| l.strip_prefix("Location: "))
        .unwrap_or_else(|| panic!("{got}"));
    assert!(
        location.starts_with(&format!(
            "{}/federation?Action=login&Issuer=dsops&",
            idc.url
        )),
        "{location}"
    );
    assert_eq!(
        query(location, "SigninToken").as_deref(),
        Some(token.as_str())
    );
    assert!(answer.contains("\nCache-Control: no-store\n"), "{answer}");
    assert!(
        !part("AGAIN", "END").contains("HTTP/1.1"),
        "served twice: {got}"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains(&token) && !err.contains(random), "{err}");

    // Nobody fetches it: a clear error once DSOPS_LOGIN_TIMEOUT has passed.
    let silent = sb.write("bin/silent-browser", "#!/bin/sh\nexit 0\n");
    std::fs::set_permissions(&silent, std::fs::Permissions::from_mode(0o755)).unwrap();
    sb.set("BROWSER", &silent.display().to_string())
        .set("DSOPS_LOGIN_TIMEOUT", "4");
    let err = sb.fails(&["console", "--profile", "dev"], 1);
    assert!(
        err.contains("waiting for the browser to open the console (up to 4s")
            && err.contains("did not open the console within 4s")
            && err.contains("--print"),
        "{err}"
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
