//! Operating-system specifics behind one small interface: opening outside
//! files without blocking, lock files that do not follow symlinks, file
//! ownership and modes, process liveness, process groups and signals, the
//! owner of the other end of a loopback connection (and waiting on many
//! connections), and names and homes from the user database.
//!
//! Everything above this module is portable; a Windows port is one more file
//! beside `unix.rs` (no Windows build is required today).

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

#[cfg(unix)]
mod users;
#[cfg(unix)]
pub use users::{user_home, user_name};
