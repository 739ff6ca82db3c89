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
pub mod r#use;

use crate::awsconfig::AwsConfig;
use crate::cli::{Args, Cmd, Named};
use crate::config::{self, Config, Store, discover};
use crate::error::{Error, Result};
use crate::resolve::{self, Options, Resolved};
use crate::source::Source;
use std::time::Duration;

/// Backstop for a whole resolution from the command line; each request and
/// each exec store has its own, shorter bound.
const RESOLVE_BOUND: Duration = Duration::from_secs(300);

/// What every command gets: the parsed arguments, the global switches, and
/// the values that need checking lifted into types once (a command never
/// parses or validates them again).
pub struct Ctx {
    pub args: Args,
    pub quiet: bool,
    pub debug: bool,
    /// `--min-validity`, when given.
    pub min_validity: Option<std::time::Duration>,
    /// `--port` (0: any free port).
    pub port: u16,
    /// `--store NAME` or `--profile NAME` (not both), when given.
    pub selector: Option<Named>,
    /// `--format`, when given.
    pub format: Option<Format>,
}

/// `--format`, lifted: what `export` and `serve` print, or how `sso list`
/// lays out its rows. The parser has checked the word against the
/// command's list (`cli::FORMATS`, `cli::LIST_FORMATS`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Shell,
    Dotenv,
    Json,
    PowerShell,
    WindowsCmd,
    Table,
}

impl Format {
    const ALL: [Format; 6] = [
        Format::Shell,
        Format::Dotenv,
        Format::Json,
        Format::PowerShell,
        Format::WindowsCmd,
        Format::Table,
    ];

    /// The word on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::Shell => "shell",
            Format::Dotenv => "dotenv",
            Format::Json => "json",
            Format::PowerShell => "powershell",
            Format::WindowsCmd => "windows-cmd",
            Format::Table => "table",
        }
    }

    fn lift(word: &str) -> Result<Format> {
        Format::ALL
            .into_iter()
            .find(|f| f.name() == word)
            .ok_or_else(|| Error::usage(format!("--format {word}: not a format")))
    }
}

