//! `dsops use` (issue 24) in real interactive nushell and elvish sessions
//! (tmux, the hook installed as the README says): the same checks as
//! `use_switch.rs` makes in bash, zsh and fish. `dsops use dev` typed at the
//! prompt changes that shell at once (the hook's `dsops` wrapper applies
//! what the binary prints), the hook renews short-lived credentials at the
//! prompt with no sign-in, a project that sets `AWS_ACCESS_KEY_ID` goes on
//! top and leaving it brings the role back, fresh, and `--off` / `-`
//! restores the prior values byte for byte with real unsets.

use crate::hook::{Env, get};
use crate::hook_nu_elvish::{Session, Sh, wait_for};
use crate::support::*;
use crate::use_switch::{ODD_PRIOR, WATCHED, issued, signed_in};
use serde_json::json;
use std::time::Duration;

const DEV: &str = "111111111111/DeveloperAccess";

/// The variables `use` manages, as the shell's children see them.
fn watched(env: &Env) -> Vec<(&str, Option<String>)> {
    WATCHED
        .iter()
        .map(|k| (*k, get(env, k).map(|v| String::from_utf8_lossy(v).into())))
        .collect()
}

fn text(env: &Env, k: &str) -> String {
    get(env, k)
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .unwrap_or_default()
}

/// The access key in `env`, checked to be one the fake Identity Center
/// issued for dev's role.
fn dev_key(idc: &FakeIdc, s: &Session, sh: Sh, env: &Env, what: &str) -> String {
    let k = text(env, "AWS_ACCESS_KEY_ID");
    assert_eq!(
        issued(idc, &k).as_deref(),
        Some(DEV),
        "{sh:?} {what}: {:?}\n{}",
        watched(env),
        s.pane()
    );
    k
}

/// Type `line` (an `--off`), then check that the shell's children see what
/// they saw `before`, and no state.
fn off_restores(s: &mut Session, sh: Sh, line: &str, before: &Env) {
    s.type_line(line);
    let (off, _) = s.env();
    assert_eq!(
        watched(&off),
        watched(before),
        "{sh:?} {line}\n{}",
        s.pane()
    );
    assert_eq!(get(&off, "DSOPS_STATE"), None, "{sh:?} {line}");
}

fn sleep_line(sh: Sh, secs: u32) -> String {
    match sh {
        Sh::Nu => format!("sleep {secs}sec"),
        Sh::Elvish => format!("sleep {secs}"),
    }
}

/// The shell, started with a prior key, a prior secret no quoting mistake
/// survives, and the other variables `use` sets unset.
fn with_priors(sb: &Sandbox, sh: Sh) -> Option<Session> {
    Session::start(
        sb,
        sh,
        &bin(),
        &[
            ("AWS_ACCESS_KEY_ID", "prior-akid-1c9e"),
            ("AWS_SECRET_ACCESS_KEY", ODD_PRIOR),
        ],
    )
}

