//! Running a command as dsops's child while the endpoint serves it, on
//! Windows: spawn, wait, exit with the child's code.
//!
//! There are no signals to pass on: Ctrl-C and Ctrl-Break go to every
//! process attached to the console, the child included, and dsops ignores
//! them once the child runs, so that it stays to serve the child until the
//! child decides to end. Before that (during a sign-in) they end dsops as
//! usual. The interface is the Unix one's (`child.rs`).

use crate::error::{Error, Exit, Result};
use std::process::Command;

/// Nothing is held on Windows; kept for the shared interface.
pub struct Held;

/// Nothing to block on Windows.
pub fn block() -> Result<Held> {
    Ok(Held)
}

/// Start `cmd`, wait for it and return its exit code.
pub fn run(mut cmd: Command, name: &str, _held: Held) -> Result<i32> {
    let mut child = cmd.spawn().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => {
            Error::new(Exit::NotFound, format!("{name}: command not found"))
        }
        _ => Error::new(Exit::CannotExecute, format!("{name}: cannot execute: {e}")),
    })?;
    crate::platform::ignore_console_events();
    let status = child
        .wait()
        .map_err(|e| Error::runtime(format!("waiting for {name}: {e}")))?;
    Ok(status.code().unwrap_or(1))
}
