//! Exact quoting of values for the shells (used by their `Syntax` and by
//! messages that show a command to type; elvish's and nushell's are in
//! `shell/elvish.rs` and `shell/nu.rs`, tested here with the others). Any byte string an environment
//! variable can hold (everything but NUL) survives a round trip unchanged.

/// bash and zsh: single quotes, with `'` written as `'\''`. Inside single
/// quotes nothing is special: not `$`, backquotes, `\`, `!` or newlines. Any
/// bytes (values from the environment need not be UTF-8).
pub fn posix_bytes(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() + 2);
    out.push(b'\'');
    for &b in s {
        if b == b'\'' {
            out.extend_from_slice(b"'\\''");
        } else {
            out.push(b);
        }
    }
    out.push(b'\'');
    out
}

/// fish: single quotes, where only `\\` and `\'` are escapes; fish keeps
/// bytes that are not UTF-8 as they are.
pub fn fish_bytes(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() + 2);
    out.push(b'\'');
    for &b in s {
        if b == b'\'' || b == b'\\' {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b'\'');
    out
}

/// The characters PowerShell takes as a single quote: `'` and the
/// typographic ones (U+2018 to U+201B), any of which ends a single-quoted
/// string unless doubled.
fn powershell_quote_char(c: char) -> bool {
    matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}')
}

