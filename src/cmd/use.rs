//! `dsops use [PROFILE]`, `--store NAME`, `--off` / `-`: switch the shell
//! the hook runs in to a role. It only wires the command line: the layer
//! itself is `shell/usage.rs`, the decision and the lines are the hook's
//! (`hookenv::run_with`), the list to choose from is `picker.rs`.
//!
//! The hook's `dsops` shell function runs this with `DSOPS_HOOK_SHELL` set
//! and evaluates what it prints; run any other way it can change nothing,
//! so it says how to load the hook (usage error).

use super::Ctx;
use crate::cli::Named;
use crate::error::{Error, Result};
use crate::shell::state::State;
use crate::shell::usage::{self, Change, Target};
use crate::shell::{self, Shell, hookenv};

/// The shell whose hook function called us, or how to load the hook.
fn hooked_shell(flags_first: bool) -> Result<Shell> {
    if let Some(name) = crate::settings::var("DSOPS_HOOK_SHELL") {
        return shell::find(&name);
    }
    if flags_first && crate::settings::var(crate::shell::state::VAR).is_some() {
        // The hook runs here, but its `dsops` function takes over only a
        // command line that starts with `use`, and an option came first.
        return Err(Error::usage(
            "the hook's dsops function switches the shell only when 'use' comes first: type dsops use [OPTIONS] [NAME]",
        ));
    }
    let login = crate::settings::login_shell().unwrap_or_default();
    let hints: Vec<&str> = shell::SHELLS
        .iter()
        .filter(|s| login.rsplit('/').next() == Some(s.name()))
        .map(|s| s.install_hint())
        .collect();
    let hints = if hints.is_empty() {
        shell::SHELLS
            .iter()
            .map(|s| s.install_hint())
            .collect::<Vec<_>>()
            .join("; or ")
    } else {
        hints.join("")
    };
    Err(Error::usage(format!(
        "dsops use changes the shell it is typed in through the hook, which is not loaded here: add {hints}, then start a new shell"
    )))
}

pub fn run(ctx: &Ctx) -> Result<i32> {
    let shell = hooked_shell(ctx.args.flags_first)?;
    let operand = ctx
        .args
        .operands
        .first()
        .map(|o| o.to_string_lossy().into_owned());
    let off = ctx.args.off || operand.as_deref() == Some("-");
    if off && (ctx.args.store.is_some() || (ctx.args.off && operand.is_some())) {
        return Err(Error::usage("use --off (or -) takes no name"));
    }
    let target = match (off, ctx.args.store.clone(), operand) {
        (true, _, _) => None,
        (false, Some(_), Some(_)) => {
            return Err(Error::usage("give a profile or --store NAME, not both"));
        }
        (false, Some(s), None) => Some(Target::Store(s)),
        (false, None, Some(p)) => Some(Target::Profile(p)),
        (false, None, None) => match crate::picker::choose("use")? {
            Some(Named::Profile(p)) => Some(Target::Profile(p)),
            Some(Named::Store(s)) => Some(Target::Store(s)),
            None => {
                if !ctx.quiet {
                    eprintln!("dsops: cancelled; nothing changed");
                }
                return Ok(1);
            }
        },
    };
    let old = State::from_env()
        .ok()
        .flatten()
        .and_then(|s| s.using)
        .and_then(|u| Target::decode(&u));
    let fetched = match &target {
        Some(t) => Some(usage::fetch_now(t, &ctx.login_policy())?),
        None => None,
    };
    if !ctx.quiet {
        match (&target, &fetched, &old) {
            (Some(t), Some(f), _) => eprintln!(
                "dsops: using {}: {}{}, until {} (renewed at the prompt)",
                crate::text::shown(&t.label()),
                crate::text::shown(&f.source.role_shown()),
                f.source
                    .region()
                    .map(|r| format!(", {}", crate::text::shown(r)))
                    .unwrap_or_default(),
                crate::timefmt::local_clock(f.creds.expiration)
            ),
            (None, _, Some(o)) => {
                eprintln!("dsops: no longer using {}", crate::text::shown(&o.label()));
            }
            (None, _, None) => eprintln!("dsops: nothing in use"),
            _ => {}
        }
    }
    let change = Change {
        using: target.as_ref().map(Target::encode),
        fetched,
    };
    let out = hookenv::run_with(
        &hookenv::Options {
            shell,
            quiet: ctx.quiet,
            debug: ctx.debug,
        },
        Some(&change),
    )?;
    crate::output::print(&out)?;
    Ok(0)
}
