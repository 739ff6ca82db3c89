//! `dsops allow` (with `--show` and `--yes`) and `dsops deny`.

use super::Ctx;
use crate::config::diff::{self, Change, Risk};
use crate::config::trust::{self, Comparison};
use crate::config::{ConfigFile, discover};
use crate::error::{Error, Exit, Result};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

fn target(ctx: &Ctx) -> Result<PathBuf> {
    match ctx.args.operands.first() {
        Some(p) => {
            let p = discover::absolute(&PathBuf::from(p))?;
            // A directory means the config in it.
            let p = if p.is_dir() {
                discover::NAMES
                    .iter()
                    .map(|n| p.join(n))
                    .find(|c| c.is_file())
                    .ok_or_else(|| {
                        Error::config(format!(
                            "{}: no .dsops.yaml or dsops.yaml here",
                            crate::text::path(&p)
                        ))
                    })?
            } else {
                p
            };
            if !p.is_file() {
                return Err(Error::config(format!(
                    "{}: no such file",
                    crate::text::path(&p)
                )));
            }
            Ok(p)
        }
        None => discover::nearest(&discover::cwd()?).ok_or_else(|| {
            Error::config("no .dsops.yaml or dsops.yaml here or in any parent directory")
        }),
    }
}

/// The full report of `allow --show`, a line per change.
fn report(path: &Path, review: &Comparison) -> String {
    let lines = |changes: &[Change]| -> String {
        changes
            .iter()
            .map(|c| format!("  {:<6}  {}\n", c.risk.name(), c.long))
            .collect()
    };
    // The path, like every name and value in the lines, is escaped: a
    // directory name can carry terminal controls.
    let p = crate::text::path(path);
    match review {
        Comparison::Same => format!("{p}: unchanged since it was allowed\n"),
        Comparison::New(changes) => {
            format!(
                "{p}: not allowed; everything in it is new:\n{}",
                lines(changes)
            )
        }
        Comparison::Changes(changes) if changes.is_empty() => {
            format!("{p}: edited since it was allowed, but the parsed config is the same\n")
        }
        Comparison::Changes(changes) => {
            format!("{p}: changed since it was allowed:\n{}", lines(changes))
        }
        Comparison::Nothing(why) => format!(
            "{p}: changed since it was allowed; {}\n",
            crate::text::shown(why)
        ),
        Comparison::Broken(e) => format!(
            "{p}: changed since it was allowed, and {}\n",
            crate::text::shown(&e.to_string())
        ),
    }
}

/// Ask on the terminal; `true` for yes.
fn confirm(question: &str) -> bool {
    use std::io::{BufRead, Read, Write};
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    let _ = std::io::stdin().lock().take(256).read_line(&mut answer);
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

pub fn allow(ctx: &Ctx) -> Result<i32> {
    let path = target(ctx)?;
    // One read: what is shown, confirmed and recorded are the same bytes.
    let source = ConfigFile::read(&path)?;
    let review = trust::review(&path, source.text.as_bytes());
    if ctx.args.show {
        crate::output::print(report(&path, &review).as_bytes())?;
        return Ok(0);
    }
    if let Comparison::Broken(e) = review {
        return Err(e);
    }
    let changes = match &review {
        Comparison::Changes(c) | Comparison::New(c) => c.as_slice(),
        _ => &[],
    };
    let terminal = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    if terminal && !changes.is_empty() && !ctx.quiet {
        eprint!("{}", report(&path, &review));
    }
    if terminal
        && !ctx.args.yes
        && diff::highest(changes) == Some(Risk::High)
        && !confirm("dsops: trust these changes, high risk included?")
    {
        return Err(Error::new(
            Exit::Untrusted,
            format!("{}: not allowed", crate::text::path(&path)),
        ));
    }
    trust::allow(&source)?;
    if !ctx.quiet {
        eprintln!("dsops: allowed {}", crate::text::path(&path));
    }
    Ok(0)
}

pub fn deny(ctx: &Ctx) -> Result<i32> {
    let path = target(ctx)?;
    trust::deny(&path)?;
    if !ctx.quiet {
        eprintln!("dsops: denied {}", crate::text::path(&path));
    }
    Ok(0)
}
