//! An AWS ini file (the config or the shared credentials file), parsed
//! lazily: only the sections a command asks for.
//!
//! A cached `creds --profile P` must cost the same with 3 profiles as with
//! 10,000, so nothing here parses the whole file, or even holds it: a lookup
//! streams the file through one 64 KiB buffer (the file is opened once,
//! non-blocking, regular files only, and read up to a fixed bound), finds
//! the section headers at memory speed (`memchr` for `[`, then a check that
//! only white space comes before it on its line), and reads back and parses
//! only the sections whose names match. (Reading a large file into memory
//! costs a page fault per 4 KiB page, which on a virtual machine is most of
//! the cost; a reused buffer costs none.) A malformed section elsewhere in
//! the file therefore does not break reading an intact one, and asking for
//! the broken one reports it with its line.
//!
//! The rules are those of the AWS CLI (Python's configparser as botocore uses
//! it): full-line `#`/`;` comments; `key = value` or `key: value`, keys
//! lower-cased; indented lines after a key continue its value (the nested
//! `s3 =` sub-keys), so a nested `region` never leaks out; inline comments
//! after white space (as the AWS CLI v2); repeated sections merged, the later
//! value winning. This module does not write files (see `sso/populate.rs`).
//!
//! Longer than most files here: the streaming scan and the section parser
//! share the line rules and the error positions, and are tested together.

use crate::error::{Error, Result};
use std::collections::BTreeMap;
use std::fs::File;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// One section's keys and values.
pub type Section = BTreeMap<String, String>;

/// Bigger than any real AWS config with tens of thousands of profiles (also
/// the bound of `sso populate`'s whole read).
pub const MAX_INI_BYTES: u64 = 16 << 20;
/// The read buffer (grown only for a longer line).
const CHUNK: usize = 64 << 10;

/// A section header line as found by the scan (byte offsets in the file).
#[derive(Debug, Clone)]
struct Header {
    /// The header's name (between `[` and the last `]`, trimmed).
    name: Range<u64>,
    /// Whether the line has its closing `]`.
    closed: bool,
    /// Where the header line starts (for its line number, on error).
    line_start: u64,
    /// Where the section's lines start (after the header line).
    body_start: u64,
}

/// Where the bytes come from: the file, streamed, or text in memory (tests,
/// and `sso populate`, which rewrites the whole file).
#[derive(Debug)]
enum Source {
    /// The file, and its size when opened.
    File(File, u64),
    Bytes(Vec<u8>),
}

#[derive(Debug)]
pub struct IniFile {
    path: PathBuf,
    source: Source,
    /// After the first scan: every section whose name does not start with
    /// `profile` (sessions, `[default]`, services: few, even in a file of
    /// thousands of profiles), with its end. Looking up a profile's
    /// sso-session then needs no second pass over the file.
    others: OnceLock<Vec<(Header, u64)>>,
}

impl Default for IniFile {
    fn default() -> Self {
        IniFile::from_bytes(PathBuf::new(), vec![])
    }
}

/// Headers remembered by the first scan (see [`IniFile::others`]).
fn remembered(name: &[u8]) -> bool {
    !name.starts_with(b"profile")
}

/// What the line before a position was, for an indented `[`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Before {
    /// The start of the file, or a header.
    HeaderOrStart,
    /// A key or a value's continuation.
    Key,
}

