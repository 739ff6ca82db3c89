//! The shell hook in real bash, zsh and fish: each test writes a script that
//! evals `dsops hook SHELL`, moves around, runs the prompt hook the way the
//! shell would (bash: each PROMPT_COMMAND entry, zsh: precmd_functions, fish:
//! `emit fish_prompt`; zsh's chpwd and fish's PWD handlers fire on `cd` by
//! themselves) and dumps the exported environment with `env -0` to compare
//! byte for byte. One test drives a real interactive bash through tmux.

use crate::support::{self, Sandbox, Tmux};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Sh {
    Bash,
    Zsh,
    Fish,
}

const ALL: [Sh; 3] = [Sh::Bash, Sh::Zsh, Sh::Fish];

impl Sh {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Sh::Bash => "bash",
            Sh::Zsh => "zsh",
            Sh::Fish => "fish",
        }
    }

    /// Clean shells: no rc files.
    fn clean_args(self) -> &'static [&'static str] {
        match self {
            Sh::Bash => &["--noprofile", "--norc"],
            Sh::Zsh => &["-f"],
            Sh::Fish => &["--no-config"],
        }
    }

    pub(crate) fn quote(self, s: &str) -> String {
        match self {
            Sh::Bash | Sh::Zsh => format!("'{}'", s.replace('\'', "'\\''")),
            Sh::Fish => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
        }
    }
}

/// The shells installed here (all three are required under CI=true).
pub(crate) fn shells() -> Vec<Sh> {
    ALL.into_iter()
        .filter(|s| support::require_tool(s.name()))
        .collect()
}

pub(crate) fn dsops() -> String {
    support::bin().display().to_string()
}

/// A script for one shell, built step by step.
pub(crate) struct Script {
    sh: Sh,
    lines: Vec<String>,
    pub(crate) out: PathBuf,
}

impl Script {
    pub(crate) fn new(sb: &Sandbox, sh: Sh) -> Script {
        let out = sb.path(&format!("out-{}", sh.name()));
        std::fs::create_dir_all(&out).unwrap();
        let mut s = Script {
            sh,
            lines: vec![],
            out,
        };
        s.init();
        s
    }
    pub(crate) fn line(&mut self, l: impl Into<String>) -> &mut Self {
        self.lines.push(l.into());
        self
    }
    fn init(&mut self) -> &mut Self {
        let bin = self.sh.quote(&dsops());
        match self.sh {
            Sh::Bash | Sh::Zsh => self.line(format!("eval \"$({bin} hook {})\"", self.sh.name())),
            Sh::Fish => self.line(format!("{bin} hook fish | source")),
        }
    }
    pub(crate) fn cd(&mut self, dir: &Path) -> &mut Self {
        let q = self.sh.quote(&dir.display().to_string());
        self.line(format!("cd {q}"))
    }
    /// What the shell does before drawing a prompt.
    pub(crate) fn prompt(&mut self) -> &mut Self {
        match self.sh {
            Sh::Bash => self.line("for _c in \"${PROMPT_COMMAND[@]}\"; do eval \"$_c\"; done"),
            Sh::Zsh => self.line("for _f in $precmd_functions; do $_f; done"),
            Sh::Fish => self.line("emit fish_prompt"),
        }
    }
    pub(crate) fn dump(&mut self, tag: &str) -> &mut Self {
        let p = self.sh.quote(&self.out.join(tag).display().to_string());
        self.line(format!("env -0 > {p}"))
    }
    pub(crate) fn dsops(&mut self, args: &str) -> &mut Self {
        let bin = self.sh.quote(&dsops());
        self.line(format!("{bin} {args}"))
    }
    pub(crate) fn export(&mut self, k: &str, v: &str) -> &mut Self {
        let v = self.sh.quote(v);
        match self.sh {
            Sh::Bash | Sh::Zsh => self.line(format!("export {k}={v}")),
            Sh::Fish => self.line(format!("set -gx {k} {v}")),
        }
    }
    pub(crate) fn unset(&mut self, k: &str) -> &mut Self {
        match self.sh {
            Sh::Bash | Sh::Zsh => self.line(format!("unset {k}")),
            Sh::Fish => self.line(format!("set -e {k}")),
        }
    }
    fn cp(&mut self, from: &Path, to: &Path) -> &mut Self {
        let (a, b) = (
            self.sh.quote(&from.display().to_string()),
            self.sh.quote(&to.display().to_string()),
        );
        self.line(format!("cp {a} {b}"))
    }

    pub(crate) fn run(&self, sb: &Sandbox, extra_env: &[(&str, &[u8])]) -> Ran {
        let file = self.out.join(format!("script.{}", self.sh.name()));
        std::fs::write(&file, self.lines.join("\n") + "\n").unwrap();
        let mut cmd = Command::new(self.sh.name());
        cmd.args(self.sh.clean_args())
            .arg(&file)
            .env_clear()
            .envs(sb.base_env())
            .current_dir(&sb.home)
            .stdin(Stdio::null());
        for (k, v) in extra_env {
            use std::os::unix::ffi::OsStrExt;
            cmd.env(k, std::ffi::OsStr::from_bytes(v));
        }
        let start = Instant::now();
        let out = run_bounded(cmd, Duration::from_secs(60));
        Ran {
            sh: self.sh,
            elapsed: start.elapsed(),
            status: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            out: self.out.clone(),
        }
    }
}

fn run_bounded(mut cmd: Command, limit: Duration) -> std::process::Output {
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the shell");
    let id = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            let _ = Command::new("kill").arg(id.to_string()).status();
            panic!("the shell did not finish within {limit:?}");
        }
    }
}

pub(crate) struct Ran {
    sh: Sh,
    elapsed: Duration,
    status: Option<i32>,
    stdout: String,
    pub(crate) stderr: String,
    out: PathBuf,
}

pub(crate) type Env = BTreeMap<Vec<u8>, Vec<u8>>;

impl Ran {
    pub(crate) fn ok(&self) -> &Self {
        assert_eq!(
            self.status,
            Some(0),
            "{:?} failed\nstdout:\n{}\nstderr:\n{}",
            self.sh,
            self.stdout,
            self.stderr
        );
        self
    }
    pub(crate) fn env(&self, tag: &str) -> Env {
        let raw = std::fs::read(self.out.join(tag))
            .unwrap_or_else(|e| panic!("{:?}: no dump {tag}: {e}\n{}", self.sh, self.stderr));
        raw.split(|b| *b == 0)
            .filter(|e| !e.is_empty())
            .map(|e| {
                let eq = e.iter().position(|b| *b == b'=').unwrap();
                (e[..eq].to_vec(), e[eq + 1..].to_vec())
            })
            .collect()
    }
    pub(crate) fn count(&self, needle: &str) -> usize {
        self.stderr.matches(needle).count()
    }
}

pub(crate) fn get<'a>(env: &'a Env, k: &str) -> Option<&'a [u8]> {
    env.get(k.as_bytes()).map(Vec::as_slice)
}

#[track_caller]
pub(crate) fn assert_var(r: &Ran, tag: &str, k: &str, want: Option<&str>) {
    let env = r.env(tag);
    let got = get(&env, k).map(|v| String::from_utf8_lossy(v).into_owned());
    assert_eq!(
        got.as_deref(),
        want,
        "{:?} step {tag}: {k}\nstderr:\n{}",
        r.sh,
        r.stderr
    );
}

fn b64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for c in data.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            s.push(if i <= c.len() {
                T[((n >> (18 - 6 * i)) & 63) as usize] as char
            } else {
                '='
            });
        }
    }
    s
}

/// DSOPS_STATE must not hold any value dsops exported, raw or encoded.
#[track_caller]
fn assert_state_clean(r: &Ran, tag: &str, secrets: &[&str]) {
    let env = r.env(tag);
    let Some(state) = get(&env, "DSOPS_STATE") else {
        return;
    };
    let state = String::from_utf8_lossy(state);
    for s in secrets.iter().filter(|s| s.len() >= 4) {
        assert!(
            !state.contains(*s) && !state.contains(&b64(s.as_bytes())),
            "{:?} step {tag}: DSOPS_STATE holds the exported value {s:?}: {state}",
            r.sh
        );
    }
}

/// The user's prior values of the variables a project shadows must not reach
/// the processes started in the project: not anywhere in their environment,
/// raw or base64 (where version 1 of the state kept them).
#[track_caller]
fn assert_priors_hidden(r: &Ran, tag: &str, priors: &[&[u8]]) {
    let raw = std::fs::read(r.out.join(tag)).unwrap();
    for p in priors {
        let enc = b64(p);
        assert!(
            !contains(&raw, p) && !contains(&raw, enc.as_bytes()),
            "{:?} step {tag}: a prior value is visible in the environment of a process in the project",
            r.sh
        );
    }
}

