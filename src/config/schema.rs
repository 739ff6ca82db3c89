//! What the config layer knows of a store type: the fields its body takes
//! and their shapes, the checks on a whole store, the keys it offers, and
//! what a change to each field means for trust (`diff.rs`).
//!
//! The store types themselves live in `src/stores/`, one file each, and
//! implement [`Schema`] as part of their `Kind`; `stores::install` hands the
//! list to this module once per run (before any config is read), so the
//! config layer reads any store type without importing `stores` (which
//! imports the config's model).

use super::Store;
use super::diff::Risk;
use std::sync::OnceLock;

/// How a field is written in a store's body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A scalar, taken as written; `${VAR}` is expanded when the store is used.
    Text,
    /// Twelve digits, as written (a leading zero kept), or a `${VAR}`.
    AccountId,
    /// `true` or `false`, unquoted.
    Bool,
    /// A number of seconds, more than 0 and less than a day.
    Seconds,
    /// A non-empty list of scalars (`command: [program, args...]`).
    List,
    /// A mapping of names to scalars (`values: {NAME: value}`).
    Map,
}

/// One field of a store type.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub shape: Shape,
    /// What changing it means (see `diff.rs`).
    pub risk: Risk,
    /// Its value is a secret: never shown in a diff or message.
    pub secret: bool,
}

impl Field {
    pub const fn new(name: &'static str, shape: Shape, risk: Risk) -> Field {
        Field {
            name,
            shape,
            risk,
            secret: false,
        }
    }

    pub const fn secret(name: &'static str, risk: Risk) -> Field {
        Field {
            name,
            shape: Shape::Text,
            risk,
            secret: true,
        }
    }
}

/// A store type as the config layer sees it.
pub trait Schema: Sync {
    /// Its `type:` in the config.
    fn name(&self) -> &'static str;
    /// The fields its body takes, besides `type`.
    fn fields(&self) -> &'static [Field];
    /// Checks on the whole store once its fields are read: the field (or
    /// `""` for the store) and the problem.
    fn check(&self, _store: &Store) -> Result<(), (&'static str, String)> {
        Ok(())
    }
    /// The keys it offers, when they are fixed (an env set's reference to
    /// another key is an error at load time).
    fn keys(&self) -> Option<&'static [&'static str]> {
        None
    }
    /// Can other stores take their credentials from it (`credentials_from`)?
    fn gives_credentials(&self) -> bool {
        false
    }
    /// Does `store` run its key as code (an exec store whose command is an
    /// interpreter's `-c`)? Then a change of a key is high (`diff.rs`).
    fn key_is_code(&self, _store: &Store) -> bool {
        false
    }

    fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields().iter().find(|f| f.name == name)
    }
}

impl std::fmt::Debug for dyn Schema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl PartialEq for dyn Schema {
    fn eq(&self, other: &Self) -> bool {
        self.name() == other.name()
    }
}

static SCHEMAS: OnceLock<Vec<&'static dyn Schema>> = OnceLock::new();

/// Hand over the store types (once per run; later calls are ignored).
pub fn install(schemas: Vec<&'static dyn Schema>) {
    let _ = SCHEMAS.set(schemas);
}

/// Every store type (empty before `install`).
pub fn all() -> &'static [&'static dyn Schema] {
    // Unit tests parse configs without a command's start-up.
    #[cfg(test)]
    crate::stores::install();
    SCHEMAS.get().map(Vec::as_slice).unwrap_or(&[])
}

/// The store type named `name`.
pub fn find(name: &str) -> Option<&'static dyn Schema> {
    all().iter().copied().find(|s| s.name() == name)
}

/// `aws.sso, aws.secretsmanager, ...` for messages.
pub fn names() -> String {
    all()
        .iter()
        .map(|s| s.name())
        .collect::<Vec<_>>()
        .join(", ")
}