impl IniFile {
    /// Open `path` for lookups (non-blocking, regular files only); a missing
    /// file has no sections. Nothing is read until a section is asked for.
    pub fn read(path: &Path) -> Result<IniFile> {
        let source = match crate::platform::open_regular(path, true) {
            Ok((f, meta)) => Source::File(f, meta.len()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Source::Bytes(vec![]),
            Err(e) => {
                return Err(Error::config(format!(
                    "cannot read {}: {e}",
                    path.display()
                )));
            }
        };
        Ok(IniFile {
            path: path.to_path_buf(),
            source,
            others: OnceLock::new(),
        })
    }

    pub fn from_bytes(path: PathBuf, text: Vec<u8>) -> IniFile {
        IniFile {
            path,
            source: Source::Bytes(text),
            others: OnceLock::new(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn read_at(&self, buf: &mut [u8], at: u64) -> std::io::Result<usize> {
        match &self.source {
            Source::File(f, _) => crate::platform::read_at(f, buf, at),
            Source::Bytes(b) => {
                let start = usize::try_from(at).unwrap_or(usize::MAX).min(b.len());
                let n = buf.len().min(b.len() - start);
                buf[..n].copy_from_slice(&b[start..start + n]);
                Ok(n)
            }
        }
    }

    /// The size of the text, plus one byte to see its end in one read (the
    /// scan grows its buffer if the file has grown since).
    fn len_hint(&self) -> usize {
        let len = match &self.source {
            Source::File(_, len) => *len,
            Source::Bytes(b) => b.len() as u64,
        };
        usize::try_from(len)
            .unwrap_or(CHUNK)
            .saturating_add(1)
            .max(64)
    }

    fn io_error(&self, e: std::io::Error) -> Error {
        Error::config(format!("cannot read {}: {e}", self.path.display()))
    }

    /// Bytes `range` of the file (a section: bounded by the file's bound).
    fn bytes_at(&self, range: Range<u64>) -> Result<Vec<u8>> {
        let len = usize::try_from(range.end.saturating_sub(range.start)).unwrap_or(0);
        let mut out = vec![0u8; len];
        let mut got = 0;
        while got < len {
            let n = self
                .read_at(&mut out[got..], range.start + got as u64)
                .map_err(|e| self.io_error(e))?;
            if n == 0 {
                break;
            }
            got += n;
        }
        out.truncate(got);
        Ok(out)
    }

    /// Every header in file order, given to `each` with its name's bytes and
    /// the end of the previous section; returns the end of the file.
    fn scan(&self, mut each: impl FnMut(&Header, &[u8])) -> Result<u64> {
        // Sized to the file when it is smaller than a chunk: zeroing and
        // faulting in 64 KiB would cost a small config more than reading it.
        let mut buf = vec![0u8; self.len_hint().min(CHUNK)];
        let (mut base, mut filled) = (0u64, 0usize);
        let mut before = Before::HeaderOrStart;
        loop {
            if filled == buf.len() {
                buf.resize(buf.len() * 2, 0);
            }
            let n = self
                .read_at(&mut buf[filled..], base + filled as u64)
                .map_err(|e| self.io_error(e))?;
            filled += n;
            if base + filled as u64 > MAX_INI_BYTES {
                return Err(Error::config(format!(
                    "{}: more than the {MAX_INI_BYTES} bytes allowed",
                    self.path.display()
                )));
            }
            let eof = n == 0;
            // Whole lines only; the rest waits for the next read.
            let upto = if eof {
                filled
            } else {
                match memchr::memrchr(b'\n', &buf[..filled]) {
                    Some(p) => p + 1,
                    None => continue,
                }
            };
            before = scan_chunk(&buf[..upto], base, before, &mut each);
            if eof {
                return Ok(base + filled as u64);
            }
            buf.copy_within(upto..filled, 0);
            base += upto as u64;
            filled -= upto;
        }
    }

    /// The line number (1-based) of byte `pos`.
    fn line_of(&self, pos: u64) -> usize {
        let mut buf = vec![0u8; CHUNK];
        let (mut at, mut lines) = (0u64, 1usize);
        while at < pos {
            let want = usize::try_from(pos - at).unwrap_or(CHUNK).min(CHUNK);
            match self.read_at(&mut buf[..want], at) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    lines += memchr::memchr_iter(b'\n', &buf[..n]).count();
                    at += n as u64;
                }
            }
        }
        lines
    }

    fn unclosed(&self, h: &Header) -> Error {
        let line = self
            .bytes_at(h.line_start..h.body_start)
            .unwrap_or_default();
        let shown: String = String::from_utf8_lossy(&line)
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

    /// The headers whose names `matches`, each with its section's end.
    fn matching(&self, matches: impl Fn(&[u8]) -> bool) -> Result<Vec<(Header, u64)>> {
        let mut found: Vec<(Header, u64)> = vec![];
        let mut others: Vec<(Header, u64)> = vec![];
        let (mut open, mut open_other): (Option<Header>, Option<Header>) = (None, None);
        let end = self.scan(|h, name| {
            if let Some(prev) = open.take() {
                found.push((prev, h.line_start));
            }
            if let Some(prev) = open_other.take() {
                others.push((prev, h.line_start));
            }
            if matches(name) {
                open = Some(h.clone());
            }
            if remembered(name) {
                open_other = Some(h.clone());
            }
        })?;
        found.extend(open.map(|h| (h, end)));
        others.extend(open_other.map(|h| (h, end)));
        let _ = self.others.set(others);
        Ok(found)
    }

    /// Like [`IniFile::section_where`] for a section whose name does not
    /// start with `profile` (an sso-session): from what the first scan
    /// remembered, without reading the file again.
    pub fn other_section_where(&self, matches: impl Fn(&[u8]) -> bool) -> Result<Option<Section>> {
        let Some(others) = self.others.get() else {
            return self.section_where(|n| remembered(n) && matches(n));
        };
        let mut out: Option<Section> = None;
        for (h, end) in others {
            let name = self.bytes_at(h.name.clone())?;
            if !matches(&name) {
                continue;
            }
            if !h.closed {
                return Err(self.unclosed(h));
            }
            let keys = self.parse_body(h, *end)?;
            out.get_or_insert_with(Section::new).extend(keys);
        }
        Ok(out)
    }

    /// The merged keys of every section whose name `matches`, in file order
    /// (later values win); `None` when there is none. Only those sections
    /// are parsed. An unclosed header that would match is an error.
    pub fn section_where(&self, matches: impl Fn(&[u8]) -> bool) -> Result<Option<Section>> {
        let mut out: Option<Section> = None;
        for (h, end) in self.matching(matches)? {
            if !h.closed {
                return Err(self.unclosed(&h));
            }
            let keys = self.parse_body(&h, end)?;
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
    /// are reported when asked for, and by [`IniFile::check`]. A file that
    /// cannot be read has none.
    pub fn section_names(&self) -> Vec<String> {
        let mut out = vec![];
        let _ = self.scan(|h, name| {
            if h.closed
                && let Ok(n) = std::str::from_utf8(name)
            {
                out.push(n.to_string());
            }
        });
        out
    }

    /// The text in memory ([`IniFile::from_bytes`]);
    /// empty for a file opened for lookups.
    pub fn bytes(&self) -> &[u8] {
        match &self.source {
            Source::Bytes(b) => b,
            Source::File(..) => &[],
        }
    }

    /// The text in memory as consecutive byte ranges covering all of it: the
    /// text before the first header (no name), then each section, its header
    /// line and its lines up to the next header. A name is `None` also for a
    /// header that is not closed or not UTF-8.
    pub fn spans(&self) -> Vec<(Option<&str>, Range<usize>)> {
        let text = self.bytes();
        let mut starts: Vec<(usize, Option<Range<usize>>)> = vec![];
        let _ = self.scan(|h, _| {
            let name = (h.name.start as usize)..(h.name.end as usize);
            starts.push((h.line_start as usize, h.closed.then_some(name)));
        });
        let mut out = vec![];
        let first = starts.first().map_or(text.len(), |s| s.0);
        if first > 0 {
            out.push((None, 0..first));
        }
        for (i, (start, name)) in starts.iter().enumerate() {
            let end = starts.get(i + 1).map_or(text.len(), |s| s.0);
            let name = name
                .clone()
                .and_then(|r| std::str::from_utf8(&text[r]).ok());
            out.push((name, *start..end));
        }
        out
    }

    /// Parse every section: the first problem in the file, if any.
    pub fn check(&self) -> Result<()> {
        for (h, end) in self.matching(|_| true)? {
            if !h.closed {
                return Err(self.unclosed(&h));
            }
            let name = self.bytes_at(h.name.clone())?;
            if std::str::from_utf8(&name).is_err() {
                return Err(Error::config(format!(
                    "{}:{}: not valid UTF-8",
                    self.path.display(),
                    self.line_of(h.line_start)
                )));
            }
            self.parse_body(&h, end)?;
        }
        Ok(())
    }

    fn parse_body(&self, h: &Header, end: u64) -> Result<Section> {
        let body = self.bytes_at(h.body_start..end)?;
        // The line number costs a read of the file up to the section: only
        // for a message.
        parse_lines(&self.path, &body, &|| self.line_of(h.body_start))
    }
}

/// The headers of `chunk` (whole lines, at file offset `base`), given to
/// `each`: a line whose first non-blank byte is `[`, unless it is indented
/// under a key (then configparser reads it as a continuation of that key's
/// value, as for nested `s3 =` keys). `before` is what the line before the
/// chunk was; the return value is what its last meaningful line is.
fn scan_chunk(
    chunk: &[u8],
    base: u64,
    before: Before,
    each: &mut impl FnMut(&Header, &[u8]),
) -> Before {
    // One SIMD pass over the chunk for `[`; each hit is checked with plain
    // loops over its own short line (a memchr call per line costs more).
    let mut next_line = 0;
    let mut known = (0, before);
    for at in memchr::memchr_iter(b'[', chunk) {
        if at < next_line {
            continue;
        }
        let mut line_start = at;
        while line_start > 0 && matches!(chunk[line_start - 1], b' ' | b'\t') {
            line_start -= 1;
        }
        if line_start > 0 && chunk[line_start - 1] != b'\n' {
            continue;
        }
        // The name ends at the line's last `]`: usually the line's last
        // byte, so look back from the end of the line.
        let line_end = memchr::memchr(b'\n', &chunk[at + 1..]).map_or(chunk.len(), |p| at + 1 + p);
        let mut close = line_end;
        while close > at + 1 && chunk[close - 1].is_ascii_whitespace() {
            close -= 1;
        }
        let close = if close > at + 1 && chunk[close - 1] == b']' {
            Some(close - 1)
        } else {
            memchr::memrchr(b']', &chunk[at + 1..close]).map(|p| at + 1 + p)
        };
        // Where the next line starts.
        next_line = (line_end + 1).min(chunk.len());
        // An indented `[` line is a continuation after a key, a header
        // after a header: either way it leaves what was before it.
        if line_start < at {
            let state = line_before(chunk, line_start, known);
            known = (next_line, state);
            if state == Before::Key {
                continue;
            }
        } else {
            known = (next_line, Before::HeaderOrStart);
        }
        let (name, closed) = match close {
            Some(c) => ((at + 1, c), true),
            None => {
                let end = line_end - usize::from(line_end > at && chunk[line_end - 1] == b'\r');
                ((at + 1, end), false)
            }
        };
        let (a, b) = trim_range(chunk, name);
        let h = Header {
            name: base + a as u64..base + b as u64,
            closed,
            line_start: base + line_start as u64,
            body_start: base + next_line as u64,
        };
        each(&h, &chunk[a..b]);
    }
    line_before(chunk, chunk.len(), known)
}

/// What the last line before `line_start` that is neither blank nor a
/// comment is. `known` is where the last line led by `[` ended and what it
/// left (the chunk's start and the state before it, at first): every
/// `[`-led line is seen by the scan in order, so only lines without one lie
/// between, and the look-back never goes past it (no quadratic cost for a
/// file of indented `[` lines).
fn line_before(text: &[u8], line_start: usize, known: (usize, Before)) -> Before {
    let mut end = line_start;
    while end > known.0 {
        let content_end = if text[end - 1] == b'\n' { end - 1 } else { end };
        let start = memchr::memrchr(b'\n', &text[..content_end]).map_or(0, |p| p + 1);
        let line = trim_bytes(&text[start..content_end]);
        if !(line.is_empty() || line.starts_with(b"#") || line.starts_with(b";")) {
            return Before::Key;
        }
        end = start;
    }
    known.1
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
/// gives (only when needed) the line number of the first line.
fn parse_lines(path: &Path, body: &[u8], first_line: &dyn Fn() -> usize) -> Result<Section> {
    let mut out = Section::new();
    let mut current: Option<String> = None;
    for (i, raw) in body.split(|&b| b == b'\n').enumerate() {
        let at = || format!("{}:{}", path.display(), first_line() + i);
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
        assert_eq!(f.section_names(), ["a", "b", "a", "c"]);
    }

    #[test]
    fn indented_bracket_under_a_key_is_a_value() {
        let f = ini("[a]\nk =\n  [not a header\n[b]\nz = 1\n");
        assert!(f.check().is_ok(), "{:?}", f.check());
        let f = ini("[a]\n  [b]\nz = 1\n");
        assert_eq!(f.section("b").unwrap().unwrap()["z"], "1");
    }

    /// Streamed through the 64 KiB buffer (sections across reads, a line
    /// longer than the buffer, an indented `[` under a key right after a
    /// read boundary) as read from memory.
    #[test]
    fn streamed_file_reads_as_text_in_memory() {
        let mut text = String::from("# head\n");
        for i in 0..3000 {
            text.push_str(&format!(
                "[profile p{i}]\nregion = r{i}\ns3 =\n  [nested{i}\n  max = {i}\n\n"
            ));
        }
        text.push_str(&format!("[profile long]\nk = {}\n", "x".repeat(200_000)));
        text.push_str("[profile last]\nk = v");
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("config");
        std::fs::write(&path, &text).unwrap();
        let streamed = IniFile::read(&path).unwrap();
        let memory = ini(&text);
        for name in [
            "profile p0",
            "profile p1234",
            "profile p2999",
            "profile long",
            "profile last",
        ] {
            let a = streamed.section(name).unwrap().unwrap();
            assert_eq!(a, memory.section(name).unwrap().unwrap(), "{name}");
            assert!(!a.contains_key("max"), "{name}");
        }
        assert_eq!(streamed.section_names().len(), 3002);
        assert_eq!(streamed.section_names(), memory.section_names());
        streamed.check().unwrap();
        let whole = IniFile::from_bytes(path.clone(), std::fs::read(&path).unwrap());
        let spans = whole.spans();
        assert_eq!(spans.len(), 3003);
        assert_eq!(spans.last().unwrap().1.end, text.len());
        // A broken header deep in the file is found with its line.
        std::fs::write(&path, text.replace("[profile p2500]", "[profile p2500")).unwrap();
        let e = IniFile::read(&path)
            .unwrap()
            .section("profile p2500")
            .unwrap_err();
        assert_eq!(
            e.message,
            format!(
                "{}:15002: the section header [profile p2500 is not closed with ']'",
                path.display()
            )
        );
    }

    /// The headers as a plain line-by-line reading finds them: name (to the
    /// line's last `]`, trimmed) and whether it is closed.
    fn reference_headers(text: &[u8]) -> Vec<(Vec<u8>, bool)> {
        let mut out = vec![];
        let mut before_key = false;
        for line in text.split(|&b| b == b'\n') {
            let t = trim_bytes(line);
            if t.is_empty() || t.starts_with(b"#") || t.starts_with(b";") {
                continue;
            }
            let indented = matches!(line.first(), Some(b' ' | b'\t'));
            if t.starts_with(b"[") && !(indented && before_key) {
                let rest = &line[line.iter().position(|&b| b == b'[').unwrap() + 1..];
                let (name, closed) = match rest.iter().rposition(|&b| b == b']') {
                    Some(c) => (&rest[..c], true),
                    None => (rest, false),
                };
                out.push((trim_bytes(name).to_vec(), closed));
                before_key = false;
            } else {
                before_key = true;
            }
        }
        out
    }

    proptest::proptest! {
        /// The streamed scan finds the same headers as the plain reading,
        /// whatever the text (brackets in names, values and comments,
        /// indentation, CR, unclosed headers).
        #[test]
        fn prop_scan_finds_the_headers_a_line_reading_finds(
            parts in proptest::collection::vec(proptest::sample::select(&[
                "\n", "\r\n", " ", "\t", "[", "]", "[profile a]", "] x", "k = v", "k =",
                "#", ";", "a", "b ", "[b ]]", " ; c", "\u{e9}",
            ][..]), 0..40)
        ) {
            let text = parts.concat();
            let mut got = vec![];
            ini(&text).scan(|h, name| got.push((name.to_vec(), h.closed))).unwrap();
            proptest::prop_assert_eq!(got, reference_headers(text.as_bytes()), "{:?}", text);
        }
    }

    #[test]
    fn an_indented_bracket_line_after_a_continuation_continues_it() {
        // Found by the property below: the second indented `[` line follows
        // a continuation, not a header, so it is a continuation too.
        let text = "] x\n [b ]]\n [profile a]";
        let mut got = vec![];
        ini(text).scan(|_, name| got.push(name.to_vec())).unwrap();
        assert!(got.is_empty(), "{got:?}");
        let text = "[s]\ns3 =\n  [x]\n  [profile evil]\n[profile ok]\nk = v\n";
        assert_eq!(ini(text).section_names(), ["s", "profile ok"]);
        assert_eq!(ini(text).section("profile evil").unwrap(), None);
        // Many of them cost a look-back each, not one per line before.
        let mut long = String::from("[a]\nk =\n");
        long.push_str(&"  [x]\n".repeat(200_000));
        long.push_str("[b]\n");
        assert_eq!(ini(&long).section_names(), ["a", "b"]);
    }

    #[test]
    fn crlf_and_no_final_newline() {
        let f = ini("[a]\r\nk = v\r\n[b\r\n");
        assert_eq!(f.section("a").unwrap().unwrap()["k"], "v");
        assert!(f.section("b").unwrap_err().message.contains("[b is not"));
    }
}
