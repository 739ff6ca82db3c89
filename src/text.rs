//! Words for messages: a list as people write it, and text from outside
//! (a server's error message, a command's stderr) made safe to show.

/// `a, b or c`.
pub fn one_of(words: &[&str]) -> String {
    match words {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// Text from outside (a server's error message, a command's stderr) made
/// fit for a one-line message: the first line, control characters (terminal
/// escapes) removed, at most `max` characters.
pub fn outside_text(s: &str, max: usize) -> String {
    let line = s.trim().lines().next().unwrap_or("");
    let mut out: String = line.chars().filter(|c| !c.is_control()).take(max).collect();
    if line.chars().filter(|c| !c.is_control()).count() > max {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outside_text_is_one_clean_bounded_line() {
        assert_eq!(outside_text("  oops\nsecond line", 50), "oops");
        assert_eq!(outside_text("a\x1b[31mred\x07", 50), "a[31mred");
        assert_eq!(outside_text("abcdef", 3), "abc…");
    }
}
