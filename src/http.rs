//! The network path: the smithy `HttpClient` over a blocking ureq agent, and
//! the tokio current-thread runtime the AWS SDK clients run on.
//!
//! Nothing here is built unless a command actually needs the network, so the
//! cached paths (`creds` with cached role credentials, the hook's no-op) never
//! pay for a runtime, TLS setup or SDK configuration. Each request runs on
//! tokio's blocking pool, so concurrent SDK calls (an env set of fifty
//! secrets) really run in parallel even on a current-thread runtime.
//!
//! Headers stay with their host: no redirect is followed (the AWS SDKs follow
//! none, and a redirect would carry `x-amz-sso_bearer_token` or a signature
//! wherever it points), so a `3xx` is an error naming the host that sent it
//! and where it pointed. No compression is asked for, and a body that comes
//! compressed anyway is an error saying so, not an unreadable answer.

use aws_smithy_async::rt::sleep::{SharedAsyncSleep, TokioSleep};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::{Response, StatusCode};
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use std::time::Duration;

/// Connect timeout and bound of one attempt (`DSOPS_HTTP_TIMEOUT`).
pub fn request_timeout() -> Duration {
    crate::settings::limits().http
}

#[derive(Debug, Clone)]
pub struct UreqHttpClient {
    agent: ureq::Agent,
}

impl UreqHttpClient {
    pub fn new() -> Self {
        let timeout = request_timeout();
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(timeout.min(Duration::from_secs(10))))
            .timeout_global(Some(timeout))
            .user_agent(concat!("dsops/", env!("CARGO_PKG_VERSION")))
            .max_idle_connections_per_host(64)
            // Follow nothing: see the module doc.
            .max_redirects(0)
            .build();
        UreqHttpClient {
            agent: config.into(),
        }
    }
}

impl HttpClient for UreqHttpClient {
    fn http_connector(
        &self,
        _settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        // One agent (and its connection pool) for every operation: timeouts are
        // dsops's own bound, set once above.
        SharedHttpConnector::new(UreqConnector {
            agent: self.agent.clone(),
        })
    }
}

#[derive(Debug, Clone)]
struct UreqConnector {
    agent: ureq::Agent,
}

impl HttpConnector for UreqConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let agent = self.agent.clone();
        HttpConnectorFuture::new(async move {
            let request = to_ureq(request)?;
            let host = request
                .uri()
                .authority()
                .map_or_else(String::new, |a| a.to_string());
            let joined = tokio::task::spawn_blocking(move || -> Result<_, ConnectorError> {
                let mut resp = agent.run(request).map_err(classify)?;
                let status = resp.status().as_u16();
                refuse_unexpected(&host, status, resp.headers())?;
                let headers: Vec<(String, Vec<u8>)> = resp
                    .headers()
                    .iter()
                    .map(|(k, v)| (k.as_str().to_string(), v.as_bytes().to_vec()))
                    .collect();
                let body = resp
                    .body_mut()
                    .with_config()
                    .limit(16 << 20)
                    .read_to_vec()
                    .map_err(classify)?;
                Ok((status, headers, body))
            })
            .await
            .map_err(|e| ConnectorError::other(Box::new(e), None))?;
            let (status, headers, body) = joined?;
            let status = StatusCode::try_from(status)
                .map_err(|e| ConnectorError::other(Box::new(e), None))?;
            let mut resp = Response::new(status, SdkBody::from(body));
            for (k, v) in headers {
                if let Ok(v) = String::from_utf8(v) {
                    resp.headers_mut().append(k, v);
                }
            }
            Ok(resp)
        })
    }
}

fn to_ureq(request: HttpRequest) -> Result<ureq::http::Request<Vec<u8>>, ConnectorError> {
    let body = request
        .body()
        .bytes()
        .map(<[u8]>::to_vec)
        .unwrap_or_default();
    let mut builder = ureq::http::Request::builder()
        .method(request.method())
        .uri(request.uri());
    for (k, v) in request.headers().iter() {
        builder = builder.header(k, v);
    }
    builder
        .body(body)
        .map_err(|e| ConnectorError::user(Box::new(e)))
}

/// An answer dsops will not pass on, said in one line that names the host
/// (see the module doc).
#[derive(Debug)]
pub struct Unexpected(String);

impl std::fmt::Display for Unexpected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Unexpected {}

/// A redirect, or a body in an encoding that was not asked for.
fn refuse_unexpected(
    host: &str,
    status: u16,
    headers: &ureq::http::HeaderMap,
) -> Result<(), ConnectorError> {
    let header = |name: &str| {
        headers
            .get(name)
            .map(|v| crate::text::outside_text(&String::from_utf8_lossy(v.as_bytes()), 200))
    };
    let why = if (300..400).contains(&status) {
        let to = header("location")
            .map(|l| format!(" to {}", redirect_target(&l)))
            .unwrap_or_default();
        format!(
            "{host} answered with a redirect (HTTP {status}){to}; dsops follows no redirects from AWS endpoints, so no token or signature goes anywhere else (check the endpoint URL)"
        )
    } else if let Some(enc) = header("content-encoding").filter(|e| {
        let e = e.trim();
        !e.is_empty() && !e.eq_ignore_ascii_case("identity")
    }) {
        format!(
            "{host} sent a compressed body (Content-Encoding: {enc}) that dsops cannot decompress (it asks for none)"
        )
    } else {
        return Ok(());
    };
    Err(ConnectorError::other(Box::new(Unexpected(why)), None))
}

