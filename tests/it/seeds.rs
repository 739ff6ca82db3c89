//! dsops's own aws.sso documentation (seeds/000_8b1992e393a3565e.txt): every
//! complete example configuration loads and works against moto and the fake
//! Identity Center, used as the page shows (`dsops doctor --config
//! config.yaml`, `dsops export`, `dsops creds`); every fragment gets the
//! precise error. The YAML below is the page's text, verbatim; where a test
//! completes a fragment, it edits that text visibly.

use crate::stores::{FakeSm, TOKEN, aws_sandbox, moto, seed, seeded_idc};
use crate::support::*;
use std::process::{Command, Output};

const BASIC: &str = r#"version: 1

secretStores:
  # IAM Identity Center authentication
  aws-sso-prod:
    type: aws.sso
    sso_start_url: https://my-org.awsapps.com/start
    sso_region: us-east-1
    account_id: "123456789012"
    role_name: DeveloperAccess
    region: us-east-1

  # Use SSO credentials for Secrets Manager
  aws-secrets-prod:
    type: aws.secretsmanager
    region: us-east-1
    credentials_from: aws-sso-prod

envs:
  production:
    DATABASE_URL:
      from:
        store: aws-secrets-prod
        key: prod/database/connection
"#;

const MULTIPLE_ACCOUNTS: &str = r#"secretStores:
  # Development account
  aws-sso-dev:
    type: aws.sso
    sso_start_url: https://my-org.awsapps.com/start
    sso_region: us-east-1
    account_id: "111111111111"
    role_name: DeveloperAccess
    region: us-east-1

  # Production account
  aws-sso-prod:
    type: aws.sso
    sso_start_url: https://my-org.awsapps.com/start
    sso_region: us-east-1
    account_id: "222222222222"
    role_name: ReadOnlyAccess
    region: us-east-1

  # Staging account
  aws-sso-staging:
    type: aws.sso
    sso_start_url: https://my-org.awsapps.com/start
    sso_region: us-east-1
    account_id: "333333333333"
    role_name: PowerUserAccess
    region: us-east-1
"#;

const CLI_PROFILE: &str = r#"secretStores:
  aws-sso-existing:
    type: aws.sso
    profile: prod-dev  # References ~/.aws/config profile
    region: us-east-1
"#;

const CUSTOM_PERMISSION_SET: &str = r#"secretStores:
  aws-sso-custom:
    type: aws.sso
    sso_start_url: https://my-org.awsapps.com/start
    sso_region: us-east-1
    account_id: "123456789012"
    role_name: CustomDeveloperRole  # Organization-specific
    region: us-east-1
"#;

const DESCRIPTIVE_NAMES: &str = r#"secretStores:
  # Good: Clear purpose and environment
  aws-sso-prod-readonly:
    type: aws.sso
    account_id: "123456789012"
    role_name: ReadOnlyAccess

  # Avoid: Generic names
  aws-1:
    type: aws.sso
    account_id: "123456789012"
"#;

const BY_ENVIRONMENT: &str = r#"# Development stores
aws-sso-dev-admin:
  account_id: "111111111111"
  role_name: AdministratorAccess

aws-sso-dev-readonly:
  account_id: "111111111111"
  role_name: ReadOnlyAccess

# Production stores  
aws-sso-prod-readonly:
  account_id: "222222222222"
  role_name: ReadOnlyAccess

aws-sso-prod-deploy:
  account_id: "222222222222"
  role_name: DeploymentRole
"#;

const CHAINING: &str = r#"secretStores:
  # SSO for authentication
  auth:
    type: aws.sso
    account_id: "123456789012"
    role_name: DeveloperAccess

  # Services using SSO credentials
  secrets:
    type: aws.secretsmanager
    credentials_from: auth

  parameters:
    type: aws.ssm
    credentials_from: auth

  s3:
    type: aws.s3  # If implemented
    credentials_from: auth
"#;

const ORGANIZATIONS: &str = r#"secretStores:
  # Internal organization
  internal-sso:
    type: aws.sso
    sso_start_url: https://internal.awsapps.com/start
    sso_region: us-east-1
    account_id: "111111111111"

  # Client organization
  client-sso:
    type: aws.sso
    sso_start_url: https://client.awsapps.com/start
    sso_region: eu-west-1
    account_id: "222222222222"
"#;

