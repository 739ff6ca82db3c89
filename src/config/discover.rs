//! Finding the project config and deciding whether it may be used.
//!
//! The nearest `.dsops.yaml` (or `dsops.yaml`) walking up from the working
//! directory is the project layer, used only when trusted; `--config PATH` or
//! `DSOPS_CONFIG` names the project layer explicitly and is trusted because the
//! person named it (`DSOPS_CONFIG` must be absolute: a relative one would name
//! a different file, trusted, in every directory).
//!
//! The file is read once, with a fixed bound: the bytes that are hashed for
//! the trust check are the bytes that are parsed. A project file that cannot
//! be read (too big, not UTF-8, not a regular file, unreadable) is untrusted
//! with the reason, never an error here: commands that do not need the
//! project layer go on without it.

use super::ConfigFile;
use super::trust::{self, Trust};
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// Project config file names, in order of preference within one directory.
pub const NAMES: [&str; 2] = [".dsops.yaml", "dsops.yaml"];

/// What walking up from a directory found.
#[derive(Debug, Default)]
pub struct Walk {
    /// The nearest project config that is a regular file.
    pub nearest: Option<PathBuf>,
    /// Every config path looked at before it that does not exist (the hook
    /// watches that none appears).
    pub absent: Vec<PathBuf>,
    /// Paths with a config's name that exist but are not regular files
    /// (a FIFO, a directory), skipped, and why.
    pub skipped: Vec<(PathBuf, String)>,
}

/// Walk up from `dir` to the nearest project config.
pub fn walk(dir: &Path) -> Walk {
    let mut w = Walk::default();
    for d in dir.ancestors() {
        for n in NAMES {
            let p = d.join(n);
            match std::fs::metadata(&p) {
                Ok(m) if m.is_file() => {
                    w.nearest = Some(p);
                    return w;
                }
                Ok(m) => {
                    let what = crate::platform::kind_of(&m);
                    w.skipped.push((p, format!("{what}, not a regular file")));
                }
                // A symlink that cannot be followed (a loop) is a config
                // that is there and broken: reading it says why, naming it,
                // rather than a parent's config loading in its place. (Only
                // on this error path: a missing name costs one stat.)
                Err(e)
                    if e.kind() != std::io::ErrorKind::NotFound
                        && std::fs::symlink_metadata(&p).is_ok_and(|m| m.is_symlink()) =>
                {
                    w.nearest = Some(p);
                    return w;
                }
                Err(_) => w.absent.push(p),
            }
        }
    }
    w
}

/// The nearest project config at or above `dir`.
pub fn nearest(dir: &Path) -> Option<PathBuf> {
    walk(dir).nearest
}

pub fn cwd() -> Result<PathBuf> {
    // Prefer $PWD when it names the working directory: it keeps the user's
    // symlinked path, which is what they see and what the hook watches.
    let real = std::env::current_dir()
        .map_err(|e| Error::runtime(format!("cannot read the working directory: {e}")))?;
    if let Some(pwd) = std::env::var_os("PWD").map(PathBuf::from)
        && pwd.is_absolute()
        && same_file(&pwd, &real)
    {
        return Ok(pwd);
    }
    Ok(real)
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(x), Ok(y)) => crate::platform::same_file(&x, &y),
        _ => false,
    }
}

/// `p` made absolute against the working directory, with `.` and `..`
/// removed lexically (symlinks kept, as the shell shows them), so one file
/// always has one trust record.
pub fn absolute(p: &Path) -> Result<PathBuf> {
    use std::path::Component;
    let joined = if p.is_absolute() {
        p.to_path_buf()
    } else {
        cwd()?.join(p)
    };
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    Ok(out)
}

/// Why the nearest project config is not used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// Not allowed (changed since, denied, never allowed).
    Trust(Trust),
    /// Cannot be used at all: the reason (too big, not UTF-8, unreadable).
    Unusable(String),
}

/// The project layer for a command.
#[derive(Debug, Default)]
pub struct Project {
    /// The trusted project config, as read (and hashed) once.
    pub trusted: Option<ConfigFile>,
    /// The nearest config when it is not used, and why.
    pub untrusted: Option<(PathBuf, Refused)>,
    /// Config-named paths skipped on the way (not regular files).
    pub skipped: Vec<(PathBuf, String)>,
}

impl Project {
    pub fn untrusted_error(&self) -> Option<Error> {
        self.untrusted
            .as_ref()
            .map(|(p, why)| refused_error(p, why))
    }
}

pub fn refused_error(path: &Path, why: &Refused) -> Error {
    match why {
        Refused::Trust(t) => trust::untrusted_error(path, t.clone()),
        Refused::Unusable(reason) => {
            Error::config(format!("{}: {reason}; not loaded", path.display()))
        }
    }
}

/// `--config`, or `DSOPS_CONFIG` standing in for it (`from_env`), which
/// must be absolute.
fn explicit_path(explicit: Option<&str>, from_env: bool) -> Result<Option<PathBuf>> {
    let Some(p) = explicit else {
        return Ok(None);
    };
    if from_env && !Path::new(p).is_absolute() {
        return Err(Error::usage(format!(
            "DSOPS_CONFIG={p}: must be an absolute path (a relative one would name, and trust, a different file in every directory); use --config for a path relative to here"
        )));
    }
    absolute(Path::new(p)).map(Some)
}

/// Find, read once and judge the project layer. `explicit` is `--config`
/// (or `DSOPS_CONFIG`, then `from_env`).
pub fn project(explicit: Option<&str>, from_env: bool) -> Result<Project> {
    if let Some(path) = explicit_path(explicit, from_env)? {
        let source = ConfigFile::read(&path).map_err(|mut e| {
            e.message.push_str(" (named by --config/DSOPS_CONFIG)");
            e
        })?;
        return Ok(Project {
            trusted: Some(source),
            ..Default::default()
        });
    }
    let walk = walk(&cwd()?);
    let mut project = Project {
        skipped: walk.skipped,
        ..Default::default()
    };
    let Some(path) = walk.nearest else {
        return Ok(project);
    };
    match ConfigFile::read(&path) {
        Err(e) => {
            let reason = e
                .message
                .strip_prefix(&format!("{}: ", path.display()))
                .unwrap_or(&e.message)
                .to_string();
            project.untrusted = Some((path, Refused::Unusable(reason)));
        }
        Ok(source) => match trust::check(&path, source.text.as_bytes()) {
            Trust::Allowed => project.trusted = Some(source),
            t => project.untrusted = Some((path, Refused::Trust(t))),
        },
    }
    Ok(project)
}
