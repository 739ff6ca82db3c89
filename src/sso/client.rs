//! Identity Center API calls through `aws-sdk-ssooidc` and `aws-sdk-sso`, on
//! the ureq transport. Every function is blocking: it builds a current-thread
//! runtime only for the call, so nothing network-related exists on the cached
//! paths.
//!
//! Errors carry the service's error code and message, never a token.

use crate::error::{Error, Exit, Result};
use crate::http::describe;
use crate::sso::cache::{Registration, RoleCredentials};
use crate::timefmt;
use std::time::Duration;
use time::OffsetDateTime;

/// Build an SDK config on dsops's transport, for `$krate` (a service crate),
/// with the endpoint override named by `$env` (`SSO_OIDC`, `SSO`, ...).
#[macro_export]
macro_rules! sdk_config {
    ($krate:ident, $region:expr, $env:expr) => {{
        use $krate::config::{BehaviorVersion, Region, retry::RetryConfig, timeout::TimeoutConfig};
        let mut b = $krate::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new($region.to_string()))
            .http_client($crate::http::http_client())
            .sleep_impl($crate::http::sleep_impl())
            .retry_config(
                RetryConfig::standard().with_max_attempts($crate::settings::limits().max_attempts),
            )
            .timeout_config(
                TimeoutConfig::builder()
                    .operation_timeout($crate::http::request_timeout() * 3)
                    .operation_attempt_timeout($crate::http::request_timeout())
                    .build(),
            );
        if let Some(url) = $crate::http::endpoint_override($env) {
            b = b.endpoint_url(url);
        }
        b
    }};
}

/// The sso-oidc endpoint: the override the SDK honours, else the regional one.
pub fn oidc_endpoint(region: &str) -> String {
    crate::http::endpoint_override("SSO_OIDC")
        .map(|u| u.trim_end_matches('/').to_string())
        .unwrap_or_else(|| format!("https://oidc.{region}.amazonaws.com"))
}

/// The portal endpoint, likewise.
pub fn portal_endpoint(region: &str) -> String {
    crate::http::endpoint_override("SSO")
        .map(|u| u.trim_end_matches('/').to_string())
        .unwrap_or_else(|| format!("https://portal.sso.{region}.amazonaws.com"))
}

fn block_on<F: std::future::Future>(f: F) -> Result<F::Output> {
    Ok(crate::http::runtime()?.block_on(f))
}

pub struct Oidc {
    client: aws_sdk_ssooidc::Client,
    /// For messages: where the calls go.
    endpoint: String,
}

/// Device authorization, as returned by StartDeviceAuthorization.
pub struct DeviceAuth {
    pub device_code: String,
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: Option<String>,
    pub expires_in: Duration,
    pub interval: Duration,
}

/// A new access token.
pub struct NewToken {
    pub access_token: String,
    pub expires_at: OffsetDateTime,
    pub refresh_token: Option<String>,
}

/// Why CreateToken did not give a token.
pub enum TokenError {
    Pending,
    SlowDown,
    /// The refresh token or authorization code is not accepted.
    InvalidGrant(String),
    /// The device code or its sign-in expired.
    Expired(String),
    Denied(String),
    /// The client registration is unknown or expired.
    InvalidClient(String),
    Other(Error),
}

impl Oidc {
    pub fn new(region: &str) -> Oidc {
        let conf = sdk_config!(aws_sdk_ssooidc, region, "SSO_OIDC").build();
        Oidc {
            client: aws_sdk_ssooidc::Client::from_conf(conf),
            endpoint: oidc_endpoint(region),
        }
    }

