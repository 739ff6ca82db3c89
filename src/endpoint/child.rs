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

use crate::error::{Error, Exit, Result};
use crate::platform;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::Command;

/// The signals taken in the main thread: those passed on, and SIGCHLD.
fn waited() -> Vec<i32> {
    let mut v = platform::FORWARDED_SIGNALS.to_vec();
    v.push(platform::SIGCHLD);
    v
}

/// Block the signals dsops passes on (and SIGCHLD) in this thread and the
/// threads it starts from now on. Call before starting any thread.
pub fn block() -> Result<()> {
    platform::block_signals(&waited())
        .map_err(|e| Error::runtime(format!("cannot block signals: {e}")))
}

/// The status a shell reports for a process that ended so.
fn status_code(status: std::process::ExitStatus) -> i32 {
    match (status.code(), status.signal()) {
        (Some(c), _) => c,
        (None, Some(s)) => 128 + s,
        _ => 1,
    }
}

/// Start `cmd` (with [`block`] done) and wait for it, passing signals on.
/// Returns the status to exit with.
pub fn run(mut cmd: Command, name: &str) -> Result<i32> {
    // SAFETY: the closure only calls sigprocmask, which is async-signal-safe,
    // as code between fork and exec must be.
    unsafe {
        cmd.pre_exec(platform::unblock_all_signals);
    }
    let mut child = cmd.spawn().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => {
            Error::new(Exit::NotFound, format!("{name}: command not found"))
        }
        _ => Error::new(Exit::CannotExecute, format!("{name}: cannot execute: {e}")),
    })?;
    let pid = child.id();
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
