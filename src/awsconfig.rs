//! The AWS shared config file (`AWS_CONFIG_FILE`, default `~/.aws/config`), read
//! the way the AWS CLI v2 reads it, for the SSO settings dsops needs.
//!
//! Sections: `[default]`, `[profile NAME]`, `[sso-session NAME]`,
//! `[services NAME]`. Nested, indented sub-keys (`s3 =` then `  max_... = 1`)
//! are folded into the parent key's value and ignored. This module does not
//! write the file: dsops never edits the user's AWS config.

use crate::error::{Error, Result};
use crate::paths;
use ini::{Ini, ParseOption};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Default, Clone)]
pub struct AwsConfig {
    pub path: PathBuf,
    /// `default` for `[default]`, NAME for `[profile NAME]`.
    pub profiles: BTreeMap<String, BTreeMap<String, String>>,
    pub sso_sessions: BTreeMap<String, BTreeMap<String, String>>,
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

impl AwsConfig {
    /// Load the AWS config; a missing file is an empty config.
    pub fn load() -> Result<AwsConfig> {
        let path = paths::aws_config_file();
        let sections = read_ini(&path)?;
        Ok(Self::from_sections(path, sections))
    }

    #[cfg(test)]
    pub fn parse(path: PathBuf, text: &str) -> Result<AwsConfig> {
        let sections = parse_ini(&path, text)?;
        Ok(Self::from_sections(path, sections))
    }

    fn from_sections(path: PathBuf, sections: Sections) -> AwsConfig {
        let mut cfg = AwsConfig {
            path,
            ..Default::default()
        };
        for (section, map) in sections {
            let section = section.as_str();
            if section == "default" {
                cfg.profiles
                    .entry("default".into())
                    .or_default()
                    .extend(map);
            } else if let Some(name) = section.strip_prefix("profile ") {
                cfg.profiles
                    .entry(name.trim().to_string())
                    .or_default()
                    .extend(map);
            } else if let Some(name) = section.strip_prefix("sso-session ") {
                cfg.sso_sessions
                    .entry(name.trim().to_string())
                    .or_default()
                    .extend(map);
            }
            // `[services NAME]` and anything else: not ours.
        }
        cfg
    }

    /// The `[sso-session NAME]` section as a session.
    pub fn sso_session(&self, name: &str) -> Result<SsoSession> {
        let s = self.sso_sessions.get(name).ok_or_else(|| {
            Error::config(format!(
                "{}: no [sso-session {name}] section",
                self.path.display()
            ))
        })?;
        let get = |k: &str| {
            s.get(k).filter(|v| !v.is_empty()).cloned().ok_or_else(|| {
                Error::config(format!(
                    "{}: [sso-session {name}] has no {k}",
                    self.path.display()
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
        if self.sso_sessions.len() == 1 {
            let name = self.sso_sessions.keys().next()?;
            Some(self.sso_session(name))
        } else {
            None
        }
    }

    /// A profile's SSO settings, modern (`sso_session`) or legacy
    /// (`sso_start_url`/`sso_region` on the profile).
    pub fn sso_profile(&self, name: &str) -> Result<SsoProfile> {
        let where_ = if name == "default" {
            "[default]".to_string()
        } else {
            format!("[profile {name}]")
        };
        let p = self.profiles.get(name).ok_or_else(|| {
            Error::config(format!("{}: no {where_} section", self.path.display()))
        })?;
        let get = |k: &str| p.get(k).filter(|v| !v.is_empty()).cloned();
        let need = |k: &str| {
            get(k).ok_or_else(|| {
                Error::config(format!("{}: {where_} has no {k}", self.path.display()))
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
                            self.path.display()
                        )));
                    }
                }
                sess
            }
            None => {
                if get("sso_start_url").is_none() {
                    return Err(Error::config(format!(
                        "{}: {where_} has no SSO settings (sso_session, or sso_start_url and sso_region)",
                        self.path.display()
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

/// An AWS ini file's sections (`[NAME]` as written, trimmed) and their keys.
pub type Sections = BTreeMap<String, BTreeMap<String, String>>;

/// Read an AWS ini file (the config or the shared credentials file); a
/// missing file has no sections.
pub fn read_ini(path: &Path) -> Result<Sections> {
    match crate::fsutil::read_bounded(path, 4 << 20) {
        Ok(b) => {
            let text = String::from_utf8(b)
                .map_err(|_| Error::config(format!("{}: not valid UTF-8", path.display())))?;
            parse_ini(path, &text)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Sections::new()),
        Err(e) => Err(Error::config(format!(
            "cannot read {}: {e}",
            path.display()
        ))),
    }
}

/// Parse AWS ini text the way the AWS CLI v2 does: no quoting or escapes,
/// nested indented sub-keys folded into their parent's value, inline
/// comments after white space, repeated sections merged.
pub fn parse_ini(path: &Path, text: &str) -> Result<Sections> {
    let opt = ParseOption {
        enabled_quote: false,
        enabled_escape: false,
        enabled_indented_mutiline_value: true,
        enabled_preserve_key_leading_whitespace: false,
    };
    check_section_headers(path, text)?;
    let ini = Ini::load_from_str_opt(text, opt).map_err(|e| {
        // rust-ini's messages name Rust values (`expecting "[Some(']')]"`);
        // the headers were checked above, so what is left is rare.
        let what = if e.msg.contains("']'") {
            "a section header is not closed with ']'".to_string()
        } else {
            e.msg.replace("Some(", "").replace(['(', ')'], "")
        };
        Error::config(format!("{}:{}:{}: {what}", path.display(), e.line, e.col))
    })?;
    let mut out = Sections::new();
    for (section, props) in ini.iter() {
        let Some(section) = section else { continue };
        let entry = out.entry(section.trim().to_string()).or_default();
        for (k, v) in props.iter() {
            entry.insert(k.trim().to_string(), strip_inline_comment(v).to_string());
        }
    }
    Ok(out)
}

/// Every `[...]` header is closed on its own line, as the AWS CLI insists;
/// the error names the line.
fn check_section_headers(path: &Path, text: &str) -> Result<()> {
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.starts_with('[') && !t.ends_with(']') {
            let shown: String = t.chars().take(60).collect();
            return Err(Error::config(format!(
                "{}:{}: the section header {shown} is not closed with ']'",
                path.display(),
                i + 1
            )));
        }
    }
    Ok(())
}

fn split_scopes(v: &str) -> Vec<String> {
    v.split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// `value ; comment` and `value # comment`: a comment character preceded by
/// white space starts an inline comment, as in the AWS CLI v2.
fn strip_inline_comment(v: &str) -> &str {
    let bytes = v.as_bytes();
    for i in 1..bytes.len() {
        if (bytes[i] == b'#' || bytes[i] == b';') && bytes[i - 1].is_ascii_whitespace() {
            return v[..i].trim();
        }
    }
    v.trim()
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
        assert_eq!(strip_inline_comment(" AKIA ; x"), "AKIA");
        assert_eq!(strip_inline_comment("a#b"), "a#b");
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
                    for name in c.profiles.keys() {
                        let _ = c.sso_profile(name);
                    }
                    for name in c.sso_sessions.keys() {
                        let _ = c.sso_session(name);
                    }
                    let _ = c.only_sso_session();
                }
                Err(e) => prop_assert!(e.message.starts_with("cfg:"), "{}", e.message),
            }
        }
    }
}