pub(crate) fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

pub(crate) fn write_exec_store(sb: &Sandbox, name: &str, body: &str) -> PathBuf {
    let p = sb.write(&format!("bin/{name}"), &format!("#!/bin/sh\n{body}\n"));
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

pub(crate) fn allow(sb: &Sandbox, cfg: &Path) {
    sb.cmd().arg("allow").arg(cfg).assert().success();
}

const EXISTING_PRIOR: &str = "prior 'value'\nwith \"quotes\" $(no) `no`";

fn project_config(secret_cmd: &Path, edited: bool) -> String {
    let local = if edited {
        "    FOO: foo-edited-3b9c\n    NEWVAR: new-var-8e1d\n    TOKEN:\n      from: {store: cmd, key: tok2}\n"
    } else {
        "    FOO: foo-local-7f3a\n    EXISTING: existing-from-dsops-91b2\n    TOKEN:\n      from: {store: cmd, key: tok}\n"
    };
    format!(
        "version: 1\ndefaultEnv: local\nsecretStores:\n  cmd:\n    type: exec\n    command: [\"{}\"]\n\
         envs:\n  local:\n{local}  prod:\n    FOO: foo-prod-5c2e\n    PRODONLY: prod-only-0d4e\n",
        secret_cmd.display()
    )
}

const SECRETS: &[&str] = &[
    "foo-local-7f3a",
    "existing-from-dsops-91b2",
    "secret-tok-6a1f",
    "foo-edited-3b9c",
    "new-var-8e1d",
    "secret-tok2-6a1f",
    "foo-prod-5c2e",
    "prod-only-0d4e",
];

#[test]
fn enter_edit_switch_and_leave() {
    for sh in shells() {
        let sb = Sandbox::new();
        let secret = write_exec_store(&sb, "secret", "printf 'secret-%s-6a1f' \"$1\"");
        let cfg = sb.write("project/.dsops.yaml", &project_config(&secret, false));
        let v2 = sb.write("v2.yaml", &project_config(&secret, true));
        std::fs::create_dir_all(sb.path("project/sub")).unwrap();
        allow(&sb, &cfg);
        let mut s = Script::new(&sb, sh);
        s.export("EXISTING", EXISTING_PRIOR)
            .prompt()
            .dump("before")
            .cd(&sb.path("project"))
            .prompt()
            .dump("in");
        // Nothing changed: hook-env itself prints no export or unset line.
        let noop = s.out.join("noop");
        let noop_q = sh.quote(&noop.display().to_string());
        s.dsops(&format!("hook-env {} > {noop_q}", sh.name()))
            .cd(&sb.path("project/sub"))
            .prompt()
            .dump("sub")
            .cp(&v2, &cfg)
            .prompt()
            .dump("edited-not-allowed")
            .dsops("allow")
            .prompt()
            .dump("edited")
            .export("DSOPS_ENV", "prod")
            .prompt()
            .dump("prod")
            .unset("DSOPS_ENV")
            .prompt()
            .dump("local-again")
            .cd(&sb.home)
            .prompt()
            .dump("out");
        let r = s.run(&sb, &[]);
        r.ok();

        assert_var(&r, "before", "EXISTING", Some(EXISTING_PRIOR));
        assert_var(&r, "before", "DSOPS_STATE", None);
        for tag in ["in", "sub"] {
            assert_var(&r, tag, "FOO", Some("foo-local-7f3a"));
            assert_var(&r, tag, "EXISTING", Some("existing-from-dsops-91b2"));
            assert_var(&r, tag, "TOKEN", Some("secret-tok-6a1f"));
        }
        let noop = std::fs::read_to_string(&noop).unwrap();
        assert!(
            !noop.contains("export") && !noop.contains("unset") && !noop.contains("-gx"),
            "{sh:?}: hook-env with nothing changed printed: {noop}"
        );
        // Edited but not allowed again: nothing loaded, the prior is back.
        assert_var(&r, "edited-not-allowed", "FOO", None);
        assert_var(&r, "edited-not-allowed", "TOKEN", None);
        assert_var(&r, "edited-not-allowed", "EXISTING", Some(EXISTING_PRIOR));
        assert_var(&r, "edited", "FOO", Some("foo-edited-3b9c"));
        assert_var(&r, "edited", "NEWVAR", Some("new-var-8e1d"));
        assert_var(&r, "edited", "TOKEN", Some("secret-tok2-6a1f"));
        assert_var(&r, "edited", "EXISTING", Some(EXISTING_PRIOR));
        assert_var(&r, "prod", "FOO", Some("foo-prod-5c2e"));
        assert_var(&r, "prod", "PRODONLY", Some("prod-only-0d4e"));
        assert_var(&r, "prod", "NEWVAR", None);
        assert_var(&r, "prod", "TOKEN", None);
        assert_var(&r, "local-again", "FOO", Some("foo-edited-3b9c"));
        assert_var(&r, "local-again", "PRODONLY", None);
        for k in ["FOO", "TOKEN", "NEWVAR", "PRODONLY", "DSOPS_STATE"] {
            assert_var(&r, "out", k, None);
        }
        assert_var(&r, "out", "EXISTING", Some(EXISTING_PRIOR));
        for tag in ["in", "sub", "edited", "prod", "local-again", "out"] {
            assert_state_clean(&r, tag, SECRETS);
        }
        for tag in ["in", "sub"] {
            assert_priors_hidden(&r, tag, &[EXISTING_PRIOR.as_bytes()]);
        }
        assert!(
            r.stderr.contains("dsops: loading .dsops.yaml (env local)"),
            "{sh:?}: {}",
            r.stderr
        );
        assert!(r.stderr.contains("(env prod)"), "{sh:?}: {}", r.stderr);
        assert!(
            r.stderr.contains("+FOO") && r.stderr.contains("+TOKEN"),
            "{sh:?}: {}",
            r.stderr
        );
        assert!(
            r.stderr.contains("dsops: unloading"),
            "{sh:?}: {}",
            r.stderr
        );
        assert_eq!(
            r.count("changed since it was allowed"),
            1,
            "{sh:?}: {}",
            r.stderr
        );
    }
}

#[test]
fn untrusted_config_loads_nothing_and_says_allow_once() {
    for sh in shells() {
        let sb = Sandbox::new();
        sb.write(
            "project/.dsops.yaml",
            "version: 1\nenvs:\n  only:\n    FOO: untrusted-foo-4c1d\n",
        );
        std::fs::create_dir_all(sb.path("project/sub")).unwrap();
        let mut s = Script::new(&sb, sh);
        s.cd(&sb.path("project"))
            .prompt()
            .prompt()
            .cd(&sb.path("project/sub"))
            .prompt()
            .prompt()
            .dump("untrusted")
            .dsops("allow")
            .prompt()
            .dump("allowed")
            .dsops("deny")
            .prompt()
            .prompt()
            .dump("denied");
        let r = s.run(&sb, &[]);
        r.ok();
        assert_var(&r, "untrusted", "FOO", None);
        assert_var(&r, "allowed", "FOO", Some("untrusted-foo-4c1d"));
        assert_var(&r, "denied", "FOO", None);
        assert_eq!(r.count("is not trusted yet"), 1, "{sh:?}: {}", r.stderr);
        assert_eq!(r.count("is denied"), 1, "{sh:?}: {}", r.stderr);
        // The denied file's one line names the command without nagging.
        assert_eq!(r.count("run 'dsops allow"), 1, "{sh:?}: {}", r.stderr);
        // The only env set is picked without DSOPS_ENV.
        assert!(r.stderr.contains("(env only)"), "{sh:?}: {}", r.stderr);
    }
}

#[test]
fn no_env_chosen_says_how_once() {
    for sh in shells() {
        let sb = Sandbox::new();
        let cfg = sb.write(
            "project/.dsops.yaml",
            "version: 1\nenvs:\n  dev:\n    FOO: dev-foo-1a2b\n  prod:\n    FOO: prod-foo-3c4d\n",
        );
        allow(&sb, &cfg);
        let mut s = Script::new(&sb, sh);
        s.cd(&sb.path("project"))
            .prompt()
            .prompt()
            .dump("none")
            .export("DSOPS_ENV", "dev")
            .prompt()
            .dump("dev");
        let r = s.run(&sb, &[]);
        r.ok();
        assert_var(&r, "none", "FOO", None);
        assert_var(&r, "dev", "FOO", Some("dev-foo-1a2b"));
        assert_eq!(r.count("no defaultEnv"), 1, "{sh:?}: {}", r.stderr);
        assert!(r.stderr.contains("DSOPS_ENV"), "{sh:?}: {}", r.stderr);
    }
}

/// Values no quoting mistake survives. `marker` is a file that exists only if
/// a value was executed.
fn hostile_values(marker: &Path) -> Vec<(String, String)> {
    let m = marker.display();
    let mut big = String::new();
    let unit = "It's \"big\" $(x) `y` \\n\\ %s ! \t é ✓\n";
    while big.len() < 64 * 1024 {
        big.push_str(unit);
    }
    big.truncate(64 * 1024);
    let controls: String = (1u8..32).chain([127]).map(char::from).collect();
    let vals = vec![
        "it's \"both\" quotes".to_string(),
        "line1\nline2\n".to_string(),
        "\n".to_string(),
        format!("$(touch {m})"),
        format!("`touch {m}`"),
        format!("; touch {m}; '\"; touch {m}"),
        "back\\slash \\\\ \\n \\' \\".to_string(),
        "100% %s %d %% %(%s)T".to_string(),
        "!! !$ !-1 ! history".to_string(),
        "\ttab\tinside\t".to_string(),
        "ünïcødé ✓ 🎉 日本".to_string(),
        "-n".to_string(),
        "--".to_string(),
        "-e -- leading dashes".to_string(),
        String::new(),
        "  spaces  ".to_string(),
        "* ? [a] ~ ${HOME} $HOME {a,b} (echo x) $status".to_string(),
        "\r\n crlf \x1f sep".to_string(),
        controls,
        big,
    ];
    vals.into_iter()
        .enumerate()
        .map(|(i, v)| (format!("HOSTILE_{i}"), v))
        .collect()
}

/// A YAML double-quoted scalar; control characters escaped (YAML forbids
/// them raw), and `${` written `$${` (a literal value expands `${VAR}`).
pub(crate) fn yaml_str(v: &str) -> String {
    let mut s = String::from("\"");
    for c in v.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                s.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => s.push(c),
        }
    }
    s.push('"');
    s.replace("${", "$${")
}

