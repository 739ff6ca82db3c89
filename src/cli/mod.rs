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
    /// The values accepted (empty: any).
    pub values: &'static [&'static str],
    pub complete: Complete,
    /// Accepted by every command (placed before or after the command name).
    pub global: bool,
    pub set: Set,
}

impl std::fmt::Debug for Flag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.long)
    }
}

/// Every command, as dispatched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
    Doctor,
    Console,
    SsoList,
    SsoPopulate,
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
}

/// The values of `--generate`.
pub const GENERATE_KINDS: &[&str] = &["man", "complete-bash", "complete-zsh", "complete-fish"];
/// The values of `export --format`.
pub const FORMATS: &[&str] = &["shell", "dotenv", "json"];
/// The values of `sso list --format`.
pub const LIST_FORMATS: &[&str] = &["table", "json"];

/// A command's own values for a flag, where they differ from the flag row's
/// (`sso list --format table|json`, `export --format shell|dotenv|json`).
pub const VALUES: &[(Cmd, &str, &[&str])] = &[(Cmd::SsoList, "format", LIST_FORMATS)];

/// The values `f` accepts in `cmd` (empty: any).
pub fn values_of(cmd: Option<&Command>, f: &Flag) -> &'static [&'static str] {
    cmd.and_then(|c| {
        VALUES
            .iter()
            .find(|(k, long, _)| *k == c.cmd && *long == f.long)
            .map(|(_, _, v)| *v)
    })
    .unwrap_or(f.values)
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

pub const FLAGS: &[Flag] = &[
    Flag {
        long: "config",
        short: Some('c'),
        value: Some("PATH"),
        help: "use exactly this file as the project config (trusted, because you named it)",
        env: Some("DSOPS_CONFIG"),
        values: &[],
        complete: Complete::Path,
        global: true,
        set: Set::Value(|a, v| a.config = Some(v)),
    },
    Flag {
        long: "env",
        short: Some('e'),
        value: Some("NAME"),
        help: "the env set to use",
        env: Some("DSOPS_ENV"),
        values: &[],
        complete: Complete::Env,
        global: true,
        set: Set::Value(|a, v| a.env = Some(v)),
    },
    Flag {
        long: "quiet",
        short: Some('q'),
        value: None,
        help: "print no status lines",
        env: Some("DSOPS_QUIET"),
        values: &[],
        complete: Complete::None,
        global: true,
        set: Set::Switch(|a| a.quiet = true),
    },
    Flag {
        long: "debug",
        short: None,
        value: None,
        help: "print what dsops does on stderr (secret values are redacted)",
        env: Some("DSOPS_DEBUG"),
        values: &[],
        complete: Complete::None,
        global: true,
        set: Set::Switch(|a| a.debug = true),
    },
    Flag {
        long: "help",
        short: Some('h'),
        value: None,
        help: "print help (-h: short, --help: long)",
        env: None,
        values: &[],
        complete: Complete::None,
        global: true,
        set: Set::Meta,
    },
    Flag {
        long: "version",
        short: Some('V'),
        value: None,
        help: "print the version",
        env: None,
        values: &[],
        complete: Complete::None,
        global: true,
        set: Set::Meta,
    },
    Flag {
        long: "store",
        short: Some('s'),
        value: Some("NAME"),
        help: "an aws.sso store of the dsops config",
        env: None,
        values: &[],
        complete: Complete::Store,
        global: false,
        set: Set::Value(|a, v| a.store = Some(v)),
    },
    Flag {
        long: "profile",
        short: Some('p'),
        value: Some("NAME"),
        help: "an AWS config profile with SSO settings, or with role_arn and source_profile",
        env: None,
        values: &[],
        complete: Complete::Profile,
        global: false,
        set: Set::Value(|a, v| a.profile = Some(v)),
    },
    Flag {
        long: "sso-session",
        short: None,
        value: Some("NAME"),
        help: "an [sso-session NAME] section of the AWS config",
        env: None,
        values: &[],
        complete: Complete::SsoSession,
        global: false,
        set: Set::Value(|a, v| a.sso_session = Some(v)),
    },
    Flag {
        long: "no-login",
        short: None,
        value: None,
        help: "never sign in; fail with exit status 5 when a sign-in is needed",
        env: Some("DSOPS_NO_LOGIN"),
        values: &[],
        complete: Complete::None,
        global: false,
        set: Set::Switch(|a| a.no_login = true),
    },
    Flag {
        long: "no-browser",
        short: None,
        value: None,
        help: "do not open a browser; print the URL and code only",
        env: Some("AWS_SSO_DISABLE_BROWSER"),
        values: &[],
        complete: Complete::None,
        global: false,
        set: Set::Switch(|a| a.no_browser = true),
    },
    Flag {
        long: "use-device-code",
        short: None,
        value: None,
        help: "sign in with the device code flow instead of the authorization code flow",
        env: Some("DSOPS_USE_DEVICE_CODE"),
        values: &[],
        complete: Complete::None,
        global: false,
        set: Set::Switch(|a| a.use_device_code = true),
    },
    Flag {
        long: "format",
        short: Some('f'),
        value: Some("FORMAT"),
        help: "output format: shell, dotenv or json (sso list: table or json)",
        env: None,
        values: FORMATS,
        complete: Complete::Format,
        global: false,
        set: Set::Value(|a, v| a.format = Some(v)),
    },
    Flag {
        long: "shell",
        short: None,
        value: Some("SHELL"),
        help: "shell syntax for --format shell: bash, zsh or fish",
        env: None,
        values: crate::shell::NAMES,
        complete: Complete::Shell,
        global: false,
        set: Set::Value(|a, v| a.shell = Some(v)),
    },
    Flag {
        long: "show",
        short: None,
        value: None,
        help: "print what changed since the config was allowed, by risk, and change nothing",
        env: None,
        values: &[],
        complete: Complete::None,
        global: false,
        set: Set::Switch(|a| a.show = true),
    },
    Flag {
        long: "yes",
        short: Some('y'),
        value: None,
        help: "do not ask for confirmation",
        env: None,
        values: &[],
        complete: Complete::None,
        global: false,
        set: Set::Switch(|a| a.yes = true),
    },
    Flag {
        long: "destination",
        short: None,
        value: Some("URL"),
        help: "the console page to open (default: the console home of the region)",
        env: None,
        values: &[],
        complete: Complete::None,
        global: false,
        set: Set::Value(|a, v| a.destination = Some(v)),
    },
    Flag {
        long: "region",
        short: None,
        value: Some("REGION"),
        help: "the AWS region (console: whose console; sso populate: the profiles' region)",
        env: None,
        values: &[],
        complete: Complete::None,
        global: false,
        set: Set::Value(|a, v| a.region = Some(v)),
    },
    Flag {
        long: "print",
        short: None,
        value: None,
        help: "print the sign-in URL on stdout instead of opening a browser (the URL is a credential)",
        env: None,
        values: &[],
        complete: Complete::None,
        global: false,
        set: Set::Switch(|a| a.print = true),
    },
    Flag {
        long: "profile-name",
        short: None,
        value: Some("TEMPLATE"),
        help: "the name of each profile written, from {account_name}, {account_id}, {role_name} and {sso_session} (default {account_name}.{role_name})",
        env: None,
        values: &[],
        complete: Complete::None,
        global: false,
        set: Set::Value(|a, v| a.profile_name = Some(v)),
    },
    Flag {
        long: "prune",
        short: None,
        value: None,
        help: "also remove profiles an earlier sso populate wrote whose account or role is gone",
        env: None,
        values: &[],
        complete: Complete::None,
        global: false,
        set: Set::Switch(|a| a.prune = true),
    },
    Flag {
        long: "dry-run",
        short: None,
        value: None,
        help: "print the change as a diff and write nothing",
        env: None,
        values: &[],
        complete: Complete::None,
        global: false,
        set: Set::Switch(|a| a.dry_run = true),
    },
    Flag {
        long: "generate",
        short: None,
        value: Some("KIND"),
        help: "print generated text: man, complete-bash, complete-zsh or complete-fish",
        env: None,
        values: GENERATE_KINDS,
        complete: Complete::GenerateKind,
        global: false,
        set: Set::Value(|a, v| a.generate = Some(v)),
    },
];

pub const COMMANDS: &[Command] = &[
    Command {
        cmd: Cmd::Creds,
        name: "creds",
        operands: "",
        summary: "print credential_process JSON for an aws.sso store or an SSO profile",
        about: "Prints AWS credential_process JSON (Version 1) with role credentials from IAM Identity Center. Role credentials and the SSO token are shared with the AWS CLI's caches; parallel callers wait for one sign-in. Signs in by itself when needed, unless --no-login, DSOPS_NO_LOGIN=1 or CI=true, where it exits with status 5.",
        flags: &[
            "store",
            "profile",
            "no-login",
            "no-browser",
            "use-device-code",
        ],
        operand_complete: Complete::None,
        hidden: false,
        takes_command_line: false,
    },
    Command {
        cmd: Cmd::Login,
        name: "login",
        operands: "",
        summary: "sign in to IAM Identity Center",
        about: "Signs in to IAM Identity Center for a store, profile or sso-session and caches the token where the AWS CLI finds it. With no option, uses the only aws.sso store or the only sso-session.",
        flags: &[
            "store",
            "profile",
            "sso-session",
            "no-browser",
            "use-device-code",
        ],
        operand_complete: Complete::None,
        hidden: false,
        takes_command_line: false,
    },
    Command {
        cmd: Cmd::Logout,
        name: "logout",
        operands: "",
        summary: "sign out: revoke the token, delete it and the cached role credentials",
        about: "Calls the Identity Center Logout API, deletes the session's token file and the role credentials cached for it.",
        flags: &["store", "profile", "sso-session"],
        operand_complete: Complete::None,
        hidden: false,
        takes_command_line: false,
    },
    Command {
        cmd: Cmd::Hook,
        name: "hook",
        operands: "SHELL",
        summary: "print the shell init code: eval \"$(dsops hook zsh)\"",
        about: "Prints the init code for bash, zsh or fish. Put eval \"$(dsops hook bash)\" in ~/.bashrc, eval \"$(dsops hook zsh)\" in ~/.zshrc, or dsops hook fish | source in ~/.config/fish/config.fish.",
        flags: &[],
        operand_complete: Complete::Shell,
        hidden: false,
        takes_command_line: false,
    },
    Command {
        cmd: Cmd::HookEnv,
        name: "hook-env",
        operands: "SHELL",
        summary: "what the init code runs when something changed (internal)",
        about: "Prints the export and unset lines for the current directory, or nothing when nothing changed. Run by the init code; not meant to be typed.",
        flags: &[],
        operand_complete: Complete::Shell,
        hidden: true,
        takes_command_line: false,
    },
    Command {
        cmd: Cmd::Complete,
        name: "complete",
        operands: "KIND",
        summary: "print names for the shell completions (internal)",
        about: "Prints the names the shell completions offer, one a line with a tab and a short description: KIND is stores, envs, profiles (AWS config profiles with SSO settings or role_arn) or sso-sessions. Reads the user config, the nearest trusted project config (or --config) and the AWS config; prints nothing on any error. Run by the completion scripts; not meant to be typed.",
        flags: &[],
        operand_complete: Complete::None,
        hidden: true,
        takes_command_line: false,
    },
    Command {
        cmd: Cmd::Allow,
        name: "allow",
        operands: "[PATH]",
        summary: "trust a project config (default: the nearest one)",
        about: "Records that the project config at PATH (default: the nearest .dsops.yaml or dsops.yaml) is trusted, with a hash of its content and a copy of it. An edit that leaves the parsed config unchanged (comments, white space, key order, quoting) stays trusted; any other edit needs a new allow. With --show, prints what changed since it was allowed, each change classified high (exec commands, where credentials come from or go), medium (which secrets are read) or low, and changes nothing. On a terminal, allow prints the changes and asks before trusting a high-risk one, unless --yes.",
        flags: &["show", "yes"],
        operand_complete: Complete::Path,
        hidden: false,
        takes_command_line: false,
    },
    Command {
        cmd: Cmd::Deny,
        name: "deny",
        operands: "[PATH]",
        summary: "distrust a project config (default: the nearest one)",
        about: "Records that the project config at PATH (default: the nearest one) must not be loaded.",
        flags: &[],
        operand_complete: Complete::Path,
        hidden: false,
        takes_command_line: false,
    },
    Command {
        cmd: Cmd::Export,
        name: "export",
        operands: "",
        summary: "resolve an env set once and print it",
        about: "Resolves an env set and prints it as shell export lines, a dotenv file or JSON. Signs in to IAM Identity Center when a store needs it, unless --no-login, DSOPS_NO_LOGIN=1 or CI=true.",
        flags: &[
            "format",
            "shell",
            "no-login",
            "no-browser",
            "use-device-code",
        ],
        operand_complete: Complete::None,
        hidden: false,
        takes_command_line: false,
    },
    Command {
        cmd: Cmd::Exec,
        name: "exec",
        operands: "-- CMD [ARGS...]",
        summary: "run CMD with an env set added to its environment",
        about: "Resolves an env set, then replaces itself with CMD, the set added to its environment: CMD's exit status and signals are dsops's. 127 when CMD is not found, 126 when it cannot be run.",
        flags: &["no-login", "no-browser", "use-device-code"],
        operand_complete: Complete::None,
        hidden: false,
        takes_command_line: true,
    },
    Command {
        cmd: Cmd::Doctor,
        name: "doctor",
        operands: "",
        summary: "check configs, trust, stores, the hook and file permissions",
        about: "Checks the configs, trust, every store (token state and expiry, reachability), the hook and file permissions. Exits 0 when all is well, 1 otherwise. Signs in when an aws.sso store needs it and the terminal is interactive.",
        flags: &["store"],
        operand_complete: Complete::None,
        hidden: false,
        takes_command_line: false,
    },
    Command {
        cmd: Cmd::Console,
        name: "console",
        operands: "",
        summary: "open the AWS console as the role of a store or profile",
        about: "Gets the role credentials as creds does (signing in when needed, role chains included), exchanges them at the AWS federation endpoint (AWS_ENDPOINT_URL_SIGNIN; the partition's signin host by default) for a sign-in token, and opens the console sign-in URL in the browser (AWS_SSO_BROWSER, BROWSER), or prints it with --print. The destination defaults to the console home of the region: --region, else the store's or profile's region, else AWS_REGION, else us-east-1. The URL signs whoever has it in: it is never printed by --debug nor in an error.",
        flags: &[
            "store",
            "profile",
            "destination",
            "region",
            "print",
            "no-login",
            "no-browser",
            "use-device-code",
        ],
        operand_complete: Complete::None,
        hidden: false,
        takes_command_line: false,
    },
    Command {
        cmd: Cmd::SsoList,
        name: "sso list",
        operands: "",
        summary: "list the accounts and roles an IAM Identity Center session can reach",
        about: "Lists every account and role the session can reach (ListAccounts and ListAccountRoles, all pages, accounts fetched concurrently), sorted by account name, as an aligned table or, with --format json, as JSON. The session is --sso-session, or that of --profile, or the AWS config's only sso-session. Signs in when needed. On a terminal, shows progress on stderr.",
        flags: &[
            "sso-session",
            "profile",
            "format",
            "no-login",
            "no-browser",
            "use-device-code",
        ],
        operand_complete: Complete::None,
        hidden: false,
        takes_command_line: false,
    },
    Command {
        cmd: Cmd::SsoPopulate,
        name: "sso populate",
        operands: "",
        summary: "write an AWS profile for every account and role of a session",
        about: "Writes a [profile NAME] section with sso_session, sso_account_id, sso_role_name and region for every account and role the session can reach into the AWS config (AWS_CONFIG_FILE). NAME comes from --profile-name, normalized to the characters the AWS CLI accepts. Every other byte of the file is kept; the profiles written carry a comment line marking them, so a later run updates them and --prune removes those whose account or role is gone, never a profile you wrote (a name clash with one is reported and skipped). The write is atomic, under a lock, and keeps the previous file as config.dsops-backup; a run that changes nothing leaves the file untouched. --dry-run prints the diff. The session is --sso-session or the AWS config's only sso-session; the region is --region, else the sso-session's sso_region.",
        flags: &[
            "sso-session",
            "profile-name",
            "region",
            "prune",
            "dry-run",
            "no-login",
            "no-browser",
            "use-device-code",
        ],
        operand_complete: Complete::None,
        hidden: false,
        takes_command_line: false,
    },
    Command {
        cmd: Cmd::Help,
        name: "help",
        operands: "[COMMAND]",
        summary: "print help for dsops or one command",
        about: "Prints the long help of dsops, or of COMMAND.",
        flags: &[],
        operand_complete: Complete::Command,
        hidden: false,
        takes_command_line: false,
    },
];

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

/// The parsed command line: every flag as a typed field, the environment
/// standing in for flags not given (see [`Flag::env`]).
#[derive(Debug, Clone)]
pub struct Args {
    pub cmd: Cmd,
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
    pub destination: Option<String>,
    pub region: Option<String>,
    pub print: bool,
    pub profile_name: Option<String>,
    pub prune: bool,
    pub dry_run: bool,
    pub operands: Vec<OsString>,
}

impl Args {
    pub fn new(cmd: Cmd) -> Args {
        Args {
            cmd,
            config: None,
            config_from_env: false,
            env: None,
            quiet: false,
            debug: false,
            store: None,
            profile: None,
            sso_session: None,
            no_login: false,
            no_browser: false,
            use_device_code: false,
            format: None,
            shell: None,
            generate: None,
            show: false,
            yes: false,
            destination: None,
            region: None,
            print: false,
            profile_name: None,
            prune: false,
            dry_run: false,
            operands: vec![],
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
        for (i, a) in COMMANDS.iter().enumerate() {
            assert!(COMMANDS[i + 1..].iter().all(|b| b.name != a.name));
            assert!(COMMANDS[i + 1..].iter().all(|b| b.cmd != a.cmd));
        }
    }
}
