//! Where things live: HOME, the XDG directories and the AWS files, each
//! overridable by the environment variable its owner documents.

use std::env;
use std::path::PathBuf;

fn var_path(name: &str) -> Option<PathBuf> {
    env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

pub fn home() -> PathBuf {
    var_path("HOME").unwrap_or_else(|| PathBuf::from("/"))
}

/// Expand a leading `~/` as the AWS CLI does for its file variables.
fn expand_tilde(p: PathBuf) -> PathBuf {
    match p.to_str().and_then(|s| s.strip_prefix("~/")) {
        Some(rest) => home().join(rest),
        None => p,
    }
}

pub fn aws_config_file() -> PathBuf {
    crate::settings::aws_config_file()
        .map(PathBuf::from)
        .map(expand_tilde)
        .unwrap_or_else(|| home().join(".aws/config"))
}

pub fn aws_credentials_file() -> PathBuf {
    crate::settings::aws_credentials_file()
        .map(PathBuf::from)
        .map(expand_tilde)
        .unwrap_or_else(|| home().join(".aws/credentials"))
}

/// `~/.aws/sso/cache`: the SSO token cache shared with the AWS CLI.
pub fn sso_cache_dir() -> PathBuf {
    home().join(".aws/sso/cache")
}

/// `~/.aws/cli/cache`: the role-credential cache shared with the AWS CLI v2.
pub fn cli_cache_dir() -> PathBuf {
    home().join(".aws/cli/cache")
}

pub fn config_home() -> PathBuf {
    var_path("XDG_CONFIG_HOME").unwrap_or_else(|| home().join(".config"))
}

pub fn data_home() -> PathBuf {
    var_path("XDG_DATA_HOME").unwrap_or_else(|| home().join(".local/share"))
}

pub fn cache_home() -> PathBuf {
    var_path("XDG_CACHE_HOME").unwrap_or_else(|| home().join(".cache"))
}

pub fn state_home() -> PathBuf {
    var_path("XDG_STATE_HOME").unwrap_or_else(|| home().join(".local/state"))
}

/// The user config: `$XDG_CONFIG_HOME/dsops/config.yaml`.
pub fn user_config() -> PathBuf {
    config_home().join("dsops/config.yaml")
}

/// Trust records: `$XDG_DATA_HOME/dsops/trust/`.
pub fn trust_dir() -> PathBuf {
    data_home().join("dsops/trust")
}
