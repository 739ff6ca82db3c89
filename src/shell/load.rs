//! What the hook loads for one env set: the resolver's values under a time
//! bound, with sign-in never attempted.
//!
//! The hook never opens a browser. When an `aws.sso` store needs a sign-in,
//! the variables that depend on it (directly, or through `credentials_from`)
//! are left out, the rest of the set is loaded, and the caller says once which
//! `dsops login` to run; the token file is watched so that signing in reloads.
//! Any other failure fails the whole set: nothing is half applied.
//!
//! Resolution runs on its own thread so that a store that ignores its timeout
//! cannot hold the prompt past `DSOPS_HOOK_TIMEOUT` (+ a short grace).

use crate::awsconfig::AwsConfig;
use crate::config::{Config, EnvSet, Source};
use crate::error::{Error, Exit, Result};
use crate::resolve::{self, Options, Resolved};
use crate::sso::{self, LoginPolicy};
use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::time::Duration;

/// `DSOPS_HOOK_TIMEOUT`, default 10 s.
pub fn timeout() -> Duration {
    crate::settings::limits().hook
}

/// An `aws.sso` store that needs a sign-in before its variables can load.
#[derive(Debug)]
pub struct Blocked {
    pub store: String,
    pub hint: String,
    pub token_file: PathBuf,
    /// The variables left out because of it.
    pub vars: Vec<String>,
}

#[derive(Debug, Default)]
pub struct Loaded {
    pub resolved: Resolved,
    pub blocked: Vec<Blocked>,
}

/// The user's own values of the names the hook manages (`None`: unset),
/// as they were before dsops changed them: `${VAR}` in a literal value is
/// taken from these first, then from the environment.
pub type Priors = HashMap<String, Option<String>>;

/// Resolve `set` for the hook, giving up after `limit`.
pub fn resolve_bounded(
    cfg: Config,
    aws: AwsConfig,
    set: EnvSet,
    limit: Duration,
    priors: Priors,
) -> Result<Loaded> {
    bounded(limit, move || {
        let before = |n: &str| match priors.get(n) {
            Some(p) => p.clone(),
            None => resolve::process_env(n),
        };
        resolve_for_hook(&cfg, &aws, &set, limit, &before)
    })
    .unwrap_or_else(|| Err(Error::runtime(gave_up(limit))))
}

/// `work` on a thread of its own, its answer given up after `limit` (and
/// half a second's grace): a hung store or network call never holds the
/// prompt.
pub fn bounded<T: Send + 'static>(
    limit: Duration,
    work: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(work());
    });
    rx.recv_timeout(limit + Duration::from_millis(500)).ok()
}

/// What the hook says when it gave up after `limit`.
pub fn gave_up(limit: Duration) -> String {
    format!(
        "gave up after {}s (DSOPS_HOOK_TIMEOUT sets the bound)",
        limit.as_secs_f64()
    )
}

/// The store whose sign-in a variable's value depends on, if any.
fn sso_root<'a>(cfg: &'a Config, store: &'a str) -> Option<&'a str> {
    let s = cfg.stores.get(store)?;
    crate::stores::sign_in_root(cfg, s).map(|r| r.name.as_str())
}

fn resolve_for_hook(
    cfg: &Config,
    aws: &AwsConfig,
    set: &EnvSet,
    limit: Duration,
    before: resolve::Before,
) -> Result<Loaded> {
    let opts = Options {
        login: LoginPolicy::for_hook(),
        timeout: limit,
    };
    let err = match resolve::resolve_with(cfg, aws, set, &opts, before) {
        Ok(resolved) => {
            return Ok(Loaded {
                resolved,
                blocked: vec![],
            });
        }
        Err(e) if e.kind == Exit::LoginRequired => e,
        Err(e) => return Err(e),
    };
    // Which aws.sso stores need a sign-in? Their cached role credentials (if
    // any) were just found stale, so asking each again costs no network call
    // when the answer is "sign in".
    let roots: BTreeSet<&str> = set
        .vars
        .iter()
        .filter_map(|v| match &v.source {
            Source::From(r) => sso_root(cfg, &r.store),
            Source::Literal(_) => None,
        })
        .collect();
    let mut blocked = vec![];
    for root in roots {
        let Ok(store) = cfg.store(root) else { continue };
        let Some(Ok(target)) = crate::stores::kind_of(store).sign_in(aws, store) else {
            continue;
        };
        if let Err(e) = sso::role_credentials(&target, &opts.login)
            && e.kind == Exit::LoginRequired
        {
            blocked.push(Blocked {
                store: root.to_string(),
                hint: target.login_hint.clone(),
                // The file a sign-in changes (with tokens in the keyring,
                // the note beside where the token file would be).
                token_file: sso::tokenstore::TokenStore::of(&target.session, &opts.login)
                    .map(|s| s.watched())
                    .unwrap_or_else(|_| sso::cache::token_path(&target.session)),
                vars: vec![],
            });
        }
    }
    if blocked.is_empty() {
        return Err(err);
    }
    let mut reduced = set.clone();
    reduced.vars.retain(|v| {
        let root = match &v.source {
            Source::From(r) => sso_root(cfg, &r.store),
            Source::Literal(_) => None,
        };
        match root.and_then(|r| blocked.iter_mut().find(|b| b.store == r)) {
            Some(b) => {
                b.vars.push(v.name.clone());
                false
            }
            None => true,
        }
    });
    let resolved = resolve::resolve_with(cfg, aws, &reduced, &opts, before)?;
    Ok(Loaded { resolved, blocked })
}

/// Does any store need the AWS config (so the hook should watch it)?
pub fn uses_aws_config(cfg: &Config) -> bool {
    crate::stores::read_aws_config(cfg)
}
