//! Credentials, region and SDK settings for the AWS API stores
//! (`aws.secretsmanager`, `aws.ssm`).
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

use crate::awsconfig::AwsConfig;
use crate::config::{Config, Store};
use crate::error::{Error, Result};
use crate::resolve::FetchError;
use crate::sso::{self, LoginPolicy, Target};
use aws_sdk_secretsmanager::config::Credentials;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

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

fn env(k: &str) -> Option<String> {
    std::env::var(k).ok().filter(|v| !v.is_empty())
}

/// Credentials and region for `store`. May sign in (per `login`) when the
/// credentials come from an `aws.sso` store or an SSO profile.
pub fn access(cfg: &Config, aws: &AwsConfig, store: &Store, login: &LoginPolicy) -> Result<Access> {
    let mut region = store.get("region")?;
    let mut profile_region: Option<String> = None;
    let (credentials, expires, source) = if let Some(from) = store.get("credentials_from")? {
        let sso_store = cfg.store(&from)?;
        let target = Target::from_store(aws, sso_store)?;
        region = region.or(target.region.clone());
        let rc = crate::chain::store_credentials(aws, sso_store, login)
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
    } else if let (Some(key), Some(secret)) =
        (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY"))
    {
        profile_region = aws
            .profile(&env("AWS_PROFILE").unwrap_or_else(|| "default".into()))?
            .and_then(|p| p.get("region").cloned());
        (
            Credentials::new(key, secret, env("AWS_SESSION_TOKEN"), None, "dsops-env"),
            None,
            "AWS_ACCESS_KEY_ID".to_string(),
        )
    } else {
        let name = env("AWS_PROFILE");
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
        .or_else(|| env("AWS_REGION"))
        .or_else(|| env("AWS_DEFAULT_REGION"))
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

fn role_creds(rc: &sso::cache::RoleCredentials) -> Credentials {
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
            crate::http::outside_text(s.err().message().unwrap_or_default(), 300)
        }
        _ => describe(e, endpoint),
    }
}

/// How many requests one store has in flight at once. Secrets Manager
/// allows thousands of GetSecretValue calls per second; the bound only keeps
/// a huge env set from opening hundreds of connections.
const CONCURRENCY: usize = 64;

/// Run `futs` concurrently on one current-thread runtime (the transport runs
/// each request on tokio's blocking pool, so they really run in parallel),
/// at most `CONCURRENCY` at a time, in their order. `None` when the whole
/// batch took longer than `bound`; a slot is `None` if its task panicked.
pub fn run_concurrently<F, T>(futs: Vec<F>, bound: Duration) -> Result<Option<Vec<Option<T>>>>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let rt = crate::http::runtime()?;
    let n = futs.len();
    let out = rt.block_on(async move {
        let sem = Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));
        let mut set = tokio::task::JoinSet::new();
        for (i, f) in futs.into_iter().enumerate() {
            let sem = sem.clone();
            set.spawn(async move {
                let _permit = sem.acquire_owned().await;
                (i, f.await)
            });
        }
        let collect = async {
            let mut slots: Vec<Option<T>> = (0..n).map(|_| None).collect();
            while let Some(joined) = set.join_next().await {
                if let Ok((i, v)) = joined {
                    slots[i] = Some(v);
                }
            }
            slots
        };
        tokio::time::timeout(bound, collect).await.ok()
    });
    // Requests still running on the blocking pool end with their own
    // timeout; do not wait for them.
    rt.shutdown_background();
    Ok(out)
}

/// A copy of a fetch error, for every reference that shares one request.
pub fn clone_err(e: &FetchError) -> FetchError {
    match e {
        FetchError::NotFound(m) => FetchError::NotFound(m.clone()),
        FetchError::Failed(e) => FetchError::Failed(Error::new(e.code, e.message.clone())),
    }
}

/// The error for every reference of a batch that did not finish in time.
pub fn gave_up(bound: Duration) -> FetchError {
    FetchError::Failed(Error::runtime(format!(
        "gave up after {}s without an answer",
        bound.as_secs_f64()
    )))
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

/// The value of a top-level field of a JSON object secret. Strings are
/// returned as they are, other JSON values as compact JSON text. A missing or
/// `null` field is "not found" (an `optional` variable is skipped); a value
/// that is not a JSON object is an error. Messages name fields, never values.
pub fn json_field(value: &str, field: &str, what: &str) -> std::result::Result<String, FetchError> {
    use serde_json::Value;
    let obj = match serde_json::from_str::<Value>(value) {
        Ok(Value::Object(m)) => m,
        Ok(_) | Err(_) => {
            return Err(FetchError::Failed(Error::runtime(format!(
                "{what} is not a JSON object, so it has no field '{field}'"
            ))));
        }
    };
    match obj.get(field) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Null) => Err(FetchError::NotFound(format!(
            "field '{field}' of {what} is null"
        ))),
        Some(v) => Ok(v.to_string()),
        None => {
            let mut names: Vec<&str> = obj.keys().map(String::as_str).collect();
            names.truncate(20);
            Err(FetchError::NotFound(format!(
                "{what} has no field '{field}' (fields: {})",
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_fields() {
        let v = r#"{"password":"p\"w","port":5432,"nested":{"a":1},"nothing":null}"#;
        assert_eq!(json_field(v, "password", "s").ok().unwrap(), "p\"w");
        assert_eq!(json_field(v, "port", "s").ok().unwrap(), "5432");
        assert_eq!(json_field(v, "nested", "s").ok().unwrap(), r#"{"a":1}"#);
        assert!(matches!(
            json_field(v, "nothing", "s"),
            Err(FetchError::NotFound(_))
        ));
        match json_field(v, "user", "secret 'x'") {
            Err(FetchError::NotFound(m)) => {
                assert!(
                    m.contains("no field 'user'") && m.contains("password"),
                    "{m}"
                );
                assert!(!m.contains("p\\\"w"), "a value leaked: {m}");
            }
            _ => panic!("missing field must be NotFound"),
        }
        match json_field("hunter2", "user", "secret 'x'") {
            Err(FetchError::Failed(e)) => {
                assert!(e.message.contains("not a JSON object"), "{}", e.message);
                assert!(!e.message.contains("hunter2"));
            }
            _ => panic!("non-JSON must fail"),
        }
        assert!(matches!(
            json_field("[1]", "a", "s"),
            Err(FetchError::Failed(_))
        ));
    }
}
