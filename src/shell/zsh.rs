//! zsh: `eval "$(dsops hook zsh)"` in `~/.zshrc`; the hook runs from
//! `precmd_functions` and `chpwd_functions`.

use super::Syntax;
use super::reserved::{Rule, rules};
use std::path::{Path, PathBuf};

pub struct Zsh;

impl Syntax for Zsh {
    fn name(&self) -> &'static str {
        "zsh"
    }
    fn script(&self) -> &'static str {
        include_str!("../../shell/dsops.zsh")
    }
    fn reserved(&self) -> &'static [Rule] {
        RESERVED
    }
    fn rc_files(&self, home: &Path, _config_home: &Path) -> Vec<PathBuf> {
        let zdot = crate::paths::zdotdir().unwrap_or_else(|| home.to_path_buf());
        vec![zdot.join(".zshrc")]
    }
    fn install_hint(&self) -> &'static str {
        "eval \"$(dsops hook zsh)\" in ~/.zshrc"
    }
    fn set_env_hint(&self, name: &str) -> String {
        format!("export DSOPS_ENV={name}")
    }
}

/// zsh: its read-only and special parameters (those of the modules shipped
/// with it too), tied arrays, the prompt and the hook function lists.
const RESERVED: &[Rule] = rules![
    "reserved: the zsh hook runs from it" => ["precmd_functions", "chpwd_functions"],
    "reserved by zsh: a hook function list" => [
        "preexec_functions",
        "periodic_functions",
        "zshaddhistory_functions",
        "zshexit_functions",
    ],
    "reserved by zsh: the prompt" => [
        "PROMPT",
        "PROMPT2",
        "PROMPT3",
        "PROMPT4",
        "prompt",
        "PS1",
        "PS2",
        "PS3",
        "PS4",
        "RPROMPT",
        "RPROMPT2",
        "RPS1",
        "RPS2",
        "SPROMPT",
    ],
    "reserved by zsh: read-only" => [
        "LINENO",
        "EPOCHSECONDS",
        "EPOCHREALTIME",
        "epochtime",
        "HISTCMD",
        "TTYIDLE",
        "PPID",
        "ARGC",
        "status",
        "ZSH_*",
        "zsh_*",
        "builtins",
        "dis_*",
        "errnos",
        "sysparams",
        "funcfiletrace",
        "funcsourcetrace",
        "funcstack",
        "functions_source",
        "functrace",
        "history",
        "historywords",
        "jobdirs",
        "jobstates",
        "jobtexts",
        "keymaps",
        "widgets",
        "modules",
        "parameters",
        "patchars",
        "reswords",
        "termcap",
        "terminfo",
        "userdirs",
        "usergroups",
        "langinfo",
        "ZCURSES_*",
        "zcurses_*",
        "ZFTP_*",
        "zgdbm_tied",
    ],
    "reserved by zsh: an array tied to a variable" => [
        "path",
        "fpath",
        "cdpath",
        "manpath",
        "mailpath",
        "module_path",
        "MODULE_PATH",
        "psvar",
        "PSVAR",
        "fignore",
    ],
    "reserved by zsh: special to the shell" => [
        "RANDOM",
        "SECONDS",
        "ERRNO",
        "UID",
        "EUID",
        "GID",
        "EGID",
        "USERNAME",
        "argv",
        "pipestatus",
        "aliases",
        "galiases",
        "saliases",
        "commands",
        "functions",
        "options",
        "nameddirs",
        "dirstack",
        "mapfile",
        "watch",
        "WATCH",
        "OPTIND",
        "OPTARG",
        "NULLCMD",
        "READNULLCMD",
        "KEYBOARD_HACK",
        "TRY_BLOCK_ERROR",
        "TRY_BLOCK_INTERRUPT",
        "FUNCNEST",
        "TMOUT",
        "HISTFILE",
        "HISTSIZE",
        "SAVEHIST",
        "HISTORY_IGNORE",
        "HISTCHARS",
        "histchars",
        "PWD",
        "OLDPWD",
        "SHLVL",
        "_",
    ],
];
