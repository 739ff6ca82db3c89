//! The lexopt parser driven by the table: it fills [`Args`] through each
//! flag's setter, checks values against the row's allowed list, lets the
//! row's environment variable stand in for a flag not given, and suggests
//! the nearest name for an unknown command or flag.

use super::{
    Args, COMMANDS, Cmd, Command, FLAGS, Flag, GROUPS, Parsed, Set, command, flags_of, values_of,
};
use crate::error::{Error, Result};
use std::ffi::OsString;

fn suggest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> String {
    crate::suggest::did_you_mean(word, candidates)
}

/// `--format x`: one of the values the command accepts, or a usage error
/// listing them.
fn check_value(cmd: Option<&Command>, f: &Flag, v: &str, origin: &str) -> Result<()> {
    let values = values_of(cmd, f);
    if values.is_empty() || values.contains(&v) {
        return Ok(());
    }
    Err(Error::usage(format!(
        "{origin} {v}: expected {}",
        crate::text::one_of(&values)
    )))
}

fn set(args: &mut Args, f: &Flag, value: Option<String>) {
    match (f.set, value) {
        (Set::Switch(s), _) => s(args),
        (Set::Value(s), Some(v)) => s(args, v),
        _ => {}
    }
}

/// The environment standing in for flags of `cmd` not given on the line.
fn environment_fallback(args: &mut Args, given: &[&str], cmd: Option<&Command>) -> Result<()> {
    for f in flags_of(cmd) {
        let Some(var) = f.env else { continue };
        if given.contains(&f.long) {
            continue;
        }
        match f.set {
            Set::Switch(_) if crate::settings::switch(var) => set(args, f, None),
            Set::Value(_) => {
                if let Some(v) = crate::settings::var(var) {
                    check_value(cmd, f, &v, var)?;
                    if f.long == "config" {
                        args.config_from_env = true;
                    }
                    set(args, f, Some(v));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// The words that may come first: commands of one word and group names.
fn top_words() -> impl Iterator<Item = &'static str> {
    COMMANDS
        .iter()
        .filter(|c| !c.hidden && !c.name.contains(' '))
        .map(|c| c.name)
        .chain(GROUPS.iter().map(|(g, _)| *g))
}

/// After a group's word (`sso`): the command its next word names, or `None`
/// for the group's help (nothing more, or `-h`/`--help`).
fn group_command(parser: &mut lexopt::Parser, group: &str) -> Result<Option<&'static Command>> {
    use lexopt::prelude::*;
    let subs = || {
        super::group_commands(group)
            .filter_map(|c| super::split_name(c.name).map(|(_, w)| w))
            .collect::<Vec<_>>()
    };
    match parser.next().map_err(|e| Error::usage(e.to_string()))? {
        None | Some(Long("help")) | Some(Short('h')) => Ok(None),
        Some(Value(w)) => {
            let full = format!("{group} {}", w.to_string_lossy());
            command(&full).map(Some).ok_or_else(|| {
                let hint = suggest(&w.to_string_lossy(), subs().into_iter());
                Error::usage(format!(
                    "unknown command '{full}'{hint}; dsops {group} has: {}",
                    subs().join(", ")
                ))
            })
        }
        Some(_) => Err(Error::usage(format!(
            "dsops {group}: name its command first: {}",
            subs().join(", ")
        ))),
    }
}

pub fn parse(argv: impl IntoIterator<Item = OsString>) -> Result<Parsed> {
    use lexopt::prelude::*;
    let mut parser = lexopt::Parser::from_iter(argv);
    let mut cmd: Option<&'static Command> = None;
    // Flags before the command are collected and applied once it is known.
    let mut args = Args::new(Cmd::Help);
    let mut given: Vec<&'static str> = vec![];
    let mut want_help: Option<bool> = None; // Some(long?)
    while let Some(arg) = parser.next().map_err(|e| Error::usage(e.to_string()))? {
        let accepted = flags_of(cmd);
        let name_of = |c: Option<&Command>| c.map(|c| c.name).unwrap_or("");
        let found = match &arg {
            Long(name) => accepted
                .iter()
                .find(|f| f.long == *name)
                .copied()
                .ok_or_else(|| {
                    let all = accepted.iter().map(|f| f.long);
                    // Suggested as it is typed: with its dashes.
                    let hint = suggest(name, all).replacen(" '", " '--", 1);
                    let elsewhere = FLAGS
                        .iter()
                        .find(|f| f.long == *name)
                        .map(|_| format!(" (not a flag of '{}')", name_of(cmd)));
                    Error::usage(format!(
                        "unknown flag '--{name}'{}",
                        elsewhere.unwrap_or(hint)
                    ))
                })?,
            Short(c) => accepted
                .iter()
                .find(|f| f.short == Some(*c))
                .copied()
                .ok_or_else(|| Error::usage(format!("unknown flag '-{c}'")))?,
            Value(v) => {
                match cmd {
                    None => {
                        let name = v.to_string_lossy().into_owned();
                        let c = match command(&name) {
                            Some(c) => c,
                            None => match GROUPS.iter().find(|(g, _)| *g == name) {
                                Some((group, _)) => match group_command(&mut parser, group)? {
                                    Some(c) => c,
                                    None => return Ok(Parsed::GroupHelp(group)),
                                },
                                None => {
                                    let hint = suggest(&name, top_words());
                                    return Err(Error::usage(format!(
                                        "unknown command '{name}'{hint}"
                                    )));
                                }
                            },
                        };
                        cmd = Some(c);
                        args.cmd = c.cmd;
                        args.flags_first = !given.is_empty();
                    }
                    Some(c) => {
                        args.operands.push(v.clone());
                        if c.takes_command_line {
                            args.operands.extend(
                                parser.raw_args().map_err(|e| Error::usage(e.to_string()))?,
                            );
                        }
                    }
                }
                continue;
            }
        };
        match found.long {
            "help" => {
                want_help = Some(matches!(arg, Long(_)));
                continue;
            }
            "version" => return Ok(Parsed::Version),
            _ => {}
        }
        let value = if found.value.is_some() {
            let v = parser.value().map_err(|e| Error::usage(e.to_string()))?;
            let v = v.into_string().map_err(|v| {
                Error::usage(format!(
                    "--{}: value is not valid UTF-8: {}",
                    found.long,
                    v.to_string_lossy()
                ))
            })?;
            check_value(cmd, found, &v, &format!("--{}", found.long))?;
            Some(v)
        } else {
            None
        };
        set(&mut args, found, value);
        given.push(found.long);
        // `exec --env X -- CMD`: everything after `--` is the command.
        if cmd.is_some_and(|c| c.takes_command_line) && !args.operands.is_empty() {
            break;
        }
    }
    if let Some(long) = want_help {
        return Ok(Parsed::Help(cmd, long));
    }
    if args.cmd == Cmd::Help && cmd.is_some() {
        return match args.operands.first() {
            None => Ok(Parsed::Help(None, true)),
            Some(n) => {
                let mut n = n.to_string_lossy().into_owned();
                if let Some((group, _)) = GROUPS.iter().find(|(g, _)| *g == n) {
                    match args.operands.get(1) {
                        None => return Ok(Parsed::GroupHelp(group)),
                        Some(sub) => n = format!("{group} {}", sub.to_string_lossy()),
                    }
                }
                match command(&n) {
                    Some(c) => Ok(Parsed::Help(Some(c), true)),
                    None => Err(Error::usage(format!(
                        "no command '{n}'{}",
                        suggest(&n, COMMANDS.iter().map(|c| c.name))
                    ))),
                }
            }
        };
    }
    if let Some(kind) = args.generate.take() {
        return Ok(Parsed::Generate(kind));
    }
    let Some(c) = cmd else {
        return Ok(Parsed::Usage);
    };
    environment_fallback(&mut args, &given, Some(c))?;
    Ok(Parsed::Run(Box::new(args)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Parsed> {
        parse(args.iter().map(OsString::from))
    }

    #[test]
    fn suggestions() {
        let err = run(&["dsops", "cerds"]).err().unwrap();
        assert!(
            err.message.contains("did you mean 'creds'"),
            "{}",
            err.message
        );
        let err = run(&["dsops", "creds", "--stor", "x"]).err().unwrap();
        assert!(
            err.message.contains("did you mean '--store'"),
            "{}",
            err.message
        );
        assert_eq!(err.kind, crate::error::Exit::Usage);
    }

    #[test]
    fn values_and_exec_operands() {
        let Parsed::Run(a) = run(&[
            "dsops",
            "--env",
            "dev",
            "exec",
            "--",
            "sh",
            "-c",
            "echo --env",
        ])
        .unwrap() else {
            panic!()
        };
        assert_eq!(a.env.as_deref(), Some("dev"));
        assert_eq!(a.cmd, Cmd::Exec);
        assert_eq!(a.operands, vec!["sh", "-c", "echo --env"]);
        let Parsed::Run(a) = run(&["dsops", "creds", "--store=x", "--no-login"]).unwrap() else {
            panic!()
        };
        assert_eq!(a.store.as_deref(), Some("x"));
        assert!(a.no_login);
    }

    #[test]
    fn allowed_values_are_checked() {
        let e = run(&["dsops", "export", "--format", "yaml"]).err().unwrap();
        assert_eq!(e.kind, crate::error::Exit::Usage);
        assert!(
            e.message
                .contains("expected shell, dotenv, json, powershell or windows-cmd"),
            "{}",
            e.message
        );
        let e = run(&["dsops", "export", "--shell", "tcsh"]).err().unwrap();
        assert!(e.message.contains("fish, nu or elvish"), "{}", e.message);
        assert!(matches!(
            run(&["dsops", "--generate", "man"]).unwrap(),
            Parsed::Generate(k) if k == "man"
        ));
    }

    #[test]
    fn commands_of_two_words() {
        let Parsed::Run(a) = run(&["dsops", "sso", "list", "--format", "table"]).unwrap() else {
            panic!()
        };
        assert_eq!(a.cmd, Cmd::SsoList);
        assert!(matches!(
            run(&["dsops", "sso"]).unwrap(),
            Parsed::GroupHelp("sso")
        ));
        assert!(matches!(
            run(&["dsops", "sso", "-h"]).unwrap(),
            Parsed::GroupHelp("sso")
        ));
        assert!(matches!(
            run(&["dsops", "help", "sso"]).unwrap(),
            Parsed::GroupHelp("sso")
        ));
        assert!(matches!(
            run(&["dsops", "help", "sso", "populate"]).unwrap(),
            Parsed::Help(Some(c), true) if c.cmd == Cmd::SsoPopulate
        ));
        let e = run(&["dsops", "sso", "lst"]).err().unwrap();
        assert!(e.message.contains("did you mean 'list'"), "{}", e.message);
        // Values are the command's own: table for sso list, not for export.
        let e = run(&["dsops", "sso", "list", "--format", "dotenv"])
            .err()
            .unwrap();
        assert!(
            e.message.contains("expected table or json"),
            "{}",
            e.message
        );
        assert!(run(&["dsops", "export", "--format", "table"]).is_err());
        let e = run(&["dsops", "ss"]).err().unwrap();
        assert!(e.message.contains("did you mean 'sso'"), "{}", e.message);
    }
}
