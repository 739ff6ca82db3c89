//! `dsops use` (issue 24): in real interactive bash, zsh and fish under
//! tmux, the shell takes a profile's role credentials at once, the hook
//! renews short-lived ones at the prompt with no sign-in, a project that sets
//! `AWS_ACCESS_KEY_ID` goes on top and leaving it brings the role back, and
//! `--off` restores the shell's prior values exactly. Also: a role chain
//! (moto's STS says who), the picker driven by keys, and `use` where the
//! hook is not loaded.

use crate::support::*;
use serde_json::json;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Sh {
    Bash,
    Zsh,
    Fish,
}

impl Sh {
    fn name(self) -> &'static str {
        match self {
            Sh::Bash => "bash",
            Sh::Zsh => "zsh",
            Sh::Fish => "fish",
        }
    }

    fn start(self) -> &'static str {
        match self {
            Sh::Bash => "bash --noprofile --norc -i",
            Sh::Zsh => "zsh -f -i",
            Sh::Fish => "fish --no-config -i",
        }
    }

    /// `export NAME=VALUE` for any bytes but NUL.
    fn export(self, name: &str, value: &str) -> String {
        match self {
            Sh::Bash | Sh::Zsh => {
                let mut q = String::from("$'");
                for c in value.chars() {
                    match c {
                        '\'' => q.push_str("\\'"),
                        '\\' => q.push_str("\\\\"),
                        '\n' => q.push_str("\\n"),
                        c => q.push(c),
                    }
                }
                q.push('\'');
                format!("export {name}={q}\n")
            }
            Sh::Fish => format!(
                "set -gx {name} '{}'\n",
                value.replace('\\', "\\\\").replace('\'', "\\'")
            ),
        }
    }

    fn unset(self, name: &str) -> String {
        match self {
            Sh::Fish => format!("set -e {name}\n"),
            _ => format!("unset {name}\n"),
        }
    }

    fn init(self) -> String {
        let bin = bin();
        match self {
            Sh::Fish => format!("'{}' hook fish | source\n", bin.display()),
            _ => format!(
                "PS1='$ '\neval \"$('{}' hook {})\"\n",
                bin.display(),
                self.name()
            ),
        }
    }
}

fn shells() -> Vec<Sh> {
    [Sh::Bash, Sh::Zsh, Sh::Fish]
        .into_iter()
        .filter(|s| require_tool(s.name()))
        .collect()
}

fn wait_for(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

type Env = BTreeMap<String, String>;

/// The exported environment as the shell's children see it, after the
/// prompt that follows the last command.
fn dump(t: &Tmux, sb: &Sandbox, tag: &str) -> Env {
    let p = sb.path(&format!("env-{tag}"));
    t.line(&format!(
        "env -0 > '{0}.tmp'; mv '{0}.tmp' '{0}'",
        p.display()
    ));
    assert!(
        wait_for(Duration::from_secs(20), || p.exists()),
        "{tag}: no dump\n{}",
        t.pane()
    );
    let bytes = std::fs::read(&p).unwrap();
    bytes
        .split(|b| *b == 0)
        .filter_map(|e| {
            let s = String::from_utf8_lossy(e);
            s.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
        })
        .collect()
}

/// The variables `use` manages, and the user's own of them.
pub(crate) const WATCHED: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "DSOPS_USE",
    "DSOPS_USE_EXPIRES",
];

fn watched(env: &Env) -> Vec<(&str, Option<&str>)> {
    WATCHED
        .iter()
        .map(|k| (*k, env.get(*k).map(String::as_str)))
        .collect()
}

/// A prior value with every character a shell could mangle.
pub(crate) const ODD_PRIOR: &str = "it's \"quoted\" $(touch /tmp/x) `id` \\ é\nsecond line";

/// Whose role the fake Identity Center issued `akid` for.
pub(crate) fn issued(idc: &FakeIdc, akid: &str) -> Option<String> {
    idc.counters()["issued_keys"][akid]
        .as_str()
        .map(str::to_string)
}

