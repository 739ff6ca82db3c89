//! The hook's decision as one pure value: from the plan, the old state,
//! the user's prior values and the environment, what to set and unset, what
//! to remember and which status lines to show ([`transition`]). No I/O here:
//! `hookenv.rs` reads the inputs and performs the result (saves the priors,
//! makes the stamp, prints the status lines); the change itself is
//! `diff.rs`. Status lines are bounded: a set of thousands of variables
//! says how many changed.

use super::diff;
use super::hookenv::Options;
use super::plan::{self, Plan, fingerprint_bytes, refuse_name};
use super::priors::{self, Priors};
use super::state::{self, State};
use std::collections::HashMap;
use std::ffi::OsString;
use std::path::PathBuf;

/// At most this many denied configs are remembered as already named.
const MAX_TOLD: usize = 32;

/// The short fingerprint by which the state remembers a denied config.
fn told_key(cfg: &str) -> String {
    let mut k = fingerprint_bytes(cfg.as_bytes());
    k.truncate(16);
    k
}

/// A status line bigger than this is cut, with a count of what is left.
pub const MAX_STATUS: usize = 400;

/// `+A +B ~C`, at most [`MAX_STATUS`] bytes: a 5,000-variable set says how
/// many it changed instead of printing every name.
pub fn marks_line(marks: &[String]) -> String {
    let mut line = String::new();
    for (i, m) in marks.iter().enumerate() {
        if line.len() + 1 + m.len() > MAX_STATUS {
            let count = |c: char| marks.iter().filter(|m| m.starts_with(c)).count();
            line.push_str(&format!(
                " and {} more ({} variables: {} new, {} changed, {} restored)",
                marks.len() - i,
                marks.len(),
                count('+'),
                count('~'),
                count('-')
            ));
            break;
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(m);
    }
    line
}

/// "A, B, C, D, E and 7 more".
pub fn name_list(names: &[&str]) -> String {
    const SHOWN: usize = 5;
    let mut s = names
        .iter()
        .take(SHOWN)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        s.push_str(&format!(" and {} more", names.len() - SHOWN));
    }
    s
}

/// What a load decides, before any effect: from the plan, the old state,
/// the user's prior values and the environment. [`apply`] performs it.
#[derive(Debug, Default)]
pub struct Transition {
    /// The state after the lines, without its priors file and stamp (the
    /// effects make those).
    pub new: State,
    /// The prior values the new state must remember (saved to a file).
    pub keep: Priors,
    /// Every name the lines touch (the old names too, until they are
    /// restored), and their prior values: the state written before the
    /// lines manages them all.
    pub touched: Vec<String>,
    pub touched_keep: Priors,
    /// The variables to set (`None`: unset), in order.
    pub set: Vec<(String, Option<OsString>)>,
    /// The status lines, in order (printed by [`status`]).
    pub status: Vec<String>,
}

/// What a transition is computed from, besides the plan.
pub struct Inputs<'a> {
    pub opts: &'a Options,
    pub old: &'a State,
    /// The prior value of each name the old state manages, and why they
    /// could not be had, if they could not.
    pub priors: HashMap<String, Option<OsString>>,
    pub lost: Option<String>,
    /// The config files, `DSOPS_ENV` and the clock alone moved?
    pub same_inputs: bool,
    pub cfg: Option<String>,
    pub env_var: Option<String>,
    pub dir: PathBuf,
    /// The environment now.
    pub env: &'a dyn Fn(&str) -> Option<OsString>,
}

impl Inputs<'_> {
    /// What the user had before dsops changed anything.
    fn baseline(&self, name: &str) -> Option<OsString> {
        match self.priors.get(name) {
            Some(p) => p.clone(),
            None => (self.env)(name),
        }
    }

    /// The prior values of `names` that had one, in name order: the same
    /// priors make the same file.
    fn keep(&self, names: &[String]) -> Priors {
        let mut p: Priors = names
            .iter()
            .filter_map(|n| {
                self.baseline(n)
                    .map(|v| (n.clone(), v.into_encoded_bytes()))
            })
            .collect();
        p.sort();
        p
    }
}

/// Why a plan that loads cannot be remembered (a pure check: the state's
/// size, the priors' size).
fn too_big(new: &State, keep: &Priors, set: &str) -> Option<String> {
    if new.encode().len() > state::MAX_LEN {
        return Some(format!(
            "not loaded: {set}: its {} variables are too many to remember in {} (at most {} KiB)",
            new.names.len(),
            state::VAR,
            state::MAX_LEN / 1024
        ));
    }
    if priors::size(keep) > priors::MAX_BYTES {
        // Name the values that are the problem, the largest first.
        let mut big: Vec<(&str, usize)> = keep.iter().map(|(n, v)| (n.as_str(), v.len())).collect();
        big.sort_by_key(|b| std::cmp::Reverse(b.1));
        let big: Vec<&str> = big.into_iter().map(|(n, _)| n).collect();
        return Some(format!(
            "not loaded: {set}: the current values of {} are too large to remember for restoring them later ({} KiB; at most {} KiB)",
            name_list(&big),
            priors::size(keep) / 1024,
            priors::MAX_BYTES / 1024
        ));
    }
    None
}

