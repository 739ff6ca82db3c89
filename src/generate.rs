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

use crate::cli::{self, COMMANDS, Command, Complete, FLAGS, Flag};
use crate::error::{Error, Result};

pub const KINDS: &[&str] = &["man", "complete-bash", "complete-zsh", "complete-fish"];

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

/// The values of `--shell` and of `hook SHELL` (`Complete::Shell`).
pub const SHELLS: &[&str] = &["bash", "zsh", "fish"];
/// The values of `export --format` (`Complete::Format`).
pub const FORMATS: &[&str] = &["shell", "dotenv", "json"];

/// Environment variables dsops reads, with one line each for the man page and
/// `--help`. A flag's own `env` (cli.rs) is added to its entry by
/// `environment()`. A unit test below fails when src/ reads a variable that is
/// missing here.
pub const ENVIRONMENT: &[(&str, &str)] = &[
    (
        "DSOPS_CONFIG",
        "the project config file to use instead of the nearest .dsops.yaml; trusted, because you named it",
    ),
    (
        "DSOPS_ENV",
        "the env set to use; the hook reloads at the next prompt when it changes, exported or not",
    ),
    (
        "DSOPS_QUIET",
        "when on, print no status lines (a switch variable is on unless empty, 0, false, no or off)",
    ),
    (
        "DSOPS_DEBUG",
        "when on, print what dsops does on stderr (secret values are redacted)",
    ),
    (
        "DSOPS_NO_LOGIN",
        "when on, never sign in; exit with status 5 when a sign-in is needed",
    ),
    (
        "DSOPS_USE_DEVICE_CODE",
        "when on, sign in with the device code flow",
    ),
    (
        "DSOPS_LOCK_TIMEOUT",
        "how long to wait for another dsops process's lock (default 900 seconds, at most a day), then exit with status 7; durations are seconds (30, 2.5) or units (90s, 10m, 1h30m), and nonsense is a usage error",
    ),
    (
        "DSOPS_HTTP_TIMEOUT",
        "the bound of one attempt of a request to AWS (default 30 seconds, at most an hour); a request makes up to AWS_MAX_ATTEMPTS attempts",
    ),
    (
        "DSOPS_LOGIN_TIMEOUT",
        "how long a sign-in waits for the browser's callback or the device code's approval (default 600 seconds)",
    ),
    (
        "DSOPS_LOGIN_COOLDOWN",
        "after a sign-in failed or was abandoned, how long other non-interactive callers fail at once (status 6) instead of starting another (default 60 seconds); dsops login always signs in",
    ),
    (
        "DSOPS_CALLBACK_PORT",
        "the port on 127.0.0.1 for the browser sign-in's callback (default: any free port)",
    ),
    (
        "DSOPS_HOOK_TIMEOUT",
        "seconds the shell hook waits for an env set's stores before it gives up and applies nothing (default 10)",
    ),
    (
        "DSOPS_STATE",
        "the shell hook's session state (variable names, file fingerprints, the name of the private file under XDG_RUNTIME_DIR or XDG_STATE_HOME that keeps your prior values for restore; never a secret dsops exported, nor your prior values); set by the hook, not by you",
    ),
    ("CI", "when on, never sign in, as with --no-login"),
    (
        "BROWSER",
        "commands (separated by :) that open the sign-in URL; %s is the URL, else it is appended",
    ),
    (
        "AWS_SSO_BROWSER",
        "like BROWSER, for the sign-in URL only; wins over BROWSER",
    ),
    (
        "AWS_SSO_DISABLE_BROWSER",
        "when on, do not open a browser; print the URL and code only",
    ),
    (
        "AWS_CONFIG_FILE",
        "the AWS config file (default ~/.aws/config)",
    ),
    (
        "AWS_SHARED_CREDENTIALS_FILE",
        "the AWS shared credentials file (default ~/.aws/credentials)",
    ),
    (
        "AWS_ACCESS_KEY_ID",
        "with AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN: credentials of the standard chain, for aws.secretsmanager and aws.ssm stores that name no other",
    ),
    ("AWS_SECRET_ACCESS_KEY", "see AWS_ACCESS_KEY_ID"),
    ("AWS_SESSION_TOKEN", "see AWS_ACCESS_KEY_ID"),
    (
        "AWS_PROFILE",
        "the profile of the shared credentials file in the standard chain",
    ),
    (
        "AWS_REGION",
        "the API region of aws.secretsmanager and aws.ssm stores that set none (nor their aws.sso store)",
    ),
    ("AWS_DEFAULT_REGION", "see AWS_REGION"),
    (
        "AWS_MAX_ATTEMPTS",
        "attempts per request to AWS (default 4, at most 10)",
    ),
    (
        "AWS_ENDPOINT_URL",
        "endpoint for every AWS service dsops calls, unless a service's own variable below is set",
    ),
    (
        "AWS_ENDPOINT_URL_SSO_OIDC",
        "endpoint of the IAM Identity Center OIDC service (sign-in, token refresh)",
    ),
    (
        "AWS_ENDPOINT_URL_SSO",
        "endpoint of the IAM Identity Center portal (role credentials, logout)",
    ),
    (
        "AWS_ENDPOINT_URL_SECRETS_MANAGER",
        "endpoint of AWS Secrets Manager",
    ),
    (
        "AWS_ENDPOINT_URL_SSM",
        "endpoint of AWS Systems Manager Parameter Store",
    ),
    ("AWS_ENDPOINT_URL_STS", "endpoint of AWS STS"),
    (
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
        "when true, ignore the AWS_ENDPOINT_URL variables",
    ),
    (
        "XDG_CONFIG_HOME",
        "the user config is $XDG_CONFIG_HOME/dsops/config.yaml (default ~/.config)",
    ),
    (
        "XDG_DATA_HOME",
        "trust records are under $XDG_DATA_HOME/dsops/ (default ~/.local/share)",
    ),
    (
        "XDG_STATE_HOME",
        "where dsops keeps its state: $XDG_STATE_HOME/dsops/ (default ~/.local/state)",
    ),
    (
        "XDG_RUNTIME_DIR",
        "the hook's stamp files are under $XDG_RUNTIME_DIR/dsops/stamps/ (else under XDG_STATE_HOME)",
    ),
    (
        "HOME",
        "your home directory: ~/.aws and the XDG defaults are under it",
    ),
    (
        "SHELL",
        "the syntax of dsops export --format shell without --shell: fish when it names fish, else POSIX",
    ),
    (
        "ZDOTDIR",
        "where dsops doctor looks for .zshrc (default: HOME)",
    ),
    (
        "PATH",
        "searched by dsops doctor and for the commands of exec stores and dsops exec",
    ),
    (
        "PWD",
        "the working directory as the shell names it (symlinks kept), used when it is the real one",
    ),
];

