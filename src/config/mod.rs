//! The dsops configuration: the user layer (`$XDG_CONFIG_HOME/dsops/config.yaml`,
//! always trusted) merged with the project layer (the nearest trusted
//! `.dsops.yaml`/`dsops.yaml`, or `--config`/`DSOPS_CONFIG`), project winning by
//! env name; a project may not redefine a user store.
//!
//! Loading validates everything (store types, required fields, variable names,
//! references between stores and envs, `credentials_from` cycles) and reports
//! the first problem with the file and the place (`secretStores.NAME.field`).
//! `${VAR}` in store fields is expanded only when a store is used, so a missing
//! variable names the store field that needs it. Nothing here does network I/O.
//!
//! By concern: `model.rs` (what a config is), `schema.rs` (what a store type
//! declares), `yaml.rs` (the one YAML reader, with limits), `parse.rs` (one
//! file to the model), `layers.rs` (files read once, merged and checked),
//! `expand.rs` (`${VAR}`), `discover.rs` and `trust.rs` (which project file,
//! and whether it may be used), `diff.rs` (what an edit changed, by risk).

pub mod diff;
pub mod discover;
pub mod expand;
mod layers;
mod model;
mod parse;
pub mod schema;
pub mod steering;
pub mod trust;
pub mod yaml;

pub use layers::{ConfigFile, MAX_CONFIG_BYTES, load, load_user, refuse_trust_section};
pub use model::{Config, EnvSet, Reference, Source, Store, TokenStorage, Tokens, Var};
pub use parse::{parse_str, valid_var_name};

#[cfg(test)]
mod tests;
