//! One HTTP request on a loopback connection, gathered with a bound on its
//! size (the connection's time is bounded by `accept.rs`, which feeds the
//! bytes in as they come) and parsed without panicking: only the request
//! line and the `Authorization` header matter to the endpoint.

use std::time::Duration;

/// The largest request head accepted (request line and headers). The SDKs
/// send a few hundred bytes.
pub const MAX_HEAD: usize = 8 * 1024;

/// How long a client may take, from its connection being accepted, to send
/// its request head: well under what the SDKs wait for an answer (1 s in
/// the JavaScript SDK, 2 s in botocore), since an SDK sends its request the
/// moment it connects. A silent or trickling connection is closed then.
pub const HEAD_TIME: Duration = Duration::from_millis(500);

/// How long writing the answer may take (it fits in a socket buffer).
pub const WRITE_TIME: Duration = Duration::from_secs(1);

/// What the endpoint needs of a request.
#[derive(Debug, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    pub path: String,
    /// The `Authorization` header's value; `None` when missing or given
    /// more than once.
    pub authorization: Option<Vec<u8>>,
}

/// Why no request could be read.
#[derive(Debug, PartialEq, Eq)]
pub enum Bad {
    /// Too big, too slow, or not HTTP: close without an answer.
    Unreadable,
}

/// The request in `buf` (the bytes received so far) once its head is
/// complete; `None` while more may come, an error once it is too big.
pub fn complete(buf: &[u8]) -> Option<Result<Request, Bad>> {
    if let Some(end) = head_end(buf) {
        return Some(parse(&buf[..end]));
    }
    (buf.len() >= MAX_HEAD).then_some(Err(Bad::Unreadable))
}

/// Where the head ends (after the blank line), if it does.
fn head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4)
        .or_else(|| buf.windows(2).position(|w| w == b"\n\n").map(|i| i + 2))
}

/// Parse a request head: `METHOD PATH HTTP/1.x`, then `Name: value` lines.
pub fn parse(head: &[u8]) -> Result<Request, Bad> {
    let mut lines = head
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let first = lines.next().ok_or(Bad::Unreadable)?;
    let first = std::str::from_utf8(first).map_err(|_| Bad::Unreadable)?;
    let mut parts = first.split(' ');
    let (Some(method), Some(path), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Bad::Unreadable);
    };
    if !version.starts_with("HTTP/1.") || method.is_empty() || !path.starts_with('/') {
        return Err(Bad::Unreadable);
    }
    let mut authorization = None;
    let mut seen = 0;
    for line in lines {
        if line.is_empty() {
            break;
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            return Err(Bad::Unreadable);
        };
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        if name.eq_ignore_ascii_case(b"authorization") {
            seen += 1;
            authorization = Some(value.trim_ascii().to_vec());
        }
    }
    Ok(Request {
        method: method.to_string(),
        path: path.to_string(),
        authorization: if seen == 1 { authorization } else { None },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_sdks_send() {
        let r = parse(b"GET /abc HTTP/1.1\r\nHost: 127.0.0.1:1\r\nauthorization:  tok \r\nAccept: */*\r\n\r\n")
            .unwrap();
        assert_eq!(r.method, "GET");
        assert_eq!(r.path, "/abc");
        assert_eq!(r.authorization.as_deref(), Some(&b"tok"[..]));
        let r = parse(b"GET / HTTP/1.0\n\n").unwrap();
        assert_eq!(r.authorization, None);
    }

    #[test]
    fn refuses_nonsense_and_duplicates() {
        for bad in [
            &b""[..],
            b"GET\r\n\r\n",
            b"GET /x\r\n\r\n",
            b"GET x HTTP/1.1\r\n\r\n",
            b"GET /x SPDY/3\r\n\r\n",
            b"GET /x HTTP/1.1 extra\r\n\r\n",
            b"GET /x HTTP/1.1\r\nno colon\r\n\r\n",
            b"\xff\xfe /x HTTP/1.1\r\n\r\n",
        ] {
            assert!(parse(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
        let r = parse(b"GET /x HTTP/1.1\r\nAuthorization: a\r\nAuthorization: a\r\n\r\n").unwrap();
        assert_eq!(r.authorization, None, "a repeated header is no header");
    }

    #[test]
    fn complete_only_with_the_whole_head_and_within_the_bound() {
        assert_eq!(complete(b"GET / HTTP/1.1\r\nHost: x\r\n"), None);
        assert!(matches!(complete(b"GET / HTTP/1.1\r\n\r\n"), Some(Ok(_))));
        assert_eq!(complete(&[b'a'; MAX_HEAD]), Some(Err(Bad::Unreadable)));
    }

    #[test]
    fn head_end_found() {
        assert_eq!(head_end(b"GET / HTTP/1.1\r\n\r\nbody"), Some(18));
        assert_eq!(head_end(b"GET / HTTP/1.1\r\n"), None);
    }
}