const DEV_WORKFLOW: &str = r#"secretStores:
  # Development with full access
  dev:
    type: aws.sso
    sso_start_url: ${COMPANY_SSO_URL}
    account_id: ${DEV_ACCOUNT_ID}
    role_name: DeveloperAccess

  # Production with read-only
  prod-read:
    type: aws.sso
    sso_start_url: ${COMPANY_SSO_URL}
    account_id: ${PROD_ACCOUNT_ID}
    role_name: ReadOnlyAccess

envs:
  local:
    # Use dev secrets for local development
    DATABASE_URL:
      from:
        store: dev-secrets
        key: app/database/url

  verify-prod:
    # Read production values (not write)
    PROD_API_ENDPOINT:
      from:
        store: prod-parameters
        key: /app/api/endpoint
"#;

const MULTI_REGION: &str = r#"secretStores:
  # US East region
  sso-us-east:
    type: aws.sso
    account_id: "123456789012"
    role_name: DeveloperAccess
    region: us-east-1

  # EU West region (same account)
  sso-eu-west:
    type: aws.sso
    account_id: "123456789012"
    role_name: DeveloperAccess
    region: eu-west-1
"#;

const BEFORE: &str = r#"secretStores:
  aws-iam:
    type: aws.secretsmanager
    access_key_id: ${AWS_ACCESS_KEY_ID}
    secret_access_key: ${AWS_SECRET_ACCESS_KEY}
"#;

const AFTER: &str = r#"secretStores:
  aws-sso:
    type: aws.sso
    sso_start_url: https://my-org.awsapps.com/start
    account_id: "123456789012"
    role_name: DeveloperAccess

  aws-secrets:
    type: aws.secretsmanager
    credentials_from: aws-sso
"#;

/// The page's "Initial Setup" profile (what `aws configure sso` asks for)
/// and its "Profile Organization" profiles, with one sso-session for the
/// same start URL (what `aws configure sso` writes today).
const AWS_CONFIG: &str = "\
[sso-session my-sso]
sso_start_url = https://my-org.awsapps.com/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access

[profile prod-dev]
sso_start_url = https://my-org.awsapps.com/start
sso_region = us-east-1
sso_account_id = 123456789012
sso_role_name = DeveloperAccess
region = us-east-1
output = json

# ~/.aws/config
[profile dev]
sso_start_url = https://my-org.awsapps.com/start
sso_region = us-east-1
sso_account_id = 111111111111
sso_role_name = DeveloperAccess

[profile prod]
sso_start_url = https://my-org.awsapps.com/start
sso_region = us-east-1
sso_account_id = 222222222222
sso_role_name = ReadOnlyAccess
";

const START_URL: &str = "https://my-org.awsapps.com/start";

/// Write `yaml` as `project/NAME` and run `dsops ARGS --config NAME` from
/// the project directory, as the page does.
fn run_with(sb: &Sandbox, name: &str, yaml: &str, args: &[&str]) -> Output {
    sb.write(&format!("project/{name}"), yaml);
    sb.cmd()
        .args(args)
        .args(["--config", name])
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `dsops doctor --config NAME` passes, with an ok line for every store.
fn doctor_ok(sb: &Sandbox, name: &str, yaml: &str, stores: &[&str]) -> String {
    let o = run_with(sb, name, yaml, &["doctor"]);
    let out = text(&o.stdout);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{name}: doctor failed:\n{out}{}",
        text(&o.stderr)
    );
    for s in stores {
        assert!(
            out.lines()
                .any(|l| l.starts_with(&format!("ok   store '{s}'"))),
            "{name}: no ok line for store {s}:\n{out}"
        );
    }
    assert!(!out.contains(TOKEN), "doctor printed a token");
    out
}

fn export_json(sb: &Sandbox, name: &str, yaml: &str, env: &str) -> serde_json::Value {
    let o = run_with(
        sb,
        name,
        yaml,
        &["export", "--format", "json", "--env", env],
    );
    assert!(
        o.status.success(),
        "{name}: export failed: {}",
        text(&o.stderr)
    );
    parse_json(&o.stdout)
}

