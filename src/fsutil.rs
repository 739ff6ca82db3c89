//! Files on disk: bounded reads of outside files, private directories,
//! atomic replace, and advisory locks.
//!
//! - Every file dsops did not write is read through [`read_bounded`]: opened
//!   without blocking, only when it is a regular file (checked on the open
//!   handle), and never more than a fixed limit, whatever `st_size` says
//!   (`/proc` files report 0 and are endless).
//! - Directories that hold secrets or decide trust (the token and role caches,
//!   trust records) must not be writable by anyone but their owner: one that
//!   is and is ours is repaired to 0700 with a message; one owned by another
//!   user is refused ([`guard_dir`]).
//! - Atomic replace writes `.<name>.<pid>.<nanos>.tmp` beside the target. A
//!   writer killed before its rename leaves that file behind, with whatever it
//!   held (tokens), so every write and every lock taken sweeps the directory
//!   for such files of processes that are gone.
//! - Locks are `flock`-style locks from std (`File::try_lock`), so the kernel
//!   drops them when a holder dies: a killed process leaves a lock *file*
//!   behind but never a held lock. Lock files are never deleted (deleting one
//!   while another process waits on it would let two holders in), never
//!   followed through a symlink, and on a file system without locks (some NFS
//!   mounts) dsops goes on without one and says so under `--debug`, as cargo
//!   does.
//!
//! Longer than most files here: these are the one place where dsops touches
//! files it shares with other programs (the AWS CLI's caches, the AWS config),
//! and the bounded read, the private modes, the atomic replace (whole or
//! staged) and the locks follow one set of rules with their tests.

use crate::error::{Error, Exit, Result};
use crate::platform;
use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// Read a file dsops did not write: a regular file only (opened without
/// blocking), at most `limit` bytes, else an error saying why.
pub fn read_bounded(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    let (f, meta) = platform::open_regular(path, true)?;
    read_open(f, &meta, limit)
}

/// [`read_bounded`] for a cache file, which holds tokens or credentials:
/// one of ours that others can read or write is made 0600 on the open
/// handle (no extra call when its mode is right: the mode comes with the
/// open), said on stderr, and remembered for `doctor` ([`repaired`]).
pub fn read_private(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    let (f, meta) = platform::open_regular(path, true)?;
    repair_open(path, &f, &meta);
    read_open(f, &meta, limit)
}

