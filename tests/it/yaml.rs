//! How a config's YAML is read: every value is exported exactly as the file
//! writes it (`1.10` stays `1.10`, `True` stays `True`), or refused with a
//! message that says to quote it; a byte order mark is accepted; two
//! documents, duplicate keys and tags other than `!!str` are errors naming
//! the file and the place.

use crate::support::{Sandbox, parse_json};

/// Write `yaml` as `project/c.yaml`.
fn config(sb: &Sandbox, yaml: &str) -> String {
    sb.write("project/c.yaml", yaml).display().to_string()
}

fn export_json(sb: &Sandbox) -> serde_json::Value {
    parse_json(
        &sb.ok(&["--config", "c.yaml", "export", "--format", "json"])
            .stdout,
    )
}

/// `export` fails with status 3, naming the file; returns stderr.
fn export_fails(sb: &Sandbox, file: &str) -> String {
    let err = sb.fails(&["--config", "c.yaml", "export", "--format", "json"], 3);
    assert!(err.contains(file), "names the file: {err}");
    assert!(!err.contains("panicked"), "{err}");
    err
}

#[test]
fn unquoted_values_are_exported_as_written() {
    let sb = Sandbox::new();
    config(
        &sb,
        "version: 1\n\
         secretStores:\n  \
           lit:\n    type: literal\n    values: {N: 1.10, M: 0x10, Y: yes}\n\
         envs:\n  e:\n    \
           A: 1.10\n    B: 0x10\n    C: 1e3\n    D: True\n    E: 012\n    \
           F: 123456789012345678901234567890\n    \
           H: yes\n    I: .inf\n    J: -0.0\n    K: 1_000\n    L: 0o17\n    \
           Q: \"1.10\"\n    S: !!str 2.50\n    \
           V:\n      value: 1.20\n    \
           N: {from: {store: lit, key: N}}\n    \
           M: {from: {store: lit, key: M}}\n    \
           Y: {from: {store: lit, key: Y}}\n",
    );
    let v = export_json(&sb);
    for (name, want) in [
        ("A", "1.10"),
        ("B", "0x10"),
        ("C", "1e3"),
        ("D", "True"),
        ("E", "012"),
        ("F", "123456789012345678901234567890"),
        ("H", "yes"),
        ("I", ".inf"),
        ("J", "-0.0"),
        ("K", "1_000"),
        ("L", "0o17"),
        ("Q", "1.10"),
        ("S", "2.50"),
        ("V", "1.20"),
        ("N", "1.10"),
        ("M", "0x10"),
        ("Y", "yes"),
    ] {
        assert_eq!(v[name], want, "{name}: {v}");
    }
}

#[test]
fn null_values_are_refused_with_a_hint_to_quote() {
    for (body, shown) in [
        ("    G: ~\n", "quote it (\"~\")"),
        ("    G:\n", "no value"),
        ("    G: null\n", "quote it (\"null\")"),
        ("    G: NULL\n", "quote it (\"NULL\")"),
        ("    G: {value: Null}\n", "quote it (\"Null\")"),
    ] {
        let sb = Sandbox::new();
        let file = config(&sb, &format!("envs:\n  e:\n{body}"));
        let err = export_fails(&sb, &file);
        assert!(err.contains("envs.e.G"), "{body:?}: {err}");
        assert!(err.contains("quote it"), "{body:?}: {err}");
        assert!(err.contains(shown), "{body:?}: {err}");
    }
    // A literal store value too.
    let sb = Sandbox::new();
    let file = config(
        &sb,
        "secretStores:\n  lit:\n    type: literal\n    values: {N: ~}\nenvs:\n  e: {N: x}\n",
    );
    let err = export_fails(&sb, &file);
    assert!(
        err.contains("secretStores.lit.values.N") && err.contains("quote it"),
        "{err}"
    );
    // Quoted, the same texts are values.
    let sb = Sandbox::new();
    config(
        &sb,
        "envs:\n  e:\n    A: \"~\"\n    B: \"\"\n    C: 'null'\n",
    );
    let v = export_json(&sb);
    assert_eq!(
        (&v["A"], &v["B"], &v["C"]),
        (&"~".into(), &"".into(), &"null".into())
    );
}

#[test]
fn a_byte_order_mark_is_accepted() {
    let sb = Sandbox::new();
    config(&sb, "\u{feff}version: 1\nenvs:\n  e:\n    A: b\n");
    assert_eq!(export_json(&sb)["A"], "b");
    // As the user config too.
    let sb = Sandbox::new();
    sb.write(
        ".config/dsops/config.yaml",
        "\u{feff}envs:\n  e:\n    A: user\n",
    );
    let out = sb.ok(&["export", "--format", "json", "--env", "e"]);
    assert_eq!(parse_json(&out.stdout)["A"], "user");
}

#[test]
fn two_documents_are_refused() {
    let sb = Sandbox::new();
    let file = config(&sb, "envs:\n  e: {A: b}\n---\nenvs:\n  e: {A: c}\n");
    let err = export_fails(&sb, &file);
    assert!(err.contains(&format!("{file}:3:")), "{err}");
    assert!(err.contains("more than one YAML document"), "{err}");
}

#[test]
fn a_duplicate_key_names_both_lines() {
    let sb = Sandbox::new();
    let file = config(
        &sb,
        "envs:\n  e:\n    TOKEN: first\n    OTHER: x\n    TOKEN: second\n",
    );
    let err = export_fails(&sb, &file);
    assert!(err.contains(&format!("{file}:5:")), "{err}");
    assert!(err.contains("duplicate key 'TOKEN'"), "{err}");
    assert!(err.contains("line 3"), "{err}");
    // Neither value is shown.
    assert!(!err.contains("first") && !err.contains("second"), "{err}");
}

#[test]
fn account_ids_are_read_as_written() {
    let store = |id: &str| {
        format!(
            "secretStores:\n  x:\n    type: aws.sso\n    sso_start_url: https://x/start\n    \
             sso_region: us-east-1\n    account_id: {id}\n    role_name: R\n\
             envs:\n  e: {{A: b}}\n"
        )
    };
    let sb = Sandbox::new();
    let file = config(&sb, &store("123456789012345678901234567890"));
    let err = export_fails(&sb, &file);
    assert!(
        err.contains(
            "secretStores.x.account_id: '123456789012345678901234567890' is not a 12-digit account id"
        ),
        "{err}"
    );
    // An unquoted id with a leading zero keeps it.
    let sb = Sandbox::new();
    config(&sb, &store("012345678901"));
    assert_eq!(export_json(&sb)["A"], "b");
}

#[test]
fn tags_other_than_str_are_refused() {
    let sb = Sandbox::new();
    let file = config(&sb, "envs:\n  e:\n    A: !!int 5\n");
    let err = export_fails(&sb, &file);
    assert!(err.contains(&format!("{file}:3:8:")), "{err}");
    assert!(err.contains("unsupported tag !!int"), "{err}");
}
