//! The Windows implementation of `platform`, behind the same interface as
//! `unix.rs` (and `signals.rs`, `peer.rs`, `users.rs`).
//!
//! What differs, and why:
//! - *Privacy* comes from the user profile's inherited ACL (`%USERPROFILE%`,
//!   `%APPDATA%`, `%LOCALAPPDATA%` are readable by their user, SYSTEM and
//!   administrators only), so there are no modes to set: files report
//!   themselves as the current user's with mode `0600`, and making a file
//!   private does nothing.
//! - *Identity of a file*: std gives no file index on stable Rust, so two
//!   metadata values are the same file when their size, attributes and
//!   creation and write times agree (callers use it to tell a change).
//! - *Signals*: the console's control events (Ctrl-C, Ctrl-Break, the
//!   window closing) stand for SIGINT, SIGTERM and SIGHUP: a handler records
//!   them once [`block_signals`] installed it, and [`wait_signal`] takes them.
//! - *Process groups*: a Job object with kill-on-close holds an exec store's
//!   command and everything it starts; killing the job ends the whole tree.
//! - *Replacing the process*: there is no `execvp`; [`exec`] spawns, waits
//!   (console control events go to the child through the console, dsops
//!   ignores them) and exits with the child's code.
//! - *The peer of a loopback connection* is not looked up: the per-request
//!   token is the only guard (see the README).
//!
//! Longer than most files here: it is the whole Windows half of four Unix
//! files (`unix.rs`, `signals.rs`, `peer.rs`, `users.rs`), kept in one so
//! that the Windows port reads in one sitting.

use std::fs::{File, Metadata, OpenOptions};
use std::io;
use std::os::windows::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;
use std::sync::{Condvar, Mutex};
use windows_sys::Win32::Foundation::{CloseHandle, HANDLE, STILL_ACTIVE};
use windows_sys::core::BOOL;

/// `FILE_FLAG_OPEN_REPARSE_POINT`: open a symbolic link itself.
const OPEN_REPARSE_POINT: u32 = 0x0020_0000;
/// `FILE_ATTRIBUTE_REPARSE_POINT`.
const ATTRIBUTE_REPARSE_POINT: u32 = 0x400;

fn not_regular(meta: &Metadata) -> io::Error {
    super::not_regular(kind_of(meta))
}

/// The file and its metadata (checked on the handle), if it is a regular
/// file; a reparse point (a symbolic link) opened itself is refused.
fn only_regular(file: File) -> io::Result<(File, Metadata)> {
    let meta = file.metadata()?;
    if meta.file_attributes() & ATTRIBUTE_REPARSE_POINT != 0 {
        return Err(super::symlink_not_followed());
    }
    if !meta.is_file() {
        return Err(not_regular(&meta));
    }
    Ok((file, meta))
}

/// Open `path` for reading, and only if it is a regular file (checked on
/// the handle). `follow: false` refuses a symbolic link.
pub fn open_regular(path: &Path, follow: bool) -> io::Result<(File, Metadata)> {
    let mut o = OpenOptions::new();
    o.read(true);
    if !follow {
        o.custom_flags(OPEN_REPARSE_POINT);
    }
    only_regular(o.open(path)?)
}

/// Open (creating it) a lock file: never through a symbolic link, and only
/// a regular file.
pub fn open_lock_file(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .custom_flags(OPEN_REPARSE_POINT)
        .open(path)?;
    only_regular(file).map(|(f, _)| f)
}

/// Open an existing file of ours for writing without following a link.
pub fn open_own_file_for_write(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new()
        .write(true)
        .custom_flags(OPEN_REPARSE_POINT)
        .open(path)?;
    only_regular(file).map(|(f, _)| f)
}

/// Does this lock error mean the file system has no locks?
/// (`ERROR_INVALID_FUNCTION`, `ERROR_NOT_SUPPORTED`.)
pub fn locks_unsupported(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(1) | Some(50))
}

/// Is a rename's error one that a reader holding the target open causes
/// (`ERROR_ACCESS_DENIED`, `ERROR_SHARING_VIOLATION`, `ERROR_LOCK_VIOLATION`),
/// so that trying again shortly may succeed?
pub fn rename_may_succeed_later(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(5) | Some(32) | Some(33))
}

/// There are no uids here: every file is the current user's (privacy comes
/// from the profile's ACL), so one constant stands for "us".
pub fn current_uid() -> u32 {
    0
}

