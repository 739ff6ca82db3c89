//! `dsops sso list` and `dsops sso populate`: the accounts and roles of an
//! Identity Center session, listed or written as AWS config profiles.

use super::Ctx;
use crate::awsconfig::{AwsConfig, SsoSession};
use crate::error::{Error, Result};
use crate::sso::{list, populate};
use std::sync::Arc;

/// The session of `--sso-session`, `--profile` (the SSO profile a chain
/// ends in) or the AWS config's only sso-session, and the sign-in hint.
fn session(ctx: &Ctx, aws: &Arc<AwsConfig>) -> Result<(SsoSession, String)> {
    if let Some(name) = ctx.args.sso_session.as_deref() {
        return Ok((
            aws.sso_session(name)?,
            crate::settings::dsops_command(&["login", "--sso-session", name]),
        ));
    }
    if let Some(p) = ctx.args.profile.as_deref() {
        let s = crate::source::Source::of_profile(aws, p)?.sign_in()?;
        return Ok((s.session, s.hint));
    }
    match aws.only_sso_session() {
        Some(s) => {
            let s = s?;
            let hint = crate::settings::dsops_command(&[
                "login",
                "--sso-session",
                s.name.as_deref().unwrap_or_default(),
            ]);
            Ok((s, hint))
        }
        None => Err(Error::usage(format!(
            "name the session: --sso-session NAME (the AWS config {} has {} [sso-session] sections)",
            aws.path().display(),
            aws.sso_session_names().len()
        ))),
    }
}

pub fn list(ctx: &Ctx) -> Result<i32> {
    let aws = Arc::new(AwsConfig::load()?);
    let (session, hint) = session(ctx, &aws)?;
    let (all, stats) = list::assignments(&session, &ctx.login_policy(), &hint)?;
    ctx.debug(format_args!(
        "{} account/role pairs in {} requests",
        all.len(),
        stats.requests
    ));
    let text = if ctx.format == Some(super::Format::Json) {
        let rows: Vec<serde_json::Value> = all
            .iter()
            .map(|a| {
                serde_json::json!({
                    "accountId": a.account_id,
                    "accountName": a.account_name,
                    "emailAddress": a.email,
                    "roleName": a.role_name,
                })
            })
            .collect();
        format!("{}\n", serde_json::Value::Array(rows))
    } else {
        table(&all)
    };
    crate::output::print(text.as_bytes())?;
    Ok(0)
}

/// An aligned table: account id, account name, role.
fn table(all: &[list::Assignment]) -> String {
    let head = ("ACCOUNT ID", "ACCOUNT NAME", "ROLE");
    let w1 = all
        .iter()
        .map(|a| a.account_id.chars().count())
        .chain([head.0.len()])
        .max()
        .unwrap_or(0);
    let w2 = all
        .iter()
        .map(|a| a.account_name.chars().count())
        .chain([head.1.len()])
        .max()
        .unwrap_or(0);
    let mut out = format!("{:<w1$}  {:<w2$}  {}\n", head.0, head.1, head.2);
    for a in all {
        out.push_str(&format!(
            "{:<w1$}  {:<w2$}  {}\n",
            a.account_id, a.account_name, a.role_name
        ));
    }
    out
}

pub fn populate(ctx: &Ctx) -> Result<i32> {
    let template = ctx
        .args
        .profile_name
        .clone()
        .unwrap_or_else(|| populate::DEFAULT_TEMPLATE.to_string());
    populate::check_template(&template)?;
    let aws = Arc::new(AwsConfig::load()?);
    let (session, hint) = session(ctx, &aws)?;
    let Some(name) = session.name.clone() else {
        return Err(Error::usage(
            "sso populate writes profiles that name an [sso-session]: use --sso-session NAME",
        ));
    };
    let region = ctx
        .args
        .region
        .clone()
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| session.region.clone());
    let (all, stats) = list::assignments(&session, &ctx.login_policy(), &hint)?;
    ctx.debug(format_args!(
        "{} account/role pairs in {} requests",
        all.len(),
        stats.requests
    ));
    let mut desired = Vec::with_capacity(all.len());
    for a in &all {
        let profile = populate::profile_name(&template, a, &name)?;
        // A command that works when pasted (it carries --config).
        let credential_process = ctx
            .args
            .credential_process
            .then(|| crate::settings::dsops_command(&["creds", "--profile", &profile]));
        desired.push(populate::Profile {
            name: profile,
            account_id: a.account_id.clone(),
            role_name: a.role_name.clone(),
            region: region.clone(),
            credential_process,
        });
    }
    let path = aws.path().to_path_buf();
    let (plan, written) = populate::apply(&path, ctx.args.dry_run, |file| {
        populate::plan(file, &name, desired.clone(), ctx.args.prune)
    })?;
    for c in &plan.clashes {
        eprintln!("dsops: {c}");
    }
    let counts = format!(
        "{} added, {} updated, {} removed",
        plan.added.len(),
        plan.updated.len(),
        plan.removed.len()
    );
    if ctx.args.dry_run {
        if !plan.diff.is_empty() {
            let diff = format!(
                "--- {0}\n+++ {0} (after dsops sso populate)\n{1}",
                path.display(),
                plan.diff
            );
            crate::output::print(diff.as_bytes())?;
        }
        if !ctx.quiet {
            eprintln!("dsops: dry run, {} not changed ({counts})", path.display());
        }
    } else if !ctx.quiet {
        if written {
            eprintln!(
                "dsops: wrote {} ({counts}; {} profiles for sso-session {name}); the previous file is {}",
                path.display(),
                plan.total,
                populate::backup_path(&path).display()
            );
        } else {
            eprintln!(
                "dsops: {} is up to date ({} profiles for sso-session {name})",
                path.display(),
                plan.total
            );
        }
    }
    Ok(0)
}
