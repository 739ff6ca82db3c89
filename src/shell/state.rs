//! The hook's session state: one exported variable, `DSOPS_STATE`, compact
//! JSON describing what the last `hook-env` run loaded and why.
//!
//! It holds the nearest project config and the `DSOPS_ENV` value seen, the env
//! set loaded, the stamp file, fingerprints (truncated SHA-256 of the content,
//! or "absent") of every file the load depended on, the time to load again
//! (credential refresh), the names dsops manages, the name of the file that
//! keeps the user's prior values of those names (see `priors.rs`), whether
//! the last output may have been applied only in part, and a fingerprint of
//! the last one-time message so it is not repeated, and the denied configs it
//! has already named once.
//!
//! It never holds a value dsops exported, nor since version 2 the user's
//! prior values: only names, paths and fingerprints. Paths that are not UTF-8
//! are stored as a NUL character followed by hex (a path cannot contain NUL).
//!
//! A version 1 state (prior values inline, base64) is still read, once: the
//! next `hook-env` treats it as changed, restores from it, and writes version 2.
//!
//! The state of a shell with nothing loaded and nothing to say is empty, and
//! then `DSOPS_STATE` is not set at all.

use serde::{Deserialize, Serialize};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

pub const VAR: &str = "DSOPS_STATE";
pub const VERSION: u32 = 2;
/// The format with prior values inline, read for an upgrade.
pub const VERSION_INLINE: u32 = 1;
/// Linux refuses to start any program when one environment string is over
/// 128 KiB (MAX_ARG_STRLEN): the state must stay well below.
pub const MAX_LEN: usize = 96 * 1024;

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    pub v: u32,
    /// The nearest project config (trusted or not), encoded path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cfg: Option<String>,
    /// `DSOPS_ENV` when the state was computed (`None`: unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<String>,
    /// The env set loaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set: Option<String>,
    /// The stamp file (see `stamp.rs`), encoded path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stamp: Option<String>,
    /// Files the load depended on: encoded path and content fingerprint
    /// (`None`: the file did not exist).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<(String, Option<String>)>,
    /// Epoch seconds after which to load again (0: never by time).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub refresh: i64,
    /// The names dsops manages (exported for the set, or to be restored).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
    /// The file with the prior values of `names` that had one (see
    /// `priors.rs`); `None` when none had.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priors: Option<String>,
    /// Written before the lines that apply a load: they may have stopped
    /// part-way, so the next `hook-env` decides again.
    #[serde(default, skip_serializing_if = "is_false")]
    pub partial: bool,
    /// Fingerprint of the one-time messages shown for this situation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Denied configs this shell has already said are denied (a short
    /// fingerprint of each path), so that a denied file says so once per
    /// shell, not at every entry into its directory. Bounded: the oldest
    /// go first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub told: Vec<String>,
    /// What `dsops use` switched the shell to (`profile:NAME` or
    /// `store:NAME`, see `usage.rs`): a name, never credentials.
    #[serde(default, rename = "use", skip_serializing_if = "Option::is_none")]
    pub using: Option<String>,
    /// Version 1 only: the names and the user's prior values, inline
    /// (base64; `None`: unset). Read, never written.
    #[serde(default, rename = "vars", skip_serializing)]
    pub inline: Vec<(String, Option<String>)>,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl State {
    /// Nothing loaded, nothing to say.
    pub fn empty() -> State {
        State {
            v: VERSION,
            ..Default::default()
        }
    }

    /// The state in the environment. `Ok(None)` when unset; `Err` with a
    /// reason when it cannot be read (another version, edited by hand).
    pub fn from_env() -> Result<Option<State>, String> {
        match std::env::var_os(VAR) {
            None => Ok(None),
            Some(v) if v.is_empty() => Ok(None),
            Some(v) => State::decode(v.as_encoded_bytes()).map(Some),
        }
    }

    /// Never panics, whatever the bytes. A version 1 state keeps its version
    /// and its inline priors, with `names` filled in from them.
    pub fn decode(bytes: &[u8]) -> Result<State, String> {
        let mut s: State =
            serde_json::from_slice(bytes).map_err(|e| format!("{VAR} is unreadable: {e}"))?;
        match s.v {
            VERSION if s.inline.is_empty() => {}
            VERSION_INLINE if s.names.is_empty() && s.priors.is_none() => {
                s.names = s.inline.iter().map(|(n, _)| n.clone()).collect();
            }
            VERSION | VERSION_INLINE => {
                return Err(format!(
                    "{VAR} is unreadable: it mixes fields of format versions 1 and 2"
                ));
            }
            _ => {
                return Err(format!(
                    "{VAR} has format version {}; this dsops reads version {VERSION}",
                    s.v
                ));
            }
        }
        // Names go into lines for the shell and into messages.
        if !s.names.iter().all(|n| crate::config::valid_var_name(n)) {
            return Err(format!(
                "{VAR} is unreadable: it lists something that is not a variable name"
            ));
        }
        Ok(s)
    }

    pub fn encode(&self) -> String {
        // Serializing plain strings, numbers and lists cannot fail.
        serde_json::to_string(self).expect("state serializes")
    }

    /// Nothing loaded and nothing to remember: `DSOPS_STATE` is unset.
    pub fn is_empty(&self) -> bool {
        self.cfg.is_none()
            && self.names.is_empty()
            && self.note.is_none()
            && self.told.is_empty()
            && self.using.is_none()
    }

    /// A version 1 state's inline prior values, decoded (one that does not
    /// decode is treated as unset); `None` for a current state.
    pub fn inline_priors(&self) -> Option<Vec<(String, Option<OsString>)>> {
        (self.v == VERSION_INLINE).then(|| {
            self.inline
                .iter()
                .map(|(n, p)| {
                    let v = p
                        .as_deref()
                        .and_then(crate::base64::decode)
                        .map(crate::platform::os_from_bytes);
                    (n.clone(), v)
                })
                .collect()
        })
    }
}

