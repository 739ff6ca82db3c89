//! The shape of the source, checked: no import cycle between modules (a
//! module is a file of `src/`, or a directory with its `mod.rs` and files),
//! and no file over about 400 lines without its module doc saying why.

use crate::support::repo;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The top-level module a file of `src/` belongs to.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// The code of a file that is not test code: `tests.rs` files, modules
/// after `#[cfg(test)]`, and the statement right after a `#[cfg(test)]`
/// attribute are left out.
fn non_test_code(text: &str) -> String {
    let mut out = String::new();
    let mut skip_next = false;
    let mut depth_at_test: Option<i32> = None;
    let mut depth = 0i32;
    for line in text.lines() {
        let t = line.trim();
        let opens = line.matches('{').count() as i32;
        let closes = line.matches('}').count() as i32;
        if let Some(d) = depth_at_test {
            depth += opens - closes;
            if depth <= d {
                depth_at_test = None;
            }
            continue;
        }
        if t == "#[cfg(test)]" {
            skip_next = true;
            continue;
        }
        if skip_next {
            skip_next = false;
            if t.starts_with("mod ") && t.ends_with('{') {
                depth_at_test = Some(depth);
                depth += opens - closes;
            }
            continue;
        }
        depth += opens - closes;
        // Comments name modules without depending on them.
        if t.starts_with("//") {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = repo().join("src");
    let mut files = vec![];
    rust_files(&src, &mut files);
    let mut modules: BTreeSet<String> = files.iter().map(|f| module_of(&src, f)).collect();
    modules.remove("main");
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in &files {
        if f.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        let from = module_of(&src, f);
        let code = non_test_code(&std::fs::read_to_string(f).unwrap());
        for m in &modules {
            if *m != from
                && (code.contains(&format!("crate::{m}::"))
                    || code.contains(&format!("crate::{m};"))
                    || code.contains(&format!("crate::{m} "))
                    || code.contains(&format!("crate::{{{m}"))
                    || code.contains(&format!("crate::{m},")))
            {
                g.entry(from.clone()).or_default().insert(m.clone());
            }
        }
        // `use crate::{a, b::c}` lists.
        for group in code.split("crate::{").skip(1) {
            let inner = group.split('}').next().unwrap_or("");
            for part in inner.split(',') {
                let name = part.trim().split("::").next().unwrap_or("").trim();
                if modules.contains(name) && name != from {
                    g.entry(from.clone()).or_default().insert(name.to_string());
                }
            }
        }
    }
    g
}

#[test]
fn no_import_cycle_between_modules() {
    let g = graph();
    // Depth-first search for a back edge, reporting the cycle.
    fn visit(
        n: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = stack.iter().position(|s| s == n) {
            let mut cycle = stack[i..].to_vec();
            cycle.push(n.to_string());
            return Some(cycle);
        }
        if done.contains(n) {
            return None;
        }
        stack.push(n.to_string());
        for m in g.get(n).into_iter().flatten() {
            if let Some(c) = visit(m, g, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(n.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for n in g.keys() {
        if let Some(c) = visit(n, &g, &mut vec![], &mut done) {
            panic!("import cycle: {}\n(graph: {g:#?})", c.join(" -> "));
        }
    }
    // The graph is not empty: the check can see imports.
    assert!(g.get("cmd").is_some_and(|d| d.contains("config")), "{g:#?}");
}

#[test]
fn long_files_say_why() {
    let src = repo().join("src");
    let mut files = vec![];
    rust_files(&src, &mut files);
    let mut unexplained = vec![];
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        if text.lines().count() <= 420 || f.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        let doc: String = text
            .lines()
            .take_while(|l| l.starts_with("//!"))
            .map(|l| l.trim_start_matches("//!").trim())
            .collect::<Vec<_>>()
            .join(" ");
        if !doc.contains("Longer than") {
            unexplained.push(format!("{} ({} lines)", f.display(), text.lines().count()));
        }
    }
    assert!(
        unexplained.is_empty(),
        "files over about 400 lines whose module doc does not say why (\"Longer than ...\"): {unexplained:#?}"
    );
}

/// A command's file wires arguments to the library; what two commands need
/// lives below both (`cmd/mod.rs` or a library module), so no command file
/// names another (`super::export::...`, `crate::cmd::exec::...`).
#[test]
fn no_command_module_imports_another() {
    let dir = repo().join("src/cmd");
    let commands: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".rs")
                .filter(|n| *n != "mod")
                .map(str::to_string)
        })
        .collect();
    assert!(commands.len() > 5, "{commands:?}");
    let mut found = vec![];
    for own in &commands {
        let text = non_test_code(&std::fs::read_to_string(dir.join(format!("{own}.rs"))).unwrap());
        for other in commands.iter().filter(|c| *c != own) {
            for path in [format!("super::{other}::"), format!("cmd::{other}::")] {
                if text.contains(&path) {
                    found.push(format!("cmd/{own}.rs uses {path}"));
                }
            }
        }
    }
    assert!(found.is_empty(), "{found:#?}");
}
