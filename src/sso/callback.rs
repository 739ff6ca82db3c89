//! The browser sign-in's callback on 127.0.0.1: a wait on the loopback
//! server (`loopback.rs`, which bounds every request and answers only our
//! own user's connections) for the redirect back from Identity Center.
//!
//! Only `GET /oauth/callback` with our `state` ends the wait, with a code or
//! with the error Identity Center redirected with. A wrong or missing
//! `state` gets a 400, anything else a 404, and the wait goes on until the
//! deadline (`DSOPS_LOGIN_TIMEOUT`).

use super::pkce::query_param;
use crate::loopback::{self, Reply, Request};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

pub use crate::loopback::WaitError;

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

/// Serve `listener` until a request with `state` arrives or `timeout` has passed.
pub fn wait(listener: &TcpListener, state: &str, timeout: Duration) -> Result<Callback, WaitError> {
    let state = state.to_string();
    loopback::wait(
        listener,
        timeout,
        Arc::new(move |r: &Request| answer(r, &state)),
    )
}

/// The reply to one request, and whether it ends the wait.
fn answer(r: &Request, state: &str) -> (Reply, Option<Callback>) {
    if r.method != "GET" || r.path != PATH {
        return (Reply::page("404 Not Found", "Not found."), None);
    }
    let given = query_param(r.query, "state").unwrap_or_default();
    if !loopback::same_secret(given.as_bytes(), state.as_bytes()) {
        let text = "This request does not match the sign-in dsops started, and was ignored.";
        return (Reply::page("400 Bad Request", text), None);
    }
    if let Some(error) = query_param(r.query, "error") {
        let refused = Callback::Refused {
            error: printable(&error),
            description: printable(&query_param(r.query, "error_description").unwrap_or_default()),
        };
        let text = "Sign-in was not completed. You can close this tab.";
        return (Reply::page("200 OK", text), Some(refused));
    }
    match query_param(r.query, "code") {
        Some(code) if !code.is_empty() => {
            let text = "Signed in to AWS IAM Identity Center. You can close this tab and return to your terminal.";
            (Reply::page("200 OK", text), Some(Callback::Code(code)))
        }
        _ => (
            Reply::page("400 Bad Request", "The callback carried no code."),
            Some(Callback::Empty),
        ),
    }
}

/// A value from the callback, for a one-line message: control characters
/// dropped, at most 200 characters.
fn printable(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get<'a>(path: &'a str, query: &'a str) -> Request<'a> {
        Request {
            method: "GET",
            path,
            query,
        }
    }

    #[test]
    fn only_our_state_ends_the_wait() {
        let (r, done) = answer(&get(PATH, "code=c&state=s"), "s");
        assert_eq!(
            (r.status, done),
            ("200 OK", Some(Callback::Code("c".into())))
        );
        let (r, done) = answer(&get(PATH, "code=c&state=t"), "s");
        assert_eq!((r.status, done), ("400 Bad Request", None));
        let (r, done) = answer(&get("/other", "code=c&state=s"), "s");
        assert_eq!((r.status, done), ("404 Not Found", None));
        let (_, done) = answer(&get(PATH, "state=s&error=access_denied"), "s");
        assert!(matches!(done, Some(Callback::Refused { .. })));
        let (_, done) = answer(&get(PATH, "state=s"), "s");
        assert_eq!(done, Some(Callback::Empty));
    }

    #[test]
    fn printable_values() {
        assert_eq!(printable("a\nb\u{1b}[31m"), "ab[31m");
        assert_eq!(printable(&"x".repeat(500)).len(), 200);
    }
}
