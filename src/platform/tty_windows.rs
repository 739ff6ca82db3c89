//! The picker's terminal on Windows: not offered yet. `interactive` says
//! no, so `dsops console` without a name lists the names in a usage error
//! (as on Unix without a terminal); the shell hook, and with it `dsops use`,
//! is not available on Windows either. The README's Platforms section says so.

use std::io;

pub struct RawTty;

impl RawTty {
    pub fn open() -> io::Result<RawTty> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "the interactive list is not available on Windows yet",
        ))
    }

    pub fn byte(&mut self, _timeout_ms: i32) -> io::Result<Option<u8>> {
        Ok(None)
    }

    pub fn write(&mut self, _bytes: &[u8]) -> io::Result<()> {
        Ok(())
    }

    pub fn size(&self) -> (usize, usize) {
        (80, 24)
    }
}

// The Unix guard restores the terminal mode on drop; callers drop it
// explicitly, so this one has a (nothing to restore) Drop too.
impl Drop for RawTty {
    fn drop(&mut self) {}
}

/// Never on Windows (see the module's note).
pub fn interactive() -> bool {
    false
}