fn read_open(f: File, meta: &fs::Metadata, limit: u64) -> std::io::Result<Vec<u8>> {
    let hint = meta.len().min(limit);
    let mut buf = Vec::with_capacity(hint as usize);
    f.take(limit + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > limit {
        return Err(std::io::Error::new(
            std::io::ErrorKind::FileTooLarge,
            format!("more than the {limit} bytes allowed"),
        ));
    }
    Ok(buf)
}

/// Cache files made private by this process: path and the mode they had.
static REPAIRED: std::sync::Mutex<Vec<(PathBuf, u32)>> = std::sync::Mutex::new(Vec::new());

/// Make `f` (open at `path`, with `meta`) 0600 if it is ours and others can
/// read or write it. Whether it was repaired.
pub fn repair_open(path: &Path, f: &File, meta: &fs::Metadata) -> bool {
    let (owner, mode) = platform::owner_and_mode(meta);
    if mode & 0o077 == 0 || owner != platform::current_uid() {
        return false;
    }
    if let Err(e) = platform::make_open_file_private(f) {
        crate::settings::debug(format_args!("cannot make {} private: {e}", path.display()));
        return false;
    }
    eprintln!(
        "dsops: {} holds a token or credentials and was open to others (mode {mode:04o}); made it private (0600)",
        path.display()
    );
    REPAIRED
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push((path.to_path_buf(), mode));
    true
}

/// The cache files this process made private, with the modes they had.
pub fn repaired() -> Vec<(PathBuf, u32)> {
    REPAIRED.lock().unwrap_or_else(|p| p.into_inner()).clone()
}

/// Make sure `dir` is a directory only its owner can write: create it (and
/// parents) with mode 0700 when missing; repair one of ours that others can
/// write; refuse one owned by another user that others can write.
pub fn private_dir(dir: &Path) -> Result<()> {
    match fs::symlink_metadata(dir) {
        Ok(_) => guard_dir(dir),
        Err(_) => {
            fs::create_dir_all(dir).map_err(|e| Error::io("cannot create directory", dir, e))?;
            platform::make_private(dir, true)
                .map_err(|e| Error::io("cannot set permissions of", dir, e))
        }
    }
}

/// Check (and repair, see [`private_dir`]) an existing directory that holds
/// secrets or trust records. A missing one is fine.
pub fn guard_dir(dir: &Path) -> Result<()> {
    let Ok(meta) = fs::metadata(dir) else {
        return Ok(());
    };
    if !meta.is_dir() {
        return Err(Error::runtime(format!(
            "{} is not a directory",
            dir.display()
        )));
    }
    let (owner, mode) = platform::owner_and_mode(&meta);
    if mode & 0o022 == 0 {
        return Ok(());
    }
    let me = platform::current_uid();
    if owner != me {
        return Err(Error::runtime(format!(
            "{} is writable by others (mode {mode:04o}) and owned by another user (uid {owner}); refusing to use it",
            dir.display()
        )));
    }
    platform::make_private(dir, true).map_err(|e| Error::io("cannot make private", dir, e))?;
    eprintln!(
        "dsops: {} was writable by others (mode {mode:04o}); made it private (0700)",
        dir.display()
    );
    Ok(())
}

/// Replace `path` with `data` atomically: a temp file in the same directory,
/// written, fsynced, renamed over the target. Mode 0600; the parent is made
/// private (see [`private_dir`]). On any error the temp file is removed and
/// the target is untouched.
pub fn write_atomic(path: &Path, data: &[u8]) -> Result<()> {
    stage(path, data)?.commit()
}

/// A new content written (and fsynced) beside its target, not yet in its
/// place: [`Staged::commit`] renames it over the target; dropped, it is
/// removed. For a writer that checks the target between the two steps.
pub struct Staged {
    tmp: PathBuf,
    target: PathBuf,
    committed: bool,
}

/// How long a rename over a file another program holds open is retried.
const RENAME_RETRY_FOR: std::time::Duration = std::time::Duration::from_secs(1);

/// The first half of [`write_atomic`].
pub fn stage(path: &Path, data: &[u8]) -> Result<Staged> {
    let dir = path.parent().unwrap_or(Path::new("."));
    private_dir(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.{}.tmp", std::process::id(), nanos()));
    let result = (|| {
        let mut f = platform::create_private(&tmp)?;
        f.write_all(data)?;
        f.sync_all()
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(Error::io("cannot write", path, e));
    }
    Ok(Staged {
        tmp,
        target: path.to_path_buf(),
        committed: false,
    })
}

impl Staged {
    /// Rename the new content over the target. On Windows a reader that
    /// holds the target open without delete sharing makes the rename fail
    /// (a sharing violation or access denied): it is tried again for at
    /// most a second, then reported.
    pub fn commit(mut self) -> Result<()> {
        let start = std::time::Instant::now();
        loop {
            match fs::rename(&self.tmp, &self.target) {
                Ok(()) => break,
                Err(e)
                    if platform::rename_may_succeed_later(&e)
                        && start.elapsed() < RENAME_RETRY_FOR =>
                {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                Err(e) => {
                    let e = match platform::rename_may_succeed_later(&e) {
                        true => std::io::Error::new(
                            e.kind(),
                            format!(
                                "{e} (another program holds it open; still so after {}s)",
                                RENAME_RETRY_FOR.as_secs()
                            ),
                        ),
                        false => e,
                    };
                    return Err(Error::io("cannot write", &self.target, e));
                }
            }
        }
        self.committed = true;
        sweep_temps(self.target.parent().unwrap_or(Path::new(".")));
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// Add `data` at the end of an existing file in one write, as `>>` does
/// (no temp file: other appenders' writes stay whole and in place).
pub fn append(path: &Path, data: &[u8]) -> Result<()> {
    let mut f = fs::OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(|e| Error::io("cannot write", path, e))?;
    f.write_all(data)
        .and_then(|()| f.sync_all())
        .map_err(|e| Error::io("cannot write", path, e))
}

fn nanos() -> u32 {
    SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0)
}

/// A temp file of [`write_atomic`] older than this is removed even when its
/// process id is in use again.
const STALE_TEMP: Duration = Duration::from_secs(600);

/// The writer's process id, when `name` is one of our temp files.
fn temp_owner(name: &str) -> Option<u32> {
    let inner = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let mut parts = inner.rsplitn(3, '.');
    let nanos = parts.next()?;
    let pid = parts.next()?;
    let target = parts.next()?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (digits(nanos) && !target.is_empty())
        .then(|| pid.parse().ok())
        .flatten()
}

/// Remove temp files left by writers that died before their rename.
pub fn sweep_temps(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let me = std::process::id();
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name.to_str().and_then(temp_owner) else {
            continue;
        };
        let old = || {
            e.metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t.elapsed().unwrap_or_default() > STALE_TEMP)
        };
        if pid != me && (!platform::pid_alive(pid) || old()) {
            let _ = fs::remove_file(e.path());
        }
    }
}

/// Remove the files of `dir` whose names `ours` accepts and that nobody
/// touched for `after`; at most once a day per directory (a `.pruned`
/// marker file keeps the time), so that the hook's callers pay for it
/// rarely.
pub fn prune(dir: &Path, ours: fn(&str) -> bool, after: Duration) {
    const EVERY: Duration = Duration::from_secs(24 * 3600);
    let marker = dir.join(".pruned");
    let now = SystemTime::now();
    let due = fs::metadata(&marker)
        .and_then(|m| m.modified())
        .map_or(true, |t| now.duration_since(t).unwrap_or_default() > EVERY);
    if !due
        || File::create(&marker)
            .and_then(|f| f.set_modified(now))
            .is_err()
    {
        return;
    }
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        if !e.file_name().to_str().is_some_and(ours) {
            continue;
        }
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| now.duration_since(t).unwrap_or_default() > after);
        if old {
            let _ = fs::remove_file(e.path());
        }
    }
}

/// An exclusive advisory lock, released when dropped (or when the process
/// dies). `file` is `None` when the file system has no locks.
#[derive(Debug)]
pub struct LockGuard {
    file: Option<File>,
}

impl LockGuard {
    /// Remove the lock file at `path` while still holding it, then let go.
    /// A process that waited on it finds the path gone or new when it gets
    /// the lock, and opens the new one ([`lock`]), so two holders never
    /// think they hold the same lock.
    pub fn remove(self, path: &Path) -> Result<()> {
        match fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(Error::io("cannot remove", path, e))
            }
            _ => Ok(()),
        }
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        if let Some(f) = &self.file {
            let _ = f.unlock();
        }
    }
}

