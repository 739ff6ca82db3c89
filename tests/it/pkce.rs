//! Sign-in with the authorization-code flow and PKCE against the fake
//! Identity Center, whose `/authorize` redirects to dsops's callback server.

use crate::support::*;
use serde_json::json;
use std::process::Stdio;

fn setup(idc: &FakeIdc) -> Sandbox {
    sso_sandbox(idc, "us-east-1", "")
}

/// A BROWSER script running `python3 -c CODE URL`, for browsers that misbehave.
fn browser_python(sb: &mut Sandbox, name: &str, code: &str) {
    let p = sb.write(
        &format!("bin/{name}"),
        &format!("#!/bin/sh\nexec python3 -c '{code}' \"$1\"\n"),
    );
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    sb.set("BROWSER", &p.display().to_string());
}

fn token_exists(sb: &Sandbox) -> bool {
    std::fs::read_dir(sb.path(".aws/sso/cache"))
        .map(|d| {
            d.filter_map(|e| e.ok())
                .any(|e| e.path().extension().is_some_and(|x| x == "json"))
        })
        .unwrap_or(false)
}

#[test]
fn pkce_sign_in_caches_the_token() {
    let idc = FakeIdc::start(&[]);
    let sb = setup(&idc);
    sb.ok(&["creds", "--profile", "dev"]);
    let c = idc.counters();
    assert_eq!(c["authorize"], 1, "{c}");
    assert_eq!(c["token_authorization_code"], 1);
    assert_eq!(c["device_authorization"], 0);
    assert_eq!(browser_calls(&sb), 1);
    let url = std::fs::read_to_string(sb.path("browser.log")).unwrap();
    for part in [
        "/authorize?response_type=code",
        "code_challenge_method=S256",
        "redirect_uri=http%3A%2F%2F127.0.0.1%3A",
        "state=",
        "scopes=sso%3Aaccount%3Aaccess",
    ] {
        assert!(url.contains(part), "{part} missing in {url}");
    }
    let clients = idc.get("/_control/clients");
    assert!(
        clients.to_string().contains("authorization_code"),
        "registered for the flow: {clients}"
    );
    // The token works for the next caller without a sign-in.
    let out = sb
        .cmd()
        .args(["creds", "--profile", "dev", "--no-login"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(token_exists(&sb));
}

/// A BROWSER that runs a Python program (a file, so any quoting works) with
/// the URL as its argument, after logging the call to `browser.log`.
fn browser_program(sb: &mut Sandbox, name: &str, code: &str) {
    let py = sb.write(&format!("bin/{name}.py"), code);
    let log = sb.path("browser.log");
    let p = sb.write(
        &format!("bin/{name}"),
        &format!(
            "#!/bin/sh\necho \"$1\" >> '{}'\nexec python3 '{}' \"$1\"\n",
            log.display(),
            py.display()
        ),
    );
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    sb.set("BROWSER", &p.display().to_string());
}

/// Python helpers for the browser programs: the callback address from the
/// authorize URL, the redirect (with our state) without following it, a
/// trickling client and a silent one.
const PY_HELPERS: &str = r#"
import socket, sys, threading, time, urllib.error, urllib.parse, urllib.request

URL = sys.argv[1]
_q = urllib.parse.parse_qs(urllib.parse.urlsplit(URL).query)
CB = urllib.parse.urlsplit(_q["redirect_uri"][0])
ADDR = (CB.hostname, CB.port)

class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a):
        return None

def location():
    try:
        urllib.request.build_opener(_NoRedirect).open(URL)
    except urllib.error.HTTPError as e:
        return e.headers["Location"]
    raise SystemExit("no redirect")

def status(url):
    try:
        with urllib.request.urlopen(url, timeout=20) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code

def trickle(seconds):
    s = socket.create_connection(ADDR)
    try:
        for _ in range(seconds):
            s.send(b"A")
            time.sleep(1)
    except OSError:
        pass

def silent(seconds):
    s = socket.create_connection(ADDR)
    time.sleep(seconds)

def background(f, *args):
    threading.Thread(target=f, args=args, daemon=True).start()
"#;

#[test]
fn forged_state_is_answered_400_and_the_real_callback_still_signs_in() {
    let idc = FakeIdc::start(&[]);
    let mut sb = setup(&idc);
    let statuses = sb.path("statuses");
    browser_program(
        &mut sb,
        "forger",
        &format!(
            "{PY_HELPERS}\nimport re\nreal = location()\n\
forged = status(re.sub(\"state=[^&]*\", \"state=forged\", real))\n\
stateless = status(re.sub(\"&?state=[^&]*\", \"\", real))\n\
other = status(\"http://%s:%d/favicon.ico\" % ADDR)\n\
ok = status(real)\n\
open(\"{}\", \"w\").write(\"%d %d %d %d\" % (forged, stateless, other, ok))\n",
            statuses.display()
        ),
    );
    sb.set("DSOPS_LOGIN_TIMEOUT", "30");
    sb.ok(&["creds", "--profile", "dev"]);
    assert_eq!(
        std::fs::read_to_string(&statuses).unwrap(),
        "400 400 404 200",
        "wrong state, no state, another path, then the real callback"
    );
    assert_eq!(idc.counter("token_authorization_code"), 1);
    assert!(token_exists(&sb), "signed in and cached");
}

#[test]
fn another_users_callback_is_refused_even_with_our_state() {
    let Some(other) = as_other_user() else {
        return;
    };
    let idc = FakeIdc::start(&[]);
    let mut sb = setup(&idc);
    let statuses = sb.path("statuses");
    // Another user who read the state (say, from `ps`) answers first with a
    // refusal; then the browser brings the real redirect.
    browser_program(
        &mut sb,
        "intruder",
        &format!(
            "{PY_HELPERS}\nimport re, subprocess\nreal = location()\n\
path = urllib.parse.urlsplit(re.sub(\"code=[^&]*\", \"error=access_denied\", real))\n\
req = \"GET %s?%s HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n\" % (path.path, path.query)\n\
shell = 'exec 3<>/dev/tcp/127.0.0.1/%d && printf %%s \"$1\" >&3 && head -c 12 <&3' % ADDR[1]\n\
theirs = subprocess.run({other:?} + [\"bash\", \"-c\", shell, \"x\", req], capture_output=True, text=True).stdout\n\
ok = status(real)\n\
open(\"{}\", \"w\").write(\"%s|%d\" % (theirs, ok))\n",
            statuses.display()
        ),
    );
    sb.set("DSOPS_LOGIN_TIMEOUT", "30");
    sb.ok(&["creds", "--profile", "dev"]);
    assert_eq!(
        std::fs::read_to_string(&statuses).unwrap(),
        "HTTP/1.1 403|200",
        "the other user's request, then the real callback"
    );
    assert_eq!(idc.counter("token_authorization_code"), 1);
    assert!(token_exists(&sb), "signed in and cached");
}

#[test]
fn a_trickling_client_does_not_extend_the_sign_in() {
    let idc = FakeIdc::start(&[]);
    let mut sb = setup(&idc);
    // Three clients sending a byte a second and one sending nothing, for
    // longer than the sign-in may take; the real redirect never comes.
    browser_program(
        &mut sb,
        "trickler",
        &format!(
            "{PY_HELPERS}\nbackground(silent, 15)\nfor _ in range(2): background(trickle, 15)\ntrickle(15)\n"
        ),
    );
    sb.set("DSOPS_LOGIN_TIMEOUT", "3");
    let start = std::time::Instant::now();
    let err = sb.fails(&["creds", "--profile", "dev"], 6);
    let took = start.elapsed();
    assert!(err.contains("no sign-in arrived within 3s"), "{err}");
    assert!(
        took < std::time::Duration::from_secs(6),
        "the sign-in took {took:?} with DSOPS_LOGIN_TIMEOUT=3"
    );
    assert!(!token_exists(&sb));
}

#[test]
fn slow_clients_do_not_hold_up_the_callback() {
    let idc = FakeIdc::start(&[]);
    let mut sb = setup(&idc);
    // A silent and a trickling client connect first; the browser follows the
    // redirect a moment later.
    browser_program(
        &mut sb,
        "slowpoke",
        &format!(
            "{PY_HELPERS}\nbackground(silent, 15)\nbackground(trickle, 15)\ntime.sleep(0.5)\nstatus(location())\n"
        ),
    );
    sb.set("DSOPS_LOGIN_TIMEOUT", "60");
    let start = std::time::Instant::now();
    sb.ok(&["creds", "--profile", "dev"]);
    let took = start.elapsed();
    assert!(
        took < std::time::Duration::from_secs(5),
        "the callback waited for slow clients: {took:?}"
    );
    assert!(token_exists(&sb));
}

#[test]
fn a_request_line_without_end_does_not_grow_memory() {
    let idc = FakeIdc::start(&[]);
    let mut sb = setup(&idc);
    // 256 MiB of request line without a newline; then the peak memory of
    // dsops (our parent) is noted, and the browser follows the redirect.
    let report = sb.path("report");
    browser_program(
        &mut sb,
        "flood",
        &format!(
            "{PY_HELPERS}\nimport os\ns = socket.create_connection(ADDR)\nsent = 0\nchunk = b\"A\" * (1 << 20)\n\
try:\n    s.sendall(b\"GET /oauth/callback?state=\")\n    while sent < 256 << 20:\n        s.sendall(chunk)\n        sent += len(chunk)\nexcept OSError:\n    pass\n\
time.sleep(1)\n\
hwm = [l.split()[1] for l in open(\"/proc/%d/status\" % os.getppid()) if l.startswith(\"VmHWM:\")][0]\n\
open(\"{}\", \"w\").write(\"%d %s\" % (sent, hwm))\nstatus(location())\n",
            report.display()
        ),
    );
    sb.set("DSOPS_LOGIN_TIMEOUT", "60");
    sb.ok(&["creds", "--profile", "dev"]);
    let text = std::fs::read_to_string(&report).unwrap();
    let (sent, hwm_kb) = text.split_once(' ').unwrap();
    let hwm_kb: u64 = hwm_kb.parse().unwrap();
    assert!(
        hwm_kb < 64 * 1024,
        "dsops grew to {hwm_kb} kB while a client sent {sent} bytes of request line"
    );
    assert!(token_exists(&sb), "the real callback still signed in");
}

#[test]
fn wrong_verifier_is_refused_by_the_server() {
    let idc = FakeIdc::start(&[]);
    let mut sb = setup(&idc);
    // The browser swaps the challenge, so dsops's verifier no longer matches it.
    browser_python(
        &mut sb,
        "badchallenge",
        "import sys,re,urllib.request\n\
urllib.request.urlopen(re.sub(\"code_challenge=[^&]*\",\"code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM\",sys.argv[1])).read()",
    );
    let err = sb.fails(&["creds", "--profile", "dev"], 6);
    assert!(err.contains("InvalidGrant"), "{err}");
    assert_eq!(idc.counter("token_authorization_code"), 1);
    assert!(!token_exists(&sb));
}

#[test]
fn access_denied_ends_cleanly() {
    let idc = FakeIdc::start(&[]);
    let sb = setup(&idc);
    idc.configure(json!({"authorize_error": "access_denied"}));
    let err = sb.fails(&["creds", "--profile", "dev"], 6);
    assert!(
        err.contains("denied") && err.contains("access_denied"),
        "{err}"
    );
    assert!(!token_exists(&sb));
}

#[test]
fn no_callback_within_the_bound_fails_cleanly() {
    let idc = FakeIdc::start(&[]);
    let mut sb = setup(&idc);
    sb.set("BROWSER", "true").set("DSOPS_LOGIN_TIMEOUT", "1");
    let err = sb.fails(&["creds", "--profile", "dev"], 6);
    assert!(err.contains("no sign-in arrived within 1s"), "{err}");
    assert!(!token_exists(&sb));
}

#[test]
fn device_code_when_asked_remote_or_port_busy() {
    let idc = FakeIdc::start(&[]);
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port().to_string();
    for (i, (k, v)) in [
        ("DSOPS_USE_DEVICE_CODE", "1"),
        ("SSH_CONNECTION", "10.0.0.1 22 10.0.0.2 50000"),
        ("DSOPS_CALLBACK_PORT", port.as_str()),
    ]
    .into_iter()
    .enumerate()
    {
        let mut sb = setup(&idc);
        sb.set(k, v);
        let out = sb
            .cmd()
            .args(["creds", "--profile", "dev"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{k}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(idc.counter("device_authorization"), i as u64 + 1, "{k}");
        if k == "DSOPS_CALLBACK_PORT" {
            assert!(
                String::from_utf8_lossy(&out.stderr)
                    .contains(&format!("cannot listen on 127.0.0.1:{port}"))
            );
        }
    }
    assert_eq!(idc.counter("authorize"), 0);
    // --use-device-code on the command line too.
    let sb = setup(&idc);
    sb.ok(&["login", "--profile", "dev", "--use-device-code"]);
    assert_eq!(idc.counter("device_authorization"), 4);
}

#[test]
fn device_code_registration_is_replaced_for_pkce() {
    let idc = FakeIdc::start(&[]);
    let mut sb = setup(&idc);
    sb.set("DSOPS_USE_DEVICE_CODE", "1");
    assert!(
        sb.cmd()
            .args(["login", "--profile", "dev"])
            .output()
            .unwrap()
            .status
            .success()
    );
    assert_eq!(idc.counter("register"), 1);
    sb.set("DSOPS_USE_DEVICE_CODE", "0");
    // `login` with a fresh token signs in again only when asked; expire it.
    idc.configure(json!({"refuse_refresh": true}));
    let cache = std::fs::read_dir(sb.path(".aws/sso/cache"))
        .unwrap()
        .filter_map(|e| e.ok())
        .find(|e| e.path().extension().is_some_and(|x| x == "json"))
        .unwrap()
        .path();
    let mut t = parse_json(&std::fs::read(&cache).unwrap());
    t["expiresAt"] = json!("2000-01-01T00:00:00Z");
    std::fs::write(&cache, t.to_string()).unwrap();
    sb.ok(&["creds", "--profile", "dev"]);
    assert_eq!(
        idc.counter("register"),
        2,
        "a device-code registration cannot do PKCE"
    );
    assert_eq!(idc.counter("authorize"), 1);
}

#[test]
fn parallel_callers_make_one_pkce_sign_in() {
    let idc = FakeIdc::start(&["--latency-ms", "10"]);
    let mut sb = setup(&idc);
    let roles = [
        "DeveloperAccess",
        "ReadOnlyAccess",
        "AdministratorAccess",
        "PowerUserAccess",
    ];
    let mut cfg = String::from("version: 1\nsecretStores:\n");
    for r in roles {
        cfg.push_str(&format!("  {r}:\n    type: aws.sso\n    sso_session: my-sso\n    account_id: \"111111111111\"\n    role_name: {r}\n"));
    }
    sb.write(".config/dsops/config.yaml", &cfg);
    sb.set("DSOPS_LOCK_TIMEOUT", "60");
    let children: Vec<_> = (0..8)
        .map(|i| {
            sb.std_cmd()
                .args(["creds", "--store", roles[i % 4]])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        parse_json(&out.stdout);
    }
    let c = idc.counters();
    assert_eq!(c["authorize"], 1, "{c}");
    assert_eq!(c["token_authorization_code"], 1);
    assert_eq!(c["get_role_credentials"], 4);
    assert_eq!(browser_calls(&sb), 1);
}

/// The sign-in failure note beside the token file of `my-sso`.
fn failure_note(sb: &Sandbox) -> std::path::PathBuf {
    // sha1("my-sso")
    sb.path(".aws/sso/cache/0ad374308c5a4e22f723adf10145eafad7c4031c.json.failed")
}

#[test]
fn a_denied_sign_in_is_not_repeated_by_every_waiting_caller() {
    // Latency keeps the one sign-in going while the others queue for it.
    let idc = FakeIdc::start(&["--latency-ms", "300"]);
    let mut sb = setup(&idc);
    idc.configure(json!({"authorize_error": "access_denied"}));
    let roles = [
        "DeveloperAccess",
        "ReadOnlyAccess",
        "AdministratorAccess",
        "PowerUserAccess",
    ];
    let mut cfg = String::from("version: 1\nsecretStores:\n");
    for r in roles {
        cfg.push_str(&format!("  {r}:\n    type: aws.sso\n    sso_session: my-sso\n    account_id: \"111111111111\"\n    role_name: {r}\n"));
    }
    sb.write(".config/dsops/config.yaml", &cfg);
    sb.set("DSOPS_LOCK_TIMEOUT", "60");
    let children: Vec<_> = (0..8)
        .map(|i| {
            sb.std_cmd()
                .args(["creds", "--store", roles[i % 4]])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(6), "{err}");
        assert!(out.stdout.is_empty());
        assert!(err.contains("denied"), "the reason is passed on: {err}");
    }
    let c = idc.counters();
    assert_eq!(c["authorize"], 1, "{c}");
    assert_eq!(browser_calls(&sb), 1, "one browser tab for eight callers");
    assert_eq!(file_mode(&failure_note(&sb)), 0o600);
    // Within the cool-down, a new caller fails at once, without a browser.
    let start = std::time::Instant::now();
    let err = sb.fails(&["creds", "--profile", "dev"], 6);
    assert!(start.elapsed() < std::time::Duration::from_secs(3));
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("failed")
            && err.contains("s ago")
            && err.contains("'dsops login --profile dev'"),
        "{err}"
    );
    assert_eq!(browser_calls(&sb), 1);
    // `dsops login` by hand signs in all the same, and clears the note.
    idc.configure(json!({"authorize_error": null}));
    sb.ok(&["login", "--profile", "dev"]);
    assert_eq!(browser_calls(&sb), 2);
    assert!(token_exists(&sb));
    assert!(!failure_note(&sb).exists());
    sb.ok(&["creds", "--store", "ReadOnlyAccess", "--no-login"]);
}

#[test]
fn the_cool_down_ends_spares_terminals_and_ignores_garbage() {
    let idc = FakeIdc::start(&[]);
    let mut sb = setup(&idc);
    let forget = |sb: &Sandbox| {
        let _ = std::fs::remove_dir_all(sb.path(".aws/cli/cache"));
        for e in std::fs::read_dir(sb.path(".aws/sso/cache"))
            .unwrap()
            .flatten()
        {
            if e.path().extension().is_some_and(|x| x == "json") {
                std::fs::remove_file(e.path()).unwrap();
            }
        }
    };
    let deny = |sb: &Sandbox| {
        idc.configure(json!({"authorize_error": "access_denied"}));
        sb.fails(&["creds", "--profile", "dev"], 6);
        assert!(failure_note(sb).exists());
        idc.configure(json!({"authorize_error": null}));
    };
    // After the cool-down, a caller signs in again.
    deny(&sb);
    sb.set("DSOPS_LOGIN_COOLDOWN", "0.5");
    std::thread::sleep(std::time::Duration::from_millis(600));
    sb.ok(&["creds", "--profile", "dev"]);
    assert_eq!(browser_calls(&sb), 2);
    assert!(!failure_note(&sb).exists(), "a success clears the note");
    // Someone at a terminal (stdin and stderr) is not held off.
    sb.set("DSOPS_LOGIN_COOLDOWN", "600");
    forget(&sb);
    deny(&sb);
    if require_tool("script") {
        let out = std::process::Command::new("script")
            .env_clear()
            .envs(sb.base_env())
            .current_dir(sb.path("project"))
            .args([
                "-qec",
                &format!("'{}' creds --profile dev", bin().display()),
                "/dev/null",
            ])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert_eq!(browser_calls(&sb), 4);
    }
    // A note that is not one is ignored.
    forget(&sb);
    let before = browser_calls(&sb);
    for garbage in [
        "",
        "{\"failedAtMs\": \"soon\"}",
        "\u{0}\u{1}\u{2}",
        "{\"failedAtMs\": 99999999999999}",
    ] {
        std::fs::write(failure_note(&sb), garbage).unwrap();
        let _ = std::fs::remove_dir_all(sb.path(".aws/cli/cache"));
        forget(&sb);
        sb.ok(&["creds", "--profile", "dev"]);
    }
    assert_eq!(browser_calls(&sb), before + 4);
}
