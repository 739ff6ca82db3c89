//! The browser sign-in's callback server on 127.0.0.1.
//!
//! Any local process, of any user, can connect to a loopback port, so the
//! server trusts nothing it is sent:
//!
//! - each request is bounded in size (a request line of at most 8 KiB, kept;
//!   at most 32 KiB with the headers, read and dropped, so that a browser
//!   with big localhost cookies still gets through) and in time (5 s per
//!   connection, from accept to the end of its headers, never past the
//!   overall deadline); a slower or bigger request is answered and closed;
//! - connections are served each on its own thread (at most
//!   [`MAX_CONNECTIONS`] at once, the rest wait in the listen backlog), so a
//!   silent or trickling client holds up nobody but itself;
//! - only `GET /oauth/callback` with our `state` ends the wait, with a code
//!   or with the error Identity Center redirected with. A wrong or missing
//!   `state` gets a 400, anything else a 404, and the wait goes on;
//! - the whole wait ends at the deadline (`DSOPS_LOGIN_TIMEOUT`), whatever
//!   the connections do.
//!
//! It does not speak HTTP beyond that: no keep-alive, no bodies.

use super::pkce::query_param;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The request line, kept in memory.
const MAX_LINE: usize = 8 * 1024;
/// The request line and headers together, read (and dropped) at most.
const MAX_HEAD: usize = 32 * 1024;
/// How long one connection may take to send its request.
const REQUEST_TIME: Duration = Duration::from_secs(5);
/// Connections served at once.
pub const MAX_CONNECTIONS: usize = 16;
pub const PATH: &str = "/oauth/callback";

/// How the redirect back from Identity Center ended the wait.
#[derive(Debug, PartialEq, Eq)]
pub enum Callback {
    Code(String),
    /// `error=` (such as `access_denied`) and its `error_description`,
    /// both cut to a printable line.
    Refused {
        error: String,
        description: String,
    },
    /// Our state, but neither a code nor an error.
    Empty,
}

/// Why the wait ended without a callback.
#[derive(Debug)]
pub enum WaitError {
    TimedOut,
    Listener(std::io::Error),
}

/// Serve `listener` until a request with `state` arrives or `timeout` has passed.
pub fn wait(listener: &TcpListener, state: &str, timeout: Duration) -> Result<Callback, WaitError> {
    listener
        .set_nonblocking(true)
        .map_err(WaitError::Listener)?;
    let deadline = super::deadline_after(timeout);
    let (tx, rx) = mpsc::channel::<Callback>();
    let active = Arc::new(AtomicUsize::new(0));
    let state: Arc<str> = Arc::from(state);
    loop {
        let now = Instant::now();
        if now >= deadline {
            return Err(WaitError::TimedOut);
        }
        if active.load(Ordering::SeqCst) < MAX_CONNECTIONS {
            match listener.accept() {
                Ok((stream, _)) => {
                    spawn_handler(stream, &state, deadline, &active, &tx);
                    continue;
                }
                // Nothing waiting. Any other error belongs to one connection
                // (reset before accept, out of descriptors for a moment): it
                // must not end a sign-in that a local process cannot end.
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => crate::settings::debug(format_args!("sign-in callback: accept: {e}")),
            }
        }
        let pause = deadline
            .saturating_duration_since(now)
            .min(Duration::from_millis(20));
        match rx.recv_timeout(pause) {
            Ok(cb) => return Ok(cb),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            // We hold a sender, so the channel cannot close.
            Err(mpsc::RecvTimeoutError::Disconnected) => {}
        }
    }
}

/// Counts a handler thread for as long as it lives.
struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn spawn_handler(
    stream: TcpStream,
    state: &Arc<str>,
    deadline: Instant,
    active: &Arc<AtomicUsize>,
    tx: &mpsc::Sender<Callback>,
) {
    active.fetch_add(1, Ordering::SeqCst);
    let slot = Slot(Arc::clone(active));
    let (state, tx) = (Arc::clone(state), tx.clone());
    let conn_deadline = super::deadline_after(REQUEST_TIME).min(deadline);
    // When no thread can be started, the closure (and the connection and the
    // slot with it) is dropped: that connection is closed, the wait goes on.
    let _ = std::thread::Builder::new()
        .name("dsops-callback".into())
        .spawn(move || {
            let _slot = slot;
            if let Some(cb) = serve(stream, &state, conn_deadline) {
                let _ = tx.send(cb);
            }
        });
}

/// One connection: read its request within the bounds, answer it, and say
/// whether it ends the wait.
fn serve(mut stream: TcpStream, state: &str, deadline: Instant) -> Option<Callback> {
    let line = match read_request_line(&mut stream, deadline) {
        Ok(line) => line,
        Err(Bad::TooLarge) => {
            respond(
                &mut stream,
                "431 Request Header Fields Too Large",
                "Request too large.",
            );
            return None;
        }
        Err(Bad::Slow) => {
            respond(&mut stream, "408 Request Timeout", "Request too slow.");
            return None;
        }
        Err(Bad::Closed) => return None,
    };
    let line = String::from_utf8_lossy(&line);
    let mut words = line.split_ascii_whitespace();
    let (method, target) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if method != "GET" || path != PATH {
        respond(&mut stream, "404 Not Found", "Not found.");
        return None;
    }
    let given = query_param(query, "state").unwrap_or_default();
    if !same_secret(given.as_bytes(), state.as_bytes()) {
        respond(
            &mut stream,
            "400 Bad Request",
            "This request does not match the sign-in dsops started, and was ignored.",
        );
        return None;
    }
    if let Some(error) = query_param(query, "error") {
        respond(
            &mut stream,
            "200 OK",
            "Sign-in was not completed. You can close this tab.",
        );
        return Some(Callback::Refused {
            error: printable(&error),
            description: printable(&query_param(query, "error_description").unwrap_or_default()),
        });
    }
    match query_param(query, "code") {
        Some(code) if !code.is_empty() => {
            respond(
                &mut stream,
                "200 OK",
                "Signed in to AWS IAM Identity Center. You can close this tab and return to your terminal.",
            );
            Some(Callback::Code(code))
        }
        _ => {
            respond(
                &mut stream,
                "400 Bad Request",
                "The callback carried no code.",
            );
            Some(Callback::Empty)
        }
    }
}

