//! dsops.exe (x86_64-pc-windows-gnu, cross-built with mingw-w64) run under
//! Wine against the fake Identity Center on 127.0.0.1.
//!
//! The binary comes from `DSOPS_WINDOWS_EXE`, else
//! `target/x86_64-pc-windows-gnu/debug/dsops.exe` (`.ci/run` builds it
//! first). Missing binary, `wine64` or mingw: the tests fail under CI=true
//! and are skipped (listed) elsewhere.
//!
//! One WINEPREFIX serves every test of a run (creating one takes ~10 s).
//! Wine sets `USERPROFILE` itself, to the same `C:\users\<user>` for every
//! process of the prefix, so the tests sharing it keep apart by using SSO
//! sessions of their own names (the cache files are named after them).
//! Rust's std imports `ProcessPrng`, which Wine 8 lacks: a small DLL built
//! from tests/support/wine-bcryptprimitives.c sits beside the `.exe`.

use crate::support::*;
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

struct Wine {
    wine: PathBuf,
    exe: PathBuf,
    prefix: PathBuf,
    /// `%USERPROFILE%` as a Unix path.
    profile: PathBuf,
    /// A HOME for Wine itself, not the user's.
    home: tempfile::TempDir,
}

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// A missing piece: fail under CI=true, else skip with the reason.
fn missing(why: &str) -> Option<&'static Wine> {
    if ci() {
        panic!("{why} (required under CI=true; .ci/run provides it)");
    }
    skip(why);
    None
}

fn find_wine() -> Option<PathBuf> {
    let fixed = PathBuf::from("/usr/lib/wine/wine64");
    if fixed.is_file() {
        return Some(fixed);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("wine64"))
        .find(|p| p.is_file())
}

fn exe_path() -> PathBuf {
    std::env::var_os("DSOPS_WINDOWS_EXE")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target/x86_64-pc-windows-gnu/debug/dsops.exe"))
}

/// The shared Wine setup, made once per test run; `None` when skipped.
fn wine() -> Option<&'static Wine> {
    static WINE: OnceLock<Option<Wine>> = OnceLock::new();
    let w = WINE.get_or_init(setup);
    match w {
        Some(w) => Some(w),
        None => {
            missing("dsops.exe, wine64 or x86_64-w64-mingw32-gcc is missing (see the log above)")
        }
    }
}

