//! Trust records for project configs, like direnv's allow list, and what a
//! change since the last `allow` means.
//!
//! One record per config path: `$XDG_DATA_HOME/dsops/trust/<sha256 of the
//! absolute path>`, holding `allow <sha256 of the content>` or `deny`, then the
//! path. One file per path lets the shell hook watch a single file for
//! `allow`/`deny` changes. Beside it, `<record>.allowed` keeps a copy of the
//! allowed bytes (0600 in the 0700 trust directory; removed by `deny`,
//! replaced by the next `allow`), so that a later edit can be compared with
//! what was allowed (`diff.rs`):
//!
//! - an edit that leaves the parsed config as it was (comments, white space,
//!   key order, quoting) is trusted at once: the record is updated, nothing
//!   is said;
//! - with `trust: {auto_allow: low}` in the user config, an edit whose
//!   highest risk is low is trusted too, with a line naming the changes;
//! - anything else needs `dsops allow`, and the message says what changed,
//!   by risk. Nothing medium or high is ever trusted without it.
//!
//! Records from before the copy existed keep working; their diff says there
//! is nothing to compare with. The copy is read with the same bound as any
//! project config.

use super::diff::{self, Change, Risk};
use crate::error::{Error, Exit, Result};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trust {
    Allowed,
    /// Allowed once, edited since: a one-line summary of what changed, by
    /// risk (`None`: no allowed copy to compare with, or it did not parse).
    Changed(Option<String>),
    /// Allowed once, edited since, and the file no longer parses: the
    /// parse error (file, line, column), which is what the user must fix
    /// first; a review of the changes comes after.
    Broken(String),
    Denied,
    Unknown,
}

pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

/// The record file for a config at `path` (absolute).
pub fn record_path(path: &Path) -> PathBuf {
    crate::paths::trust_dir().join(sha256_hex(path.as_os_str().as_encoded_bytes()))
}

/// The copy of the allowed bytes, beside the record.
pub fn copy_path(path: &Path) -> PathBuf {
    crate::fsutil::with_suffix(&record_path(path), ".allowed")
}

/// Trust records are small; a bigger one is not ours.
const MAX_RECORD_BYTES: u64 = 64 << 10;

/// What the record says, before any comparison.
enum Record {
    Allow(String),
    Deny,
    None,
}

fn read_record(path: &Path) -> Record {
    // A record in a directory others can write (that cannot be made
    // private) trusts nothing.
    if crate::fsutil::guard_dir(&crate::paths::trust_dir()).is_err() {
        return Record::None;
    }
    let record = match crate::fsutil::read_bounded(&record_path(path), MAX_RECORD_BYTES) {
        Ok(r) => String::from_utf8_lossy(&r).into_owned(),
        Err(_) => return Record::None,
    };
    let first = record.lines().next().unwrap_or("");
    match first.split_once(' ') {
        Some(("allow", hash)) => Record::Allow(hash.to_string()),
        _ if first == "deny" => Record::Deny,
        _ => Record::None,
    }
}

/// How the config on disk compares with what was allowed.
pub enum Comparison {
    /// Allowed as it is.
    Same,
    /// Never allowed, or denied: everything in it is new.
    New(Vec<Change>),
    /// No copy (a record from before copies were kept), or one that cannot
    /// be read or parsed: why.
    Nothing(String),
    /// The current file does not parse.
    Broken(Error),
    Changes(Vec<Change>),
}

/// What `dsops allow --show` and `dsops allow` report: the config on disk
/// (`content`) against its record and allowed copy.
pub fn review(path: &Path, content: &[u8]) -> Comparison {
    match read_record(path) {
        Record::Allow(h) if h == sha256_hex(content) => Comparison::Same,
        Record::Allow(_) => compare(path, content),
        Record::Deny | Record::None => match std::str::from_utf8(content)
            .map_err(|_| Error::config(format!("{}: not valid UTF-8", path.display())))
            .and_then(|t| super::parse_str(path, t))
        {
            Ok(new) => Comparison::New(diff::diff(&super::Config::default(), &new)),
            Err(e) => Comparison::Broken(e),
        },
    }
}

/// Compare `content` (the config at `path` now) with its allowed copy.
pub fn compare(path: &Path, content: &[u8]) -> Comparison {
    let copy = match crate::fsutil::read_bounded(&copy_path(path), super::MAX_CONFIG_BYTES) {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Comparison::Nothing(
                "the trust record is older than dsops's copies of allowed files, so there is nothing to compare with".into(),
            );
        }
        Err(e) => return Comparison::Nothing(format!("the allowed copy cannot be read: {e}")),
    };
    let parse = |bytes: &[u8]| {
        let text = std::str::from_utf8(bytes)
            .map_err(|_| Error::config(format!("{}: not valid UTF-8", path.display())))?;
        super::parse_str(path, text)
    };
    let old = match parse(&copy) {
        Ok(c) => c,
        Err(_) => return Comparison::Nothing("the allowed copy no longer parses".into()),
    };
    match parse(content) {
        Ok(new) => Comparison::Changes(diff::diff(&old, &new)),
        Err(e) => Comparison::Broken(e),
    }
}

