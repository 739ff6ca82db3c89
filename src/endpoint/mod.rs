//! The credential endpoint of `dsops exec --store ...` and `dsops serve`: the
//! container-credentials protocol every AWS SDK reads
//! (`AWS_CONTAINER_CREDENTIALS_FULL_URI`, `AWS_CONTAINER_AUTHORIZATION_TOKEN`),
//! served on 127.0.0.1 from the role-credential cache shared with the AWS
//! CLI, under the same locks as `creds`.
//!
//! - Each target (a store or profile) has a path and a token of its own,
//!   both random (128 and 256 bits from `/dev/urandom`). A request that does
//!   not carry a target's exact token (compared in constant time) on that
//!   target's path gets `401` with an empty body, and nothing else; so does
//!   anything unexpected that parses as HTTP. A request must arrive within
//!   half a second of its connection and 8 KiB (`request.rs`); one answer
//!   per connection.
//! - The answer is `{"AccessKeyId","SecretAccessKey","Token","Expiration"}`
//!   (and `AccountId`). When the cached credentials run low they are fetched
//!   again under the role's lock, so any number of concurrent requests (and
//!   other dsops processes and the AWS CLI) make one GetRoleCredentials.
//!   "Low" is the usual 15 minutes, or a quarter of the credentials' own
//!   lifetime when that is shorter ([`refresh_before`]): credentials that
//!   last 5 seconds are fetched about once per lifetime, not at every
//!   request. The lifetime is measured from the cache file's modification
//!   time, which is when they were fetched, whoever fetched them.
//! - Signing in again when the session needs it follows the login policy of
//!   the command (`--no-login`, `DSOPS_NO_LOGIN`, `CI`); an answer that
//!   cannot be had is a `500` with a one-line message (no secret), also
//!   printed once on stderr.
//! - On Linux only our own user's connections (and root's, for container
//!   port relays) are read at all, unless `serve --allow-any-user`; idle and
//!   trickling connections hold no worker, and a well-behaved request is
//!   answered however many of them are held (`accept.rs`).
//!
//! What it does not do: listen anywhere but 127.0.0.1, keep connections
//! alive, or serve the shell hook (which exports values).

pub mod accept;
#[cfg(unix)]
pub mod child;
#[cfg(windows)]
#[path = "child_windows.rs"]
pub mod child;
pub mod env;
pub mod request;

pub use accept::Peers;

use crate::error::{Error, Result};
use crate::rolecreds::{self, Read, RoleCredentials};
use crate::source::Source;
use crate::sso::LoginPolicy;
use serde_json::json;
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// Reuse credentials while more than this many seconds remain, at most.
const FRESH_SECS: i64 = 15 * 60;

/// One credential source served on a path of its own: each request asks
/// the source again, so a role chain is assumed again as its top role runs
/// low.
pub struct Route {
    pub source: Source,
    pub path: String,
    pub token: String,
}

impl Route {
    /// A route with a new random path and token.
    pub fn new(source: Source) -> Result<Route> {
        let random = |n| {
            crate::platform::random_bytes(n)
                .map(|b| crate::config::trust::hex(&b))
                .map_err(|e| Error::runtime(format!("cannot read /dev/urandom: {e}")))
        };
        Ok(Route {
            source,
            path: format!("/{}", random(16)?),
            token: random(32)?,
        })
    }

    /// The variables that point an SDK at this route of an endpoint on `port`.
    pub fn variables(&self, port: u16) -> Vec<(String, String)> {
        vec![
            (
                "AWS_CONTAINER_CREDENTIALS_FULL_URI".to_string(),
                format!("http://127.0.0.1:{port}{}", self.path),
            ),
            (
                "AWS_CONTAINER_AUTHORIZATION_TOKEN".to_string(),
                self.token.clone(),
            ),
        ]
    }
}

/// Listen on 127.0.0.1 (`port` 0: any free port).
pub fn bind(port: u16) -> Result<TcpListener> {
    TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
        .map_err(|e| Error::runtime(format!("cannot listen on 127.0.0.1:{port}: {e}")))
}

pub fn port_of(listener: &TcpListener) -> Result<u16> {
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| Error::runtime(format!("the endpoint's port: {e}")))
}

/// Serve `routes` on `listener` from a thread of its own, for as long as the
/// process lives, to our own user only (see [`spawn_for`]).
pub fn spawn(listener: TcpListener, routes: Vec<Route>, policy: LoginPolicy) -> Result<()> {
    spawn_for(listener, routes, policy, Peers::Owner)
}

/// [`spawn`], answering the connections of `peers`.
pub fn spawn_for(
    listener: TcpListener,
    routes: Vec<Route>,
    policy: LoginPolicy,
    peers: Peers,
) -> Result<()> {
    let shared = Arc::new(Shared {
        routes,
        policy,
        last_error: Mutex::new(String::new()),
    });
    let answer: Arc<accept::Answer> = Arc::new(move |stream, req| serve_one(stream, &req, &shared));
    std::thread::Builder::new()
        .name("endpoint".into())
        .spawn(move || accept::run(&listener, peers, answer))
        .map(|_| ())
        .map_err(|e| Error::runtime(format!("cannot start the endpoint: {e}")))
}

struct Shared {
    routes: Vec<Route>,
    policy: LoginPolicy,
    /// The last failure printed, so that a failing endpoint says it once
    /// (until it answers again).
    last_error: Mutex<String>,
}

