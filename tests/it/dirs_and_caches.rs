//! Where dsops keeps things: a relative `XDG_*_HOME` is ignored (XDG spec);
//! cache files open to others are made 0600 when read, and `doctor` says
//! which it repaired; a priors directory that belongs to another user is
//! refused, naming the owner, for dsops's own private directory.

use crate::support::*;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    v.retain(|p| p.extension().is_some_and(|e| e == "json"));
    v.sort();
    v
}

fn chmod(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn a_relative_xdg_config_home_is_ignored() {
    let mut sb = Sandbox::new();
    let user = "version: 1\nenvs:\n  e:\n    WHERE: home\n";
    sb.write(".config/dsops/config.yaml", user);
    // The same file, relative to the directory dsops runs in.
    sb.write(
        "project/rel/dsops/config.yaml",
        "version: 1\nenvs:\n  e:\n    WHERE: relative\n",
    );
    sb.set("XDG_CONFIG_HOME", "rel");
    let v = sb.json(&["export", "--env", "e", "--format", "json"]);
    assert_eq!(v["WHERE"], "home", "{v}");
}

#[test]
fn cache_files_open_to_others_are_made_private_and_doctor_says_so() {
    let idc = FakeIdc::start(&[]);
    let sb = sso_sandbox(&idc, "us-east-1", "");
    sb.ok(&["login", "--profile", "dev"]);
    sb.ok(&["creds", "--profile", "dev"]);
    sb.ok(&["eks-token", "--profile", "dev", "--cluster", "c"]);
    let eks = files_in(&sb.path(".cache/dsops/eks"));
    let roles = files_in(&sb.path(".aws/cli/cache"));
    let tokens = files_in(&sb.path(".aws/sso/cache"));
    assert_eq!((eks.len(), roles.len()), (1, 1), "{eks:?} {roles:?}");
    assert!(!tokens.is_empty());
    let all: Vec<&PathBuf> = eks.iter().chain(&roles).chain(&tokens).collect();

    // Read from the cache: repaired as it is read, and said.
    for p in &all {
        chmod(p, 0o644);
    }
    let out = sb.ok(&["eks-token", "--profile", "dev", "--cluster", "c"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("made it private (0600)"), "{err}");
    assert_eq!(file_mode(&eks[0]), 0o600, "the EKS token cache");
    let out = sb.ok(&["creds", "--profile", "dev"]);
    assert!(!out.stdout.is_empty());
    assert_eq!(file_mode(&roles[0]), 0o600, "the role cache");

    // doctor repairs and lists each one.
    for p in &all {
        chmod(p, 0o640);
    }
    let out = sb.cmd().arg("doctor").output().unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    for p in &all {
        assert_eq!(file_mode(p), 0o600, "{}", p.display());
        assert!(
            report.contains(&format!(
                "{} holds a token or credentials and was open to others (mode 0640): repaired, now 0600",
                p.display()
            )),
            "{}: {report}",
            p.display()
        );
    }
    assert_eq!(
        report.matches("repaired, now 0600").count(),
        all.len(),
        "each once: {report}"
    );
}

#[test]
fn a_priors_directory_of_another_user_is_refused() {
    if !require_root("directory of another user to make") {
        return;
    }
    let mut sb = Sandbox::new();
    let run = sb.path("run");
    std::fs::create_dir_all(run.join("dsops/priors")).unwrap();
    for d in [run.clone(), run.join("dsops"), run.join("dsops/priors")] {
        std::os::unix::fs::chown(&d, Some(65534), Some(65534)).unwrap();
        chmod(&d, 0o755);
    }
    sb.set("XDG_RUNTIME_DIR", &run.display().to_string());
    sb.set("SHADOWED", "my own value");
    let cfg = sb.write(
        "project/.dsops.yaml",
        "version: 1\nenvs:\n  e:\n    SHADOWED: the project's\n",
    );
    sb.ok(&["allow", cfg.to_str().unwrap()]);
    let out = sb.ok(&["hook-env", "bash"]);
    let err = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("SHADOWED"), "loaded: {stdout} {err}");
    assert!(
        err.contains(&format!("{} belongs to ", run.display())) && err.contains("(uid 65534)"),
        "the owner is named: {err}"
    );
    assert_eq!(
        std::fs::read_dir(run.join("dsops/priors")).unwrap().count(),
        0,
        "nothing written in the other user's directory"
    );
    let own = sb.path(".local/state/dsops/priors");
    let kept: Vec<_> = std::fs::read_dir(&own)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    assert_eq!(
        kept.len(),
        1,
        "the prior value kept in our own directory: {kept:?}"
    );
    assert_eq!(file_mode(&own) & 0o777, 0o700);
}

/// `doctor` names a cache file and a trust directory that belong to another
/// user, with a failed check; ours and root's are fine.
#[test]
fn doctor_names_caches_and_trust_records_of_another_user() {
    if !require_root("file of another user to make") {
        return;
    }
    let idc = FakeIdc::start(&[]);
    let sb = sso_sandbox(&idc, "us-east-1", "");
    sb.ok(&["login", "--profile", "dev"]);
    sb.ok(&["creds", "--profile", "dev"]);
    let roles = files_in(&sb.path(".aws/cli/cache"));
    assert_eq!(roles.len(), 1, "{roles:?}");
    let out = sb.cmd().arg("doctor").output().unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(!report.contains("owned by another user"), "{report}");

    let trust = sb.path(".local/share/dsops/trust");
    std::fs::create_dir_all(&trust).unwrap();
    std::os::unix::fs::chown(&roles[0], Some(65534), Some(65534)).unwrap();
    std::os::unix::fs::chown(&trust, Some(65534), Some(65534)).unwrap();
    let out = sb.cmd().arg("doctor").output().unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{report}");
    for (p, what) in [
        (&roles[0], "holds a token or credentials"),
        (&trust, "holds trust records"),
    ] {
        assert!(
            report.contains(&format!(
                "FAIL {} {what} and is owned by another user (uid 65534)",
                p.display()
            )),
            "{}: {report}",
            p.display()
        );
    }
}
