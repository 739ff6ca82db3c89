//! Interactive sign-in: client registration (reused while valid), the device
//! code flow with polling, and opening the browser.
//!
//! The caller holds the session lock, so however many processes need a
//! sign-in, one browser tab opens. The URL and code go to stderr and, when it
//! can be opened, `/dev/tty` (an SDK running `credential_process` swallows
//! stderr until the process ends).

use super::cache::{Registration, Token};
use super::client::{self, DeviceAuth, Grant, NewToken, Oidc, TokenError};
use super::{LoginPolicy, pkce};
use crate::awsconfig::SsoSession;
use crate::error::{Error, Result};
use std::io::Write;
use std::time::{Duration, Instant};

pub struct SignedIn {
    pub token: NewToken,
    pub registration: Registration,
}

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// Scopes to register with: the session's, or `sso:account:access` for a
/// named sso-session (which makes Identity Center issue refresh tokens), or
/// none for a legacy start-URL profile, as the AWS CLI v2 does.
fn scopes(session: &SsoSession) -> Vec<String> {
    if !session.scopes.is_empty() {
        session.scopes.clone()
    } else if session.name.is_some() {
        vec!["sso:account:access".to_string()]
    } else {
        vec![]
    }
}

/// The device code flow instead of the authorization-code flow: asked for
/// (`--use-device-code`, `DSOPS_USE_DEVICE_CODE`, a store's
/// `use_device_code: true`), or a legacy start-URL session (the AWS CLI v2
/// also signs those in with the device code), or no browser to open here
/// (`--no-browser`, or an SSH session whose browser cannot reach back to
/// 127.0.0.1).
fn wants_device_code(session: &SsoSession, policy: &LoginPolicy) -> bool {
    let remote = crate::settings::ssh_session();
    policy.use_device_code || policy.no_browser || session.name.is_none() || remote
}

pub fn sign_in(session: &SsoSession, cached: &Token, policy: &LoginPolicy) -> Result<SignedIn> {
    let oidc = Oidc::new(&session.region);
    let now = crate::timefmt::now();
    if !wants_device_code(session, policy) {
        let scopes = scopes(session);
        // A registration for the device code cannot be used here: replace it.
        let mut registration = match cached.registration(now) {
            Some(r) if r.grant_types.iter().any(|g| g == "authorization_code") => r,
            _ => pkce::register(&oidc, session, &scopes)?,
        };
        let mut fresh = false;
        loop {
            let open = |url: &str| {
                let opened = open_browser(url);
                if opened {
                    say(&format!(
                        "Attempting to automatically open the SSO authorization page in your browser.\nIf the browser does not open, you can manually open the following URL:\n\n{url}\n"
                    ));
                }
                opened
            };
            match pkce::sign_in(&oidc, session, &registration, &scopes, &open) {
                Ok(token) => {
                    say("Successfully logged in to SSO!");
                    return Ok(SignedIn {
                        token,
                        registration,
                    });
                }
                Err(pkce::PkceError::Token(TokenError::InvalidClient(_))) if !fresh => {
                    registration = pkce::register(&oidc, session, &scopes)?;
                    fresh = true;
                }
                Err(pkce::PkceError::Token(e)) => return Err(token_error(e)),
                Err(pkce::PkceError::Failed(e)) => return Err(e),
                // No browser here, or no callback port: fall back to the device code.
                Err(pkce::PkceError::Setup(e)) => {
                    eprintln!("dsops: {e}; signing in with a device code instead");
                    break;
                }
            }
        }
    }
    let mut registration = match cached.registration(now) {
        Some(r) if r.grant_types.is_empty() || r.grant_types.iter().any(|g| g == DEVICE_GRANT) => r,
        _ => register_device(&oidc, session)?,
    };
    let mut fresh = false;
    loop {
        let auth = match oidc.start_device_authorization(&registration, &session.start_url) {
            Ok(a) => a,
            // A cached registration the service no longer knows: register once more.
            Err(e)
                if !fresh
                    && (e.message.contains("InvalidClient")
                        || e.message.contains("UnauthorizedClient")) =>
            {
                registration = register_device(&oidc, session)?;
                fresh = true;
                continue;
            }
            Err(e) => return Err(e),
        };
        match poll_device(&oidc, &registration, &auth, policy) {
            Err(TokenError::InvalidClient(_)) if !fresh => {
                registration = register_device(&oidc, session)?;
                fresh = true;
            }
            Ok(token) => {
                return Ok(SignedIn {
                    token,
                    registration,
                });
            }
            Err(e) => return Err(token_error(e)),
        }
    }
}

fn register_device(oidc: &Oidc, session: &SsoSession) -> Result<Registration> {
    let scopes = scopes(session);
    let grants: &[&str] = if scopes.is_empty() {
        &[]
    } else {
        &[DEVICE_GRANT, "refresh_token"]
    };
    oidc.register(&scopes, grants, None, None)
}

