//! Role chaining: a profile with `role_arn` and `source_profile` (a chain of
//! any length ending in an SSO profile or a profile with static keys), and an
//! `aws.sso` store with `role_arn`, assumed after its SSO role.
//!
//! Resolution follows botocore's `AssumeRoleProvider`: a profile's keys are
//! those of the config's `[profile NAME]` with the shared credentials file's
//! `[NAME]` over them; a source profile with static keys gives those keys
//! (even when it also has `role_arn`; a profile may name itself as its source
//! to use its own keys); one with `role_arn` is assumed in turn; one with SSO
//! settings gives its role credentials. A source profile already visited is
//! a loop, reported with the chain.
//!
//! Every hop is cached under botocore's key (`sts.rs`), so the AWS CLI and
//! dsops share each other's entries. A cached `creds --profile P` reads only
//! P's section: the top hop's cache entry is looked up before the rest of the
//! chain (or the credentials file) is read.
//!
//! Not supported, said clearly: `mfa_serial` (dsops never prompts for a code;
//! an entry the AWS CLI cached after its prompt is reused while fresh),
//! `credential_source`, and `credential_process` or web identity profiles as
//! sources.
//!
//! Longer than most files here: the walk over source profiles, botocore's
//! resolution rules and the per-hop cache are one algorithm, best read in
//! one place.

use crate::awsconfig::{AwsConfig, IniFile, Section, profile_place, sso_key};
use crate::config::Store;
use crate::error::{Error, Result};
use crate::rolecreds::RoleCredentials;
use crate::sso::{self, LoginPolicy, Target};
use crate::sts::{self, AssumeArgs, SourceCredentials};
use std::sync::{Arc, OnceLock};

/// One AssumeRole of a chain.
#[derive(Clone)]
struct Hop {
    /// For messages: `[profile NAME]` or `secretStores.NAME`.
    place: String,
    args: AssumeArgs,
}

/// Where a chain starts.
#[derive(Clone)]
enum Base {
    Static(SourceCredentials),
    Sso(Target),
}

/// The AssumeRole arguments of a profile's keys (`None` without
/// `role_arn`). `place` names the profile for messages.
pub fn profile_args(aws: &AwsConfig, place: &str, keys: &Section) -> Result<Option<AssumeArgs>> {
    let get = |k: &str| keys.get(k).filter(|v| !v.is_empty()).cloned();
    let Some(role_arn) = get("role_arn") else {
        return Ok(None);
    };
    let duration_seconds = match get("duration_seconds") {
        Some(d) => Some(parse_seconds(&d).ok_or_else(|| {
            Error::config(format!(
                "{}: {place} duration_seconds = {d} is not a whole number of seconds",
                aws.path().display()
            ))
        })?),
        None => None,
    };
    Ok(Some(AssumeArgs {
        role_arn,
        role_session_name: get("role_session_name"),
        external_id: get("external_id"),
        duration_seconds,
        serial_number: get("mfa_serial"),
    }))
}

