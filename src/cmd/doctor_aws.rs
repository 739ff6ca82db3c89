//! `dsops doctor`, the AWS config part: every `[sso-session]` and SSO
//! profile (required keys, then the token's state and expiry and whether it
//! refreshes), and role chains (`source_profile` that resolves). For someone
//! set up only with `aws configure sso` this is the whole report.
//!
//! A section that does not parse is one failed line naming the file and
//! line; the other sections are still read (lookups parse only their own
//! sections). Sign-in: offered on a terminal for a token that has expired and
//! cannot refresh, done without asking with `--login`; never under `CI=true`
//! or `DSOPS_NO_LOGIN=1`. This module never prints a token.

use super::Report;
use crate::awsconfig::{AwsConfig, SsoSession, profile_place};
use crate::sso::tokenstore::TokenStore;
use crate::sso::{self, LoginPolicy, cache};
use std::io::IsTerminal;

/// How `doctor` may sign in to a session whose token has expired.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum SignIn {
    /// Report only (no terminal, `CI=true`, `DSOPS_NO_LOGIN=1`).
    Never,
    /// Ask on the terminal first.
    Ask,
    /// `--login`: sign in without asking.
    Yes,
}

impl SignIn {
    pub fn from(login_flag: bool) -> SignIn {
        let policy = LoginPolicy::from_env(false, false, false);
        let terminal = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
        match (policy.allowed, login_flag, terminal) {
            (false, _, _) => SignIn::Never,
            (true, true, _) => SignIn::Yes,
            (true, false, true) => SignIn::Ask,
            (true, false, false) => SignIn::Never,
        }
    }
}

/// The longest chain of `source_profile`s followed.
const MAX_CHAIN: usize = 16;

/// Check the AWS config's sessions, SSO profiles and role chains. `known`
/// is a problem already reported (the whole-file check's first one), not
/// repeated for the section it is in.
pub fn check(aws: &AwsConfig, known: Option<&str>, sign_in: SignIn, r: &mut Report) {
    let fail = |r: &mut Report, e: crate::error::Error| {
        if known != Some(e.message.as_str()) {
            r.fail(format_args!("AWS config: {e}"));
        }
    };
    // Sessions checked (by token file), so that one is reported once.
    let mut seen: Vec<std::path::PathBuf> = vec![];
    for name in aws.sso_session_names() {
        match aws.sso_session(&name) {
            Ok(s) => {
                seen.push(cache::token_path(&s));
                let hint = format!("dsops login --sso-session {name}");
                token(&s, &hint, sign_in, r);
            }
            Err(e) => fail(r, e),
        }
    }
    for name in aws.profile_names() {
        let keys = match aws.profile(&name) {
            Ok(Some(k)) => k,
            Ok(None) => continue,
            Err(e) => {
                fail(r, e);
                continue;
            }
        };
        let has = |k: &str| keys.get(k).is_some_and(|v| !v.is_empty());
        let place = profile_place(&name);
        // Also dsops's own `dsops_sso_*` keys (`sso populate --credential-process`).
        if [
            "sso_session",
            "sso_start_url",
            "sso_account_id",
            "sso_role_name",
        ]
        .iter()
        .any(|k| crate::awsconfig::sso_key(&keys, k).is_some())
        {
            match aws.sso_profile_of(&name, &keys) {
                Ok(p) => {
                    r.ok(format_args!(
                        "AWS config {place}: SSO role {}/{} through {}",
                        p.account_id,
                        p.role_name,
                        sso::session_desc(&p.session)
                    ));
                    let path = cache::token_path(&p.session);
                    if !seen.contains(&path) {
                        seen.push(path);
                        let hint = format!("dsops login --profile {name}");
                        token(&p.session, &hint, sign_in, r);
                    }
                }
                Err(e) => fail(r, e),
            }
        }
        if has("role_arn") {
            match chain(aws, &name) {
                Ok(path) => r.ok(format_args!(
                    "AWS config {place}: role chain {}",
                    path.join(" <- ")
                )),
                Err(why) => r.fail(format_args!(
                    "AWS config: {}: {place} {why}",
                    aws.path().display()
                )),
            }
        }
    }
}

/// The profiles a `role_arn` profile's credentials come through, down to
/// where the first credentials come from; or why it does not resolve.
fn chain(aws: &AwsConfig, start: &str) -> Result<Vec<String>, String> {
    let mut path = vec![start.to_string()];
    let mut name = start.to_string();
    loop {
        let keys = match aws.profile(&name) {
            Ok(Some(k)) => k,
            Ok(None) => return Err(format!("source_profile {name}: no such profile")),
            Err(e) => return Err(format!("source_profile {name}: {e}")),
        };
        let get = |k: &str| keys.get(k).filter(|v| !v.is_empty()).cloned();
        if get("role_arn").is_none() {
            // The end of the chain: credentials of its own.
            let own = [
                "sso_session",
                "sso_start_url",
                "aws_access_key_id",
                "credential_process",
            ]
            .iter()
            .find(|k| get(k).is_some());
            if let Some(k) = own {
                path.push(format!("({k})"));
                return Ok(path);
            }
            if static_keys(&name) {
                path.push("(keys in the credentials file)".to_string());
                return Ok(path);
            }
            return Err(format!(
                "source_profile {name} has no credentials (no sso_session, sso_start_url, aws_access_key_id or credential_process, here or in the credentials file)"
            ));
        }
        if let Some(src) = get("credential_source") {
            path.push(format!("(credential_source {src})"));
            return Ok(path);
        }
        if get("web_identity_token_file").is_some() {
            path.push("(web_identity_token_file)".to_string());
            return Ok(path);
        }
        let Some(src) = get("source_profile") else {
            return Err(format!(
                "{} has role_arn but no source_profile or credential_source",
                profile_place(&name)
            ));
        };
        if src == name {
            // A role profile that names itself takes its own static keys.
            path.push("(its own keys)".to_string());
            return Ok(path);
        }
        if path.contains(&src) {
            return Err(format!("source_profile {src} loops back"));
        }
        if path.len() > MAX_CHAIN {
            return Err(format!("more than {MAX_CHAIN} source_profiles in a row"));
        }
        path.push(src.clone());
        name = src;
    }
}

