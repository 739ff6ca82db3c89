//! The man page and the shell completions: the committed files are what
//! `dsops --generate` prints (`DSOPS_REGENERATE=1 cargo test --test it
//! generate` rewrites them), every command of `--help` is in each of them,
//! `mandoc -Tlint` accepts the page, and each completion script, loaded in a
//! clean real shell, completes commands and the store names of a config.

use crate::support::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const GENERATED: &[(&str, &str)] = &[
    ("man", "man/dsops.1"),
    ("complete-bash", "completions/dsops.bash"),
    ("complete-zsh", "completions/_dsops"),
    ("complete-fish", "completions/dsops.fish"),
];

fn generate(sb: &Sandbox, kind: &str) -> String {
    let out = sb.cmd().args(["--generate", kind]).output().unwrap();
    assert!(
        out.status.success(),
        "--generate {kind}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn committed_files_are_the_generated_ones() {
    let sb = Sandbox::new();
    let regenerate = std::env::var("DSOPS_REGENERATE").is_ok_and(|v| v == "1");
    let mut stale = vec![];
    for (kind, rel) in GENERATED {
        let text = generate(&sb, kind);
        let path = repo().join(rel);
        if regenerate {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &text).unwrap();
            eprintln!("wrote {rel}");
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            stale.push(*rel);
        }
    }
    assert!(
        stale.is_empty(),
        "{} differ from `dsops --generate`; the command table changed. Run \
         DSOPS_REGENERATE=1 cargo test --test it generate and commit the result",
        stale.join(", ")
    );
}

#[test]
fn unknown_kind_is_a_usage_error() {
    let sb = Sandbox::new();
    let out = sb
        .cmd()
        .args(["--generate", "complete-tcsh"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("complete-bash"));
}

/// The commands `dsops --help` lists.
fn help_commands(sb: &Sandbox) -> Vec<String> {
    let out = sb.cmd().arg("--help").output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    let section = help
        .split("Commands:\n")
        .nth(1)
        .expect("--help has a Commands section");
    let names: Vec<String> = section
        .lines()
        .take_while(|l| l.starts_with("  "))
        // A name may be two words (`sso list`); two spaces end it.
        .filter_map(|l| l.trim_start().split("  ").next())
        .map(str::to_string)
        .collect();
    assert!(names.len() >= 8, "{help}");
    names
}

#[test]
fn every_help_command_is_in_the_man_page_and_completions() {
    let sb = Sandbox::new();
    let man = generate(&sb, "man");
    let bash = generate(&sb, "complete-bash");
    let zsh = generate(&sb, "complete-zsh");
    let fish = generate(&sb, "complete-fish");
    let bash_commands = bash
        .lines()
        .find(|l| l.trim_start().starts_with("'') _dsops_words '") && !l.contains("--"))
        .expect("bash lists the commands");
    for name in help_commands(&sb) {
        // roff writes a hyphen as `\-`.
        let roff = name.replace('-', r"\-");
        assert!(
            man.contains(&format!(".SS \"dsops {roff}")),
            "no man entry for {name}"
        );
        assert!(
            man.contains(&format!(".SY \"dsops {roff}\"")),
            "{name} not in the synopsis"
        );
        // A command of two words: its group is completed first, then its own
        // word after the group's.
        let (first, own) = name.split_once(' ').unwrap_or((name.as_str(), ""));
        assert!(
            bash_commands.split(['\'', ' ']).any(|w| w == first),
            "bash does not complete {first}: {bash_commands}"
        );
        assert!(
            zsh.contains(&format!("        '{first}:")),
            "zsh does not complete {first}"
        );
        assert!(
            fish.contains(&format!("-n __dsops_no_command -a {first} ")),
            "fish does not complete {first}"
        );
        if !own.is_empty() {
            let arm = bash
                .lines()
                .find(|l| {
                    l.trim_start()
                        .starts_with(&format!("{first}) if ((npos == 0))"))
                })
                .unwrap_or_else(|| panic!("bash has no arm for {first}"));
            assert!(
                arm.split(['\'', ' ']).any(|w| w == own),
                "bash: {own} of {first}"
            );
            assert!(
                zsh.contains(&format!("'{own}:")),
                "zsh does not complete {name}"
            );
            assert!(
                fish.contains(&format!("-n '__dsops_operand_of {first}' -a {own} ")),
                "fish does not complete {name}"
            );
        }
        // Each command's own options are in its help, the page and the scripts.
        let out = sb.cmd().args(["help", &name]).output().unwrap();
        let help = String::from_utf8(out.stdout).unwrap();
        let options = help.split("Options:\n").nth(1).expect("an Options section");
        for line in options.lines().filter(|l| l.trim_start().starts_with('-')) {
            let flag = line
                .split_whitespace()
                .find(|w| w.starts_with("--"))
                .expect("a long name")
                .trim_end_matches(',');
            let long = &flag[2..];
            assert!(
                man.contains(&format!(r"\-\-{}", long.replace('-', r"\-"))),
                "{flag} of {name} not in the man page"
            );
            assert!(bash.contains(flag), "{flag} not in bash");
            assert!(zsh.contains(flag), "{flag} not in zsh");
            assert!(fish.contains(&format!("-l {long}")), "{flag} not in fish");
        }
    }
}

#[test]
fn man_page_passes_mandoc_lint() {
    if !require_tool("mandoc") {
        return;
    }
    let sb = Sandbox::new();
    let page = sb.write("dsops.1", &generate(&sb, "man"));
    let out = Command::new("mandoc")
        .args(["-Tlint", "-Wall"])
        .arg(&page)
        .output()
        .unwrap();
    let msgs = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success() && msgs.is_empty(), "{msgs}");
    // The page renders, with the sections the issue asks for.
    let out = Command::new("mandoc")
        .args(["-Tascii"])
        .arg(&page)
        .output()
        .unwrap();
    // Drop the overstrike (X, backspace, X) that marks bold.
    let mut text = String::new();
    for ch in String::from_utf8_lossy(&out.stdout).chars() {
        if ch == '\u{8}' {
            text.pop();
        } else {
            text.push(ch);
        }
    }
    for section in [
        "NAME",
        "SYNOPSIS",
        "DESCRIPTION",
        "COMMANDS",
        "OPTIONS",
        "ENVIRONMENT",
        "FILES",
        "EXIT STATUS",
        "EXAMPLES",
        "SEE ALSO",
    ] {
        assert!(text.contains(&format!("\n{section}\n")), "no {section}");
    }
}