fn use_in(sh: Sh) {
    let idc = FakeIdc::start(&["--auto-approve"]);
    let sb = signed_in(&idc);
    sb.write(
        ".config/dsops/config.yaml",
        "version: 1\nsecretStores:\n  devstore:\n    type: aws.sso\n    profile: dev\n",
    );
    let cfg = sb.write(
        "project/.dsops.yaml",
        "version: 1\nenvs:\n  e:\n    AWS_ACCESS_KEY_ID: project-akid-7f3e\n    PROJECT_ONLY: p-5a1b\n",
    );
    sb.ok(&["allow", cfg.to_str().unwrap()]);
    let Some(mut s) = with_priors(&sb, sh) else {
        return;
    };
    let (before, _) = s.env();
    assert_eq!(text(&before, "AWS_SECRET_ACCESS_KEY"), ODD_PRIOR, "{sh:?}");
    assert_eq!(get(&before, "AWS_SESSION_TOKEN"), None, "{sh:?}");

    // Credentials that last six seconds: renewed at half their life.
    idc.configure(json!({"role_ttl": 6}));
    s.type_line("dsops use dev");
    let (dev, _) = s.env();
    let akid = dev_key(&idc, &s, sh, &dev, "use dev");
    assert_eq!(text(&dev, "AWS_REGION"), "eu-west-1", "{sh:?}");
    assert_eq!(text(&dev, "AWS_DEFAULT_REGION"), "eu-west-1", "{sh:?}");
    assert_eq!(text(&dev, "DSOPS_USE"), "dev", "{sh:?}");
    assert!(!text(&dev, "AWS_SESSION_TOKEN").is_empty(), "{sh:?}");
    assert!(text(&dev, "AWS_CREDENTIAL_EXPIRATION").ends_with('Z'));
    assert_ne!(text(&dev, "AWS_SECRET_ACCESS_KEY"), ODD_PRIOR, "{sh:?}");
    // The wrapper's own variable does not stay behind.
    assert_eq!(get(&dev, "DSOPS_HOOK_SHELL"), None, "{sh:?}");
    let state = text(&dev, "DSOPS_STATE");
    assert!(state.contains("profile:dev"), "{sh:?}: {state}");
    for secret in ["AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"] {
        assert!(
            !state.contains(&text(&dev, secret)),
            "{secret} in the state"
        );
    }

    // Three expiries, three new keys, no sign-in.
    let signins = idc.counter("device_authorization");
    let mut keys = vec![akid];
    for i in 0..3 {
        s.type_line(&sleep_line(sh, 4));
        let (env, _) = s.env();
        let k = dev_key(&idc, &s, sh, &env, &format!("renewal {i}"));
        assert!(
            !keys.contains(&k),
            "{sh:?} renewal {i}: not renewed\n{}",
            s.pane()
        );
        keys.push(k);
    }
    assert_eq!(idc.counter("device_authorization"), signins, "{sh:?}");
    assert!(!s.pane().contains("sign-in needed"), "{}", s.pane());
    idc.configure(json!({"role_ttl": 3600}));

    // A project on top, and the role back when it is left, fresh.
    s.cd(&sb.path("project"));
    let (inside, _) = s.env();
    assert_eq!(
        text(&inside, "AWS_ACCESS_KEY_ID"),
        "project-akid-7f3e",
        "{sh:?}\n{}",
        s.pane()
    );
    assert_eq!(text(&inside, "PROJECT_ONLY"), "p-5a1b", "{sh:?}");
    assert_eq!(text(&inside, "DSOPS_USE"), "dev", "{sh:?}");
    let left_at = time::OffsetDateTime::now_utc();
    s.cd(&sb.home);
    let (back, _) = s.env();
    dev_key(&idc, &s, sh, &back, "after the project");
    assert_eq!(get(&back, "PROJECT_ONLY"), None, "{sh:?}");
    let exp = time::OffsetDateTime::parse(
        &text(&back, "AWS_CREDENTIAL_EXPIRATION"),
        &time::format_description::well_known::Rfc3339,
    )
    .expect("an expiration");
    assert!(exp > left_at, "{sh:?}: stale credentials after leaving");

    // Off: exactly what the shell had, unset ones unset.
    off_restores(&mut s, sh, "dsops use --off", &before);

    // A store of the user config, then `-`: the same.
    s.type_line("dsops use --store devstore");
    let (store, _) = s.env();
    dev_key(&idc, &s, sh, &store, "use --store");
    assert_eq!(text(&store, "DSOPS_USE"), "devstore", "{sh:?}");
    off_restores(&mut s, sh, "dsops use -", &before);
    let pane = s.pane();
    assert!(pane.contains("dsops: using profile dev"), "{pane}");
    assert!(
        pane.contains("dsops: no longer using store devstore"),
        "{pane}"
    );
}

#[test]
fn use_in_nu_renews_composes_and_restores_exactly() {
    use_in(Sh::Nu);
}

#[test]
fn use_in_elvish_renews_composes_and_restores_exactly() {
    use_in(Sh::Elvish);
}