/// `env`'s access key, checked to be one the fake Identity Center issued
/// for dev's role.
fn dev_key(idc: &FakeIdc, t: &Tmux, sh: Sh, env: &Env, what: &str) -> String {
    let k = env.get("AWS_ACCESS_KEY_ID").cloned().unwrap_or_default();
    assert_eq!(
        issued(idc, &k).as_deref(),
        Some("111111111111/DeveloperAccess"),
        "{sh:?} {what}: {:?}\n{}",
        watched(env),
        t.pane()
    );
    k
}

/// A sandbox whose `dev` profile is signed in (by device code) with `idc`.
pub(crate) fn signed_in(idc: &FakeIdc) -> Sandbox {
    let mut sb = sso_sandbox(idc, "eu-west-1", "");
    sb.set("DSOPS_USE_DEVICE_CODE", "1");
    sb.ok(&["login", "--profile", "dev"]);
    sb
}

fn write_rc(sb: &Sandbox, sh: Sh) -> PathBuf {
    let mut rc = String::new();
    rc.push_str(&sh.export("AWS_ACCESS_KEY_ID", "prior-akid-1c9e"));
    rc.push_str(&sh.export("AWS_SECRET_ACCESS_KEY", ODD_PRIOR));
    for n in [
        "AWS_SESSION_TOKEN",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_CREDENTIAL_EXPIRATION",
    ] {
        rc.push_str(&sh.unset(n));
    }
    rc.push_str(&sh.init());
    sb.write(&format!("rc.{}", sh.name()), &rc)
}

#[test]
fn use_renews_composes_with_projects_and_restores_exactly() {
    if !require_tool("tmux") {
        return;
    }
    for sh in shells() {
        use_in(sh);
    }
}