enum Bad {
    TooLarge,
    Slow,
    Closed,
}

/// Read a request up to the end of its headers, within `MAX_HEAD` bytes and
/// by `deadline`; return its first line (without the line end).
fn read_request_line(stream: &mut TcpStream, deadline: Instant) -> Result<Vec<u8>, Bad> {
    let _ = stream.set_nonblocking(false);
    let mut head = Head::default();
    let mut chunk = [0u8; 2048];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Bad::Slow);
        }
        // The deadline is for the whole request: each read gets what is left
        // of it, so a byte now and then cannot stretch it.
        let _ = stream.set_read_timeout(Some(left));
        let room = (MAX_HEAD - head.total).min(chunk.len()) as u64;
        match Read::by_ref(stream).take(room).read(&mut chunk) {
            Ok(0) => return Err(Bad::Closed),
            Ok(n) => {
                if head.feed(&chunk[..n])? {
                    return Ok(head.line);
                }
                if head.total >= MAX_HEAD {
                    return Err(Bad::TooLarge);
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock
                        | std::io::ErrorKind::TimedOut
                        | std::io::ErrorKind::Interrupted
                ) => {}
            Err(_) => return Err(Bad::Closed),
        }
    }
}

/// The scan of a request head: the first line kept, the rest counted until
/// an empty line.
#[derive(Default)]
struct Head {
    line: Vec<u8>,
    line_done: bool,
    total: usize,
    /// The last bytes seen, to find the empty line that ends the head.
    tail: [u8; 3],
}

impl Head {
    /// Take more bytes; `Ok(true)` once the head is complete.
    fn feed(&mut self, bytes: &[u8]) -> Result<bool, Bad> {
        for &b in bytes {
            self.total += 1;
            self.tail = [self.tail[1], self.tail[2], b];
            if !self.line_done {
                match b {
                    // Blank lines before the request line are allowed (RFC 9112 2.2).
                    b'\n' if self.line.iter().all(|&c| c == b'\r') => self.line.clear(),
                    b'\n' => {
                        if self.line.last() == Some(&b'\r') {
                            self.line.pop();
                        }
                        self.line_done = true;
                    }
                    _ if self.line.len() >= MAX_LINE => return Err(Bad::TooLarge),
                    _ => self.line.push(b),
                }
                // A request with no headers: the line end is followed by the
                // empty line.
                continue;
            }
            // An empty line: LF LF, or LF CR LF.
            let [a, b1, b2] = self.tail;
            if b2 == b'\n' && (b1 == b'\n' || (b1 == b'\r' && a == b'\n')) {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// Compare a secret without leaking, through timing, how much of it matched.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A value from the callback, for a one-line message: control characters
/// dropped, at most 200 characters.
fn printable(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).take(200).collect()
}

fn respond(stream: &mut TcpStream, status: &str, text: &str) {
    let body = format!(
        "<!doctype html><html><head><title>dsops</title></head><body><p>{text}</p></body></html>"
    );
    let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.flush();
    let _ = stream.shutdown(std::net::Shutdown::Write);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(bytes: &[u8]) -> Result<Option<Vec<u8>>, ()> {
        let mut h = Head::default();
        match h.feed(bytes) {
            Ok(true) => Ok(Some(h.line)),
            Ok(false) => Ok(None),
            Err(_) => Err(()),
        }
    }

    #[test]
    fn request_heads() {
        let line = b"GET /oauth/callback?code=a&state=b HTTP/1.1".to_vec();
        assert_eq!(
            head(b"GET /oauth/callback?code=a&state=b HTTP/1.1\r\nHost: x\r\n\r\n"),
            Ok(Some(line.clone()))
        );
        assert_eq!(
            head(b"\r\nGET /oauth/callback?code=a&state=b HTTP/1.1\r\n\r\n"),
            Ok(Some(line.clone()))
        );
        assert_eq!(
            head(b"GET / HTTP/1.1\nHost: x\n\n"),
            Ok(Some(b"GET / HTTP/1.1".to_vec()))
        );
        assert_eq!(head(b"GET / HTTP/1.1\r\nHost: x\r\n"), Ok(None));
        assert_eq!(head(b"GET / HTTP/1.1"), Ok(None));
        let mut long = b"GET /".to_vec();
        long.resize(MAX_LINE + 10, b'a');
        assert_eq!(head(&long), Err(()));
        // Fed in pieces, byte by byte.
        let mut h = Head::default();
        let req = b"GET /x HTTP/1.1\r\nA: b\r\n\r\n";
        let done: Vec<bool> = req.iter().map(|b| h.feed(&[*b]).ok().unwrap()).collect();
        assert_eq!(done.iter().filter(|d| **d).count(), 1);
        assert!(done[req.len() - 1]);
    }

    #[test]
    fn secrets_compare() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abc", b"abd"));
        assert!(!same_secret(b"ab", b"abc"));
        assert!(!same_secret(b"", b"abc"));
    }

    #[test]
    fn printable_values() {
        assert_eq!(printable("a\nb\u{1b}[31m"), "ab[31m");
        assert_eq!(printable(&"x".repeat(500)).len(), 200);
    }
}
