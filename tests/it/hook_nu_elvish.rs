//! The hook in real interactive nushell and elvish sessions (tmux): the
//! same round trips bash, zsh and fish have in `hook.rs`. Each test starts
//! the shell with the hook installed as the README says (twice: it must hook
//! once), types commands, and reads the environment back with `env -0`, byte
//! for byte. nushell comes from npm (`.ci/run` installs it into
//! `target/it-node`), elvish from Debian.

use crate::hook::{Env, allow, backdate, contains, dsops, get, write_exec_store, yaml_str};
use crate::support::{self, Sandbox};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Sh {
    Nu,
    Elvish,
}

/// The real nushell binary: from `target/it-node` (the npm package's
/// platform binary, not its node wrapper), else `nu` on PATH. Under CI=true
/// a missing one fails the test.
fn nu_program() -> Option<PathBuf> {
    let dir = support::repo().join("target/it-node/node_modules/@nushell");
    let found = std::fs::read_dir(dir).ok().and_then(|d| {
        d.flatten()
            .map(|e| e.path().join("bin/nu"))
            .find(|p| p.is_file())
    });
    match found {
        Some(p) => Some(p),
        None => support::require_tool("nu").then(|| PathBuf::from("nu")),
    }
}

impl Sh {
    fn name(self) -> &'static str {
        match self {
            Sh::Nu => "nu",
            Sh::Elvish => "elvish",
        }
    }

    fn program(self) -> Option<PathBuf> {
        match self {
            Sh::Nu => nu_program(),
            Sh::Elvish => support::require_tool("elvish").then(|| PathBuf::from("elvish")),
        }
    }

    /// A string literal of the shell.
    fn quote(self, s: &str) -> String {
        match self {
            Sh::Nu => {
                let hashes = "#".repeat(s.matches('#').count() + 1);
                format!("r{hashes}'{s}'{hashes}")
            }
            Sh::Elvish => format!("'{}'", s.replace('\'', "''")),
        }
    }

    fn set_env(self, k: &str, v: &str) -> String {
        match self {
            Sh::Nu => format!("$env.{k} = {}", self.quote(v)),
            Sh::Elvish => format!("set-env {k} {}", self.quote(v)),
        }
    }

    fn unset_env(self, k: &str) -> String {
        match self {
            Sh::Nu => format!("hide-env {k}"),
            Sh::Elvish => format!("unset-env {k}"),
        }
    }

    /// Run an external command with arguments (already quoted).
    fn external(self, cmd: &str) -> String {
        match self {
            Sh::Nu => format!("^{cmd}"),
            Sh::Elvish => cmd.to_string(),
        }
    }
}

pub(crate) fn wait_for(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(40));
    }
    false
}

fn parse_env(raw: &[u8]) -> Env {
    raw.split(|b| *b == 0)
        .filter(|e| !e.is_empty())
        .map(|e| {
            let eq = e.iter().position(|b| *b == b'=').unwrap();
            (e[..eq].to_vec(), e[eq + 1..].to_vec())
        })
        .collect()
}

/// One interactive shell in tmux (a private server, killed on drop), with
/// the hook installed twice from its startup file.
pub(crate) struct Session {
    sh: Sh,
    socket: PathBuf,
    env: Vec<(String, String)>,
    home: PathBuf,
    dir: PathBuf,
    steps: usize,
    /// The prompts drawn so far.
    prompts: usize,
    /// The command line that started the shell (for a nested one).
    start: String,
}

