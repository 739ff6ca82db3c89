//! Where an SSO session's token lives: the AWS CLI's token file (the
//! default, shared with every AWS tool) or, with `tokens: {storage: keyring}`
//! in the user config or `DSOPS_TOKEN_STORAGE=keyring`, the OS keyring
//! (`keyring/`), never written to disk by dsops. The rest of `sso/` reads,
//! writes and deletes through [`TokenStore`] and does not care which.
//!
//! Either way the lock and cool-down files stay beside where the token file
//! would be (they hold no secret), so parallel callers serialise exactly as
//! with files. The keyring entry holds the token file's JSON, same fields;
//! its account is the file's name without `.json` (the SHA-1 the AWS CLI
//! uses). Role credentials follow `tokens.role_credentials` ([`RoleStore`]).

use super::LoginPolicy;
use super::cache::{self, Read, RoleCredentials, Token};
use super::keyring::{self, Prompt};
use crate::awsconfig::SsoSession;
use crate::config::{TokenStorage, Tokens};
use crate::error::{Error, Result};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// A keyring entry bigger than this is not a token dsops wrote.
const MAX_ENTRY_BYTES: usize = 64 * 1024;

/// The user's choice: `DSOPS_TOKEN_STORAGE` over the user config's `tokens:`
/// (read once per process, and only when a token or role credentials are
/// needed). `DSOPS_TOKEN_STORAGE=file` puts everything back in files.
pub fn tokens() -> Result<Tokens> {
    static TOKENS: std::sync::OnceLock<Result<Tokens>> = std::sync::OnceLock::new();
    TOKENS
        .get_or_init(|| {
            let configured = match crate::config::ConfigFile::user()? {
                Some(f) => f.parse()?.tokens.unwrap_or_default(),
                None => Tokens::default(),
            };
            Ok(match crate::settings::token_storage()? {
                Some(TokenStorage::File) => Tokens::default(),
                Some(TokenStorage::Keyring) => Tokens {
                    storage: TokenStorage::Keyring,
                    ..configured
                },
                None => configured,
            })
        })
        .clone()
}

/// A person may be asked to unlock the keyring only where a sign-in could be
/// made: never in the hook, with `--no-login`, `DSOPS_NO_LOGIN` or `CI`.
fn prompt_of(policy: &LoginPolicy) -> Prompt {
    if policy.allowed {
        Prompt::Allowed
    } else {
        Prompt::Forbidden
    }
}

/// One session's token, in a file or in the keyring.
#[derive(Debug, Clone)]
pub struct TokenStore {
    /// The token file, or where it would be (locks and notes go beside it).
    path: PathBuf,
    keyring: Option<Keyring>,
}

#[derive(Debug, Clone)]
struct Keyring {
    account: String,
    label: String,
    prompt: Prompt,
}

impl TokenStore {
    /// The store the user chose for `session`.
    pub fn of(session: &SsoSession, policy: &LoginPolicy) -> Result<TokenStore> {
        let mut s = TokenStore::file(session);
        if tokens()?.storage == TokenStorage::Keyring {
            s.keyring = Some(Keyring {
                account: account_of(&s.path),
                label: format!("dsops SSO session: {}", super::session_desc(session)),
                prompt: prompt_of(policy),
            });
        }
        Ok(s)
    }

    /// The AWS CLI's token file for `session`, whatever the user chose
    /// (`doctor` and `login` look there for a plaintext copy).
    pub fn file(session: &SsoSession) -> TokenStore {
        TokenStore {
            path: cache::token_path(session),
            keyring: None,
        }
    }

    /// The token file, or where it would be.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn is_keyring(&self) -> bool {
        self.keyring.is_some()
    }

    /// The file that changes when the token does: the token file, or with
    /// the keyring a note beside where it would be (`<sha1>.json.keyring`,
    /// no secret in it), so that the hook reloads after a sign-in.
    pub fn watched(&self) -> PathBuf {
        match &self.keyring {
            None => self.path.clone(),
            Some(_) => {
                let mut p = self.path.clone().into_os_string();
                p.push(".keyring");
                PathBuf::from(p)
            }
        }
    }

    /// For messages: the file's path, or the keyring entry.
    pub fn describe(&self) -> String {
        match &self.keyring {
            None => self.path.display().to_string(),
            Some(k) => format!(
                "the OS keyring ({}: service {}, account {})",
                keyring::store_name(),
                keyring::TOKEN_SERVICE,
                k.account
            ),
        }
    }

    /// The token, `Missing` or `Corrupt` as for the file. Only the keyring
    /// fails (not available, locked, denied): that is an error, never
    /// "signed out".
    pub fn read(&self) -> Result<Read<Token>> {
        let Some(k) = &self.keyring else {
            return Ok(cache::read_token(&self.path));
        };
        let Some(bytes) = keyring::get(keyring::TOKEN_SERVICE, &k.account, k.prompt)? else {
            return Ok(Read::Missing);
        };
        Ok(match parse_entry(&bytes) {
            Some(raw) => Read::Found(Token { raw }),
            None => Read::Corrupt(format!("{} is not a token dsops wrote", self.describe())),
        })
    }

    pub fn write(&self, token: &Token) -> Result<()> {
        let Some(k) = &self.keyring else {
            return cache::write_token(&self.path, token);
        };
        let text = serde_json::to_string(&Value::Object(token.raw.clone())).unwrap_or_default();
        keyring::set(
            keyring::TOKEN_SERVICE,
            &k.account,
            &k.label,
            text.as_bytes(),
            k.prompt,
        )?;
        // Only a hint for the hook: a note that cannot be written is no error.
        let note = format!(
            "dsops keeps this SSO session in the OS keyring (service {}, account {}); written at {} ms\n",
            keyring::TOKEN_SERVICE,
            k.account,
            super::cooldown::now_ms()
        );
        if let Err(e) = crate::fsutil::write_atomic(&self.watched(), note.as_bytes()) {
            crate::settings::debug(format_args!("cannot write the keyring note: {e}"));
        }
        Ok(())
    }

    /// Delete the token; `false` when there was none.
    pub fn delete(&self) -> Result<bool> {
        let Some(k) = &self.keyring else {
            return delete_file(&self.path);
        };
        let _ = delete_file(&self.watched());
        keyring::delete(keyring::TOKEN_SERVICE, &k.account, k.prompt)
    }
}

