//! Operating-system specifics behind one small interface: opening outside
//! files without blocking, lock files that do not follow symlinks, file
//! ownership and modes, process liveness, process groups and signals, and
//! the owner of the other end of a loopback connection.
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
pub use peer::loopback_peer_uid;
