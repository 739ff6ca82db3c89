//! `DSOPS_TOKEN_STORAGE` and the choice it makes (also `tokens:` in the
//! user config): where dsops keeps the SSO session. Only reading and
//! checking here; the stores themselves are `sso::tokenstore`.

use super::var;
use crate::error::{Error, Result};

/// Where the SSO session (and, by choice, role credentials) are kept: a
/// file shared with the AWS CLI, or the OS keyring (`tokens:` in the user
/// config, `DSOPS_TOKEN_STORAGE`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TokenStorage {
    #[default]
    File,
    Keyring,
}

impl TokenStorage {
    /// `file` or `keyring`, as written in the config and the variable.
    pub fn parse(s: &str) -> Option<TokenStorage> {
        match s {
            "file" => Some(TokenStorage::File),
            "keyring" => Some(TokenStorage::Keyring),
            _ => None,
        }
    }
}

/// `DSOPS_TOKEN_STORAGE`: `file` or `keyring` (over the user config's
/// `tokens.storage`); `None` when unset. Anything else is a usage error.
pub fn token_storage() -> Result<Option<TokenStorage>> {
    let Some(v) = var("DSOPS_TOKEN_STORAGE") else {
        return Ok(None);
    };
    TokenStorage::parse(v.trim()).map(Some).ok_or_else(|| {
        Error::usage(format!(
            "DSOPS_TOKEN_STORAGE: expected keyring or file, not '{}'",
            crate::text::shown(&v)
        ))
    })
}
