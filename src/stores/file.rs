//! The `file` store: secrets mounted as files, as Docker and Kubernetes do.
//!
//! `path` (with `${VAR}` expanded like any field; a relative one is relative
//! to the directory of the config file that declares the store, never the
//! working directory; `~/` is HOME) is a directory or a file:
//!
//! - a directory: the key names a file in it (one path component: no `/`,
//!   not `.` or `..`), and the value is that file's contents with one
//!   trailing newline (`\n` or `\r\n`) removed. Kubernetes mounts each key
//!   as a symlink into a hidden timestamped directory, so symlinks are
//!   followed; what is read must be a regular file.
//! - a file: a dotenv or JSON document (`format: dotenv|json`, else by the
//!   extension: `.json` is JSON, `.env` or a name starting with `.env` is
//!   dotenv), and the key names one entry. JSON: a top-level object; strings
//!   as they are, other values as compact JSON, `null` as not found. Dotenv:
//!   `NAME=value` lines, `export ` allowed, `#` comments; single quotes are
//!   literal, double quotes know `\n`, `\r`, `\t`, `\"` and `\\`, unquoted
//!   values end at ` #`; the last of a repeated name wins.
//!
//! Every read is bounded (1 MiB) and opened without blocking; a FIFO or a
//! device is refused. A key that is not there is "not found", so an
//! `optional` variable is skipped.

use super::{Batch, Cx, FetchError, Fetched, Kind, Status};
use crate::config::diff::Risk;
use crate::config::schema::{Field, Schema, Shape};
use crate::config::{Reference, Store};
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

pub struct File;

/// Mounted secrets are small (Kubernetes caps a secret at 1 MiB).
const MAX_BYTES: u64 = 1 << 20;

const FIELDS: &[Field] = &[
    Field::new("path", Shape::Text, Risk::Medium),
    Field::new("format", Shape::Text, Risk::Low),
];

const FORMATS: &[&str] = &["dotenv", "json"];

impl Schema for File {
    fn name(&self) -> &'static str {
        "file"
    }
    fn fields(&self) -> &'static [Field] {
        FIELDS
    }
    fn check(&self, store: &Store) -> std::result::Result<(), (&'static str, String)> {
        if store.raw("path").is_none_or(str::is_empty) {
            return Err((
                "",
                "a file store needs path: a directory of secret files, or a dotenv or JSON file"
                    .into(),
            ));
        }
        match store.raw("format") {
            Some(f) if !FORMATS.contains(&f) => {
                Err(("format", format!("'{f}': expected dotenv or json")))
            }
            _ => Ok(()),
        }
    }
}

impl Kind for File {
    fn describe(&self) -> &'static str {
        "files of a directory (Docker and Kubernetes secrets), or entries of a dotenv or JSON file"
    }

    fn fetch(&self, _cx: &Cx, store: &Store, refs: &[Reference]) -> Result<Batch> {
        let path = path(store)?;
        let mut values = Fetched::new();
        if path.is_dir() {
            for r in refs {
                values.insert(r.clone(), from_dir(&path, r));
            }
            return Ok(Batch::of(values));
        }
        let format = format(store, &path)?;
        let doc = read(&path).map_err(|e| store.error("path", &e))?;
        for r in refs {
            let v = match format {
                Format::Json => super::json::json_field(&doc, &r.key, &shown(&path)),
                Format::Dotenv => dotenv(&doc)
                    .map_err(|e| FetchError::Failed(store.error("path", &e)))
                    .and_then(|entries| {
                        entries
                            .into_iter()
                            .rev()
                            .find(|(k, _)| *k == r.key)
                            .map(|(_, v)| v)
                            .ok_or_else(|| {
                                FetchError::NotFound(format!(
                                    "no entry '{}' in {}",
                                    r.key,
                                    shown(&path)
                                ))
                            })
                    }),
            };
            let v = match (v, &r.field) {
                (Ok(text), Some(f)) => {
                    super::json::json_field(&text, f, &format!("entry '{}'", r.key))
                }
                (v, _) => v,
            };
            values.insert(r.clone(), v);
        }
        Ok(Batch::of(values))
    }

    fn probe(&self, _cx: &Cx, store: &Store) -> Vec<(Status, String)> {
        let path = match path(store) {
            Ok(p) => p,
            Err(e) => return vec![(Status::Fail, e.to_string())],
        };
        if path.is_dir() {
            let n = std::fs::read_dir(&path)
                .map(|d| d.flatten().filter(|e| e.path().is_file()).count())
                .unwrap_or(0);
            let status = if n == 0 { Status::Warn } else { Status::Ok };
            return vec![(status, format!("{n} file(s) in {}", path.display()))];
        }
        let line = format(store, &path).and_then(|f| {
            let doc = read(&path).map_err(|e| store.error("path", &e))?;
            let n = match f {
                Format::Json => match serde_json::from_str::<serde_json::Value>(&doc) {
                    Ok(serde_json::Value::Object(m)) => m.len(),
                    _ => return Err(store.error("path", "not a JSON object")),
                },
                Format::Dotenv => dotenv(&doc).map_err(|e| store.error("path", &e))?.len(),
            };
            Ok(format!("{n} entries in {}", path.display()))
        });
        vec![match line {
            Ok(l) => (Status::Ok, l),
            Err(e) => (Status::Fail, e.to_string()),
        }]
    }
}

#[derive(Clone, Copy)]
enum Format {
    Dotenv,
    Json,
}

