use super::expand::interpolate;
use super::*;
use std::path::Path;

fn parse(text: &str) -> crate::error::Result<Config> {
    let mut c = parse_str(Path::new("/p/.dsops.yaml"), text)?;
    c.project_file = Some("/p/.dsops.yaml".into());
    c.validate_references()?;
    Ok(c)
}

fn err(text: &str) -> String {
    parse(text).unwrap_err().message
}

const SPEC_EXAMPLE: &str = r#"
version: 1
defaultEnv: local
secretStores:
  aws-sso-prod:
    type: aws.sso
    sso_start_url: https://my-org.awsapps.com/start
    sso_region: us-east-1
    account_id: "123456789012"
    role_name: DeveloperAccess
    region: us-east-1
  aws-secrets-prod:
    type: aws.secretsmanager
    region: us-east-1
    credentials_from: aws-sso-prod
  params:
    type: aws.ssm
    region: us-east-1
    credentials_from: aws-sso-prod
  plain:
    type: literal
    values: {LOG_LEVEL: debug}
  onepassword:
    type: exec
    command: ["op", "read"]
envs:
  local:
    DATABASE_URL:
      from: {store: aws-secrets-prod, key: prod/database/connection}
    DB_PASSWORD:
      from: {store: aws-secrets-prod, key: prod/db, field: password}
    API_ENDPOINT:
      from: {store: params, key: /app/api/endpoint}
    AWS_ACCESS_KEY_ID:
      from: {store: aws-sso-prod, key: access_key_id}
    FEATURE_FLAG: "on"
    OPTIONAL_THING:
      from: {store: plain, key: MISSING}
      optional: true
"#;

#[test]
fn spec_example_loads() {
    let c = parse(SPEC_EXAMPLE).unwrap();
    assert_eq!(c.stores.len(), 5);
    let env = c.pick_env(None).unwrap().unwrap();
    assert_eq!(env.name, "local");
    let names: Vec<&str> = env.vars.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "DATABASE_URL",
            "DB_PASSWORD",
            "API_ENDPOINT",
            "AWS_ACCESS_KEY_ID",
            "FEATURE_FLAG",
            "OPTIONAL_THING"
        ]
    );
    assert_eq!(env.vars[4].source, Source::Literal("on".into()));
    assert!(env.vars[5].optional);
    assert_eq!(c.stores["onepassword"].list("command"), ["op", "read"]);
}

#[test]
fn error_classes_name_file_and_place() {
    let e = err("secretStores:\n  s3:\n    type: aws.s3\n    credentials_from: auth\n");
    assert!(
        e.contains("/p/.dsops.yaml: secretStores.s3.type: unknown store type 'aws.s3'"),
        "{e}"
    );
    let e = err(
        "secretStores:\n  x:\n    type: aws.sso\n    sso_start_url: https://a/start\n    account_id: \"111111111111\"\n",
    );
    assert!(
        e.contains("secretStores.x: an aws.sso store needs role_name"),
        "{e}"
    );
    let e = err("secretStores:\n  x:\n    type: aws.sso\n    account_id: 12\n    role_name: R\n");
    assert!(
        e.contains("secretStores.x.account_id: '12' is not a 12-digit account id"),
        "{e}"
    );
    let e = err(
        "envs:\n  dev:\n    DATABASE_URL:\n      from: {store: dev-secrets, key: app/database/url}\n",
    );
    assert!(
        e.contains("envs.dev.DATABASE_URL.from.store: no store 'dev-secrets' is defined"),
        "{e}"
    );
    let e = err("envs:\n  dev:\n    9BAD: x\n");
    assert!(e.contains("envs.dev.9BAD: invalid variable name"), "{e}");
    let e = err("envs:\n  dev:\n    A: [1\n");
    assert!(e.starts_with("/p/.dsops.yaml:4:"), "{e}");
    assert!(e.contains("invalid YAML"), "{e}");
    let e = err(
        "secretStores:\n  a:\n    type: aws.secretsmanager\n    credentials_from: b\n  b:\n    type: aws.ssm\n    credentials_from: a\n",
    );
    assert!(e.contains("credentials_from cycle: a -> b -> a"), "{e}");
    let e = err("secretStores:\n  a:\n    type: aws.secretsmanager\n    credentials_from: nope\n");
    assert!(
        e.contains("secretStores.a.credentials_from: no store 'nope' is defined"),
        "{e}"
    );
    let e = err(
        "aws-sso-dev-admin:\n  account_id: \"111111111111\"\n  role_name: AdministratorAccess\n",
    );
    assert!(
        e.contains("aws-sso-dev-admin: unknown top-level key") && e.contains("secretStores"),
        "{e}"
    );
    let e = err("secretStores:\n  a:\n    region: us-east-1\n");
    assert!(e.contains("secretStores.a: missing 'type'"), "{e}");
    let e = err("defaultEnv: nope\nenvs:\n  a: {X: y}\n");
    assert!(e.contains("defaultEnv: no env set 'nope'"), "{e}");
}

