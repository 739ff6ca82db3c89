//! The one table of commands and flags, and the typed arguments it fills.
//!
//! Everything user-visible about the command line (`-h`, `--help`, `help CMD`,
//! the man page and the shell completions) is derived from `COMMANDS` and
//! `FLAGS`. A flag's row carries what the parser needs besides its names: the
//! environment variable that stands in for it, the values it accepts, and
//! the field of [`Args`] it sets. A command's row carries its [`Cmd`], which
//! `cmd::run` matches exhaustively: a command the dispatcher has not wired
//! cannot be added to the table without the compiler saying so.
//!
//! The parser (`parse.rs`) touches no config file and no network, and it
//! does not produce help or generated documents itself: those are parse
//! results ([`Parsed`]) that `main` acts on.

mod help;
mod parse;

pub use help::{environment, group_help, help};
pub use parse::parse;

use std::ffi::OsString;

/// What a flag's value completes to, for the generated completions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Complete {
    None,
    Store,
    Env,
    Profile,
    SsoSession,
    Shell,
    Format,
    GenerateKind,
    Path,
    /// A (non-hidden) command name, as for `help COMMAND`.
    Command,
}

/// How a flag sets [`Args`].
#[derive(Clone, Copy)]
pub enum Set {
    Switch(fn(&mut Args)),
    Value(fn(&mut Args, String)),
    /// `--help` and `--version`: handled by the parser itself.
    Meta,
}

pub struct Flag {
    pub long: &'static str,
    pub short: Option<char>,
    /// Name of the value in help text; `None` for a switch.
    pub value: Option<&'static str>,
    pub help: &'static str,
    /// Environment variable that sets the same thing when the flag is not
    /// given (a switch variable follows `settings::is_on`).
    pub env: Option<&'static str>,
    /// The values accepted (empty: any); a function, so that a list owned
    /// elsewhere (the shells) is asked, not copied.
    pub values: fn() -> Vec<&'static str>,
    pub complete: Complete,
    /// Accepted by every command (placed before or after the command name).
    pub global: bool,
    pub set: Set,
}

impl Command {
    /// The long description: `about`, and for a command that takes a shell
    /// (`hook`), how to install the hook in each.
    pub fn about_text(&self) -> String {
        let mut s = self.about.to_string();
        if self.operand_complete == Complete::Shell && !self.hidden {
            let hints: Vec<String> = crate::shell::SHELLS
                .iter()
                .map(|sh| sh.install_hint().to_string())
                .collect();
            s.push_str(&format!(" Put {}.", hints.join(", or ")));
        }
        s
    }
}

impl Flag {
    /// The help line, with the accepted values when there is a list.
    pub fn help_text(&self) -> String {
        self.help_in(None)
    }

    /// The help line as `cmd` takes the flag (its own values, if any).
    pub fn help_in(&self, cmd: Option<&Command>) -> String {
        let values = values_of(cmd, self);
        if values.is_empty() {
            self.help.to_string()
        } else {
            format!("{}: {}", self.help, crate::text::one_of(&values))
        }
    }
}

impl std::fmt::Debug for Flag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.long)
    }
}

/// Every command, as dispatched.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Cmd {
    Creds,
    Login,
    Logout,
    Hook,
    HookEnv,
    Complete,
    Allow,
    Deny,
    Export,
    Exec,
    Serve,
    EksToken,
    Doctor,
    Console,
    SsoList,
    SsoPopulate,
    Use,
    #[default]
    Help,
}

#[derive(Debug)]
pub struct Command {
    pub cmd: Cmd,
    pub name: &'static str,
    /// Positional arguments as shown in the synopsis, e.g. `[PATH]`.
    pub operands: &'static str,
    pub summary: &'static str,
    pub about: &'static str,
    /// Long names of the command's own flags (globals are implied).
    pub flags: &'static [&'static str],
    /// Completion of the first operand.
    pub operand_complete: Complete,
    /// Internal commands are left out of `--help` and completions.
    pub hidden: bool,
    /// Everything after the first operand (or `--`) is a command line of its
    /// own (`exec -- CMD ARGS...`), not dsops's flags.
    pub takes_command_line: bool,
    /// One to three examples (a command line, what it does) for the long
    /// help and the man page; none for internal commands.
    pub examples: &'static [(&'static str, &'static str)],
}

