//! AssumeRole through `aws-sdk-sts` on dsops's transport, and the AssumeRole
//! cache shared with botocore and the AWS CLI.
//!
//! The cache is botocore's `AssumeRoleCredentialFetcher` cache, which the AWS
//! CLI keeps in `~/.aws/cli/cache`: the file name is the SHA-1 hex of
//! `json.dumps(args, sort_keys=True)` (Python's default separators `", "` and
//! `": "`, non-ASCII escaped as `\uXXXX`), where `args` are the AssumeRole
//! parameters that do not change from call to call: `RoleArn`, and
//! `RoleSessionName` only when the profile names one (a generated name is
//! left out), `ExternalId`, `DurationSeconds` (a number), `SerialNumber`.
//! The content is the AssumeRole answer (`{"Credentials": {...}}`); botocore
//! writes `Expiration` as `2026-11-23T06:50:02UTC`, dsops as RFC 3339, and
//! each reads the other's. Entries are reused while more than 15 minutes
//! remain, under a per-entry lock like role credentials.
//!
//! Not here: MFA (`mfa_serial`): dsops never prompts for a code, so an MFA
//! entry is only ever reused from the cache (see `chain.rs`).

use crate::error::{Error, Result};
use crate::fsutil;
use crate::rolecreds::{self, Read, RoleCredentials};
use crate::sso::LoginPolicy;
use crate::sso::tokenstore::RoleStore;
use crate::timefmt;
use serde_json::json;
use std::path::PathBuf;

/// Reuse assumed credentials while more than this many seconds remain
/// (botocore's expiry window).
pub const FRESH_SECS: i64 = 15 * 60;

/// The AssumeRole parameters that make an entry's cache key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssumeArgs {
    pub role_arn: String,
    /// Only when configured; otherwise a generated name not in the key.
    pub role_session_name: Option<String>,
    pub external_id: Option<String>,
    pub duration_seconds: Option<i64>,
    /// `mfa_serial`: in the key (entries the AWS CLI cached after an MFA
    /// prompt), never sent by dsops.
    pub serial_number: Option<String>,
}

/// Credentials to call STS with.
#[derive(Clone)]
pub struct SourceCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl From<&RoleCredentials> for SourceCredentials {
    fn from(c: &RoleCredentials) -> Self {
        SourceCredentials {
            access_key_id: c.access_key_id.clone(),
            secret_access_key: c.secret_access_key.clone(),
            session_token: Some(c.session_token.clone()),
        }
    }
}

impl AssumeArgs {
    /// `json.dumps(args, sort_keys=True)` exactly as Python prints it.
    pub fn python_json(&self) -> String {
        // Sorted by key, as sort_keys does (these names sort in this order).
        let mut fields: Vec<(&str, String)> = vec![];
        if let Some(d) = self.duration_seconds {
            fields.push(("DurationSeconds", d.to_string()));
        }
        if let Some(e) = &self.external_id {
            fields.push(("ExternalId", py_str(e)));
        }
        fields.push(("RoleArn", py_str(&self.role_arn)));
        if let Some(n) = &self.role_session_name {
            fields.push(("RoleSessionName", py_str(n)));
        }
        if let Some(s) = &self.serial_number {
            fields.push(("SerialNumber", py_str(s)));
        }
        let body: Vec<String> = fields
            .into_iter()
            .map(|(k, v)| format!("{}: {v}", py_str(k)))
            .collect();
        format!("{{{}}}", body.join(", "))
    }

    /// botocore's cache key: SHA-1 hex, made file-name safe.
    pub fn cache_key(&self) -> String {
        rolecreds::sha1_hex(&self.python_json()).replace([':', '/'], "_")
    }

    pub fn cache_path(&self) -> PathBuf {
        crate::paths::cli_cache_dir().join(format!("{}.json", self.cache_key()))
    }
}

/// A JSON string as Python's `json.dumps` writes it (`ensure_ascii=True`):
/// only printable ASCII as is, everything else escaped, `\uXXXX` in lower
/// case, characters beyond the BMP as surrogate pairs.
fn py_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{u:04x}"));
                }
            }
        }
    }
    out.push('"');
    out
}

