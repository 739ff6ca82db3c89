//! The credential endpoint serves its owner first: another user's
//! connections are closed before they are read (unless `serve
//! --allow-any-user`), and idle or trickling connections, however many,
//! do not keep a well-behaved request from being answered within a second.

use crate::support::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// `dsops serve --profile dev` on a free port, with its route.
struct Serve {
    child: Child,
    port: u16,
    path: String,
    token: String,
}

impl Serve {
    fn start(sb: &Sandbox, extra: &[&str]) -> Serve {
        let port = free_port();
        let mut child = sb
            .std_cmd()
            .args(["serve", "--profile", "dev", "--format", "json"])
            .args(["--port", &port.to_string()])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.as_mut().unwrap()),
            &mut line,
        )
        .unwrap();
        let v = parse_json(line.as_bytes());
        let env = &v[0]["env"];
        let uri = env["AWS_CONTAINER_CREDENTIALS_FULL_URI"].as_str().unwrap();
        let prefix = format!("http://127.0.0.1:{port}");
        Serve {
            child,
            port,
            path: uri.strip_prefix(&prefix).unwrap().to_string(),
            token: env["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
                .as_str()
                .unwrap()
                .to_string(),
        }
    }

    fn request(&self) -> String {
        format!(
            "GET {} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nAuthorization: {}\r\n\r\n",
            self.path, self.port, self.token
        )
    }

    /// A good request from this process (our own user): the status, and
    /// how long the answer took.
    fn ask(&self) -> (u16, Duration) {
        let start = Instant::now();
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(self.request().as_bytes()).unwrap();
        let mut out = vec![];
        let _ = s.read_to_end(&mut out);
        let status = String::from_utf8_lossy(&out)
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        (status, start.elapsed())
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn signed_in() -> (FakeIdc, Sandbox) {
    let idc = FakeIdc::start(&[]);
    let sb = sso_sandbox(&idc, "us-east-1", "");
    sb.ok(&["login", "--profile", "dev"]);
    (idc, sb)
}

/// Ask `rounds` times, 100 ms apart; every answer must be a 200 within a
/// second.
fn answered_promptly(serve: &Serve, rounds: usize) {
    let mut slowest = Duration::ZERO;
    for i in 0..rounds {
        let (status, took) = serve.ask();
        slowest = slowest.max(took);
        assert_eq!(status, 200, "request {i}");
        assert!(
            took < Duration::from_secs(1),
            "request {i} took {took:?} while idle connections were held"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    eprintln!("slowest of {rounds} answers: {slowest:?}");
}

#[test]
fn our_own_idle_and_trickling_connections_do_not_starve_a_request() {
    let (_idc, sb) = signed_in();
    let serve = Serve::start(&sb, &[]);
    assert_eq!(serve.ask().0, 200, "answers at all");
    let stop = Arc::new(AtomicBool::new(false));
    let port = serve.port;
    let hog = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            // 300 connections held at all times: silent ones, and some that
            // send a byte of a request now and then. Those the endpoint
            // closes are opened again.
            let mut held: Vec<TcpStream> = vec![];
            let mut opened = 0usize;
            while !stop.load(Ordering::SeqCst) {
                held.retain_mut(|s| {
                    let mut b = [0u8; 1];
                    s.set_nonblocking(true).unwrap();
                    matches!(s.read(&mut b), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
                });
                while held.len() < 300 {
                    let Ok(s) = TcpStream::connect(("127.0.0.1", port)) else {
                        break;
                    };
                    opened += 1;
                    held.push(s);
                }
                for s in held.iter_mut().step_by(15) {
                    let _ = s.write_all(b"G");
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            opened
        })
    };
    std::thread::sleep(Duration::from_millis(300));
    answered_promptly(&serve, 25);
    stop.store(true, Ordering::SeqCst);
    let opened = hog.join().unwrap();
    assert!(opened >= 300, "the hog held connections: {opened}");
}

/// A bash script, run as another user, that opens `n` connections to `port`
/// and holds them; then sends one good request and prints its status line
/// (or `NONE` when the connection was closed unanswered); then holds the
/// connections until killed.
const OTHER_USER: &str = r#"
trap '' PIPE
port=$1 n=$2 request=$3
i=0
while [ "$i" -lt "$n" ]; do
    exec {fd}<>"/dev/tcp/127.0.0.1/$port" || exit 1
    i=$((i + 1))
done
exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
printf %s "$request" >&3
line=$(timeout 5 head -n 1 <&3 | tr -d '\r')
echo "${line:-NONE}"
echo HELD
sleep 60
"#;

/// Start the script as another user; wait for its answer line.
fn other_user_connects(serve: &Serve, n: usize) -> Option<(Child, String)> {
    let words = as_other_user()?;
    let mut child = Command::new(&words[0])
        .args(&words[1..])
        .args(["bash", "-c", OTHER_USER, "other-user"])
        .arg(serve.port.to_string())
        .arg(n.to_string())
        .arg(serve.request())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut status = String::new();
    std::io::BufRead::read_line(&mut out, &mut status).unwrap();
    let mut held = String::new();
    std::io::BufRead::read_line(&mut out, &mut held).unwrap();
    assert_eq!(held.trim(), "HELD", "the other user's script: {status:?}");
    Some((child, status.trim().to_string()))
}

#[test]
fn another_users_connections_are_closed_and_the_owner_is_answered() {
    let (_idc, sb) = signed_in();
    let serve = Serve::start(&sb, &[]);
    let Some((mut other, status)) = other_user_connects(&serve, 300) else {
        return;
    };
    assert_eq!(
        status, "NONE",
        "another user, even with the token, gets no answer"
    );
    // Its 300 connections are still open on its side.
    answered_promptly(&serve, 10);
    let _ = other.kill();
    let _ = other.wait();
}

#[test]
fn allow_any_user_answers_another_user() {
    let (_idc, sb) = signed_in();
    let serve = Serve::start(&sb, &["--allow-any-user"]);
    let Some((mut other, status)) = other_user_connects(&serve, 0) else {
        return;
    };
    assert!(status.starts_with("HTTP/1.1 200 "), "{status}");
    let _ = other.kill();
    let _ = other.wait();
}