/// The pure decision: revert what the old state exported, apply `plan`
/// (failed here when it cannot be remembered), and the status lines.
pub fn transition(i: &Inputs, plan: &mut Plan) -> Transition {
    let state_of = |plan: &Plan| State {
        v: state::VERSION,
        cfg: i.cfg.clone(),
        env: i.env_var.clone(),
        set: plan.set.clone(),
        refresh: plan.refresh,
        files: plan
            .files
            .iter()
            .map(|(p, fp)| (state::enc_path(p), fp.clone()))
            .collect(),
        names: plan.vars.iter().map(|(n, _)| n.clone()).collect(),
        note: (!plan.notices.is_empty())
            .then(|| fingerprint_bytes(plan.notices.join("\n").as_bytes())),
        using: plan.using.clone(),
        ..Default::default()
    };
    let mut new = state_of(plan);
    // A denied config is named once per shell: then silence.
    let denied_key = plan
        .denied
        .then_some(i.cfg.as_deref())
        .flatten()
        .map(told_key);
    let already_told = denied_key.as_ref().is_some_and(|k| i.old.told.contains(k));
    let mut told = i.old.told.clone();
    if let Some(k) = denied_key.filter(|_| !already_told) {
        told.push(k);
        let extra = told.len().saturating_sub(MAX_TOLD);
        told.drain(..extra);
    }
    new.told = told.clone();
    let mut keep = i.keep(&new.names);
    if let Some(problem) = plan
        .set
        .as_deref()
        .filter(|_| !new.names.is_empty())
        .and_then(|set| too_big(&new, &keep, set))
    {
        plan.fail(problem);
        new = state_of(plan);
        new.told = told;
        keep.clear();
    }

    // The lines for the shell: every name dsops managed or will manage whose
    // value must change (names from the old state are user input too).
    let changes = diff::changes(&i.old.names, &i.priors, &plan.vars, i.env, |n| {
        refuse_name(i.opts.shell, n).is_some() && !super::usage::OWN.contains(&n)
    });
    let touched_keep = i.keep(&changes.names);

    let mut status: Vec<String> = i.lost.iter().cloned().collect();
    if new.note.is_some() && new.note != i.old.note && !already_told {
        status.extend(plan.notices.iter().cloned());
    }
    if !i.opts.quiet {
        if i.old.set.is_some() && new.set.is_none() {
            status.push("unloading".into());
        }
        // A reload for the clock alone (credentials) is not news.
        if let (Some(set), Some(cfg)) = (&new.set, &new.cfg)
            && (!i.same_inputs || i.old.set != new.set)
        {
            let shown = plan::display(&i.dir, &state::dec_path(cfg));
            status.push(format!("loading {shown} (env {set})"));
        }
        if !changes.marks.is_empty() {
            status.push(marks_line(&changes.marks));
        }
    }
    Transition {
        new,
        keep,
        touched: changes.names,
        touched_keep,
        set: changes.set,
        status,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The decision alone, on plain values: entering sets the plan's
    /// variables and says so; leaving restores the user's value and says
    /// "unloading"; quiet keeps only notices.
    #[test]
    fn transition_is_a_pure_value() {
        fn env_before(n: &str) -> Option<OsString> {
            (n == "SHADOW").then(|| "user".into())
        }
        fn env_after(n: &str) -> Option<OsString> {
            match n {
                "SHADOW" => Some("dsops".into()),
                "A" => Some("1".into()),
                _ => None,
            }
        }
        let opts = Options {
            shell: &crate::shell::bash::Bash,
            quiet: false,
            debug: false,
        };
        let empty = State::empty();
        let inputs = |old: &'static State,
                      priors: HashMap<String, Option<OsString>>,
                      env: &'static dyn Fn(&str) -> Option<OsString>| Inputs {
            opts: &opts,
            old,
            priors,
            lost: None,
            same_inputs: false,
            cfg: Some(state::enc_path(std::path::Path::new("/p/.dsops.yaml"))),
            env_var: None,
            dir: PathBuf::from("/p"),
            env,
        };
        let old: &'static State = Box::leak(Box::new(empty));
        let mut plan = Plan {
            set: Some("dev".into()),
            vars: vec![("A".into(), "1".into()), ("SHADOW".into(), "dsops".into())],
            ..Default::default()
        };
        let t = transition(&inputs(old, HashMap::new(), &env_before), &mut plan);
        assert_eq!(t.new.names, ["A", "SHADOW"]);
        assert_eq!(t.keep, vec![("SHADOW".to_string(), b"user".to_vec())]);
        assert_eq!(
            t.set,
            [
                ("A".into(), Some(OsString::from("1"))),
                ("SHADOW".into(), Some(OsString::from("dsops")))
            ]
        );
        assert_eq!(t.status, ["loading .dsops.yaml (env dev)", "+A ~SHADOW"]);

        let loaded: &'static State = Box::leak(Box::new(State {
            set: Some("dev".into()),
            names: vec!["SHADOW".into()],
            ..t.new
        }));
        let priors: HashMap<String, Option<OsString>> =
            [("SHADOW".into(), Some(OsString::from("user")))].into();
        let mut nothing = Plan::default();
        nothing.fail("gone".into());
        let t = transition(&inputs(loaded, priors, &env_after), &mut nothing);
        assert_eq!(t.set, [("SHADOW".into(), Some(OsString::from("user")))]);
        assert_eq!(t.status, ["gone", "unloading", "-SHADOW"]);
        assert!(t.keep.is_empty() && t.new.names.is_empty());
    }

    #[test]
    fn status_lines_are_bounded() {
        let marks: Vec<String> = (0..5000).map(|i| format!("+V{i}")).collect();
        let line = marks_line(&marks);
        assert!(line.len() < MAX_STATUS + 100, "{}", line.len());
        assert!(
            line.ends_with("(5000 variables: 5000 new, 0 changed, 0 restored)"),
            "{line}"
        );
        assert_eq!(marks_line(&marks[..2]), "+V0 +V1");
    }
}
