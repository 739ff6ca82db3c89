//! Credentials, region and SDK settings for the AWS API stores
//! (`aws.secretsmanager`, `aws.ssm`), and what their doctor probes share.
//!
//! Credentials, first match wins:
//! 1. `credentials_from: STORE`: role credentials of that `aws.sso` store,
//!    through the caches and locks shared with `dsops creds`;
//! 2. static `access_key_id` / `secret_access_key` (/ `session_token`) fields,
//!    usually `${...}` values;
//! 3. `profile: NAME`: static keys of that profile in the shared credentials
//!    or config file, or its SSO settings;
//! 4. the standard chain: `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`
//!    (/ `AWS_SESSION_TOKEN`), then the `AWS_PROFILE` (or `default`) profile.
//!
//! Region: the store's `region`, else the `aws.sso` store's region, else
//! `AWS_REGION` / `AWS_DEFAULT_REGION`, else the profile's `region`.
//!
//! A profile with `role_arn`/`source_profile` is assumed (`chain.rs`).
//! Deliberately not supported: `credential_process` profiles, IMDS and
//! container credentials: a profile using them gets an error saying so.

use super::{Batch, Cx, Fetched, Kind, Status};
use crate::awsconfig::AwsConfig;
use crate::config::Reference;
use crate::config::diff::Risk;
use crate::config::schema::Schema;
use crate::config::schema::{Field, Shape};
use crate::config::{Config, Store};
use crate::error::{Error, Result};
use crate::settings;
use crate::sso::LoginPolicy;
use aws_sdk_secretsmanager::config::Credentials;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use std::time::Duration;
use time::OffsetDateTime;

/// The fields of the AWS API stores (`aws.secretsmanager`, `aws.ssm`).
pub const API_FIELDS: &[Field] = &[
    Field::new("region", Shape::Text, Risk::High),
    Field::new("credentials_from", Shape::Text, Risk::High),
    Field::new("profile", Shape::Text, Risk::High),
    Field::secret("access_key_id", Risk::High),
    Field::secret("secret_access_key", Risk::High),
    Field::secret("session_token", Risk::High),
    Field::new("endpoint_url", Shape::Text, Risk::High),
];

/// An AWS API store type (`aws.secretsmanager`, `aws.ssm`): the same
/// fields, checks and credential chain; its own batch fetch and probe.
pub struct ApiStore {
    pub name: &'static str,
    pub describe: &'static str,
    /// Fetch a batch with the store's access, within a bound.
    pub fetch: fn(&Store, &Access, &[Reference], Duration) -> Result<Fetched>,
    /// A cheap call for `dsops doctor`.
    pub probe: fn(&Store, &Access) -> Result<String>,
}

impl Schema for ApiStore {
    fn name(&self) -> &'static str {
        self.name
    }
    fn fields(&self) -> &'static [Field] {
        API_FIELDS
    }
    fn check(&self, store: &Store) -> std::result::Result<(), (&'static str, String)> {
        if store.raw("access_key_id").is_some() != store.raw("secret_access_key").is_some() {
            return Err(("", "access_key_id and secret_access_key go together".into()));
        }
        Ok(())
    }
}

impl Kind for ApiStore {
    fn describe(&self) -> &'static str {
        self.describe
    }

    fn fetch(&self, cx: &Cx, store: &Store, refs: &[Reference]) -> Result<Batch> {
        let access = access(cx.cfg, cx.aws, store, &cx.opts.login)?;
        Ok(Batch {
            values: (self.fetch)(store, &access, refs, cx.opts.timeout)?,
            expires: access.expires,
        })
    }

    fn probe(&self, cx: &Cx, store: &Store) -> Vec<(Status, String)> {
        probe_api_store(cx, store, self.probe)
    }

    fn reads_aws_config(&self) -> bool {
        true
    }
}

