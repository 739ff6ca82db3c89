//! The picker's terminal on Windows: the console itself (`CONIN$` and
//! `CONOUT$`), with line input, echo and Ctrl-C processing off, so that keys
//! arrive one by one (Ctrl-C as a byte, which cancels). Keys are read as
//! input records and turned into the bytes the Unix terminal would give
//! (the arrows as `ESC [ A` and `ESC [ B`), so the picker reads both alike;
//! output goes out with virtual-terminal processing on, as UTF-16. The
//! modes are restored when the guard drops (also on an early return).

use std::collections::VecDeque;
use std::io;
use std::time::Instant;
use windows_sys::Win32::Foundation::{
    CloseHandle, GENERIC_READ, GENERIC_WRITE, HANDLE, INVALID_HANDLE_VALUE, WAIT_OBJECT_0,
    WAIT_TIMEOUT,
};
use windows_sys::Win32::Storage::FileSystem::{
    CreateFileW, FILE_SHARE_READ, FILE_SHARE_WRITE, OPEN_EXISTING,
};
use windows_sys::Win32::System::Console::{
    CONSOLE_MODE, CONSOLE_SCREEN_BUFFER_INFO, ENABLE_ECHO_INPUT, ENABLE_LINE_INPUT,
    ENABLE_PROCESSED_INPUT, ENABLE_PROCESSED_OUTPUT, ENABLE_VIRTUAL_TERMINAL_PROCESSING,
    GetConsoleMode, GetConsoleScreenBufferInfo, INPUT_RECORD, KEY_EVENT, ReadConsoleInputW,
    SetConsoleMode, WriteConsoleW,
};
use windows_sys::Win32::System::Threading::{INFINITE, WaitForSingleObject};

/// Virtual-key codes the picker needs (winuser.h).
const VK_ESCAPE: u16 = 0x1b;
const VK_UP: u16 = 0x26;
const VK_DOWN: u16 = 0x28;

/// What the errors call the terminal.
pub const NAME: &str = "the console";

pub struct RawTty {
    input: HANDLE,
    output: HANDLE,
    saved_in: CONSOLE_MODE,
    saved_out: CONSOLE_MODE,
    /// Bytes of keys read but not yet taken.
    pending: VecDeque<u8>,
}

/// `CONIN$` or `CONOUT$`, read and write.
fn open_console(name: &str) -> io::Result<HANDLE> {
    let wide: Vec<u16> = name.encode_utf16().chain(Some(0)).collect();
    // SAFETY: a NUL-terminated name; no security attributes or template.
    let h = unsafe {
        CreateFileW(
            wide.as_ptr(),
            GENERIC_READ | GENERIC_WRITE,
            FILE_SHARE_READ | FILE_SHARE_WRITE,
            std::ptr::null(),
            OPEN_EXISTING,
            0,
            std::ptr::null_mut(),
        )
    };
    if h == INVALID_HANDLE_VALUE || h.is_null() {
        return Err(io::Error::last_os_error());
    }
    Ok(h)
}

fn mode(h: HANDLE) -> io::Result<CONSOLE_MODE> {
    let mut m: CONSOLE_MODE = 0;
    // SAFETY: a console handle and a u32 to fill.
    if unsafe { GetConsoleMode(h, &mut m) } == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(m)
}

