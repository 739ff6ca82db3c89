//! Sign-in with the OAuth authorization-code flow and PKCE, as the AWS CLI v2
//! does for `sso-session` profiles: the browser opens `{oidc}/authorize`,
//! Identity Center redirects to a one-shot callback server on 127.0.0.1, and
//! the code is exchanged with the PKCE verifier.
//!
//! The callback server ([`callback`]) binds 127.0.0.1 only, waits for the
//! one `/oauth/callback` request that carries our `state` (anything else is
//! answered and ignored), and gives up after `DSOPS_LOGIN_TIMEOUT` seconds
//! (default 600).

use super::cache::Registration;
use super::callback::{self, Callback};
use super::client::{self, Grant, NewToken, Oidc, TokenError};
use crate::awsconfig::SsoSession;
use crate::error::{Error, Result};
use sha2::{Digest, Sha256};
use std::net::TcpListener;

pub const GRANT_TYPES: &[&str] = &["authorization_code", "refresh_token"];
const REDIRECT_REGISTERED: &str = "http://127.0.0.1/oauth/callback";

/// Random bytes from the OS.
fn random_bytes(n: usize) -> Result<Vec<u8>> {
    crate::platform::random_bytes(n)
        .map_err(|e| Error::runtime(format!("cannot read /dev/urandom: {e}")))
}

/// The S256 code challenge of a verifier.
pub fn challenge(verifier: &str) -> String {
    crate::base64::encode_url(&Sha256::digest(verifier.as_bytes()))
}

/// Percent-encode a query value (RFC 3986 unreserved characters kept).
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn url_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub(super) fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        (url_decode(k) == name).then(|| url_decode(v))
    })
}

pub fn register(oidc: &Oidc, session: &SsoSession, scopes: &[String]) -> Result<Registration> {
    oidc.register(
        scopes,
        GRANT_TYPES,
        Some(REDIRECT_REGISTERED),
        Some(&session.start_url),
    )
}

/// Why the flow did not produce a token.
pub enum PkceError {
    /// Before the browser was involved (no browser could be opened, the
    /// callback port could not be bound): the device code may still work.
    Setup(Error),
    Token(TokenError),
    Failed(Error),
}

/// Run the flow. `open` starts the browser on the URL (and tells the user);
/// it returns false when no browser could be started.
pub fn sign_in(
    oidc: &Oidc,
    session: &SsoSession,
    reg: &Registration,
    scopes: &[String],
    open: &dyn Fn(&str) -> bool,
) -> std::result::Result<NewToken, PkceError> {
    let port = crate::settings::limits().callback_port;
    let listener = TcpListener::bind(("127.0.0.1", port)).map_err(|e| {
        PkceError::Setup(Error::runtime(format!(
            "cannot listen on 127.0.0.1:{port} for the sign-in callback: {e}"
        )))
    })?;
    let port = listener
        .local_addr()
        .map_err(|e| PkceError::Setup(Error::runtime(e.to_string())))?
        .port();
    let redirect_uri = format!("http://127.0.0.1:{port}/oauth/callback");
    let verifier = crate::base64::encode_url(&random_bytes(32).map_err(PkceError::Setup)?);
    let state = crate::base64::encode_url(&random_bytes(16).map_err(PkceError::Setup)?);
    let mut url = format!(
        "{}/authorize?response_type=code&client_id={}&redirect_uri={}&state={}&code_challenge_method=S256&code_challenge={}",
        client::oidc_endpoint(&session.region),
        url_encode(&reg.client_id),
        url_encode(&redirect_uri),
        url_encode(&state),
        url_encode(&challenge(&verifier)),
    );
    if !scopes.is_empty() {
        url.push_str(&format!("&scopes={}", url_encode(&scopes.join(","))));
    }
    if !open(&url) {
        return Err(PkceError::Setup(Error::runtime(
            "no browser could be opened",
        )));
    }
    let timeout = crate::settings::limits().login;
    let code = match callback::wait(&listener, &state, timeout) {
        Ok(Callback::Code(code)) => code,
        Ok(Callback::Refused { error, description }) => {
            let text = format!(
                "{error}{}{description}",
                if description.is_empty() { "" } else { ": " }
            );
            return Err(match error.as_str() {
                "access_denied" => {
                    PkceError::Failed(client::login_failed(format!("sign-in was denied ({text})")))
                }
                // The service does not accept this registration for the
                // flow: the caller registers anew once.
                "unauthorized_client" | "invalid_client" => {
                    PkceError::Token(TokenError::InvalidClient(text))
                }
                _ => PkceError::Failed(client::login_failed(format!("sign-in failed ({text})"))),
            });
        }
        Ok(Callback::Empty) => {
            return Err(PkceError::Failed(client::login_failed(
                "the sign-in callback carried no code",
            )));
        }
        Err(callback::WaitError::TimedOut) => {
            return Err(PkceError::Failed(client::login_failed(format!(
                "no sign-in arrived within {}s (DSOPS_LOGIN_TIMEOUT); try 'dsops login --use-device-code'",
                timeout.as_secs_f64()
            ))));
        }
        Err(callback::WaitError::Listener(e)) => {
            return Err(PkceError::Failed(Error::runtime(format!(
                "sign-in callback: {e}"
            ))));
        }
    };
    oidc.create_token(
        reg,
        Grant::AuthorizationCode {
            code: &code,
            verifier: &verifier,
            redirect_uri: &redirect_uri,
        },
    )
    .map_err(PkceError::Token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_vector() {
        // RFC 7636 appendix B.
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn query_parsing() {
        assert_eq!(
            query_param("code=a%2Bb&state=x+y", "code").as_deref(),
            Some("a+b")
        );
        assert_eq!(
            query_param("code=a%2Bb&state=x+y", "state").as_deref(),
            Some("x y")
        );
        assert_eq!(query_param("code=", "code").as_deref(), Some(""));
        assert_eq!(query_param("a=%zz%4", "a").as_deref(), Some("%zz%4"));
        assert_eq!(
            url_encode("http://127.0.0.1:5/x y"),
            "http%3A%2F%2F127.0.0.1%3A5%2Fx%20y"
        );
    }
}
