//! Shell integration: quoting, the init scripts and the per-prompt state.

pub mod quote;
