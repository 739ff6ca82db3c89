//! `dsops login` and `dsops logout`.

use super::Ctx;
use crate::awsconfig::{AwsConfig, SsoSession};
use crate::error::{Error, Result};
use crate::sso::tokenstore::{RoleStore, TokenStore};
use crate::sso::{self, LoginPolicy, cache};

/// The session named by `--sso-session`, or that of `--store`/`--profile`,
/// or the only aws.sso store, or the AWS config's only sso-session.
fn session(ctx: &Ctx) -> Result<(SsoSession, String, bool)> {
    if let Some(name) = ctx.args.sso_session.as_deref() {
        let aws = AwsConfig::load()?;
        return Ok((
            aws.sso_session(name)?,
            crate::settings::dsops_command(&["login", "--sso-session", name]),
            false,
        ));
    }
    if ctx.selector.is_none() {
        if let Some(s) = only_store_sign_in(ctx) {
            return Ok((s.session, s.hint, s.device_code));
        }
        let aws = AwsConfig::load()?;
        if let Some(s) = aws.only_sso_session() {
            let s = s?;
            let hint = crate::settings::dsops_command(&[
                "login",
                "--sso-session",
                s.name.as_deref().unwrap_or_default(),
            ]);
            return Ok((s, hint, false));
        }
        return Err(Error::usage(
            "name what to sign in to: --store NAME, --profile NAME or --sso-session NAME",
        ));
    }
    let s = ctx.source()?.sign_in()?;
    Ok((s.session, s.hint, s.device_code))
}

/// The sign-in of the only store that gives credentials, when there is
/// exactly one.
fn only_store_sign_in(ctx: &Ctx) -> Option<crate::source::SignIn> {
    let aws = AwsConfig::load().ok()?;
    let (cfg, _) = ctx.config().ok()?;
    let mut stores = cfg.stores.values().filter(|s| s.kind.gives_credentials());
    let (Some(only), None) = (stores.next(), stores.next()) else {
        return None;
    };
    crate::source::Source::of_store(&aws, only)
        .and_then(|s| s.sign_in())
        .ok()
}

pub fn login(ctx: &Ctx) -> Result<i32> {
    let min = ctx.min_validity;
    let (session, hint, device_code) = session(ctx)?;
    // `dsops login` is the explicit request: CI=true does not forbid it.
    let mut policy = LoginPolicy::from_env(false, ctx.args.no_browser, ctx.args.use_device_code);
    policy.allowed = true;
    policy.explicit = true;
    policy.use_device_code |= device_code;
    let store = TokenStore::of(&session, &policy)?;
    if store.is_keyring() {
        import_plaintext(ctx, &session, &store)?;
    }
    if ctx.args.force {
        sso::sign_in_again(&session, &policy)?;
        say_signed_in(ctx, "signed in to", &session, &store);
        return Ok(0);
    }
    // A token that is valid (for --min-validity, when given) is kept:
    // unlike `aws sso login`, which always opens the browser, dsops signs in
    // only when needed, or with --force.
    let want = min.map_or(0, |m| i64::try_from(m.as_secs()).unwrap_or(i64::MAX));
    if let cache::Read::Found(t) = store.read()?
        && t.access_token().is_some()
        && t.remaining(crate::timefmt::now())
            .is_some_and(|r| r > FRESH_SECS.max(want))
    {
        say_signed_in(ctx, "already signed in to", &session, &store);
        return Ok(0);
    }
    // Otherwise refresh it (no browser) or sign in.
    match min {
        Some(min) => sso::validity::token_lasting(&session, &policy, &hint, min)?,
        None => {
            sso::access_token(&session, &policy, &hint, None)?;
        }
    }
    say_signed_in(ctx, "signed in to", &session, &store);
    Ok(0)
}

/// With tokens in the keyring: a plaintext token file of the session (from
/// `aws sso login`, or dsops before the switch) is moved into the keyring
/// and deleted, after asking on a terminal, at once with `--import`; else
/// it is left alone with a warning. The keyring's own token, when there is
/// one, is kept unless the file's lasts longer.
fn import_plaintext(ctx: &Ctx, session: &SsoSession, store: &TokenStore) -> Result<()> {
    let file = TokenStore::file(session);
    let cache::Read::Found(plain) = file.read()? else {
        return Ok(());
    };
    if plain.access_token().is_none() && plain.refresh_token().is_none() {
        return Ok(());
    }
    let shown = file.path().display().to_string();
    let yes = ctx.args.import
        || (super::interactive()
            && super::ask(&format!(
                "a plaintext token file {shown} exists for this session; move it into the OS keyring and delete the file? [Y/n] "
            )));
    if !yes {
        eprintln!(
            "dsops: warning: a plaintext token file {shown} exists for this session although tokens are kept in the OS keyring; run '{}' to move it there",
            crate::settings::dsops_command(&["login", "--import"])
        );
        return Ok(());
    }
    let _guard = crate::fsutil::lock(
        &cache::lock_path(store.path()),
        "waiting for the SSO sign-in in another dsops process",
        crate::settings::limits().lock,
    )?;
    let now = crate::timefmt::now();
    let keep_ours = match store.read()? {
        cache::Read::Found(ours) => ours.remaining(now) >= plain.remaining(now),
        _ => false,
    };
    if !keep_ours {
        store.write(&plain)?;
    }
    file.delete()?;
    if !ctx.quiet {
        eprintln!("dsops: moved the token from {shown} into the OS keyring and deleted the file");
    }
    Ok(())
}

