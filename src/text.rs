//! Words for messages: a list as people write it, and text from outside
//! made safe to show.
//!
//! [`shown`] is the one escape for untrusted text that reaches the terminal
//! (a path, a store, env set or key name, a value or a command from a
//! project file, a directory name): every character a terminal would act
//! on or that a reader cannot see becomes a visible escape, so what is shown
//! is what is there; it is used on single items and, at the output
//! boundary, on whole one-line messages (errors, the hook's status lines,
//! doctor's lines: a line break in a name cannot start a fake line either).
//! [`argv`] shows a command line with each item quoted when it is not plain
//! printable text. Not done here: a
//! backslash is not doubled, so escaping twice changes nothing (and Windows
//! paths stay readable); text that only *looks* like an escape is possible,
//! but it cannot act on the terminal or hide anything.

use std::borrow::Cow;
use std::fmt::Write;
use std::path::Path;

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
    let keep = |c: &char| !c.is_control() && !hidden(*c);
    let mut out: String = line.chars().filter(keep).take(max).collect();
    if line.chars().filter(keep).count() > max {
        out.push('…');
    }
    out
}

/// A character that must not reach the terminal as itself: C0 and C1
/// controls, DEL, bidi controls, zero-width and other invisible or format
/// code points, and white space other than the plain space.
pub fn hidden(c: char) -> bool {
    let u = c as u32;
    c.is_control()
        || (c.is_whitespace() && c != ' ')
        || matches!(
            u,
            0x00AD              // soft hyphen
            | 0x034F            // combining grapheme joiner
            | 0x061C            // Arabic letter mark
            | 0x115F | 0x1160   // Hangul fillers
            | 0x17B4 | 0x17B5   // Khmer inherent vowels
            | 0x180B..=0x180F   // Mongolian selectors and vowel separator
            | 0x200B..=0x200F   // zero-width space/joiners, LRM, RLM
            | 0x202A..=0x202E   // bidi embeddings and overrides
            | 0x2060..=0x206F   // word joiner, invisible operators, bidi isolates
            | 0x3164            // Hangul filler
            | 0xFE00..=0xFE0F   // variation selectors
            | 0xFEFF            // zero-width no-break space (BOM)
            | 0xFFA0            // halfwidth Hangul filler
            | 0xFFF0..=0xFFFB   // specials, interlinear annotation
            | 0x110BD | 0x110CD // Kaithi number signs
            | 0x13430..=0x1343F // Egyptian format controls
            | 0x1BCA0..=0x1BCA3 // shorthand format controls
            | 0x1D173..=0x1D17A // musical format controls
            | 0xE0000..=0xE0FFF // tags, variation selectors supplement
            | 0xF0000..=0x10FFFF // private use planes
        )
        || (0xD800..=0xDFFF).contains(&u)
        // Unassigned-in-practice noncharacters.
        || (u & 0xFFFE) == 0xFFFE
}