/// HTTP status lines the endpoint uses.
const UNAUTHORIZED: &str = "401 Unauthorized";

fn respond(stream: &mut TcpStream, status: &str, body: &str) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_write_timeout(Some(request::WRITE_TIME));
    let kind = if body.is_empty() {
        ""
    } else {
        "Content-Type: application/json\r\n"
    };
    let head = format!(
        "HTTP/1.1 {status}\r\n{kind}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(body.as_bytes()))
        .and_then(|()| stream.flush());
}

/// Answer one request (read and checked by `accept.rs`).
fn serve_one(mut stream: TcpStream, req: &request::Request, shared: &Shared) {
    let _ = stream.set_nodelay(true);
    let route = shared.routes.iter().find(|r| r.path == req.path);
    let authorized = match (route, &req.authorization) {
        (Some(r), Some(given)) => crate::loopback::same_secret(given, r.token.as_bytes()),
        _ => false,
    };
    let Some(route) = route.filter(|_| authorized) else {
        crate::settings::debug("endpoint: refused a request without the right token (401)");
        respond(&mut stream, UNAUTHORIZED, "");
        return;
    };
    if req.method != "GET" {
        respond(&mut stream, "405 Method Not Allowed", "");
        return;
    }
    match credentials(&route.source, &shared.policy) {
        Ok(c) => {
            crate::settings::debug(format_args!(
                "endpoint: {}: credentials for {}, {}s left",
                route.source.label(),
                route.source.role_shown(),
                c.remaining(crate::timefmt::now())
            ));
            respond(&mut stream, "200 OK", &answer(&c));
            // A failure that comes back after a recovery is said again.
            shared
                .last_error
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clear();
        }
        Err(e) => {
            let message = format!("{}: {}", route.source.label(), e.message);
            {
                let mut last = shared.last_error.lock().unwrap_or_else(|p| p.into_inner());
                if *last != message {
                    eprintln!("dsops: credential endpoint: {message}");
                    last.clone_from(&message);
                }
            }
            let body =
                json!({"Code": "CredentialsUnavailable", "Message": format!("dsops: {message}")});
            respond(&mut stream, "500 Internal Server Error", &body.to_string());
        }
    }
}

/// The container-credentials answer.
pub fn answer(c: &RoleCredentials) -> String {
    let mut v = json!({
        "AccessKeyId": c.access_key_id,
        "SecretAccessKey": c.secret_access_key,
        "Token": c.session_token,
        "Expiration": crate::timefmt::format(c.expiration),
    });
    if !c.account_id.is_empty() {
        v["AccountId"] = json!(c.account_id);
    }
    v.to_string()
}

/// Fetch again when fewer seconds than this remain of credentials that
/// lasted `lifetime` seconds from when they were fetched: 15 minutes, or a
/// quarter of the lifetime when that is shorter (at least one second);
/// 15 minutes when the lifetime is unknown.
pub fn refresh_before(lifetime: Option<i64>) -> i64 {
    match lifetime {
        Some(l) if l > 0 => (l / 4).clamp(1, FRESH_SECS),
        _ => FRESH_SECS,
    }
}

/// The credentials the endpoint answers with: the cached ones while enough
/// remains ([`refresh_before`]), else new ones fetched under the lock.
pub fn credentials(source: &Source, policy: &LoginPolicy) -> Result<RoleCredentials> {
    let path = source.cache_path();
    let mut before = FRESH_SECS;
    if let Read::Found(mut c) = rolecreds::read_role(&path) {
        let fetched = std::fs::metadata(&path)
            .and_then(|m| m.modified())
            .ok()
            .map(time::OffsetDateTime::from);
        before = refresh_before(fetched.map(|f| (c.expiration - f).whole_seconds()));
        if c.remaining(crate::timefmt::now()) > before {
            // An entry botocore wrote for a role it assumed has no AccountId.
            if c.account_id.is_empty() {
                c.account_id = source.account_id().to_string();
            }
            return Ok(c);
        }
    }
    source.credentials_fresh(policy, before)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_rule() {
        assert_eq!(refresh_before(None), 900);
        assert_eq!(refresh_before(Some(3600)), 900);
        assert_eq!(refresh_before(Some(12 * 3600)), 900);
        assert_eq!(refresh_before(Some(1200)), 300);
        assert_eq!(refresh_before(Some(5)), 1);
        assert_eq!(refresh_before(Some(2)), 1);
        assert_eq!(refresh_before(Some(-5)), 900);
    }

    #[test]
    fn answer_has_the_fields_sdks_read() {
        let c = RoleCredentials {
            access_key_id: "AKIA".into(),
            secret_access_key: "s".into(),
            session_token: "t".into(),
            expiration: time::macros::datetime!(2030-01-01 0:00 UTC),
            account_id: "111111111111".into(),
        };
        let v: serde_json::Value = serde_json::from_str(&answer(&c)).unwrap();
        assert_eq!(v["AccessKeyId"], "AKIA");
        assert_eq!(v["SecretAccessKey"], "s");
        assert_eq!(v["Token"], "t");
        assert_eq!(v["Expiration"], "2030-01-01T00:00:00Z");
        assert_eq!(v["AccountId"], "111111111111");
    }
}
