//! One file per subcommand; each only wires arguments to the library modules.
//! `run` dispatches with an exhaustive `match` on the parsed [`Cmd`].

pub mod complete;
pub mod console;
pub mod creds;
pub mod doctor;
pub mod eks;
pub mod exec;
pub mod export;
pub mod hook;
pub mod login;
pub mod serve;
pub mod sso;
pub mod trust;

use crate::cli::{Args, Cmd};
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
        // The parser let DSOPS_QUIET and DSOPS_DEBUG stand in for the flags.
        let (quiet, debug) = (args.quiet, args.debug);
        crate::settings::set_debug(debug);
        Ctx { args, quiet, debug }
    }

    /// `--debug` lines. Callers pass names, paths and counts, never values.
    pub fn debug(&self, msg: impl std::fmt::Display) {
        if self.debug {
            eprintln!("dsops: debug: {}", crate::text::shown(&msg.to_string()));
        }
    }

    /// The project layer (trusted or not) and the merged config without an
    /// untrusted project layer.
    pub fn config(&self) -> Result<(Config, discover::Project)> {
        let project = self.project()?;
        if !self.quiet {
            for (p, why) in &project.skipped {
                eprintln!("dsops: skipping {}: {why}", crate::text::path(p));
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
        self.args.env.clone().filter(|s| !s.is_empty())
    }

    /// The project layer: `--config` / `DSOPS_CONFIG`, else the nearest
    /// trusted config.
    pub fn project(&self) -> Result<discover::Project> {
        discover::project(self.args.config.as_deref(), self.args.config_from_env)
    }

    /// `--min-validity`, when given.
    pub fn min_validity(&self) -> Result<Option<std::time::Duration>> {
        self.args
            .min_validity
            .as_deref()
            .map(crate::sso::validity::parse)
            .transpose()
    }

    /// The login policy from the flags (and the variables standing in for
    /// them) and `CI`.
    pub fn login_policy(&self) -> crate::sso::LoginPolicy {
        crate::sso::LoginPolicy::from_env(
            self.args.no_login,
            self.args.no_browser,
            self.args.use_device_code,
        )
    }
}

pub fn run(ctx: Ctx) -> Result<i32> {
    // The store types, before any config is read.
    crate::stores::install();
    // Nonsense in a limit variable is a usage error before any work starts.
    crate::settings::load()?;
    match ctx.args.cmd {
        Cmd::Complete => complete::run(&ctx),
        Cmd::Creds => creds::run(&ctx),
        Cmd::Hook => hook::hook(&ctx),
        Cmd::HookEnv => hook::hook_env(&ctx),
        Cmd::Export => export::run(&ctx),
        Cmd::Exec => exec::run(&ctx),
        Cmd::Serve => serve::run(&ctx),
        Cmd::EksToken => eks::run(&ctx),
        Cmd::Doctor => doctor::run(&ctx),
        Cmd::Login => login::login(&ctx),
        Cmd::Logout => login::logout(&ctx),
        Cmd::Allow => trust::allow(&ctx),
        Cmd::Deny => trust::deny(&ctx),
        Cmd::Console => console::run(&ctx),
        Cmd::SsoList => sso::list(&ctx),
        Cmd::SsoPopulate => sso::populate(&ctx),
        // `help` is answered by the parser.
        Cmd::Help => Err(Error::usage("help is printed by the parser")),
    }
}
