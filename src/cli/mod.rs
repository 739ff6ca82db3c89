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

pub use help::{environment, help};
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
    Serve,
    EksToken,
    Doctor,
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
        set: Set::Value(|a, v| {
            a.targets.push(Named::Store(v.clone()));
            a.store = Some(v);
        }),
    },
    Flag {
        long: "profile",
        short: Some('p'),
        value: Some("NAME"),
        help: "an AWS config profile with SSO settings",
        env: None,
        values: &[],
        complete: Complete::Profile,
        global: false,
        set: Set::Value(|a, v| {
            a.targets.push(Named::Profile(v.clone()));
            a.profile = Some(v);
        }),
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
        help: "output format: shell, dotenv or json",
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
        long: "min-validity",
        short: None,
        value: Some("DURATION"),
        help: "make sure what the job uses lasts this long (90m, 3h, 1h30m): fetch again what expires sooner, sign in now when the token cannot be refreshed, refuse what cannot last",
        env: None,
        values: &[],
        complete: Complete::None,
        global: false,
        set: Set::Value(|a, v| a.min_validity = Some(v)),
    },
    Flag {
        long: "static-credentials",
        short: None,
        value: None,
        help: "give CMD the role credentials as AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and AWS_CREDENTIAL_EXPIRATION instead of an endpoint",
        env: None,
        values: &[],
        complete: Complete::None,
        global: false,
        set: Set::Switch(|a| a.static_credentials = true),
    },
    Flag {
        long: "port",
        short: None,
        value: Some("PORT"),
        help: "the port on 127.0.0.1 to listen on (default: any free port)",
        env: None,
        values: &[],
        complete: Complete::None,
        global: false,
        set: Set::Value(|a, v| a.port = Some(v)),
    },
    Flag {
        long: "cluster",
        short: None,
        value: Some("NAME"),
        help: "the EKS cluster's name",
        env: None,
        values: &[],
        complete: Complete::None,
        global: false,
        set: Set::Value(|a, v| a.cluster = Some(v)),
    },
    Flag {
        long: "region",
        short: None,
        value: Some("REGION"),
        help: "the AWS region (default: the store's or profile's region, else AWS_REGION or AWS_DEFAULT_REGION)",
        env: None,
        values: &[],
        complete: Complete::None,
        global: false,
        set: Set::Value(|a, v| a.region = Some(v)),
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
            "min-validity",
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
            "min-validity",
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
        about: "Prints the names the shell completions offer, one a line with a tab and a short description: KIND is stores, envs, profiles (AWS config profiles with SSO settings) or sso-sessions. Reads the user config, the nearest trusted project config (or --config) and the AWS config; prints nothing on any error. Run by the completion scripts; not meant to be typed.",
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
            "min-validity",
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
        summary: "run CMD with an env set, or with a credential endpoint for a store or profile",
        about: "Without --store or --profile: resolves an env set, then replaces itself with CMD, the set added to its environment: CMD's exit status and signals are dsops's. With --store or --profile: runs CMD as a child with a credential endpoint on 127.0.0.1 (the container-credentials protocol every AWS SDK reads: AWS_CONTAINER_CREDENTIALS_FULL_URI and AWS_CONTAINER_AUTHORIZATION_TOKEN), which answers from the role-credential cache shared with the AWS CLI and fetches new credentials when they run low, so a job outlives any one set of credentials; the variables that would come before the endpoint in the SDKs' chains (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_PROFILE, AWS_DEFAULT_PROFILE, ...) are removed, and AWS_REGION and AWS_DEFAULT_REGION are set from the store or profile when not set. dsops stays the parent: it passes SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and SIGWINCH on to CMD, exits with CMD's status (128+N when a signal N ended it), and the endpoint ends with CMD. --env NAME adds an env set as well. With --static-credentials, CMD gets the role credentials as variables instead and replaces dsops. 127 when CMD is not found, 126 when it cannot be run.",
        flags: &[
            "store",
            "profile",
            "min-validity",
            "static-credentials",
            "no-login",
            "no-browser",
            "use-device-code",
        ],
        operand_complete: Complete::None,
        hidden: false,
        takes_command_line: true,
    },
    Command {
        cmd: Cmd::Serve,
        name: "serve",
        operands: "",
        summary: "serve credential endpoints for stores or profiles in the foreground",
        about: "Serves, on 127.0.0.1 (--port, default any free port), the credential endpoint of dsops exec for each --store and --profile named (both may repeat), one path and token each, until interrupted (SIGINT or SIGTERM: exit 0). Prints, for each, the variables that point an AWS SDK at it: export lines (--format shell, the default), NAME=value lines (--format dotenv, for docker run --env-file) or JSON (--format json). For containers with host networking and several shells at once.",
        flags: &[
            "store",
            "profile",
            "port",
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
        cmd: Cmd::EksToken,
        name: "eks-token",
        operands: "",
        summary: "print a kubectl ExecCredential with an EKS token, cached",
        about: "Prints the client.authentication.k8s.io/v1beta1 ExecCredential JSON that aws eks get-token prints, for kubectl's exec credential plugin: a token k8s-aws-v1. + the base64url of an STS GetCallerIdentity URL presigned (SigV4) with the role credentials of the store or profile, the cluster's name signed in the x-k8s-aws-id header. The token is cached under $XDG_CACHE_HOME/dsops/eks/ (mode 0600, keyed by cluster, region, account and role) and reused while more than 60 seconds of its 15 minutes remain, so a warm call reads one file. The STS endpoint is regional (https://sts.REGION.amazonaws.com/), or AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL.",
        flags: &[
            "cluster",
            "store",
            "profile",
            "region",
            "no-login",
            "no-browser",
            "use-device-code",
        ],
        operand_complete: Complete::None,
        hidden: false,
        takes_command_line: false,
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
    /// `--min-validity`, as given (parsed by the command).
    pub min_validity: Option<String>,
    pub static_credentials: bool,
    pub port: Option<String>,
    pub cluster: Option<String>,
    pub region: Option<String>,
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
            min_validity: None,
            static_credentials: false,
            port: None,
            cluster: None,
            region: None,
            targets: vec![],
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
