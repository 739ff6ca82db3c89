//! Every account and role an Identity Center session can reach: ListAccounts
//! (all pages), then ListAccountRoles for each account (all pages),
//! concurrently with a bound, on one current-thread runtime (the transport
//! runs each request on tokio's blocking pool).
//!
//! On a terminal, progress goes to stderr (`accounts done of total`); nothing
//! when stderr is not a terminal. Errors name the operation and the account,
//! never the token.

use super::{LoginPolicy, access_token, client::portal_endpoint};
use crate::awsconfig::SsoSession;
use crate::error::{Error, Result};
use crate::http::describe;
use std::sync::Arc;

/// Accounts whose roles are asked for at once.
const CONCURRENCY: usize = 32;

/// One account and role.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Assignment {
    pub account_name: String,
    pub account_id: String,
    pub role_name: String,
    pub email: String,
}

/// Requests made, for `--debug` and the benchmark.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    pub requests: usize,
}

struct Account {
    id: String,
    name: String,
    email: String,
}

/// Every account and role of `session`, sorted by account name, account id
/// and role. Signs in (per `policy`) when needed.
pub fn assignments(
    session: &SsoSession,
    policy: &LoginPolicy,
    hint: &str,
) -> Result<(Vec<Assignment>, Stats)> {
    let mut token = access_token(session, policy, hint, None)?;
    let conf = crate::sdk_config!(aws_sdk_sso, session.region, "SSO").build();
    let client = aws_sdk_sso::Client::from_conf(conf);
    let endpoint = portal_endpoint(&session.region);
    let rt = crate::http::runtime()?;
    let mut stats = Stats::default();
    let accounts = match rt.block_on(list_accounts(&client, &token, &endpoint, &mut stats)) {
        Err(AccountsError::Unauthorized) => {
            // A token the cache thought valid was refused: get a new one once.
            token = access_token(session, policy, hint, Some(&token))?;
            rt.block_on(list_accounts(&client, &token, &endpoint, &mut stats))
        }
        other => other,
    }
    .map_err(|e| match e {
        AccountsError::Unauthorized => {
            Error::runtime("ListAccounts: the SSO token was refused".to_string())
        }
        AccountsError::Other(e) => e,
    })?;
    let total = accounts.len();
    let progress = Progress::new(total);
    let token = Arc::new(token);
    let (out, requests) = rt.block_on(async {
        let sem = Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));
        let mut set = tokio::task::JoinSet::new();
        for a in accounts {
            let (sem, client, token, endpoint) =
                (sem.clone(), client.clone(), token.clone(), endpoint.clone());
            set.spawn(async move {
                let _permit = sem.acquire_owned().await;
                let roles = account_roles(&client, &token, &a.id, &endpoint).await;
                (a, roles)
            });
        }
        let mut out: Vec<Assignment> = vec![];
        let mut requests = 0;
        let mut failed: Option<Error> = None;
        let mut done = 0;
        while let Some(joined) = set.join_next().await {
            done += 1;
            progress.show(done);
            match joined {
                Ok((a, Ok((roles, n)))) => {
                    requests += n;
                    out.extend(roles.into_iter().map(|role_name| Assignment {
                        account_name: a.name.clone(),
                        account_id: a.id.clone(),
                        role_name,
                        email: a.email.clone(),
                    }));
                }
                Ok((_, Err(e))) => {
                    failed.get_or_insert(e);
                }
                Err(_) => {
                    failed.get_or_insert(Error::runtime("a ListAccountRoles task failed"));
                }
            }
        }
        progress.clear();
        match failed {
            Some(e) => Err(e),
            None => Ok((out, requests)),
        }
    })?;
    rt.shutdown_background();
    stats.requests += requests;
    let mut out = out;
    out.sort();
    out.dedup();
    Ok((out, stats))
}

enum AccountsError {
    Unauthorized,
    Other(Error),
}

async fn list_accounts(
    client: &aws_sdk_sso::Client,
    token: &str,
    endpoint: &str,
    stats: &mut Stats,
) -> std::result::Result<Vec<Account>, AccountsError> {
    use aws_sdk_sso::operation::list_accounts::ListAccountsError as E;
    let mut out = vec![];
    let mut next: Option<String> = None;
    loop {
        stats.requests += 1;
        let page = client
            .list_accounts()
            .access_token(token)
            .max_results(100)
            .set_next_token(next.take())
            .send()
            .await;
        let page = match page {
            Ok(p) => p,
            Err(e) => {
                let text = describe(&e, endpoint);
                return Err(match e.into_service_error() {
                    E::UnauthorizedException(_) if out.is_empty() => AccountsError::Unauthorized,
                    _ => {
                        AccountsError::Other(Error::runtime(format!("ListAccounts failed: {text}")))
                    }
                });
            }
        };
        for a in page.account_list() {
            let Some(id) = a.account_id().filter(|s| !s.is_empty()) else {
                continue;
            };
            out.push(Account {
                id: clean(id),
                name: clean(a.account_name().unwrap_or_default()),
                email: clean(a.email_address().unwrap_or_default()),
            });
        }
        match page.next_token().filter(|t| !t.is_empty()) {
            Some(t) if out.len() < MAX_ITEMS => next = Some(t.to_string()),
            _ => return Ok(out),
        }
    }
}

/// A bound on what a (broken) server can make dsops collect.
const MAX_ITEMS: usize = 1_000_000;

async fn account_roles(
    client: &aws_sdk_sso::Client,
    token: &str,
    account: &str,
    endpoint: &str,
) -> Result<(Vec<String>, usize)> {
    let mut out = vec![];
    let mut next: Option<String> = None;
    let mut requests = 0;
    loop {
        requests += 1;
        let page = client
            .list_account_roles()
            .access_token(token)
            .account_id(account)
            .max_results(100)
            .set_next_token(next.take())
            .send()
            .await
            .map_err(|e| {
                Error::runtime(format!(
                    "ListAccountRoles for account {account} failed: {}",
                    describe(&e, endpoint)
                ))
            })?;
        out.extend(
            page.role_list()
                .iter()
                .filter_map(|r| r.role_name())
                .filter(|r| !r.is_empty())
                .map(clean),
        );
        match page.next_token().filter(|t| !t.is_empty()) {
            Some(t) if out.len() < MAX_ITEMS => next = Some(t.to_string()),
            _ => return Ok((out, requests)),
        }
    }
}

/// Names from the service, without control characters (they go to a
/// terminal and into the AWS config).
fn clean(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).take(256).collect()
}

/// `accounts done of total` on stderr, on a terminal only.
struct Progress {
    total: usize,
    on: bool,
}

impl Progress {
    fn new(total: usize) -> Progress {
        use std::io::IsTerminal;
        Progress {
            total,
            on: std::io::stderr().is_terminal() && total > 0,
        }
    }
    fn show(&self, done: usize) {
        if self.on {
            eprint!("\rdsops: {done} of {} accounts", self.total);
        }
    }
    fn clear(&self) {
        if self.on {
            eprint!("\r\x1b[K");
        }
    }
}