/// PowerShell: a single-quoted (verbatim) string, in which nothing but the
/// quote characters is special (not `$`, backquotes or line breaks), and
/// each of them is written twice. `None` for a value with NUL, which no
/// environment variable can hold.
pub fn powershell(s: &str) -> Option<String> {
    if s.contains('\0') {
        return None;
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        if powershell_quote_char(c) {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
    Some(out)
}

/// The characters `set NAME=value` cannot carry as written in cmd.exe, at
/// the prompt and in a batch file alike: `%` (and `!` with delayed
/// expansion) expand variables, `^ & | < >` are operators or escapes, `"`
/// changes how they are read, and a line break, carriage return or NUL
/// ends the line.
pub const WINDOWS_CMD_REFUSED: &[char] =
    &['%', '!', '^', '&', '|', '<', '>', '"', '\r', '\n', '\0'];

/// cmd.exe: the value as written after `set NAME=`, or `None` when it has a
/// character of [`WINDOWS_CMD_REFUSED`]. Everything else, spaces and `=`
/// included, is taken literally up to the end of the line.
pub fn windows_cmd(s: &str) -> Option<&str> {
    (!s.contains(WINDOWS_CMD_REFUSED)).then_some(s)
}

/// A name that `$Env:NAME` and `set NAME=` both take as written: a letter
/// or `_`, then letters, digits and `_` (ASCII).
pub fn windows_name_ok(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// One line for PowerShell (`$Env:NAME = '...'`) or cmd.exe (`set NAME=...`),
/// or an error naming the variable (never its value). Used by `export` and `serve`.
pub fn windows_line(for_powershell: bool, name: &str, v: &str) -> crate::error::Result<String> {
    use crate::error::Error;
    let shell = if for_powershell {
        "PowerShell"
    } else {
        "cmd.exe"
    };
    if !windows_name_ok(name) {
        return Err(Error::config(format!(
            "refusing to export {name} for {shell}: only names of ASCII letters, digits and _ are written as they are"
        )));
    }
    if for_powershell {
        let q = powershell(v).ok_or_else(|| {
            Error::runtime(format!(
                "{name}: its value has a NUL character, which PowerShell cannot carry"
            ))
        })?;
        return Ok(format!("$Env:{name} = {q}\n"));
    }
    let v = windows_cmd(v).ok_or_else(|| {
        Error::runtime(format!(
            "{name}: its value has a character that cmd.exe cannot carry in 'set {name}=...' (% ! ^ & | < > \" or a line break); use --format powershell or --format json"
        ))
    })?;
    Ok(format!("set {name}={v}\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_quotes() {
        assert_eq!(powershell("it's $x `n").unwrap(), "'it''s $x `n'");
        assert_eq!(powershell("\u{2019}").unwrap(), "'\u{2019}\u{2019}'");
        assert_eq!(powershell("").unwrap(), "''");
        assert_eq!(powershell("a\0"), None);
        assert_eq!(windows_cmd("a=b c/+"), Some("a=b c/+"));
        for bad in ["50%", "a&b", "x\ny", "q\"", "^", "!v!"] {
            assert_eq!(windows_cmd(bad), None, "{bad:?}");
        }
        assert!(windows_name_ok("AWS_REGION") && windows_name_ok("_x1"));
        assert!(!windows_name_ok("1A") && !windows_name_ok("A-B") && !windows_name_ok(""));
    }

    /// PowerShell's reading of a single-quoted string, as its tokenizer
    /// does it: a quote character followed by another is one (the second),
    /// a lone one ends the string.
    fn powershell_read(q: &str) -> Option<String> {
        let mut chars = q.chars().peekable();
        if !chars.next().is_some_and(powershell_quote_char) {
            return None;
        }
        let mut out = String::new();
        while let Some(c) = chars.next() {
            if powershell_quote_char(c) {
                match chars.next() {
                    Some(d) if powershell_quote_char(d) => out.push(d),
                    // The end of the string must be the end of the text.
                    None => return Some(out),
                    Some(_) => return None,
                }
            } else {
                out.push(c);
            }
        }
        None
    }

    mod windows_props {
        use super::super::*;
        use super::powershell_read;
        use proptest::prelude::*;

        /// Strings rich in the characters the rules are about.
        fn tricky() -> impl Strategy<Value = String> {
            proptest::collection::vec(
                prop_oneof![
                    Just('\''),
                    Just('\u{2018}'),
                    Just('\u{2019}'),
                    Just('\u{201A}'),
                    Just('\u{201B}'),
                    Just('"'),
                    Just('$'),
                    Just('`'),
                    Just('%'),
                    Just('^'),
                    Just('&'),
                    Just('\n'),
                    Just('\r'),
                    Just(' '),
                    Just('='),
                    any::<char>(),
                ],
                0..40,
            )
            .prop_map(|v| v.into_iter().collect())
        }

        proptest! {
            #[test]
            fn powershell_reads_back_what_was_quoted(s in tricky()) {
                match powershell(&s) {
                    Some(q) => prop_assert_eq!(powershell_read(&q), Some(s)),
                    None => prop_assert!(s.contains('\0')),
                }
            }

            #[test]
            fn powershell_any_string(s in any::<String>()) {
                if let Some(q) = powershell(&s) {
                    prop_assert_eq!(powershell_read(&q), Some(s));
                }
            }

            #[test]
            fn windows_cmd_takes_exactly_the_safe_values(s in tricky()) {
                let safe = !s.chars().any(|c| WINDOWS_CMD_REFUSED.contains(&c));
                prop_assert_eq!(windows_cmd(&s).is_some(), safe);
                if let Some(v) = windows_cmd(&s) {
                    // `set NAME=` takes the rest of the one line literally.
                    let line = format!("set NAME={v}");
                    prop_assert_eq!(line.lines().count().max(1), 1);
                    prop_assert_eq!(line.split_once('=').map(|(_, v)| v), Some(s.as_str()));
                }
            }
        }
    }

    #[test]
    fn quotes() {
        assert_eq!(posix_bytes(b"a'b"), b"'a'\\''b'");
        assert_eq!(posix_bytes(b""), b"''");
        assert_eq!(fish_bytes(b"a'b\\c"), b"'a\\'b\\\\c'");
    }

    /// Round trips in the real shells: each case is a batch of values
    /// exported by one script, read back with `env -0`, byte for byte.
    mod real_shells {
        use super::super::*;
        use proptest::prelude::*;
        use std::process::{Command, Stdio};

        const BATCH: usize = 50;

        /// `n` cases, unless `PROPTEST_CASES` asks for a longer campaign.
        fn cases(n: u32) -> ProptestConfig {
            let mut c = ProptestConfig::default();
            if std::env::var_os("PROPTEST_CASES").is_none() {
                c.cases = n;
            }
            c
        }

        /// The program for `shell`: nushell is installed from npm into
        /// `target/it-node` (by `.ci/run`), the real binary under
        /// `@nushell/<platform>` (not the node wrapper in `.bin`).
        fn program(shell: &str) -> std::path::PathBuf {
            if shell == "nu" {
                let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("target/it-node/node_modules/@nushell");
                let found = std::fs::read_dir(dir).ok().and_then(|d| {
                    d.flatten()
                        .map(|e| e.path().join("bin/nu"))
                        .find(|p| p.is_file())
                });
                if let Some(p) = found {
                    return p;
                }
            }
            shell.into()
        }

        /// Under CI every shell must be there; elsewhere a missing one is
        /// skipped.
        fn have(shell: &str) -> bool {
            let found = Command::new(program(shell))
                .arg("-c")
                .arg("exit 0")
                .stdin(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
            assert!(found || !ci, "{shell} is required under CI");
            found
        }

        /// Bytes other than NUL, weighted towards the ones quoting cares about.
        fn value() -> impl Strategy<Value = Vec<u8>> {
            let byte = prop_oneof![
                4 => prop::sample::select(b"'\\\"$`!\n\r\t %*?[]{}()~#;&|<>=-".to_vec()),
                2 => 1u8..=127,
                2 => 128u8..=255,
            ];
            prop::collection::vec(byte, 0..40)
        }

        /// Text other than NUL (nushell's strings are UTF-8), weighted the
        /// same way, with characters of every width.
        fn text() -> impl Strategy<Value = Vec<u8>> {
            let ch = prop_oneof![
                4 => prop::sample::select(b"'\\\"$`!\n\r\t %*?[]{}()~#;&|<>=-".to_vec()).prop_map(char::from),
                2 => (1u8..=127).prop_map(char::from),
                2 => any::<char>().prop_filter("no NUL", |c| *c != '\0'),
            ];
            prop::collection::vec(ch, 0..40)
                .prop_map(|v| v.into_iter().collect::<String>().into_bytes())
        }

        fn round_trip(shell: &str, values: &[Vec<u8>]) -> Result<(), TestCaseError> {
            let dir = tempfile::tempdir().unwrap();
            let dump = dir.path().join("env");
            let mut script = Vec::new();
            if shell == "nu" {
                // What the nushell hook does with `hook-env nu`'s lines (and
                // users with `export --shell nu`): `from nuon`, `load-env`.
                let mut record = b"{\n".to_vec();
                for (i, v) in values.iter().enumerate() {
                    record.extend_from_slice(format!("QV_{i}: ").as_bytes());
                    record.extend_from_slice(&crate::shell::nu::raw_string(v));
                    record.push(b'\n');
                }
                record.extend_from_slice(b"}\n");
                let data = dir.path().join("data.nuon");
                std::fs::write(&data, &record).unwrap();
                script.extend_from_slice(
                    format!(
                        "open --raw r#'{}'# | from nuon | load-env\n^env -0 | save -f r#'{}'#\n",
                        data.display(),
                        dump.display()
                    )
                    .as_bytes(),
                );
            }
            for (i, v) in values.iter().enumerate().filter(|_| shell != "nu") {
                match shell {
                    "elvish" => {
                        script.extend_from_slice(format!("set-env QV_{i} ").as_bytes());
                        script.extend_from_slice(&crate::shell::elvish::quote(v));
                    }
                    "fish" => {
                        script.extend_from_slice(format!("set -gx QV_{i} ").as_bytes());
                        script.extend_from_slice(&fish_bytes(v));
                    }
                    _ => {
                        script.extend_from_slice(format!("export QV_{i}=").as_bytes());
                        script.extend_from_slice(&posix_bytes(v));
                    }
                }
                script.push(b'\n');
            }
            if shell != "nu" {
                script.extend_from_slice(format!("env -0 > '{}'\n", dump.display()).as_bytes());
            }
            let file = dir.path().join("script");
            std::fs::write(&file, &script).unwrap();
            let args: &[&str] = match shell {
                "bash" => &["--noprofile", "--norc"],
                "zsh" => &["-f"],
                "elvish" => &["-norc"],
                "nu" => &["--no-config-file"],
                _ => &["--no-config"],
            };
            let out = Command::new(program(shell))
                .args(args)
                .arg(&file)
                .env_clear()
                .env("PATH", std::env::var_os("PATH").unwrap_or_default())
                .env("LANG", "C.UTF-8")
                .stdin(Stdio::null())
                .output()
                .unwrap();
            prop_assert!(
                out.status.success(),
                "{}: {}",
                shell,
                String::from_utf8_lossy(&out.stderr)
            );
            let raw = std::fs::read(&dump).unwrap();
            let mut got = vec![None; values.len()];
            for entry in raw.split(|b| *b == 0) {
                let Some(rest) = entry.strip_prefix(b"QV_") else {
                    continue;
                };
                let eq = rest.iter().position(|b| *b == b'=').unwrap();
                let i: usize = std::str::from_utf8(&rest[..eq]).unwrap().parse().unwrap();
                got[i] = Some(rest[eq + 1..].to_vec());
            }
            for (i, v) in values.iter().enumerate() {
                prop_assert_eq!(got[i].as_deref(), Some(v.as_slice()), "{} QV_{}", shell, i);
            }
            Ok(())
        }

        proptest! {
            // 8 batches of 50 values per shell: 400 values, one shell
            // process per batch (`PROPTEST_CASES` batches when set).
            #![proptest_config(cases(8))]

            #[test]
            fn bash(values in prop::collection::vec(value(), BATCH)) {
                if have("bash") { round_trip("bash", &values)?; }
            }

            #[test]
            fn zsh(values in prop::collection::vec(value(), BATCH)) {
                if have("zsh") { round_trip("zsh", &values)?; }
            }

            #[test]
            fn fish(values in prop::collection::vec(value(), BATCH)) {
                if have("fish") { round_trip("fish", &values)?; }
            }

            #[test]
            fn elvish(values in prop::collection::vec(value(), BATCH)) {
                if have("elvish") { round_trip("elvish", &values)?; }
            }

            #[test]
            fn nu(values in prop::collection::vec(text(), BATCH)) {
                if have("nu") { round_trip("nu", &values)?; }
            }
        }
    }
}
