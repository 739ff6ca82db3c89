//! Shell integration: quoting, the init scripts and the per-prompt state.

/// The shells dsops speaks, as `hook SHELL`, `--shell` and the completions
/// name them.
pub const NAMES: &[&str] = &["bash", "zsh", "fish"];

pub mod emit;
pub mod hookenv;
pub mod init;
pub mod load;
pub mod plan;
pub mod priors;
pub mod quote;
pub mod reserved;
pub mod stamp;
pub mod state;
