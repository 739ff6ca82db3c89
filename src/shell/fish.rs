//! fish: `dsops hook fish | source` in `~/.config/fish/config.fish`; the
//! hook runs on the `fish_prompt` event and on `PWD` changes.

use super::Syntax;
use super::reserved::{Rule, rules};
use crate::quote;
use std::path::{Path, PathBuf};

pub struct Fish;

impl Syntax for Fish {
    fn name(&self) -> &'static str {
        "fish"
    }
    fn script(&self) -> &'static str {
        include_str!("../../shell/dsops.fish")
    }
    fn quote(&self, value: &[u8]) -> Vec<u8> {
        quote::fish_bytes(value)
    }
    fn export(&self, out: &mut Vec<u8>, name: &str, quoted: &[u8]) {
        out.extend_from_slice(b"builtin set -gx ");
        out.extend_from_slice(name.as_bytes());
        out.push(b' ');
        out.extend_from_slice(quoted);
        out.push(b'\n');
    }
    fn plain_export(&self, name: &str, quoted: &str) -> String {
        format!("set -gx {name} {quoted}\n")
    }
    fn unset(&self, out: &mut Vec<u8>, name: &str) {
        out.extend_from_slice(b"builtin set -e -g ");
        out.extend_from_slice(name.as_bytes());
        out.push(b'\n');
    }
    fn assign(&self, out: &mut Vec<u8>, name: &str, value: &[u8]) {
        out.extend_from_slice(b"builtin set -g ");
        out.extend_from_slice(name.as_bytes());
        out.push(b' ');
        out.extend_from_slice(value);
        out.push(b'\n');
    }
    fn list(&self, items: &[&[u8]]) -> Vec<u8> {
        let quoted: Vec<Vec<u8>> = items.iter().map(|i| quote::fish_bytes(i)).collect();
        quoted.join(&b' ')
    }
    fn reserved(&self) -> &'static [Rule] {
        RESERVED
    }
    fn rc_files(&self, _home: &Path, config_home: &Path) -> Vec<PathBuf> {
        let fish = config_home.join("fish");
        let mut v = vec![fish.join("config.fish")];
        if let Ok(d) = std::fs::read_dir(fish.join("conf.d")) {
            v.extend(d.flatten().map(|e| e.path()));
        }
        v
    }
    fn install_hint(&self) -> &'static str {
        "dsops hook fish | source in ~/.config/fish/config.fish"
    }
    fn set_env_hint(&self, name: &str) -> String {
        format!("set -gx DSOPS_ENV {name}")
    }
}

/// fish: its read-only variables, the ones it sets, and its own settings.
const RESERVED: &[Rule] = rules![
    "reserved by fish: read-only" => [
        "status",
        "pipestatus",
        "status_generation",
        "history",
        "version",
        "FISH_VERSION",
        "hostname",
        "PWD",
        "SHLVL",
    ],
    "reserved by fish: set by the shell" => [
        "_",
        "CMD_DURATION",
        "argv",
        "umask",
        "OLDPWD",
        "EUID",
    ],
    "reserved by fish: its own variables" => ["fish_*", "__fish*"],
];
