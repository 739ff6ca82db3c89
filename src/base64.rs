//! Base64 (RFC 4648): the standard alphabet with padding, for the hook's
//! state and priors, and base64url without padding, for PKCE (RFC 7636)
//! and EKS tokens. Small enough not to need a crate.

const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn encode_with(data: &[u8], alphabet: &[u8; 64], pad: bool) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(char::from(alphabet[((n >> (18 - 6 * i)) & 63) as usize]));
        }
        if pad {
            for _ in chunk.len()..3 {
                out.push('=');
            }
        }
    }
    out
}

/// Standard base64 with padding.
pub fn encode(data: &[u8]) -> String {
    encode_with(data, STANDARD, true)
}

/// base64url without padding (RFC 4648 §5).
pub fn encode_url(data: &[u8]) -> String {
    encode_with(data, URL_SAFE, false)
}

/// Standard base64 with padding, strictly: `None` for anything else.
pub fn decode(s: &str) -> Option<Vec<u8>> {
    let s = s.as_bytes();
    if !s.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    for chunk in s.chunks(4) {
        let pad = chunk.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 {
            return None;
        }
        let mut n: u32 = 0;
        for &c in &chunk[..4 - pad] {
            let v = STANDARD.iter().position(|&x| x == c)? as u32;
            n = (n << 6) | v;
        }
        n <<= 6 * pad as u32;
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rfc4648_vectors() {
        for (raw, std, url) in [
            ("", "", ""),
            ("f", "Zg==", "Zg"),
            ("fo", "Zm8=", "Zm8"),
            ("foo", "Zm9v", "Zm9v"),
            ("foob", "Zm9vYg==", "Zm9vYg"),
            ("fooba", "Zm9vYmE=", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy", "Zm9vYmFy"),
        ] {
            assert_eq!(encode(raw.as_bytes()), std);
            assert_eq!(encode_url(raw.as_bytes()), url);
            assert_eq!(decode(std).unwrap(), raw.as_bytes());
        }
        assert_eq!(encode_url(&[0xfb, 0xff]), "-_8");
        assert_eq!(encode(&[0xfb, 0xff]), "+/8=");
        assert_eq!(decode("Zm9=v"), None);
        assert_eq!(decode("Zg="), None);
        assert_eq!(decode("Zg-_"), None);
    }

    proptest! {
        #[test]
        fn round_trips(b in proptest::collection::vec(any::<u8>(), 0..300)) {
            prop_assert_eq!(decode(&encode(&b)).unwrap(), b.clone());
            let url = encode_url(&b);
            prop_assert_eq!(url, encode(&b).trim_end_matches('=').replace('+', "-").replace('/', "_"));
        }

        #[test]
        fn decode_never_panics(s in "[A-Za-z0-9+/=!]{0,40}") {
            if let Some(b) = decode(&s) {
                // Whatever it accepts, it reads back the same way.
                prop_assert_eq!(decode(&encode(&b)).unwrap(), b);
            }
        }
    }
}
