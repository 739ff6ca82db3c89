//! `dsops doctor`: one line per check (`ok`, `warn`, `FAIL`) on stdout; exit
//! status 1 when any check failed.
//!
//! Checks: the user and project configs (parse, trust), the AWS config, the
//! env sets, every store (or only `--store NAME`): `aws.sso` token state and
//! expiry and the role's credentials, reachability of the AWS API stores with
//! their credentials, `exec` commands on PATH; permissions of the token, role
//! and EKS token caches (a cache file of ours open to others is made 0600,
//! and each one repaired is reported), the trust records and the configs;
//! whether the shell hook is installed.
//!
//! The AWS config's sessions, SSO profiles and role chains are checked in
//! `doctor_aws.rs`, whether or not dsops has a config of its own.
//!
//! Sign-in: when an `aws.sso` store has no usable token and stdin and stderr
//! are a terminal (and neither `DSOPS_NO_LOGIN=1` nor `CI=true`), doctor signs
//! in, as `dsops login` would. Otherwise it only reports what to run. Doctor
//! never prints a secret value: it reports expiries, never tokens or keys.

#[path = "doctor_aws.rs"]
mod aws;

use super::Ctx;
use crate::awsconfig::AwsConfig;
use crate::config::discover::{self, Refused};
use crate::config::{self, Config, Store, trust::Trust};
use crate::error::{Exit, Result};
use crate::sso::LoginPolicy;
use crate::stores;
use std::path::Path;

#[derive(Default)]
struct Report {
    fails: usize,
    warns: usize,
}

impl Report {
    fn line(&mut self, status: &str, msg: impl std::fmt::Display) {
        // Each line as soon as its check is done; a reader that went away
        // does not stop the checks. Paths, names and messages come from
        // project files: escaped for the terminal.
        let msg = msg.to_string();
        let msg = crate::text::shown(&msg);
        let _ = crate::output::print(format!("{status:<4} {msg}\n").as_bytes());
    }
    fn ok(&mut self, msg: impl std::fmt::Display) {
        self.line("ok", msg);
    }
    fn warn(&mut self, msg: impl std::fmt::Display) {
        self.warns += 1;
        self.line("warn", msg);
    }
    fn fail(&mut self, msg: impl std::fmt::Display) {
        self.fails += 1;
        self.line("FAIL", msg);
    }
}

/// A probe's bound (each request has its own, shorter one).
const PROBE_BOUND: std::time::Duration = std::time::Duration::from_secs(120);

pub fn run(ctx: &Ctx) -> Result<i32> {
    let mut r = Report::default();
    let cfg = check_configs(ctx, &mut r);
    // A line that does not parse is reported, and the rest is still read:
    // each lookup parses only the sections it needs.
    let aws = match AwsConfig::load() {
        Ok(a) => {
            let broken = match a.check() {
                Ok(()) => {
                    r.ok(format_args!(
                        "AWS config: {}{}",
                        a.path().display(),
                        if a.path().exists() { "" } else { " (none)" }
                    ));
                    None
                }
                Err(e) => {
                    r.fail(format_args!("AWS config: {e}"));
                    Some(e.message)
                }
            };
            let sign_in = aws::SignIn::from(ctx.args.login);
            aws::check(&a, broken.as_deref(), sign_in, &mut r);
            Some(a)
        }
        Err(e) => {
            r.fail(format_args!("AWS config: {e}"));
            None
        }
    };
    if let (Some(cfg), Some(aws)) = (&cfg, &aws) {
        check_envs(ctx, cfg, &mut r);
        let only = ctx.args.store.as_deref();
        if let Some(name) = only
            && let Err(e) = cfg.store(name)
        {
            r.fail(format_args!("--store {name}: {e}"));
        }
        // aws.sso stores first: a sign-in happens there, with its own line,
        // before the stores that take credentials from them.
        let mut stores: Vec<&Store> = cfg.stores.values().collect();
        stores.sort_by_key(|s| !s.kind.gives_credentials());
        for store in stores {
            if only.is_none_or(|n| n == store.name) {
                check_store(cfg, aws, store, &mut r);
            }
        }
    }
    check_permissions(cfg.as_ref(), &mut r);
    check_hook(&mut r);
    if r.fails > 0 {
        eprintln!(
            "dsops: doctor: {} problem(s){}",
            r.fails,
            if r.warns > 0 {
                format!(", {} warning(s)", r.warns)
            } else {
                String::new()
            }
        );
        Ok(Exit::Error.code())
    } else {
        Ok(0)
    }
}

