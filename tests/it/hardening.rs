//! Regression tests for the hardening findings: each makes the fault real
//! (a symlink to an endless /proc file, a writer racing the trust check, a
//! server answering with a secret in a broken body, FIFOs, a writer killed
//! before its rename, a lock file that is a symlink) and checks that dsops
//! neither hangs, nor exhausts memory, nor panics, nor leaks, nor trusts
//! what it should not.

use crate::support::*;
use serde_json::json;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Run `cmd`, killing it after `limit`: a hang fails the test instead of
/// hanging the suite. Returns the output and whether it had to be killed.
fn run_within(mut cmd: Command, limit: Duration) -> (Output, bool) {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let start = Instant::now();
    let mut killed = false;
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            killed = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    (child.wait_with_output().unwrap(), killed)
}

/// Run `cmd` with stdout and stderr to files, killing it after `limit`, and
/// return its exit code (`None`: a signal or killed), stderr and peak
/// resident memory in KiB (from `wait4`'s rusage).
fn run_measured(mut cmd: Command, dir: &Path, limit: Duration) -> (Option<i32>, String, i64) {
    let err_path = dir.join("measured.err");
    // Reaped with wait4 below (for its rusage), not with Child::wait.
    #[allow(clippy::zombie_processes)]
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .expect("spawn");
    let pid = child.id() as libc::pid_t;
    let start = Instant::now();
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: pid is our child; status and usage are valid out-pointers.
        let r = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if r == pid {
            break;
        }
        if start.elapsed() > limit {
            // SAFETY: killing our own child.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            // SAFETY: as above.
            unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
            return (
                None,
                std::fs::read_to_string(&err_path).unwrap_or_default(),
                usage.ru_maxrss,
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    (
        code,
        std::fs::read_to_string(&err_path).unwrap_or_default(),
        usage.ru_maxrss,
    )
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn sha1_hex(s: &str) -> String {
    use sha1::{Digest, Sha1};
    Sha1::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

const SESSION: &str = "s";
const ACCOUNT: &str = "111111111111";
const ROLE: &str = "R";

/// A sandbox with `[sso-session s]`, `[profile p]` (111111111111/R) and a
/// user config whose store `prod` is the same role; the Identity Center
/// endpoints point at `url` (nothing answers unless a test starts a server).
fn sso_box(url: &str) -> Sandbox {
    let mut sb = Sandbox::new();
    sb.write(
        ".aws/config",
        &format!(
            "[sso-session {SESSION}]\nsso_start_url = https://x.awsapps.com/start\nsso_region = us-east-1\n\n\
             [profile p]\nsso_session = {SESSION}\nsso_account_id = {ACCOUNT}\nsso_role_name = {ROLE}\nregion = us-east-1\n"
        ),
    );
    sb.write(
        ".config/dsops/config.yaml",
        &format!(
            "version: 1\nsecretStores:\n  prod:\n    type: aws.sso\n    sso_session: {SESSION}\n    account_id: \"{ACCOUNT}\"\n    role_name: {ROLE}\n    region: us-east-1\n"
        ),
    );
    sb.set("AWS_ENDPOINT_URL_SSO_OIDC", url);
    sb.set("AWS_ENDPOINT_URL_SSO", url);
    sb
}

fn token_path(sb: &Sandbox) -> PathBuf {
    sb.path(&format!(".aws/sso/cache/{}.json", sha1_hex(SESSION)))
}

fn role_path(sb: &Sandbox) -> PathBuf {
    let key = format!(
        "{{\"accountId\":\"{ACCOUNT}\",\"roleName\":\"{ROLE}\",\"sessionName\":\"{SESSION}\"}}"
    );
    sb.path(&format!(".aws/cli/cache/{}.json", sha1_hex(&key)))
}

fn write_token(sb: &Sandbox, expires_at: &str) {
    let t = json!({"startUrl": "https://x.awsapps.com/start", "region": "us-east-1",
        "accessToken": "tok-1234", "expiresAt": expires_at});
    let p = token_path(sb);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, t.to_string()).unwrap();
}

fn write_role(sb: &Sandbox, access_key: &str, expiration: &str) {
    let v = json!({"ProviderType": "sso", "Credentials": {
        "AccessKeyId": access_key, "SecretAccessKey": "cached-secret-9d3e",
        "SessionToken": "cached-token-4b7a", "Expiration": expiration, "AccountId": ACCOUNT}});
    let p = role_path(sb);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, v.to_string()).unwrap();
}

fn mkfifo(p: &Path) {
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    let _ = std::fs::remove_file(p);
    let ok = Command::new("mkfifo").arg(p).status().unwrap().success();
    assert!(ok, "mkfifo {}", p.display());
}

/// A one-route HTTP server answering every request with `status` and `body`.
struct Canned {
    pub url: String,
    stop: Arc<AtomicBool>,
}

impl Canned {
    fn start(status: u16, body: &'static str) -> Canned {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", l.local_addr().unwrap());
        l.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                let Ok((mut s, _)) = l.accept() else {
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                };
                let _ = s.set_nonblocking(false);
                let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                let mut buf = vec![0u8; 65536];
                let mut got = Vec::new();
                // Headers, then Content-Length bytes of body.
                while let Ok(n) = s.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    got.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&got);
                    if let Some(end) = text.find("\r\n\r\n") {
                        let len = text[..end]
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                            })
                            .unwrap_or(0);
                        if got.len() >= end + 4 + len {
                            break;
                        }
                    }
                }
                let reason = if status == 200 { "OK" } else { "Error" };
                let _ = write!(
                    s,
                    "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        Canned { url, stop }
    }
}

