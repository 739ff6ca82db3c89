//! The `aws.ssm` store: Parameter Store values by name (or ARN), SecureString
//! decrypted (`WithDecryption` is always on), an optional `field` of a JSON
//! object value. A version or label goes in the key itself, as SSM spells
//! it: `/app/db:3` or `/app/db:prod`; `version_stage` / `version_id` belong
//! to Secrets Manager and are refused here.
//!
//! Distinct names are asked in GetParameters batches of ten (the API's
//! limit; a name with a selector alone, with GetParameter), concurrently: Parameter Store's default throughput is
//! 40 requests per second, so fifty single GetParameter calls would be
//! throttled where five batches are not. A batch the service refuses as a
//! whole (one malformed name, access denied to one name) is retried name by
//! name with GetParameter so that each error lands on its own variable.

use super::aws::{self, Access};
use super::{FetchError, Fetched};
use crate::config::{Reference, Store};
use crate::error::{Error, Result};
use aws_sdk_ssm::Client;
use std::time::Duration;

type Value = std::result::Result<String, FetchError>;

/// GetParameters accepts at most this many names per call.
const BATCH: usize = 10;

fn client(store: &Store, access: &Access) -> Result<(Client, String)> {
    let mut b = crate::sdk_config!(aws_sdk_ssm, access.region, "SSM")
        .credentials_provider(access.credentials.clone());
    if let Some(url) = store.get("endpoint_url")? {
        b = b.endpoint_url(url);
    }
    let endpoint = aws::endpoint(store, "SSM", "ssm", &access.region)?;
    Ok((Client::from_conf(b.build()), endpoint))
}

fn not_found(name: &str, region: &str) -> FetchError {
    FetchError::NotFound(format!(
        "parameter '{name}' not found in Parameter Store ({region})"
    ))
}

/// One name with GetParameter.
async fn get_one(client: &Client, name: &str, endpoint: &str, region: &str) -> Value {
    match client
        .get_parameter()
        .name(name)
        .with_decryption(true)
        .send()
        .await
    {
        Ok(out) => out
            .parameter()
            .and_then(|p| p.value())
            .map(str::to_string)
            .ok_or_else(|| {
                FetchError::Failed(Error::runtime(format!(
                    "GetParameter for '{name}' returned no value"
                )))
            }),
        Err(e)
            if aws::is_code(&e, "ParameterNotFound")
                || aws::is_code(&e, "ParameterVersionNotFound") =>
        {
            Err(not_found(name, region))
        }
        Err(e) => Err(FetchError::Failed(Error::runtime(format!(
            "GetParameter for '{name}': {}",
            aws::describe(&e, endpoint)
        )))),
    }
}

/// Does `key` carry a `:version` / `:label` selector? Parameter names have
/// no `:`; an ARN has five before the name.
fn has_selector(key: &str) -> bool {
    if key.starts_with("arn:") {
        key.matches(':').count() > 5
    } else {
        key.contains(':')
    }
}

/// Does a returned parameter answer the requested plain `name` (by name or
/// ARN)? Names with a selector are never batched: answers name them without
/// it (AWS puts it apart in `Selector`, moto leaves it out), so `/app/db:1`
/// and `/app/db` in one batch could not be told apart.
fn answers(p: &aws_sdk_ssm::types::Parameter, name: &str) -> bool {
    p.selector().is_none_or(str::is_empty) && (p.name() == Some(name) || p.arn() == Some(name))
}

/// One batch of up to ten names with GetParameters.
async fn get_batch(
    client: Client,
    names: Vec<String>,
    endpoint: String,
    region: String,
) -> Vec<Value> {
    if let [name] = names.as_slice()
        && has_selector(name)
    {
        return vec![get_one(&client, name, &endpoint, &region).await];
    }
    let answer = client
        .get_parameters()
        .set_names(Some(names.clone()))
        .with_decryption(true)
        .send()
        .await;
    let out = match answer {
        Ok(out) => out,
        // Refused as a whole (a malformed name, one denied name): ask name by
        // name so that each error is reported for its own variable.
        Err(e)
            if matches!(e, aws_sdk_ssm::error::SdkError::ServiceError(_))
                && !aws::is_code(&e, "ThrottlingException") =>
        {
            let mut v = Vec::with_capacity(names.len());
            for n in &names {
                v.push(get_one(&client, n, &endpoint, &region).await);
            }
            return v;
        }
        Err(e) => {
            let why = format!("GetParameters: {}", aws::describe(&e, &endpoint));
            return names
                .iter()
                .map(|_| Err(FetchError::Failed(Error::runtime(why.clone()))))
                .collect();
        }
    };
    let mut v = Vec::with_capacity(names.len());
    for n in &names {
        if let Some(p) = out.parameters().iter().find(|p| answers(p, n)) {
            v.push(p.value().map(str::to_string).ok_or_else(|| {
                FetchError::Failed(Error::runtime(format!(
                    "GetParameters returned no value for '{n}'"
                )))
            }));
        } else if out.invalid_parameters().iter().any(|i| i == n) {
            v.push(Err(not_found(n, &region)));
        } else {
            // An answer we cannot match to the name asked: ask for it alone.
            v.push(get_one(&client, n, &endpoint, &region).await);
        }
    }
    v
}

