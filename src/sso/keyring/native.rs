//! macOS (login Keychain) and Windows (Credential Manager) through the
//! `keyring` project's native stores. These stores unlock (or ask) as their
//! OS decides; dsops cannot tell a locked store from a denied one there, so
//! both are reported as denied, never as a missing entry.

use super::{Prompt, denied, failed, unavailable};
use crate::error::Result;
use keyring_core::{Entry, Error as KError};
use std::sync::OnceLock;

#[cfg(target_os = "macos")]
pub const NAME: &str = "login Keychain";
#[cfg(windows)]
pub const NAME: &str = "Credential Manager";

fn init() -> Result<()> {
    static STORE: OnceLock<Result<(), String>> = OnceLock::new();
    STORE
        .get_or_init(|| {
            #[cfg(target_os = "macos")]
            let store = apple_native_keyring_store::keychain::Store::new();
            #[cfg(windows)]
            let store = windows_native_keyring_store::Store::new();
            store
                .map(|s| keyring_core::set_default_store(s))
                .map_err(|e| e.to_string())
        })
        .clone()
        .map_err(unavailable)
}

fn map(what: &str, e: KError) -> crate::error::Error {
    match e {
        KError::NoStorageAccess(e) => denied(e),
        e => failed(what, e),
    }
}

fn entry(service: &str, account: &str) -> Result<Entry> {
    init()?;
    Entry::new(service, account).map_err(|e| map("opening the entry", e))
}

pub fn get(service: &str, account: &str, _prompt: Prompt) -> Result<Option<Vec<u8>>> {
    match entry(service, account)?.get_secret() {
        Ok(s) => Ok(Some(s)),
        Err(KError::NoEntry) => Ok(None),
        Err(e) => Err(map("reading the entry", e)),
    }
}

pub fn set(
    service: &str,
    account: &str,
    _label: &str,
    secret: &[u8],
    _prompt: Prompt,
) -> Result<()> {
    entry(service, account)?
        .set_secret(secret)
        .map_err(|e| map("writing the entry", e))
}

pub fn delete(service: &str, account: &str, _prompt: Prompt) -> Result<bool> {
    match entry(service, account)?.delete_credential() {
        Ok(()) => Ok(true),
        Err(KError::NoEntry) => Ok(false),
        Err(e) => Err(map("deleting the entry", e)),
    }
}
