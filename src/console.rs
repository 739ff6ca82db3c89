//! AWS console sign-in through the federation endpoint: role credentials are
//! exchanged for a sign-in token (`getSigninToken`), and the `login` URL with
//! that token signs a browser in to the console.
//!
//! Both the request (it carries the role's secret key) and the resulting URL
//! (whoever has it is signed in) are credentials: neither is ever formatted
//! into a message or a `--debug` line. HTTP failures are described by status
//! or by what went wrong on the way, never by the URL or the body.
//!
//! Not here: choosing the credentials (`cmd/creds.rs`) or opening the
//! browser (`sso::login::open_browser`).

use crate::error::{Error, Result};
use crate::rolecreds::RoleCredentials;
use std::io::Read;

/// A getSigninToken answer is a few hundred bytes.
const MAX_ANSWER_BYTES: u64 = 64 << 10;

/// The federation endpoint's base: `AWS_ENDPOINT_URL_SIGNIN`, else the
/// partition's sign-in host for `region`.
pub fn signin_base(region: &str) -> String {
    if let Some(u) = crate::settings::var("AWS_ENDPOINT_URL_SIGNIN") {
        return u.trim_end_matches('/').to_string();
    }
    if region.starts_with("cn-") {
        "https://signin.amazonaws.cn".to_string()
    } else if region.starts_with("us-gov-") {
        "https://signin.amazonaws-us-gov.com".to_string()
    } else {
        "https://signin.aws.amazon.com".to_string()
    }
}

/// The console home of `region`, in its partition.
pub fn console_home(region: &str) -> String {
    let host = if region.starts_with("cn-") {
        "console.amazonaws.cn"
    } else if region.starts_with("us-gov-") {
        "console.amazonaws-us-gov.com"
    } else {
        "console.aws.amazon.com"
    };
    format!("https://{host}/console/home?region={}", encode(region))
}

/// Percent-encoding of everything but RFC 3986's unreserved characters.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The console sign-in URL for `creds`, landing on `destination`.
pub fn signin_url(creds: &RoleCredentials, region: &str, destination: &str) -> Result<String> {
    let base = signin_base(region);
    let session = serde_json::json!({
        "sessionId": creds.access_key_id,
        "sessionKey": creds.secret_access_key,
        "sessionToken": creds.session_token,
    })
    .to_string();
    let token = signin_token(&base, &session)?;
    Ok(format!(
        "{base}/federation?Action=login&Issuer=dsops&Destination={}&SigninToken={}",
        encode(destination),
        encode(&token)
    ))
}

/// `GET {base}/federation?Action=getSigninToken&Session=...`: the token.
fn signin_token(base: &str, session: &str) -> Result<String> {
    let timeout = crate::http::request_timeout();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(timeout.min(std::time::Duration::from_secs(10))))
        .timeout_global(Some(timeout))
        .user_agent(concat!("dsops/", env!("CARGO_PKG_VERSION")))
        // A redirect is an answer other than 200, never followed (http.rs).
        .max_redirects(0)
        .build()
        .into();
    let url = format!(
        "{base}/federation?Action=getSigninToken&Session={}",
        encode(session)
    );
    let what = format!("the federation endpoint {base}");
    let mut resp = agent
        .get(&url)
        .call()
        .map_err(|e| Error::runtime(format!("getSigninToken: {}", failure(&e, &what, timeout))))?;
    let status = resp.status().as_u16();
    if status != 200 {
        return Err(Error::runtime(format!(
            "getSigninToken: {what} answered HTTP {status}"
        )));
    }
    let mut body = Vec::new();
    resp.body_mut()
        .as_reader()
        .take(MAX_ANSWER_BYTES + 1)
        .read_to_end(&mut body)
        .map_err(|_| {
            Error::runtime(format!(
                "getSigninToken: the answer of {what} could not be read"
            ))
        })?;
    if body.len() as u64 > MAX_ANSWER_BYTES {
        return Err(Error::runtime(format!(
            "getSigninToken: the answer of {what} is too big"
        )));
    }
    serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v.get("SigninToken")?.as_str().map(str::to_string))
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            Error::runtime(format!(
                "getSigninToken: {what} answered without a SigninToken (HTTP {status})"
            ))
        })
}

/// Why a request failed, without its URL (which holds the credentials).
fn failure(e: &ureq::Error, what: &str, timeout: std::time::Duration) -> String {
    match e {
        ureq::Error::Timeout(_) => format!(
            "no answer from {what} within {}s (DSOPS_HTTP_TIMEOUT)",
            timeout.as_secs_f64()
        ),
        ureq::Error::HostNotFound => format!("cannot reach {what}: host not found"),
        ureq::Error::ConnectionFailed => format!("cannot reach {what}: the connection failed"),
        // The kind alone can be "uncategorized error" (a failed name
        // lookup): say what failed, with the system's own words.
        ureq::Error::Io(io) => {
            let text = crate::text::outside_text(&io.to_string(), 200);
            if text.contains("lookup") || text.contains("Name or service") {
                format!(
                    "cannot reach {what}: the host name could not be resolved (no network, or DNS: {text})"
                )
            } else {
                format!("cannot reach {what}: {text}")
            }
        }
        ureq::Error::Tls(_) | ureq::Error::Rustls(_) => {
            format!("cannot reach {what}: the TLS handshake failed")
        }
        _ => format!("the request to {what} failed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_and_encoding() {
        assert_eq!(
            console_home("eu-west-1"),
            "https://console.aws.amazon.com/console/home?region=eu-west-1"
        );
        assert!(console_home("cn-north-1").starts_with("https://console.amazonaws.cn/"));
        assert!(console_home("us-gov-west-1").contains("amazonaws-us-gov.com"));
        assert_eq!(encode("a b/c?d=é"), "a%20b%2Fc%3Fd%3D%C3%A9");
    }
}