fn check_configs(ctx: &Ctx, r: &mut Report) -> Option<Config> {
    let user = match config::ConfigFile::user() {
        Ok(Some(u)) => {
            match u.parse() {
                Ok(_) => r.ok(format_args!("user config: {}", u.path.display())),
                Err(e) => r.fail(format_args!("user config: {e}")),
            }
            Some(u)
        }
        Ok(None) => {
            r.ok(format_args!(
                "user config: none at {}",
                crate::paths::user_config().display()
            ));
            None
        }
        Err(e) => {
            r.fail(format_args!("user config: {e}"));
            None
        }
    };
    let explicit = ctx.args.config.is_some();
    let project = match ctx.project() {
        Ok(p) => p,
        Err(e) => {
            r.fail(format_args!("project config: {e}"));
            return None;
        }
    };
    for (p, why) in &project.skipped {
        r.warn(format_args!(
            "project config: skipping {}: {why}",
            p.display()
        ));
    }
    match (&project.trusted, &project.untrusted) {
        (Some(s), _) => match s.parse() {
            Ok(_) => r.ok(format_args!(
                "project config: {} ({})",
                s.path.display(),
                if explicit {
                    "named by --config/DSOPS_CONFIG, trusted"
                } else {
                    "trusted"
                }
            )),
            Err(e) => r.fail(format_args!("project config: {e}")),
        },
        (None, Some((p, Refused::Trust(Trust::Denied)))) => r.warn(format_args!(
            "project config: {} is denied (dsops deny); not loaded",
            p.display()
        )),
        (None, Some((p, why))) => r.fail(format_args!(
            "project config: {}",
            discover::refused_error(p, why)
        )),
        (None, None) => r.ok("project config: none found from the working directory up"),
    }
    match config::load(user.as_ref(), project.trusted.as_ref()) {
        Ok(c) => Some(c),
        Err(e) => {
            r.fail(format_args!("config: {e}"));
            None
        }
    }
}

fn check_envs(ctx: &Ctx, cfg: &Config, r: &mut Report) {
    if cfg.envs.is_empty() {
        r.warn("env sets: none defined");
        return;
    }
    let chosen = cfg
        .pick_env(ctx.env_name().as_deref())
        .ok()
        .flatten()
        .map(|e| e.name.clone());
    for env in &cfg.envs {
        r.ok(format_args!(
            "env '{}': {} variable(s){}",
            env.name,
            env.vars.len(),
            if chosen.as_deref() == Some(env.name.as_str()) {
                " (selected)"
            } else {
                ""
            }
        ));
    }
    if chosen.is_none() {
        r.warn("env sets: none selected (set DSOPS_ENV or defaultEnv); the hook will load nothing");
    }
}

fn check_store(cfg: &Config, aws: &AwsConfig, store: &Store, r: &mut Report) {
    let head = format!("store '{}' ({})", store.name, store.kind.name());
    // Sign in only where a person can answer the browser.
    let mut login = LoginPolicy::from_env(false, false, false);
    login.allowed = login.allowed && super::interactive();
    let opts = stores::Options {
        login,
        timeout: PROBE_BOUND,
    };
    let cx = stores::Cx {
        cfg,
        aws,
        opts: &opts,
    };
    for (status, line) in stores::kind_of(store).probe(&cx, store) {
        match status {
            stores::Status::Ok => r.ok(format_args!("{head}: {line}")),
            stores::Status::Warn => r.warn(format_args!("{head}: {line}")),
            stores::Status::Fail => r.fail(format_args!("{head}: {line}")),
        }
    }
}

/// A cache, trust record or config owned by another user than us or root
/// (and on Windows, where files have no modes, SYSTEM and Administrators):
/// a failed check, counted.
fn foreign(p: &Path, what: &str, r: &mut Report) -> usize {
    let Some(owner) = crate::platform::foreign_owner(p) else {
        return 0;
    };
    r.fail(format_args!(
        "{} {what} and is owned by another user ({}): remove it or take it over",
        p.display(),
        crate::text::shown(&owner)
    ));
    1
}