#[test]
fn alias_bomb_is_refused() {
    let mut bomb = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let names = ["b", "c", "d", "e", "f", "g", "h", "i"];
    let mut prev = "a";
    for n in names {
        bomb.push_str(&format!(
            "{n}: &{n} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
        ));
        prev = n;
    }
    let start = std::time::Instant::now();
    let e = err(&bomb);
    assert!(e.contains("/p/.dsops.yaml"), "{e}");
    assert!(
        start.elapsed().as_secs() < 5,
        "alias expansion must be bounded"
    );
}

#[test]
fn interpolation() {
    let env = |v: &str| match v {
        "A" => Some("x".to_string()),
        _ => None,
    };
    assert_eq!(interpolate("${A}/$${A}/$5", env).unwrap(), "x/${A}/$5");
    assert_eq!(interpolate("pre ${MISSING}", env).unwrap_err(), "MISSING");
    let c = parse("secretStores:\n  d:\n    type: aws.sso\n    sso_start_url: ${DSOPS_TEST_SURELY_UNSET}\n    account_id: \"111111111111\"\n    role_name: R\n").unwrap();
    let e = c.stores["d"].get("sso_start_url").unwrap_err().message;
    assert!(
        e.contains("secretStores.d.sso_start_url: ${DSOPS_TEST_SURELY_UNSET} is not set"),
        "{e}"
    );
}

#[test]
fn merge_project_wins() {
    let mut user = parse_str(
        Path::new("/u.yaml"),
        "defaultEnv: a\nenvs:\n  a: {X: user}\n  b: {Y: user}\n",
    )
    .unwrap();
    let proj = parse_str(Path::new("/p.yaml"), "envs:\n  a: {X: project}\n").unwrap();
    user.merge(proj).unwrap();
    assert_eq!(
        user.env("a").unwrap().vars[0].source,
        Source::Literal("project".into())
    );
    assert_eq!(
        user.env("b").unwrap().vars[0].source,
        Source::Literal("user".into())
    );
    assert_eq!(user.pick_env(None).unwrap().unwrap().name, "a");
}

#[test]
fn a_project_cannot_redefine_a_user_store() {
    let store = |account: &str| {
        format!(
            "secretStores:\n  prod:\n    type: aws.sso\n    sso_start_url: https://x/start\n    sso_region: us-east-1\n    account_id: \"{account}\"\n    role_name: R\n"
        )
    };
    let user = || parse_str(Path::new("/u.yaml"), &store("111111111111")).unwrap();
    // The very same store is harmless.
    let same = parse_str(Path::new("/p.yaml"), &store("111111111111")).unwrap();
    user().merge(same).unwrap();
    let other = parse_str(Path::new("/p.yaml"), &store("222222222222")).unwrap();
    let e = user().merge(other).unwrap_err();
    assert_eq!(e.kind, crate::error::Exit::Config);
    assert!(
        e.message.contains("/p.yaml")
            && e.message.contains("/u.yaml")
            && e.message.contains("'prod'"),
        "{}",
        e.message
    );
}

/// The env set `e` of `text`, as (name, literal value) pairs.
fn literals(text: &str) -> Vec<(String, String)> {
    let c = parse(text).unwrap();
    c.env("e")
        .unwrap()
        .vars
        .iter()
        .map(|v| match &v.source {
            Source::Literal(s) => (v.name.clone(), s.clone()),
            Source::From(r) => panic!("{}: not a literal: {r:?}", v.name),
        })
        .collect()
}