mod table;
pub use table::{COMMANDS, FLAGS, FORMATS, GENERATE_KINDS, LIST_FORMATS};

/// A command's own values for a flag, where they differ from the flag row's
/// (`sso list --format table|json`, `export --format shell|dotenv|json`).
pub const VALUES: &[(Cmd, &str, &[&str])] = &[(Cmd::SsoList, "format", LIST_FORMATS)];

/// The values `f` accepts in `cmd` (empty: any).
pub fn values_of(cmd: Option<&Command>, f: &Flag) -> Vec<&'static str> {
    cmd.and_then(|c| {
        VALUES
            .iter()
            .find(|(k, long, _)| *k == c.cmd && *long == f.long)
            .map(|(_, _, v)| v.to_vec())
    })
    .unwrap_or_else(|| (f.values)())
}

/// Commands of two words (`sso list`): the first word, what the group is
/// for. `dsops sso` alone prints the group's help.
pub const GROUPS: &[(&str, &str)] = &[(
    "sso",
    "list the accounts and roles of an IAM Identity Center session, or write AWS profiles for them",
)];

/// The group a two-word command belongs to (`sso` of `sso list`) and its
/// own word.
pub fn split_name(name: &str) -> Option<(&str, &str)> {
    name.split_once(' ')
}

/// The commands of a group, as rows.
pub fn group_commands(group: &str) -> impl Iterator<Item = &'static Command> + '_ {
    COMMANDS
        .iter()
        .filter(move |c| split_name(c.name).is_some_and(|(g, _)| g == group))
}

pub fn flag(long: &str) -> &'static Flag {
    FLAGS
        .iter()
        .find(|f| f.long == long)
        // The table is static and `tests` check every referenced name exists.
        .expect("flag referenced by the command table")
}

pub fn command(name: &str) -> Option<&'static Command> {
    COMMANDS.iter().find(|c| c.name == name)
}

/// The table row of a command.
pub fn row(cmd: Cmd) -> &'static Command {
    COMMANDS
        .iter()
        .find(|c| c.cmd == cmd)
        // A `Cmd` is only ever made from a row (the parser), so it has one.
        .expect("every Cmd comes from a row of COMMANDS")
}

/// Flags a command accepts: its own, then the globals. Without a command,
/// the top-level ones (`--generate`) and the globals.
pub fn flags_of(cmd: Option<&Command>) -> Vec<&'static Flag> {
    let mut v: Vec<&'static Flag> = cmd
        .map(|c| c.flags.iter().map(|n| flag(n)).collect())
        .unwrap_or_default();
    if cmd.is_none() {
        v.push(flag("generate"));
    }
    v.extend(FLAGS.iter().filter(|f| f.global));
    v
}

/// The parsed command line: every flag as a field, the environment standing
/// in for flags not given (see [`Flag::env`]). Values that need checking
/// beyond the table's lists (a port, a duration, which store or profile)
/// are lifted into typed values once, by `cmd::Ctx::new`.
#[derive(Debug, Clone, Default)]
pub struct Args {
    pub cmd: Cmd,
    /// A flag came before the command word (`dsops --debug use dev`), which
    /// the shell functions that wrap `dsops use` do not take over.
    pub flags_first: bool,
    pub config: Option<String>,
    /// `--config` came from `DSOPS_CONFIG` (which must be absolute).
    pub config_from_env: bool,
    pub env: Option<String>,
    pub quiet: bool,
    pub debug: bool,
    pub store: Option<String>,
    pub profile: Option<String>,
    pub sso_session: Option<String>,
    pub no_login: bool,
    pub no_browser: bool,
    pub use_device_code: bool,
    pub format: Option<String>,
    pub shell: Option<String>,
    pub generate: Option<String>,
    pub show: bool,
    pub yes: bool,
    /// `--min-validity`, as given (parsed by the command).
    pub min_validity: Option<String>,
    pub static_credentials: bool,
    /// `login --force`: sign in even with a valid token.
    pub force: bool,
    /// `login --import`: move a plaintext token file into the keyring.
    pub import: bool,
    /// `doctor --login`: sign in where a session needs it, without asking.
    pub login: bool,
    pub port: Option<String>,
    /// `serve --allow-any-user`.
    pub allow_any_user: bool,
    pub cluster: Option<String>,
    pub region: Option<String>,
    pub destination: Option<String>,
    pub print: bool,
    pub profile_name: Option<String>,
    pub prune: bool,
    /// `sso populate --credential-process`.
    pub credential_process: bool,
    pub dry_run: bool,
    /// `use --off`.
    pub off: bool,
    /// Every `--store` and `--profile` in order (`serve` takes several; the
    /// other commands read `store` and `profile`, the last of each).
    pub targets: Vec<Named>,
    pub operands: Vec<OsString>,
}