fn set_mode(h: HANDLE, m: CONSOLE_MODE) -> io::Result<()> {
    // SAFETY: a console handle.
    if unsafe { SetConsoleMode(h, m) } == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

impl RawTty {
    pub fn open() -> io::Result<RawTty> {
        let input = open_console("CONIN$")?;
        let output = match open_console("CONOUT$") {
            Ok(h) => h,
            Err(e) => {
                // SAFETY: opened above, closed once.
                unsafe { CloseHandle(input) };
                return Err(e);
            }
        };
        // From here on, Drop closes both (and restores what was set).
        let mut t = RawTty {
            input,
            output,
            saved_in: 0,
            saved_out: 0,
            pending: VecDeque::new(),
        };
        t.saved_in = mode(input)?;
        t.saved_out = mode(output)?;
        set_mode(
            input,
            t.saved_in & !(ENABLE_LINE_INPUT | ENABLE_ECHO_INPUT | ENABLE_PROCESSED_INPUT),
        )?;
        // A console without VT processing (before Windows 10) shows the
        // escapes as text: the list is still there to read and choose from.
        let _ = set_mode(
            output,
            t.saved_out | ENABLE_PROCESSED_OUTPUT | ENABLE_VIRTUAL_TERMINAL_PROCESSING,
        );
        Ok(t)
    }

    /// One byte, waiting at most `timeout_ms` (negative: for ever);
    /// `None` when none came.
    pub fn byte(&mut self, timeout_ms: i32) -> io::Result<Option<u8>> {
        let start = Instant::now();
        loop {
            if let Some(b) = self.pending.pop_front() {
                return Ok(Some(b));
            }
            let wait = if timeout_ms < 0 {
                INFINITE
            } else {
                let spent = start.elapsed().as_millis().min(u32::MAX as u128) as u32;
                (timeout_ms as u32).saturating_sub(spent)
            };
            // SAFETY: a console input handle, signalled while input waits.
            match unsafe { WaitForSingleObject(self.input, wait) } {
                WAIT_OBJECT_0 => {}
                WAIT_TIMEOUT => return Ok(None),
                _ => return Err(io::Error::last_os_error()),
            }
            let mut rec = INPUT_RECORD::default();
            let mut n = 0u32;
            // SAFETY: room for one record; the count to fill.
            if unsafe { ReadConsoleInputW(self.input, &mut rec, 1, &mut n) } == 0 {
                return Err(io::Error::last_os_error());
            }
            if n == 1 && rec.EventType == KEY_EVENT as u16 {
                // SAFETY: EventType says the union holds a key event.
                let k = unsafe { rec.Event.KeyEvent };
                if k.bKeyDown != 0 {
                    // SAFETY: the character of a key event, as UTF-16.
                    let unit = unsafe { k.uChar.UnicodeChar };
                    self.key(k.wVirtualKeyCode, unit, k.wRepeatCount.max(1));
                }
            }
            // Key releases, focus, mouse and size events: nothing to take.
        }
    }

    /// The bytes of a key press, as a Unix terminal sends them.
    fn key(&mut self, vk: u16, unit: u16, repeat: u16) {
        let bytes: Vec<u8> = match vk {
            VK_UP => b"\x1b[A".to_vec(),
            VK_DOWN => b"\x1b[B".to_vec(),
            VK_ESCAPE => vec![0x1b],
            _ => match char::from_u32(u32::from(unit)) {
                // (A character outside the BMP comes as two surrogates,
                // which the picker, taking ASCII, would pass over anyway.)
                Some(c) if unit != 0 => c.to_string().into_bytes(),
                _ => return,
            },
        };
        for _ in 0..repeat {
            self.pending.extend(&bytes);
        }
    }

    pub fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        let wide: Vec<u16> = String::from_utf8_lossy(bytes).encode_utf16().collect();
        let mut done = 0usize;
        while done < wide.len() {
            let chunk = &wide[done..wide.len().min(done + 8192)];
            let mut n = 0u32;
            // SAFETY: a console output handle and `chunk.len()` units.
            let ok = unsafe {
                WriteConsoleW(
                    self.output,
                    chunk.as_ptr(),
                    chunk.len() as u32,
                    &mut n,
                    std::ptr::null(),
                )
            };
            if ok == 0 {
                return Err(io::Error::last_os_error());
            }
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "the console took nothing",
                ));
            }
            done += n as usize;
        }
        Ok(())
    }

    /// Columns and rows of the window (80 x 24 when the console does not
    /// say).
    pub fn size(&self) -> (usize, usize) {
        let mut info = CONSOLE_SCREEN_BUFFER_INFO::default();
        // SAFETY: a console output handle and a struct to fill.
        if unsafe { GetConsoleScreenBufferInfo(self.output, &mut info) } == 0 {
            return (80, 24);
        }
        let w = &info.srWindow;
        let cols = (i32::from(w.Right) - i32::from(w.Left) + 1).max(0) as usize;
        let rows = (i32::from(w.Bottom) - i32::from(w.Top) + 1).max(0) as usize;
        if cols > 0 && rows > 0 {
            (cols, rows)
        } else {
            (80, 24)
        }
    }
}

impl Drop for RawTty {
    fn drop(&mut self) {
        // SAFETY: the modes read in `open`, on the same handles, which are
        // closed once.
        unsafe {
            if self.saved_in != 0 {
                SetConsoleMode(self.input, self.saved_in);
            }
            if self.saved_out != 0 {
                SetConsoleMode(self.output, self.saved_out);
            }
            CloseHandle(self.input);
            CloseHandle(self.output);
        }
    }
}

/// Is this process on a console a person can answer (stdin and stderr)?
pub fn interactive() -> bool {
    use std::io::IsTerminal;
    io::stdin().is_terminal() && io::stderr().is_terminal()
}
