//! What changed between the project config a user allowed and the one on
//! disk, compared as parsed configs (not text) and classified by risk:
//!
//! - **high**: a new or changed `exec` command; anything that changes which
//!   credentials are used or where they go (`credentials_from`, `profile`,
//!   `account_id`, `role_name`, `role_arn`, the static key fields,
//!   `sso_start_url`, `sso_region`, `sso_session`, `endpoint_url`, a store's
//!   `region`); a store's type; a new store of any type;
//! - **medium**: which secrets are read (`key`, `field`, `version_*` of a
//!   reference; a variable newly taken from a store; a file store's `path`);
//! - **low**: literal values, `optional`, `defaultEnv`, a removed variable,
//!   env set or store, and store fields that only shape how a value is
//!   fetched (`timeout`, `use_device_code`).
//!
//! Each store type declares the risk of each of its fields in its schema
//! (`config::schema`, implemented in `src/stores/`); a field a type does not
//! declare counts as medium.
//!
//! Each change names the store or env set and the field, with old → new for
//! values that are not secret. Never shown: static key fields, and literal
//! values of variables (or literal-store keys) whose names look secret
//! (`*KEY*`, `*SECRET*`, `*TOKEN*`, `*PASSWORD*`, any case): those say
//! "changed". Comments, white space, key order and quoting are not changes:
//! an empty diff means the parsed configs are equal.
//!
//! Longer than most files here because of its tests (about 150 lines):
//! every risk class is shown by an edit of one realistic config.

use super::{Config, EnvSet, Reference, Source, Store, Var};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Risk {
    Low,
    Medium,
    High,
}

impl Risk {
    pub fn name(self) -> &'static str {
        match self {
            Risk::Low => "low",
            Risk::Medium => "medium",
            Risk::High => "high",
        }
    }
}

/// One difference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub risk: Risk,
    /// A few words for the one-line summary: `+exec store 'op'`.
    pub short: String,
    /// The full line for `dsops allow --show`.
    pub long: String,
}

/// Does a variable's (or literal key's) name look like it holds a secret?
pub fn secret_name(name: &str) -> bool {
    let up = name.to_ascii_uppercase();
    ["KEY", "SECRET", "TOKEN", "PASSWORD"]
        .iter()
        .any(|w| up.contains(w))
}

/// What a change to `field` of `store` means, and whether its value may be
/// shown: the store type's schema says; a field it does not know is medium.
fn field_of(store: &Store, field: &str) -> (Risk, bool) {
    store
        .kind
        .field(field)
        .map(|f| (f.risk, f.secret))
        .unwrap_or((Risk::Medium, false))
}

fn shown(v: Option<&str>) -> String {
    match v {
        None => "(unset)".to_string(),
        Some(s) => format!("{s:?}"),
    }
}

fn change(risk: Risk, short: String, long: String) -> Change {
    Change { risk, short, long }
}

/// Every difference from `old` (allowed) to `new` (on disk), highest risk
/// first, then in config order.
pub fn diff(old: &Config, new: &Config) -> Vec<Change> {
    let mut out = vec![];
    stores(old, new, &mut out);
    envs(old, new, &mut out);
    if old.default_env != new.default_env {
        out.push(change(
            Risk::Low,
            "defaultEnv".into(),
            format!(
                "defaultEnv: {} → {}",
                shown(old.default_env.as_deref()),
                shown(new.default_env.as_deref())
            ),
        ));
    }
    // Stable: config order within each risk.
    out.sort_by_key(|c| std::cmp::Reverse(c.risk));
    out
}

fn stores(old: &Config, new: &Config, out: &mut Vec<Change>) {
    for (name, s) in &new.stores {
        match old.stores.get(name) {
            None => out.push(new_store(s)),
            Some(o) => store_changes(o, s, out),
        }
    }
    for name in old.stores.keys().filter(|n| !new.stores.contains_key(*n)) {
        out.push(change(
            Risk::Low,
            format!("-store '{name}'"),
            format!("secretStores.{name}: removed"),
        ));
    }
}

