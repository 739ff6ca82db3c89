//! The SSO session in the OS keyring (`tokens: {storage: keyring}`), against a
//! real Secret Service: each test starts its own D-Bus session bus and GNOME
//! Keyring daemon inside its sandbox (keyring files under the sandbox's
//! XDG_DATA_HOME, the login collection unlocked from a test password), so
//! nothing touches the developer's session. Under CI=true a missing
//! `dbus-daemon`, `gnome-keyring-daemon` or `secret-tool` fails the test.

use crate::support::*;
use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The keyring account of the sso-session `my-sso`: the SHA-1 the AWS CLI
/// names its token file with.
pub(crate) const ACCOUNT: &str = "0ad374308c5a4e22f723adf10145eafad7c4031c";

/// A private session bus with a GNOME Keyring on it, for one sandbox.
pub(crate) struct SecretService {
    bus: Child,
    keyring: Option<Child>,
    env: Vec<(String, String)>,
}

impl SecretService {
    /// Start both daemons for `sb` and point `sb`'s commands at the bus.
    /// `None` (the test skips) when the tools are missing outside CI.
    fn start(sb: &mut Sandbox) -> Option<SecretService> {
        if ![
            "dbus-daemon",
            "gnome-keyring-daemon",
            "secret-tool",
            "dbus-send",
        ]
        .iter()
        .all(|t| require_tool(t))
        {
            return None;
        }
        let dir = sb.dir.path().join("dbus");
        let run = sb.dir.path().join("run");
        for d in [&dir, &run] {
            std::fs::create_dir_all(d).unwrap();
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        let socket = dir.join("bus");
        // No <servicedir>: nothing is activated behind the test's back (a
        // killed keyring daemon stays dead).
        let conf = dir.join("session.conf");
        std::fs::write(
            &conf,
            format!(
                r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={}</listen>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
                socket.display()
            ),
        )
        .unwrap();
        let bus = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", conf.display()))
            .arg("--nofork")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dbus-daemon");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !socket.exists() {
            assert!(Instant::now() < deadline, "dbus-daemon did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        let address = format!("unix:path={}", socket.display());
        sb.set("DBUS_SESSION_BUS_ADDRESS", &address);
        sb.set("XDG_RUNTIME_DIR", &run.display().to_string());
        let tmp = sb.dir.path().join("tmp");
        std::fs::create_dir_all(&tmp).unwrap();
        sb.set("TMPDIR", &tmp.display().to_string());
        let mut ss = SecretService {
            bus,
            keyring: None,
            env: sb.base_env(),
        };
        ss.start_keyring();
        Some(ss)
    }

    fn start_keyring(&mut self) {
        let mut child = Command::new("gnome-keyring-daemon")
            .args(["--foreground", "--unlock", "--components=secrets"])
            .env_clear()
            .envs(self.env.iter().cloned())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start gnome-keyring-daemon");
        // The login collection's password, on stdin, then end of file.
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(b"test-password").unwrap();
        drop(stdin);
        self.keyring = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.has_owner("org.freedesktop.secrets") {
            assert!(
                Instant::now() < deadline,
                "gnome-keyring-daemon did not take the Secret Service name"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn has_owner(&self, name: &str) -> bool {
        let out = self
            .command("dbus-send")
            .args([
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
                &format!("string:{name}"),
            ])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).contains("boolean true")
    }

    pub(crate) fn command(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env_clear().envs(self.env.iter().cloned());
        c
    }

    /// `secret-tool lookup service S account A`: the secret, if any.
    pub(crate) fn lookup(&self, service: &str, account: &str) -> Option<Vec<u8>> {
        let out = self
            .command("secret-tool")
            .args(["lookup", "service", service, "account", account])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        (out.status.success() && !out.stdout.is_empty()).then_some(out.stdout)
    }

    /// The session JSON dsops keeps for `my-sso`.
    pub(crate) fn session(&self) -> Value {
        let bytes = self
            .lookup("dsops", ACCOUNT)
            .expect("secret-tool finds the session in the keyring");
        parse_json(&bytes)
    }

    /// `secret-tool store`: put `value` in as dsops would.
    pub(crate) fn store(&self, service: &str, account: &str, value: &str) {
        let mut child = self
            .command("secret-tool")
            .args([
                "store", "--label", "test", "service", service, "account", account,
            ])
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(value.as_bytes())
            .unwrap();
        assert!(child.wait().unwrap().success(), "secret-tool store");
    }

    /// Stop the keyring daemon (the bus stays).
    fn kill_keyring(&mut self) {
        if let Some(mut k) = self.keyring.take() {
            let _ = k.kill();
            let _ = k.wait();
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.has_owner("org.freedesktop.secrets") {
            assert!(Instant::now() < deadline, "the keyring did not go away");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Lock the login collection, as a screen lock or a timeout would.
    fn lock(&self) {
        let out = self
            .command("dbus-send")
            .args([
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.secrets",
                "/org/freedesktop/secrets",
                "org.freedesktop.Secret.Service.Lock",
                "array:objpath:/org/freedesktop/secrets/collection/login",
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "lock: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for SecretService {
    fn drop(&mut self) {
        if let Some(mut k) = self.keyring.take() {
            let _ = k.kill();
            let _ = k.wait();
        }
        let _ = self.bus.kill();
        let _ = self.bus.wait();
    }
}

/// An SSO sandbox (profiles `dev`, and `ops` for a second role) with tokens
/// in the keyring by the user config, and its Secret Service.
pub(crate) fn setup(idc: &FakeIdc) -> Option<(Sandbox, SecretService)> {
    let mut sb = sso_sandbox(
        idc,
        "us-east-1",
        "[profile ops]\nsso_session = my-sso\nsso_account_id = 111111111111\nsso_role_name = OpsAccess\n",
    );
    sb.write(
        ".config/dsops/config.yaml",
        "version: 1\ntokens:\n  storage: keyring\n",
    );
    sb.set("DSOPS_USE_DEVICE_CODE", "1");
    let ss = SecretService::start(&mut sb)?;
    Some((sb, ss))
}

pub(crate) fn token_file(sb: &Sandbox) -> PathBuf {
    sb.path(&format!(".aws/sso/cache/{ACCOUNT}.json"))
}

/// How many role cache files there are (lock files aside).
pub(crate) fn role_files(sb: &Sandbox) -> usize {
    std::fs::read_dir(sb.path(".aws/cli/cache")).map_or(0, |d| {
        d.flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
            .count()
    })
}

/// Every regular file under `dir`.
fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let Ok(t) = e.file_type() else { continue };
        if t.is_dir() {
            files(&e.path(), out);
        } else if t.is_file() {
            out.push(e.path());
        }
    }
}

/// No file under the sandbox (HOME, TMPDIR, the keyring's own files)
/// holds any of `secrets` in clear.
pub(crate) fn assert_nowhere_on_disk(sb: &Sandbox, secrets: &[&str]) {
    let mut all = vec![];
    files(sb.dir.path(), &mut all);
    assert!(
        all.iter().any(|p| p.to_string_lossy().contains("keyrings")),
        "the keyring's own files are under the sandbox: {all:?}"
    );
    for p in &all {
        let bytes = std::fs::read(p).unwrap_or_default();
        for s in secrets {
            assert!(
                !bytes.windows(s.len()).any(|w| w == s.as_bytes()),
                "{} holds a secret of the session in clear",
                p.display()
            );
        }
    }
}

#[test]
fn login_keeps_the_session_in_the_keyring_and_nothing_on_disk() {
    let idc = FakeIdc::start(&[]);
    let Some((sb, ss)) = setup(&idc) else { return };
    sb.ok(&["login", "--profile", "dev"]);
    assert!(!token_file(&sb).exists(), "no token file in keyring mode");
    // `secret-tool lookup service dsops account SHA1` (as the README says).
    let s = ss.session();
    let access = s["accessToken"].as_str().unwrap().to_string();
    let refresh = s["refreshToken"].as_str().unwrap().to_string();
    let secret = s["clientSecret"].as_str().unwrap().to_string();
    assert_eq!(s["startUrl"], START_URL);
    assert!(s["expiresAt"].as_str().is_some() && s["clientId"].as_str().is_some());
    // creds works from it, and writes role credentials (on disk by default).
    let v = parse_json(&sb.ok(&["creds", "--profile", "dev", "--no-login"]).stdout);
    assert!(v["AccessKeyId"].as_str().is_some());
    assert_eq!(idc.counter("device_authorization"), 1);
    assert_nowhere_on_disk(&sb, &[&access, &refresh, &secret]);
    // logout removes the entry and the role credentials.
    assert_eq!(role_files(&sb), 1);
    sb.ok(&["logout", "--profile", "dev"]);
    assert_eq!(idc.counter("logout"), 1);
    assert!(ss.lookup("dsops", ACCOUNT).is_none(), "the entry is gone");
    assert_eq!(role_files(&sb), 0, "role credentials deleted");
    let err = sb.fails(&["creds", "--profile", "dev", "--no-login"], 5);
    assert!(err.contains("sign-in required"), "{err}");
}

#[test]
fn parallel_callers_make_one_sign_in_through_the_keyring() {
    let idc = FakeIdc::start(&["--latency-ms", "20"]);
    let Some((mut sb, ss)) = setup(&idc) else {
        return;
    };
    let roles = [
        "AdministratorAccess",
        "PowerUserAccess",
        "BillingAccess",
        "SecurityAudit",
    ];
    let mut cfg = String::from("version: 1\ntokens:\n  storage: keyring\nsecretStores:\n");
    for r in roles {
        cfg.push_str(&format!(
            "  {r}:\n    type: aws.sso\n    sso_session: my-sso\n    account_id: \"111111111111\"\n    role_name: {r}\n"
        ));
    }
    sb.write(".config/dsops/config.yaml", &cfg);
    sb.set("DSOPS_LOCK_TIMEOUT", "60");
    let children: Vec<_> = (0..16)
        .map(|i| {
            sb.std_cmd()
                .args(["creds", "--store", roles[i % roles.len()]])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for (i, c) in children.into_iter().enumerate() {
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "caller {i}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let c = idc.counters();
    assert_eq!(c["device_authorization"], 1, "{c}");
    assert_eq!(c["get_role_credentials"], 4, "{c}");
    assert!(!token_file(&sb).exists());
    assert!(ss.session()["accessToken"].as_str().is_some());
}

#[test]
fn a_refresh_updates_the_keyring_entry() {
    let idc = FakeIdc::start(&[]);
    let Some((sb, ss)) = setup(&idc) else { return };
    sb.ok(&["login", "--profile", "dev"]);
    // The access token about to expire; the refresh token still good.
    let mut s = ss.session();
    let old = s["accessToken"].as_str().unwrap().to_string();
    s["expiresAt"] = json!(iso(5 * 60));
    ss.store("dsops", ACCOUNT, &s.to_string());
    sb.ok(&["creds", "--profile", "dev", "--no-login"]);
    assert_eq!(idc.counter("token_refresh"), 1);
    assert_eq!(idc.counter("device_authorization"), 1, "no new sign-in");
    let after = ss.session();
    assert_ne!(after["accessToken"].as_str().unwrap(), old);
    assert!(after["expiresAt"].as_str().unwrap() > iso(3600).as_str());
    assert!(!token_file(&sb).exists());
}

#[test]
fn an_expired_keyring_token_with_no_login_is_sign_in_required() {
    let idc = FakeIdc::start(&[]);
    let Some((sb, ss)) = setup(&idc) else { return };
    ss.store(
        "dsops",
        ACCOUNT,
        &json!({"startUrl": START_URL, "region": "us-east-1", "accessToken": "expired-token",
            "expiresAt": iso(-60)})
        .to_string(),
    );
    let err = sb.fails(&["creds", "--profile", "dev", "--no-login"], 5);
    assert!(err.contains("sign-in required"), "{err}");
    assert!(!token_file(&sb).exists());
}

#[test]
fn no_secret_service_is_the_keyring_error_and_never_a_file() {
    let idc = FakeIdc::start(&[]);
    let Some((sb, mut ss)) = setup(&idc) else {
        return;
    };
    ss.kill_keyring();
    let err = sb.fails(&["login", "--profile", "dev"], 8);
    assert!(
        err.contains("OS keyring (Secret Service) is not available") && err.lines().count() == 1,
        "{err}"
    );
    assert!(err.contains("storage: file"), "says what to do: {err}");
    let err = sb.fails(&["creds", "--profile", "dev"], 8);
    assert!(err.contains("Secret Service"), "{err}");
    assert!(!token_file(&sb).exists(), "no plaintext fallback");
    assert_eq!(idc.counter("device_authorization"), 0, "no sign-in to lose");
    // DSOPS_TOKEN_STORAGE=file is the way back, explicitly.
    let mut sb = sb;
    sb.set("DSOPS_TOKEN_STORAGE", "file");
    sb.ok(&["creds", "--profile", "dev"]);
    assert!(token_file(&sb).exists());
}

#[test]
fn a_locked_keyring_is_not_unlocked_without_a_person() {
    let idc = FakeIdc::start(&[]);
    let Some((sb, ss)) = setup(&idc) else { return };
    sb.ok(&["login", "--profile", "dev"]);
    sb.ok(&["creds", "--profile", "dev", "--no-login"]);
    ss.lock();
    // Role credentials cached on disk: the warm path reads no keyring.
    sb.ok(&["creds", "--profile", "dev", "--no-login"]);
    let _ = std::fs::remove_dir_all(sb.path(".aws/cli/cache"));
    let err = sb.fails(&["creds", "--profile", "dev", "--no-login"], 8);
    assert!(err.contains("is locked"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn login_imports_an_aws_cli_token_file_into_the_keyring() {
    let idc = FakeIdc::start(&[]);
    let Some((mut sb, ss)) = setup(&idc) else {
        return;
    };
    // Signed in with files, as `aws sso login` leaves it.
    sb.set("DSOPS_TOKEN_STORAGE", "file");
    sb.ok(&["login", "--profile", "dev"]);
    let file = token_file(&sb);
    let plain = parse_json(&std::fs::read(&file).unwrap());
    sb.set("DSOPS_TOKEN_STORAGE", "keyring");
    // doctor reports the plaintext copy of a keyring session.
    let out = sb.cmd().args(["doctor"]).output().unwrap();
    let err =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    assert!(
        err.contains("plaintext token file") && err.contains(&file.display().to_string()),
        "{err}"
    );
    assert!(!out.status.success());
    // --import moves it: the same token, and the file gone.
    sb.ok(&["login", "--profile", "dev", "--import"]);
    assert!(!file.exists(), "the plaintext file is deleted");
    assert_eq!(ss.session()["accessToken"], plain["accessToken"]);
    assert_eq!(ss.session()["refreshToken"], plain["refreshToken"]);
    assert_eq!(idc.counter("device_authorization"), 1, "no second sign-in");
    sb.ok(&["creds", "--profile", "ops", "--no-login"]);
    // `aws sso login` writes one again. Without a terminal and without
    // --import it is left alone, with a warning that says how to move it.
    std::fs::write(&file, plain.to_string()).unwrap();
    let out = sb.ok(&["login", "--profile", "dev"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("plaintext token file") && err.contains("--import"),
        "{err}"
    );
    assert!(file.exists());
}

#[test]
fn role_credentials_in_the_keyring_too() {
    let idc = FakeIdc::start(&[]);
    let Some((sb, ss)) = setup(&idc) else { return };
    sb.write(
        ".config/dsops/config.yaml",
        "version: 1\ntokens:\n  storage: keyring\n  role_credentials: keyring\n",
    );
    let v = parse_json(&sb.ok(&["creds", "--profile", "dev"]).stdout);
    let secret = v["SecretAccessKey"].as_str().unwrap().to_string();
    let token = v["SessionToken"].as_str().unwrap().to_string();
    assert_eq!(role_files(&sb), 0, "no role cache file");
    // Served from the keyring the second time.
    let again = parse_json(&sb.ok(&["creds", "--profile", "dev", "--no-login"]).stdout);
    assert_eq!(again["AccessKeyId"], v["AccessKeyId"]);
    assert_eq!(idc.counter("get_role_credentials"), 1);
    let s = ss.session();
    assert_nowhere_on_disk(
        &sb,
        &[
            &secret,
            &token,
            s["accessToken"].as_str().unwrap(),
            s["refreshToken"].as_str().unwrap(),
        ],
    );
    sb.ok(&["logout", "--profile", "dev"]);
    assert!(ss.lookup("dsops", ACCOUNT).is_none());
}

#[test]
fn tokens_storage_only_in_the_user_config() {
    let sb = Sandbox::new();
    sb.write(
        "project/.dsops.yaml",
        "version: 1\ntokens:\n  storage: file\nenvs:\n  dev:\n    X: \"1\"\n",
    );
    let out = sb.cmd().args(["allow"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains(".dsops.yaml: tokens: only the user config"),
        "{err}"
    );
    let mut sb = sb;
    sb.set("DSOPS_TOKEN_STORAGE", "vault");
    sb.write(".aws/config", "[profile dev]\nsso_start_url = https://x/start\nsso_region = us-east-1\nsso_account_id = 111111111111\nsso_role_name = R\n");
    let err = sb.fails(&["creds", "--profile", "dev", "--no-login"], 2);
    assert!(
        err.contains("DSOPS_TOKEN_STORAGE: expected keyring or file"),
        "{err}"
    );
}

#[test]
fn the_hook_says_once_that_the_keyring_is_locked_and_never_prompts() {
    let idc = FakeIdc::start(&[]);
    let Some((sb, ss)) = setup(&idc) else { return };
    if !require_tool("bash") {
        return;
    }
    sb.ok(&["login", "--profile", "dev"]);
    sb.write(
        "project/.dsops.yaml",
        "version: 1\nsecretStores:\n  sso:\n    type: aws.sso\n    sso_session: my-sso\n    account_id: \"111111111111\"\n    role_name: DeveloperAccess\n\
         envs:\n  e:\n    AWS_ACCESS_KEY_ID:\n      from: {store: sso, key: access_key_id}\n",
    );
    sb.ok(&["allow"]);
    ss.lock();
    let bin = bin().display().to_string();
    let prompt = "for _c in \"${PROMPT_COMMAND[@]}\"; do eval \"$_c\"; done";
    let script = format!(
        "eval \"$('{bin}' hook bash)\"\ncd '{}'\n{prompt}\n{prompt}\n{prompt}\n",
        sb.path("project").display()
    );
    let out = Command::new("bash")
        .args(["--noprofile", "--norc", "-c", &script])
        .env_clear()
        .envs(sb.base_env())
        .current_dir(&sb.home)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    // "locked", not "denied": no unlock (which would prompt) was tried.
    assert_eq!(err.matches("is locked").count(), 1, "{err}");
    assert!(!err.contains("denied"), "{err}");
    assert_eq!(idc.counter("get_role_credentials"), 0);
}

#[test]
fn the_hook_reloads_after_a_sign_in_to_the_keyring() {
    let idc = FakeIdc::start(&[]);
    let Some((sb, _ss)) = setup(&idc) else { return };
    if !require_tool("bash") {
        return;
    }
    sb.write(
        "project/.dsops.yaml",
        "version: 1\nsecretStores:\n  sso:\n    type: aws.sso\n    sso_session: my-sso\n    account_id: \"111111111111\"\n    role_name: DeveloperAccess\n\
         envs:\n  e:\n    AWS_ACCESS_KEY_ID:\n      from: {store: sso, key: access_key_id}\n",
    );
    sb.ok(&["allow"]);
    let bin = bin().display().to_string();
    let prompt = "for _c in \"${PROMPT_COMMAND[@]}\"; do eval \"$_c\"; done";
    let out_file = sb.path("key");
    let script = format!(
        "eval \"$('{bin}' hook bash)\"\ncd '{}'\n{prompt}\n{prompt}\n\
         echo \"before=${{AWS_ACCESS_KEY_ID:-}}\" > '{out}'\n\
         '{bin}' login --profile dev 2>/dev/null\n{prompt}\n\
         echo \"after=${{AWS_ACCESS_KEY_ID:-}}\" >> '{out}'\n",
        sb.path("project").display(),
        out = out_file.display()
    );
    let out = Command::new("bash")
        .args(["--noprofile", "--norc", "-c", &script])
        .env_clear()
        .envs(sb.base_env())
        .current_dir(&sb.home)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.matches("sign-in needed").count(), 1, "{err}");
    let got = std::fs::read_to_string(&out_file).unwrap();
    assert!(got.contains("before=\n"), "{got}");
    assert!(
        got.lines()
            .any(|l| l.starts_with("after=") && l.len() > "after=".len()),
        "the sign-in reloaded the set: {got}\n{err}"
    );
}
