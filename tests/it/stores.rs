//! Secret stores and the commands that resolve env sets: `aws.secretsmanager`
//! and `aws.ssm` against moto's real server, credentials from an `aws.sso`
//! store served by the fake Identity Center, the credential chain, the `exec`
//! store, `dsops export` (every format, hostile values read back by real
//! shells and parsers), `dsops exec`, `dsops doctor`, and faults (server
//! down, hanging, throttling) ending with a clear error and no output.
//!
//! Faults, throttling and the signing key of each request are checked
//! against `bench/stores/fake_sm.py`, a GetSecretValue-only server that can
//! delay, throttle and record; everything else against moto.

use crate::support::*;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------- helpers

/// `bench/stores/fake_sm.py` on a free port.
pub struct FakeSm {
    child: Child,
    pub url: String,
}

impl FakeSm {
    pub fn start(args: &[&str]) -> FakeSm {
        let mut child = Command::new("python3")
            .arg(repo().join("bench/stores/fake_sm.py"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start fake_sm.py");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("READY ")
            .unwrap_or_else(|| panic!("fake_sm.py did not start: {line:?}"))
            .to_string();
        FakeSm { child, url }
    }

    pub fn requests(&self) -> Value {
        let mut r = ureq::get(format!("{}/_control/requests", self.url))
            .call()
            .unwrap();
        serde_json::from_slice(&r.body_mut().read_to_vec().unwrap()).unwrap()
    }

    /// The access key id that signed the request for `secret_id`.
    pub fn akid_for(&self, secret_id: &str) -> String {
        let r = self.requests();
        let ids = r["ids"].as_array().unwrap();
        let i = ids
            .iter()
            .position(|x| x == secret_id)
            .unwrap_or_else(|| panic!("no request for {secret_id}: {r}"));
        r["akids"][i].as_str().unwrap_or_default().to_string()
    }
}

impl Drop for FakeSm {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// moto, when moto_server and boto3 are installed (else the test is skipped,
/// or fails under CI=true).
pub fn moto() -> Option<Moto> {
    if !require_python_module("boto3") {
        return None;
    }
    Moto::start()
}

/// Run a boto3 script against moto: `sm`, `ssm` (us-east-1), `client(svc,
/// region)` and `json` are defined. Returns what it prints, parsed as JSON
/// (or null when it prints nothing).
pub fn seed(moto: &Moto, script: &str) -> Value {
    let prelude = "import boto3, json, sys\nURL = sys.argv[1]\n\
        def client(svc, region='us-east-1'):\n    return boto3.client(svc, endpoint_url=URL, region_name=region, aws_access_key_id='testing', aws_secret_access_key='testing')\n\
        sm = client('secretsmanager')\nssm = client('ssm')\n";
    let out = Command::new("python3")
        .args(["-c", &format!("{prelude}{script}"), &moto.url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "seeding moto failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    if out.stdout.iter().all(u8::is_ascii_whitespace) {
        Value::Null
    } else {
        parse_json(&out.stdout)
    }
}

/// A sandbox whose AWS API calls go to `url` with static test credentials.
pub fn aws_sandbox(url: &str) -> Sandbox {
    let mut sb = Sandbox::new();
    sb.set("AWS_ENDPOINT_URL_SECRETS_MANAGER", url)
        .set("AWS_ENDPOINT_URL_SSM", url)
        .set("AWS_ACCESS_KEY_ID", "testing")
        .set("AWS_SECRET_ACCESS_KEY", "testing")
        .set("AWS_REGION", "us-east-1");
    sb
}

/// Write `yaml` as the config named by DSOPS_CONFIG (trusted: named).
pub fn use_config(sb: &mut Sandbox, yaml: &str) {
    let p = sb.write("project/config.yaml", yaml);
    sb.set("DSOPS_CONFIG", &p.display().to_string());
}

pub fn export_json(sb: &Sandbox, env: &str) -> Vec<(String, String)> {
    let out = sb
        .cmd()
        .args(["export", "--env", env, "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "export failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    json_pairs(&out.stdout)
}

/// A JSON object's members in their order (serde_json's map sorts them).
fn json_pairs(bytes: &[u8]) -> Vec<(String, String)> {
    let out = Command::new("python3")
        .args([
            "-c",
            "import json,sys; print(json.dumps(json.loads(sys.stdin.read(), object_pairs_hook=list)))",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(bytes)?;
            c.wait_with_output()
        })
        .unwrap();
    let v = parse_json(&out.stdout);
    v.as_array()
        .unwrap_or_else(|| panic!("not a JSON object: {}", String::from_utf8_lossy(bytes)))
        .iter()
        .map(|p| {
            (
                p[0].as_str().unwrap().to_string(),
                p[1].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn get<'a>(vars: &'a [(String, String)], k: &str) -> Option<&'a str> {
    vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A failed run: exit `code`, nothing on stdout, stderr naming every part.
fn assert_fails(o: &Output, code: i32, parts: &[&str]) -> String {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(code), "stderr: {err}");
    assert!(
        o.stdout.is_empty(),
        "partial output on failure: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    for p in parts {
        assert!(err.contains(p), "stderr lacks {p:?}: {err}");
    }
    err
}

fn sha1_hex(s: &str) -> String {
    use sha1::{Digest, Sha1};
    Sha1::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The access token the seeded fake Identity Center accepts.
pub const TOKEN: &str = "aoa-dsops-test-token";

/// The fake Identity Center with a signed-in session already on both sides:
/// the server knows `TOKEN`, and the sandbox's token cache holds it for each
/// of `cache_keys` (sso-session names or start URLs), so nothing signs in.
pub fn seeded_idc(sb: &mut Sandbox, cache_keys: &[(&str, &str)]) -> FakeIdc {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let state = json!({
        "access_tokens": {TOKEN: {"clientId": "seeded", "session": "s1", "issuedAt": now,
                                   "expiresAt": now + 8 * 3600, "revoked": false}},
        "sessions": {"s1": {"revoked": false, "createdAt": now}},
    });
    let state_file = sb.write("idc-state.json", &state.to_string());
    seed_token_cache(sb, cache_keys);
    let idc = FakeIdc::start(&["--state-file", &state_file.display().to_string()]);
    for (k, v) in idc.env() {
        sb.set(&k, &v);
    }
    idc
}

/// Token files holding `TOKEN` (valid for 8 hours) for each `(cache key,
/// start URL)`, as `aws sso login` leaves them.
pub fn seed_token_cache(sb: &Sandbox, cache_keys: &[(&str, &str)]) {
    for (key, start_url) in cache_keys {
        let p = sb.write(
            &format!(".aws/sso/cache/{}.json", sha1_hex(key)),
            &json!({"startUrl": start_url, "region": "us-east-1", "accessToken": TOKEN,
                    "expiresAt": iso(8 * 3600)})
            .to_string(),
        );
        // As the AWS CLI writes it: readable by the owner only.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
}

// ------------------------------------------------------- Secrets Manager

#[test]
fn secrets_manager_strings_json_fields_versions_and_binary() {
    let Some(moto) = moto() else { return };
    let ids = seed(
        &moto,
        r#"
sm.create_secret(Name='app/plain', SecretString='plain-value')
sm.create_secret(Name='app/db', SecretString=json.dumps({"user": "admin", "password": "p'w $x \"q\"", "port": 5432, "none": None}))
v1 = sm.create_secret(Name='app/rotated', SecretString='old')['VersionId']
v2 = sm.put_secret_value(SecretId='app/rotated', SecretString='new')['VersionId']
sm.create_secret(Name='app/bin', SecretBinary=b'\x00\x01binary\xff')
arn = sm.describe_secret(SecretId='app/plain')['ARN']
print(json.dumps({"v1": v1, "v2": v2, "arn": arn}))
"#,
    );
    let mut sb = aws_sandbox(&moto.url);
    let cfg = format!(
        r#"version: 1
secretStores:
  sm:
    type: aws.secretsmanager
    region: us-east-1
envs:
  t:
    PLAIN: {{from: {{store: sm, key: app/plain}}}}
    BY_ARN: {{from: {{store: sm, key: "{arn}"}}}}
    DB_USER: {{from: {{store: sm, key: app/db, field: user}}}}
    DB_PASSWORD: {{from: {{store: sm, key: app/db, field: password}}}}
    DB_PORT: {{from: {{store: sm, key: app/db, field: port}}}}
    DB_JSON: {{from: {{store: sm, key: app/db}}}}
    CURRENT: {{from: {{store: sm, key: app/rotated}}}}
    CURRENT_STAGE: {{from: {{store: sm, key: app/rotated, version_stage: AWSCURRENT}}}}
    PREVIOUS: {{from: {{store: sm, key: app/rotated, version_stage: AWSPREVIOUS}}}}
    FIRST: {{from: {{store: sm, key: app/rotated, version_id: "{v1}"}}}}
    BIN: {{from: {{store: sm, key: app/bin}}}}
    OPT_MISSING: {{from: {{store: sm, key: app/nope}}, optional: true}}
    OPT_FIELD: {{from: {{store: sm, key: app/db, field: nope}}, optional: true}}
    OPT_NULL: {{from: {{store: sm, key: app/db, field: none}}, optional: true}}
    LIT: a literal
  missing:
    OK: fine
    GONE: {{from: {{store: sm, key: app/nope}}}}
  not-json:
    X: {{from: {{store: sm, key: app/plain, field: user}}}}
  no-field:
    Y: {{from: {{store: sm, key: app/db, field: nope}}}}
  binary-field:
    Z: {{from: {{store: sm, key: app/bin, field: a}}}}
  no-stage:
    W: {{from: {{store: sm, key: app/plain, version_stage: AWSPREVIOUS}}}}
"#,
        arn = ids["arn"].as_str().unwrap(),
        v1 = ids["v1"].as_str().unwrap(),
    );
    use_config(&mut sb, &cfg);
    let vars = export_json(&sb, "t");
    let names: Vec<&str> = vars.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "PLAIN",
            "BY_ARN",
            "DB_USER",
            "DB_PASSWORD",
            "DB_PORT",
            "DB_JSON",
            "CURRENT",
            "CURRENT_STAGE",
            "PREVIOUS",
            "FIRST",
            "BIN",
            "LIT"
        ],
        "env set order, optional misses left out"
    );
    assert_eq!(get(&vars, "PLAIN"), Some("plain-value"));
    assert_eq!(get(&vars, "BY_ARN"), Some("plain-value"));
    assert_eq!(get(&vars, "DB_USER"), Some("admin"));
    assert_eq!(get(&vars, "DB_PASSWORD"), Some("p'w $x \"q\""));
    assert_eq!(get(&vars, "DB_PORT"), Some("5432"));
    let whole: Value = serde_json::from_str(get(&vars, "DB_JSON").unwrap()).unwrap();
    assert_eq!(whole["user"], "admin");
    assert_eq!(get(&vars, "CURRENT"), Some("new"));
    assert_eq!(get(&vars, "CURRENT_STAGE"), Some("new"));
    assert_eq!(get(&vars, "PREVIOUS"), Some("old"));
    assert_eq!(get(&vars, "FIRST"), Some("old"));
    // SecretBinary is given base64-encoded, as the AWS CLI prints it.
    assert_eq!(get(&vars, "BIN"), Some("AAFiaW5hcnn/"));
    assert_eq!(get(&vars, "LIT"), Some("a literal"));

    let run = |env: &str| sb.cmd().args(["export", "--env", env]).output().unwrap();
    let err = assert_fails(
        &run("missing"),
        1,
        &["GONE", "store 'sm'", "app/nope", "not found"],
    );
    assert!(!err.contains("fine"), "a value in an error: {err}");
    assert_fails(
        &run("not-json"),
        1,
        &["X", "app/plain", "not a JSON object"],
    );
    let err = assert_fails(
        &run("no-field"),
        1,
        &["Y", "no field 'nope'", "password, port, user"],
    );
    assert!(!err.contains("admin") && !err.contains("p'w"), "{err}");
    assert_fails(&run("binary-field"), 1, &["Z", "binary"]);
    assert_fails(&run("no-stage"), 1, &["W", "AWSPREVIOUS", "not found"]);
}

#[test]
fn ssm_string_securestring_lists_selectors_and_batches() {
    let Some(moto) = moto() else { return };
    seed(
        &moto,
        r#"
ssm.put_parameter(Name='/app/endpoint', Value='https://api.example.com', Type='String')
ssm.put_parameter(Name='/app/token', Value='s3cr3t-token', Type='SecureString')
ssm.put_parameter(Name='/app/list', Value='a,b,c', Type='StringList')
ssm.put_parameter(Name='/app/json', Value='{"k": "v"}', Type='String')
ssm.put_parameter(Name='/app/versioned', Value='one', Type='String')
ssm.put_parameter(Name='/app/versioned', Value='two', Type='String', Overwrite=True)
for i in range(23):
    ssm.put_parameter(Name=f'/bulk/p{i}', Value=f'v{i}', Type='SecureString')
"#,
    );
    let mut sb = aws_sandbox(&moto.url);
    let mut cfg = String::from(
        r#"version: 1
secretStores:
  params:
    type: aws.ssm
envs:
  t:
    EP: {from: {store: params, key: /app/endpoint}}
    TOKEN: {from: {store: params, key: /app/token}}
    LIST: {from: {store: params, key: /app/list}}
    JSON_K: {from: {store: params, key: /app/json, field: k}}
    V1: {from: {store: params, key: "/app/versioned:1"}}
    V2: {from: {store: params, key: /app/versioned}}
    OPT: {from: {store: params, key: /app/nope}, optional: true}
"#,
    );
    // 23 bulk names, 3 GetParameters batches, with a missing one inside.
    for i in 0..23 {
        cfg.push_str(&format!(
            "    BULK_{i}: {{from: {{store: params, key: /bulk/p{i}}}}}\n"
        ));
    }
    cfg.push_str(
        "  missing:\n    GONE: {from: {store: params, key: /app/nope}}\n    EP: {from: {store: params, key: /app/endpoint}}\n\
         \x20 stage:\n    S: {from: {store: params, key: /app/endpoint, version_stage: AWSCURRENT}}\n",
    );
    use_config(&mut sb, &cfg);
    let vars = export_json(&sb, "t");
    assert_eq!(get(&vars, "EP"), Some("https://api.example.com"));
    // Decrypted (moto answers "kms:alias/aws/ssm:..." without decryption).
    assert_eq!(get(&vars, "TOKEN"), Some("s3cr3t-token"));
    assert_eq!(get(&vars, "LIST"), Some("a,b,c"));
    assert_eq!(get(&vars, "JSON_K"), Some("v"));
    assert_eq!(get(&vars, "V1"), Some("one"));
    assert_eq!(get(&vars, "V2"), Some("two"));
    assert_eq!(get(&vars, "OPT"), None);
    for i in 0..23 {
        assert_eq!(
            get(&vars, &format!("BULK_{i}")),
            Some(format!("v{i}").as_str())
        );
    }
    let o = sb
        .cmd()
        .args(["export", "--env", "missing"])
        .output()
        .unwrap();
    assert_fails(&o, 1, &["GONE", "store 'params'", "/app/nope", "not found"]);
    let o = sb
        .cmd()
        .args(["export", "--env", "stage"])
        .output()
        .unwrap();
    assert_fails(&o, 3, &["S", "version_stage", "/app/endpoint:3"]);
}

// ------------------------------------------------------------ credentials

#[test]
fn credentials_from_an_sso_store_sign_the_requests() {
    let sm = FakeSm::start(&[]);
    let mut sb = Sandbox::new();
    sb.set("AWS_ENDPOINT_URL_SECRETS_MANAGER", &sm.url);
    let start_url = "https://my-org.awsapps.com/start";
    let idc = seeded_idc(&mut sb, &[(start_url, start_url)]);
    use_config(
        &mut sb,
        &format!(
            r#"version: 1
secretStores:
  aws-sso-prod:
    type: aws.sso
    sso_start_url: {start_url}
    sso_region: us-east-1
    account_id: "123456789012"
    role_name: DeveloperAccess
    region: us-east-1
  aws-secrets-prod:
    type: aws.secretsmanager
    credentials_from: aws-sso-prod
  other-secrets:
    type: aws.secretsmanager
    credentials_from: aws-sso-prod
envs:
  production:
    DATABASE_URL: {{from: {{store: aws-secrets-prod, key: prod/database/connection}}}}
    OTHER: {{from: {{store: other-secrets, key: prod/other}}}}
    AWS_ACCESS_KEY_ID: {{from: {{store: aws-sso-prod, key: access_key_id}}}}
    EXPIRES: {{from: {{store: aws-sso-prod, key: expiration}}}}
"#
        ),
    );
    let vars = export_json(&sb, "production");
    assert_eq!(
        get(&vars, "DATABASE_URL"),
        Some("value-of-prod/database/connection")
    );
    assert_eq!(get(&vars, "OTHER"), Some("value-of-prod/other"));
    let akid = get(&vars, "AWS_ACCESS_KEY_ID").unwrap().to_string();
    // The fake Identity Center issued that key for this account and role,
    // and every Secrets Manager request was signed with it, with the
    // session token, in the sso store's region.
    assert_eq!(
        idc.counters()["issued_keys"][&akid],
        "123456789012/DeveloperAccess"
    );
    let r = sm.requests();
    assert_eq!(r["count"], 2);
    for i in 0..2 {
        assert_eq!(r["akids"][i], akid.as_str());
        assert_eq!(r["tokens"][i], true);
        assert_eq!(r["regions"][i], "us-east-1");
    }
    // Two stores and the sso store itself: one GetRoleCredentials, then the
    // shared role cache on the next run.
    assert_eq!(idc.counter("get_role_credentials"), 1);
    export_json(&sb, "production");
    assert_eq!(idc.counter("get_role_credentials"), 1);

    // Without a token and without sign-in allowed: the distinct exit status,
    // naming the variables, the store and the command to run.
    let mut sb2 = Sandbox::new();
    sb2.set("AWS_ENDPOINT_URL_SECRETS_MANAGER", &sm.url)
        .set("DSOPS_NO_LOGIN", "1");
    for (k, v) in idc.env() {
        sb2.set(&k, &v);
    }
    sb2.env.push((
        "DSOPS_CONFIG".into(),
        sb.path("project/config.yaml").display().to_string(),
    ));
    let o = sb2
        .cmd()
        .args(["export", "--env", "production"])
        .output()
        .unwrap();
    assert_fails(
        &o,
        5,
        &[
            "DATABASE_URL",
            "aws-secrets-prod",
            "sign-in required",
            "dsops login --store aws-sso-prod",
        ],
    );
}

#[test]
fn credential_chain_static_fields_profiles_and_environment() {
    let sm = FakeSm::start(&[]);
    let pinned = FakeSm::start(&[]);
    let mut sb = Sandbox::new();
    sb.set("AWS_ENDPOINT_URL_SECRETS_MANAGER", &sm.url)
        .set("PINNED_URL", &pinned.url)
        .set("MY_KEY", "AKIDFIELDS")
        .set("MY_SECRET", "secret-fields")
        .set("AWS_ACCESS_KEY_ID", "AKIDENV")
        .set("AWS_SECRET_ACCESS_KEY", "secret-env")
        .set("AWS_REGION", "us-east-1");
    sb.write(
        ".aws/credentials",
        "[static]\naws_access_key_id = AKIDPROFILE ; a comment\naws_secret_access_key = secret-profile\n\n\
         [default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = secret-default\n",
    );
    sb.write(
        ".aws/config",
        "[profile static]\nregion = eu-central-1\n\n[profile cfgkeys]\naws_access_key_id = AKIDCONFIG\naws_secret_access_key = secret-config\nregion = ap-south-1\n\n\
         [profile assume]\nrole_arn = arn:aws:iam::123456789012:role/x\nsource_profile = static\n",
    );
    use_config(
        &mut sb,
        r#"version: 1
secretStores:
  fields:
    type: aws.secretsmanager
    region: us-west-2
    access_key_id: ${MY_KEY}
    secret_access_key: ${MY_SECRET}
  by-profile:
    type: aws.secretsmanager
    profile: static
  cfg-profile:
    type: aws.secretsmanager
    profile: cfgkeys
  chain:
    type: aws.secretsmanager
    region: us-east-1
  assume:
    type: aws.secretsmanager
    region: us-east-1
    profile: assume
  pinned:
    type: aws.secretsmanager
    region: us-east-1
    endpoint_url: ${PINNED_URL}
envs:
  t:
    P: {from: {store: pinned, key: pinned}}
    A: {from: {store: fields, key: fields}}
    B: {from: {store: by-profile, key: by-profile}}
    C: {from: {store: cfg-profile, key: cfg-profile}}
    D: {from: {store: chain, key: chain}}
  assume:
    E: {from: {store: assume, key: e}}
"#,
    );
    export_json(&sb, "t");
    assert_eq!(sm.akid_for("fields"), "AKIDFIELDS");
    assert_eq!(sm.akid_for("by-profile"), "AKIDPROFILE");
    assert_eq!(sm.akid_for("cfg-profile"), "AKIDCONFIG");
    assert_eq!(sm.akid_for("chain"), "AKIDENV");
    // The store's endpoint_url wins over AWS_ENDPOINT_URL_SECRETS_MANAGER.
    assert_eq!(pinned.akid_for("pinned"), "AKIDENV");
    assert!(
        !sm.requests()["ids"]
            .as_array()
            .unwrap()
            .contains(&json!("pinned"))
    );
    let r = sm.requests();
    let region_of = |id: &str| {
        let i = r["ids"]
            .as_array()
            .unwrap()
            .iter()
            .position(|x| x == id)
            .unwrap();
        r["regions"][i].as_str().unwrap().to_string()
    };
    assert_eq!(region_of("fields"), "us-west-2", "the store's region");
    // AWS_REGION beats the profile's region, as in the AWS SDKs.
    assert_eq!(region_of("by-profile"), "us-east-1");

    // Without AWS_REGION the profile's region; with AWS_PROFILE that
    // profile; with neither keys nor profile the default profile.
    let mut sb2 = Sandbox::new();
    sb2.env = sb
        .env
        .iter()
        .filter(|(k, _)| {
            !k.starts_with("AWS_ACCESS") && !k.starts_with("AWS_SECRET") && k != "AWS_REGION"
        })
        .cloned()
        .collect();
    sb2.set(
        "AWS_CONFIG_FILE",
        &sb.path(".aws/config").display().to_string(),
    )
    .set(
        "AWS_SHARED_CREDENTIALS_FILE",
        &sb.path(".aws/credentials").display().to_string(),
    );
    let sm2 = FakeSm::start(&[]);
    sb2.set("AWS_ENDPOINT_URL_SECRETS_MANAGER", &sm2.url);
    use_config(
        &mut sb2,
        "version: 1\nsecretStores:\n  p:\n    type: aws.secretsmanager\n    profile: static\n  chain:\n    type: aws.secretsmanager\n    region: us-east-1\nenvs:\n  p:\n    B: {from: {store: p, key: p}}\n  chain:\n    D: {from: {store: chain, key: chain}}\n",
    );
    export_json(&sb2, "p");
    let r = sm2.requests();
    assert_eq!(r["regions"][0], "eu-central-1", "the profile's region");
    export_json(&sb2, "chain");
    assert_eq!(sm2.akid_for("chain"), "AKIDDEFAULT");
    sb2.set("AWS_PROFILE", "cfgkeys");
    export_json(&sb2, "chain");
    assert_eq!(sm2.requests()["akids"][2], "AKIDCONFIG");

    // Errors: a missing ${VAR}, an unsupported profile, no credentials at
    // all, no region.
    let o = sb
        .cmd()
        .args(["export", "--env", "t"])
        .env_remove("MY_KEY")
        .output()
        .unwrap();
    assert_fails(
        &o,
        3,
        &["A", "secretStores.fields.access_key_id", "${MY_KEY}"],
    );
    // A role_arn profile is assumed (role chaining): with STS unreachable,
    // the error names the role and the call.
    let o = sb
        .cmd()
        .args(["export", "--env", "assume"])
        .env(
            "AWS_ENDPOINT_URL_STS",
            format!("http://127.0.0.1:{}", free_port()),
        )
        .env("AWS_MAX_ATTEMPTS", "1")
        .output()
        .unwrap();
    assert_fails(
        &o,
        1,
        &["E", "AssumeRole arn:aws:iam::123456789012:role/x failed"],
    );
    let mut sb3 = Sandbox::new();
    sb3.set("AWS_ENDPOINT_URL_SECRETS_MANAGER", &sm.url);
    use_config(
        &mut sb3,
        "version: 1\nsecretStores:\n  s:\n    type: aws.secretsmanager\n    region: us-east-1\nenvs:\n  t:\n    X: {from: {store: s, key: x}}\n",
    );
    let o = sb3.cmd().args(["export"]).output().unwrap();
    assert_fails(
        &o,
        3,
        &["X", "store 's'", "no AWS credentials", "credentials_from"],
    );
    sb3.set("AWS_ACCESS_KEY_ID", "AKID")
        .set("AWS_SECRET_ACCESS_KEY", "s");
    use_config(
        &mut sb3,
        "version: 1\nsecretStores:\n  s:\n    type: aws.secretsmanager\nenvs:\n  t:\n    X: {from: {store: s, key: x}}\n",
    );
    let o = sb3.cmd().args(["export"]).output().unwrap();
    assert_fails(&o, 3, &["X", "secretStores.s.region", "missing"]);
}

// ------------------------------------------------------------- exec store

#[test]
fn exec_store_value_failure_and_timeout() {
    let mut sb = Sandbox::new();
    use_config(
        &mut sb,
        r#"version: 1
secretStores:
  show:
    type: exec
    command: [sh, -c, 'printf "%s|%s\r\n" "$0" "$1"', zero]
  two-newlines:
    type: exec
    command: [printf, "%s\n\n"]
  fails:
    type: exec
    command: [sh, -c, 'echo "no such item: $1" >&2; exit 3', x]
  slow:
    type: exec
    command: [sleep]
    timeout: 0.5
  holder:
    type: exec
    command: [sh, -c, 'sleep 30 & echo v', x]
    timeout: 1
  absent:
    type: exec
    command: [/nonexistent/dsops-test-program]
envs:
  ok:
    A: {from: {store: show, key: "the key; $(not run)"}}
    B: {from: {store: two-newlines, key: v}}
  fails: {F: {from: {store: fails, key: item-1}}}
  slow: {S: {from: {store: slow, key: "30"}}}
  holder: {H: {from: {store: holder, key: k}}}
  absent: {N: {from: {store: absent, key: k}}}
"#,
    );
    let vars = export_json(&sb, "ok");
    // The key is the last argument, verbatim (no shell); one final newline
    // (\r\n too) is dropped, no more.
    assert_eq!(get(&vars, "A"), Some("zero|the key; $(not run)"));
    assert_eq!(get(&vars, "B"), Some("v\n"));
    let run = |env: &str| sb.cmd().args(["export", "--env", env]).output().unwrap();
    assert_fails(
        &run("fails"),
        1,
        &[
            "F",
            "store 'fails'",
            "exited with status 3",
            "no such item: item-1",
        ],
    );
    for (env, var) in [("slow", "S"), ("holder", "H")] {
        let t = Instant::now();
        let o = run(env);
        assert!(t.elapsed() < Duration::from_secs(10), "{env} not bounded");
        assert_fails(&o, 1, &[var, "did not finish within"]);
    }
    assert_fails(
        &run("absent"),
        1,
        &["N", "cannot run /nonexistent/dsops-test-program"],
    );
}

// ----------------------------------------------------------- dsops exec

#[test]
fn exec_command_status_signals_and_environment() {
    let mut sb = Sandbox::new();
    sb.set("KEEP_ME", "kept").set("OVERRIDDEN", "old");
    use_config(
        &mut sb,
        r#"version: 1
secretStores:
  e: {type: exec, command: [echo]}
envs:
  t:
    A: "x y 'z'"
    OVERRIDDEN: new
    B: {from: {store: e, key: from-exec}}
"#,
    );
    let o = sb
        .cmd()
        .args(["exec", "--env", "t", "--", "sh", "-c"])
        .arg(r#"printf '%s|%s|%s|%s|%s' "$A" "$B" "$KEEP_ME" "$OVERRIDDEN" "$1""#)
        .args(["sh", "--env"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "x y 'z'|from-exec|kept|new|--env"
    );
    let o = sb
        .cmd()
        .args(["exec", "--", "sh", "-c", "exit 7"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(7));
    // Killed by a signal: the shell sees 128+N, because CMD replaced dsops.
    let script = format!(
        "'{}' exec -- sh -c 'kill -TERM $$'; echo \"status=$?\"",
        bin().display()
    );
    let o = Command::new("bash")
        .args(["--noprofile", "--norc", "-c", &script])
        .env_clear()
        .envs(sb.base_env())
        .current_dir(sb.path("project"))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "status=143");
    let o = sb
        .cmd()
        .args(["exec", "--", "dsops-no-such-command"])
        .output()
        .unwrap();
    assert_fails(&o, 127, &["dsops-no-such-command", "command not found"]);
    let not_exec = sb.write("project/not-executable", "#!/bin/sh\necho hi\n");
    let o = sb
        .cmd()
        .args(["exec", "--"])
        .arg(&not_exec)
        .output()
        .unwrap();
    assert_fails(&o, 126, &["not-executable", "cannot execute"]);
    let o = sb.cmd().args(["exec", "--env", "t"]).output().unwrap();
    assert_fails(&o, 2, &["needs a command"]);
    // A failing resolution never runs the command.
    use_config(
        &mut sb,
        "version: 1\nsecretStores:\n  e: {type: exec, command: [false]}\nenvs:\n  t:\n    C: {from: {store: e, key: k}}\n",
    );
    let marker = sb.path("project/ran");
    let o = sb
        .cmd()
        .args(["exec", "--", "touch"])
        .arg(&marker)
        .output()
        .unwrap();
    assert_fails(&o, 1, &["C", "store 'e'", "exited with status 1"]);
    assert!(
        !marker.exists(),
        "the command ran although resolution failed"
    );
}

// ---------------------------------------------------------------- export

/// Values no quoting may damage.
const HOSTILE: &[&str] = &[
    "simple",
    "",
    "it's",
    "dq\"x",
    "$HOME",
    "${HOME}",
    "$(touch pwned)",
    "`touch pwned`",
    "back\\slash",
    "trailing\\",
    "\\\\double",
    "new\nline",
    "cr\rx",
    "crlf\r\n",
    "tab\tx",
    "unicode ☃ é 日本 🦀",
    "#hash",
    " lead and trail ",
    "!bang !! !$",
    "a=b",
    "\\'mixed",
    "'",
    "\"",
    "multi\n\nlines\n",
    "%s %d %%",
    "*glob* ?",
    "~",
    ";&|<>(){}[]",
    "\\n literal",
    "\u{1b}[31mred",
];

fn hostile_sandbox() -> Sandbox {
    let mut sb = Sandbox::new();
    let mut cfg = String::from("version: 1\nenvs:\n  t:\n");
    for (i, v) in HOSTILE.iter().enumerate() {
        // A JSON string is a YAML double-quoted scalar with the same escapes;
        // `${` is written `$${` (a literal value expands `${VAR}`).
        let yaml = serde_json::Value::from(*v).to_string().replace("${", "$${");
        cfg.push_str(&format!("    V{i}: {yaml}\n"));
    }
    use_config(&mut sb, &cfg);
    sb
}

/// What `shell` holds in V0.. after loading `text`, NUL-separated.
fn read_back_in_shell(sb: &Sandbox, shell: &str, load: &str) -> Vec<String> {
    let vars: Vec<String> = (0..HOSTILE.len()).map(|i| format!("\"$V{i}\"")).collect();
    let script = format!("{load}\nprintf '%s\\0' {}", vars.join(" "));
    let args: &[&str] = match shell {
        "bash" => &["--noprofile", "--norc", "-c"],
        "zsh" => &["-f", "-c"],
        _ => &["--no-config", "-c"],
    };
    let o = Command::new(shell)
        .args(args)
        .arg(&script)
        .env_clear()
        .envs(sb.base_env())
        .env("DSOPS", bin())
        .current_dir(sb.path("project"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{shell}: {}", stderr(&o));
    let s = String::from_utf8(o.stdout).unwrap();
    s.split('\0')
        .take(HOSTILE.len())
        .map(str::to_string)
        .collect()
}

#[test]
fn export_shell_formats_read_back_exactly() {
    let sb = hostile_sandbox();
    for shell in ["bash", "zsh", "fish"] {
        if !require_tool(shell) {
            continue;
        }
        let load = if shell == "fish" {
            "$DSOPS export --shell fish | source".to_string()
        } else {
            format!("eval \"$(\"$DSOPS\" export --shell {shell})\"")
        };
        let got = read_back_in_shell(&sb, shell, &load);
        assert_eq!(got, HOSTILE, "{shell} read back different values");
        assert!(!sb.path("project/pwned").exists(), "{shell} ran a value");
    }
    // The default shell follows $SHELL when it is one we speak.
    let o = sb
        .cmd()
        .arg("export")
        .env("SHELL", "/usr/bin/fish")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("set -gx V0 'simple'\n"));
    let o = sb
        .cmd()
        .arg("export")
        .env("SHELL", "/bin/tcsh")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("export V0='simple'\n"));
    let o = sb
        .cmd()
        .args(["export", "--shell", "csh"])
        .output()
        .unwrap();
    assert_fails(&o, 2, &["--shell csh"]);
    let o = sb
        .cmd()
        .args(["export", "--format", "yaml"])
        .output()
        .unwrap();
    assert_fails(
        &o,
        2,
        &[
            "--format yaml",
            "shell, dotenv, json, powershell or windows-cmd",
        ],
    );
}

#[test]
fn export_json_and_dotenv_read_back_exactly() {
    let sb = hostile_sandbox();
    let vars = export_json(&sb, "t");
    let values: Vec<&str> = vars.iter().map(|(_, v)| v.as_str()).collect();
    assert_eq!(values, HOSTILE);
    let names: Vec<String> = vars.iter().map(|(k, _)| k.clone()).collect();
    let expected: Vec<String> = (0..HOSTILE.len()).map(|i| format!("V{i}")).collect();
    assert_eq!(names, expected, "JSON keeps the env set's order");

    if !require_python_module("dotenv") {
        return;
    }
    // Every hostile value has a dotenv spelling both python-dotenv and
    // docker compose read back; the few that have none are refused below.
    let mut cfg = String::from("version: 1\nenvs:\n  t:\n");
    let kept = HOSTILE;
    for (i, v) in kept.iter().enumerate() {
        let yaml = serde_json::Value::from(*v).to_string().replace("${", "$${");
        cfg.push_str(&format!("    V{i}: {yaml}\n"));
    }
    cfg.push_str("  refused:\n    OK: fine\n    BAD: \"it's $5\"\n  refused2:\n    BAD2: \"two words\\\\\"\n");
    let mut sb = Sandbox::new();
    use_config(&mut sb, &cfg);
    let o = sb
        .cmd()
        .args(["export", "--env", "t", "--format", "dotenv"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let file = sb.write("project/.env", &String::from_utf8(o.stdout).unwrap());
    for interpolate in ["False", "True"] {
        let py = format!(
            "import json, sys\nfrom dotenv import dotenv_values\n\
             v = dotenv_values(sys.argv[1], interpolate={interpolate})\n\
             print(json.dumps([[k, x] for k, x in v.items()]))"
        );
        let o = Command::new("python3")
            .args(["-c", &py])
            .arg(&file)
            .env_remove("HOME")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        let got: Vec<(String, String)> = serde_json::from_slice(&o.stdout).unwrap();
        for (i, v) in kept.iter().enumerate() {
            // python-dotenv expands ${NAME} unless interpolate=False.
            if interpolate == "True" && v.contains("${") {
                continue;
            }
            assert_eq!(
                got[i],
                (format!("V{i}"), v.to_string()),
                "python-dotenv (interpolate={interpolate}) read back a different value"
            );
        }
    }
    let o = sb
        .cmd()
        .args(["export", "--env", "refused", "--format", "dotenv"])
        .output()
        .unwrap();
    let err = assert_fails(&o, 1, &["BAD", "--format json"]);
    assert!(!err.contains("it's $5"), "a value in an error: {err}");
    let o = sb
        .cmd()
        .args(["export", "--env", "refused2", "--format", "dotenv"])
        .output()
        .unwrap();
    assert_fails(&o, 1, &["BAD2", "--format json"]);
}

#[test]
fn export_chooses_the_env_set_or_says_how() {
    let mut sb = Sandbox::new();
    use_config(
        &mut sb,
        "version: 1\nenvs:\n  dev: {A: '1'}\n  prod: {A: '2'}\n",
    );
    let o = sb.cmd().arg("export").output().unwrap();
    assert_fails(&o, 2, &["--env NAME", "DSOPS_ENV", "dev, prod"]);
    let o = sb
        .cmd()
        .args(["export", "--format", "json"])
        .env("DSOPS_ENV", "prod")
        .output()
        .unwrap();
    assert_eq!(json_pairs(&o.stdout), [("A".to_string(), "2".to_string())]);
    let o = sb
        .cmd()
        .args(["export", "--env", "staging"])
        .output()
        .unwrap();
    assert_fails(&o, 3, &["no env set 'staging'", "dev, prod"]);
    use_config(
        &mut sb,
        "version: 1\ndefaultEnv: prod\nenvs:\n  dev: {A: '1'}\n  prod: {A: '2'}\n",
    );
    let o = sb.cmd().arg("export").output().unwrap();
    assert_eq!(String::from_utf8_lossy(&o.stdout), "export A='2'\n");

    // An untrusted project config is not read; its env sets are not offered.
    let sb = Sandbox::new();
    sb.write(
        "project/.dsops.yaml",
        "version: 1\nenvs:\n  dev: {A: '1'}\n",
    );
    let o = sb.cmd().arg("export").output().unwrap();
    assert_fails(&o, 4, &["not trusted", "dsops allow"]);
    let o = sb.cmd().args(["export", "--env", "dev"]).output().unwrap();
    assert_fails(&o, 4, &["no env set 'dev'", "dsops allow"]);
}

// ---------------------------------------------------------------- faults

/// An env set with a literal and one secret from `url`.
fn fault_sandbox(url: &str) -> Sandbox {
    let mut sb = aws_sandbox(url);
    use_config(
        &mut sb,
        "version: 1\nsecretStores:\n  sm:\n    type: aws.secretsmanager\nenvs:\n  t:\n    FIRST: literal\n    DB: {from: {store: sm, key: app/db}}\n",
    );
    sb
}

#[test]
fn fault_server_down_and_hanging_are_bounded_with_no_output() {
    let down = format!("http://127.0.0.1:{}", free_port());
    let mut sb = fault_sandbox(&down);
    sb.set("AWS_MAX_ATTEMPTS", "2");
    let t = Instant::now();
    let o = sb.cmd().arg("export").output().unwrap();
    assert!(t.elapsed() < Duration::from_secs(15));
    assert_fails(
        &o,
        1,
        &["DB", "store 'sm'", "cannot reach", "Connection refused"],
    );

    let hang = FakeSm::start(&["--hang"]);
    let mut sb = fault_sandbox(&hang.url);
    sb.set("DSOPS_HTTP_TIMEOUT", "0.5");
    let t = Instant::now();
    let o = sb.cmd().arg("export").output().unwrap();
    let took = t.elapsed();
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert_fails(
        &o,
        1,
        &["DB", "store 'sm'", "no answer", "DSOPS_HTTP_TIMEOUT"],
    );
}

#[test]
fn fault_throttling_is_retried_then_reported() {
    let sm = FakeSm::start(&["--throttle-first", "2"]);
    let sb = fault_sandbox(&sm.url);
    let vars = export_json(&sb, "t");
    assert_eq!(get(&vars, "DB"), Some("value-of-app/db"));
    let r = sm.requests();
    assert_eq!(
        (r["count"].as_u64(), r["throttled"].as_u64()),
        (Some(3), Some(2))
    );

    let sm = FakeSm::start(&["--throttle-always"]);
    let mut sb = fault_sandbox(&sm.url);
    sb.set("AWS_MAX_ATTEMPTS", "3");
    let o = sb.cmd().arg("export").output().unwrap();
    assert_fails(
        &o,
        1,
        &["DB", "store 'sm'", "ThrottlingException", "Rate exceeded"],
    );
    assert_eq!(sm.requests()["count"], 3, "AWS_MAX_ATTEMPTS attempts");

    // The SSO side: GetRoleCredentials throttled twice, then answered.
    let ok = FakeSm::start(&[]);
    let mut sb = Sandbox::new();
    sb.set("AWS_ENDPOINT_URL_SECRETS_MANAGER", &ok.url);
    let idc = seeded_idc(&mut sb, &[("s", "https://x.awsapps.com/start")]);
    sb.write(
        ".aws/config",
        "[sso-session s]\nsso_start_url = https://x.awsapps.com/start\nsso_region = us-east-1\n",
    );
    idc.configure(json!({"throttle_next": 2, "fail_ops": ["get_role_credentials"]}));
    use_config(
        &mut sb,
        "version: 1\nsecretStores:\n  auth: {type: aws.sso, account_id: \"111111111111\", role_name: DeveloperAccess, region: us-east-1}\n  sm: {type: aws.secretsmanager, credentials_from: auth}\nenvs:\n  t:\n    DB: {from: {store: sm, key: app/db}}\n",
    );
    let vars = export_json(&sb, "t");
    assert_eq!(get(&vars, "DB"), Some("value-of-app/db"));
    assert_eq!(idc.counter("injected_throttles"), 2);
}

// ---------------------------------------------------------------- doctor

#[test]
fn doctor_reports_each_check_and_fails_on_problems() {
    let Some(moto) = moto() else { return };
    let mut sb = aws_sandbox(&moto.url);
    let idc = seeded_idc(&mut sb, &[("my-sso", "https://my-org.awsapps.com/start")]);
    sb.write(
        ".aws/config",
        "[sso-session my-sso]\nsso_start_url = https://my-org.awsapps.com/start\nsso_region = us-east-1\n",
    );
    sb.write(".bashrc", "eval \"$(dsops hook bash)\"\n");
    use_config(
        &mut sb,
        r#"version: 1
defaultEnv: dev
secretStores:
  auth: {type: aws.sso, account_id: "123456789012", role_name: DeveloperAccess, region: us-east-1}
  secrets: {type: aws.secretsmanager, credentials_from: auth}
  params: {type: aws.ssm, credentials_from: auth}
  plain: {type: literal, values: {A: b}}
  shell: {type: exec, command: [sh, -c]}
envs:
  dev: {A: {from: {store: plain, key: A}}}
"#,
    );
    let o = sb.cmd().arg("doctor").output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(o.status.code(), Some(0), "{out}{}", stderr(&o));
    for line in [
        "ok   project config: ",
        "ok   env 'dev': 1 variable(s) (selected)",
        "ok   store 'auth' (aws.sso): signed in to https://my-org.awsapps.com/start, token valid until",
        "ok   store 'auth' (aws.sso): role 123456789012/DeveloperAccess: credentials valid until",
        "ok   store 'secrets' (aws.secretsmanager): reachable at",
        "ok   store 'params' (aws.ssm): reachable at",
        "ok   store 'plain' (literal): 1 value(s)",
        "ok   store 'shell' (exec): runs /",
        "ok   file permissions",
        "ok   hook: installed in",
    ] {
        assert!(out.contains(line), "missing {line:?} in:\n{out}");
    }
    assert!(!out.contains(TOKEN), "doctor printed the token");
    assert!(!out.contains("FAIL"), "{out}");
    assert_eq!(idc.counter("get_role_credentials"), 1);

    // Problems: a cache file readable by others (repaired, and said), a
    // missing exec program, an
    // sso store nobody signed in to (not interactive: no sign-in), an
    // unreachable API store, no hook.
    let cache = sb.path(".aws/sso/cache");
    let token = std::fs::read_dir(&cache)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "json"))
        .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::remove_file(sb.path(".bashrc")).unwrap();
    sb.set(
        "AWS_ENDPOINT_URL_SSM",
        &format!("http://127.0.0.1:{}", free_port()),
    )
    .set("AWS_MAX_ATTEMPTS", "1");
    use_config(
        &mut sb,
        r#"version: 1
secretStores:
  auth: {type: aws.sso, account_id: "123456789012", role_name: DeveloperAccess, region: us-east-1}
  other: {type: aws.sso, sso_start_url: "https://other.awsapps.com/start", sso_region: us-east-1, account_id: "123456789012", role_name: DeveloperAccess}
  params: {type: aws.ssm, credentials_from: auth}
  gone: {type: exec, command: [dsops-no-such-program]}
"#,
    );
    let o = sb.cmd().arg("doctor").output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(o.status.code(), Some(1), "{out}");
    for line in [
        "FAIL store 'other' (aws.sso): not signed in: ",
        "dsops login --store other",
        "FAIL store 'params' (aws.ssm): cannot reach",
        "FAIL store 'gone' (exec): dsops-no-such-program is not an executable on PATH",
        "was open to others (mode 0644): repaired, now 0600",
        "warn hook: not installed",
        "warn env sets: none defined",
    ] {
        assert!(out.contains(line), "missing {line:?} in:\n{out}");
    }
    assert!(stderr(&o).contains("problem(s)"));

    // --store checks that store only.
    let o = sb
        .cmd()
        .args(["doctor", "--store", "gone"])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(out.contains("FAIL store 'gone' (exec)"), "{out}");
    assert!(
        !out.contains("store 'other'") && !out.contains("store 'params'"),
        "{out}"
    );
    let o = sb
        .cmd()
        .args(["doctor", "--store", "nope"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).contains("FAIL --store nope: no store 'nope'"));
}
