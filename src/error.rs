//! The one error type of dsops and the exit statuses it maps to.
//!
//! Every error carries the exit status it should produce, so `main` only has to
//! print the message and exit. Messages never contain secret values: callers
//! build them from names, paths and server error codes only.

use std::fmt;
use std::path::Path;

/// Documented exit statuses (see `man dsops`, EXIT STATUS).
pub mod exit {
    pub const OK: i32 = 0;
    /// A runtime failure: network, AWS API, a store, a file that could not be written.
    pub const ERROR: i32 = 1;
    /// The command line was wrong.
    pub const USAGE: i32 = 2;
    /// A configuration file (dsops YAML or AWS config) is missing, malformed or invalid.
    pub const CONFIG: i32 = 3;
    /// The project config is not trusted: run `dsops allow`.
    pub const UNTRUSTED: i32 = 4;
    /// A sign-in is required but not allowed here (`--no-login`, `DSOPS_NO_LOGIN=1`, `CI=true`).
    pub const LOGIN_REQUIRED: i32 = 5;
    /// A sign-in was attempted and did not complete (denied, expired, timed out).
    pub const LOGIN_FAILED: i32 = 6;
    /// Waiting for another dsops process's lock took longer than the bound.
    pub const LOCK_TIMEOUT: i32 = 7;
}

#[derive(Debug)]
pub struct Error {
    pub code: i32,
    pub message: String,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(code: i32, message: impl Into<String>) -> Self {
        Error {
            code,
            message: message.into(),
        }
    }
    pub fn runtime(message: impl Into<String>) -> Self {
        Self::new(exit::ERROR, message)
    }
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(exit::USAGE, message)
    }
    pub fn config(message: impl Into<String>) -> Self {
        Self::new(exit::CONFIG, message)
    }
    /// An I/O error on `path`, with what we were doing.
    pub fn io(what: &str, path: &Path, err: std::io::Error) -> Self {
        Self::runtime(format!("{what} {}: {err}", path.display()))
    }
    /// Prefix the message with more context, keeping the exit status.
    pub fn context(mut self, ctx: impl fmt::Display) -> Self {
        self.message = format!("{ctx}: {}", self.message);
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}
