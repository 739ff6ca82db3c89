//! The terminal, directly: `/dev/tty` in raw mode (termios), bytes in with
//! a timeout, its width. Enough for the picker; no terminal library. The
//! mode is restored when the guard drops (also on an early return).

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;

/// What the errors call the terminal.
pub const NAME: &str = "/dev/tty";

pub struct RawTty {
    file: File,
    saved: libc::termios,
}

impl RawTty {
    /// `/dev/tty`, read and write, no echo, byte by byte, no signals from
    /// keys (Ctrl-C arrives as a byte, and cancels).
    pub fn open() -> io::Result<RawTty> {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/tty")?;
        let fd = file.as_raw_fd();
        // SAFETY: termios is plain data; tcgetattr fills it or fails.
        let mut saved: libc::termios = unsafe { std::mem::zeroed() };
        if unsafe { libc::tcgetattr(fd, &mut saved) } != 0 {
            return Err(io::Error::last_os_error());
        }
        let mut raw = saved;
        raw.c_lflag &= !(libc::ICANON | libc::ECHO | libc::ISIG | libc::IEXTEN);
        raw.c_iflag &= !(libc::IXON | libc::ICRNL);
        raw.c_cc[libc::VMIN] = 1;
        raw.c_cc[libc::VTIME] = 0;
        // SAFETY: fd is open for as long as `file`; raw is a valid termios.
        if unsafe { libc::tcsetattr(fd, libc::TCSAFLUSH, &raw) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(RawTty { file, saved })
    }

    /// One byte, waiting at most `timeout_ms` (negative: for ever);
    /// `None` when none came.
    pub fn byte(&mut self, timeout_ms: i32) -> io::Result<Option<u8>> {
        let mut p = libc::pollfd {
            fd: self.file.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        loop {
            // SAFETY: one valid pollfd.
            let n = unsafe { libc::poll(&mut p, 1, timeout_ms) };
            if n < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            if n == 0 {
                return Ok(None);
            }
            let mut b = [0u8; 1];
            return match self.file.read(&mut b)? {
                0 => Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the terminal closed",
                )),
                _ => Ok(Some(b[0])),
            };
        }
    }

    pub fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.file.write_all(bytes)?;
        self.file.flush()
    }

    /// Columns and rows (80 x 24 when the terminal does not say).
    pub fn size(&self) -> (usize, usize) {
        // SAFETY: winsize is plain data; the ioctl fills it or fails.
        let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
        let ok = unsafe { libc::ioctl(self.file.as_raw_fd(), libc::TIOCGWINSZ, &mut ws) } == 0;
        if ok && ws.ws_col > 0 && ws.ws_row > 0 {
            (ws.ws_col as usize, ws.ws_row as usize)
        } else {
            (80, 24)
        }
    }
}

impl Drop for RawTty {
    fn drop(&mut self) {
        // SAFETY: restores the attributes read in `open` on the same fd.
        // TCSADRAIN, not TCSAFLUSH: what was typed after Enter is kept for
        // the shell.
        unsafe { libc::tcsetattr(self.file.as_raw_fd(), libc::TCSADRAIN, &self.saved) };
    }
}

/// Is this process on a terminal a person can answer (stdin and stderr)?
pub fn interactive() -> bool {
    use std::io::IsTerminal;
    io::stdin().is_terminal() && io::stderr().is_terminal()
}
