//! The list `dsops use` and `dsops console` show when no profile or store
//! is named: the AWS config's profiles (SSO and role chains) and the user
//! config's `aws.sso` stores, each with its account, role, region and
//! whether its session is signed in and for how long. On a terminal an
//! interactive, searchable list (typed letters filter, arrows move, Enter
//! chooses, Esc or Ctrl-C cancels), drawn with ANSI sequences on `/dev/tty`
//! in raw mode (`platform::tty`) on the alternate screen, so the shell's
//! screen comes back as it was. Not on a terminal: a usage error naming
//! them all.
//!
//! Deliberately not on the path of `creds` or `hook-env`: only the two
//! commands above call it. Every name shown is escaped for the terminal.

use crate::awsconfig::AwsConfig;
use crate::cli::Named;
use crate::error::{Error, Result};
use crate::platform::tty::{self, RawTty};
use crate::source::Source;
use std::sync::Arc;

/// One row of the list.
pub struct Choice {
    pub named: Named,
    pub account: String,
    pub role: String,
    pub region: String,
    /// `signed in, 7h 59m left`, `signed out`, ...
    pub session: String,
}

impl Choice {
    fn name(&self) -> &str {
        match &self.named {
            Named::Profile(n) | Named::Store(n) => n,
        }
    }

    fn kind(&self) -> &'static str {
        match self.named {
            Named::Profile(_) => "profile",
            Named::Store(_) => "store",
        }
    }

    /// What typed letters are matched against, lowercase.
    fn haystack(&self) -> String {
        format!(
            "{} {} {} {} {}",
            self.kind(),
            self.name(),
            self.account,
            self.role,
            self.region
        )
        .to_lowercase()
    }
}

/// Whether the session under `source` is signed in, and for how long.
fn session_of(source: &Source) -> String {
    let Ok(sign_in) = source.sign_in() else {
        return "static keys".into();
    };
    let path = crate::sso::cache::token_path(&sign_in.session);
    let now = crate::timefmt::now();
    match crate::sso::cache::read_token(&path) {
        crate::rolecreds::Read::Found(t) => match t.remaining(now) {
            Some(s) if s > 0 => format!("signed in, {} left", crate::sso::validity::human(s)),
            Some(_) if t.refresh_token().is_some() => "signed in (renewable)".into(),
            _ => "signed out".into(),
        },
        _ => "signed out".into(),
    }
}

fn row(named: Named, source: &Source) -> Choice {
    let role = source.role();
    // A role ARN shows its name; the account has its own column.
    let role = role
        .rsplit_once(":role/")
        .map_or(role, |(_, r)| r)
        .to_string();
    Choice {
        named,
        account: source.account_id().to_string(),
        role,
        region: source.region().unwrap_or_default().to_string(),
        session: session_of(source),
    }
}

/// Every profile and user-config `aws.sso` store that names a role (the
/// others cannot be used and are left out).
pub fn choices() -> Result<Vec<Choice>> {
    let aws = Arc::new(AwsConfig::load()?);
    let mut out = vec![];
    for name in aws.profile_names() {
        if let Ok(source) = Source::of_profile(&aws, &name) {
            out.push(row(Named::Profile(name), &source));
        }
    }
    // A broken user config hides its stores, not the profiles.
    if let Ok(user) = crate::config::load_user() {
        for store in user.stores.values() {
            if store.kind.name() != "aws.sso" {
                continue;
            }
            if let Ok(source) = Source::of_store(&aws, store) {
                out.push(row(Named::Store(store.name.clone()), &source));
            }
        }
    }
    Ok(out)
}

/// A profile or store chosen by a person (`None`: cancelled), or on no
/// terminal a usage error listing them; `verb` names the command.
pub fn choose(verb: &str) -> Result<Option<Named>> {
    let list = choices()?;
    if !tty::interactive() {
        let names: Vec<String> = list
            .iter()
            .map(|c| match &c.named {
                Named::Profile(p) => crate::text::shown(p).into_owned(),
                Named::Store(s) => format!("--store {}", crate::text::shown(s)),
            })
            .collect();
        return Err(Error::usage(if names.is_empty() {
            format!(
                "{verb} needs a profile or --store NAME, and the AWS config and the user config name none"
            )
        } else {
            format!(
                "{verb} needs a profile or --store NAME (on a terminal it offers a list): {}",
                names.join(", ")
            )
        }));
    }
    if list.is_empty() {
        return Err(Error::usage(format!(
            "{verb}: the AWS config and the user config name no profile or aws.sso store to choose from"
        )));
    }
    let mut t = RawTty::open()
        .map_err(|e| Error::runtime(format!("cannot use the terminal ({}): {e}", tty::NAME)))?;
    let picked = run(&mut t, &list, verb);
    // Back to the shell's screen whatever happened.
    let _ = t.write(b"\x1b[?25h\x1b[?1049l");
    drop(t);
    Ok(picked
        .map_err(|e| Error::runtime(format!("the terminal ({}): {e}", tty::NAME)))?
        .map(|i| list[i].named.clone()))
}

