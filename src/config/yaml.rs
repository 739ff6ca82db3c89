//! Reading one YAML document into a small tree that keeps what the file says:
//! each scalar's text as written, how it was written (plain, quoted, block)
//! and where (line and column), so that the config layer can export
//! `API_VERSION: 1.10` as `1.10` instead of the number 1.1, and can point at
//! the place of every problem.
//!
//! The text is the content of a repository someone may have cloned a minute
//! ago, so reading it is bounded and never panics: nesting deeper than
//! [`MAX_DEPTH`], more than [`MAX_NODES`] nodes or more than
//! [`MAX_TEXT_BYTES`] of scalar text (counting what anchors and aliases
//! expand to, so an alias bomb stops early) is an error. A leading UTF-8 byte
//! order mark is ignored.
//!
//! Rules beyond plain YAML, each an error naming the line and column: one
//! document per file; no duplicate keys in a mapping (a reviewer must see the
//! value that is used); keys are scalars; the only tag is `!!str` on a
//! scalar. This module does not interpret scalars (no numbers, booleans or
//! nulls): that is the config layer's business.
//!
//! Longer than most files here: one pass over the parser's events builds
//! the tree and enforces every limit, and splitting the pass would spread
//! the limits over files.

use crate::error::{Error, Result};
use saphyr_parser::{Event, Parser, ScalarStyle, Span};
use std::collections::HashMap;

/// Deepest nesting of mappings and sequences.
pub const MAX_DEPTH: usize = 64;
/// Most nodes in a document, aliases expanded.
pub const MAX_NODES: usize = 100_000;
/// Most scalar text in a document, aliases expanded.
pub const MAX_TEXT_BYTES: usize = 8 << 20;

/// A place in the file: line and column, both from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

impl Pos {
    fn of(span: &Span) -> Pos {
        Pos {
            line: span.start.line(),
            col: span.start.col() + 1,
        }
    }
}

/// How a scalar was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Unquoted: YAML would read `1.10`, `true` or `~` as a number, a
    /// boolean or null.
    Plain,
    /// Single- or double-quoted: always a string.
    Quoted,
    /// A literal (`|`) or folded (`>`) block: always a string.
    Block,
}

/// The one tag allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tag {
    /// `!!str`: the scalar is a string, whatever it looks like.
    Str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Scalar {
        text: String,
        style: Style,
        tag: Option<Tag>,
    },
    Seq(Vec<Node>),
    /// In file order; keys are scalars and unique.
    Map(Vec<(Node, Node)>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub kind: Kind,
    pub pos: Pos,
}

impl Node {
    /// The text of any scalar.
    pub fn scalar(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }
    /// The text of an untagged plain scalar: one whose type YAML would guess
    /// from its text.
    pub fn plain(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar {
                text,
                style: Style::Plain,
                tag: None,
            } => Some(text),
            _ => None,
        }
    }
    /// A plain scalar YAML reads as null: empty, `~`, `null`, `Null`, `NULL`.
    pub fn is_null(&self) -> bool {
        matches!(self.plain(), Some("" | "~" | "null" | "Null" | "NULL"))
    }
    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.kind {
            Kind::Map(m) => Some(m),
            _ => None,
        }
    }
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.kind {
            Kind::Seq(s) => Some(s),
            _ => None,
        }
    }
    /// The value of `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.scalar() == Some(key))
            .map(|(_, v)| v)
    }
    /// What this is, for messages.
    pub fn kind_name(&self) -> &'static str {
        match &self.kind {
            _ if self.is_null() => "nothing",
            Kind::Scalar { .. } => "a string",
            Kind::Seq(_) => "a list",
            Kind::Map(_) => "a mapping",
        }
    }

    /// (nodes, scalar bytes, nesting height) of this subtree.
    fn weight(&self) -> (usize, usize, usize) {
        match &self.kind {
            Kind::Scalar { text, .. } => (1, text.len(), 0),
            Kind::Seq(items) => items.iter().fold((1, 0, 1), |acc, n| {
                let (c, b, h) = n.weight();
                (acc.0 + c, acc.1 + b, acc.2.max(h + 1))
            }),
            Kind::Map(pairs) => pairs.iter().fold((1, 0, 1), |acc, (k, v)| {
                let (kc, kb, _) = k.weight();
                let (vc, vb, vh) = v.weight();
                (acc.0 + kc + vc, acc.1 + kb + vb, acc.2.max(vh + 1))
            }),
        }
    }
}

