//! The two caches dsops shares with the AWS CLI v2 and botocore:
//!
//! - the SSO token cache `~/.aws/sso/cache/<sha1>.json`, keyed by the SHA-1 of
//!   the sso-session name (or of the start URL exactly as written, for legacy
//!   profiles);
//! - the role-credential cache `~/.aws/cli/cache/<sha1>.json`, keyed by the
//!   SHA-1 of the compact, key-sorted JSON of account, role and session name
//!   (or start URL).
//!
//! Files are read leniently (timestamps in any form the writers use; unknown
//! fields kept) and written atomically with mode 0600. A corrupted file is
//! treated as absent (a fresh sign-in or fetch replaces it), never a panic.
//! The AWS SDKs for JavaScript and Rust rewrite the token file in place, so
//! a file that does not parse is read once more after a short pause before
//! it counts as corrupt. A credential with an empty field is corrupt too.
//!
//! Longer than most files here because of its tests: the check vectors of
//! the spec, and property tests that feed any bytes to the readers (about
//! 230 of its lines).

use crate::awsconfig::SsoSession;
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

/// The token file for a session.
pub fn token_path(session: &SsoSession) -> PathBuf {
    let key = session.name.as_deref().unwrap_or(&session.start_url);
    crate::paths::sso_cache_dir().join(format!("{}.json", sha1_hex(key)))
}

/// Beside what it guards.
pub fn lock_path(file: &Path) -> PathBuf {
    fsutil::with_suffix(file, ".lock")
}

/// The role-credential cache key, as the AWS CLI v2 computes it.
pub fn role_cache_key(session: &SsoSession, account_id: &str, role_name: &str) -> String {
    // serde_json's Map is a BTreeMap (no preserve_order feature): keys sorted,
    // compact output, like Python's json.dumps(sort_keys=True, separators=(',', ':')).
    let mut m = Map::new();
    m.insert("accountId".into(), json!(account_id));
    m.insert("roleName".into(), json!(role_name));
    match &session.name {
        Some(n) => m.insert("sessionName".into(), json!(n)),
        None => m.insert("startUrl".into(), json!(session.start_url)),
    };
    let args = Value::Object(m).to_string();
    sha1_hex(&args).replace([':', '/'], "_")
}

pub fn role_path(session: &SsoSession, account_id: &str, role_name: &str) -> PathBuf {
    crate::paths::cli_cache_dir().join(format!(
        "{}.json",
        role_cache_key(session, account_id, role_name)
    ))
}

/// The token-file field where dsops notes the registration's grant types.
pub const GRANT_TYPES_FIELD: &str = "dsopsGrantTypes";

/// A token file as found on disk. Unknown fields are kept in `raw`.
#[derive(Debug, Clone, Default)]
pub struct Token {
    pub raw: Map<String, Value>,
}

impl Token {
    fn str(&self, k: &str) -> Option<&str> {
        self.raw
            .get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    }
    pub fn access_token(&self) -> Option<&str> {
        self.str("accessToken")
    }
    pub fn expires_at(&self) -> Option<OffsetDateTime> {
        self.str("expiresAt").and_then(timefmt::parse)
    }
    pub fn refresh_token(&self) -> Option<&str> {
        self.str("refreshToken")
    }
    pub fn client_id(&self) -> Option<&str> {
        self.str("clientId")
    }
    pub fn client_secret(&self) -> Option<&str> {
        self.str("clientSecret")
    }
    pub fn registration_expires_at(&self) -> Option<OffsetDateTime> {
        self.str("registrationExpiresAt").and_then(timefmt::parse)
    }
    /// Seconds of validity left (negative when expired; `None` when unusable).
    pub fn remaining(&self, now: OffsetDateTime) -> Option<i64> {
        self.access_token()?;
        Some((self.expires_at()? - now).whole_seconds())
    }
    /// A client registration that can still be used (refresh or new sign-in).
    pub fn registration(&self, now: OffsetDateTime) -> Option<Registration> {
        let expires = self.registration_expires_at()?;
        if expires <= now + time::Duration::minutes(1) {
            return None;
        }
        Some(Registration {
            client_id: self.client_id()?.to_string(),
            client_secret: self.client_secret()?.to_string(),
            expires_at: expires,
            // dsops's own note of what the client was registered for; other
            // writers do not keep it, and then it is unknown (empty).
            grant_types: self
                .raw
                .get(GRANT_TYPES_FIELD)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
        })
    }
    pub fn set(&mut self, k: &str, v: impl Into<Value>) {
        self.raw.insert(k.to_string(), v.into());
    }
}

