//! Running many AWS requests of one store at once, on one current-thread
//! runtime, with a bound on how many are in flight and on the whole batch.

use super::FetchError;
use crate::error::{Error, Result};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// How many requests one store has in flight at once. Secrets Manager
/// allows thousands of GetSecretValue calls per second; the bound only keeps
/// a huge env set from opening hundreds of connections.
const CONCURRENCY: usize = 64;

/// Run `futs` concurrently on one current-thread runtime (the transport runs
/// each request on tokio's blocking pool, so they really run in parallel),
/// at most `CONCURRENCY` at a time, in their order. `None` when the whole
/// batch took longer than `bound`; a slot is `None` if its task panicked.
pub fn run_concurrently<F, T>(futs: Vec<F>, bound: Duration) -> Result<Option<Vec<Option<T>>>>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let rt = crate::http::runtime()?;
    let n = futs.len();
    let out = rt.block_on(async move {
        let sem = Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));
        let mut set = tokio::task::JoinSet::new();
        for (i, f) in futs.into_iter().enumerate() {
            let sem = sem.clone();
            set.spawn(async move {
                let _permit = sem.acquire_owned().await;
                (i, f.await)
            });
        }
        let collect = async {
            let mut slots: Vec<Option<T>> = (0..n).map(|_| None).collect();
            while let Some(joined) = set.join_next().await {
                if let Ok((i, v)) = joined {
                    slots[i] = Some(v);
                }
            }
            slots
        };
        tokio::time::timeout(bound, collect).await.ok()
    });
    // Requests still running on the blocking pool end with their own
    // timeout; do not wait for them.
    rt.shutdown_background();
    Ok(out)
}

/// The error for every reference of a batch that did not finish in time.
pub fn gave_up(bound: Duration) -> FetchError {
    FetchError::Failed(Error::runtime(format!(
        "gave up after {}s without an answer",
        bound.as_secs_f64()
    )))
}
