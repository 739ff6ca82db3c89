//! A short-lived HTTP server on 127.0.0.1 that waits for one request from
//! the user's browser: the sign-in callback (`sso/callback.rs`) and the
//! console hand-off (`cmd/console.rs`).
//!
//! Any local process, of any user, can connect to a loopback port, so the
//! server trusts nothing it is sent:
//!
//! - on Linux, a connection is answered only when the socket at its other
//!   end belongs to our user, or to root (who can read our memory anyway,
//!   and whom the WSL and container port relays run as), as
//!   `/proc/net/tcp` tells; another user's connection gets a 403 and
//!   nothing else. Elsewhere the handler's own secret (a `state`, a random
//!   path) is the only check;
//! - each request is bounded in size (a request line of at most 8 KiB, kept;
//!   at most 32 KiB with the headers, read and dropped, so that a browser
//!   with big localhost cookies still gets through) and in time (5 s per
//!   connection, from accept to the end of its headers, never past the
//!   overall deadline); a slower or bigger request is answered and closed;
//! - connections are served each on its own thread (at most
//!   [`MAX_CONNECTIONS`] at once, the rest wait in the listen backlog), so a
//!   silent or trickling client holds up nobody but itself;
//! - the handler decides what a request is worth: an answer, and whether it
//!   ends the wait. The whole wait ends at the deadline, whatever the
//!   connections do.
//!
//! It does not speak HTTP beyond that: no keep-alive, no bodies. Answers
//! are never cached and send no referrer.
//!
//! Longer than most files here: the bounded reading of a request head and
//! its tests belong with the server that relies on those bounds.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
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

/// What a handler is shown of a request.
pub struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    /// After the `?`, still percent-encoded; empty when there is none.
    pub query: &'a str,
}

/// The answer to one request: a status, a line of text for the page, and a
/// place to go next.
pub struct Reply {
    pub status: &'static str,
    pub text: &'static str,
    /// A `Location` for a redirect (printable ASCII only; checked by the
    /// caller).
    pub location: Option<String>,
}

impl Reply {
    pub fn page(status: &'static str, text: &'static str) -> Reply {
        Reply {
            status,
            text,
            location: None,
        }
    }
}

/// Why the wait ended without the request it waited for.
#[derive(Debug)]
pub enum WaitError {
    TimedOut,
    Listener(std::io::Error),
}

/// A handler: the reply to a request, and `Some` when it ends the wait.
pub type Handler<T> = dyn Fn(&Request) -> (Reply, Option<T>) + Send + Sync;

/// The instant `d` from now (a day from now when that cannot be told).
pub fn deadline_after(d: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(d)
        .or_else(|| now.checked_add(Duration::from_secs(86_400)))
        .unwrap_or(now)
}

