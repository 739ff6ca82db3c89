//! bash: `eval "$(dsops hook bash)"` in `~/.bashrc`; the hook runs from
//! `PROMPT_COMMAND` (string and array forms).

use super::Syntax;
use super::reserved::{Rule, rules};
use std::path::{Path, PathBuf};

pub struct Bash;

impl Syntax for Bash {
    fn name(&self) -> &'static str {
        "bash"
    }
    fn script(&self) -> &'static str {
        include_str!("../../shell/dsops.bash")
    }
    fn reserved(&self) -> &'static [Rule] {
        RESERVED
    }
    fn rc_files(&self, home: &Path, _config_home: &Path) -> Vec<PathBuf> {
        vec![
            home.join(".bashrc"),
            home.join(".bash_profile"),
            home.join(".profile"),
        ]
    }
    fn install_hint(&self) -> &'static str {
        "eval \"$(dsops hook bash)\" in ~/.bashrc"
    }
    fn set_env_hint(&self, name: &str) -> String {
        format!("export DSOPS_ENV={name}")
    }
}

/// bash: its read-only and special parameters, the prompt and the hook.
const RESERVED: &[Rule] = rules![
    "reserved: the bash hook runs from it" => ["PROMPT_COMMAND"],
    "reserved by bash: the prompt" => ["PS0", "PS1", "PS2", "PS3", "PS4", "PROMPT_DIRTRIM"],
    "reserved by bash: read-only or set by the shell" => [
        "BASH*",
        "EUID",
        "UID",
        "PPID",
        "GROUPS",
        "FUNCNAME",
        "LINENO",
        "RANDOM",
        "SRANDOM",
        "SECONDS",
        "HISTCMD",
        "EPOCHSECONDS",
        "EPOCHREALTIME",
        "PIPESTATUS",
        "DIRSTACK",
        "COMP_*",
        "COMPREPLY",
        "OPTIND",
        "OPTARG",
        "OPTERR",
        "REPLY",
        "MAPFILE",
        "READLINE_*",
        "PWD",
        "OLDPWD",
        "SHLVL",
        "_",
    ],
    "reserved by bash: it changes how the shell works" => [
        "POSIXLY_CORRECT",
        "TMOUT",
        "HISTFILE",
        "HISTFILESIZE",
        "HISTSIZE",
        "HISTCONTROL",
        "HISTIGNORE",
        "HISTTIMEFORMAT",
        "GLOBIGNORE",
        "GLOBSORT",
        "EXECIGNORE",
        "FUNCNEST",
        "CHILD_MAX",
        "INPUTRC",
    ],
];