pub fn enc_path(p: &Path) -> String {
    match p.to_str() {
        Some(s) => s.to_string(),
        None => format!(
            "\0{}",
            crate::config::trust::hex(p.as_os_str().as_encoded_bytes())
        ),
    }
}

pub fn dec_path(s: &str) -> PathBuf {
    match s.strip_prefix('\0') {
        Some(hex) => PathBuf::from(crate::platform::os_from_bytes(
            unhex(hex).unwrap_or_default(),
        )),
        None => PathBuf::from(s),
    }
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    // Paths that are not text exist on Unix only.
    #[cfg(unix)]
    #[test]
    fn paths_round_trip() {
        let odd = PathBuf::from(crate::platform::os_from_bytes(b"/tmp/\xff\xfe".to_vec()));
        for p in [PathBuf::from("/a b/\"c\""), odd] {
            assert_eq!(dec_path(&enc_path(&p)), p);
        }
    }

    #[test]
    fn state_round_trip_and_version() {
        let s = State {
            v: VERSION,
            cfg: Some("/p/.dsops.yaml".into()),
            env: Some("dev".into()),
            set: Some("dev".into()),
            stamp: None,
            files: vec![
                ("/p/.dsops.yaml".into(), Some("ab".into())),
                ("/t".into(), None),
            ],
            refresh: 5,
            names: vec!["A".into(), "B".into()],
            priors: Some("0123456789abcdef0123456789abcdef".into()),
            partial: true,
            note: None,
            told: vec!["0123456789abcdef".into()],
            using: Some("profile:dev".into()),
            inline: vec![],
        };
        let d = State::decode(s.encode().as_bytes()).unwrap();
        assert_eq!(d, s);
        assert!(!s.encode().contains("\"vars\""));
        assert!(State::decode(br#"{"v":3}"#).is_err());
        assert!(State::decode(br#"{"v":2,"vars":[["A",null]]}"#).is_err());
        assert!(State::decode(br#"{"v":2,"names":["A=B"]}"#).is_err());
        assert!(State::decode(br#"{"v":1,"vars":[["\u001b[2J",null]]}"#).is_err());
        assert!(State::decode(b"garbage").is_err());
        assert!(
            State {
                v: VERSION,
                ..Default::default()
            }
            .is_empty()
        );
    }

    #[test]
    fn version_1_is_read_for_its_priors() {
        let v1 = format!(
            r#"{{"v":1,"cfg":"/p/.dsops.yaml","vars":[["A","{}"],["B",null]]}}"#,
            crate::base64::encode(b"old")
        );
        let d = State::decode(v1.as_bytes()).unwrap();
        assert_eq!(d.v, VERSION_INLINE);
        assert_eq!(d.names, ["A", "B"]);
        let p = d.inline_priors().unwrap();
        assert_eq!(p[0].1.as_deref(), Some(OsStr::new("old")));
        assert_eq!(p[1].1, None);
        // Encoded again, it no longer holds the priors.
        assert!(!d.encode().contains(&crate::base64::encode(b"old")));
    }

    mod prop {
        use super::super::*;
        use proptest::prelude::*;

        /// `n` cases, unless `PROPTEST_CASES` asks for a longer campaign.
        fn cases(n: u32) -> ProptestConfig {
            let mut c = ProptestConfig::default();
            if std::env::var_os("PROPTEST_CASES").is_none() {
                c.cases = n;
            }
            c
        }

        /// Short strings of any characters (NUL, quotes, backslashes,
        /// non-ASCII), cheap to generate.
        fn text() -> impl Strategy<Value = String> {
            proptest::collection::vec(any::<char>(), 0..12).prop_map(String::from_iter)
        }

        fn opt_str() -> impl Strategy<Value = Option<String>> {
            proptest::option::of(text())
        }

        fn state() -> impl Strategy<Value = State> {
            (
                (opt_str(), opt_str(), opt_str(), opt_str()),
                proptest::collection::vec((text(), opt_str()), 0..4),
                any::<i64>(),
                proptest::collection::vec("[A-Za-z_][A-Za-z0-9_]{0,10}", 0..6),
                (opt_str(), any::<bool>(), opt_str()),
            )
                .prop_map(
                    |((cfg, env, set, stamp), files, refresh, names, (priors, partial, note))| {
                        State {
                            v: VERSION,
                            cfg,
                            env,
                            set,
                            stamp,
                            files,
                            refresh,
                            names: names.clone(),
                            priors,
                            partial,
                            note,
                            told: names.iter().map(|n| format!("{n:0>16}")).collect(),
                            using: None,
                            inline: vec![],
                        }
                    },
                )
        }

        proptest! {
            #![proptest_config(cases(2000))]

            #[test]
            fn state_round_trips(s in state()) {
                prop_assert_eq!(State::decode(s.encode().as_bytes()).unwrap(), s);
            }

            #[test]
            fn decode_never_panics(b in proptest::collection::vec(any::<u8>(), 0..200)) {
                let _ = State::decode(&b);
            }


            #[cfg(unix)]
            #[test]
            fn paths_round_trip_any_bytes(b in proptest::collection::vec(1u8..=255, 0..100)) {
                let p = PathBuf::from(crate::platform::os_from_bytes(b));
                prop_assert_eq!(dec_path(&enc_path(&p)), p);
            }

            #[test]
            fn dec_path_never_panics(s in text()) {
                let _ = dec_path(&s);
                let _ = dec_path(&format!("\0{s}"));
            }
        }

        proptest! {
            // JSON of the state's shape with odd values: slower to generate.
            #![proptest_config(cases(500))]

            #[test]
            fn decode_never_panics_on_near_json(
                s in r#"\{("(v|cfg|env|set|stamp|files|refresh|names|priors|partial|note|vars)":(1|2|-1|null|true|"[a-z]*"|\[\]|\[\["A",(null|"QQ=="|"!")\]\]|\[\[1\]\]),?){0,6}\}"#
            ) {
                if let Ok(st) = State::decode(s.as_bytes()) {
                    let _ = st.inline_priors();
                    let _ = st.encode();
                }
            }
        }
    }
}
