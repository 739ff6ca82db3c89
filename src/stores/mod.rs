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
use crate::error::{Error, Result};
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
            // Each key is its own process: run them side by side, so an env
            // set of several keys takes as long as the slowest, not the sum.
            let timeout = opts.timeout.min(store.timeout());
            std::thread::scope(|scope| {
                let runs: Vec<_> = refs
                    .iter()
                    .map(|r| (r, scope.spawn(move || exec::run(store, &r.key, timeout))))
                    .collect();
                for (r, run) in runs {
                    let value = run
                        .join()
                        .unwrap_or_else(|_| Err(Error::runtime("the exec store panicked")));
                    out.insert(r.clone(), value.map_err(FetchError::Failed));
                }
            });
            Ok((out, None))
        }
        StoreType::Sso => {
            let creds = crate::chain::store_credentials(aws, store, &opts.login)?;
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
