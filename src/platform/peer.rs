//! Who is at the other end of a loopback TCP connection, and waiting for
//! many connections at once (`poll`).
//!
//! On Linux, every socket is listed in `/proc/net/tcp` (and `tcp6`) with
//! the user that created it, so the listener of a connection from `peer` to
//! `local` finds the peer's socket as the line whose local address is `peer`
//! and whose remote address is `local`. The addresses are printed as the
//! kernel holds them: each 32-bit word of the address in the machine's byte
//! order, as 8 hex digits, then `:` and the port as 4. Elsewhere the owner
//! cannot be told this way, and the answer is `None`.
//!
//! The kernel prints that whole table at every read, which takes
//! milliseconds on a machine with thousands of sockets (10+ ms measured with
//! 3,000): too slow to do for every connection a listener accepts. So the
//! socket is first asked for directly, by its four addresses, over netlink
//! (`NETLINK_SOCK_DIAG`, what `ss` uses: one message each way, a few
//! microseconds); the table is read only where netlink is not available.

use std::io;
use std::net::{IpAddr, SocketAddr};

/// The user owning the socket at `peer`, connected to our `local` socket;
/// `None` when it is not listed (or not on Linux).
pub fn loopback_peer_uid(peer: SocketAddr, local: SocketAddr) -> Option<u32> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    #[cfg(target_os = "linux")]
    if let Ok(found) = diag_uid(peer, local) {
        return found;
    }
    table_uid(peer, local)
}

/// The same from `/proc/net/tcp{,6}`.
fn table_uid(peer: SocketAddr, local: SocketAddr) -> Option<u32> {
    let v4 = (hex_addr(peer, false), hex_addr(local, false));
    let v6 = (hex_addr(peer, true), hex_addr(local, true));
    [("/proc/net/tcp", v4), ("/proc/net/tcp6", v6)]
        .into_iter()
        .find_map(|(table, (want_local, want_remote))| {
            let (file, _) = super::open_regular(std::path::Path::new(table), true).ok()?;
            let lines = std::io::BufRead::lines(std::io::BufReader::new(file));
            uid_in(lines.map_while(Result::ok), want_local?, want_remote?)
        })
}

