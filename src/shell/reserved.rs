//! Names the hook and `dsops export --format shell` refuse to set, per shell.
//!
//! A line that assigns one of these either fails in the shell (a read-only
//! parameter: zsh stops the whole eval there, so the lines after it, the
//! state among them, never run), changes how the shell itself works (the
//! prompt, the hook lists, word splitting, history), or redirects dsops (its
//! own variables, and where it reads trust records and state from). A set
//! that names one is refused as a whole, with a message naming the variable
//! and why.
//!
//! Each shell's own list is part of its `Syntax` (`bash.rs`, `zsh.rs`,
//! `fish.rs`); [`every_shell`] holds the names refused whatever the shell.
//! The integration tests ask each installed shell for its read-only
//! variables and check that every one is refused.

use super::Shell;

/// An exact name, or a prefix when the pattern ends with `*`; and the reason
/// shown after "refusing to export NAME: ".
pub struct Rule {
    pub pattern: &'static str,
    pub why: &'static str,
}

impl Rule {
    fn matches(&self, name: &str) -> bool {
        match self.pattern.strip_suffix('*') {
            Some(prefix) => name.starts_with(prefix),
            None => name == self.pattern,
        }
    }
}

/// `rules!["why" => ["NAME", "PREFIX*"], ...]`: a list of [`Rule`]s.
macro_rules! rules {
    ($($why:expr => [$($p:literal),* $(,)?]),* $(,)?) => {
        &[$($($crate::shell::reserved::Rule { pattern: $p, why: $why },)*)*]
    };
}
pub(crate) use rules;

const DSOPS_TRUST: &str = "reserved: dsops reads its trust records, state and caches from there";

/// Refused in every shell.
pub fn every_shell() -> &'static [Rule] {
    rules![
        "reserved by dsops: its own settings and state" => ["DSOPS_*"],
        "reserved by dsops: the hook's own variables" => ["_dsops_*"],
        DSOPS_TRUST => [
            "HOME",
            "XDG_CONFIG_HOME",
            "XDG_DATA_HOME",
            "XDG_STATE_HOME",
            "XDG_CACHE_HOME",
            "XDG_RUNTIME_DIR",
        ],
        "reserved: the shells split words with it" => ["IFS"],
        "reserved: shells started in the project would run the file it names" => ["BASH_ENV", "ENV"],
        "reserved: every bash started in the project would take its options from it" => [
            "SHELLOPTS",
            "BASHOPTS",
        ],
        "reserved: zsh reads its startup files from there" => ["ZDOTDIR"],
        "reserved: the dynamic loader reads it" => ["LD_*", "DYLD_*"],
    ]
}

/// Why `shell` (or dsops) cannot take `name`, if it cannot.
pub fn refused(shell: Shell, name: &str) -> Option<&'static str> {
    shell
        .reserved()
        .iter()
        .chain(every_shell())
        .find(|r| r.matches(name))
        .map(|r| r.why)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_shell() {
        assert_eq!(
            refused(&crate::shell::zsh::Zsh, "LINENO"),
            Some("reserved by zsh: read-only")
        );
        assert_eq!(
            refused(&crate::shell::bash::Bash, "PROMPT_COMMAND"),
            Some("reserved: the bash hook runs from it")
        );
        assert_eq!(refused(&crate::shell::fish::Fish, "LINENO"), None);
        assert!(refused(&crate::shell::fish::Fish, "fish_pid").is_some());
        assert!(refused(&crate::shell::bash::Bash, "BASH_ENV").is_some());
        for sh in crate::shell::SHELLS.iter().copied() {
            for n in [
                "DSOPS_STATE",
                "DSOPS_ENV",
                "_dsops_sig",
                "HOME",
                "XDG_DATA_HOME",
                "XDG_CACHE_HOME",
                "XDG_RUNTIME_DIR",
                "LD_PRELOAD",
                "DYLD_INSERT_LIBRARIES",
                "IFS",
                "ZDOTDIR",
                "PWD",
            ] {
                assert!(refused(sh, n).is_some(), "{sh:?} {n}");
            }
            for n in ["DATABASE_URL", "PATH", "AWS_SECRET_ACCESS_KEY", "LANG", "A"] {
                assert_eq!(refused(sh, n), None, "{sh:?} {n}");
            }
        }
    }
}