/// Every environment variable with its description: `ENVIRONMENT`, then the
/// flags' variables it lacks; a variable that a flag also sets says so.
pub fn environment() -> Vec<(&'static str, String)> {
    let same_as = |var: &str| {
        FLAGS
            .iter()
            .find(|f| f.env == Some(var))
            .map(|f| format!(" (same as --{})", f.long))
            .unwrap_or_default()
    };
    let mut out: Vec<(&'static str, String)> = ENVIRONMENT
        .iter()
        .map(|(var, what)| (*var, format!("{what}{}", same_as(var))))
        .collect();
    for f in FLAGS {
        if let Some(var) = f.env
            && !out.iter().any(|(v, _)| *v == var)
        {
            out.push((var, format!("same as --{}: {}", f.long, f.help)));
        }
    }
    out
}

/// The files dsops reads and writes, for the man page's FILES.
pub const FILES: &[(&str, &str)] = &[
    (
        "~/.config/dsops/config.yaml",
        "The user config ($XDG_CONFIG_HOME/dsops/config.yaml): stores and env sets, always trusted. The aws.sso stores used by credential_process belong here, since an SDK may run dsops creds from any directory.",
    ),
    (
        ".dsops.yaml, dsops.yaml",
        "The project config: the nearest one at or above the working directory, merged over the user config by store and env name. Loaded only after dsops allow.",
    ),
    (
        "~/.local/share/dsops/trust/",
        "Trust records of dsops allow and dsops deny ($XDG_DATA_HOME/dsops/trust/), keyed by the config's absolute path, with a hash of its content.",
    ),
    (
        "~/.aws/config",
        "The AWS config (AWS_CONFIG_FILE): [profile NAME] and [sso-session NAME] sections for --profile, --sso-session and aws.sso stores.",
    ),
    (
        "~/.aws/sso/cache/",
        "SSO tokens, shared with the AWS CLI both ways: a SHA-1 named JSON file per sso-session (or start URL), with a lock file beside it.",
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
        Complete::Shell => Some(SHELLS.to_vec()),
        Complete::Format => Some(FORMATS.to_vec()),
        Complete::GenerateKind => Some(KINDS.to_vec()),
        Complete::Command => Some(visible().map(|c| c.name).collect()),
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
