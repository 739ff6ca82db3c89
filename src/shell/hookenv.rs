//! `dsops hook-env SHELL`: what the init code runs when the shell could not
//! tell by itself that nothing changed. It prints the lines for the shell to
//! eval, all at the very end, so an error or Ctrl-C never half applies.
//!
//! The no-change path reads `DSOPS_STATE`, walks up from the directory with
//! `stat` calls to find the nearest project config, and compares the
//! fingerprints of the few files the state lists (the config, its trust
//! record, the user config, ...). When the config, `DSOPS_ENV` and those files
//! are the same and no credential refresh is due, nothing is parsed, resolved
//! or exported: only the hook's own shell variables are printed (the state
//! does not hold the directory: moving within a project changes nothing but
//! the list of config paths the shell checks for). The prior values are not
//! read on that path either.
//!
//! Otherwise the variables dsops manages are reverted to the prior values
//! kept in the file the state names (`priors.rs`), the new set is loaded, and
//! the difference is printed. A name dsops already managed keeps its *old*
//! prior value, so leaving always restores what the user had. A failure loads
//! nothing and is recorded in the state, shown once, and not retried until
//! something it depends on changes.
//!
//! The lines are ordered for a shell that stops evaluating at a failing line
//! (zsh does, at a read-only name this run could not know about): the state
//! comes first and records every name the lines may change, so a later prompt
//! can revert whatever did get applied.
//!
//! `DSOPS_ENV` is the shell's own value, exported or not: the init code
//! passes it on the command line. Unset and empty are the same.
//!
//! Deliberately not done here: `--config`/`DSOPS_CONFIG` (the hook follows
//! the directory; they are for `export`, `exec` and `creds`), and shell
//! variables that were never exported (dsops cannot see them to restore).
//!
//! The decision is one pure value: [`transition`] computes, from the plan,
//! the old state, the user's prior values and the environment, what to set
//! and unset, what to remember and which status lines to show; [`apply`]
//! then performs it (saves the priors, makes the stamp, prints the status
//! lines, all from one place: [`status`]). The change itself is `diff.rs`,
//! the lines `emit.rs`.

use super::Shell;
use super::emit::Script;
use super::load;
use super::plan::{self, Plan, fingerprint};
use super::priors;
use super::stamp;
use super::state::{self, State};
use super::transition::{Inputs, name_list, transition};
use super::usage;
use crate::config::discover;
use crate::error::Result;
use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::path::PathBuf;
use std::time::SystemTime;

pub struct Options {
    pub shell: Shell,
    pub quiet: bool,
    pub debug: bool,
}

fn files_unchanged(files: &[(String, Option<String>)]) -> bool {
    files
        .iter()
        .all(|(p, fp)| fingerprint(&state::dec_path(p)) == *fp)
}

fn epoch(t: SystemTime) -> i64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

pub fn run(opts: &Options) -> Result<Vec<u8>> {
    run_with(opts, None)
}

