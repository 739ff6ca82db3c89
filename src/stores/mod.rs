//! Secret stores: one file per store type, each implementing [`Kind`], and
//! the one registry list [`KINDS`] that everything asks: the config layer
//! (fields, checks, keys; through `config::schema`), the resolver (batch
//! fetch), the hook (what a store reads and signs in to), `dsops doctor`
//! (probes), the completions and the man page (names and descriptions).
//!
//! Adding a store type is one new file here plus one line in [`KINDS`]. No
//! code outside `src/stores/` matches on a store type.

pub mod aws;
pub mod batch;
pub mod exec;
pub mod file;
pub mod json;
pub mod literal;
pub mod secretsmanager;
pub mod ssm;
pub mod sso;

use crate::awsconfig::AwsConfig;
use crate::config::schema::Schema;
use crate::config::{Config, Reference, Store};
use crate::error::{Error, Result};
use crate::sso::LoginPolicy;
use std::collections::BTreeMap;
use std::time::Duration;
use time::OffsetDateTime;

/// Every store type, in the order documentation lists them.
pub static KINDS: &[&dyn Kind] = &[
    &sso::Sso,
    &secretsmanager::KIND,
    &ssm::KIND,
    &literal::Literal,
    &exec::Exec,
    &file::File,
];

/// Hand the store types to the config layer (before any config is read).
pub fn install() {
    crate::config::schema::install(KINDS.iter().map(|k| *k as &dyn Schema).collect());
}

/// The store type of `store` (stores are only ever made from a registered
/// type, so there is one).
pub fn kind_of(store: &Store) -> &'static dyn Kind {
    let name = store.kind.name();
    KINDS
        .iter()
        .copied()
        .find(|k| k.name() == name)
        // A `Store` is only made by the config parser from `schema::find`,
        // which holds exactly the KINDS.
        .expect("every store's type is registered")
}

/// What a fetch may do and for how long.
pub struct Options {
    pub login: LoginPolicy,
    /// Bound for the whole resolution (exec stores, network calls).
    pub timeout: Duration,
}

/// What a store type's code gets to work with.
pub struct Cx<'a> {
    pub cfg: &'a Config,
    pub aws: &'a AwsConfig,
    pub opts: &'a Options,
}

/// Why one reference has no value.
#[derive(Debug)]
pub enum FetchError {
    /// The key does not exist in the store (an `optional` variable is skipped).
    NotFound(String),
    Failed(Error),
}

impl FetchError {
    /// A copy, for every reference that shares one request.
    pub fn duplicate(&self) -> FetchError {
        match self {
            FetchError::NotFound(m) => FetchError::NotFound(m.clone()),
            FetchError::Failed(e) => FetchError::Failed(e.clone()),
        }
    }
}

pub type Fetched = BTreeMap<Reference, std::result::Result<String, FetchError>>;

/// What a batch fetch gives: a value (or why not) per reference, and the
/// expiry of credentials it used, if any (the hook reloads before it).
pub struct Batch {
    pub values: Fetched,
    pub expires: Option<OffsetDateTime>,
}

impl Batch {
    pub fn of(values: Fetched) -> Batch {
        Batch {
            values,
            expires: None,
        }
    }
}

/// One line of `dsops doctor` about a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    Warn,
    Fail,
}

/// A store type: its schema (`config::schema::Schema`: fields, checks,
/// keys) and what it does.
pub trait Kind: Schema {
    /// One line for the man page and completions.
    fn describe(&self) -> &'static str;

    /// Fetch every reference of `refs` (all of one store). Concurrently
    /// where the store can: an env set of many keys takes about as long as
    /// the slowest.
    fn fetch(&self, cx: &Cx, store: &Store, refs: &[Reference]) -> Result<Batch>;

    /// `dsops doctor`'s lines about this store (a probe may sign in where
    /// the policy allows).
    fn probe(&self, cx: &Cx, store: &Store) -> Vec<(Status, String)>;

    /// Does it read the AWS config (so the hook watches that file)?
    fn reads_aws_config(&self) -> bool {
        false
    }

    /// The Identity Center sign-in this store itself needs, if any (the hook
    /// names it when a sign-in is required; `login` and `logout` use it).
    fn sign_in(&self, _aws: &AwsConfig, _store: &Store) -> Option<Result<crate::sso::Target>> {
        None
    }
}

/// Fetch `refs` from `store` with its type's code.
pub fn fetch(cx: &Cx, store: &Store, refs: &[Reference]) -> Result<Batch> {
    kind_of(store).fetch(cx, store, refs)
}

/// The store whose sign-in the value of `store` depends on: itself, or the
/// store it takes its credentials from.
pub fn sign_in_root<'a>(cfg: &'a Config, store: &'a Store) -> Option<&'a Store> {
    if store.kind.gives_credentials() {
        return Some(store);
    }
    let from = store.raw("credentials_from")?;
    cfg.stores.get(from).filter(|f| f.kind.gives_credentials())
}

/// Does any store of `cfg` read the AWS config?
pub fn read_aws_config(cfg: &Config) -> bool {
    cfg.stores.values().any(|s| kind_of(s).reads_aws_config())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_names_are_unique_and_every_field_declared_once() {
        for (i, a) in KINDS.iter().enumerate() {
            assert!(KINDS[i + 1..].iter().all(|b| b.name() != a.name()));
            let fields = a.fields();
            for (j, f) in fields.iter().enumerate() {
                assert!(
                    fields[j + 1..].iter().all(|g| g.name != f.name),
                    "{}: {} twice",
                    a.name(),
                    f.name
                );
                assert_ne!(f.name, "type", "{}: 'type' is not a field", a.name());
            }
            assert!(!a.describe().is_empty());
        }
    }
}
