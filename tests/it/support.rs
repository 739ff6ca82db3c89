//! Shared test support: sandboxes, the fake Identity Center, moto's server,
//! and tool checks that fail loudly under CI=true instead of skipping.
#![allow(dead_code)]

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_dsops"))
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Where skipped tests are listed, one `TEST: why` line each, for the
/// summary that `.ci/run` prints (the harness shows a skipped test as `ok`
/// and its stderr not at all).
pub fn skipped_list() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("skipped-tests.txt")
}

/// Skip the running test, saying why: on stderr and in [`skipped_list`].
/// (Under CI=true the callers fail instead.)
pub fn skip(why: &str) {
    use std::io::Write;
    eprintln!("SKIP: {why}");
    let test = std::thread::current()
        .name()
        .unwrap_or("a test")
        .to_string();
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(skipped_list())
    {
        let _ = writeln!(f, "{test}: {why}");
    }
}

/// Is `tool` on PATH? Under CI=true a missing tool fails the test; elsewhere
/// the test is skipped with a line saying why.
pub fn require_tool(tool: &str) -> bool {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
        .unwrap_or(false);
    if !found {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{tool} is required under CI=true but is not installed (.ci/run installs it)");
        }
        skip(&format!(
            "{tool} is not installed; install it to run this test"
        ));
    }
    found
}

/// Is this test running as root (to make files of another user, `what`)?
/// Under CI=true not being root fails the test; elsewhere it is skipped
/// with a line saying why.
pub fn require_root(what: &str) -> bool {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    if !root {
        assert!(
            !std::env::var("CI").is_ok_and(|v| v == "true"),
            "this test needs root under CI=true ({what})"
        );
        skip(&format!("not root, so no {what}"));
    }
    root
}

/// Start `cmd` with the default action for SIGINT and SIGQUIT, whatever
/// this test process inherited: a test harness started in the background
/// (`nohup`, `&` in a non-interactive shell, some CI runners) has them
/// ignored, and an ignored signal stays ignored across exec, so a shell
/// under test could not even trap it.
pub fn default_signals(cmd: &mut Command) -> &mut Command {
    use std::os::unix::process::CommandExt;
    // SAFETY: signal(2) is async-signal-safe, as code between fork and exec
    // must be.
    unsafe {
        cmd.pre_exec(|| {
            libc::signal(libc::SIGINT, libc::SIG_DFL);
            libc::signal(libc::SIGQUIT, libc::SIG_DFL);
            Ok(())
        });
    }
    cmd
}

/// Python with a module importable (botocore, boto3, moto).
pub fn require_python_module(module: &str) -> bool {
    let ok = Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!(
                "python module {module} is required under CI=true but is missing (.ci/run installs it)"
            );
        }
        skip(&format!("python module {module} is missing"));
    }
    ok
}

