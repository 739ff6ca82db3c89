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
        let quiet = args.switch("quiet") || crate::settings::switch("DSOPS_QUIET");
        let debug = args.switch("debug") || crate::settings::switch("DSOPS_DEBUG");
        crate::settings::set_debug(debug);
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
        if !self.quiet {
            for (p, why) in &project.skipped {
                eprintln!("dsops: skipping {}: {why}", p.display());
            }
        }
        self.debug(format_args!(
            "project config: {}",
            match (&project.trusted, &project.untrusted) {
                (Some(s), _) => format!("{} (trusted)", s.path.display()),
                (None, Some((p, why))) => format!("{} ({why:?}, not loaded)", p.display()),
                _ => "none".to_string(),
            }
        ));
        let user = config::ConfigFile::user()?;
        let cfg = config::load(user.as_ref(), project.trusted.as_ref())?;
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
    // Nonsense in a limit variable is a usage error before any work starts.
    crate::settings::load()?;
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
