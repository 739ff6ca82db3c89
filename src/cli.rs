//! The one table of commands and flags, and the lexopt parser driven by it.
//!
//! Everything user-visible about the command line (`-h`, `--help`, `help CMD`,
//! the man page and the shell completions in `generate.rs`) is derived from
//! `COMMANDS` and `FLAGS`. Nothing here touches a config file or the network, so
//! help and version answer before any other work.

use crate::error::{Error, Result};
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
    Path,
    GenerateKind,
    /// A (non-hidden) command name, as for `help COMMAND`.
    Command,
}

#[derive(Debug)]
pub struct Flag {
    pub long: &'static str,
    pub short: Option<char>,
    /// Name of the value in help text; `None` for a switch.
    pub value: Option<&'static str>,
    pub help: &'static str,
    /// Environment variable that sets the same thing, if any.
    pub env: Option<&'static str>,
    pub complete: Complete,
    /// Accepted by every command (placed before or after the command name).
    pub global: bool,
}

#[derive(Debug)]
pub struct Command {
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
}

pub const FLAGS: &[Flag] = &[
    Flag {
        long: "config",
        short: Some('c'),
        value: Some("PATH"),
        help: "use exactly this file as the project config (trusted, because you named it)",
        env: Some("DSOPS_CONFIG"),
        complete: Complete::Path,
        global: true,
    },
    Flag {
        long: "env",
        short: Some('e'),
        value: Some("NAME"),
        help: "the env set to use",
        env: Some("DSOPS_ENV"),
        complete: Complete::Env,
        global: true,
    },
    Flag {
        long: "quiet",
        short: Some('q'),
        value: None,
        help: "print no status lines",
        env: Some("DSOPS_QUIET"),
        complete: Complete::None,
        global: true,
    },
    Flag {
        long: "debug",
        short: None,
        value: None,
        help: "print what dsops does on stderr (secret values are redacted)",
        env: Some("DSOPS_DEBUG"),
        complete: Complete::None,
        global: true,
    },
    Flag {
        long: "help",
        short: Some('h'),
        value: None,
        help: "print help (-h: short, --help: long)",
        env: None,
        complete: Complete::None,
        global: true,
    },
    Flag {
        long: "version",
        short: Some('V'),
        value: None,
        help: "print the version",
        env: None,
        complete: Complete::None,
        global: true,
    },
    Flag {
        long: "store",
        short: Some('s'),
        value: Some("NAME"),
        help: "an aws.sso store of the dsops config",
        env: None,
        complete: Complete::Store,
        global: false,
    },
    Flag {
        long: "profile",
        short: Some('p'),
        value: Some("NAME"),
        help: "an AWS config profile with SSO settings",
        env: None,
        complete: Complete::Profile,
        global: false,
    },
    Flag {
        long: "sso-session",
        short: None,
        value: Some("NAME"),
        help: "an [sso-session NAME] section of the AWS config",
        env: None,
        complete: Complete::SsoSession,
        global: false,
    },
    Flag {
        long: "no-login",
        short: None,
        value: None,
        help: "never sign in; fail with exit status 5 when a sign-in is needed",
        env: Some("DSOPS_NO_LOGIN"),
        complete: Complete::None,
        global: false,
    },
    Flag {
        long: "no-browser",
        short: None,
        value: None,
        help: "do not open a browser; print the URL and code only",
        env: Some("AWS_SSO_DISABLE_BROWSER"),
        complete: Complete::None,
        global: false,
    },
    Flag {
        long: "use-device-code",
        short: None,
        value: None,
        help: "sign in with the device code flow instead of the authorization code flow",
        env: None,
        complete: Complete::None,
        global: false,
    },
    Flag {
        long: "format",
        short: Some('f'),
        value: Some("FORMAT"),
        help: "output format: shell, dotenv or json",
        env: None,
        complete: Complete::Format,
        global: false,
    },
    Flag {
        long: "shell",
        short: None,
        value: Some("SHELL"),
        help: "shell syntax for --format shell: bash, zsh or fish",
        env: None,
        complete: Complete::Shell,
        global: false,
    },
    Flag {
        long: "generate",
        short: None,
        value: Some("KIND"),
        help: "print generated text: man, complete-bash, complete-zsh or complete-fish",
        env: None,
        complete: Complete::GenerateKind,
        global: false,
    },
];