fn use_in(sh: Sh) {
    let idc = FakeIdc::start(&["--auto-approve"]);
    let sb = signed_in(&idc);
    let cfg = sb.write(
        "project/.dsops.yaml",
        "version: 1\nenvs:\n  e:\n    AWS_ACCESS_KEY_ID: project-akid-7f3e\n    PROJECT_ONLY: p-5a1b\n",
    );
    sb.ok(&["allow", cfg.to_str().unwrap()]);
    let rc = write_rc(&sb, sh);
    let t = Tmux::start(&sb, &[sh.start()]);
    t.line(&format!("source '{}'", rc.display()));
    let before = dump(&t, &sb, "before");
    assert_eq!(
        before.get("AWS_SECRET_ACCESS_KEY").map(String::as_str),
        Some(ODD_PRIOR),
        "{sh:?}"
    );

    // Credentials that last six seconds: renewed at half their life.
    idc.configure(json!({"role_ttl": 6}));
    t.line("dsops use dev");
    let dev = dump(&t, &sb, "dev");
    let akid = dev_key(&idc, &t, sh, &dev, "use dev");
    assert_eq!(
        dev.get("AWS_REGION").map(String::as_str),
        Some("eu-west-1"),
        "{sh:?}"
    );
    assert_eq!(
        dev.get("AWS_DEFAULT_REGION").map(String::as_str),
        Some("eu-west-1")
    );
    assert_eq!(dev.get("DSOPS_USE").map(String::as_str), Some("dev"));
    assert!(dev.get("AWS_SESSION_TOKEN").is_some_and(|v| !v.is_empty()));
    assert!(
        dev.get("AWS_CREDENTIAL_EXPIRATION")
            .is_some_and(|v| v.ends_with('Z'))
    );
    assert_ne!(
        dev.get("AWS_SECRET_ACCESS_KEY").map(String::as_str),
        Some(ODD_PRIOR)
    );
    // The state names what is in use, never a secret.
    let state = dev.get("DSOPS_STATE").cloned().unwrap_or_default();
    assert!(state.contains("profile:dev"), "{state}");
    for secret in ["AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"] {
        assert!(
            !state.contains(dev[secret].as_str()),
            "{secret} in the state"
        );
    }

    // Three expiries, three new keys, no sign-in.
    let signins = idc.counter("device_authorization");
    let mut keys = vec![akid.clone()];
    for i in 0..3 {
        t.line("sleep 4");
        let env = dump(&t, &sb, &format!("renew{i}"));
        let k = dev_key(&idc, &t, sh, &env, &format!("renewal {i}"));
        assert!(
            !keys.contains(&k),
            "{sh:?} renewal {i}: not renewed\n{}",
            t.pane()
        );
        keys.push(k);
    }
    assert_eq!(
        idc.counter("device_authorization"),
        signins,
        "{sh:?}: signed in"
    );
    assert!(!t.pane().contains("sign-in needed"), "{}", t.pane());
    idc.configure(json!({"role_ttl": 3600}));

    // A project on top, and the role back when it is left.
    t.line(&format!("cd '{}'", sb.path("project").display()));
    let inside = dump(&t, &sb, "project");
    assert_eq!(
        inside.get("AWS_ACCESS_KEY_ID").map(String::as_str),
        Some("project-akid-7f3e"),
        "{sh:?}\n{}",
        t.pane()
    );
    assert_eq!(
        inside.get("PROJECT_ONLY").map(String::as_str),
        Some("p-5a1b")
    );
    assert_eq!(inside.get("DSOPS_USE").map(String::as_str), Some("dev"));
    let left_at = time::OffsetDateTime::now_utc();
    t.line("cd ..");
    let back = dump(&t, &sb, "back");
    dev_key(&idc, &t, sh, &back, "after the project");
    assert!(!back.contains_key("PROJECT_ONLY"));
    let exp = back
        .get("AWS_CREDENTIAL_EXPIRATION")
        .and_then(|e| {
            time::OffsetDateTime::parse(e, &time::format_description::well_known::Rfc3339).ok()
        })
        .expect("an expiration");
    assert!(
        exp > left_at,
        "{sh:?}: stale credentials after leaving the project"
    );

    // Off: exactly what the shell had.
    t.line("dsops use --off");
    let off = dump(&t, &sb, "off");
    assert_eq!(watched(&off), watched(&before), "{sh:?}\n{}", t.pane());
    assert!(
        !off.contains_key("DSOPS_STATE"),
        "{sh:?}: {:?}",
        off.get("DSOPS_STATE")
    );
}

/// A shell started from one that uses a role (and loads the hook itself)
/// has the role; its `--off` gives back what the first shell had before
/// `use`, and leaves the first shell, and its own `--off`, as they were.
/// Nothing but the variables `use` names and the state reaches children.
#[test]
fn use_in_a_nested_shell() {
    for sh in shells() {
        nested_in(sh);
    }
}

fn nested_in(sh: Sh) {
    let idc = FakeIdc::start(&["--auto-approve"]);
    let sb = signed_in(&idc);
    let rc = write_rc(&sb, sh);
    let inner_rc = sb.write(&format!("rc-inner.{}", sh.name()), &sh.init());
    let t = Tmux::start(&sb, &[sh.start()]);
    t.line(&format!("source '{}'", rc.display()));
    let before = dump(&t, &sb, "before");
    t.line("dsops use dev");
    let dev = dump(&t, &sb, "dev");
    let akid = dev_key(&idc, &t, sh, &dev, "use dev");
    let added: Vec<&str> = dev
        .keys()
        .filter(|k| !before.contains_key(*k))
        .map(String::as_str)
        .collect();
    for k in &added {
        assert!(
            WATCHED.contains(k) || *k == "DSOPS_STATE",
            "{sh:?}: {k} reaches the shell's children"
        );
    }

    // The nested shell: the role, as the first shell has it.
    t.line(sh.start());
    t.line(&format!("source '{}'", inner_rc.display()));
    let inner = dump(&t, &sb, "inner");
    assert_eq!(watched(&inner), watched(&dev), "{sh:?}\n{}", t.pane());
    t.line("dsops use --off");
    let inner_off = dump(&t, &sb, "inner-off");
    assert_eq!(
        watched(&inner_off),
        watched(&before),
        "{sh:?}\n{}",
        t.pane()
    );
    assert!(!inner_off.contains_key("DSOPS_STATE"), "{sh:?}");

    // Back in the first shell: still the role, and its own --off works.
    t.line("exit");
    let outer = dump(&t, &sb, "outer");
    assert_eq!(
        outer.get("AWS_ACCESS_KEY_ID"),
        Some(&akid),
        "{sh:?}\n{}",
        t.pane()
    );
    t.line("dsops use --off");
    let off = dump(&t, &sb, "off");
    assert_eq!(watched(&off), watched(&before), "{sh:?}\n{}", t.pane());
    assert!(!off.contains_key("DSOPS_STATE"), "{sh:?}");
}

