//! The `aws.sso` store: role credentials of one account and role through
//! IAM Identity Center, by a start URL, an `sso_session` or a `profile:` of
//! the AWS config. Its keys are the credential fields; other stores take
//! their credentials from it with `credentials_from`. The Identity Center
//! work (caches, locks, sign-in) is `src/sso/`'s; this file says which
//! account, role and session a store names.

use super::{Batch, Cx, FetchError, Fetched, Kind, Status};
use crate::awsconfig::AwsConfig;
use crate::config::diff::Risk;
use crate::config::schema::{Field, Schema, Shape};
use crate::config::{Config, EnvSet, Reference, Source, Store};
use crate::error::Result;
use crate::sso::{self, LoginPolicy, Target, cache};
use std::time::Duration;

pub struct Sso;

/// The keys an `aws.sso` store offers to env sets.
pub const KEYS: &[&str] = &[
    "access_key_id",
    "secret_access_key",
    "session_token",
    "expiration",
    "account_id",
];

const FIELDS: &[Field] = &[
    Field::new("sso_start_url", Shape::Text, Risk::High),
    Field::new("sso_region", Shape::Text, Risk::High),
    Field::new("sso_session", Shape::Text, Risk::High),
    Field::new("profile", Shape::Text, Risk::High),
    Field::new("account_id", Shape::AccountId, Risk::High),
    Field::new("role_name", Shape::Text, Risk::High),
    Field::new("region", Shape::Text, Risk::High),
    Field::new("sso_registration_scopes", Shape::Text, Risk::Medium),
    Field::new("use_device_code", Shape::Bool, Risk::Low),
    // Role chaining: assumed with the SSO role's credentials.
    Field::new("role_arn", Shape::Text, Risk::High),
    Field::new("role_session_name", Shape::Text, Risk::High),
    Field::new("external_id", Shape::Text, Risk::High),
    Field::new("duration_seconds", Shape::Text, Risk::Low),
];

impl Schema for Sso {
    fn name(&self) -> &'static str {
        "aws.sso"
    }
    fn fields(&self) -> &'static [Field] {
        FIELDS
    }
    fn check(&self, store: &Store) -> std::result::Result<(), (&'static str, String)> {
        if store.raw("profile").is_some() {
            return Ok(());
        }
        for need in ["account_id", "role_name"] {
            if store.raw(need).is_none() {
                return Err((
                    "",
                    format!(
                        "an aws.sso store needs {need} (or profile: NAME of an AWS config profile that has sso_account_id and sso_role_name)"
                    ),
                ));
            }
        }
        Ok(())
    }
    fn keys(&self) -> Option<&'static [&'static str]> {
        Some(KEYS)
    }
    fn gives_credentials(&self) -> bool {
        true
    }
}

impl Kind for Sso {
    fn describe(&self) -> &'static str {
        "role credentials from IAM Identity Center (keys access_key_id, secret_access_key, session_token, expiration, account_id)"
    }

    fn fetch(&self, cx: &Cx, store: &Store, refs: &[Reference]) -> Result<Batch> {
        let creds = credentials(cx.aws, store, &cx.opts.login)?;
        let mut values = Fetched::new();
        for r in refs {
            let v = creds.key(&r.key).ok_or_else(|| {
                FetchError::NotFound(format!("an aws.sso store has no key '{}'", r.key))
            });
            values.insert(r.clone(), v);
        }
        Ok(Batch {
            values,
            expires: Some(creds.expiration),
        })
    }

    fn probe(&self, cx: &Cx, store: &Store) -> Vec<(Status, String)> {
        probe(cx.aws, store, &cx.opts.login)
    }

    fn reads_aws_config(&self) -> bool {
        true
    }

    fn sign_in(&self, aws: &AwsConfig, store: &Store) -> Option<Result<Target>> {
        Some(target(aws, store))
    }
}

/// Role credentials of an `aws.sso` store: its SSO role's, or with
/// `role_arn` those of the role assumed after it (`source.rs`).
pub fn credentials(
    aws: &AwsConfig,
    store: &Store,
    policy: &LoginPolicy,
) -> Result<crate::rolecreds::RoleCredentials> {
    crate::source::Source::of_store(aws, store)?.credentials(policy)
}

