//! `dsops --generate KIND`: the man page and the bash, zsh and fish
//! completions, generated at run time from the one table in `cli.rs`
//! (`COMMANDS`, `FLAGS`, `EXIT_STATUSES`) and the two tables here that the
//! command table cannot hold: the environment variables dsops reads and the
//! files it uses.
//!
//! The committed `man/dsops.1` and `completions/*` are this module's output;
//! `tests/it/generate.rs` fails when they differ, and
//! `DSOPS_REGENERATE=1 cargo test --test it generate` rewrites them. Nothing
//! here reads a config: names of stores, env sets, profiles and sso-sessions
//! are looked up by the scripts at completion time (`dsops complete KIND`,
//! `cmd/complete.rs`).

mod bash;
mod fish;
mod man;
mod zsh;

pub use crate::cli::environment;
use crate::cli::{self, COMMANDS, Command, Complete, FLAGS, Flag};
use crate::error::{Error, Result};

pub use crate::cli::GENERATE_KINDS as KINDS;

pub fn generate(kind: &str) -> Result<String> {
    match kind {
        "man" => Ok(man::page()),
        "complete-bash" => Ok(bash::script()),
        "complete-zsh" => Ok(zsh::script()),
        "complete-fish" => Ok(fish::script()),
        _ => Err(Error::usage(format!(
            "--generate: unknown kind '{kind}' (one of: {})",
            KINDS.join(", ")
        ))),
    }
}

/// The files dsops reads and writes, for the man page's FILES.
pub const FILES: &[(&str, &str)] = &[
    (
        "~/.config/dsops/config.yaml",
        "The user config ($XDG_CONFIG_HOME/dsops/config.yaml): stores and env sets, always trusted. The aws.sso stores used by credential_process belong here, since an SDK may run dsops creds from any directory. On Windows: %APPDATA%\\dsops\\config.yaml (macOS as Linux).",
    ),
    (
        ".dsops.yaml, dsops.yaml",
        "The project config: the nearest one at or above the working directory, merged over the user config by store and env name. Loaded only after dsops allow.",
    ),
    (
        "~/.local/share/dsops/trust/",
        "Trust records of dsops allow and dsops deny ($XDG_DATA_HOME/dsops/trust/), keyed by the config's absolute path, with a hash of its content. On Windows: %LOCALAPPDATA%\\dsops\\trust\\, and caches under %LOCALAPPDATA%\\dsops\\.",
    ),
    (
        "~/.aws/config",
        "The AWS config (AWS_CONFIG_FILE): [profile NAME] and [sso-session NAME] sections for --profile, --sso-session and aws.sso stores. On Windows ~ is %USERPROFILE%, as for the AWS CLI, here and below.",
    ),
    (
        "~/.aws/sso/cache/",
        "SSO tokens, shared with the AWS CLI both ways: a SHA-1 named JSON file per sso-session (or start URL), with a lock file beside it.",
    ),
    (
        "OS keyring: service dsops",
        "With tokens: {storage: keyring} in the user config (or DSOPS_TOKEN_STORAGE=keyring), the SSO session instead: one entry per sso-session, account the token file's SHA-1 name without .json, the same JSON; never written to disk. Find or delete it with secret-tool lookup (or clear) service dsops account SHA1, Keychain Access, or cmdkey. With role_credentials: keyring, role credentials too (service dsops-role-credentials, account the cache key). The lock files stay in ~/.aws/sso/cache/.",
    ),
    (
        "~/.aws/cli/cache/",
        "Role credentials, shared with the AWS CLI v2, reused while more than 15 minutes remain.",
    ),
];

/// Commands shown to users (help, man page, completions).
fn visible() -> impl Iterator<Item = &'static Command> {
    COMMANDS.iter().filter(|c| !c.hidden)
}

/// The words that may come first, with what they do: one-word commands and
/// groups (`sso`), in table order.
fn top_words() -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&'static str, &'static str)> = vec![];
    for c in visible() {
        match cli::split_name(c.name) {
            None => out.push((c.name, c.summary)),
            Some((group, _)) => {
                if !out.iter().any(|(w, _)| *w == group) {
                    let what = cli::GROUPS
                        .iter()
                        .find(|(g, _)| *g == group)
                        .map_or(c.summary, |(_, w)| *w);
                    out.push((group, what));
                }
            }
        }
    }
    out
}

/// The groups' words and their commands' own words, with summaries.
fn groups() -> Vec<(&'static str, Vec<(&'static str, &'static str)>)> {
    cli::GROUPS
        .iter()
        .map(|(g, _)| {
            let subs = cli::group_commands(g)
                .filter(|c| !c.hidden)
                .filter_map(|c| cli::split_name(c.name).map(|(_, w)| (w, c.summary)))
                .collect();
            (*g, subs)
        })
        .collect()
}

/// Does `cmd` accept its own values for `f` (`cli::VALUES`)?
fn has_own_values(cmd: &Command, f: &Flag) -> bool {
    cli::VALUES
        .iter()
        .any(|(c, long, _)| *c == cmd.cmd && *long == f.long)
}

/// The values a flag completes to in `cmd`, when they are a fixed list.
fn flag_words(cmd: Option<&Command>, f: &Flag) -> Option<Vec<&'static str>> {
    match cmd {
        Some(c) if has_own_values(c, f) => Some(cli::values_of(Some(c), f).to_vec()),
        _ => fixed_words(f.complete),
    }
}

/// Commands whose values of `f` differ from the flag row's.
fn value_overrides(f: &Flag) -> Vec<&'static Command> {
    visible()
        .filter(|c| c.flags.contains(&f.long) && has_own_values(c, f))
        .collect()
}

/// Flags accepted before any command: the globals and top-level ones such as
/// `--generate`.
fn top_flags() -> Vec<&'static Flag> {
    cli::flags_of(None)
}

/// A command's own flags, then the globals.
fn command_flags(c: &Command) -> Vec<&'static Flag> {
    cli::flags_of(Some(c))
}

/// The `dsops complete KIND` that lists values of this kind, if the values
/// come from the user's configs.
fn names_kind(c: Complete) -> Option<&'static str> {
    match c {
        Complete::Store => Some("stores"),
        Complete::Env => Some("envs"),
        Complete::Profile => Some("profiles"),
        Complete::SsoSession => Some("sso-sessions"),
        _ => None,
    }
}

/// A fixed list of values, if the kind has one.
fn fixed_words(c: Complete) -> Option<Vec<&'static str>> {
    match c {
        Complete::Shell => Some(crate::shell::names()),
        Complete::Format => Some(cli::FORMATS.to_vec()),
        Complete::GenerateKind => Some(KINDS.to_vec()),
        Complete::Command => Some(top_words().into_iter().map(|(w, _)| w).collect()),
        _ => None,
    }
}

/// `exec -- CMD [ARGS...]`: the operands are a command line of its own.
fn takes_command_line(c: &Command) -> bool {
    c.operands.starts_with("--")
}

/// `--store` and `-s`, as typed.
fn spellings(f: &Flag) -> Vec<String> {
    let mut v = vec![format!("--{}", f.long)];
    v.extend(f.short.map(|c| format!("-{c}")));
    v
}

/// Every spelling of every flag that takes a value (the scripts skip the
/// word after one when looking for the command).
fn value_flag_spellings() -> Vec<String> {
    FLAGS
        .iter()
        .filter(|f| f.value.is_some())
        .flat_map(spellings)
        .collect()
}

#[cfg(test)]
mod tests;