/// The trust state of `path` whose current content is `content`. An edit
/// that changes nothing parsed, or only low-risk things with `auto_allow`
/// set to low, is trusted here and now (see the module doc).
pub fn check(path: &Path, content: &[u8]) -> Trust {
    let hash = match read_record(path) {
        Record::None => return Trust::Unknown,
        Record::Deny => return Trust::Denied,
        Record::Allow(h) => h,
    };
    if hash == sha256_hex(content) {
        return Trust::Allowed;
    }
    match compare(path, content) {
        Comparison::Changes(changes) => {
            let auto_low = auto_allow() == Some(Risk::Low);
            match diff::highest(&changes) {
                None if record(path, content).is_ok() => return Trust::Allowed,
                Some(Risk::Low) if auto_low && record(path, content).is_ok() => {
                    eprintln!(
                        "dsops: {} changed ({}): trusted, as trust.auto_allow is low",
                        crate::text::path(path),
                        diff::summary(&changes)
                    );
                    return Trust::Allowed;
                }
                _ => {}
            }
            Trust::Changed(Some(diff::summary(&changes)))
        }
        Comparison::Broken(e) => Trust::Broken(e.message),
        _ => Trust::Changed(None),
    }
}

/// `trust.auto_allow` of the user config (only the user config may set it).
fn auto_allow() -> Option<Risk> {
    let user = super::ConfigFile::user().ok().flatten()?;
    user.parse().ok()?.auto_allow
}

/// Write the record and the copy for `content`.
fn record(path: &Path, content: &[u8]) -> Result<()> {
    let record = format!("allow {}\n{}\n", sha256_hex(content), path.display());
    // The copy first: a record is never newer than the copy it describes.
    crate::fsutil::write_atomic(&copy_path(path), content)?;
    crate::fsutil::write_atomic(&record_path(path), record.as_bytes())
}

/// Trust exactly these bytes of the config at `source.path` (the bytes the
/// user reviewed, not a second read).
pub fn allow(source: &super::ConfigFile) -> Result<()> {
    // Refuse to trust a file that does not even parse (or that a load would
    // refuse): the user would only find out at the next prompt.
    let layer = source.parse()?;
    super::refuse_trust_section(source, &layer)?;
    record(&source.path, source.text.as_bytes())
}

pub fn deny(path: &Path) -> Result<()> {
    let record = format!("deny\n{}\n", path.display());
    crate::fsutil::write_atomic(&record_path(path), record.as_bytes())?;
    match std::fs::remove_file(copy_path(path)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(Error::io("cannot remove", &copy_path(path), e))
        }
        _ => Ok(()),
    }
}

/// The message for a config that is not trusted.
pub fn untrusted_error(path: &Path, trust: Trust) -> Error {
    // A directory name alone can carry terminal controls: this message
    // reaches the terminal before anything is allowed.
    let word = crate::text::shown(&shell_word(path)).into_owned();
    let shown = crate::text::path(path);
    let msg = match trust {
        Trust::Changed(Some(summary)) if !summary.is_empty() => format!(
            "{} changed since it was allowed ({summary}): review with 'dsops allow --show {word}', then run 'dsops allow {word}'",
            shown
        ),
        Trust::Changed(_) => format!(
            "{} changed since it was allowed: review it, then run 'dsops allow {word}'",
            shown
        ),
        // The error first: it names the file, the line and the column.
        Trust::Broken(error) => format!(
            "{error} (the file changed since it was allowed; fix it, then review it and run 'dsops allow {word}')"
        ),
        // The user said no: one short line, no nagging.
        Trust::Denied => format!("{shown} is denied ('dsops allow {word}' trusts it)"),
        _ => format!(
            "{} is not trusted yet: review it, then run 'dsops allow {word}'",
            shown
        ),
    };
    Error::new(Exit::Untrusted, msg)
}

/// The path as a word to type in bash or zsh (quoted only when it needs it).
fn shell_word(path: &Path) -> String {
    let s = path.display().to_string();
    if s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/._-+@:".contains(&b))
    {
        s
    } else {
        String::from_utf8_lossy(&crate::quote::posix_bytes(s.as_bytes())).into_owned()
    }
}