impl Session {
    /// `bin` is the dsops the hook runs (a counting wrapper, or dsops).
    pub(crate) fn start(
        sb: &Sandbox,
        sh: Sh,
        bin: &Path,
        extra: &[(&str, &str)],
    ) -> Option<Session> {
        if !support::require_tool("tmux") {
            return None;
        }
        let program = sh.program()?;
        let dir = sb.path(&format!("session-{}", sh.name()));
        std::fs::create_dir_all(&dir).unwrap();
        // The hook as `dsops hook SHELL` prints it, with `bin` in place of
        // the binary's own path.
        let rendered = sb.ok(&["hook", sh.name()]);
        let script = String::from_utf8(rendered.stdout)
            .unwrap()
            .replace(&dsops(), &bin.display().to_string());
        let args = match sh {
            Sh::Nu => {
                // The README's install: saved once into $nu.data-dir, then
                // sourced from config.nu (here twice).
                let data = sb.path(".local/share/nushell");
                std::fs::create_dir_all(&data).unwrap();
                std::fs::write(data.join("dsops.nu"), &script).unwrap();
                let cfg = sb.write(
                    "nu/config.nu",
                    "$env.config.show_banner = false\n\
                     $env.PROMPT_COMMAND = {|| 'PROMPT' }\n\
                     $env.PROMPT_INDICATOR = '> '\n\
                     $env.PROMPT_COMMAND_RIGHT = {|| '' }\n\
                     source ($nu.data-dir | path join dsops.nu)\n\
                     source ($nu.data-dir | path join dsops.nu)\n",
                );
                let env = sb.write("nu/env.nu", "");
                format!(
                    "'{}' --config '{}' --env-config '{}'",
                    program.display(),
                    cfg.display(),
                    env.display()
                )
            }
            Sh::Elvish => {
                let hook = sb.write("elvish-hook.elv", &script);
                // The README's line, twice; `cat` stands in for `dsops hook
                // elvish` so that the hook runs `bin`.
                let line = format!("eval (cat '{}' | slurp)\n", hook.display());
                sb.write(
                    ".config/elvish/rc.elv",
                    &format!(
                        "set edit:prompt = {{ put 'PROMPT> ' }}\nset edit:rprompt = {{ put '' }}\n{line}{line}"
                    ),
                );
                format!("'{}'", program.display())
            }
        };
        let mut env = sb.base_env();
        env.push(("TERM".into(), "xterm-256color".into()));
        env.push(("DSOPS_HOOK_TIMEOUT".into(), "60".into()));
        for (k, v) in extra {
            env.push((k.to_string(), v.to_string()));
        }
        let s = Session {
            sh,
            socket: sb.path(&format!("tmux-{}.sock", sh.name())),
            env,
            home: sb.home.clone(),
            dir,
            steps: 0,
            prompts: 0,
            start: args.clone(),
        };
        let ok = s
            .tmux()
            .args([
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-x",
                "200",
                "-y",
                "50",
                &args,
            ])
            .status()
            .unwrap();
        assert!(ok.success(), "tmux new-session failed");
        let mut s = s;
        s.settle();
        Some(s)
    }

    /// Wait for a new shell's first prompt, which may be drawn twice (after
    /// the terminal answers).
    fn settle(&mut self) {
        self.next_prompt();
        std::thread::sleep(Duration::from_millis(500));
        self.prompts = self
            .pane()
            .lines()
            .filter(|l| l.contains("PROMPT>"))
            .count();
    }

    /// Start the same shell, with the same startup files, inside this one.
    pub(crate) fn nest(&mut self) {
        let line = self.sh.external(&self.start);
        self.send_line(&line);
        self.settle();
    }

    /// Wait for one more prompt, empty and last on the screen: keys typed
    /// while a command or the hook runs may be dropped by the line editor,
    /// so each line waits for one.
    pub(crate) fn next_prompt(&mut self) {
        let mut count = 0;
        let ok = wait_for(Duration::from_secs(30), || {
            let pane = self.pane();
            // (elvish draws a prompt after `^C` on the same line.)
            let prompts: Vec<&str> = pane.lines().filter(|l| l.contains("PROMPT>")).collect();
            count = prompts.len();
            let last = pane.lines().rev().find(|l| !l.trim().is_empty());
            count > self.prompts && last.is_some_and(|l| l.trim_end().ends_with("PROMPT>"))
        });
        assert!(ok, "{:?}: no prompt\n{}", self.sh, self.pane());
        self.prompts = count;
    }

    fn tmux(&self) -> Command {
        let mut c = Command::new("tmux");
        c.arg("-S")
            .arg(&self.socket)
            .env_clear()
            .envs(self.env.iter().cloned())
            .current_dir(&self.home);
        c
    }

    /// Type `line` and Enter, and wait for the next prompt (the hook runs
    /// before it).
    pub(crate) fn type_line(&mut self, line: &str) {
        self.send_line(line);
        self.next_prompt();
    }

    pub(crate) fn send_line(&self, line: &str) {
        let ok = self
            .tmux()
            .args(["send-keys", "-l", line])
            .status()
            .unwrap();
        assert!(ok.success());
        self.key("Enter");
    }

    pub(crate) fn key(&self, key: &str) {
        let ok = self.tmux().args(["send-keys", key]).status().unwrap();
        assert!(ok.success());
    }