impl Drop for Canned {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Finding 1: a project config that is a symlink to an endless /proc file
/// is read with a fixed bound, under a memory limit, without hanging.
#[test]
fn endless_proc_file_as_project_config_is_bounded() {
    if !Path::new("/proc/self/pagemap").exists() || !require_tool("prlimit") {
        return;
    }
    let sb = Sandbox::new();
    std::os::unix::fs::symlink("/proc/self/pagemap", sb.path("project/.dsops.yaml")).unwrap();
    for args in [&["hook-env", "bash"][..], &["export"][..]] {
        // Under a memory limit, so that an unbounded read fails instead of
        // taking the machine; the peak shows whether it was bounded.
        let mut c = Command::new("prlimit");
        c.arg("--as=1000000000")
            .arg(bin())
            .args(args)
            .env_clear()
            .envs(sb.base_env())
            .current_dir(sb.path("project"));
        let (code, err, peak_kib) = run_measured(c, &sb.home, Duration::from_secs(20));
        assert!(
            code.is_some(),
            "dsops {args:?} hung or died of a signal: {err}"
        );
        assert_ne!(code, Some(134), "{args:?} aborted: {err}");
        assert!(
            peak_kib < 64 * 1024,
            "dsops {args:?} read /proc/self/pagemap without a bound: peak {peak_kib} KiB"
        );
        // pagemap refuses a read of the odd size the bound asks for (EINVAL),
        // or the bound is hit: either way a bounded read and a message.
        assert!(
            err.contains("cannot read") && err.contains(".dsops.yaml"),
            "{args:?}: {err}"
        );
    }
}

/// Finding 2: the bytes hashed for trust are the bytes parsed. A writer
/// swapping an allowed config and an unallowed one with an exec store must
/// never get the exec store run.
#[test]
fn trust_check_and_parse_use_the_same_bytes() {
    let sb = Sandbox::new();
    let marker = sb.path("PWNED");
    let evil_cmd = sb.write(
        "bin/evil",
        &format!("#!/bin/sh\ntouch '{}'\necho x\n", marker.display()),
    );
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&evil_cmd, std::fs::Permissions::from_mode(0o755)).unwrap();
    let good = "version: 1\nenvs:\n  e:\n    A: good-value\n".to_string();
    let evil = format!(
        "version: 1\nsecretStores:\n  x:\n    type: exec\n    command: [\"{}\"]\nenvs:\n  e:\n    A: {{from: {{store: x, key: k}}}}\n",
        evil_cmd.display()
    );
    let cfg = sb.write("project/.dsops.yaml", &good);
    sb.ok(&["allow"]);
    let (good_f, evil_f) = (sb.write("good.yaml", &good), sb.write("evil.yaml", &evil));
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let tmp = sb.path("project/.swap");
    let writer = std::thread::spawn(move || {
        let mut n = 0u64;
        while !flag.load(Ordering::Relaxed) {
            let src = if n.is_multiple_of(2) {
                &evil_f
            } else {
                &good_f
            };
            std::fs::copy(src, &tmp).unwrap();
            std::fs::rename(&tmp, &cfg).unwrap();
            n += 1;
        }
    });
    for i in 0..300 {
        let args: &[&str] = if i % 2 == 0 {
            &["export", "--format", "json"]
        } else {
            &["hook-env", "bash"]
        };
        let _ = sb.cmd().args(args).output().unwrap();
        assert!(
            !marker.exists(),
            "run {i} ({args:?}) ran an exec store that was never allowed"
        );
    }
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
}