/// Owner and permission bits: ours and `0600` (see the module doc).
pub fn owner_and_mode(_meta: &Metadata) -> (u32, u32) {
    (current_uid(), 0o600)
}

/// The owner of `path` when it is neither the current user nor SYSTEM nor
/// the Administrators group (for `doctor`, which checks ownership here
/// instead of modes), as a SID string; `None` when it is ours or cannot be
/// read.
pub fn foreign_owner(path: &Path) -> Option<String> {
    use std::os::windows::ffi::OsStrExt;
    use std::ptr::null_mut;
    use windows_sys::Win32::Foundation::{CloseHandle, LocalFree};
    use windows_sys::Win32::Security::Authorization::{
        ConvertSidToStringSidW, GetNamedSecurityInfoW, SE_FILE_OBJECT,
    };
    use windows_sys::Win32::Security::{
        EqualSid, GetTokenInformation, IsWellKnownSid, OWNER_SECURITY_INFORMATION,
        PSECURITY_DESCRIPTOR, PSID, TOKEN_QUERY, TOKEN_USER, TokenUser,
        WinBuiltinAdministratorsSid, WinLocalSystemSid,
    };
    use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};

    let wide: Vec<u16> = path.as_os_str().encode_wide().chain(Some(0)).collect();
    let mut owner: PSID = null_mut();
    let mut sd: PSECURITY_DESCRIPTOR = null_mut();
    // SAFETY: a NUL-terminated path; out-pointers to locals. `owner` points
    // into `sd`, which is freed below, after its last use.
    let rc = unsafe {
        GetNamedSecurityInfoW(
            wide.as_ptr(),
            SE_FILE_OBJECT,
            OWNER_SECURITY_INFORMATION,
            &mut owner,
            null_mut(),
            null_mut(),
            null_mut(),
            &mut sd,
        )
    };
    if rc != 0 || owner.is_null() {
        return None;
    }
    let described = (|| {
        // SAFETY: `owner` is a valid SID inside `sd`.
        let trusted = unsafe {
            IsWellKnownSid(owner, WinLocalSystemSid) != 0
                || IsWellKnownSid(owner, WinBuiltinAdministratorsSid) != 0
        };
        if trusted {
            return None;
        }
        let mut token: HANDLE = null_mut();
        // SAFETY: the pseudo-handle of this process; an out-pointer.
        if unsafe { OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &mut token) } == 0 {
            return None;
        }
        // A TOKEN_USER and the SID after it; u64 for the alignment.
        let mut buf = [0u64; 64];
        let mut len = 0u32;
        // SAFETY: the buffer is as long as said; the token is closed once.
        let ok = unsafe {
            let ok = GetTokenInformation(
                token,
                TokenUser,
                buf.as_mut_ptr().cast(),
                std::mem::size_of_val(&buf) as u32,
                &mut len,
            );
            CloseHandle(token);
            ok
        };
        if ok == 0 {
            return None;
        }
        // SAFETY: filled by GetTokenInformation with a TOKEN_USER.
        let me = unsafe { (*buf.as_ptr().cast::<TOKEN_USER>()).User.Sid };
        // SAFETY: two valid SIDs.
        if unsafe { EqualSid(owner, me) } != 0 {
            return None;
        }
        let mut text = null_mut();
        // SAFETY: a valid SID; the string is freed with LocalFree.
        if unsafe { ConvertSidToStringSidW(owner, &mut text) } == 0 || text.is_null() {
            return Some("another user".to_string());
        }
        // SAFETY: a NUL-terminated wide string from the call above.
        let s = unsafe {
            let n = (0..).take_while(|&i| *text.add(i) != 0).count();
            let s = String::from_utf16_lossy(std::slice::from_raw_parts(text, n));
            LocalFree(text.cast());
            s
        };
        Some(s)
    })();
    // SAFETY: allocated by GetNamedSecurityInfoW; nothing points into it now.
    unsafe { LocalFree(sd) };
    described
}

