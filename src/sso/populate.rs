//! `dsops sso populate`: a `[profile NAME]` for every account and role of a
//! session, written into the AWS config with every other byte kept.
//!
//! The profiles dsops writes carry a marker line inside their section,
//! `# managed by dsops sso populate (sso-session NAME)`, which is how a later
//! run knows them: it rewrites them when their settings change, removes them
//! with `--prune` when their account or role is gone, and never touches a
//! section without the marker (a name that clashes with one is reported and
//! skipped). Sections are replaced as whole spans of bytes (header line to
//! the next header); everything else, comments and white space included, is
//! copied as it was. A run that changes nothing produces the same bytes and
//! does not write.
//!
//! The write happens under a lock beside the file, from a fresh read of it,
//! as an atomic replace, with the previous content then kept as
//! `<config>.dsops-backup`. A symlinked config is written through the link.
//!
//! Editors and `aws configure set` take no lock, so someone else's edit can
//! land while a run plans. Right before the rename, the file must still be
//! the one read (same inode, size and modification time, on the path and on
//! the open handle, and the same SHA-256 of its content); if not, it is read
//! and planned again ([`MAX_ATTEMPTS`] times at most). A writer that had the
//! old file open at the moment of the rename writes into the file just
//! replaced, so after a short pause ([`SETTLE`]) that file is read once
//! more through the handle: text added at its end is added at the end of
//! the new file too (as `>>` would have), any other edit is planned in and
//! written again. The backup is the replaced file as it was then (at the
//! first replace). What
//! cannot be told apart is a writer that replaces the file by rename within
//! the microseconds between the check and dsops's own rename.
//!
//! Not here: asking Identity Center (`list.rs`), or editing anything but
//! profiles this module marked.
//!
//! Longer than most files here: keeping every other byte of the user's file
//! while adding, updating and pruning sections is one careful edit, with its
//! tests.

use super::list::Assignment;
use crate::awsconfig::{IniFile, profile_of_section};
use crate::error::{Error, Result};
use crate::fsutil;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::fs::{File, Metadata};
use std::io::{Read, Seek};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Reads and plans of a file that keeps changing under a run, at most.
pub const MAX_ATTEMPTS: usize = 10;
/// From this attempt on, a file edited in place (not replaced) while a run
/// planned is written anyway, and the edit taken in after the rename.
const REPLAN_IN_PLACE: usize = 3;
/// How long writers that opened the old file just before the rename have to
/// finish, before it is looked at again.
pub const SETTLE: Duration = Duration::from_millis(20);

/// The default `--profile-name`.
pub const DEFAULT_TEMPLATE: &str = "{account_name}.{role_name}";
const FIELDS: &[&str] = &["account_name", "account_id", "role_name", "sso_session"];
const MARKER_PREFIX: &str = "# managed by dsops sso populate";

/// The marker line of profiles written for `session`.
pub fn marker(session: &str) -> String {
    format!("{MARKER_PREFIX} (sso-session {session})")
}

/// One profile to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub name: String,
    pub account_id: String,
    pub role_name: String,
    pub region: String,
    /// `--credential-process`: the `credential_process` command line, with
    /// the SSO settings under dsops's own key names
    /// ([`crate::awsconfig::OWN_KEY_PREFIX`]) so that no AWS tool takes the
    /// profile for an SSO one and reads a token file instead.
    pub credential_process: Option<String>,
}

/// What a run changes.
#[derive(Debug, Default)]
pub struct Plan {
    pub text: Vec<u8>,
    pub added: Vec<String>,
    pub updated: Vec<String>,
    pub removed: Vec<String>,
    /// One line each: names not written because of a clash.
    pub clashes: Vec<String>,
    /// A unified diff (no context lines) of the change.
    pub diff: String,
    /// Profiles this session has in the new file.
    pub total: usize,
}