impl Ctx {
    pub fn new(args: Args) -> Result<Ctx> {
        // The parser let DSOPS_QUIET and DSOPS_DEBUG stand in for the flags.
        let (quiet, debug) = (args.quiet, args.debug);
        crate::settings::set_debug(debug);
        if let (Some(config), false) = (&args.config, args.config_from_env) {
            crate::settings::set_config_flag(config);
        }
        check_operands(&args)?;
        let min_validity = args
            .min_validity
            .as_deref()
            .map(crate::sso::validity::parse)
            .transpose()?;
        let port = match args.port.as_deref() {
            None => 0,
            Some(p) => p.parse::<u16>().map_err(|_| {
                Error::usage(format!("--port {p}: expected a port number (0 to 65535)"))
            })?,
        };
        let selector = match (args.store.clone(), args.profile.clone()) {
            (Some(_), Some(_)) if args.cmd != Cmd::Serve => {
                return Err(Error::usage("give --store or --profile, not both"));
            }
            (Some(s), None) => Some(Named::Store(s)),
            (None, Some(p)) => Some(Named::Profile(p)),
            _ => None,
        };
        let format = args.format.as_deref().map(Format::lift).transpose()?;
        Ok(Ctx {
            args,
            quiet,
            debug,
            min_validity,
            port,
            selector,
            format,
        })
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

    /// The store named `name`: the user config first, and alone: a store
    /// named there is that store wherever dsops runs, and no project file
    /// (untrusted, broken or hostile) can change or break it.
    pub fn store(&self, name: &str) -> Result<Store> {
        let user = crate::config::load_user()?;
        if let Some(store) = user.stores.get(name) {
            return Ok(store.clone());
        }
        let (cfg, project) = self.config()?;
        let store = cfg
            .store(name)
            .map_err(|e| match project.untrusted_error() {
                // The store may be in a project config we may not read.
                Some(u) => Error::new(u.kind, format!("{}; {}", e.message, u.message)),
                None => e,
            })?;
        Ok(store.clone())
    }

    /// The credential source named by `--store` or `--profile`.
    pub fn source(&self) -> Result<Source> {
        match &self.selector {
            Some(named) => self.source_of(named),
            None => Err(Error::usage(
                "name a store (--store NAME) or a profile (--profile NAME)",
            )),
        }
    }

    /// The credential source of one store or profile.
    pub fn source_of(&self, named: &Named) -> Result<Source> {
        let aws = std::sync::Arc::new(AwsConfig::load()?);
        let source = match named {
            Named::Store(s) => Source::of_store(&aws, &self.store(s)?)?,
            Named::Profile(p) => Source::of_profile(&aws, p)?,
        };
        if self.debug {
            self.debug(source.describe());
        }
        Ok(source)
    }

    /// Choose the env set (`--env` / `DSOPS_ENV`, `defaultEnv`, the only one) and
    /// resolve it. Sign-in is allowed unless `DSOPS_NO_LOGIN=1` or `CI=true`.
    pub fn resolve_env(&self) -> Result<Resolved> {
        let (cfg, project) = self.config()?;
        let untrusted = project.untrusted_error();
        let explicit = self.env_name();
        let env = match cfg.pick_env(explicit.as_deref()) {
            Ok(Some(env)) => env,
            // The env set may be in a project config we may not read.
            Err(e) => {
                return Err(match untrusted {
                    Some(u) => Error::new(u.kind, format!("{}; {}", e.message, u.message)),
                    None => e,
                });
            }
            Ok(None) if cfg.envs.is_empty() => {
                return Err(match untrusted {
                    Some(u) => u,
                    None => Error::config(format!(
                        "no env sets defined ({})",
                        if cfg.files().is_empty() {
                            format!(
                                "no config found: looked for .dsops.yaml or dsops.yaml from the working directory up, and {}",
                                crate::paths::user_config().display()
                            )
                        } else {
                            format!("in {}", cfg.files().join(", "))
                        }
                    )),
                });
            }
            Ok(None) => {
                let names: Vec<&str> = cfg.envs.iter().map(|e| e.name.as_str()).collect();
                return Err(Error::usage(format!(
                    "choose an env set with --env NAME or DSOPS_ENV, or set defaultEnv (env sets: {})",
                    names.join(", ")
                )));
            }
        };
        if let (Some(u), false) = (&untrusted, self.quiet) {
            eprintln!("dsops: not loaded: {}", crate::text::shown(&u.message));
        }
        self.debug(format_args!(
            "env set '{}' from {}: {}",
            env.name,
            env.origin.display(),
            env.vars
                .iter()
                .map(|v| v.name.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        ));
        let aws = AwsConfig::load()?;
        let opts = Options {
            login: self.login_policy(),
            timeout: RESOLVE_BOUND,
        };
        // --min-validity: the role credentials the set exports must last; the
        // resolver then finds them in the cache.
        if let Some(min) = self.min_validity {
            crate::stores::sso::env_lasting(&cfg, &aws, env, &opts.login, min)?;
        }
        let resolved = resolve::resolve(&cfg, &aws, env, &opts)?;
        if let Some((name, _)) = resolved.vars.iter().find(|(_, v)| v.contains('\0')) {
            return Err(Error::runtime(format!(
                "{}: {name}: the value contains a NUL byte, which an environment variable cannot hold",
                env.name
            )));
        }
        self.debug(format_args!(
            "resolved {} variable(s) (values redacted){}",
            resolved.vars.len(),
            if resolved.skipped.is_empty() {
                String::new()
            } else {
                format!("; optional, not found: {}", resolved.skipped.join(" "))
            }
        ));
        Ok(resolved)
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

/// A command given more operands than its synopsis has: a usage error
/// naming the first one it does not take (`dsops login dev`).
fn check_operands(args: &Args) -> Result<()> {
    let row = crate::cli::row(args.cmd);
    if row.takes_command_line {
        return Ok(());
    }
    let max = row.operands.split_whitespace().count();
    match args.operands.get(max) {
        None => Ok(()),
        Some(extra) => Err(Error::usage(format!(
            "{} takes {} ('{}'){}",
            row.name,
            match max {
                0 => "no operand".to_string(),
                _ => format!("only {}", row.operands),
            },
            crate::text::outside_text(&extra.to_string_lossy(), 80),
            // What the word may have been meant as.
            if row.flags.contains(&"store") || row.flags.contains(&"profile") {
                "; name a store or profile with --store NAME or --profile NAME"
            } else if row.flags.contains(&"env") {
                "; name the env set with --env NAME"
            } else {
                ""
            }
        ))),
    }
}

pub fn run(ctx: Ctx) -> Result<i32> {
    // The store types, before any config is read.
    crate::stores::install();
    // Nonsense in a limit variable is a usage error before any work starts.
    crate::settings::load()?;
    #[cfg(windows)]
    if matches!(
        ctx.args.cmd,
        Cmd::Hook | Cmd::HookEnv | Cmd::Allow | Cmd::Deny | Cmd::Use
    ) {
        return Err(Error::runtime(format!(
            "dsops {} works through the shell hook, which is not available on Windows yet; print an env set with {} or run a command with it: {}",
            ctx.args.command_name(),
            crate::settings::dsops_command(&["export", "--format", "powershell"]),
            crate::settings::dsops_command(&["exec", "--", "CMD"]),
        )));
    }
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
        Cmd::Use => r#use::run(&ctx),
        // `help` is answered by the parser.
        Cmd::Help => Err(Error::usage("help is printed by the parser")),
    }
}

/// stdin and stderr are terminals: a person can answer a question.
pub(crate) fn interactive() -> bool {
    use std::io::IsTerminal;
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Ask `question` on stderr (`doctor`'s sign-in, `login`'s import); an
/// empty answer, `y` or `yes` is a yes.
pub(crate) fn ask(question: &str) -> bool {
    use std::io::{BufRead, Read, Write};
    eprint!("dsops: {question}");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    // One short answer; a closed or endless stdin is a "no".
    let mut stdin = std::io::stdin().lock().take(64);
    match stdin.read_line(&mut line) {
        Ok(n) if n > 0 => {
            let a = line.trim().to_ascii_lowercase();
            a.is_empty() || a == "y" || a == "yes"
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::Format;

    /// Every word the parser lets through for `--format` lifts, and back.
    #[test]
    fn every_format_word_lifts() {
        for word in crate::cli::FORMATS.iter().chain(crate::cli::LIST_FORMATS) {
            assert_eq!(Format::lift(word).unwrap().name(), *word);
        }
        assert!(Format::lift("sh").is_err());
    }
}