/// What a key did.
enum Key {
    Char(char),
    Back,
    Up,
    Down,
    Enter,
    Cancel,
    Clear,
    Other,
}

fn key(t: &mut RawTty) -> std::io::Result<Key> {
    let Some(b) = t.byte(-1)? else {
        return Ok(Key::Other);
    };
    Ok(match b {
        b'\r' | b'\n' => Key::Enter,
        0x7f | 0x08 => Key::Back,
        0x03 | 0x07 => Key::Cancel,
        0x15 => Key::Clear,
        0x0e => Key::Down,
        0x10 => Key::Up,
        0x1b => {
            // Esc alone, or the start of a sequence (arrows: ESC [ A).
            match t.byte(50)? {
                None => Key::Cancel,
                Some(b'[' | b'O') => match t.byte(50)? {
                    Some(b'A') => Key::Up,
                    Some(b'B') => Key::Down,
                    _ => Key::Other,
                },
                // Esc and a key typed right after it: still Esc.
                Some(_) => Key::Cancel,
            }
        }
        b if b.is_ascii_graphic() || b == b' ' => Key::Char(b as char),
        _ => Key::Other,
    })
}

/// Cut `s` to `w` characters, padded to `w`.
fn cell(s: &str, w: usize) -> String {
    let s: String = crate::text::shown(s).chars().take(w).collect();
    format!("{s:<w$}")
}

fn run(t: &mut RawTty, list: &[Choice], verb: &str) -> std::io::Result<Option<usize>> {
    let hay: Vec<String> = list.iter().map(Choice::haystack).collect();
    let width =
        |f: fn(&Choice) -> usize, max: usize| list.iter().map(f).max().unwrap_or(0).min(max);
    let wn = width(|c| c.name().chars().count(), 32).max(4);
    let wa = width(|c| c.account.len(), 12).max(7);
    let wr = width(|c| c.role.chars().count(), 28).max(4);
    let wg = width(|c| c.region.len(), 14).max(6);
    let mut filter = String::new();
    let mut at = 0usize;
    t.write(b"\x1b[?1049h\x1b[?25l")?;
    loop {
        let terms: Vec<String> = filter
            .to_lowercase()
            .split_whitespace()
            .map(str::to_string)
            .collect();
        let shown: Vec<usize> = (0..list.len())
            .filter(|&i| terms.iter().all(|term| hay[i].contains(term.as_str())))
            .collect();
        at = at.min(shown.len().saturating_sub(1));
        let (cols, rows) = t.size();
        let room = rows.saturating_sub(3).max(1);
        let first = at.saturating_sub(room - 1);
        let mut screen = String::from("\x1b[H\x1b[2J");
        screen.push_str(&format!(
            "dsops {verb}: {}\x1b[K\r\n",
            crate::text::shown(&filter)
        ));
        let head = format!(
            "  {} {} {} {} {}",
            cell("NAME", wn),
            cell("ACCOUNT", wa),
            cell("ROLE", wr),
            cell("REGION", wg),
            "SESSION"
        );
        screen.push_str(&format!("\x1b[2m{}\x1b[0m\r\n", cut(&head, cols)));
        for (n, &i) in shown.iter().enumerate().skip(first).take(room) {
            let c = &list[i];
            let line = format!(
                "{} {} {} {} {} {}",
                if n == at { ">" } else { " " },
                cell(c.name(), wn),
                cell(&c.account, wa),
                cell(&c.role, wr),
                cell(&c.region, wg),
                crate::text::shown(&c.session)
            );
            let line = cut(&line, cols);
            if n == at {
                screen.push_str(&format!("\x1b[7m{line}\x1b[0m\r\n"));
            } else {
                screen.push_str(&format!("{line}\r\n"));
            }
        }
        if shown.is_empty() {
            screen.push_str("  (nothing matches)\r\n");
        }
        t.write(screen.as_bytes())?;
        match key(t)? {
            Key::Char(c) => {
                filter.push(c);
                at = 0;
            }
            Key::Back => {
                filter.pop();
                at = 0;
            }
            Key::Clear => {
                filter.clear();
                at = 0;
            }
            Key::Up => at = at.saturating_sub(1),
            Key::Down => at = (at + 1).min(shown.len().saturating_sub(1)),
            Key::Enter => {
                if let Some(&i) = shown.get(at) {
                    return Ok(Some(i));
                }
            }
            Key::Cancel => return Ok(None),
            Key::Other => {}
        }
    }
}

/// At most `cols` characters.
fn cut(s: &str, cols: usize) -> String {
    s.chars().take(cols.saturating_sub(1).max(1)).collect()
}
