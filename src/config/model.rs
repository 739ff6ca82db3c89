//! The configuration as dsops uses it: stores, env sets and their
//! variables, merged from the user and project layers (`layers.rs`), with
//! the lookups commands make. No I/O here.

use super::schema::Schema;
use crate::error::{Error, Result};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// One secret store as configured: its type and its fields, by shape.
#[derive(Debug, Clone)]
pub struct Store {
    pub name: String,
    pub kind: &'static dyn Schema,
    /// The file that defined it (for messages).
    pub origin: PathBuf,
    /// Scalar fields, raw (before `${VAR}` expansion).
    pub(super) fields: BTreeMap<String, String>,
    /// List fields (`command`).
    pub(super) lists: BTreeMap<String, Vec<String>>,
    /// Mapping fields (`values`), in file order.
    pub(super) maps: BTreeMap<String, Vec<(String, String)>>,
}

impl Store {
    /// The scalar fields as written (before `${VAR}` expansion).
    pub fn fields(&self) -> &BTreeMap<String, String> {
        &self.fields
    }

    /// A list field (empty when not set).
    pub fn list(&self, field: &str) -> &[String] {
        self.lists.get(field).map(Vec::as_slice).unwrap_or(&[])
    }

    /// A mapping field (empty when not set).
    pub fn map(&self, field: &str) -> &[(String, String)] {
        self.maps.get(field).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The list and mapping fields, for comparisons.
    pub fn lists(&self) -> &BTreeMap<String, Vec<String>> {
        &self.lists
    }

    pub fn maps(&self) -> &BTreeMap<String, Vec<(String, String)>> {
        &self.maps
    }

    /// The same store settings (wherever they were written)?
    pub fn same_settings(&self, other: &Store) -> bool {
        self.kind.name() == other.kind.name()
            && self.fields == other.fields
            && self.lists == other.lists
            && self.maps == other.maps
    }

    /// A scalar field with `${VAR}` expanded; `None` when not set.
    pub fn get(&self, field: &str) -> Result<Option<String>> {
        match self.fields.get(field) {
            None => Ok(None),
            Some(raw) => super::expand::interpolate(raw, |v| std::env::var(v).ok())
                .map(Some)
                .map_err(|var| {
                    self.error(field, &format!("${{{var}}} is not set in the environment"))
                }),
        }
    }
    pub fn raw(&self, field: &str) -> Option<&str> {
        self.fields.get(field).map(String::as_str)
    }
    pub fn error(&self, field: &str, problem: &str) -> Error {
        Error::config(format!(
            "{}: secretStores.{}.{field}: {problem}",
            self.origin.display(),
            self.name
        ))
    }
    /// A path as written in this store's config file: a relative one is
    /// relative to the directory of that file (never the working
    /// directory, which moves with the shell); `~/` is the home directory.
    pub fn beside_origin(&self, p: &str) -> PathBuf {
        if let Some(rest) = p.strip_prefix("~/") {
            return crate::paths::home().join(rest);
        }
        let path = PathBuf::from(p);
        match self.origin.parent() {
            Some(dir) if path.is_relative() && dir.is_absolute() => dir.join(path),
            _ => path,
        }
    }
    /// A `Seconds` field (checked when the config was read).
    pub fn seconds(&self, field: &str) -> Option<Duration> {
        self.fields
            .get(field)
            .and_then(|t| t.parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s > 0.0 && *s < 86_400.0)
            .map(Duration::from_secs_f64)
    }
}

/// Where one variable of an env set comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Literal(String),
    From(Reference),
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Reference {
    pub store: String,
    pub key: String,
    pub field: Option<String>,
    pub version_stage: Option<String>,
    pub version_id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Var {
    pub name: String,
    pub source: Source,
    pub optional: bool,
}

#[derive(Debug, Clone)]
pub struct EnvSet {
    pub name: String,
    pub origin: PathBuf,
    pub vars: Vec<Var>,
}

/// The merged configuration.
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub user_file: Option<PathBuf>,
    pub project_file: Option<PathBuf>,
    pub default_env: Option<String>,
    /// `trust: {auto_allow: low}`: honoured from the user config only.
    pub auto_allow: Option<super::diff::Risk>,
    /// The file has a `trust:` section (which a project may not have).
    pub has_trust_section: bool,
    /// `tokens: {storage: .., role_credentials: ..}`: honoured from the user
    /// config only (a project file that has it is refused).
    pub tokens: Option<Tokens>,
    pub stores: BTreeMap<String, Store>,
    /// In file order, user layer first.
    pub envs: Vec<EnvSet>,
}

impl Config {
    pub fn store(&self, name: &str) -> Result<&Store> {
        self.stores.get(name).ok_or_else(|| {
            let files = self.files().join(", ");
            let known: Vec<&str> = self.stores.keys().map(String::as_str).collect();
            Error::config(format!(
                "no store '{name}'{} in {} (stores: {})",
                crate::suggest::did_you_mean(name, known.iter().copied()),
                if files.is_empty() {
                    "any config (none found)".to_string()
                } else {
                    files
                },
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            ))
        })
    }
    pub fn env(&self, name: &str) -> Result<&EnvSet> {
        self.envs.iter().find(|e| e.name == name).ok_or_else(|| {
            let known: Vec<&str> = self.envs.iter().map(|e| e.name.as_str()).collect();
            Error::config(format!(
                "no env set '{name}'{} in {} (env sets: {})",
                crate::suggest::did_you_mean(name, known.iter().copied()),
                self.files().join(", "),
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            ))
        })
    }
    pub fn files(&self) -> Vec<String> {
        self.user_file
            .iter()
            .chain(self.project_file.iter())
            .map(|p| p.display().to_string())
            .collect()
    }
    /// Which env set to use: `explicit` (`--env`/`DSOPS_ENV`), else `defaultEnv`,
    /// else the only one. `Ok(None)` when there is no way to choose.
    pub fn pick_env(&self, explicit: Option<&str>) -> Result<Option<&EnvSet>> {
        if let Some(name) = explicit.filter(|n| !n.is_empty()) {
            return self.env(name).map(Some);
        }
        if let Some(name) = &self.default_env {
            return self.env(name).map(Some);
        }
        Ok(if self.envs.len() == 1 {
            self.envs.first()
        } else {
            None
        })
    }
}

/// Where dsops keeps what Identity Center gives it (`tokens:`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tokens {
    /// The SSO session (access and refresh token, client registration).
    pub storage: TokenStorage,
    /// Role credentials (1 to 12 hours); on disk by default, as the AWS CLI
    /// keeps them, so that the warm path reads no keyring.
    pub role_credentials: TokenStorage,
}

/// `file` or `keyring`: defined with the environment variable that also
/// sets it (`DSOPS_TOKEN_STORAGE`).
pub use crate::settings::TokenStorage;
