//! The one resolver for an env set, used by `export`, `exec` and the hook.
//!
//! Each distinct reference (store, key, field, version) is fetched once, even
//! when several variables use it; stores are asked concurrently; any required
//! failure fails the whole set with an error naming the variable, the store
//! and the cause, so a caller never applies half a set.

use crate::awsconfig::AwsConfig;
use crate::config::{Config, EnvSet, Reference, Source};
use crate::error::{Error, Exit, Result};
pub use crate::stores::Options;
use crate::stores::{Cx, FetchError, Fetched};
use std::collections::BTreeMap;
use time::OffsetDateTime;

#[derive(Debug, Default)]
pub struct Resolved {
    /// In the env set's order.
    pub vars: Vec<(String, String)>,
    /// The earliest expiry of SSO role credentials used, if any.
    pub expires: Option<OffsetDateTime>,
    /// Optional variables left out because their key does not exist.
    pub skipped: Vec<String>,
}

/// The environment as it was before dsops changed it, for `${VAR}` in
/// literal values: the process environment for `export` and `exec`; the hook
/// passes the user's prior values of the names it manages.
pub type Before<'a> = &'a (dyn Fn(&str) -> Option<String> + Sync);

/// The process environment, as [`Before`]. A value that is not UTF-8 is
/// taken with replacement characters (values are text here).
pub fn process_env(name: &str) -> Option<String> {
    std::env::var_os(name).map(|v| v.to_string_lossy().into_owned())
}

/// Resolve `env` with `${VAR}` in literal values taken from the process
/// environment.
pub fn resolve(cfg: &Config, aws: &AwsConfig, env: &EnvSet, opts: &Options) -> Result<Resolved> {
    resolve_with(cfg, aws, env, opts, &process_env)
}

/// A literal value with `${VAR}` replaced from `before` and `$${` written as
/// `${`; a missing variable is an error naming the file, the place and the
/// variable. Values from stores are never expanded (a secret is bytes).
pub fn literal(env: &EnvSet, name: &str, raw: &str, before: Before) -> Result<String> {
    crate::config::expand::interpolate(raw, before).map_err(|missing| {
        Error::config(format!(
            "{}: envs.{}.{name}: ${{{}}} is not set (a literal value takes ${{NAME}} from the environment as it was before dsops changed it; write $${{ for a literal ${{)",
            env.origin.display(),
            env.name,
            crate::text::shown(&missing),
        ))
    })
}

pub fn resolve_with(
    cfg: &Config,
    aws: &AwsConfig,
    env: &EnvSet,
    opts: &Options,
    before: Before,
) -> Result<Resolved> {
    // Literal values first: a missing variable fails before any network call.
    let mut literals = BTreeMap::new();
    for var in &env.vars {
        if let Source::Literal(v) = &var.source {
            literals.insert(var.name.as_str(), literal(env, &var.name, v, before)?);
        }
    }
    // Distinct references, grouped by store.
    let mut by_store: BTreeMap<&str, Vec<Reference>> = BTreeMap::new();
    for var in &env.vars {
        if let Source::From(r) = &var.source {
            let refs = by_store.entry(r.store.as_str()).or_default();
            if !refs.contains(r) {
                refs.push(r.clone());
            }
        }
    }
    let mut fetched = Fetched::new();
    let mut expires: Option<OffsetDateTime> = None;
    let cx = Cx { cfg, aws, opts };
    let cx = &cx;
    let results = std::thread::scope(|scope| {
        let handles: Vec<_> = by_store
            .iter()
            .map(|(name, refs)| {
                let store = cfg.store(name);
                scope.spawn(move || -> Result<(Fetched, Option<OffsetDateTime>)> {
                    let batch = crate::stores::fetch(cx, store?, refs)?;
                    Ok((batch.values, batch.expires))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join()).collect::<Vec<_>>()
    });
    for ((name, _), r) in by_store.iter().zip(results) {
        // A whole store failing (credentials, sign-in, a bad field) names the
        // variables that needed it and keeps its exit status (5: sign-in).
        let (f, e) = r
            .map_err(|_| Error::runtime("a store fetch panicked"))?
            .map_err(|e| e.context(format!("{}: {}", env.name, users(env, name))))?;
        fetched.extend(f);
        if let Some(e) = e {
            expires = Some(expires.map_or(e, |x| x.min(e)));
        }
    }
    let mut out = Resolved {
        expires,
        ..Default::default()
    };
    for var in &env.vars {
        match &var.source {
            Source::Literal(_) => {
                let v = literals.get(var.name.as_str()).cloned().unwrap_or_default();
                out.vars.push((var.name.clone(), v));
            }
            Source::From(r) => match fetched.get(r) {
                Some(Ok(v)) => out.vars.push((var.name.clone(), v.clone())),
                Some(Err(FetchError::NotFound(_))) if var.optional => {
                    out.skipped.push(var.name.clone())
                }
                Some(Err(e)) => {
                    let (code, cause) = match e {
                        FetchError::NotFound(m) => (Exit::Error, m.clone()),
                        FetchError::Failed(e) => (e.kind, e.message.clone()),
                    };
                    return Err(Error::new(
                        code,
                        format!(
                            "{}: {} from store '{}' (key {}): {cause}",
                            env.name, var.name, r.store, r.key
                        ),
                    ));
                }
                None => {
                    return Err(Error::runtime(format!(
                        "{}: {}: store '{}' returned nothing",
                        env.name, var.name, r.store
                    )));
                }
            },
        }
    }
    Ok(out)
}

/// `A, B from store 'S'`: the variables of `env` that use `store`.
fn users(env: &EnvSet, store: &str) -> String {
    let names: Vec<&str> = env
        .vars
        .iter()
        .filter(|v| matches!(&v.source, Source::From(r) if r.store == store))
        .map(|v| v.name.as_str())
        .collect();
    format!("{} from store '{store}'", names.join(", "))
}
