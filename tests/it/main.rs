//! The integration tests: one binary, a module per area. Every test runs the
//! real `dsops` binary in a sandbox of its own (HOME, XDG directories,
//! AWS_CONFIG_FILE), so nothing touches the developer's real `~/.aws` or
//! `~/.config`.
//!
//! They drive the binary with Unix tools (shells, signals, modes), so they
//! are built on Unix only; the Windows build is tested from here, under
//! Wine (`windows.rs`).
#![cfg(unix)]

mod support;

mod architecture;
mod chain;
mod cli;
mod compat;
mod console;
mod creds;
mod dirs_and_caches;
mod eks;
mod endpoint;
mod exec_signals;
mod file_store;
mod first_hour;
mod generate;
mod hardening;
mod hook;
mod hook_messages;
mod hook_nu_elvish;
mod hot_text;
mod keyring;
mod keyring_clients;
mod keyring_connection;
mod licenses;
mod listeners;
mod min_validity;
mod pkce;
mod populate;
mod populate_race;
mod redirect;
mod review;
mod seeds;
mod signin_state;
mod source;
mod stores;
mod trust;
mod use_nu_elvish;
mod use_switch;
mod windows;
mod yaml;