/// Ask the kernel for the socket whose own address is `peer` and whose
/// remote one is `local` (an exact `SOCK_DIAG_BY_FAMILY` lookup of
/// `inet_diag`): `Ok(None)` when there is no such socket, `Err` when netlink
/// cannot be used here. Messages are built byte by byte after
/// `linux/netlink.h` and `linux/inet_diag.h`, so no layout is assumed.
#[cfg(target_os = "linux")]
fn diag_uid(peer: SocketAddr, local: SocketAddr) -> Result<Option<u32>, ()> {
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    const NETLINK_SOCK_DIAG: libc::c_int = 4;
    const SOCK_DIAG_BY_FAMILY: u16 = 20;
    const NLM_F_REQUEST: u16 = 1;
    /// nlmsghdr, then inet_diag_req_v2 (family, protocol, ext, pad,
    /// states, then the 48-byte inet_diag_sockid).
    const HEADER: usize = 16;
    const REQUEST: usize = 8 + 48;
    /// Where `idiag_uid` is in an `inet_diag_msg`: after family, state,
    /// timer, retrans, the sockid, expires, rqueue and wqueue.
    const UID_AT: usize = 4 + 48 + 12;
    let addr16 = |ip: IpAddr| -> [u8; 16] {
        match ip {
            IpAddr::V4(v4) => {
                let mut a = [0u8; 16];
                a[..4].copy_from_slice(&v4.octets());
                a
            }
            IpAddr::V6(v6) => v6.octets(),
        }
    };
    let family = match (peer.ip(), local.ip()) {
        (IpAddr::V4(_), IpAddr::V4(_)) => libc::AF_INET,
        (IpAddr::V6(_), IpAddr::V6(_)) => libc::AF_INET6,
        _ => return Err(()),
    };
    let mut msg = Vec::with_capacity(HEADER + REQUEST);
    msg.extend_from_slice(&((HEADER + REQUEST) as u32).to_ne_bytes());
    msg.extend_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
    msg.extend_from_slice(&NLM_F_REQUEST.to_ne_bytes());
    msg.extend_from_slice(&1u32.to_ne_bytes()); // sequence
    msg.extend_from_slice(&0u32.to_ne_bytes()); // port id: the kernel's
    msg.extend_from_slice(&[family as u8, libc::IPPROTO_TCP as u8, 0, 0]);
    msg.extend_from_slice(&u32::MAX.to_ne_bytes()); // every state
    msg.extend_from_slice(&peer.port().to_be_bytes());
    msg.extend_from_slice(&local.port().to_be_bytes());
    msg.extend_from_slice(&addr16(peer.ip()));
    msg.extend_from_slice(&addr16(local.ip()));
    msg.extend_from_slice(&0u32.to_ne_bytes()); // any interface
    msg.extend_from_slice(&[0xff; 8]); // INET_DIAG_NOCOOKIE
    // SAFETY: plain socket creation; the descriptor is owned right after.
    let fd = unsafe {
        libc::socket(
            libc::AF_NETLINK,
            libc::SOCK_DGRAM | libc::SOCK_CLOEXEC,
            NETLINK_SOCK_DIAG,
        )
    };
    if fd < 0 {
        return Err(());
    }
    // SAFETY: `fd` is a new descriptor that nothing else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let timeout = libc::timeval {
        tv_sec: 1,
        tv_usec: 0,
    };
    // SAFETY: `timeout` is a valid timeval of the size given.
    unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            (&raw const timeout).cast(),
            std::mem::size_of::<libc::timeval>() as libc::socklen_t,
        )
    };
    // SAFETY: an all-zero sockaddr_nl is valid; the family is set below.
    let mut kernel: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
    kernel.nl_family = libc::AF_NETLINK as libc::sa_family_t;
    // SAFETY: `msg` and `kernel` are valid for the lengths given.
    let sent = unsafe {
        libc::sendto(
            fd.as_raw_fd(),
            msg.as_ptr().cast(),
            msg.len(),
            0,
            (&raw const kernel).cast(),
            std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
        )
    };
    if sent != msg.len() as isize {
        return Err(());
    }
    let mut buf = [0u8; 1024];
    // SAFETY: `buf` is valid for writes of its length.
    let got = unsafe { libc::recv(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) };
    let got = usize::try_from(got).map_err(|_| ())?;
    let word = |at: usize| -> Option<u32> {
        let b = buf.get(at..at + 4)?;
        Some(u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
    };
    let kind = buf.get(4..6).map(|b| u16::from_ne_bytes([b[0], b[1]]));
    match kind {
        Some(SOCK_DIAG_BY_FAMILY) if got >= HEADER + UID_AT + 4 => Ok(word(HEADER + UID_AT)),
        // NLMSG_ERROR: ENOENT (no such socket), or lookups not supported.
        Some(2) if got >= HEADER + 4 => {
            let errno = word(HEADER).map(|e| -(e as i32));
            if errno == Some(libc::ENOENT) {
                Ok(None)
            } else {
                Err(())
            }
        }
        _ => Err(()),
    }
}

/// The address as `/proc/net/tcp{,6}` prints it (`v6`: the IPv6 table, where
/// an IPv4 address appears mapped); `None` for an address that table cannot
/// hold.
fn hex_addr(addr: SocketAddr, v6: bool) -> Option<String> {
    let octets: Vec<u8> = match (addr.ip(), v6) {
        (IpAddr::V4(ip), false) => ip.octets().to_vec(),
        (IpAddr::V4(ip), true) => ip.to_ipv6_mapped().octets().to_vec(),
        (IpAddr::V6(ip), true) => ip.octets().to_vec(),
        (IpAddr::V6(ip), false) => ip.to_ipv4_mapped()?.octets().to_vec(),
    };
    let mut out = String::with_capacity(octets.len() * 2 + 5);
    for word in octets.chunks_exact(4) {
        let word = u32::from_ne_bytes([word[0], word[1], word[2], word[3]]);
        out.push_str(&format!("{word:08X}"));
    }
    out.push_str(&format!(":{:04X}", addr.port()));
    Some(out)
}