/// A nested shell (the same startup files, so the hook too) has the role;
/// its `--off` gives back what the first shell had before `use`, and the
/// first shell keeps the role, and its own `--off`, after `exit`.
fn nested_in(sh: Sh) {
    let idc = FakeIdc::start(&["--auto-approve"]);
    let sb = signed_in(&idc);
    let Some(mut s) = with_priors(&sb, sh) else {
        return;
    };
    let (before, _) = s.env();
    s.type_line("dsops use dev");
    let (dev, _) = s.env();
    let akid = dev_key(&idc, &s, sh, &dev, "use dev");
    // Nothing but the variables `use` names and the state reaches children.
    for k in dev.keys() {
        let k = String::from_utf8_lossy(k);
        assert!(
            get(&before, &k).is_some() || WATCHED.contains(&&*k) || k == "DSOPS_STATE",
            "{sh:?}: {k} reaches the shell's children"
        );
    }

    s.nest();
    let (inner, _) = s.env();
    assert_eq!(watched(&inner), watched(&dev), "{sh:?}\n{}", s.pane());
    off_restores(&mut s, sh, "dsops use --off", &before);

    s.type_line("exit");
    let (outer, _) = s.env();
    assert_eq!(
        text(&outer, "AWS_ACCESS_KEY_ID"),
        akid,
        "{sh:?}\n{}",
        s.pane()
    );
    off_restores(&mut s, sh, "dsops use --off", &before);
}

#[test]
fn use_in_a_nested_nu_and_elvish() {
    nested_in(Sh::Nu);
    nested_in(Sh::Elvish);
}

/// Where the hook is not loaded, `dsops use` changes nothing and says how
/// to load it in the user's shell, with status 2.
#[test]
fn use_without_the_nu_or_elvish_hook_says_how() {
    let idc = FakeIdc::start(&["--auto-approve"]);
    for (login, hint) in [
        ("/usr/bin/nu", "dsops hook nu | save -f"),
        ("/usr/bin/elvish", "eval (dsops hook elvish | slurp)"),
    ] {
        let mut sb = sso_sandbox(&idc, "eu-west-1", "");
        sb.set("SHELL", login);
        let out = sb.cmd().args(["use", "dev"]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{login}");
        assert!(out.stdout.is_empty(), "{login}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(hint), "{login}: {err}");
    }
}

/// `dsops use` with no name in nu and elvish: the wrapper leaves the picker
/// the terminal (stdin and stderr), Esc changes nothing, Enter switches.
fn picker_in(sh: Sh) {
    let idc = FakeIdc::start(&["--auto-approve"]);
    let sb = signed_in(&idc);
    let Some(mut s) = Session::start(&sb, sh, &bin(), &[]) else {
        return;
    };
    let shown = |s: &Session, want: bool| {
        wait_for(Duration::from_secs(10), || {
            s.pane().contains("111111111111") == want
        })
    };
    s.send_line("dsops use");
    assert!(shown(&s, true), "{sh:?}: no list\n{}", s.pane());
    s.key("Escape");
    s.next_prompt();
    assert!(shown(&s, false), "{sh:?}: the list stayed\n{}", s.pane());
    let (e, _) = s.env();
    assert_eq!(get(&e, "DSOPS_USE"), None, "{sh:?}\n{}", s.pane());
    s.send_line("dsops use");
    assert!(shown(&s, true), "{sh:?}: no list\n{}", s.pane());
    s.key("Enter");
    s.next_prompt();
    let (e, _) = s.env();
    assert_eq!(text(&e, "DSOPS_USE"), "dev", "{sh:?}\n{}", s.pane());
    let k = text(&e, "AWS_ACCESS_KEY_ID");
    assert_eq!(issued(&idc, &k).as_deref(), Some(DEV), "{sh:?}");
}

#[test]
fn use_picker_in_nu_and_elvish() {
    picker_in(Sh::Nu);
    picker_in(Sh::Elvish);
}
