//! The change a load makes, as a pure function: from the names the last
//! load managed (with the user's prior values), the names and values of
//! the new plan, and the current environment, to the variables to set or
//! unset and the `+A -B ~C` marks of the status line. Printing it is
//! `emit.rs`'s; nothing here touches the process environment (the caller
//! passes a lookup), so it is tested on plain maps.

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;

/// What to do to the shell, in order.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// Every name the last load managed or this one manages, old first.
    pub names: Vec<String>,
    /// A name and its new value (`None`: unset), for each that must change.
    pub set: Vec<(String, Option<OsString>)>,
    /// `+NAME` (newly set), `-NAME` (restored), `~NAME` (changed, or an
    /// existing value overridden).
    pub marks: Vec<String>,
}

/// `old_names` with their `priors` (what the user had before dsops;
/// `None`: unset) are restored unless the plan sets them; the plan's `vars`
/// are set. `current` is the environment now; `refused` names (from the old
/// state, which is user input too) are never set or unset.
pub fn changes(
    old_names: &[String],
    priors: &HashMap<String, Option<OsString>>,
    vars: &[(String, String)],
    current: impl Fn(&str) -> Option<OsString>,
    refused: impl Fn(&str) -> bool,
) -> Changes {
    let targets: HashMap<&str, &str> = vars.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let mut names: Vec<&str> = old_names.iter().map(String::as_str).collect();
    let mut seen: HashSet<&str> = names.iter().copied().collect();
    for (n, _) in vars {
        if seen.insert(n) {
            names.push(n);
        }
    }
    let mut out = Changes {
        names: names.iter().map(|n| n.to_string()).collect(),
        ..Default::default()
    };
    for &name in &names {
        let now = current(name);
        let target: Option<OsString> = match targets.get(name) {
            Some(v) => Some(OsString::from(v)),
            // What the user had before dsops changed anything.
            None => match priors.get(name) {
                Some(p) => p.clone(),
                None => now.clone(),
            },
        };
        let was_managed = priors.contains_key(name);
        let will_manage = targets.contains_key(name);
        match (was_managed, will_manage) {
            // Overriding a value the shell already had is a change (as
            // direnv marks it), not something new.
            (false, true) if now.is_some() => out.marks.push(format!("~{name}")),
            (false, true) => out.marks.push(format!("+{name}")),
            (true, false) => out.marks.push(format!("-{name}")),
            _ if target != now => out.marks.push(format!("~{name}")),
            _ => {}
        }
        if target != now && !refused(name) {
            out.set.push((name.to_string(), target));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(s: &str) -> Option<OsString> {
        Some(OsString::from(s))
    }

    #[test]
    fn enter_switch_and_leave() {
        let env: HashMap<&str, &str> = [("KEEP", "mine"), ("SHADOW", "user")].into();
        let current = |n: &str| env.get(n).map(OsString::from);
        let none = |_: &str| false;
        // Entering: two new names, one shadowing a value of the user's.
        let c = changes(
            &[],
            &HashMap::new(),
            &[("A".into(), "1".into()), ("SHADOW".into(), "dsops".into())],
            current,
            none,
        );
        assert_eq!(c.marks, ["+A", "~SHADOW"]);
        assert_eq!(
            c.set,
            [("A".into(), os("1")), ("SHADOW".into(), os("dsops"))]
        );

        // Switching: A goes (it was unset before), B comes, SHADOW stays.
        let now: HashMap<&str, &str> = [("A", "1"), ("SHADOW", "dsops"), ("KEEP", "mine")].into();
        let priors: HashMap<String, Option<OsString>> =
            [("A".into(), None), ("SHADOW".into(), os("user"))].into();
        let c = changes(
            &["A".into(), "SHADOW".into()],
            &priors,
            &[("SHADOW".into(), "dsops".into()), ("B".into(), "2".into())],
            |n| now.get(n).map(OsString::from),
            none,
        );
        assert_eq!(c.marks, ["-A", "+B"]);
        assert_eq!(c.set, [("A".into(), None), ("B".into(), os("2"))]);
        assert_eq!(c.names, ["A", "SHADOW", "B"]);

        // Leaving: the user's value comes back exactly.
        let c = changes(
            &["SHADOW".into()],
            &priors,
            &[],
            |n| now.get(n).map(OsString::from),
            none,
        );
        assert_eq!(c.set, [("SHADOW".into(), os("user"))]);
        assert_eq!(c.marks, ["-SHADOW"]);
    }

    #[test]
    fn refused_names_are_never_touched() {
        let priors: HashMap<String, Option<OsString>> = [("PS1".into(), None)].into();
        let c = changes(&["PS1".into()], &priors, &[], |_| os("x"), |n| n == "PS1");
        assert!(c.set.is_empty());
    }
}