fn creds_account(sb: &Sandbox, idc: &FakeIdc, name: &str, yaml: &str, store: &str) -> String {
    let o = run_with(sb, name, yaml, &["creds", "--store", store]);
    assert!(
        o.status.success(),
        "{name}: creds failed: {}",
        text(&o.stderr)
    );
    let akid = parse_json(&o.stdout)["AccessKeyId"]
        .as_str()
        .unwrap()
        .to_string();
    idc.counters()["issued_keys"][&akid]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn complete_examples_load_and_work() {
    let Some(moto) = moto() else { return };
    seed(
        &moto,
        r#"
sm.create_secret(Name='prod/database/connection', SecretString='postgres://prod-db/app')
client('secretsmanager', 'eu-west-1').create_secret(Name='eu/only', SecretString='from-eu-west-1')
ssm.put_parameter(Name='/app/api/endpoint', Value='https://api.example.com', Type='String')
"#,
    );
    let mut sb = aws_sandbox(&moto.url);
    sb.write(".aws/config", AWS_CONFIG);
    // Signed in before, as `aws sso login` leaves it: one token for the
    // sso-session, one for the start URL of the legacy profiles and stores.
    let idc = seeded_idc(&mut sb, &[("my-sso", START_URL), (START_URL, START_URL)]);

    // Basic SSO Configuration: the page's command, and the env set.
    let out = doctor_ok(
        &sb,
        "config.yaml",
        BASIC,
        &["aws-sso-prod", "aws-secrets-prod"],
    );
    assert!(out.contains("role 123456789012/DeveloperAccess"), "{out}");
    let v = export_json(&sb, "config.yaml", BASIC, "production");
    assert_eq!(v["DATABASE_URL"], "postgres://prod-db/app");

    // Multiple Account Access: each store is its own account and role.
    doctor_ok(
        &sb,
        "accounts.yaml",
        MULTIPLE_ACCOUNTS,
        &["aws-sso-dev", "aws-sso-prod", "aws-sso-staging"],
    );
    for (store, want) in [
        ("aws-sso-dev", "111111111111/DeveloperAccess"),
        ("aws-sso-prod", "222222222222/ReadOnlyAccess"),
        ("aws-sso-staging", "333333333333/PowerUserAccess"),
    ] {
        assert_eq!(
            creds_account(&sb, &idc, "accounts.yaml", MULTIPLE_ACCOUNTS, store),
            want
        );
    }

    // Using CLI Profile, and the profiles of "Profile Organization".
    doctor_ok(&sb, "profile.yaml", CLI_PROFILE, &["aws-sso-existing"]);
    assert_eq!(
        creds_account(&sb, &idc, "profile.yaml", CLI_PROFILE, "aws-sso-existing"),
        "123456789012/DeveloperAccess"
    );
    for (profile, want) in [
        ("dev", "111111111111/DeveloperAccess"),
        ("prod", "222222222222/ReadOnlyAccess"),
    ] {
        let o = sb
            .cmd()
            .args(["creds", "--profile", profile])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", text(&o.stderr));
        let akid = parse_json(&o.stdout)["AccessKeyId"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(idc.counters()["issued_keys"][&akid], want);
    }

    // Custom Permission Sets.
    doctor_ok(
        &sb,
        "custom.yaml",
        CUSTOM_PERMISSION_SET,
        &["aws-sso-custom"],
    );

    // Leverage Credential Chaining, without the store the page marks "If
    // implemented" (its error is checked in the fragments test), and with
    // an env set that reads through both chained stores. No start URL: the
    // AWS config's only [sso-session] is used.
    let chaining = CHAINING.replace(
        "\n  s3:\n    type: aws.s3  # If implemented\n    credentials_from: auth\n",
        "\n",
    );
    assert_ne!(chaining, CHAINING);
    doctor_ok(
        &sb,
        "chaining.yaml",
        &chaining,
        &["auth", "secrets", "parameters"],
    );
    let chained = format!(
        "{chaining}envs:\n  dev:\n    DB: {{from: {{store: secrets, key: prod/database/connection}}}}\n    API: {{from: {{store: parameters, key: /app/api/endpoint}}}}\n"
    );
    let v = export_json(&sb, "chaining.yaml", &chained, "dev");
    assert_eq!(v["DB"], "postgres://prod-db/app");
    assert_eq!(v["API"], "https://api.example.com");

    // Multi-Region Access: the API store takes the sso store's region (the
    // secret exists only in eu-west-1 in moto).
    doctor_ok(
        &sb,
        "regions.yaml",
        MULTI_REGION,
        &["sso-us-east", "sso-eu-west"],
    );
    let regional = format!(
        "{MULTI_REGION}  eu-secrets:\n    type: aws.secretsmanager\n    credentials_from: sso-eu-west\nenvs:\n  eu:\n    EU: {{from: {{store: eu-secrets, key: eu/only}}}}\n"
    );
    let v = export_json(&sb, "regions.yaml", &regional, "eu");
    assert_eq!(v["EU"], "from-eu-west-1");

    // Migration: "Before" (static keys from the environment; the region from
    // AWS_REGION) and "After" (SSO, sso_region from the AWS config's
    // session for the same start URL).
    doctor_ok(&sb, "before.yaml", BEFORE, &["aws-iam"]);
    let before = format!(
        "{BEFORE}envs:\n  app:\n    DB: {{from: {{store: aws-iam, key: prod/database/connection}}}}\n"
    );
    assert_eq!(
        export_json(&sb, "before.yaml", &before, "app")["DB"],
        "postgres://prod-db/app"
    );
    doctor_ok(&sb, "after.yaml", AFTER, &["aws-sso", "aws-secrets"]);
    let after = format!(
        "{AFTER}envs:\n  app:\n    DB: {{from: {{store: aws-secrets, key: prod/database/connection}}}}\n"
    );
    assert_eq!(
        export_json(&sb, "after.yaml", &after, "app")["DB"],
        "postgres://prod-db/app"
    );
    // Nothing above needed a sign-in.
    assert_eq!(idc.counter("register"), 0);
}

#[test]
fn development_workflow_with_variables() {
    let Some(moto) = moto() else { return };
    seed(
        &moto,
        r#"
sm.create_secret(Name='app/database/url', SecretString='postgres://dev-db/app')
ssm.put_parameter(Name='/app/api/endpoint', Value='https://api.prod.example.com', Type='String')
"#,
    );
    let url = "https://company.awsapps.com/start";
    let mut sb = aws_sandbox(&moto.url);
    sb.set("COMPANY_SSO_URL", url)
        .set("DEV_ACCOUNT_ID", "111111111111")
        .set("PROD_ACCOUNT_ID", "222222222222");
    sb.write(
        ".aws/config",
        &format!("[sso-session company]\nsso_start_url = {url}\nsso_region = us-east-1\n"),
    );
    let idc = seeded_idc(&mut sb, &[(url, url)]);

    // As written, the env sets use stores the example never defines.
    let o = run_with(
        &sb,
        "config.yaml",
        DEV_WORKFLOW,
        &["export", "--env", "local"],
    );
    assert_eq!(o.status.code(), Some(3));
    let err = text(&o.stderr);
    assert!(
        err.contains("envs.local.DATABASE_URL.from.store: no store 'dev-secrets' is defined"),
        "{err}"
    );
    assert!(o.stdout.is_empty());

    // Completed with those two stores, chained to the ${VAR} sso stores.
    let complete = DEV_WORKFLOW.replace(
        "\nenvs:\n",
        "\n  dev-secrets:\n    type: aws.secretsmanager\n    credentials_from: dev\n\n  prod-parameters:\n    type: aws.ssm\n    credentials_from: prod-read\n\nenvs:\n",
    );
    let v = export_json(&sb, "config.yaml", &complete, "local");
    assert_eq!(v["DATABASE_URL"], "postgres://dev-db/app");
    let v = export_json(&sb, "config.yaml", &complete, "verify-prod");
    assert_eq!(v["PROD_API_ENDPOINT"], "https://api.prod.example.com");
    let roles = idc.counters()["get_role_credentials_by_role"].clone();
    assert_eq!(roles["111111111111/DeveloperAccess"], 1, "{roles}");
    assert_eq!(roles["222222222222/ReadOnlyAccess"], 1, "{roles}");

    // A variable that is not set names the store field that needs it.
    let o = sb
        .cmd()
        .args(["export", "--env", "local", "--config", "config.yaml"])
        .env_remove("COMPANY_SSO_URL")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3));
    let err = text(&o.stderr);
    assert!(
        err.contains("secretStores.dev.sso_start_url: ${COMPANY_SSO_URL} is not set"),
        "{err}"
    );
    assert!(err.contains("DATABASE_URL"), "{err}");
}

