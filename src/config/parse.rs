//! Reading one layer: the YAML tree (`yaml.rs`) to the model
//! (`model.rs`), every field checked against its store type's schema
//! (`schema.rs`), every place named in errors (`FILE: secretStores.NAME.field:`).
//!
//! Scalars are taken as written in the file (see [`yaml`]): an unquoted
//! `1.10`, `0x10`, `1e3`, `007`, `True` or `yes` is that text, never a number
//! or boolean rewritten by YAML. A plain scalar YAML reads as null (empty,
//! `~`, `null`, `Null`, `NULL`) is refused with a message that says to quote
//! it, so that nothing is exported that the file does not show. Quoted and
//! block scalars are their parsed string. The fields that are booleans
//! (`optional`, `use_device_code`) take `true`/`false` (also `True`, `TRUE`,
//! `False`, `FALSE`), unquoted.

use super::diff;
use super::model::{Config, EnvSet, Reference, Source, Store, Var};
use super::schema::{self, Shape};
use super::yaml::{self, Node};
use crate::error::{Error, Result};
use std::collections::BTreeMap;
use std::path::Path;

/// Parse and validate one layer (see the module doc).
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
            "tokens" => {
                let shape = "expected {storage: keyring|file, role_credentials: keyring|file}";
                let m = as_map(v).ok_or_else(|| err("tokens", shape))?;
                let mut t = super::model::Tokens::default();
                for (k, v) in m {
                    let key = key_str(k);
                    let slot = match key {
                        Some("storage") => &mut t.storage,
                        Some("role_credentials") => &mut t.role_credentials,
                        other => {
                            return Err(err(
                                &format!("tokens.{}", yaml::shown(other.unwrap_or("?"))),
                                "unknown key (known: storage, role_credentials)",
                            ));
                        }
                    };
                    *slot = v
                        .scalar()
                        .and_then(super::model::TokenStorage::parse)
                        .ok_or_else(|| {
                            err(
                                &format!("tokens.{}", key.unwrap_or("?")),
                                "expected keyring or file",
                            )
                        })?;
                }
                cfg.tokens = Some(t);
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
                        "unknown top-level key (known: version, defaultEnv, secretStores, envs, trust, tokens){hint}"
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
    let ty = body
        .get("type")
        .ok_or_else(|| err("", &format!("missing 'type' (one of: {})", schema::names())))?;
    let ty = scalar(ty).map_err(|p| err("type", &p))?;
    let kind = schema::find(&ty).ok_or_else(|| {
        err(
            "type",
            &format!(
                "unknown store type '{}' (known: {})",
                yaml::shown(&ty),
                schema::names()
            ),
        )
    })?;
    let mut store = Store {
        name: name.to_string(),
        kind,
        origin: path.to_path_buf(),
        fields: BTreeMap::new(),
        lists: BTreeMap::new(),
        maps: BTreeMap::new(),
    };
    for (k, v) in m {
        let k = key_str(k).ok_or_else(|| err("", "field names must be strings"))?;
        if k == "type" {
            continue;
        }
        let Some(field) = kind.field(k) else {
            let known: Vec<&str> = kind.fields().iter().map(|f| f.name).collect();
            return Err(err(
                &yaml::shown(k),
                &format!(
                    "unknown field for a {ty} store (known: {})",
                    known.join(", ")
                ),
            ));
        };
        match field.shape {
            Shape::Text => {
                store
                    .fields
                    .insert(k.to_string(), scalar(v).map_err(|p| err(k, &p))?);
            }
            Shape::AccountId => {
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
            Shape::Bool => {
                let b = boolean(v).ok_or_else(|| err(k, "expected true or false"))?;
                store.fields.insert(k.to_string(), b.to_string());
            }
            Shape::Seconds => {
                let s = scalar(v).map_err(|p| err(k, &p))?;
                let ok = s.parse::<f64>().is_ok_and(|f| f > 0.0 && f < 86400.0);
                if !ok {
                    return Err(err(k, "expected a number of seconds"));
                }
                store.fields.insert(k.to_string(), s);
            }
            Shape::List => {
                let seq = v
                    .as_seq()
                    .ok_or_else(|| err(k, "expected a list: [program, args...]"))?;
                let mut items = Vec::with_capacity(seq.len());
                for (i, item) in seq.iter().enumerate() {
                    items.push(scalar(item).map_err(|p| err(&format!("{k}[{i}]"), &p))?);
                }
                if items.is_empty() {
                    return Err(err(k, "the list is empty"));
                }
                store.lists.insert(k.to_string(), items);
            }
            Shape::Map => {
                let vm =
                    as_map(v).ok_or_else(|| err(k, "expected a mapping of names to values"))?;
                let mut entries = Vec::with_capacity(vm.len());
                for (vk, vv) in vm {
                    let vk = key_str(vk).ok_or_else(|| err(k, "keys must be strings"))?;
                    let vv = scalar(vv).map_err(|p| err(&format!("{k}.{vk}"), &p))?;
                    entries.push((vk.to_string(), vv));
                }
                store.maps.insert(k.to_string(), entries);
            }
        }
    }
    kind.check(&store).map_err(|(f, p)| err(f, &p))?;
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
