//! `dsops hook SHELL` (the init code) and `dsops hook-env SHELL` (what it runs
//! when something changed). The work is in `shell/`.

use super::Ctx;
use crate::error::{Error, Result};
use crate::shell::{self, Shell, hookenv, init};

fn shell_operand(ctx: &Ctx) -> Result<Shell> {
    let list = crate::text::one_of(&shell::names());
    match ctx.args.operands.as_slice() {
        [one] => shell::find(&one.to_string_lossy()),
        [] => Err(Error::usage(format!(
            "{} needs a shell: {list}",
            ctx.args.command_name()
        ))),
        _ => Err(Error::usage(format!(
            "{} takes one shell: {list}",
            ctx.args.command_name()
        ))),
    }
}

fn print(bytes: &[u8]) -> Result<i32> {
    crate::output::print(bytes).map(|()| 0)
}

pub fn hook(ctx: &Ctx) -> Result<i32> {
    let shell = shell_operand(ctx)?;
    print(init::render(shell)?.as_bytes())
}

pub fn hook_env(ctx: &Ctx) -> Result<i32> {
    let shell = shell_operand(ctx)?;
    let out = hookenv::run(&hookenv::Options {
        shell,
        quiet: ctx.quiet,
        debug: ctx.debug,
    })?;
    print(&out)
}
