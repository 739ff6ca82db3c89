//! The credential source: what `--store NAME` or `--profile NAME` names,
//! resolved once into an IAM Identity Center role or a chain of AssumeRole
//! hops over one, with one way to get its credentials.
//!
//! Every command that hands out credentials (`creds`, `exec`, `serve`,
//! `eks-token`, `console`, the `aws.sso` store behind `export` and the hook)
//! asks a [`Source`], so none can hand out the SSO role under a chain: the
//! role a source names is the role it gives. What a chain starts from is
//! only reachable as a sign-in ([`Source::sign_in`]: a session to sign in
//! to, not credentials).
//!
//! Not here: finding a store by name in the configs (`cmd::Ctx::source`),
//! the caches and locks (`sso/`, `sts.rs`), the walk over source profiles
//! (`chain.rs`).

mod store;

pub use store::store_target;

use crate::awsconfig::{AwsConfig, SsoSession};
use crate::chain::Chain;
use crate::config::Store;
use crate::error::{Error, Result};
use crate::rolecreds::RoleCredentials;
use crate::sso::cache;
use crate::sso::{self, LoginPolicy, Target, validity};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Reuse credentials while more than this many seconds remain (the AWS
/// CLI's and botocore's window).
const FRESH_SECS: i64 = 15 * 60;

/// A store or profile, resolved.
#[derive(Clone)]
pub struct Source {
    /// `profile NAME` or `store NAME`, for messages.
    label: String,
    /// The API region of the profile or store, when it has one.
    region: Option<String>,
    kind: Kind,
}

#[derive(Clone)]
enum Kind {
    /// An account and role through an Identity Center session.
    Sso(Target),
    /// Roles assumed one after the other; the top one is handed out.
    Chain(Chain),
}

/// The Identity Center session a source signs in to, and how to say so.
pub struct SignIn {
    pub session: SsoSession,
    /// `dsops login --profile NAME`, for messages.
    pub hint: String,
    /// The store asks for the device code flow.
    pub device_code: bool,
}

impl Source {
    /// AWS config profile `name`: SSO settings, or `role_arn` with a
    /// `source_profile` chain (the credentials file's keys over the
    /// config's, as botocore merges them).
    pub fn of_profile(aws: &Arc<AwsConfig>, name: &str) -> Result<Source> {
        let keys = aws.profile(name)?;
        let region = keys
            .as_ref()
            .and_then(|k| k.get("region"))
            .filter(|r| !r.is_empty())
            .cloned();
        let label = format!("profile {name}");
        // Only a role profile (or one the config lacks, which the
        // credentials file may hold) needs the credentials file.
        let kind = match &keys {
            Some(k) if !k.contains_key("role_arn") => {
                Kind::Sso(Target::from_profile_keys(aws, name, k)?)
            }
            _ => match Chain::of_profile(aws, name, keys.as_ref(), region.as_deref())? {
                Some(chain) => Kind::Chain(chain),
                None => Kind::Sso(Target::from_profile(aws, name)?),
            },
        };
        let region = match &kind {
            Kind::Sso(t) => region.or_else(|| t.region.clone()),
            Kind::Chain(_) => region,
        };
        Ok(Source {
            label,
            region,
            kind,
        })
    }

    /// An `aws.sso` store: its SSO role, or with `role_arn` the role
    /// assumed after it.
    pub fn of_store(aws: &AwsConfig, store: &Store) -> Result<Source> {
        let target = store_target(aws, store)?;
        let region = target.region.clone();
        let kind = match Chain::of_store(&target, store)? {
            Some(chain) => Kind::Chain(chain),
            None => Kind::Sso(target),
        };
        Ok(Source {
            label: format!("store {}", store.name),
            region,
            kind,
        })
    }

    /// A dsops command for this store or profile, as a hint that works when
    /// pasted: `dsops VERB --profile NAME REST...`.
    pub fn command(&self, verb: &str, rest: &[&str]) -> String {
        let (kind, name) = self.label.split_once(' ').unwrap_or(("store", ""));
        let flag = format!("--{kind}");
        let mut words = vec![verb, flag.as_str(), name];
        words.extend_from_slice(rest);
        crate::settings::dsops_command(&words)
    }

    /// `profile NAME` or `store NAME`.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The API region of the profile or store.
    pub fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }

    /// The region for API calls with these credentials: `given` (`--region`),
    /// else the profile's or store's, else `AWS_REGION`/`AWS_DEFAULT_REGION`.
    pub fn api_region(&self, given: Option<&str>) -> Option<String> {
        given
            .filter(|r| !r.is_empty())
            .or(self.region())
            .map(str::to_string)
            .or_else(crate::settings::aws_region)
    }

    /// The account of the role handed out (empty when a role ARN does not
    /// say).
    pub fn account_id(&self) -> &str {
        match &self.kind {
            Kind::Sso(t) => &t.account_id,
            Kind::Chain(c) => crate::sts::account_of_arn(&c.top().role_arn).unwrap_or_default(),
        }
    }

    /// The role handed out: an SSO role name or a role ARN.
    pub fn role(&self) -> &str {
        match &self.kind {
            Kind::Sso(t) => &t.role_name,
            Kind::Chain(c) => &c.top().role_arn,
        }
    }

    /// The role handed out, as people name it: `ACCOUNT/ROLE` for an SSO
    /// role, the role ARN for a chain.
    pub fn role_shown(&self) -> String {
        match &self.kind {
            Kind::Sso(t) => format!("{}/{}", t.account_id, t.role_name),
            Kind::Chain(c) => c.top().role_arn.clone(),
        }
    }

    /// What it is, for `--debug` and messages (names only).
    pub fn describe(&self) -> String {
        match &self.kind {
            Kind::Sso(t) => format!(
                "{}: account {} role {} via {}",
                self.label, t.account_id, t.role_name, t.session.start_url
            ),
            Kind::Chain(c) => format!("{}: role {} (a role chain)", self.label, c.top().role_arn),
        }
    }

    /// Credentials of the role named, from the cache while more than 15
    /// minutes remain, else fetched (signing in as `policy` allows).
    pub fn credentials(&self, policy: &LoginPolicy) -> Result<RoleCredentials> {
        self.credentials_fresh(policy, FRESH_SECS)
    }

    /// [`Source::credentials`], reusing cached ones only while more than
    /// `fresh_secs` remain (the credential endpoint asks early for
    /// short-lived ones).
    pub fn credentials_fresh(
        &self,
        policy: &LoginPolicy,
        fresh_secs: i64,
    ) -> Result<RoleCredentials> {
        let mut creds = match &self.kind {
            Kind::Sso(t) => sso::role_credentials_fresh(t, policy, fresh_secs),
            Kind::Chain(c) => c.credentials(policy, fresh_secs),
        }?;
        // Entries other tools cached may not say which account they are for.
        if creds.account_id.is_empty() {
            creds.account_id = self.account_id().to_string();
        }
        Ok(creds)
    }

    /// Credentials that last at least `min`: fetched again when the cached
    /// ones do not, an error when even new ones do not.
    pub fn credentials_lasting(
        &self,
        policy: &LoginPolicy,
        min: Duration,
    ) -> Result<RoleCredentials> {
        let want = i64::try_from(min.as_secs()).unwrap_or(i64::MAX);
        match &self.kind {
            Kind::Sso(t) => validity::role_lasting(t, policy, min).map(|mut c| {
                if c.account_id.is_empty() {
                    c.account_id.clone_from(&t.account_id);
                }
                c
            }),
            Kind::Chain(c) => {
                let creds = c.credentials(policy, FRESH_SECS.max(want))?;
                let left = creds.remaining(crate::timefmt::now());
                if left < want {
                    return Err(Error::runtime(format!(
                        "the credentials of role {} last {} when fetched now, less than --min-validity {} (its duration_seconds sets how long they last); run the job with a credential endpoint, which fetches new ones as they run low: {}",
                        c.top().role_arn,
                        validity::human(left),
                        validity::human(want),
                        self.command("exec", &["--", "CMD"])
                    )));
                }
                Ok(creds)
            }
        }
    }

    /// The cache entry of the credentials handed out (the AWS CLI's role
    /// or AssumeRole entry).
    pub fn cache_path(&self) -> PathBuf {
        match &self.kind {
            Kind::Sso(t) => cache::role_path(&t.session, &t.account_id, &t.role_name),
            Kind::Chain(c) => c.top().cache_path(),
        }
    }

    /// What identifies the role handed out, for caches keyed by it
    /// (`eks-token`): the session, account and role of an SSO role; the
    /// AssumeRole arguments of a chain's top role.
    pub fn identity(&self) -> serde_json::Map<String, serde_json::Value> {
        use serde_json::json;
        let mut m = serde_json::Map::new();
        match &self.kind {
            Kind::Sso(t) => {
                m.insert(
                    "session".into(),
                    json!(t.session.name.as_deref().unwrap_or(&t.session.start_url)),
                );
                m.insert("accountId".into(), json!(t.account_id));
                m.insert("roleName".into(), json!(t.role_name));
            }
            Kind::Chain(c) => {
                m.insert("assumeRole".into(), json!(c.top().python_json()));
            }
        }
        m
    }

    /// The Identity Center session this source signs in to (for a chain,
    /// the one its first role comes from).
    pub fn sign_in(&self) -> Result<SignIn> {
        let target = match &self.kind {
            Kind::Sso(t) => t,
            Kind::Chain(c) => c.sso_base()?.ok_or_else(|| {
                Error::config(format!(
                    "{} starts from static keys, not from IAM Identity Center",
                    self.label
                ))
            })?,
        };
        Ok(SignIn {
            session: target.session.clone(),
            hint: target.login_hint.clone(),
            device_code: target.device_code,
        })
    }

    /// Make sure the SSO token under this source serves for `min` more
    /// (signing in now when it does not): a credential endpoint fetches
    /// credentials with it for as long as the job runs.
    pub fn token_lasting(&self, policy: &LoginPolicy, min: Duration) -> Result<()> {
        let target = match &self.kind {
            Kind::Sso(t) => t,
            Kind::Chain(c) => match c.sso_base()? {
                Some(t) => t,
                None => return Ok(()),
            },
        };
        validity::token_lasting(
            &target.session,
            &target.policy(policy),
            &target.login_hint,
            min,
        )
    }
}