/// Where a redirect points, for a message: its scheme and host only (a query
/// could carry anything).
fn redirect_target(location: &str) -> String {
    match location.parse::<ureq::http::Uri>() {
        Ok(u) => match (u.scheme_str(), u.authority()) {
            (Some(s), Some(a)) => format!("{s}://{a}"),
            _ => "a path on the same host".to_string(),
        },
        Err(_) => "an unreadable location".to_string(),
    }
}

fn classify(e: ureq::Error) -> ConnectorError {
    match e {
        ureq::Error::Timeout(_) => ConnectorError::timeout(Box::new(e)),
        ureq::Error::Io(_) | ureq::Error::ConnectionFailed | ureq::Error::HostNotFound => {
            ConnectorError::io(Box::new(e))
        }
        other => ConnectorError::other(Box::new(other), None),
    }
}

pub fn http_client() -> SharedHttpClient {
    SharedHttpClient::new(UreqHttpClient::new())
}

pub fn sleep_impl() -> SharedAsyncSleep {
    SharedAsyncSleep::new(TokioSleep::new())
}

/// A current-thread runtime for one network operation.
pub fn runtime() -> crate::error::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .map_err(|e| crate::error::Error::runtime(format!("cannot start the network runtime: {e}")))
}

/// The endpoint override for a service (see `settings::endpoint_override`).
pub fn endpoint_override(service_env: &str) -> Option<String> {
    crate::settings::endpoint_override(service_env)
}

/// One line saying why a call failed: the HTTP status, the service's error
/// code and its message (one line, control characters removed, bounded),
/// or what happened on the way (no answer, connection refused). The body of
/// a response is never formatted into it: an answer that could not be read
/// (a truncated or malformed body, which may well hold a secret: a
/// `SecretString`, a role's `secretAccessKey`) is reported by its status
/// alone.
pub fn describe<E>(e: &SdkError<E, HttpResponse>, endpoint: &str) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let timeout = || {
        let t = request_timeout();
        format!(
            "no answer from {endpoint}: each attempt waits up to {}s, up to {} attempts (DSOPS_HTTP_TIMEOUT, AWS_MAX_ATTEMPTS)",
            t.as_secs_f64(),
            crate::settings::limits().max_attempts
        )
    };
    match e {
        SdkError::ServiceError(s) => {
            let status = s.raw().status().as_u16();
            let err = s.err();
            let code = err.code().map(|c| crate::text::outside_text(c, 80));
            let msg = err
                .message()
                .map(|m| crate::text::outside_text(m, 300))
                .filter(|m| !m.is_empty());
            match (code, msg) {
                (Some(c), Some(m)) => format!("{c}: {m} (HTTP {status} from {endpoint})"),
                (Some(c), None) => format!("{c} (HTTP {status} from {endpoint})"),
                (None, Some(m)) => format!("HTTP {status} from {endpoint}: {m}"),
                (None, None) => format!("HTTP {status} from {endpoint}, with no error code"),
            }
        }
        SdkError::ResponseError(r) => format!(
            "the answer from {endpoint} could not be read (HTTP {}, not the format expected)",
            r.raw().status().as_u16()
        ),
        SdkError::TimeoutError(_) => timeout(),
        SdkError::DispatchFailure(d) if d.is_timeout() => timeout(),
        SdkError::DispatchFailure(d) => match unexpected(d.as_connector_error()) {
            Some(why) => why,
            None => {
                let cause = d
                    .as_connector_error()
                    .map(|c| crate::text::outside_text(&root_cause(c), 200))
                    .unwrap_or_else(|| "the connection failed".to_string());
                format!("cannot reach {endpoint}: {cause}")
            }
        },
        SdkError::ConstructionFailure(_) => {
            format!("the request to {endpoint} could not be built")
        }
        _ => format!("the request to {endpoint} failed"),
    }
}

/// The message of an [`Unexpected`] answer somewhere in an error chain.
fn unexpected(e: Option<&ConnectorError>) -> Option<String> {
    let mut cur: &(dyn std::error::Error + 'static) = e?;
    loop {
        if let Some(u) = cur.downcast_ref::<Unexpected>() {
            return Some(u.0.clone());
        }
        cur = cur.source()?;
    }
}

/// The innermost cause of an error chain ("Connection refused (os error
/// 111)"), which is what a person needs; the layers above it only say
/// "dispatch failure" and "io error".
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}