/// The uid of the line with these local and remote addresses (columns 2, 3
/// and 8 of the table).
fn uid_in(
    lines: impl Iterator<Item = String>,
    want_local: String,
    want_remote: String,
) -> Option<u32> {
    lines.skip(1).find_map(|line| {
        let mut cols = line.split_ascii_whitespace();
        let (_, local, remote) = (cols.next()?, cols.next()?, cols.next()?);
        if !local.eq_ignore_ascii_case(&want_local) || !remote.eq_ignore_ascii_case(&want_remote) {
            return None;
        }
        cols.nth(4)?.parse().ok()
    })
}

/// Wait at most `timeout` until `listener` or any of `streams` has something
/// to read (a connection to accept, bytes, or a close): which of them do,
/// the listener first. An interrupted wait reports nothing ready.
pub fn poll_readable<'a>(
    listener: &std::net::TcpListener,
    streams: impl Iterator<Item = &'a std::net::TcpStream>,
    timeout: std::time::Duration,
) -> io::Result<(bool, Vec<bool>)> {
    use std::os::fd::AsRawFd;
    let mut fds: Vec<libc::pollfd> = std::iter::once(listener.as_raw_fd())
        .chain(streams.map(AsRawFd::as_raw_fd))
        .map(|fd| libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        })
        .collect();
    // Rounded up, so that a deadline a few microseconds away is not a busy loop.
    let ms = timeout.as_micros().div_ceil(1000).min(i32::MAX as u128) as libc::c_int;
    // SAFETY: `fds` is an array of `fds.len()` initialized pollfd structs
    // that lives across the call.
    let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
    if n < 0 {
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
        fds.iter_mut().for_each(|p| p.revents = 0);
    }
    let ready = |p: &libc::pollfd| {
        p.revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0
    };
    Ok((ready(&fds[0]), fds[1..].iter().map(ready).collect()))
}

/// Does this `accept` error mean the process (or system) is out of file
/// descriptors, so that closing one of ours lets the next accept through?
pub fn out_of_descriptors(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::EMFILE) | Some(libc::ENFILE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_as_the_kernel_prints_them() {
        let a: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let le = cfg!(target_endian = "little");
        assert_eq!(
            hex_addr(a, false).unwrap(),
            if le { "0100007F:1F90" } else { "7F000001:1F90" }
        );
        assert_eq!(
            hex_addr(a, true).unwrap(),
            if le {
                "0000000000000000FFFF00000100007F:1F90"
            } else {
                "00000000000000000000FFFF7F000001:1F90"
            }
        );
        let v6: SocketAddr = "[::1]:1".parse().unwrap();
        assert_eq!(hex_addr(v6, false), None);
    }

    #[test]
    fn finds_the_peer_line() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 1 1 0000000000000000 100 0 0 10 0
   1: 0100007F:C350 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1001        0 2 1 0000000000000000 20 4 30 10 -1
   2: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000  1000        0 3 1 0000000000000000 20 4 30 10 -1";
        let lines = || table.lines().map(str::to_string);
        // The peer (port 0xC350) connected to our 0x1F90: its own line.
        assert_eq!(
            uid_in(lines(), "0100007F:C350".into(), "0100007F:1F90".into()),
            Some(1001)
        );
        assert_eq!(
            uid_in(lines(), "0100007F:C351".into(), "0100007F:1F90".into()),
            None
        );
        // The header is never a match, and a short line is skipped.
        assert_eq!(
            uid_in(
                [
                    "sl local_address rem_address x x x x 5".to_string(),
                    "1: a".to_string()
                ]
                .into_iter(),
                "local_address".into(),
                "rem_address".into()
            ),
            None
        );
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn our_own_connection_is_ours() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (_conn, peer) = listener.accept().unwrap();
        assert_eq!(peer, client.local_addr().unwrap());
        let local = listener.local_addr().unwrap();
        let me = Some(super::super::current_uid());
        assert_eq!(loopback_peer_uid(peer, local), me);
        assert_eq!(diag_uid(peer, local), Ok(me), "netlink");
        assert_eq!(table_uid(peer, local), me, "/proc/net/tcp");
        // Our own end of it, seen from the client, is ours too; a socket
        // that does not exist is nobody's.
        assert_eq!(diag_uid(local, peer), Ok(me));
        let gone: SocketAddr = "127.0.0.1:1".parse().unwrap();
        assert_eq!(diag_uid(gone, local), Ok(None));
        assert_eq!(loopback_peer_uid(gone, local), None);
    }
}
