//! One file per subcommand; each only wires arguments to the library modules.
//! `run` dispatches on the parsed command name.

pub mod complete;
pub mod creds;
pub mod doctor;
pub mod exec;
pub mod export;
pub mod hook;
pub mod login;
pub mod trust;

use crate::cli::Args;
use crate::config::{self, Config, discover};
use crate::error::{Error, Result};

/// What every command gets: the parsed arguments and the global switches.
pub struct Ctx {
    pub args: Args,
    pub quiet: bool,
    pub debug: bool,
}

impl Ctx {
    pub fn new(args: Args) -> Ctx {
        let env_on = |k: &str| std::env::var(k).is_ok_and(|v| !v.is_empty() && v != "0");
        let quiet = args.switch("quiet") || env_on("DSOPS_QUIET");
        let debug = args.switch("debug") || env_on("DSOPS_DEBUG");
        Ctx { args, quiet, debug }
    }

    /// `--debug` lines. Callers pass names, paths and counts, never values.
    pub fn debug(&self, msg: impl std::fmt::Display) {
        if self.debug {
            eprintln!("dsops: debug: {msg}");
        }
    }

    /// The project layer (trusted or not) and the merged config without an
    /// untrusted project layer.
    pub fn config(&self) -> Result<(Config, discover::Project)> {
        let project = discover::project(self.args.value("config"))?;
        self.debug(format_args!(
            "project config: {}",
            match (&project.trusted, &project.untrusted) {
                (Some(p), _) => format!("{} (trusted)", p.display()),
                (None, Some((p, t))) => format!("{} ({t:?}, not loaded)", p.display()),
                _ => "none".to_string(),
            }
        ));
        let cfg = config::load(project.trusted.as_deref())?;
        Ok((cfg, project))
    }

    /// The env set name from `--env` / `DSOPS_ENV`.
    pub fn env_name(&self) -> Option<String> {
        self.args
            .value("env")
            .map(str::to_string)
            .or_else(|| std::env::var("DSOPS_ENV").ok().filter(|s| !s.is_empty()))
    }
}

pub fn run(ctx: Ctx) -> Result<i32> {
    match ctx.args.command_name() {
        "complete" => complete::run(&ctx),
        "creds" => creds::run(&ctx),
        "hook" => hook::hook(&ctx),
        "hook-env" => hook::hook_env(&ctx),
        "export" => export::run(&ctx),
        "exec" => exec::run(&ctx),
        "doctor" => doctor::run(&ctx),
        "login" => login::login(&ctx),
        "logout" => login::logout(&ctx),
        "allow" => trust::allow(&ctx),
        "deny" => trust::deny(&ctx),
        other => Err(Error::usage(format!(
            "'{other}' is not available in this build yet"
        ))),
    }
}