pub const COMMANDS: &[Command] = &[
    Command {
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
    },
    Command {
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
    },
    Command {
        name: "logout",
        operands: "",
        summary: "sign out: revoke the token, delete it and the cached role credentials",
        about: "Calls the Identity Center Logout API, deletes the session's token file and the role credentials cached for it.",
        flags: &["store", "profile", "sso-session"],
        operand_complete: Complete::None,
        hidden: false,
    },
    Command {
        name: "hook",
        operands: "SHELL",
        summary: "print the shell init code: eval \"$(dsops hook zsh)\"",
        about: "Prints the init code for bash, zsh or fish. Put eval \"$(dsops hook bash)\" in ~/.bashrc, eval \"$(dsops hook zsh)\" in ~/.zshrc, or dsops hook fish | source in ~/.config/fish/config.fish.",
        flags: &[],
        operand_complete: Complete::Shell,
        hidden: false,
    },
    Command {
        name: "hook-env",
        operands: "SHELL",
        summary: "what the init code runs when something changed (internal)",
        about: "Prints the export and unset lines for the current directory, or nothing when nothing changed. Run by the init code; not meant to be typed.",
        flags: &[],
        operand_complete: Complete::Shell,
        hidden: true,
    },
    Command {
        name: "complete",
        operands: "KIND",
        summary: "print names for the shell completions (internal)",
        about: "Prints the names the shell completions offer, one a line with a tab and a short description: KIND is stores, envs, profiles (AWS config profiles with SSO settings) or sso-sessions. Reads the user config, the nearest trusted project config (or --config) and the AWS config; prints nothing on any error. Run by the completion scripts; not meant to be typed.",
        flags: &[],
        operand_complete: Complete::None,
        hidden: true,
    },
    Command {
        name: "allow",
        operands: "[PATH]",
        summary: "trust a project config (default: the nearest one)",
        about: "Records that the project config at PATH (default: the nearest .dsops.yaml or dsops.yaml) is trusted, with a hash of its content: any edit needs a new allow.",
        flags: &[],
        operand_complete: Complete::Path,
        hidden: false,
    },
    Command {
        name: "deny",
        operands: "[PATH]",
        summary: "distrust a project config (default: the nearest one)",
        about: "Records that the project config at PATH (default: the nearest one) must not be loaded.",
        flags: &[],
        operand_complete: Complete::Path,
        hidden: false,
    },
    Command {
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
    },
    Command {
        name: "exec",
        operands: "-- CMD [ARGS...]",
        summary: "run CMD with an env set added to its environment",
        about: "Resolves an env set, then replaces itself with CMD, the set added to its environment: CMD's exit status and signals are dsops's. 127 when CMD is not found, 126 when it cannot be run.",
        flags: &["no-login", "no-browser", "use-device-code"],
        operand_complete: Complete::None,
        hidden: false,
    },
    Command {
        name: "doctor",
        operands: "",
        summary: "check configs, trust, stores, the hook and file permissions",
        about: "Checks the configs, trust, every store (token state and expiry, reachability), the hook and file permissions. Exits 0 when all is well, 1 otherwise. Signs in when an aws.sso store needs it and the terminal is interactive.",
        flags: &["store"],
        operand_complete: Complete::None,
        hidden: false,
    },
    Command {
        name: "help",
        operands: "[COMMAND]",
        summary: "print help for dsops or one command",
        about: "Prints the long help of dsops, or of COMMAND.",
        flags: &[],
        operand_complete: Complete::Command,
        hidden: false,
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

/// Flags a command accepts: its own, then the globals.
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

/// The parsed command line.
#[derive(Debug, Default)]
pub struct Args {
    pub command: Option<&'static Command>,
    values: Vec<(&'static str, String)>,
    switches: Vec<&'static str>,
    pub operands: Vec<OsString>,
}

impl Args {
    pub fn value(&self, long: &str) -> Option<&str> {
        self.values
            .iter()
            .rev()
            .find(|(k, _)| *k == long)
            .map(|(_, v)| v.as_str())
    }
    pub fn switch(&self, long: &str) -> bool {
        self.switches.contains(&long)
    }
    pub fn command_name(&self) -> &'static str {
        self.command.map(|c| c.name).unwrap_or("")
    }
}

/// What `main` should do after parsing.
pub enum Parsed {
    Run(Args),
    /// Text for stdout, then exit 0 (help, version, generated files).
    Print(String),
}

fn suggest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> String {
    let best = candidates
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min_by_key(|(d, _)| *d);
    match best {
        Some((_, c)) => format!(" (did you mean '{c}'?)"),
        None => String::new(),
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

pub fn parse(argv: impl IntoIterator<Item = OsString>) -> Result<Parsed> {
    use lexopt::prelude::*;
    let mut parser = lexopt::Parser::from_iter(argv);
    let mut args = Args::default();
    let mut want_help: Option<bool> = None; // Some(long?)
    while let Some(arg) = parser.next().map_err(|e| Error::usage(e.to_string()))? {
        let accepted = flags_of(args.command);
        let found = match &arg {
            Long(name) => accepted
                .iter()
                .find(|f| f.long == *name)
                .copied()
                .ok_or_else(|| {
                    let all = accepted.iter().map(|f| f.long);
                    let hint = suggest(name, all);
                    let elsewhere = FLAGS
                        .iter()
                        .find(|f| f.long == *name)
                        .map(|_| format!(" (not a flag of '{}')", args.command_name()));
                    Error::usage(format!(
                        "unknown flag '--{name}'{}",
                        elsewhere.unwrap_or(hint)
                    ))
                })?,
            Short(c) => accepted
                .iter()
                .find(|f| f.short == Some(*c))
                .copied()
                .ok_or_else(|| Error::usage(format!("unknown flag '-{c}'")))?,
            Value(v) => {
                if args.command.is_none() {
                    let name = v.to_string_lossy();
                    match command(&name) {
                        Some(c) => args.command = Some(c),
                        None => {
                            let hint = suggest(
                                &name,
                                COMMANDS.iter().filter(|c| !c.hidden).map(|c| c.name),
                            );
                            return Err(Error::usage(format!("unknown command '{name}'{hint}")));
                        }
                    }
                } else {
                    args.operands.push(v.clone());
                    if args.command_name() == "exec" {
                        args.operands
                            .extend(parser.raw_args().map_err(|e| Error::usage(e.to_string()))?);
                    }
                }
                continue;
            }
        };
        match found.long {
            "help" => {
                want_help = Some(matches!(arg, Long(_)));
                continue;
            }
            "version" => {
                return Ok(Parsed::Print(format!(
                    "dsops {}\n",
                    env!("CARGO_PKG_VERSION")
                )));
            }
            _ => {}
        }
        if found.value.is_some() {
            let v = parser.value().map_err(|e| Error::usage(e.to_string()))?;
            let v = v.into_string().map_err(|v| {
                Error::usage(format!(
                    "--{}: value is not valid UTF-8: {}",
                    found.long,
                    v.to_string_lossy()
                ))
            })?;
            args.values.push((found.long, v));
        } else {
            args.switches.push(found.long);
        }
        // `exec --env X -- CMD`: everything after `--` is the command.
        if args.command_name() == "exec" && !args.operands.is_empty() {
            break;
        }
    }
    if let Some(long) = want_help {
        return Ok(Parsed::Print(help(args.command, long)));
    }
    if args.command_name() == "help" {
        let name = args
            .operands
            .first()
            .map(|o| o.to_string_lossy().into_owned());
        return match name {
            None => Ok(Parsed::Print(help(None, true))),
            Some(n) => match command(&n) {
                Some(c) => Ok(Parsed::Print(help(Some(c), true))),
                None => Err(Error::usage(format!(
                    "no command '{n}'{}",
                    suggest(&n, COMMANDS.iter().map(|c| c.name))
                ))),
            },
        };
    }
    if let Some(kind) = args.value("generate") {
        return crate::generate::generate(kind).map(Parsed::Print);
    }
    if args.command.is_none() {
        return Ok(Parsed::Print(help(None, false)));
    }
    Ok(Parsed::Run(args))
}

fn flag_synopsis(f: &Flag) -> String {
    let mut s = match f.short {
        Some(c) => format!("-{c}, --{}", f.long),
        None => format!("    --{}", f.long),
    };
    if let Some(v) = f.value {
        s.push(' ');
        s.push_str(v);
    }
    s
}

fn flag_lines(out: &mut String, flags: &[&Flag], long: bool) {
    for f in flags {
        let syn = flag_synopsis(f);
        out.push_str(&format!("  {syn:<28} {}", f.help));
        if long && let Some(env) = f.env {
            out.push_str(&format!(" [env: {env}]"));
        }
        out.push('\n');
    }
}

/// What dsops is, in one line (help and the man page's NAME).
pub const TAGLINE: &str =
    "AWS IAM Identity Center credentials and direnv-style project environments";

/// `-h` (short) and `--help` / `help CMD` (long) text, from the table.
pub fn help(cmd: Option<&Command>, long: bool) -> String {
    let mut out = String::new();
    match cmd {
        None => {
            out.push_str(&format!(
                "dsops {}: {TAGLINE}\n\n",
                env!("CARGO_PKG_VERSION")
            ));
            out.push_str("Usage: dsops [OPTIONS] COMMAND [ARGS]\n\nCommands:\n");
            for c in COMMANDS.iter().filter(|c| !c.hidden) {
                out.push_str(&format!("  {:<10} {}\n", c.name, c.summary));
            }
            out.push_str("\nOptions:\n");
            flag_lines(&mut out, &flags_of(None), long);
            if long {
                out.push_str("\nEnvironment:\n");
                let (own, other): (Vec<_>, Vec<_>) = crate::generate::environment()
                    .into_iter()
                    .partition(|(var, _)| var.starts_with("DSOPS_"));
                for (var, what) in own {
                    out.push_str(&format!("  {var:<22} {what}\n"));
                }
                let other: Vec<&str> = other.iter().map(|(var, _)| *var).collect();
                out.push_str(&format!(
                    "  Also read (see 'man dsops'): {}\n",
                    other.join(", ")
                ));
                out.push_str("\nExit status:\n");
                for (code, what) in EXIT_STATUSES {
                    out.push_str(&format!("  {code:<3} {what}\n"));
                }
                out.push_str("\nSee 'dsops help COMMAND' or 'man dsops' for more.\n");
            } else {
                out.push_str("\nUse --help for more, or 'dsops help COMMAND'.\n");
            }
        }
        Some(c) => {
            out.push_str(&format!(
                "dsops {}: {}\n\nUsage: dsops {} [OPTIONS]",
                c.name, c.summary, c.name
            ));
            if !c.operands.is_empty() {
                out.push(' ');
                out.push_str(c.operands);
            }
            out.push('\n');
            if long {
                out.push('\n');
                out.push_str(c.about);
                out.push('\n');
            }
            out.push_str("\nOptions:\n");
            flag_lines(&mut out, &flags_of(Some(c)), long);
        }
    }
    out
}

pub const EXIT_STATUSES: &[(i32, &str)] = &[
    (0, "success"),
    (
        1,
        "runtime error: network, AWS API, a store, a file that could not be written; doctor found a problem",
    ),
    (
        2,
        "usage error: unknown command or flag, missing or bad argument",
    ),
    (
        3,
        "configuration error: a dsops or AWS config file is missing, malformed or invalid",
    ),
    (4, "the project config is not trusted: run 'dsops allow'"),
    (
        5,
        "sign-in required but not allowed here (--no-login, DSOPS_NO_LOGIN=1, CI=true)",
    ),
    (6, "sign-in did not complete: denied, expired or timed out"),
    (7, "gave up waiting for another dsops process's lock"),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Parsed> {
        parse(args.iter().map(OsString::from))
    }

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
        }
        for (i, a) in COMMANDS.iter().enumerate() {
            assert!(COMMANDS[i + 1..].iter().all(|b| b.name != a.name));
        }
    }

    #[test]
    fn suggestions() {
        let err = run(&["dsops", "cerds"]).err().unwrap();
        assert!(
            err.message.contains("did you mean 'creds'"),
            "{}",
            err.message
        );
        let err = run(&["dsops", "creds", "--stor", "x"]).err().unwrap();
        assert!(
            err.message.contains("did you mean 'store'"),
            "{}",
            err.message
        );
        assert_eq!(err.code, 2);
    }

    #[test]
    fn values_and_exec_operands() {
        let Parsed::Run(a) = run(&[
            "dsops",
            "--env",
            "dev",
            "exec",
            "--",
            "sh",
            "-c",
            "echo --env",
        ])
        .unwrap() else {
            panic!()
        };
        assert_eq!(a.value("env"), Some("dev"));
        assert_eq!(a.operands, vec!["sh", "-c", "echo --env"]);
        let Parsed::Run(a) = run(&["dsops", "creds", "--store=x", "--no-login"]).unwrap() else {
            panic!()
        };
        assert_eq!(a.value("store"), Some("x"));
        assert!(a.switch("no-login"));
    }
}