/// The account of a role ARN (`arn:aws:iam::ACCOUNT:role/NAME`).
pub fn account_of_arn(arn: &str) -> Option<&str> {
    arn.split(':')
        .nth(4)
        .filter(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()))
}

/// Cached assumed credentials for `args` with more than `fresh_secs` left.
/// An entry botocore wrote has no `AccountId`: the role ARN's account is
/// the one they are for.
pub fn cached(args: &AssumeArgs, fresh_secs: i64) -> Option<RoleCredentials> {
    usable(rolecreds::read_role(&args.cache_path()), args, fresh_secs)
}

/// What was read, when it has more than `fresh_secs` left.
fn usable(
    read: Read<RoleCredentials>,
    args: &AssumeArgs,
    fresh_secs: i64,
) -> Option<RoleCredentials> {
    match read {
        Read::Found(mut c) if c.remaining(timefmt::now()) > fresh_secs => {
            if c.account_id.is_empty() {
                c.account_id = account_of_arn(&args.role_arn)
                    .unwrap_or_default()
                    .to_string();
            }
            Some(c)
        }
        _ => None,
    }
}

/// The credentials of `args`: from the shared cache, else by AssumeRole with
/// the credentials `source` gives (asked for only when needed), cached for
/// the AWS CLI and botocore too; reused while more than `fresh_secs` remain.
/// With `tokens: {role_credentials: keyring}` they are cached in the keyring
/// instead (an AWS CLI cache file for them is still used while fresh: it is
/// read first, before the user config says where they are kept).
pub fn assumed(
    args: &AssumeArgs,
    region: &str,
    policy: &LoginPolicy,
    fresh_secs: i64,
    source: impl FnOnce() -> Result<SourceCredentials>,
) -> Result<RoleCredentials> {
    if let Some(c) = cached(args, fresh_secs) {
        return Ok(c);
    }
    let path = args.cache_path();
    let store = RoleStore::assumed(path.clone(), &args.role_arn, policy)?;
    if store.is_keyring()
        && let Some(c) = usable(store.read()?, args, fresh_secs)
    {
        return Ok(c);
    }
    let _guard = fsutil::lock(
        &rolecreds::lock_path(&path),
        &if policy.quiet {
            String::new()
        } else {
            format!(
                "waiting for another dsops process assuming {}",
                args.role_arn
            )
        },
        crate::settings::limits().lock,
    )?;
    // Another process may have assumed the role while we waited.
    if let Some(c) = usable(store.read()?, args, fresh_secs) {
        return Ok(c);
    }
    let src = source()?;
    let (c, user_arn) = assume_role(&src, args, region)?;
    store.write_json(&entry(&c, user_arn.as_deref()))?;
    Ok(c)
}

/// The session name sent when the profile names none (not in the cache key,
/// as botocore's `botocore-session-<time>`).
fn generated_session_name() -> String {
    format!("dsops-{}", timefmt::now().unix_timestamp())
}

