//! `dsops creds`: credential_process JSON for an `aws.sso` store or an AWS
//! config profile with SSO settings, or a role assumed after them
//! (`role_arn`, see `chain.rs`).

use super::Ctx;
use crate::awsconfig::AwsConfig;
use crate::config::Store;
use crate::error::{Error, Result};
use crate::sso::cache::RoleCredentials;
use crate::sso::{self, Target};

/// The store named `name`: the user config first, and alone: a store named
/// there is that store wherever dsops runs, and no project file (untrusted,
/// broken or hostile) can change or break it.
pub fn store(ctx: &Ctx, name: &str) -> Result<Store> {
    let user = crate::config::load_user()?;
    if let Some(store) = user.stores.get(name) {
        return Ok(store.clone());
    }
    let (cfg, project) = ctx.config()?;
    let store = cfg
        .store(name)
        .map_err(|e| match project.untrusted_error() {
            // The store may be in a project config we may not read.
            Some(u) => Error::new(u.code, format!("{}; {}", e.message, u.message)),
            None => e,
        })?;
    Ok(store.clone())
}

/// Role credentials for `--store` or `--profile` (the role a chain assumes
/// last, when there is one), and the region of the store or profile.
pub fn credentials(ctx: &Ctx) -> Result<(RoleCredentials, Option<String>)> {
    let policy = ctx.login_policy();
    match (ctx.args.store.as_deref(), ctx.args.profile.as_deref()) {
        (None, Some(p)) => crate::chain::profile_credentials(&AwsConfig::load()?, p, &policy),
        (Some(s), None) => {
            let aws = AwsConfig::load()?;
            let store = store(ctx, s)?;
            let region = crate::stores::sso::target(&aws, &store)?.region;
            Ok((
                crate::stores::sso::credentials(&aws, &store, &policy)?,
                region,
            ))
        }
        _ => Err(target(ctx, false).err().unwrap_or_else(|| {
            Error::usage("name a store (--store NAME) or a profile (--profile NAME)")
        })),
    }
}

/// The target named by `--store` or `--profile` (for a role chain, the SSO
/// role it starts from).
pub fn target(ctx: &Ctx, allow_default: bool) -> Result<Target> {
    target_named(
        ctx,
        ctx.args.store.as_deref(),
        ctx.args.profile.as_deref(),
        allow_default,
    )
}

/// The target of a store or a profile (one of them), or with neither and
/// `allow_default`, the only store that signs in to Identity Center.
pub fn target_named(
    ctx: &Ctx,
    store: Option<&str>,
    profile: Option<&str>,
    allow_default: bool,
) -> Result<Target> {
    let aws = AwsConfig::load()?;
    match (store, profile) {
        (Some(_), Some(_)) => Err(Error::usage("give --store or --profile, not both")),
        (None, Some(p)) => crate::chain::sso_target(&aws, p),
        (Some(s), None) => crate::stores::sso::target(&aws, &self::store(ctx, s)?),
        (None, None) if allow_default => {
            let (cfg, _) = ctx.config()?;
            let sso: Vec<_> = cfg
                .stores
                .values()
                .filter(|s| s.kind.gives_credentials())
                .collect();
            match sso.as_slice() {
                [only] => crate::stores::sso::target(&aws, only),
                _ => Err(Error::usage(
                    "name a store (--store NAME) or a profile (--profile NAME)",
                )),
            }
        }
        (None, None) => Err(Error::usage(
            "name a store (--store NAME) or a profile (--profile NAME)",
        )),
    }
}

/// Is `--store`/`--profile` a role chain (a role assumed after the SSO one)?
fn is_chain(ctx: &Ctx) -> Result<bool> {
    Ok(
        match (ctx.args.store.as_deref(), ctx.args.profile.as_deref()) {
            (None, Some(p)) => crate::chain::is_chain(&AwsConfig::load()?, p)?,
            (Some(s), None) => store(ctx, s)?.raw("role_arn").is_some(),
            _ => false,
        },
    )
}

pub fn run(ctx: &Ctx) -> Result<i32> {
    let creds = match ctx.min_validity()? {
        // The SSO role's credentials, fetched again when they do not last.
        Some(min) if !is_chain(ctx)? => {
            let target = target(ctx, false)?;
            ctx.debug(format_args!(
                "target: account {} role {} via {}",
                target.account_id, target.role_name, target.session.start_url
            ));
            sso::validity::role_lasting(&target, &ctx.login_policy(), min)?
        }
        // An assumed role lasts what its AssumeRole gave (duration_seconds).
        Some(min) => {
            let (creds, _) = credentials(ctx)?;
            let left = creds.remaining(crate::timefmt::now());
            if left < i64::try_from(min.as_secs()).unwrap_or(i64::MAX) {
                return Err(Error::runtime(format!(
                    "the assumed role's credentials last {}, less than --min-validity {} (its duration_seconds sets how long they last; or use a credential endpoint: dsops exec --profile NAME -- CMD)",
                    sso::validity::human(left),
                    sso::validity::human(i64::try_from(min.as_secs()).unwrap_or(i64::MAX))
                )));
            }
            creds
        }
        None => credentials(ctx)?.0,
    };
    crate::output::print(format!("{}\n", creds.process_json()).as_bytes())?;
    Ok(0)
}