/// A template's pieces checked: only known `{field}`s.
pub fn check_template(template: &str) -> Result<()> {
    render_template(template, &|_| Some(String::new())).map(|_| ())
}

fn render_template(template: &str, value: &dyn Fn(&str) -> Option<String>) -> Result<String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find(['{', '}']) {
        out.push_str(&rest[..open]);
        if rest[open..].starts_with('}') {
            return Err(Error::usage(format!(
                "--profile-name {template}: a '}}' without its '{{'"
            )));
        }
        let Some(close) = rest[open..].find('}') else {
            return Err(Error::usage(format!(
                "--profile-name {template}: a '{{' without its '}}'"
            )));
        };
        let field = &rest[open + 1..open + close];
        match value(field).filter(|_| FIELDS.contains(&field)) {
            Some(v) => out.push_str(&v),
            None => {
                return Err(Error::usage(format!(
                    "--profile-name {template}: unknown field {{{field}}} (fields: {})",
                    FIELDS
                        .iter()
                        .map(|f| format!("{{{f}}}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A profile name the AWS CLI reads back as one word in a section header:
/// ASCII letters, digits and `-_.@+`; anything else becomes `-`, repeats
/// collapse, and `-` is trimmed from both ends.
pub fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        let c = if c.is_ascii_alphanumeric() || "-_.@+".contains(c) {
            c
        } else {
            '-'
        };
        if !(c == '-' && out.ends_with('-')) {
            out.push(c);
        }
    }
    out.trim_matches('-').to_string()
}

/// The profile name of an assignment: each field normalized (so that
/// `Prod (EU)` gives `Prod-EU`, not `Prod-EU-`), then the whole.
pub fn profile_name(template: &str, a: &Assignment, session: &str) -> Result<String> {
    let raw = render_template(template, &|f| {
        Some(normalize(match f {
            "account_name" => &a.account_name,
            "account_id" => &a.account_id,
            "role_name" => &a.role_name,
            "sso_session" => session,
            _ => return None,
        }))
    })?;
    Ok(normalize(&raw))
}

fn render(p: &Profile, session: &str) -> String {
    let (prefix, process) = match &p.credential_process {
        Some(cmd) => (
            crate::awsconfig::OWN_KEY_PREFIX,
            format!("credential_process = {cmd}\n"),
        ),
        None => ("", String::new()),
    };
    format!(
        "[profile {}]\n{}\n{prefix}sso_session = {session}\n{prefix}sso_account_id = {}\n{prefix}sso_role_name = {}\nregion = {}\n{process}",
        p.name,
        marker(session),
        p.account_id,
        p.role_name,
        p.region
    )
}

/// Does a section's text carry a marker line (`Some(its session)`)?
fn managed_by(section: &[u8]) -> Option<&str> {
    section
        .split(|&b| b == b'\n')
        .filter_map(|l| std::str::from_utf8(l).ok())
        .map(str::trim)
        .find_map(|l| {
            l.strip_prefix(MARKER_PREFIX)?
                .trim()
                .strip_prefix("(sso-session ")?
                .strip_suffix(')')
        })
}

/// A span's text and the blank lines that end it.
fn split_trailing(b: &[u8]) -> (&[u8], &[u8]) {
    let mut end = b.len();
    // Back over whole blank lines: keep the content's own final newline.
    while end > 0 {
        let start = b[..end - 1]
            .iter()
            .rposition(|&c| c == b'\n')
            .map_or(0, |p| p + 1);
        let line = &b[start..end];
        if end == b.len() && !line.ends_with(b"\n") {
            // A last line without a newline: content unless blank.
            if line.iter().all(u8::is_ascii_whitespace) {
                end = start;
                continue;
            }
            break;
        }
        if line.iter().all(u8::is_ascii_whitespace) && start > 0 {
            end = start;
        } else {
            break;
        }
    }
    b.split_at(end)
}

fn line_count(b: &[u8]) -> usize {
    let n = memchr::memchr_iter(b'\n', b).count();
    n + usize::from(!b.is_empty() && !b.ends_with(b"\n"))
}

/// One hunk of a unified diff without context.
fn hunk(diff: &mut String, old_at: usize, old: &[u8], new_at: usize, new: &[u8]) {
    let (o, n) = (line_count(old), line_count(new));
    // A range of no lines names the line before it.
    let start = |at: usize, count: usize| if count == 0 { at - 1 } else { at };
    diff.push_str(&format!(
        "@@ -{},{o} +{},{n} @@\n",
        start(old_at, o),
        start(new_at, n)
    ));
    for (sign, text) in [('-', old), ('+', new)] {
        for line in String::from_utf8_lossy(text).lines() {
            diff.push(sign);
            diff.push_str(line);
            diff.push('\n');
        }
    }
}

/// The new file for `desired` profiles of `session` over `file`.
pub fn plan(file: &IniFile, session: &str, desired: Vec<Profile>, prune: bool) -> Plan {
    let old = file.bytes();
    let spans = file.spans();
    let mut plan = Plan::default();
    let mut ours: BTreeMap<String, String> = BTreeMap::new();
    let mut wanted: BTreeMap<String, Profile> = BTreeMap::new();
    // Names of profiles dsops may not touch: no marker for this session.
    let mut foreign: BTreeMap<&str, Option<&str>> = BTreeMap::new();
    for (name, range) in &spans {
        if let Some(p) = name.and_then(profile_of_section) {
            match managed_by(&old[range.clone()]) {
                Some(s) if s == session => {}
                other => {
                    foreign.insert(p, other);
                }
            }
        }
    }
    for p in desired {
        if p.name.is_empty() || p.name == "default" {
            plan.clashes.push(format!(
                "{}/{}: the profile name '{}' cannot be used; change --profile-name",
                p.account_id, p.role_name, p.name
            ));
            continue;
        }
        if let Some(by) = foreign.get(p.name.as_str()) {
            plan.clashes.push(match by {
                None => format!(
                    "[profile {}] exists and was not written by dsops sso populate: not written for {}/{} (rename yours, or change --profile-name)",
                    p.name, p.account_id, p.role_name
                ),
                Some(other) => format!(
                    "[profile {}] is managed for sso-session {other}: not written for {}/{}",
                    p.name, p.account_id, p.role_name
                ),
            });
            continue;
        }
        if let Some(first) = wanted.get(&p.name) {
            if first != &p {
                plan.clashes.push(format!(
                    "{}/{} and {}/{} both get the profile name '{}': only the first is written (add {{account_id}} to --profile-name)",
                    first.account_id, first.role_name, p.account_id, p.role_name, p.name
                ));
            }
            continue;
        }
        ours.insert(p.name.clone(), render(&p, session));
        wanted.insert(p.name.clone(), p);
    }
    let mut out: Vec<u8> = Vec::with_capacity(old.len() + ours.len() * 160);
    let mut emitted: BTreeSet<String> = BTreeSet::new();
    let (mut old_line, mut new_line) = (1usize, 1usize);
    for (name, range) in &spans {
        let bytes = &old[range.clone()];
        let mine = name
            .and_then(profile_of_section)
            .filter(|_| managed_by(bytes) == Some(session));
        let before = out.len();
        match mine {
            None => out.extend_from_slice(bytes),
            Some(p) => match ours.get(p) {
                Some(text) if !emitted.contains(p) => {
                    emitted.insert(p.to_string());
                    let (content, trailing) = split_trailing(bytes);
                    if content == text.as_bytes() {
                        out.extend_from_slice(bytes);
                    } else {
                        hunk(&mut plan.diff, old_line, content, new_line, text.as_bytes());
                        out.extend_from_slice(text.as_bytes());
                        out.extend_from_slice(trailing);
                        plan.updated.push(p.to_string());
                    }
                }
                // Gone from the session (with --prune), or a second copy.
                _ if prune || emitted.contains(p) => {
                    hunk(&mut plan.diff, old_line, bytes, new_line, b"");
                    plan.removed.push(p.to_string());
                }
                _ => out.extend_from_slice(bytes),
            },
        }
        old_line += memchr::memchr_iter(b'\n', bytes).count();
        new_line += memchr::memchr_iter(b'\n', &out[before..]).count();
    }
    for (name, text) in &ours {
        if emitted.contains(name) {
            continue;
        }
        let mut add: Vec<u8> = vec![];
        // A blank line between the file so far and each new section.
        if !out.is_empty() {
            if !out.ends_with(b"\n") {
                add.push(b'\n');
            }
            if !out.ends_with(b"\n\n") {
                add.push(b'\n');
            }
        }
        add.extend_from_slice(text.as_bytes());
        hunk(&mut plan.diff, old_line, b"", new_line, &add);
        new_line += memchr::memchr_iter(b'\n', &add).count();
        out.extend_from_slice(&add);
        plan.added.push(name.clone());
    }
    plan.total = ours.len();
    plan.text = out;
    plan
}

/// The file to write: the config itself, or what a symlink points to.
fn real_path(path: &Path) -> PathBuf {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
        }
        _ => path.to_path_buf(),
    }
}

/// Where the previous content goes.
pub fn backup_path(path: &Path) -> PathBuf {
    fsutil::with_suffix(&real_path(path), ".dsops-backup")
}

/// Plan over a fresh read of `path` and, unless `dry_run` or nothing
/// changed, write it (under the lock, atomically, then the backup), read
/// and planned again when someone else changed it meanwhile (module doc).
/// The second value says whether the file was written.
pub fn apply(
    path: &Path,
    dry_run: bool,
    plan_for: impl Fn(&IniFile) -> Plan,
) -> Result<(Plan, bool)> {
    let real = real_path(path);
    let _guard = fsutil::lock(
        &fsutil::with_suffix(&real, ".dsops-lock"),
        "waiting for another dsops sso populate writing the AWS config",
        crate::settings::limits().lock,
    )?;
    let mut seen = Seen::read(&real)?;
    // Whether a replace happened (and an edit made meanwhile is being
    // planned in).
    let mut written = false;
    for attempt in 1..=MAX_ATTEMPTS {
        let plan = plan_for(&IniFile::from_bytes(real.clone(), seen.base.clone()));
        if dry_run || digest(&plan.text) == seen.hash {
            return Ok((plan, written));
        }
        let staged = fsutil::stage(&real, &plan.text)?;
        match seen.check(&real) {
            Check::Same => {}
            // Edited where it is: planned again a few times; after that the
            // edit is taken in after the rename, from the file replaced.
            Check::EditedInPlace if attempt >= REPLAN_IN_PLACE => {}
            Check::EditedInPlace | Check::Replaced => {
                crate::settings::debug(format_args!(
                    "{} changed while it was planned: reading it again",
                    real.display()
                ));
                drop(staged);
                seen = Seen::read(&real)?;
                continue;
            }
        }
        staged.commit()?;
        std::thread::sleep(SETTLE);
        let replaced = seen.now_replaced().unwrap_or_else(|| seen.held.clone());
        // The backup is the file as the first replace found it.
        let first = !std::mem::replace(&mut written, true);
        if first && !replaced.is_empty() {
            fsutil::write_atomic(&backup_path(&real), &replaced)?;
        }
        match replaced.strip_prefix(&seen.held[..]) {
            // Untouched, or only added to at its end (`>>`, an appending
            // writer): the addition goes at the end of the new file too.
            Some(added) => {
                if !added.is_empty() {
                    crate::settings::debug(format_args!(
                        "{} was added to as it was replaced: added at the end of the new file too",
                        real.display()
                    ));
                    fsutil::append(&real, added)?;
                }
                return Ok((plan, true));
            }
            None => {
                crate::settings::debug(format_args!(
                    "{} was edited as it was replaced: planning that edit in",
                    real.display()
                ));
                seen = Seen::after_ours(&real, replaced, &plan.text)?;
            }
        }
    }
    Err(Error::runtime(format!(
        "{} kept changing while dsops sso populate wrote it ({MAX_ATTEMPTS} attempts); nothing of the other writes was lost: run it again",
        real.display()
    )))
}

fn digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Whether the AWS config is still what a run read.
enum Check {
    Same,
    /// The same file, written to.
    EditedInPlace,
    /// Another file (or none) at the path now.
    Replaced,
}

/// The AWS config as a run saw it: what to plan from, and what must still
/// be at the path for the plan to be written.
struct Seen {
    /// The text to plan from.
    base: Vec<u8>,
    /// What the file held when read (the same as `base`, except while an
    /// edit found after a replace is planned in over dsops's own file).
    held: Vec<u8>,
    /// The file at the path, open, with its metadata when read (`None`:
    /// there was no file).
    file: Option<(File, Metadata)>,
    /// The SHA-256 of what the path holds.
    hash: [u8; 32],
}

impl Seen {
    fn read(path: &Path) -> Result<Seen> {
        let file = match crate::platform::open_regular(path, true) {
            Ok(f) => Some(f),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                return Err(Error::config(format!(
                    "cannot read {}: {e}",
                    path.display()
                )));
            }
        };
        let base = match &file {
            Some((f, _)) => read_from_start(f)
                .map_err(|e| Error::config(format!("cannot read {}: {e}", path.display())))?,
            None => vec![],
        };
        Ok(Seen {
            hash: digest(&base),
            held: base.clone(),
            base,
            file,
        })
    }

    /// Is the path still the file seen (same inode), unchanged (size,
    /// modification time, on the path and on the handle, and content hash)?
    fn check(&self, path: &Path) -> Check {
        use crate::platform::{change_marks, same_file};
        match (&self.file, std::fs::metadata(path)) {
            (None, Err(e)) if e.kind() == std::io::ErrorKind::NotFound => Check::Same,
            (Some((f, was)), Ok(now)) if same_file(was, &now) => {
                let same = change_marks(was) == change_marks(&now)
                    && f.metadata()
                        .is_ok_and(|m| change_marks(&m) == change_marks(was))
                    && read_from_start(f).is_ok_and(|b| digest(&b) == self.hash);
                if same {
                    Check::Same
                } else {
                    Check::EditedInPlace
                }
            }
            _ => Check::Replaced,
        }
    }

    /// What the file this run replaced holds now, read through the handle
    /// (which writers that opened it before the rename wrote to); `None`
    /// when there was no file or it cannot be read.
    fn now_replaced(&self) -> Option<Vec<u8>> {
        let (f, _) = self.file.as_ref()?;
        read_from_start(f).ok()
    }

    /// After an edit of the replaced file that is not an addition at its
    /// end: plan from that file's text, over what this run wrote (`ours`),
    /// which must still be what the path holds. If that was changed too,
    /// the edit is kept as the backup, said, and the path read again.
    fn after_ours(path: &Path, edited: Vec<u8>, ours: &[u8]) -> Result<Seen> {
        let now = Seen::read(path)?;
        if now.hash == digest(ours) {
            return Ok(Seen {
                base: edited,
                ..now
            });
        }
        let backup = backup_path(path);
        fsutil::write_atomic(&backup, &edited)?;
        eprintln!(
            "dsops: {} was edited by two writers while dsops sso populate replaced it; the first edit is in {}",
            path.display(),
            backup.display()
        );
        Ok(now)
    }
}

/// All of `f`, from its start, within the AWS config's bound.
fn read_from_start(mut f: &File) -> std::io::Result<Vec<u8>> {
    let limit = crate::awsconfig::ini::MAX_INI_BYTES;
    f.rewind()?;
    let mut buf = vec![];
    f.take(limit + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > limit {
        return Err(std::io::Error::new(
            std::io::ErrorKind::FileTooLarge,
            format!("more than the {limit} bytes allowed"),
        ));
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> IniFile {
        IniFile::from_bytes("cfg".into(), text.as_bytes().to_vec())
    }

    fn prof(name: &str, account: &str, role: &str) -> Profile {
        Profile {
            name: name.into(),
            account_id: account.into(),
            role_name: role.into(),
            region: "eu-west-1".into(),
            credential_process: None,
        }
    }

    /// `--credential-process` writes no key an AWS tool's SSO provider
    /// reads, and switching either way rewrites the profile in place.
    #[test]
    fn credential_process_profiles_hide_the_sso_keys() {
        let user = "[sso-session corp]\nsso_start_url = https://x/start\nsso_region = us-east-1\n";
        let proc = Profile {
            credential_process: Some("dsops creds --profile a.Admin".into()),
            ..prof("a.Admin", "1", "Admin")
        };
        let p1 = plan(&file(user), "corp", vec![proc.clone()], false);
        let t1 = String::from_utf8(p1.text).unwrap();
        let section = &t1[user.len()..];
        assert!(
            section.contains("\ncredential_process = dsops creds --profile a.Admin\n")
                && section.contains("\ndsops_sso_session = corp\n")
                && section.contains("\ndsops_sso_account_id = 1\n")
                && section.contains("\ndsops_sso_role_name = Admin\n"),
            "{section}"
        );
        for k in [
            "sso_session",
            "sso_account_id",
            "sso_role_name",
            "sso_start_url",
        ] {
            assert!(!section.contains(&format!("\n{k} ")), "{k} in {section}");
        }
        // dsops reads its own keys back as the same SSO role.
        let aws = crate::awsconfig::AwsConfig::from_text("cfg".into(), &t1);
        let p = aws.sso_profile("a.Admin").unwrap();
        assert_eq!(
            (p.account_id.as_str(), p.role_name.as_str()),
            ("1", "Admin")
        );
        assert_eq!(p.session.start_url, "https://x/start");
        // Back to plain SSO profiles: updated, not added twice.
        let p2 = plan(
            &file(&t1),
            "corp",
            vec![prof("a.Admin", "1", "Admin")],
            false,
        );
        assert_eq!(p2.updated, ["a.Admin"]);
        let t2 = String::from_utf8(p2.text).unwrap();
        assert!(!t2.contains("credential_process") && t2.contains("\nsso_account_id = 1\n"));
        let p3 = plan(&file(&t2), "corp", vec![proc], false);
        assert_eq!(p3.updated, ["a.Admin"]);
        assert_eq!(String::from_utf8(p3.text).unwrap(), t1);
    }

    /// Someone else's edit made while a run plans (the plan is where it
    /// lands): by rename, then in place. The run plans again and keeps it.
    #[test]
    fn an_edit_made_while_planning_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        std::fs::write(&path, "[default]\nregion = x\n").unwrap();
        for by_rename in [true, false] {
            let calls = std::sync::atomic::AtomicUsize::new(0);
            let (_, written) = apply(&path, false, |f| {
                if calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
                    let mut text = std::fs::read(&path).unwrap();
                    text.splice(0..0, b"[profile theirs]\nregion = y\n\n".iter().copied());
                    if by_rename {
                        let tmp = path.with_extension("editor");
                        std::fs::write(&tmp, &text).unwrap();
                        std::fs::rename(&tmp, &path).unwrap();
                    } else {
                        std::fs::write(&path, &text).unwrap();
                    }
                }
                plan(
                    f,
                    "corp",
                    vec![prof(&format!("p{by_rename}"), "1", "A")],
                    false,
                )
            })
            .unwrap();
            assert!(written);
            assert_eq!(calls.into_inner(), 2, "planned again");
            let text = std::fs::read_to_string(&path).unwrap();
            assert_eq!(
                text.matches("[profile theirs]").count(),
                2 - usize::from(by_rename),
                "{text}"
            );
            assert!(text.contains(&format!("[profile p{by_rename}]")), "{text}");
            assert!(text.starts_with("[profile theirs]"), "{text}");
        }
    }

    #[test]
    fn names() {
        assert_eq!(normalize("Prod (EU) / Admin"), "Prod-EU-Admin");
        assert_eq!(normalize("  a..b  "), "a..b");
        assert!(check_template("{account_name}.{role_name}").is_ok());
        assert!(check_template("{nope}").is_err());
        assert!(check_template("{account_id").is_err());
        let a = Assignment {
            account_name: "My Prod".into(),
            account_id: "111111111111".into(),
            role_name: "Admin".into(),
            email: String::new(),
        };
        assert_eq!(
            profile_name("{sso_session}-{account_id}:{role_name}", &a, "corp").unwrap(),
            "corp-111111111111-Admin"
        );
        let eu = Assignment {
            account_name: "Prod (EU)".into(),
            ..a
        };
        assert_eq!(
            profile_name(DEFAULT_TEMPLATE, &eu, "corp").unwrap(),
            "Prod-EU.Admin"
        );
    }

    #[test]
    fn keeps_bytes_updates_prunes_and_is_idempotent() {
        let user = "# top comment\n[default]\nregion = us-east-1 ; mine\n\n[profile mine]\nregion=x\n\n[sso-session corp]\nsso_start_url = https://x/start\nsso_region = us-east-1\n";
        let want = vec![prof("a.Admin", "1", "Admin"), prof("b.Dev", "2", "Dev")];
        let p1 = plan(&file(user), "corp", want.clone(), false);
        let t1 = String::from_utf8(p1.text.clone()).unwrap();
        assert!(t1.starts_with(user), "{t1}");
        assert_eq!(p1.added, ["a.Admin", "b.Dev"]);
        let p2 = plan(&file(&t1), "corp", want.clone(), false);
        assert_eq!(p2.text, p1.text, "a second run changes nothing");
        assert!(p2.diff.is_empty() && p2.added.is_empty());
        // An update and a removal with --prune; the user's section stays.
        let p3 = plan(
            &file(&t1),
            "corp",
            vec![Profile {
                region: "us-west-2".into(),
                ..prof("a.Admin", "1", "Admin")
            }],
            true,
        );
        let t3 = String::from_utf8(p3.text).unwrap();
        assert_eq!(p3.updated, ["a.Admin"]);
        assert_eq!(p3.removed, ["b.Dev"]);
        assert!(t3.starts_with(user) && t3.contains("region = us-west-2") && !t3.contains("b.Dev"));
        assert!(p3.diff.contains("-region = eu-west-1") && p3.diff.contains("+region = us-west-2"));
        // Without --prune, a gone profile stays.
        let p4 = plan(
            &file(&t1),
            "corp",
            vec![prof("a.Admin", "1", "Admin")],
            false,
        );
        assert_eq!(p4.text, t1.as_bytes());
        // A clash with the user's profile is reported, not written.
        let p5 = plan(&file(user), "corp", vec![prof("mine", "1", "Admin")], false);
        assert_eq!(p5.text, user.as_bytes());
        assert!(
            p5.clashes[0].contains("[profile mine] exists"),
            "{:?}",
            p5.clashes
        );
        // No final newline in the file.
        let p6 = plan(&file("[default]\nregion = x"), "corp", want, false);
        assert!(
            String::from_utf8(p6.text)
                .unwrap()
                .starts_with("[default]\nregion = x\n\n[profile a.Admin]\n")
        );
    }
}
