//! The Unix implementation of `platform`.
//!
//! Files dsops did not write (configs, caches, rc files) are opened with
//! `O_NONBLOCK`, so a FIFO or a device in their place cannot hang the open,
//! and their type is checked on the open handle (`fstat`), so a file swapped
//! between a check and the open is still caught. Reads of regular files are
//! not affected by `O_NONBLOCK`.

use std::fs::{File, Metadata, OpenOptions};
use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::Path;

/// Why a path that exists is not a file dsops reads.
fn not_regular(meta: &Metadata) -> io::Error {
    super::not_regular(kind_of(meta))
}

/// Open `path` for reading without blocking, and only if it is a regular
/// file (checked on the handle). `follow: false` refuses a symlink. The
/// metadata comes with it, so callers need no second `fstat`.
pub fn open_regular(path: &Path, follow: bool) -> io::Result<(File, Metadata)> {
    let mut flags = libc::O_NONBLOCK | libc::O_CLOEXEC;
    if !follow {
        flags |= libc::O_NOFOLLOW;
    }
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(flags)
        .open(path)
        .map_err(symlink_refused)?;
    only_regular(file)
}

/// The file and its metadata (checked on the handle), if it is a regular file.
fn only_regular(file: File) -> io::Result<(File, Metadata)> {
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(not_regular(&meta));
    }
    Ok((file, meta))
}

/// `O_NOFOLLOW` on a symlink fails with ELOOP: say what it means.
fn symlink_refused(e: io::Error) -> io::Error {
    if e.raw_os_error() == Some(libc::ELOOP) {
        super::symlink_not_followed()
    } else {
        e
    }
}

/// Open (creating it, mode 0600) a lock file: never through a symlink, never
/// blocking on a FIFO, and only a regular file.
pub fn open_lock_file(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)
        .map_err(symlink_refused)?;
    only_regular(file).map(|(f, _)| f)
}

/// Open an existing file of ours for writing (a stamp) without following a
/// symlink or blocking.
pub fn open_own_file_for_write(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)
        .map_err(symlink_refused)?;
    only_regular(file).map(|(f, _)| f)
}

/// Does this lock error mean the file system has no locks (some NFS mounts)?
pub fn locks_unsupported(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::ENOLCK) | Some(libc::EOPNOTSUPP) | Some(libc::ENOSYS)
    )
}

/// The user dsops runs as.
pub fn current_uid() -> u32 {
    // SAFETY: getuid has no preconditions and cannot fail.
    unsafe { libc::getuid() }
}

/// The owner of `path` when it is another user than us or root (for
/// `doctor`); `None` when it is ours or cannot be read.
pub fn foreign_owner(path: &Path) -> Option<String> {
    let uid = std::fs::symlink_metadata(path).ok()?.uid();
    (uid != 0 && uid != current_uid()).then(|| format!("uid {uid}"))
}

/// Owner and permission bits of a file or directory.
pub fn owner_and_mode(meta: &Metadata) -> (u32, u32) {
    (meta.uid(), meta.mode() & 0o7777)
}

/// Is process `pid` alive (or at least present, owned by someone else)?
pub fn pid_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    if pid <= 0 {
        return false;
    }
    // SAFETY: kill with signal 0 only checks for existence.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// A process leading its own process group (started with [`own_group`]).
pub struct Group(u32);

impl Group {
    /// The group `child` leads: its pid is the group id.
    pub fn of(child: &std::process::Child) -> Group {
        Group(child.id())
    }

    /// Send SIGKILL to every process of the group.
    pub fn kill(&self) {
        kill_group(self.0);
    }
}

/// Send SIGKILL to every process of the process group `pgid`.
fn kill_group(pgid: u32) {
    if let Ok(pgid) = libc::pid_t::try_from(pgid)
        && pgid > 1
    {
        // SAFETY: a negative pid addresses the process group; errors (the
        // group is already gone) are of no interest.
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
    }
}

/// Ignore SIGPIPE, so that a write to a closed pipe is an `EPIPE` error that
/// the one stdout writer turns into a quiet exit (see `output.rs`). Children
/// get the default action back: std resets it before `exec`.
#[cfg_attr(test, allow(dead_code))] // called from the C `main`, not under test
pub fn ignore_sigpipe() {
    // SAFETY: setting a signal's disposition to SIG_IGN has no preconditions.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
}

/// Make the child die with dsops: called between fork and exec.
fn die_with_parent() -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: prctl(PR_SET_PDEATHSIG) only sets a flag of this process;
        // it is async-signal-safe, as required between fork and exec.
        if unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) } != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// What a file that is not regular is, for messages ("a FIFO").