/// Secrets must not be readable by others, nothing that decides what dsops
/// loads may be writable by others, and none of it owned by another user.
fn check_permissions(cfg: Option<&Config>, r: &mut Report) {
    let mut problems = 0;
    let mode = |p: &Path| {
        std::fs::metadata(p)
            .ok()
            .map(|m| crate::platform::owner_and_mode(&m).1 & 0o777)
    };
    let eks_cache = crate::paths::cache_home().join("dsops").join("eks");
    for dir in [
        crate::paths::sso_cache_dir(),
        crate::paths::cli_cache_dir(),
        eks_cache,
    ] {
        problems += foreign(&dir, "holds tokens or credentials", r);
        if let Some(m) = mode(&dir)
            && m & 0o022 != 0
        {
            problems += 1;
            r.fail(format_args!(
                "{} is writable by others (mode {m:04o}): chmod go-w {}",
                dir.display(),
                dir.display()
            ));
        }
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let p = entry.path();
            if p.extension().is_none_or(|e| e != "json") || !p.is_file() {
                continue;
            }
            problems += foreign(&p, "holds a token or credentials", r);
            // One of ours is made private (and reported below with those
            // repaired while the stores were checked).
            if let Ok((f, meta)) = crate::platform::open_regular(&p, false)
                && crate::fsutil::repair_open(&p, &f, &meta)
            {
                continue;
            }
            if let Some(m) = mode(&p)
                && m & 0o077 != 0
            {
                problems += 1;
                r.fail(format_args!(
                    "{} holds a token or credentials and is readable by others (mode {m:04o}): chmod 600 {}",
                    p.display(),
                    p.display()
                ));
            }
        }
    }
    for (p, m) in crate::fsutil::repaired() {
        problems += 1;
        r.warn(format_args!(
            "{} holds a token or credentials and was open to others (mode {m:04o}): repaired, now 0600",
            p.display()
        ));
    }
    let trust = crate::paths::trust_dir();
    for d in [trust.parent().map(Path::to_path_buf), Some(trust.clone())]
        .into_iter()
        .flatten()
    {
        problems += foreign(&d, "holds trust records", r);
        if let Some(m) = mode(&d)
            && m & 0o022 != 0
        {
            problems += 1;
            r.fail(format_args!(
                "{} holds trust records and is writable by others (mode {m:04o}): chmod go-w {}",
                d.display(),
                d.display()
            ));
        }
    }
    let configs = cfg
        .map(|c| {
            c.user_file
                .iter()
                .chain(c.project_file.iter())
                .cloned()
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    for p in configs {
        problems += foreign(&p, "decides what dsops loads", r);
        match mode(&p) {
            Some(m) if m & 0o002 != 0 => {
                problems += 1;
                r.fail(format_args!(
                    "{} is writable by everyone (mode {m:04o}): chmod o-w {}",
                    p.display(),
                    p.display()
                ));
            }
            Some(m) if m & 0o020 != 0 => {
                problems += 1;
                r.warn(format_args!(
                    "{} is writable by its group (mode {m:04o})",
                    p.display()
                ));
            }
            _ => {}
        }
    }
    if problems == 0 {
        r.ok("file permissions: token and role caches private; trust records and configs not writable by others");
    }
}

fn check_hook(r: &mut Report) {
    if cfg!(windows) {
        r.ok(format_args!(
            "hook: not available on Windows yet (use {} or {})",
            crate::settings::dsops_command(&["export", "--format", "powershell"]),
            crate::settings::dsops_command(&["exec", "--", "CMD"]),
        ));
        return;
    }
    let (home, config_home) = (crate::paths::home(), crate::paths::config_home());
    let installed: Vec<String> = crate::shell::SHELLS
        .iter()
        .flat_map(|sh| sh.rc_files(&home, &config_home))
        .filter(|p| {
            crate::fsutil::read_bounded(p, 1 << 20)
                .is_ok_and(|b| String::from_utf8_lossy(&b).contains("dsops hook"))
        })
        .map(|p| p.display().to_string())
        .collect();
    let active = crate::settings::var(crate::shell::state::VAR).is_some();
    match (installed.is_empty(), active) {
        (false, a) => r.ok(format_args!(
            "hook: installed in {}{}",
            installed.join(", "),
            if a { " (active in this shell)" } else { "" }
        )),
        (true, true) => r.ok("hook: active in this shell"),
        (true, false) => {
            let hints: Vec<&str> = crate::shell::SHELLS
                .iter()
                .map(|s| s.install_hint())
                .collect();
            r.warn(format_args!(
                "hook: not installed (add {})",
                hints.join(", or ")
            ))
        }
    }
}
