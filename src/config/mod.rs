//! The dsops configuration: the user layer (`$XDG_CONFIG_HOME/dsops/config.yaml`,
//! always trusted) merged with the project layer (the nearest trusted
//! `.dsops.yaml`/`dsops.yaml`, or `--config`/`DSOPS_CONFIG`), project winning by
//! store and env name.
//!
//! Loading validates everything (store types, required fields, variable names,
//! references between stores and envs, `credentials_from` cycles) and reports
//! the first problem with the file and the place (`secretStores.NAME.field`).
//! `${VAR}` in store fields is expanded only when a store is used, so a missing
//! variable names the store field that needs it. Nothing here does network I/O.

pub mod diff;
pub mod discover;
pub mod trust;
pub mod yaml;

use crate::error::{Error, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;
use yaml::Node;

/// Configs are small; anything bigger is refused before it is read.
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreType {
    Sso,
    SecretsManager,
    Ssm,
    Literal,
    Exec,
}

impl StoreType {
    pub const ALL: &'static [(&'static str, StoreType)] = &[
        ("aws.sso", StoreType::Sso),
        ("aws.secretsmanager", StoreType::SecretsManager),
        ("aws.ssm", StoreType::Ssm),
        ("literal", StoreType::Literal),
        ("exec", StoreType::Exec),
    ];
    pub fn name(self) -> &'static str {
        StoreType::ALL
            .iter()
            .find(|(_, t)| *t == self)
            .map(|(n, _)| *n)
            .unwrap_or("?")
    }
    /// Fields each type accepts (besides `type`).
    fn fields(self) -> &'static [&'static str] {
        match self {
            StoreType::Sso => &[
                "sso_start_url",
                "sso_region",
                "sso_session",
                "profile",
                "account_id",
                "role_name",
                "region",
                "sso_registration_scopes",
                "use_device_code",
                // Role chaining: assumed with the SSO role's credentials.
                "role_arn",
                "role_session_name",
                "external_id",
                "duration_seconds",
            ],
            StoreType::SecretsManager | StoreType::Ssm => &[
                "region",
                "credentials_from",
                "profile",
                "access_key_id",
                "secret_access_key",
                "session_token",
                "endpoint_url",
            ],
            StoreType::Literal => &["values"],
            StoreType::Exec => &["command", "timeout"],
        }
    }
}

/// One secret store as configured.
#[derive(Debug, Clone)]
pub struct Store {
    pub name: String,
    pub kind: StoreType,
    /// The file that defined it (for messages).
    pub origin: PathBuf,
    /// Scalar fields, raw (before `${VAR}` expansion).
    fields: BTreeMap<String, String>,
    /// `literal` values.
    pub values: Vec<(String, String)>,
    /// `exec` command.
    pub command: Vec<String>,
}

impl Store {
    /// The scalar fields as written (before `${VAR}` expansion).
    pub fn fields(&self) -> &BTreeMap<String, String> {
        &self.fields
    }

    /// The same store settings (wherever they were written)?
    pub fn same_settings(&self, other: &Store) -> bool {
        self.kind == other.kind
            && self.fields == other.fields
            && self.values == other.values
            && self.command == other.command
    }