/// `dsops doctor` for an AWS API store: its credentials and region, then a
/// cheap call (`probe`) to its endpoint with them.
fn probe_api_store(
    cx: &Cx,
    store: &Store,
    probe: fn(&Store, &Access) -> Result<String>,
) -> Vec<(Status, String)> {
    let access = match access(cx.cfg, cx.aws, store, &cx.opts.login) {
        Ok(a) => a,
        Err(e) => return vec![(Status::Fail, e.to_string())],
    };
    vec![match probe(store, &access) {
        Ok(how) => (
            Status::Ok,
            format!(
                "{how}; region {}, credentials from {}",
                access.region, access.source
            ),
        ),
        Err(e) => (
            Status::Fail,
            format!(
                "{e} (region {}, credentials from {})",
                access.region, access.source
            ),
        ),
    }]
}

/// What a client of one AWS API store needs.
#[derive(Debug, Clone)]
pub struct Access {
    pub credentials: Credentials,
    pub region: String,
    /// Expiry of the SSO role credentials used, if any (the hook refreshes
    /// before it).
    pub expires: Option<OffsetDateTime>,
    /// Where the credentials came from, for messages (never a key).
    pub source: String,
}

/// Credentials and region for `store`. May sign in (per `login`) when the
/// credentials come from an `aws.sso` store or an SSO profile.
pub fn access(cfg: &Config, aws: &AwsConfig, store: &Store, login: &LoginPolicy) -> Result<Access> {
    let mut region = store.get("region")?;
    let mut profile_region: Option<String> = None;
    let (credentials, expires, source) = if let Some(from) = store.get("credentials_from")? {
        let sso_store = cfg.store(&from)?;
        let target = super::sso::target(aws, sso_store)?;
        region = region.or(target.region.clone());
        let rc = super::sso::credentials(aws, sso_store, login)
            .map_err(|e| e.context(format!("credentials from store '{from}'")))?;
        (
            role_creds(&rc),
            Some(rc.expiration),
            format!("aws.sso store '{from}'"),
        )
    } else if let Some(key) = store.get("access_key_id")? {
        let secret = store
            .get("secret_access_key")?
            .ok_or_else(|| store.error("secret_access_key", "missing (access_key_id is set)"))?;
        if key.is_empty() || secret.is_empty() {
            let empty = if key.is_empty() {
                "access_key_id"
            } else {
                "secret_access_key"
            };
            return Err(store.error(empty, "is empty"));
        }
        let token = store.get("session_token")?.filter(|t| !t.is_empty());
        (
            Credentials::new(key, secret, token, None, "dsops-store-keys"),
            None,
            "the store's access_key_id".to_string(),
        )
    } else if let Some(name) = store.get("profile")? {
        let (c, e, r) = profile_credentials(aws, &name, login)
            .map_err(|e| e.context(format!("secretStores.{}.profile", store.name)))?;
        profile_region = r;
        (c, e, format!("AWS profile '{name}'"))
    } else if let Some((key, secret, token)) = settings::env_credentials() {
        profile_region = aws
            .profile(&settings::aws_profile().unwrap_or_else(|| "default".into()))?
            .and_then(|p| p.get("region").cloned());
        (
            Credentials::new(key, secret, token, None, "dsops-env"),
            None,
            "AWS_ACCESS_KEY_ID".to_string(),
        )
    } else {
        let name = settings::aws_profile();
        let explicit = name.is_some();
        let name = name.unwrap_or_else(|| "default".into());
        if !explicit && !has_profile(aws, &name) {
            return Err(Error::config(format!(
                "store '{}': no AWS credentials: set credentials_from (an aws.sso store), access_key_id/secret_access_key or profile in {}, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE in the environment (there is no [default] profile in {} or {})",
                store.name,
                store.origin.display(),
                aws.path().display(),
                crate::paths::aws_credentials_file().display()
            )));
        }
        let (c, e, r) = profile_credentials(aws, &name, login).map_err(|e| {
            e.context(format!(
                "store '{}': {} profile",
                store.name,
                if explicit { "AWS_PROFILE" } else { "default" }
            ))
        })?;
        profile_region = r;
        (c, e, format!("AWS profile '{name}'"))
    };
    let region = region
        .or_else(settings::aws_region)
        .or(profile_region)
        .ok_or_else(|| {
            store.error(
                "region",
                "missing: set region: in the store (or in its aws.sso store), AWS_REGION, or region in the AWS config profile",
            )
        })?;
    Ok(Access {
        credentials,
        region,
        expires,
        source,
    })
}

