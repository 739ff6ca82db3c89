//! `dsops hook SHELL`: the init code, from the real script files under
//! `shell/` (embedded at build time), with the path of this binary filled in
//! by plain string replacement, quoted for the shell. The path is absolute so
//! the hook keeps working whatever PATH the user sets later.

use super::emit::Shell;
use super::quote;
use crate::error::{Error, Result};

const BASH: &str = include_str!("../../shell/dsops.bash");
const ZSH: &str = include_str!("../../shell/dsops.zsh");
const FISH: &str = include_str!("../../shell/dsops.fish");

/// The placeholder in the scripts for the quoted path of dsops.
const BIN: &str = "__DSOPS_BIN__";

pub fn render(shell: Shell) -> Result<String> {
    let exe = std::env::current_exe()
        .map_err(|e| Error::runtime(format!("cannot find the path of dsops itself: {e}")))?;
    let exe = exe.to_str().ok_or_else(|| {
        Error::runtime(format!(
            "the path of dsops is not valid UTF-8: {}",
            exe.display()
        ))
    })?;
    Ok(render_with(shell, exe))
}

pub fn render_with(shell: Shell, exe: &str) -> String {
    let (template, bin) = match shell {
        Shell::Bash => (BASH, quote::posix(exe)),
        Shell::Zsh => (ZSH, quote::posix(exe)),
        Shell::Fish => (FISH, quote::fish(exe)),
    };
    template.replace(BIN, &bin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholder_filled_once_and_quoted() {
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            let s = render_with(shell, "/opt/my tools/it's/dsops");
            assert!(!s.contains(BIN));
            assert_eq!(s.matches("my tools").count(), 1, "{shell:?}");
        }
    }
}