    /// A scalar field with `${VAR}` expanded; `None` when not set.
    pub fn get(&self, field: &str) -> Result<Option<String>> {
        match self.fields.get(field) {
            None => Ok(None),
            Some(raw) => interpolate(raw, |v| std::env::var(v).ok())
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
    /// `exec` timeout (default 30 s).
    pub fn timeout(&self) -> Duration {
        self.fields
            .get("timeout")
            .and_then(|t| t.parse::<f64>().ok())
            .map(Duration::from_secs_f64)
            .unwrap_or(Duration::from_secs(30))
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
    pub auto_allow: Option<diff::Risk>,
    /// The file has a `trust:` section (which a project may not have).
    pub has_trust_section: bool,
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
                "no store '{name}' in {} (stores: {})",
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
                "no env set '{name}' in {} (env sets: {})",
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

    /// Merge the project `layer` over the user layer `self`: env sets by
    /// name, the project winning. A store may not be redefined: a project
    /// store with the name of a user store must be the same store, or
    /// `credential_process = dsops creds --store NAME` would hand out another
    /// account's credentials inside the project.
    fn merge(&mut self, layer: Config) -> Result<()> {
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
    fn validate_references(&self) -> Result<()> {
        for store in self.stores.values() {
            if let Some(from) = store.raw("credentials_from") {
                match self.stores.get(from) {
                    None => {
                        return Err(store
                            .error("credentials_from", &format!("no store '{from}' is defined")));
                    }
                    Some(s) if s.kind != StoreType::Sso => {
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
                        return Err(store.error(
                            "credentials_from",
                            &format!(
                                "'{from}' is a {} store; credentials come from an aws.sso store",
                                s.kind.name()
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
                    if store.kind == StoreType::Sso
                        && !crate::sso::ROLE_KEYS.contains(&r.key.as_str())
                    {
                        return Err(Error::config(format!(
                            "{}: envs.{}.{}.from.key: an aws.sso store has keys {}, not '{}'",
                            env.origin.display(),
                            env.name,
                            var.name,
                            crate::sso::ROLE_KEYS.join(", "),
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
        parse_str(&self.path, &self.text)
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

/// How far trust goes is the user's to say, not a project's.
pub fn refuse_trust_section(file: &ConfigFile, layer: &Config) -> Result<()> {
    if layer.has_trust_section {
        return Err(Error::config(format!(
            "{}: trust: only the user config ({}) may set how dsops trusts project configs",
            file.path.display(),
            crate::paths::user_config().display()
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

/// Parse and validate one layer.
///
/// Scalars are taken as written in the file (see [`yaml`]): an unquoted
/// `1.10`, `0x10`, `1e3`, `007`, `True` or `yes` is that text, never a number
/// or boolean rewritten by YAML. A plain scalar YAML reads as null (empty,
/// `~`, `null`, `Null`, `NULL`) is refused with a message that says to quote
/// it, so that nothing is exported that the file does not show. Quoted and
/// block scalars are their parsed string. The fields that are booleans
/// (`optional`, `use_device_code`) take `true`/`false` (also `True`, `TRUE`,
/// `False`, `FALSE`), unquoted.
pub fn parse_str(path: &Path, text: &str) -> Result<Config> {
    let file = path.display().to_string();
    let doc = yaml::read(&file, text)?;
    let err = |place: &str, problem: &str| Error::config(format!("{file}: {place}: {problem}"));
    let mut cfg = Config::default();
    let top = match &doc {
        None => return Ok(cfg),
        Some(d) if d.is_null() => return Ok(cfg),
        Some(d) => d.as_map().ok_or_else(|| {
            err(
                "top level",
                &format!("expected a mapping, found {}", kind_of(d)),
            )
        })?,
    };
    for (k, v) in top {
        let k = key_str(k).ok_or_else(|| err("top level", "keys must be strings"))?;
        match k {
            "version" => {
                if v.scalar() != Some("1") {
                    return Err(err("version", "only version 1 is supported"));
                }
            }
            "trust" => {
                cfg.has_trust_section = true;
                let m = as_map(v).ok_or_else(|| err("trust", "expected {auto_allow: low}"))?;
                for (k, v) in m {
                    match (key_str(k), v.scalar()) {
                        (Some("auto_allow"), Some("low")) => cfg.auto_allow = Some(diff::Risk::Low),
                        (Some("auto_allow"), Some("off")) => cfg.auto_allow = None,
                        (Some("auto_allow"), _) => {
                            return Err(err(
                                "trust.auto_allow",
                                "expected low or off (medium and high changes always need dsops allow)",
                            ));
                        }
                        (other, _) => {
                            return Err(err(
                                &format!("trust.{}", yaml::shown(other.unwrap_or("?"))),
                                "unknown key (known: auto_allow)",
                            ));
                        }
                    }
                }
            }
            "defaultEnv" => {
                cfg.default_env = Some(scalar(v).map_err(|p| err("defaultEnv", &p))?);
            }
            "secretStores" => {
                let m = as_map(v)
                    .ok_or_else(|| err("secretStores", "expected a mapping of store names"))?;
                for (name, body) in m {
                    let name = key_str(name)
                        .ok_or_else(|| err("secretStores", "store names must be strings"))?;
                    let store = parse_store(path, name, body)?;
                    cfg.stores.insert(name.to_string(), store);
                }
            }
            "envs" => {
                let m =
                    as_map(v).ok_or_else(|| err("envs", "expected a mapping of env set names"))?;
                for (name, body) in m {
                    let name = key_str(name)
                        .ok_or_else(|| err("envs", "env set names must be strings"))?;
                    cfg.envs.push(parse_env(path, name, body)?);
                }
            }
            other => {
                // The seed docs show store bodies at top level ("Organize by Environment").
                let hint = if v.get("account_id").is_some() || v.get("type").is_some() {
                    " (is it a store? stores go under secretStores:, each with a type)"
                } else {
                    ""
                };
                return Err(err(
                    &yaml::shown(other),
                    &format!(
                        "unknown top-level key (known: version, defaultEnv, secretStores, envs, trust){hint}"
                    ),
                ));
            }
        }
    }
    Ok(cfg)
}

fn parse_store(path: &Path, name: &str, body: &Node) -> Result<Store> {
    let place = format!("{}: secretStores.{name}", path.display());
    let err = |sub: &str, problem: &str| {
        Error::config(if sub.is_empty() {
            format!("{place}: {problem}")
        } else {
            format!("{place}.{sub}: {problem}")
        })
    };
    let m = as_map(body).ok_or_else(|| err("", "expected a mapping with a type"))?;
    let ty = body.get("type").ok_or_else(|| {
        err(
            "",
            &format!(
                "missing 'type' (one of: {})",
                StoreType::ALL
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    })?;
    let ty = scalar(ty).map_err(|p| err("type", &p))?;
    let kind = StoreType::ALL
        .iter()
        .find(|(n, _)| *n == ty)
        .map(|(_, t)| *t)
        .ok_or_else(|| {
            err(
                "type",
                &format!(
                    "unknown store type '{}' (known: {})",
                    yaml::shown(&ty),
                    StoreType::ALL
                        .iter()
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })?;
    let mut store = Store {
        name: name.to_string(),
        kind,
        origin: path.to_path_buf(),
        fields: BTreeMap::new(),
        values: vec![],
        command: vec![],
    };
    for (k, v) in m {
        let k = key_str(k).ok_or_else(|| err("", "field names must be strings"))?;
        if k == "type" {
            continue;
        }
        if !kind.fields().contains(&k) {
            return Err(err(
                &yaml::shown(k),
                &format!(
                    "unknown field for a {ty} store (known: {})",
                    kind.fields().join(", ")
                ),
            ));
        }
        match (kind, k) {
            (StoreType::Literal, "values") => {
                let vm = as_map(v)
                    .ok_or_else(|| err("values", "expected a mapping of names to values"))?;
                for (vk, vv) in vm {
                    let vk = key_str(vk).ok_or_else(|| err("values", "keys must be strings"))?;
                    let vv = scalar(vv).map_err(|p| err(&format!("values.{vk}"), &p))?;
                    store.values.push((vk.to_string(), vv));
                }
            }
            (StoreType::Exec, "command") => {
                let seq = v
                    .as_seq()
                    .ok_or_else(|| err("command", "expected a list: [program, args...]"))?;
                for (i, item) in seq.iter().enumerate() {
                    store
                        .command
                        .push(scalar(item).map_err(|p| err(&format!("command[{i}]"), &p))?);
                }
                if store.command.is_empty() {
                    return Err(err("command", "the list is empty"));
                }
            }
            (_, "account_id") => {
                // As written: an unquoted 012345678901 keeps its leading zero.
                let s = match v.scalar() {
                    Some(s) if !v.is_null() => s,
                    _ => return Err(err(k, "expected a 12-digit account id")),
                };
                let twelve_digits = s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit());
                if !s.contains("${") && !twelve_digits {
                    return Err(err(
                        k,
                        &format!("'{}' is not a 12-digit account id", yaml::shown(s)),
                    ));
                }
                store.fields.insert(k.to_string(), s.to_string());
            }
            (_, "use_device_code") => {
                let b = boolean(v).ok_or_else(|| err(k, "expected true or false"))?;
                store.fields.insert(k.to_string(), b.to_string());
            }
            _ => {
                store
                    .fields
                    .insert(k.to_string(), scalar(v).map_err(|p| err(k, &p))?);
            }
        }
    }
    match kind {
        StoreType::Sso if !store.fields.contains_key("profile") => {
            for need in ["account_id", "role_name"] {
                if !store.fields.contains_key(need) {
                    return Err(err(
                        "",
                        &format!(
                            "an aws.sso store needs {need} (or profile: NAME of an AWS config profile that has sso_account_id and sso_role_name)"
                        ),
                    ));
                }
            }
        }
        StoreType::Literal if body.get("values").is_none() => {
            return Err(err("", "a literal store needs values: {NAME: value}"));
        }
        StoreType::Exec if store.command.is_empty() => {
            return Err(err("", "an exec store needs command: [program, args...]"));
        }
        StoreType::SecretsManager | StoreType::Ssm => {
            let has_key = store.fields.contains_key("access_key_id");
            let has_secret = store.fields.contains_key("secret_access_key");
            if has_key != has_secret {
                return Err(err("", "access_key_id and secret_access_key go together"));
            }
        }
        _ => {}
    }
    if let Some(t) = store.fields.get("timeout")
        && t.parse::<f64>()
            .map(|f| !(f > 0.0 && f < 86400.0))
            .unwrap_or(true)
    {
        return Err(err("timeout", "expected a number of seconds"));
    }
    Ok(store)
}

pub fn valid_var_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

fn parse_env(path: &Path, name: &str, body: &Node) -> Result<EnvSet> {
    let place = format!("{}: envs.{name}", path.display());
    let err = |sub: &str, problem: &str| Error::config(format!("{place}.{sub}: {problem}"));
    let mut env = EnvSet {
        name: name.to_string(),
        origin: path.to_path_buf(),
        vars: vec![],
    };
    if body.is_null() {
        return Ok(env);
    }
    let m = as_map(body)
        .ok_or_else(|| Error::config(format!("{place}: expected a mapping of variable names")))?;
    for (k, v) in m {
        let var = key_str(k)
            .ok_or_else(|| Error::config(format!("{place}: variable names must be strings")))?;
        if !valid_var_name(var) {
            return Err(err(
                &yaml::shown(var),
                "invalid variable name (letters, digits and _, not starting with a digit)",
            ));
        }
        let (source, optional) = match as_map(v) {
            Some(vm) => {
                let mut optional = false;
                let mut source = None;
                for (fk, fv) in vm {
                    match key_str(fk) {
                        Some("optional") => {
                            optional = boolean(fv).ok_or_else(|| {
                                err(&format!("{var}.optional"), "expected true or false")
                            })?
                        }
                        Some("value") => {
                            source = Some(Source::Literal(
                                scalar(fv).map_err(|p| err(&format!("{var}.value"), &p))?,
                            ))
                        }
                        Some("from") => {
                            source =
                                Some(Source::From(parse_ref(&format!("{place}.{var}.from"), fv)?))
                        }
                        other => {
                            return Err(err(
                                var,
                                &format!(
                                    "unknown field '{}' (known: from, value, optional)",
                                    yaml::shown(other.unwrap_or("?"))
                                ),
                            ));
                        }
                    }
                }
                (
                    source.ok_or_else(|| {
                        err(var, "needs from: {store: NAME, key: KEY} or value: TEXT")
                    })?,
                    optional,
                )
            }
            None if v.as_seq().is_some() => {
                return Err(err(var, "expected a string or a mapping with from:"));
            }
            None => (Source::Literal(scalar(v).map_err(|p| err(var, &p))?), false),
        };
        env.vars.push(Var {
            name: var.to_string(),
            source,
            optional,
        });
    }
    Ok(env)
}

fn parse_ref(place: &str, v: &Node) -> Result<Reference> {
    let err = |problem: &str| Error::config(format!("{place}: {problem}"));
    let m = as_map(v).ok_or_else(|| err("expected {store: NAME, key: KEY}"))?;
    let mut r = Reference {
        store: String::new(),
        key: String::new(),
        field: None,
        version_stage: None,
        version_id: None,
    };
    for (k, v) in m {
        let k = key_str(k).ok_or_else(|| err("keys must be strings"))?;
        let s = scalar(v).map_err(|p| Error::config(format!("{place}.{}: {p}", yaml::shown(k))))?;
        match k {
            "store" => r.store = s,
            "key" => r.key = s,
            "field" => r.field = Some(s),
            "version_stage" => r.version_stage = Some(s),
            "version_id" => r.version_id = Some(s),
            other => {
                return Err(Error::config(format!(
                    "{place}.{}: unknown field (known: store, key, field, version_stage, version_id)",
                    yaml::shown(other)
                )));
            }
        }
    }
    if r.store.is_empty() {
        return Err(err("missing store"));
    }
    if r.key.is_empty() {
        return Err(err("missing key"));
    }
    Ok(r)
}

/// Expand `${VAR}`; `$${` is a literal `${`. Returns the name of a missing
/// variable as the error.
pub fn interpolate(raw: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(t) = tail.strip_prefix("$${") {
            out.push_str("${");
            rest = t;
        } else if let Some(t) = tail.strip_prefix("${") {
            let Some(end) = t.find('}') else {
                out.push_str(tail);
                return Ok(out);
            };
            let name = &t[..end];
            out.push_str(&lookup(name).ok_or_else(|| name.to_string())?);
            rest = &t[end + 1..];
        } else {
            out.push('$');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

fn key_str(v: &Node) -> Option<&str> {
    v.scalar()
}

fn as_map(v: &Node) -> Option<&[(Node, Node)]> {
    v.as_map()
}

/// A scalar's value: its text as written in the file. A plain scalar YAML
/// would read as null is refused with a message that says to quote it; a
/// list or mapping is refused. The error is the problem, for the caller to
/// place.
fn scalar(v: &Node) -> std::result::Result<String, String> {
    if v.is_null() {
        return Err(match v.plain() {
            Some(t) if !t.is_empty() => format!(
                "{t} means null in YAML, not text: quote it (\"{t}\"), or write \"\" for an empty value"
            ),
            _ => {
                "no value, which YAML reads as null: quote it (\"\") for an empty value".to_string()
            }
        });
    }
    v.scalar()
        .map(str::to_string)
        .ok_or_else(|| format!("expected a string, found {}", kind_of(v)))
}

/// The value of a boolean field: unquoted `true` or `false` (any of YAML's
/// capitalisations).
fn boolean(v: &Node) -> Option<bool> {
    match v.plain()? {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

fn kind_of(v: &Node) -> &'static str {
    v.kind_name()
}

#[cfg(test)]
mod tests;