    pub fn register(
        &self,
        scopes: &[String],
        grant_types: &[&str],
        redirect_uri: Option<&str>,
        issuer_url: Option<&str>,
    ) -> Result<Registration> {
        let mut req = self
            .client
            .register_client()
            .client_name(format!("dsops-{}", timefmt::now().unix_timestamp()))
            .client_type("public");
        if !scopes.is_empty() {
            req = req.set_scopes(Some(scopes.to_vec()));
        }
        if !grant_types.is_empty() {
            req = req.set_grant_types(Some(grant_types.iter().map(|s| s.to_string()).collect()));
        }
        if let Some(r) = redirect_uri {
            req = req.redirect_uris(r);
        }
        if let Some(i) = issuer_url {
            req = req.issuer_url(i);
        }
        let out = block_on(req.send())?.map_err(|e| {
            Error::runtime(format!(
                "RegisterClient failed: {}",
                describe(&e, &self.endpoint)
            ))
        })?;
        let expires = OffsetDateTime::from_unix_timestamp(out.client_secret_expires_at())
            .map_err(|_| Error::runtime("RegisterClient returned a bad clientSecretExpiresAt"))?;
        Ok(Registration {
            client_id: required("RegisterClient", "clientId", out.client_id())?,
            client_secret: required("RegisterClient", "clientSecret", out.client_secret())?,
            expires_at: expires,
            grant_types: grant_types.iter().map(|s| s.to_string()).collect(),
        })
    }

    pub fn start_device_authorization(
        &self,
        reg: &Registration,
        start_url: &str,
    ) -> Result<DeviceAuth> {
        let out = block_on(
            self.client
                .start_device_authorization()
                .client_id(&reg.client_id)
                .client_secret(&reg.client_secret)
                .start_url(start_url)
                .send(),
        )?
        .map_err(|e| {
            Error::runtime(format!(
                "StartDeviceAuthorization failed: {}",
                describe(&e, &self.endpoint)
            ))
        })?;
        let op = "StartDeviceAuthorization";
        Ok(DeviceAuth {
            device_code: required(op, "deviceCode", out.device_code())?,
            user_code: required(op, "userCode", out.user_code())?,
            verification_uri: required(op, "verificationUri", out.verification_uri())?,
            verification_uri_complete: out
                .verification_uri_complete()
                .filter(|s| !s.is_empty())
                .map(str::to_string),
            // i32 seconds: never negative, at most 68 years; callers bound
            // their waits by DSOPS_LOGIN_TIMEOUT.
            expires_in: Duration::from_secs(u64::try_from(out.expires_in()).unwrap_or(0)),
            interval: Duration::from_secs(u64::try_from(out.interval()).unwrap_or(0)),
        })
    }

    /// CreateToken with one grant. `grant` is `(grant_type, [(field, value)])`.
    pub fn create_token(
        &self,
        reg: &Registration,
        grant: Grant<'_>,
    ) -> std::result::Result<NewToken, TokenError> {
        use aws_sdk_ssooidc::operation::create_token::CreateTokenError as E;
        let mut req = self
            .client
            .create_token()
            .client_id(&reg.client_id)
            .client_secret(&reg.client_secret);
        req = match grant {
            Grant::DeviceCode(code) => req
                .grant_type("urn:ietf:params:oauth:grant-type:device_code")
                .device_code(code),
            Grant::Refresh(token) => req.grant_type("refresh_token").refresh_token(token),
            Grant::AuthorizationCode {
                code,
                verifier,
                redirect_uri,
            } => req
                .grant_type("authorization_code")
                .code(code)
                .code_verifier(verifier)
                .redirect_uri(redirect_uri),
        };
        let result = block_on(req.send()).map_err(TokenError::Other)?;
        match result {
            Ok(out) => {
                let access_token = required("CreateToken", "accessToken", out.access_token())
                    .map_err(TokenError::Other)?;
                let expires_at = (out.expires_in() > 0)
                    .then(|| {
                        timefmt::now()
                            .checked_add(time::Duration::seconds(i64::from(out.expires_in())))
                    })
                    .flatten()
                    .ok_or_else(|| {
                        TokenError::Other(Error::runtime("CreateToken returned a bad expiresIn"))
                    })?;
                Ok(NewToken {
                    access_token,
                    expires_at,
                    refresh_token: out
                        .refresh_token()
                        .filter(|s| !s.is_empty())
                        .map(str::to_string),
                })
            }
            Err(e) => {
                let text = describe(&e, &self.endpoint);
                Err(match e.into_service_error() {
                    E::AuthorizationPendingException(_) => TokenError::Pending,
                    E::SlowDownException(_) => TokenError::SlowDown,
                    E::InvalidGrantException(_) => TokenError::InvalidGrant(text),
                    E::ExpiredTokenException(_) => TokenError::Expired(text),
                    E::AccessDeniedException(_) => TokenError::Denied(text),
                    E::InvalidClientException(_) | E::UnauthorizedClientException(_) => {
                        TokenError::InvalidClient(text)
                    }
                    _ => TokenError::Other(Error::runtime(format!("CreateToken failed: {text}"))),
                })
            }
        }
    }
}

