//! The AWS shared config file (`AWS_CONFIG_FILE`, default `~/.aws/config`), read
//! the way the AWS CLI v2 reads it, for the settings dsops needs.
//!
//! Sections: `[default]`, `[profile NAME]`, `[sso-session NAME]`,
//! `[services NAME]`. Nested, indented sub-keys (`s3 =` then `  max_... = 1`)
//! are folded into the parent key's value and ignored. The file is read once
//! and parsed lazily ([`ini`]): a lookup parses only the sections it needs, so
//! its cost does not grow with the number of profiles. This module does not
//! write the file (`dsops sso populate` does, in `sso/populate.rs`).
//!
//! Longer than most files here because of its tests (unit and property
//! tests, about 160 of its lines).

pub mod ini;

use crate::error::{Error, Result};
use crate::paths;
pub use ini::{IniFile, Section};
use std::path::Path;
#[cfg(test)]
use std::path::PathBuf;

#[derive(Debug, Default)]
pub struct AwsConfig {
    file: IniFile,
}

/// Where an Identity Center sign-in goes: the token cache is keyed by the
/// session name when there is one, else by the start URL as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoSession {
    /// `None` for legacy profiles (`sso_start_url` on the profile itself).
    pub name: Option<String>,
    pub start_url: String,
    pub region: String,
    pub scopes: Vec<String>,
}

/// A profile's SSO role settings.
#[derive(Debug, Clone)]
pub struct SsoProfile {
    pub session: SsoSession,
    pub account_id: String,
    pub role_name: String,
    /// The API region (`region`), separate from `sso_region`.
    pub region: Option<String>,
}

/// The profile name of a config section name: `default` for `[default]`,
/// NAME for `[profile NAME]`; `None` for any other section.
pub fn profile_of_section(section: &str) -> Option<&str> {
    if section == "default" {
        return Some("default");
    }
    let rest = section.strip_prefix("profile")?;
    rest.starts_with([' ', '\t'])
        .then(|| rest.trim())
        .filter(|n| !n.is_empty())
}

/// The session name of a config section name (`[sso-session NAME]`).
pub fn session_of_section(section: &str) -> Option<&str> {
    let rest = section.strip_prefix("sso-session")?;
    rest.starts_with([' ', '\t'])
        .then(|| rest.trim())
        .filter(|n| !n.is_empty())
}

/// `[default]` or `[profile NAME]`, for messages.
pub fn profile_place(name: &str) -> String {
    if name == "default" {
        "[default]".to_string()
    } else {
        format!("[profile {name}]")
    }
}

impl AwsConfig {
    /// Load the AWS config; a missing file is an empty config. Nothing is
    /// parsed until a profile or session is asked for.
    pub fn load() -> Result<AwsConfig> {
        Ok(AwsConfig {
            file: IniFile::read(&paths::aws_config_file())?,
        })
    }

    /// A config from text, every section checked (as `load` then `check`).
    #[cfg(test)]
    pub fn parse(path: PathBuf, text: &str) -> Result<AwsConfig> {
        let c = AwsConfig::from_text(path, text);
        c.check()?;
        Ok(c)
    }

    /// A config from text, parsed lazily.
    #[cfg(test)]
    pub fn from_text(path: PathBuf, text: &str) -> AwsConfig {
        AwsConfig {
            file: IniFile::from_bytes(path, text.as_bytes().to_vec()),
        }
    }

    pub fn path(&self) -> &Path {
        self.file.path()
    }

    /// Every section parsed: the first problem in the file, if any (doctor).
    pub fn check(&self) -> Result<()> {
        self.file.check()
    }

    /// The keys of a profile (`default` for `[default]`), merged over every
    /// section that defines it; `None` when there is none. (Names arrive
    /// trimmed, so a match ends with the name: a cheap test first.)
    pub fn profile(&self, name: &str) -> Result<Option<Section>> {
        self.file.section_where(|section| {
            section.ends_with(name.as_bytes())
                && std::str::from_utf8(section).is_ok_and(|s| profile_of_section(s) == Some(name))
        })
    }

    /// "No such profile", with the nearest name or the names there are.
    pub fn no_profile(&self, name: &str) -> Error {
        let names = self.profile_names();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        Error::config(format!(
            "{}: no {} section{}",
            self.path().display(),
            profile_place(name),
            crate::suggest::or_list(name, "profiles", &names)
        ))
    }

    /// Every profile name, sorted, once each.
    pub fn profile_names(&self) -> Vec<String> {
        self.names(profile_of_section)
    }

    /// The names `of` finds in section names, sorted, once each.
    fn names(&self, of: fn(&str) -> Option<&str>) -> Vec<String> {
        let mut v: Vec<String> = self
            .file
            .section_names()
            .iter()
            .filter_map(|s| of(s))
            .map(str::to_string)
            .collect();
        v.sort();
        v.dedup();
        v
    }

