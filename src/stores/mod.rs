//! Secret stores: fetch a batch of references from one store.
//!
//! `aws.sso` gives role credential fields, `literal` its values, `exec` the
//! output of a command; the AWS API stores live in their own modules.

pub mod aws;
pub mod exec;
pub mod secretsmanager;
pub mod ssm;

use crate::awsconfig::AwsConfig;
use crate::config::{Config, Reference, Store, StoreType};
use crate::error::Result;
use crate::resolve::{FetchError, Fetched, Options};
use time::OffsetDateTime;

/// Fetch every reference of `refs` (all of one store). The second value is
/// the expiry of SSO role credentials used, when there are any.
pub fn fetch(
    cfg: &Config,
    aws: &AwsConfig,
    store: &Store,
    refs: &[Reference],
    opts: &Options,
) -> Result<(Fetched, Option<OffsetDateTime>)> {
    let mut out = Fetched::new();
    match store.kind {
        StoreType::Literal => {
            for r in refs {
                let v = store
                    .values
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
            Ok((out, None))
        }
        StoreType::Exec => {
            for r in refs {
                out.insert(
                    r.clone(),
                    exec::run(store, &r.key, opts.timeout.min(store.timeout()))
                        .map_err(FetchError::Failed),
                );
            }
            Ok((out, None))
        }
        StoreType::Sso => {
            let target = crate::sso::Target::from_store(aws, store)?;
            let creds = crate::sso::role_credentials(&target, &opts.login)?;
            for r in refs {
                let v = creds.key(&r.key).ok_or_else(|| {
                    FetchError::NotFound(format!("an aws.sso store has no key '{}'", r.key))
                });
                out.insert(r.clone(), v);
            }
            Ok((out, Some(creds.expiration)))
        }
        StoreType::SecretsManager | StoreType::Ssm => {
            let access = aws::access(cfg, aws, store, &opts.login)?;
            let fetched = if store.kind == StoreType::SecretsManager {
                secretsmanager::fetch(store, &access, refs, opts.timeout)?
            } else {
                ssm::fetch(store, &access, refs, opts.timeout)?
            };
            Ok((fetched, access.expires))
        }
    }
}