fn role_creds(rc: &crate::rolecreds::RoleCredentials) -> Credentials {
    Credentials::new(
        rc.access_key_id.clone(),
        rc.secret_access_key.clone(),
        Some(rc.session_token.clone()),
        None,
        "dsops-sso",
    )
}

fn has_profile(aws: &AwsConfig, name: &str) -> bool {
    aws.profile(name).is_ok_and(|p| p.is_some())
        || credentials_file().is_ok_and(|c| c.section(name).is_ok_and(|s| s.is_some()))
}

/// The shared credentials file (`AWS_SHARED_CREDENTIALS_FILE`, default
/// `~/.aws/credentials`): `[NAME]` sections (no `profile ` prefix). A missing
/// file is empty.
fn credentials_file() -> Result<crate::awsconfig::IniFile> {
    crate::awsconfig::read_ini(&crate::paths::aws_credentials_file())
}

type ProfileCreds = (Credentials, Option<OffsetDateTime>, Option<String>);

/// Credentials (and the `region`) of an AWS profile: static keys from the
/// credentials file, then from the config file, a role chain (`role_arn`
/// with `source_profile`, see `chain.rs`), or its SSO settings.
fn profile_credentials(aws: &AwsConfig, name: &str, login: &LoginPolicy) -> Result<ProfileCreds> {
    Ok(match crate::chain::profile_source(aws, name, login)? {
        (crate::chain::ProfileSource::Static(k), region) => (
            Credentials::new(
                k.access_key_id,
                k.secret_access_key,
                k.session_token,
                None,
                "dsops-profile",
            ),
            None,
            region,
        ),
        (crate::chain::ProfileSource::Role(rc), region) => {
            (role_creds(&rc), Some(rc.expiration), region)
        }
    })
}

/// The endpoint a client talks to, for messages: the store's `endpoint_url`,
/// the environment override, or the regional AWS endpoint.
pub fn endpoint(store: &Store, env_name: &str, host: &str, region: &str) -> Result<String> {
    Ok(match store.get("endpoint_url")? {
        Some(u) => u,
        None => crate::http::endpoint_override(env_name)
            .unwrap_or_else(|| format!("https://{host}.{region}.amazonaws.com")),
    })
}

pub use crate::http::describe;

/// The service's message of a service error (without its code), else the
/// whole description.
pub fn service_message<E>(e: &SdkError<E, HttpResponse>, endpoint: &str) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match e {
        SdkError::ServiceError(s) if s.err().message().is_some() => {
            crate::text::outside_text(s.err().message().unwrap_or_default(), 300)
        }
        _ => describe(e, endpoint),
    }
}

/// Is this a service error with `code`?
pub fn is_code<E, R>(e: &SdkError<E, R>, code: &str) -> bool
where
    E: ProvideErrorMetadata,
{
    matches!(e, SdkError::ServiceError(s) if s.err().code() == Some(code))
}

/// What `dsops doctor` says of a cheap list call (`op`) to `endpoint`:
/// reachable, or reachable with the call denied (which still proves the
/// endpoint answers and accepts the signature), or why not.
pub fn probe_answer<T, E>(
    answer: std::result::Result<T, SdkError<E, HttpResponse>>,
    endpoint: &str,
    op: &str,
) -> Result<String>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match answer {
        Ok(_) => Ok(format!("reachable at {endpoint}")),
        Err(e) if is_code(&e, "AccessDeniedException") => Ok(format!(
            "reachable at {endpoint} (credentials accepted; {op} is denied, which dsops does not need)"
        )),
        Err(e) => Err(Error::runtime(describe(&e, endpoint))),
    }
}