/// Serve `listener` until `handle` ends the wait or `timeout` has passed.
pub fn wait<T: Send + 'static>(
    listener: &TcpListener,
    timeout: Duration,
    handle: Arc<Handler<T>>,
) -> Result<T, WaitError> {
    listener
        .set_nonblocking(true)
        .map_err(WaitError::Listener)?;
    let deadline = deadline_after(timeout);
    let (tx, rx) = mpsc::channel::<T>();
    let active = Arc::new(AtomicUsize::new(0));
    loop {
        let now = Instant::now();
        if now >= deadline {
            return Err(WaitError::TimedOut);
        }
        if active.load(Ordering::SeqCst) < MAX_CONNECTIONS {
            match listener.accept() {
                Ok((stream, peer)) => {
                    spawn_handler(stream, peer, &handle, deadline, &active, &tx);
                    continue;
                }
                // Nothing waiting. Any other error belongs to one connection
                // (reset before accept, out of descriptors for a moment): it
                // must not end a wait that a local process cannot end.
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => crate::settings::debug(format_args!("loopback server: accept: {e}")),
            }
        }
        let pause = deadline
            .saturating_duration_since(now)
            .min(Duration::from_millis(20));
        match rx.recv_timeout(pause) {
            Ok(done) => return Ok(done),
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

fn spawn_handler<T: Send + 'static>(
    stream: TcpStream,
    peer: SocketAddr,
    handle: &Arc<Handler<T>>,
    deadline: Instant,
    active: &Arc<AtomicUsize>,
    tx: &mpsc::Sender<T>,
) {
    active.fetch_add(1, Ordering::SeqCst);
    let slot = Slot(Arc::clone(active));
    let (handle, tx) = (Arc::clone(handle), tx.clone());
    let conn_deadline = deadline_after(REQUEST_TIME).min(deadline);
    // When no thread can be started, the closure (and the connection and the
    // slot with it) is dropped: that connection is closed, the wait goes on.
    let _ = std::thread::Builder::new()
        .name("dsops-loopback".into())
        .spawn(move || {
            let _slot = slot;
            if let Some(done) = serve(stream, peer, &*handle, conn_deadline) {
                let _ = tx.send(done);
            }
        });
}

/// Whether the other end of a connection may be answered: our user's or
/// root's socket (Linux); anyone elsewhere.
pub(crate) fn peer_allowed(stream: &TcpStream, peer: SocketAddr) -> bool {
    if !cfg!(target_os = "linux") {
        return true;
    }
    let Ok(local) = stream.local_addr() else {
        return false;
    };
    match crate::platform::loopback_peer_uid(peer, local) {
        Some(uid) => uid == 0 || uid == crate::platform::current_uid(),
        None => false,
    }
}

/// One connection: read its request within the bounds, answer it, and say
/// whether it ends the wait.
fn serve<T>(
    mut stream: TcpStream,
    peer: SocketAddr,
    handle: &Handler<T>,
    deadline: Instant,
) -> Option<T> {
    let line = match read_request_line(&mut stream, deadline) {
        Ok(line) => line,
        Err(Bad::TooLarge) => {
            let reply = Reply::page("431 Request Header Fields Too Large", "Request too large.");
            respond(&mut stream, &reply);
            return None;
        }
        Err(Bad::Slow) => {
            respond(
                &mut stream,
                &Reply::page("408 Request Timeout", "Request too slow."),
            );
            return None;
        }
        Err(Bad::Closed) => return None,
    };
    // Checked once the request is in: closing with it unread would reset
    // the connection, and the client might never see the answer.
    if !peer.ip().is_loopback() || !peer_allowed(&stream, peer) {
        crate::settings::debug("loopback server: refused a connection from another user");
        respond(
            &mut stream,
            &Reply::page("403 Forbidden", "This page belongs to another user."),
        );
        return None;
    }
    let line = String::from_utf8_lossy(&line);
    let mut words = line.split_ascii_whitespace();
    let (method, target) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let (reply, done) = handle(&Request {
        method,
        path,
        query,
    });
    respond(&mut stream, &reply);
    done
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

/// Compare a secret in constant time (for a given length): the time taken
/// does not say how much of `given` matched.
pub fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    if given.len() != expected.len() {
        return false;
    }
    let diff = given
        .iter()
        .zip(expected)
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    std::hint::black_box(diff) == 0
}

fn respond(stream: &mut TcpStream, reply: &Reply) {
    let body = format!(
        "<!doctype html><html><head><title>dsops</title></head><body><p>{}</p></body></html>",
        reply.text
    );
    let location = reply
        .location
        .as_deref()
        .map(|l| format!("Location: {l}\r\n"))
        .unwrap_or_default();
    let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
    let _ = write!(
        stream,
        "HTTP/1.1 {}\r\n{location}Content-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nCache-Control: no-store\r\nReferrer-Policy: no-referrer\r\nConnection: close\r\n\r\n{body}",
        reply.status,
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
    fn secrets_compare_exactly() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abd", b"abc"));
        assert!(!same_secret(b"ab", b"abc"));
        assert!(!same_secret(b"", b"abc"));
    }

    #[test]
    fn one_request_ends_the_wait_and_others_do_not() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let get = move |path: &str| {
            let mut s = TcpStream::connect(addr).unwrap();
            write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
            let mut out = String::new();
            let _ = s.read_to_string(&mut out);
            out
        };
        let client = std::thread::spawn(move || (get("/nope"), get("/go?x=1")));
        let handle: Arc<Handler<String>> = Arc::new(|r: &Request| {
            if r.path == "/go" {
                let reply = Reply {
                    status: "303 See Other",
                    text: "On its way.",
                    location: Some("https://example.com/next".into()),
                };
                (reply, Some(r.query.to_string()))
            } else {
                (Reply::page("404 Not Found", "Not found."), None)
            }
        });
        let got = wait(&listener, Duration::from_secs(10), handle).unwrap();
        assert_eq!(got, "x=1");
        let (missed, hit) = client.join().unwrap();
        assert!(missed.starts_with("HTTP/1.1 404 "), "{missed}");
        assert!(hit.starts_with("HTTP/1.1 303 "), "{hit}");
        assert!(
            hit.contains("\r\nLocation: https://example.com/next\r\n"),
            "{hit}"
        );
        assert!(hit.contains("\r\nCache-Control: no-store\r\n"), "{hit}");
    }
}
