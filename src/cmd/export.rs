//! `dsops export`: resolve an env set once and print it as shell lines, a
//! dotenv file or JSON. Also the env-set selection and resolution that
//! `dsops exec` shares.
//!
//! Output is built completely before anything is written, so a failure
//! leaves stdout empty: `eval "$(dsops export)"` never applies half a set.
//!
//! Quoting, per format:
//! - `shell` (bash, zsh): `export NAME='value'`, single quotes with `'`
//!   written as `'\''`; fish: `set -gx NAME 'value'` with `\\` and `\'`;
//!   elvish: `set-env NAME 'value'` with `''`; nushell, which cannot eval:
//!   a NUON record of raw strings (`NAME: r#'value'#`) for `from nuon |
//!   load-env`.
//!   A name the shell treats specially (read-only, the prompt, the hook, ...;
//!   the same per-shell lists as the hook, see `shell/reserved.rs`) is
//!   refused with a message naming it: `eval` would stop at it part-way.
//! - `dotenv`: `NAME='value'` when the value has no `'`, no carriage return,
//!   no `\\` and no final `\`; else, for a value ending in `\` without
//!   spaces, quotes, `#` or `$`, unquoted; else `NAME="value"` with `\\`,
//!   `\"`, `\n` and `\r` escapes when it has no `$` and no final `\`.
//!   python-dotenv and docker compose (compose-go) read each back exactly.
//!   Any other value has no spelling both read back the same and is refused
//!   with a message naming the variable (use `json`). python-dotenv expands
//!   `${NAME}` even in single quotes unless read with `interpolate=False`.
//! - `json`: one object, keys in the env set's order.
//! - `powershell`: `$Env:NAME = 'value'`, a verbatim string with `'` (and
//!   its typographic forms) doubled (`quote::powershell`).
//! - `windows-cmd`: `set NAME=value` as written; a value with a character
//!   cmd.exe acts on (`% ! ^ & | < > "`, a line break) is refused with a
//!   message naming the variable (`quote::windows_cmd`).
//!
//! The Windows formats take names of ASCII letters, digits and `_` only.

use super::{Ctx, Format};
use crate::error::{Error, Result};
use crate::shell::{self, Shell, reserved};

/// What to print: `--format`, with the shell for `shell`.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Output {
    Shell(Shell),
    Dotenv,
    Json,
    PowerShell,
    WindowsCmd,
}

fn shell_named(name: &str) -> Option<Shell> {
    shell::find(name).ok()
}

fn output(ctx: &Ctx) -> Result<Output> {
    let shell = ctx.args.shell.as_deref();
    match ctx.format.unwrap_or(Format::Shell) {
        Format::Shell => {
            let shell = match shell {
                Some(s) => shell_named(s).ok_or_else(|| {
                    Error::usage(format!(
                        "--shell {s}: expected {}",
                        crate::text::one_of(&shell::names())
                    ))
                })?,
                // The user's login shell when it is one we speak, else bash.
                None => crate::settings::login_shell()
                    .and_then(|s| s.rsplit('/').next().and_then(shell_named))
                    .unwrap_or(shell::SHELLS[0]),
            };
            Ok(Output::Shell(shell))
        }
        other if shell.is_some() => Err(Error::usage(format!(
            "--shell applies to --format shell, not --format {}",
            other.name()
        ))),
        Format::Dotenv => Ok(Output::Dotenv),
        Format::Json => Ok(Output::Json),
        Format::PowerShell => Ok(Output::PowerShell),
        Format::WindowsCmd => Ok(Output::WindowsCmd),
        // (The parser allows it for `sso list` only.)
        Format::Table => Err(Error::usage(
            "--format table: expected shell, dotenv, json, powershell or windows-cmd",
        )),
    }
}

pub fn run(ctx: &Ctx) -> Result<i32> {
    let output = output(ctx)?;
    let resolved = ctx.resolve_env()?;
    let text = render(output, &resolved.vars)?;
    crate::output::print(text.as_bytes()).map(|()| 0)
}

fn render(output: Output, vars: &[(String, String)]) -> Result<String> {
    let mut out = String::new();
    match output {
        Output::Shell(shell) => {
            let (open, close) = shell.plain_frame();
            out.push_str(open);
            for (k, v) in vars {
                if let Some(why) = reserved::refused(shell, k) {
                    return Err(Error::config(format!(
                        "refusing to export {k} for {}: {why}",
                        shell.name()
                    )));
                }
                let quoted = String::from_utf8_lossy(&shell.quote(v.as_bytes())).into_owned();
                out.push_str(&shell.plain_export(k, &quoted));
            }
            out.push_str(close);
        }
        Output::Dotenv => {
            for (k, v) in vars {
                out.push_str(&format!("{k}={}\n", dotenv_quote(k, v)?));
            }
        }
        Output::PowerShell | Output::WindowsCmd => {
            for (k, v) in vars {
                out.push_str(&crate::quote::windows_line(
                    output == Output::PowerShell,
                    k,
                    v,
                )?);
            }
        }
        Output::Json => {
            // serde_json's map sorts keys; the env set's order is kept by
            // writing the object by hand, each key and value JSON-encoded.
            if vars.is_empty() {
                out.push_str("{}\n");
            } else {
                out.push_str("{\n");
                for (i, (k, v)) in vars.iter().enumerate() {
                    let sep = if i + 1 < vars.len() { "," } else { "" };
                    out.push_str(&format!(
                        "  {}: {}{sep}\n",
                        serde_json::Value::from(k.as_str()),
                        serde_json::Value::from(v.as_str())
                    ));
                }
                out.push_str("}\n");
            }
        }
    }
    Ok(out)
}

