//! `dsops hook-env SHELL`: what the init code runs when the shell could not
//! tell by itself that nothing changed. It prints the lines for the shell to
//! eval, all at the very end, so an error or Ctrl-C never half applies.
//!
//! The no-change path reads `DSOPS_STATE`, walks up from the directory with
//! `stat` calls to find the nearest project config, and compares the
//! fingerprints of the few files the state lists (the config, its trust
//! record, the user config, ...). When the config, `DSOPS_ENV` and those files
//! are the same and no credential refresh is due, nothing is parsed, resolved
//! or exported: only the hook's own shell variables are printed (and the
//! state, when it moved to another directory of the same project).
//!
//! Otherwise the variables dsops manages are reverted to the prior values the
//! state remembers, the new set is loaded, and the difference is printed. A
//! name dsops already managed keeps its *old* prior value, so leaving always
//! restores what the user had. A failure loads nothing and is recorded in the
//! state, shown once, and not retried until something it depends on changes.
//!
//! Deliberately not done here: `--config`/`DSOPS_CONFIG` (the hook follows
//! the directory; they are for `export`, `exec` and `creds`), and shell
//! variables that were never exported (dsops cannot see them to restore).

use super::emit::{Script, Shell};
use super::load;
use super::stamp;
use super::state::{self, State};
use crate::awsconfig::AwsConfig;
use crate::config::{self, discover, trust};
use crate::error::Result;
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Credentials are reloaded this long before they expire.
const REFRESH_MARGIN_SECS: i64 = 10 * 60;
/// ... but not more often than this.
const MIN_REFRESH_SECS: i64 = 60;
/// One environment string may not exceed 128 KiB on Linux (MAX_ARG_STRLEN);
/// a bigger variable would make every later command fail to start.
const MAX_ENV_STRING: usize = 128 * 1024 - 1;

/// Names a config may not make the hook export: the hook's own, and the
/// shells' special or read-only variables.
const RESERVED: &[&str] = &[
    "DSOPS_STATE",
    "DSOPS_ENV",
    "PWD",
    "OLDPWD",
    "SHLVL",
    "_",
    // bash
    "BASHOPTS",
    "BASHPID",
    "BASH_ARGC",
    "BASH_ARGV",
    "BASH_LINENO",
    "BASH_SOURCE",
    "BASH_VERSINFO",
    "EUID",
    "FUNCNAME",
    "GROUPS",
    "PPID",
    "SHELLOPTS",
    "UID",
    // zsh
    "ARGC",
    "argv",
    "status",
    "pipestatus",
    "path",
    "fpath",
    "cdpath",
    "manpath",
    "mailpath",
    "module_path",
    "psvar",
    "ZSH_SUBSHELL",
    // fish
    "fish_pid",
    "history",
    "hostname",
    "umask",
    "version",
    "FISH_VERSION",
];

pub struct Options {
    pub shell: Shell,
    pub quiet: bool,
    pub debug: bool,
}

/// Why a name cannot be exported by the hook, if it cannot.
pub fn refuse_name(name: &str) -> Option<&'static str> {
    if !config::valid_var_name(name) {
        Some("not a valid variable name")
    } else if RESERVED.contains(&name) || name.starts_with("_dsops_") {
        Some("reserved by the shell or by dsops")
    } else {
        None
    }
}

/// Content fingerprint of a watched file; `None` when it is not a file (the
/// shell's `-f` test agrees).
pub fn fingerprint(p: &Path) -> Option<String> {
    let meta = std::fs::metadata(p).ok()?;
    if !meta.is_file() {
        return None;
    }
    Some(match crate::fsutil::read_limited(p, 4 << 20) {
        Ok(bytes) => fingerprint_bytes(&bytes),
        // Unreadable or huge: changes of size and time still show.
        Err(_) => {
            use std::os::unix::fs::MetadataExt;
            format!("!{}.{}.{}", meta.len(), meta.mtime(), meta.mtime_nsec())
        }
    })
}

fn fingerprint_bytes(b: &[u8]) -> String {
    let mut h = trust::sha256_hex(b);
    h.truncate(32);
    h
}

/// The nearest project config at or above `dir` (exactly as
/// `discover::nearest` finds it), and every config path looked at before it:
/// the shell checks that none of those appears.
pub fn walk(dir: &Path) -> (Option<PathBuf>, Vec<PathBuf>) {
    let mut absent = vec![];
    for d in dir.ancestors() {
        for n in discover::NAMES {
            let p = d.join(n);
            if p.is_file() {
                return (Some(p), absent);
            }
            absent.push(p);
        }
    }
    (None, absent)
}

