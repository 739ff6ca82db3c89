//! Finding the project config and deciding whether it may be used.
//!
//! The nearest `.dsops.yaml` (or `dsops.yaml`) walking up from the working
//! directory is the project layer, used only when trusted; `--config PATH` or
//! `DSOPS_CONFIG` names the project layer explicitly and is trusted because the
//! person named it.

use super::trust::{self, Trust};
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// Project config file names, in order of preference within one directory.
pub const NAMES: [&str; 2] = [".dsops.yaml", "dsops.yaml"];

/// The nearest project config at or above `dir`.
pub fn nearest(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find_map(|d| NAMES.iter().map(|n| d.join(n)).find(|p| p.is_file()))
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
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
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

/// The project layer for a command.
#[derive(Debug, Default)]
pub struct Project {
    /// Trusted project config to load.
    pub trusted: Option<PathBuf>,
    /// The nearest config when it is not trusted (and why).
    pub untrusted: Option<(PathBuf, Trust)>,
}

impl Project {
    pub fn untrusted_error(&self) -> Option<Error> {
        self.untrusted
            .as_ref()
            .map(|(p, t)| trust::untrusted_error(p, *t))
    }
}

/// `explicit` is `--config`, falling back to `DSOPS_CONFIG`.
pub fn project(explicit: Option<&str>) -> Result<Project> {
    let explicit = explicit
        .map(str::to_string)
        .or_else(|| std::env::var("DSOPS_CONFIG").ok().filter(|s| !s.is_empty()));
    if let Some(p) = explicit {
        let path = absolute(Path::new(&p))?;
        if !path.is_file() {
            return Err(Error::config(format!(
                "{}: no such config file (from --config/DSOPS_CONFIG)",
                path.display()
            )));
        }
        return Ok(Project {
            trusted: Some(path),
            untrusted: None,
        });
    }
    let Some(path) = nearest(&cwd()?) else {
        return Ok(Project::default());
    };
    let content = super::read_file(&path)?;
    Ok(match trust::check(&path, content.as_bytes()) {
        Trust::Allowed => Project {
            trusted: Some(path),
            untrusted: None,
        },
        t => Project {
            trusted: None,
            untrusted: Some((path, t)),
        },
    })
}
