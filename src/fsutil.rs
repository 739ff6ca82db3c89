//! Files on disk: atomic replace, private directories, bounded-size reads and
//! advisory locks.
//!
//! Locks are `flock`-style locks from std (`File::try_lock`), so the kernel
//! drops them when a holder dies: a killed process leaves a lock *file* behind
//! but never a held lock. We never delete lock files (deleting one while another
//! process waits on it would let two holders in).

use crate::error::{Error, Result, exit};
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::time::{Duration, Instant};

/// Create `dir` (and parents) with mode 0700 for the last component.
pub fn private_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    fs::create_dir_all(dir).map_err(|e| Error::io("cannot create directory", dir, e))?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
        .map_err(|e| Error::io("cannot set permissions of", dir, e))
}

/// Replace `path` with `data` atomically: a temp file in the same directory,
/// written, fsynced, renamed over the target. Mode 0600; the parent is created
/// 0700 when missing. On any error the temp file is removed and the target is
/// untouched.
pub fn write_atomic(path: &Path, data: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    private_dir(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.{}.tmp", std::process::id(), nanos()));
    let result = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(Error::io("cannot write", path, e));
    }
    Ok(())
}

fn nanos() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0)
}

/// Read a file that must be small (configs, caches): bigger than `limit` is an
/// error naming the file, so a 100 MB file is never read into memory.
pub fn read_limited(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    let f = File::open(path)?;
    let len = f.metadata()?.len();
    if len > limit {
        return Err(std::io::Error::other(format!(
            "file is {len} bytes, more than the {limit} bytes allowed"
        )));
    }
    let mut buf = Vec::with_capacity(len as usize);
    f.take(limit + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > limit {
        return Err(std::io::Error::other(format!(
            "file is more than the {limit} bytes allowed"
        )));
    }
    Ok(buf)
}

/// An exclusive advisory lock, released when dropped (or when the process dies).
#[derive(Debug)]
pub struct LockGuard {
    file: File,
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

/// How long to wait for a lock held by another process: `DSOPS_LOCK_TIMEOUT`
/// seconds, default 900 (a device-code sign-in may take up to 10 minutes).
pub fn lock_timeout() -> Duration {
    std::env::var("DSOPS_LOCK_TIMEOUT")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|s| *s >= 0.0)
        .map(Duration::from_secs_f64)
        .unwrap_or(Duration::from_secs(900))
}

/// Take the lock at `path`. Tries once; when another process holds it, prints
/// `waiting` (unless empty) once on stderr and polls until `timeout`, then fails with the
/// lock-timeout exit status.
pub fn lock(path: &Path, waiting: &str, timeout: Duration) -> Result<LockGuard> {
    if let Some(dir) = path.parent() {
        private_dir(dir)?;
    }
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
        .map_err(|e| Error::io("cannot open lock file", path, e))?;
    let start = Instant::now();
    let mut said = false;
    loop {
        match file.try_lock() {
            Ok(()) => {
                return Ok(LockGuard { file });
            }
            Err(fs::TryLockError::WouldBlock) => {
                if !said && !waiting.is_empty() {
                    eprintln!("dsops: {waiting}");
                    said = true;
                }
                if start.elapsed() >= timeout {
                    return Err(Error::new(
                        exit::LOCK_TIMEOUT,
                        format!(
                            "gave up after {}s waiting for the lock {} (held by another dsops process; DSOPS_LOCK_TIMEOUT sets the bound)",
                            timeout.as_secs(),
                            path.display()
                        ),
                    ));
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(fs::TryLockError::Error(e)) => return Err(Error::io("cannot lock", path, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_mode_and_replace() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("sub/x.json");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            fs::metadata(p.parent().unwrap())
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o700
        );
        assert_eq!(
            fs::read_dir(p.parent().unwrap()).unwrap().count(),
            1,
            "no temp file left"
        );
    }

    #[test]
    fn lock_times_out_when_held() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("l.lock");
        let _g = lock(&p, "waiting", Duration::from_secs(1)).unwrap();
        let err = lock(&p, "waiting", Duration::from_millis(100)).unwrap_err();
        assert_eq!(err.code, exit::LOCK_TIMEOUT);
        drop(_g);
        lock(&p, "waiting", Duration::from_millis(100)).unwrap();
    }

    #[test]
    fn read_limited_refuses_big() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("big");
        fs::write(&p, vec![b'a'; 100]).unwrap();
        assert!(read_limited(&p, 99).is_err());
        assert_eq!(read_limited(&p, 100).unwrap().len(), 100);
    }
}
