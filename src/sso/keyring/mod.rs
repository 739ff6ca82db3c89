//! The OS credential store, for `tokens: {storage: keyring}`: one secret
//! per (service, account), read, written and deleted whole. Linux and the
//! BSDs use the Secret Service over D-Bus (`secret_service.rs`: GNOME
//! Keyring, KWallet, KeePassXC); macOS the login Keychain and Windows the
//! Credential Manager (`native.rs`).
//!
//! Every failure is an [`Exit::Keyring`] error that names the store and what
//! to do; nothing here falls back to a file. A locked store is unlocked
//! (which may show the desktop's unlock prompt) only when the caller says a
//! person may be asked ([`Prompt::Allowed`]); the hook and `--no-login`
//! callers get "locked" instead. Only the token layer (`sso::tokenstore`)
//! calls this, and only when it needs the token: the warm path never does.

#[cfg(all(unix, not(target_os = "macos")))]
#[path = "secret_service.rs"]
mod platform;

#[cfg(any(target_os = "macos", windows))]
#[path = "native.rs"]
mod platform;

#[cfg(not(any(unix, windows)))]
mod platform {
    use super::*;
    pub fn get(_: &str, _: &str, _: Prompt) -> Result<Option<Vec<u8>>> {
        Err(unavailable(
            "no OS credential store is supported on this platform",
        ))
    }
    pub fn set(_: &str, _: &str, _: &str, _: &[u8], _: Prompt) -> Result<()> {
        Err(unavailable(
            "no OS credential store is supported on this platform",
        ))
    }
    pub fn delete(_: &str, _: &str, _: Prompt) -> Result<bool> {
        Err(unavailable(
            "no OS credential store is supported on this platform",
        ))
    }
    pub const NAME: &str = "OS keyring";
}

use crate::error::{Error, Exit, Result};

/// The service under which dsops keeps SSO sessions: the entry's `service`
/// attribute (Secret Service), its service (Keychain) or the `account.service`
/// target name (Credential Manager). The account is the token file's name
/// without `.json`: the SHA-1 the AWS CLI uses.
pub const TOKEN_SERVICE: &str = "dsops";
/// The service for role credentials (`role_credentials: keyring`); the
/// account is the AWS CLI's role cache key.
pub const ROLE_SERVICE: &str = "dsops-role-credentials";

/// May reading or writing ask a person to unlock the store?
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prompt {
    Allowed,
    Forbidden,
}

/// What the store is called in messages (`Secret Service`, `login Keychain`).
pub fn store_name() -> &'static str {
    platform::NAME
}

/// The secret of (service, account), `None` when there is no entry.
pub fn get(service: &str, account: &str, prompt: Prompt) -> Result<Option<Vec<u8>>> {
    platform::get(service, account, prompt)
}

/// Create or replace the entry; `label` is what keyring tools show.
pub fn set(service: &str, account: &str, label: &str, secret: &[u8], prompt: Prompt) -> Result<()> {
    platform::set(service, account, label, secret, prompt)
}

/// Delete the entry; `false` when there was none.
pub fn delete(service: &str, account: &str, prompt: Prompt) -> Result<bool> {
    platform::delete(service, account, prompt)
}

/// How to switch back to files, for the end of messages.
fn file_hint() -> String {
    format!(
        "or set tokens: {{storage: file}} in {} (or DSOPS_TOKEN_STORAGE=file)",
        crate::paths::user_config().display()
    )
}

/// No store to talk to.
pub(crate) fn unavailable(why: impl std::fmt::Display) -> Error {
    Error::new(
        Exit::Keyring,
        format!(
            "the OS keyring ({}) is not available: {why}; start it, {}",
            platform::NAME,
            file_hint()
        ),
    )
}

/// Locked, and nobody may be asked to unlock it here (the Secret Service
/// says so; the native stores ask the person themselves).
#[cfg(all(unix, not(target_os = "macos")))]
pub(crate) fn locked() -> Error {
    Error::new(
        Exit::Keyring,
        format!(
            "the OS keyring ({}) is locked and dsops does not ask to unlock it here (the hook, --no-login, CI): unlock it, e.g. by running 'dsops login' in a desktop session",
            platform::NAME
        ),
    )
}

/// Someone said no (a dismissed prompt, an access denied).
pub(crate) fn denied(why: impl std::fmt::Display) -> Error {
    Error::new(
        Exit::Keyring,
        format!(
            "access to the OS keyring ({}) was denied: {why}; allow dsops access when asked, {}",
            platform::NAME,
            file_hint()
        ),
    )
}

/// Anything else the store reported.
pub(crate) fn failed(what: &str, why: impl std::fmt::Display) -> Error {
    Error::new(
        Exit::Keyring,
        format!("the OS keyring ({}): {what}: {why}", platform::NAME),
    )
}