fn token_error(e: TokenError) -> Error {
    match e {
        TokenError::Denied(m) => client::login_failed(format!("sign-in was denied ({m})")),
        TokenError::Expired(m) => client::login_failed(format!(
            "the sign-in code expired before it was approved ({m})"
        )),
        TokenError::InvalidGrant(m) | TokenError::InvalidClient(m) => {
            client::login_failed(format!("sign-in failed ({m})"))
        }
        TokenError::Pending | TokenError::SlowDown => {
            client::login_failed("sign-in did not complete in time")
        }
        TokenError::Other(e) => e,
    }
}

fn poll_device(
    oidc: &Oidc,
    reg: &Registration,
    auth: &DeviceAuth,
    policy: &LoginPolicy,
) -> std::result::Result<NewToken, TokenError> {
    let url = auth
        .verification_uri_complete
        .clone()
        .unwrap_or_else(|| auth.verification_uri.clone());
    announce(&url, &auth.user_code, policy);
    // The code's own life (`expiresIn`) and DSOPS_LOGIN_TIMEOUT, whichever
    // ends first, bound the wait; both are only read, never added to
    // without a check.
    let timeout = crate::settings::limits().login;
    let by_setting = timeout < auth.expires_in;
    let deadline = super::deadline_after(timeout.min(auth.expires_in));
    // Honour the server's interval; a 0 (seen from test servers) still gets a
    // short pause so that we never spin.
    let mut interval = auth.interval.max(Duration::from_millis(50));
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(if by_setting {
                TokenError::Other(client::login_failed(format!(
                    "the sign-in was not approved within {}s (DSOPS_LOGIN_TIMEOUT)",
                    timeout.as_secs_f64()
                )))
            } else {
                TokenError::Expired("device code expired".to_string())
            });
        }
        std::thread::sleep(interval.min(left));
        match oidc.create_token(reg, Grant::DeviceCode(&auth.device_code)) {
            Ok(t) => {
                say("Successfully logged in to SSO!");
                return Ok(t);
            }
            Err(TokenError::Pending) => {}
            // RFC 8628: slow_down adds 5 seconds to the interval for good.
            Err(TokenError::SlowDown) => interval = interval.saturating_add(Duration::from_secs(5)),
            Err(e) => return Err(e),
        }
    }
}

/// A status line for the person signing in: stderr, and the terminal when
/// stderr is captured by an SDK.
fn say(text: &str) {
    eprintln!("{text}");
    if let Ok(mut tty) = std::fs::OpenOptions::new().write(true).open("/dev/tty") {
        use std::io::IsTerminal;
        if !std::io::stderr().is_terminal() {
            let _ = writeln!(tty, "{text}");
        }
    }
}

fn announce(url: &str, code: &str, policy: &LoginPolicy) {
    let opened = !policy.no_browser && open_browser(url);
    let text = if opened {
        format!(
            "Attempting to automatically open the SSO authorization page in your browser.\nIf the browser does not open, you can manually open the following URL:\n\n{url}\n\nand confirm the code {code}\n"
        )
    } else {
        format!(
            "Open the following URL in a browser to sign in:\n\n{url}\n\nand confirm the code {code}\n"
        )
    };
    say(&text);
}

/// Open `url` with `AWS_SSO_BROWSER`, `BROWSER` (a `:`-separated list of
/// commands, `;` on Windows as in Python's webbrowser; `%s` is the URL,
/// else it is appended), or the desktop opener. On Windows that is the
/// shell's URL handler (`rundll32 url.dll,FileProtocolHandler URL`), which
/// takes the URL as one argument: never `cmd /c start`, where an unquoted
/// `&` in a URL would separate commands. The browser runs detached; we do
/// not wait for it.
pub fn open_browser(url: &str) -> bool {
    let configured = crate::settings::browser();
    let separator = if cfg!(windows) { ';' } else { ':' };
    let candidates: Vec<String> = match configured {
        Some(list) => list
            .split(separator)
            .map(str::to_string)
            .filter(|s| !s.trim().is_empty())
            .collect(),
        None if cfg!(target_os = "macos") => vec!["open".into()],
        None if cfg!(windows) => vec!["rundll32 url.dll,FileProtocolHandler".into()],
        None => vec!["xdg-open".into()],
    };
    for cmd in candidates {
        let mut words: Vec<String> = cmd.split_whitespace().map(str::to_string).collect();
        if words.iter().any(|w| w.contains("%s")) {
            for w in &mut words {
                *w = w.replace("%s", url);
            }
        } else {
            words.push(url.to_string());
        }
        let spawned = std::process::Command::new(&words[0])
            .args(&words[1..])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
        if spawned.is_ok() {
            return true;
        }
    }
    false
}
