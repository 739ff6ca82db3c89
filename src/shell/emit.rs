//! The lines `dsops hook-env SHELL` prints for the shell to eval: exports,
//! unsets, and the hook's own bookkeeping variables (not exported).
//!
//! Everything is bytes, because a value from the environment (a prior value to
//! restore) need not be UTF-8. Builtins are called as `\builtin` (bash, zsh)
//! or `builtin` (fish) so that a user's alias or function named `export`,
//! `unset` or `set` cannot change what the lines do.

use super::Shell;

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
        self.shell.export(&mut self.out, name, &q);
    }

    pub fn unset(&mut self, name: &str) {
        self.shell.unset(&mut self.out, name);
    }

    /// The hook's shell variables (see the scripts under `shell/`): the stamp
    /// file, files that must exist and be no newer than it, files that must
    /// not exist, and the time (epoch seconds, 0 for none) to ask again.
    pub fn bookkeeping(&mut self, stamp: &[u8], watch: &[&[u8]], absent: &[&[u8]], refresh: i64) {
        let sh = self.shell;
        sh.assign(&mut self.out, "_dsops_stamp", &sh.quote(stamp));
        sh.assign(&mut self.out, "_dsops_watch", &sh.list(watch));
        sh.assign(&mut self.out, "_dsops_absent", &sh.list(absent));
        sh.assign(
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
        let mut s = Script::new(&crate::shell::bash::Bash);
        s.export("A", b"x'y");
        s.unset("B");
        s.bookkeeping(b"/s", &[b"/a b"], &[], 7);
        assert_eq!(
            String::from_utf8(s.out).unwrap(),
            "\\builtin export A='x'\\''y'\n\\builtin unset B\n_dsops_stamp='/s'\n\
             _dsops_watch=('/a b')\n_dsops_absent=()\n_dsops_refresh=7\n"
        );
        let mut s = Script::new(&crate::shell::fish::Fish);
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
