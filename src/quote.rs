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

#[cfg(test)]
mod tests {
    use super::*;

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