/// The `aws.ssm` store type.
pub static KIND: aws::ApiStore = aws::ApiStore {
    name: "aws.ssm",
    describe: "parameters from AWS Systems Manager Parameter Store, SecureString decrypted (key: a name, :VERSION or :LABEL)",
    fetch,
    probe,
};

pub fn fetch(
    store: &Store,
    access: &Access,
    refs: &[Reference],
    bound: Duration,
) -> Result<Fetched> {
    let mut out = Fetched::new();
    let mut names: Vec<String> = Vec::new();
    for r in refs {
        if r.version_stage.is_some() || r.version_id.is_some() {
            out.insert(
                r.clone(),
                Err(FetchError::Failed(Error::config(format!(
                    "version_stage/version_id are Secrets Manager settings; for an aws.ssm parameter write the version or label in the key ('{}:3', '{}:LABEL')",
                    r.key, r.key
                )))),
            );
        } else if !names.contains(&r.key) {
            names.push(r.key.clone());
        }
    }
    if names.is_empty() {
        return Ok(out);
    }
    let (client, endpoint) = client(store, access)?;
    // Plain names in batches of ten; a name with a selector on its own.
    let (plain, selected): (Vec<String>, Vec<String>) =
        names.into_iter().partition(|n| !has_selector(n));
    let mut batches: Vec<Vec<String>> = plain.chunks(BATCH).map(<[String]>::to_vec).collect();
    batches.extend(selected.into_iter().map(|n| vec![n]));
    let futs: Vec<_> = batches
        .iter()
        .map(|b| {
            get_batch(
                client.clone(),
                b.clone(),
                endpoint.clone(),
                access.region.clone(),
            )
        })
        .collect();
    let results = super::batch::run_concurrently(futs, bound)?;
    for r in refs {
        if out.contains_key(r) {
            continue;
        }
        let (b, j) = batches
            .iter()
            .enumerate()
            .find_map(|(b, names)| names.iter().position(|n| *n == r.key).map(|j| (b, j)))
            .unwrap_or_default();
        let got: Value = match results.as_ref().map(|v| &v[b]) {
            None => Err(super::batch::gave_up(bound)),
            Some(None) => Err(FetchError::Failed(Error::runtime(
                "the request task failed unexpectedly",
            ))),
            Some(Some(v)) => match &v[j] {
                Ok(s) => Ok(s.clone()),
                Err(e) => Err(e.duplicate()),
            },
        };
        let value = match (&r.field, got) {
            (Some(f), Ok(s)) => super::json::json_field(&s, f, &format!("parameter '{}'", r.key)),
            (_, got) => got,
        };
        out.insert(r.clone(), value);
    }
    Ok(out)
}

/// A cheap call for `dsops doctor`: DescribeParameters for one entry.
pub fn probe(store: &Store, access: &Access) -> Result<String> {
    let (client, endpoint) = client(store, access)?;
    let rt = crate::http::runtime()?;
    let answer = rt.block_on(client.describe_parameters().max_results(1).send());
    rt.shutdown_background();
    aws::probe_answer(answer, &endpoint, "DescribeParameters")
}

#[cfg(test)]
mod tests {
    #[test]
    fn selectors() {
        assert!(!super::has_selector("/app/db"));
        assert!(super::has_selector("/app/db:3"));
        assert!(!super::has_selector(
            "arn:aws:ssm:us-east-1:123456789012:parameter/app/db"
        ));
        assert!(super::has_selector(
            "arn:aws:ssm:us-east-1:123456789012:parameter/app/db:prod"
        ));
    }
}
