//! Running a command as dsops's child while the endpoint serves it: dsops
//! passes signals on and exits with the child's status.
//!
//! The signals are blocked in every thread (before the endpoint's threads
//! start; see [`block`]) and taken one at a time with `sigwaitinfo` in the
//! main thread, which also learns of the child's end through SIGCHLD: no
//! handler runs arbitrary code, and no async runtime is needed. The child
//! gets the empty signal mask back between fork and exec.
//!
//! A signal that a process sent to dsops (`kill`, `timeout`, `docker stop`,
//! systemd) is passed on to the child. One that the terminal sent (Ctrl-C,
//! Ctrl-\, a window size change, a hang-up) went to the whole foreground
//! process group, the child included, so it is not sent a second time
//! (terraform, for one, takes a second Ctrl-C as "stop now"), unless the
//! child has left dsops's process group.
//!
//! [`block`] comes first in `exec`, before any thread starts (a thread
//! started earlier, by a library, would still take the default action of a
//! signal sent to dsops and end it, orphaning the child), and so before the
//! sign-in. Until the child exists, a watcher thread takes the signals: one
//! from the terminal (Ctrl-C during a sign-in) ends dsops as it would have
//! without the block, since there is no child for it to reach; one sent by a
//! process is held and passed on once the child exists, so that the caller
//! sees the child's answer to it rather than a dsops that died early.

use crate::error::{Error, Exit, Result};
use crate::platform;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The signals taken in the main thread: those passed on, and SIGCHLD.
fn waited() -> Vec<i32> {
    let mut v = platform::FORWARDED_SIGNALS.to_vec();
    v.push(platform::SIGCHLD);
    v
}

/// Signals that came between [`block`] and the child's start.
pub struct Held {
    stop: Arc<AtomicBool>,
    watcher: Option<std::thread::JoinHandle<Vec<i32>>>,
}

impl Held {
    /// Stop watching; the signals held so far, in the order they came.
    fn take(mut self) -> Vec<i32> {
        self.stop.store(true, Ordering::SeqCst);
        self.watcher
            .take()
            .and_then(|w| w.join().ok())
            .unwrap_or_default()
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// How long the watcher waits for a signal before it looks whether it
/// should stop: the delay it adds to the child's start at most.
const WATCH_STEP: Duration = Duration::from_millis(10);

/// Block the signals dsops passes on (and SIGCHLD) in this thread and the
/// threads it starts from now on, and watch them until [`run`] starts the
/// child. Call before starting any thread.
pub fn block() -> Result<Held> {
    platform::block_signals(&waited())
        .map_err(|e| Error::runtime(format!("cannot block signals: {e}")))?;
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let watcher = std::thread::Builder::new()
        .name("dsops-signals".to_string())
        .spawn(move || watch(&flag))
        .map_err(|e| Error::runtime(format!("cannot start a thread: {e}")))?;
    Ok(Held {
        stop,
        watcher: Some(watcher),
    })
}

/// The watcher: before the child exists, a signal from the terminal ends
/// dsops (as unblocked, it would have); one from a process is held.
fn watch(stop: &AtomicBool) -> Vec<i32> {
    let mut held = vec![];
    while !stop.load(Ordering::SeqCst) {
        let got = match platform::wait_signal_for(platform::FORWARDED_SIGNALS, WATCH_STEP) {
            Ok(Some(got)) => got,
            Ok(None) => continue,
            // Cannot wait: leave the rest pending for `run`.
            Err(_) => break,
        };
        if got.signal == platform::SIGWINCH {
            // The child reads the window size when it starts.
            continue;
        }
        if got.from_terminal {
            platform::take_default_action(got.signal);
            continue;
        }
        held.push(got.signal);
    }
    held
}

/// The status a shell reports for a process that ended so.
fn status_code(status: std::process::ExitStatus) -> i32 {
    match (status.code(), status.signal()) {
        (Some(c), _) => c,
        (None, Some(s)) => 128 + s,
        _ => 1,
    }
}

/// Start `cmd` (with [`block`] done) and wait for it, passing signals on,
/// those `held` since [`block`] first. Returns the status to exit with.
pub fn run(mut cmd: Command, name: &str, held: Held) -> Result<i32> {
    // SAFETY: the closure only calls sigprocmask, which is async-signal-safe,
    // as code between fork and exec must be.
    unsafe {
        cmd.pre_exec(platform::unblock_all_signals);
    }
    // Stopped before the child starts: from here on a signal stays pending
    // for the loop below, which knows the child.
    let held = held.take();
    let mut child = cmd.spawn().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => {
            Error::new(Exit::NotFound, format!("{name}: command not found"))
        }
        _ => Error::new(Exit::CannotExecute, format!("{name}: cannot execute: {e}")),
    })?;
    let pid = child.id();
    for signal in held {
        crate::settings::debug(format_args!(
            "passing signal {signal}, which came before {name} started, on to it"
        ));
        platform::send_signal(pid, signal);
    }
    let signals = waited();
    loop {
        // A SIGCHLD that came before we wait is pending, not lost.
        if let Some(status) = child
            .try_wait()
            .map_err(|e| Error::runtime(format!("waiting for {name}: {e}")))?
        {
            return Ok(status_code(status));
        }
        let got = platform::wait_signal(&signals)
            .map_err(|e| Error::runtime(format!("waiting for signals: {e}")))?;
        if got.signal == platform::SIGCHLD {
            continue;
        }
        if got.from_terminal && platform::in_our_process_group(pid) {
            crate::settings::debug(format_args!(
                "signal {} came from the terminal, which sent it to {name} too; not passing it on",
                got.signal
            ));
            continue;
        }
        crate::settings::debug(format_args!("passing signal {} on to {name}", got.signal));
        platform::send_signal(pid, got.signal);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_as_a_shell_reports_them() {
        assert_eq!(status_code(std::process::ExitStatus::from_raw(3 << 8)), 3);
        assert_eq!(status_code(std::process::ExitStatus::from_raw(15)), 143);
        assert_eq!(status_code(std::process::ExitStatus::from_raw(2)), 130);
    }
}