/// A store or profile named on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Named {
    Store(String),
    Profile(String),
}

impl Args {
    pub fn new(cmd: Cmd) -> Args {
        Args {
            cmd,
            ..Args::default()
        }
    }

    pub fn command_name(&self) -> &'static str {
        row(self.cmd).name
    }
}

/// What `main` should do after parsing.
pub enum Parsed {
    Run(Box<Args>),
    /// Help text (of dsops or of a command; long or short), on stdout.
    Help(Option<&'static Command>, bool),
    /// Help of a group of commands (`dsops sso`), on stdout.
    GroupHelp(&'static str),
    Version,
    /// `--generate KIND`: a generated document on stdout.
    Generate(String),
    /// No command at all (plain `dsops`): the short help on stderr, status 2.
    Usage,
}

/// What dsops is, in one line (help and the man page's NAME).
pub const TAGLINE: &str =
    "AWS IAM Identity Center credentials and direnv-style project environments";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_invariants() {
        for c in COMMANDS {
            for f in c.flags {
                assert!(
                    FLAGS.iter().any(|g| g.long == *f),
                    "{} names unknown flag {f}",
                    c.name
                );
            }
        }
        for (i, a) in FLAGS.iter().enumerate() {
            for b in &FLAGS[i + 1..] {
                assert_ne!(a.long, b.long);
                if a.short.is_some() {
                    assert_ne!(a.short, b.short, "{} and {}", a.long, b.long);
                }
            }
            if a.complete != Complete::None {
                assert!(
                    a.value.is_some(),
                    "{} completes a value but takes none",
                    a.long
                );
            }
            match a.set {
                Set::Switch(_) => assert!(a.value.is_none(), "{}", a.long),
                Set::Value(_) => assert!(a.value.is_some(), "{}", a.long),
                Set::Meta => {}
            }
        }
        for c in COMMANDS {
            let n = c.examples.len();
            assert!(
                if c.hidden {
                    n == 0
                } else {
                    (1..=3).contains(&n)
                },
                "{}: {n} examples",
                c.name
            );
        }
        for (i, a) in COMMANDS.iter().enumerate() {
            assert!(COMMANDS[i + 1..].iter().all(|b| b.name != a.name));
            assert!(COMMANDS[i + 1..].iter().all(|b| b.cmd != a.cmd));
        }
    }

    /// Every example is a command line the parser accepts, for the command
    /// it is listed under (the dsops words of it, up to shell syntax).
    #[test]
    fn examples_parse() {
        for c in COMMANDS {
            for (line, what) in c.examples {
                assert!(!what.is_empty(), "{line}");
                let start = line.find("dsops ").expect(line);
                let words: Vec<std::ffi::OsString> = line[start..]
                    .split(['|', '>', ')', '"'])
                    .next()
                    .unwrap_or_default()
                    .split_whitespace()
                    .map(Into::into)
                    .collect();
                match parse(words) {
                    Ok(Parsed::Run(a)) => assert_eq!(a.cmd, c.cmd, "{line}"),
                    Ok(Parsed::Help(Some(h), _)) => {
                        assert_eq!(c.cmd, Cmd::Help, "{line}: {}", h.name)
                    }
                    Ok(_) => panic!("{line}: not a command run"),
                    Err(e) => panic!("{line}: {e}"),
                }
            }
        }
    }
}