pub enum Grant<'a> {
    DeviceCode(&'a str),
    Refresh(&'a str),
    AuthorizationCode {
        code: &'a str,
        verifier: &'a str,
        redirect_uri: &'a str,
    },
}

/// Why GetRoleCredentials failed.
pub enum RoleError {
    /// The access token is not accepted (expired or revoked server side).
    Unauthorized,
    Other(Error),
}

pub struct Portal {
    client: aws_sdk_sso::Client,
    endpoint: String,
}

impl Portal {
    pub fn new(region: &str) -> Portal {
        let conf = sdk_config!(aws_sdk_sso, region, "SSO").build();
        Portal {
            client: aws_sdk_sso::Client::from_conf(conf),
            endpoint: portal_endpoint(region),
        }
    }

    pub fn get_role_credentials(
        &self,
        access_token: &str,
        account_id: &str,
        role_name: &str,
    ) -> std::result::Result<RoleCredentials, RoleError> {
        use aws_sdk_sso::operation::get_role_credentials::GetRoleCredentialsError as E;
        let fut = self
            .client
            .get_role_credentials()
            .access_token(access_token)
            .account_id(account_id)
            .role_name(role_name)
            .send();
        let out = match block_on(fut).map_err(RoleError::Other)? {
            Ok(o) => o,
            Err(e) => {
                let text = describe(&e, &self.endpoint);
                return Err(match e.into_service_error() {
                    E::UnauthorizedException(_) => RoleError::Unauthorized,
                    E::ResourceNotFoundException(_) => RoleError::Other(Error::runtime(format!(
                        "no role {role_name} in account {account_id} for this sign-in ({text})"
                    ))),
                    _ => RoleError::Other(Error::runtime(format!(
                        "GetRoleCredentials failed: {text}"
                    ))),
                });
            }
        };
        let rc = out.role_credentials().ok_or_else(|| {
            RoleError::Other(Error::runtime("GetRoleCredentials returned no credentials"))
        })?;
        // The portal's `expiration` is epoch *milliseconds*.
        let expiration = timefmt::from_millis(rc.expiration()).ok_or_else(|| {
            RoleError::Other(Error::runtime(
                "GetRoleCredentials returned a bad expiration",
            ))
        })?;
        if expiration <= timefmt::now() {
            return Err(RoleError::Other(Error::runtime(
                "GetRoleCredentials returned an expiration in the past (or none)",
            )));
        }
        let op = "GetRoleCredentials";
        let field = |name, v| required(op, name, v).map_err(RoleError::Other);
        Ok(RoleCredentials {
            access_key_id: field("accessKeyId", rc.access_key_id())?,
            secret_access_key: field("secretAccessKey", rc.secret_access_key())?,
            session_token: field("sessionToken", rc.session_token())?,
            expiration,
            account_id: account_id.to_string(),
        })
    }

    pub fn logout(&self, access_token: &str) -> Result<()> {
        block_on(self.client.logout().access_token(access_token).send())?
            .map(|_| ())
            .map_err(|e| Error::runtime(format!("Logout failed: {}", describe(&e, &self.endpoint))))
    }
}

/// A field an answer must carry, not empty; else an error naming the
/// operation and the field (never a value).
fn required(op: &str, field: &str, value: Option<&str>) -> Result<String> {
    match value {
        Some(v) if !v.is_empty() => Ok(v.to_string()),
        Some(_) => Err(Error::runtime(format!("{op} returned an empty {field}"))),
        None => Err(Error::runtime(format!("{op} returned no {field}"))),
    }
}

/// A sign-in failure with the exit status that says so.
pub fn login_failed(msg: impl Into<String>) -> Error {
    Error::new(Exit::LoginFailed, msg)
}
