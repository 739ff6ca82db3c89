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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes() {
        assert_eq!(posix("a'b"), "'a'\\''b'");
        assert_eq!(posix(""), "''");
        assert_eq!(fish("a'b\\c"), "'a\\'b\\\\c'");
    }
}