/// Take the lock at `path`. Tries once; when another process holds it, prints
/// `waiting` (unless empty) once on stderr and polls until `timeout`, then fails with the
/// lock-timeout exit status.
pub fn lock(path: &Path, waiting: &str, timeout: Duration) -> Result<LockGuard> {
    let dir = path.parent().unwrap_or(Path::new("."));
    private_dir(dir)?;
    sweep_temps(dir);
    let open =
        || platform::open_lock_file(path).map_err(|e| Error::io("cannot open lock file", path, e));
    let mut file = open()?;
    let start = Instant::now();
    let mut said = false;
    loop {
        match file.try_lock() {
            // `logout` removes lock files while it holds them: one taken
            // after that is the old file, no longer the lock; take the new.
            Ok(()) if platform::still_names(&file, path) => {
                return Ok(LockGuard { file: Some(file) });
            }
            Ok(()) => {
                let _ = file.unlock();
                if start.elapsed() >= timeout {
                    return Err(Error::new(
                        Exit::LockTimeout,
                        format!(
                            "gave up after {}s: the lock {} kept being replaced",
                            timeout.as_secs_f64(),
                            path.display()
                        ),
                    ));
                }
                file = open()?;
            }
            Err(fs::TryLockError::WouldBlock) => {
                if !said && !waiting.is_empty() {
                    eprintln!("dsops: {waiting}");
                    said = true;
                }
                if start.elapsed() >= timeout {
                    return Err(Error::new(
                        Exit::LockTimeout,
                        format!(
                            "gave up after {}s waiting for the lock {} (held by another dsops process; DSOPS_LOCK_TIMEOUT sets the bound)",
                            timeout.as_secs_f64(),
                            path.display()
                        ),
                    ));
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(fs::TryLockError::Error(e)) if platform::locks_unsupported(&e) => {
                crate::settings::debug(format_args!(
                    "{}: the file system has no locks ({e}); going on without one",
                    path.display()
                ));
                return Ok(LockGuard { file: None });
            }
            Err(fs::TryLockError::Error(e)) => return Err(Error::io("cannot lock", path, e)),
        }
    }
}

/// `file` with `suffix` appended to its name (a lock beside what it guards).
pub fn with_suffix(file: &Path, suffix: &str) -> PathBuf {
    let mut s = file.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Modes exist on Unix only.
    #[cfg(unix)]
    #[test]
    fn atomic_write_mode_and_replace() {
        use std::os::unix::fs::PermissionsExt;
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
        assert_eq!(err.kind, Exit::LockTimeout);
        drop(_g);
        lock(&p, "waiting", Duration::from_millis(100)).unwrap();
    }

    #[test]
    fn read_bounded_refuses_big_and_endless() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("big");
        fs::write(&p, vec![b'a'; 100]).unwrap();
        assert!(read_bounded(&p, 99).is_err());
        assert_eq!(read_bounded(&p, 100).unwrap().len(), 100);
        // st_size 0, endless content.
        let e = read_bounded(Path::new("/dev/zero"), 10).unwrap_err();
        assert!(e.to_string().contains("device"), "{e}");
        if Path::new("/proc/self/pagemap").exists() {
            let e = read_bounded(Path::new("/proc/self/pagemap"), 4096);
            assert!(e.is_err(), "a /proc file read past its limit");
        }
    }

    #[test]
    fn temp_names() {
        assert_eq!(temp_owner(".abc.json.123.456.tmp"), Some(123));
        assert_eq!(temp_owner(".abc.json.x.456.tmp"), None);
        assert_eq!(temp_owner("abc.json.1.2.tmp"), None);
        assert_eq!(temp_owner(".1.2.tmp"), None);
    }

    #[test]
    fn sweeps_temps_of_dead_writers_only() {
        let d = tempfile::tempdir().unwrap();
        // A pid far above any pid_max: no such process.
        let dead = d.path().join(".t.json.999999999.1.tmp");
        let mine = d
            .path()
            .join(format!(".t.json.{}.1.tmp", std::process::id()));
        let other = d.path().join(".notes.tmp");
        for p in [&dead, &mine, &other] {
            fs::write(p, "x").unwrap();
        }
        write_atomic(&d.path().join("t.json"), b"{}").unwrap();
        assert!(!dead.exists());
        assert!(mine.exists() && other.exists());
    }

    #[cfg(unix)]
    #[test]
    fn unsafe_dir_is_repaired() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let c = d.path().join("cache");
        fs::create_dir(&c).unwrap();
        fs::set_permissions(&c, fs::Permissions::from_mode(0o777)).unwrap();
        guard_dir(&c).unwrap();
        assert_eq!(
            fs::metadata(&c).unwrap().permissions().mode() & 0o777,
            0o700
        );
    }
}
