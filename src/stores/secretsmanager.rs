//! The `aws.secretsmanager` store: GetSecretValue by secret id or ARN, with an
//! optional `version_stage` / `version_id` and an optional `field` (a
//! top-level key of a JSON object secret).
//!
//! Each distinct secret (id and version) is fetched once, however many
//! variables use it (`DB_USER` and `DB_PASSWORD` from one JSON secret is one
//! request), and all of them concurrently. GetSecretValue rather than
//! BatchGetSecretValue: the batch call needs its own IAM permission, ignores
//! version stages and returns errors per secret in a form that loses the
//! reason; concurrent single calls meet the latency target (see
//! `bench/stores.sh`) with only the permission every policy already grants.
//!
//! A binary secret (`SecretBinary`) is returned base64-encoded (standard
//! alphabet, padded), as `aws secretsmanager get-secret-value` prints it;
//! `field` on a binary secret is an error.

use super::aws::{self, Access};
use super::{FetchError, Fetched};
use crate::config::{Reference, Store};
use crate::error::{Error, Result};
use aws_sdk_secretsmanager::Client;
use std::time::Duration;

type Value = std::result::Result<Secret, FetchError>;

/// One secret version as it came back.
enum Secret {
    Text(String),
    /// base64 of SecretBinary.
    Binary(String),
}

/// One distinct request: secret id, version stage, version id.
type Wanted = (String, Option<String>, Option<String>);

fn client(store: &Store, access: &Access) -> Result<(Client, String)> {
    let mut b = crate::sdk_config!(aws_sdk_secretsmanager, access.region, "SECRETS_MANAGER")
        .credentials_provider(access.credentials.clone());
    if let Some(url) = store.get("endpoint_url")? {
        b = b.endpoint_url(url);
    }
    let endpoint = aws::endpoint(store, "SECRETS_MANAGER", "secretsmanager", &access.region)?;
    Ok((Client::from_conf(b.build()), endpoint))
}

fn describe_secret(w: &Wanted) -> String {
    let mut s = format!("secret '{}'", w.0);
    if let Some(stage) = &w.1 {
        s.push_str(&format!(" (version stage {stage})"));
    }
    if let Some(id) = &w.2 {
        s.push_str(&format!(" (version id {id})"));
    }
    s
}

async fn get(client: Client, w: Wanted, endpoint: String, region: String) -> Value {
    let req = client
        .get_secret_value()
        .secret_id(&w.0)
        .set_version_stage(w.1.clone())
        .set_version_id(w.2.clone());
    match req.send().await {
        Ok(out) => {
            if let Some(s) = out.secret_string() {
                Ok(Secret::Text(s.to_string()))
            } else if let Some(b) = out.secret_binary() {
                Ok(Secret::Binary(aws_smithy_types::base64::encode(b.as_ref())))
            } else {
                Err(FetchError::Failed(Error::runtime(format!(
                    "{} has neither SecretString nor SecretBinary",
                    describe_secret(&w)
                ))))
            }
        }
        Err(e) if aws::is_code(&e, "ResourceNotFoundException") => {
            Err(FetchError::NotFound(format!(
                "{} not found in Secrets Manager ({region}): {}",
                describe_secret(&w),
                aws::service_message(&e, &endpoint)
            )))
        }
        Err(e) => Err(FetchError::Failed(Error::runtime(format!(
            "GetSecretValue for {}: {}",
            describe_secret(&w),
            aws::describe(&e, &endpoint)
        )))),
    }
}

/// The `aws.secretsmanager` store type.
pub static KIND: aws::ApiStore = aws::ApiStore {
    name: "aws.secretsmanager",
    describe: "secrets from AWS Secrets Manager (key: a secret id or ARN; field, version_stage, version_id)",
    fetch,
    probe,
};

pub fn fetch(
    store: &Store,
    access: &Access,
    refs: &[Reference],
    bound: Duration,
) -> Result<Fetched> {
    let (client, endpoint) = client(store, access)?;
    let mut wanted: Vec<Wanted> = Vec::new();
    for r in refs {
        let w = (r.key.clone(), r.version_stage.clone(), r.version_id.clone());
        if !wanted.contains(&w) {
            wanted.push(w);
        }
    }
    let futs: Vec<_> = wanted
        .iter()
        .map(|w| {
            get(
                client.clone(),
                w.clone(),
                endpoint.clone(),
                access.region.clone(),
            )
        })
        .collect();
    let results = super::batch::run_concurrently(futs, bound)?;
    let mut out = Fetched::new();
    for r in refs {
        let i = wanted
            .iter()
            .position(|w| w.0 == r.key && w.1 == r.version_stage && w.2 == r.version_id)
            .unwrap_or_default();
        let what = describe_secret(&wanted[i]);
        let got: Value = match results.as_ref().map(|v| &v[i]) {
            None => Err(super::batch::gave_up(bound)),
            Some(None) => Err(FetchError::Failed(Error::runtime(
                "the request task failed unexpectedly",
            ))),
            Some(Some(v)) => dup(v),
        };
        let value = match (got, &r.field) {
            (Err(e), _) => Err(e),
            (Ok(Secret::Text(s)), None) | (Ok(Secret::Binary(s)), None) => Ok(s),
            (Ok(Secret::Text(s)), Some(f)) => super::json::json_field(&s, f, &what),
            (Ok(Secret::Binary(_)), Some(f)) => Err(FetchError::Failed(Error::runtime(format!(
                "{what} is binary (SecretBinary), so it has no field '{f}'"
            )))),
        };
        out.insert(r.clone(), value);
    }
    Ok(out)
}

fn dup(v: &Value) -> Value {
    match v {
        Ok(Secret::Text(s)) => Ok(Secret::Text(s.clone())),
        Ok(Secret::Binary(s)) => Ok(Secret::Binary(s.clone())),
        Err(e) => Err(e.duplicate()),
    }
}

/// A cheap call for `dsops doctor`: ListSecrets for one entry.
pub fn probe(store: &Store, access: &Access) -> Result<String> {
    let (client, endpoint) = client(store, access)?;
    let rt = crate::http::runtime()?;
    let answer = rt.block_on(client.list_secrets().max_results(1).send());
    rt.shutdown_background();
    aws::probe_answer(answer, &endpoint, "ListSecrets")
}
