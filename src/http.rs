//! The network path: the smithy `HttpClient` over a blocking ureq agent, and
//! the tokio current-thread runtime the AWS SDK clients run on.
//!
//! Nothing here is built unless a command actually needs the network, so the
//! cached paths (`creds` with cached role credentials, the hook's no-op) never
//! pay for a runtime, TLS setup or SDK configuration. Each request runs on
//! tokio's blocking pool, so concurrent SDK calls (an env set of fifty
//! secrets) really run in parallel even on a current-thread runtime.

use aws_smithy_async::rt::sleep::{SharedAsyncSleep, TokioSleep};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::{Response, StatusCode};
use aws_smithy_types::body::SdkBody;
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
            let joined = tokio::task::spawn_blocking(move || -> Result<_, ureq::Error> {
                let mut resp = agent.run(request)?;
                let status = resp.status().as_u16();
                let headers: Vec<(String, Vec<u8>)> = resp
                    .headers()
                    .iter()
                    .map(|(k, v)| (k.as_str().to_string(), v.as_bytes().to_vec()))
                    .collect();
                let body = resp
                    .body_mut()
                    .with_config()
                    .limit(16 << 20)
                    .read_to_vec()?;
                Ok((status, headers, body))
            })
            .await
            .map_err(|e| ConnectorError::other(Box::new(e), None))?;
            let (status, headers, body) = joined.map_err(classify)?;
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

/// The endpoint override for a service, in the SDK's order: the
/// service-specific variable (`AWS_ENDPOINT_URL_SSO_OIDC`), then
/// `AWS_ENDPOINT_URL`. `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true` turns both off.
pub fn endpoint_override(service_env: &str) -> Option<String> {
    if std::env::var("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
        .is_ok_and(|v| v.eq_ignore_ascii_case("true"))
    {
        return None;
    }
    [
        format!("AWS_ENDPOINT_URL_{service_env}"),
        "AWS_ENDPOINT_URL".to_string(),
    ]
    .iter()
    .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
}

/// One line saying why a call failed: the service's code and message, or
/// what happened on the way (no answer, connection refused). Never a value.
pub fn describe<E, R>(
    e: &aws_smithy_runtime_api::client::result::SdkError<E, R>,
    endpoint: &str,
) -> String
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    use aws_smithy_runtime_api::client::result::SdkError;
    use aws_smithy_types::error::display::DisplayErrorContext;
    let timeout = || {
        format!(
            "no answer from {endpoint} within {}s (DSOPS_HTTP_TIMEOUT)",
            crate::http::request_timeout().as_secs_f64()
        )
    };
    match e {
        SdkError::ServiceError(s) => {
            let err = s.err();
            match (err.code(), err.message()) {
                (Some(c), Some(m)) => format!("{c}: {m}"),
                (Some(c), None) => c.to_string(),
                _ => format!("{endpoint}: {}", DisplayErrorContext(e)),
            }
        }
        SdkError::TimeoutError(_) => timeout(),
        SdkError::DispatchFailure(d) if d.is_timeout() => timeout(),
        SdkError::DispatchFailure(d) if d.is_io() => {
            let cause = match d.as_connector_error() {
                Some(c) => root_cause(c),
                None => DisplayErrorContext(e).to_string(),
            };
            format!("cannot reach {endpoint}: {cause}")
        }
        other => format!("{endpoint}: {}", DisplayErrorContext(other)),
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
