//! `-h` (short) and `--help` / `help CMD` (long) text, from the table, the
//! environment table (`settings.rs`) and the exit statuses (`error.rs`).

use super::{COMMANDS, Command, FLAGS, Flag, GROUPS, TAGLINE, flags_of, group_commands};

fn flag_synopsis(f: &Flag) -> String {
    let mut s = match f.short {
        Some(c) => format!("-{c}, --{}", f.long),
        None => format!("    --{}", f.long),
    };
    if let Some(v) = f.value {
        s.push(' ');
        s.push_str(v);
    }
    s
}

fn flag_lines(out: &mut String, cmd: Option<&Command>, flags: &[&Flag], long: bool) {
    for f in flags {
        let syn = flag_synopsis(f);
        out.push_str(&format!("  {syn:<28} {}", f.help_in(cmd)));
        if long && let Some(env) = f.env {
            out.push_str(&format!(" [env: {env}]"));
        }
        out.push('\n');
    }
}

pub fn help(cmd: Option<&Command>, long: bool) -> String {
    let mut out = String::new();
    match cmd {
        None => {
            out.push_str(&format!(
                "dsops {}: {TAGLINE}\n\n",
                env!("CARGO_PKG_VERSION")
            ));
            out.push_str("Usage: dsops [OPTIONS] COMMAND [ARGS]\n\nCommands:\n");
            let width = COMMANDS
                .iter()
                .filter(|c| !c.hidden)
                .map(|c| c.name.len() + 1)
                .max()
                .unwrap_or(10);
            for c in COMMANDS.iter().filter(|c| !c.hidden) {
                out.push_str(&format!("  {:<width$} {}\n", c.name, c.summary));
            }
            out.push_str("\nOptions:\n");
            flag_lines(&mut out, None, &flags_of(None), long);
            if long {
                out.push_str("\nEnvironment:\n");
                let (own, other): (Vec<_>, Vec<_>) = environment()
                    .into_iter()
                    .partition(|(var, _)| var.starts_with("DSOPS_"));
                for (var, what) in own {
                    out.push_str(&format!("  {var:<22} {what}\n"));
                }
                let other: Vec<&str> = other.iter().map(|(var, _)| *var).collect();
                out.push_str(&format!(
                    "  Also read (see 'man dsops'): {}\n",
                    other.join(", ")
                ));
                out.push_str("\nExit status:\n");
                for e in crate::error::Exit::ALL {
                    out.push_str(&format!("  {:<3} {}\n", e.code(), e.describe()));
                }
                out.push_str("\nSee 'dsops help COMMAND' or 'man dsops' for more.\n");
            } else {
                out.push_str("\nUse --help for more, or 'dsops help COMMAND'.\n");
            }
        }
        Some(c) => {
            out.push_str(&format!(
                "dsops {}: {}\n\nUsage: dsops {} [OPTIONS]",
                c.name, c.summary, c.name
            ));
            if !c.operands.is_empty() {
                out.push(' ');
                out.push_str(c.operands);
            }
            out.push('\n');
            if long {
                out.push('\n');
                out.push_str(&c.about_text());
                out.push('\n');
            }
            out.push_str("\nOptions:\n");
            flag_lines(&mut out, Some(c), &flags_of(Some(c)), long);
            if long && !c.examples.is_empty() {
                out.push_str("\nExamples:\n");
                for (line, what) in c.examples {
                    out.push_str(&format!("  {line}\n      {what}\n"));
                }
            }
        }
    }
    out
}

/// `dsops sso`: what the group is for and its commands.
pub fn group_help(group: &str) -> String {
    let what = GROUPS
        .iter()
        .find(|(g, _)| *g == group)
        .map(|(_, w)| *w)
        .unwrap_or_default();
    let mut out =
        format!("dsops {group}: {what}\n\nUsage: dsops {group} COMMAND [OPTIONS]\n\nCommands:\n");
    for c in group_commands(group) {
        out.push_str(&format!("  {:<14} {}\n", c.name, c.summary));
    }
    out.push_str(&format!(
        "\nSee 'dsops help {group} COMMAND' or 'man dsops' for more.\n"
    ));
    out
}

/// Every environment variable with its description: `ENVIRONMENT`, then the
/// flags' variables it lacks; a variable that a flag also sets says so.
pub fn environment() -> Vec<(&'static str, String)> {
    let same_as = |var: &str| {
        FLAGS
            .iter()
            .find(|f| f.env == Some(var))
            .map(|f| format!(" (same as --{})", f.long))
            .unwrap_or_default()
    };
    let mut out: Vec<(&'static str, String)> = crate::settings::ENVIRONMENT
        .iter()
        .map(|(var, what)| (*var, format!("{what}{}", same_as(var))))
        .collect();
    for f in FLAGS {
        if let Some(var) = f.env
            && !out.iter().any(|(v, _)| *v == var)
        {
            out.push((var, format!("same as --{}: {}", f.long, f.help_text())));
        }
    }
    out
}
