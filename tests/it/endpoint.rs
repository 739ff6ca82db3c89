//! `dsops exec --profile P -- CMD` and `dsops serve`: the credential endpoint
//! (container-credentials protocol) with real SDK clients (boto3, the AWS CLI
//! v2, the AWS SDK for JavaScript v3) against moto's STS, a long job across
//! short-lived role credentials, concurrency, refusals, signals and statuses.

use crate::support::*;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A sandbox signed in to the fake Identity Center, profile `dev` (API
/// region us-east-1).
fn setup(idc: &FakeIdc) -> Sandbox {
    let sb = sso_sandbox(idc, "us-east-1", "");
    sb.ok(&["login", "--profile", "dev"]);
    sb
}

/// Sign-ins the fake has seen (either flow).
fn sign_ins(idc: &FakeIdc) -> u64 {
    idc.counter("token_device_code") + idc.counter("token_authorization_code")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Wait for `path` to exist (a child writes it), at most `limit`.
fn wait_for(path: &Path, limit: Duration) {
    let start = Instant::now();
    while !path.exists() {
        assert!(start.elapsed() < limit, "{} did not appear", path.display());
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// An environment dump as written by `env`: NAME=value lines.
fn read_env(path: &Path) -> Vec<(String, String)> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn get<'a>(env: &'a [(String, String)], k: &str) -> Option<&'a str> {
    env.iter().find(|(a, _)| a == k).map(|(_, v)| v.as_str())
}

/// `dsops exec ARGS -- sh -c 'env > FILE; SCRIPT'` running in the background,
/// with the endpoint's address and token read from the dump.
struct Running {
    child: Child,
    env: Vec<(String, String)>,
    port: u16,
    path: String,
    token: String,
}

impl Running {
    fn start(sb: &Sandbox, args: &[&str], script: &str) -> Running {
        Running::start_after(sb, args, "", script)
    }

    /// With `setup` run before the dump is written (a trap that must be in
    /// place before the test sends a signal).
    fn start_after(sb: &Sandbox, args: &[&str], setup: &str, script: &str) -> Running {
        let dump = sb.path(&format!("env.{}", free_port()));
        let tmp = dump.with_extension("tmp");
        let child = sb
            .std_cmd()
            .args(args)
            .args(["--", "sh", "-c"])
            .arg(format!(
                "{setup}\nenv > '{}' && mv '{}' '{}'; {script}",
                tmp.display(),
                tmp.display(),
                dump.display()
            ))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        wait_for(&dump, Duration::from_secs(20));
        let env = read_env(&dump);
        let uri = get(&env, "AWS_CONTAINER_CREDENTIALS_FULL_URI")
            .expect("the child has AWS_CONTAINER_CREDENTIALS_FULL_URI")
            .to_string();
        let rest = uri
            .strip_prefix("http://127.0.0.1:")
            .unwrap_or_else(|| panic!("not a loopback http URI: {uri}"));
        let (port, path) = rest.split_at(rest.find('/').unwrap());
        Running {
            port: port.parse().unwrap(),
            path: path.to_string(),
            token: get(&env, "AWS_CONTAINER_AUTHORIZATION_TOKEN")
                .expect("the child has AWS_CONTAINER_AUTHORIZATION_TOKEN")
                .to_string(),
            env,
            child,
        }
    }

    fn request(&self, path: &str, auth: Option<&str>) -> Response {
        let mut head = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n", self.port);
        if let Some(a) = auth {
            head.push_str(&format!("Authorization: {a}\r\n"));
        }
        head.push_str("\r\n");
        raw(self.port, head.as_bytes())
    }

    fn good(&self) -> Response {
        self.request(&self.path, Some(&self.token))
    }

    /// SIGTERM to dsops, which passes it on to the command.
    fn stop(self) -> Output {
        // SAFETY: a signal to the dsops process this test started.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        wait_within(self.child, Duration::from_secs(10), "SIGTERM")
    }
}

/// Wait for `child` at most `limit`; kill it and fail after that.
fn wait_within(mut child: Child, limit: Duration, what: &str) -> Output {
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("{what}: dsops did not end within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

#[derive(Debug)]
struct Response {
    status: u16,
    head: String,
    body: String,
}

impl Response {
    fn json(&self) -> Value {
        parse_json(self.body.as_bytes())
    }
}

/// Send `bytes` to 127.0.0.1:`port` and read the whole answer.
fn raw(port: u16, bytes: &[u8]) -> Response {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    // The endpoint may close before reading everything (a request too big).
    let _ = s.write_all(bytes);
    let mut out = vec![];
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Response {
        status,
        head: head.to_string(),
        body: body.to_string(),
    }
}

fn refused(addr: (std::net::IpAddr, u16)) -> bool {
    TcpStream::connect_timeout(&addr.into(), Duration::from_secs(2)).is_err()
}

/// The machine's IPv4 addresses that are not loopback.
fn other_addresses() -> Vec<std::net::IpAddr> {
    let mut out = vec![];
    // SAFETY: getifaddrs fills a list we walk read-only and then free.
    unsafe {
        let mut list: *mut libc::ifaddrs = std::ptr::null_mut();
        if libc::getifaddrs(&mut list) != 0 {
            return out;
        }
        let mut cur = list;
        while !cur.is_null() {
            let a = (*cur).ifa_addr;
            if !a.is_null() && i32::from((*a).sa_family) == libc::AF_INET {
                let sin = &*(a as *const libc::sockaddr_in);
                let ip = std::net::Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr));
                if !ip.is_loopback() {
                    out.push(ip.into());
                }
            }
            cur = (*cur).ifa_next;
        }
        libc::freeifaddrs(list);
    }
    out
}

#[test]
fn answers_only_the_exact_token_on_loopback_and_is_gone_after_the_command() {
    let idc = FakeIdc::start(&[]);
    let sb = setup(&idc);
    let run = Running::start(&sb, &["exec", "--profile", "dev"], "exec sleep 60");
    assert_eq!(run.token.len(), 64, "256 bits, hex");
    assert!(run.path.len() > 16, "a random path: {}", run.path);

    let ok = run.good();
    assert_eq!(ok.status, 200, "{ok:?}");
    let v = ok.json();
    for k in ["AccessKeyId", "SecretAccessKey", "Token", "Expiration"] {
        assert!(v[k].as_str().is_some_and(|s| !s.is_empty()), "{k}: {v}");
    }
    assert_eq!(
        idc.counters()["issued_keys"][v["AccessKeyId"].as_str().unwrap()],
        "111111111111/DeveloperAccess"
    );

    // Anything but the exact token on the route's path: 401 and nothing else.
    let mut wrong = run.token.clone().into_bytes();
    wrong[10] = if wrong[10] == b'0' { b'1' } else { b'0' };
    let wrong = String::from_utf8(wrong).unwrap();
    let bearer = format!("Bearer {}", run.token);
    let short = &run.token[..63];
    for (what, r) in [
        ("no header", run.request(&run.path, None)),
        ("a wrong token", run.request(&run.path, Some(&wrong))),
        ("a prefix of it", run.request(&run.path, Some(short))),
        ("Bearer TOKEN", run.request(&run.path, Some(&bearer))),
        ("another path", run.request("/", Some(&run.token))),
        (
            "another path 2",
            run.request(&format!("{}x", run.path), Some(&run.token)),
        ),
        (
            "the token twice",
            raw(
                run.port,
                format!(
                    "GET {} HTTP/1.1\r\nAuthorization: {t}\r\nAuthorization: {t}\r\n\r\n",
                    run.path,
                    t = run.token
                )
                .as_bytes(),
            ),
        ),
    ] {
        assert_eq!(r.status, 401, "{what}: {r:?}");
        assert!(r.body.is_empty(), "{what}: a body: {r:?}");
        assert!(!r.head.contains("Content-Type"), "{what}: {r:?}");
        assert!(r.head.contains("Content-Length: 0"), "{what}: {r:?}");
    }
    // Not HTTP, or too big: closed without an answer; the endpoint lives on.
    assert_eq!(raw(run.port, b"hello\r\n\r\n").status, 0);
    let mut big = format!("GET {} HTTP/1.1\r\nX-Pad: ", run.path).into_bytes();
    big.extend(std::iter::repeat_n(b'a', 20_000));
    let r = raw(run.port, &big);
    assert!(r.status == 0 && r.body.is_empty(), "{r:?}");
    // A client that connects and says nothing holds no one else up.
    let _idle = TcpStream::connect(("127.0.0.1", run.port)).unwrap();
    assert_eq!(run.good().status, 200);

    // Loopback only: not on 127.0.0.2, not on any other address.
    let loop2: std::net::IpAddr = "127.0.0.2".parse().unwrap();
    assert!(refused((loop2, run.port)), "reachable on 127.0.0.2");
    for ip in other_addresses() {
        assert!(refused((ip, run.port)), "reachable on {ip}");
    }

    // The command ends (SIGTERM, passed on): dsops ends with it, and so
    // does the endpoint.
    let port = run.port;
    let out = run.stop();
    assert_eq!(out.status.code(), Some(143));
    let local: std::net::IpAddr = "127.0.0.1".parse().unwrap();
    assert!(refused((local, port)), "the endpoint outlived dsops");
    // No secret on dsops's stderr.
    let err = stderr(&out);
    assert!(
        !err.contains(v["SecretAccessKey"].as_str().unwrap()),
        "{err}"
    );
}

#[test]
fn an_answer_that_cannot_be_had_is_a_500_with_the_reason_said_once() {
    let idc = FakeIdc::start(&[]);
    let sb = setup(&idc);
    let run = Running::start(
        &sb,
        &["exec", "--profile", "dev", "--no-login"],
        "exec sleep 60",
    );
    // Signed out behind its back: no token, no cached role credentials.
    for dir in [".aws/sso/cache", ".aws/cli/cache"] {
        for e in std::fs::read_dir(sb.path(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "json") {
                std::fs::remove_file(p).unwrap();
            }
        }
    }
    for _ in 0..3 {
        let r = run.good();
        assert_eq!(r.status, 500, "{r:?}");
        let message = r.json()["Message"].as_str().unwrap().to_string();
        assert!(message.contains("dsops login --profile dev"), "{message}");
    }
    let out = run.stop();
    let err = stderr(&out);
    assert_eq!(
        err.matches("credential endpoint:").count(),
        1,
        "said once: {err}"
    );
}

#[test]
fn endpoint_ends_with_the_command_not_with_its_background_children() {
    let idc = FakeIdc::start(&[]);
    let sb = setup(&idc);
    let pidfile = sb.path("bg.pid");
    let run = Running::start(
        &sb,
        &["exec", "--profile", "dev"],
        &format!(
            "sleep 30 </dev/null >/dev/null 2>&1 & echo $! > '{}'; sleep 0.5; exit 4",
            pidfile.display()
        ),
    );
    let port = run.port;
    let start = Instant::now();
    let mut child = run.child;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "dsops waited for the background process"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(4), "the command's own status");
    let local: std::net::IpAddr = "127.0.0.1".parse().unwrap();
    assert!(refused((local, port)), "the endpoint outlived the command");
    let bg: i32 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // SAFETY: kill with signal 0 checks that the background sleep still lives.
    assert_eq!(unsafe { libc::kill(bg, 0) }, 0, "the background child died");
    // SAFETY: ends the background sleep this test started.
    unsafe { libc::kill(bg, libc::SIGKILL) };
}

#[test]
fn signals_and_exit_statuses_pass_through() {
    let idc = FakeIdc::start(&[]);
    let sb = setup(&idc);
    let exec = |script: &str| {
        sb.cmd()
            .args(["exec", "--profile", "dev", "--", "sh", "-c", script])
            .output()
            .unwrap()
    };
    assert_eq!(exec("exit 7").status.code(), Some(7));
    assert_eq!(exec("exit 0").status.code(), Some(0));
    assert_eq!(exec("kill -TERM $$").status.code(), Some(143));
    assert_eq!(exec("kill -KILL $$").status.code(), Some(137));
    let o = sb
        .cmd()
        .args(["exec", "--profile", "dev", "--", "dsops-no-such-command"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(127), "{}", stderr(&o));

    // Signals sent to dsops reach the command: a trap sees each one, and
    // dsops exits with the status the trap chose.
    for (sig, name) in [
        (libc::SIGINT, "INT"),
        (libc::SIGTERM, "TERM"),
        (libc::SIGHUP, "HUP"),
        (libc::SIGQUIT, "QUIT"),
        (libc::SIGUSR1, "USR1"),
        (libc::SIGUSR2, "USR2"),
        (libc::SIGWINCH, "WINCH"),
    ] {
        let seen = sb.path(&format!("seen.{name}"));
        let run = Running::start_after(
            &sb,
            &["exec", "--profile", "dev"],
            &format!(
                "trap 'echo {name} > \"{}\"; exit 42' {name}",
                seen.display()
            ),
            // Bounded, so that a failing run leaves nothing behind for long.
            "i=0; while [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done",
        );
        // SAFETY: a signal to the dsops process this test started.
        unsafe { libc::kill(run.child.id() as i32, sig) };
        let out = wait_within(run.child, Duration::from_secs(10), name);
        assert_eq!(out.status.code(), Some(42), "{name}: {}", stderr(&out));
        assert_eq!(
            std::fs::read_to_string(&seen).unwrap().trim(),
            name,
            "the command saw {name}"
        );
    }
    // A command that does not catch it dies of it: 128 + N.
    for (sig, code) in [(libc::SIGTERM, 143), (libc::SIGINT, 130)] {
        let run = Running::start(&sb, &["exec", "--profile", "dev"], "exec sleep 60");
        // SAFETY: as above.
        unsafe { libc::kill(run.child.id() as i32, sig) };
        let out = wait_within(run.child, Duration::from_secs(10), "an uncaught signal");
        assert_eq!(out.status.code(), Some(code), "{}", stderr(&out));
    }
}

#[test]
fn terminal_signals_reach_the_command_once() {
    let idc = FakeIdc::start(&[]);
    let sb = setup(&idc);
    // Ctrl-C on a terminal goes to the whole foreground process group,
    // dsops and the command alike: dsops must not send it a second time.
    let ready = sb.path("ready");
    let seen = sb.path("seen");
    let script = format!(
        "trap 'echo INT >> \"{seen}\"' INT; touch \"{ready}\"; i=0; while [ $i -lt 30 ]; do sleep 0.05; i=$((i+1)); done; exit 3",
        seen = seen.display(),
        ready = ready.display()
    );
    let out = default_signals(&mut std::process::Command::new("python3"))
        .arg(repo().join("tests/support/pty_run.py"))
        .arg(&ready)
        .arg("\\x03")
        .arg(bin())
        .args([
            "--debug",
            "exec",
            "--profile",
            "dev",
            "--",
            "sh",
            "-c",
            &script,
        ])
        .env_clear()
        .envs(sb.base_env())
        .current_dir(sb.path("project"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "3",
        "{}",
        stderr(&out)
    );
    let lines = std::fs::read_to_string(&seen).unwrap_or_default();
    assert_eq!(
        lines.lines().count(),
        1,
        "the command saw Ctrl-C {} times",
        lines.lines().count()
    );
    // (Two SIGINTs close together may reach a shell's trap as one, so dsops's
    // own account says whether it sent another.)
    let shown = stderr(&out);
    assert!(shown.contains("came from the terminal"), "{shown}");
    assert!(!shown.contains("passing signal"), "{shown}");
}

#[test]
fn forty_concurrent_requests_make_one_get_role_credentials() {
    let idc = FakeIdc::start(&[]);
    let sb = setup(&idc);
    let run = Running::start(&sb, &["exec", "--profile", "dev"], "exec sleep 60");
    let before = idc.counter("get_role_credentials");
    // No cached role credentials, and a slow portal: every request arrives
    // while the first fetch is under way.
    for e in std::fs::read_dir(sb.path(".aws/cli/cache")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "json") {
            std::fs::remove_file(p).unwrap();
        }
    }
    idc.configure(serde_json::json!({"latency_ms": 400}));
    let barrier = std::sync::Barrier::new(40);
    let answers: Vec<Response> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..40)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    run.good()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    idc.configure(serde_json::json!({"latency_ms": 0}));
    let keys: std::collections::BTreeSet<String> = answers
        .iter()
        .map(|r| {
            assert_eq!(r.status, 200, "{r:?}");
            r.json()["AccessKeyId"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(keys.len(), 1, "every request got the same credentials");
    assert_eq!(
        idc.counter("get_role_credentials") - before,
        1,
        "40 concurrent requests, one GetRoleCredentials"
    );
    run.stop();
}

#[test]
fn environment_of_the_command() {
    let idc = FakeIdc::start(&[]);
    let mut sb = setup(&idc);
    sb.write(
        ".config/dsops/config.yaml",
        "version: 1\nsecretStores:\n  lit:\n    type: literal\n    values: {G: hello, AWS_PROFILE: from-set}\nenvs:\n  e:\n    GREETING: {from: {store: lit, key: G}}\n    AWS_PROFILE: {from: {store: lit, key: AWS_PROFILE}}\n",
    );
    for (k, v) in [
        ("AWS_ACCESS_KEY_ID", "AKIAOLDSTATICKEY"),
        ("AWS_SECRET_ACCESS_KEY", "old-secret-value"),
        ("AWS_SESSION_TOKEN", "old-session-token"),
        ("AWS_PROFILE", "other"),
        ("AWS_DEFAULT_PROFILE", "other"),
        (
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "/v2/credentials/x",
        ),
    ] {
        sb.set(k, v);
    }
    let run = Running::start(
        &sb,
        &["--debug", "exec", "--profile", "dev", "--env", "e"],
        "exit 0",
    );
    let env = run.env.clone();
    let out = wait_within(run.child, Duration::from_secs(10), "exit 0");
    let err = stderr(&out);
    for k in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    ] {
        assert_eq!(get(&env, k), None, "{k} reached the command");
        assert!(err.contains(k), "--debug does not name {k}: {err}");
    }
    assert_eq!(get(&env, "GREETING"), Some("hello"), "the env set applies");
    assert_eq!(get(&env, "AWS_REGION"), Some("us-east-1"));
    assert_eq!(get(&env, "AWS_DEFAULT_REGION"), Some("us-east-1"));
    for secret in ["old-secret-value", "old-session-token", &run.token] {
        assert!(!err.contains(secret), "a secret in --debug: {err}");
    }

    // The caller's region wins, and both variables agree.
    sb.set("AWS_REGION", "eu-west-2");
    let run = Running::start(&sb, &["exec", "--profile", "dev"], "exit 0");
    assert_eq!(get(&run.env, "AWS_REGION"), Some("eu-west-2"));
    assert_eq!(get(&run.env, "AWS_DEFAULT_REGION"), Some("eu-west-2"));
    run.stop();

    // --static-credentials: the keys themselves, and no endpoint.
    let creds = parse_json(&sb.ok(&["creds", "--profile", "dev"]).stdout);
    let dump = sb.path("static.env");
    let o = sb
        .cmd()
        .args(["exec", "--profile", "dev", "--static-credentials", "--"])
        .args(["sh", "-c", &format!("env > '{}'", dump.display())])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let env = read_env(&dump);
    assert_eq!(
        get(&env, "AWS_ACCESS_KEY_ID"),
        creds["AccessKeyId"].as_str()
    );
    assert_eq!(
        get(&env, "AWS_SECRET_ACCESS_KEY"),
        creds["SecretAccessKey"].as_str()
    );
    assert_eq!(
        get(&env, "AWS_SESSION_TOKEN"),
        creds["SessionToken"].as_str()
    );
    assert_eq!(
        get(&env, "AWS_CREDENTIAL_EXPIRATION"),
        creds["Expiration"].as_str()
    );
    assert_eq!(get(&env, "AWS_PROFILE"), None);
    assert_eq!(get(&env, "AWS_CONTAINER_CREDENTIALS_FULL_URI"), None);
}

#[test]
fn no_login_fails_before_the_command_runs() {
    let idc = FakeIdc::start(&[]);
    let sb = sso_sandbox(&idc, "us-east-1", "");
    let marker = sb.path("ran");
    let o = sb
        .cmd()
        .args(["exec", "--profile", "dev", "--no-login", "--"])
        .args(["touch", &marker.display().to_string()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(5), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("dsops login --profile dev"),
        "{}",
        stderr(&o)
    );
    assert!(!marker.exists(), "the command ran");
    let e = sb.fails(&["exec", "--static-credentials", "--", "true"], 2);
    assert!(e.contains("--store"), "{e}");
}

/// Run `prog args` under `dsops exec --profile dev`, insisting on success;
/// its stdout.
fn under_exec(sb: &Sandbox, prog: &str, args: &[&str], extra_env: &[(&str, &str)]) -> String {
    let o = sb
        .cmd()
        .args(["exec", "--profile", "dev", "--", prog])
        .args(args)
        .envs(extra_env.iter().copied())
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{prog} {args:?}: {}\n{}",
        String::from_utf8_lossy(&o.stdout),
        stderr(&o)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The AWS SDK for JavaScript v3 (`@aws-sdk/client-sts`), installed by
/// `.ci/run` (or here, once, with npm) under `target/it-node`.
fn js_sdk() -> Option<PathBuf> {
    if !require_tool("node") {
        return None;
    }
    let prefix = repo().join("target/it-node");
    let module = prefix.join("node_modules/@aws-sdk/client-sts");
    if !module.exists() && require_tool("npm") {
        let _ = Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--silent", "--prefix"])
            .arg(&prefix)
            .arg("@aws-sdk/client-sts@3")
            .stdout(Stdio::null())
            .status();
    }
    if module.exists() {
        return Some(prefix.join("node_modules"));
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "@aws-sdk/client-sts is required under CI=true (.ci/run installs it under target/it-node)"
    );
    skip("the AWS SDK for JavaScript v3 could not be installed");
    None
}

#[test]
fn boto3_aws_cli_and_the_javascript_sdk_use_the_endpoint() {
    if !require_python_module("boto3") {
        return;
    }
    let aws = Path::new("/usr/bin/aws");
    assert!(
        aws.exists() || std::env::var("CI").as_deref() != Ok("true"),
        "/usr/bin/aws (AWS CLI v2) is required under CI=true"
    );
    let Some(moto) = Moto::start() else { return };
    let idc = FakeIdc::start(&[]);
    let mut sb = setup(&idc);
    sb.set("AWS_ENDPOINT_URL_STS", &moto.url);
    // A static profile and keys that the clients would use first if dsops
    // left them in place.
    sb.write(
        ".aws/credentials",
        "[other]\naws_access_key_id = AKIASTATICOTHER\naws_secret_access_key = x\n",
    );
    sb.set("AWS_PROFILE", "other");
    sb.set("AWS_ACCESS_KEY_ID", "AKIASTATICENV");
    sb.set("AWS_SECRET_ACCESS_KEY", "y");
    let issued = |key: &str| {
        assert_eq!(
            idc.counters()["issued_keys"][key],
            "111111111111/DeveloperAccess",
            "{key} does not come from the endpoint"
        );
    };

    // boto3: the default chain finds the endpoint ("container-role").
    let out = under_exec(
        &sb,
        "python3",
        &[
            "-c",
            "import boto3, json; s = boto3.Session(); i = s.client('sts').get_caller_identity(); \
             c = s.get_credentials(); \
             print(json.dumps({'Arn': i['Arn'], 'Key': c.get_frozen_credentials().access_key, 'Method': c.method}))",
        ],
        &[],
    );
    let v = parse_json(out.as_bytes());
    assert!(v["Arn"].as_str().unwrap().starts_with("arn:aws:"), "{v}");
    assert_eq!(v["Method"], "container-role");
    issued(v["Key"].as_str().unwrap());

    // The AWS CLI v2: the credentials it resolves, and an STS call with them.
    if aws.exists() {
        let out = under_exec(
            &sb,
            "/usr/bin/aws",
            &["configure", "export-credentials", "--format", "process"],
            &[],
        );
        issued(parse_json(out.as_bytes())["AccessKeyId"].as_str().unwrap());
        let out = under_exec(
            &sb,
            "/usr/bin/aws",
            &[
                "sts",
                "get-caller-identity",
                "--endpoint-url",
                &moto.url,
                "--output",
                "json",
            ],
            &[],
        );
        assert!(parse_json(out.as_bytes())["Arn"].is_string(), "{out}");
    }

    // The AWS SDK for JavaScript v3.
    if let Some(node_path) = js_sdk() {
        let script = repo().join("tests/support/js_sts.cjs");
        let out = under_exec(
            &sb,
            "node",
            &[script.to_str().unwrap()],
            &[("NODE_PATH", node_path.to_str().unwrap())],
        );
        let v = parse_json(out.as_bytes());
        assert!(v["Arn"].as_str().unwrap().starts_with("arn:aws:"), "{v}");
        issued(v["AccessKeyId"].as_str().unwrap());
    }
    assert_eq!(idc.counter("get_role_credentials"), 1, "one fetch for all");
}

#[test]
fn a_long_job_outlives_short_role_credentials() {
    if !require_python_module("boto3") {
        return;
    }
    let Some(moto) = Moto::start() else { return };
    let idc = FakeIdc::start(&[]);
    let mut sb = setup(&idc);
    sb.set("AWS_ENDPOINT_URL_STS", &moto.url);
    // Role credentials that last 3 seconds; a job of 12.
    idc.configure(serde_json::json!({"role_ttl": 3}));
    let logins = sign_ins(&idc);
    let script = r#"
import boto3, json, time
s = boto3.Session()
sts = s.client("sts")
keys, calls, errors = [], 0, []
end = time.time() + 12
while time.time() < end:
    try:
        sts.get_caller_identity()
        k = s.get_credentials().get_frozen_credentials().access_key
        if k not in keys:
            keys.append(k)
    except Exception as e:
        errors.append(repr(e))
    calls += 1
    time.sleep(0.1)
print(json.dumps({"keys": keys, "calls": calls, "errors": errors}))
"#;
    let out = under_exec(&sb, "python3", &["-c", script], &[]);
    let v = parse_json(out.as_bytes());
    assert_eq!(v["errors"], serde_json::json!([]), "{v}");
    let keys = v["keys"].as_array().unwrap();
    assert!(keys.len() >= 3, "at least three expiries: {v}");
    for k in keys {
        assert_eq!(
            idc.counters()["issued_keys"][k.as_str().unwrap()],
            "111111111111/DeveloperAccess"
        );
    }
    assert_eq!(sign_ins(&idc), logins, "no new sign-in");
    // About one fetch per lifetime, not one per request. (Expirations are
    // kept to the second, so 3-second credentials are fetched again about
    // every second or two; on a loaded machine, a little more often.)
    let calls = v["calls"].as_u64().unwrap();
    let fetched = idc.counter("get_role_credentials");
    assert!(fetched * 3 < calls, "{fetched} fetches for {calls} calls");
}

#[test]
fn serve_answers_each_target_until_interrupted() {
    let idc = FakeIdc::start(&[]);
    let sb = sso_sandbox(
        &idc,
        "us-east-1",
        "[profile ro]\nsso_session = my-sso\nsso_account_id = 222222222222\nsso_role_name = ReadOnlyAccess\nregion = eu-west-1\n",
    );
    sb.ok(&["login", "--profile", "dev"]);
    let port = free_port();
    let mut child = sb
        .std_cmd()
        .args([
            "serve",
            "--profile",
            "dev",
            "--profile",
            "ro",
            "--format",
            "json",
        ])
        .args(["--port", &port.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.as_mut().unwrap()),
        &mut line,
    )
    .unwrap();
    let targets = parse_json(line.as_bytes());
    let targets = targets.as_array().unwrap();
    assert_eq!(targets.len(), 2, "{line}");
    assert_eq!(targets[0]["profile"], "dev");
    assert_eq!(targets[1]["profile"], "ro");
    assert_eq!(targets[1]["env"]["AWS_REGION"], "eu-west-1");
    let route = |t: &Value| {
        let uri = t["env"]["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
            .as_str()
            .unwrap();
        let prefix = format!("http://127.0.0.1:{port}/");
        assert!(uri.starts_with(&prefix), "{uri}");
        (
            uri[prefix.len() - 1..].to_string(),
            t["env"]["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
                .as_str()
                .unwrap()
                .to_string(),
        )
    };
    let (dev_path, dev_token) = route(&targets[0]);
    let (ro_path, ro_token) = route(&targets[1]);
    assert_ne!(dev_token, ro_token);
    let ask = |path: &str, token: &str| {
        raw(
            port,
            format!("GET {path} HTTP/1.1\r\nAuthorization: {token}\r\n\r\n").as_bytes(),
        )
    };
    for (path, token, role) in [
        (&dev_path, &dev_token, "111111111111/DeveloperAccess"),
        (&ro_path, &ro_token, "222222222222/ReadOnlyAccess"),
    ] {
        let r = ask(path, token);
        assert_eq!(r.status, 200, "{r:?}");
        let key = r.json()["AccessKeyId"].as_str().unwrap().to_string();
        assert_eq!(idc.counters()["issued_keys"][&key], role);
    }
    assert_eq!(
        ask(&ro_path, &dev_token).status,
        401,
        "one target's token on another's path"
    );
    // SAFETY: a signal to the serve process this test started.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = wait_within(child, Duration::from_secs(10), "serve, SIGINT");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let local: std::net::IpAddr = "127.0.0.1".parse().unwrap();
    assert!(refused((local, port)), "still listening after SIGINT");

    // Shell lines, and SIGTERM.
    let mut child = sb
        .std_cmd()
        .args(["serve", "--profile", "dev"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut text = String::new();
    let mut reader = std::io::BufReader::new(child.stdout.take().unwrap());
    while !text.contains("AWS_DEFAULT_REGION") {
        let mut l = String::new();
        assert!(
            std::io::BufRead::read_line(&mut reader, &mut l).unwrap() > 0,
            "{text}"
        );
        text.push_str(&l);
    }
    assert!(
        text.starts_with("# profile dev: 111111111111/DeveloperAccess\n"),
        "{text}"
    );
    assert!(
        text.contains("export AWS_CONTAINER_CREDENTIALS_FULL_URI='http://127.0.0.1:"),
        "{text}"
    );
    assert!(
        text.contains("export AWS_CONTAINER_AUTHORIZATION_TOKEN='"),
        "{text}"
    );
    // SAFETY: as above.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let out = wait_within(child, Duration::from_secs(10), "serve, SIGTERM");
    assert_eq!(out.status.code(), Some(0));

    let e = sb.fails(&["serve"], 2);
    assert!(e.contains("--store NAME or --profile NAME"), "{e}");
    let e = sb.fails(&["serve", "--profile", "dev", "--port", "99999"], 2);
    assert!(e.contains("--port"), "{e}");
}