/// The store's `path`; a relative one is relative to the directory of the
/// config file that declares the store, not the working directory.
fn path(store: &Store) -> Result<PathBuf> {
    let p = store
        .get("path")?
        .ok_or_else(|| store.error("path", "missing"))?;
    Ok(store.beside_origin(&p))
}

fn format(store: &Store, path: &Path) -> Result<Format> {
    let by_name = || {
        let name = path.file_name()?.to_str()?;
        if name.ends_with(".json") {
            Some(Format::Json)
        } else if name.ends_with(".env") || name.starts_with(".env") {
            Some(Format::Dotenv)
        } else {
            None
        }
    };
    match store.raw("format") {
        Some("json") => Ok(Format::Json),
        Some("dotenv") => Ok(Format::Dotenv),
        _ => by_name().ok_or_else(|| {
            store.error(
                "format",
                &format!(
                    "cannot tell the format of {}: set format: dotenv or json",
                    path.display()
                ),
            )
        }),
    }
}

fn shown(path: &Path) -> String {
    format!("'{}'", path.display())
}

/// A file's text: a regular file, bounded, UTF-8.
fn read(path: &Path) -> std::result::Result<String, String> {
    let bytes = crate::fsutil::read_bounded(path, MAX_BYTES)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    String::from_utf8(bytes).map_err(|_| format!("{} is not UTF-8 text", path.display()))
}

/// The file named `r.key` in `dir`.
fn from_dir(dir: &Path, r: &Reference) -> std::result::Result<String, FetchError> {
    let key = &r.key;
    let one_component = !key.is_empty() && key != "." && key != ".." && !key.contains(['/', '\0']);
    if !one_component {
        return Err(FetchError::Failed(Error::config(format!(
            "key '{key}' is not a file name in {} (one path component, not . or ..)",
            dir.display()
        ))));
    }
    let p = dir.join(key);
    match crate::fsutil::read_bounded(&p, MAX_BYTES) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(FetchError::NotFound(format!(
            "no file '{key}' in {}",
            dir.display()
        ))),
        Err(e) => Err(FetchError::Failed(Error::runtime(format!(
            "cannot read {}: {e}",
            p.display()
        )))),
        Ok(bytes) => {
            let mut s = String::from_utf8(bytes).map_err(|_| {
                FetchError::Failed(Error::runtime(format!("{} is not UTF-8 text", p.display())))
            })?;
            if s.ends_with('\n') {
                s.pop();
                if s.ends_with('\r') {
                    s.pop();
                }
            }
            match &r.field {
                Some(f) => super::json::json_field(&s, f, &format!("file '{key}'")),
                None => Ok(s),
            }
        }
    }
}

/// The entries of a dotenv document, in order (see the module doc). The
/// error names the line, never a value.
fn dotenv(doc: &str) -> std::result::Result<Vec<(String, String)>, String> {
    let mut out = vec![];
    let mut lines = doc.lines().enumerate();
    while let Some((i, line)) = lines.next() {
        let t = line.trim_start();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let t = t.strip_prefix("export ").map(str::trim_start).unwrap_or(t);
        let Some((name, rest)) = t.split_once('=') else {
            return Err(format!("line {}: expected NAME=value", i + 1));
        };
        let name = name.trim();
        if !crate::config::valid_var_name(name) {
            return Err(format!("line {}: not a variable name", i + 1));
        }
        let rest = rest.trim_start();
        let value = match rest.chars().next() {
            Some(q @ ('\'' | '"')) => {
                // A quoted value may run over several lines.
                let mut text = rest[1..].to_string();
                let end = loop {
                    if let Some(end) = closing(&text, q) {
                        break end;
                    }
                    match lines.next() {
                        Some((_, more)) => {
                            text.push('\n');
                            text.push_str(more);
                        }
                        None => return Err(format!("line {}: unclosed {q}", i + 1)),
                    }
                };
                let inner = &text[..end];
                if q == '\'' {
                    inner.to_string()
                } else {
                    unescape(inner)
                }
            }
            _ => match rest.find(" #") {
                Some(c) => rest[..c].trim_end().to_string(),
                None => rest.trim_end().to_string(),
            },
        };
        out.push((name.to_string(), value));
    }
    Ok(out)
}

/// Where the closing quote `q` of a value is (`\"` does not close).
fn closing(text: &str, q: char) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match c {
            '\\' if q == '"' && !escaped => escaped = true,
            c if c == q && !escaped => return Some(i),
            _ => escaped = false,
        }
    }
    None
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('"') => out.push('"'),
            Some('\\') => out.push('\\'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotenv_entries() {
        let doc = "# c\nA=1\nexport B = two words # comment\nC='lit $X \\n'\nD=\"a\\nb \\\"q\\\"\"\nE=\"multi\nline\"\nA=last\n\n";
        let e = dotenv(doc).unwrap();
        let get = |k: &str| {
            e.iter()
                .rev()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("A"), Some("last"));
        assert_eq!(get("B"), Some("two words"));
        assert_eq!(get("C"), Some("lit $X \\n"));
        assert_eq!(get("D"), Some("a\nb \"q\""));
        assert_eq!(get("E"), Some("multi\nline"));
        assert!(dotenv("A='open\n").unwrap_err().contains("line 1"));
        assert!(dotenv("not a line\n").unwrap_err().contains("line 1"));
        assert!(dotenv("1A=x\n").is_err());
    }
}