    /// The keys of `[sso-session NAME]`; `None` when there is none.
    pub fn sso_session_section(&self, name: &str) -> Result<Option<Section>> {
        self.file.other_section_where(|section| {
            std::str::from_utf8(section).is_ok_and(|s| session_of_section(s) == Some(name))
        })
    }

    /// Every sso-session name, sorted, once each.
    pub fn sso_session_names(&self) -> Vec<String> {
        self.names(session_of_section)
    }

    /// The `[sso-session NAME]` section as a session.
    pub fn sso_session(&self, name: &str) -> Result<SsoSession> {
        let s = self.sso_session_section(name)?.ok_or_else(|| {
            Error::config(format!(
                "{}: no [sso-session {name}] section",
                self.path().display()
            ))
        })?;
        let get = |k: &str| {
            s.get(k).filter(|v| !v.is_empty()).cloned().ok_or_else(|| {
                Error::config(format!(
                    "{}: [sso-session {name}] has no {k}",
                    self.path().display()
                ))
            })
        };
        Ok(SsoSession {
            name: Some(name.to_string()),
            start_url: get("sso_start_url")?,
            region: get("sso_region")?,
            scopes: s
                .get("sso_registration_scopes")
                .map(|v| split_scopes(v))
                .unwrap_or_default(),
        })
    }

    /// The only `[sso-session]`, when there is exactly one.
    pub fn only_sso_session(&self) -> Option<Result<SsoSession>> {
        match self.sso_session_names().as_slice() {
            [only] => Some(self.sso_session(only)),
            _ => None,
        }
    }

    /// A profile's SSO settings, modern (`sso_session`) or legacy
    /// (`sso_start_url`/`sso_region` on the profile).
    pub fn sso_profile(&self, name: &str) -> Result<SsoProfile> {
        let p = self.profile(name)?.ok_or_else(|| self.no_profile(name))?;
        self.sso_profile_of(name, &p)
    }

    /// [`AwsConfig::sso_profile`] for a profile's keys already read. Each
    /// SSO key may also be written as dsops's own `dsops_KEY` ([`sso_key`]).
    pub fn sso_profile_of(&self, name: &str, p: &Section) -> Result<SsoProfile> {
        let where_ = profile_place(name);
        let get = |k: &str| sso_key(p, k).cloned();
        let need = |k: &str| {
            get(k).ok_or_else(|| {
                Error::config(format!("{}: {where_} has no {k}", self.path().display()))
            })
        };
        let session = match get("sso_session") {
            Some(s) => {
                let sess = self.sso_session(&s)?;
                // Both set must agree, as the AWS CLI insists.
                for (k, v) in [
                    ("sso_start_url", &sess.start_url),
                    ("sso_region", &sess.region),
                ] {
                    if let Some(pv) = get(k)
                        && &pv != v
                    {
                        return Err(Error::config(format!(
                            "{}: {where_} {k} = {pv} differs from [sso-session {s}] {k} = {v}",
                            self.path().display()
                        )));
                    }
                }
                sess
            }
            None => {
                if get("sso_start_url").is_none() {
                    return Err(Error::config(format!(
                        "{}: {where_} has no SSO settings (sso_session, or sso_start_url and sso_region)",
                        self.path().display()
                    )));
                }
                SsoSession {
                    name: None,
                    start_url: need("sso_start_url")?,
                    region: need("sso_region")?,
                    scopes: vec![],
                }
            }
        };
        Ok(SsoProfile {
            session,
            account_id: need("sso_account_id")?,
            role_name: need("sso_role_name")?,
            region: get("region"),
        })
    }
}

/// What dsops's own names for the SSO keys start with: `dsops sso populate
/// --credential-process` writes `dsops_sso_session`, `dsops_sso_account_id`
/// and `dsops_sso_role_name` next to `credential_process = dsops creds
/// --profile NAME`. The AWS CLI and the SDKs use their SSO provider, before
/// `credential_process`, for a profile with `sso_account_id`/`sso_role_name`
/// (botocore) or `sso_session` (the Go and Java SDKs), reading the token
/// from a file; under other names they run dsops instead (as granted's
/// `granted_sso_*` keys do).
pub const OWN_KEY_PREFIX: &str = "dsops_";

/// The SSO setting `key` of a profile (`sso_session`, `sso_start_url`,
/// `sso_region`, `sso_account_id`, `sso_role_name`): the AWS key, else
/// dsops's own `dsops_KEY` ([`OWN_KEY_PREFIX`]); `None` when empty.
pub fn sso_key<'a>(p: &'a Section, key: &str) -> Option<&'a String> {
    p.get(key).filter(|v| !v.is_empty()).or_else(|| {
        p.get(&format!("{OWN_KEY_PREFIX}{key}"))
            .filter(|v| !v.is_empty())
    })
}

