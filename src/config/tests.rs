use super::*;

fn parse(text: &str) -> Result<Config> {
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
    assert_eq!(c.stores["onepassword"].command, ["op", "read"]);
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
    assert_eq!(e.code, crate::error::exit::CONFIG);
    assert!(
        e.message.contains("/p.yaml")
            && e.message.contains("/u.yaml")
            && e.message.contains("'prod'"),
        "{}",
        e.message
    );
}
