//! The one way dsops writes to stdout.
//!
//! What a closed stdout means: the reader went away (`dsops export | head
//! -c0`, `dsops --help | head -1`), which is the reader's choice, not a
//! failure of dsops. SIGPIPE is ignored at start-up (`main.rs`), so such a
//! write fails with `EPIPE`, and dsops stops writing and exits with status 0,
//! silently, as ripgrep does; a pipeline under `pipefail` is not failed by
//! it. Any other write error (a full disk) is an error with status 1.
//! Commands build their whole output first and write it once, so a reader
//! never sees half of it because of an error in dsops.

use crate::error::{Error, Result};
use std::io::Write;

/// Write `bytes` to stdout and flush.
pub fn print(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::runtime(format!("cannot write to stdout: {e}"))),
    }
}
