//! What the hook should load for the directory: nothing, a one-time message
//! (an untrusted config, no env set chosen, a failure), or one env set's
//! values, with every file the decision depended on and its fingerprint so
//! that the next `hook-env` can tell cheaply whether to decide again.
//!
//! Names are checked once more here even though the config layer validates
//! them: the hook refuses the names the shell treats specially and dsops's
//! own (per shell, see `reserved.rs`), values with a NUL byte, and values too
//! big for the kernel's limit on one environment string. A refusal fails the
//! whole set, like any failure.

use super::Shell;
use super::load;
use crate::awsconfig::AwsConfig;
use crate::config::{self, trust};
use std::path::{Path, PathBuf};

/// Credentials are reloaded this long before they expire.
const REFRESH_MARGIN_SECS: i64 = 10 * 60;
/// ... but not more often than this.
const MIN_REFRESH_SECS: i64 = 60;
/// One environment string may not exceed 128 KiB on Linux (MAX_ARG_STRLEN);
/// a bigger variable would make every later command fail to start.
const MAX_ENV_STRING: usize = 128 * 1024 - 1;

/// Why the hook cannot export `name` in `shell`, if it cannot: not a valid
/// name, or one the shell or dsops reserves (see [`super::reserved`]).
pub fn refuse_name(shell: Shell, name: &str) -> Option<&'static str> {
    if !config::valid_var_name(name) {
        Some("not a valid variable name")
    } else {
        super::reserved::refused(shell, name)
    }
}

/// A watched file is fingerprinted by content up to this size.
const MAX_WATCHED_BYTES: u64 = 4 << 20;

/// Content fingerprint of a watched file; `None` when it is not a regular
/// file (the shell's `-f` test agrees). The read is bounded whatever
/// `st_size` says (a `/proc` file says 0 and never ends).
pub fn fingerprint(p: &Path) -> Option<String> {
    use std::io::Read;
    // One open and one fstat: this runs for every watched file on the hook's
    // no-change path. A FIFO or device is not opened for reading at all.
    let (file, meta) = match crate::platform::open_regular(p, true) {
        Ok((f, meta)) => (Some(f), meta),
        Err(_) => (None, std::fs::metadata(p).ok()?),
    };
    if !meta.is_file() {
        return None;
    }
    let mut bytes = Vec::with_capacity(meta.len().min(MAX_WATCHED_BYTES) as usize);
    let read = file.is_some_and(|f| {
        f.take(MAX_WATCHED_BYTES + 1)
            .read_to_end(&mut bytes)
            .is_ok()
            && bytes.len() as u64 <= MAX_WATCHED_BYTES
    });
    Some(if read {
        fingerprint_bytes(&bytes)
    } else {
        // Unreadable or huge: changes of size and time still show.
        let (len, secs, nanos) = crate::platform::change_marks(&meta);
        format!("!{len}.{secs}.{nanos}")
    })
}

pub fn fingerprint_bytes(b: &[u8]) -> String {
    let mut h = trust::sha256_hex(b);
    h.truncate(32);
    h
}

/// What one computation decided to load.
#[derive(Default)]
pub struct Plan {
    pub set: Option<String>,
    pub vars: Vec<(String, String)>,
    pub files: Vec<(PathBuf, Option<String>)>,
    /// One-time messages (errors and hints), shown when they differ from
    /// the last ones.
    pub notices: Vec<String>,
    pub refresh: i64,
    /// The config is denied: its one line is said once per shell.
    pub denied: bool,
    /// What `dsops use` switched the shell to (kept when the load fails).
    pub using: Option<String>,
}

impl Plan {
    pub fn fail(&mut self, msg: String) {
        self.set = None;
        self.vars.clear();
        self.refresh = 0;
        self.notices.push(msg);
    }
}

/// What a load sets, when it succeeds.
struct Load {
    set: String,
    vars: Vec<(String, String)>,
    refresh: i64,
}

/// Decide what to load: nothing, or one env set's values. A failure loads
/// nothing and becomes a one-time notice; the files read on the way are
/// watched either way.
pub fn plan(
    shell: Shell,
    dir: &Path,
    nearest: Option<&Path>,
    env_var: Option<&str>,
    now: i64,
    priors: load::Priors,
) -> Plan {
    let mut plan = Plan::default();
    let Some(cfg_path) = nearest else {
        return plan;
    };
    match decide(&mut plan, shell, dir, cfg_path, env_var, now, priors) {
        Ok(load) => {
            plan.set = Some(load.set);
            plan.vars = load.vars;
            plan.refresh = load.refresh;
        }
        Err(msg) => plan.fail(msg),
    }
    plan
}