#[derive(Debug, Clone)]
pub struct Registration {
    pub client_id: String,
    pub client_secret: String,
    pub expires_at: OffsetDateTime,
    /// Grant types it was registered for (empty when unknown, e.g. read back from a token file).
    pub grant_types: Vec<String>,
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
fn read_twice<T>(read: impl Fn() -> Read<T>) -> Read<T> {
    match read() {
        Read::Corrupt(_) => {
            std::thread::sleep(REREAD_PAUSE);
            read()
        }
        found_or_missing => found_or_missing,
    }
}

fn read_object(path: &Path) -> Read<Map<String, Value>> {
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
fn parse_object(path: &Path, bytes: &[u8]) -> Read<Map<String, Value>> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(m)) => Read::Found(m),
        Ok(_) => Read::Corrupt(format!("{}: not a JSON object", path.display())),
        // The serde error names line and column only, never the content.
        Err(e) => Read::Corrupt(format!("{}: invalid JSON ({e})", path.display())),
    }
}

pub fn read_token(path: &Path) -> Read<Token> {
    read_twice(|| match read_object(path) {
        Read::Found(raw) => Read::Found(Token { raw }),
        Read::Missing => Read::Missing,
        Read::Corrupt(m) => Read::Corrupt(m),
    })
}

pub fn write_token(path: &Path, token: &Token) -> Result<()> {
    let text = serde_json::to_string(&Value::Object(token.raw.clone())).unwrap_or_default();
    fsutil::write_atomic(path, text.as_bytes())
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
    /// credential_process output (Version 1).
    pub fn process_json(&self) -> String {
        json!({
            "Version": 1,
            "AccessKeyId": self.access_key_id,
            "SecretAccessKey": self.secret_access_key,
            "SessionToken": self.session_token,
            "Expiration": timefmt::format(self.expiration),
        })
        .to_string()
    }
    /// The value of one `aws.sso` store key.
    pub fn key(&self, key: &str) -> Option<String> {
        Some(match key {
            "access_key_id" => self.access_key_id.clone(),
            "secret_access_key" => self.secret_access_key.clone(),
            "session_token" => self.session_token.clone(),
            "expiration" => timefmt::format(self.expiration),
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
fn role_from(path: &Path, m: &Map<String, Value>) -> Read<RoleCredentials> {
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
    let v = json!({
        "ProviderType": "sso",
        "Credentials": {
            "AccessKeyId": c.access_key_id,
            "SecretAccessKey": c.secret_access_key,
            "SessionToken": c.session_token,
            "Expiration": timefmt::format(c.expiration),
            "AccountId": c.account_id,
        }
    });
    fsutil::write_atomic(path, v.to_string().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(name: Option<&str>, url: &str) -> SsoSession {
        SsoSession {
            name: name.map(Into::into),
            start_url: url.into(),
            region: "us-east-1".into(),
            scopes: vec![],
        }
    }

    #[test]
    fn spec_check_vectors() {
        assert_eq!(
            sha1_hex("my-sso"),
            "0ad374308c5a4e22f723adf10145eafad7c4031c"
        );
        assert_eq!(
            sha1_hex("https://d-1234567890.awsapps.com/start"),
            "7487b5b67d5fa1132cf33fa93ae51ef38cc37752"
        );
        let s = session(Some("my-sso"), "https://x/start");
        assert_eq!(
            role_cache_key(&s, "123456789012", "AdministratorAccess"),
            "c61222fe4c86bb5d3638873744d4cab00a0bf176"
        );
        assert!(token_path(&s).ends_with("0ad374308c5a4e22f723adf10145eafad7c4031c.json"));
    }

    #[test]
    fn token_roundtrip_keeps_unknown_fields() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("t.json");
        std::fs::write(
            &p,
            r#"{"accessToken":"a","expiresAt":"2030-01-01T00:00:00UTC","future":{"x":1}}"#,
        )
        .unwrap();
        let Read::Found(mut t) = read_token(&p) else {
            panic!()
        };
        assert_eq!(t.expires_at().unwrap().year(), 2030);
        t.set("expiresAt", "2031-01-01T00:00:00Z");
        write_token(&p, &t).unwrap();
        let v: Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
        assert_eq!(v["future"]["x"], 1);
        assert_eq!(v["expiresAt"], "2031-01-01T00:00:00Z");
    }

    #[test]
    fn extreme_timestamps_are_no_panic() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("t.json");
        let now = timefmt::now();
        for t in [
            "9999-12-31T23:59:59Z",
            "9999-12-31T23:30:00-01:00",
            "9999-12-31T23:59:59.999999999+14:00",
            "0000-01-01T00:00:00Z",
            "0000-01-01T00:00:00+23:59",
            "0000-01-01T00:00:00-23:59",
            "1970-01-01T00:00:00Z",
        ] {
            let token = json!({"accessToken": "a", "expiresAt": t, "refreshToken": "r",
                "clientId": "c", "clientSecret": "s", "registrationExpiresAt": t});
            std::fs::write(&p, token.to_string()).unwrap();
            let Read::Found(tok) = read_token(&p) else {
                panic!("{t}")
            };
            let _ = tok.remaining(now);
            let _ = tok.registration(now);
            let role = json!({"Credentials": {"AccessKeyId": "A", "SecretAccessKey": "S",
                "SessionToken": "T", "Expiration": t}});
            std::fs::write(&p, role.to_string()).unwrap();
            if let Read::Found(c) = read_role(&p) {
                let _ = c.remaining(now);
                let _ = c.process_json();
            }
        }
        let good = json!({"Credentials": {"AccessKeyId": "A", "SecretAccessKey": "S",
            "SessionToken": "T", "Expiration": "2030-01-01T00:00:00Z"}});
        std::fs::write(&p, good.to_string()).unwrap();
        assert!(matches!(read_role(&p), Read::Found(_)));
    }

    #[test]
    fn corrupt_files_are_reported_not_panics() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("t.json");
        let empty = |k: &str| {
            let mut c = json!({"AccessKeyId": "A", "SecretAccessKey": "S", "SessionToken": "T",
                "Expiration": "2030-01-01T00:00:00Z"});
            c[k] = json!("");
            json!({"Credentials": c}).to_string()
        };
        let empties: Vec<String> = [
            "AccessKeyId",
            "SecretAccessKey",
            "SessionToken",
            "Expiration",
        ]
        .iter()
        .map(|k| empty(k))
        .collect();
        for bad in ["", "{", "[]", "{\"Credentials\": 5}", "\u{0}\u{1}"]
            .into_iter()
            .chain(empties.iter().map(String::as_str))
        {
            std::fs::write(&p, bad).unwrap();
            assert!(matches!(read_token(&p), Read::Corrupt(_) | Read::Found(_)));
            assert!(matches!(read_role(&p), Read::Corrupt(_)), "{bad}");
        }
    }
}

/// Property tests: any bytes in a cache file are a token, role credentials
/// or a corrupt entry, never a panic; what dsops writes it reads back.
/// `PROPTEST_CASES=200000 cargo test --bin dsops cache::props` runs longer.
#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    fn cases() -> ProptestConfig {
        let c = ProptestConfig::default();
        if std::env::var_os("PROPTEST_CASES").is_some() {
            c
        } else {
            ProptestConfig { cases: 1000, ..c }
        }
    }

    /// Timestamps in every form the writers use, and nonsense.
    fn stamp() -> impl Strategy<Value = String> {
        prop_oneof![
            "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(Z|UTC|[+-][0-9]{2}:[0-9]{2}|\\.[0-9]{1,9}Z)?",
            any::<String>(),
            Just("9999-12-31T23:59:59-23:59".to_string()),
            Just("-0001-01-01T00:00:00Z".to_string()),
        ]
    }

    fn value() -> impl Strategy<Value = Value> {
        prop_oneof![
            stamp().prop_map(Value::from),
            any::<String>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
            Just(Value::Null),
            Just(json!([])),
            Just(json!({})),
        ]
    }

    fn object() -> impl Strategy<Value = Value> {
        let keys = proptest::sample::select(vec![
            "startUrl",
            "region",
            "accessToken",
            "expiresAt",
            "clientId",
            "clientSecret",
            "registrationExpiresAt",
            "refreshToken",
            GRANT_TYPES_FIELD,
            "other",
        ]);
        let creds = proptest::collection::btree_map(
            proptest::sample::select(vec![
                "AccessKeyId",
                "SecretAccessKey",
                "SessionToken",
                "Expiration",
                "AccountId",
                "x",
            ]),
            value(),
            0..6,
        );
        (
            proptest::collection::btree_map(keys, value(), 0..10),
            creds,
            any::<bool>(),
        )
            .prop_map(|(top, creds, nest)| {
                let mut m: Map<String, Value> =
                    top.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
                if nest {
                    let c: Map<String, Value> =
                        creds.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
                    m.insert("Credentials".into(), Value::Object(c));
                }
                Value::Object(m)
            })
    }

    fn exercise(bytes: &[u8]) {
        let p = Path::new("/c/x.json");
        let now = timefmt::now();
        if let Read::Found(m) = parse_object(p, bytes) {
            let t = Token { raw: m.clone() };
            let _ = (
                t.access_token(),
                t.refresh_token(),
                t.client_id(),
                t.client_secret(),
            );
            let _ = (
                t.expires_at(),
                t.registration_expires_at(),
                t.remaining(now),
            );
            let _ = t.registration(now);
            if let Read::Found(c) = role_from(p, &m) {
                assert!(!c.access_key_id.is_empty() && !c.secret_access_key.is_empty());
                let _ = (c.remaining(now), c.process_json(), c.key("expiration"));
            }
        }
    }

    proptest! {
        #![proptest_config(cases())]

        #[test]
        fn prop_any_bytes_are_a_token_or_corrupt(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            exercise(&bytes);
        }

        #[test]
        fn prop_any_json_object_is_a_token_or_corrupt(v in object()) {
            exercise(v.to_string().as_bytes());
        }

        #[test]
        fn prop_role_credentials_round_trip(
            a in "[A-Za-z0-9/+]{1,40}", s in ".{1,60}", t in ".{1,80}",
            secs in -62_000_000_000i64..253_000_000_000i64,
        ) {
            let d = tempfile::tempdir().unwrap();
            let p = d.path().join("r.json");
            let exp = OffsetDateTime::from_unix_timestamp(secs).unwrap();
            let c = RoleCredentials {
                access_key_id: a, secret_access_key: s, session_token: t,
                expiration: exp, account_id: "111111111111".into(),
            };
            write_role(&p, &c).unwrap();
            match read_role(&p) {
                Read::Found(back) => prop_assert_eq!(back, c),
                other => prop_assert!(false, "{other:?}"),
            }
        }
    }
}
