//! What the hook says, in real shells (driven as `hook.rs` drives them): the
//! real error of an allowed file that no longer parses, a denied file named
//! once, `~NAME` for a value the shell already had, and `${VAR}` in literal
//! values taken from the environment as it was before dsops changed it.

use crate::hook::{Script, allow, assert_var, shells};
use crate::support::Sandbox;

/// The original PATH of these tests: a directory with a command of our own
/// first, then the harness's PATH (the shells and coreutils).
fn original_path(sb: &Sandbox) -> String {
    let tool = sb.write("origbin/mytool-4f2a", "#!/bin/sh\necho found-4f2a\n");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();
    format!(
        "{}:{}",
        sb.path("origbin").display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

#[test]
fn path_from_the_users_own_path_runs_commands_and_restores_exactly() {
    for sh in shells() {
        let sb = Sandbox::new();
        let orig = original_path(&sb);
        let cfg = sb.write(
            "project/.dsops.yaml",
            "version: 1\nenvs:\n  dev:\n    PATH: \"${PATH}:/opt/x\"\n    LIT: \"a$${HOME}b\"\n",
        );
        // The same config with a comment: trusted at once, and a reload.
        let commented = sb.write(
            "commented.yaml",
            "# a comment\nversion: 1\nenvs:\n  dev:\n    PATH: \"${PATH}:/opt/x\"\n    LIT: \"a$${HOME}b\"\n",
        );
        allow(&sb, &cfg);
        let ran = sb.path(&format!("ran-{}", sh.name()));
        let ran_q = sh.quote(&ran.display().to_string());
        let mut s = Script::new(&sb, sh);
        s.export("PATH", &orig)
            .prompt()
            .dump("before")
            .cd(&sb.path("project"))
            .prompt()
            .line(format!("mytool-4f2a > {ran_q}"))
            .dump("in")
            .line(format!(
                "cp {} {}",
                sh.quote(&commented.display().to_string()),
                sh.quote(&cfg.display().to_string())
            ))
            .prompt()
            .dump("reloaded")
            .cd(&sb.home)
            .prompt()
            .dump("out")
            .cd(&sb.path("project"))
            .prompt()
            .dump("again")
            .cd(&sb.home)
            .prompt()
            .dump("out-again");
        let r = s.run(&sb, &[]);
        r.ok();
        let inside = format!("{orig}:/opt/x");
        assert_var(&r, "before", "PATH", Some(&orig));
        assert_var(&r, "in", "PATH", Some(&inside));
        assert_var(&r, "in", "LIT", Some("a${HOME}b"));
        assert_eq!(
            std::fs::read_to_string(&ran).unwrap_or_default().trim(),
            "found-4f2a",
            "{sh:?}: {}",
            r.stderr
        );
        assert_var(&r, "reloaded", "PATH", Some(&inside));
        assert_var(&r, "out", "PATH", Some(&orig));
        assert_var(&r, "out", "LIT", None);
        assert_var(&r, "again", "PATH", Some(&inside));
        assert_var(&r, "out-again", "PATH", Some(&orig));
        // PATH existed: it is changed, not new.
        assert!(r.stderr.contains("~PATH"), "{sh:?}: {}", r.stderr);
        assert!(!r.stderr.contains("+PATH"), "{sh:?}: {}", r.stderr);
        assert!(r.stderr.contains("+LIT"), "{sh:?}: {}", r.stderr);
    }
}

#[test]
fn a_missing_variable_in_a_literal_names_the_value() {
    let sb = Sandbox::new();
    let cfg = sb.write(
        "project/.dsops.yaml",
        "version: 1\nenvs:\n  dev:\n    GREETING: \"hi ${NOPE_UNSET_91}\"\n",
    );
    allow(&sb, &cfg);
    let out = sb
        .cmd()
        .args(["export", "--env", "dev"])
        .env_remove("NOPE_UNSET_91")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(".dsops.yaml: envs.dev.GREETING: ${NOPE_UNSET_91} is not set"),
        "{err}"
    );
    // Set in the process environment, `export` takes it from there.
    let out = sb
        .cmd()
        .args(["export", "--env", "dev", "--format", "dotenv"])
        .env("NOPE_UNSET_91", "there")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("GREETING='hi there'"),
        "{out:?}"
    );

    for sh in shells() {
        let mut s = Script::new(&sb, sh);
        s.cd(&sb.path("project")).prompt().prompt().dump("in");
        let r = s.run(&sb, &[]);
        r.ok();
        assert_var(&r, "in", "GREETING", None);
        assert_eq!(
            r.count("envs.dev.GREETING: ${NOPE_UNSET_91} is not set"),
            1,
            "{sh:?}: {}",
            r.stderr
        );
    }
}

#[test]
fn an_allowed_file_that_no_longer_parses_shows_its_error_once() {
    for sh in shells() {
        let sb = Sandbox::new();
        let cfg = sb.write(
            "project/.dsops.yaml",
            "version: 1\nenvs:\n  dev:\n    FOO: fine-1a2b\n",
        );
        let broken = sb.write(
            "broken.yaml",
            "version: 1\nenvs:\n  dev:\n    FOO: [unclosed\n",
        );
        std::fs::create_dir_all(sb.path("project/sub")).unwrap();
        allow(&sb, &cfg);
        let mut s = Script::new(&sb, sh);
        s.cd(&sb.path("project"))
            .prompt()
            .dump("in")
            .line(format!(
                "cp {} {}",
                sh.quote(&broken.display().to_string()),
                sh.quote(&cfg.display().to_string())
            ))
            .prompt()
            .prompt()
            .cd(&sb.path("project/sub"))
            .prompt()
            .dump("broken");
        let r = s.run(&sb, &[]);
        r.ok();
        assert_var(&r, "in", "FOO", Some("fine-1a2b"));
        assert_var(&r, "broken", "FOO", None);
        assert_eq!(
            r.count(".dsops.yaml:5:1: invalid YAML"),
            1,
            "{sh:?}: {}",
            r.stderr
        );
        assert_eq!(
            r.count("changed since it was allowed: review it"),
            0,
            "{sh:?}: {}",
            r.stderr
        );
    }
}

#[test]
fn a_denied_file_says_so_once_per_shell() {
    for sh in shells() {
        let sb = Sandbox::new();
        let cfg = sb.write(
            "project/.dsops.yaml",
            "version: 1\nenvs:\n  dev:\n    FOO: denied-5e6f\n",
        );
        std::fs::create_dir_all(sb.path("project/sub")).unwrap();
        sb.cmd().arg("deny").arg(&cfg).assert().success();
        let mut s = Script::new(&sb, sh);
        for _ in 0..3 {
            s.cd(&sb.path("project"))
                .prompt()
                .cd(&sb.path("project/sub"))
                .prompt()
                .cd(&sb.home)
                .prompt();
        }
        s.cd(&sb.path("project")).prompt().dump("in");
        let r = s.run(&sb, &[]);
        r.ok();
        assert_var(&r, "in", "FOO", None);
        assert_eq!(r.count("is denied"), 1, "{sh:?}: {}", r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "{sh:?}: {}", r.stderr);
    }
}
