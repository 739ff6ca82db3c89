//! `dsops creds`: credential_process JSON for an `aws.sso` store or an AWS
//! config profile with SSO settings, or a role assumed after them
//! (`role_arn`, see `chain.rs`).

use super::Ctx;
use crate::awsconfig::AwsConfig;
use crate::config::Store;
use crate::error::{Error, Result};
use crate::sso::Target;

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
pub fn credentials(ctx: &Ctx) -> Result<(crate::sso::cache::RoleCredentials, Option<String>)> {
    let policy = ctx.login_policy();
    match (ctx.args.store.as_deref(), ctx.args.profile.as_deref()) {
        (None, Some(p)) => crate::chain::profile_credentials(&AwsConfig::load()?, p, &policy),
        (Some(s), None) => {
            let aws = AwsConfig::load()?;
            let store = store(ctx, s)?;
            let region = Target::from_store(&aws, &store)?.region;
            Ok((
                crate::chain::store_credentials(&aws, &store, &policy)?,
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
    let aws = AwsConfig::load()?;
    match (ctx.args.store.as_deref(), ctx.args.profile.as_deref()) {
        (Some(_), Some(_)) => Err(Error::usage("give --store or --profile, not both")),
        (None, Some(p)) => crate::chain::sso_target(&aws, p),
        (Some(s), None) => Target::from_store(&aws, &store(ctx, s)?),
        (None, None) if allow_default => {
            let (cfg, _) = ctx.config()?;
            let sso: Vec<_> = cfg
                .stores
                .values()
                .filter(|s| s.kind == crate::config::StoreType::Sso)
                .collect();
            match sso.as_slice() {
                [only] => Target::from_store(&aws, only),
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

pub fn run(ctx: &Ctx) -> Result<i32> {
    let (creds, _) = credentials(ctx)?;
    crate::output::print(format!("{}\n", creds.process_json()).as_bytes())?;
    Ok(0)
}
