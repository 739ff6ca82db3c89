//! The endpoint's connections: accepted, checked, read, and handed to a
//! worker only once a whole request head is in.
//!
//! Any local process can connect to a loopback port, and an SDK gives up
//! after a second or two, so no connection may make another wait:
//!
//! - on Linux, a connection whose other end belongs to another user (root
//!   excepted: it runs the port relays of containers) is closed as soon as
//!   it is accepted, before it is read or held (`loopback::peer_allowed`,
//!   the check of the sign-in servers); `serve --allow-any-user` turns this
//!   off for relays that run as another user;
//! - one thread waits on every connection at once (`poll`), so a connection
//!   that sends nothing holds no thread and no worker; each has
//!   [`request::HEAD_TIME`] from its accept to send its request head and is
//!   closed after that, and when [`MAX_PENDING`] are held the oldest is
//!   closed to make room (so are held ones when the process runs out of
//!   file descriptors);
//! - a complete request goes to a pool of at most [`MAX_WORKERS`] threads,
//!   which fetch credentials and answer; more wait in a bounded queue.
//!
//! So a well-behaved request, which arrives whole the moment it connects,
//! is answered at once however many idle connections are held.
//!
//! Not here: what a request is answered (`mod.rs`) or how its head is
//! parsed (`request.rs`).

use super::request::{self, Request};
use std::collections::VecDeque;
use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Connections held while their request arrives.
pub const MAX_PENDING: usize = 512;
/// Requests answered at once, each on a thread of its own.
pub const MAX_WORKERS: usize = 32;
/// Complete requests waiting for a worker; more are closed unanswered.
const MAX_QUEUED: usize = 1024;
/// Connections accepted per wake-up, so that reading the held ones goes on.
const ACCEPT_BURST: usize = 64;

/// Whose connections are answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peers {
    /// Our own user's and root's (Linux); anyone's elsewhere.
    Owner,
    /// Any user's (`serve --allow-any-user`): the token is the only check.
    Anyone,
}

/// What answers a complete request.
pub type Answer = dyn Fn(TcpStream, Request) + Send + Sync;

/// A connection whose request head is not complete yet.
struct Pending {
    stream: TcpStream,
    buf: Vec<u8>,
    deadline: Instant,
}

/// Accept and read connections on `listener` for as long as the process
/// lives, handing each complete request to `answer` on a worker thread.
pub fn run(listener: &TcpListener, peers: Peers, answer: Arc<Answer>) {
    if listener.set_nonblocking(true).is_err() {
        crate::settings::debug("endpoint: cannot make the listener non-blocking");
    }
    let pool = Arc::new(Pool {
        answer,
        queue: Mutex::new(Queue::default()),
        ready: Condvar::new(),
    });
    let mut pending: VecDeque<Pending> = VecDeque::new();
    loop {
        let now = Instant::now();
        // Dropping a connection closes it.
        pending.retain(|p| p.deadline > now);
        let wait = pending
            .iter()
            .map(|p| p.deadline.saturating_duration_since(now))
            .min()
            .unwrap_or(Duration::from_secs(3600));
        let (accept, readable) =
            match crate::platform::poll_readable(listener, pending.iter().map(|p| &p.stream), wait)
            {
                Ok(r) => r,
                Err(e) => {
                    crate::settings::debug(format_args!("endpoint: poll: {e}"));
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                }
            };
        if readable.iter().any(|r| *r) {
            let mut kept = VecDeque::with_capacity(pending.len());
            for (p, ready) in pending.drain(..).zip(readable) {
                if !ready {
                    kept.push_back(p);
                } else if let Some(p) = read_more(p, &pool) {
                    kept.push_back(p);
                }
            }
            pending = kept;
        }
        if accept {
            accept_burst(listener, peers, &mut pending, &pool);
        }
    }
}

/// Accept what is waiting: refuse other users, hold the rest.
fn accept_burst(
    listener: &TcpListener,
    peers: Peers,
    pending: &mut VecDeque<Pending>,
    pool: &Arc<Pool>,
) {
    for _ in 0..ACCEPT_BURST {
        match listener.accept() {
            Ok((stream, peer)) => {
                if !allowed(&stream, peer, peers) {
                    crate::settings::debug(
                        "endpoint: closed a connection from another user (serve --allow-any-user allows it)",
                    );
                    continue;
                }
                if stream.set_nonblocking(true).is_err() {
                    continue;
                }
                if pending.len() >= MAX_PENDING {
                    pending.pop_front();
                }
                let p = Pending {
                    stream,
                    buf: Vec::new(),
                    deadline: crate::loopback::deadline_after(request::HEAD_TIME),
                };
                // An SDK's request is usually in already.
                if let Some(p) = read_more(p, pool) {
                    pending.push_back(p);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return,
            Err(e) if crate::platform::out_of_descriptors(&e) => {
                // Make room: the oldest held connection goes.
                if pending.pop_front().is_none() {
                    std::thread::sleep(Duration::from_millis(10));
                    return;
                }
            }
            // A connection reset before it was taken: the next one.
            Err(_) => {}
        }
    }
}

fn allowed(stream: &TcpStream, peer: SocketAddr, peers: Peers) -> bool {
    peer.ip().is_loopback()
        && (peers == Peers::Anyone || crate::loopback::peer_allowed(stream, peer))
}

/// Read what has arrived; hand the request on once its head is complete.
/// The connection back while more may come; `None` once it is handed on or
/// closed.
fn read_more(mut p: Pending, pool: &Arc<Pool>) -> Option<Pending> {
    let mut chunk = [0u8; 2048];
    loop {
        let room = (request::MAX_HEAD - p.buf.len()).min(chunk.len());
        match p.stream.read(&mut chunk[..room]) {
            Ok(0) => return None,
            Ok(n) => {
                p.buf.extend_from_slice(&chunk[..n]);
                match request::complete(&p.buf) {
                    None => {}
                    Some(Ok(req)) => {
                        pool.submit(p.stream, req);
                        return None;
                    }
                    Some(Err(_)) => return None,
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return Some(p),
            Err(_) => return None,
        }
    }
}

/// The workers and their queue.
struct Pool {
    answer: Arc<Answer>,
    queue: Mutex<Queue>,
    ready: Condvar,
}

#[derive(Default)]
struct Queue {
    jobs: VecDeque<(TcpStream, Request)>,
    /// Workers waiting for a job.
    idle: usize,
    workers: usize,
}

impl Pool {
    fn submit(self: &Arc<Self>, stream: TcpStream, req: Request) {
        let mut q = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        if q.jobs.len() >= MAX_QUEUED {
            return;
        }
        q.jobs.push_back((stream, req));
        // A new worker when the waiting ones cannot take every job.
        if q.jobs.len() > q.idle && q.workers < MAX_WORKERS {
            let me = Arc::clone(self);
            let started = std::thread::Builder::new()
                .name("endpoint-request".into())
                .spawn(move || me.work());
            if started.is_ok() {
                q.workers += 1;
            }
        }
        self.ready.notify_one();
    }

    fn work(&self) {
        loop {
            let (stream, req) = {
                let mut q = self.queue.lock().unwrap_or_else(|p| p.into_inner());
                loop {
                    if let Some(job) = q.jobs.pop_front() {
                        break job;
                    }
                    q.idle += 1;
                    q = self.ready.wait(q).unwrap_or_else(|p| p.into_inner());
                    q.idle -= 1;
                }
            };
            (self.answer)(stream, req);
        }
    }
}
