//! `dsops eks-token`: the ExecCredential kubectl reads, a token that is the
//! URL botocore presigns for the same credentials, region, cluster and time,
//! and its cache.

use crate::support::*;
use serde_json::Value;
use std::path::PathBuf;

fn setup(idc: &FakeIdc) -> Sandbox {
    let sb = sso_sandbox(idc, "us-east-1", "");
    sb.ok(&["login", "--profile", "dev"]);
    sb
}

fn eks(sb: &Sandbox, args: &[&str]) -> Value {
    sb.json(&[&["eks-token", "--profile", "dev"][..], args].concat())
}

fn token(v: &Value) -> &str {
    v["status"]["token"].as_str().unwrap()
}

fn cache_files(sb: &Sandbox) -> Vec<PathBuf> {
    let dir = sb.path(".cache/dsops/eks");
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

/// The URL inside a token.
pub(crate) fn url_of(token: &str) -> String {
    let b64 = token
        .strip_prefix("k8s-aws-v1.")
        .expect("the k8s-aws-v1. prefix");
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import base64,sys; b=sys.argv[1]; print(base64.urlsafe_b64decode(b + '=' * (-len(b) % 4)).decode())",
            b64,
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn amz_date(url: &str) -> time::OffsetDateTime {
    let d = url
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("X-Amz-Date="))
        .expect("X-Amz-Date");
    let f = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    time::PrimitiveDateTime::parse(d, f).unwrap().assume_utc()
}

fn parse_time(s: &str) -> time::OffsetDateTime {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).unwrap()
}

#[test]
fn token_is_the_url_botocore_presigns() {
    if !require_python_module("botocore") {
        return;
    }
    let idc = FakeIdc::start(&[]);
    let mut sb = setup(&idc);
    let creds = parse_json(&sb.ok(&["creds", "--profile", "dev"]).stdout);
    let check = |sb: &Sandbox, args: &[&str], region: &str, endpoint: Option<&str>| {
        let v = eks(sb, args);
        // What kubectl reads.
        assert_eq!(v["apiVersion"], "client.authentication.k8s.io/v1beta1");
        assert_eq!(v["kind"], "ExecCredential");
        let tok = token(&v);
        assert!(
            tok.starts_with("k8s-aws-v1.") && !tok.contains('='),
            "{tok}"
        );
        let expires = parse_time(v["status"]["expirationTimestamp"].as_str().unwrap());
        let url = url_of(tok);
        assert_eq!(
            expires - amz_date(&url),
            time::Duration::minutes(14),
            "15 minutes less the 60 s margin"
        );
        let mut py = vec![
            tok.to_string(),
            creds["AccessKeyId"].as_str().unwrap().to_string(),
            creds["SecretAccessKey"].as_str().unwrap().to_string(),
            creds["SessionToken"].as_str().unwrap().to_string(),
            region.to_string(),
            "my-cluster".to_string(),
        ];
        py.extend(endpoint.map(str::to_string));
        let out = std::process::Command::new("python3")
            .arg(repo().join("tests/support/eks_presign.py"))
            .args(&py)
            .env_clear()
            .envs(sb.base_env())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let r = parse_json(&out.stdout);
        assert_eq!(r["ours_base"], r["theirs_base"], "{r}");
        assert_eq!(r["ours_query"], r["theirs_query"], "{r}");
        let q = &r["ours_query"];
        assert_eq!(q["X-Amz-Expires"][0], "60");
        assert_eq!(q["X-Amz-SignedHeaders"][0], "host;x-k8s-aws-id");
        assert_eq!(q["Action"][0], "GetCallerIdentity");
        r["ours_base"].as_str().unwrap().to_string()
    };
    // The regional endpoint of the profile's region...
    let base = check(&sb, &["--cluster", "my-cluster"], "us-east-1", None);
    assert_eq!(base, "https://sts.us-east-1.amazonaws.com/");
    // ...of --region...
    let base = check(
        &sb,
        &["--cluster", "my-cluster", "--region", "eu-west-1"],
        "eu-west-1",
        None,
    );
    assert_eq!(base, "https://sts.eu-west-1.amazonaws.com/");
    // ...or AWS_ENDPOINT_URL_STS.
    sb.set("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:4566");
    let base = check(
        &sb,
        &["--cluster", "my-cluster"],
        "us-east-1",
        Some("http://127.0.0.1:4566"),
    );
    assert_eq!(base, "http://127.0.0.1:4566/");
    assert_eq!(
        cache_files(&sb).len(),
        3,
        "one entry per region and endpoint"
    );
}

