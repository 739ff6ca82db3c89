//! Who is at the other end of a loopback TCP connection.
//!
//! On Linux, every socket is listed in `/proc/net/tcp` (and `tcp6`) with
//! the user that created it, so the listener of a connection from `peer` to
//! `local` finds the peer's socket as the line whose local address is `peer`
//! and whose remote address is `local`. The addresses are printed as the
//! kernel holds them: each 32-bit word of the address in the machine's byte
//! order, as 8 hex digits, then `:` and the port as 4. Elsewhere the owner
//! cannot be told this way, and the answer is `None`.

use std::net::{IpAddr, SocketAddr};

/// The user owning the socket at `peer`, connected to our `local` socket;
/// `None` when it is not listed (or not on Linux).
pub fn loopback_peer_uid(peer: SocketAddr, local: SocketAddr) -> Option<u32> {
    if !cfg!(target_os = "linux") {
        return None;
    }
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
        assert_eq!(
            loopback_peer_uid(peer, listener.local_addr().unwrap()),
            Some(super::super::current_uid())
        );
    }
}
