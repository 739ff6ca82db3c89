//! The one error type of dsops and the exit statuses it maps to.
//!
//! Every error carries the exit status it should produce, so `main` only has to
//! print the message and exit. Messages never contain secret values: callers
//! build them from names, paths and server error codes only.

use std::fmt;
use std::path::Path;

/// The documented exit statuses, with their descriptions (`--help`, the man
/// page's EXIT STATUS). `exec` also passes on its command's own status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Ok = 0,
    Error = 1,
    Usage = 2,
    Config = 3,
    Untrusted = 4,
    LoginRequired = 5,
    LoginFailed = 6,
    LockTimeout = 7,
}

impl Exit {
    pub const ALL: [Exit; 8] = [
        Exit::Ok,
        Exit::Error,
        Exit::Usage,
        Exit::Config,
        Exit::Untrusted,
        Exit::LoginRequired,
        Exit::LoginFailed,
        Exit::LockTimeout,
    ];

    pub const fn code(self) -> i32 {
        self as i32
    }

    pub fn describe(self) -> &'static str {
        match self {
            Exit::Ok => "success",
            Exit::Error => {
                "runtime error: network, AWS API, a store, a file that could not be written; doctor found a problem"
            }
            Exit::Usage => "usage error: unknown command or flag, missing or bad argument",
            Exit::Config => {
                "configuration error: a dsops or AWS config file is missing, malformed or invalid"
            }
            Exit::Untrusted => "the project config is not trusted: run 'dsops allow'",
            Exit::LoginRequired => {
                "sign-in required but not allowed here (--no-login, DSOPS_NO_LOGIN=1, CI=true)"
            }
            Exit::LoginFailed => "sign-in did not complete: denied, expired or timed out",
            Exit::LockTimeout => "gave up waiting for another dsops process's lock",
        }
    }
}

/// The statuses as numbers, for `Error::new` and comparisons.
pub mod exit {
    use super::Exit;
    pub const OK: i32 = Exit::Ok.code();
    pub const ERROR: i32 = Exit::Error.code();
    pub const USAGE: i32 = Exit::Usage.code();
    pub const CONFIG: i32 = Exit::Config.code();
    pub const UNTRUSTED: i32 = Exit::Untrusted.code();
    pub const LOGIN_REQUIRED: i32 = Exit::LoginRequired.code();
    pub const LOGIN_FAILED: i32 = Exit::LoginFailed.code();
    pub const LOCK_TIMEOUT: i32 = Exit::LockTimeout.code();
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