pub fn kind_of(meta: &Metadata) -> &'static str {
    let ft = meta.file_type();
    if ft.is_file() {
        "a file"
    } else if ft.is_dir() {
        "a directory"
    } else if ft.is_fifo() {
        "a FIFO"
    } else if ft.is_socket() {
        "a socket"
    } else if ft.is_char_device() || ft.is_block_device() {
        "a device"
    } else if ft.is_symlink() {
        "a symbolic link"
    } else {
        "something else"
    }
}

/// Do `a` and `b` name the same file (device and inode)?
pub fn same_file(a: &Metadata, b: &Metadata) -> bool {
    a.dev() == b.dev() && a.ino() == b.ino()
}

/// Does `path` still name the open `file` (the same device and inode)? A
/// lock file removed or replaced while a process waited on it is no longer
/// the lock.
pub fn still_names(file: &File, path: &Path) -> bool {
    match (file.metadata(), std::fs::symlink_metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Size and modification time, to tell a change without reading.
pub fn change_marks(meta: &Metadata) -> (u64, i64, i64) {
    (meta.len(), meta.mtime(), meta.mtime_nsec())
}

/// Make an open file readable and writable by its owner only (`0600`).
pub fn make_open_file_private(f: &File) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    f.set_permissions(std::fs::Permissions::from_mode(0o600))
}

/// Make `path` readable and writable by its owner only (`0700` for a
/// directory, `0600` for a file).
pub fn make_private(path: &Path, dir: bool) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = if dir { 0o700 } else { 0o600 };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

/// Create `path` new (never an existing file, never through a symlink),
/// readable and writable by its owner only, for writing.
pub fn create_private(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
}

/// Can this file be run (a regular file with an execute bit)?
pub fn is_executable(meta: &Metadata) -> bool {
    meta.is_file() && meta.mode() & 0o111 != 0
}

/// Run `cmd` in a process group of its own, killed if dsops dies.
pub fn own_group(cmd: &mut std::process::Command) {
    use std::os::unix::process::CommandExt;
    cmd.process_group(0);
    // SAFETY: the closure only makes one async-signal-safe system call.
    unsafe {
        cmd.pre_exec(die_with_parent);
    }
}

/// Replace dsops with `cmd` (execvp); returns only when that fails.
pub fn exec(cmd: &mut std::process::Command) -> io::Error {
    use std::os::unix::process::CommandExt;
    cmd.exec()
}

/// Read at `at` without moving a cursor (`pread`). Inlined: the AWS config
/// reader calls it on the warm path of `creds`.
#[inline]
pub fn read_at(f: &File, buf: &mut [u8], at: u64) -> io::Result<usize> {
    use std::os::unix::fs::FileExt;
    f.read_at(buf, at)
}

/// Bytes from an environment value or a record back to an OS string (any
/// bytes are one on Unix).
#[inline]
pub fn os_from_bytes(bytes: Vec<u8>) -> std::ffi::OsString {
    use std::os::unix::ffi::OsStringExt;
    std::ffi::OsString::from_vec(bytes)
}

/// Is a rename's error one that may go away when tried again? Never here:
/// a rename over an open file succeeds on Unix.
pub fn rename_may_succeed_later(_e: &io::Error) -> bool {
    false
}

/// The local time zone's offset from UTC in seconds at `unix` time, from the
/// C library (`TZ`, `/etc/localtime`); `None` when it cannot tell. (The
/// `time` crate refuses to look it up once threads run.)
pub fn local_offset_secs(unix: i64) -> Option<i32> {
    let t = libc::time_t::try_from(unix).ok()?;
    // SAFETY: a zeroed tm for localtime_r to fill; it reads only `t`.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    if unsafe { libc::localtime_r(&t, &mut tm) }.is_null() {
        return None;
    }
    i32::try_from(tm.tm_gmtoff).ok()
}

/// `n` random bytes from the kernel's generator (`/dev/urandom`).
pub fn random_bytes(n: usize) -> io::Result<Vec<u8>> {
    use std::io::Read;
    let mut buf = vec![0u8; n];
    File::open("/dev/urandom")?.read_exact(&mut buf)?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_is_refused_without_blocking() {
        let d = tempfile::tempdir().unwrap();
        let fifo = d.path().join("f");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid C string path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let e = open_regular(&fifo, true).unwrap_err();
        assert!(
            e.get_ref()
                .is_some_and(|i| i.is::<crate::platform::NotRegular>()),
            "{e}"
        );
        assert!(e.to_string().contains("FIFO"), "{e}");
        assert!(open_lock_file(&fifo).is_err());
    }

    #[test]
    fn lock_file_does_not_follow_symlinks() {
        let d = tempfile::tempdir().unwrap();
        let target = d.path().join("elsewhere");
        let link = d.path().join("x.lock");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let e = open_lock_file(&link).unwrap_err();
        assert!(e.to_string().contains("symbolic link"), "{e}");
        assert!(!target.exists(), "the symlink's target was created");
    }
}