/// `use` where the hook is not loaded: it can change nothing, says how to
/// load the hook, status 2; without a name and a terminal, the names.
#[test]
fn use_outside_a_hooked_shell_says_how() {
    let idc = FakeIdc::start(&["--auto-approve"]);
    let mut sb = sso_sandbox(&idc, "eu-west-1", "");
    sb.set("SHELL", "/bin/zsh");
    let out = sb.cmd().args(["use", "dev"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("eval \"$(dsops hook zsh)\""), "{err}");
    // In a hooked shell, with an option before `use` (which the hook's
    // function does not take over): it says to put `use` first.
    let out = sb
        .cmd()
        .env("DSOPS_STATE", "{}")
        .args(["--debug", "use", "dev"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("only when 'use' comes first: type dsops use [OPTIONS] [NAME]"),
        "{err}"
    );
    // A shell started from a hooked one, without the hook: how to load it.
    let out = sb
        .cmd()
        .env("DSOPS_STATE", "{}")
        .args(["use", "dev"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("eval \"$(dsops hook zsh)\""), "{err}");
    // Through a hook, but no name and no terminal: the names to give.
    let out = sb
        .cmd()
        .env("DSOPS_HOOK_SHELL", "bash")
        .args(["use"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("needs a profile or --store NAME") && err.contains("dev"),
        "{err}"
    );
    // console without a target: the same list, the same error.
    let out = sb.cmd().args(["console", "--print"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("console needs a profile or --store NAME") && err.contains("dev"),
        "{err}"
    );
}

const CHAIN: &str = "[profile mid]\nrole_arn = arn:aws:iam::222222222222:role/Mid\nsource_profile = dev\n\n\
[profile top]\nrole_arn = arn:aws:iam::333333333333:role/Top\nsource_profile = mid\nrole_session_name = dsops-test\nregion = eu-west-1\n";

const USER_CONFIG: &str = "version: 1\nsecretStores:\n  chained:\n    type: aws.sso\n    profile: dev\n    role_arn: arn:aws:iam::444444444444:role/StoreRole\n    role_session_name: dsops-store\n    region: us-east-1\n";

const WHOAMI: &str = "import boto3\n\
print(boto3.Session().client('sts', region_name='us-east-1').get_caller_identity()['Arn'])\n";

/// `dsops use top` (a two-hop chain) and `dsops use --store chained`: the
/// shell's credentials are the role assumed last, by moto's STS.
#[test]
fn use_a_chain_gives_the_assumed_role() {
    if !require_tool("bash") || !require_python_module("boto3") {
        return;
    }
    let Some(moto) = Moto::start() else { return };
    let idc = FakeIdc::start(&["--auto-approve"]);
    let mut sb = sso_sandbox(&idc, "us-east-1", CHAIN);
    sb.set("AWS_ENDPOINT_URL_STS", &moto.url)
        .set("DSOPS_USE_DEVICE_CODE", "1");
    sb.write(".config/dsops/config.yaml", USER_CONFIG);
    sb.ok(&["login", "--profile", "dev"]);
    let py = sb.write("whoami.py", WHOAMI);
    let script = format!(
        "eval \"$('{bin}' hook bash)\"\n\
         dsops use top || exit 9\n\
         echo \"use=$DSOPS_USE region=$AWS_REGION\"\n\
         python3 '{py}'\n\
         dsops use --store chained || exit 9\n\
         echo \"use=$DSOPS_USE\"\n\
         python3 '{py}'\n",
        bin = bin().display(),
        py = py.display()
    );
    let out = Command::new("bash")
        .args(["--noprofile", "--norc", "-c", &script])
        .env_clear()
        .envs(sb.base_env())
        .current_dir(&sb.home)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        [
            "use=top region=eu-west-1",
            "arn:aws:sts::333333333333:assumed-role/Top/dsops-test",
            "use=chained",
            "arn:aws:sts::444444444444:assumed-role/StoreRole/dsops-store",
        ],
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The picker in a real terminal: the list shows account and role, typing
/// filters, Esc changes nothing, Enter chooses.
#[test]
fn picker_filters_cancels_and_chooses() {
    if !require_tool("tmux") || !require_tool("bash") {
        return;
    }
    let idc = FakeIdc::start(&["--auto-approve"]);
    let mut sb = sso_sandbox(
        &idc,
        "eu-west-1",
        "[profile ops]\nsso_session = my-sso\nsso_account_id = 222222222222\nsso_role_name = OpsAdmin\nregion = us-west-2\n",
    );
    sb.set("DSOPS_USE_DEVICE_CODE", "1")
        .set("AWS_ENDPOINT_URL_SIGNIN", &idc.url);
    sb.ok(&["login", "--profile", "dev"]);
    let rc = write_rc(&sb, Sh::Bash);
    let t = Tmux::start(&sb, &[Sh::Bash.start()]);
    t.line(&format!("source '{}'", rc.display()));
    let before = dump(&t, &sb, "before");

    t.line("dsops use");
    let shown = |s: &str| {
        let s = s.to_string();
        wait_for(Duration::from_secs(10), || t.pane().contains(&s))
    };
    assert!(shown("DeveloperAccess"), "{}", t.pane());
    let pane = t.pane();
    for want in ["111111111111", "222222222222", "OpsAdmin", "signed in"] {
        assert!(pane.contains(want), "{want}:\n{pane}");
    }
    t.keys(&["-l", "2222"]);
    assert!(
        wait_for(Duration::from_secs(5), || {
            let p = t.pane();
            p.contains("OpsAdmin") && !p.contains("DeveloperAccess")
        }),
        "{}",
        t.pane()
    );
    t.keys(&["Escape"]);
    assert!(
        wait_for(Duration::from_secs(5), || !t.pane().contains("OpsAdmin")),
        "{}",
        t.pane()
    );
    let cancelled = dump(&t, &sb, "cancelled");
    assert_eq!(watched(&cancelled), watched(&before), "{}", t.pane());
    assert!(cancelled.get("DSOPS_STATE") == before.get("DSOPS_STATE"));

    t.line("dsops use");
    assert!(shown("DeveloperAccess"), "{}", t.pane());
    t.keys(&["-l", "ops"]);
    assert!(
        wait_for(Duration::from_secs(5), || !t
            .pane()
            .contains("DeveloperAccess")),
        "{}",
        t.pane()
    );
    t.keys(&["Enter"]);
    assert!(
        wait_for(Duration::from_secs(10), || !t.pane().contains("ACCOUNT")),
        "{}",
        t.pane()
    );
    let chosen = dump(&t, &sb, "chosen");
    assert_eq!(
        chosen.get("DSOPS_USE").map(String::as_str),
        Some("ops"),
        "{}",
        t.pane()
    );
    let k = chosen.get("AWS_ACCESS_KEY_ID").cloned().unwrap_or_default();
    assert_eq!(issued(&idc, &k).as_deref(), Some("222222222222/OpsAdmin"));
    assert_eq!(
        chosen.get("AWS_REGION").map(String::as_str),
        Some("us-west-2")
    );
}
