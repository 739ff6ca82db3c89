//! IAM Identity Center: from a target (an account and role reached through a
//! session) to role credentials, through the caches shared with the AWS
//! CLI, under locks so that parallel callers make one sign-in and one
//! GetRoleCredentials per account and role. Which target a dsops store names
//! is the aws.sso store type's business (`stores/sso.rs`); a profile's is
//! here (`Target::from_profile`).
//!
//! Lock order is always role entry, then session: a process never waits for a
//! role lock while holding a session lock, so there is no deadlock.

pub mod cache;
pub mod callback;
pub mod client;
pub mod cooldown;
pub mod keyring;
pub mod list;
pub mod login;
pub mod pkce;
pub mod populate;
pub mod tokenstore;
pub mod validity;

use crate::awsconfig::{AwsConfig, Section, SsoProfile, SsoSession};
use crate::error::{Error, Exit, Result};
use crate::fsutil;
use cache::{Read, RoleCredentials, Token};
use tokenstore::{RoleStore, TokenStore};

/// Reuse tokens and role credentials while more than this many seconds remain.
const FRESH_SECS: i64 = 15 * 60;
/// Under this, a token must be refreshed (or a new sign-in made) before use.
const MUST_REFRESH_SECS: i64 = 10 * 60;

/// One account and role reached through one Identity Center session.
#[derive(Debug, Clone)]
pub struct Target {
    pub session: SsoSession,
    pub account_id: String,
    pub role_name: String,
    /// API region for calls made with the credentials.
    pub region: Option<String>,
    /// How to sign in again, for messages: `dsops login --store NAME`.
    pub login_hint: String,
    /// The store asks for the device code flow (`use_device_code: true`).
    pub device_code: bool,
}

impl Target {
    pub fn from_profile(aws: &AwsConfig, name: &str) -> Result<Target> {
        Ok(Target::of_profile(name, aws.sso_profile(name)?))
    }

    /// [`Target::from_profile`] for a profile whose keys are already read.
    pub fn from_profile_keys(aws: &AwsConfig, name: &str, keys: &Section) -> Result<Target> {
        Ok(Target::of_profile(name, aws.sso_profile_of(name, keys)?))
    }

    fn of_profile(name: &str, p: SsoProfile) -> Target {
        Target {
            session: p.session,
            account_id: p.account_id,
            role_name: p.role_name,
            region: p.region,
            login_hint: crate::settings::dsops_command(&["login", "--profile", name]),
            device_code: false,
        }
    }
}

impl Target {
    /// The policy with this target's own preference applied.
    pub fn policy(&self, policy: &LoginPolicy) -> LoginPolicy {
        let mut p = policy.clone();
        p.use_device_code |= self.device_code;
        p
    }
}

/// May this process sign in, and how.
#[derive(Debug, Clone, Default)]
pub struct LoginPolicy {
    pub allowed: bool,
    pub no_browser: bool,
    pub use_device_code: bool,
    /// Say nothing about waiting for another process's lock (the hook).
    pub quiet: bool,
    /// Asked for by hand (`dsops login`): sign in whatever happened to the
    /// last sign-in (no cool-down, see [`cooldown`]).
    pub explicit: bool,
}

impl LoginPolicy {
    /// The hook's: never sign in (a person may not be there), open
    /// nothing, say nothing about other processes' locks.
    pub fn for_hook() -> LoginPolicy {
        LoginPolicy {
            allowed: false,
            no_browser: true,
            use_device_code: false,
            quiet: true,
            explicit: false,
        }
    }

    /// From flags and the environment: `--no-login`, `DSOPS_NO_LOGIN=1` and
    /// `CI=true` forbid sign-in; `--no-browser` or
    /// `AWS_SSO_DISABLE_BROWSER=true` only print the URL.
    pub fn from_env(
        no_login_flag: bool,
        no_browser_flag: bool,
        use_device_code: bool,
    ) -> LoginPolicy {
        use crate::settings;
        LoginPolicy {
            allowed: !(no_login_flag || settings::no_login()),
            no_browser: no_browser_flag || settings::no_browser(),
            use_device_code: use_device_code || settings::use_device_code(),
            quiet: false,
            explicit: false,
        }
    }
}

/// `sso-session 'NAME' (START_URL)`, or the start URL of a legacy profile.
pub fn session_desc(s: &SsoSession) -> String {
    match &s.name {
        Some(n) => format!("sso-session '{n}' ({})", s.start_url),
        None => s.start_url.clone(),
    }
}

pub use crate::loopback::deadline_after;

/// When this process first asked for a token or role credentials (ms since
/// the epoch). A sign-in that failed after that ran while we waited for it.
fn started_ms() -> u64 {
    static STARTED: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *STARTED.get_or_init(cooldown::now_ms)
}

