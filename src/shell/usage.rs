//! `dsops use`: the role a shell was switched to, as a layer under the
//! project's env set. The state names it (`profile:NAME` or `store:NAME`,
//! never credentials); each time the hook decides, [`layer`] puts that
//! role's credentials into the plan *under* the project's variables (a
//! project that sets `AWS_ACCESS_KEY_ID` wins; leaving it brings the `use`
//! values back, fetched again), so the priors, the diff, the restore and the
//! refresh at the prompt are the hook's own: `dsops use --off` is a plan
//! without the layer, and the user's prior values come back byte for byte.
//!
//! The hook never signs in: a role that needs a sign-in sets nothing, is said
//! once with the `dsops login` to run, and its token file is watched so that
//! signing in loads it. The fetch is bounded like a store's
//! (`DSOPS_HOOK_TIMEOUT`).
//!
//! Not here: the command line, the picker, the sign-in `dsops use` itself may
//! do (`cmd/use.rs`, which hands the credentials it got in a [`Fetched`]).

use super::plan::{Plan, fingerprint};
use crate::awsconfig::AwsConfig;
use crate::error::{Error, Exit, Result};
use crate::rolecreds::RoleCredentials;
use crate::source::Source;
use crate::sso::LoginPolicy;
use std::collections::HashSet;
use std::path::PathBuf;

/// dsops's own variables of the layer: what is in use, and when its
/// credentials expire (epoch seconds, for a prompt that shows the time
/// left without starting a process). Projects cannot set them.
pub const OWN: [&str; 2] = ["DSOPS_USE", "DSOPS_USE_EXPIRES"];

/// Credentials are renewed this long before they expire, or at half their
/// lifetime when they last less (a role chain with `duration_seconds`).
const RENEW_MARGIN_SECS: i64 = 10 * 60;

/// What `dsops use` names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Profile(String),
    Store(String),
}

impl Target {
    /// As the state keeps it.
    pub fn encode(&self) -> String {
        match self {
            Target::Profile(p) => format!("profile:{p}"),
            Target::Store(s) => format!("store:{s}"),
        }
    }

    pub fn decode(s: &str) -> Option<Target> {
        match s.split_once(':')? {
            ("profile", p) if !p.is_empty() => Some(Target::Profile(p.into())),
            ("store", s) if !s.is_empty() => Some(Target::Store(s.into())),
            _ => None,
        }
    }

    /// The name alone (`DSOPS_USE`).
    pub fn name(&self) -> &str {
        match self {
            Target::Profile(n) | Target::Store(n) => n,
        }
    }

    /// `profile NAME` or `store NAME`, for messages.
    pub fn label(&self) -> String {
        match self {
            Target::Profile(p) => format!("profile {p}"),
            Target::Store(s) => format!("store {s}"),
        }
    }

    /// The credential source: an AWS config profile, or an `aws.sso` store
    /// of the user config (a project's stores change with the directory).
    pub fn source(&self) -> Result<Source> {
        let aws = std::sync::Arc::new(AwsConfig::load()?);
        match self {
            Target::Profile(p) => Source::of_profile(&aws, p),
            Target::Store(s) => {
                let user = crate::config::load_user()?;
                let store = user.stores.get(s).ok_or_else(|| {
                    let names: Vec<&str> = user.stores.keys().map(String::as_str).collect();
                    Error::config(format!(
                        "no store '{s}' in {} (dsops use takes the user config's aws.sso stores{})",
                        crate::text::path(&crate::paths::user_config()),
                        if names.is_empty() {
                            String::new()
                        } else {
                            format!(": {}", names.join(", "))
                        }
                    ))
                })?;
                Source::of_store(&aws, store)
            }
        }
    }
}

/// Credentials `dsops use` already got (signing in if it had to), so the
/// layer does not fetch them again.
pub struct Fetched {
    pub source: Source,
    pub creds: RoleCredentials,
}

/// What `dsops use` asks of the hook: the new target (`None`: off).
pub struct Change {
    pub using: Option<String>,
    pub fetched: Option<Fetched>,
}

/// Why the layer sets nothing.
enum Failure {
    /// A sign-in is needed: its token file (watched) and the command to run.
    SignIn {
        token: Option<PathBuf>,
        hint: String,
    },
    Other(String),
}

fn fetch(target: &Target, policy: &LoginPolicy) -> std::result::Result<Fetched, Failure> {
    let source = target.source().map_err(|e| Failure::Other(e.message))?;
    match source.credentials(policy) {
        Ok(creds) => Ok(Fetched { source, creds }),
        Err(e) if e.kind == Exit::LoginRequired => {
            let sign_in = source.sign_in().ok();
            Err(Failure::SignIn {
                token: sign_in
                    .as_ref()
                    .map(|s| crate::sso::cache::token_path(&s.session)),
                hint: sign_in
                    .map(|s| s.hint)
                    .unwrap_or_else(|| source.command("login", &[])),
            })
        }
        Err(e) => Err(Failure::Other(e.message)),
    }
}

/// [`fetch`] on its own thread, given up after `DSOPS_HOOK_TIMEOUT`.
fn fetch_bounded(target: &Target) -> std::result::Result<Fetched, Failure> {
    let limit = super::load::timeout();
    let t = target.clone();
    super::load::bounded(limit, move || fetch(&t, &LoginPolicy::for_hook()))
        .unwrap_or_else(|| Err(Failure::Other(super::load::gave_up(limit))))
}