/// Does the shared credentials file hold keys for profile `name`?
fn static_keys(name: &str) -> bool {
    crate::awsconfig::read_ini(&crate::paths::aws_credentials_file())
        .ok()
        .and_then(|f| f.section(name).ok().flatten())
        .is_some_and(|s| s.get("aws_access_key_id").is_some_and(|v| !v.is_empty()))
}

/// The token of `session`: valid (until when), refreshed, or expired (a
/// problem, with the sign-in offered or done as `sign_in` says).
fn token(session: &SsoSession, hint: &str, sign_in: SignIn, r: &mut Report) {
    let desc = sso::session_desc(session);
    let now = crate::timefmt::now();
    // Reading the keyring never prompts here; a locked one is reported.
    let quiet = LoginPolicy {
        allowed: false,
        quiet: true,
        ..LoginPolicy::default()
    };
    let store = match TokenStore::of(session, &quiet) {
        Ok(s) => s,
        Err(e) => return r.fail(format_args!("{desc}: {e}")),
    };
    if store.is_keyring() {
        plaintext_copy(session, &desc, hint, r);
    }
    let read = match store.read() {
        Ok(read) => read,
        Err(e) => return r.fail(format_args!("{desc}: {e}")),
    };
    let found = match read {
        cache::Read::Found(t) => t,
        cache::Read::Missing => {
            if offer(sign_in, &desc, "you are not signed in") {
                login(session, hint, &desc, r);
            } else {
                r.warn(format_args!("{desc}: not signed in: run '{hint}'"));
            }
            return;
        }
        cache::Read::Corrupt(why) => {
            r.fail(format_args!(
                "{desc}: the cached token in {} is unreadable ({why}): run '{hint}'",
                store.describe()
            ));
            return;
        }
    };
    let refreshable = found.refresh_token().is_some() && found.registration(now).is_some();
    match (found.remaining(now), found.expires_at()) {
        (Some(left), Some(at)) if left > 0 => r.ok(format_args!(
            "{desc}: token valid until {} ({} left){}",
            crate::timefmt::local_clock(at),
            sso::validity::human(left),
            if refreshable {
                "; refreshes by itself"
            } else {
                "; then a sign-in is needed"
            }
        )),
        (_, at) => {
            let when = at
                .map(|a| format!(" at {}", crate::timefmt::local_clock(a)))
                .unwrap_or_default();
            if refreshable {
                // As every command would: refresh without a browser.
                let policy = LoginPolicy {
                    allowed: false,
                    quiet: true,
                    ..LoginPolicy::default()
                };
                if sso::access_token(session, &policy, hint, None).is_ok() {
                    r.ok(format_args!(
                        "{desc}: token expired{when}; refreshed{}",
                        until(&store)
                    ));
                    return;
                }
            }
            let what = format!("the token expired{when}");
            if offer(sign_in, &desc, &what) {
                login(session, hint, &desc, r);
            } else {
                r.fail(format_args!("{desc}: {what}: run '{hint}'"));
            }
        }
    }
}

/// A session dsops keeps in the keyring has a plaintext token file beside
/// it (`aws sso login` wrote one, or dsops did before the switch): the
/// secret the keyring was meant to protect is on disk.
fn plaintext_copy(session: &SsoSession, desc: &str, hint: &str, r: &mut Report) {
    let file = TokenStore::file(session);
    if let cache::Read::Found(t) = cache::read_token(file.path())
        && (t.access_token().is_some() || t.refresh_token().is_some())
    {
        r.fail(format_args!(
            "{desc}: a plaintext token file {} exists although dsops keeps this session in the OS keyring: run '{hint} --import' to move it into the keyring, or delete it",
            file.path().display()
        ));
    }
}

/// ` until HH:MM (local time)` of the cached token, or nothing.
fn until(store: &TokenStore) -> String {
    match store.read() {
        Ok(cache::Read::Found(t)) => t
            .expires_at()
            .map(|e| format!(", valid until {}", crate::timefmt::local_clock(e)))
            .unwrap_or_default(),
        _ => String::new(),
    }
}

/// Sign in now? `--login` says yes; on a terminal, the person answers.
fn offer(sign_in: SignIn, desc: &str, what: &str) -> bool {
    match sign_in {
        SignIn::Never => false,
        SignIn::Yes => true,
        SignIn::Ask => crate::cmd::ask(&format!("{desc}: {what}. Sign in now? [Y/n] ")),
    }
}

fn login(session: &SsoSession, hint: &str, desc: &str, r: &mut Report) {
    let mut policy = LoginPolicy::from_env(false, false, false);
    policy.explicit = true;
    match sso::access_token(session, &policy, hint, None) {
        Ok(_) => r.ok(format_args!(
            "{desc}: signed in{}",
            TokenStore::of(session, &policy)
                .map(|s| until(&s))
                .unwrap_or_default()
        )),
        Err(e) => r.fail(format_args!("{desc}: sign-in failed: {e}")),
    }
}