#[test]
fn scalars_are_taken_as_written() {
    let got = literals(
        "envs:\n  e:\n    A: 1.10\n    B: 0x10\n    C: 1e3\n    D: True\n    E: 012\n    F: 123456789012345678901234567890\n    G: yes\n    H: '1.10'\n    I: \"a\\tb\"\n    J: |\n      one\n      two\n    K: >-\n      folded\n      text\n    L: !!str ~\n    M: {value: 0.50}\n    N: plain\n      continued\n",
    );
    let want = [
        ("A", "1.10"),
        ("B", "0x10"),
        ("C", "1e3"),
        ("D", "True"),
        ("E", "012"),
        ("F", "123456789012345678901234567890"),
        ("G", "yes"),
        ("H", "1.10"),
        ("I", "a\tb"),
        ("J", "one\ntwo\n"),
        ("K", "folded text"),
        ("L", "~"),
        ("M", "0.50"),
        ("N", "plain continued"),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert_eq!(got, want);
    let c = parse("secretStores:\n  l:\n    type: literal\n    values: {A: 1.0, B: false}\n  x:\n    type: exec\n    command: [tool, 1.10, true]\n    timeout: 1e1\n").unwrap();
    assert_eq!(
        c.stores["l"].map("values"),
        [
            ("A".to_string(), "1.0".to_string()),
            ("B".to_string(), "false".to_string())
        ]
    );
    assert_eq!(c.stores["x"].list("command"), ["tool", "1.10", "true"]);
    assert_eq!(
        c.stores["x"].seconds("timeout"),
        Some(std::time::Duration::from_secs(10))
    );
}

#[test]
fn nulls_are_refused_with_a_hint_to_quote() {
    for (text, want) in [
        ("envs:\n  e:\n    G: ~\n", "envs.e.G: ~ means null"),
        ("envs:\n  e:\n    G:\n", "envs.e.G: no value"),
        (
            "envs:\n  e:\n    G: {value: NULL}\n",
            "envs.e.G.value: NULL means null",
        ),
        (
            "secretStores:\n  l:\n    type: literal\n    values: {A: null}\n",
            "secretStores.l.values.A: null means null",
        ),
        (
            "secretStores:\n  x:\n    type: exec\n    command: [a, ~]\n",
            "secretStores.x.command[1]: ~ means null",
        ),
        (
            "envs:\n  e:\n    G: {from: {store: ~, key: k}}\n",
            "envs.e.G.from.store: ~ means null",
        ),
    ] {
        let e = err(text);
        assert!(e.contains(want) && e.contains("quote it"), "{text:?}: {e}");
    }
    // An empty document, or an env set with nothing in it, is still fine.
    for empty in ["", "# nothing\n", "---\n", "~\n", "\u{feff}"] {
        assert!(parse(empty).unwrap().envs.is_empty(), "{empty:?}");
    }
    assert!(parse("envs:\n  e:\n").unwrap().envs[0].vars.is_empty());
}

#[test]
fn boolean_version_and_account_fields() {
    let var = |v: &str| {
        parse(&format!(
            "secretStores:\n  p: {{type: literal, values: {{K: v}}}}\nenvs:\n  e:\n    X: {{from: {{store: p, key: K}}, optional: {v}}}\n"
        ))
    };
    for (v, want) in [
        ("true", true),
        ("True", true),
        ("TRUE", true),
        ("false", false),
        ("FALSE", false),
    ] {
        assert_eq!(var(v).unwrap().envs[0].vars[0].optional, want, "{v}");
    }
    for v in ["yes", "1", "\"true\"", "~", "[]"] {
        let e = var(v).unwrap_err().message;
        assert!(
            e.contains("envs.e.X.optional: expected true or false"),
            "{v}: {e}"
        );
    }
    let sso = |extra: &str| {
        parse(&format!(
            "secretStores:\n  x:\n    type: aws.sso\n    sso_start_url: https://x/start\n    role_name: R\n{extra}"
        ))
    };
    let c = sso("    account_id: 012345678901\n    use_device_code: True\n").unwrap();
    assert_eq!(c.stores["x"].raw("account_id"), Some("012345678901"));
    assert_eq!(c.stores["x"].raw("use_device_code"), Some("true"));
    let c = sso("    account_id: ${ACCOUNT}\n    use_device_code: false\n").unwrap();
    assert_eq!(c.stores["x"].raw("use_device_code"), Some("false"));
    let e = sso("    account_id: 123456789012345678901234567890\n")
        .unwrap_err()
        .message;
    assert!(
        e.contains("secretStores.x.account_id: '123456789012345678901234567890' is not a 12-digit account id"),
        "{e}"
    );
    let e = sso("    account_id: 111111111111\n    use_device_code: yes\n")
        .unwrap_err()
        .message;
    assert!(
        e.contains("secretStores.x.use_device_code: expected true or false"),
        "{e}"
    );
    let e = sso("    account_id: ~\n").unwrap_err().message;
    assert!(
        e.contains("secretStores.x.account_id: expected a 12-digit account id"),
        "{e}"
    );
    for ok in ["version: 1\n", "version: \"1\"\n", "version: '1'\n"] {
        parse(ok).unwrap();
    }
    for bad in [
        "version: 1.0\n",
        "version: 01\n",
        "version: 0x1\n",
        "version: ~\n",
        "version: [1]\n",
    ] {
        assert!(
            err(bad).contains("version: only version 1 is supported"),
            "{bad}"
        );
    }
    let e = err("secretStores:\n  x:\n    type: exec\n    command: [a]\n    timeout: 0x10\n");
    assert!(
        e.contains("secretStores.x.timeout: expected a number of seconds"),
        "{e}"
    );
}

#[test]
fn yaml_rules_name_the_line() {
    let at = |text: &str, place: &str, what: &str| {
        let e = err(text);
        assert!(
            e.starts_with(&format!("/p/.dsops.yaml:{place}: ")) && e.contains(what),
            "{text:?}: {e}"
        );
    };
    at(
        "envs:\n  e:\n    A: x\n    A: y\n",
        "4:5",
        "duplicate key 'A' (also on line 3)",
    );
    at(
        "envs:\n  e: {A: x, \"A\": y}\n",
        "2:13",
        "duplicate key 'A' (also on line 2)",
    );
    at(
        "envs: {}\n---\nenvs: {}\n",
        "2:1",
        "more than one YAML document",
    );
    at(
        "\u{feff}envs: {}\n---\n",
        "2:1",
        "more than one YAML document",
    );
    at(
        "envs:\n  e:\n    A: !!int 1\n",
        "3:8",
        "unsupported tag !!int",
    );
    at(
        "envs:\n  e:\n    A: !custom x\n",
        "3:8",
        "unsupported tag !custom",
    );
    at("envs: !!map {}\n", "1:7", "unsupported tag !!map");
    at(
        "envs:\n  ? [a, b]\n  : x\n",
        "2:5",
        "a key must be a string, not a list",
    );
    at("a: &a [*a]\n", "1:8", "an alias inside the node it names");
    at("a: *nope\n", "1:4", "invalid YAML");
    let deep = format!("envs: {}{}\n", "[".repeat(80), "]".repeat(80));
    at(&deep, "1:70", "nested more than 64 levels deep");
    // Anchors and aliases within the limits are expanded.
    let c = parse(
        "secretStores:\n  p: {type: literal, values: &v {K: one}}\n  q: {type: literal, values: *v}\nenvs:\n  e: &e {A: 1.10}\n  f: *e\n",
    )
    .unwrap();
    assert_eq!(
        c.stores["q"].map("values"),
        [("K".to_string(), "one".to_string())]
    );
    assert_eq!(
        c.env("f").unwrap().vars[0].source,
        Source::Literal("1.10".into())
    );
}

/// Property tests: nothing fed to `parse_str` panics, and strings written
/// as double-quoted YAML come back exactly.
///
/// `cargo test` runs 2000 cases of each. For a longer campaign set
/// `PROPTEST_CASES`, which then wins, e.g.
/// `PROPTEST_CASES=500000 cargo test --release --bin dsops config::tests::prop`.
mod prop {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    /// 2000 cases, unless `PROPTEST_CASES` asks for another number
    /// (an explicit `cases` would otherwise override it).
    fn cases() -> ProptestConfig {
        let config = ProptestConfig::default();
        if std::env::var_os("PROPTEST_CASES").is_some() {
            config
        } else {
            ProptestConfig {
                cases: 2000,
                ..config
            }
        }
    }

    /// Pieces YAML gives meaning to, and pieces that break it.
    const PIECES: &[&str] = &[
        "\n",
        "  ",
        "    ",
        "\t",
        "- ",
        ": ",
        ":",
        "? ",
        "[",
        "]",
        "{",
        "}",
        ", ",
        "#",
        "&a ",
        "&b ",
        "*a",
        "*b",
        "!!str ",
        "!!int ",
        "!x ",
        "! ",
        "!<tag:yaml.org,2002:str> ",
        "%TAG !! x:\n",
        "%YAML 1.2\n",
        "---\n",
        "--- ",
        "...\n",
        "\u{feff}",
        "\"",
        "'",
        "\\",
        "\\u00",
        "|",
        "|-",
        ">",
        ">+2",
        "~",
        "null",
        "True",
        "1.10",
        "0x10",
        "1e3",
        "012",
        "envs",
        "secretStores",
        "version",
        "defaultEnv",
        "type",
        "literal",
        "exec",
        "values",
        "from",
        "store",
        "key",
        "optional",
        "value",
        "account_id",
        "A",
        "e",
        "\0",
        "\u{7}",
        "\r",
        "\u{85}",
        "\u{2028}",
        "\u{1b}[31m",
        "é",
        "💥",
    ];

    /// A short string of any characters.
    fn chars(max: usize) -> impl Strategy<Value = String> + Clone {
        proptest::collection::vec(any::<char>(), 0..max).prop_map(String::from_iter)
    }

    fn soup() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                4 => proptest::sample::select(PIECES).prop_map(str::to_string),
                1 => chars(12),
            ],
            0..60,
        )
        .prop_map(|v| v.concat())
    }

    #[derive(Debug, Clone)]
    enum Tree {
        /// Text, and how to write it.
        Scalar(String, u16),
        Seq(Vec<Tree>),
        Map(Vec<(String, Tree)>),
        Alias,
    }

    fn tree() -> impl Strategy<Value = Tree> {
        let word = prop_oneof![
            2 => proptest::sample::select(PIECES).prop_map(str::to_string),
            4 => "[A-Za-z_][A-Za-z0-9_]{0,6}",
            1 => chars(12),
        ];
        let key = prop_oneof![
            6 => "[A-Za-z_][A-Za-z0-9_]{0,6}",
            1 => word.clone(),
        ];
        let leaf = prop_oneof![
            12 => (word, any::<u16>()).prop_map(|(s, q)| Tree::Scalar(s, q)),
            1 => Just(Tree::Alias),
        ];
        leaf.prop_recursive(6, 64, 6, move |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Tree::Seq),
                proptest::collection::vec((key.clone(), inner), 0..6).prop_map(Tree::Map),
            ]
        })
    }

    /// Write `t` as block YAML at `indent`, choosing quoting, anchors and tags
    /// from the bits of each scalar's `u16`.
    fn render(t: &Tree, indent: usize, out: &mut String) {
        let pad = " ".repeat(indent);
        match t {
            Tree::Scalar(s, q) => {
                let prefix = match q >> 10 {
                    0..=7 => "&a ",
                    8 => "!!str ",
                    9 => "!t ",
                    10 => "!<tag:yaml.org,2002:str> ",
                    _ => "",
                };
                out.push_str(prefix);
                match q & 3 {
                    0 => out.push_str(s),
                    1 => out.push_str(&format!("'{}'", s.replace('\'', "''"))),
                    2 => out.push_str(&double_quoted(s)),
                    _ => {
                        out.push_str(if q & 4 == 0 { "|\n" } else { ">-\n" });
                        for line in s.split('\n') {
                            out.push_str(&format!("{pad}  {line}\n"));
                        }
                        return;
                    }
                }
                out.push('\n');
            }
            Tree::Alias => out.push_str("*a\n"),
            Tree::Seq(items) if items.is_empty() => out.push_str("[]\n"),
            Tree::Map(pairs) if pairs.is_empty() => out.push_str("{}\n"),
            Tree::Seq(items) => {
                out.push('\n');
                for item in items {
                    out.push_str(&format!("{pad}- "));
                    render(item, indent + 2, out);
                }
            }
            Tree::Map(pairs) => {
                out.push('\n');
                for (k, v) in pairs {
                    out.push_str(&format!("{pad}{k}: "));
                    render(v, indent + 2, out);
                }
            }
        }
    }

    /// `s` as a YAML double-quoted scalar: `\` and `"` escaped, and every
    /// character YAML does not allow raw (controls, DEL, C1, the BOM) or
    /// that it would fold (line breaks, tabs) as an escape.
    fn double_quoted(s: &str) -> String {
        let mut out = String::from("\"");
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                ' '..='~' => out.push(c),
                c if (c as u32) < 0xa0 || c == '\u{feff}' || c == '\u{2028}' || c == '\u{2029}' => {
                    out.push_str(&format!("\\u{:04x}", c as u32))
                }
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }

    fn no_panic(text: &str) {
        // An error is fine; a panic fails the test. Errors name the file.
        if let Err(e) = parse_str(Path::new("/p/c.yaml"), text) {
            assert!(e.message.starts_with("/p/c.yaml:"), "{}", e.message);
        }
    }

    proptest! {
        #![proptest_config(cases())]

        #[test]
        fn prop_any_string_is_parsed_or_refused(text in any::<String>()) {
            no_panic(&text);
        }

        #[test]
        fn prop_yaml_soup_is_parsed_or_refused(text in soup()) {
            no_panic(&text);
        }

        #[test]
        fn prop_yaml_trees_are_parsed_or_refused(t in tree(), bom in any::<bool>(), envs in any::<bool>()) {
            let mut text = String::from(if bom { "\u{feff}" } else { "" });
            if envs {
                // With an anchor for the aliases to name.
                text.push_str("secretStores:\n  s:\n    type: literal\n    values: {K: &a anchored}\nenvs:\n  e:");
                let vars = match t {
                    Tree::Map(_) => t,
                    value => Tree::Map(vec![("A".to_string(), value)]),
                };
                render(&vars, 4, &mut text);
            } else {
                render(&t, 0, &mut text);
            }
            no_panic(&text);
        }

        #[test]
        fn prop_double_quoted_values_come_back_exactly(
            vars in proptest::collection::btree_map("[A-Za-z_][A-Za-z0-9_]{0,12}", chars(40), 0..8)
        ) {
            let mut text = String::from("envs:\n  e:\n");
            for (k, v) in &vars {
                text.push_str(&format!("    {k}: {}\n", double_quoted(v)));
            }
            let c = parse_str(Path::new("/p/c.yaml"), &text).map_err(|e| TestCaseError::fail(e.message))?;
            let got: BTreeMap<String, String> = c.envs[0]
                .vars
                .iter()
                .map(|v| match &v.source {
                    Source::Literal(s) => (v.name.clone(), s.clone()),
                    Source::From(_) => unreachable!("only literals were written"),
                })
                .collect();
            prop_assert_eq!(got, vars);
        }
    }
}

#[test]
fn tokens_storage_is_parsed_and_checked() {
    let c = parse("version: 1\ntokens:\n  storage: keyring\n").unwrap();
    assert_eq!(
        c.tokens,
        Some(Tokens {
            storage: TokenStorage::Keyring,
            role_credentials: TokenStorage::File,
        })
    );
    let c = parse("tokens: {storage: keyring, role_credentials: keyring}\n").unwrap();
    assert_eq!(c.tokens.unwrap().role_credentials, TokenStorage::Keyring);
    assert!(parse("version: 1\n").unwrap().tokens.is_none());
    let e = err("tokens:\n  storage: vault\n");
    assert!(
        e.contains("tokens.storage: expected keyring or file"),
        "{e}"
    );
    let e = err("tokens:\n  where: keyring\n");
    assert!(
        e.contains("tokens.where: unknown key (known: storage, role_credentials)"),
        "{e}"
    );
    let e = err("tokens: keyring\n");
    assert!(e.contains("tokens: expected {storage"), "{e}");
}