/// Finding 3: an answer that cannot be read is reported by its status, never
/// by its body, which may hold a secret.
#[test]
fn broken_answers_never_show_their_body() {
    // GetRoleCredentials answered 200 with a truncated body holding a key.
    let portal = Canned::start(
        200,
        r#"{"roleCredentials":{"accessKeyId":"AKIAEXAMPLE","secretAccessKey":"role-secret-5f1c","sessionToken":"role-token-8e2a""#,
    );
    let sb = sso_box(&portal.url);
    write_token(&sb, &iso(3600));
    let err = sb.fails(&["creds", "--store", "prod", "--no-login"], 1);
    for secret in ["role-secret-5f1c", "role-token-8e2a", "AKIAEXAMPLE"] {
        assert!(!err.contains(secret), "creds printed {secret}: {err}");
    }
    assert!(err.contains("HTTP 200"), "{err}");
    assert!(err.len() < 400, "a dump, not a line: {err}");

    // A 500 whose body is not JSON.
    let broken = Canned::start(500, "<html>internal-detail-7c3d secret-ish</html>");
    let mut sb = sso_box(&broken.url);
    write_token(&sb, &iso(3600));
    sb.set("AWS_MAX_ATTEMPTS", "1");
    let err = sb.fails(&["creds", "--store", "prod", "--no-login"], 1);
    assert!(!err.contains("internal-detail-7c3d"), "{err}");
    assert!(err.contains("HTTP 500"), "{err}");

    // GetSecretValue answered 200 with a broken body holding the secret.
    let sm = Canned::start(
        200,
        r#"{"ARN":"x","Name":"app/db","SecretString":"db-secret-1a9f""#,
    );
    let mut sb = Sandbox::new();
    sb.set("AWS_ENDPOINT_URL_SECRETS_MANAGER", &sm.url);
    sb.set("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE");
    sb.set("AWS_SECRET_ACCESS_KEY", "not-a-real-secret");
    sb.set("AWS_REGION", "us-east-1");
    let cfg = sb.write(
        "project/.dsops.yaml",
        "version: 1\nsecretStores:\n  sm:\n    type: aws.secretsmanager\nenvs:\n  t:\n    DB: {from: {store: sm, key: app/db}}\n",
    );
    sb.ok(&["allow", cfg.to_str().unwrap()]);
    let err = sb.fails(&["export"], 1);
    assert!(
        !err.contains("db-secret-1a9f"),
        "export printed the secret: {err}"
    );
    assert!(err.contains("HTTP 200") && err.contains("DB"), "{err}");
    let o = sb.cmd().args(["hook-env", "bash"]).output().unwrap();
    let all = format!("{}{}", String::from_utf8_lossy(&o.stdout), stderr(&o));
    assert!(
        !all.contains("db-secret-1a9f"),
        "the hook printed the secret: {all}"
    );
}

