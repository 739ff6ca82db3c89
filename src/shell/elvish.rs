//! elvish: `eval (dsops hook elvish | slurp)` in `rc.elv`; the hook runs from
//! `edit:before-readline`. `hook-env elvish` prints `set-env`, `unset-env`
//! and `var` lines, which the hook evaluates in a fresh namespace.

use super::Syntax;
use super::reserved::{Rule, rules};
use std::path::{Path, PathBuf};

pub struct Elvish;

/// Single quotes, where `''` is a quote and nothing else is special (not
/// `$`, `\`, newlines). Elvish strings are bytes, any bytes, but its source
/// must be UTF-8: a value that is not is written in double quotes, every
/// byte outside printable ASCII as `\xHH`.
pub fn quote(value: &[u8]) -> Vec<u8> {
    if std::str::from_utf8(value).is_err() {
        let mut out = vec![b'"'];
        for &b in value {
            match b {
                b'"' | b'\\' => out.extend_from_slice(&[b'\\', b]),
                0x20..=0x7e => out.push(b),
                _ => out.extend_from_slice(format!("\\x{b:02x}").as_bytes()),
            }
        }
        out.push(b'"');
        return out;
    }
    let mut out = Vec::with_capacity(value.len() + 2);
    out.push(b'\'');
    for &b in value {
        if b == b'\'' {
            out.push(b'\'');
        }
        out.push(b);
    }
    out.push(b'\'');
    out
}

impl Syntax for Elvish {
    fn name(&self) -> &'static str {
        "elvish"
    }
    fn script(&self) -> &'static str {
        include_str!("../../shell/dsops.elv")
    }
    fn quote(&self, value: &[u8]) -> Vec<u8> {
        quote(value)
    }
    fn export(&self, out: &mut Vec<u8>, name: &str, quoted: &[u8]) {
        out.extend_from_slice(b"set-env ");
        out.extend_from_slice(name.as_bytes());
        out.push(b' ');
        out.extend_from_slice(quoted);
        out.push(b'\n');
    }
    fn plain_export(&self, name: &str, quoted: &str) -> String {
        format!("set-env {name} {quoted}\n")
    }
    fn unset(&self, out: &mut Vec<u8>, name: &str) {
        out.extend_from_slice(b"unset-env ");
        out.extend_from_slice(name.as_bytes());
        out.push(b'\n');
    }
    fn assign(&self, out: &mut Vec<u8>, name: &str, value: &[u8]) {
        out.extend_from_slice(b"var ");
        out.extend_from_slice(name.trim_start_matches("_dsops_").as_bytes());
        out.extend_from_slice(b" = ");
        out.extend_from_slice(value);
        out.push(b'\n');
    }
    fn list(&self, items: &[&[u8]]) -> Vec<u8> {
        let quoted: Vec<Vec<u8>> = items.iter().map(|i| quote(i)).collect();
        [b"[".to_vec(), quoted.join(&b' '), b"]".to_vec()].concat()
    }
    fn reserved(&self) -> &'static [Rule] {
        RESERVED
    }
    fn rc_files(&self, home: &Path, config_home: &Path) -> Vec<PathBuf> {
        vec![
            config_home.join("elvish/rc.elv"),
            home.join(".config/elvish/rc.elv"),
            home.join(".elvish/rc.elv"),
        ]
    }
    fn install_hint(&self) -> &'static str {
        "eval (dsops hook elvish | slurp) in ~/.config/elvish/rc.elv"
    }
    fn set_env_hint(&self, name: &str) -> String {
        format!("set E:DSOPS_ENV = {name}")
    }
}

/// elvish: the variables it sets or ties to its own.
const RESERVED: &[Rule] = rules![
    "reserved by elvish: set by the shell" => ["PWD", "OLDPWD", "SHLVL"],
    "reserved by elvish: its own settings" => ["ELVISH_*"],
    "reserved by elvish: named like $paths, which holds PATH" => ["paths"],
];

#[cfg(test)]
mod tests {
    #[test]
    fn quotes() {
        assert_eq!(super::quote(b"it's"), b"'it''s'");
        assert_eq!(super::quote(b"\xff\"\\\n"), b"\"\\xff\\\"\\\\\\x0a\"");
    }
}