/// A text shown in a message: one line, at most 60 characters.
pub fn shown(s: &str) -> String {
    let mut out: String = s.chars().take(60).flat_map(char::escape_debug).collect();
    if s.chars().nth(60).is_some() {
        out.push('…');
    }
    out
}

/// A mapping or sequence being read.
enum Open {
    Seq {
        items: Vec<Node>,
        pos: Pos,
        anchor: usize,
    },
    Map {
        pairs: Vec<(Node, Node)>,
        key: Option<Node>,
        /// Key text to the line it is on.
        seen: HashMap<String, usize>,
        pos: Pos,
        anchor: usize,
    },
}

struct Reader<'f> {
    file: &'f str,
    stack: Vec<Open>,
    /// Complete anchored nodes by anchor id.
    anchors: HashMap<usize, Node>,
    nodes: usize,
    bytes: usize,
    root: Option<Node>,
}

impl Reader<'_> {
    fn error(&self, pos: Pos, problem: &str) -> Error {
        Error::config(format!("{}:{}:{}: {problem}", self.file, pos.line, pos.col))
    }

    /// Count `nodes` more nodes and `bytes` more text against the limits.
    fn charge(&mut self, pos: Pos, nodes: usize, bytes: usize) -> Result<()> {
        self.nodes = self.nodes.saturating_add(nodes);
        self.bytes = self.bytes.saturating_add(bytes);
        if self.nodes > MAX_NODES {
            return Err(self.error(
                pos,
                &format!(
                    "invalid YAML: more than {MAX_NODES} nodes (counting what aliases expand to)"
                ),
            ));
        }
        if self.bytes > MAX_TEXT_BYTES {
            return Err(self.error(
                pos,
                &format!(
                    "invalid YAML: more than {MAX_TEXT_BYTES} bytes of text (counting what aliases expand to)"
                ),
            ));
        }
        Ok(())
    }

    fn tag(&self, pos: Pos, tag: Option<&saphyr_parser::Tag>, scalar: bool) -> Result<Option<Tag>> {
        let Some(tag) = tag else { return Ok(None) };
        let core = tag.handle == "tag:yaml.org,2002:";
        // `!!str`, or `!<tag:yaml.org,2002:str>` written out.
        let str = (core && tag.suffix == "str")
            || (tag.handle.is_empty() && tag.suffix == "tag:yaml.org,2002:str");
        if scalar && str {
            return Ok(Some(Tag::Str));
        }
        let name = if core {
            format!("!!{}", tag.suffix)
        } else {
            format!("{}{}", tag.handle, tag.suffix)
        };
        Err(self.error(
            pos,
            &format!(
                "unsupported tag {} (the only tag is !!str, on a scalar)",
                shown(&name)
            ),
        ))
    }

    fn open(&mut self, open: Open, pos: Pos) -> Result<()> {
        self.charge(pos, 1, 0)?;
        if self.stack.len() >= MAX_DEPTH {
            return Err(self.error(
                pos,
                &format!("invalid YAML: nested more than {MAX_DEPTH} levels deep"),
            ));
        }
        self.stack.push(open);
        Ok(())
    }

    /// A node is complete: remember it under its anchor, then give it to the
    /// collection it is in.
    fn complete(&mut self, node: Node, anchor: usize) -> Result<()> {
        if anchor != 0 {
            // The copy kept for aliases counts against the limits too.
            let (nodes, bytes, _) = node.weight();
            self.charge(node.pos, nodes, bytes)?;
            self.anchors.insert(anchor, node.clone());
        }
        let file = self.file;
        let err = |pos: Pos, problem: &str| {
            Error::config(format!("{file}:{}:{}: {problem}", pos.line, pos.col))
        };
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Open::Seq { items, .. }) => items.push(node),
            Some(Open::Map {
                pairs, key, seen, ..
            }) => match key.take() {
                Some(k) => pairs.push((k, node)),
                None => {
                    let Some(text) = node.scalar() else {
                        return Err(err(
                            node.pos,
                            &format!("a key must be a string, not {}", node.kind_name()),
                        ));
                    };
                    if let Some(first) = seen.insert(text.to_string(), node.pos.line) {
                        return Err(err(
                            node.pos,
                            &format!(
                                "invalid YAML: duplicate key '{}' (also on line {first}): keep one",
                                shown(text)
                            ),
                        ));
                    }
                    *key = Some(node);
                }
            },
        }
        Ok(())
    }

    fn close(&mut self) -> Result<()> {
        let (node, anchor) = match self.stack.pop() {
            Some(Open::Seq { items, pos, anchor }) => (
                Node {
                    kind: Kind::Seq(items),
                    pos,
                },
                anchor,
            ),
            Some(Open::Map {
                pairs, pos, anchor, ..
            }) => (
                Node {
                    kind: Kind::Map(pairs),
                    pos,
                },
                anchor,
            ),
            // The parser pairs every end with its start.
            None => return Ok(()),
        };
        self.complete(node, anchor)
    }

    fn alias(&mut self, id: usize, pos: Pos) -> Result<()> {
        let Some(target) = self.anchors.get(&id) else {
            return Err(self.error(pos, "invalid YAML: an alias inside the node it names"));
        };
        let (nodes, bytes, height) = target.weight();
        if self.stack.len() + height > MAX_DEPTH {
            return Err(self.error(
                pos,
                &format!(
                    "invalid YAML: nested more than {MAX_DEPTH} levels deep (aliases expanded)"
                ),
            ));
        }
        let mut node = target.clone();
        node.pos = pos;
        self.charge(pos, nodes, bytes)?;
        self.complete(node, 0)
    }
}

