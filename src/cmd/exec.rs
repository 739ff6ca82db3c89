//! `dsops exec --env NAME -- CMD [ARGS...]`: resolve the env set, then replace
//! the dsops process with CMD (execvp), its environment being ours plus the
//! set.
//!
//! Replacing the process rather than running a child passes everything
//! through without any forwarding code: CMD has dsops's process id, terminal
//! and process group, so Ctrl-C and `kill` reach it directly, and its exit
//! status (or the signal that ended it, which the shell reports as 128+N) is
//! what the caller sees. When CMD cannot be started, dsops exits 127 (not
//! found) or 126 (found but not executable), as shells do.
//!
//! `dsops exec --store NAME | --profile NAME [--env NAME] -- CMD` runs CMD as
//! a child instead, with a credential endpoint (`crate::endpoint`) that
//! lives as long as CMD: dsops stays the parent to serve it, passes signals
//! on and exits with CMD's status (`endpoint::child`). An env set is added
//! only when named (`--env` or `DSOPS_ENV`). With `--static-credentials` the
//! role credentials go into CMD's environment and dsops replaces itself with
//! CMD as above.

use super::Ctx;
use crate::endpoint::{self, Route, child, env::Plan};
use crate::error::{Error, Result};
use crate::sso::{self, validity};
use std::ffi::OsString;
use std::process::Command;

/// Not found, as a shell reports it.
const NOT_FOUND: i32 = 127;
/// Found but cannot be executed.
const NOT_EXECUTABLE: i32 = 126;

pub fn run(ctx: &Ctx) -> Result<i32> {
    if ctx.args.store.is_some() || ctx.args.profile.is_some() {
        return with_credentials(ctx);
    }
    if ctx.args.static_credentials {
        return Err(Error::usage(
            "--static-credentials needs --store NAME or --profile NAME",
        ));
    }
    ctx.min_validity()?;
    let argv = &ctx.args.operands;
    let Some(program) = argv.first() else {
        return Err(Error::usage(
            "exec needs a command: dsops exec --env NAME -- CMD [ARGS...]",
        ));
    };
    let resolved = super::export::resolve_selected(ctx)?;
    ctx.debug(format_args!(
        "exec {} with {} variable(s) added",
        program.to_string_lossy(),
        resolved.vars.len()
    ));
    let err = crate::platform::exec(Command::new(program).args(&argv[1..]).envs(resolved.vars));
    // `exec` only returns when the program could not be started.
    let name = program.to_string_lossy();
    Err(match err.kind() {
        std::io::ErrorKind::NotFound => Error::new(NOT_FOUND, format!("{name}: command not found")),
        _ => Error::new(NOT_EXECUTABLE, format!("{name}: cannot execute: {err}")),
    })
}

/// `exec --store NAME | --profile NAME`: an endpoint, or static credentials.
fn with_credentials(ctx: &Ctx) -> Result<i32> {
    let min = ctx.min_validity()?;
    let argv: &[OsString] = &ctx.args.operands;
    let Some(program) = argv.first() else {
        return Err(Error::usage(
            "exec needs a command: dsops exec --store NAME -- CMD [ARGS...]",
        ));
    };
    let name = program.to_string_lossy().into_owned();
    // Forwarded signals wait for the child from here on, before any thread
    // starts (every thread inherits the block) and before the sign-in.
    let held = match ctx.args.static_credentials {
        false => Some(child::block()?),
        true => None,
    };
    let target = super::creds::target(ctx, false)?;
    let label = match (&ctx.args.store, &ctx.args.profile) {
        (Some(s), _) => format!("store {s}"),
        (_, Some(p)) => format!("profile {p}"),
        _ => unreachable!("with_credentials runs with --store or --profile"),
    };
    let policy = ctx.login_policy();
    // An env set only when one is named: `--store` alone is about credentials.
    let env_set = match ctx.env_name() {
        Some(_) => super::export::resolve_selected(ctx)?.vars,
        None => vec![],
    };
    if ctx.args.static_credentials {
        let c = match min {
            Some(min) => validity::role_lasting(&target, &policy, min)?,
            None => sso::role_credentials(&target, &policy)?,
        };
        let vars = [
            "access_key_id",
            "secret_access_key",
            "session_token",
            "expiration",
        ]
        .iter()
        .zip([
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_CREDENTIAL_EXPIRATION",
        ])
        .map(|(key, var)| (var.to_string(), c.key(key).unwrap_or_default()))
        .collect();
        let plan = endpoint::env::plan(
            crate::settings::var,
            &env_set,
            vars,
            target.region.as_deref(),
        );
        debug_plan(ctx, &plan, &name, "static credentials");
        let err = crate::platform::exec(&mut command(argv, &plan));
        return Err(match err.kind() {
            std::io::ErrorKind::NotFound => {
                Error::new(NOT_FOUND, format!("{name}: command not found"))
            }
            _ => Error::new(NOT_EXECUTABLE, format!("{name}: cannot execute: {err}")),
        });
    }
    // The endpoint fetches role credentials while CMD runs: the token must
    // last (or refresh) as long as the job.
    if let Some(min) = min {
        validity::token_lasting(
            &target.session,
            &target.policy(&policy),
            &target.login_hint,
            min,
        )?;
    }
    // Sign in and fetch now, at the terminal, rather than in CMD's first
    // request; and fail before CMD starts when that cannot be done.
    endpoint::credentials(&target, &policy)?;
    ctx.debug(format_args!(
        "{label}: account {} role {}",
        target.account_id, target.role_name
    ));
    let listener = endpoint::bind(0)?;
    let port = endpoint::port_of(&listener)?;
    let region = target.region.clone();
    let route = Route::new(label, target)?;
    let plan = endpoint::env::plan(
        crate::settings::var,
        &env_set,
        route.variables(port),
        region.as_deref(),
    );
    let mut serving = policy;
    serving.quiet = true;
    endpoint::spawn(listener, vec![route], serving)?;
    debug_plan(
        ctx,
        &plan,
        &name,
        &format!("an endpoint on 127.0.0.1:{port}"),
    );
    let held = held.ok_or_else(|| Error::runtime("signals were not blocked"))?;
    child::run(command(argv, &plan), &name, held)
}

fn command(argv: &[OsString], plan: &Plan) -> Command {
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..]);
    for v in &plan.removed {
        cmd.env_remove(v);
    }
    cmd.envs(plan.set.iter().map(|(k, v)| (k, v)));
    cmd
}

fn debug_plan(ctx: &Ctx, plan: &Plan, name: &str, how: &str) {
    ctx.debug(format_args!(
        "exec {name} with {how}; setting {} (values redacted)",
        plan.set
            .iter()
            .map(|(k, _)| k.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    ));
    if !plan.removed.is_empty() {
        ctx.debug(format_args!(
            "removed from {name}'s environment, because the AWS SDKs would use them first: {}",
            plan.removed.join(" ")
        ));
    }
}
