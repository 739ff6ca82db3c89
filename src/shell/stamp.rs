//! Stamp files: how the shell tells, with `[[ FILE -nt STAMP ]]` and no
//! process, that a file changed since dsops last looked at it.
//!
//! Each load gets its own empty file under `$XDG_RUNTIME_DIR/dsops/stamps/`
//! (else `$XDG_STATE_HOME/dsops/stamps/`), named in the state. Its mtime is
//! set to the time dsops started reading the files, minus [`MARGIN`]: a file
//! written after that read gets a later mtime even when the file system's
//! clock is coarse (the kernel stamps files with a clock that lags by up to a
//! tick; some file systems keep whole seconds). The price is that a file
//! changed within the margin before a load looks newer for up to a second,
//! and the shell asks `hook-env` again, which finds the content unchanged and
//! moves the stamp forward.
//!
//! The state is user input: a stamp path is only ever touched or removed
//! when it is a file of ours in our directory. Stamps of shells long gone are
//! pruned about once a day.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

pub const MARGIN: Duration = Duration::from_secs(1);
const PRUNE_AFTER: Duration = Duration::from_secs(7 * 24 * 3600);

pub fn dir() -> PathBuf {
    match crate::paths::runtime_dir() {
        Some(d) => d.join("dsops/stamps"),
        None => crate::paths::state_home().join("dsops/stamps"),
    }
}

fn is_stamp_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
}

/// Is `p` one of our stamp files (by place and name)?
pub fn ours(p: &Path) -> bool {
    p.parent() == Some(dir().as_path())
        && p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(is_stamp_name)
}

fn set_time(f: &File, read_at: SystemTime) -> std::io::Result<()> {
    f.set_modified(read_at.checked_sub(MARGIN).unwrap_or(read_at))
}

/// A new stamp for a load whose files were read from `read_at` on.
/// `None` when it cannot be created: the shell then always asks dsops.
pub fn create(read_at: SystemTime) -> Option<PathBuf> {
    let dir = dir();
    crate::fsutil::private_dir(&dir).ok()?;
    prune(&dir);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    for attempt in 0..8u32 {
        let p = dir.join(format!("{:x}-{nanos:x}-{attempt:x}", std::process::id()));
        match File::options().write(true).create_new(true).open(&p) {
            Ok(f) => return set_time(&f, read_at).ok().map(|_| p),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(_) => return None,
        }
    }
    None
}

/// Move the stamp `p` forward after its files were checked unchanged from
/// `read_at` on; recreate it when it is gone (another shell sharing the state
/// removed it). False when `p` is not ours or cannot be written.
pub fn touch(p: &Path, read_at: SystemTime) -> bool {
    if !ours(p) {
        return false;
    }
    let f = match crate::platform::open_own_file_for_write(p) {
        Ok(f) => f,
        Err(_) => {
            if crate::fsutil::private_dir(&dir()).is_err() {
                return false;
            }
            match File::create(p) {
                Ok(f) => f,
                Err(_) => return false,
            }
        }
    };
    set_time(&f, read_at).is_ok()
}

pub fn remove(p: &Path) {
    if ours(p) {
        let _ = fs::remove_file(p);
    }
}

fn prune(dir: &Path) {
    crate::fsutil::prune(dir, is_stamp_name, PRUNE_AFTER);
}