fn new_store(s: &Store) -> Change {
    let kind = s.kind.name();
    // What it runs or reads, when a list says (an exec store's command).
    let what: String = s
        .lists()
        .iter()
        .map(|(f, items)| format!(" ({f}: {})", command_text(items)))
        .collect();
    change(
        Risk::High,
        format!("+{kind} store '{}'{what}", s.name),
        format!("secretStores.{}: new {kind} store{what}", s.name),
    )
}

fn command_text(cmd: &[String]) -> String {
    cmd.iter()
        .map(|w| {
            if w.is_empty() || w.contains(char::is_whitespace) {
                format!("{w:?}")
            } else {
                w.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The union of two maps' keys, in order.
fn keys<'a, V>(a: &'a BTreeMap<String, V>, b: &'a BTreeMap<String, V>) -> Vec<&'a String> {
    let mut k: Vec<&String> = a.keys().chain(b.keys()).collect();
    k.sort();
    k.dedup();
    k
}

fn store_changes(o: &Store, s: &Store, out: &mut Vec<Change>) {
    let name = &s.name;
    if o.kind.name() != s.kind.name() {
        out.push(change(
            Risk::High,
            format!("store '{name}' type {} → {}", o.kind.name(), s.kind.name()),
            format!(
                "secretStores.{name}.type: {} → {}",
                o.kind.name(),
                s.kind.name()
            ),
        ));
    }
    for f in keys(o.fields(), s.fields()) {
        let (a, b) = (o.raw(f), s.raw(f));
        if a == b {
            continue;
        }
        let (risk, secret) = field_of(s, f);
        let values = if secret {
            "changed".to_string()
        } else {
            format!("{} → {}", shown(a), shown(b))
        };
        out.push(change(
            risk,
            format!("store '{name}' {f}"),
            format!("secretStores.{name}.{f}: {values}"),
        ));
    }
    for f in keys(o.lists(), s.lists()) {
        let (a, b) = (o.list(f), s.list(f));
        if a == b {
            continue;
        }
        let (risk, _) = field_of(s, f);
        out.push(change(
            risk,
            format!("{} store '{name}' {f}", s.kind.name()),
            format!(
                "secretStores.{name}.{f}: [{}] → [{}]",
                command_text(a),
                command_text(b)
            ),
        ));
    }
    for f in keys(o.maps(), s.maps()) {
        let (risk, _) = field_of(s, f);
        let (a, b) = (o.map(f), s.map(f));
        let mut entry_keys: Vec<&String> = a.iter().chain(b.iter()).map(|(k, _)| k).collect();
        entry_keys.sort();
        entry_keys.dedup();
        for k in entry_keys {
            let get =
                |m: &[(String, String)]| m.iter().find(|(x, _)| x == k).map(|(_, v)| v.clone());
            let (va, vb) = (get(a), get(b));
            if va == vb {
                continue;
            }
            let values = if secret_name(k) {
                "changed".to_string()
            } else {
                format!("{} → {}", shown(va.as_deref()), shown(vb.as_deref()))
            };
            out.push(change(
                risk,
                format!("store '{name}' {f} {k}"),
                format!("secretStores.{name}.{f}.{k}: {values}"),
            ));
        }
    }
}

fn envs(old: &Config, new: &Config, out: &mut Vec<Change>) {
    let empty = |name: &str| EnvSet {
        name: name.to_string(),
        origin: Default::default(),
        vars: vec![],
    };
    for e in &new.envs {
        let o = old.envs.iter().find(|x| x.name == e.name);
        if o.is_none() {
            out.push(change(
                Risk::Low,
                format!("+env set '{}'", e.name),
                format!("envs.{}: new env set", e.name),
            ));
        }
        let o = o.cloned().unwrap_or_else(|| empty(&e.name));
        vars(&o, e, out);
    }
    for o in old
        .envs
        .iter()
        .filter(|o| !new.envs.iter().any(|e| e.name == o.name))
    {
        out.push(change(
            Risk::Low,
            format!("-env set '{}'", o.name),
            format!("envs.{}: removed", o.name),
        ));
    }
}

fn reference_text(r: &Reference) -> String {
    let mut s = format!("store '{}' key {:?}", r.store, r.key);
    if let Some(f) = &r.field {
        s.push_str(&format!(" field {f:?}"));
    }
    if let Some(v) = &r.version_stage {
        s.push_str(&format!(" version_stage {v:?}"));
    }
    if let Some(v) = &r.version_id {
        s.push_str(&format!(" version_id {v:?}"));
    }
    s
}

fn literal_text(name: &str, v: &str) -> String {
    if secret_name(name) {
        "a literal (not shown)".to_string()
    } else {
        format!("{v:?}")
    }
}

fn vars(o: &EnvSet, e: &EnvSet, out: &mut Vec<Change>) {
    let set = &e.name;
    for v in &e.vars {
        let place = format!("envs.{set}.{}", v.name);
        let Some(ov) = o.vars.iter().find(|x| x.name == v.name) else {
            out.push(new_var(set, v));
            continue;
        };
        match (&ov.source, &v.source) {
            (a, b) if a == b => {}
            (Source::Literal(a), Source::Literal(b)) => {
                let values = if secret_name(&v.name) {
                    "changed".to_string()
                } else {
                    format!("{a:?} → {b:?}")
                };
                out.push(change(
                    Risk::Low,
                    format!("{} value", v.name),
                    format!("{place}: {values}"),
                ));
            }
            (Source::Literal(_), Source::From(r)) => out.push(change(
                Risk::Medium,
                format!("{} now from '{}'", v.name, r.store),
                format!("{place}: a literal → {}", reference_text(r)),
            )),
            (Source::From(r), Source::Literal(b)) => out.push(change(
                Risk::Low,
                format!("{} now a literal", v.name),
                format!(
                    "{place}: {} → {}",
                    reference_text(r),
                    literal_text(&v.name, b)
                ),
            )),
            (Source::From(a), Source::From(b)) => out.push(change(
                Risk::Medium,
                if a.store == b.store {
                    format!("{} reads another secret", v.name)
                } else {
                    format!("{} now from '{}'", v.name, b.store)
                },
                format!("{place}: {} → {}", reference_text(a), reference_text(b)),
            )),
        }
        if ov.optional != v.optional {
            out.push(change(
                Risk::Low,
                format!("{} optional", v.name),
                format!("{place}.optional: {} → {}", ov.optional, v.optional),
            ));
        }
    }
    for ov in o
        .vars
        .iter()
        .filter(|x| !e.vars.iter().any(|v| v.name == x.name))
    {
        out.push(change(
            Risk::Low,
            format!("-{}", ov.name),
            format!("envs.{set}.{}: removed", ov.name),
        ));
    }
}

fn new_var(set: &str, v: &Var) -> Change {
    let place = format!("envs.{set}.{}", v.name);
    match &v.source {
        Source::Literal(b) => change(
            Risk::Low,
            format!("+{}", v.name),
            format!("{place}: new, {}", literal_text(&v.name, b)),
        ),
        Source::From(r) => change(
            Risk::Medium,
            format!("{} now from '{}'", v.name, r.store),
            format!("{place}: new, from {}", reference_text(r)),
        ),
    }
}

/// The highest risk of a diff.
pub fn highest(changes: &[Change]) -> Option<Risk> {
    changes.iter().map(|c| c.risk).max()
}

/// One line: `high: +exec store 'op'; medium: DB_URL now from 'secrets'`,
/// at most three items per risk.
pub fn summary(changes: &[Change]) -> String {
    let mut parts = vec![];
    for risk in [Risk::High, Risk::Medium, Risk::Low] {
        let items: Vec<&str> = changes
            .iter()
            .filter(|c| c.risk == risk)
            .map(|c| c.short.as_str())
            .collect();
        if items.is_empty() {
            continue;
        }
        let mut text = items[..items.len().min(3)].join(", ");
        if items.len() > 3 {
            text.push_str(&format!(" and {} more", items.len() - 3));
        }
        parts.push(format!("{}: {text}", risk.name()));
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn parse(text: &str) -> Config {
        super::super::parse_str(Path::new("/p/.dsops.yaml"), text).unwrap()
    }

    const BASE: &str = r#"
version: 1
defaultEnv: dev
secretStores:
  sso:
    type: aws.sso
    sso_start_url: https://x.awsapps.com/start
    sso_region: us-east-1
    account_id: "111111111111"
    role_name: Dev
  secrets:
    type: aws.secretsmanager
    region: us-east-1
    credentials_from: sso
  plain:
    type: literal
    values: {LOG: debug, API_KEY: k1}
envs:
  dev:
    DB_URL: {from: {store: secrets, key: app/db}}
    MODE: fast
    API_TOKEN: t1
"#;

    #[test]
    fn reformatting_is_no_change() {
        let other = r#"
# a comment
version: "1"
envs:
  dev: {API_TOKEN: "t1", MODE: 'fast', DB_URL: {from: {key: app/db, store: secrets}}}
secretStores:
  plain: {type: literal, values: {API_KEY: "k1", LOG: debug}}
  secrets: {credentials_from: sso, region: us-east-1, type: aws.secretsmanager}
  sso: {type: aws.sso, role_name: Dev, account_id: "111111111111", sso_region: us-east-1, sso_start_url: "https://x.awsapps.com/start"}
defaultEnv: dev
"#;
        assert_eq!(diff(&parse(BASE), &parse(other)), vec![]);
    }

    #[test]
    fn risks() {
        let base = parse(BASE);
        let with = |from: &str, to: &str| {
            assert!(BASE.contains(from), "{from}");
            diff(&base, &parse(&BASE.replace(from, to)))
        };
        let d = with(
            "  plain:\n",
            "  op:\n    type: exec\n    command: [op, read]\n  plain:\n",
        );
        assert_eq!(highest(&d), Some(Risk::High));
        assert!(d[0].short.contains("+exec store 'op'") && d[0].short.contains("op read"));
        let d = with("\"111111111111\"", "\"222222222222\"");
        assert_eq!(highest(&d), Some(Risk::High));
        assert!(d[0].long.contains("111111111111") && d[0].long.contains("222222222222"));
        let d = with(
            "credentials_from: sso",
            "credentials_from: sso\n    endpoint_url: https://evil.example",
        );
        assert_eq!(highest(&d), Some(Risk::High));
        let d = with("key: app/db", "key: app/other");
        assert_eq!(highest(&d), Some(Risk::Medium));
        let d = with("MODE: fast", "MODE: slow");
        assert_eq!(highest(&d), Some(Risk::Low));
        assert!(d[0].long.contains("\"fast\" → \"slow\""), "{d:?}");
        let d = with("MODE: fast", "MODE: {from: {store: plain, key: LOG}}");
        assert_eq!(highest(&d), Some(Risk::Medium));
        assert_eq!(summary(&d), "medium: MODE now from 'plain'");
        let d = with("defaultEnv: dev", "defaultEnv: prod\n");
        assert_eq!(highest(&d), Some(Risk::Low));
        let d = with("    MODE: fast\n", "");
        assert_eq!(d[0].short, "-MODE");
        assert_eq!(d[0].risk, Risk::Low);
    }

    #[test]
    fn secret_looking_values_are_never_shown() {
        let base = parse(BASE);
        let d = diff(
            &base,
            &parse(&BASE.replace("API_TOKEN: t1", "API_TOKEN: hunter2-new")),
        );
        let d2 = diff(
            &base,
            &parse(&BASE.replace("API_KEY: k1", "API_KEY: k2-new")),
        );
        let text = format!("{d:?}{d2:?}{}", summary(&d));
        assert!(!text.contains("t1") && !text.contains("hunter2"), "{text}");
        assert!(!text.contains("k2-new"), "{text}");
        assert!(d[0].long.contains("changed"), "{d:?}");
    }
}
