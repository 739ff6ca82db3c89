//! One Secret Service connection per process: a `creds` that refreshes the
//! SSO token reads the keyring entry, reads it again under the session lock
//! and writes it back, all over one connection and one encrypted session
//! (each new one is a D-Bus handshake and a Diffie-Hellman exchange).
//! Counted with `dbus-monitor` on the test's private bus.

use crate::keyring::{ACCOUNT, setup};
use crate::support::*;
use serde_json::json;
use std::io::BufRead;
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// `OpenSession` calls the monitor has reported by now, waiting up to
/// `wait` for at least `at_least` and then for stragglers.
fn sessions(rx: &mpsc::Receiver<String>, seen: &mut usize, at_least: usize, wait: Duration) {
    let deadline = Instant::now() + wait;
    while *seen < at_least && Instant::now() < deadline {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(50))
            && line.contains("member=OpenSession")
        {
            *seen += 1;
        }
    }
    // Anything more that was on its way.
    while let Ok(line) = rx.recv_timeout(Duration::from_millis(500)) {
        if line.contains("member=OpenSession") {
            *seen += 1;
        }
    }
}

#[test]
fn a_token_refresh_opens_one_secret_service_session() {
    if !require_tool("dbus-monitor") {
        return;
    }
    let idc = FakeIdc::start(&[]);
    let Some((sb, ss)) = setup(&idc) else { return };
    sb.ok(&["login", "--profile", "dev"]);
    // The access token about to expire: the next creds refreshes it.
    let mut s = ss.session();
    s["expiresAt"] = json!(iso(5 * 60));
    ss.store("dsops", ACCOUNT, &s.to_string());

    let mut monitor = ss
        .command("dbus-monitor")
        .args([
            "--session",
            "type='method_call',interface='org.freedesktop.Secret.Service',member='OpenSession'",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start dbus-monitor");
    let out = monitor.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // The monitor is listening once it sees secret-tool's own session.
    let mut seen = 0;
    let deadline = Instant::now() + Duration::from_secs(20);
    while seen == 0 {
        assert!(Instant::now() < deadline, "dbus-monitor saw nothing");
        let _ = ss.lookup("dsops", ACCOUNT);
        sessions(&rx, &mut seen, 1, Duration::from_millis(200));
    }
    let before = seen;

    sb.ok(&["creds", "--profile", "dev", "--no-login"]);
    assert_eq!(idc.counter("token_refresh"), 1, "the token was refreshed");
    sessions(&rx, &mut seen, before + 1, Duration::from_secs(10));
    let _ = monitor.kill();
    let _ = monitor.wait();
    assert_eq!(
        seen - before,
        1,
        "Secret Service sessions opened by one creds with a refresh"
    );
    // And the refreshed token is in the keyring.
    assert_ne!(ss.session()["accessToken"], s["accessToken"]);
}