fn files_unchanged(files: &[(String, Option<String>)]) -> bool {
    files
        .iter()
        .all(|(p, fp)| fingerprint(&state::dec_path(p)) == *fp)
}

fn epoch(t: SystemTime) -> i64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// What one computation decided to load.
#[derive(Default)]
struct Plan {
    set: Option<String>,
    vars: Vec<(String, String)>,
    files: Vec<(PathBuf, Option<String>)>,
    /// One-time messages (errors and hints), shown when they differ from
    /// the last ones.
    notices: Vec<String>,
    refresh: i64,
}

impl Plan {
    fn fail(&mut self, msg: String) {
        self.set = None;
        self.vars.clear();
        self.refresh = 0;
        self.notices.push(msg);
    }
}

pub fn run(opts: &Options) -> Result<Vec<u8>> {
    // Before any file is read: the stamp must be older than every change
    // that this run does not see.
    let read_at = SystemTime::now();
    let now = epoch(read_at);
    let old = match State::from_env() {
        Ok(Some(s)) => s,
        Ok(None) => State::empty(),
        Err(why) => {
            eprintln!("dsops: {why}; starting afresh (variables set by the last load stay)");
            State::empty()
        }
    };
    let dir = discover::cwd()?;
    let (nearest, ancestors) = walk(&dir);
    let env_var = std::env::var_os("DSOPS_ENV").map(|v| v.to_string_lossy().into_owned());
    let nearest_enc = nearest.as_deref().map(state::enc_path);

    let same_inputs = old.cfg == nearest_enc
        && (nearest.is_none() || (old.env == env_var && files_unchanged(&old.files)));
    let refresh_due = old.refresh != 0 && now >= old.refresh;
    if opts.debug {
        eprintln!(
            "dsops: debug: hook-env: dir {}, config {}, inputs {}, refresh {}",
            dir.display(),
            nearest
                .as_deref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "none".into()),
            if same_inputs { "unchanged" } else { "changed" },
            if refresh_due { "due" } else { "not due" },
        );
    }

    let mut script = Script::new(opts.shell);
    let new = if same_inputs && !refresh_due {
        let mut new = old.clone();
        keep_stamp(&old, &mut new, read_at);
        new
    } else {
        let plan = plan(
            opts.shell,
            &dir,
            nearest.as_deref(),
            env_var.as_deref(),
            now,
        );
        apply(
            opts,
            &old,
            plan,
            same_inputs,
            nearest_enc,
            env_var,
            read_at,
            &mut script,
        )
    };

    if new != old || (new.is_empty() && std::env::var_os(state::VAR).is_some()) {
        if new.is_empty() {
            script.unset(state::VAR);
        } else {
            script.export(state::VAR, new.encode().as_bytes());
        }
    }
    let stamp = new
        .stamp
        .as_deref()
        .map(state::dec_path)
        .unwrap_or_default();
    let mut watch: Vec<PathBuf> = vec![];
    let mut absent: Vec<PathBuf> = ancestors;
    for (p, fp) in &new.files {
        match fp {
            Some(_) => watch.push(state::dec_path(p)),
            None => absent.push(state::dec_path(p)),
        }
    }
    let bytes = |v: &[PathBuf]| -> Vec<Vec<u8>> {
        v.iter()
            .map(|p| p.as_os_str().as_bytes().to_vec())
            .collect()
    };
    let (watch, absent) = (bytes(&watch), bytes(&absent));
    let watch: Vec<&[u8]> = watch.iter().map(Vec::as_slice).collect();
    let absent: Vec<&[u8]> = absent.iter().map(Vec::as_slice).collect();
    script.bookkeeping(stamp.as_os_str().as_bytes(), &watch, &absent, new.refresh);
    Ok(script.out)
}

/// Nothing changed: keep the stamp (moved forward: the files were just found
/// unchanged), or make one when the state watches files and has none.
fn keep_stamp(old: &State, new: &mut State, read_at: SystemTime) {
    if new.files.is_empty() {
        if let Some(p) = &old.stamp {
            stamp::remove(&state::dec_path(p));
        }
        new.stamp = None;
        return;
    }
    let kept = old
        .stamp
        .as_deref()
        .is_some_and(|p| stamp::touch(&state::dec_path(p), read_at));
    if !kept {
        new.stamp = stamp::create(read_at).as_deref().map(state::enc_path);
    }
}

