//! The layers of the configuration: each file read once
//! ([`ConfigFile`]: the bytes fingerprinted and hashed for trust are the
//! bytes parsed), the user layer merged with the trusted project layer, and
//! the checks that span both (references between stores and env sets,
//! `credentials_from` cycles, a project redefining a user store).

use super::model::{Config, Source};
use super::schema;
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// Configs are small; anything bigger is refused before it is read.
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// One config file as read, once: the bytes that are fingerprinted and
/// hashed for trust are the bytes that are parsed.
#[derive(Debug, Clone)]
pub struct ConfigFile {
    pub path: PathBuf,
    pub text: String,
}

impl ConfigFile {
    /// Read `path`: a regular file of at most [`MAX_CONFIG_BYTES`], UTF-8.
    pub fn read(path: &Path) -> Result<ConfigFile> {
        let bytes = crate::fsutil::read_bounded(path, MAX_CONFIG_BYTES).map_err(|e| {
            Error::config(match e.kind() {
                std::io::ErrorKind::NotFound => format!("{}: no such file", path.display()),
                _ => format!("{}: cannot read: {e}", path.display()),
            })
        })?;
        let text = String::from_utf8(bytes).map_err(|e| {
            Error::config(format!(
                "{}: not valid UTF-8 (byte {})",
                path.display(),
                e.utf8_error().valid_up_to()
            ))
        })?;
        Ok(ConfigFile {
            path: path.to_path_buf(),
            text,
        })
    }

    /// The user config (always trusted), `None` when there is none.
    pub fn user() -> Result<Option<ConfigFile>> {
        let path = crate::paths::user_config();
        match std::fs::symlink_metadata(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            _ => ConfigFile::read(&path).map(Some),
        }
    }

    pub fn parse(&self) -> Result<Config> {
        super::parse::parse_str(&self.path, &self.text)
    }
}

/// Merge the user layer and, when given, the (trusted) project layer.
pub fn load(user: Option<&ConfigFile>, project: Option<&ConfigFile>) -> Result<Config> {
    let mut cfg = Config::default();
    if let Some(u) = user {
        cfg = u.parse()?;
        cfg.user_file = Some(u.path.clone());
    }
    if let Some(p) = project {
        let layer = p.parse()?;
        refuse_trust_section(p, &layer)?;
        cfg.merge(layer)?;
        cfg.project_file = Some(p.path.clone());
    }
    cfg.validate_references()?;
    Ok(cfg)
}

/// What a project layer may not do, whatever the user config says: set how
/// far trust goes (the user's to say), or choose by `defaultEnv` an env set
/// it does not define (a user set the project never showed for review, a
/// production role say, would load in the project's directory).
pub fn refuse_trust_section(file: &ConfigFile, layer: &Config) -> Result<()> {
    if layer.has_trust_section {
        return Err(Error::config(format!(
            "{}: trust: only the user config ({}) may set how dsops trusts project configs",
            file.path.display(),
            crate::paths::user_config().display()
        )));
    }
    if layer.tokens.is_some() {
        return Err(Error::config(format!(
            "{}: tokens: only the user config ({}) may say where dsops keeps SSO tokens; remove it from this file",
            file.path.display(),
            crate::paths::user_config().display()
        )));
    }
    if let Some(d) = &layer.default_env
        && !layer.envs.iter().any(|e| &e.name == d)
    {
        return Err(Error::config(format!(
            "{}: defaultEnv: '{d}' is not an env set of this file; a project's defaultEnv may only name one of its own env sets{}",
            file.path.display(),
            if layer.envs.is_empty() {
                String::new()
            } else {
                format!(
                    " ({})",
                    layer
                        .envs
                        .iter()
                        .map(|e| e.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        )));
    }
    Ok(())
}

/// The user config alone, parsed and checked (an empty config when there is
/// none): what `creds --store` and `login --store` look in first, so that no
/// project file can change or break them.
pub fn load_user() -> Result<Config> {
    load(ConfigFile::user()?.as_ref(), None)
}

impl Config {
    /// Merge the project `layer` over the user layer `self`: env sets by
    /// name, the project winning. A store may not be redefined: a project
    /// store with the name of a user store must be the same store, or
    /// `credential_process = dsops creds --store NAME` would hand out another
    /// account's credentials inside the project.
    pub(super) fn merge(&mut self, layer: Config) -> Result<()> {
        for (name, store) in layer.stores {
            match self.stores.get(&name) {
                Some(mine) if !mine.same_settings(&store) => {
                    return Err(Error::config(format!(
                        "{}: secretStores.{name}: the user config {} already defines a store '{name}'; a project may not redefine it: rename the project's store",
                        store.origin.display(),
                        mine.origin.display()
                    )));
                }
                _ => {
                    self.stores.insert(name, store);
                }
            }
        }
        for env in layer.envs {
            match self.envs.iter_mut().find(|e| e.name == env.name) {
                Some(slot) => *slot = env,
                None => self.envs.push(env),
            }
        }
        if layer.default_env.is_some() {
            self.default_env = layer.default_env;
        }
        Ok(())
    }

    /// Check references across the merged layers.
    pub(super) fn validate_references(&self) -> Result<()> {
        for store in self.stores.values() {
            if let Some(from) = store.raw("credentials_from") {
                match self.stores.get(from) {
                    None => {
                        return Err(store
                            .error("credentials_from", &format!("no store '{from}' is defined")));
                    }
                    Some(s) if !s.kind.gives_credentials() => {
                        let mut chain = vec![store.name.as_str(), from];
                        let mut cur = s;
                        while let Some(next) = cur.raw("credentials_from") {
                            if chain.contains(&next) {
                                chain.push(next);
                                return Err(store.error(
                                    "credentials_from",
                                    &format!("credentials_from cycle: {}", chain.join(" -> ")),
                                ));
                            }
                            chain.push(next);
                            match self.stores.get(next) {
                                Some(n) => cur = n,
                                None => break,
                            }
                        }
                        let givers: Vec<&str> = schema::all()
                            .iter()
                            .filter(|k| k.gives_credentials())
                            .map(|k| k.name())
                            .collect();
                        return Err(store.error(
                            "credentials_from",
                            &format!(
                                "'{from}' is a {} store; credentials come from an {} store",
                                s.kind.name(),
                                givers.join(" or ")
                            ),
                        ));
                    }
                    _ => {}
                }
            }
        }
        for env in &self.envs {
            for var in &env.vars {
                if let Source::From(r) = &var.source {
                    let place = format!(
                        "{}: envs.{}.{}.from.store",
                        env.origin.display(),
                        env.name,
                        var.name
                    );
                    let Some(store) = self.stores.get(&r.store) else {
                        return Err(Error::config(format!(
                            "{place}: no store '{}' is defined",
                            r.store
                        )));
                    };
                    if let Some(keys) = store.kind.keys()
                        && !keys.contains(&r.key.as_str())
                    {
                        return Err(Error::config(format!(
                            "{}: envs.{}.{}.from.key: an {} store has keys {}, not '{}'",
                            env.origin.display(),
                            env.name,
                            var.name,
                            store.kind.name(),
                            keys.join(", "),
                            r.key
                        )));
                    }
                }
            }
        }
        if let Some(d) = &self.default_env
            && !self.envs.iter().any(|e| &e.name == d)
        {
            return Err(Error::config(format!(
                "{}: defaultEnv: no env set '{d}' is defined",
                self.project_file
                    .as_ref()
                    .or(self.user_file.as_ref())
                    .map(|p| p.display().to_string())
                    .unwrap_or_default()
            )));
        }
        Ok(())
    }
}