/// `duration_seconds` as Python's `int()` reads it (botocore's rule).
fn parse_seconds(s: &str) -> Option<i64> {
    let s = s.trim();
    let digits = s.strip_prefix('+').unwrap_or(s).replace('_', "");
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The AssumeRole arguments of an `aws.sso` store (`None` without
/// `role_arn`).
pub fn store_args(store: &Store) -> Result<Option<AssumeArgs>> {
    let Some(role_arn) = store.get("role_arn")?.filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let duration_seconds = match store.get("duration_seconds")? {
        Some(d) => Some(
            parse_seconds(&d)
                .ok_or_else(|| store.error("duration_seconds", "expected a number of seconds"))?,
        ),
        None => None,
    };
    Ok(Some(AssumeArgs {
        role_arn,
        role_session_name: store.get("role_session_name")?.filter(|v| !v.is_empty()),
        external_id: store.get("external_id")?.filter(|v| !v.is_empty()),
        duration_seconds,
        serial_number: None,
    }))
}

/// The region STS is called in: the environment's, else the profile's or
/// store's, else us-east-1 (as botocore's session region).
fn sts_region(own: Option<&str>) -> String {
    crate::settings::aws_region()
        .or_else(|| own.map(str::to_string))
        .unwrap_or_else(|| "us-east-1".to_string())
}

/// A role chain: AssumeRole hops (the role handed out first) over a base
/// (an SSO role or static keys). Resolved once; [`Chain::credentials`] asks
/// the top hop's cache first and walks down only when it must.
#[derive(Clone)]
pub struct Chain {
    /// The AssumeRole arguments of the role handed out, from the profile's
    /// own section: enough to find its cache entry.
    top: AssumeArgs,
    /// The walk over source profiles (hops, top first, and the base),
    /// made the first time the top role's entry is not fresh: a cached
    /// chained `creds` reads neither the credentials file nor the other
    /// profiles.
    walked: OnceLock<Result<(Vec<Hop>, Base)>>,
    /// Where to walk from when `walked` is not set yet.
    profile: Option<(Arc<AwsConfig>, String)>,
    /// The region STS is called in.
    sts_region: String,
}

impl Chain {
    /// The chain of profile `name`, whose config section (when it has one)
    /// is `keys`; `None` when the profile has no `role_arn` (in the config,
    /// or in the credentials file's section over it). `region` is the
    /// profile's own `region`.
    pub fn of_profile(
        aws: &Arc<AwsConfig>,
        name: &str,
        keys: Option<&Section>,
        region: Option<&str>,
    ) -> Result<Option<Chain>> {
        let sts_region = sts_region(region);
        if let Some(keys) = keys
            && let Some(top) = profile_args(aws, &profile_place(name), keys)?
        {
            return Ok(Some(Chain {
                top,
                walked: OnceLock::new(),
                profile: Some((Arc::clone(aws), name.to_string())),
                sts_region,
            }));
        }
        // A role profile only the credentials file has: walked now.
        let creds_file = crate::awsconfig::read_ini(&crate::paths::aws_credentials_file())?;
        let Some(keys) =
            merged_keys(aws, &creds_file, name)?.filter(|k| k.contains_key("role_arn"))
        else {
            return Ok(None);
        };
        let (hops, base) = walk_profile(aws, Some(&creds_file), name, keys)?;
        Ok(Some(Chain {
            top: hops[0].args.clone(),
            walked: OnceLock::from(Ok((hops, base))),
            profile: None,
            sts_region,
        }))
    }

    /// The chain of an `aws.sso` store with `role_arn` over its SSO role
    /// `target`; `None` without `role_arn`.
    pub fn of_store(target: &Target, store: &Store) -> Result<Option<Chain>> {
        let Some(args) = store_args(store)? else {
            return Ok(None);
        };
        let hop = Hop {
            place: format!("secretStores.{}", store.name),
            args: args.clone(),
        };
        Ok(Some(Chain {
            top: args,
            walked: OnceLock::from(Ok((vec![hop], Base::Sso(target.clone())))),
            profile: None,
            sts_region: sts_region(target.region.as_deref()),
        }))
    }

    /// The hops and the base, walked once.
    fn walked(&self) -> Result<&(Vec<Hop>, Base)> {
        self.walked
            .get_or_init(|| match &self.profile {
                Some((aws, name)) => {
                    let creds_file =
                        crate::awsconfig::read_ini(&crate::paths::aws_credentials_file())?;
                    let keys = merged_keys(aws, &creds_file, name)?.unwrap_or_default();
                    walk_profile(aws, Some(&creds_file), name, keys)
                }
                None => Err(Error::runtime("a role chain with nothing to walk")),
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The AssumeRole arguments of the role handed out.
    pub fn top(&self) -> &AssumeArgs {
        &self.top
    }

    /// The SSO role the chain starts from, when it starts from one: for
    /// sign-in, and for nothing that hands out credentials.
    pub fn sso_base(&self) -> Result<Option<&Target>> {
        Ok(match &self.walked()?.1 {
            Base::Sso(t) => Some(t),
            Base::Static(_) => None,
        })
    }

    /// The top role's credentials, reused from the cache while more than
    /// `fresh_secs` remain; the rest of the chain is read, and its hops
    /// asked, only when needed.
    pub fn credentials(&self, policy: &LoginPolicy, fresh_secs: i64) -> Result<RoleCredentials> {
        if let Some(c) = sts::cached(&self.top, fresh_secs) {
            crate::settings::debug(format_args!(
                "assumed role {} from the cache",
                self.top.role_arn
            ));
            return Ok(c);
        }
        let (hops, base) = self.walked()?;
        hop_credentials(hops, base, policy, &self.sts_region, fresh_secs)
    }
}

/// [`walk`] from profile `name`, with sign-in asked of that profile, not of
/// the one under it.
fn walk_profile(
    aws: &AwsConfig,
    creds_file: Option<&IniFile>,
    name: &str,
    keys: Section,
) -> Result<(Vec<Hop>, Base)> {
    let (hops, mut base) = walk(aws, creds_file, name, keys)?;
    if let Base::Sso(t) = &mut base {
        t.login_hint = crate::settings::dsops_command(&["login", "--profile", name]);
    }
    Ok((hops, base))
}

/// What an AWS API store's `profile:` gives: static keys, or role
/// credentials (an SSO profile or a chain).
pub enum ProfileSource {
    Static(SourceCredentials),
    Role(RoleCredentials),
}

/// The credentials of any profile a store names: static keys (credentials
/// file first, then config), a role chain, or SSO settings. The second value
/// is the profile's `region`.
pub fn profile_source(
    aws: &AwsConfig,
    name: &str,
    policy: &LoginPolicy,
) -> Result<(ProfileSource, Option<String>)> {
    let creds_file = crate::awsconfig::read_ini(&crate::paths::aws_credentials_file())?;
    let config = aws.profile(name)?;
    let region = config
        .as_ref()
        .and_then(|p| p.get("region"))
        .filter(|r| !r.is_empty())
        .cloned();
    let merged = merged_keys(aws, &creds_file, name)?.ok_or_else(|| {
        Error::config(format!(
            "no profile '{name}' in {} or {}",
            aws.path().display(),
            creds_file.path().display()
        ))
    })?;
    if merged.contains_key("role_arn") {
        let (hops, base) = walk(aws, Some(&creds_file), name, merged)?;
        let c = hop_credentials(
            &hops,
            &base,
            policy,
            &sts_region(region.as_deref()),
            sts::FRESH_SECS,
        )?;
        return Ok((ProfileSource::Role(c), region));
    }
    if let Some(k) = static_keys(aws, name, &merged)? {
        return Ok((ProfileSource::Static(k), region));
    }
    match base_of(aws, name, &merged)? {
        Base::Sso(target) => {
            let c = sso::role_credentials(&target, policy)?;
            let region = region.or(target.region);
            Ok((ProfileSource::Role(c), region))
        }
        Base::Static(k) => Ok((ProfileSource::Static(k), region)),
    }
}

/// The config's `[profile NAME]` with the credentials file's `[NAME]` over
/// it (as botocore merges them); `None` when neither has it.
fn merged_keys(aws: &AwsConfig, creds_file: &IniFile, name: &str) -> Result<Option<Section>> {
    let config = aws.profile(name)?;
    let creds = creds_file.section(name)?;
    Ok(match (config, creds) {
        (None, None) => None,
        (Some(c), None) => Some(c),
        (None, Some(k)) => Some(k),
        (Some(mut c), Some(k)) => {
            c.extend(k);
            Some(c)
        }
    })
}

/// A profile's static keys, when it has them (both, or an error for one).
fn static_keys(aws: &AwsConfig, name: &str, keys: &Section) -> Result<Option<SourceCredentials>> {
    let get = |k: &str| keys.get(k).filter(|v| !v.is_empty()).cloned();
    match (get("aws_access_key_id"), get("aws_secret_access_key")) {
        (Some(a), Some(s)) => Ok(Some(SourceCredentials {
            access_key_id: a,
            secret_access_key: s,
            session_token: get("aws_session_token"),
        })),
        (None, None) => Ok(None),
        (Some(_), None) | (None, Some(_)) => Err(Error::config(format!(
            "{} has only one of aws_access_key_id and aws_secret_access_key (in {} or {})",
            profile_place(name),
            aws.path().display(),
            crate::paths::aws_credentials_file().display()
        ))),
    }
}

/// Where a non-role source profile's credentials come from.
fn base_of(aws: &AwsConfig, name: &str, keys: &Section) -> Result<Base> {
    if let Some(k) = static_keys(aws, name, keys)? {
        return Ok(Base::Static(k));
    }
    if sso_key(keys, "sso_session").is_some() || sso_key(keys, "sso_start_url").is_some() {
        return Target::from_profile_keys(aws, name, keys).map(Base::Sso);
    }
    let place = profile_place(name);
    let unsupported = [
        "credential_process",
        "web_identity_token_file",
        "credential_source",
    ]
    .into_iter()
    .find(|k| keys.contains_key(*k));
    Err(Error::config(match unsupported {
        Some(k) => format!(
            "{}: {place} uses {k}, which dsops does not support; a chain must end in an SSO profile or a profile with static keys",
            aws.path().display()
        ),
        None => format!(
            "{place} has no credentials (static keys in {} or {}, SSO settings, or role_arn with source_profile)",
            crate::paths::aws_credentials_file().display(),
            aws.path().display()
        ),
    }))
}

/// The hops of a role profile's chain, top first, and where it starts.
fn walk(
    aws: &AwsConfig,
    creds_file: Option<&IniFile>,
    top: &str,
    top_keys: Section,
) -> Result<(Vec<Hop>, Base)> {
    let empty;
    let creds_file = match creds_file {
        Some(c) => c,
        None => {
            empty = IniFile::default();
            &empty
        }
    };
    let mut visited = vec![top.to_string()];
    let mut hops = vec![];
    let (mut name, mut keys) = (top.to_string(), top_keys);
    loop {
        let place = profile_place(&name);
        // Every caller sends a profile with the key; its value may be empty.
        let Some(args) = profile_args(aws, &place, &keys)? else {
            return Err(Error::config(format!(
                "{}: {place} has an empty role_arn",
                aws.path().display()
            )));
        };
        if keys.contains_key("credential_source") {
            return Err(Error::config(format!(
                "{}: {place} uses credential_source, which dsops does not support; use source_profile",
                aws.path().display()
            )));
        }
        let Some(source) = keys
            .get("source_profile")
            .filter(|s| !s.is_empty())
            .cloned()
        else {
            return Err(Error::config(format!(
                "{}: {place} has role_arn but no source_profile",
                aws.path().display()
            )));
        };
        hops.push(Hop { place, args });
        let source_keys = merged_keys(aws, creds_file, &source)?.ok_or_else(|| {
            Error::config(format!(
                "{}: the source_profile '{source}' of {} does not exist",
                aws.path().display(),
                profile_place(&name)
            ))
        })?;
        // A profile may name itself to use its own static keys (botocore).
        if source == name
            && let Some(k) = static_keys(aws, &source, &source_keys)?
        {
            return Ok((hops, Base::Static(k)));
        }
        if visited.contains(&source) {
            visited.push(source);
            return Err(Error::config(format!(
                "{}: source_profile loop: {}",
                aws.path().display(),
                visited.join(" -> ")
            )));
        }
        visited.push(source.clone());
        if let Some(k) = static_keys(aws, &source, &source_keys)? {
            return Ok((hops, Base::Static(k)));
        }
        if source_keys.contains_key("role_arn") {
            (name, keys) = (source, source_keys);
            continue;
        }
        return Ok((hops, base_of(aws, &source, &source_keys)?));
    }
}

/// The credentials of the first hop (reused while more than `fresh_secs`
/// remain), asking the rest of the chain (and its base) only when the first
/// is not cached.
fn hop_credentials(
    hops: &[Hop],
    base: &Base,
    policy: &LoginPolicy,
    region: &str,
    fresh_secs: i64,
) -> Result<RoleCredentials> {
    let Some((hop, rest)) = hops.split_first() else {
        return Err(Error::runtime("an empty role chain"));
    };
    if hop.args.serial_number.is_some() {
        return sts::cached(&hop.args, sts::FRESH_SECS).ok_or_else(|| {
            Error::config(format!(
                "{} uses mfa_serial: dsops cannot ask for an MFA code, so MFA profiles are not supported (credentials the AWS CLI cached for it are reused while they last)",
                hop.place
            ))
        });
    }
    crate::settings::debug(format_args!("{}: role {}", hop.place, hop.args.role_arn));
    sts::assumed(&hop.args, region, policy, fresh_secs, || {
        if rest.is_empty() {
            match base {
                Base::Static(k) => Ok(k.clone()),
                Base::Sso(t) => sso::role_credentials(t, policy).map(|c| (&c).into()),
            }
        } else {
            hop_credentials(rest, base, policy, region, sts::FRESH_SECS).map(|c| (&c).into())
        }
    })
    .map_err(|e| e.context(hop.place.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(text: &str) -> AwsConfig {
        AwsConfig::from_text("cfg".into(), text)
    }

    #[test]
    fn walks_chains_and_finds_loops() {
        let aws = cfg(
            "[profile a]\nrole_arn = arn:aws:iam::1:role/A\nsource_profile = b\nduration_seconds = 900\n\
             [profile b]\nrole_arn = arn:aws:iam::1:role/B\nsource_profile = sso\nrole_session_name = me\n\
             [profile sso]\nsso_start_url = https://x/start\nsso_region = us-east-1\nsso_account_id = 111111111111\nsso_role_name = R\n\
             [profile x]\nrole_arn = arn:aws:iam::1:role/X\nsource_profile = y\n\
             [profile y]\nrole_arn = arn:aws:iam::1:role/Y\nsource_profile = x\n\
             [profile self]\nrole_arn = arn:aws:iam::1:role/S\nsource_profile = self\naws_access_key_id = AK\naws_secret_access_key = SK\n\
             [profile mfa]\nrole_arn = arn:aws:iam::1:role/M\nsource_profile = self\nmfa_serial = arn:aws:iam::1:mfa/me\n\
             [profile bad]\nrole_arn = arn:aws:iam::1:role/B\nduration_seconds = soon\nsource_profile = self\n\
             [profile empty]\nrole_arn =\nsource_profile = sso\n\
             [profile to-empty]\nrole_arn = arn:aws:iam::1:role/T\nsource_profile = empty\n",
        );
        let keys = |n: &str| aws.profile(n).unwrap().unwrap();
        let (hops, base) = walk(&aws, None, "a", keys("a")).unwrap();
        assert_eq!(hops.len(), 2);
        assert_eq!(hops[0].args.duration_seconds, Some(900));
        assert_eq!(hops[1].args.role_session_name.as_deref(), Some("me"));
        assert!(matches!(base, Base::Sso(t) if t.role_name == "R"));
        let e = walk(&aws, None, "x", keys("x")).err().unwrap().message;
        assert!(e.contains("source_profile loop: x -> y -> x"), "{e}");
        let (hops, base) = walk(&aws, None, "self", keys("self")).unwrap();
        assert_eq!(hops.len(), 1);
        assert!(matches!(base, Base::Static(k) if k.access_key_id == "AK"));
        let (hops, _) = walk(&aws, None, "mfa", keys("mfa")).unwrap();
        let e = hop_credentials(
            &hops,
            &Base::Static(static_keys(&aws, "self", &keys("self")).unwrap().unwrap()),
            &LoginPolicy::default(),
            "us-east-1",
            sts::FRESH_SECS,
        )
        .err()
        .unwrap()
        .message;
        assert!(
            e.contains("mfa_serial") && e.contains("not supported"),
            "{e}"
        );
        let e = walk(&aws, None, "bad", keys("bad")).err().unwrap().message;
        assert!(e.contains("duration_seconds = soon"), "{e}");
        // An empty role_arn, at the top or further down: an error, not a panic.
        for top in ["empty", "to-empty"] {
            let e = walk(&aws, None, top, keys(top)).err().unwrap().message;
            assert_eq!(e, "cfg: [profile empty] has an empty role_arn");
        }
        assert_eq!(parse_seconds(" +3_600 "), Some(3600));
        assert_eq!(parse_seconds("1h"), None);
    }
}