/// stdin and stderr are terminals: a person is there to sign in.
fn interactive() -> bool {
    use std::io::IsTerminal;
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// A valid access token for `session`: from the cache, refreshed, or from a
/// new sign-in. `reject` is a token the portal refused: a cached token equal to
/// it is not reused.
pub fn access_token(
    session: &SsoSession,
    policy: &LoginPolicy,
    hint: &str,
    reject: Option<&str>,
) -> Result<String> {
    let started = started_ms();
    let store = TokenStore::of(session, policy)?;
    let path = store.path().to_path_buf();
    let usable = |t: &Token, min: i64| {
        t.remaining(crate::timefmt::now()).is_some_and(|r| r > min) && t.access_token() != reject
    };
    if let Read::Found(t) = store.read()?
        && usable(&t, FRESH_SECS)
    {
        return Ok(t.access_token().unwrap_or_default().to_string());
    }
    let _guard = fsutil::lock(
        &cache::lock_path(&path),
        if policy.quiet {
            ""
        } else {
            "waiting for the SSO sign-in in another dsops process"
        },
        crate::settings::limits().lock,
    )?;
    // Another process may have signed in or refreshed while we waited.
    let (mut token, corrupt) = match store.read()? {
        Read::Found(t) => (t, None),
        Read::Missing => (Token::default(), None),
        Read::Corrupt(why) => (Token::default(), Some(why)),
    };
    if usable(&token, FRESH_SECS) {
        return Ok(token.access_token().unwrap_or_default().to_string());
    }
    let now = crate::timefmt::now();
    if let (Some(refresh), Some(reg)) = (
        token.refresh_token().map(str::to_string),
        token.registration(now),
    ) {
        let oidc = client::Oidc::new(&session.region);
        match oidc.create_token(&reg, client::Grant::Refresh(&refresh)) {
            Ok(new) => {
                apply_token(&mut token, session, &new, None);
                store.write(&token)?;
                cooldown::clear(&path);
                return Ok(new.access_token);
            }
            Err(e) => {
                // The AWS CLI and the SDKs refresh (and rotate the refresh
                // token) without our lock: a refusal may only mean that one
                // of them got there first. Its token is as good as ours.
                if let Read::Found(theirs) = store.read()? {
                    if usable(&theirs, MUST_REFRESH_SECS) {
                        crate::settings::debug(
                            "the refresh failed, but another program has cached a new token meanwhile; using it",
                        );
                        return Ok(theirs.access_token().unwrap_or_default().to_string());
                    }
                    token = theirs;
                }
                match e {
                    client::TokenError::Other(e)
                        if !usable(&token, MUST_REFRESH_SECS) && !policy.allowed =>
                    {
                        return Err(e.context("refreshing the SSO token"));
                    }
                    // Refused or failed: a token with over 10 minutes left is
                    // still good to use; otherwise sign in again below.
                    _ => {}
                }
            }
        }
    }
    if usable(&token, MUST_REFRESH_SECS) {
        return Ok(token.access_token().unwrap_or_default().to_string());
    }
    if !policy.allowed {
        let why = corrupt
            .map(|c| format!(" (the cached token is unreadable: {c})"))
            .unwrap_or_default();
        return Err(Error::new(
            Exit::LoginRequired,
            format!(
                "sign-in required for {}{why}: run '{hint}'",
                session_desc(session)
            ),
        ));
    }
    if !policy.explicit {
        hold_off(session, &path, hint, started)?;
    }
    match login::sign_in(session, &token, policy) {
        Ok(new) => {
            apply_token(&mut token, session, &new.token, Some(&new.registration));
            store.write(&token)?;
            cooldown::clear(&path);
            Ok(new.token.access_token)
        }
        Err(e) => {
            // Denied, abandoned, timed out: spare the callers waiting on the
            // lock (and, for a while, new ones) another browser tab each.
            if e.kind == Exit::LoginFailed {
                cooldown::write(&path, &e.message);
            }
            Err(e)
        }
    }
}

/// Sign in to `session` whatever token is cached (`dsops login --force`),
/// under the session's lock, and cache the new token.
pub fn sign_in_again(session: &SsoSession, policy: &LoginPolicy) -> Result<String> {
    let store = TokenStore::of(session, policy)?;
    let path = store.path().to_path_buf();
    let _guard = fsutil::lock(
        &cache::lock_path(&path),
        "waiting for the SSO sign-in in another dsops process",
        crate::settings::limits().lock,
    )?;
    let mut token = match store.read()? {
        Read::Found(t) => t,
        _ => Token::default(),
    };
    let new = login::sign_in(session, &token, policy)?;
    apply_token(&mut token, session, &new.token, Some(&new.registration));
    store.write(&token)?;
    cooldown::clear(&path);
    Ok(new.token.access_token)
}

/// Refuse to start a sign-in right after one failed (see [`cooldown`]): when
/// it failed after this process started (we waited for it on the lock), or,
/// for a caller nobody sits at, within `DSOPS_LOGIN_COOLDOWN`.
fn hold_off(session: &SsoSession, path: &std::path::Path, hint: &str, started: u64) -> Result<()> {
    let Some(note) = cooldown::read(path) else {
        return Ok(());
    };
    let reason = if note.reason.is_empty() {
        String::new()
    } else {
        format!(" ({})", note.reason)
    };
    if note.at_ms >= started {
        return Err(client::login_failed(format!(
            "the sign-in for {} that another caller started did not complete{reason}; run '{hint}'",
            session_desc(session)
        )));
    }
    let age = note.age(cooldown::now_ms());
    if age < crate::settings::limits().login_cooldown && !interactive() {
        return Err(client::login_failed(format!(
            "the last sign-in for {} failed {}s ago{reason}; run '{hint}' (DSOPS_LOGIN_COOLDOWN)",
            session_desc(session),
            age.as_secs()
        )));
    }
    Ok(())
}

/// Put a new token (and registration) into a token file's fields, keeping
/// unknown fields and the old refresh token when none came back.
fn apply_token(
    t: &mut Token,
    s: &SsoSession,
    new: &client::NewToken,
    reg: Option<&cache::Registration>,
) {
    t.set("startUrl", s.start_url.clone());
    t.set("region", s.region.clone());
    t.set("accessToken", new.access_token.clone());
    t.set("expiresAt", crate::timefmt::format(new.expires_at));
    if let Some(r) = &new.refresh_token {
        t.set("refreshToken", r.clone());
    } else if reg.is_some() {
        // A fresh sign-in without a refresh token: an old one belongs to
        // another sign-in and must not be kept.
        t.raw.remove("refreshToken");
    }
    if let Some(reg) = reg {
        t.set("clientId", reg.client_id.clone());
        t.set("clientSecret", reg.client_secret.clone());
        t.set(
            "registrationExpiresAt",
            crate::timefmt::format(reg.expires_at),
        );
        t.set(cache::GRANT_TYPES_FIELD, reg.grant_types.clone());
    }
}

/// Role credentials for `target`, from the shared cache or from the portal.
pub fn role_credentials(target: &Target, policy: &LoginPolicy) -> Result<RoleCredentials> {
    role_credentials_fresh(target, policy, FRESH_SECS)
}

/// [`role_credentials`], reusing cached ones only while more than
/// `fresh_secs` seconds remain (`--min-validity` asks for more than the usual
/// 15 minutes; the credential endpoint, for short-lived ones, less).
pub fn role_credentials_fresh(
    target: &Target,
    policy: &LoginPolicy,
    fresh_secs: i64,
) -> Result<RoleCredentials> {
    started_ms();
    let fresh = |c: &RoleCredentials| c.remaining(crate::timefmt::now()) > fresh_secs;
    // The warm path: the AWS CLI's role cache file, read before anything
    // decides where role credentials are kept (which reads the user
    // config). With `role_credentials: keyring` dsops writes no such file,
    // but one another tool cached for the same role serves as well.
    if let Read::Found(c) = cache::read_role(&cache::role_path(
        &target.session,
        &target.account_id,
        &target.role_name,
    )) && fresh(&c)
    {
        return Ok(c);
    }
    let policy = &target.policy(policy);
    let roles = RoleStore::of(
        &target.session,
        &target.account_id,
        &target.role_name,
        policy,
    )?;
    let path = roles.path().to_path_buf();
    if let Read::Found(c) = roles.read()?
        && fresh(&c)
    {
        return Ok(c);
    }
    let what = format!("{}/{}", target.account_id, target.role_name);
    let _guard = fsutil::lock(
        &cache::lock_path(&path),
        &if policy.quiet {
            String::new()
        } else {
            format!("waiting for another dsops process fetching role credentials for {what}")
        },
        crate::settings::limits().lock,
    )?;
    if let Read::Found(c) = roles.read()?
        && fresh(&c)
    {
        return Ok(c);
    }
    let portal = client::Portal::new(&target.session.region);
    let mut token = access_token(&target.session, policy, &target.login_hint, None)?;
    for attempt in 0..2 {
        match portal.get_role_credentials(&token, &target.account_id, &target.role_name) {
            Ok(c) => {
                roles.write(&c)?;
                return Ok(c);
            }
            // The portal refused a token the cache thought valid (revoked,
            // signed out elsewhere): get a new one once.
            Err(client::RoleError::Unauthorized) if attempt == 0 => {
                token = access_token(&target.session, policy, &target.login_hint, Some(&token))?;
            }
            Err(client::RoleError::Unauthorized) => {
                return Err(Error::runtime(format!(
                    "GetRoleCredentials for {what}: the SSO token was refused"
                )));
            }
            Err(client::RoleError::Other(e)) => return Err(e),
        }
    }
    unreachable!("the loop returns on its second attempt")
}