/// Is process `pid` alive?
pub fn pid_alive(pid: u32) -> bool {
    use windows_sys::Win32::System::Threading::{
        GetExitCodeProcess, OpenProcess, PROCESS_QUERY_LIMITED_INFORMATION,
    };
    if pid == 0 {
        return false;
    }
    // SAFETY: OpenProcess has no memory preconditions; a null handle is a
    // failure (gone, or not ours to ask: then it is present).
    let h = unsafe { OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid) };
    if h.is_null() {
        // ERROR_ACCESS_DENIED: it exists, owned by someone else.
        return io::Error::last_os_error().raw_os_error() == Some(5);
    }
    let mut code = 0u32;
    // SAFETY: a valid process handle and a u32 to fill; closed once.
    let ok = unsafe { GetExitCodeProcess(h, &mut code) };
    unsafe { CloseHandle(h) };
    ok != 0 && code == STILL_ACTIVE as u32
}

/// What a file that is not regular is, for messages.
pub fn kind_of(meta: &Metadata) -> &'static str {
    let ft = meta.file_type();
    if ft.is_symlink() || meta.file_attributes() & ATTRIBUTE_REPARSE_POINT != 0 {
        "a symbolic link"
    } else if ft.is_file() {
        "a file"
    } else if ft.is_dir() {
        "a directory"
    } else {
        "something else"
    }
}

/// Do `a` and `b` look like the same file (see the module doc)?
pub fn same_file(a: &Metadata, b: &Metadata) -> bool {
    a.file_size() == b.file_size()
        && a.file_attributes() == b.file_attributes()
        && a.creation_time() == b.creation_time()
        && a.last_write_time() == b.last_write_time()
}

