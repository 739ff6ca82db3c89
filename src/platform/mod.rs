//! Operating-system specifics behind one small interface: opening outside
//! files without blocking, lock files that do not follow symlinks, file
//! ownership and modes, process liveness, process groups and signals, the
//! owner of the other end of a loopback connection (and waiting on many
//! connections), and names and homes from the user database.
//!
//! Everything above this module is portable: `unix.rs` (with `signals.rs`,
//! `peer.rs` and `users.rs`) and `windows.rs` offer the same names, and no
//! `std::os::unix` or `std::os::windows` is used outside this module.

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