#[test]
fn hostile_values_round_trip_byte_for_byte() {
    for sh in shells() {
        let sb = Sandbox::new();
        let marker = sb.path("PWNED");
        let vals = hostile_values(&marker);
        let mut yaml = String::from("version: 1\nenvs:\n  x:\n");
        for (k, v) in &vals {
            yaml.push_str(&format!("    {k}: {}\n", yaml_str(v)));
        }
        // Two names with prior values of their own, hostile too (one not UTF-8).
        yaml.push_str("    PRIOR_A: dsops-a-77e1\n    PRIOR_B: dsops-b-0f9c\n");
        let cfg = sb.write("project/.dsops.yaml", &yaml);
        allow(&sb, &cfg);
        let prior_a: &[u8] = b"prior A: it's \"x\"\n$(no) `no` \\ %";
        let prior_b: &[u8] = b"latin-1 \xe9t\xe9 \xff";
        let mut s = Script::new(&sb, sh);
        s.cd(&sb.path("project"))
            .prompt()
            .dump("in")
            .cd(&sb.home)
            .prompt()
            .dump("out");
        let r = s.run(&sb, &[("PRIOR_A", prior_a), ("PRIOR_B", prior_b)]);
        r.ok();
        let env_in = r.env("in");
        let env_out = r.env("out");
        for (k, v) in &vals {
            assert_eq!(
                get(&env_in, k),
                Some(v.as_bytes()),
                "{sh:?}: {k} did not arrive unchanged ({} bytes)",
                v.len()
            );
            assert_eq!(get(&env_out, k), None, "{sh:?}: {k} left behind");
        }
        assert_eq!(get(&env_in, "PRIOR_A"), Some(&b"dsops-a-77e1"[..]));
        assert_eq!(get(&env_out, "PRIOR_A"), Some(prior_a), "{sh:?}");
        assert_eq!(get(&env_out, "PRIOR_B"), Some(prior_b), "{sh:?}");
        assert!(!marker.exists(), "{sh:?}: a value was executed");
        let secrets: Vec<&str> = vals
            .iter()
            .map(|(_, v)| v.as_str())
            .filter(|v| v.trim().len() >= 8)
            .chain(["dsops-a-77e1", "dsops-b-0f9c"])
            .collect();
        assert_state_clean(&r, "in", &secrets);
        assert_priors_hidden(&r, "in", &[prior_a, prior_b]);
    }
}

pub(crate) fn backdate(p: &Path) {
    let t = std::time::SystemTime::now() - Duration::from_secs(10);
    std::fs::File::options()
        .write(true)
        .open(p)
        .unwrap()
        .set_modified(t)
        .unwrap();
}

/// The no-op prompt starts no process at all; each kind of change starts
/// exactly one `dsops hook-env`.
#[test]
fn no_op_prompt_starts_no_process() {
    for sh in shells() {
        let sb = Sandbox::new();
        let cfg = sb.write(
            "project/.dsops.yaml",
            "version: 1\ndefaultEnv: e\nenvs:\n  e:\n    NOOP: noop-1f2e\n  f:\n    NOOP: noop-f-3d4c\n",
        );
        std::fs::create_dir_all(sb.path("project/sub")).unwrap();
        allow(&sb, &cfg);
        // Files changed within the stamp's one-second margin before a load
        // make the hook ask once more; these are older.
        backdate(&cfg);
        for e in std::fs::read_dir(sb.path(".local/share/dsops/trust")).unwrap() {
            backdate(&e.unwrap().path());
        }
        let log = sb.path("calls.log");
        let wrapper = write_exec_store(
            &sb,
            "counting-dsops",
            &format!(
                "echo call >> '{}'\nexec '{}' \"$@\"",
                log.display(),
                dsops()
            ),
        );
        let mark = |s: &mut Script, m: &str| {
            s.line(format!("echo {m} >> '{}'", log.display()));
        };
        let mut s = Script::new(&sb, sh);
        s.cd(&sb.path("project/sub")).prompt().dump("loaded");
        let wrapper_q = sh.quote(&wrapper.display().to_string());
        match sh {
            Sh::Fish => s.line(format!("set -g _dsops_bin {wrapper_q}")),
            _ => s.line(format!("_dsops_bin={wrapper_q}")),
        };
        s.prompt().prompt().prompt();
        mark(&mut s, "unchanged");
        s.line("echo 'version: 1' > .dsops.yaml")
            .line("touch -d '10 seconds ago' .dsops.yaml")
            .prompt()
            .prompt();
        mark(&mut s, "nearer-config");
        s.line("rm .dsops.yaml").prompt().prompt();
        mark(&mut s, "removed");
        s.prompt().prompt();
        mark(&mut s, "unchanged-again");
        s.export("DSOPS_ENV", "f").prompt().prompt().dump("f");
        mark(&mut s, "env");
        s.cd(&sb.path("project")).prompt().prompt();
        mark(&mut s, "cd");
        let r = s.run(&sb, &[]);
        r.ok();
        assert_var(&r, "loaded", "NOOP", Some("noop-1f2e"));
        assert_var(&r, "f", "NOOP", Some("noop-f-3d4c"));
        let calls = std::fs::read_to_string(&log).unwrap();
        assert_eq!(
            calls.lines().collect::<Vec<_>>(),
            [
                "unchanged",
                "call",
                "nearer-config",
                "call",
                "removed",
                "unchanged-again",
                "call",
                "env",
                "call",
                "cd"
            ],
            "{sh:?}: {}",
            r.stderr
        );
    }
}