/// Does `path` still name the open `file` (the same volume and file
/// index)? A lock file removed or replaced while a process waited on it is
/// no longer the lock.
pub fn still_names(file: &File, path: &Path) -> bool {
    let Ok(other) = OpenOptions::new()
        .read(true)
        .custom_flags(OPEN_REPARSE_POINT)
        .open(path)
    else {
        return false;
    };
    match (file_id(file), file_id(&other)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// The volume serial number and file index of an open file.
fn file_id(file: &File) -> Option<(u32, u32, u32)> {
    use std::os::windows::io::AsRawHandle;
    use windows_sys::Win32::Storage::FileSystem::{
        BY_HANDLE_FILE_INFORMATION, GetFileInformationByHandle,
    };
    // SAFETY: plain data, filled by the call or left unread on failure; the
    // handle is open for as long as `file`.
    let mut info: BY_HANDLE_FILE_INFORMATION = unsafe { std::mem::zeroed() };
    let ok = unsafe { GetFileInformationByHandle(file.as_raw_handle() as _, &mut info) };
    (ok != 0).then_some((
        info.dwVolumeSerialNumber,
        info.nFileIndexHigh,
        info.nFileIndexLow,
    ))
}

/// Size and modification time, to tell a change without reading: the
/// write time in 100 ns steps since 1601, split as seconds and nanoseconds.
pub fn change_marks(meta: &Metadata) -> (u64, i64, i64) {
    let t = meta.last_write_time();
    (
        meta.len(),
        (t / 10_000_000) as i64,
        ((t % 10_000_000) * 100) as i64,
    )
}

/// Privacy comes from the inherited ACL: nothing to do.
pub fn make_open_file_private(_f: &File) -> io::Result<()> {
    Ok(())
}

/// Privacy comes from the inherited ACL: nothing to do.
pub fn make_private(_path: &Path, _dir: bool) -> io::Result<()> {
    Ok(())
}

/// Create `path` new (never an existing file) for writing.
pub fn create_private(path: &Path) -> io::Result<File> {
    OpenOptions::new().write(true).create_new(true).open(path)
}

/// Can this file be run? Any regular file: Windows decides by extension.
pub fn is_executable(meta: &Metadata) -> bool {
    meta.is_file()
}

/// Read at `at` without sharing a cursor with anyone else.
pub fn read_at(f: &File, buf: &mut [u8], at: u64) -> io::Result<usize> {
    use std::os::windows::fs::FileExt;
    f.seek_read(buf, at)
}

/// Bytes from an environment value or a record (UTF-8 as written by
/// `as_encoded_bytes` of a valid string) back to an OS string; invalid
/// bytes become U+FFFD, as nothing dsops writes has them here.
pub fn os_from_bytes(bytes: Vec<u8>) -> std::ffi::OsString {
    match String::from_utf8(bytes) {
        Ok(s) => s.into(),
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned().into(),
    }
}

/// A process and all it starts: a Job object that kills them when it is
/// killed or closed.
pub struct Group {
    job: HANDLE,
}

// SAFETY: a job handle may be used and closed from any thread.
unsafe impl Send for Group {}

impl Group {
    /// Put `child` (started with [`own_group`]) into a new job. A process it
    /// starts before this returns is outside the job; the race is as narrow
    /// as a spawn. Without a job (an old system), [`Group::kill`] still ends
    /// the child.
    pub fn of(child: &std::process::Child) -> Group {
        use std::os::windows::io::AsRawHandle;
        use windows_sys::Win32::System::JobObjects::{
            AssignProcessToJobObject, CreateJobObjectW, JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE,
            JOBOBJECT_EXTENDED_LIMIT_INFORMATION, JobObjectExtendedLimitInformation,
            SetInformationJobObject,
        };
        // SAFETY: null attributes and name create an anonymous job; the
        // info struct is zeroed, then one flag set; the process handle is
        // the child's, valid while `child` lives.
        unsafe {
            let job = CreateJobObjectW(std::ptr::null(), std::ptr::null());
            if job.is_null() {
                return Group { job };
            }
            let mut info: JOBOBJECT_EXTENDED_LIMIT_INFORMATION = std::mem::zeroed();
            info.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
            SetInformationJobObject(
                job,
                JobObjectExtendedLimitInformation,
                (&info as *const JOBOBJECT_EXTENDED_LIMIT_INFORMATION).cast(),
                std::mem::size_of::<JOBOBJECT_EXTENDED_LIMIT_INFORMATION>() as u32,
            );
            AssignProcessToJobObject(job, child.as_raw_handle() as HANDLE);
            Group { job }
        }
    }

    /// End every process of the group.
    pub fn kill(&self) {
        use windows_sys::Win32::System::JobObjects::TerminateJobObject;
        if !self.job.is_null() {
            // SAFETY: a job handle we own.
            unsafe { TerminateJobObject(self.job, 1) };
        }
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        if !self.job.is_null() {
            // SAFETY: closed once; kill-on-close ends what is left in it.
            unsafe { CloseHandle(self.job) };
        }
    }
}

/// Nothing to set before the spawn: [`Group::of`] makes the job after it.
pub fn own_group(_cmd: &mut std::process::Command) {}

/// Run `cmd` as a child, wait for it, and exit with its exit code: the
/// closest Windows has to `execvp`. Console control events reach the child
/// through the console; dsops ignores them while it waits. Returns only
/// when the child cannot be started.
pub fn exec(cmd: &mut std::process::Command) -> io::Error {
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return e,
    };
    ignore_console_events();
    let code = match child.wait() {
        Ok(status) => status.code().unwrap_or(1),
        Err(e) => return e,
    };
    std::process::exit(code)
}

/// No time zone lookup here: times are shown in UTC.
pub fn local_offset_secs(_unix: i64) -> Option<i32> {
    None
}

/// `n` random bytes from the system's preferred generator.
pub fn random_bytes(n: usize) -> io::Result<Vec<u8>> {
    use windows_sys::Win32::Security::Cryptography::{
        BCRYPT_USE_SYSTEM_PREFERRED_RNG, BCryptGenRandom,
    };
    let mut buf = vec![0u8; n];
    let len = u32::try_from(n).map_err(|_| io::Error::other("too many random bytes asked for"))?;
    // SAFETY: a buffer of `len` bytes; no algorithm handle with this flag.
    let status = unsafe {
        BCryptGenRandom(
            std::ptr::null_mut(),
            buf.as_mut_ptr(),
            len,
            BCRYPT_USE_SYSTEM_PREFERRED_RNG,
        )
    };
    if status != 0 {
        return Err(io::Error::other(format!(
            "BCryptGenRandom failed (status {status:#x})"
        )));
    }
    Ok(buf)
}

// --- The console's control events, standing in for signals. -------------

/// Ctrl-C (SIGINT's place), Ctrl-Break (SIGTERM's), the window closing
/// (SIGHUP's): `serve` stops on each.
pub const STOP_SIGNALS: &[i32] = &[0, 1, 2];

/// An event taken by [`wait_signal`]; all come from the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received {
    pub signal: i32,
    pub from_terminal: bool,
}

/// What the handler saw, in order, and the condition [`wait_signal`] waits on.
static EVENTS: Mutex<Vec<i32>> = Mutex::new(Vec::new());
static EVENT_CAME: Condvar = Condvar::new();

unsafe extern "system" fn record_event(ctrl: u32) -> BOOL {
    if let Ok(mut v) = EVENTS.lock() {
        v.push(ctrl as i32);
        EVENT_CAME.notify_all();
    }
    // Handled: the default (ending dsops) does not run. For the window
    // closing, Windows ends the process after the handler returns anyway.
    1
}

