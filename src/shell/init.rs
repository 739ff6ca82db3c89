//! `dsops hook SHELL`: the init code, from the real script files under
//! `shell/` (embedded at build time), with the path of this binary filled in
//! by plain string replacement, quoted for the shell. The path is absolute so
//! the hook keeps working whatever PATH the user sets later.

use super::Shell;
use crate::error::{Error, Result};

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
    let bin = String::from_utf8_lossy(&shell.quote(exe.as_bytes())).into_owned();
    shell.script().replace(BIN, &bin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholder_filled_once_and_quoted() {
        for &shell in crate::shell::SHELLS {
            let s = render_with(shell, "/opt/my tools/it's/dsops");
            assert!(!s.contains(BIN));
            assert_eq!(s.matches("my tools").count(), 1, "{shell:?}");
        }
    }
}
