//! Shell integration: one [`Syntax`] per shell (`bash.rs`, `zsh.rs`,
//! `fish.rs`, `nu.rs`, `elvish.rs`, with its init script under `shell/`), the one list
//! [`SHELLS`] that `hook`, `hook-env`, `export --shell`, `doctor`, the
//! completions, the help and the man page all ask, and the hook's machinery:
//! what to load (`plan.rs`, `load.rs`), what changes (`diff.rs`, a pure
//! function), how to say it (`emit.rs`), and what to remember (`state.rs`,
//! `priors.rs`, `stamp.rs`).
//!
//! Adding a shell is one script under `shell/`, one file here implementing
//! [`Syntax`], and one line in [`SHELLS`].

pub mod bash;
pub mod diff;
pub mod elvish;
pub mod emit;
pub mod fish;
pub mod hookenv;
pub mod init;
pub mod load;
pub mod nu;
pub mod plan;
pub mod priors;
pub mod reserved;
pub mod stamp;
pub mod state;
pub mod transition;
pub mod usage;
pub mod zsh;

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// How one shell is spoken to.
pub trait Syntax: Sync {
    /// As `hook SHELL` and `--shell` name it.
    fn name(&self) -> &'static str;
    /// The init code (`shell/dsops.<name>`), with `__DSOPS_BIN__` where the
    /// quoted path of dsops goes.
    fn script(&self) -> &'static str;
    // The lines: POSIX-family syntax (bash, zsh) unless a shell says
    // otherwise (fish).

    /// Any bytes but NUL, quoted so that the shell reads them back exactly.
    fn quote(&self, value: &[u8]) -> Vec<u8> {
        crate::quote::posix_bytes(value)
    }
    /// A line exporting `name` (already checked) with a quoted value.
    fn export(&self, out: &mut Vec<u8>, name: &str, quoted: &[u8]) {
        posix::export(out, name, quoted)
    }
    /// The line `dsops export --format shell` prints: the plain form a
    /// person reads (`export A='x'`), where the hook's lines call builtins.
    fn plain_export(&self, name: &str, quoted: &str) -> String {
        format!("export {name}={quoted}\n")
    }
    /// What goes before and after the [`Syntax::plain_export`] lines (a
    /// record's braces for nushell).
    fn plain_frame(&self) -> (&'static str, &'static str) {
        ("", "")
    }
    /// A line unsetting `name`.
    fn unset(&self, out: &mut Vec<u8>, name: &str) {
        posix::unset(out, name)
    }
    /// A line setting the hook's own (not exported) variable `name`.
    fn assign(&self, out: &mut Vec<u8>, name: &str, value: &[u8]) {
        posix::assign(out, name, value)
    }
    /// A list value for [`Syntax::assign`], each item quoted.
    fn list(&self, items: &[&[u8]]) -> Vec<u8> {
        posix::list(items)
    }
    /// The names this shell treats specially (besides `reserved::every_shell`).
    fn reserved(&self) -> &'static [reserved::Rule];
    /// The startup files `doctor` looks in for the hook.
    fn rc_files(&self, home: &Path, config_home: &Path) -> Vec<PathBuf>;
    /// Where and what to add to install the hook, for people.
    fn install_hint(&self) -> &'static str;
    /// How to set `DSOPS_ENV`, for messages.
    fn set_env_hint(&self, name: &str) -> String;
}

impl std::fmt::Debug for dyn Syntax {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl PartialEq for dyn Syntax {
    fn eq(&self, other: &Self) -> bool {
        self.name() == other.name()
    }
}

/// A shell, as the rest of dsops passes it around.
pub type Shell = &'static dyn Syntax;

/// Every shell dsops speaks.
pub static SHELLS: &[Shell] = &[
    &bash::Bash,
    &zsh::Zsh,
    &fish::Fish,
    &nu::Nu,
    &elvish::Elvish,
];

/// Their names: `bash`, `zsh`, `fish`, `nu`, `elvish`.
pub fn names() -> Vec<&'static str> {
    SHELLS.iter().map(|s| s.name()).collect()
}

/// The shell named `name`, or a usage error listing them.
pub fn find(name: &str) -> Result<Shell> {
    SHELLS
        .iter()
        .copied()
        .find(|s| s.name() == name)
        .ok_or_else(|| {
            Error::usage(format!(
                "unknown shell '{name}': use {}",
                crate::text::one_of(&names())
            ))
        })
}

/// The POSIX-family line writers bash and zsh share.
pub mod posix {
    pub fn export(out: &mut Vec<u8>, name: &str, quoted: &[u8]) {
        out.extend_from_slice(b"\\builtin export ");
        out.extend_from_slice(name.as_bytes());
        out.push(b'=');
        out.extend_from_slice(quoted);
        out.push(b'\n');
    }

    pub fn unset(out: &mut Vec<u8>, name: &str) {
        out.extend_from_slice(b"\\builtin unset ");
        out.extend_from_slice(name.as_bytes());
        out.push(b'\n');
    }

    pub fn assign(out: &mut Vec<u8>, name: &str, value: &[u8]) {
        out.extend_from_slice(name.as_bytes());
        out.push(b'=');
        out.extend_from_slice(value);
        out.push(b'\n');
    }

    pub fn list(items: &[&[u8]]) -> Vec<u8> {
        let mut v = vec![b'('];
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                v.push(b' ');
            }
            v.extend_from_slice(&crate::quote::posix_bytes(item));
        }
        v.push(b')');
        v
    }
}
