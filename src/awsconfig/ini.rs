//! An AWS ini file (the config or the shared credentials file), read once and
//! parsed lazily: only the sections a command asks for.
//!
//! A cached `creds --profile P` must cost the same with 3 profiles as with
//! 10,000, so nothing here parses the whole file up front. The bytes are read
//! once (bounded); the section headers are found at memory speed (`memchr`
//! for `[`, then a check that only white space comes before it on its line)
//! the first time a section is asked for; a section's lines are parsed only
//! when it is asked for. A malformed section elsewhere in the file therefore
//! does not break reading an intact one, and asking for the broken one
//! reports it with its line.
//!
//! The rules are those of the AWS CLI (Python's configparser as botocore uses
//! it): full-line `#`/`;` comments; `key = value` or `key: value`, keys
//! lower-cased; indented lines after a key continue its value (the nested
//! `s3 =` sub-keys), so a nested `region` never leaks out; inline comments
//! after white space (as the AWS CLI v2); repeated sections merged, the later
//! value winning. This module does not write files (see `sso/populate.rs`).

use crate::error::{Error, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// One section's keys and values.
pub type Section = BTreeMap<String, String>;

/// Bigger than any real AWS config with tens of thousands of profiles.
const MAX_INI_BYTES: u64 = 16 << 20;

/// A section header line as found by the scan.
#[derive(Debug, Clone)]
struct Header {
    /// The header's name (between `[` and the last `]`, trimmed), as bytes.
    name: (usize, usize),
    /// Whether the line has its closing `]`.
    closed: bool,
    /// Where the header line starts (for its line number, on error).
    line_start: usize,
    /// The section's lines: after the header line, up to the next header.
    body: (usize, usize),
}

#[derive(Debug, Clone, Default)]
pub struct IniFile {
    path: PathBuf,
    text: Vec<u8>,
    headers: OnceLock<Vec<Header>>,
}

impl IniFile {
    /// Read `path` (bounded, non-blocking, regular files only); a missing file
    /// has no sections.
    pub fn read(path: &Path) -> Result<IniFile> {
        let text = match crate::fsutil::read_bounded(path, MAX_INI_BYTES) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => vec![],
            Err(e) => {
                return Err(Error::config(format!(
                    "cannot read {}: {e}",
                    path.display()
                )));
            }
        };
        Ok(IniFile::from_bytes(path.to_path_buf(), text))
    }

    pub fn from_bytes(path: PathBuf, text: Vec<u8>) -> IniFile {
        IniFile {
            path,
            text,
            headers: OnceLock::new(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn headers(&self) -> &[Header] {
        self.headers.get_or_init(|| scan(&self.text))
    }

    fn name_of(&self, h: &Header) -> &[u8] {
        &self.text[h.name.0..h.name.1]
    }

    /// The line number (1-based) of byte `pos`.
    fn line_of(&self, pos: usize) -> usize {
        memchr::memchr_iter(b'\n', &self.text[..pos]).count() + 1
    }

    fn unclosed(&self, h: &Header) -> Error {
        let line = &self.text[h.line_start..h.body.0];
        let shown: String = String::from_utf8_lossy(line)
            .trim()
            .chars()
            .take(60)
            .collect();
        Error::config(format!(
            "{}:{}: the section header {shown} is not closed with ']'",
            self.path.display(),
            self.line_of(h.line_start)
        ))
    }

    /// The merged keys of every section whose name `matches`, in file order
    /// (later values win); `None` when there is none. Only those sections
    /// are parsed. An unclosed header that would match is an error.
    pub fn section_where(&self, matches: impl Fn(&[u8]) -> bool) -> Result<Option<Section>> {
        let mut out: Option<Section> = None;
        for h in self.headers() {
            if !matches(self.name_of(h)) {
                continue;
            }
            if !h.closed {
                return Err(self.unclosed(h));
            }
            let keys = self.parse_body(h)?;
            out.get_or_insert_with(Section::new).extend(keys);
        }
        Ok(out)
    }

    /// The section `[name]` exactly (trimmed), merged.
    pub fn section(&self, name: &str) -> Result<Option<Section>> {
        self.section_where(|n| n == name.as_bytes())
    }

    /// The names of every well-formed section header, in file order (with
    /// repeats). Headers that are not UTF-8 or not closed are left out: they
    /// are reported when asked for, and by [`IniFile::check`].
    pub fn section_names(&self) -> impl Iterator<Item = &str> {
        self.headers()
            .iter()
            .filter(|h| h.closed)
            .filter_map(|h| std::str::from_utf8(self.name_of(h)).ok())
    }

    /// The file's bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.text
    }

    /// The file as consecutive byte ranges covering all of it: the text
    /// before the first header (no name), then each section, its header line
    /// and its lines up to the next header. A name is `None` also for a
    /// header that is not closed or not UTF-8.
    pub fn spans(&self) -> Vec<(Option<&str>, std::ops::Range<usize>)> {
        let headers = self.headers();
        let mut out = vec![];
        let first = headers.first().map_or(self.text.len(), |h| h.line_start);
        if first > 0 {
            out.push((None, 0..first));
        }
        for h in headers {
            let name = if h.closed {
                std::str::from_utf8(self.name_of(h)).ok()
            } else {
                None
            };
            out.push((name, h.line_start..h.body.1));
        }
        out
    }

    /// Parse every section: the first problem in the file, if any.
    pub fn check(&self) -> Result<()> {
        for h in self.headers() {
            if !h.closed {
                return Err(self.unclosed(h));
            }
            if std::str::from_utf8(self.name_of(h)).is_err() {
                return Err(Error::config(format!(
                    "{}:{}: not valid UTF-8",
                    self.path.display(),
                    self.line_of(h.line_start)
                )));
            }
            self.parse_body(h)?;
        }
        Ok(())
    }

    fn parse_body(&self, h: &Header) -> Result<Section> {
        let first_line = self.line_of(h.body.0);
        parse_lines(&self.path, &self.text[h.body.0..h.body.1], first_line)
    }
}

/// Every header line: a line whose first non-blank byte is `[`, unless it is
/// indented under a key (then configparser reads it as a continuation of
/// that key's value, as for nested `s3 =` keys).
fn scan(text: &[u8]) -> Vec<Header> {
    let mut out: Vec<Header> = vec![];
    let mut from = 0;
    while let Some(off) = memchr::memchr(b'[', &text[from..]) {
        let at = from + off;
        let line_start = text[..at]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        let line_end = memchr::memchr(b'\n', &text[at..]).map_or(text.len(), |p| at + p);
        from = line_end.min(text.len());
        if from < text.len() {
            from += 1;
        }
        let indent = &text[line_start..at];
        if !indent.iter().all(|&b| b == b' ' || b == b'\t') {
            continue;
        }
        if !indent.is_empty() && under_a_key(text, line_start) {
            continue;
        }
        let line = &text[at..line_end];
        let (name, closed) = match line.iter().rposition(|&b| b == b']') {
            Some(close) => ((at + 1, at + close), true),
            None => {
                let end = at + line.len() - usize::from(line.ends_with(b"\r"));
                ((at + 1, end), false)
            }
        };
        let name = trim_range(text, name);
        if let Some(prev) = out.last_mut() {
            prev.body.1 = line_start;
        }
        out.push(Header {
            name,
            closed,
            line_start,
            body: (from, text.len()),
        });
    }
    out
}

/// Is the line at `line_start` (indented) inside a key's value: is the last
/// line before it that is neither blank nor a comment a key or continuation
/// line rather than a header (or the start of the file)?
fn under_a_key(text: &[u8], line_start: usize) -> bool {
    let mut end = line_start;
    while end > 0 {
        let start = text[..end - 1]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        let line = trim_bytes(&text[start..end - 1]);
        if !(line.is_empty() || line.starts_with(b"#") || line.starts_with(b";")) {
            return !line.starts_with(b"[");
        }
        end = start;
    }
    false
}

fn trim_bytes(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |p| p + 1);
    &b[start..end.max(start)]
}

fn trim_range(text: &[u8], (mut a, mut b): (usize, usize)) -> (usize, usize) {
    while a < b && text[a].is_ascii_whitespace() {
        a += 1;
    }
    while b > a && text[b - 1].is_ascii_whitespace() {
        b -= 1;
    }
    (a, b)
}

/// Parse a section's lines, naming the file and line on error. `first_line`
/// is the line number of the first line.
fn parse_lines(path: &Path, body: &[u8], first_line: usize) -> Result<Section> {
    let mut out = Section::new();
    let mut current: Option<String> = None;
    for (i, raw) in body.split(|&b| b == b'\n').enumerate() {
        let at = || format!("{}:{}", path.display(), first_line + i);
        let line = std::str::from_utf8(raw)
            .map_err(|_| Error::config(format!("{}: not valid UTF-8", at())))?;
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') || t.starts_with(';') {
            continue;
        }
        let indented = line.starts_with([' ', '\t']);
        if indented && let Some(k) = &current {
            // A nested or continued value: folded into its key's value.
            if let Some(v) = out.get_mut(k) {
                v.push('\n');
                v.push_str(strip_inline_comment(t));
            }
            continue;
        }
        let Some(eq) = line.find(['=', ':']) else {
            let shown: String = t.chars().take(40).filter(|c| !c.is_control()).collect();
            return Err(Error::config(format!(
                "{}: expected 'key = value', found '{shown}'",
                at()
            )));
        };
        let key = line[..eq].trim().to_lowercase();
        if key.is_empty() {
            return Err(Error::config(format!("{}: a line with no key", at())));
        }
        out.insert(
            key.clone(),
            strip_inline_comment(&line[eq + 1..]).to_string(),
        );
        current = Some(key);
    }
    Ok(out)
}