/// Finding 4: timestamps past the last representable instant are a corrupt
/// entry, never a panic.
#[test]
fn far_future_timestamps_are_corrupt_not_a_panic() {
    let far = "9999-12-31T23:30:00-01:00";
    let sb = sso_box("http://127.0.0.1:9");
    write_token(&sb, far);
    let err = sb.fails(&["creds", "--store", "prod", "--no-login"], 5);
    assert!(err.contains("sign-in required"), "{err}");

    let sb = sso_box("http://127.0.0.1:9");
    write_token(&sb, &iso(3600));
    write_role(&sb, "AKIAFAR", far);
    // The role entry is corrupt: fetched again (the portal is down here).
    let o = sb
        .cmd()
        .args(["creds", "--store", "prod", "--no-login"])
        .output()
        .unwrap();
    assert_ne!(o.status.code(), Some(134), "{}", stderr(&o));
    assert!(!o.status.success(), "a corrupt entry was served");

    let sb = sso_box("http://127.0.0.1:9");
    let t = json!({"startUrl": "https://x.awsapps.com/start", "region": "us-east-1",
        "accessToken": "tok", "expiresAt": iso(300), "refreshToken": "r",
        "clientId": "c", "clientSecret": "cs", "registrationExpiresAt": far});
    std::fs::create_dir_all(token_path(&sb).parent().unwrap()).unwrap();
    std::fs::write(token_path(&sb), t.to_string()).unwrap();
    let o = sb
        .cmd()
        .args(["creds", "--store", "prod", "--no-login"])
        .output()
        .unwrap();
    assert_ne!(o.status.code(), Some(134), "{}", stderr(&o));
}

/// Finding 5: a project file that cannot be used changes nothing for
/// `creds --store` of a user-config store.
#[test]
fn unusable_project_file_does_not_break_creds() {
    type Make = Box<dyn Fn(&Path)>;
    let cases: Vec<(&str, Make)> = vec![
        (
            "not UTF-8",
            Box::new(|p: &Path| std::fs::write(p, b"version: 1\n\xff\xfe\n").unwrap()),
        ),
        (
            "over 1 MiB",
            Box::new(|p: &Path| std::fs::write(p, vec![b'#'; (1 << 20) + 10]).unwrap()),
        ),
        ("a FIFO", Box::new(|p: &Path| mkfifo(p))),
        (
            "broken YAML, allowed",
            Box::new(|p: &Path| std::fs::write(p, "version: 1\nenvs: [\n").unwrap()),
        ),
    ];
    for (what, make) in cases {
        let sb = sso_box("http://127.0.0.1:9");
        write_token(&sb, &iso(3600));
        write_role(&sb, "AKIAUSERSTORE", &iso(3600));
        make(&sb.path("project/.dsops.yaml"));
        let (o, killed) = run_within(
            {
                let mut c = Command::new(bin());
                c.args(["creds", "--store", "prod", "--no-login"])
                    .env_clear()
                    .envs(sb.base_env())
                    .current_dir(sb.path("project"));
                c
            },
            Duration::from_secs(10),
        );
        assert!(!killed, "{what}: creds hung");
        assert!(o.status.success(), "{what}: {}", stderr(&o));
        assert_eq!(
            parse_json(&o.stdout)["AccessKeyId"],
            "AKIAUSERSTORE",
            "{what}"
        );
    }
}

/// A trusted project may not redefine a user store: `creds --store` keeps
/// the user's, and the merged config says which files clash.
#[test]
fn a_project_cannot_shadow_a_user_store() {
    let sb = sso_box("http://127.0.0.1:9");
    write_token(&sb, &iso(3600));
    write_role(&sb, "AKIAUSERSTORE", &iso(3600));
    let cfg = sb.write(
        "project/.dsops.yaml",
        &format!(
            "version: 1\nsecretStores:\n  prod:\n    type: aws.sso\n    sso_session: {SESSION}\n    account_id: \"999999999999\"\n    role_name: Attacker\nenvs:\n  e:\n    K: {{from: {{store: prod, key: access_key_id}}}}\n"
        ),
    );
    sb.ok(&["allow", cfg.to_str().unwrap()]);
    let o = sb.ok(&["creds", "--store", "prod", "--no-login"]);
    assert_eq!(parse_json(&o.stdout)["AccessKeyId"], "AKIAUSERSTORE");
    let err = sb.fails(&["export", "--no-login"], 3);
    assert!(
        err.contains(".dsops.yaml") && err.contains("config.yaml") && err.contains("'prod'"),
        "{err}"
    );
}

