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

use super::Ctx;
use crate::error::{Error, Result};
use std::process::Command;

/// Not found, as a shell reports it.
const NOT_FOUND: i32 = 127;
/// Found but cannot be executed.
const NOT_EXECUTABLE: i32 = 126;

pub fn run(ctx: &Ctx) -> Result<i32> {
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