/// The entry's account: the token file's name without `.json`.
fn account_of(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn parse_entry(bytes: &[u8]) -> Option<Map<String, Value>> {
    if bytes.len() > MAX_ENTRY_BYTES {
        return None;
    }
    match serde_json::from_slice(bytes).ok()? {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

fn delete_file(path: &Path) -> Result<bool> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(Error::io("cannot delete", path, e)),
    }
}

/// One role's cached credentials: the AWS CLI's role cache file, or with
/// `tokens: {role_credentials: keyring}` a keyring entry (service
/// `dsops-role-credentials`, account the cache key), the cache file's JSON.
#[derive(Debug, Clone)]
pub struct RoleStore {
    path: PathBuf,
    keyring: Option<Keyring>,
}

impl RoleStore {
    pub fn of(
        session: &SsoSession,
        account_id: &str,
        role_name: &str,
        policy: &LoginPolicy,
    ) -> Result<RoleStore> {
        let path = cache::role_path(session, account_id, role_name);
        let keyring = (tokens()?.role_credentials == TokenStorage::Keyring).then(|| Keyring {
            account: account_of(&path),
            label: format!("dsops role credentials: {account_id}/{role_name}"),
            prompt: prompt_of(policy),
        });
        Ok(RoleStore { path, keyring })
    }

    /// AssumeRole credentials of a role chain's hop (`role_arn`), whose
    /// AWS CLI cache file (botocore's key) is `path`: in that file, or with
    /// `role_credentials: keyring` an entry whose account is the key.
    pub fn assumed(path: PathBuf, role_arn: &str, policy: &LoginPolicy) -> Result<RoleStore> {
        let keyring = (tokens()?.role_credentials == TokenStorage::Keyring).then(|| Keyring {
            account: account_of(&path),
            label: format!("dsops assumed role credentials: {role_arn}"),
            prompt: prompt_of(policy),
        });
        Ok(RoleStore { path, keyring })
    }

    /// The cache file, or where it would be (its lock goes beside it).
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn is_keyring(&self) -> bool {
        self.keyring.is_some()
    }

    pub fn read(&self) -> Result<Read<RoleCredentials>> {
        let Some(k) = &self.keyring else {
            return Ok(cache::read_role(&self.path));
        };
        let Some(bytes) = keyring::get(keyring::ROLE_SERVICE, &k.account, k.prompt)? else {
            return Ok(Read::Missing);
        };
        Ok(match parse_entry(&bytes) {
            Some(m) => crate::rolecreds::role_from(&self.path, &m),
            None => Read::Corrupt("the keyring entry is not role credentials".into()),
        })
    }

    pub fn write(&self, c: &RoleCredentials) -> Result<()> {
        match &self.keyring {
            None => cache::write_role(&self.path, c),
            Some(_) => self.write_json(&c.cache_json()),
        }
    }

    /// Write a cache entry's JSON as it is (an AssumeRole answer in
    /// botocore's form, say): the file, or the keyring entry.
    pub fn write_json(&self, text: &str) -> Result<()> {
        let Some(k) = &self.keyring else {
            return crate::fsutil::write_atomic(&self.path, text.as_bytes());
        };
        keyring::set(
            keyring::ROLE_SERVICE,
            &k.account,
            &k.label,
            text.as_bytes(),
            k.prompt,
        )
    }

    /// Delete the cached credentials wherever they are (file and entry).
    pub fn delete(&self) -> Result<bool> {
        let file = delete_file(&self.path)?;
        let entry = match &self.keyring {
            Some(k) => keyring::delete(keyring::ROLE_SERVICE, &k.account, k.prompt)?,
            None => false,
        };
        Ok(file || entry)
    }
}
