//! `dsops complete KIND`: the names the shell completions offer after
//! `--store` (stores that give credentials), `--env`, `--profile` and
//! `--sso-session`, read at completion time.
//!
//! One name a line, then a tab and a short description (fish shows it as is,
//! zsh via `_describe`, bash drops it). This command is run by the completion
//! scripts while the user types, so it is silent: a missing or broken config
//! gives fewer names, never an error message, and it never touches the network
//! or runs a store. It does not decide trust differently from other commands:
//! a project config is read only when it is trusted (or named by `--config`).

use super::Ctx;
use crate::awsconfig::AwsConfig;
use crate::config::{self, Config};
use crate::error::{Error, Result};
use std::collections::BTreeMap;

/// The kinds of names, as the completion scripts ask for them.
pub const KINDS: &[&str] = &["stores", "envs", "profiles", "sso-sessions"];

pub fn run(ctx: &Ctx) -> Result<i32> {
    let kind = ctx
        .args
        .operands
        .first()
        .map(|o| o.to_string_lossy().into_owned())
        .unwrap_or_default();
    let names = match kind.as_str() {
        "stores" => stores(ctx),
        "envs" => envs(ctx),
        "profiles" => profiles(),
        "sso-sessions" => sso_sessions(),
        _ => {
            return Err(Error::usage(format!(
                "complete: KIND must be one of: {}",
                KINDS.join(", ")
            )));
        }
    };
    let mut text = String::new();
    for (name, what) in names {
        // A tab or newline inside a name would break the line format.
        if name.contains(['\t', '\n']) {
            continue;
        }
        text.push_str(&name);
        text.push('\t');
        text.push_str(&what.replace(['\t', '\n'], " "));
        text.push('\n');
    }
    // Silent by design: a completion that cannot write has no one to tell.
    let _ = crate::output::print(text.as_bytes());
    Ok(0)
}

/// The user layer and the trusted project layer, each parsed on its own so
/// that a broken one does not hide the names of the other.
fn layers(ctx: &Ctx) -> Vec<Config> {
    let mut sources: Vec<config::ConfigFile> = config::ConfigFile::user()
        .ok()
        .flatten()
        .into_iter()
        .collect();
    if let Ok(project) = ctx.project() {
        sources.extend(project.trusted);
    }
    sources.iter().filter_map(|s| s.parse().ok()).collect()
}

/// Stores that give credentials only: every `--store` names a credential
/// source (an `aws.sso` store); a secrets or literal store there is an error.
fn stores(ctx: &Ctx) -> BTreeMap<String, String> {
    layers(ctx)
        .into_iter()
        .flat_map(|c| c.stores.into_values())
        .filter(|s| s.kind.gives_credentials())
        .map(|s| (s.name, s.kind.name().to_string()))
        .collect()
}

fn envs(ctx: &Ctx) -> BTreeMap<String, String> {
    layers(ctx)
        .into_iter()
        .flat_map(|c| c.envs)
        .map(|e| {
            let n = e.vars.len();
            (
                e.name,
                format!("{n} variable{}", if n == 1 { "" } else { "s" }),
            )
        })
        .collect()
}

/// Profiles with SSO settings only: `creds --profile` and `login --profile`
/// accept no other kind.
fn profiles() -> BTreeMap<String, String> {
    let Ok(aws) = AwsConfig::load() else {
        return BTreeMap::new();
    };
    aws.profile_names()
        .into_iter()
        .filter_map(|name| Some((aws.profile(&name).ok()??, name)))
        .filter(|(keys, _)| {
            keys.keys().any(|k| {
                k.trim_start_matches(crate::awsconfig::OWN_KEY_PREFIX)
                    .starts_with("sso_")
                    || k == "role_arn"
            })
        })
        .map(|(keys, name)| {
            let sso = |k: &str| crate::awsconfig::sso_key(&keys, k);
            let what = [
                sso("sso_account_id"),
                sso("sso_role_name"),
                sso("sso_session"),
                keys.get("role_arn"),
            ]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(" ");
            (name, what)
        })
        .collect()
}

fn sso_sessions() -> BTreeMap<String, String> {
    let Ok(aws) = AwsConfig::load() else {
        return BTreeMap::new();
    };
    aws.sso_session_names()
        .into_iter()
        .map(|name| {
            let url = aws
                .sso_session_section(&name)
                .ok()
                .flatten()
                .and_then(|keys| keys.get("sso_start_url").cloned())
                .unwrap_or_default();
            (name, url)
        })
        .collect()
}