/// `dsops use`'s own fetch: signing in as `policy` allows.
pub fn fetch_now(target: &Target, policy: &LoginPolicy) -> Result<Fetched> {
    let source = target.source()?;
    let creds = source.credentials(policy)?;
    Ok(Fetched { source, creds })
}

fn watch(plan: &mut Plan, path: PathBuf) {
    if !plan.files.iter().any(|(p, _)| *p == path) {
        let fp = fingerprint(&path);
        plan.files.push((path, fp));
    }
}

/// When to renew credentials that expire at `exp`.
pub fn renew_at(exp: i64, now: i64) -> i64 {
    let margin = RENEW_MARGIN_SECS.min((exp - now) / 2);
    (exp - margin).max(now + 1)
}

/// Put the credentials of `using` under the plan's variables (the
/// project's win), with its refresh time; or say once why not.
pub fn layer(plan: &mut Plan, using: &str, fetched: Option<&Fetched>, now: i64) {
    plan.using = Some(using.to_string());
    let Some(target) = Target::decode(using) else {
        plan.notices.push(format!(
            "{} names '{using}' in use, which this dsops does not know: 'dsops use --off' ends it",
            super::state::VAR
        ));
        return;
    };
    // What the role is depends on these; a change decides again.
    watch(plan, crate::paths::aws_config_file());
    if let Target::Store(_) = target {
        watch(plan, crate::paths::user_config());
    }
    let owned;
    let got = match fetched {
        Some(f) => f,
        None => match fetch_bounded(&target) {
            Ok(f) => {
                owned = f;
                &owned
            }
            Err(Failure::SignIn { token, hint }) => {
                if let Some(t) = token {
                    watch(plan, t);
                }
                plan.notices.push(format!(
                    "sign-in needed for {}, in use: run '{hint}' (its credentials are not set)",
                    target.label()
                ));
                return;
            }
            Err(Failure::Other(why)) => {
                plan.notices.push(format!(
                    "{}, in use: {why} (its credentials are not set)",
                    target.label()
                ));
                return;
            }
        },
    };
    let c = &got.creds;
    let exp = c.expiration.unix_timestamp();
    let mut vars: Vec<(String, String)> = vec![
        ("AWS_ACCESS_KEY_ID".into(), c.access_key_id.clone()),
        ("AWS_SECRET_ACCESS_KEY".into(), c.secret_access_key.clone()),
        ("AWS_SESSION_TOKEN".into(), c.session_token.clone()),
        (
            "AWS_CREDENTIAL_EXPIRATION".into(),
            crate::timefmt::format(c.expiration),
        ),
    ];
    if let Some(r) = got.source.region() {
        vars.push(("AWS_REGION".into(), r.to_string()));
        vars.push(("AWS_DEFAULT_REGION".into(), r.to_string()));
    }
    vars.push((OWN[0].into(), target.name().to_string()));
    vars.push((OWN[1].into(), exp.to_string()));
    let project: HashSet<&str> = plan.vars.iter().map(|(n, _)| n.as_str()).collect();
    vars.retain(|(n, _)| !project.contains(n.as_str()));
    vars.append(&mut plan.vars);
    plan.vars = vars;
    let renew = renew_at(exp, now);
    plan.refresh = match plan.refresh {
        0 => renew,
        r => r.min(renew),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_round_trip() {
        for t in [Target::Profile("dev".into()), Target::Store("a:b".into())] {
            assert_eq!(Target::decode(&t.encode()), Some(t));
        }
        assert_eq!(Target::decode("profile:"), None);
        assert_eq!(Target::decode("other:x"), None);
    }

    #[test]
    fn renewal_before_expiry() {
        // An hour: ten minutes before. Six seconds: at half-life.
        assert_eq!(renew_at(1000 + 3600, 1000), 1000 + 3000);
        assert_eq!(renew_at(1006, 1000), 1003);
        assert_eq!(renew_at(900, 1000), 1001);
    }

    #[test]
    fn the_project_wins() {
        let mut plan = Plan {
            vars: vec![("AWS_ACCESS_KEY_ID".into(), "project".into())],
            ..Default::default()
        };
        let creds = RoleCredentials {
            access_key_id: "use".into(),
            secret_access_key: "s".into(),
            session_token: "t".into(),
            expiration: time::OffsetDateTime::from_unix_timestamp(5000).unwrap(),
            account_id: "1".into(),
        };
        let aws = std::sync::Arc::new(AwsConfig::from_text(
            "/c".into(),
            "[profile dev]\nsso_start_url = https://x.awsapps.com/start\nsso_region = us-east-1\nsso_account_id = 1\nsso_role_name = R\nregion = eu-west-1\n",
        ));
        let source = Source::of_profile(&aws, "dev").unwrap();
        let f = Fetched { source, creds };
        layer(&mut plan, "profile:dev", Some(&f), 1000);
        let get = |n: &str| {
            plan.vars
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("AWS_ACCESS_KEY_ID"), Some("project"));
        assert_eq!(get("AWS_SESSION_TOKEN"), Some("t"));
        assert_eq!(get("AWS_REGION"), Some("eu-west-1"));
        assert_eq!(get("DSOPS_USE"), Some("dev"));
        assert_eq!(get("DSOPS_USE_EXPIRES"), Some("5000"));
        assert_eq!(plan.refresh, 5000 - 600);
        assert_eq!(plan.using.as_deref(), Some("profile:dev"));
    }
}