#[test]
fn rendered_scripts_run_clean_and_install_once() {
    for sh in shells() {
        let sb = Sandbox::new();
        let rendered = sb.cmd().args(["hook", sh.name()]).output().unwrap();
        assert!(rendered.status.success());
        let script = String::from_utf8(rendered.stdout).unwrap();
        assert!(
            script.contains(&dsops()),
            "{sh:?}: the binary's path is filled in"
        );
        // Strict clean shell: the script, then the hook in a directory
        // without a config, print nothing.
        let (strict, call): (&[&str], &str) = match sh {
            Sh::Bash => (&["--noprofile", "--norc", "-eu", "-c"], "_dsops_hook"),
            Sh::Zsh => (&["-f", "-eu", "-c"], "_dsops_hook"),
            Sh::Fish => (&["--no-config", "-c"], "emit fish_prompt"),
        };
        let code = format!("{script}\n{call}\n{call}\n");
        let out = Command::new(sh.name())
            .args(strict)
            .arg(&code)
            .env_clear()
            .envs(sb.base_env())
            .current_dir(&sb.home)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{sh:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout), "", "{sh:?}");
        assert_eq!(String::from_utf8_lossy(&out.stderr), "", "{sh:?}");

        // Installed twice: hooked once. The hook keeps `$?`, both when it
        // asks dsops (the first call) and when it does not.
        let mut s = Script::new(&sb, sh);
        s.init();
        let count = match sh {
            Sh::Bash => "printf '%s\\n' \"${PROMPT_COMMAND[@]}\" | grep -c _dsops_hook",
            Sh::Zsh => {
                "print -l $precmd_functions | grep -c _dsops_hook; print -l $chpwd_functions | grep -c _dsops_hook"
            }
            Sh::Fish => "functions --handlers | grep -c _dsops_hook",
        };
        s.line(count);
        let status = match sh {
            Sh::Fish => "false; _dsops_hook; echo status=$status",
            _ => "false; _dsops_hook; echo status=$?",
        };
        s.line(status).line(status);
        let r = s.run(&sb, &[]);
        r.ok();
        let want = match sh {
            Sh::Bash => "1\n",
            Sh::Zsh => "1\n1\n",
            // The prompt event and PWD.
            Sh::Fish => "2\n",
        };
        assert_eq!(
            r.stdout,
            format!("{want}status=1\nstatus=1\n"),
            "{sh:?}: {}",
            r.stderr
        );
    }
}

#[test]
fn bash_prompt_command_string_and_array_forms() {
    if !support::require_tool("bash") {
        return;
    }
    let sb = Sandbox::new();
    let cfg = sb.write(
        "project/.dsops.yaml",
        "version: 1\nenvs:\n  e:\n    FOO: pc-foo-9d1e\n",
    );
    allow(&sb, &cfg);
    for (setup, check) in [
        (
            "PROMPT_COMMAND='echo old-string'",
            "[[ $PROMPT_COMMAND == _dsops_hook$'\\n'\"echo old-string\" ]] && echo form-ok",
        ),
        (
            "PROMPT_COMMAND=('echo one' 'echo two')",
            "[[ ${#PROMPT_COMMAND[@]} == 3 && ${PROMPT_COMMAND[0]} == _dsops_hook && ${PROMPT_COMMAND[2]} == 'echo two' ]] && echo form-ok",
        ),
    ] {
        let mut s = Script::new(&sb, Sh::Bash);
        s.lines.clear();
        s.line(setup)
            .init()
            .init()
            .line(check)
            .cd(&sb.path("project"))
            .prompt()
            .dump("in");
        let r = s.run(&sb, &[]);
        r.ok();
        assert!(r.stdout.contains("form-ok"), "{setup}: {}", r.stdout);
        assert_var(&r, "in", "FOO", Some("pc-foo-9d1e"));
    }
}