#[test]
fn cached_token_is_reused_and_renewed_near_expiry() {
    let idc = FakeIdc::start(&[]);
    let sb = setup(&idc);
    let first = eks(&sb, &["--cluster", "c1"]);
    let files = cache_files(&sb);
    assert_eq!(files.len(), 1);
    assert_eq!(file_mode(&files[0]), 0o600);
    assert_eq!(file_mode(&sb.path(".cache/dsops/eks")), 0o700);
    let fetched = idc.counter("get_role_credentials");

    // Warm: the token cache alone, no role credentials, no sign-in, no network.
    std::fs::remove_dir_all(sb.path(".aws/cli/cache")).unwrap();
    std::fs::remove_dir_all(sb.path(".aws/sso/cache")).unwrap();
    let again = eks(&sb, &["--cluster", "c1", "--no-login"]);
    assert_eq!(token(&again), token(&first));
    // The AWS CLI's spelling names the same cluster.
    let spelled = eks(&sb, &["--cluster-name", "c1", "--no-login"]);
    assert_eq!(token(&spelled), token(&first));
    assert_eq!(
        again["status"]["expirationTimestamp"],
        first["status"]["expirationTimestamp"]
    );
    assert_eq!(idc.counter("get_role_credentials"), fetched);
    sb.ok(&["login", "--profile", "dev"]);

    // Another cluster is another token.
    let other = eks(&sb, &["--cluster", "c2"]);
    assert_ne!(token(&other), token(&first));
    assert_eq!(cache_files(&sb).len(), 2);

    // Reused until 60 s before the 15 minutes end (the expirationTimestamp),
    // then renewed.
    let rewrite = |secs: i64| {
        let mut v: Value = parse_json(&std::fs::read(&files[0]).unwrap());
        v["expirationTimestamp"] = iso(secs).into();
        std::fs::write(&files[0], v.to_string()).unwrap();
    };
    rewrite(2);
    let still = eks(&sb, &["--cluster", "c1"]);
    assert_eq!(token(&still), token(&first), "renewed too early");
    std::thread::sleep(std::time::Duration::from_secs(3));
    let renewed = eks(&sb, &["--cluster", "c1"]);
    assert_ne!(token(&renewed), token(&first), "not renewed near expiry");
    let exp = parse_time(renewed["status"]["expirationTimestamp"].as_str().unwrap());
    let left = (exp - time::OffsetDateTime::now_utc()).whole_seconds();
    assert!((14 * 60 - 5..=14 * 60).contains(&left), "{left}");
    // A corrupt entry is replaced, not an error.
    std::fs::write(&files[0], "{not json").unwrap();
    let fresh = eks(&sb, &["--cluster", "c1"]);
    assert!(token(&fresh).starts_with("k8s-aws-v1."));
}

#[test]
fn api_version_from_kubectl_and_usage_errors() {
    let idc = FakeIdc::start(&[]);
    let mut sb = setup(&idc);
    sb.set(
        "KUBERNETES_EXEC_INFO",
        r#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}"#,
    );
    let v = eks(&sb, &["--cluster", "c"]);
    assert_eq!(v["apiVersion"], "client.authentication.k8s.io/v1");
    sb.set("KUBERNETES_EXEC_INFO", "not json");
    let v = eks(&sb, &["--cluster", "c"]);
    assert_eq!(v["apiVersion"], "client.authentication.k8s.io/v1beta1");

    let e = sb.fails(&["eks-token", "--profile", "dev"], 2);
    assert!(e.contains("--cluster"), "{e}");
    let no_region = sso_sandbox(
        &idc,
        "us-east-1",
        "[profile bare]\nsso_session = my-sso\nsso_account_id = 111111111111\nsso_role_name = DeveloperAccess\n",
    );
    let e = no_region.fails(&["eks-token", "--profile", "bare", "--cluster", "c"], 2);
    assert!(e.contains("--region"), "{e}");
}