/// Finding 8: every duration variable has one parser: finite, clamped, and a
/// usage error naming the variable for nonsense.
#[test]
fn timeout_variables_never_panic() {
    let sb = sso_box("http://127.0.0.1:9");
    write_token(&sb, &iso(3600));
    // No cached role credentials: the role lock is taken (and the portal,
    // which is down, is asked).
    for (var, value) in [
        ("DSOPS_LOCK_TIMEOUT", "inf"),
        ("DSOPS_LOCK_TIMEOUT", "-3"),
        ("DSOPS_HTTP_TIMEOUT", "NaN"),
        ("DSOPS_LOGIN_TIMEOUT", "soon"),
        ("DSOPS_HOOK_TIMEOUT", "1e400"),
    ] {
        let o = sb
            .cmd()
            .env(var, value)
            .args(["creds", "--store", "prod", "--no-login"])
            .output()
            .unwrap();
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{var}={value}: {err}");
        assert!(err.contains(var), "{var}={value}: {err}");
    }
    for (var, value) in [
        ("DSOPS_LOCK_TIMEOUT", "1e19"),
        ("DSOPS_HTTP_TIMEOUT", "1e19"),
        ("DSOPS_LOGIN_TIMEOUT", "1e300"),
        ("DSOPS_HTTP_TIMEOUT", "0.2"),
    ] {
        let o = sb
            .cmd()
            .env(var, value)
            .env("AWS_MAX_ATTEMPTS", "1")
            .args(["creds", "--store", "prod", "--no-login"])
            .output()
            .unwrap();
        let err = stderr(&o);
        // The portal is down: a clean runtime error, not a panic.
        assert_eq!(o.status.code(), Some(1), "{var}={value}: {err}");
        assert!(err.contains("cannot reach"), "{var}={value}: {err}");
    }
}