#[test]
fn shellcheck_and_syntax_checks_pass() {
    let sb = Sandbox::new();
    let render = |sh: &str| {
        let out = sb.cmd().args(["hook", sh]).output().unwrap();
        assert!(out.status.success());
        out.stdout
    };
    if support::require_tool("shellcheck") {
        for (sh, flavour) in [("bash", "bash"), ("zsh", "bash")] {
            let mut child = Command::new("shellcheck")
                .args(["--shell", flavour, "-"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            use std::io::Write;
            child.stdin.take().unwrap().write_all(&render(sh)).unwrap();
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "shellcheck on the {sh} script:\n{}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
    }
    for (sh, args) in [
        ("bash", &["-n"][..]),
        ("zsh", &["-n"][..]),
        ("fish", &["--no-execute"][..]),
    ] {
        if !support::require_tool(sh) {
            continue;
        }
        let p = sb.path(&format!("rendered.{sh}"));
        std::fs::write(&p, render(sh)).unwrap();
        let out = Command::new(sh).args(args).arg(&p).output().unwrap();
        assert!(
            out.status.success(),
            "{sh} -n: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn hanging_store_is_bounded_shown_once_and_not_retried() {
    for sh in shells() {
        let sb = Sandbox::new();
        let log = sb.path("hang.log");
        let hang = write_exec_store(
            &sb,
            "hang",
            &format!("echo started >> '{}'\nexec sleep 30", log.display()),
        );
        let cfg = sb.write(
            "project/.dsops.yaml",
            &format!(
                "version: 1\nsecretStores:\n  slow:\n    type: exec\n    command: [\"{}\"]\n\
                 envs:\n  e:\n    PLAIN: plain-5e6f\n    SLOW:\n      from: {{store: slow, key: k}}\n",
                hang.display()
            ),
        );
        allow(&sb, &cfg);
        let mut s = Script::new(&sb, sh);
        s.export("DSOPS_HOOK_TIMEOUT", "1")
            .cd(&sb.path("project"))
            .prompt()
            .prompt()
            .prompt()
            .dump("failed");
        let r = s.run(&sb, &[]);
        r.ok();
        // Nothing half applied: the literal of the same set is not there either.
        assert_var(&r, "failed", "PLAIN", None);
        assert_var(&r, "failed", "SLOW", None);
        let starts = std::fs::read_to_string(&log).unwrap().lines().count();
        assert_eq!(starts, 1, "{sh:?}: the store was retried: {}", r.stderr);
        assert_eq!(r.count("did not finish within"), 1, "{sh:?}: {}", r.stderr);
        assert!(
            r.elapsed < Duration::from_secs(6),
            "{sh:?}: took {:?}",
            r.elapsed
        );
    }
}

#[test]
fn store_failure_retried_after_a_change() {
    let Some(sh) = shells().first().copied() else {
        return;
    };
    let sb = Sandbox::new();
    let log = sb.path("fail.log");
    let fail = write_exec_store(
        &sb,
        "fail",
        &format!(
            "echo called >> '{}'\necho 'vault is sealed' >&2\nexit 3",
            log.display()
        ),
    );
    let cfg = sb.write(
        "project/.dsops.yaml",
        &format!(
            "version: 1\nsecretStores:\n  s:\n    type: exec\n    command: [\"{}\"]\n\
             envs:\n  e:\n    X:\n      from: {{store: s, key: k}}\n",
            fail.display()
        ),
    );
    allow(&sb, &cfg);
    let mut s = Script::new(&sb, sh);
    s.cd(&sb.path("project"))
        .prompt()
        .prompt()
        .cd(&sb.home)
        .prompt()
        .cd(&sb.path("project"))
        .prompt();
    let r = s.run(&sb, &[]);
    r.ok();
    let calls = std::fs::read_to_string(&log).unwrap().lines().count();
    assert_eq!(calls, 2, "{}", r.stderr);
    assert!(r.stderr.contains("vault is sealed"), "{}", r.stderr);
}

/// Role credentials from the shared cache, refreshed when the state says
/// they are due, and a sign-in that is needed: said once, the affected
/// variables left out, and signing in (the token file appearing) reloads.
#[test]
fn sso_credentials_refresh_and_sign_in_needed() {
    if !support::require_tool("bash") {
        return;
    }
    let sb = Sandbox::new();
    sb.write(
        ".aws/config",
        "[sso-session my-sso]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n",
    );
    let cfg = sb.write(
        "project/.dsops.yaml",
        "version: 1\nsecretStores:\n  sso:\n    type: aws.sso\n    sso_session: my-sso\n    account_id: \"123456789012\"\n    role_name: AdministratorAccess\n\
         envs:\n  e:\n    AWS_ACCESS_KEY_ID:\n      from: {store: sso, key: access_key_id}\n    PLAIN: plain-sso-2b3c\n",
    );
    allow(&sb, &cfg);
    // Check vector from the spec: account 123456789012, role
    // AdministratorAccess, session my-sso.
    let role_cache = sb.path(".aws/cli/cache/c61222fe4c86bb5d3638873744d4cab00a0bf176.json");
    let token = sb.path(".aws/sso/cache/0ad374308c5a4e22f723adf10145eafad7c4031c.json");
    let creds = |key: &str, secs: i64| {
        let exp = time::OffsetDateTime::now_utc() + time::Duration::seconds(secs);
        let exp = exp
            .replace_nanosecond(0)
            .unwrap()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap();
        (
            exp.clone(),
            format!(
                "{{\"ProviderType\":\"sso\",\"Credentials\":{{\"AccessKeyId\":\"{key}\",\"SecretAccessKey\":\"sk\",\"SessionToken\":\"st\",\"Expiration\":\"{exp}\",\"AccountId\":\"123456789012\"}}}}"
            ),
        )
    };
    let (exp1, first) = creds("AKIAFIRST0001", 7200);
    let (_, second) = creds("AKIASECOND002", 10800);
    std::fs::create_dir_all(role_cache.parent().unwrap()).unwrap();
    std::fs::write(&role_cache, first).unwrap();
    let second_file = sb.write("second.json", &second);
    let token_src = sb.write(
        "token.json",
        &format!(
            "{{\"startUrl\":\"https://example.awsapps.com/start\",\"region\":\"us-east-1\",\"accessToken\":\"tok\",\"expiresAt\":\"{}\"}}",
            creds("x", 7200).0
        ),
    );
    let exp1 = time::OffsetDateTime::parse(&exp1, &time::format_description::well_known::Rfc3339)
        .unwrap()
        .unix_timestamp();
    // The state says when to refresh; make it due now (as if two hours passed).
    let due = "export DSOPS_STATE=\"$(printf %s \"$DSOPS_STATE\" | sed -E 's/\"refresh\":[0-9]+/\"refresh\":1/')\"";
    let mut s = Script::new(&sb, Sh::Bash);
    s.cd(&sb.path("project"))
        .prompt()
        .dump("first")
        .line(format!(
            "echo \"refresh=$_dsops_refresh\" > '{}'",
            sb.path("refresh").display()
        ))
        .cp(&second_file, &role_cache)
        .line(due)
        .prompt()
        .dump("second")
        .line(format!("rm '{}'", role_cache.display()))
        .line(due)
        .prompt()
        .prompt()
        .dump("signin")
        .cp(&token_src, &token)
        .cp(&second_file, &role_cache)
        .prompt()
        .dump("after-login");
    let r = s.run(&sb, &[]);
    r.ok();
    assert_var(&r, "first", "AWS_ACCESS_KEY_ID", Some("AKIAFIRST0001"));
    let refresh = std::fs::read_to_string(sb.path("refresh")).unwrap();
    assert_eq!(refresh.trim(), format!("refresh={}", exp1 - 600));
    assert_var(&r, "second", "AWS_ACCESS_KEY_ID", Some("AKIASECOND002"));
    assert!(r.stderr.contains("~AWS_ACCESS_KEY_ID"), "{}", r.stderr);
    assert_var(&r, "signin", "AWS_ACCESS_KEY_ID", None);
    assert_var(&r, "signin", "PLAIN", Some("plain-sso-2b3c"));
    assert_eq!(r.count("sign-in needed"), 1, "{}", r.stderr);
    assert!(r.stderr.contains("dsops login --store sso"), "{}", r.stderr);
    assert_var(
        &r,
        "after-login",
        "AWS_ACCESS_KEY_ID",
        Some("AKIASECOND002"),
    );
    assert_state_clean(&r, "first", &["AKIAFIRST0001"]);
    assert_state_clean(&r, "after-login", &["AKIASECOND002"]);
}

#[test]
fn quiet_silences_status_but_not_errors() {
    let Some(sh) = shells().first().copied() else {
        return;
    };
    let sb = Sandbox::new();
    let cfg = sb.write(
        "project/.dsops.yaml",
        "version: 1\nenvs:\n  e:\n    Q: quiet-7a8b\n",
    );
    allow(&sb, &cfg);
    sb.write(
        "other/.dsops.yaml",
        "version: 1\nenvs:\n  e:\n    Q: other\n",
    );
    let mut s = Script::new(&sb, sh);
    s.export("DSOPS_QUIET", "1")
        .cd(&sb.path("project"))
        .prompt()
        .dump("in")
        .cd(&sb.path("other"))
        .prompt();
    let r = s.run(&sb, &[]);
    r.ok();
    assert_var(&r, "in", "Q", Some("quiet-7a8b"));
    assert!(!r.stderr.contains("loading"), "{}", r.stderr);
    assert!(!r.stderr.contains("+Q"), "{}", r.stderr);
    assert!(r.stderr.contains("dsops allow"), "{}", r.stderr);
}

/// Refusals fail the whole set, said once: a name dsops reserves, a value
/// with a NUL byte.
#[test]
fn refuses_reserved_names_and_nul_values() {
    if !support::require_tool("bash") {
        return;
    }
    let sb = Sandbox::new();
    let nul = write_exec_store(&sb, "nul", "printf 'a\\000b'");
    let projects = [
        (
            "reserved",
            "    DSOPS_STATE: evil\n    OK1: ok-1\n".to_string(),
        ),
        (
            "nul",
            "    OK2: ok-2\n    N:\n      from: {store: n, key: k}\n".to_string(),
        ),
    ];
    let mut s = Script::new(&sb, Sh::Bash);
    for (name, vars) in &projects {
        let cfg = sb.write(
            &format!("{name}/.dsops.yaml"),
            &format!(
                "version: 1\nsecretStores:\n  n:\n    type: exec\n    command: [\"{}\"]\nenvs:\n  e:\n{vars}",
                nul.display()
            ),
        );
        allow(&sb, &cfg);
        s.cd(&sb.path(name)).prompt().prompt().dump(name);
    }
    let r = s.run(&sb, &[]);
    r.ok();
    for (tag, k) in [("reserved", "OK1"), ("nul", "OK2")] {
        assert_var(&r, tag, k, None);
    }
    assert_eq!(
        r.count("refusing to export DSOPS_STATE: reserved by dsops"),
        1,
        "{}",
        r.stderr
    );
    assert_eq!(
        r.count("refusing to export N: the value contains a NUL"),
        1,
        "{}",
        r.stderr
    );
}

#[test]
fn hook_usage_errors() {
    let sb = Sandbox::new();
    sb.cmd().args(["hook", "tcsh"]).assert().code(2);
    sb.cmd().args(["hook"]).assert().code(2);
    sb.cmd().args(["hook-env"]).assert().code(2);
}

fn wait_for(what: &str, limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    eprintln!("timed out waiting for {what}");
    false
}

/// Real interactive shells in tmux: the prompt hook fires on its own (a
/// DSOPS_ENV change, which only the prompt hook sees, switches the set), and
/// Ctrl-C on a hanging store gives the prompt back without a retry at the
/// next prompts.
#[test]
fn interactive_prompt_fires_and_ctrl_c_works() {
    if !support::require_tool("tmux") {
        return;
    }
    for sh in shells() {
        interactive(sh);
    }
}

fn interactive(sh: Sh) {
    let sb = Sandbox::new();
    let cfg = sb.write(
        "project/.dsops.yaml",
        "version: 1\ndefaultEnv: e\nenvs:\n  e:\n    TMUX_FOO: tmux-foo-6c7d\n  f:\n    TMUX_FOO: tmux-foo-f-2a9b\n",
    );
    allow(&sb, &cfg);
    let log = sb.path("hang.log");
    let hang = write_exec_store(
        &sb,
        "hang",
        &format!("echo started >> '{}'\nexec sleep 60", log.display()),
    );
    let hcfg = sb.write(
        "hang/.dsops.yaml",
        &format!(
            "version: 1\nsecretStores:\n  slow:\n    type: exec\n    command: [\"{}\"]\n\
             envs:\n  e:\n    SLOW:\n      from: {{store: slow, key: k}}\n",
            hang.display()
        ),
    );
    allow(&sb, &hcfg);
    let init = match sh {
        Sh::Bash | Sh::Zsh => format!("eval \"$('{}' hook {})\"", dsops(), sh.name()),
        Sh::Fish => format!("'{}' hook fish | source", dsops()),
    };
    let start = match sh {
        Sh::Bash => {
            let rc = sb.write("rc.bash", &format!("PS1='$ '\n{init}\n"));
            format!("bash --noprofile --rcfile '{}' -i", rc.display())
        }
        Sh::Zsh => "zsh -f -i".to_string(),
        Sh::Fish => "fish --no-config -i".to_string(),
    };
    let t = Tmux::start(&sb, &[&format!("env DSOPS_HOOK_TIMEOUT=60 {start}")]);
    let seen = |tag: &str| sb.path(&format!("seen-{tag}"));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        if sh != Sh::Bash {
            t.keys(&[&init, "Enter"]);
        }
        let check = |tag: &str, want: &str| {
            let p = seen(tag);
            t.keys(&[
                &format!("printf %s \"$TMUX_FOO\" > '{}'", p.display()),
                "Enter",
            ]);
            assert!(
                wait_for(tag, Duration::from_secs(10), || {
                    std::fs::read_to_string(&p).is_ok_and(|s| s == want)
                }),
                "{sh:?} {tag}: {:?}\n{}",
                std::fs::read_to_string(&p),
                t.pane()
            );
        };
        t.keys(&[&format!("cd '{}'", sb.path("project").display()), "Enter"]);
        check("entered", "tmux-foo-6c7d");
        let set_env = match sh {
            Sh::Fish => "set -gx DSOPS_ENV f",
            _ => "export DSOPS_ENV=f",
        };
        t.keys(&[set_env, "Enter"]);
        check("switched", "tmux-foo-f-2a9b");
        let unset_env = match sh {
            Sh::Fish => "set -e DSOPS_ENV",
            _ => "unset DSOPS_ENV",
        };
        t.keys(&[unset_env, "Enter"]);
        check("switched-back", "tmux-foo-6c7d");

        // A hanging store: Ctrl-C gives the prompt back.
        t.keys(&[&format!("cd '{}'", sb.path("hang").display()), "Enter"]);
        assert!(
            wait_for("the store to start", Duration::from_secs(10), || log
                .exists()),
            "{sh:?}: {}",
            t.pane()
        );
        t.keys(&["C-c"]);
        let alive = sb.path("alive");
        t.keys(&[&format!("echo yes > '{}'", alive.display()), "Enter"]);
        assert!(
            wait_for("the shell after Ctrl-C", Duration::from_secs(5), || alive
                .exists()),
            "{sh:?}: the shell did not come back after Ctrl-C: {}",
            t.pane()
        );
        // More prompts in the same place: no new attempt.
        t.keys(&["", "Enter"]);
        let alive2 = sb.path("alive2");
        t.keys(&[&format!("echo yes > '{}'", alive2.display()), "Enter"]);
        assert!(
            wait_for("another prompt", Duration::from_secs(5), || alive2.exists()),
            "{sh:?}: {}",
            t.pane()
        );
        let starts = std::fs::read_to_string(&log).unwrap().lines().count();
        assert_eq!(starts, 1, "{sh:?}: retried after Ctrl-C: {}", t.pane());
        // The interrupted run applied nothing; the next change runs again
        // and unloads the project left behind.
        t.keys(&[&format!("cd '{}'", sb.home.display()), "Enter"]);
        let env = sb.path("env-after");
        t.keys(&[&format!("env > '{}'", env.display()), "Enter"]);
        assert!(
            wait_for("unloaded", Duration::from_secs(5), || {
                std::fs::read_to_string(&env)
                    .is_ok_and(|s| s.contains("HOME=") && !s.contains("TMUX_FOO="))
            }),
            "{sh:?}: {}",
            t.pane()
        );
    }));
    drop(t);
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}

// ---------------------------------------------------------------------------
// Names a shell treats specially, half-applied evals, prior values.

/// The variables `sh` itself reports as read-only (valid names only). zsh
/// loads every module it ships first (the hook loads zsh/datetime; users
/// load others); fish marks them in `set --show`.
fn read_only_names(sb: &Sandbox, sh: Sh) -> Vec<String> {
    let (args, code): (&[&str], &str) = match sh {
        Sh::Bash => (&["--noprofile", "--norc", "-c"], "readonly -p"),
        Sh::Zsh => (
            &["-f", "-c"],
            "for d in $module_path; do for f in $d/zsh/**/*.so(N); do m=${f#$d/}; zmodload ${m%.so}; done; done >/dev/null 2>&1; typeset +r",
        ),
        Sh::Fish => (
            &["--no-config", "-c"],
            "for v in (set -n); set --show $v | string match -q -r -- '^\\$'$v': .*\\(read-only\\)'; and echo $v; end",
        ),
    };
    let out = Command::new(sh.name())
        .args(args)
        .arg(code)
        .env_clear()
        .envs(sb.base_env())
        .current_dir(&sb.home)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{sh:?}: {out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    let names = text.lines().filter_map(|l| match sh {
        // declare -ir UID="0"
        Sh::Bash => l
            .strip_prefix("declare -")
            .and_then(|rest| rest.split_whitespace().nth(1))
            .map(|n| n.split('=').next().unwrap_or_default()),
        _ => Some(l.trim()),
    });
    let valid = |n: &str| {
        let mut c = n.chars();
        matches!(c.next(), Some(f) if f == '_' || f.is_ascii_alphabetic())
            && c.all(|c| c == '_' || c.is_ascii_alphanumeric())
    };
    names.filter(|n| valid(n)).map(str::to_string).collect()
}

/// Ask each installed shell for its read-only variables: dsops refuses every
/// one of them for that shell (checked through `export --format shell`,
/// which uses the hook's lists).
#[test]
fn each_shells_read_only_names_are_refused_for_it() {
    for sh in shells() {
        let sb = Sandbox::new();
        let names = read_only_names(&sb, sh);
        let must: &[&str] = match sh {
            Sh::Bash => &["BASHOPTS", "EUID", "SHELLOPTS"],
            Sh::Zsh => &["LINENO", "EPOCHSECONDS", "HISTCMD", "TTYIDLE", "status"],
            Sh::Fish => &["status", "fish_pid", "version"],
        };
        for m in must {
            assert!(
                names.iter().any(|n| n == m),
                "{sh:?}: asking the shell for its read-only names did not work: {names:?}"
            );
        }
        // The user config is trusted as it is: one env set per name.
        let mut yaml = String::from("version: 1\nenvs:\n");
        for (i, n) in names.iter().enumerate() {
            yaml.push_str(&format!("  e{i}:\n    OK: fine\n    {n}: x\n"));
        }
        sb.write(".config/dsops/config.yaml", &yaml);
        for (i, n) in names.iter().enumerate() {
            let out = sb
                .cmd()
                .args(["export", "--format", "shell", "--shell", sh.name()])
                .args(["--env", &format!("e{i}")])
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(
                !out.status.success() && err.contains(&format!("refusing to export {n} ")),
                "{sh:?}: {n} is read-only in {} and was not refused: {err}",
                sh.name()
            );
            assert!(out.stdout.is_empty(), "{sh:?}: {n}: printed lines");
        }
    }
}

/// A set with a name the shell treats specially loads nothing, says so once
/// with the reason, and leaves nothing of the set behind after leaving (zsh
/// stopped the eval at a read-only name after earlier exports; an exported
/// PROMPT_COMMAND removed the bash hook).
#[test]
fn special_names_load_nothing_and_leave_nothing() {
    for sh in shells() {
        let specials: &[(&str, &str)] = match sh {
            Sh::Bash => &[
                ("PROMPT_COMMAND", "reserved: the bash hook runs from it"),
                ("LINENO", "reserved by bash"),
            ],
            Sh::Zsh => &[
                ("LINENO", "reserved by zsh: read-only"),
                ("EPOCHSECONDS", "reserved by zsh: read-only"),
                ("HISTCMD", "reserved by zsh: read-only"),
                ("TTYIDLE", "reserved by zsh: read-only"),
                ("precmd_functions", "reserved: the zsh hook runs from it"),
            ],
            Sh::Fish => &[
                ("fish_pid", "reserved by fish"),
                ("status", "reserved by fish: read-only"),
                ("status_generation", "reserved by fish: read-only"),
            ],
        };
        let sb = Sandbox::new();
        let mut s = Script::new(&sb, sh);
        for (i, (name, _)) in specials.iter().enumerate() {
            let cfg = sb.write(
                &format!("p{i}/.dsops.yaml"),
                &format!(
                    "version: 1\nenvs:\n  e:\n    BEFORE_{i}: before-{i}-5d1c\n    SHADOW: shadow-{i}-9e0a\n    {name}: special-{i}\n    AFTER_{i}: after-{i}-3f7b\n"
                ),
            );
            allow(&sb, &cfg);
            s.cd(&sb.path(&format!("p{i}")))
                .prompt()
                .prompt()
                .dump(&format!("in{i}"))
                .cd(&sb.home)
                .prompt()
                .dump(&format!("out{i}"));
        }
        // The hook still runs afterwards: a plain project loads.
        let ok = sb.write(
            "plain/.dsops.yaml",
            "version: 1\nenvs:\n  e:\n    PLAIN: plain-7a1e\n",
        );
        allow(&sb, &ok);
        s.cd(&sb.path("plain")).prompt().dump("plain");
        let r = s.run(&sb, &[("SHADOW", b"the user's own 'shadow'\n")]);
        r.ok();
        for (i, (name, why)) in specials.iter().enumerate() {
            for tag in [format!("in{i}"), format!("out{i}")] {
                for k in [format!("BEFORE_{i}"), format!("AFTER_{i}")] {
                    assert_var(&r, &tag, &k, None);
                }
                assert_var(&r, &tag, "SHADOW", Some("the user's own 'shadow'\n"));
            }
            assert_var(&r, &format!("out{i}"), "DSOPS_STATE", None);
            let said = format!("refusing to export {name}: {why}");
            assert_eq!(r.count(&said), 1, "{sh:?}: {said}\n{}", r.stderr);
        }
        assert_var(&r, "plain", "PLAIN", Some("plain-7a1e"));
    }
}

/// A line that fails in the shell (a name read-only in this session only,
/// which dsops cannot know about): zsh stops the eval there. The state was
/// written first, so leaving reverts what did get applied.
#[test]
fn a_line_failing_part_way_leaves_nothing_behind() {
    for sh in shells().into_iter().filter(|s| *s != Sh::Fish) {
        let sb = Sandbox::new();
        let cfg = sb.write(
            "project/.dsops.yaml",
            "version: 1\nenvs:\n  e:\n    PART_A: part-a-61c0\n    PART_X: part-x-0b2d\n    PART_B: part-b-77e4\n",
        );
        allow(&sb, &cfg);
        let mut s = Script::new(&sb, sh);
        match sh {
            Sh::Bash => s.line("readonly PART_X"),
            _ => s.line("typeset -r PART_X"),
        };
        s.cd(&sb.path("project"))
            .prompt()
            .dump("in")
            .prompt()
            .cd(&sb.home)
            .prompt()
            .prompt()
            .dump("out");
        let r = s.run(&sb, &[("PART_B", b"part-b prior")]);
        r.ok();
        // What the shell did apply does not matter; what remains does.
        assert_var(&r, "out", "PART_A", None);
        assert_var(&r, "out", "PART_X", None);
        assert_var(&r, "out", "PART_B", Some("part-b prior"));
        assert_var(&r, "out", "DSOPS_STATE", None);
        // (zsh stopped before PART_B, which keeps its own value there.)
        assert_state_clean(
            &r,
            "in",
            &["part-a-61c0", "part-x-0b2d", "part-b-77e4", "part-b prior"],
        );
    }
}

/// Prior values live in a private file, not in the environment; a shell
/// started inside the project (with the hook in its rc) that leaves restores
/// them byte for byte, as does the outer shell.
#[test]
fn nested_shells_restore_priors_exactly() {
    for sh in shells() {
        let sb = Sandbox::new();
        let cfg = sb.write(
            "project/.dsops.yaml",
            "version: 1\nenvs:\n  e:\n    NEST_A: nest-a-1d2c\n    NEST_B: nest-b-3e4f\n    NEST_C: nest-c-5a6b\n",
        );
        allow(&sb, &cfg);
        let prior_a: &[u8] = b"prior A: it's \"x\"\n$(no) `no` \\ % \xe9\xff";
        let prior_b: &[u8] = b"";
        // The nested shell: the hook as in an rc, a prompt, leave, dump.
        let mut inner = Script::new(&sb, sh);
        inner.out = sb.path(&format!("out-inner-{}", sh.name()));
        std::fs::create_dir_all(&inner.out).unwrap();
        inner
            .prompt()
            .dump("inner-in")
            .cd(&sb.home)
            .prompt()
            .dump("inner-out");
        let inner_file = inner.out.join(format!("script.{}", sh.name()));
        std::fs::write(&inner_file, inner.lines.join("\n") + "\n").unwrap();
        let mut s = Script::new(&sb, sh);
        s.cd(&sb.path("project")).prompt().dump("in");
        s.line(format!(
            "{} {} {}",
            sh.name(),
            sh.clean_args().join(" "),
            sh.quote(&inner_file.display().to_string())
        ));
        s.prompt().dump("back").cd(&sb.home).prompt().dump("out");
        let r = s.run(&sb, &[("NEST_A", prior_a), ("NEST_B", prior_b)]);
        r.ok();
        let inner_ran = Ran {
            sh,
            elapsed: r.elapsed,
            status: r.status,
            stdout: r.stdout.clone(),
            stderr: r.stderr.clone(),
            out: inner.out.clone(),
        };
        for (ran, tag) in [(&r, "in"), (&inner_ran, "inner-in"), (&r, "back")] {
            let env = ran.env(tag);
            assert_eq!(
                get(&env, "NEST_A"),
                Some(&b"nest-a-1d2c"[..]),
                "{sh:?} {tag}"
            );
            assert_priors_hidden(ran, tag, &[prior_a]);
        }
        for (ran, tag) in [(&inner_ran, "inner-out"), (&r, "out")] {
            let env = ran.env(tag);
            assert_eq!(get(&env, "NEST_A"), Some(prior_a), "{sh:?} {tag}");
            assert_eq!(get(&env, "NEST_B"), Some(prior_b), "{sh:?} {tag}");
            assert_eq!(get(&env, "NEST_C"), None, "{sh:?} {tag}");
            assert_eq!(get(&env, "DSOPS_STATE"), None, "{sh:?} {tag}");
        }
        // The file is private.
        let dir = sb.path(".local/state/dsops/priors");
        assert_eq!(support::file_mode(&dir), 0o700);
        let files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
            .collect();
        assert!(!files.is_empty(), "{sh:?}: no priors file");
        for f in files.iter().chain([&dir.join(".key")]) {
            assert_eq!(support::file_mode(f), 0o600, "{}", f.display());
        }
        assert_eq!(r.count("cannot restore"), 0, "{sh:?}: {}", r.stderr);
    }
}

/// A version 1 state (priors inline, base64) in the environment, as a shell
/// has it when dsops is upgraded under it: restored correctly once, and in
/// the project moved out of the environment.
#[test]
fn version_1_state_is_restored_once() {
    for sh in shells() {
        let sb = Sandbox::new();
        let cfg = sb.write(
            "project/.dsops.yaml",
            "version: 1\nenvs:\n  e:\n    UP_A: up-a-2b1c\n    UP_B: up-b-8d7e\n",
        );
        allow(&sb, &cfg);
        let prior: &[u8] = b"old prior 'a'\n\xfe";
        let v1 = format!(
            r#"{{"v":1,"cfg":"{}","env":null,"set":"e","vars":[["UP_A","{}"],["UP_B",null]]}}"#,
            cfg.display(),
            b64(prior)
        );
        // Left in a directory without config: restored and unset.
        let mut s = Script::new(&sb, sh);
        s.prompt().dump("left").prompt().dump("left-again");
        let r = s.run(
            &sb,
            &[
                ("DSOPS_STATE", v1.as_bytes()),
                ("UP_A", b"up-a-2b1c"),
                ("UP_B", b"up-b-8d7e"),
            ],
        );
        r.ok();
        let env = r.env("left");
        assert_eq!(get(&env, "UP_A"), Some(prior), "{sh:?}: {}", r.stderr);
        assert_eq!(get(&env, "UP_B"), None, "{sh:?}");
        assert_eq!(get(&env, "DSOPS_STATE"), None, "{sh:?}");
        assert_eq!(get(&r.env("left-again"), "UP_A"), Some(prior), "{sh:?}");

        // Still in the project: loaded again with the new format, and the
        // prior restored on leaving.
        let mut s = Script::new(&sb, sh);
        s.cd(&sb.path("project"))
            .prompt()
            .dump("in")
            .cd(&sb.home)
            .prompt()
            .dump("out");
        let r = s.run(
            &sb,
            &[
                ("DSOPS_STATE", v1.as_bytes()),
                ("UP_A", b"up-a-2b1c"),
                ("UP_B", b"up-b-8d7e"),
            ],
        );
        r.ok();
        assert_var(&r, "in", "UP_A", Some("up-a-2b1c"));
        assert_priors_hidden(&r, "in", &[prior]);
        let env = r.env("out");
        assert_eq!(get(&env, "UP_A"), Some(prior), "{sh:?}: {}", r.stderr);
        assert_eq!(get(&env, "UP_B"), None, "{sh:?}");
    }
}

/// The priors file gone when it is needed: the names are unset, and that is
/// said once.
#[test]
fn lost_priors_unset_and_say_so_once() {
    for sh in shells() {
        let sb = Sandbox::new();
        let cfg = sb.write(
            "project/.dsops.yaml",
            "version: 1\nenvs:\n  e:\n    LOST_A: lost-a-4c3b\n    LOST_B: lost-b-9a8f\n",
        );
        allow(&sb, &cfg);
        let dir = sb.path(".local/state/dsops/priors");
        let mut s = Script::new(&sb, sh);
        s.cd(&sb.path("project"))
            .prompt()
            .dump("in")
            .line(format!("rm -f {}/*", sh.quote(&dir.display().to_string())))
            .cd(&sb.home)
            .prompt()
            .prompt()
            .dump("out")
            .cd(&sb.path("project"))
            .prompt()
            .cd(&sb.home)
            .prompt()
            .dump("out-again");
        let r = s.run(&sb, &[("LOST_A", b"lost-a prior")]);
        r.ok();
        assert_var(&r, "in", "LOST_A", Some("lost-a-4c3b"));
        for tag in ["out", "out-again"] {
            assert_var(&r, tag, "LOST_B", None);
            assert_var(&r, tag, "DSOPS_STATE", None);
        }
        assert_var(&r, "out", "LOST_A", None);
        assert_eq!(
            r.count("cannot restore the values that LOST_A, LOST_B had"),
            1,
            "{sh:?}: {}",
            r.stderr
        );
    }
}

/// Prior values too large to keep: the message names only the variables
/// whose prior values are the problem, a few of them; a set of 20,000 names
/// says so in one short line.
#[test]
fn too_large_to_remember_names_a_few() {
    if !support::require_tool("bash") {
        return;
    }
    let sb = Sandbox::new();
    let mut yaml = String::from("version: 1\nenvs:\n  e:\n");
    for i in 0..12 {
        yaml.push_str(&format!("    BIG_{i:02}: small\n"));
    }
    for i in 0..30 {
        yaml.push_str(&format!("    SMALL_{i:02}: small\n"));
    }
    let cfg = sb.write("big/.dsops.yaml", &yaml);
    allow(&sb, &cfg);
    let mut many = String::from("version: 1\nenvs:\n  e:\n");
    for i in 0..20_000 {
        many.push_str(&format!("    MANY_{i:05}: v\n"));
    }
    let cfg = sb.write("many/.dsops.yaml", &many);
    allow(&sb, &cfg);
    let mut s = Script::new(&sb, Sh::Bash);
    s.cd(&sb.path("big"))
        .prompt()
        .prompt()
        .dump("big")
        .cd(&sb.path("many"))
        .prompt()
        .prompt()
        .dump("many");
    let bigs: Vec<(String, Vec<u8>)> = (0..12)
        .map(|i| (format!("BIG_{i:02}"), vec![b'a' + i as u8; 100 * 1024]))
        .collect();
    let extra: Vec<(&str, &[u8])> = bigs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_slice()))
        .collect();
    let r = s.run(&sb, &extra);
    r.ok();
    assert_var(&r, "big", "SMALL_00", None);
    assert_var(&r, "many", "MANY_00000", None);
    let env = r.env("big");
    for (k, v) in &bigs {
        assert_eq!(get(&env, k), Some(v.as_slice()), "{k}");
    }
    let lines: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.contains("too large to remember") || l.contains("too many"))
        .collect();
    assert_eq!(lines.len(), 2, "{}", r.stderr);
    let big = lines[0];
    assert!(big.contains("and 7 more"), "{big}");
    assert_eq!(big.matches("BIG_").count(), 5, "{big}");
    assert!(!big.contains("SMALL_"), "{big}");
    assert!(big.len() < 300, "{big}");
    let many = lines[1];
    assert!(many.contains("20000 variables"), "{many}");
    assert!(many.len() < 300, "{many}");
}

