//! Role credentials (what every command hands out) and the cache files that
//! hold them, read with a bound and leniently, written atomically: the AWS
//! CLI's role-credential entries and botocore's AssumeRole entries share
//! one format. Also the SHA-1 hex that every cache key is made of, and the
//! lock file beside what it guards.
//!
//! At the bottom of the house: used by `sso/`, `sts.rs`, `chain.rs`,
//! `eks.rs`, `endpoint/`, `console.rs` and the stores; it knows nothing of
//! sessions, profiles or how credentials are fetched.

use crate::error::Result;
use crate::fsutil;
use crate::timefmt;
use serde_json::{Map, Value, json};
use sha1::{Digest, Sha1};
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

/// Cache files are small; a bigger one is corrupt.
const MAX_CACHE_BYTES: u64 = 1 << 20;

pub fn sha1_hex(s: &str) -> String {
    crate::config::trust::hex(&Sha1::digest(s.as_bytes()))
}

/// Beside what it guards.
pub fn lock_path(file: &Path) -> PathBuf {
    fsutil::with_suffix(file, ".lock")
}

/// What reading a cache file found.
#[derive(Debug)]
pub enum Read<T> {
    Missing,
    /// Unreadable or not the JSON we expect; the message says why (no secrets).
    Corrupt(String),
    Found(T),
}

/// How long to wait before reading an unreadable cache file once more: a
/// writer that rewrites it in place is done by then.
const REREAD_PAUSE: std::time::Duration = std::time::Duration::from_millis(100);

/// `read`, and once more after [`REREAD_PAUSE`] when it finds the file corrupt.
pub fn read_twice<T>(read: impl Fn() -> Read<T>) -> Read<T> {
    match read() {
        Read::Corrupt(_) => {
            std::thread::sleep(REREAD_PAUSE);
            read()
        }
        found_or_missing => found_or_missing,
    }
}

pub fn read_object(path: &Path) -> Read<Map<String, Value>> {
    // A cache directory others can write could hold a planted token.
    if let Some(dir) = path.parent()
        && let Err(e) = fsutil::guard_dir(dir)
    {
        return Read::Corrupt(e.message);
    }
    let bytes = match fsutil::read_private(path, MAX_CACHE_BYTES) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Read::Missing,
        Err(e) => return Read::Corrupt(format!("{}: {e}", path.display())),
    };
    parse_object(path, &bytes)
}

/// A cache file's bytes as a JSON object.
pub fn parse_object(path: &Path, bytes: &[u8]) -> Read<Map<String, Value>> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(m)) => Read::Found(m),
        Ok(_) => Read::Corrupt(format!("{}: not a JSON object", path.display())),
        // The serde error names line and column only, never the content.
        Err(e) => Read::Corrupt(format!("{}: invalid JSON ({e})", path.display())),
    }
}

/// Role credentials, as printed for credential_process and cached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    pub expiration: OffsetDateTime,
    pub account_id: String,
}

impl RoleCredentials {
    pub fn remaining(&self, now: OffsetDateTime) -> i64 {
        (self.expiration - now).whole_seconds()
    }
    /// credential_process output (Version 1), with the account the
    /// credentials are for (`AccountId`: botocore 1.37+, the SDKs for
    /// JavaScript v3 and Rust read it for account-based endpoints).
    pub fn process_json(&self) -> String {
        let mut v = json!({
            "Version": 1,
            "AccessKeyId": self.access_key_id,
            "SecretAccessKey": self.secret_access_key,
            "SessionToken": self.session_token,
            "Expiration": timefmt::format(self.expiration),
        });
        if !self.account_id.is_empty() {
            v["AccountId"] = json!(self.account_id);
        }
        v.to_string()
    }
    /// The value of one `aws.sso` store key.
    pub fn key(&self, key: &str) -> Option<String> {
        Some(match key {
            "access_key_id" => self.access_key_id.clone(),
            "secret_access_key" => self.secret_access_key.clone(),
            "session_token" => self.session_token.clone(),
            "expiration" => timefmt::format(self.expiration),
            "account_id" if !self.account_id.is_empty() => self.account_id.clone(),
            _ => return None,
        })
    }
}

pub fn read_role(path: &Path) -> Read<RoleCredentials> {
    read_twice(|| read_role_once(path))
}

fn read_role_once(path: &Path) -> Read<RoleCredentials> {
    match read_object(path) {
        Read::Found(m) => role_from(path, &m),
        Read::Missing => Read::Missing,
        Read::Corrupt(m) => Read::Corrupt(m),
    }
}

/// Role credentials from a role cache file's object.
pub fn role_from(path: &Path, m: &Map<String, Value>) -> Read<RoleCredentials> {
    let c = m.get("Credentials").and_then(Value::as_object);
    let field = |k: &str| {
        c.and_then(|c| c.get(k))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    // An empty key, secret or session token is no credential.
    let nonempty = |k: &str| field(k).filter(|v| !v.is_empty());
    match (
        nonempty("AccessKeyId"),
        nonempty("SecretAccessKey"),
        nonempty("SessionToken"),
        field("Expiration").as_deref().and_then(timefmt::parse),
    ) {
        (Some(a), Some(s), Some(t), Some(e)) => Read::Found(RoleCredentials {
            access_key_id: a,
            secret_access_key: s,
            session_token: t,
            expiration: e,
            account_id: field("AccountId").unwrap_or_default(),
        }),
        _ => Read::Corrupt(format!(
            "{}: missing or empty credential fields",
            path.display()
        )),
    }
}

pub fn write_role(path: &Path, c: &RoleCredentials) -> Result<()> {
    fsutil::write_atomic(path, c.cache_json().as_bytes())
}

impl RoleCredentials {
    /// The AWS CLI's role cache file content for these credentials.
    pub fn cache_json(&self) -> String {
        let c = self;
        json!({
        "ProviderType": "sso",
        "Credentials": {
            "AccessKeyId": c.access_key_id,
            "SecretAccessKey": c.secret_access_key,
            "SessionToken": c.session_token,
            "Expiration": timefmt::format(c.expiration),
            "AccountId": c.account_id,
            }
        })
        .to_string()
    }
}