/// Decide what to load: nothing, or one env set's values.
fn plan(shell: Shell, dir: &Path, nearest: Option<&Path>, env_var: Option<&str>, now: i64) -> Plan {
    let mut plan = Plan::default();
    let Some(cfg_path) = nearest else {
        return plan;
    };
    let shown = display(dir, cfg_path);
    let content = match crate::fsutil::read_limited(cfg_path, config::MAX_CONFIG_BYTES) {
        Ok(c) => c,
        Err(e) => {
            plan.files
                .push((cfg_path.to_path_buf(), fingerprint(cfg_path)));
            plan.fail(format!("{}: cannot read: {e}", cfg_path.display()));
            return plan;
        }
    };
    plan.files
        .push((cfg_path.to_path_buf(), Some(fingerprint_bytes(&content))));
    let record = trust::record_path(cfg_path);
    plan.files.push((record.clone(), fingerprint(&record)));
    let t = trust::check(cfg_path, &content);
    if t != trust::Trust::Allowed {
        plan.fail(trust::untrusted_error(cfg_path, t).message);
        return plan;
    }
    let user = crate::paths::user_config();
    plan.files.push((user.clone(), fingerprint(&user)));
    let cfg = match config::load(Some(cfg_path)) {
        Ok(c) => c,
        Err(e) => {
            plan.fail(format!("not loaded: {e}"));
            return plan;
        }
    };
    let aws = if load::uses_aws_config(&cfg) {
        let p = crate::paths::aws_config_file();
        plan.files.push((p.clone(), fingerprint(&p)));
        match AwsConfig::load() {
            Ok(a) => a,
            Err(e) => {
                plan.fail(format!("not loaded: {e}"));
                return plan;
            }
        }
    } else {
        AwsConfig::default()
    };
    let set = match cfg.pick_env(env_var) {
        Ok(Some(set)) => set.clone(),
        Ok(None) => {
            let names: Vec<&str> = cfg.envs.iter().map(|e| e.name.as_str()).collect();
            let msg = if names.is_empty() {
                format!("{shown} defines no env sets; nothing to load")
            } else {
                format!(
                    "{shown} has env sets {} and no defaultEnv: choose one with '{}'",
                    names.join(", "),
                    shell.set_env_hint(names[0])
                )
            };
            plan.fail(msg);
            return plan;
        }
        Err(e) => {
            plan.fail(format!("not loaded: {e}"));
            return plan;
        }
    };
    let set_name = set.name.clone();
    let loaded = match load::resolve_bounded(cfg, aws, set, load::timeout()) {
        Ok(l) => l,
        Err(e) => {
            plan.fail(format!("not loaded: {e}"));
            return plan;
        }
    };
    for b in &loaded.blocked {
        plan.files
            .push((b.token_file.clone(), fingerprint(&b.token_file)));
        plan.notices.push(format!(
            "sign-in needed for store '{}': run '{}' (not loaded: {})",
            b.store,
            b.hint,
            b.vars.join(", ")
        ));
    }
    for (name, value) in &loaded.resolved.vars {
        let problem = refuse_name(name)
            .map(str::to_string)
            .or_else(|| {
                value
                    .contains('\0')
                    .then(|| "the value contains a NUL byte".into())
            })
            .or_else(|| {
                (name.len() + 1 + value.len() > MAX_ENV_STRING).then(|| {
                    format!(
                        "the value is {} bytes; one environment variable may hold at most 128 KiB",
                        value.len()
                    )
                })
            });
        if let Some(p) = problem {
            plan.fail(format!(
                "not loaded: {set_name}: refusing to export {name}: {p}"
            ));
            return plan;
        }
    }
    plan.set = Some(set_name);
    plan.vars = loaded.resolved.vars;
    plan.refresh = loaded
        .resolved
        .expires
        .map(|e| (e.unix_timestamp() - REFRESH_MARGIN_SECS).max(now + MIN_REFRESH_SECS))
        .unwrap_or(0);
    plan
}

/// The config as the user would name it from `dir`.
fn display(dir: &Path, cfg: &Path) -> String {
    if cfg.parent() == Some(dir) {
        return cfg
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
    }
    let home = crate::paths::home();
    match cfg.strip_prefix(&home) {
        Ok(rest) if home != Path::new("/") => format!("~/{}", rest.display()),
        _ => cfg.display().to_string(),
    }
}