/// `DSOPS_ENV` set in the shell without export (bash, zsh) or without -x
/// (fish) switches the set at the next prompt, in real interactive shells.
#[test]
fn interactive_unexported_dsops_env_switches_the_set() {
    if !support::require_tool("tmux") {
        return;
    }
    for sh in shells() {
        interactive_unexported(sh);
    }
}

fn interactive_unexported(sh: Sh) {
    let sb = Sandbox::new();
    let cfg = sb.write(
        "project/.dsops.yaml",
        "version: 1\ndefaultEnv: dev\nenvs:\n  dev:\n    UNEXP: unexp-dev-4e2a\n  prod:\n    UNEXP: unexp-prod-8c1f\n",
    );
    allow(&sb, &cfg);
    let init = match sh {
        Sh::Bash | Sh::Zsh => format!("eval \"$('{}' hook {})\"", dsops(), sh.name()),
        Sh::Fish => format!("'{}' hook fish | source", dsops()),
    };
    let start = match sh {
        Sh::Bash => {
            let rc = sb.write("rc.bash", &format!("PS1='$ '\n{init}\n"));
            format!("bash --noprofile --rcfile '{}' -i", rc.display())
        }
        Sh::Zsh => "zsh -f -i".to_string(),
        Sh::Fish => "fish --no-config -i".to_string(),
    };
    let t = Tmux::start(&sb, &[&start]);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        if sh != Sh::Bash {
            t.keys(&[&init, "Enter"]);
        }
        // What a process started from the shell sees.
        let check = |tag: &str, want: &str| {
            let p = sb.path(&format!("seen-{tag}"));
            t.keys(&[&format!("printenv UNEXP > '{}'", p.display()), "Enter"]);
            assert!(
                wait_for(tag, Duration::from_secs(10), || {
                    std::fs::read_to_string(&p).is_ok_and(|s| s.trim_end() == want)
                }),
                "{sh:?} {tag}: {:?}\n{}",
                std::fs::read_to_string(&p),
                t.pane()
            );
        };
        t.keys(&[&format!("cd '{}'", sb.path("project").display()), "Enter"]);
        check("entered", "unexp-dev-4e2a");
        let (set, export, unset) = match sh {
            Sh::Fish => (
                "set DSOPS_ENV prod",
                "set -x DSOPS_ENV prod",
                "set -e DSOPS_ENV",
            ),
            _ => ("DSOPS_ENV=prod", "export DSOPS_ENV", "unset DSOPS_ENV"),
        };
        t.keys(&[set, "Enter"]);
        check("unexported", "unexp-prod-8c1f");
        t.keys(&[export, "Enter"]);
        check("exported", "unexp-prod-8c1f");
        t.keys(&[unset, "Enter"]);
        check("unset", "unexp-dev-4e2a");
    }));
    drop(t);
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}

