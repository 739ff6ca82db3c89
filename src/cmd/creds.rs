//! `dsops creds`: credential_process JSON for an `aws.sso` store or an AWS
//! config profile with SSO settings.

use super::Ctx;
use crate::awsconfig::AwsConfig;
use crate::error::{Error, Result};
use crate::sso::{self, Target};

/// The target named by `--store` or `--profile`.
pub fn target(ctx: &Ctx, allow_default: bool) -> Result<Target> {
    target_named(
        ctx,
        ctx.args.store.as_deref(),
        ctx.args.profile.as_deref(),
        allow_default,
    )
}

/// The target of a store or a profile (one of them), or with neither and
/// `allow_default`, the only `aws.sso` store.
pub fn target_named(
    ctx: &Ctx,
    store: Option<&str>,
    profile: Option<&str>,
    allow_default: bool,
) -> Result<Target> {
    let aws = AwsConfig::load()?;
    match (store, profile) {
        (Some(_), Some(_)) => Err(Error::usage("give --store or --profile, not both")),
        (None, Some(p)) => Target::from_profile(&aws, p),
        (Some(s), None) => {
            // The user config first, and alone: a store named there is that
            // store wherever dsops runs, and no project file (untrusted,
            // broken or hostile) can change or break it.
            let user = crate::config::load_user()?;
            if let Some(store) = user.stores.get(s) {
                return crate::stores::sso::target(&aws, store);
            }
            let (cfg, project) = ctx.config()?;
            let store = cfg.store(s).map_err(|e| match project.untrusted_error() {
                // The store may be in a project config we may not read.
                Some(u) => Error::new(u.code, format!("{}; {}", e.message, u.message)),
                None => e,
            })?;
            crate::stores::sso::target(&aws, store)
        }
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

pub fn run(ctx: &Ctx) -> Result<i32> {
    let min = ctx.min_validity()?;
    let target = target(ctx, false)?;
    ctx.debug(format_args!(
        "target: account {} role {} via {}",
        target.account_id, target.role_name, target.session.start_url
    ));
    let policy = ctx.login_policy();
    let creds = match min {
        Some(min) => sso::validity::role_lasting(&target, &policy, min)?,
        None => sso::role_credentials(&target, &policy)?,
    };
    crate::output::print(format!("{}\n", creds.process_json()).as_bytes())?;
    Ok(0)
}