fn escape_into(out: &mut String, c: char) {
    match c {
        '\x1b' => out.push_str("\\e"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        // ASCII as a byte; the rest as a code point (so `\xff` is only ever
        // a byte that is not UTF-8, from `shown_bytes`).
        c if c.is_ascii() => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

/// Untrusted text as the terminal may show it: every [`hidden`] character
/// as a visible escape (`\e`, `\x7f`, `\u{202e}`), the rest as it is.
pub fn shown(s: &str) -> Cow<'_, str> {
    if !s.chars().any(hidden) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if hidden(c) {
            escape_into(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Bytes (a path, a value that may not be UTF-8) as [`shown`] shows text;
/// a byte that is not part of valid UTF-8 is `\xNN`.
pub fn shown_bytes(b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len());
    for chunk in b.utf8_chunks() {
        out.push_str(&shown(chunk.valid()));
        for x in chunk.invalid() {
            let _ = write!(out, "\\x{x:02x}");
        }
    }
    out
}

/// A path as [`shown_bytes`] shows it.
pub fn path(p: &Path) -> String {
    shown_bytes(p.as_os_str().as_encoded_bytes())
}

/// A plain argv item: printable, no white space, nothing a shell or a
/// reader would take for two words or for quoting.
fn plain(item: &str) -> bool {
    !item.is_empty()
        && item
            .chars()
            .all(|c| !hidden(c) && !c.is_whitespace() && !"\"'\\`$;|&<>(){}*?!#~".contains(c))
}

/// One argv item: as it is when plain, else in double quotes with `"` and
/// `\` escaped and every hidden character a visible escape.
pub fn arg(item: &str) -> String {
    if plain(item) {
        return item.to_string();
    }
    let mut out = String::from("\"");
    for c in item.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if hidden(c) => escape_into(&mut out, c),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A command line: its items by [`arg`], separated by spaces.
pub fn argv(items: &[String]) -> String {
    items.iter().map(|i| arg(i)).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn outside_text_is_one_clean_bounded_line() {
        assert_eq!(outside_text("  oops\nsecond line", 50), "oops");
        assert_eq!(outside_text("a\x1b[31mred\x07", 50), "a[31mred");
        assert_eq!(outside_text("abcdef", 3), "abc…");
    }

    #[test]
    fn escapes_are_visible() {
        assert_eq!(shown("plain café ✓"), "plain café ✓");
        assert_eq!(shown("a\x1b]0;x\x07b"), "a\\e]0;x\\x07b");
        assert_eq!(
            shown("\x7f\u{9b}\u{202e}\u{200b}\u{feff}"),
            "\\x7f\\u{9b}\\u{202e}\\u{200b}\\u{feff}"
        );
        assert_eq!(
            shown("\u{2066}x\u{2069}\u{200e}\u{061c}"),
            "\\u{2066}x\\u{2069}\\u{200e}\\u{61c}"
        );
        assert_eq!(shown("a\nb\tc\u{a0}"), "a\\nb\\tc\\u{a0}");
        assert_eq!(shown_bytes(b"a\xffb\x1b"), "a\\xffb\\e");
        assert_eq!(shown("one\x1b\ntwo"), "one\\e\\ntwo");
        // Escaping twice changes nothing.
        let once = shown("x\x1b[2J\u{202e}y").into_owned();
        assert_eq!(shown(&once), once);
    }

    #[test]
    fn argv_items_are_quoted_unless_plain() {
        let v = |a: &[&str]| argv(&a.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(v(&["op", "read", "--vault=x/y"]), "op read --vault=x/y");
        assert_eq!(v(&["sh", "-c", "curl x|sh"]), "sh -c \"curl x|sh\"");
        assert_eq!(v(&["op\x1b[8m", ""]), "\"op\\e[8m\" \"\"");
        assert_eq!(v(&["a\"b\\c"]), "\"a\\\"b\\\\c\"");
        assert_eq!(v(&["op\u{a0}read"]), "\"op\\u{a0}read\"");
    }

    /// Every code point: the named ones are escaped, and what comes out is
    /// never hidden.
    #[test]
    fn every_code_point() {
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            let s = format!("a{c}b");
            let out = shown(&s);
            assert!(!out.chars().any(hidden), "{:x}", c as u32);
            assert!(out.chars().all(|o| !o.is_control()), "{:x}", c as u32);
        }
        let named = [
            0x00..=0x1F,
            0x7F..=0x9F,
            0x202A..=0x202E,
            0x2066..=0x2069,
            0x200B..=0x200F,
            0x061C..=0x061C,
            0x2060..=0x2060,
            0xFEFF..=0xFEFF,
            0x2028..=0x2029,
        ];
        for c in named.into_iter().flatten().filter_map(char::from_u32) {
            assert!(hidden(c), "{:x}", c as u32);
            assert!(shown(&c.to_string()).is_ascii(), "{:x}", c as u32);
        }
    }

    /// The one property that matters: no control, bidi or invisible
    /// character survives, whatever the input, as text or as argv.
    #[test]
    fn nothing_hidden_survives() {
        proptest!(|(s in "\\PC*|[\\x00-\\x20\\x7f-\\x9f\u{200b}-\u{200f}\u{202a}-\u{202e}\u{2066}-\u{2069}\u{feff}a]*")| {
            for out in [shown(&s).into_owned(), arg(&s), shown_bytes(s.as_bytes())] {
                prop_assert!(!out.chars().any(hidden), "{out:?}");
            }
        });
        proptest!(|(b in proptest::collection::vec(any::<u8>(), 0..64))| {
            prop_assert!(!shown_bytes(&b).chars().any(hidden));
        });
    }
}