/// The special names and a line that fails part-way, in real interactive
/// bash and zsh (tmux): nothing of the set is left behind, and the hook
/// still works afterwards.
#[test]
fn interactive_special_names_and_failing_lines_leave_nothing() {
    if !support::require_tool("tmux") {
        return;
    }
    for sh in shells().into_iter().filter(|s| *s != Sh::Fish) {
        interactive_special(sh);
    }
}

fn interactive_special(sh: Sh) {
    let sb = Sandbox::new();
    let special = match sh {
        Sh::Bash => "PROMPT_COMMAND",
        _ => "LINENO",
    };
    for (dir, yaml) in [
        (
            "special",
            format!(
                "version: 1\nenvs:\n  e:\n    SP_BEFORE: sp-before-1a9c\n    {special}: x\n    SP_AFTER: sp-after-7b3d\n"
            ),
        ),
        (
            "part",
            "version: 1\nenvs:\n  e:\n    SP_BEFORE: part-a-5e2f\n    PART_X: part-x-0c8a\n    SP_AFTER: part-b-2d6e\n"
                .to_string(),
        ),
        (
            "plain",
            "version: 1\nenvs:\n  e:\n    SP_PLAIN: plain-4f1b\n".to_string(),
        ),
    ] {
        let cfg = sb.write(&format!("{dir}/.dsops.yaml"), &yaml);
        allow(&sb, &cfg);
    }
    let init = format!("eval \"$('{}' hook {})\"", dsops(), sh.name());
    let start = match sh {
        Sh::Bash => {
            let rc = sb.write("rc.bash", &format!("PS1='$ '\n{init}\n"));
            format!("bash --noprofile --rcfile '{}' -i", rc.display())
        }
        _ => "zsh -f -i".to_string(),
    };
    let t = Tmux::start(&sb, &[&start]);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        if sh == Sh::Zsh {
            t.keys(&[&init, "Enter"]);
        }
        let readonly = match sh {
            Sh::Bash => "readonly PART_X",
            _ => "typeset -r PART_X",
        };
        t.keys(&[readonly, "Enter"]);
        // What a process started from the shell sees of the variables.
        let check = |tag: &str, want: &str| {
            let p = sb.path(&format!("seen-{tag}"));
            t.keys(
                &[
                    &format!(
                        "{{ printenv SP_BEFORE; printenv SP_AFTER; printenv SP_PLAIN; echo end; }} > '{}'",
                        p.display()
                    ),
                    "Enter",
                ],
            );
            assert!(
                wait_for(tag, Duration::from_secs(10), || {
                    std::fs::read_to_string(&p).is_ok_and(|s| s == want)
                }),
                "{sh:?} {tag}: {:?}\n{}",
                std::fs::read_to_string(&p),
                t.pane()
            );
        };
        let cd = |dir: &Path| {
            t.keys(&[&format!("cd '{}'", dir.display()), "Enter"]);
        };
        cd(&sb.path("special"));
        check("special-in", "end\n");
        cd(&sb.home);
        check("special-out", "end\n");
        cd(&sb.path("part"));
        t.keys(&["", "Enter"]);
        cd(&sb.home);
        check("part-out", "end\n");
        cd(&sb.path("plain"));
        check("plain", "plain-4f1b\nend\n");
        cd(&sb.home);
        check("plain-out", "end\n");
    }));
    drop(t);
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}
