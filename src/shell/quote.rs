//! Exact quoting of values for each shell. Any byte string an environment
//! variable can hold (everything but NUL) survives a round trip unchanged.

/// bash and zsh: single quotes, with `'` written as `'\''`. Inside single
/// quotes nothing is special: not `$`, backquotes, `\`, `!` or newlines.
pub fn posix(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
}

/// fish: single quotes, where only `\\` and `\'` are escapes.
pub fn fish(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        if c == '\'' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// [`posix`] for any bytes (values from the environment need not be UTF-8).
pub fn posix_bytes(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() + 2);
    out.push(b'\'');
    for &b in s {
        if b == b'\'' {
            out.extend_from_slice(b"'\\''");
        } else {
            out.push(b);
        }
    }
    out.push(b'\'');
    out
}

/// [`fish`] for any bytes: fish keeps bytes that are not UTF-8 as they are.
pub fn fish_bytes(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() + 2);
    out.push(b'\'');
    for &b in s {
        if b == b'\'' || b == b'\\' {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b'\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes() {
        assert_eq!(posix("a'b"), "'a'\\''b'");
        assert_eq!(posix(""), "''");
        assert_eq!(fish("a'b\\c"), "'a\\'b\\\\c'");
        for s in ["", "a'b", "x\\'\n$(y)", "é"] {
            assert_eq!(posix_bytes(s.as_bytes()), posix(s).into_bytes());
            assert_eq!(fish_bytes(s.as_bytes()), fish(s).into_bytes());
        }
    }
}