/// [`run`], with what `dsops use` switches to (`None`: keep the state's).
pub fn run_with(opts: &Options, change: Option<&usage::Change>) -> Result<Vec<u8>> {
    // Before any file is read: the stamp must be older than every change
    // that this run does not see.
    let read_at = SystemTime::now();
    let now = epoch(read_at);
    let old = match State::from_env() {
        Ok(Some(s)) => s,
        Ok(None) => State::empty(),
        Err(why) => {
            status(&format!(
                "{why}; starting afresh (variables set by the last load stay)"
            ));
            State::empty()
        }
    };
    let dir = discover::cwd()?;
    let discover::Walk {
        nearest,
        absent: ancestors,
        skipped,
    } = discover::walk(&dir);
    // The shell passes its own value, exported or not; empty is unset.
    let env_var = crate::settings::env_set();
    let nearest_enc = nearest.as_deref().map(state::enc_path);

    // `dsops use` always decides again (the same name fetches afresh); the
    // project's inputs may still be the same (no "loading" line then).
    let using = match change {
        Some(c) => c.using.clone(),
        None => old.using.clone(),
    };
    // A state of the old format, or one whose lines may have stopped
    // part-way, is decided again.
    let same_inputs = old.v == state::VERSION
        && !old.partial
        && old.cfg == nearest_enc
        && (nearest.is_none() || old.env == env_var)
        && files_unchanged(&old.files);
    let refresh_due = old.refresh != 0 && now >= old.refresh;
    if opts.debug {
        eprintln!(
            "dsops: debug: hook-env: dir {}, config {}, inputs {}, refresh {}",
            crate::text::path(&dir),
            nearest
                .as_deref()
                .map(crate::text::path)
                .unwrap_or_else(|| "none".into()),
            if same_inputs { "unchanged" } else { "changed" },
            if refresh_due { "due" } else { "not due" },
        );
    }

    let (new, first, lines) = if same_inputs && !refresh_due && change.is_none() {
        let mut new = old.clone();
        keep_stamp(&old, &mut new, read_at);
        (new, None, Vec::new())
    } else {
        // The user's own values of the names dsops manages: `${VAR}` in a
        // literal value is taken from them (leaving restores them exactly,
        // and a reload does not apply a value on top of itself).
        let (priors, lost) = old_priors(&old);
        let before: load::Priors = priors
            .iter()
            .map(|(n, v)| {
                let v = v.as_ref().map(|v| v.to_string_lossy().into_owned());
                (n.clone(), v)
            })
            .collect();
        let mut plan = plan::plan(
            opts.shell,
            &dir,
            nearest.as_deref(),
            env_var.as_deref(),
            now,
            before,
        );
        for (p, why) in skipped.iter().rev() {
            plan.notices
                .insert(0, format!("skipping {}: {why}", crate::text::path(p)));
        }
        if let Some(using) = &using {
            usage::layer(
                &mut plan,
                using,
                change.and_then(|c| c.fetched.as_ref()),
                now,
            );
        }
        let env = |n: &str| std::env::var_os(n);
        let inputs = Inputs {
            opts,
            old: &old,
            priors,
            lost,
            same_inputs,
            cfg: nearest_enc,
            env_var,
            dir: dir.clone(),
            env: &env,
        };
        let a = apply(&inputs, plan, read_at);
        (a.new, a.first, a.lines)
    };

    // The order makes an eval that stops part-way (zsh stops at a line that
    // fails) safe: first the state that records every name the lines below
    // may change, with its prior, so a later prompt can revert whatever was
    // applied; then the hook's own variables; then the exports and unsets;
    // last the final state.
    let mut script = Script::new(opts.shell);
    if let Some(f) = &first {
        put_state(&mut script, f);
    }
    let stamp = new
        .stamp
        .as_deref()
        .map(state::dec_path)
        .unwrap_or_default();
    let mut watch: Vec<PathBuf> = vec![];
    let mut absent: Vec<PathBuf> = ancestors;
    for (p, fp) in &new.files {
        match fp {
            Some(_) => watch.push(state::dec_path(p)),
            None => absent.push(state::dec_path(p)),
        }
    }
    let bytes = |v: &[PathBuf]| -> Vec<Vec<u8>> {
        v.iter()
            .map(|p| p.as_os_str().as_encoded_bytes().to_vec())
            .collect()
    };
    let (watch, absent) = (bytes(&watch), bytes(&absent));
    let watch: Vec<&[u8]> = watch.iter().map(Vec::as_slice).collect();
    let absent: Vec<&[u8]> = absent.iter().map(Vec::as_slice).collect();
    script.bookkeeping(
        stamp.as_os_str().as_encoded_bytes(),
        &watch,
        &absent,
        new.refresh,
    );
    script.out.extend_from_slice(&lines);
    let changed = match &first {
        Some(f) => *f != new,
        None => new != old || (new.is_empty() && std::env::var_os(state::VAR).is_some()),
    };
    if changed {
        put_state(&mut script, &new);
    }
    Ok(script.out)
}

fn put_state(script: &mut Script, s: &State) {
    if s.is_empty() {
        script.unset(state::VAR);
    } else {
        script.export(state::VAR, s.encode().as_bytes());
    }
}

/// Nothing changed: keep the stamp (moved forward: the files were just found
/// unchanged), or make one when the state watches files and has none.
fn keep_stamp(old: &State, new: &mut State, read_at: SystemTime) {
    if new.files.is_empty() {
        if let Some(p) = &old.stamp {
            stamp::remove(&state::dec_path(p));
        }
        new.stamp = None;
        return;
    }
    let kept = old
        .stamp
        .as_deref()
        .is_some_and(|p| stamp::touch(&state::dec_path(p), read_at));
    if !kept {
        new.stamp = stamp::create(read_at).as_deref().map(state::enc_path);
    }
}

/// One status line on stderr: `dsops: ...`, escaped for the terminal (names,
/// paths and messages come from project files and directory names).
fn status(line: &str) {
    eprintln!("dsops: {}", crate::text::shown(line));
}