fn setup() -> Option<Wine> {
    let exe = exe_path();
    if !exe.is_file() {
        eprintln!(
            "no Windows build at {} (cargo build --target x86_64-pc-windows-gnu, or set DSOPS_WINDOWS_EXE)",
            exe.display()
        );
        return None;
    }
    let Some(wine) = find_wine() else {
        eprintln!("wine64 is not installed (apt-get install wine64)");
        return None;
    };
    // The ProcessPrng shim beside the .exe.
    let dll = exe.with_file_name("bcryptprimitives.dll");
    if !mingw(&dll, "wine-bcryptprimitives.c", &["-shared", "-ladvapi32"]) {
        return None;
    }
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    // A fresh prefix per run; those of earlier runs go.
    if let Ok(rd) = std::fs::read_dir(&tmp) {
        for e in rd.flatten() {
            if e.file_name().to_string_lossy().starts_with("wine-prefix-") {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
    let prefix = tmp.join(format!("wine-prefix-{}", std::process::id()));
    let home = tempfile::tempdir().unwrap();
    let mut w = Wine {
        wine,
        exe,
        prefix,
        profile: PathBuf::new(),
        home,
    };
    let out = w
        .command()
        .args(["wineboot", "-i"])
        .stdin(Stdio::null())
        .output()
        .expect("run wineboot");
    assert!(
        out.status.success(),
        "wineboot failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let users = w.prefix.join("drive_c/users");
    w.profile = std::fs::read_dir(&users)
        .expect("the prefix has drive_c/users")
        .flatten()
        .map(|e| e.path())
        .find(|p| p.file_name().is_some_and(|n| n != "Public"))
        .expect("a user profile in the prefix");
    Some(w)
}

/// Build `out` from tests/support/`src` with mingw-w64 when the source is
/// newer; false (said why) when that fails.
fn mingw(out: &Path, src: &str, args: &[&str]) -> bool {
    let src = repo().join("tests/support").join(src);
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    if modified(out) >= modified(&src) {
        return true;
    }
    let st = Command::new("x86_64-w64-mingw32-gcc")
        .args(["-O2", "-o"])
        .arg(out)
        .arg(&src)
        .args(args)
        .status();
    let ok = st.is_ok_and(|s| s.success());
    if !ok {
        eprintln!("cannot build {} with x86_64-w64-mingw32-gcc", out.display());
    }
    ok
}

impl Wine {
    /// `wine64` with a clean environment: the prefix, no debug output, PATH.
    fn command(&self) -> Command {
        let mut c = Command::new(&self.wine);
        c.env_clear()
            .env("WINEPREFIX", &self.prefix)
            .env("WINEDEBUG", "-all")
            .env("HOME", self.home.path())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("LANG", "C.UTF-8");
        c
    }

    /// `dsops.exe ARGS` with `env`.
    fn dsops(&self, env: &[(String, String)], args: &[&str]) -> Command {
        let mut c = self.command();
        c.arg(&self.exe).args(args).envs(env.iter().cloned());
        c
    }

    fn run(&self, env: &[(String, String)], args: &[&str]) -> Output {
        self.dsops(env, args)
            .stdin(Stdio::null())
            .output()
            .expect("run dsops.exe under wine")
    }

    fn ok(&self, env: &[(String, String)], args: &[&str]) -> String {
        let out = self.run(env, args);
        assert!(
            out.status.success(),
            "dsops.exe {args:?}: {:?}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
}

/// A Unix path as Wine's `Z:` drive shows it.
fn z(p: &Path) -> String {
    format!("Z:{}", p.display()).replace('/', "\\")
}

/// An AWS config with an sso-session `session` (its own start URL, so its
/// caches are its own) and a profile `session-dev`, and the environment
/// that points dsops.exe at it and at `idc`.
fn sso_env(idc: &FakeIdc, dir: &Path, session: &str) -> Vec<(String, String)> {
    let config = dir.join("config");
    std::fs::write(
        &config,
        format!(
            "[sso-session {session}]\nsso_start_url = https://{session}.awsapps.com/start\nsso_region = us-east-1\n\n\
             [profile {session}-dev]\nsso_session = {session}\nsso_account_id = 111111111111\nsso_role_name = DeveloperAccess\nregion = eu-west-1\n"
        ),
    )
    .unwrap();
    let mut env = idc.env();
    env.push(("AWS_CONFIG_FILE".into(), z(&config)));
    env.push((
        "AWS_SHARED_CREDENTIALS_FILE".into(),
        z(&dir.join("credentials")),
    ));
    env.push(("DSOPS_LOGIN_COOLDOWN".into(), "0".into()));
    env
}

fn sha1_hex(s: &str) -> String {
    use sha1::Digest;
    sha1::Sha1::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Sign in to `session` by device code, approving it as the user would.
fn device_login(w: &Wine, idc: &FakeIdc, env: &[(String, String)], session: &str) {
    let before = idc.counter("token_device_code");
    let child = w
        .dsops(
            env,
            &[
                "login",
                "--sso-session",
                session,
                "--no-browser",
                "--use-device-code",
            ],
        )
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if idc.counter("device_authorization") > 0 {
            idc.post("/_control/approve", serde_json::json!({}));
            break;
        }
        assert!(Instant::now() < deadline, "no device authorization");
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "login: {:?} {err}", out.status);
    assert!(err.contains("user_code="), "the code was shown: {err}");
    assert!(idc.counter("token_device_code") > before);
}

#[test]
fn wine_version() {
    let Some(w) = wine() else { return };
    let out = w.ok(&[], &["--version"]);
    assert_eq!(out, format!("dsops {}\n", env!("CARGO_PKG_VERSION")));
}

/// Sign-in, creds with a fresh fetch and reuse, the botocore cache names
/// under %USERPROFILE%\.aws, logout, then 8 parallel creds → one sign-in.
#[test]
fn wine_login_creds_logout_and_parallel_sign_in() {
    let Some(w) = wine() else { return };
    let idc = FakeIdc::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let session = format!("win-flow-{}", std::process::id());
    let env = sso_env(&idc, dir.path(), &session);
    device_login(w, &idc, &env, &session);
    let token = w
        .profile
        .join(".aws/sso/cache")
        .join(format!("{}.json", sha1_hex(&session)));
    assert!(token.is_file(), "{} was written", token.display());

    let profile = format!("{session}-dev");
    let c: Value = serde_json::from_str(&w.ok(&env, &["creds", "--profile", &profile])).unwrap();
    assert_eq!(c["Version"], 1);
    assert!(
        c["AccessKeyId"].as_str().is_some_and(|k| !k.is_empty()),
        "{c}"
    );
    assert_eq!(idc.counter("get_role_credentials"), 1);
    let cli_cache = w.profile.join(".aws/cli/cache");
    let entries = || -> Vec<PathBuf> {
        std::fs::read_dir(&cli_cache)
            .map(|rd| rd.flatten().map(|e| e.path()).collect())
            .unwrap_or_default()
    };
    assert!(
        entries().iter().any(|p| {
            std::fs::read_to_string(p).is_ok_and(|t| t.contains(c["AccessKeyId"].as_str().unwrap()))
                && p.extension().is_some_and(|e| e == "json")
                && p.file_stem().is_some_and(|s| s.len() == 40)
        }),
        "a role cache entry named by its SHA-1 in {}: {:?}",
        cli_cache.display(),
        entries()
    );
    // Cached: no second GetRoleCredentials.
    let again: Value =
        serde_json::from_str(&w.ok(&env, &["creds", "--profile", &profile])).unwrap();
    assert_eq!(again["AccessKeyId"], c["AccessKeyId"]);
    assert_eq!(idc.counter("get_role_credentials"), 1);

    // doctor checks ownership here (no modes): the caches are ours; the
    // hook is not offered.
    let report = String::from_utf8_lossy(&w.run(&env, &["doctor"]).stdout).into_owned();
    assert!(
        report.contains("ok   file permissions: token and role caches private")
            && !report.contains("owned by another user"),
        "{report}"
    );
    assert!(
        report.contains("hook: not available on Windows yet"),
        "{report}"
    );

    w.ok(&env, &["logout", "--sso-session", &session]);
    assert!(!token.exists(), "logout removed {}", token.display());

    // Eight at once with no token: one sign-in (the device code approved
    // by the fake server), the others wait for it.
    idc.configure(serde_json::json!({"auto_approve": true}));
    let signins = idc.counter("device_authorization");
    let children: Vec<_> = (0..8)
        .map(|_| {
            w.dsops(&env, &["creds", "--profile", &profile, "--no-browser"])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for ch in children {
        let out = ch.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{:?} {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        let c: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(c["AccessKeyId"].is_string());
    }
    assert_eq!(
        idc.counter("device_authorization") - signins,
        1,
        "one sign-in for eight processes"
    );
}

/// A config with one env set of literals, for the output formats.
fn literal_config(dir: &Path) -> PathBuf {
    let p = dir.join("dsops.yaml");
    std::fs::write(
        &p,
        "version: 1\nsecretStores:\n  plain:\n    type: literal\n    values:\n      A: \"it's x\"\n      B: \"k=v $w\"\n\
         envs:\n  demo:\n    GREETING_A:\n      from: {store: plain, key: A}\n    GREETING_B:\n      from: {store: plain, key: B}\n",
    )
    .unwrap();
    p
}

#[test]
fn wine_export_formats() {
    let Some(w) = wine() else { return };
    let dir = tempfile::tempdir().unwrap();
    let cfg = z(&literal_config(dir.path()));
    let export = |format: &str| {
        w.ok(
            &[],
            &[
                "--config", &cfg, "export", "--env", "demo", "--format", format,
            ],
        )
    };
    let json: Value = serde_json::from_str(&export("json")).unwrap();
    assert_eq!(json["GREETING_A"], "it's x");
    assert_eq!(json["GREETING_B"], "k=v $w");
    // The same text as the Linux build's.
    assert_eq!(export("json"), linux_export("json"));
    assert_eq!(export("dotenv"), linux_export("dotenv"));
    assert_eq!(
        export("powershell"),
        "$Env:GREETING_A = 'it''s x'\n$Env:GREETING_B = 'k=v $w'\n"
    );
    assert_eq!(
        export("windows-cmd"),
        "set GREETING_A=it's x\nset GREETING_B=k=v $w\n"
    );
}

/// What the Linux build prints for the same config.
fn linux_export(format: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(bin())
        .arg("--config")
        .arg(literal_config(dir.path()))
        .args(["export", "--env", "demo", "--format", format])
        .env_clear()
        .env("HOME", dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `exec` without an endpoint passes the child's exit code through.
#[test]
fn wine_exec_passes_the_exit_code() {
    let Some(w) = wine() else { return };
    let dir = tempfile::tempdir().unwrap();
    let cfg = z(&literal_config(dir.path()));
    let out = w.run(
        &[],
        &[
            "--config", &cfg, "exec", "--env", "demo", "--", "cmd", "/c", "exit 7",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(7),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// GET `url` (`http://127.0.0.1:PORT/path`) with an optional
/// Authorization header: the status and the body.
fn get(url: &str, token: Option<&str>) -> (u16, String) {
    use std::io::Read;
    let rest = url.strip_prefix("http://").expect("an http URL");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut s = std::net::TcpStream::connect(host).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let auth = token
        .map(|t| format!("Authorization: {t}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\n{auth}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut resp = Vec::new();
    let _ = s.read_to_end(&mut resp);
    let text = String::from_utf8_lossy(&resp).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// `exec --profile` runs a `cmd /c` child that sees the endpoint's
/// variables; the endpoint answers with the token, refuses without it; the
/// child's exit code comes back.
#[test]
fn wine_exec_endpoint_serves_the_child() {
    let Some(w) = wine() else { return };
    let idc = FakeIdc::start(&["--auto-approve"]);
    let dir = tempfile::tempdir().unwrap();
    let session = format!("win-exec-{}", std::process::id());
    let env = sso_env(&idc, dir.path(), &session);
    let script = dir.path().join("child.cmd");
    std::fs::write(
        &script,
        "@echo off\r\necho URI=%AWS_CONTAINER_CREDENTIALS_FULL_URI%\r\necho TOKEN=%AWS_CONTAINER_AUTHORIZATION_TOKEN%\r\nset /p LINE=\r\nexit 3\r\n",
    )
    .unwrap();
    let profile = format!("{session}-dev");
    let mut child = w
        .dsops(
            &env,
            &[
                "exec",
                "--profile",
                &profile,
                "--no-browser",
                "--",
                "cmd",
                "/c",
                &z(&script),
            ],
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut uri = String::new();
    let mut token = String::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let line = line.trim_end();
        if let Some(u) = line.strip_prefix("URI=") {
            uri = u.to_string();
        } else if let Some(t) = line.strip_prefix("TOKEN=") {
            token = t.to_string();
            break;
        }
    }
    assert!(uri.starts_with("http://127.0.0.1:"), "URI: {uri:?}");
    assert!(
        !token.is_empty() && !token.contains('%'),
        "token: {token:?}"
    );
    let (status, body) = get(&uri, Some(&token));
    assert_eq!(status, 200, "{body}");
    let c: Value = serde_json::from_str(&body).unwrap();
    assert!(c["AccessKeyId"].is_string(), "{c}");
    let (status, body) = get(&uri, None);
    assert!(
        status == 401 || status == 403,
        "refused without the token: {status} {body}"
    );
    let (status, _) = get(&uri, Some("wrong"));
    assert!(
        status == 401 || status == 403,
        "refused with a wrong token: {status}"
    );
    child.stdin.take().unwrap().write_all(b"go\r\n").unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(3), "the child's exit code");
}

/// `serve` answers with its token and stops when told to.
#[test]
fn wine_serve_answers_and_stops() {
    let Some(w) = wine() else { return };
    let idc = FakeIdc::start(&["--auto-approve"]);
    let dir = tempfile::tempdir().unwrap();
    let session = format!("win-serve-{}", std::process::id());
    let env = sso_env(&idc, dir.path(), &session);
    let profile = format!("{session}-dev");
    let mut child = w
        .dsops(
            &env,
            &[
                "serve",
                "--profile",
                &profile,
                "--no-browser",
                "--format",
                "json",
            ],
        )
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let v: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
    let vars = &v[0]["env"];
    let uri = vars["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
        .as_str()
        .unwrap_or_default();
    let token = vars["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
        .as_str()
        .unwrap_or_default();
    assert!(uri.starts_with("http://127.0.0.1:"), "{line}");
    let (status, body) = get(uri, Some(token));
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("AccessKeyId"));
    assert_ne!(get(uri, None).0, 200);
    // Stopped as a service manager would stop it.
    let start = Instant::now();
    let pid = child.id();
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        assert!(Instant::now() < deadline, "serve did not stop");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(start.elapsed() < Duration::from_secs(20));
    let port_gone = std::net::TcpStream::connect_timeout(
        &uri.trim_start_matches("http://")
            .split('/')
            .next()
            .unwrap()
            .parse()
            .unwrap(),
        Duration::from_secs(2),
    )
    .is_err();
    assert!(port_gone, "the endpoint is closed after serve stopped");
}

/// Without `BROWSER`, `login` opens the sign-in page through the shell's
/// URL handler (Wine hands it to `xdg-open`, here a script that approves):
/// the authorization URL, `&`s and all, arrives whole and the sign-in
/// completes.
#[test]
fn wine_login_opens_the_default_browser() {
    let Some(w) = wine() else { return };
    let idc = FakeIdc::start(&[]);
    let sb = Sandbox::new();
    let script = browser_script(&sb);
    let bin_dir = sb.path("opener");
    std::fs::create_dir_all(&bin_dir).unwrap();
    std::os::unix::fs::symlink(&script, bin_dir.join("xdg-open")).unwrap();
    let session = format!("win-browser-{}", std::process::id());
    let env = sso_env(&idc, sb.path(".aws").as_path(), &session);
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = w
        .dsops(&env, &["login", "--sso-session", &session])
        .env("PATH", path)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{:?} {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(browser_calls(&sb), 1, "one page opened");
    let opened = std::fs::read_to_string(sb.path("browser.log")).unwrap();
    assert!(
        opened.contains('&') && opened.contains("redirect_uri="),
        "the whole URL: {opened}"
    );
}

/// The shell hook and `use` say they are not available on Windows, with a
/// non-zero status and the commands that work instead, and touch nothing.
#[test]
fn wine_hook_and_use_say_not_available() {
    let Some(w) = wine() else { return };
    for args in [
        &["hook", "bash"][..],
        &["hook-env", "bash"],
        &["allow"],
        &["use", "dev"],
    ] {
        let out = w.run(&[], args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "dsops.exe {args:?}: {err}");
        assert!(
            err.contains(&format!("dsops {} works through the shell hook", args[0]))
                && err.contains("not available on Windows")
                && err.contains("export --format powershell"),
            "dsops.exe {args:?}: {err}"
        );
        assert!(
            out.stdout.is_empty(),
            "dsops.exe {args:?} printed to stdout"
        );
    }
}

/// `DSOPS_TOKEN_STORAGE=keyring` on Windows: the session goes to the
/// Credential Manager (Wine's), no token file is written, `creds` works from
/// it without a second sign-in, and `logout` removes it.
#[test]
fn wine_keyring_keeps_the_session_in_the_credential_manager() {
    let Some(w) = wine() else { return };
    let idc = FakeIdc::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let session = format!("win-keyring-{}", std::process::id());
    let mut env = sso_env(&idc, dir.path(), &session);
    env.push(("DSOPS_TOKEN_STORAGE".into(), "keyring".into()));
    device_login(w, &idc, &env, &session);
    let token = w
        .profile
        .join(".aws/sso/cache")
        .join(format!("{}.json", sha1_hex(&session)));
    assert!(!token.exists(), "no token file in keyring mode");

    let profile = format!("{session}-dev");
    let c: Value = serde_json::from_str(&w.ok(&env, &["creds", "--profile", &profile])).unwrap();
    assert!(c["AccessKeyId"].is_string(), "{c}");
    assert_eq!(idc.counter("get_role_credentials"), 1);
    assert_eq!(idc.counter("device_authorization"), 1, "no second sign-in");

    w.ok(&env, &["logout", "--sso-session", &session]);
    let out = w.run(&env, &["creds", "--profile", &profile, "--no-login"]);
    assert_eq!(
        out.status.code(),
        Some(5),
        "signed out: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The command lines of this machine's processes (Wine's show as Linux
/// processes) that contain `needle`.
fn processes_with(needle: &str) -> Vec<String> {
    let out = Command::new("ps")
        .args(["-eo", "stat=,args="])
        .output()
        .expect("run ps");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        // Not the zombies a killed process leaves until it is reaped.
        .filter(|l| l.contains(needle) && !l.trim_start().starts_with('Z'))
        .map(str::to_string)
        .collect()
}

/// An exec store's timeout ends the whole process tree (a Job object with
/// kill-on-close): cmd, its child, and a grandchild started with `start /b`
/// that would otherwise outlive them all.
#[test]
fn wine_exec_store_timeout_ends_the_process_tree() {
    let Some(w) = wine() else { return };
    // Counts no other test uses, to find these pings.
    let n = 60 + std::process::id() % 30;
    let (grandchild, child) = (
        format!("-n {n} 127.0.0.1"),
        format!("-n {} 127.0.0.1", n + 1),
    );
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("slow.yaml");
    std::fs::write(
        &cfg,
        format!(
            "version: 1\nsecretStores:\n  s:\n    type: exec\n    command: [\"cmd\", \"/c\", \"start /b ping {grandchild} & ping {child}\"]\n    timeout: 3\n\
             envs:\n  e:\n    V: {{from: {{store: s, key: k}}}}\n"
        ),
    )
    .unwrap();
    let cfg = z(&cfg);
    let started = Instant::now();
    let run = w
        .dsops(&[], &["--config", &cfg, "export", "--env", "e"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while processes_with(&grandchild).is_empty() {
        assert!(Instant::now() < deadline, "the grandchild ping never ran");
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = run.wait_with_output().unwrap();
    // The pings alone would take a minute or more (a tree left running
    // also holds the output pipe open).
    assert!(
        started.elapsed() < Duration::from_secs(25),
        "the timeout did not end the tree: {:?}",
        started.elapsed()
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("did not finish within 3s"), "{err}");
    assert!(out.stdout.is_empty(), "nothing applied");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = [processes_with(&grandchild), processes_with(&child)].concat();
        if left.is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "outlived the timeout: {left:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `command` (a shell line) run by bash in a terminal with the Wine
/// environment of `w` and `env`; the line's exit status is written to
/// `dir/status`.
fn console(w: &Wine, env: &[(String, String)], dir: &Path, command: &str) -> Option<Tmux> {
    if !require_tool("tmux") {
        return None;
    }
    let status = dir.join("status");
    // Ctrl-C reaches the shell too (the terminal's foreground group): a
    // handler that does nothing keeps it to write the status, and, unlike
    // an ignored signal, is not inherited by what it starts. The pane stays
    // afterwards, for the failure messages.
    let line = format!(
        "trap : INT; {command}; echo $? > '{}'; sleep 120",
        status.display()
    );
    // The environment `Wine::command` gives wine64, for the line.
    let wine = w.command();
    let mut all: Vec<(String, String)> = wine
        .get_envs()
        .filter_map(|(k, v)| Some((k.to_str()?.to_string(), v?.to_str()?.to_string())))
        .collect();
    all.extend(env.iter().cloned());
    Some(Tmux::start_in(
        dir.join("tmux.sock"),
        all,
        dir.to_path_buf(),
        &["bash", "--noprofile", "--norc", "-c", &line],
    ))
}

/// Wait up to `limit` for `f`.
fn within(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

/// The status a [`console`] line wrote, once it is there.
fn status_in(dir: &Path, limit: Duration) -> Option<String> {
    let p = dir.join("status");
    within(limit, || {
        std::fs::read_to_string(&p).is_ok_and(|s| s.ends_with('\n'))
    })
    .then(|| std::fs::read_to_string(&p).unwrap().trim().to_string())
}

/// Ctrl-C at a terminal stops `serve` through its console control handler
/// (the debug line says which event stopped it), with status 0, its port
/// closed. Without the handler Wine's default ends the process, also with
/// status 0, which is why the line is checked.
///
/// `exec` is not checked this way: under Wine 8 the event reaches the
/// child but not dsops while a child runs (a handler that exits was never
/// called), so nothing of dsops's own handling there could fail here.
#[test]
fn wine_ctrl_c_stops_serve() {
    let Some(w) = wine() else { return };
    let idc = FakeIdc::start(&["--auto-approve"]);
    let dir = tempfile::tempdir().unwrap();
    let session = format!("win-ctrlc-{}", std::process::id());
    let env = sso_env(&idc, dir.path(), &session);
    let (out, err) = (dir.path().join("out.json"), dir.path().join("err.txt"));
    let line = format!(
        "'{}' '{}' --debug serve --profile {session}-dev --no-browser --format json > '{}' 2> '{}'",
        w.wine.display(),
        w.exe.display(),
        out.display(),
        err.display()
    );
    let Some(con) = console(w, &env, dir.path(), &line) else {
        return;
    };
    let stderr = || std::fs::read_to_string(&err).unwrap_or_default();
    assert!(
        within(Duration::from_secs(60), || stderr()
            .contains("Ctrl-C or SIGTERM stops")),
        "serve did not start\n{}",
        stderr()
    );
    let text = std::fs::read_to_string(&out).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    let uri = v[0]["env"]["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
        .as_str()
        .unwrap_or_default();
    let addr = uri.trim_start_matches("http://").split('/').next().unwrap();
    assert!(addr.starts_with("127.0.0.1:"), "{text}");
    con.keys(&["C-c"]);
    let status = status_in(dir.path(), Duration::from_secs(30));
    assert_eq!(status.as_deref(), Some("0"), "{}\n{}", stderr(), con.pane());
    // CTRL_C_EVENT is 0.
    assert!(
        stderr().contains("dsops: debug: signal 0: stopping"),
        "not stopped by its handler:\n{}",
        stderr()
    );
    assert!(
        std::net::TcpStream::connect_timeout(&addr.parse().unwrap(), Duration::from_secs(2))
            .is_err(),
        "the endpoint is closed after serve stopped"
    );
}

/// The picker at a Windows console (Wine in tmux): `console --print`
/// without a name lists both profiles with account and role, typed letters
/// filter, Esc cancels (status 1, nothing printed); the down arrow and
/// Enter choose the second, and the sign-in URL for that profile's role and
/// region is printed.
#[test]
fn wine_picker_filters_cancels_and_chooses() {
    let Some(w) = wine() else { return };
    let idc = FakeIdc::start(&["--auto-approve"]);
    let dir = tempfile::tempdir().unwrap();
    let session = format!("win-pick-{}", std::process::id());
    let mut env = sso_env(&idc, dir.path(), &session);
    let mut config = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.path().join("config"))
        .unwrap();
    write!(
        config,
        "\n[profile {session}-ops]\nsso_session = {session}\nsso_account_id = 222222222222\nsso_role_name = OpsAdmin\nregion = us-west-2\n"
    )
    .unwrap();
    env.push(("AWS_ENDPOINT_URL_SIGNIN".into(), idc.url.clone()));
    device_login(w, &idc, &env, &session);

    let run = |tag: &str| {
        let d = dir.path().join(tag);
        std::fs::create_dir_all(&d).unwrap();
        let out = d.join("out");
        let line = format!(
            "'{}' '{}' console --print > '{}'",
            w.wine.display(),
            w.exe.display(),
            out.display()
        );
        let con = console(w, &env, &d, &line)?;
        assert!(
            within(Duration::from_secs(30), || con.pane().contains("OpsAdmin")),
            "no list\n{}",
            con.pane()
        );
        let pane = con.pane();
        for want in [
            "111111111111",
            "222222222222",
            "DeveloperAccess",
            "us-west-2",
        ] {
            assert!(pane.contains(want), "{want}:\n{pane}");
        }
        Some((con, d, out))
    };

    let Some((con, d, out)) = run("cancel") else {
        return;
    };
    con.keys(&["-l", "2222"]);
    assert!(
        within(Duration::from_secs(10), || {
            let p = con.pane();
            p.contains("OpsAdmin") && !p.contains("DeveloperAccess")
        }),
        "not filtered\n{}",
        con.pane()
    );
    con.keys(&["Escape"]);
    let status = status_in(&d, Duration::from_secs(20));
    assert_eq!(status.as_deref(), Some("1"), "{}", con.pane());
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "", "cancelled");
    assert!(con.pane().contains("cancelled"), "{}", con.pane());
    drop(con);

    let Some((con, d, out)) = run("choose") else {
        return;
    };
    // The arrow key moves the marker to the second line.
    con.keys(&["Down"]);
    assert!(
        within(Duration::from_secs(10), || con
            .pane()
            .lines()
            .any(|l| l.starts_with('>') && l.contains("OpsAdmin"))),
        "the marker did not move\n{}",
        con.pane()
    );
    con.keys(&["Enter"]);
    let status = status_in(&d, Duration::from_secs(30));
    assert_eq!(status.as_deref(), Some("0"), "{}", con.pane());
    let url = std::fs::read_to_string(&out).unwrap();
    assert!(
        url.starts_with(&format!(
            "{}/federation?Action=login&Issuer=dsops&",
            idc.url
        )),
        "{url}"
    );
    assert!(
        url.contains("region%3Dus-west-2"),
        "the chosen profile's region: {url}"
    );
    let issued = idc.counters()["issued_keys"].clone();
    assert!(
        issued
            .as_object()
            .is_some_and(|m| m.values().any(|v| v == "222222222222/OpsAdmin")),
        "{issued}"
    );
}
