//! Invariants of the command table and of what is generated from it, and the
//! check that every environment variable src/ reads is documented.

use super::*;
use std::path::{Path, PathBuf};

fn all_outputs() -> Vec<(&'static str, String)> {
    KINDS
        .iter()
        .map(|k| (*k, generate(k).expect("every kind generates")))
        .collect()
}

#[test]
fn table_invariants() {
    let mut seen: Vec<String> = vec![];
    for f in FLAGS {
        for s in spellings(f) {
            assert!(!seen.contains(&s), "flag {s} is defined twice");
            seen.push(s);
        }
        assert!(!f.long.is_empty() && !f.help.is_empty(), "--{}", f.long);
        assert!(
            f.long
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "--{}: long names are lower-case words joined by -",
            f.long
        );
        match f.value {
            Some(v) => assert!(
                !v.is_empty() && v.chars().all(|c| c.is_ascii_uppercase() || c == '_'),
                "--{}: a value name is an upper-case word, not {v:?}",
                f.long
            ),
            None => assert_eq!(
                f.complete,
                Complete::None,
                "--{} takes no value but says how to complete one",
                f.long
            ),
        }
    }
    let mut names: Vec<&str> = vec![];
    for c in COMMANDS {
        assert!(!names.contains(&c.name), "command {} twice", c.name);
        names.push(c.name);
        assert!(!c.summary.is_empty() && !c.about.is_empty(), "{}", c.name);
        let mut own: Vec<&str> = vec![];
        for f in c.flags {
            assert!(!own.contains(f), "{} lists --{f} twice", c.name);
            own.push(f);
            let flag = FLAGS.iter().find(|g| g.long == *f);
            let flag = flag.unwrap_or_else(|| panic!("{} names unknown flag --{f}", c.name));
            assert!(!flag.global, "{} lists the global --{f}", c.name);
        }
    }
    // Every flag is reachable: global, top-level or some command's own.
    for f in FLAGS {
        let used = f.global
            || top_flags().iter().any(|g| g.long == f.long)
            || COMMANDS.iter().any(|c| c.flags.contains(&f.long));
        assert!(used, "--{} is accepted nowhere", f.long);
    }
}

#[test]
fn every_completion_kind_is_handled() {
    let kinds = FLAGS
        .iter()
        .map(|f| f.complete)
        .chain(COMMANDS.iter().map(|c| c.operand_complete));
    for k in kinds {
        let handled = k == Complete::None
            || k == Complete::Path
            || names_kind(k).is_some()
            || fixed_words(k).is_some();
        assert!(handled, "{k:?} has no completion");
        if let Some(n) = names_kind(k) {
            assert!(
                crate::cmd::complete::KINDS.contains(&n),
                "dsops complete {n} does not exist"
            );
        }
    }
    // The fixed lists agree with the help that names them.
    for f in FLAGS {
        if let Some(words) = fixed_words(f.complete)
            && f.complete != Complete::Command
        {
            for w in words {
                assert!(
                    f.help_text().contains(w),
                    "--{} help does not name {w}",
                    f.long
                );
            }
        }
    }
    assert!(cli::command("complete").is_some_and(|c| c.hidden));
}

#[test]
fn every_command_and_flag_is_in_every_output() {
    let outputs = all_outputs();
    for (kind, text) in &outputs {
        for c in visible() {
            // roff writes a hyphen as `\-`; a completion script offers a
            // command of two words (`sso list`) word by word.
            let name = match *kind {
                "man" => c.name.replace('-', r"\-"),
                _ => c.name.to_string(),
            };
            let words: Vec<&str> = match *kind {
                "man" => vec![name.as_str()],
                _ => name.split(' ').collect(),
            };
            for w in words {
                assert!(text.contains(w), "{kind} lacks the command {}", c.name);
            }
            for f in command_flags(c) {
                let long = match *kind {
                    "man" => format!(r"\-\-{}", f.long.replace('-', r"\-")),
                    "complete-fish" => format!("-l {}", f.long),
                    _ => format!("--{}", f.long),
                };
                assert!(text.contains(&long), "{kind} lacks --{}", f.long);
            }
        }
        for c in COMMANDS.iter().filter(|c| c.hidden) {
            let word = |t: &str| {
                t.split(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '-'))
                    .any(|w| w == c.name)
            };
            // The hidden `complete` is also the word the scripts run.
            if c.name != "complete" {
                assert!(!word(text), "{kind} shows the hidden command {}", c.name);
            }
        }
    }
    let man = &outputs[0].1;
    for c in visible() {
        assert!(
            man.contains(&format!(".SS \"dsops {}", c.name.replace('-', r"\-"))),
            "no man entry for {}",
            c.name
        );
    }
    for e in crate::error::Exit::ALL {
        let code = e.code();
        assert!(man.contains(&format!(".B {code}\n")), "exit status {code}");
    }
    for (var, _) in environment() {
        assert!(
            man.contains(&format!(".B {}\n", var)),
            "{var} not in the man page"
        );
    }
}