/// The prior value of each name the old state manages (`None`: it was
/// unset), and a message when they could not be had: then every name counts
/// as unset, and is unset instead of restored.
fn old_priors(old: &State) -> (HashMap<String, Option<OsString>>, Option<String>) {
    if let Some(inline) = old.inline_priors() {
        return (inline.into_iter().collect(), None);
    }
    let mut map: HashMap<String, Option<OsString>> =
        old.names.iter().map(|n| (n.clone(), None)).collect();
    let Some(file) = old.priors.as_ref().filter(|_| !old.names.is_empty()) else {
        return (map, None);
    };
    match priors::load(file) {
        Ok(p) => {
            for (n, v) in p {
                if let Some(slot) = map.get_mut(&n) {
                    *slot = Some(crate::platform::os_from_bytes(v));
                }
            }
            (map, None)
        }
        Err(why) => {
            let names: Vec<&str> = old.names.iter().map(String::as_str).collect();
            let msg = format!(
                "cannot restore the values that {} had before the project was loaded ({why}); they are unset instead",
                name_list(&names)
            );
            (map, Some(msg))
        }
    }
}

/// What [`apply`] gives back to [`run`].
struct Applied {
    /// The state after the lines.
    new: State,
    /// The state to write before the lines, when there are any.
    first: Option<State>,
    /// The exports and unsets.
    lines: Vec<u8>,
}

/// Decide ([`transition`]), then perform: save the prior values, make the
/// stamp, print the status lines; return the states and the lines.
fn apply(i: &Inputs, mut plan: Plan, read_at: SystemTime) -> Applied {
    let mut t = transition(i, &mut plan);
    if !t.keep.is_empty() {
        match priors::save(&t.keep) {
            Ok(name) => t.new.priors = Some(name),
            Err(e) => {
                let had: Vec<&str> = t.keep.iter().map(|(n, _)| n.as_str()).collect();
                plan.fail(format!(
                    "not loaded: {}: cannot keep the current values of {} for restoring them later: {e}",
                    plan.set.clone().unwrap_or_default(),
                    name_list(&had)
                ));
                // A failed plan manages no names: nothing more to save.
                t = transition(i, &mut plan);
            }
        }
    }
    let mut new = t.new;

    // The stamp: a fresh one for this load; the old one is no longer needed.
    if let Some(p) = &i.old.stamp {
        stamp::remove(&state::dec_path(p));
    }
    new.stamp = if new.files.is_empty() {
        None
    } else {
        stamp::create(read_at).as_deref().map(state::enc_path)
    };

    let mut body = Script::new(i.opts.shell);
    for (name, target) in &t.set {
        match target {
            Some(v) => body.export(name, OsStr::as_encoded_bytes(v)),
            None => body.unset(name),
        }
    }
    // Before the lines: the new state, but managing every name they touch,
    // marked partial; when it cannot be kept (a full disk), the final state
    // goes first.
    let first = (!body.out.is_empty()).then(|| {
        let partial = || {
            let mut f = new.clone();
            f.partial = true;
            f.names = t.touched.clone();
            f.priors = if t.touched_keep == t.keep {
                new.priors.clone()
            } else if t.touched_keep.is_empty() {
                None
            } else {
                Some(priors::save(&t.touched_keep).ok()?)
            };
            (f.encode().len() <= state::MAX_LEN).then_some(f)
        };
        partial().unwrap_or_else(|| new.clone())
    });

    for line in &t.status {
        status(line);
    }
    Applied {
        new,
        first,
        lines: body.out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walk_finds_the_nearest_regular_file() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        std::fs::create_dir_all(root.join("a/b/c")).unwrap();
        std::fs::write(root.join("a/dsops.yaml"), "").unwrap();
        let w = discover::walk(&root.join("a/b/c"));
        assert_eq!(w.nearest, discover::nearest(&root.join("a/b/c")));
        assert_eq!(w.nearest.unwrap(), root.join("a/dsops.yaml"));
        assert_eq!(
            w.absent,
            vec![
                root.join("a/b/c/.dsops.yaml"),
                root.join("a/b/c/dsops.yaml"),
                root.join("a/b/.dsops.yaml"),
                root.join("a/b/dsops.yaml"),
                root.join("a/.dsops.yaml"),
            ]
        );
        // A directory with a config's name is not a config: skipped, said.
        std::fs::create_dir(root.join("a/b/.dsops.yaml")).unwrap();
        let w = discover::walk(&root.join("a/b/c"));
        assert_eq!(w.nearest.unwrap(), root.join("a/dsops.yaml"));
        assert_eq!(w.skipped.len(), 1);
        assert!(w.skipped[0].1.contains("directory"));
    }
}
