//! The `exec` store: run `command... KEY` (no shell), stdout without its final
//! newline is the value; a non-zero exit is an error showing the command's
//! stderr; a bounded time.

use crate::config::Store;
use crate::error::{Error, Result};
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub fn run(store: &Store, key: &str, timeout: Duration) -> Result<String> {
    let program = &store.command[0];
    let mut child = Command::new(program)
        .args(&store.command[1..])
        .arg(key)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::runtime(format!("cannot run {program}: {e}")))?;
    // Drain both pipes in threads so a chatty command cannot block on a full pipe.
    let mut stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let out_t = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = stdout.read_to_end(&mut b);
        b
    });
    let err_t = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = stderr.take(64 * 1024).read_to_end(&mut b);
        b
    });
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if start.elapsed() >= timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Error::runtime(format!(
                    "{program} did not finish within {}s",
                    timeout.as_secs_f64()
                )));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(Error::runtime(format!("waiting for {program}: {e}"))),
        }
    };
    let out = out_t.join().unwrap_or_default();
    let err = err_t.join().unwrap_or_default();
    if !status.success() {
        let msg = String::from_utf8_lossy(&err).trim().to_string();
        return Err(Error::runtime(format!(
            "{program} exited with {}{}",
            status
                .code()
                .map(|c| c.to_string())
                .unwrap_or_else(|| "a signal".to_string()),
            if msg.is_empty() {
                String::new()
            } else {
                format!(": {msg}")
            }
        )));
    }
    let mut s = String::from_utf8(out)
        .map_err(|_| Error::runtime(format!("{program} printed a value that is not UTF-8")))?;
    if s.ends_with('\n') {
        s.pop();
        if s.ends_with('\r') {
            s.pop();
        }
    }
    Ok(s)
}