#[test]
fn fragments_get_precise_errors() {
    let mut sb = Sandbox::new();
    let fails = |sb: &Sandbox, name: &str, yaml: &str, args: &[&str], code: i32, want: &[&str]| {
        let o = run_with(sb, name, yaml, args);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(code), "{name}: {err}");
        assert!(o.stdout.is_empty(), "{name}: output on failure");
        for w in want {
            assert!(err.contains(w), "{name}: stderr lacks {w:?}: {err}");
        }
    };
    let doctor = ["doctor"];
    // Descriptive names: "aws-1" has no role.
    fails(
        &sb,
        "names.yaml",
        DESCRIPTIVE_NAMES,
        &["export"],
        3,
        &["names.yaml", "secretStores.aws-1", "needs role_name"],
    );
    // Organize by Environment: store bodies at the top level, no type.
    fails(
        &sb,
        "by-env.yaml",
        BY_ENVIRONMENT,
        &["export"],
        3,
        &[
            "aws-sso-dev-admin",
            "unknown top-level key",
            "stores go under secretStores:",
        ],
    );
    // Credential chaining as written: aws.s3 does not exist.
    fails(
        &sb,
        "chaining.yaml",
        CHAINING,
        &["export"],
        3,
        &[
            "secretStores.s3.type",
            "unknown store type 'aws.s3'",
            "aws.secretsmanager",
        ],
    );
    // Multiple organizations: no role_name.
    fails(
        &sb,
        "orgs.yaml",
        ORGANIZATIONS,
        &["export"],
        3,
        &["secretStores.internal-sso", "needs role_name"],
    );
    // No start URL and no (or several) [sso-session] to take it from.
    let o = run_with(&sb, "regions.yaml", MULTI_REGION, &doctor);
    assert_eq!(o.status.code(), Some(1));
    let out = text(&o.stdout);
    assert!(
        out.contains("FAIL store 'sso-us-east' (aws.sso):")
            && out.contains("secretStores.sso-us-east.sso_start_url: missing"),
        "{out}"
    );
    // "After" without an AWS config session for its start URL: no region.
    let o = run_with(&sb, "after.yaml", AFTER, &doctor);
    let out = text(&o.stdout);
    assert!(
        out.contains("secretStores.aws-sso.sso_region: missing"),
        "{out}"
    );
    // "Before" without the variables it names.
    let o = run_with(
        &sb,
        "before.yaml",
        &format!("{BEFORE}envs:\n  app:\n    DB: {{from: {{store: aws-iam, key: k}}}}\n"),
        &["export"],
    );
    assert_eq!(o.status.code(), Some(3));
    assert!(
        text(&o.stderr)
            .contains("secretStores.aws-iam.access_key_id: ${AWS_ACCESS_KEY_ID} is not set"),
        "{}",
        text(&o.stderr)
    );
    // The CLI profile example without that profile in the AWS config.
    sb.set("AWS_REGION", "us-east-1");
    let o = run_with(
        &sb,
        "profile.yaml",
        CLI_PROFILE,
        &["creds", "--store", "aws-sso-existing"],
    );
    assert_eq!(o.status.code(), Some(3));
    assert!(
        text(&o.stderr).contains("no [profile prod-dev] section"),
        "{}",
        text(&o.stderr)
    );
}

