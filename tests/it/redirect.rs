//! Headers stay with their host: an Identity Center endpoint that answers
//! with a redirect to another host gets no bearer token sent there, and
//! `dsops creds` fails with a line naming the host that redirected; a body
//! that comes compressed is described as such.

use crate::support::*;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A server answering every request with `answer`, on its own thread; the
/// heads it received are kept.
struct Canned {
    port: u16,
    heads: Arc<Mutex<Vec<String>>>,
}

impl Canned {
    fn start(ip: &str, answer: impl Fn(u16) -> Vec<u8> + Send + 'static) -> Canned {
        let listener = TcpListener::bind((ip, 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let heads = Arc::new(Mutex::new(vec![]));
        let kept = Arc::clone(&heads);
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut s) = conn else { continue };
                let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
                let head = read_head(&mut s);
                kept.lock().unwrap().push(head);
                let _ = s.write_all(&answer(port));
            }
        });
        Canned { port, heads }
    }

    fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }
}

fn read_head(s: &mut TcpStream) -> String {
    let mut buf = vec![];
    let mut b = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") && buf.len() < 64 * 1024 {
        match s.read(&mut b) {
            Ok(1) => buf.push(b[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&buf).into_owned()
}

fn signed_in() -> (FakeIdc, Sandbox) {
    let idc = FakeIdc::start(&[]);
    let sb = sso_sandbox(&idc, "us-east-1", "");
    sb.ok(&["login", "--profile", "dev"]);
    (idc, sb)
}

#[test]
fn a_redirect_to_another_host_gets_no_bearer_token() {
    let (_idc, mut sb) = signed_in();
    // The place the redirect points at: another loopback address.
    let elsewhere = Canned::start("127.0.0.2", |_| {
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}".to_vec()
    });
    let target = elsewhere.port;
    let portal = Canned::start("127.0.0.1", move |_| {
        format!(
            "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.2:{target}/federation/credentials?role_name=DeveloperAccess&account_id=111111111111\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        .into_bytes()
    });
    sb.set(
        "AWS_ENDPOINT_URL_SSO",
        &format!("http://127.0.0.1:{}", portal.port),
    );
    let err = sb.fails(&["creds", "--profile", "dev", "--no-login"], 1);
    let asked = portal.heads();
    assert!(
        asked
            .iter()
            .any(|h| h.to_ascii_lowercase().contains("x-amz-sso_bearer_token")),
        "the configured portal was asked, with the token: {asked:?}"
    );
    assert_eq!(
        elsewhere.heads(),
        Vec::<String>::new(),
        "the other host was sent a request"
    );
    assert!(err.contains("redirect"), "{err}");
    assert!(
        err.contains(&format!("127.0.0.1:{}", portal.port)),
        "the error names the host that answered: {err}"
    );
    assert!(err.contains(&format!("127.0.0.2:{target}")), "{err}");
    assert!(
        !err.contains("account_id="),
        "no query in the message: {err}"
    );
}

#[test]
fn a_compressed_body_is_described_as_such() {
    let (_idc, mut sb) = signed_in();
    let portal = Canned::start("127.0.0.1", |_| {
        let body = b"\x1f\x8b\x08\x00garbage";
        let mut out = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .into_bytes();
        out.extend_from_slice(body);
        out
    });
    sb.set(
        "AWS_ENDPOINT_URL_SSO",
        &format!("http://127.0.0.1:{}", portal.port),
    );
    let err = sb.fails(&["creds", "--profile", "dev", "--no-login"], 1);
    assert!(
        err.contains("compressed body (Content-Encoding: gzip)"),
        "{err}"
    );
    assert!(err.contains(&format!("127.0.0.1:{}", portal.port)), "{err}");
}