/// The account and role an `aws.sso` store names, and its session.
pub fn target(aws: &AwsConfig, store: &Store) -> Result<Target> {
    crate::source::store_target(aws, store)
}

/// `dsops doctor`: the token's state (signing in or refreshing where the
/// policy allows), then the role's credentials.
fn probe(aws: &AwsConfig, store: &Store, policy: &LoginPolicy) -> Vec<(Status, String)> {
    let mut lines = vec![];
    let target = match target(aws, store) {
        Ok(t) => t,
        Err(e) => return vec![(Status::Fail, e.to_string())],
    };
    let tokens = match sso::tokenstore::TokenStore::of(&target.session, policy) {
        Ok(s) => s,
        Err(e) => return vec![(Status::Fail, e.to_string())],
    };
    let now = crate::timefmt::now();
    let read = match tokens.read() {
        Ok(r) => r,
        Err(e) => return vec![(Status::Fail, e.to_string())],
    };
    let state = match read {
        cache::Read::Found(t) => match t.remaining(now) {
            Some(s) if s > 0 => format!("token valid for {}", human(s)),
            Some(_) => "token expired".to_string(),
            None => "token file incomplete".to_string(),
        },
        cache::Read::Missing => "not signed in".to_string(),
        cache::Read::Corrupt(why) => format!("token file unreadable ({why})"),
    };
    // access_token reuses a fresh token, refreshes one that is about to
    // expire, and signs in only when the policy allows it.
    match sso::access_token(&target.session, policy, &target.login_hint, None) {
        Ok(_) => {
            let after = match tokens.read() {
                Ok(cache::Read::Found(t)) => t
                    .expires_at()
                    .map(|e| {
                        format!(
                            "signed in to {}, token valid until {} ({} left)",
                            target.session.start_url,
                            crate::timefmt::local_clock(e),
                            human((e - now).whole_seconds())
                        )
                    })
                    .unwrap_or_else(|| state.clone()),
                _ => state.clone(),
            };
            lines.push((Status::Ok, after));
        }
        Err(e) => return vec![(Status::Fail, format!("{state}: {e}"))],
    }
    // The role the store names: a chain's top role, not the SSO role under it.
    let source = match crate::source::Source::of_store(aws, store) {
        Ok(s) => s,
        Err(e) => {
            lines.push((Status::Fail, e.to_string()));
            return lines;
        }
    };
    lines.push(match source.credentials(policy) {
        Ok(c) => (
            Status::Ok,
            format!(
                "role {}: credentials valid until {} ({} left)",
                source.role_shown(),
                crate::timefmt::local_clock(c.expiration),
                human(c.remaining(crate::timefmt::now()))
            ),
        ),
        Err(e) => (Status::Fail, format!("role {}: {e}", source.role_shown())),
    });
    lines
}

/// `2h 05m`, `15m`.
pub fn human(secs: i64) -> String {
    let s = secs.max(0);
    match (s / 3600, (s % 3600) / 60) {
        (0, m) => format!("{m}m"),
        (h, m) => format!("{h}h {m:02}m"),
    }
}

/// For every `aws.sso` store whose keys an env set exports, role credentials
/// that last `min` (see `sso::validity::role_lasting`). Run before resolving the set, which
/// then finds them in the cache.
pub fn env_lasting(
    cfg: &Config,
    aws: &AwsConfig,
    env: &EnvSet,
    policy: &LoginPolicy,
    min: Duration,
) -> Result<()> {
    let mut seen: Vec<&str> = vec![];
    for var in &env.vars {
        let Source::From(r) = &var.source else {
            continue;
        };
        if seen.contains(&r.store.as_str()) {
            continue;
        }
        seen.push(&r.store);
        let Ok(store) = cfg.store(&r.store) else {
            // The resolver reports an unknown store with its context.
            continue;
        };
        // Role credentials handed out as values: the stores that give
        // credentials, each as the role it names (a chain's top role).
        if store.kind.gives_credentials() {
            crate::source::Source::of_store(aws, store)?.credentials_lasting(policy, min)?;
        }
    }
    Ok(())
}
