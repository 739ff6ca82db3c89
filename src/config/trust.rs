//! Trust records for project configs, like direnv's allow list.
//!
//! One record per config path: `$XDG_DATA_HOME/dsops/trust/<sha256 of the
//! absolute path>`, holding `allow <sha256 of the content>` or `deny`, then the
//! path. One file per path lets the shell hook watch a single file for
//! `allow`/`deny` changes. Any edit of the config changes its hash, so it needs
//! a new `allow`.

use crate::error::{Error, Result};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trust {
    Allowed,
    /// Allowed once, edited since.
    Changed,
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

/// Trust records are small; a bigger one is not ours.
const MAX_RECORD_BYTES: u64 = 64 << 10;

/// The trust state of `path` whose current content is `content`. A record
/// that cannot be read, or sits in a directory others can write (and that
/// cannot be made private), trusts nothing.
pub fn check(path: &Path, content: &[u8]) -> Trust {
    if crate::fsutil::guard_dir(&crate::paths::trust_dir()).is_err() {
        return Trust::Unknown;
    }
    let record = match crate::fsutil::read_bounded(&record_path(path), MAX_RECORD_BYTES) {
        Ok(r) => String::from_utf8_lossy(&r).into_owned(),
        Err(_) => return Trust::Unknown,
    };
    let first = record.lines().next().unwrap_or("");
    match first.split_once(' ') {
        Some(("allow", hash)) if hash == sha256_hex(content) => Trust::Allowed,
        Some(("allow", _)) => Trust::Changed,
        _ if first == "deny" => Trust::Denied,
        _ => Trust::Unknown,
    }
}

pub fn allow(path: &Path) -> Result<()> {
    // One read: the bytes parsed are the bytes hashed.
    let source = crate::config::ConfigFile::read(path)?;
    // Refuse to trust a file that does not even parse: the user would only
    // find out at the next prompt.
    source.parse()?;
    let record = format!(
        "allow {}\n{}\n",
        sha256_hex(source.text.as_bytes()),
        path.display()
    );
    crate::fsutil::write_atomic(&record_path(path), record.as_bytes())
}

pub fn deny(path: &Path) -> Result<()> {
    let record = format!("deny\n{}\n", path.display());
    crate::fsutil::write_atomic(&record_path(path), record.as_bytes())
}

/// The message for a config that is not trusted.
pub fn untrusted_error(path: &Path, trust: Trust) -> Error {
    let why = match trust {
        Trust::Changed => "changed since it was allowed",
        Trust::Denied => "denied",
        _ => "not trusted yet",
    };
    Error::new(
        crate::error::exit::UNTRUSTED,
        format!(
            "{} is {why}: review it, then run 'dsops allow {}'",
            path.display(),
            shell_word(path)
        ),
    )
}

fn shell_word(path: &Path) -> String {
    let s = path.display().to_string();
    if s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/._-+@:".contains(&b))
    {
        s
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}