/// "First-Time Authentication": `dsops doctor --config config.yaml` at a
/// terminal with no token signs in through the browser and reports the
/// store healthy. Run under `script` so that doctor has a terminal.
#[test]
fn first_time_authentication_through_doctor() {
    if !require_tool("script") {
        return;
    }
    let sm = FakeSm::start(&[]);
    let idc = FakeIdc::start(&[]);
    let mut sb = Sandbox::new();
    for (k, v) in idc.env() {
        sb.set(&k, &v);
    }
    sb.set("AWS_ENDPOINT_URL_SECRETS_MANAGER", &sm.url);
    let browser = browser_script(&sb);
    sb.set("BROWSER", &browser.display().to_string());
    sb.write("project/config.yaml", BASIC);
    // Not interactive: no sign-in, a clear failure and the command to run.
    let o = sb
        .cmd()
        .args(["doctor", "--config", "config.yaml"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let out = text(&o.stdout);
    assert!(
        out.contains("FAIL store 'aws-sso-prod' (aws.sso): not signed in")
            && out.contains("dsops --config config.yaml login --store aws-sso-prod"),
        "{out}"
    );
    assert_eq!(browser_calls(&sb), 0);

    let dsops = bin().display().to_string();
    let o = Command::new("script")
        .args([
            "-q",
            "-e",
            "-c",
            &format!("'{dsops}' doctor --config config.yaml"),
            "/dev/null",
        ])
        .env_clear()
        .envs(sb.base_env())
        .current_dir(sb.path("project"))
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let all = text(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{all}{}", text(&o.stderr));
    assert!(all.contains("Successfully logged in to SSO!"), "{all}");
    assert!(
        all.contains(
            "ok   store 'aws-sso-prod' (aws.sso): signed in to https://my-org.awsapps.com/start"
        ),
        "{all}"
    );
    assert!(
        all.contains("ok   store 'aws-secrets-prod' (aws.secretsmanager)"),
        "{all}"
    );
    assert_eq!(browser_calls(&sb), 1, "one browser sign-in");
    // The token is cached where the AWS CLI finds it, so the next run is quiet.
    let o = sb
        .cmd()
        .args(["doctor", "--config", "config.yaml"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
}
