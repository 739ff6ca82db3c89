//! The note a failed sign-in leaves beside the token file
//! (`<sha1>.json.failed`), so that one denied, abandoned or timed-out sign-in
//! does not become a tab per waiting caller:
//!
//! - the callers that waited on the session lock while it ran find the note
//!   newer than their own start, and fail (status 6) instead of each starting
//!   a sign-in in turn;
//! - for `DSOPS_LOGIN_COOLDOWN` (default 60 s) afterwards, a new caller that
//!   is not interactive fails at once too.
//!
//! `dsops login` ignores the note, and a sign-in or refresh that succeeds
//! removes it. The note holds a time and a reason (a message that holds no
//! secret); it is read with a bound, and one that cannot be read or parsed,
//! or that is dated in the future, counts as no note. Nothing depends on it
//! beyond the cool-down: a usable token in the cache always wins.

use crate::fsutil;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const MAX_NOTE_BYTES: u64 = 4096;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// When the sign-in failed, in milliseconds since the epoch.
    pub at_ms: u64,
    pub reason: String,
}

impl Note {
    /// How long ago it failed, as seen at `now_ms`.
    pub fn age(&self, now_ms: u64) -> Duration {
        Duration::from_millis(now_ms.saturating_sub(self.at_ms))
    }
}

pub fn note_path(token: &Path) -> PathBuf {
    fsutil::with_suffix(token, ".failed")
}

/// Milliseconds since the epoch (0 if the clock is before it).
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// The note beside `token`, if there is a readable one.
pub fn read(token: &Path) -> Option<Note> {
    let bytes = fsutil::read_private(&note_path(token), MAX_NOTE_BYTES).ok()?;
    let note = parse(&bytes)?;
    // A note from the future (a clock set back, or garbage) is no note:
    // it must not hold callers off for longer than the cool-down.
    (note.at_ms <= now_ms().saturating_add(1000)).then_some(note)
}

fn parse(bytes: &[u8]) -> Option<Note> {
    let v: Value = serde_json::from_slice(bytes).ok()?;
    Some(Note {
        at_ms: v.get("failedAtMs")?.as_u64()?,
        reason: clean(v.get("reason").and_then(Value::as_str).unwrap_or("")),
    })
}

/// One line of at most 200 characters.
fn clean(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).take(200).collect()
}

/// Leave a note that a sign-in for `token` failed now, with `reason`.
/// Best effort: a note that cannot be written costs only the cool-down.
pub fn write(token: &Path, reason: &str) {
    let text = json!({"failedAtMs": now_ms(), "reason": clean(reason)}).to_string();
    if let Err(e) = fsutil::write_atomic(&note_path(token), text.as_bytes()) {
        crate::settings::debug(format_args!("cannot leave the sign-in failure note: {e}"));
    }
}

/// A sign-in or refresh succeeded: forget any failure.
pub fn clear(token: &Path) {
    let _ = std::fs::remove_file(note_path(token));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_roundtrip_and_garbage_is_none() {
        let d = tempfile::tempdir().unwrap();
        let token = d.path().join("t.json");
        assert_eq!(read(&token), None);
        write(&token, "sign-in was denied\n(access_denied)");
        let n = read(&token).unwrap();
        assert_eq!(n.reason, "sign-in was denied(access_denied)");
        assert!(n.age(now_ms()) < Duration::from_secs(5));
        // Modes exist on Unix only.
        #[cfg(unix)]
        assert_eq!(
            std::fs::metadata(note_path(&token))
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o600
        );
        for bad in [
            "",
            "{",
            "[]",
            "{\"failedAtMs\": -1}",
            "{\"failedAtMs\": \"1\"}",
            "{\"failedAtMs\": 1e300}",
            "{\"failedAtMs\": 99999999999999999}",
        ] {
            std::fs::write(note_path(&token), bad).unwrap();
            assert_eq!(read(&token), None, "{bad}");
        }
        std::fs::write(note_path(&token), vec![b' '; 10_000]).unwrap();
        assert_eq!(read(&token), None, "too big");
        clear(&token);
        assert!(!note_path(&token).exists());
        clear(&token);
    }

    #[cfg(unix)]
    use std::os::unix::fs::PermissionsExt;
}
