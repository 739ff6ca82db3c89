//! EKS tokens for kubectl, as `aws eks get-token` makes them, and their
//! cache.
//!
//! A token is `k8s-aws-v1.` + the unpadded base64url of an STS
//! `GetCallerIdentity` URL presigned with SigV4 in the query
//! (`X-Amz-Expires=60`), with the header `x-k8s-aws-id: CLUSTER` signed and
//! the SHA-256 of the empty body as the payload hash, as botocore presigns
//! it. The cluster's authenticator calls the URL and so learns who signed it.
//! Signing is the official `aws-sigv4` crate's.
//!
//! EKS accepts a token for 15 minutes after its `X-Amz-Date`, and not after
//! the signing credentials expire. dsops caches it under
//! `$XDG_CACHE_HOME/dsops/eks/` (mode 0600 in a 0700 directory; the file
//! name is a hash of cluster, region, STS endpoint, session, account and
//! role) and reuses it while more than 60 seconds of that remain:
//! `expirationTimestamp` is that moment (signing time + 14 minutes, as the
//! AWS CLI prints, or earlier when the credentials expire sooner), so a warm
//! call reads one small file and prints, with no runtime, TLS or SDK set-up.

use crate::error::{Error, Result};
use crate::rolecreds::RoleCredentials;
use crate::source::Source;
use crate::timefmt;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};
use time::OffsetDateTime;

/// How long EKS accepts a token after it was signed.
const TOKEN_LIFETIME: i64 = 15 * 60;
/// Reuse a cached token while more than this remains of it.
const REUSE_MARGIN: i64 = 60;
/// The presigned URL's own `X-Amz-Expires`, as the AWS CLI sets it.
const URL_EXPIRES: Duration = Duration::from_secs(60);
const TOKEN_PREFIX: &str = "k8s-aws-v1.";
/// A cache entry is a token and a timestamp; anything bigger is corrupt.
const MAX_CACHE_BYTES: u64 = 64 * 1024;

pub const API_V1BETA1: &str = "client.authentication.k8s.io/v1beta1";
const API_V1: &str = "client.authentication.k8s.io/v1";

/// A token and when to stop using it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub token: String,
    pub expiration: OffsetDateTime,
}

/// The STS endpoint for `region`: `AWS_ENDPOINT_URL_STS`, `AWS_ENDPOINT_URL`,
/// else the regional one.
pub fn sts_endpoint(region: &str) -> String {
    crate::http::endpoint_override("STS")
        .map(|u| u.trim_end_matches('/').to_string())
        .unwrap_or_else(|| {
            let suffix = if region.starts_with("cn-") {
                "amazonaws.com.cn"
            } else {
                "amazonaws.com"
            };
            format!("https://sts.{region}.{suffix}")
        })
}

/// The cache file for a cluster, region, endpoint and the role of `source`.
pub fn cache_path(source: &Source, cluster: &str, region: &str, endpoint: &str) -> PathBuf {
    // serde_json's Map is sorted: a stable key whatever the order here.
    let mut m = source.identity();
    m.insert("cluster".into(), json!(cluster));
    m.insert("region".into(), json!(region));
    m.insert("endpoint".into(), json!(endpoint));
    let key = crate::rolecreds::sha1_hex(&Value::Object(m).to_string());
    crate::paths::cache_home()
        .join("dsops")
        .join("eks")
        .join(format!("{key}.json"))
}

/// A cached token still worth handing out; `None` when missing, corrupt or
/// (nearly) expired.
pub fn read_cached(path: &Path, now: OffsetDateTime) -> Option<Token> {
    if let Some(dir) = path.parent() {
        crate::fsutil::guard_dir(dir).ok()?;
    }
    let bytes = crate::fsutil::read_private(path, MAX_CACHE_BYTES).ok()?;
    let v: Value = serde_json::from_slice(&bytes).ok()?;
    let token = v.get("token")?.as_str()?;
    let expiration = timefmt::parse(v.get("expirationTimestamp")?.as_str()?)?;
    (token.starts_with(TOKEN_PREFIX) && expiration > now).then(|| Token {
        token: token.to_string(),
        expiration,
    })
}

pub fn write_cached(path: &Path, t: &Token) -> Result<()> {
    let v = json!({
        "token": t.token,
        "expirationTimestamp": timefmt::format(t.expiration),
    });
    crate::fsutil::write_atomic(path, v.to_string().as_bytes())
}