/// The words that run a command as another user (uid and gid 65534): as
/// root, `setpriv`; otherwise through `sudo -n` when it needs no password.
/// Under CI=true, having neither fails the test; elsewhere it is skipped
/// with a line saying why.
pub fn as_other_user() -> Option<Vec<String>> {
    let setpriv = [
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
    ];
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        return require_tool("setpriv").then(|| setpriv.iter().map(|s| s.to_string()).collect());
    }
    let sudo = Command::new("sudo")
        .args(["-n", "true"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if sudo {
        return Some(
            ["sudo", "-n"]
                .iter()
                .chain(&setpriv)
                .map(|s| s.to_string())
                .collect(),
        );
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("a second user is required under CI=true: run as root or with passwordless sudo");
    }
    skip("not root and no passwordless sudo, so no second user to connect as");
    None
}

/// A private HOME with XDG directories and an AWS config path.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
    pub home: PathBuf,
    /// Extra environment for every command.
    pub env: Vec<(String, String)>,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let dir = tempfile::Builder::new()
            .prefix("dsops-test")
            .tempdir()
            .unwrap();
        let home = dir.path().join("home");
        for d in [
            ".config",
            ".local/share",
            ".local/state",
            ".cache",
            ".aws",
            "project",
        ] {
            std::fs::create_dir_all(home.join(d)).unwrap();
        }
        Sandbox {
            dir,
            home,
            env: vec![],
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.home.join(rel)
    }

    pub fn write(&self, rel: &str, content: &str) -> PathBuf {
        let p = self.home.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, content).unwrap();
        p
    }

    pub fn set(&mut self, k: &str, v: &str) -> &mut Self {
        self.env.retain(|(a, _)| a != k);
        self.env.push((k.to_string(), v.to_string()));
        self
    }

    /// The environment a command gets: nothing from the developer's, except PATH.
    pub fn base_env(&self) -> Vec<(String, String)> {
        let h = self.home.display().to_string();
        let mut env = vec![
            ("HOME".to_string(), h.clone()),
            (
                "PATH".to_string(),
                std::env::var("PATH").unwrap_or_default(),
            ),
            ("XDG_CONFIG_HOME".to_string(), format!("{h}/.config")),
            ("XDG_DATA_HOME".to_string(), format!("{h}/.local/share")),
            ("XDG_STATE_HOME".to_string(), format!("{h}/.local/state")),
            ("XDG_CACHE_HOME".to_string(), format!("{h}/.cache")),
            ("AWS_CONFIG_FILE".to_string(), format!("{h}/.aws/config")),
            (
                "AWS_SHARED_CREDENTIALS_FILE".to_string(),
                format!("{h}/.aws/credentials"),
            ),
            ("LANG".to_string(), "C.UTF-8".to_string()),
            // An interactive bash killed with its tmux server writes its
            // history on SIGHUP, racing the sandbox's removal: it left
            // home/.bash_history behind in /tmp. An empty HISTFILE saves none.
            ("HISTFILE".to_string(), String::new()),
        ];
        for (k, v) in &self.env {
            env.retain(|(a, _)| a != k);
            env.push((k.clone(), v.clone()));
        }
        env
    }

    /// `dsops` in the sandbox, working directory `home/project`.
    pub fn cmd(&self) -> assert_cmd::Command {
        assert_cmd::Command::from_std(self.std_cmd())
    }

    /// Run `dsops ARGS` and insist that it succeeds, showing its stderr if not.
    pub fn ok(&self, args: &[&str]) -> std::process::Output {
        let out = self.cmd().args(args).output().unwrap();
        assert!(
            out.status.success(),
            "dsops {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// Run `dsops ARGS`, insist that it succeeds, and parse its stdout as JSON.
    pub fn json(&self, args: &[&str]) -> Value {
        parse_json(&self.ok(args).stdout)
    }

    /// Run `dsops ARGS`, insist on exit status `code`, and return its stderr.
    pub fn fails(&self, args: &[&str], code: i32) -> String {
        let out = self.cmd().args(args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(code), "dsops {args:?}: {err}");
        err
    }

    /// The same as a std Command (for spawning in parallel).
    pub fn std_cmd(&self) -> Command {
        let mut c = Command::new(bin());
        c.env_clear()
            .envs(self.base_env())
            .current_dir(self.home.join("project"));
        default_signals(&mut c);
        c
    }
}

/// Read a server's `READY <url>` line.
fn wait_ready(child: &mut Child, what: &str) -> String {
    let out = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(out).read_line(&mut line).unwrap();

    line.trim()
        .strip_prefix("READY ")
        .unwrap_or_else(|| panic!("{what} did not start: {line:?}"))
        .to_string()
}

/// The fake Identity Center (tests/support/fake_idc.py) on a free port.
pub struct FakeIdc {
    child: Child,
    pub url: String,
}

impl FakeIdc {
    pub fn start(args: &[&str]) -> FakeIdc {
        assert!(
            require_tool("python3"),
            "python3 is needed for the fake Identity Center"
        );
        let mut child = Command::new("python3")
            .arg(repo().join("tests/support/fake_idc.py"))
            .args(["--port", "0", "--interval", "0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start fake_idc.py");
        let url = wait_ready(&mut child, "fake_idc.py");
        FakeIdc { child, url }
    }

    pub fn get(&self, path: &str) -> Value {
        let mut r = ureq::get(format!("{}{path}", self.url)).call().unwrap();
        serde_json::from_slice(&r.body_mut().read_to_vec().unwrap()).unwrap()
    }

    pub fn post(&self, path: &str, body: Value) -> Value {
        let mut r = ureq::post(format!("{}{path}", self.url))
            .header("content-type", "application/json")
            .send(body.to_string())
            .unwrap();
        let b = r.body_mut().read_to_vec().unwrap();
        serde_json::from_slice(&b).unwrap_or(Value::Null)
    }

    pub fn counters(&self) -> Value {
        self.get("/_control/counters")
    }

    pub fn counter(&self, name: &str) -> u64 {
        self.counters()[name].as_u64().unwrap_or(0)
    }

    pub fn configure(&self, cfg: Value) {
        self.post("/_control/config", cfg);
    }

    /// Environment pointing dsops's Identity Center calls at this server.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("AWS_ENDPOINT_URL_SSO_OIDC".to_string(), self.url.clone()),
            ("AWS_ENDPOINT_URL_SSO".to_string(), self.url.clone()),
        ]
    }

    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for FakeIdc {
    fn drop(&mut self) {
        self.stop();
    }
}

/// moto's server on a free port (Secrets Manager, SSM, STS).
pub struct Moto {
    child: Child,
    pub url: String,
}

impl Moto {
    pub fn start() -> Option<Moto> {
        if !require_tool("moto_server") {
            return None;
        }
        let port = free_port();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            // Its request recorder (`/moto-api/recorder/`) writes to a file of
            // its own, not `moto_recording` shared by every server.
            .env(
                "MOTO_RECORDER_FILEPATH",
                std::env::temp_dir().join(format!("dsops-moto-{port}.recording")),
            )
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto_server");
        let url = format!("http://127.0.0.1:{port}");
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "moto_server did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(Moto { child, url })
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A `BROWSER` script that approves a device code (or follows an
/// authorization redirect) by fetching the URL, and logs each call.
pub fn browser_script(sb: &Sandbox) -> PathBuf {
    let log = sb.path("browser.log");
    let script = format!(
        "#!/bin/sh\necho \"$1\" >> '{}'\nexec python3 -c 'import sys,urllib.request; urllib.request.urlopen(sys.argv[1]).read()' \"$1\" >/dev/null 2>&1\n",
        log.display()
    );
    let p = sb.write("bin/browser", &script);
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

pub fn browser_calls(sb: &Sandbox) -> usize {
    std::fs::read_to_string(sb.path("browser.log"))
        .map(|s| s.lines().count())
        .unwrap_or(0)
}

/// Run `tests/support/botocore_sso.py ARGS` (botocore as the client) in
/// the sandbox's environment, with `stdin`; insist that it succeeds and
/// parse its JSON answer.
pub fn botocore(sb: &Sandbox, args: &[&str], stdin: Option<&[u8]>) -> Value {
    use std::io::Write;
    let mut child = Command::new("python3")
        .arg(repo().join("tests/support/botocore_sso.py"))
        .args(args)
        .env_clear()
        .envs(sb.base_env())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.unwrap_or_default())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "python {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    parse_json(&out.stdout)
}

pub fn parse_json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(bytes)))
}

pub fn file_mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// The start URL of the Identity Center the SSO tests sign in to.
pub const START_URL: &str = "https://d-1234567890.awsapps.com/start";

/// A sandbox signed in to nothing, pointing at `idc`: an `[sso-session
/// my-sso]`, a `[profile dev]` (111111111111 DeveloperAccess, API region
/// `region`), `extra` appended to the AWS config, and a `BROWSER` script that
/// approves whatever it is shown.
pub fn sso_sandbox(idc: &FakeIdc, region: &str, extra: &str) -> Sandbox {
    let mut sb = Sandbox::new();
    sb.write(
        ".aws/config",
        &format!(
            "[sso-session my-sso]\nsso_start_url = {START_URL}\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n\n\
             [profile dev]\nsso_session = my-sso\nsso_account_id = 111111111111\nsso_role_name = DeveloperAccess\nregion = {region}\n\n{extra}"
        ),
    );
    let browser = browser_script(&sb);
    sb.set("BROWSER", &browser.display().to_string());
    for (k, v) in idc.env() {
        sb.set(&k, &v);
    }
    sb
}

/// `now + offset_secs` as the AWS caches write it.
pub fn iso(offset_secs: i64) -> String {
    let t = time::OffsetDateTime::now_utc() + time::Duration::seconds(offset_secs);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// A terminal for interactive tests: tmux with a private socket, killed on
/// drop. What runs in it gets exactly `env` (and `TERM`), in `dir`.
pub struct Tmux {
    socket: PathBuf,
    env: Vec<(String, String)>,
    dir: PathBuf,
}

impl Tmux {
    /// `argv` in the sandbox's home, with its environment. One word is run
    /// by the shell (`bash -i` with options, say); more are the program
    /// and its arguments.
    pub fn start(sb: &Sandbox, argv: &[&str]) -> Tmux {
        Tmux::start_in(sb.path("tmux.sock"), sb.base_env(), sb.home.clone(), argv)
    }

    /// `argv` in a 160 x 40 terminal, with `env`, in `dir`.
    pub fn start_in(
        socket: PathBuf,
        env: Vec<(String, String)>,
        dir: PathBuf,
        argv: &[&str],
    ) -> Tmux {
        let t = Tmux { socket, env, dir };
        let ok = t
            .cmd()
            .args([
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-x",
                "160",
                "-y",
                "40",
            ])
            .args(argv)
            .status()
            .unwrap();
        assert!(ok.success(), "tmux new-session failed");
        t
    }

    pub fn cmd(&self) -> Command {
        let mut c = Command::new("tmux");
        c.arg("-S")
            .arg(&self.socket)
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .env("TERM", "xterm-256color")
            .current_dir(&self.dir);
        c
    }

    /// Keys as tmux names them (`Enter`, `Escape`, `C-c`), or `-l` and text.
    pub fn keys(&self, keys: &[&str]) {
        assert!(
            self.cmd()
                .arg("send-keys")
                .args(keys)
                .status()
                .unwrap()
                .success()
        );
    }

    /// Type a line and press Enter.
    pub fn line(&self, l: &str) {
        self.keys(&["-l", l]);
        self.keys(&["Enter"]);
    }

    /// What the terminal shows.
    pub fn pane(&self) -> String {
        let out = self.cmd().args(["capture-pane", "-p"]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd().arg("kill-server").status();
    }
}

/// `aws sts get-caller-identity` for `profile` against `endpoint`, run by
/// the AWS CLI at `aws` in the sandbox's environment; its JSON (a failure
/// fails the test, with the CLI's stderr).
pub fn caller_identity(aws: &Path, sb: &Sandbox, profile: &str, endpoint: &str) -> Value {
    let out = Command::new(aws)
        .args(["sts", "get-caller-identity", "--profile", profile])
        .args(["--endpoint-url", endpoint, "--output", "json"])
        .env_clear()
        .envs(sb.base_env())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "aws sts get-caller-identity: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    parse_json(&out.stdout)
}