/// How long `dsops login` takes a cached token as valid without refreshing
/// it: the margin within which every command refreshes (`sso::access_token`).
const FRESH_SECS: i64 = 15 * 60;

/// `dsops: already signed in to sso-session 'x' (URL) until 18:30 (local time)`.
fn say_signed_in(ctx: &Ctx, what: &str, session: &SsoSession, store: &TokenStore) {
    if ctx.quiet {
        return;
    }
    let until = match store.read() {
        Ok(cache::Read::Found(t)) => t
            .expires_at()
            .map(|e| format!(" until {}", crate::timefmt::local_clock(e)))
            .unwrap_or_default(),
        _ => String::new(),
    };
    eprintln!(
        "dsops: {what} {}{until}",
        crate::text::outside_text(&sso::session_desc(session), 300)
    );
}

pub fn logout(ctx: &Ctx) -> Result<i32> {
    let (session, _, _) = session(ctx)?;
    // Signing out is asked for by hand: the keyring may ask to be unlocked.
    let policy = LoginPolicy {
        allowed: true,
        ..LoginPolicy::default()
    };
    let store = TokenStore::of(&session, &policy)?;
    let lock = cache::lock_path(store.path());
    let guard = crate::fsutil::lock(
        &lock,
        "waiting for the SSO sign-in in another dsops process",
        crate::settings::limits().lock,
    )?;
    let found = store.read()?;
    let signed_in = !matches!(found, cache::Read::Missing);
    let mut revoked = false;
    if let cache::Read::Found(t) = &found
        && let Some(access) = t.access_token()
    {
        match sso::client::Portal::new(&session.region).logout(access) {
            Ok(()) => revoked = true,
            // The token is deleted anyway; say the revocation failed.
            Err(e) => eprintln!("dsops: {e}"),
        }
    }
    let mut removed = 0;
    if store.delete()? {
        removed += 1;
    }
    // A plaintext copy beside a keyring session goes too.
    if store.is_keyring() && TokenStore::file(&session).delete()? {
        removed += 1;
    }
    removed += remove_role_caches(&session, &policy)?;
    // The session's own lock file goes last, removed while it is held.
    guard.remove(&lock)?;
    if !signed_in && removed == 0 {
        if !ctx.quiet {
            eprintln!(
                "dsops: not signed in to {}",
                crate::text::shown(&session.start_url)
            );
        }
        return Ok(0);
    }
    if !ctx.quiet {
        eprintln!(
            "dsops: signed out of {}{}; deleted {removed} cached token(s) and role credential(s)",
            session.start_url,
            if revoked { " (token revoked)" } else { "" }
        );
    }
    Ok(0)
}

/// Delete the cached role credentials that belong to `session`. The cache
/// names are hashes, so each entry is matched by the role credentials the
/// session's profiles and stores could have produced: we scan the AWS CLI's
/// cache for `ProviderType: sso` entries whose key we can recompute from the
/// AWS config profiles and dsops stores of this session.
fn remove_role_caches(session: &SsoSession, policy: &LoginPolicy) -> Result<usize> {
    let aws = AwsConfig::load()?;
    let mut roles: Vec<(String, String)> = aws
        .profile_names()
        .iter()
        .filter_map(|p| aws.sso_profile(p).ok())
        .filter(|p| &p.session == session)
        .map(|p| (p.account_id, p.role_name))
        .collect();
    let project = crate::config::discover::project(None, false)
        .ok()
        .and_then(|p| p.trusted);
    let user = crate::config::ConfigFile::user().ok().flatten();
    if let Ok(cfg) = crate::config::load(user.as_ref(), project.as_ref()) {
        for store in cfg.stores.values() {
            if let Some(Ok(t)) = crate::stores::kind_of(store).sign_in(&aws, store)
                && t.session == *session
            {
                roles.push((t.account_id, t.role_name));
            }
        }
    }
    roles.sort();
    roles.dedup();
    let mut n = 0;
    for (account, role) in roles {
        let roles = RoleStore::of(session, &account, &role, policy)?;
        let lock = cache::lock_path(roles.path());
        // Taken first: a process writing these credentials finishes, and its
        // lock file is removed only while this process holds it.
        let guard = crate::fsutil::lock(
            &lock,
            "waiting for another dsops process to finish with the role credentials",
            crate::settings::limits().lock,
        )?;
        if roles.delete()? {
            n += 1;
        }
        guard.remove(&lock)?;
    }
    Ok(n)
}