/// A sandbox with two stores and an env set in the user config, one SSO
/// profile (and one without SSO settings), an sso-session, and a trusted
/// project config with one more store.
fn completion_sandbox() -> Sandbox {
    let sb = Sandbox::new();
    sb.write(
        ".config/dsops/config.yaml",
        r#"version: 1
secretStores:
  aws-sso-prod:
    type: aws.sso
    sso_start_url: https://my-org.awsapps.com/start
    sso_region: us-east-1
    account_id: "123456789012"
    role_name: DeveloperAccess
  plain:
    type: literal
    values: {LOG_LEVEL: debug}
envs:
  local:
    FEATURE_FLAG: "on"
"#,
    );
    sb.write(
        ".aws/config",
        "[profile sso-dev]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = Dev\n\n[profile static]\nregion = eu-west-1\n\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n",
    );
    sb.write(
        "project/.dsops.yaml",
        "version: 1\nsecretStores:\n  project-lit:\n    type: literal\n    values: {A: b}\nenvs:\n  dev:\n    A: {from: {store: project-lit, key: A}}\n",
    );
    let out = sb.cmd().arg("allow").output().unwrap();
    assert!(
        out.status.success(),
        "allow: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    sb
}

/// What `--store` completes to: stores that give credentials only (the
/// literal stores `plain` and `project-lit` are left out).
const STORES: &[&str] = &["aws-sso-prod"];

/// The sandbox's environment with the dsops under test first on PATH, as a
/// user's shell would find it.
fn shell_env(sb: &Sandbox) -> Vec<(String, String)> {
    let bin_dir = bin().parent().unwrap().to_path_buf();
    let mut env = sb.base_env();
    for (k, v) in env.iter_mut() {
        if k == "PATH" {
            *v = format!("{}:{v}", bin_dir.display());
        }
    }
    env.push(("TERM".into(), "dumb".into()));
    env
}

fn shell(sb: &Sandbox, program: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(program)
        .args(args)
        .env_clear()
        .envs(shell_env(sb))
        .current_dir(sb.path("project"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn sorted(words: &str) -> Vec<String> {
    let mut v: Vec<String> = words
        .split_whitespace()
        .map(str::to_string)
        .collect::<Vec<_>>();
    v.sort();
    v.dedup();
    v
}

fn expect(got: &str, want: &[&str], what: &str) {
    let mut want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(sorted(got), want, "{what}");
}

/// The script as `dsops --generate` prints it, in the sandbox. (The committed
/// copy is the same, see `committed_files_are_the_generated_ones`; reading
/// the generator's output keeps these tests independent of a regeneration
/// running at the same time.)
fn script(sb: &Sandbox, kind: &str, name: &str) -> PathBuf {
    sb.write(&format!("completions/{name}"), &generate(sb, kind))
}

#[test]
fn complete_command_prints_names_quietly() {
    let sb = completion_sandbox();
    let names = |kind: &str| {
        let out = sb.cmd().args(["complete", kind]).output().unwrap();
        assert!(out.status.success());
        assert!(
            out.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| l.split('\t').next().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(names("stores"), STORES);
    assert_eq!(names("envs"), ["dev", "local"]);
    assert_eq!(
        names("profiles"),
        ["sso-dev"],
        "profiles with SSO settings only"
    );
    assert_eq!(names("sso-sessions"), ["corp"]);
    let out = sb.cmd().args(["complete", "stores"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("aws-sso-prod\taws.sso\n"), "{text}");

    // An untrusted project config gives no names; a broken user config and a
    // broken AWS config give none of theirs, and no error.
    sb.write(
        "project/.dsops.yaml",
        "version: 1\nsecretStores: {x: {type: literal, values: {}}}\n",
    );
    sb.write(".config/dsops/config.yaml", "{{{{ not yaml");
    sb.write(".aws/config", "[profile broken\n");
    for kind in ["stores", "envs", "profiles", "sso-sessions"] {
        let out = sb.cmd().args(["complete", kind]).output().unwrap();
        assert!(out.status.success(), "{kind}");
        assert!(
            out.stdout.is_empty() && out.stderr.is_empty(),
            "{kind}: {out:?}"
        );
    }
    // --config names the project layer.
    let cfg = sb.write(
        "other.yaml",
        "version: 1\nsecretStores:\n  named: {type: aws.sso, sso_start_url: https://x.awsapps.com/start, sso_region: us-east-1, account_id: \"123456789012\", role_name: R}\n  lit: {type: literal, values: {}}\n",
    );
    let out = sb
        .cmd()
        .args(["complete", "stores", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "named\taws.sso\n");
    // `complete` is internal: not in help, not completed.
    let out = sb.cmd().arg("--help").output().unwrap();
    assert!(
        !String::from_utf8(out.stdout)
            .unwrap()
            .contains("  complete ")
    );
    let out = sb.cmd().args(["complete", "nonsense"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn bash_completion_in_a_clean_bash() {
    if !require_tool("bash") {
        return;
    }
    let sb = completion_sandbox();
    let source = script(&sb, "complete-bash", "dsops.bash");
    let probe = format!(
        r#"source '{}' || exit 9
complete -p dsops >/dev/null || exit 8
t() {{ COMP_WORDS=("$@"); COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 )); COMP_LINE="$*"; COMP_POINT=${{#COMP_LINE}}; COMPREPLY=(); _dsops dsops "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"; echo "${{COMPREPLY[*]}}"; }}
t dsops cr
t dsops creds --store ''
t dsops creds --store a
t dsops creds --store = ''
t dsops --env ''
t dsops login --profile ''
t dsops login --sso-session ''
t dsops hook ''
t dsops creds --no-
t dsops --config /dev/null help ''
t dsops sso ''
t dsops sso list --format ''
t dsops sso populate --pr
t dsops sso list --sso-session ''
t dsops export --format ''
t dsops console --profile ''
"#,
        source.display()
    );
    let (ok, out, err) = shell(&sb, "bash", &["--noprofile", "--norc", "-c", &probe]);
    assert!(ok, "bash: {err}");
    assert!(err.is_empty(), "the completion printed errors: {err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 16, "{out}");
    expect(lines[0], &["creds"], "dsops cr");
    expect(lines[1], STORES, "dsops creds --store ");
    expect(lines[2], &["aws-sso-prod"], "dsops creds --store a");
    expect(lines[3], STORES, "dsops creds --store=");
    expect(lines[4], &["dev", "local"], "--env");
    expect(lines[5], &["sso-dev"], "--profile");
    expect(lines[6], &["corp"], "--sso-session");
    expect(lines[7], &["bash", "elvish", "fish", "nu", "zsh"], "hook");
    expect(lines[8], &["--no-browser", "--no-login"], "creds --no-");
    assert!(
        sorted(lines[9]).contains(&"creds".to_string()),
        "help: {}",
        lines[9]
    );
    expect(lines[10], &["list", "populate"], "dsops sso ");
    expect(lines[11], &["json", "table"], "sso list --format");
    expect(
        lines[12],
        &["--profile-name", "--prune"],
        "sso populate --pr",
    );
    expect(lines[13], &["corp"], "sso list --sso-session");
    expect(
        lines[14],
        &["dotenv", "json", "powershell", "shell", "windows-cmd"],
        "export --format",
    );
    expect(lines[15], &["sso-dev"], "console --profile");
}

#[test]
fn bash_completion_passes_shellcheck() {
    if !require_tool("shellcheck") {
        return;
    }
    let sb = Sandbox::new();
    let out = Command::new("shellcheck")
        .args(["--shell=bash", "--severity=style"])
        .arg(script(&sb, "complete-bash", "dsops.bash"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn fish_completion_in_a_clean_fish() {
    if !require_tool("fish") {
        return;
    }
    let sb = completion_sandbox();
    let source = script(&sb, "complete-fish", "dsops.fish");
    let probe = format!(
        r#"source '{}'; or exit 9
for l in 'dsops cr' 'dsops creds --store ' 'dsops creds --store=a' 'dsops --env ' 'dsops login --profile ' 'dsops login --sso-session ' 'dsops hook ' 'dsops creds --no-' 'dsops sso ' 'dsops sso list --format ' 'dsops sso populate --pr' 'dsops sso populate --sso-session ' 'dsops export --format '
    echo (complete -C "$l" | string replace -r '\t.*' '' | string replace -r '^--store=' '')
end
"#,
        source.display()
    );
    let (ok, out, err) = shell(&sb, "fish", &["--no-config", "-c", &probe]);
    assert!(ok, "fish: {err}");
    assert!(err.is_empty(), "the completion printed errors: {err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 13, "{out}");
    expect(lines[8], &["list", "populate"], "dsops sso ");
    expect(lines[9], &["json", "table"], "sso list --format");
    expect(
        lines[10],
        &["--profile-name", "--prune"],
        "sso populate --pr",
    );
    expect(lines[11], &["corp"], "sso populate --sso-session");
    expect(
        lines[12],
        &["dotenv", "json", "powershell", "shell", "windows-cmd"],
        "export --format",
    );
    expect(lines[0], &["creds"], "dsops cr");
    expect(lines[1], STORES, "dsops creds --store ");
    expect(lines[2], &["aws-sso-prod"], "dsops creds --store=a");
    expect(lines[3], &["dev", "local"], "--env");
    expect(lines[4], &["sso-dev"], "--profile");
    expect(lines[5], &["corp"], "--sso-session");
    expect(lines[6], &["bash", "elvish", "fish", "nu", "zsh"], "hook");
    expect(lines[7], &["--no-browser", "--no-login"], "creds --no-");
}

/// Sourced by the interactive zsh under test: compinit with the completions
/// directory first on $fpath, and a `compadd` that also writes each match
/// zsh would offer to $DSOPS_T_OUT; after completion, $DSOPS_T_DONE appears.
const ZSH_SETUP: &str = r#"PS1='' RPROMPT=''
fpath=($DSOPS_T_FPATH $fpath)
autoload -Uz compinit && compinit -u -D
compadd() {
    # Calls that only compute (-O, -A, -D) are not offers.
    if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then
        builtin compadd "$@"
        return
    fi
    local -a hits
    builtin compadd -A hits "$@"
    (( $#hits )) && print -rl -- $hits >> $DSOPS_T_OUT
    builtin compadd "$@"
}
_dsops_t_done() { print done > $DSOPS_T_DONE }
comppostfuncs=(_dsops_t_done)
print ready > $DSOPS_T_READY
"#;

/// Runs `zsh -f -i` on a pseudo-terminal (zsh/zpty), types the line and a
/// TAB, and prints what the completion offered.
const ZSH_DRIVER: &str = r#"zmodload zsh/zpty || exit 3
setup=$1 line=$2
wait_for() {
    local i chunk
    for ((i = 0; i < 300; i++)); do
        [[ -e $1 ]] && return 0
        while zpty -rt z chunk; do :; done
        sleep 0.05
    done
    print -u2 "timed out waiting for $1"
    zpty -d z
    exit 4
}
zpty z zsh -f -i
zpty -w z "source ${(q)setup}"
wait_for $DSOPS_T_READY
zpty -w -n z "$line"$'\t'
wait_for $DSOPS_T_DONE
zpty -d z
[[ -e $DSOPS_T_OUT ]] && cat $DSOPS_T_OUT
exit 0
"#;

fn zsh_complete(sb: &Sandbox, fpath: &Path, line: &str) -> String {
    let dir = tempfile::tempdir_in(sb.dir.path()).unwrap();
    let setup = dir.path().join("setup.zsh");
    let driver = dir.path().join("driver.zsh");
    std::fs::write(&setup, ZSH_SETUP).unwrap();
    std::fs::write(&driver, ZSH_DRIVER).unwrap();
    let out = Command::new("zsh")
        .arg("-f")
        .arg(&driver)
        .arg(&setup)
        .arg(line)
        .env_clear()
        .envs(shell_env(sb))
        .env("DSOPS_T_FPATH", fpath)
        .env("DSOPS_T_OUT", dir.path().join("out"))
        .env("DSOPS_T_DONE", dir.path().join("done"))
        .env("DSOPS_T_READY", dir.path().join("ready"))
        .current_dir(sb.path("project"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "zsh driver for {line:?}: {err}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn zsh_completion_in_a_clean_zsh() {
    if !require_tool("zsh") {
        return;
    }
    let sb = completion_sandbox();
    // compinit finds `_dsops` on $fpath, as an installed one would be.
    let fpath = sb.path("zsh-functions");
    std::fs::create_dir_all(&fpath).unwrap();
    std::fs::copy(script(&sb, "complete-zsh", "_dsops"), fpath.join("_dsops")).unwrap();

    // The function loads in a clean zsh and runs `dsops complete stores`.
    let (ok, _, err) = shell(
        &sb,
        "zsh",
        &[
            "-f",
            "-c",
            &format!(
                "fpath=({} $fpath); autoload -Uz compinit && compinit -u -D && autoload -Uz +X _dsops && whence -w _dsops && [[ $_comps[dsops] == _dsops ]]",
                fpath.display()
            ),
        ],
    );
    assert!(ok, "_dsops does not load: {err}");

    let cases: &[(&str, &[&str])] = &[
        ("dsops cr", &["creds"]),
        ("dsops creds --store ", STORES),
        ("dsops creds --store=a", &["aws-sso-prod"]),
        ("dsops --env ", &["dev", "local"]),
        ("dsops login --profile ", &["sso-dev"]),
        ("dsops login --sso-session ", &["corp"]),
        ("dsops hook ", &["bash", "elvish", "fish", "nu", "zsh"]),
        ("dsops creds --no-", &["--no-browser", "--no-login"]),
        ("dsops sso ", &["list", "populate"]),
        ("dsops sso list --format ", &["json", "table"]),
        ("dsops sso populate --pr", &["--profile-name", "--prune"]),
        ("dsops sso list --sso-session ", &["corp"]),
        ("dsops console --profile ", &["sso-dev"]),
    ];
    for (line, want) in cases {
        let got = zsh_complete(&sb, &fpath, line);
        expect(&got, want, line);
    }
}