/// The presigned `GetCallerIdentity` URL for `cluster`, signed at `at`.
pub fn presign(
    creds: &RoleCredentials,
    region: &str,
    cluster: &str,
    endpoint: &str,
    at: SystemTime,
) -> Result<String> {
    use aws_sigv4::http_request::{
        SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign,
    };
    let failed = |what: &str, e: &dyn std::fmt::Display| {
        Error::runtime(format!("cannot presign the EKS token ({what}): {e}"))
    };
    let identity = aws_credential_types::Credentials::new(
        &creds.access_key_id,
        &creds.secret_access_key,
        Some(creds.session_token.clone()),
        None,
        "dsops",
    )
    .into();
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(URL_EXPIRES);
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("sts")
        .time(at)
        .settings(settings)
        .build()
        .map_err(|e| failed("parameters", &e))?
        .into();
    let url = format!("{endpoint}/?Action=GetCallerIdentity&Version=2011-06-15");
    let signable = SignableRequest::new(
        "GET",
        url.as_str(),
        [("x-k8s-aws-id", cluster)].into_iter(),
        SignableBody::Bytes(&[]),
    )
    .map_err(|e| failed("the URL", &e))?;
    let (instructions, _signature) = sign(signable, &params)
        .map_err(|e| failed("signing", &e))?
        .into_parts();
    let mut request = ureq::http::Request::builder()
        .method("GET")
        .uri(url.as_str())
        .body(())
        .map_err(|e| failed("the URL", &e))?;
    instructions.apply_to_request_http1x(&mut request);
    Ok(request.uri().to_string())
}

/// A new token for `cluster`, signed now with `creds`.
pub fn new_token(
    creds: &RoleCredentials,
    region: &str,
    cluster: &str,
    endpoint: &str,
) -> Result<Token> {
    // Whole seconds: X-Amz-Date has no more, and the expiry is computed from it.
    let now = timefmt::now()
        .replace_nanosecond(0)
        .unwrap_or(timefmt::now());
    let url = presign(creds, region, cluster, endpoint, SystemTime::from(now))?;
    let valid_until = (now + time::Duration::seconds(TOKEN_LIFETIME)).min(creds.expiration);
    Ok(Token {
        token: format!(
            "{TOKEN_PREFIX}{}",
            crate::base64::encode_url(url.as_bytes())
        ),
        expiration: valid_until - time::Duration::seconds(REUSE_MARGIN),
    })
}

/// The `ExecCredential` kubectl reads, in the API version it asked for
/// (`KUBERNETES_EXEC_INFO`), v1beta1 by default.
pub fn exec_credential(t: &Token, api_version: &str) -> String {
    json!({
        "kind": "ExecCredential",
        "apiVersion": api_version,
        "spec": {},
        "status": {
            "expirationTimestamp": timefmt::format(t.expiration),
            "token": t.token,
        }
    })
    .to_string()
}

/// The API version kubectl asks for in `KUBERNETES_EXEC_INFO`, when it is
/// one dsops speaks; else v1beta1.
pub fn api_version() -> &'static str {
    let asked = crate::settings::kubernetes_exec_info()
        .and_then(|v| serde_json::from_str::<Value>(&v).ok())
        .and_then(|v| v.get("apiVersion")?.as_str().map(str::to_string));
    match asked.as_deref() {
        Some(API_V1) => API_V1,
        _ => API_V1BETA1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presigned_with_the_empty_body_hash_and_the_cluster_header() {
        let creds = RoleCredentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
            session_token: "tok+/=".into(),
            expiration: time::macros::datetime!(2030-01-01 0:00 UTC),
            account_id: String::new(),
        };
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let url = presign(
            &creds,
            "eu-west-1",
            "my-cluster",
            "https://sts.eu-west-1.amazonaws.com",
            at,
        )
        .unwrap();
        assert!(
            url.starts_with(
                "https://sts.eu-west-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&"
            ),
            "{url}"
        );
        assert!(url.contains("X-Amz-Expires=60"), "{url}");
        assert!(
            url.contains("X-Amz-SignedHeaders=host%3Bx-k8s-aws-id"),
            "{url}"
        );
        assert!(url.contains("X-Amz-Date=20231114T221320Z"), "{url}");
        assert!(url.contains("X-Amz-Security-Token=tok%2B%2F%3D"), "{url}");
        assert!(!url.contains("UNSIGNED"), "{url}");
    }

    #[test]
    fn token_expiry_is_bounded_by_the_credentials() {
        let mut creds = RoleCredentials {
            access_key_id: "A".into(),
            secret_access_key: "S".into(),
            session_token: "T".into(),
            expiration: timefmt::now() + time::Duration::hours(1),
            account_id: String::new(),
        };
        let t = new_token(
            &creds,
            "us-east-1",
            "c",
            "https://sts.us-east-1.amazonaws.com",
        )
        .unwrap();
        let left = (t.expiration - timefmt::now()).whole_seconds();
        assert!((14 * 60 - 2..=14 * 60).contains(&left), "{left}");
        creds.expiration = timefmt::now() + time::Duration::minutes(5);
        let t = new_token(
            &creds,
            "us-east-1",
            "c",
            "https://sts.us-east-1.amazonaws.com",
        )
        .unwrap();
        let left = (t.expiration - timefmt::now()).whole_seconds();
        assert!((4 * 60 - 2..=4 * 60).contains(&left), "{left}");
        assert!(t.token.starts_with("k8s-aws-v1."));
        assert!(!t.token.contains('='));
    }
}
