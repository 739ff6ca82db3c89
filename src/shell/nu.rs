//! nushell: `dsops hook nu | save -f ($nu.data-dir | path join dsops.nu)`
//! once, then `source` that file from `config.nu`; the hook runs from
//! `$env.config.hooks.pre_prompt`.
//!
//! Nushell cannot eval a string, so `hook-env nu` prints data: the rows of a
//! NUON table `[[op, name, value]; ...]`, one a line: `[set, NAME, value]`,
//! `[unset, NAME, null]` or `[var, FIELD, value]` (the hook's bookkeeping,
//! kept in the record `$env._dsops`), which the script parses with `from
//! nuon` and applies at once with `load-env` and `hide-env` (per name, the
//! last row counts).
//! Values are NUON raw strings (`r#'...'#`), where nothing is an escape.
//! Nushell strings are UTF-8: a value that is not (only a prior value from
//! the environment or a path can be) is written with U+FFFD in place of the
//! bytes it cannot hold.

use super::Syntax;
use super::reserved::{Rule, rules};
use std::path::{Path, PathBuf};

pub struct Nu;

/// A NUON (and nushell) raw string: `r#'...'#` with one more `#` than the
/// longest run of `#` in the value, so that no `'#...` inside can end it.
pub fn raw_string(value: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(value);
    let mut longest = 0;
    let mut run = 0;
    for b in text.bytes() {
        run = if b == b'#' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let hashes = "#".repeat(longest + 1);
    format!("r{hashes}'{text}'{hashes}").into_bytes()
}

fn line(out: &mut Vec<u8>, op: &str, name: &str, value: &[u8]) {
    out.push(b'[');
    out.extend_from_slice(op.as_bytes());
    out.extend_from_slice(b", ");
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b", ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"]\n");
}

impl Syntax for Nu {
    fn name(&self) -> &'static str {
        "nu"
    }
    fn script(&self) -> &'static str {
        include_str!("../../shell/dsops.nu")
    }
    fn quote(&self, value: &[u8]) -> Vec<u8> {
        raw_string(value)
    }
    fn export(&self, out: &mut Vec<u8>, name: &str, quoted: &[u8]) {
        line(out, "set", name, quoted);
    }
    fn plain_export(&self, name: &str, quoted: &str) -> String {
        format!("  {name}: {quoted}\n")
    }
    fn plain_frame(&self) -> (&'static str, &'static str) {
        ("{\n", "}\n")
    }
    fn unset(&self, out: &mut Vec<u8>, name: &str) {
        line(out, "unset", name, b"null");
    }
    fn assign(&self, out: &mut Vec<u8>, name: &str, value: &[u8]) {
        line(out, "var", name.trim_start_matches("_dsops_"), value);
    }
    fn list(&self, items: &[&[u8]]) -> Vec<u8> {
        let quoted: Vec<Vec<u8>> = items.iter().map(|i| raw_string(i)).collect();
        [b"[".to_vec(), quoted.join(&b", "[..]), b"]".to_vec()].concat()
    }
    fn reserved(&self) -> &'static [Rule] {
        RESERVED
    }
    /// `config.nu` sources the saved hook by a path doctor cannot evaluate:
    /// the saved file itself (`$nu.data-dir/dsops.nu`, which says `dsops
    /// hook` in its first line) counts, and the autoload directories.
    fn rc_files(&self, _home: &Path, config_home: &Path) -> Vec<PathBuf> {
        let nu = config_home.join("nushell");
        let data = crate::paths::data_home().join("nushell");
        let mut v = vec![
            nu.join("config.nu"),
            nu.join("env.nu"),
            data.join("dsops.nu"),
        ];
        for dir in [nu.join("autoload"), data.join("vendor/autoload")] {
            if let Ok(d) = std::fs::read_dir(dir) {
                v.extend(d.flatten().map(|e| e.path()));
            }
        }
        v
    }
    fn install_hint(&self) -> &'static str {
        "source ($nu.data-dir | path join dsops.nu) in config.nu, after saving it once with mkdir $nu.data-dir; dsops hook nu | save -f ($nu.data-dir | path join dsops.nu)"
    }
    fn set_env_hint(&self, name: &str) -> String {
        format!("$env.DSOPS_ENV = '{name}'")
    }
}

/// nushell: the variables it sets, reads for itself or keeps as non-strings.
const RESERVED: &[Rule] = rules![
    "reserved: the nushell hook keeps its bookkeeping there" => ["_dsops"],
    "reserved by nushell: set by the shell" => [
        "PWD",
        "OLDPWD",
        "FILE_PWD",
        "CURRENT_FILE",
        "LAST_EXIT_CODE",
        "CMD_DURATION_MS",
        "SHLVL",
    ],
    "reserved by nushell: its configuration" => ["config", "ENV_CONVERSIONS", "NU_*", "DIRS_*"],
    "reserved by nushell: the prompt" => ["PROMPT_*", "TRANSIENT_PROMPT_*"],
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_strings_outlast_their_content() {
        assert_eq!(raw_string(b"a'b"), b"r#'a'b'#");
        assert_eq!(raw_string(b"x'#y"), b"r##'x'#y'##");
        assert_eq!(raw_string(b"'##"), b"r###''##'###");
        assert_eq!(raw_string(b""), b"r#''#");
    }
}