/// Read an AWS ini file (the shared credentials file); a missing file has no
/// sections. Sections are parsed when asked for.
pub fn read_ini(path: &Path) -> Result<IniFile> {
    IniFile::read(path)
}

fn split_scopes(v: &str) -> Vec<String> {
    v.split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CFG: &str = "\
# comment
; another
[default]
region = eu-west-1

[profile dev]
sso_session = my-sso
sso_account_id = 111111111111
sso_role_name = DeveloperAccess
region = us-west-2
s3 =
  max_concurrent_requests = 20
  region = nope

[profile legacy]
sso_start_url = https://d-1234567890.awsapps.com/start
sso_region = us-east-1 ; inline
sso_account_id = 222222222222
sso_role_name = ReadOnlyAccess

[sso-session my-sso]
sso_start_url = https://my-org.awsapps.com/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access, other:scope

[services local]
dynamodb =
  endpoint_url = http://localhost:8000
";

    #[test]
    fn parses_profiles_sessions_and_nesting() {
        let c = AwsConfig::parse("cfg".into(), CFG).unwrap();
        let dev = c.sso_profile("dev").unwrap();
        assert_eq!(dev.session.name.as_deref(), Some("my-sso"));
        assert_eq!(dev.session.start_url, "https://my-org.awsapps.com/start");
        assert_eq!(
            dev.session.scopes,
            vec!["sso:account:access", "other:scope"]
        );
        assert_eq!(
            dev.region.as_deref(),
            Some("us-west-2"),
            "nested region must not leak"
        );
        let legacy = c.sso_profile("legacy").unwrap();
        assert_eq!(legacy.session.name, None);
        assert_eq!(legacy.session.region, "us-east-1");
        assert!(
            c.sso_profile("default")
                .unwrap_err()
                .message
                .contains("[default] has no SSO settings")
        );
        assert!(
            c.sso_profile("nope")
                .unwrap_err()
                .message
                .contains("no [profile nope] section")
        );
        assert_eq!(c.only_sso_session().unwrap().unwrap().region, "us-east-1");
        assert_eq!(ini::strip_inline_comment(" AKIA ; x"), "AKIA");
        assert_eq!(ini::strip_inline_comment("a#b"), "a#b");
    }
}

/// Property tests: any text as an AWS config is read or refused with the
/// file named, never a panic. `PROPTEST_CASES=200000` runs a longer campaign.
#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    const PIECES: &[&str] = &[
        "\n",
        "\r\n",
        "  ",
        "\t",
        "[",
        "]",
        "[profile ",
        "[sso-session ",
        "[default]",
        "[services x]",
        "=",
        " = ",
        "#",
        ";",
        " #",
        " ;",
        "sso_session",
        "sso_start_url",
        "sso_region",
        "sso_account_id",
        "sso_role_name",
        "region",
        "p",
        "s",
        "https://x/start",
        "\u{feff}",
        "\0",
        "é",
        "\\",
        "\"",
        "'",
    ];

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: if std::env::var_os("PROPTEST_CASES").is_some() {
                ProptestConfig::default().cases
            } else {
                2000
            },
            ..ProptestConfig::default()
        })]

        #[test]
        fn prop_any_text_is_read_or_refused(
            parts in proptest::collection::vec(
                prop_oneof![4 => proptest::sample::select(PIECES).prop_map(str::to_string), 1 => any::<String>()],
                0..60,
            )
        ) {
            let text = parts.concat();
            match AwsConfig::parse("cfg".into(), &text) {
                Ok(c) => {
                    for name in c.profile_names() {
                        let _ = c.sso_profile(&name);
                    }
                    for name in c.sso_session_names() {
                        let _ = c.sso_session(&name);
                    }
                    let _ = c.only_sso_session();
                }
                Err(e) => prop_assert!(e.message.starts_with("cfg:"), "{}", e.message),
            }
            // Lazily, without the whole-file check: every lookup is an
            // answer or an error naming the file, never a panic.
            let lazy = AwsConfig::from_text("cfg".into(), &text);
            for name in lazy.profile_names().iter().chain(["p".to_string(), "default".to_string()].iter()) {
                if let Err(e) = lazy.sso_profile(name) {
                    prop_assert!(e.message.starts_with("cfg:"), "{}", e.message);
                }
            }
            for name in lazy.sso_session_names() {
                if let Err(e) = lazy.sso_session(&name) {
                    prop_assert!(e.message.starts_with("cfg:"), "{}", e.message);
                }
            }
        }
    }
}
