//! The lines `dsops hook-env SHELL` prints for the shell to eval: exports,
//! unsets, and the hook's own bookkeeping variables (not exported).
//!
//! Everything is bytes, because a value from the environment (a prior value to
//! restore) need not be UTF-8. Builtins are called as `\builtin` (bash, zsh)
//! or `builtin` (fish) so that a user's alias or function named `export`,
//! `unset` or `set` cannot change what the lines do.

use super::quote;
use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

impl Shell {
    pub fn parse(name: &str) -> Result<Shell> {
        match name {
            "bash" => Ok(Shell::Bash),
            "zsh" => Ok(Shell::Zsh),
            "fish" => Ok(Shell::Fish),
            other => Err(Error::usage(format!(
                "unknown shell '{other}': use bash, zsh or fish"
            ))),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Shell::Bash => "bash",
            Shell::Zsh => "zsh",
            Shell::Fish => "fish",
        }
    }

    pub fn quote(self, value: &[u8]) -> Vec<u8> {
        match self {
            Shell::Bash | Shell::Zsh => quote::posix_bytes(value),
            Shell::Fish => quote::fish_bytes(value),
        }
    }

    /// How to set `DSOPS_ENV` in this shell, for messages.
    pub fn set_env_hint(self, name: &str) -> String {
        match self {
            Shell::Bash | Shell::Zsh => format!("export DSOPS_ENV={name}"),
            Shell::Fish => format!("set -gx DSOPS_ENV {name}"),
        }
    }
}

/// The output being built. `name`s must have been checked with
/// [`crate::config::valid_var_name`]; they are written unquoted.
pub struct Script {
    shell: Shell,
    pub out: Vec<u8>,
}

impl Script {
    pub fn new(shell: Shell) -> Script {
        Script {
            shell,
            out: Vec::new(),
        }
    }

    pub fn export(&mut self, name: &str, value: &[u8]) {
        let q = self.shell.quote(value);
        match self.shell {
            Shell::Bash | Shell::Zsh => {
                self.out.extend_from_slice(b"\\builtin export ");
                self.out.extend_from_slice(name.as_bytes());
                self.out.push(b'=');
            }
            Shell::Fish => {
                self.out.extend_from_slice(b"builtin set -gx ");
                self.out.extend_from_slice(name.as_bytes());
                self.out.push(b' ');
            }
        }
        self.out.extend_from_slice(&q);
        self.out.push(b'\n');
    }

    pub fn unset(&mut self, name: &str) {
        match self.shell {
            Shell::Bash | Shell::Zsh => self.out.extend_from_slice(b"\\builtin unset "),
            Shell::Fish => self.out.extend_from_slice(b"builtin set -e -g "),
        }
        self.out.extend_from_slice(name.as_bytes());
        self.out.push(b'\n');
    }

    /// The hook's shell variables (see the scripts under `shell/`): the stamp
    /// file, files that must exist and be no newer than it, files that must
    /// not exist, and the time (epoch seconds, 0 for none) to ask again.
    pub fn bookkeeping(&mut self, stamp: &[u8], watch: &[&[u8]], absent: &[&[u8]], refresh: i64) {
        let shell = self.shell;
        let scalar = |out: &mut Vec<u8>, name: &str, value: &[u8]| {
            match shell {
                Shell::Bash | Shell::Zsh => {
                    out.extend_from_slice(name.as_bytes());
                    out.push(b'=');
                }
                Shell::Fish => {
                    out.extend_from_slice(b"builtin set -g ");
                    out.extend_from_slice(name.as_bytes());
                    out.push(b' ');
                }
            }
            out.extend_from_slice(value);
            out.push(b'\n');
        };
        let list = |items: &[&[u8]]| {
            let mut v = Vec::new();
            if shell != Shell::Fish {
                v.push(b'(');
            }
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    v.push(b' ');
                }
                v.extend_from_slice(&shell.quote(item));
            }
            if shell != Shell::Fish {
                v.push(b')');
            }
            v
        };
        scalar(&mut self.out, "_dsops_stamp", &shell.quote(stamp));
        scalar(&mut self.out, "_dsops_watch", &list(watch));
        scalar(&mut self.out, "_dsops_absent", &list(absent));
        scalar(
            &mut self.out,
            "_dsops_refresh",
            refresh.max(0).to_string().as_bytes(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        let mut s = Script::new(Shell::Bash);
        s.export("A", b"x'y");
        s.unset("B");
        s.bookkeeping(b"/s", &[b"/a b"], &[], 7);
        assert_eq!(
            String::from_utf8(s.out).unwrap(),
            "\\builtin export A='x'\\''y'\n\\builtin unset B\n_dsops_stamp='/s'\n\
             _dsops_watch=('/a b')\n_dsops_absent=()\n_dsops_refresh=7\n"
        );
        let mut s = Script::new(Shell::Fish);
        s.export("A", b"x'y");
        s.unset("B");
        s.bookkeeping(b"", &[b"/a", b"/b"], &[], 0);
        assert_eq!(
            String::from_utf8(s.out).unwrap(),
            "builtin set -gx A 'x\\'y'\nbuiltin set -e -g B\nbuiltin set -g _dsops_stamp ''\n\
             builtin set -g _dsops_watch '/a' '/b'\nbuiltin set -g _dsops_absent \n\
             builtin set -g _dsops_refresh 0\n"
        );
    }
}
