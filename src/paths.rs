//! Where things live: HOME, the XDG directories and the AWS files, each
//! overridable by the environment variable its owner documents.
//!
//! A relative `XDG_*_HOME` is ignored, as the XDG Base Directory spec says
//! ("all paths set in these environment variables must be absolute"), and so
//! is a relative `HOME`: either would make dsops read configs, caches and
//! trust records from whatever directory the shell is in. Without a usable
//! `HOME`, the user database's home directory is used.
//!
//! On Windows the home is botocore's (`%USERPROFILE%`, so `~/.aws` is
//! `%USERPROFILE%\.aws`), the user config lives under `%APPDATA%` and the
//! data, cache and state directories under `%LOCALAPPDATA%`; an absolute
//! `XDG_*_HOME` still wins there.

use std::env;
use std::ffi::OsString;
use std::path::PathBuf;

/// The value of a directory variable, if it is an absolute path.
fn absolute(value: Option<OsString>) -> Option<PathBuf> {
    value.map(PathBuf::from).filter(|p| p.is_absolute())
}

fn var_path(name: &str) -> Option<PathBuf> {
    absolute(env::var_os(name))
}

/// `XDG_RUNTIME_DIR` when it is an absolute path to a directory (the
/// priors and stamps of the hook go there first).
pub fn runtime_dir() -> Option<PathBuf> {
    var_path("XDG_RUNTIME_DIR").filter(|d| d.is_dir())
}

/// `ZDOTDIR`, where zsh reads `.zshrc` instead of the home directory, when
/// set (zsh takes it as given, relative or not).
pub fn zdotdir() -> Option<PathBuf> {
    env::var_os("ZDOTDIR")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

#[cfg(unix)]
pub fn home() -> PathBuf {
    var_path("HOME")
        .or_else(crate::platform::user_home)
        .unwrap_or_else(|| PathBuf::from("/"))
}

/// botocore's home on Windows (`os.path.expanduser("~")`): `%USERPROFILE%`.
#[cfg(windows)]
pub fn home() -> PathBuf {
    crate::platform::user_home().unwrap_or_else(|| PathBuf::from("C:\\"))
}

/// Where the XDG directories default to on Windows: `%APPDATA%` for the
/// config, `%LOCALAPPDATA%` for the rest.
#[cfg(windows)]
fn windows_dir(var: &str, under_home: &str) -> PathBuf {
    var_path(var).unwrap_or_else(|| home().join(under_home))
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
        .unwrap_or_else(|| home().join(".aws").join("config"))
}

pub fn aws_credentials_file() -> PathBuf {
    crate::settings::aws_credentials_file()
        .map(PathBuf::from)
        .map(expand_tilde)
        .unwrap_or_else(|| home().join(".aws").join("credentials"))
}

/// `~/.aws/sso/cache`: the SSO token cache shared with the AWS CLI.
pub fn sso_cache_dir() -> PathBuf {
    home().join(".aws").join("sso").join("cache")
}

/// `~/.aws/cli/cache`: the role-credential cache shared with the AWS CLI v2.
pub fn cli_cache_dir() -> PathBuf {
    home().join(".aws").join("cli").join("cache")
}

#[cfg(unix)]
pub fn config_home() -> PathBuf {
    var_path("XDG_CONFIG_HOME").unwrap_or_else(|| home().join(".config"))
}

#[cfg(unix)]
pub fn data_home() -> PathBuf {
    var_path("XDG_DATA_HOME").unwrap_or_else(|| home().join(".local").join("share"))
}

#[cfg(unix)]
pub fn cache_home() -> PathBuf {
    var_path("XDG_CACHE_HOME").unwrap_or_else(|| home().join(".cache"))
}

#[cfg(unix)]
pub fn state_home() -> PathBuf {
    var_path("XDG_STATE_HOME").unwrap_or_else(|| home().join(".local").join("state"))
}

#[cfg(windows)]
pub fn config_home() -> PathBuf {
    var_path("XDG_CONFIG_HOME").unwrap_or_else(|| windows_dir("APPDATA", "AppData/Roaming"))
}

#[cfg(windows)]
pub fn data_home() -> PathBuf {
    var_path("XDG_DATA_HOME").unwrap_or_else(|| windows_dir("LOCALAPPDATA", "AppData/Local"))
}

#[cfg(windows)]
pub fn cache_home() -> PathBuf {
    var_path("XDG_CACHE_HOME").unwrap_or_else(|| windows_dir("LOCALAPPDATA", "AppData/Local"))
}

#[cfg(windows)]
pub fn state_home() -> PathBuf {
    var_path("XDG_STATE_HOME").unwrap_or_else(|| windows_dir("LOCALAPPDATA", "AppData/Local"))
}

/// The user config: `$XDG_CONFIG_HOME/dsops/config.yaml`.
pub fn user_config() -> PathBuf {
    config_home().join("dsops").join("config.yaml")
}

/// Trust records: `$XDG_DATA_HOME/dsops/trust/`.
pub fn trust_dir() -> PathBuf {
    data_home().join("dsops").join("trust")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_absolute_directories_count() {
        #[cfg(unix)]
        assert_eq!(absolute(Some("/x/y".into())), Some(PathBuf::from("/x/y")));
        #[cfg(windows)]
        assert_eq!(absolute(Some("C:\\x".into())), Some(PathBuf::from("C:\\x")));
        for bad in ["", "x", "./x", "x/../y", "~/x"] {
            assert_eq!(absolute(Some(bad.into())), None, "{bad:?}");
        }
        assert_eq!(absolute(None), None);
    }
}