/// One AssumeRole call; the answer's credentials and the assumed role's ARN.
fn assume_role(
    src: &SourceCredentials,
    args: &AssumeArgs,
    region: &str,
) -> Result<(RoleCredentials, Option<String>)> {
    use aws_sdk_sts::config::Credentials;
    let creds = Credentials::new(
        src.access_key_id.clone(),
        src.secret_access_key.clone(),
        src.session_token.clone(),
        None,
        "dsops-chain",
    );
    let conf = crate::sdk_config!(aws_sdk_sts, region, "STS")
        .credentials_provider(creds)
        .build();
    let endpoint = crate::http::endpoint_override("STS")
        .unwrap_or_else(|| format!("https://sts.{region}.amazonaws.com"));
    let client = aws_sdk_sts::Client::from_conf(conf);
    let duration = match args.duration_seconds {
        Some(d) => Some(
            i32::try_from(d)
                .map_err(|_| Error::config(format!("duration_seconds {d} is out of range")))?,
        ),
        None => None,
    };
    let req = client
        .assume_role()
        .role_arn(&args.role_arn)
        .role_session_name(
            args.role_session_name
                .clone()
                .unwrap_or_else(generated_session_name),
        )
        .set_external_id(args.external_id.clone())
        .set_duration_seconds(duration);
    let out = crate::http::runtime()?.block_on(req.send()).map_err(|e| {
        Error::runtime(format!(
            "AssumeRole {} failed: {}",
            args.role_arn,
            crate::http::describe(&e, &endpoint)
        ))
    })?;
    let c = out
        .credentials()
        .ok_or_else(|| Error::runtime("AssumeRole returned no credentials"))?;
    let secs = c.expiration().secs();
    let expiration = time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .filter(|e| *e > timefmt::now())
        .ok_or_else(|| Error::runtime("AssumeRole returned an expiration in the past"))?;
    let nonempty = |field: &str, v: &str| {
        if v.is_empty() {
            Err(Error::runtime(format!(
                "AssumeRole returned an empty {field}"
            )))
        } else {
            Ok(v.to_string())
        }
    };
    let arn = out.assumed_role_user().map(|u| u.arn().to_string());
    Ok((
        RoleCredentials {
            access_key_id: nonempty("AccessKeyId", c.access_key_id())?,
            secret_access_key: nonempty("SecretAccessKey", c.secret_access_key())?,
            session_token: nonempty("SessionToken", c.session_token())?,
            expiration,
            account_id: arn
                .as_deref()
                .and_then(account_of_arn)
                .or_else(|| account_of_arn(&args.role_arn))
                .unwrap_or_default()
                .to_string(),
        },
        arn,
    ))
}

/// An entry in botocore's format (the AssumeRole answer).
fn entry(c: &RoleCredentials, user_arn: Option<&str>) -> String {
    let mut v = json!({
        "Credentials": {
            "AccessKeyId": c.access_key_id,
            "SecretAccessKey": c.secret_access_key,
            "SessionToken": c.session_token,
            "Expiration": timefmt::format(c.expiration),
        }
    });
    if !c.account_id.is_empty() {
        v["Credentials"]["AccountId"] = json!(c.account_id);
    }
    if let Some(arn) = user_arn {
        v["AssumedRoleUser"] = json!({ "Arn": arn });
    }
    v.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(arn: &str) -> AssumeArgs {
        AssumeArgs {
            role_arn: arn.into(),
            ..Default::default()
        }
    }

    /// Vectors computed with Python: `hashlib.sha1(json.dumps(args,
    /// sort_keys=True).encode()).hexdigest()`.
    #[test]
    fn botocore_cache_keys() {
        let a = args("arn:aws:iam::123456789012:role/Admin");
        assert_eq!(
            a.python_json(),
            r#"{"RoleArn": "arn:aws:iam::123456789012:role/Admin"}"#
        );
        assert_eq!(a.cache_key(), "51e7b105b5040ce662656c8dc6ab4de70c4de7ad");
        let full = AssumeArgs {
            role_arn: "arn:aws:iam::123456789012:role/Admin".into(),
            role_session_name: Some("me".into()),
            external_id: Some("ext-1".into()),
            duration_seconds: Some(3600),
            serial_number: Some("arn:aws:iam::123456789012:mfa/me".into()),
        };
        assert_eq!(
            full.python_json(),
            r#"{"DurationSeconds": 3600, "ExternalId": "ext-1", "RoleArn": "arn:aws:iam::123456789012:role/Admin", "RoleSessionName": "me", "SerialNumber": "arn:aws:iam::123456789012:mfa/me"}"#
        );
        assert_eq!(full.cache_key(), "5df5484fc786dd18404682e522051d40ea4c60f4");
        assert_eq!(
            py_str("é\"\\\n\u{7f}😀"),
            r#""\u00e9\"\\\n\u007f\ud83d\ude00""#
        );
    }
}