/// Read `text`, the content of `file` (named in messages), as one YAML
/// document; `None` when it holds no document (empty, or only comments).
pub fn read(file: &str, text: &str) -> Result<Option<Node>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut r = Reader {
        file,
        stack: vec![],
        anchors: HashMap::new(),
        nodes: 0,
        bytes: 0,
        root: None,
    };
    let mut documents = 0;
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| {
            let pos = Pos {
                line: e.marker().line(),
                col: e.marker().col() + 1,
            };
            r.error(pos, &format!("invalid YAML: {}", e.info()))
        })?;
        let pos = Pos::of(&span);
        match event {
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(r.error(
                        pos,
                        "more than one YAML document: a config is one document (remove the second '---')",
                    ));
                }
            }
            Event::Scalar(text, style, anchor, tag) => {
                let tag = r.tag(pos, tag.as_deref(), true)?;
                r.charge(pos, 1, text.len())?;
                let style = match style {
                    ScalarStyle::Plain => Style::Plain,
                    ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => Style::Quoted,
                    ScalarStyle::Literal | ScalarStyle::Folded => Style::Block,
                };
                let node = Node {
                    kind: Kind::Scalar {
                        text: text.into_owned(),
                        style,
                        tag,
                    },
                    pos,
                };
                r.complete(node, anchor)?;
            }
            Event::SequenceStart(anchor, tag) => {
                r.tag(pos, tag.as_deref(), false)?;
                r.open(
                    Open::Seq {
                        items: vec![],
                        pos,
                        anchor,
                    },
                    pos,
                )?;
            }
            Event::MappingStart(anchor, tag) => {
                r.tag(pos, tag.as_deref(), false)?;
                r.open(
                    Open::Map {
                        pairs: vec![],
                        key: None,
                        seen: HashMap::new(),
                        pos,
                        anchor,
                    },
                    pos,
                )?;
            }
            Event::SequenceEnd | Event::MappingEnd => r.close()?,
            Event::Alias(id) => r.alias(id, pos)?,
            Event::StreamEnd => break,
            Event::StreamStart | Event::DocumentEnd | Event::Nothing => {}
        }
    }
    Ok(r.root)
}