    /// Everything the terminal showed (with the scrollback).
    pub(crate) fn pane(&self) -> String {
        let out = self
            .tmux()
            .args(["capture-pane", "-p", "-J", "-S", "-3000"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Run `cmd` (shell code writing to the file `{}`) and wait until the
    /// file is there, complete (written aside, then renamed).
    fn output_of(&mut self, cmd: impl Fn(&str) -> String) -> Vec<u8> {
        self.steps += 1;
        let done = self.dir.join(format!("out-{}", self.steps));
        let tmp = self.dir.join(format!("tmp-{}", self.steps));
        let (tq, dq) = (
            self.sh.quote(&tmp.display().to_string()),
            self.sh.quote(&done.display().to_string()),
        );
        let line = match self.sh {
            Sh::Nu => format!("{}; mv {tq} {dq}", cmd(&tq)),
            Sh::Elvish => format!("{}; mv {tq} {dq}", cmd(&tq)),
        };
        self.type_line(&line);
        assert!(
            wait_for(Duration::from_secs(20), || done.exists()),
            "{:?}: no output from {line}\n{}",
            self.sh,
            self.pane()
        );
        std::fs::read(&done).unwrap()
    }

    /// The environment of a process started at the prompt.
    pub(crate) fn env(&mut self) -> (Env, Vec<u8>) {
        let sh = self.sh;
        let raw = self.output_of(|f| match sh {
            Sh::Nu => format!("^env -0 | save -f {f}"),
            Sh::Elvish => format!("env -0 > {f}"),
        });
        (parse_env(&raw), raw)
    }

    pub(crate) fn cd(&mut self, dir: &Path) {
        let q = self.sh.quote(&dir.display().to_string());
        self.type_line(&format!("cd {q}"));
    }

    fn dsops(&mut self, args: &str) {
        let bin = self.sh.quote(&dsops());
        self.type_line(&self.sh.external(&format!("{bin} {args}")));
    }

    /// How many hooks the shell runs before a prompt.
    fn hooks(&mut self) -> String {
        let sh = self.sh;
        let out = self.output_of(|f| match sh {
            Sh::Nu => format!("$env.config.hooks.pre_prompt | length | into string | save -f {f}"),
            Sh::Elvish => format!("echo (count $edit:before-readline) > {f}"),
        });
        String::from_utf8(out).unwrap().trim().to_string()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.tmux().arg("kill-server").status();
    }
}

/// Values no quoting mistake survives (those of `hook.rs`); `marker` exists
/// only if one was executed.
fn hostile_values(marker: &Path) -> Vec<(String, String)> {
    let m = marker.display();
    let mut big = String::new();
    while big.len() < 64 * 1024 {
        big.push_str("It's \"big\" $(x) `y` \\n\\ %s ! \t é ✓ r#'x'# '## ''\n");
    }
    let controls: String = (1u8..32).chain([127]).map(char::from).collect();
    let vals = vec![
        "it's \"both\" quotes".to_string(),
        "line1\nline2\n".to_string(),
        "\n".to_string(),
        format!("$(touch {m})"),
        format!("(touch {m})"),
        format!("`touch {m}`"),
        format!("; touch {m}; '\"; touch {m}"),
        "back\\slash \\\\ \\n \\' \\".to_string(),
        "raw end '# '## '### r#'x'#".to_string(),
        "'".to_string(),
        "''".to_string(),
        "\ttab\tinside\t".to_string(),
        "ünïcødé ✓ 🎉 日本".to_string(),
        "-n".to_string(),
        String::new(),
        "  spaces  ".to_string(),
        "* ? [a] ~ ${HOME} $HOME $env.HOME {a,b} (echo x) $nu {|| x} [1 2]".to_string(),
        "\r\n crlf \x1f sep".to_string(),
        "null".to_string(),
        "{a: 1}".to_string(),
        "42".to_string(),
        "true".to_string(),
        controls,
        big,
    ];
    vals.into_iter()
        .enumerate()
        .map(|(i, v)| (format!("HOSTILE_{i}"), v))
        .collect()
}

/// Enter a trusted project, every value byte for byte; a nested project;
/// back; leave: everything restored or truly unset, the priors private, the
/// hook installed once.
fn round_trip(sh: Sh) {
    let sb = Sandbox::new();
    let marker = sb.path("PWNED");
    let vals = hostile_values(&marker);
    let mut yaml = String::from("version: 1\nenvs:\n  x:\n");
    for (k, v) in &vals {
        yaml.push_str(&format!("    {k}: {}\n", yaml_str(v)));
    }
    yaml.push_str("    PRIOR_A: dsops-a-77e1\n    PRIOR_B: dsops-b-0f9c\n    OUTER: outer-5d1e\n");
    let base_path = std::env::var("PATH").unwrap_or_default();
    let project_path = format!("/nonexistent-dsops/bin:{base_path}");
    yaml.push_str(&format!("    PATH: {}\n", yaml_str(&project_path)));
    let cfg = sb.write("project/.dsops.yaml", &yaml);
    allow(&sb, &cfg);
    let nested = sb.write(
        "project/inner/.dsops.yaml",
        "version: 1\nenvs:\n  y:\n    PRIOR_A: inner-a-2b8f\n    INNER: inner-9c3a\n",
    );
    allow(&sb, &nested);
    let prior_a = "prior A: it's \"x\"\n$(no) `no` \\ % r#'x'#";
    let prior_b = "prior B ✓";
    let Some(mut s) = Session::start(
        &sb,
        sh,
        &support::bin(),
        &[("PRIOR_A", prior_a), ("PRIOR_B", prior_b)],
    ) else {
        return;
    };
    assert_eq!(s.hooks(), "1", "{sh:?}: installing twice hooked twice");
    s.cd(&sb.path("project"));
    let (env_in, raw_in) = s.env();
    for (k, v) in &vals {
        assert_eq!(
            get(&env_in, k),
            Some(v.as_bytes()),
            "{sh:?}: {k} did not arrive unchanged ({} bytes)\n{}",
            v.len(),
            s.pane()
        );
    }
    assert_eq!(get(&env_in, "PRIOR_A"), Some(&b"dsops-a-77e1"[..]));
    assert_eq!(get(&env_in, "PRIOR_B"), Some(&b"dsops-b-0f9c"[..]));
    assert_eq!(get(&env_in, "PATH"), Some(project_path.as_bytes()));
    if sh == Sh::Nu {
        // A list, as nushell keeps PATH, not a string.
        let kind = s.output_of(|f| format!("$env.PATH | describe | save -f {f}"));
        assert!(
            kind.starts_with(b"list"),
            "{}",
            String::from_utf8_lossy(&kind)
        );
    }
    // The priors are kept in a private file, not in the environment; the
    // hook's own bookkeeping is not exported either.
    for p in [prior_a, prior_b] {
        assert!(
            !contains(&raw_in, p.as_bytes()),
            "{sh:?}: a prior value is visible in the project"
        );
    }
    assert!(
        !env_in.keys().any(|k| k.starts_with(b"_dsops")),
        "{sh:?}: the hook's bookkeeping reached a process"
    );
    let state = String::from_utf8_lossy(get(&env_in, "DSOPS_STATE").expect("DSOPS_STATE"));
    assert!(!state.contains("dsops-a-77e1") && !state.contains("outer-5d1e"));

    s.cd(&sb.path("project/inner"));
    let (env_inner, _) = s.env();
    assert_eq!(get(&env_inner, "PRIOR_A"), Some(&b"inner-a-2b8f"[..]));
    assert_eq!(get(&env_inner, "INNER"), Some(&b"inner-9c3a"[..]));
    assert_eq!(
        get(&env_inner, "OUTER"),
        None,
        "{sh:?}: the outer set stayed"
    );
    assert_eq!(get(&env_inner, "PRIOR_B"), Some(prior_b.as_bytes()));
    s.cd(&sb.path("project"));
    let (env_back, _) = s.env();
    assert_eq!(get(&env_back, "OUTER"), Some(&b"outer-5d1e"[..]));
    assert_eq!(get(&env_back, "INNER"), None);

    s.cd(&sb.home);
    let (env_out, _) = s.env();
    for (k, _) in &vals {
        assert_eq!(get(&env_out, k), None, "{sh:?}: {k} left behind");
    }
    for k in ["OUTER", "INNER", "DSOPS_STATE"] {
        assert_eq!(get(&env_out, k), None, "{sh:?}: {k} left behind");
    }
    assert_eq!(get(&env_out, "PRIOR_A"), Some(prior_a.as_bytes()), "{sh:?}");
    assert_eq!(get(&env_out, "PATH"), Some(base_path.as_bytes()), "{sh:?}");
    assert_eq!(get(&env_out, "PRIOR_B"), Some(prior_b.as_bytes()), "{sh:?}");
    // A real unset in the shell itself, not an empty string.
    let sh_ = sh;
    let seen = s.output_of(|f| match sh_ {
        Sh::Nu => format!("('OUTER' in $env) | into string | save -f {f}"),
        Sh::Elvish => format!("echo (has-env OUTER) > {f}"),
    });
    let seen = String::from_utf8_lossy(&seen);
    assert_eq!(seen.trim().trim_start_matches('$'), "false", "{sh:?}");
    assert!(!marker.exists(), "{sh:?}: a value was executed");
    let pane = s.pane();
    assert!(
        pane.contains("dsops: loading .dsops.yaml (env x)"),
        "{pane}"
    );
    assert!(pane.contains("dsops: unloading"), "{pane}");
}

#[test]
fn nu_round_trip_nested_and_restore() {
    round_trip(Sh::Nu);
}

#[test]
fn elvish_round_trip_nested_and_restore() {
    round_trip(Sh::Elvish);
}

/// DSOPS_ENV typed at the prompt switches the set; a config edit loads
/// nothing until `dsops allow`; DSOPS_QUIET silences the status lines.
fn switch_edit_allow(sh: Sh) {
    let sb = Sandbox::new();
    let cfg = sb.write(
        "project/.dsops.yaml",
        "version: 1\ndefaultEnv: e\nenvs:\n  e:\n    FOO: foo-e-6c7d\n  f:\n    FOO: foo-f-2a9b\n    FONLY: f-only-1c2d\n",
    );
    allow(&sb, &cfg);
    let Some(mut s) = Session::start(&sb, sh, &support::bin(), &[("EXISTING", "had-4f1a")]) else {
        return;
    };
    s.cd(&sb.path("project"));
    let (e, _) = s.env();
    assert_eq!(get(&e, "FOO"), Some(&b"foo-e-6c7d"[..]), "{}", s.pane());
    s.type_line(&sh.set_env("DSOPS_ENV", "f"));
    let (e, _) = s.env();
    assert_eq!(get(&e, "FOO"), Some(&b"foo-f-2a9b"[..]), "{}", s.pane());
    assert_eq!(get(&e, "FONLY"), Some(&b"f-only-1c2d"[..]));
    s.type_line(&sh.unset_env("DSOPS_ENV"));
    let (e, _) = s.env();
    assert_eq!(get(&e, "FOO"), Some(&b"foo-e-6c7d"[..]), "{}", s.pane());
    assert_eq!(get(&e, "FONLY"), None);

    // An edit: not trusted any more, nothing loaded, said once.
    std::fs::write(
        &cfg,
        "version: 1\ndefaultEnv: e\nenvs:\n  e:\n    FOO: foo-edited-3b9c\n    EXISTING: mine-8e1d\n",
    )
    .unwrap();
    s.type_line("");
    s.type_line("");
    let (e, _) = s.env();
    assert_eq!(get(&e, "FOO"), None, "{}", s.pane());
    s.dsops("allow");
    let (e, _) = s.env();
    assert_eq!(
        get(&e, "FOO"),
        Some(&b"foo-edited-3b9c"[..]),
        "{}",
        s.pane()
    );
    assert_eq!(get(&e, "EXISTING"), Some(&b"mine-8e1d"[..]));
    assert_eq!(
        s.pane().matches("changed since it was allowed (").count(),
        1,
        "{sh:?}: {}",
        s.pane()
    );

    // Quiet: no status line on leaving, the prior back.
    s.type_line(&sh.set_env("DSOPS_QUIET", "1"));
    let before = s.pane().matches("dsops: unloading").count();
    s.cd(&sb.home);
    let (e, _) = s.env();
    assert_eq!(get(&e, "FOO"), None);
    assert_eq!(get(&e, "EXISTING"), Some(&b"had-4f1a"[..]));
    assert_eq!(
        s.pane().matches("dsops: unloading").count(),
        before,
        "{}",
        s.pane()
    );
}

#[test]
fn nu_dsops_env_switch_edit_allow_quiet() {
    switch_edit_allow(Sh::Nu);
}

#[test]
fn elvish_dsops_env_switch_edit_allow_quiet() {
    switch_edit_allow(Sh::Elvish);
}

/// A name the shell treats specially fails the whole set, said once; the
/// same name is fine for the other shells.
fn refused_special_name(sh: Sh, name: &str) {
    let sb = Sandbox::new();
    let cfg = sb.write(
        "project/.dsops.yaml",
        &format!("version: 1\nenvs:\n  e:\n    OK_VAR: fine-1a2b\n    {name}: special-3c4d\n"),
    );
    allow(&sb, &cfg);
    let Some(mut s) = Session::start(&sb, sh, &support::bin(), &[]) else {
        return;
    };
    s.cd(&sb.path("project"));
    s.type_line("");
    s.type_line("");
    let (e, _) = s.env();
    assert_eq!(get(&e, "OK_VAR"), None, "{sh:?}: {}", s.pane());
    assert_ne!(get(&e, name), Some(&b"special-3c4d"[..]), "{sh:?}");
    let want = format!("refusing to export {name}: reserved by");
    assert_eq!(s.pane().matches(&want).count(), 1, "{sh:?}: {}", s.pane());
    // bash takes it.
    let out = sb
        .cmd()
        .args(["export", "--shell", "bash", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert!(out.status.success(), "{name} is {sh:?}'s alone");
}

#[test]
fn nu_refuses_its_special_names() {
    refused_special_name(Sh::Nu, "LAST_EXIT_CODE");
}

#[test]
fn elvish_refuses_its_special_names() {
    refused_special_name(Sh::Elvish, "ELVISH_NOTIFY_BG_JOB_SUCCESS");
}

/// Ctrl-C during a slow exec store gives the prompt back with nothing
/// applied and no retry at the next prompts; leaving runs again.
fn ctrl_c(sh: Sh) {
    let sb = Sandbox::new();
    let log = sb.path("hang.log");
    let hang = write_exec_store(
        &sb,
        "hang",
        &format!("echo started >> '{}'\nexec sleep 60", log.display()),
    );
    let cfg = sb.write(
        "hang/.dsops.yaml",
        &format!(
            "version: 1\nsecretStores:\n  slow:\n    type: exec\n    command: [\"{}\"]\n\
             envs:\n  e:\n    PLAIN: plain-5e6f\n    SLOW:\n      from: {{store: slow, key: k}}\n",
            hang.display()
        ),
    );
    allow(&sb, &cfg);
    let Some(mut s) = Session::start(&sb, sh, &support::bin(), &[]) else {
        return;
    };
    s.send_line(&format!(
        "cd {}",
        sh.quote(&sb.path("hang").display().to_string())
    ));
    assert!(
        wait_for(Duration::from_secs(15), || log.exists()),
        "{sh:?}: the store did not start\n{}",
        s.pane()
    );
    s.key("C-c");
    s.next_prompt();
    let (e, _) = s.env();
    assert_eq!(get(&e, "PLAIN"), None, "{sh:?}: applied after Ctrl-C");
    assert_eq!(get(&e, "DSOPS_STATE"), None, "{sh:?}");
    s.type_line("");
    s.type_line("");
    let _ = s.env();
    let starts = std::fs::read_to_string(&log).unwrap().lines().count();
    assert_eq!(starts, 1, "{sh:?}: retried after Ctrl-C\n{}", s.pane());
    s.cd(&sb.home);
    let (e, _) = s.env();
    assert_eq!(get(&e, "PLAIN"), None);
    assert_eq!(get(&e, "SLOW"), None);
}

#[test]
fn nu_ctrl_c_during_a_slow_store() {
    ctrl_c(Sh::Nu);
}

#[test]
fn elvish_ctrl_c_during_a_slow_store() {
    ctrl_c(Sh::Elvish);
}

/// No process on a quiet prompt: many prompts in an unchanged project start
/// no `dsops` at all (a wrapper counts the calls); each change starts one.
fn quiet_prompt(sh: Sh) {
    let sb = Sandbox::new();
    let cfg = sb.write(
        "project/.dsops.yaml",
        "version: 1\ndefaultEnv: e\nenvs:\n  e:\n    NOOP: noop-1f2e\n",
    );
    std::fs::create_dir_all(sb.path("project/sub")).unwrap();
    allow(&sb, &cfg);
    // Files changed within the stamp's margin before a load make the hook
    // ask once more; these are older.
    backdate(&cfg);
    for e in std::fs::read_dir(sb.path(".local/share/dsops/trust")).unwrap() {
        backdate(&e.unwrap().path());
    }
    let log = sb.path("calls.log");
    let wrapper = write_exec_store(
        &sb,
        "counting-dsops",
        &format!(
            "echo \"$@\" >> '{}'\nexec '{}' \"$@\"",
            log.display(),
            dsops()
        ),
    );
    let Some(mut s) = Session::start(&sb, sh, &wrapper, &[]) else {
        return;
    };
    let calls = || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.starts_with("hook-env"))
            .count()
    };
    s.cd(&sb.path("project/sub"));
    let (e, _) = s.env();
    assert_eq!(get(&e, "NOOP"), Some(&b"noop-1f2e"[..]), "{}", s.pane());
    let loaded = calls();
    for _ in 0..30 {
        s.type_line("");
    }
    let _ = s.env();
    assert_eq!(calls(), loaded, "{sh:?}: a quiet prompt started dsops");
    // A change: one call. (A file changed within the stamp's one-second
    // margin before a load makes the hook ask once more: the edit is older.)
    std::fs::write(
        &cfg,
        "version: 1\ndefaultEnv: e\nenvs:\n  e:\n    NOOP: noop-2a3b\n",
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(1200));
    s.type_line("");
    s.type_line("");
    let _ = s.env();
    assert_eq!(calls(), loaded + 1, "{sh:?}: {}", s.pane());
    // A config appearing nearer: one call.
    backdate(&sb.write("project/sub/.dsops.yaml", "version: 1\n"));
    s.type_line("");
    s.type_line("");
    let _ = s.env();
    assert_eq!(calls(), loaded + 2, "{sh:?}: {}", s.pane());
}

#[test]
fn nu_quiet_prompt_starts_no_process() {
    quiet_prompt(Sh::Nu);
}

#[test]
fn elvish_quiet_prompt_starts_no_process() {
    quiet_prompt(Sh::Elvish);
}

/// `dsops export --shell nu` is a NUON record for `from nuon | load-env`;
/// `--shell elvish` is code for `eval`; both read back exactly.
#[test]
fn export_reads_back_in_nu_and_elvish() {
    let sb = Sandbox::new();
    let marker = sb.path("PWNED");
    let vals = hostile_values(&marker);
    let mut yaml = String::from("version: 1\nenvs:\n  x:\n");
    for (k, v) in &vals {
        yaml.push_str(&format!("    {k}: {}\n", yaml_str(v)));
    }
    let cfg = sb.write("project/.dsops.yaml", &yaml);
    for sh in [Sh::Nu, Sh::Elvish] {
        let Some(program) = sh.program() else {
            continue;
        };
        let dump = sb.path(&format!("export-{}", sh.name()));
        let bin = sh.quote(&dsops());
        let (c, d) = (
            sh.quote(&cfg.display().to_string()),
            sh.quote(&dump.display().to_string()),
        );
        let (args, code): (&[&str], String) = match sh {
            Sh::Nu => (
                &["--no-config-file", "-c"],
                format!(
                    "^{bin} export --config {c} --shell nu | from nuon | load-env; ^env -0 | save -f {d}"
                ),
            ),
            Sh::Elvish => (
                &["-norc", "-c"],
                format!("eval ({bin} export --config {c} --shell elvish | slurp); env -0 > {d}"),
            ),
        };
        let out = Command::new(&program)
            .args(args)
            .arg(code)
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
        let env = parse_env(&std::fs::read(&dump).unwrap());
        for (k, v) in &vals {
            assert_eq!(get(&env, k), Some(v.as_bytes()), "{sh:?}: {k}");
        }
        assert!(!marker.exists(), "{sh:?}: a value was executed");
    }
}

/// `doctor` finds either hook where the README puts it.
#[test]
fn doctor_sees_the_nu_and_elvish_hooks() {
    for (file, content) in [
        (
            ".config/elvish/rc.elv",
            "eval (dsops hook elvish | slurp)\n",
        ),
        (".local/share/nushell/dsops.nu", ""),
    ] {
        let sb = Sandbox::new();
        let content = if content.is_empty() {
            String::from_utf8(sb.ok(&["hook", "nu"]).stdout).unwrap()
        } else {
            content.to_string()
        };
        let p = sb.write(file, &content);
        let out = sb.cmd().arg("doctor").output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(
            text.contains(&format!("hook: installed in {}", p.display())),
            "{file}: {text}"
        );
    }
}

/// Role credentials from the shared cache are reloaded when the state says
/// they are due (as if two hours passed); in nushell the hook's own clock
/// check, made due, asks dsops once.
fn sso_refresh(sh: Sh) {
    let sb = Sandbox::new();
    sb.write(
        ".aws/config",
        "[sso-session my-sso]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n",
    );
    let cfg = sb.write(
        "project/.dsops.yaml",
        "version: 1\nsecretStores:\n  sso:\n    type: aws.sso\n    sso_session: my-sso\n    account_id: \"123456789012\"\n    role_name: AdministratorAccess\n\
         envs:\n  e:\n    AWS_ACCESS_KEY_ID:\n      from: {store: sso, key: access_key_id}\n",
    );
    allow(&sb, &cfg);
    // The cache file of account 123456789012, role AdministratorAccess,
    // session my-sso (the check vector of hook.rs).
    let role_cache = sb.path(".aws/cli/cache/c61222fe4c86bb5d3638873744d4cab00a0bf176.json");
    let creds = |key: &str| {
        let exp = time::OffsetDateTime::now_utc() + time::Duration::seconds(7200);
        let exp = exp
            .replace_nanosecond(0)
            .unwrap()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap();
        format!(
            "{{\"ProviderType\":\"sso\",\"Credentials\":{{\"AccessKeyId\":\"{key}\",\"SecretAccessKey\":\"sk\",\"SessionToken\":\"st\",\"Expiration\":\"{exp}\",\"AccountId\":\"123456789012\"}}}}"
        )
    };
    std::fs::create_dir_all(role_cache.parent().unwrap()).unwrap();
    std::fs::write(&role_cache, creds("AKIAFIRST0001")).unwrap();
    let log = sb.path("calls.log");
    let wrapper = write_exec_store(
        &sb,
        "counting-dsops",
        &format!(
            "echo \"$@\" >> '{}'\nexec '{}' \"$@\"",
            log.display(),
            dsops()
        ),
    );
    let calls = || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.starts_with("hook-env"))
            .count()
    };
    // A date(1) first on PATH that counts its calls: with credentials
    // loaded the hook reads the clock at each prompt, without a process.
    let clock = sb.path("clock");
    std::fs::create_dir_all(&clock).unwrap();
    let date_log = sb.path("date.log");
    let date = write_exec_store(
        &sb,
        "date",
        &format!("echo x >> '{}'\nexec /bin/date \"$@\"", date_log.display()),
    );
    std::fs::rename(&date, clock.join("date")).unwrap();
    let path = format!(
        "{}:{}",
        clock.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let dates = || {
        std::fs::read_to_string(&date_log)
            .unwrap_or_default()
            .lines()
            .count()
    };
    let Some(mut s) = Session::start(&sb, sh, &wrapper, &[("PATH", &path)]) else {
        return;
    };
    s.cd(&sb.path("project"));
    let (e, _) = s.env();
    assert_eq!(
        get(&e, "AWS_ACCESS_KEY_ID"),
        Some(&b"AKIAFIRST0001"[..]),
        "{}",
        s.pane()
    );
    std::fs::write(&role_cache, creds("AKIASECOND002")).unwrap();
    // Not due: nothing reloads, and no process reads the clock.
    let (hooks, clocks) = (calls(), dates());
    for _ in 0..3 {
        s.type_line("");
    }
    let (e, _) = s.env();
    assert_eq!(get(&e, "AWS_ACCESS_KEY_ID"), Some(&b"AKIAFIRST0001"[..]));
    assert_eq!(
        (calls(), dates()),
        (hooks, clocks),
        "{sh:?}: a quiet prompt with credentials loaded started dsops or date"
    );
    if sh == Sh::Nu {
        let before = calls();
        s.type_line("$env._dsops.refresh = 1");
        let _ = s.env();
        assert_eq!(calls(), before + 1, "{}", s.pane());
    }
    s.type_line(&match sh {
        Sh::Nu => "$env.DSOPS_STATE = ($env.DSOPS_STATE | str replace -r '\"refresh\":[0-9]+' '\"refresh\":1')".to_string(),
        Sh::Elvish => "use re; set-env DSOPS_STATE (re:replace '\"refresh\":[0-9]+' '\"refresh\":1' $E:DSOPS_STATE)".to_string(),
    });
    let (e, _) = s.env();
    assert_eq!(
        get(&e, "AWS_ACCESS_KEY_ID"),
        Some(&b"AKIASECOND002"[..]),
        "{}",
        s.pane()
    );
    let state = String::from_utf8_lossy(get(&e, "DSOPS_STATE").unwrap()).into_owned();
    assert!(!state.contains("AKIASECOND002"), "{state}");
    assert!(s.pane().contains("~AWS_ACCESS_KEY_ID"), "{}", s.pane());
}

#[test]
fn nu_sso_credentials_refresh() {
    sso_refresh(Sh::Nu);
}

#[test]
fn elvish_sso_credentials_refresh() {
    sso_refresh(Sh::Elvish);
}
