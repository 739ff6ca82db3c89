//! The one error type of dsops and the exit statuses it maps to.
//!
//! Every error carries a kind ([`Exit`]), which is the one place that maps to
//! an exit status: `main` only prints the message and exits with the kind's
//! status, and control flow matches on kinds, never on numbers. Messages
//! never contain secret values: callers build them from names, paths and
//! server error codes only.

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
    /// The OS keyring (`tokens: {storage: keyring}`) is unavailable, locked or denied.
    Keyring = 8,
    /// `exec`: the command was found but cannot be executed (as shells).
    CannotExecute = 126,
    /// `exec`: the command was not found (as shells).
    NotFound = 127,
}

impl Exit {
    /// dsops's own statuses, as documented (`exec` also passes on its
    /// command's status, and 126 and 127 as shells do).
    pub const ALL: [Exit; 9] = [
        Exit::Ok,
        Exit::Error,
        Exit::Usage,
        Exit::Config,
        Exit::Untrusted,
        Exit::LoginRequired,
        Exit::LoginFailed,
        Exit::LockTimeout,
        Exit::Keyring,
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
            Exit::Keyring => {
                "the OS keyring holding the SSO session (tokens: {storage: keyring}) is not available, locked where dsops may not ask to unlock it, or denied access; dsops never falls back to a file"
            }
            Exit::CannotExecute => "exec: the command cannot be executed",
            Exit::NotFound => "exec: the command was not found",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Error {
    /// What went wrong, as far as the exit status goes.
    pub kind: Exit,
    pub message: String,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: Exit, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
        }
    }
    pub fn runtime(message: impl Into<String>) -> Self {
        Self::new(Exit::Error, message)
    }
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(Exit::Usage, message)
    }
    pub fn config(message: impl Into<String>) -> Self {
        Self::new(Exit::Config, message)
    }
    /// An I/O error on `path`, with what we were doing.
    pub fn io(what: &str, path: &Path, err: std::io::Error) -> Self {
        Self::runtime(format!("{what} {}: {err}", path.display()))
    }
    /// Prefix the message with more context, keeping the kind.
    pub fn context(mut self, ctx: impl fmt::Display) -> Self {
        self.message = format!("{ctx}: {}", self.message);
        self
    }
    /// The exit status this error ends dsops with.
    pub fn code(&self) -> i32 {
        self.kind.code()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}
