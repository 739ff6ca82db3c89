//! `dsops exec --profile P -- CMD`: signals that come before CMD exists, and
//! the signal tests run the way a background job runs them.
//!
//! From its start, `exec` holds the signals it passes on: one sent by a
//! process before CMD exists reaches CMD once it does (never ending dsops
//! and leaving CMD without its parent), while Ctrl-C on the terminal still
//! ends a dsops that has no CMD yet.

use crate::support::*;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// A sandbox signed in to the fake Identity Center, profile `dev`.
fn setup(idc: &FakeIdc) -> Sandbox {
    let sb = sso_sandbox(idc, "us-east-1", "");
    sb.ok(&["login", "--profile", "dev"]);
    sb
}

/// Forget the cached role credentials, so that `exec` fetches them.
fn forget_roles(sb: &Sandbox) {
    if let Ok(entries) = std::fs::read_dir(sb.path(".aws/cli/cache")) {
        for e in entries.flatten() {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// `dsops exec --profile dev -- sh -c ...`: the command traps TERM (exit
/// 42) and otherwise runs for at most 5 seconds.
fn start_exec(sb: &Sandbox, started: &Path) -> Child {
    sb.std_cmd()
        .args(["exec", "--profile", "dev", "--", "sh", "-c"])
        .arg(format!(
            "trap 'exit 42' TERM; touch '{}'; i=0; while [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done",
            started.display()
        ))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn wait_within(child: &mut Child, limit: Duration) -> ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("dsops did not end within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// dsops ended by exiting (not by a signal), with the status of a command
/// that either trapped TERM (42) or died of it before its trap was set (143).
fn assert_command_answered(status: ExitStatus, child: Child, what: &str) {
    let err = String::from_utf8_lossy(&child.wait_with_output().unwrap().stderr).into_owned();
    assert_eq!(
        status.signal(),
        None,
        "{what}: dsops itself was ended by signal {:?} (its command orphaned): {err}",
        status.signal()
    );
    assert!(
        matches!(status.code(), Some(42) | Some(143)),
        "{what}: {status:?}: {err}"
    );
}

#[test]
fn a_signal_during_the_credentials_fetch_reaches_the_command() {
    let idc = FakeIdc::start(&[]);
    let sb = setup(&idc);
    forget_roles(&sb);
    idc.configure(serde_json::json!({"latency_ms": 700}));
    let before = idc.counter("get_role_credentials");
    let started = sb.path("started");
    let mut child = start_exec(&sb, &started);
    // dsops is waiting for the (slow) portal: the command does not exist yet.
    let t = Instant::now();
    while idc.counter("get_role_credentials") == before {
        assert!(t.elapsed() < Duration::from_secs(20), "no role fetch");
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(!started.exists(), "the command started before the fetch");
    // SAFETY: a signal to the dsops process this test started.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = wait_within(&mut child, Duration::from_secs(20));
    idc.configure(serde_json::json!({"latency_ms": 0}));
    // (The command may die of it before its trap is set: 143, passed on.)
    assert_command_answered(status, child, "TERM during the fetch");
}

#[test]
fn ctrl_c_before_the_command_starts_ends_exec() {
    if !require_tool("python3") {
        return;
    }
    let idc = FakeIdc::start(&[]);
    let sb = setup(&idc);
    forget_roles(&sb);
    idc.configure(serde_json::json!({"latency_ms": 3000}));
    let before = idc.counter("get_role_credentials");
    let ready = sb.path("ready");
    let started = sb.path("started");
    let mut pty = default_signals(&mut Command::new("python3"))
        .arg(repo().join("tests/support/pty_run.py"))
        .arg(&ready)
        .arg("\\x03")
        .arg(bin())
        .args(["exec", "--profile", "dev", "--", "sh", "-c"])
        .arg(format!("touch '{}'", started.display()))
        .env_clear()
        .envs(sb.base_env())
        .current_dir(sb.path("project"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let t = Instant::now();
    while idc.counter("get_role_credentials") == before {
        assert!(t.elapsed() < Duration::from_secs(20), "no role fetch");
        std::thread::sleep(Duration::from_millis(5));
    }
    // Ctrl-C on the terminal while dsops waits for the portal.
    std::fs::write(&ready, "").unwrap();
    let t = Instant::now();
    wait_within(&mut pty, Duration::from_secs(20));
    let out = pty.wait_with_output().unwrap();
    idc.configure(serde_json::json!({"latency_ms": 0}));
    assert!(
        t.elapsed() < Duration::from_millis(2500),
        "dsops waited for the portal after Ctrl-C"
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "130",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!started.exists(), "the command started after Ctrl-C");
}

/// The signal tests, run again by a test harness whose parent ignores
/// SIGINT and SIGQUIT (as `nohup` or `cmd &` in a script leave them): they
/// set the dispositions of what they start themselves.
#[test]
fn signal_tests_pass_when_the_harness_ignores_sigint() {
    if std::env::var_os("DSOPS_TEST_NESTED").is_some() {
        return;
    }
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--exact",
        "endpoint::signals_and_exit_statuses_pass_through",
        "endpoint::terminal_signals_reach_the_command_once",
        "exec_signals::a_signal_during_the_credentials_fetch_reaches_the_command",
    ])
    .env("DSOPS_TEST_NESTED", "1")
    .stdin(Stdio::null());
    // SAFETY: signal(2) is async-signal-safe, as code between fork and exec
    // must be.
    unsafe {
        cmd.pre_exec(|| {
            libc::signal(libc::SIGINT, libc::SIG_IGN);
            libc::signal(libc::SIGQUIT, libc::SIG_IGN);
            Ok(())
        });
    }
    let out = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(text.contains("3 passed"), "{text}");
}

/// Is `signal` in the blocked mask of process `pid` (its main thread)?
/// (Not while that thread waits for it in `sigwaitinfo`, which takes it out
/// of the mask for the wait: then the command has started.)
fn blocks(pid: u32, signal: i32) -> bool {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
        return false;
    };
    status
        .lines()
        .find_map(|l| l.strip_prefix("SigBlk:"))
        .and_then(|m| u64::from_str_radix(m.trim(), 16).ok())
        .is_some_and(|m| m & (1 << (signal - 1)) != 0)
}

#[test]
fn a_signal_the_moment_exec_starts_never_ends_dsops() {
    let idc = FakeIdc::start(&[]);
    let sb = setup(&idc);
    // Load on both cores, so that every step of dsops's start is slow and
    // can be where the signal lands.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let load: Vec<_> = (0..2)
        .map(|_| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut x = 0u64;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
                }
            })
        })
        .collect();
    for round in 0..30 {
        // Every other round fetches the role credentials, a longer start.
        if round % 2 == 0 {
            forget_roles(&sb);
        }
        let started = sb.path(&format!("started.{round}"));
        let mut child = start_exec(&sb, &started);
        let pid = child.id();
        // As soon as dsops holds the signal (before that, it ends dsops as
        // it ends any program that has not yet set anything up).
        let t = Instant::now();
        while !blocks(pid, libc::SIGTERM) && !started.exists() {
            assert!(
                child.try_wait().unwrap().is_none(),
                "round {round}: dsops ended before the signal"
            );
            assert!(t.elapsed() < Duration::from_secs(20), "dsops never blocked");
            std::thread::yield_now();
        }
        // SAFETY: a signal to the dsops process this test started.
        unsafe { libc::kill(pid as i32, libc::SIGTERM) };
        let status = wait_within(&mut child, Duration::from_secs(20));
        assert_command_answered(status, child, &format!("round {round}"));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for l in load {
        l.join().unwrap();
    }
}
