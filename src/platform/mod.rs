//! Operating-system specifics behind one small interface: opening outside
//! files without blocking, lock files that do not follow symlinks, file
//! ownership and modes, process liveness, process groups and signals, the
//! owner of the other end of a loopback connection (and waiting on many
//! connections), and names and homes from the user database.
//!
//! Everything above this module is portable: `unix.rs` (with `signals.rs`,
//! `peer.rs` and `users.rs`) and `windows.rs` offer the same names, and no
//! `std::os::unix` or `std::os::windows` is used outside this module.

/// The error for a path that exists but is not a regular file (both
/// halves give it, so that a caller can tell it from an I/O failure).
#[derive(Debug)]
struct NotRegular(&'static str);

impl std::fmt::Display for NotRegular {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}, not a regular file", self.0)
    }
}

impl std::error::Error for NotRegular {}

/// A path that is `what` (`kind_of`'s word), not a regular file.
fn not_regular(what: &'static str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, NotRegular(what))
}

/// A symbolic link where dsops does not follow one.
fn symlink_not_followed() -> std::io::Error {
    not_regular("a symbolic link, which dsops does not follow here,")
}

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub use unix::*;

#[cfg(unix)]
mod signals;
#[cfg(unix)]
pub use signals::*;

#[cfg(unix)]
mod peer;
#[cfg(unix)]
pub use peer::{loopback_peer_uid, out_of_descriptors, poll_readable};

#[cfg(unix)]
pub mod tty;
#[cfg(windows)]
#[path = "tty_windows.rs"]
pub mod tty;

#[cfg(unix)]
mod users;
#[cfg(unix)]
pub use users::{user_home, user_name};

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub use windows::*;