/// Finding 9: FIFOs where dsops expects files never hang it.
#[test]
fn fifos_never_hang() {
    let limit = Duration::from_secs(10);
    let run = |sb: &Sandbox, args: &[&str]| {
        let mut c = Command::new(bin());
        c.args(args)
            .env_clear()
            .envs(sb.base_env())
            .current_dir(sb.path("project"));
        let (o, killed) = run_within(c, limit);
        assert!(!killed, "dsops {args:?} hung on a FIFO");
        o
    };
    // The token cache file.
    let sb = sso_box("http://127.0.0.1:9");
    mkfifo(&token_path(&sb));
    let o = run(&sb, &["creds", "--store", "prod", "--no-login"]);
    assert_eq!(o.status.code(), Some(5), "{}", stderr(&o));
    // The role cache file.
    let sb = sso_box("http://127.0.0.1:9");
    write_token(&sb, &iso(3600));
    mkfifo(&role_path(&sb));
    let o = run(&sb, &["creds", "--store", "prod", "--no-login"]);
    assert!(!o.status.success());
    // The AWS config.
    let sb = sso_box("http://127.0.0.1:9");
    mkfifo(&sb.path(".aws/config"));
    let o = run(&sb, &["creds", "--profile", "p", "--no-login"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("FIFO"), "{}", stderr(&o));
    // The user config.
    let sb = Sandbox::new();
    mkfifo(&sb.path(".config/dsops/config.yaml"));
    let o = run(&sb, &["export"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    // A fish conf.d entry (doctor reads rc files).
    let sb = Sandbox::new();
    mkfifo(&sb.path(".config/fish/conf.d/x.fish"));
    mkfifo(&sb.path(".bashrc"));
    let o = run(&sb, &["doctor"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("hook:"));
}

/// Finding 11: an exec store's timeout ends everything it started.
#[test]
fn exec_store_timeout_kills_the_whole_group() {
    let sb = Sandbox::new();
    let pidfile = sb.path("grandchild.pid");
    let script = sb.write(
        "bin/slow",
        &format!(
            "#!/bin/sh\nsleep 60 &\necho $! > '{}'\nwait\n",
            pidfile.display()
        ),
    );
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let cfg = sb.write(
        "project/.dsops.yaml",
        &format!(
            "version: 1\nsecretStores:\n  s:\n    type: exec\n    command: [\"{}\"]\n    timeout: 1\nenvs:\n  e:\n    V: {{from: {{store: s, key: k}}}}\n",
            script.display()
        ),
    );
    sb.ok(&["allow", cfg.to_str().unwrap()]);
    let err = sb.fails(&["export"], 1);
    assert!(err.contains("did not finish within 1s"), "{err}");
    let pid = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .to_string();
    std::thread::sleep(Duration::from_millis(300));
    // Gone, or a zombie waiting for a reaper (killed all the same).
    let alive = std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        s.rsplit(')')
            .next()
            .is_some_and(|rest| !rest.trim_start().starts_with('Z'))
    });
    if alive {
        let _ = Command::new("kill").arg(&pid).status();
    }
    assert!(!alive, "the exec store's child {pid} outlived its timeout");
}

/// Finding 12: a writer killed between write and rename leaves a temp file
/// holding tokens; the next run removes it.
#[test]
fn temp_files_of_killed_writers_are_removed() {
    if !require_tool("strace") {
        return;
    }
    let portal = Canned::start(
        200,
        r#"{"roleCredentials":{"accessKeyId":"AKIANEW","secretAccessKey":"new-secret-3c1d","sessionToken":"new-token-77aa","expiration":4102444800000}}"#,
    );
    let sb = sso_box(&portal.url);
    write_token(&sb, &iso(3600));
    // Stale role credentials: a fetch and a cache write follow. dsops is
    // killed at its rename, so the role cache's temp file stays.
    write_role(&sb, "AKIAOLD", &iso(60));
    let mut c = Command::new("strace");
    c.args([
        "-f",
        "-o",
        "/dev/null",
        "-e",
        "trace=rename,renameat,renameat2",
    ])
    .args(["-e", "inject=rename,renameat,renameat2:signal=SIGKILL"])
    .arg(bin())
    .args(["creds", "--store", "prod", "--no-login"])
    .env_clear()
    .envs(sb.base_env())
    .current_dir(sb.path("project"));
    let (o, _) = run_within(c, Duration::from_secs(20));
    assert!(!o.status.success(), "the writer was not killed");
    let dir = role_path(&sb).parent().unwrap().to_path_buf();
    let temps = |d: &Path| -> Vec<String> {
        std::fs::read_dir(d)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect()
    };
    let left = temps(&dir);
    assert_eq!(left.len(), 1, "the kill left no temp file: {left:?}");
    let content = std::fs::read_to_string(dir.join(&left[0])).unwrap();
    assert!(
        content.contains("new-secret-3c1d"),
        "the temp file held the secret"
    );
    // The next run that writes sweeps it.
    let o = sb.ok(&["creds", "--store", "prod", "--no-login"]);
    assert_eq!(parse_json(&o.stdout)["AccessKeyId"], "AKIANEW");
    assert_eq!(
        temps(&dir),
        Vec::<String>::new(),
        "the secret stayed on disk"
    );
}

/// Finding 12: lock files are not followed through symlinks, and a cache
/// directory others can write is repaired with a message.
#[test]
fn symlinked_locks_and_open_cache_dirs() {
    let sb = sso_box("http://127.0.0.1:9");
    write_token(&sb, &iso(3600));
    let target = sb.path("elsewhere/created-by-dsops");
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    let lock = PathBuf::from(format!("{}.lock", role_path(&sb).display()));
    std::fs::create_dir_all(lock.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(&target, &lock).unwrap();
    let err = sb.fails(&["creds", "--store", "prod", "--no-login"], 1);
    assert!(err.contains("symbolic link"), "{err}");
    assert!(!target.exists(), "the lock's symlink target was created");

    let sb = sso_box("http://127.0.0.1:9");
    write_token(&sb, &iso(3600));
    write_role(&sb, "AKIACACHED", &iso(3600));
    use std::os::unix::fs::PermissionsExt;
    let role_dir = role_path(&sb).parent().unwrap().to_path_buf();
    std::fs::set_permissions(&role_dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let o = sb.ok(&["creds", "--store", "prod", "--no-login"]);
    let err = stderr(&o);
    assert!(
        err.contains("writable by others") && err.contains("0700"),
        "{err}"
    );
    assert_eq!(file_mode(&role_dir), 0o700);
    // The token directory, read when the role must be fetched again.
    std::fs::remove_file(role_path(&sb)).unwrap();
    let token_dir = token_path(&sb).parent().unwrap().to_path_buf();
    std::fs::set_permissions(&token_dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let err = sb.fails(&["creds", "--store", "prod", "--no-login"], 1);
    assert!(err.contains("writable by others"), "{err}");
    assert_eq!(file_mode(&token_dir), 0o700);
}

/// Filesystems without locks: dsops goes on without one.
#[test]
fn no_locks_is_not_a_failure() {
    if !require_tool("strace") {
        return;
    }
    let portal = Canned::start(
        200,
        r#"{"roleCredentials":{"accessKeyId":"AKIANOLOCK","secretAccessKey":"s-1","sessionToken":"t-1","expiration":4102444800000}}"#,
    );
    let sb = sso_box(&portal.url);
    write_token(&sb, &iso(3600));
    let mut c = Command::new("strace");
    c.args([
        "-f",
        "-o",
        "/dev/null",
        "-e",
        "trace=flock",
        "-e",
        "inject=flock:error=ENOLCK",
    ])
    .arg(bin())
    .args(["--debug", "creds", "--store", "prod", "--no-login"])
    .env_clear()
    .envs(sb.base_env())
    .current_dir(sb.path("project"));
    let (o, killed) = run_within(c, Duration::from_secs(20));
    assert!(!killed);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(parse_json(&o.stdout)["AccessKeyId"], "AKIANOLOCK");
    assert!(stderr(&o).contains("has no locks"), "{}", stderr(&o));
}

/// Relative DSOPS_CONFIG would name, and trust, a different file in every
/// directory.
#[test]
fn relative_dsops_config_is_refused() {
    let mut sb = Sandbox::new();
    sb.write("project/x.yaml", "version: 1\nenvs:\n  e:\n    A: b\n");
    sb.set("DSOPS_CONFIG", "x.yaml");
    let err = sb.fails(&["export"], 2);
    assert!(
        err.contains("DSOPS_CONFIG") && err.contains("absolute"),
        "{err}"
    );
    let o = sb.ok(&["--config", "x.yaml", "export", "--format", "json"]);
    assert_eq!(parse_json(&o.stdout)["A"], "b");
}

/// A closed stdout (the reader went away) is a quiet success, even under
/// `pipefail`. The value is bigger than a pipe's buffer, so dsops writes
/// after the reader is gone.
#[test]
fn closed_stdout_is_quiet() {
    let sb = Sandbox::new();
    let big = "x".repeat(256 * 1024);
    let cfg = sb.write(
        "project/x.yaml",
        &format!("version: 1\nenvs:\n  e:\n    A: \"{big}\"\n"),
    );
    for args in [
        format!("--config '{}' export", cfg.display()),
        "--help".to_string(),
    ] {
        let o = Command::new("bash")
            .args([
                "-o",
                "pipefail",
                "-c",
                &format!("'{}' {args} | head -c0", bin().display()),
            ])
            .env_clear()
            .envs(sb.base_env())
            .current_dir(sb.path("project"))
            .output()
            .unwrap();
        assert!(o.status.success(), "{args}: {:?} {}", o.status, stderr(&o));
        assert_eq!(stderr(&o), "", "{args}");
    }
}

/// Finding 14: messages a person can act on.
#[test]
fn messages_say_what_happened_once() {
    let sb = Sandbox::new();
    let err = sb.fails(&["nope"], 2);
    assert_eq!(err.matches("dsops --help").count(), 1, "{err}");

    let sb = sso_box("http://127.0.0.1:9");
    sb.write(".aws/config", "[profile p\nregion = x\n");
    let err = sb.fails(&["creds", "--profile", "p"], 3);
    assert!(!err.contains("Some("), "{err}");
    assert!(err.contains(":1:") && err.contains("]"), "{err}");

    // A server that never answers: the message says what was tried.
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    let mut sb = sso_box(&url);
    write_token(&sb, &iso(3600));
    sb.set("DSOPS_HTTP_TIMEOUT", "0.3");
    sb.set("AWS_MAX_ATTEMPTS", "2");
    let err = sb.fails(&["creds", "--store", "prod", "--no-login"], 1);
    assert!(err.contains("0.3s") && err.contains("2 attempts"), "{err}");
    drop(l);
}

/// Every key dsops reads from an AWS profile, empty or nonsense, at the top
/// of a chain or at its SSO end, through every command that takes a
/// profile: an answer or an error, never a panic or a hang. (An empty
/// `role_arn` once reached an `unreachable!`.)
#[test]
fn odd_aws_profile_values_never_panic() {
    const KEYS: &[&str] = &[
        "role_arn",
        "source_profile",
        "role_session_name",
        "external_id",
        "duration_seconds",
        "mfa_serial",
        "credential_source",
        "sso_session",
        "sso_start_url",
        "sso_region",
        "sso_account_id",
        "sso_role_name",
        "region",
        "aws_access_key_id",
        "aws_secret_access_key",
    ];
    let head = format!(
        "[sso-session {SESSION}]\nsso_start_url = https://x.awsapps.com/start\nsso_region = us-east-1\n\n\
         [profile p]\nsso_session = {SESSION}\nsso_account_id = {ACCOUNT}\nsso_role_name = {ROLE}\n\n"
    );
    let commands: &[&[&str]] = &[
        &["creds", "--profile", "x"],
        &["exec", "--profile", "x", "--", "true"],
        &[
            "eks-token",
            "--profile",
            "x",
            "--cluster",
            "c",
            "--region",
            "us-east-1",
        ],
        &["console", "--profile", "x", "--print"],
        &["sso", "list", "--profile", "x"],
        &["logout", "--profile", "x"],
    ];
    let mut sb = Sandbox::new();
    sb.set("DSOPS_NO_LOGIN", "1");
    sb.set("AWS_ENDPOINT_URL", "http://127.0.0.1:9");
    sb.set("DSOPS_HTTP_TIMEOUT", "0.5");
    for key in KEYS {
        for value in ["", "!", "0x"] {
            for profile in [
                "role_arn = arn:aws:iam::111111111111:role/X\nsource_profile = p\n",
                "source_profile = p\nrole_arn = arn:aws:iam::111111111111:role/X\n[profile p]\n",
            ] {
                let config = format!("{head}[profile x]\n{profile}{key} = {value}\n");
                sb.write(".aws/config", &config);
                for args in commands {
                    let mut cmd = Command::new(bin());
                    cmd.env_clear().envs(sb.base_env()).args(*args);
                    let (out, killed) = run_within(cmd, Duration::from_secs(20));
                    let err = stderr(&out);
                    // Not a usage error either: the command got as far as the profile.
                    assert!(
                        !killed
                            && !matches!(out.status.code(), None | Some(2))
                            && !err.contains("panicked"),
                        "{args:?} with {key} = {value:?} in\n{config}\n{err}"
                    );
                }
            }
        }
    }
}
