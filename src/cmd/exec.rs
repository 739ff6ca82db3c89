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
use crate::cli::Named;
use crate::endpoint::{self, Route, child, env::Plan};
use crate::error::{Error, Exit, Result};
use std::ffi::OsString;
use std::process::Command;

pub fn run(ctx: &Ctx) -> Result<i32> {
    if ctx.selector.is_some() {
        return with_credentials(ctx);
    }
    if ctx.args.static_credentials {
        return Err(Error::usage(
            "--static-credentials needs --store NAME or --profile NAME",
        ));
    }
    let argv = &ctx.args.operands;
    let Some(program) = argv.first() else {
        return Err(Error::usage(
            "exec needs a command: dsops exec --env NAME -- CMD [ARGS...]",
        ));
    };
    let resolved = ctx.resolve_env()?;
    ctx.debug(format_args!(
        "exec {} with {} variable(s) added",
        program.to_string_lossy(),
        resolved.vars.len()
    ));
    let err = crate::platform::exec(Command::new(program).args(&argv[1..]).envs(resolved.vars));
    // `exec` only returns when the program could not be started.
    let name = program.to_string_lossy();
    Err(match err.kind() {
        std::io::ErrorKind::NotFound => {
            Error::new(Exit::NotFound, format!("{name}: command not found"))
        }
        _ => Error::new(
            Exit::CannotExecute,
            format!("{name}: cannot execute: {err}"),
        ),
    })
}

/// `exec --store NAME | --profile NAME`: an endpoint, or static credentials.
fn with_credentials(ctx: &Ctx) -> Result<i32> {
    let min = ctx.min_validity;
    let argv: &[OsString] = &ctx.args.operands;
    let Some(program) = argv.first() else {
        let (flag, name) = match &ctx.selector {
            Some(Named::Store(s)) => ("--store", s.as_str()),
            Some(Named::Profile(p)) => ("--profile", p.as_str()),
            None => ("--store", "NAME"),
        };
        return Err(Error::usage(format!(
            "exec needs a command: {} [ARGS...]",
            crate::settings::dsops_command(&["exec", flag, name, "--", "CMD"])
        )));
    };
    let name = program.to_string_lossy().into_owned();
    // Forwarded signals wait for the child from here on, before any thread
    // starts (every thread inherits the block) and before the sign-in.
    let held = match ctx.args.static_credentials {
        false => Some(child::block()?),
        true => None,
    };
    let source = ctx.source()?;
    let policy = ctx.login_policy();
    // An env set only when one is named: `--store` alone is about credentials.
    let env_set = match ctx.env_name() {
        Some(_) => ctx.resolve_env()?.vars,
        None => vec![],
    };
    if ctx.args.static_credentials {
        let c = match min {
            Some(min) => source.credentials_lasting(&policy, min)?,
            None => source.credentials(&policy)?,
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
        let plan = endpoint::env::plan(crate::settings::var, &env_set, vars, source.region());
        debug_plan(ctx, &plan, &name, "static credentials");
        let err = crate::platform::exec(&mut command(argv, &plan));
        return Err(match err.kind() {
            std::io::ErrorKind::NotFound => {
                Error::new(Exit::NotFound, format!("{name}: command not found"))
            }
            _ => Error::new(
                Exit::CannotExecute,
                format!("{name}: cannot execute: {err}"),
            ),
        });
    }
    // The endpoint fetches credentials while CMD runs: the token under them
    // must last (or refresh) as long as the job.
    if let Some(min) = min {
        source.token_lasting(&policy, min)?;
    }
    // Sign in and fetch now, at the terminal, rather than in CMD's first
    // request; and fail before CMD starts when that cannot be done.
    endpoint::credentials(&source, &policy)?;
    let listener = endpoint::bind(0)?;
    let port = endpoint::port_of(&listener)?;
    let region = source.region().map(str::to_string);
    let route = Route::new(source)?;
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
