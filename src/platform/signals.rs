//! Signals on Unix: the ones `dsops exec` passes on and `serve` stops on,
//! blocking them so that they wait for `sigwaitinfo` (in every thread, or a
//! thread started before the block would take their default action), taking
//! them with or without a bound, telling the terminal's from a process's,
//! and sending them on. No signal handler here runs code beyond returning.

use std::io;

/// The signals `dsops exec` passes on to its command, and `serve` stops on.
pub const FORWARDED_SIGNALS: &[i32] = &[
    libc::SIGINT,
    libc::SIGTERM,
    libc::SIGHUP,
    libc::SIGQUIT,
    libc::SIGUSR1,
    libc::SIGUSR2,
    libc::SIGWINCH,
];

/// A window size change (passed on, its default is to be discarded).
pub const SIGWINCH: i32 = libc::SIGWINCH;

/// A child's end, as waited for.
pub const SIGCHLD: i32 = libc::SIGCHLD;

/// The signals that stop `dsops serve` (cleanly, with status 0).
pub const STOP_SIGNALS: &[i32] = &[libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

fn sigset(signals: &[i32]) -> libc::sigset_t {
    // SAFETY: sigemptyset initialises the set; sigaddset with a valid
    // signal number (ours are constants) cannot fail.
    unsafe {
        let mut set = std::mem::MaybeUninit::<libc::sigset_t>::uninit();
        libc::sigemptyset(set.as_mut_ptr());
        let mut set = set.assume_init();
        for &s in signals {
            libc::sigaddset(&mut set, s);
        }
        set
    }
}

extern "C" fn ignore_signal(_: libc::c_int) {}

/// Block `signals` in the calling thread, and so in every thread it starts
/// afterwards, so that they stay pending for [`wait_signal`] instead of
/// running their default action (most of them end the process). SIGCHLD and
/// SIGWINCH, whose default is to be discarded, get a handler that does
/// nothing, so that they are kept pending everywhere (POSIX leaves it open
/// for a blocked signal whose action is to ignore it; Linux keeps it).
pub fn block_signals(signals: &[i32]) -> io::Result<()> {
    for &s in signals {
        if s == libc::SIGCHLD || s == libc::SIGWINCH {
            // SAFETY: a handler that does nothing is async-signal-safe; the
            // sigaction struct is zeroed, then filled.
            unsafe {
                let mut sa: libc::sigaction = std::mem::zeroed();
                sa.sa_sigaction = ignore_signal as extern "C" fn(libc::c_int) as usize;
                sa.sa_flags = libc::SA_RESTART;
                libc::sigemptyset(&mut sa.sa_mask);
                if libc::sigaction(s, &sa, std::ptr::null_mut()) != 0 {
                    return Err(io::Error::last_os_error());
                }
            }
        }
    }
    let set = sigset(signals);
    // SAFETY: a valid, initialised set; the old mask is not wanted.
    let r = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) };
    if r != 0 {
        return Err(io::Error::from_raw_os_error(r));
    }
    Ok(())
}

/// Unblock every signal: run in a child between fork and exec, so that the
/// command starts with the empty mask programs expect.
pub fn unblock_all_signals() -> io::Result<()> {
    let set = sigset(&[]);
    // SAFETY: sigprocmask is async-signal-safe, as required after fork.
    if unsafe { libc::sigprocmask(libc::SIG_SETMASK, &set, std::ptr::null_mut()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// A signal taken by [`wait_signal`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received {
    pub signal: i32,
    /// Sent by the kernel for the terminal (Ctrl-C, Ctrl-\, a window size
    /// change, a hang-up) to the whole foreground process group, rather than
    /// by a process with `kill`. Always `false` where the system cannot tell.
    pub from_terminal: bool,
}

/// Wait until one of `signals` (blocked with [`block_signals`]) is pending,
/// and take it.
pub fn wait_signal(signals: &[i32]) -> io::Result<Received> {
    let set = sigset(signals);
    loop {
        #[cfg(target_os = "linux")]
        {
            // SAFETY: a valid set and a zeroed siginfo for the kernel to fill.
            let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
            let s = unsafe { libc::sigwaitinfo(&set, &mut info) };
            if s >= 0 {
                return Ok(Received {
                    signal: s,
                    from_terminal: info.si_code == libc::SI_KERNEL,
                });
            }
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e);
            }
        }
        #[cfg(not(target_os = "linux"))]
        {
            let mut s: libc::c_int = 0;
            // SAFETY: a valid set and an int to hold the signal number.
            let r = unsafe { libc::sigwait(&set, &mut s) };
            if r == 0 {
                return Ok(Received {
                    signal: s,
                    from_terminal: false,
                });
            }
            if r != libc::EINTR {
                return Err(io::Error::from_raw_os_error(r));
            }
        }
    }
}

/// Like [`wait_signal`], but give up after `limit`: `None` when none of
/// `signals` came in that time.
pub fn wait_signal_for(
    signals: &[i32],
    limit: std::time::Duration,
) -> io::Result<Option<Received>> {
    let set = sigset(signals);
    #[cfg(target_os = "linux")]
    {
        let ts = libc::timespec {
            tv_sec: limit.as_secs().min(3600) as libc::time_t,
            tv_nsec: limit.subsec_nanos() as libc::c_long,
        };
        // SAFETY: a valid set, a zeroed siginfo for the kernel to fill and
        // a valid timespec.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        let s = unsafe { libc::sigtimedwait(&set, &mut info, &ts) };
        if s >= 0 {
            return Ok(Some(Received {
                signal: s,
                from_terminal: info.si_code == libc::SI_KERNEL,
            }));
        }
        let e = io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::EAGAIN) | Some(libc::EINTR) => Ok(None),
            _ => Err(e),
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        // No sigtimedwait here: take a signal only when one is pending.
        // SAFETY: sigpending fills a set; sigismember reads it.
        let pending = unsafe {
            let mut p = std::mem::MaybeUninit::<libc::sigset_t>::uninit();
            libc::sigemptyset(p.as_mut_ptr());
            if libc::sigpending(p.as_mut_ptr()) != 0 {
                return Err(io::Error::last_os_error());
            }
            let p = p.assume_init();
            signals.iter().any(|&s| libc::sigismember(&p, s) == 1)
        };
        let _ = set;
        if pending {
            return wait_signal(signals).map(Some);
        }
        std::thread::sleep(limit);
        Ok(None)
    }
}

/// End the process by `signal` as if it had never been blocked: its
/// action runs in this thread (the default ends dsops; a signal that dsops
/// was started with ignored stays ignored, and this returns).
pub fn take_default_action(signal: i32) {
    let set = sigset(&[signal]);
    // SAFETY: a valid set; raise sends to the calling thread, in which the
    // signal is unblocked just for that, then blocked again.
    unsafe {
        libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        libc::raise(signal);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }
}

/// Send `signal` to process `pid`; a process already gone is no error.
pub fn send_signal(pid: u32, signal: i32) {
    if let Ok(pid) = libc::pid_t::try_from(pid)
        && pid > 0
    {
        // SAFETY: kill has no memory preconditions; ESRCH (gone) is fine.
        unsafe {
            libc::kill(pid, signal);
        }
    }
}

/// Is process `pid` in our own process group (so that the terminal's
/// signals reach it as they reach us)?
pub fn in_our_process_group(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: getpgid and getpgrp have no memory preconditions.
    unsafe { libc::getpgid(pid) == libc::getpgrp() }
}
