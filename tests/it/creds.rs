//! `dsops creds`, `login`, `logout` against the fake Identity Center: sign-in,
//! the shared caches, refresh, locks under parallel callers, and the exit
//! statuses of each failure.

use crate::support::*;
use serde_json::{Value, json};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// The shared SSO sandbox plus a `legacy` profile (start URL on the profile)
/// and a user config with the store `aws-sso-prod`.
fn setup(idc: &FakeIdc) -> Sandbox {
    let mut sb = sso_sandbox(
        idc,
        "us-west-2",
        &format!(
            "[profile legacy]\nsso_start_url = {START_URL}\nsso_region = us-east-1\nsso_account_id = 222222222222\nsso_role_name = ReadOnlyAccess\n"
        ),
    );
    sb.write(
        ".config/dsops/config.yaml",
        "version: 1\nsecretStores:\n  aws-sso-prod:\n    type: aws.sso\n    sso_session: my-sso\n    account_id: \"123456789012\"\n    role_name: AdministratorAccess\n    region: us-east-1\n",
    );
    // These tests count device authorizations; tests/it/pkce.rs covers the
    // authorization-code flow that sso-session sign-ins use by default.
    sb.set("DSOPS_USE_DEVICE_CODE", "1");
    sb
}

fn token_file(sb: &Sandbox, key: &str) -> std::path::PathBuf {
    let hex = {
        use sha1::{Digest, Sha1};
        Sha1::digest(key.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    sb.path(&format!(".aws/sso/cache/{hex}.json"))
}

fn check_process_json(out: &[u8]) -> Value {
    let v = parse_json(out);
    assert_eq!(v["Version"], 1);
    for k in [
        "AccessKeyId",
        "SecretAccessKey",
        "SessionToken",
        "Expiration",
    ] {
        assert!(
            v[k].as_str().is_some_and(|s| !s.is_empty()),
            "{k} missing in {v}"
        );
    }
    let exp = v["Expiration"].as_str().unwrap();
    assert!(
        exp.ends_with('Z') && exp.len() == 20,
        "Expiration not RFC 3339 UTC: {exp}"
    );
    v
}

/// Sign in once through the BROWSER script so the token cache is warm.
fn sign_in(sb: &Sandbox) -> Value {
    let out = sb.ok(&["creds", "--profile", "dev"]);
    check_process_json(&out.stdout)
}

#[test]
fn cold_sign_in_then_warm_cache_without_server() {
    let mut idc = FakeIdc::start(&[]);
    let sb = setup(&idc);
    let first = sign_in(&sb);
    assert_eq!(browser_calls(&sb), 1, "one browser sign-in");
    let c = idc.counters();
    assert_eq!(c["device_authorization"], 1);
    assert_eq!(c["get_role_credentials"], 1);
    assert_eq!(
        c["issued_keys"][first["AccessKeyId"].as_str().unwrap()],
        "111111111111/DeveloperAccess"
    );

    // Token and role caches exist with the modes the spec asks for.
    let token = token_file(&sb, "my-sso");
    assert_eq!(file_mode(&token), 0o600);
    assert_eq!(file_mode(token.parent().unwrap()), 0o700);
    let t = parse_json(&std::fs::read(&token).unwrap());
    for k in [
        "startUrl",
        "region",
        "accessToken",
        "expiresAt",
        "clientId",
        "clientSecret",
        "registrationExpiresAt",
        "refreshToken",
    ] {
        assert!(
            t[k].is_string(),
            "token file lacks {k}: keys {:?}",
            t.as_object().unwrap().keys().collect::<Vec<_>>()
        );
    }
    assert!(t["expiresAt"].as_str().unwrap().ends_with('Z'));

    // Warm: the server is gone and creds still answers, from the role cache.
    idc.stop();
    let out = sb.ok(&["creds", "--profile", "dev"]);
    assert_eq!(
        check_process_json(&out.stdout)["AccessKeyId"],
        first["AccessKeyId"]
    );
}

#[test]
fn store_and_profile_share_one_session() {
    let idc = FakeIdc::start(&[]);
    let sb = setup(&idc);
    sign_in(&sb);
    // The store names the same sso-session: no second sign-in.
    let out = sb.ok(&["creds", "--store", "aws-sso-prod"]);
    let v = check_process_json(&out.stdout);
    assert_eq!(idc.counter("device_authorization"), 1);
    assert_eq!(
        idc.counters()["issued_keys"][v["AccessKeyId"].as_str().unwrap()],
        "123456789012/AdministratorAccess"
    );
    // The role cache entry has the AWS CLI's name (spec check vector).
    let entry = sb.path(".aws/cli/cache/c61222fe4c86bb5d3638873744d4cab00a0bf176.json");
    let cached = parse_json(&std::fs::read(&entry).unwrap());
    assert_eq!(cached["ProviderType"], "sso");
    assert_eq!(cached["Credentials"]["AccessKeyId"], v["AccessKeyId"]);
    assert_eq!(cached["Credentials"]["AccountId"], "123456789012");
    assert_eq!(file_mode(&entry), 0o600);
}

fn seed_token(sb: &Sandbox, idc: &FakeIdc, expires_in: i64, registration_expires_in: i64) {
    // A real registration and refresh token from the fake, as a previous sign-in left them.
    sign_in(sb);
    let path = token_file(sb, "my-sso");
    let mut t = parse_json(&std::fs::read(&path).unwrap());
    t["expiresAt"] = json!(iso(expires_in));
    t["registrationExpiresAt"] = json!(iso(registration_expires_in));
    std::fs::write(&path, t.to_string()).unwrap();
    // Forget role credentials so the next creds needs the token.
    let _ = std::fs::remove_dir_all(sb.path(".aws/cli/cache"));
    idc.post("/_control/reset", json!({}));
}

#[test]
fn refresh_near_expiry_makes_one_refresh_call() {
    let idc = FakeIdc::start(&[]);
    let sb = setup(&idc);
    seed_token(&sb, &idc, 12 * 60, 86400);
    let before = parse_json(&std::fs::read(token_file(&sb, "my-sso")).unwrap());
    sb.ok(&["creds", "--profile", "dev", "--no-login"]);
    let c = idc.counters();
    assert_eq!(c["token_refresh"], 1);
    assert_eq!(c["device_authorization"], 0);
    let after = parse_json(&std::fs::read(token_file(&sb, "my-sso")).unwrap());
    assert_ne!(before["accessToken"], after["accessToken"]);
    assert_eq!(before["clientId"], after["clientId"], "registration kept");
}

#[test]
fn refused_refresh_falls_back_to_sign_in() {
    let idc = FakeIdc::start(&[]);
    let sb = setup(&idc);
    seed_token(&sb, &idc, 5 * 60, 86400);
    idc.configure(json!({"refuse_refresh": true}));
    sb.ok(&["creds", "--profile", "dev"]);
    let c = idc.counters();
    assert_eq!(c["token_refresh"], 1);
    assert_eq!(c["device_authorization"], 1);
    assert_eq!(c["register"], 0, "the registration is still valid");
}

#[test]
fn expired_registration_re_registers() {
    let idc = FakeIdc::start(&[]);
    let sb = setup(&idc);
    seed_token(&sb, &idc, -60, -60);
    sb.ok(&["creds", "--profile", "dev"]);
    let c = idc.counters();
    assert_eq!(c["register"], 1);
    assert_eq!(
        c["token_refresh"], 0,
        "no refresh with an expired registration"
    );
    assert_eq!(c["device_authorization"], 1);
}

#[test]
fn corrupt_caches_never_panic() {
    let idc = FakeIdc::start(&[]);
    let sb = setup(&idc);
    let token = token_file(&sb, "my-sso");
    for bad in [
        "",
        "{\"accessToken\": \"x\", \"expiresAt\": ",
        "[1,2]",
        "{\"accessToken\":\"x\",\"expiresAt\":\"tomorrow\"}",
    ] {
        sb.write(".aws/sso/cache/x", "");
        std::fs::write(&token, bad).unwrap();
        // Sign-in forbidden: a clear error with the sign-in status.
        let out = sb
            .cmd()
            .args(["creds", "--profile", "dev", "--no-login"])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(5),
            "{bad:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("dsops login --profile dev"), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    // Sign-in allowed: a fresh sign-in replaces the broken file.
    std::fs::write(&token, "{\"accessTok").unwrap();
    sign_in(&sb);
    assert!(parse_json(&std::fs::read(&token).unwrap())["accessToken"].is_string());
    // A truncated role cache entry is refetched.
    let entry = std::fs::read_dir(sb.path(".aws/cli/cache"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::write(
        &entry,
        "{\"ProviderType\":\"sso\",\"Credentials\":{\"AccessKe",
    )
    .unwrap();
    let out = sb
        .cmd()
        .args(["creds", "--profile", "dev"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(idc.counter("get_role_credentials"), 2);
}

const ROLES: [&str; 8] = [
    "DeveloperAccess",
    "ReadOnlyAccess",
    "AdministratorAccess",
    "PowerUserAccess",
    "BillingAccess",
    "SecurityAudit",
    "DatabaseAdmin",
    "NetworkAdmin",
];

/// `callers` parallel `creds` for `roles` of one session with no token:
/// one sign-in, one GetRoleCredentials per role, every caller served.
fn parallel_sign_in(callers: usize, roles: &[&str]) {
    let idc = FakeIdc::start(&["--latency-ms", "20"]);
    let mut sb = setup(&idc);
    let mut cfg = String::from("version: 1\nsecretStores:\n");
    for r in roles {
        cfg.push_str(&format!(
            "  {r}:\n    type: aws.sso\n    sso_session: my-sso\n    account_id: \"111111111111\"\n    role_name: {r}\n"
        ));
    }
    sb.write(".config/dsops/config.yaml", &cfg);
    sb.set("DSOPS_LOCK_TIMEOUT", "60");
    let children: Vec<_> = (0..callers)
        .map(|i| {
            sb.std_cmd()
                .args(["creds", "--store", roles[i % roles.len()]])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut keys = std::collections::HashMap::new();
    for (i, c) in children.into_iter().enumerate() {
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "caller {i}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v = check_process_json(&out.stdout);
        keys.entry(roles[i % roles.len()])
            .or_insert_with(Vec::new)
            .push(v["AccessKeyId"].as_str().unwrap().to_string());
    }
    let c = idc.counters();
    assert_eq!(c["device_authorization"], 1, "{c}");
    assert_eq!(c["get_role_credentials"], roles.len() as u64, "{c}");
    assert_eq!(browser_calls(&sb), 1);
    for (role, ks) in keys {
        assert!(
            ks.iter().all(|k| *k == ks[0]),
            "{role}: callers got different credentials"
        );
        assert_eq!(c["issued_keys"][&ks[0]], format!("111111111111/{role}"));
    }
}

#[test]
fn parallel_callers_make_one_sign_in() {
    parallel_sign_in(16, &ROLES[..4]);
}

#[test]
fn thirty_two_callers_for_eight_roles() {
    parallel_sign_in(32, &ROLES);
}

#[test]
fn killed_lock_holder_does_not_block() {
    let idc = FakeIdc::start(&[]);
    let mut sb = setup(&idc);
    // A caller whose browser never approves holds the session lock...
    sb.set("BROWSER", "true");
    let mut holder = sb
        .std_cmd()
        .args(["creds", "--profile", "dev"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while idc.counter("device_authorization") == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "holder never started a sign-in"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // ...and is killed with SIGKILL.
    holder.kill().unwrap();
    holder.wait().unwrap();
    let browser = browser_script(&sb);
    sb.set("BROWSER", &browser.display().to_string());
    sb.set("DSOPS_LOCK_TIMEOUT", "5");
    let start = Instant::now();
    let out = sb.ok(&["creds", "--profile", "dev"]);
    assert!(start.elapsed() < Duration::from_secs(5));
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("waiting"),
        "the dead holder's lock was free"
    );
}

#[test]
fn waiting_caller_says_so_and_lock_wait_is_bounded() {
    let idc = FakeIdc::start(&[]);
    let mut sb = setup(&idc);
    // Hold the session lock from this test process.
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open({
            let p = token_file(&sb, "my-sso");
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            format!("{}.lock", p.display())
        })
        .unwrap();
    lock.lock().unwrap();
    sb.set("DSOPS_LOCK_TIMEOUT", "0.5");
    let out = sb
        .cmd()
        .args(["creds", "--profile", "dev"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(7));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("waiting for the SSO sign-in in another dsops process"),
        "{err}"
    );
    assert!(err.contains("DSOPS_LOCK_TIMEOUT"), "{err}");
    assert_eq!(idc.counter("device_authorization"), 0);
}

#[test]
fn sign_in_required_but_not_allowed() {
    let idc = FakeIdc::start(&[]);
    let mut sb = setup(&idc);
    for (flag, env) in [
        (Some("--no-login"), None),
        (None, Some(("DSOPS_NO_LOGIN", "1"))),
        (None, Some(("CI", "true"))),
    ] {
        let mut cmd = sb.cmd();
        cmd.args(["creds", "--store", "aws-sso-prod"]);
        if let Some(f) = flag {
            cmd.arg(f);
        }
        if let Some((k, v)) = env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(5));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        assert!(err.contains("dsops login --store aws-sso-prod"), "{err}");
        assert!(out.stdout.is_empty());
    }
    assert_eq!(idc.counter("device_authorization"), 0);
    assert_eq!(browser_calls(&sb), 0);
    // Denied in the browser: its own status, nothing cached.
    sb.set("BROWSER", &format!("{}/bin/deny", sb.home.display()));
    sb.write("bin/deny", "#!/bin/sh\nexec python3 -c 'import sys,urllib.request; urllib.request.urlopen(sys.argv[1].replace(\"/approve\", \"/deny\")).read()' \"$1\"\n");
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(sb.path("bin/deny"), std::fs::Permissions::from_mode(0o755))
            .unwrap();
    }
    let err = sb.fails(&["creds", "--store", "aws-sso-prod"], 6);
    assert!(err.contains("denied"));
    assert!(
        !token_file(&sb, "my-sso").exists(),
        "nothing cached after a denied sign-in"
    );
}

#[test]
fn server_errors_are_clear_and_status_1() {
    let mut idc = FakeIdc::start(&[]);
    let mut sb = setup(&idc);
    sign_in(&sb);
    let _ = std::fs::remove_dir_all(sb.path(".aws/cli/cache"));
    idc.stop();
    sb.set("DSOPS_HTTP_TIMEOUT", "2");
    let out = sb
        .cmd()
        .args(["creds", "--profile", "dev"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("GetRoleCredentials"), "{err}");
    assert!(out.stdout.is_empty());
    let token = parse_json(&std::fs::read(token_file(&sb, "my-sso")).unwrap());
    assert!(
        !err.contains(token["accessToken"].as_str().unwrap()),
        "never print the token"
    );
}

#[test]
fn logout_revokes_and_deletes() {
    let idc = FakeIdc::start(&[]);
    let sb = setup(&idc);
    sign_in(&sb);
    sb.ok(&["logout", "--profile", "dev"]);
    assert_eq!(idc.counter("logout"), 1);
    assert!(!token_file(&sb, "my-sso").exists());
    let left: Vec<_> = std::fs::read_dir(sb.path(".aws/cli/cache"))
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
                .collect()
        })
        .unwrap_or_default();
    assert!(left.is_empty(), "role credentials deleted: {left:?}");
    // And the next --no-login call needs a sign-in.
    let out = sb
        .cmd()
        .args(["creds", "--profile", "dev", "--no-login"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
}

#[test]
fn login_command_signs_in_for_a_session() {
    let idc = FakeIdc::start(&[]);
    let sb = setup(&idc);
    let out = sb.ok(&["login", "--sso-session", "my-sso"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("/approve?user_code="),
        "the URL is printed: {err}"
    );
    assert!(token_file(&sb, "my-sso").exists());
    assert_eq!(browser_calls(&sb), 1);
}

#[test]
fn no_browser_prints_only_and_an_expired_code_fails_cleanly() {
    let idc = FakeIdc::start(&["--device-expires", "1"]);
    let mut sb = setup(&idc);
    // The second sign-in follows the first one's failure at once.
    sb.set("DSOPS_LOGIN_COOLDOWN", "0");
    for args in [
        &["login", "--sso-session", "my-sso", "--no-browser"][..],
        &["creds", "--profile", "dev"][..],
    ] {
        if args[0] == "creds" {
            sb.set("AWS_SSO_DISABLE_BROWSER", "true");
        }
        let out = sb.cmd().args(args).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(6),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("user_code="), "URL printed: {err}");
        assert!(err.contains("expired"), "{err}");
    }
    assert_eq!(browser_calls(&sb), 0, "no browser was opened");
    assert!(!token_file(&sb, "my-sso").exists());
}

#[test]
fn legacy_profile_keys_token_by_start_url() {
    let idc = FakeIdc::start(&[]);
    let sb = setup(&idc);
    sb.ok(&["creds", "--profile", "legacy"]);
    let t = parse_json(&std::fs::read(token_file(&sb, START_URL)).unwrap());
    assert_eq!(t["startUrl"], START_URL);
}

#[test]
fn server_faults_are_retried_and_debug_redacts() {
    let idc = FakeIdc::start(&[]);
    let sb = setup(&idc);
    sign_in(&sb);
    let _ = std::fs::remove_dir_all(sb.path(".aws/cli/cache"));
    idc.post("/_control/reset", json!({}));
    // Two 500s, then a 429: the SDK's standard retries (with backoff) absorb them.
    idc.configure(json!({"fail_next": 2, "fail_ops": ["get_role_credentials"]}));
    let out = sb.ok(&["--debug", "creds", "--profile", "dev"]);
    let v = check_process_json(&out.stdout);
    assert_eq!(idc.counter("get_role_credentials"), 3);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("debug"), "--debug says something: {err}");
    let token = parse_json(&std::fs::read(token_file(&sb, "my-sso")).unwrap());
    for secret in [
        v["SecretAccessKey"].as_str().unwrap(),
        v["SessionToken"].as_str().unwrap(),
        token["accessToken"].as_str().unwrap(),
    ] {
        assert!(!err.contains(secret), "a secret reached stderr");
    }
    let _ = std::fs::remove_dir_all(sb.path(".aws/cli/cache"));
    idc.configure(json!({"throttle_next": 1, "fail_ops": ["get_role_credentials"]}));
    sb.ok(&["creds", "--profile", "dev"]);
    // Past the retry budget: a clear error, status 1, nothing on stdout.
    let _ = std::fs::remove_dir_all(sb.path(".aws/cli/cache"));
    idc.configure(json!({"fail_next": 10, "fail_ops": ["get_role_credentials"]}));
    let out = sb
        .cmd()
        .args(["creds", "--profile", "dev"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("InternalServer"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn device_code_polling_is_bounded_by_the_login_timeout() {
    // The code would live 20 s; DSOPS_LOGIN_TIMEOUT says 2.
    let idc = FakeIdc::start(&["--device-expires", "20"]);
    let mut sb = setup(&idc);
    sb.set("BROWSER", "true").set("DSOPS_LOGIN_TIMEOUT", "2");
    let start = Instant::now();
    let err = sb.fails(&["creds", "--profile", "dev"], 6);
    assert!(
        start.elapsed() < Duration::from_secs(6),
        "polled for {:?}",
        start.elapsed()
    );
    assert!(err.contains("DSOPS_LOGIN_TIMEOUT"), "{err}");
    assert!(!token_file(&sb, "my-sso").exists());
}

fn cached_role_entries(sb: &Sandbox) -> usize {
    std::fs::read_dir(sb.path(".aws/cli/cache"))
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn empty_credentials_are_not_credentials() {
    let idc = FakeIdc::start(&[]);
    let sb = setup(&idc);
    sign_in(&sb);
    let entry = std::fs::read_dir(sb.path(".aws/cli/cache"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "json"))
        .unwrap();
    // A cache entry with an empty field is fetched again, not served.
    for field in ["AccessKeyId", "SecretAccessKey", "SessionToken"] {
        let mut v = parse_json(&std::fs::read(&entry).unwrap());
        v["Credentials"][field] = json!("");
        std::fs::write(&entry, v.to_string()).unwrap();
        let before = idc.counter("get_role_credentials");
        check_process_json(&sb.ok(&["creds", "--profile", "dev"]).stdout);
        assert_eq!(idc.counter("get_role_credentials"), before + 1, "{field}");
    }
    // An answer with an empty or missing field is refused, and nothing cached.
    for (field, value) in [
        ("accessKeyId", json!("")),
        ("secretAccessKey", Value::Null),
        ("sessionToken", json!("")),
    ] {
        let _ = std::fs::remove_dir_all(sb.path(".aws/cli/cache"));
        idc.configure(json!({"answer_overrides": {"get_role_credentials": {field: value}}}));
        let out = sb
            .cmd()
            .args(["creds", "--profile", "dev"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{field}: {err}");
        assert!(
            err.contains("GetRoleCredentials returned") && err.contains(field),
            "{field}: {err}"
        );
        assert!(out.stdout.is_empty());
        assert_eq!(cached_role_entries(&sb), 0, "{field}: nothing cached");
    }
}

#[test]
fn sign_in_answers_without_their_fields_are_refused() {
    let idc = FakeIdc::start(&[]);
    for (op, field, value) in [
        ("register", "clientId", json!("")),
        ("register", "clientSecret", Value::Null),
        ("device_authorization", "deviceCode", json!("")),
        ("device_authorization", "userCode", Value::Null),
        ("device_authorization", "verificationUri", json!("")),
        ("token_device_code", "accessToken", json!("")),
    ] {
        let sb = setup(&idc);
        idc.configure(json!({"answer_overrides": {op: {field: value}}}));
        let out = sb
            .cmd()
            .args(["creds", "--profile", "dev"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{op}.{field}: {err}");
        let last = err.lines().last().unwrap_or("");
        assert!(
            last.starts_with("dsops: ") && last.contains(" returned ") && last.contains(field),
            "{op}.{field}: {err}"
        );
        assert_eq!(err.matches("dsops: ").count(), 1, "one error line: {err}");
        assert!(!token_file(&sb, "my-sso").exists(), "{op}.{field}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn numbers_from_the_service_never_panic_or_hang() {
    let idc = FakeIdc::start(&[]);
    for (op, field, value, status) in [
        ("token_device_code", "expiresIn", json!(-5), 1),
        ("token_device_code", "expiresIn", json!(0), 1),
        ("token_device_code", "expiresIn", json!(i32::MAX), 0),
        ("token_device_code", "expiresIn", json!(1e30), 1),
        ("get_role_credentials", "expiration", json!(i64::MAX), 1),
        ("get_role_credentials", "expiration", json!(i64::MIN), 1),
        ("get_role_credentials", "expiration", json!(-1), 1),
        ("register", "clientSecretExpiresAt", json!(i64::MAX), 1),
        ("register", "clientSecretExpiresAt", json!(-1), 0),
        // Polled at the deadline at the latest, when the browser has approved.
        ("device_authorization", "interval", json!(i32::MAX), 0),
        ("device_authorization", "interval", json!(-7), 0),
        ("device_authorization", "expiresIn", json!(i32::MAX), 0),
        ("device_authorization", "expiresIn", json!(-1), 6),
    ] {
        let mut sb = setup(&idc);
        sb.set("DSOPS_LOGIN_TIMEOUT", "2");
        idc.configure(json!({"answer_overrides": {op: {field: value}}}));
        let start = Instant::now();
        let out = sb
            .cmd()
            .args(["creds", "--profile", "dev"])
            .timeout(Duration::from_secs(30))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(status),
            "{op}.{field}={value}: {err}"
        );
        assert!(!err.contains("panicked"), "{op}.{field}={value}: {err}");
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{op}.{field}={value}: took {:?}",
            start.elapsed()
        );
    }
    idc.configure(json!({"answer_overrides": {}}));
}

#[test]
fn a_refused_refresh_uses_the_token_another_tool_cached_meanwhile() {
    let idc = FakeIdc::start(&[]);
    let sb = setup(&idc);
    seed_token(&sb, &idc, 5 * 60, 86400);
    let browser_before = browser_calls(&sb);
    let path = token_file(&sb, "my-sso");
    let mut t = parse_json(&std::fs::read(&path).unwrap());
    // Another tool (the AWS CLI, an SDK) refreshes without dsops's lock,
    // and the service then refuses the refresh token dsops holds.
    let theirs = idc.post(
        "/token",
        json!({"clientId": t["clientId"], "clientSecret": t["clientSecret"],
               "grantType": "refresh_token", "refreshToken": t["refreshToken"]}),
    );
    assert!(theirs["accessToken"].is_string(), "{theirs}");
    idc.configure(json!({"revoke_refresh_tokens": true, "latency_ms": 1500}));
    idc.post("/_control/reset", json!({}));
    let child = sb
        .std_cmd()
        .args(["creds", "--profile", "dev"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // While dsops's refresh is on its way, the other tool writes its token.
    let start = Instant::now();
    while idc.counter("token_refresh") == 0 {
        assert!(start.elapsed() < Duration::from_secs(20), "no refresh came");
        std::thread::sleep(Duration::from_millis(10));
    }
    t["accessToken"] = theirs["accessToken"].clone();
    t["refreshToken"] = theirs["refreshToken"].clone();
    t["expiresAt"] = json!(iso(8 * 3600));
    std::fs::write(&path, t.to_string()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    check_process_json(&out.stdout);
    let c = idc.counters();
    assert_eq!(c["token_refresh"], 1, "{c}");
    assert_eq!(c["device_authorization"], 0, "no new sign-in: {c}");
    assert_eq!(browser_calls(&sb), browser_before, "no browser");
    assert_eq!(c["get_role_credentials"], 1);
}

/// Block until some process has opened `path` for reading and closed it
/// (inotify: Linux only).
#[cfg(target_os = "linux")]
fn wait_for_a_read(path: &std::path::Path, start: impl FnOnce()) {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: plain syscalls on a descriptor this function owns and closes.
    unsafe {
        let fd = libc::inotify_init1(libc::IN_CLOEXEC);
        assert!(fd >= 0, "inotify_init1");
        assert!(libc::inotify_add_watch(fd, c.as_ptr(), libc::IN_CLOSE_NOWRITE) >= 0);
        start();
        let mut pfd = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        assert_eq!(libc::poll(&mut pfd, 1, 20_000), 1, "nobody read {path:?}");
        libc::close(fd);
    }
}

/// Cut `path` in half, start `dsops ARGS`, and complete the file in place
/// 20 ms after dsops's first read of it, as an SDK rewriting it would.
#[cfg(target_os = "linux")]
fn complete_after_first_read(sb: &Sandbox, path: &std::path::Path, args: &[&str]) -> Value {
    let full = std::fs::read(path).unwrap();
    let (head, tail) = full.split_at(full.len() / 2);
    std::fs::write(path, head).unwrap();
    let mut child = None;
    wait_for_a_read(path, || {
        child = Some(
            sb.std_cmd()
                .args(args)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap(),
        );
    });
    std::thread::sleep(Duration::from_millis(20));
    use std::io::Write;
    std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .unwrap()
        .write_all(tail)
        .unwrap();
    let out = child.unwrap().wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    check_process_json(&out.stdout)
}

#[cfg(target_os = "linux")]
#[test]
fn cache_files_caught_half_written_are_read_again() {
    let idc = FakeIdc::start(&[]);
    let sb = setup(&idc);
    seed_token(&sb, &idc, 8 * 3600, 86400);
    let browser_before = browser_calls(&sb);
    let token = token_file(&sb, "my-sso");
    complete_after_first_read(&sb, &token, &["creds", "--profile", "dev"]);
    let c = idc.counters();
    assert_eq!(c["device_authorization"], 0, "no sign-in: {c}");
    assert_eq!(c["token_refresh"], 0, "{c}");
    assert_eq!(browser_calls(&sb), browser_before);
    assert_eq!(c["get_role_credentials"], 1);
    // The role cache entry, likewise: no second GetRoleCredentials.
    let entry = std::fs::read_dir(sb.path(".aws/cli/cache"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "json"))
        .unwrap();
    complete_after_first_read(&sb, &entry, &["creds", "--profile", "dev"]);
    assert_eq!(idc.counter("get_role_credentials"), 1);
}

#[test]
fn a_token_file_without_dsops_own_fields_refreshes_and_signs_in() {
    let idc = FakeIdc::start(&[]);
    let mut sb = setup(&idc);
    let path = token_file(&sb, "my-sso");
    // As the Rust SDK leaves it after a refresh: no dsopsGrantTypes.
    let cli_cache = sb.path(".aws/cli/cache");
    let strip = |expires_in: i64| {
        let mut t = parse_json(&std::fs::read(&path).unwrap());
        t.as_object_mut().unwrap().remove("dsopsGrantTypes");
        t["expiresAt"] = json!(iso(expires_in));
        std::fs::write(&path, t.to_string()).unwrap();
        let _ = std::fs::remove_dir_all(&cli_cache);
    };
    seed_token(&sb, &idc, 8 * 3600, 86400);
    strip(12 * 60);
    sb.ok(&["creds", "--profile", "dev", "--no-login"]);
    assert_eq!(idc.counter("token_refresh"), 1);
    // A new device-code sign-in with that registration.
    idc.configure(json!({"refuse_refresh": true}));
    strip(-60);
    sb.ok(&["creds", "--profile", "dev"]);
    let c = idc.counters();
    assert_eq!(c["device_authorization"], 1, "{c}");
    // A browser sign-in: a registration of unknown grant types is not
    // offered to /authorize (a device-code one would strand the browser on
    // an error page); a new one is made.
    sb.set("DSOPS_USE_DEVICE_CODE", "0");
    strip(-60);
    sb.ok(&["creds", "--profile", "dev"]);
    let c = idc.counters();
    assert_eq!(c["authorize"], 1, "{c}");
    assert_eq!(c["token_authorization_code"], 1, "{c}");
}
