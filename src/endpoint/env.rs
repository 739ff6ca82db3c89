//! The environment of a command run with credentials (`dsops exec --store
//! ...`): what is added, and what is removed because the AWS SDKs' default
//! credential chains would take it before the credentials dsops gives.
//!
//! Removed: static keys (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//! `AWS_SESSION_TOKEN`, `AWS_CREDENTIAL_EXPIRATION`), the profile
//! (`AWS_PROFILE`, `AWS_DEFAULT_PROFILE`), web identity
//! (`AWS_WEB_IDENTITY_TOKEN_FILE`, `AWS_ROLE_ARN`, `AWS_ROLE_SESSION_NAME`),
//! and another container endpoint (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`,
//! which the SDKs prefer to the full URI, and
//! `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`, which they prefer to the token).
//! Then the credentials' own variables are set. The region: the caller's
//! `AWS_REGION` or `AWS_DEFAULT_REGION` (or the env set's) wins; else the
//! store's or profile's; both variables are set to it when missing, so every
//! SDK sees the same one.

/// What would come before the credentials dsops gives (see the module doc).
pub const SHADOWING: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
];

const REGION_VARS: [&str; 2] = ["AWS_REGION", "AWS_DEFAULT_REGION"];

/// The changes to make to the caller's environment.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Set, in order (the env set's variables first, then the credentials').
    pub set: Vec<(String, String)>,
    /// Removed (those of [`SHADOWING`] the caller or the env set had).
    pub removed: Vec<&'static str>,
}

/// Plan the command's environment. `current` reads the caller's variables;
/// `env_set` is the resolved env set (if any); `credentials` the variables
/// that carry the credentials (the endpoint's, or static keys); `region` the
/// store's or profile's API region.
pub fn plan(
    current: impl Fn(&str) -> Option<String>,
    env_set: &[(String, String)],
    credentials: Vec<(String, String)>,
    region: Option<&str>,
) -> Plan {
    let lookup = |name: &str| {
        env_set
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .or_else(|| current(name))
            .filter(|v| !v.is_empty())
    };
    let given: Vec<&str> = credentials.iter().map(|(k, _)| k.as_str()).collect();
    let removed: Vec<&'static str> = SHADOWING
        .iter()
        .copied()
        .filter(|v| !given.contains(v) && lookup(v).is_some())
        .collect();
    let mut set: Vec<(String, String)> = env_set
        .iter()
        .filter(|(k, _)| !removed.contains(&k.as_str()))
        .cloned()
        .collect();
    let chosen = REGION_VARS
        .iter()
        .find_map(|v| lookup(v))
        .or(region.map(str::to_string));
    set.extend(credentials);
    if let Some(r) = chosen {
        for v in REGION_VARS {
            if lookup(v).is_none() {
                set.push((v.to_string(), r.clone()));
            }
        }
    }
    Plan { set, removed }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| pairs.iter().find(|(a, _)| a == k).map(|(_, v)| v.clone())
    }

    fn endpoint() -> Vec<(String, String)> {
        vec![(
            "AWS_CONTAINER_CREDENTIALS_FULL_URI".into(),
            "http://127.0.0.1:1/x".into(),
        )]
    }

    #[test]
    fn shadowing_variables_are_removed_and_the_region_set() {
        let p = plan(
            env(&[
                ("AWS_PROFILE", "p"),
                ("AWS_ACCESS_KEY_ID", "A"),
                ("HOME", "/h"),
            ]),
            &[],
            endpoint(),
            Some("eu-west-1"),
        );
        assert_eq!(p.removed, vec!["AWS_ACCESS_KEY_ID", "AWS_PROFILE"]);
        assert!(p.set.contains(&("AWS_REGION".into(), "eu-west-1".into())));
        assert!(
            p.set
                .contains(&("AWS_DEFAULT_REGION".into(), "eu-west-1".into()))
        );
    }

    #[test]
    fn the_callers_region_wins_and_both_agree() {
        let p = plan(
            env(&[("AWS_REGION", "us-west-2")]),
            &[],
            endpoint(),
            Some("eu-west-1"),
        );
        assert!(
            p.set
                .contains(&("AWS_DEFAULT_REGION".into(), "us-west-2".into()))
        );
        assert!(!p.set.iter().any(|(k, _)| k == "AWS_REGION"));
        let p = plan(env(&[]), &[], endpoint(), None);
        assert!(!p.set.iter().any(|(k, _)| k.contains("REGION")));
    }

    #[test]
    fn static_keys_given_are_not_removed_and_env_set_keys_are() {
        let creds = vec![
            ("AWS_ACCESS_KEY_ID".to_string(), "new".to_string()),
            ("AWS_SECRET_ACCESS_KEY".to_string(), "s".to_string()),
        ];
        let set = vec![("AWS_SESSION_TOKEN".to_string(), "old".to_string())];
        let p = plan(env(&[("AWS_ACCESS_KEY_ID", "old")]), &set, creds, None);
        assert_eq!(p.removed, vec!["AWS_SESSION_TOKEN"]);
        assert_eq!(p.set[0], ("AWS_ACCESS_KEY_ID".into(), "new".into()));
    }
}
