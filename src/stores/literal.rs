//! The `literal` store: values written in the config itself
//! (`values: {NAME: value}`), for settings that are not secret or for tests.

use super::{Batch, Cx, FetchError, Fetched, Kind, Status};
use crate::config::diff::Risk;
use crate::config::schema::{Field, Schema, Shape};
use crate::config::{Reference, Store};
use crate::error::Result;

pub struct Literal;

const FIELDS: &[Field] = &[Field::new("values", Shape::Map, Risk::Low)];

impl Schema for Literal {
    fn name(&self) -> &'static str {
        "literal"
    }
    fn fields(&self) -> &'static [Field] {
        FIELDS
    }
    fn check(&self, store: &Store) -> std::result::Result<(), (&'static str, String)> {
        if !store.maps().contains_key("values") {
            return Err(("", "a literal store needs values: {NAME: value}".into()));
        }
        Ok(())
    }
}

impl Kind for Literal {
    fn describe(&self) -> &'static str {
        "values written in the config (values: {NAME: value})"
    }

    fn fetch(&self, _cx: &Cx, store: &Store, refs: &[Reference]) -> Result<Batch> {
        let mut out = Fetched::new();
        for r in refs {
            let v = store
                .map("values")
                .iter()
                .find(|(k, _)| *k == r.key)
                .map(|(_, v)| v.clone());
            out.insert(
                r.clone(),
                v.ok_or_else(|| {
                    FetchError::NotFound(format!("no value '{}' in the literal store", r.key))
                }),
            );
        }
        Ok(Batch::of(out))
    }

    fn probe(&self, _cx: &Cx, store: &Store) -> Vec<(Status, String)> {
        vec![(
            Status::Ok,
            format!("{} value(s)", store.map("values").len()),
        )]
    }
}