/// The work of [`plan`]: every file it reads goes into `plan.files` (and
/// sign-in notices into `plan.notices`) as it goes; the first failure is
/// the error.
fn decide(
    plan: &mut Plan,
    shell: Shell,
    dir: &Path,
    cfg_path: &Path,
    env_var: Option<&str>,
    now: i64,
    priors: load::Priors,
) -> std::result::Result<Load, String> {
    let not_loaded = |e: crate::error::Error| format!("not loaded: {e}");
    let shown = display(dir, cfg_path);
    // One read: the bytes fingerprinted, hashed for trust and parsed are
    // the same bytes, so a file swapped in between cannot slip through.
    let source = config::ConfigFile::read(cfg_path).map_err(|e| {
        plan.files
            .push((cfg_path.to_path_buf(), fingerprint(cfg_path)));
        e.message
    })?;
    plan.files.push((
        cfg_path.to_path_buf(),
        Some(fingerprint_bytes(source.text.as_bytes())),
    ));
    let record = trust::record_path(cfg_path);
    plan.files.push((record.clone(), fingerprint(&record)));
    let t = trust::check(cfg_path, source.text.as_bytes());
    if t != trust::Trust::Allowed {
        plan.denied = t == trust::Trust::Denied;
        return Err(trust::untrusted_error(cfg_path, t).message);
    }
    let user_path = crate::paths::user_config();
    let user = config::ConfigFile::user().map_err(|e| {
        plan.files
            .push((user_path.clone(), fingerprint(&user_path)));
        not_loaded(e)
    })?;
    plan.files.push((
        user_path,
        user.as_ref().map(|u| fingerprint_bytes(u.text.as_bytes())),
    ));
    let cfg = config::load(user.as_ref(), Some(&source)).map_err(not_loaded)?;
    let aws = if load::uses_aws_config(&cfg) {
        let p = crate::paths::aws_config_file();
        plan.files.push((p.clone(), fingerprint(&p)));
        AwsConfig::load().map_err(not_loaded)?
    } else {
        AwsConfig::default()
    };
    let set = match cfg.pick_env(env_var).map_err(not_loaded)? {
        Some(set) => set.clone(),
        None => {
            let names: Vec<&str> = cfg.envs.iter().map(|e| e.name.as_str()).collect();
            return Err(if names.is_empty() {
                format!("{shown} defines no env sets; nothing to load")
            } else {
                format!(
                    "{shown} has env sets {} and no defaultEnv: choose one with '{}'",
                    names.join(", "),
                    shell.set_env_hint(names[0])
                )
            });
        }
    };
    let set_name = set.name.clone();
    let loaded =
        load::resolve_bounded(cfg, aws, set, load::timeout(), priors).map_err(not_loaded)?;
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
        let problem = refuse_name(shell, name)
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
            return Err(format!(
                "not loaded: {set_name}: refusing to export {name}: {p}"
            ));
        }
    }
    let refresh = loaded
        .resolved
        .expires
        .map(|e| (e.unix_timestamp() - REFRESH_MARGIN_SECS).max(now + MIN_REFRESH_SECS))
        .unwrap_or(0);
    Ok(Load {
        set: set_name,
        vars: loaded.resolved.vars,
        refresh,
    })
}

/// The config as the user would name it from `dir`, escaped for the
/// terminal (a directory name can carry terminal controls).
pub fn display(dir: &Path, cfg: &Path) -> String {
    if cfg.parent() == Some(dir) {
        return cfg
            .file_name()
            .map(|n| crate::text::path(Path::new(n)))
            .unwrap_or_default();
    }
    let home = crate::paths::home();
    match cfg.strip_prefix(&home) {
        Ok(rest) if home != Path::new("/") => format!("~/{}", crate::text::path(rest)),
        _ => crate::text::path(cfg),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_names() {
        for &sh in crate::shell::SHELLS {
            assert!(refuse_name(sh, "DATABASE_URL").is_none());
            assert!(refuse_name(sh, "DSOPS_STATE").is_some());
            assert!(refuse_name(sh, "_dsops_sig").is_some());
            assert!(refuse_name(sh, "A-B").is_some());
            assert!(refuse_name(sh, "1A").is_some());
        }
        assert!(refuse_name(&crate::shell::zsh::Zsh, "LINENO").is_some());
        assert!(refuse_name(&crate::shell::fish::Fish, "LINENO").is_none());
    }
}