/// A dotenv value that python-dotenv and docker compose both read back
/// exactly (see the module doc).
fn dotenv_quote(name: &str, v: &str) -> Result<String> {
    // Single quotes: literal in compose; python-dotenv only unescapes \\ and
    // \', and both stop at a ' (compose also at \' and a final \).
    let single_ok =
        !v.contains('\'') && !v.contains('\r') && !v.contains("\\\\") && !v.ends_with('\\');
    if single_ok {
        return Ok(format!("'{v}'"));
    }
    // python-dotenv cannot end a quoted value with a backslash (its pattern
    // takes \\" for an escaped quote); unquoted, neither reader unescapes.
    let unquoted_ok = !v.is_empty()
        && !v
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '\'' | '"' | '#' | '$' | '`'));
    if v.ends_with('\\') {
        if unquoted_ok {
            return Ok(v.to_string());
        }
    } else if !v.contains('$') {
        // Double quotes: both unescape \\ \" \n \r; compose would expand $.
        let mut s = String::with_capacity(v.len() + 2);
        s.push('"');
        for c in v.chars() {
            match c {
                '\\' => s.push_str("\\\\"),
                '"' => s.push_str("\\\""),
                '\n' => s.push_str("\\n"),
                '\r' => s.push_str("\\r"),
                c => s.push(c),
            }
        }
        s.push('"');
        return Ok(s);
    }
    Err(Error::runtime(format!(
        "{name}: its value has no dotenv spelling that both python-dotenv and docker compose read back exactly ('$' with a quote, backslashes or a carriage return, or a final backslash with spaces or quotes); use --format json or --format shell"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotenv_quoting_choices() {
        assert_eq!(
            dotenv_quote("A", "plain $HOME `x` \"q\"").unwrap(),
            "'plain $HOME `x` \"q\"'"
        );
        assert_eq!(dotenv_quote("A", "it's\n\\x").unwrap(), "\"it's\\n\\\\x\"");
        assert_eq!(dotenv_quote("A", "C:\\dir\\").unwrap(), "C:\\dir\\");
        assert!(dotenv_quote("A", "a b\\").is_err());
        assert_eq!(dotenv_quote("A", "a\\b").unwrap(), "'a\\b'");
        assert_eq!(dotenv_quote("A", "cr\r").unwrap(), "\"cr\\r\"");
        let e = dotenv_quote("SECRET_NAME", "it's $5").unwrap_err();
        assert!(e.message.starts_with("SECRET_NAME:"), "{}", e.message);
        assert!(!e.message.contains("it's $5"), "a value leaked");
    }

    #[test]
    fn shell_format_refuses_what_the_shell_reserves() {
        let vars = |k: &str| {
            vec![
                ("OK".to_string(), "1".to_string()),
                (k.to_string(), "x".to_string()),
            ]
        };
        let e = render(Output::Shell(&shell::zsh::Zsh), &vars("LINENO")).unwrap_err();
        assert_eq!(
            e.message,
            "refusing to export LINENO for zsh: reserved by zsh: read-only"
        );
        assert!(render(Output::Shell(&shell::bash::Bash), &vars("LINENO")).is_err());
        assert!(render(Output::Shell(&shell::fish::Fish), &vars("LINENO")).is_ok());
        assert!(render(Output::Shell(&shell::fish::Fish), &vars("fish_pid")).is_err());
        assert!(render(Output::Shell(&shell::bash::Bash), &vars("PROMPT_COMMAND")).is_err());
        // Not for a shell: no refusal.
        assert!(render(Output::Json, &vars("PROMPT_COMMAND")).is_ok());
    }

    #[test]
    fn windows_formats() {
        let vars = vec![
            ("A".to_string(), "it's $x 100%".to_string()),
            ("B".to_string(), "k=v w".to_string()),
        ];
        assert_eq!(
            render(Output::PowerShell, &vars).unwrap(),
            "$Env:A = 'it''s $x 100%'\n$Env:B = 'k=v w'\n"
        );
        assert_eq!(
            render(Output::WindowsCmd, &vars[1..]).unwrap(),
            "set B=k=v w\n"
        );
        let e = render(Output::WindowsCmd, &vars).unwrap_err();
        assert!(e.message.starts_with("A: "), "{}", e.message);
        let secret = vec![("S".to_string(), "p&ss%".to_string())];
        let e = render(Output::WindowsCmd, &secret).unwrap_err();
        assert!(!e.message.contains("p&ss%"), "a value leaked");
        let bad = vec![("A-B".to_string(), "1".to_string())];
        assert!(render(Output::PowerShell, &bad).is_err());
        assert!(render(Output::WindowsCmd, &bad).is_err());
    }

    #[test]
    fn json_keeps_order() {
        let vars = vec![
            ("Z".to_string(), "1".to_string()),
            ("A".to_string(), "\"\n".to_string()),
        ];
        assert_eq!(
            render(Output::Json, &vars).unwrap(),
            "{\n  \"Z\": \"1\",\n  \"A\": \"\\\"\\n\"\n}\n"
        );
        assert_eq!(render(Output::Json, &[]).unwrap(), "{}\n");
    }
}