/// `value ; comment` and `value # comment`: a comment character preceded by
/// white space starts an inline comment, as in the AWS CLI v2.
pub fn strip_inline_comment(v: &str) -> &str {
    let bytes = v.as_bytes();
    for i in 1..bytes.len() {
        if (bytes[i] == b'#' || bytes[i] == b';') && bytes[i - 1].is_ascii_whitespace() {
            return v[..i].trim();
        }
    }
    v.trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ini(text: &str) -> IniFile {
        IniFile::from_bytes("f".into(), text.as_bytes().to_vec())
    }

    #[test]
    fn lazy_sections_and_rules() {
        let f = ini(
            "top = ignored\n[a]\nKey = 1\n  nested = 2\n; c\n[ b ] ; comment\nx: y # inline\n\n[a]\nkey = 3\nother=4\n[broken\nq = 1\n[c]\nno delimiter here\n",
        );
        let a = f.section("a").unwrap().unwrap();
        assert_eq!(a["key"], "3", "repeated sections merge, later wins");
        assert_eq!(a["other"], "4");
        assert!(!a.contains_key("nested"));
        assert_eq!(f.section("b").unwrap().unwrap()["x"], "y");
        assert!(f.section("zzz").unwrap().is_none());
        let e = f.section("broken").unwrap_err().message;
        assert_eq!(e, "f:12: the section header [broken is not closed with ']'");
        let e = f.section("c").unwrap_err().message;
        assert!(e.starts_with("f:15: expected 'key = value'"), "{e}");
        assert!(f.check().is_err());
        let names: Vec<&str> = f.section_names().collect();
        assert_eq!(names, ["a", "b", "a", "c"]);
    }

    #[test]
    fn indented_bracket_under_a_key_is_a_value() {
        let f = ini("[a]\nk =\n  [not a header\n[b]\nz = 1\n");
        assert!(f.check().is_ok(), "{:?}", f.check());
        let f = ini("[a]\n  [b]\nz = 1\n");
        assert_eq!(f.section("b").unwrap().unwrap()["z"], "1");
    }

    #[test]
    fn crlf_and_no_final_newline() {
        let f = ini("[a]\r\nk = v\r\n[b\r\n");
        assert_eq!(f.section("a").unwrap().unwrap()["k"], "v");
        assert!(f.section("b").unwrap_err().message.contains("[b is not"));
    }
}
