//! dsops with the real AWS clients: botocore's token and role caches both
//! ways, the AWS CLI v2 reading what dsops cached, and boto3 / the AWS CLI
//! running `dsops creds` as their `credential_process` against moto's STS.

use crate::support::*;
use serde_json::Value;

fn setup(idc: &FakeIdc) -> Sandbox {
    let proc = format!(
        "[profile proc]\ncredential_process = {} creds --profile dev\nregion = us-east-1\n",
        bin().display()
    );
    let mut sb = sso_sandbox(idc, "us-east-1", &proc);
    // These tests count device authorizations; tests/it/pkce.rs covers the
    // authorization-code flow that sso-session sign-ins use by default.
    sb.set("DSOPS_USE_DEVICE_CODE", "1");
    sb
}

fn creds(sb: &Sandbox, extra: &[&str]) -> Value {
    sb.json(&[&["creds", "--profile", "dev"][..], extra].concat())
}

#[test]
fn token_written_by_botocore_works_in_dsops() {
    if !require_python_module("botocore") {
        return;
    }
    let idc = FakeIdc::start(&[]);
    let sb = setup(&idc);
    botocore(
        &sb,
        &["write-token", "my-sso", START_URL, "us-east-1", &idc.url],
        None,
    );
    assert_eq!(idc.counter("device_authorization"), 1);
    // The file botocore wrote (botocore's timestamp form) is what dsops uses: no sign-in allowed.
    let v = creds(&sb, &["--no-login"]);
    assert_eq!(idc.counter("device_authorization"), 1);
    assert_eq!(idc.counter("get_role_credentials"), 1);
    assert_eq!(
        idc.counters()["issued_keys"][v["AccessKeyId"].as_str().unwrap()],
        "111111111111/DeveloperAccess"
    );
}

#[test]
fn botocore_reads_what_dsops_cached_and_the_other_way() {
    if !require_python_module("botocore") {
        return;
    }
    let idc = FakeIdc::start(&[]);
    let sb = setup(&idc);
    let ours = creds(&sb, &[]);
    assert_eq!(idc.counter("get_role_credentials"), 1);
    // botocore's SSO provider finds dsops's role credentials in the AWS CLI cache.
    let theirs = botocore(&sb, &["load-creds", "dev"], None);
    assert_eq!(theirs["AccessKeyId"], ours["AccessKeyId"]);
    assert_eq!(
        idc.counter("get_role_credentials"),
        1,
        "botocore used the cache"
    );
    // With the role cache gone, botocore uses dsops's token for a new call...
    std::fs::remove_dir_all(sb.path(".aws/cli/cache")).unwrap();
    let fetched = botocore(&sb, &["load-creds", "dev"], None);
    assert_eq!(idc.counter("get_role_credentials"), 2);
    assert_eq!(idc.counter("device_authorization"), 1);
    assert_ne!(fetched["AccessKeyId"], ours["AccessKeyId"]);
    // ...and dsops reuses what botocore cached.
    let again = creds(&sb, &["--no-login"]);
    assert_eq!(again["AccessKeyId"], fetched["AccessKeyId"]);
    assert_eq!(idc.counter("get_role_credentials"), 2);
}

#[test]
fn aws_cli_v2_reads_dsops_role_cache() {
    // Debian's awscli package is the AWS CLI v2; pip's `aws` may be v1 and shadow it.
    let aws = std::path::Path::new("/usr/bin/aws");
    if !aws.exists() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "/usr/bin/aws (Debian awscli, v2) is required under CI=true"
        );
        skip("/usr/bin/aws (AWS CLI v2) is not installed");
        return;
    }
    let idc = FakeIdc::start(&[]);
    let sb = setup(&idc);
    let ours = creds(&sb, &[]);
    let out = std::process::Command::new(aws)
        .args([
            "configure",
            "export-credentials",
            "--profile",
            "dev",
            "--format",
            "process",
        ])
        .env_clear()
        .envs(sb.base_env())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs = parse_json(&out.stdout);
    assert_eq!(theirs["AccessKeyId"], ours["AccessKeyId"]);
    assert_eq!(theirs["SessionToken"], ours["SessionToken"]);
    assert_eq!(idc.counter("get_role_credentials"), 1);
}

#[test]
fn boto3_and_aws_cli_use_dsops_as_credential_process() {
    if !require_python_module("boto3") {
        return;
    }
    let Some(moto) = Moto::start() else { return };
    let idc = FakeIdc::start(&[]);
    let mut sb = setup(&idc);
    sb.set("AWS_ENDPOINT_URL_STS", &moto.url);
    let v = botocore(&sb, &["sts", "proc"], None);
    assert!(v["Arn"].as_str().unwrap().starts_with("arn:aws:"), "{v}");
    let key = v["AccessKeyId"].as_str().unwrap();
    assert_eq!(
        idc.counters()["issued_keys"][key],
        "111111111111/DeveloperAccess"
    );
    // The AWS CLI (whichever `aws` is first on PATH) as a second real client.
    if require_tool("aws") {
        let who = caller_identity(std::path::Path::new("aws"), &sb, "proc", &moto.url);
        assert!(who["Arn"].is_string());
    }
    assert_eq!(idc.counter("device_authorization"), 1);
}
