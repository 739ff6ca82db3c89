//! The `aws.sso` store: role credentials of one account and role through
//! IAM Identity Center, by a start URL, an `sso_session` or a `profile:` of
//! the AWS config. Its keys are the credential fields; other stores take
//! their credentials from it with `credentials_from`. The Identity Center
//! work (caches, locks, sign-in) is `src/sso/`'s; this file says which
//! account, role and session a store names.

use super::{Batch, Cx, FetchError, Fetched, Kind, Status};
use crate::awsconfig::{AwsConfig, SsoSession};
use crate::config::diff::Risk;
use crate::config::schema::{Field, Schema, Shape};
use crate::config::{Config, EnvSet, Reference, Source, Store};
use crate::error::{Error, Result};
use crate::sso::{self, LoginPolicy, Target, cache};
use std::time::Duration;

pub struct Sso;

/// The keys an `aws.sso` store offers to env sets.
pub const KEYS: &[&str] = &[
    "access_key_id",
    "secret_access_key",
    "session_token",
    "expiration",
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
        "role credentials from IAM Identity Center (keys access_key_id, secret_access_key, session_token, expiration)"
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
/// `role_arn` those of the role assumed after it (`chain.rs`).
pub fn credentials(
    aws: &AwsConfig,
    store: &Store,
    policy: &LoginPolicy,
) -> Result<sso::cache::RoleCredentials> {
    crate::chain::store_credentials(target(aws, store)?, store, policy)
}

/// The account and role an `aws.sso` store names, and its session.
pub fn target(aws: &AwsConfig, store: &Store) -> Result<Target> {
    if store.kind.name() != Sso.name() {
        return Err(Error::config(format!(
            "{}: secretStores.{}: is a {} store, not aws.sso",
            store.origin.display(),
            store.name,
            store.kind.name()
        )));
    }
    let session = session_of_store(aws, store)?;
    let hint = format!("dsops login --store {}", store.name);
    let (mut account, mut role, mut region) = (
        store.get("account_id")?,
        store.get("role_name")?,
        store.get("region")?,
    );
    if let Some(profile) = store.get("profile")? {
        let p = aws
            .sso_profile(&profile)
            .map_err(|e| e.context(format!("secretStores.{}.profile", store.name)))?;
        account = account.or(Some(p.account_id));
        role = role.or(Some(p.role_name));
        region = region.or(p.region);
    }
    let need = |v: Option<String>, f: &str| v.ok_or_else(|| store.error(f, "missing"));
    Ok(Target {
        session,
        account_id: need(account, "account_id")?,
        role_name: need(role, "role_name")?,
        region,
        login_hint: hint,
        device_code: store.get("use_device_code")?.is_some_and(|v| v == "true"),
    })
}

/// The Identity Center session of an `aws.sso` store: `profile:`, then
/// `sso_session:`, then a bare `sso_start_url`, then the AWS config's only
/// `[sso-session]`.
fn session_of_store(aws: &AwsConfig, store: &Store) -> Result<SsoSession> {
    let scopes = store.get("sso_registration_scopes")?.map(|s| {
        s.split(',')
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect::<Vec<_>>()
    });
    let with_scopes = |mut s: SsoSession| {
        if let Some(sc) = &scopes {
            s.scopes = sc.clone();
        }
        s
    };
    if let Some(profile) = store.get("profile")? {
        let p = aws
            .sso_profile(&profile)
            .map_err(|e| e.context(format!("secretStores.{}.profile", store.name)))?;
        return Ok(with_scopes(p.session));
    }
    let start_url = store.get("sso_start_url")?;
    let sso_region = store.get("sso_region")?;
    if let Some(name) = store.get("sso_session")? {
        if aws.sso_session_section(&name)?.is_some() && start_url.is_none() {
            return aws.sso_session(&name).map(with_scopes);
        }
        let start_url = start_url.ok_or_else(|| {
            store.error(
                "sso_session",
                &format!(
                    "no [sso-session {name}] in {} and no sso_start_url in the store",
                    aws.path().display()
                ),
            )
        })?;
        let region = sso_region
            .or(store.get("region")?)
            .ok_or_else(|| store.error("sso_region", "missing"))?;
        return Ok(with_scopes(SsoSession {
            name: Some(name),
            start_url,
            region,
            scopes: vec![],
        }));
    }
    if let Some(start_url) = start_url {
        let region = match sso_region.or(store.get("region")?) {
            Some(r) => r,
            // The AWS config's session for the same start URL knows the region.
            None => aws
                .sso_session_names()
                .iter()
                .filter_map(|n| aws.sso_session(n).ok())
                .find(|s| s.start_url == start_url)
                .map(|s| s.region)
                .ok_or_else(|| {
                    store.error(
                        "sso_region",
                        "missing (the region of the Identity Center instance, e.g. us-east-1)",
                    )
                })?,
        };
        return Ok(with_scopes(SsoSession {
            name: None,
            start_url,
            region,
            scopes: vec![],
        }));
    }
    match aws.only_sso_session() {
        Some(s) => s.map(with_scopes),
        None => Err(store.error(
            "sso_start_url",
            &format!(
                "missing: set sso_start_url (and sso_region), sso_session or profile; the AWS config {} has {} [sso-session] sections, so none can be assumed",
                aws.path().display(),
                aws.sso_session_names().len()
            ),
        )),
    }
}

/// `dsops doctor`: the token's state (signing in or refreshing where the
/// policy allows), then the role's credentials.
fn probe(aws: &AwsConfig, store: &Store, policy: &LoginPolicy) -> Vec<(Status, String)> {
    let mut lines = vec![];
    let target = match target(aws, store) {
        Ok(t) => t,
        Err(e) => return vec![(Status::Fail, e.to_string())],
    };
    let path = cache::token_path(&target.session);
    let now = crate::timefmt::now();
    let state = match cache::read_token(&path) {
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
            let after = match cache::read_token(&path) {
                cache::Read::Found(t) => t
                    .expires_at()
                    .map(|e| {
                        format!(
                            "signed in to {}, token valid until {} ({} left)",
                            target.session.start_url,
                            crate::timefmt::format(e),
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
    lines.push(match sso::role_credentials(&target, policy) {
        Ok(c) => (
            Status::Ok,
            format!(
                "role {}/{}: credentials valid until {} ({} left)",
                target.account_id,
                target.role_name,
                crate::timefmt::format(c.expiration),
                human(c.remaining(crate::timefmt::now()))
            ),
        ),
        Err(e) => (
            Status::Fail,
            format!("role {}/{}: {e}", target.account_id, target.role_name),
        ),
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
        // Role credentials handed out as values: the stores that are
        // themselves an Identity Center sign-in.
        if store.kind.gives_credentials()
            && let Some(target) = super::kind_of(store).sign_in(aws, store)
        {
            crate::sso::validity::role_lasting(&target?, policy, min)?;
        }
    }
    Ok(())
}
