//! The command line and configuration errors: every exit status, and a clear
//! message naming the file and place for every class of bad input.

use crate::support::*;

fn run(sb: &Sandbox, args: &[&str]) -> (i32, String, String) {
    let out = sb.cmd().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn help_version_and_usage_errors() {
    let sb = Sandbox::new();
    let (code, out, _) = run(&sb, &["--version"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("dsops "), "{out}");
    let (code, out, _) = run(&sb, &["--help"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("creds") && out.contains("Exit status"),
        "{out}"
    );
    assert!(
        !out.contains("hook-env"),
        "internal commands stay out of --help"
    );
    let (code, short, _) = run(&sb, &["-h"]);
    assert_eq!(code, 0);
    assert!(short.len() < out.len());
    let (code, out, _) = run(&sb, &["help", "creds"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("--store") && out.contains("credential_process"),
        "{out}"
    );
    let (code, _, err) = run(&sb, &["cerds"]);
    assert_eq!(code, 2);
    assert!(err.contains("did you mean 'creds'"), "{err}");
    let (code, _, err) = run(&sb, &["creds", "--profil", "x"]);
    assert_eq!(code, 2);
    assert!(err.contains("did you mean '--profile'"), "{err}");
    let (code, _, err) = run(&sb, &["creds"]);
    assert_eq!(code, 2);
    assert!(err.contains("--store"), "{err}");
    let (code, _, err) = run(&sb, &["creds", "--store"]);
    assert_eq!(code, 2, "{err}");
}

/// Operands a command does not take, a duration without a unit and no
/// command at all are usage errors (status 2) that say what is wrong and
/// name the help to read; nothing is run.
#[test]
fn stray_operands_bare_durations_and_no_command_are_usage_errors() {
    let sb = Sandbox::new();
    for args in [
        &["login", "dev"][..],
        &["creds", "--profile", "dev", "extra"],
        &["doctor", "dev"],
        &["sso", "list", "dev"],
        &["export", "--env", "x", "stray"],
        &["serve", "--profile", "dev", "stray"],
        &["hook", "bash", "zsh"],
        &["allow", "a", "b"],
    ] {
        let (code, out, err) = run(&sb, args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(out.is_empty(), "{args:?}");
        let stray = args.last().unwrap();
        assert!(
            err.contains(&format!("('{stray}')")),
            "{args:?} names the operand: {err}"
        );
        let cmd = if args[0] == "sso" {
            "sso list".to_string()
        } else {
            args[0].to_string()
        };
        assert!(
            err.contains(&format!("see 'dsops help {cmd}'")),
            "{args:?} points to its own help: {err}"
        );
    }
    let (code, _, err) = run(&sb, &["creds", "--profile", "dev", "--min-validity", "2"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--min-validity 2"), "{err}");
    let (code, out, err) = run(&sb, &[]);
    assert_eq!(code, 2, "plain dsops");
    assert!(out.is_empty());
    assert!(err.contains("Usage: dsops"), "{err}");
}

#[test]
fn help_touches_no_config() {
    let sb = Sandbox::new();
    // A broken user config does not matter to help and version.
    sb.write(".config/dsops/config.yaml", "{{{{");
    assert_eq!(run(&sb, &["--help"]).0, 0);
    assert_eq!(run(&sb, &["creds", "--help"]).0, 0);
    assert_eq!(run(&sb, &["--version"]).0, 0);
}

fn config_error(content: &[u8], expect: &[&str]) {
    let sb = Sandbox::new();
    let path = sb.path(".config/dsops/config.yaml");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, content).unwrap();
    let (code, out, err) = run(&sb, &["creds", "--store", "x"]);
    assert_eq!(code, 3, "{err}");
    assert!(out.is_empty());
    assert!(
        err.contains(&path.display().to_string()),
        "names the file: {err}"
    );
    for e in expect {
        assert!(err.contains(e), "expected {e:?} in {err}");
    }
    assert!(!err.contains("panicked"));
}

#[test]
fn every_config_error_class() {
    config_error(
        b"secretStores:\n  x:\n    type: aws.s3\n",
        &["secretStores.x.type", "unknown store type 'aws.s3'"],
    );
    config_error(
        b"secretStores:\n  x:\n    type: aws.sso\n    account_id: \"111111111111\"\n",
        &["secretStores.x", "needs role_name"],
    );
    config_error(b"secretStores:\n  x: [1, 2\n", &["invalid YAML"]);
    config_error(
        b"envs:\n  e:\n    X:\n      from: {store: nope, key: k}\n",
        &["envs.e.X.from.store", "no store 'nope'"],
    );
    config_error(
        b"envs:\n  e:\n    BAD-NAME: x\n",
        &["envs.e.BAD-NAME", "invalid variable name"],
    );
    config_error(b"\xff\xfe", &["not valid UTF-8"]);
    let mut bomb = String::from("a: &a [x,x,x,x,x,x,x,x,x,x]\n");
    for (i, n) in ["b", "c", "d", "e", "f", "g", "h", "i", "j"]
        .iter()
        .enumerate()
    {
        let p = if i == 0 {
            "a".to_string()
        } else {
            ["b", "c", "d", "e", "f", "g", "h", "i", "j"][i - 1].to_string()
        };
        bomb.push_str(&format!(
            "{n}: &{n} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n"
        ));
    }
    config_error(bomb.as_bytes(), &["invalid YAML"]);
    let mut huge = b"# ".to_vec();
    huge.resize(100 << 20, b'x');
    config_error(&huge, &["more than the"]);
}

#[test]
fn bad_aws_config_is_a_config_error() {
    let sb = Sandbox::new();
    sb.write(".aws/config", "[profile dev\nsso_session = x\n");
    let (code, _, err) = run(&sb, &["creds", "--profile", "dev"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains(".aws/config"), "{err}");
    sb.write(
        ".aws/config",
        "[profile dev]\nsso_session = missing\nsso_account_id = 111111111111\nsso_role_name = R\n",
    );
    let (code, _, err) = run(&sb, &["creds", "--profile", "dev"]);
    assert_eq!(code, 3);
    assert!(err.contains("no [sso-session missing] section"), "{err}");
    let (code, _, err) = run(&sb, &["creds", "--profile", "nope"]);
    assert_eq!(code, 3);
    assert!(err.contains("no [profile nope] section"), "{err}");
}

#[test]
fn untrusted_project_config_is_not_used() {
    let sb = Sandbox::new();
    let store = "secretStores:\n  p:\n    type: aws.sso\n    sso_start_url: https://x.awsapps.com/start\n    sso_region: us-east-1\n    account_id: \"111111111111\"\n    role_name: R\n";
    let cfg = sb.write("project/.dsops.yaml", store);
    let (code, _, err) = run(&sb, &["creds", "--store", "p", "--no-login"]);
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("dsops allow"), "{err}");
    // allow: used (and now the store needs a sign-in).
    assert_eq!(run(&sb, &["allow"]).0, 0);
    let (code, _, err) = run(&sb, &["creds", "--store", "p", "--no-login"]);
    assert_eq!(code, 5, "{err}");
    // An edit needs a new allow (one that changes the parsed config: a
    // comment alone does not, see tests/it/trust.rs).
    std::fs::write(&cfg, store.replace("role_name: R", "role_name: R2")).unwrap();
    let (code, _, err) = run(&sb, &["creds", "--store", "p", "--no-login"]);
    assert_eq!(code, 4);
    assert!(err.contains("changed since it was allowed"), "{err}");
    assert_eq!(run(&sb, &["allow", "."]).0, 0);
    assert_eq!(run(&sb, &["creds", "--store", "p", "--no-login"]).0, 5);
    // deny: refused again.
    assert_eq!(run(&sb, &["deny"]).0, 0);
    let (code, _, err) = run(&sb, &["creds", "--store", "p", "--no-login"]);
    assert_eq!(code, 4);
    assert!(err.contains("denied"), "{err}");
    // --config names it: trusted because the person named it.
    let (code, _, _) = run(
        &sb,
        &[
            "--config",
            ".dsops.yaml",
            "creds",
            "--store",
            "p",
            "--no-login",
        ],
    );
    assert_eq!(code, 5);
    // A trust record lives under XDG_DATA_HOME, not next to the project.
    assert!(
        sb.path(".local/share/dsops/trust")
            .read_dir()
            .unwrap()
            .count()
            >= 1
    );
}

#[test]
fn export_and_exec_honour_no_login() {
    let sb = Sandbox::new();
    sb.write(
        ".config/dsops/config.yaml",
        "secretStores:\n  sso:\n    type: aws.sso\n    sso_start_url: https://x.awsapps.com/start\n    sso_region: us-east-1\n    account_id: \"111111111111\"\n    role_name: R\nenvs:\n  e:\n    AWS_ACCESS_KEY_ID:\n      from: {store: sso, key: access_key_id}\n",
    );
    for args in [
        &["export", "--no-login"][..],
        &["exec", "--no-login", "--", "true"][..],
    ] {
        let (code, out, err) = run(&sb, args);
        assert_eq!(code, 5, "{args:?}: {err}");
        assert!(out.is_empty());
        assert!(err.contains("dsops login --store sso"), "{err}");
    }
}

/// The command a hint names works when pasted: it carries the `--config`
/// this run was given (a relative one included), and for a store a quoted
/// name where a shell needs it.
#[test]
fn hints_work_when_pasted() {
    let idc = FakeIdc::start(&["--auto-approve"]);
    let mut sb = sso_sandbox(&idc, "us-east-1", "");
    sb.set("DSOPS_USE_DEVICE_CODE", "1");
    sb.write(
        "project/conf/team config.yaml",
        "version: 1\nsecretStores:\n  \"sso store\":\n    type: aws.sso\n    profile: dev\n",
    );
    let args = [
        "--config",
        "conf/team config.yaml",
        "creds",
        "--store",
        "sso store",
        "--no-login",
    ];
    let err = sb.fails(&args, 5);
    let hint = err
        .split("run '")
        .nth(1)
        .and_then(|rest| rest.rsplit_once('\''))
        .map(|(h, _)| h.to_string())
        .unwrap_or_else(|| panic!("no hint in {err}"));
    assert!(hint.contains("--config"), "{hint}");
    // Pasted into a shell in the same directory (dsops on PATH).
    let dir = bin().parent().unwrap().display().to_string();
    let out = std::process::Command::new("sh")
        .args(["-c", &hint])
        .env_clear()
        .envs(sb.base_env())
        .env(
            "PATH",
            format!("{dir}:{}", std::env::var("PATH").unwrap_or_default()),
        )
        .current_dir(sb.path("project"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{hint}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // And now the command that asked works.
    let creds = sb.json(&args);
    assert!(creds["AccessKeyId"].is_string(), "{creds}");
    // exec with no command names the store or profile given, not NAME.
    let err = sb.fails(&["exec", "--profile", "dev"], 2);
    assert!(err.contains("dsops exec --profile dev -- CMD"), "{err}");
}

/// A profile, store or env set that does not exist: the nearest name, or
/// the names there are when none is near.
#[test]
fn unknown_names_get_a_did_you_mean_or_the_list() {
    let sb = Sandbox::new();
    sb.write(
        ".aws/config",
        "[profile dev]\nsso_session = s\nsso_account_id = 111111111111\nsso_role_name = R\n\n[profile prod]\nregion = us-east-1\n",
    );
    sb.write(
        ".config/dsops/config.yaml",
        "version: 1\nsecretStores:\n  team-sso:\n    type: aws.sso\n    profile: dev\nenvs:\n  local:\n    A: b\n",
    );
    let err = sb.fails(&["creds", "--profile", "deev"], 3);
    assert!(err.contains("did you mean 'dev'"), "{err}");
    let err = sb.fails(&["creds", "--profile", "staging"], 3);
    assert!(err.contains("profiles: dev, prod"), "{err}");
    let err = sb.fails(&["creds", "--store", "team-ssso"], 3);
    assert!(err.contains("did you mean 'team-sso'"), "{err}");
    let err = sb.fails(&["export", "--env", "locl"], 3);
    assert!(err.contains("did you mean 'local'"), "{err}");
}
