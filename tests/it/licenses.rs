//! `debian/THIRD-PARTY-LICENSES`, which the Debian package installs beside
//! the copyright file: every crate linked into the binary (normal
//! dependencies for Linux, followed from `dsops`; no build scripts, proc
//! macros or test-only crates), its declared license, and the license texts
//! the crates ship, each distinct text once. The MIT and Apache licenses ask
//! that their notices travel with binaries, and the binary links them all.
//!
//! The file is generated from `Cargo.lock` and the crates' sources (through
//! `cargo metadata`, offline) and checked here: after a dependency change,
//! `DSOPS_REGENERATE=1 cargo test --test it licenses` writes it again.

use crate::support::repo;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The Linux target the package is built for (the crate set is the same for
/// every Linux architecture).
const PLATFORM: &str = "x86_64-unknown-linux-gnu";

/// The MIT text (SPDX), for crates that declare MIT but ship no text.
const MIT: &str = "Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the \"Software\"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in
all copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
";

fn metadata() -> Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .current_dir(repo())
        .args([
            "metadata",
            "--format-version",
            "1",
            "--locked",
            "--offline",
            "--filter-platform",
            PLATFORM,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The ids of the packages linked into the binary.
fn linked(meta: &Value) -> BTreeSet<String> {
    let packages: BTreeMap<&str, &Value> = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p))
        .collect();
    let nodes: BTreeMap<&str, &Value> = meta["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["id"].as_str().unwrap(), n))
        .collect();
    let root = meta["resolve"]["root"].as_str().unwrap();
    let mut seen = BTreeSet::new();
    let mut todo = vec![root];
    while let Some(id) = todo.pop() {
        if !seen.insert(id.to_string()) {
            continue;
        }
        for dep in nodes[id]["deps"].as_array().unwrap() {
            let normal = dep["dep_kinds"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k["kind"].is_null());
            let pkg = dep["pkg"].as_str().unwrap();
            let proc_macro = packages[pkg]["targets"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| {
                    t["kind"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|k| k == "proc-macro")
                });
            if normal && !proc_macro {
                todo.push(pkg);
            }
        }
    }
    seen.remove(root);
    seen
}

/// A crate's license files: `LICENSE*`, `LICENCE*`, `COPYING*`, `NOTICE*`
/// at its root, and its `license-file`, sorted by name.
fn license_files(pkg: &Value) -> Vec<(String, String)> {
    let dir = Path::new(pkg["manifest_path"].as_str().unwrap())
        .parent()
        .unwrap()
        .to_path_buf();
    let mut names: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| {
            let up = n.to_ascii_uppercase();
            ["LICENSE", "LICENCE", "COPYING", "NOTICE"]
                .iter()
                .any(|p| up.starts_with(p))
        })
        .collect();
    if let Some(f) = pkg["license_file"].as_str() {
        names.insert(f.to_string());
    }
    names
        .into_iter()
        .map(|n| {
            let text = std::fs::read_to_string(dir.join(&n)).unwrap();
            let text: String = text
                .replace("\r\n", "\n")
                .lines()
                .map(|l| format!("{}\n", l.trim_end()))
                .collect();
            (n, text.trim_matches('\n').to_string() + "\n")
        })
        .collect()
}

fn generate() -> String {
    let meta = metadata();
    let ids = linked(&meta);
    let mut crates: Vec<&Value> = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| ids.contains(p["id"].as_str().unwrap()))
        .collect();
    crates.sort_by_key(|p| {
        (
            p["name"].as_str().unwrap().to_string(),
            p["version"].as_str().unwrap().to_string(),
        )
    });
    // Each distinct text once, numbered in order of first use.
    let mut texts: Vec<(String, Vec<String>)> = vec![];
    let mut lines = vec![];
    for p in &crates {
        let who = format!(
            "{} {}",
            p["name"].as_str().unwrap(),
            p["version"].as_str().unwrap()
        );
        let license = p["license"].as_str().unwrap_or("(none declared)");
        let mut files = license_files(p);
        if files.is_empty() {
            assert_eq!(
                license, "MIT",
                "{who} ships no license text and is not MIT: add the standard text of {license} here"
            );
            files.push(("the MIT text (the crate ships none)".into(), MIT.into()));
        }
        let mut refs = vec![];
        for (name, text) in files {
            let n = match texts.iter().position(|(t, _)| *t == text) {
                Some(i) => i,
                None => {
                    texts.push((text, vec![]));
                    texts.len() - 1
                }
            };
            texts[n].1.push(format!("{who} ({name})"));
            refs.push(format!("{}", n + 1));
        }
        lines.push(format!("{who}: {license}; texts {}", refs.join(", ")));
    }
    let mut out = String::from(
        "Third-party software in dsops\n\
         =============================\n\n\
         The dsops binary (/usr/bin/dsops) links the crates below statically.\n\
         Each is listed with the license it declares and the numbers of the\n\
         license texts it ships; each distinct text follows once. Generated\n\
         from Cargo.lock by `DSOPS_REGENERATE=1 cargo test --test it licenses`;\n\
         do not edit by hand.\n\nCrates\n------\n\n",
    );
    for l in &lines {
        out.push_str(l);
        out.push('\n');
    }
    out.push_str("\nLicense texts\n-------------\n");
    for (i, (text, users)) in texts.iter().enumerate() {
        out.push_str(&format!("\n=== Text {}, shipped by:\n", i + 1));
        for u in users {
            out.push_str(&format!("    {u}\n"));
        }
        out.push('\n');
        out.push_str(text);
    }
    out
}

#[test]
fn third_party_licenses_match_cargo_lock() {
    let path = repo().join("debian/THIRD-PARTY-LICENSES");
    let now = generate();
    // Every linked crate is there, with at least one text: a crate added to
    // Cargo.lock changes the file.
    assert!(
        now.contains("\naws-sdk-sso "),
        "{}",
        &now[..2000.min(now.len())]
    );
    assert!(now.contains("\nureq "));
    assert!(
        !now.contains("\nassert_cmd "),
        "test-only crates are not linked"
    );
    assert!(
        !now.contains("\nserde_derive "),
        "proc macros are not linked"
    );
    if std::env::var_os("DSOPS_REGENERATE").is_some() {
        std::fs::write(&path, &now).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == now,
        "debian/THIRD-PARTY-LICENSES differs from Cargo.lock's crates; run \
         DSOPS_REGENERATE=1 cargo test --test it licenses"
    );
}
