//! `--min-validity DURATION`: before a job starts, make sure what it will use
//! lasts that long, so that it does not die half-way.
//!
//! - Role credentials handed to the job as values (`creds`, `export`, `exec
//!   --env`, `exec --static-credentials`) must have that long left: cached
//!   ones with less are fetched again, and when a fresh fetch still has less
//!   (the permission set's session duration is shorter) the command fails,
//!   saying so and naming the credential endpoint (`dsops exec --store ...`),
//!   which renews them while the job runs.
//! - The SSO token must outlast the job where dsops itself will use it later
//!   (`login`, and `exec` with an endpoint, which fetches role credentials
//!   while the job runs): a token with a refresh token and a client
//!   registration that outlast the job is fine however soon it expires; one
//!   without, that expires sooner, means a sign-in now, or exit status 5
//!   where sign-in is not allowed.
//!
//! This module only checks and asks; the caches and the lock are
//! `sso::role_credentials_fresh` and `sso::access_token`.

use super::cache::{Read, RoleCredentials, Token};
use super::{FRESH_SECS, LoginPolicy, Target};
use crate::awsconfig::SsoSession;
use crate::error::{Error, Exit, Result};
use std::time::Duration;

/// The longest `--min-validity` that means anything: role sessions last at
/// most 12 hours, tokens and registrations up to 90 days.
const MAX: Duration = Duration::from_secs(366 * 86_400);

/// Parse `--min-validity` (`90m`, `3h`, `1h30m`, `45s`): a unit is
/// required, since a bare `2` is as likely meant as hours as seconds.
pub fn parse(text: &str) -> Result<Duration> {
    let has_unit = text.trim().ends_with(|c: char| c.is_ascii_alphabetic());
    has_unit
        .then(|| crate::settings::parse_duration(text, MAX))
        .flatten()
        .ok_or_else(|| {
            Error::usage(format!(
                "--min-validity {text}: expected a duration such as 90m, 3h or 1h30m"
            ))
        })
}

fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

/// `5400` as `1h30m`, for messages.
pub fn human(secs: i64) -> String {
    if secs <= 0 {
        return "nothing".to_string();
    }
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 && h == 0 {
        out.push_str(&format!("{s}s"));
    }
    out
}

/// The `dsops exec` command for the same target as its login hint
/// (`dsops login --store NAME` gives `dsops exec --store NAME -- CMD`).
fn exec_hint(target: &Target) -> String {
    match target.login_hint.split_once(" login ") {
        Some((dsops, selector)) => format!("{dsops} exec {selector} -- CMD"),
        None => "dsops exec --store NAME -- CMD".to_string(),
    }
}

/// Role credentials for `target` with more than `min` left: from the cache
/// when they have, else fetched again; an error when even fresh ones do not.
pub fn role_lasting(
    target: &Target,
    policy: &LoginPolicy,
    min: Duration,
) -> Result<RoleCredentials> {
    let want = secs(min);
    let c = super::role_credentials_fresh(target, policy, FRESH_SECS.max(want))?;
    let left = c.remaining(crate::timefmt::now());
    if left < want {
        return Err(Error::runtime(format!(
            "role credentials for {}/{} last {} when fetched now, less than --min-validity {}: the permission set's session duration is shorter. Run the job with a credential endpoint, which fetches new ones as they run low: {}",
            target.account_id,
            target.role_name,
            human(left),
            human(want),
            exec_hint(target)
        )));
    }
    Ok(c)
}

/// Does this token serve for `want` seconds more: valid that long, or
/// refreshable (a refresh token and a registration valid that long)?
fn token_lasts(t: &Token, want: i64) -> bool {
    let now = crate::timefmt::now();
    let valid = t.remaining(now).is_some_and(|r| r > want);
    let refreshable = t.access_token().is_some()
        && t.refresh_token().is_some()
        && t.registration(now)
            .is_some_and(|r| (r.expires_at - now).whole_seconds() > want);
    valid || refreshable
}

/// Make sure the SSO token of `session` serves for `min` more: sign in now
/// when it does not (or exit 5 where sign-in is not allowed).
pub fn token_lasting(
    session: &SsoSession,
    policy: &LoginPolicy,
    hint: &str,
    min: Duration,
) -> Result<()> {
    let want = secs(min);
    let store = super::tokenstore::TokenStore::of(session, policy)?;
    let cached = match store.read()? {
        Read::Found(t) => Some(t),
        _ => None,
    };
    if let Some(t) = &cached
        && token_lasts(t, want)
    {
        crate::settings::debug(format_args!(
            "the SSO token serves for --min-validity {}",
            human(want)
        ));
        return Ok(());
    }
    let left = cached
        .as_ref()
        .and_then(|t| t.remaining(crate::timefmt::now()))
        .filter(|r| *r > 0);
    if !policy.allowed {
        return Err(Error::new(
            Exit::LoginRequired,
            match left {
                Some(l) => format!(
                    "the SSO token expires in {}, before --min-validity {}, and cannot be refreshed: run '{hint}' first",
                    human(l),
                    human(want)
                ),
                None => format!("sign-in required: run '{hint}'"),
            },
        ));
    }
    if let Some(l) = left
        && !policy.quiet
    {
        eprintln!(
            "dsops: the SSO token expires in {}, before --min-validity {}, and cannot be refreshed: signing in again",
            human(l),
            human(want)
        );
    }
    // Passing the cached token as refused makes access_token sign in (or
    // refresh) instead of reusing it.
    let reject = cached
        .as_ref()
        .and_then(|t| t.access_token())
        .map(str::to_string);
    super::access_token(session, policy, hint, reject.as_deref())?;
    match store.read()? {
        Read::Found(t) if token_lasts(&t, want) => Ok(()),
        Read::Found(t) => Err(Error::runtime(format!(
            "a new sign-in gives a token that lasts {} and cannot be refreshed, less than --min-validity {}: the Identity Center session duration is shorter",
            human(t.remaining(crate::timefmt::now()).unwrap_or_default()),
            human(want)
        ))),
        _ => Err(Error::runtime(format!(
            "the SSO token could not be read back from {}",
            store.describe()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_words() {
        assert_eq!(parse("90m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse("3h").unwrap(), Duration::from_secs(10_800));
        assert_eq!(parse("3x").unwrap_err().kind, Exit::Usage);
        assert_eq!(parse("-1h").unwrap_err().kind, Exit::Usage);
        assert_eq!(human(5400), "1h30m");
        assert_eq!(human(3600), "1h");
        assert_eq!(human(59), "59s");
        assert_eq!(human(3599), "59m59s");
        assert_eq!(human(-3), "nothing");
    }

    #[test]
    fn refreshable_tokens_last() {
        let t = |v: serde_json::Value| Token {
            raw: v.as_object().unwrap().clone(),
        };
        let at =
            |s: i64| crate::timefmt::format(crate::timefmt::now() + time::Duration::seconds(s));
        let short = t(serde_json::json!({"accessToken": "a", "expiresAt": at(600)}));
        assert!(!token_lasts(&short, 3600));
        assert!(token_lasts(&short, 60));
        let refreshable = t(serde_json::json!({"accessToken": "a", "expiresAt": at(600),
            "refreshToken": "r", "clientId": "c", "clientSecret": "s",
            "registrationExpiresAt": at(86_400)}));
        assert!(token_lasts(&refreshable, 3600));
        assert!(
            !token_lasts(&refreshable, 2 * 86_400),
            "the registration ends first"
        );
    }
}