/// Revert what the old state exported, apply `plan`, print the status lines
/// and the one-time messages, and return the new state.
#[allow(clippy::too_many_arguments)]
fn apply(
    opts: &Options,
    old: &State,
    mut plan: Plan,
    same_inputs: bool,
    cfg: Option<String>,
    env_var: Option<String>,
    read_at: SystemTime,
    script: &mut Script,
) -> State {
    let priors = old.priors();
    // What the user had before dsops changed anything.
    let baseline = |name: &str| -> Option<OsString> {
        match priors.iter().find(|(n, _)| n == name) {
            Some((_, p)) => p.clone(),
            None => std::env::var_os(name),
        }
    };
    let mut new = State {
        v: state::VERSION,
        cfg,
        env: env_var,
        ..Default::default()
    };
    let build = |plan: &Plan, new: &mut State| {
        new.set = plan.set.clone();
        new.refresh = plan.refresh;
        new.files = plan
            .files
            .iter()
            .map(|(p, fp)| (state::enc_path(p), fp.clone()))
            .collect();
        new.vars = plan
            .vars
            .iter()
            .map(|(n, _)| (n.clone(), baseline(n).as_deref().map(state::enc_value)))
            .collect();
        new.note = (!plan.notices.is_empty())
            .then(|| fingerprint_bytes(plan.notices.join("\n").as_bytes()));
    };
    build(&plan, &mut new);
    if new.encode().len() > state::MAX_LEN {
        let names: Vec<&str> = plan.vars.iter().map(|(n, _)| n.as_str()).collect();
        plan.fail(format!(
            "not loaded: the current values of {} are too large to remember for restoring them later",
            names.join(", ")
        ));
        build(&plan, &mut new);
    }

    // The lines for the shell: every name dsops managed or will manage whose
    // value must change.
    let mut names: Vec<&str> = priors.iter().map(|(n, _)| n.as_str()).collect();
    for (n, _) in &plan.vars {
        if !names.contains(&n.as_str()) {
            names.push(n);
        }
    }
    let mut diff: Vec<String> = vec![];
    for name in names {
        let target: Option<OsString> = match plan.vars.iter().find(|(n, _)| n == name) {
            Some((_, v)) => Some(OsString::from(v)),
            None => baseline(name),
        };
        let current = std::env::var_os(name);
        let was_managed = priors.iter().any(|(n, _)| n == name);
        let will_manage = plan.vars.iter().any(|(n, _)| n == name);
        match (was_managed, will_manage) {
            (false, true) => diff.push(format!("+{name}")),
            (true, false) => diff.push(format!("-{name}")),
            _ if target != current => diff.push(format!("~{name}")),
            _ => {}
        }
        if target == current {
            continue;
        }
        // Names from the old state are user input too.
        if refuse_name(name).is_some() {
            continue;
        }
        match &target {
            Some(v) => script.export(name, OsStr::as_bytes(v)),
            None => script.unset(name),
        }
    }

    // The stamp: a fresh one for this load; the old one is no longer needed.
    if let Some(p) = &old.stamp {
        stamp::remove(&state::dec_path(p));
    }
    new.stamp = if new.files.is_empty() {
        None
    } else {
        stamp::create(read_at).as_deref().map(state::enc_path)
    };

    if new.note.is_some() && new.note != old.note {
        for n in &plan.notices {
            eprintln!("dsops: {n}");
        }
    }
    if !opts.quiet {
        if old.set.is_some() && new.set.is_none() {
            eprintln!("dsops: unloading");
        }
        if let (Some(set), Some(cfg)) = (&new.set, &new.cfg) {
            // A reload for the clock alone (credentials) is not news.
            if !same_inputs || old.set != new.set {
                let dir = discover::cwd().unwrap_or_default();
                let shown = display(&dir, &state::dec_path(cfg));
                eprintln!("dsops: loading {shown} (env {set})");
            }
        }
        if !diff.is_empty() {
            eprintln!("dsops: {}", diff.join(" "));
        }
    }
    new
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walk_agrees_with_discover() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        std::fs::create_dir_all(root.join("a/b/c")).unwrap();
        std::fs::write(root.join("a/dsops.yaml"), "").unwrap();
        let (found, absent) = walk(&root.join("a/b/c"));
        assert_eq!(found, discover::nearest(&root.join("a/b/c")));
        assert_eq!(found.unwrap(), root.join("a/dsops.yaml"));
        assert_eq!(
            absent,
            vec![
                root.join("a/b/c/.dsops.yaml"),
                root.join("a/b/c/dsops.yaml"),
                root.join("a/b/.dsops.yaml"),
                root.join("a/b/dsops.yaml"),
                root.join("a/.dsops.yaml"),
            ]
        );
        // A directory with a config's name is not a config.
        std::fs::create_dir(root.join("a/b/.dsops.yaml")).unwrap();
        assert_eq!(
            walk(&root.join("a/b/c")).0,
            discover::nearest(&root.join("a/b/c"))
        );
    }

    #[test]
    fn reserved_names() {
        assert!(refuse_name("DATABASE_URL").is_none());
        assert!(refuse_name("DSOPS_STATE").is_some());
        assert!(refuse_name("_dsops_sig").is_some());
        assert!(refuse_name("A-B").is_some());
        assert!(refuse_name("1A").is_some());
    }
}
