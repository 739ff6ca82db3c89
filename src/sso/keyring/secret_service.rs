//! The Secret Service (freedesktop.org) over the D-Bus session bus, through
//! zbus: pure Rust, on the current-thread tokio runtime dsops already has.
//! Items carry the attributes `service` and `account` (`secret-tool lookup
//! service dsops account SHA1`) and go into the default collection (GNOME
//! Keyring's `login`). Every call is bounded in time: a daemon that hangs is
//! an error, not a hung `creds`. One connection per process, opened when the
//! store is first needed ([`with_service`]).

use super::{Prompt, denied, failed, locked, unavailable};
use crate::error::Result;
use secret_service::{EncryptionType, Error as SsError, SecretService};
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

pub const NAME: &str = "Secret Service";

/// Without a person, the store answers at once or not at all; a prompt
/// waits as long as a sign-in would for its lock.
fn bound(prompt: Prompt) -> Duration {
    match prompt {
        Prompt::Forbidden => Duration::from_secs(20),
        Prompt::Allowed => crate::settings::limits().lock,
    }
}

fn attrs<'a>(service: &'a str, account: &'a str) -> HashMap<&'a str, &'a str> {
    HashMap::from([("service", service), ("account", account)])
}

fn map(what: &str, e: SsError) -> crate::error::Error {
    match e {
        SsError::Unavailable => unavailable("no Secret Service on the D-Bus session bus"),
        SsError::Locked => locked(),
        SsError::Prompt | SsError::PromptDisconnected => denied("the unlock prompt was dismissed"),
        e => failed(what, e),
    }
}

/// The process's connection: opened by the first call that needs the store
/// and kept for the process's lifetime (a refresh reads and writes the entry
/// more than once; each new connection costs a D-Bus handshake and a
/// Diffie-Hellman session, several milliseconds). The zbus connection's
/// tasks run on its own current-thread runtime, which lives as long.
struct Held {
    rt: tokio::runtime::Runtime,
    ss: SecretService<'static>,
}

static HELD: Mutex<Option<Held>> = Mutex::new(None);

/// Open the connection and the encrypted session, within the time bound.
fn open(what: &str, limit: Duration) -> Result<Held> {
    // zbus reads the bus socket through tokio's I/O driver.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .map_err(|e| failed(what, format!("cannot start the D-Bus runtime: {e}")))?;
    let connect = rt.block_on(async {
        tokio::time::timeout(limit, SecretService::connect(EncryptionType::Dh)).await
    });
    // Any failure to open a session means there is no store to talk to: no
    // session bus, no Secret Service on it (a daemon that stopped), or one
    // that refuses sessions.
    let ss = match connect {
        Ok(Ok(ss)) => ss,
        Ok(Err(SsError::Unavailable)) => {
            return Err(unavailable("no Secret Service on the D-Bus session bus"));
        }
        Ok(Err(e)) => return Err(unavailable(format!("no Secret Service session ({e})"))),
        Err(_) => {
            return Err(failed(
                what,
                format!("no answer within {}s", limit.as_secs()),
            ));
        }
    };
    Ok(Held { rt, ss })
}

/// Run `f` on the process's connection (opened now if there is none),
/// within the time bound. A call that fails for any reason but a locked
/// store or a dismissed prompt drops the connection, so that the next one
/// opens a new one (a daemon that restarted under a long-lived `serve`).
fn with_service<T>(
    what: &str,
    prompt: Prompt,
    f: impl AsyncFnOnce(&SecretService<'_>) -> Result<T, SsError>,
) -> Result<T> {
    let limit = bound(prompt);
    let mut held = HELD.lock().unwrap_or_else(PoisonError::into_inner);
    if held.is_none() {
        *held = Some(open(what, limit)?);
    }
    let Some(h) = held.as_ref() else {
        return Err(failed(what, "no connection"));
    };
    let answer =
        h.rt.block_on(async { tokio::time::timeout(limit, f(&h.ss)).await });
    match answer {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => {
            if !matches!(
                e,
                SsError::Locked | SsError::Prompt | SsError::PromptDisconnected
            ) {
                *held = None;
            }
            Err(map(what, e))
        }
        Err(_) => {
            *held = None;
            Err(failed(
                what,
                format!("no answer within {}s", limit.as_secs()),
            ))
        }
    }
}

pub fn get(service: &str, account: &str, prompt: Prompt) -> Result<Option<Vec<u8>>> {
    with_service("reading the entry", prompt, async |ss| {
        let found = ss.search_items(attrs(service, account)).await?;
        if let Some(item) = found.unlocked.first() {
            return item.get_secret().await.map(Some);
        }
        let Some(item) = found.locked.first() else {
            return Ok(None);
        };
        if prompt == Prompt::Forbidden {
            return Err(SsError::Locked);
        }
        item.unlock().await?;
        item.get_secret().await.map(Some)
    })
}

pub fn set(service: &str, account: &str, label: &str, secret: &[u8], prompt: Prompt) -> Result<()> {
    with_service("writing the entry", prompt, async |ss| {
        let collection = ss.get_default_collection().await?;
        if collection.is_locked().await? {
            if prompt == Prompt::Forbidden {
                return Err(SsError::Locked);
            }
            collection.unlock().await?;
        }
        collection
            .create_item(
                label,
                attrs(service, account),
                secret,
                true,
                "application/json",
            )
            .await?;
        Ok(())
    })
}

pub fn delete(service: &str, account: &str, prompt: Prompt) -> Result<bool> {
    with_service("deleting the entry", prompt, async |ss| {
        let found = ss.search_items(attrs(service, account)).await?;
        if !found.locked.is_empty() {
            if prompt == Prompt::Forbidden {
                return Err(SsError::Locked);
            }
            let refs: Vec<_> = found.locked.iter().collect();
            ss.unlock_all(&refs).await?;
        }
        let mut any = false;
        for item in found.unlocked.iter().chain(found.locked.iter()) {
            item.delete().await?;
            any = true;
        }
        Ok(any)
    })
}