#[test]
fn man_escaping() {
    assert_eq!(man::esc(".x --y ~\\"), r"\&.x \-\-y \(ti\e");
    let page = generate("man").unwrap();
    for line in page.lines() {
        assert!(!line.starts_with('\''), "{line}");
        if let Some(rest) = line.strip_prefix('.') {
            let name: String = rest.chars().take_while(|c| !c.is_whitespace()).collect();
            let known = [
                "\\\"", "TH", "SH", "SS", "PP", "TP", "B", "I", "BR", "IR", "RS", "RE", "EX", "EE",
                "SY", "YS", "br",
            ];
            assert!(known.contains(&name.as_str()), "unexpected request: {line}");
        }
    }
}

#[test]
fn unknown_kind_is_a_usage_error() {
    let e = generate("complete-tcsh").unwrap_err();
    assert_eq!(e.kind, crate::error::Exit::Usage);
    assert!(e.message.contains("complete-zsh"), "{}", e.message);
}

#[test]
fn environment_is_listed_once() {
    let env = environment();
    for (i, (a, what)) in env.iter().enumerate() {
        assert!(env[i + 1..].iter().all(|(b, _)| a != b), "{a} twice");
        assert!(!what.is_empty() && !what.contains('\n'), "{a}");
    }
    for f in FLAGS {
        if let Some(var) = f.env {
            assert!(env.iter().any(|(v, _)| *v == var), "{var}");
        }
    }
}

// --- Every environment variable src/ reads is documented. -----------------

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let p = entry.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The contents of the string literals on a line (naively: between quotes,
/// which is enough for the all-caps names looked for here).
fn literals(line: &str) -> Vec<&str> {
    line.split('"').skip(1).step_by(2).collect()
}

fn looks_like_var(s: &str) -> bool {
    s.len() >= 2
        && s.starts_with(|c: char| c.is_ascii_uppercase())
        && !s.ends_with('_')
        && s.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// Does the line call something that reads the environment
/// (`std::env::var(`, `var_os(`, a helper such as `env_on(` or `truthy(`)?
fn reads_env(line: &str) -> bool {
    let idents = line.split('(').map(|before| {
        before
            .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .next()
            .unwrap_or("")
            .to_ascii_lowercase()
    });
    let mut calls = idents.collect::<Vec<_>>();
    calls.pop(); // the text after the last '(' is not a call
    calls.iter().any(|id| {
        (id.contains("var") || id.contains("env") || id.contains("truthy"))
            && !matches!(
                id.as_str(),
                "env" | "envs" | "env_remove" | "env_clear" | "set_var" | "remove_var"
            )
    })
}

/// Names that look like variables read by dsops but are not.
const NOT_READ: &[&str] = &[];

/// Environment variables read by the code in `text`.
fn vars_read(text: &str) -> Vec<String> {
    let mut vars = vec![];
    let lines: Vec<&str> = text.lines().collect();
    for (i, raw) in lines.iter().enumerate() {
        let line = raw.trim_start();
        if line.starts_with("//") {
            continue;
        }
        // The unit tests at the end of a file may set made-up variables.
        if line.starts_with("#[cfg(test)]")
            && lines
                .get(i + 1)
                .is_some_and(|l| l.trim_start().starts_with("mod tests"))
        {
            break;
        }
        // `sdk_config!(krate, region, "SSO_OIDC")`: AWS_ENDPOINT_URL_SSO_OIDC.
        let endpoint = line.contains("sdk_config!(") || line.contains("endpoint_override(");
        let reads = reads_env(line);
        for lit in literals(line).into_iter().filter(|l| looks_like_var(l)) {
            if endpoint {
                vars.push(format!("AWS_ENDPOINT_URL_{lit}"));
            } else if reads
                || ["DSOPS_", "AWS_", "XDG_"]
                    .iter()
                    .any(|p| lit.starts_with(p))
            {
                vars.push(lit.to_string());
            }
        }
    }
    vars
}

#[test]
fn env_scanner_finds_reads() {
    let code = r#"
        let a = std::env::var("HOME_X");
        let b = env_on("SOME_FLAG") || truthy("CI");
        let c = ["DSOPS_FOO", "x"];
        let conf = sdk_config!(aws_sdk_sso, region, "SSO").build();
        cmd.env("NOT_READ_X", v);
        // std::env::var("IN_A_COMMENT")
        #[cfg(test)]
        mod tests { fn t() { std::env::var("TEST_ONLY"); } }
    "#;
    assert_eq!(
        vars_read(code),
        [
            "HOME_X",
            "SOME_FLAG",
            "CI",
            "DSOPS_FOO",
            "AWS_ENDPOINT_URL_SSO"
        ]
    );
}

#[test]
fn every_environment_variable_read_is_documented() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![];
    rust_files(&src, &mut files);
    let documented = environment();
    let mut missing = vec![];
    for file in files {
        // This module names every variable; tests.rs files are test code.
        if file.starts_with(src.join("generate")) || file.ends_with("generate.rs") {
            continue;
        }
        if file.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for var in vars_read(&text) {
            if !documented.iter().any(|(v, _)| *v == var) && !NOT_READ.contains(&var.as_str()) {
                missing.push(format!("{var} ({})", file.display()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "src/ reads environment variables the man page does not document; add them \
         to ENVIRONMENT in src/generate.rs (or, if not read, to NOT_READ in \
         src/generate/tests.rs), then run DSOPS_REGENERATE=1 cargo test --test it generate: {}",
        missing.join(", ")
    );
}