unsafe extern "system" fn ignore_event(_ctrl: u32) -> BOOL {
    1
}

/// Ignore console events in dsops (not in its children, unlike
/// `SetConsoleCtrlHandler(NULL, TRUE)`, which they would inherit): they
/// reach a child through the console, and dsops waits for its exit.
pub fn ignore_console_events() {
    use windows_sys::Win32::System::Console::SetConsoleCtrlHandler;
    // SAFETY: a handler that only returns.
    unsafe { SetConsoleCtrlHandler(Some(ignore_event), 1) };
}

/// Take `signals` (console events) from now on, for [`wait_signal`].
pub fn block_signals(_signals: &[i32]) -> io::Result<()> {
    use windows_sys::Win32::System::Console::SetConsoleCtrlHandler;
    // SAFETY: the handler only locks a mutex and signals a condvar.
    if unsafe { SetConsoleCtrlHandler(Some(record_event), 1) } == 0 {
        // No console (a service, a detached process): nothing to take.
        return Ok(());
    }
    Ok(())
}

/// Wait until one of `signals` came, and take it.
pub fn wait_signal(signals: &[i32]) -> io::Result<Received> {
    let mut events = EVENTS.lock().map_err(|_| io::Error::other("poisoned"))?;
    loop {
        if let Some(i) = events.iter().position(|e| signals.contains(e)) {
            let signal = events.remove(i);
            return Ok(Received {
                signal,
                from_terminal: true,
            });
        }
        events = EVENT_CAME
            .wait(events)
            .map_err(|_| io::Error::other("poisoned"))?;
    }
}

// --- Loopback connections. ------------------------------------------------

/// Not looked up on Windows (see the module doc).
pub fn loopback_peer_uid(_peer: std::net::SocketAddr, _local: std::net::SocketAddr) -> Option<u32> {
    None
}

/// Wait at most `timeout` until `listener` or any of `streams` has something
/// to read (`WSAPoll`): which of them do, the listener first.
pub fn poll_readable<'a>(
    listener: &std::net::TcpListener,
    streams: impl Iterator<Item = &'a std::net::TcpStream>,
    timeout: std::time::Duration,
) -> io::Result<(bool, Vec<bool>)> {
    use std::os::windows::io::AsRawSocket;
    use windows_sys::Win32::Networking::WinSock::{
        POLLERR, POLLHUP, POLLNVAL, POLLRDNORM, WSAPOLLFD, WSAPoll,
    };
    let mut fds: Vec<WSAPOLLFD> = std::iter::once(listener.as_raw_socket())
        .chain(streams.map(AsRawSocket::as_raw_socket))
        .map(|s| WSAPOLLFD {
            fd: s as usize,
            events: POLLRDNORM,
            revents: 0,
        })
        .collect();
    let ms = timeout.as_micros().div_ceil(1000).min(i32::MAX as u128) as i32;
    // SAFETY: `fds` holds `fds.len()` initialized structs across the call.
    let n = unsafe { WSAPoll(fds.as_mut_ptr(), fds.len() as u32, ms) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    let ready = |p: &WSAPOLLFD| p.revents & (POLLRDNORM | POLLHUP | POLLERR | POLLNVAL) != 0;
    Ok((ready(&fds[0]), fds[1..].iter().map(ready).collect()))
}

/// `WSAEMFILE`: out of sockets.
pub fn out_of_descriptors(e: &io::Error) -> bool {
    e.raw_os_error() == Some(10024)
}

// --- Users. ---------------------------------------------------------------

/// No user database lookup: owners are never shown by name here.
pub fn user_name(_uid: u32) -> Option<String> {
    None
}

/// The home directory as botocore finds it (`os.path.expanduser("~")`):
/// `%USERPROFILE%`, else `%HOMEDRIVE%%HOMEPATH%`.
pub fn user_home() -> Option<std::path::PathBuf> {
    let abs = |p: std::path::PathBuf| p.is_absolute().then_some(p);
    std::env::var_os("USERPROFILE")
        .map(std::path::PathBuf::from)
        .and_then(abs)
        .or_else(|| {
            let mut p = std::env::var_os("HOMEDRIVE")?;
            p.push(std::env::var_os("HOMEPATH")?);
            abs(p.into())
        })
}
