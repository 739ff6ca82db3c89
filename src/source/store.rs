//! Which account, role and Identity Center session an `aws.sso` store
//! names: its own fields, a `profile:` of the AWS config, an
//! `sso_session:`, a bare start URL, or the AWS config's only
//! `[sso-session]`.

use crate::awsconfig::{AwsConfig, SsoSession};
use crate::config::Store;
use crate::error::{Error, Result};
use crate::sso::Target;

/// The account and role an `aws.sso` store names, and its session.
pub fn store_target(aws: &AwsConfig, store: &Store) -> Result<Target> {
    if !store.kind.gives_credentials() {
        return Err(Error::config(format!(
            "{}: secretStores.{}: is a {} store, not aws.sso",
            store.origin.display(),
            store.name,
            store.kind.name()
        )));
    }
    let session = session_of_store(aws, store)?;
    let hint = crate::settings::dsops_command(&["login", "--store", &store.name]);
    let (mut account, mut role, mut region) = (
        store.get("account_id")?,
        store.get("role_name")?,
        store.get("region")?,
    );
    if let Some(profile) = store.get("profile")? {
        let p = aws
            .sso_profile(&profile)
            .map_err(|e| e.context(format!("secretStores.{}.profile", store.name)))?;
        account = account.or(Some(p.account_id));
        role = role.or(Some(p.role_name));
        region = region.or(p.region);
    }
    let need = |v: Option<String>, f: &str| v.ok_or_else(|| store.error(f, "missing"));
    Ok(Target {
        session,
        account_id: need(account, "account_id")?,
        role_name: need(role, "role_name")?,
        region,
        login_hint: hint,
        device_code: store.get("use_device_code")?.is_some_and(|v| v == "true"),
    })
}

/// The Identity Center session of an `aws.sso` store: `profile:`, then
/// `sso_session:`, then a bare `sso_start_url`, then the AWS config's only
/// `[sso-session]`.
fn session_of_store(aws: &AwsConfig, store: &Store) -> Result<SsoSession> {
    let scopes = store.get("sso_registration_scopes")?.map(|s| {
        s.split(',')
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect::<Vec<_>>()
    });
    let with_scopes = |mut s: SsoSession| {
        if let Some(sc) = &scopes {
            s.scopes = sc.clone();
        }
        s
    };
    if let Some(profile) = store.get("profile")? {
        let p = aws
            .sso_profile(&profile)
            .map_err(|e| e.context(format!("secretStores.{}.profile", store.name)))?;
        return Ok(with_scopes(p.session));
    }
    let start_url = store.get("sso_start_url")?;
    let sso_region = store.get("sso_region")?;
    if let Some(name) = store.get("sso_session")? {
        if aws.sso_session_section(&name)?.is_some() && start_url.is_none() {
            return aws.sso_session(&name).map(with_scopes);
        }
        let start_url = start_url.ok_or_else(|| {
            store.error(
                "sso_session",
                &format!(
                    "no [sso-session {name}] in {} and no sso_start_url in the store",
                    aws.path().display()
                ),
            )
        })?;
        let region = sso_region
            .or(store.get("region")?)
            .ok_or_else(|| store.error("sso_region", "missing"))?;
        return Ok(with_scopes(SsoSession {
            name: Some(name),
            start_url,
            region,
            scopes: vec![],
        }));
    }
    if let Some(start_url) = start_url {
        let region = match sso_region.or(store.get("region")?) {
            Some(r) => r,
            // The AWS config's session for the same start URL knows the region.
            None => aws
                .sso_session_names()
                .iter()
                .filter_map(|n| aws.sso_session(n).ok())
                .find(|s| s.start_url == start_url)
                .map(|s| s.region)
                .ok_or_else(|| {
                    store.error(
                        "sso_region",
                        "missing (the region of the Identity Center instance, e.g. us-east-1)",
                    )
                })?,
        };
        return Ok(with_scopes(SsoSession {
            name: None,
            start_url,
            region,
            scopes: vec![],
        }));
    }
    match aws.only_sso_session() {
        Some(s) => s.map(with_scopes),
        None => Err(store.error(
            "sso_start_url",
            &format!(
                "missing: set sso_start_url (and sso_region), sso_session or profile; the AWS config {} has {} [sso-session] sections, so none can be assumed",
                aws.path().display(),
                aws.sso_session_names().len()
            ),
        )),
    }
}
