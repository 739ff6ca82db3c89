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
//! Each shell's list is one function named for the shell ([`bash`], [`zsh`],
//! [`fish`]); [`every_shell`] holds the names refused whatever the shell. The
//! integration tests ask each installed shell for its read-only variables and
//! check that every one is here.

use super::emit::Shell;

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

macro_rules! rules {
    ($($why:expr => [$($p:literal),* $(,)?]),* $(,)?) => {
        &[$($(Rule { pattern: $p, why: $why },)*)*]
    };
}

const DSOPS_TRUST: &str = "reserved: dsops reads its trust records and state from there";

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

/// bash: its read-only and special parameters, the prompt and the hook.
pub fn bash() -> &'static [Rule] {
    rules![
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
    ]
}

/// zsh: its read-only and special parameters (those of the modules shipped
/// with it too), tied arrays, the prompt and the hook function lists.
pub fn zsh() -> &'static [Rule] {
    rules![
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
    ]
}

/// fish: its read-only variables, the ones it sets, and its own settings.
pub fn fish() -> &'static [Rule] {
    rules![
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
    ]
}

pub fn rules(shell: Shell) -> &'static [Rule] {
    match shell {
        Shell::Bash => bash(),
        Shell::Zsh => zsh(),
        Shell::Fish => fish(),
    }
}

/// Why `shell` (or dsops) cannot take `name`, if it cannot.
pub fn refused(shell: Shell, name: &str) -> Option<&'static str> {
    rules(shell)
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
            refused(Shell::Zsh, "LINENO"),
            Some("reserved by zsh: read-only")
        );
        assert_eq!(
            refused(Shell::Bash, "PROMPT_COMMAND"),
            Some("reserved: the bash hook runs from it")
        );
        assert_eq!(refused(Shell::Fish, "LINENO"), None);
        assert!(refused(Shell::Fish, "fish_pid").is_some());
        assert!(refused(Shell::Bash, "BASH_ENV").is_some());
        for sh in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            for n in [
                "DSOPS_STATE",
                "DSOPS_ENV",
                "_dsops_sig",
                "HOME",
                "XDG_DATA_HOME",
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
