//! The SSO session in the OS keyring, used by the real AWS clients: profiles
//! that `dsops sso populate --credential-process` writes (the AWS CLI v2 and
//! boto3 ask dsops, never read a token file), and role chains whose assumed
//! credentials go to the keyring with `role_credentials: keyring`. Same
//! private Secret Service per test as `keyring.rs`.

use crate::keyring::{assert_nowhere_on_disk, role_files, setup, token_file};
use crate::support::*;
use serde_json::json;

/// The AWS CLI v2 from Debian (`pip`'s `aws` may be v1 and shadow it).
fn aws_cli_v2() -> Option<&'static std::path::Path> {
    let aws = std::path::Path::new("/usr/bin/aws");
    if aws.exists() {
        return Some(aws);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "/usr/bin/aws (Debian awscli, v2) is required under CI=true"
    );
    skip("/usr/bin/aws (AWS CLI v2) is not installed");
    None
}

/// `dsops` on the sandbox's PATH, as a user who installed it has it: the
/// `credential_process` line populate writes names it without a path.
fn dsops_on_path(sb: &mut Sandbox) {
    let dir = sb.path("bin");
    std::fs::create_dir_all(&dir).unwrap();
    std::os::unix::fs::symlink(bin(), dir.join("dsops")).unwrap();
    let path = format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    sb.set("PATH", &path);
}

#[test]
fn populate_credential_process_profiles_serve_the_aws_cli_from_the_keyring() {
    if !require_python_module("boto3") {
        return;
    }
    let Some(aws) = aws_cli_v2() else { return };
    let Some(moto) = Moto::start() else { return };
    let idc = FakeIdc::start(&[]);
    let Some((mut sb, ss)) = setup(&idc) else {
        return;
    };
    dsops_on_path(&mut sb);
    sb.set("AWS_ENDPOINT_URL_STS", &moto.url);
    idc.configure(json!({"accounts": [{
        "accountId": "111111111111",
        "accountName": "Dev",
        "emailAddress": "dev@example.com",
        "roles": ["DeveloperAccess", "ReadOnlyAccess"],
    }]}));
    sb.ok(&["login", "--sso-session", "my-sso"]);
    sb.ok(&["sso", "populate", "--credential-process"]);
    let config = std::fs::read_to_string(sb.path(".aws/config")).unwrap();
    for name in ["Dev.DeveloperAccess", "Dev.ReadOnlyAccess"] {
        let section = config
            .split(&format!("[profile {name}]\n"))
            .nth(1)
            .unwrap_or_else(|| panic!("no [profile {name}] in {config}"));
        let section = section.split("\n[").next().unwrap();
        assert!(
            section.contains(&format!(
                "\ncredential_process = dsops creds --profile {name}\n"
            )),
            "{section}"
        );
        // No key that makes an AWS tool's SSO provider take the profile.
        for k in ["sso_session", "sso_account_id", "sso_role_name"] {
            assert!(!section.contains(&format!("\n{k} ")), "{k}: {section}");
        }
    }

    // The AWS CLI v2 runs dsops, which signs the call with the role's
    // credentials from a session it reads from the keyring.
    let who = caller_identity(aws, &sb, "Dev.DeveloperAccess", &moto.url);
    assert!(who["Arn"].is_string());
    assert_eq!(idc.counter("get_role_credentials"), 1, "through dsops");
    // boto3 as a second client, for the other role.
    let v = botocore(&sb, &["sts", "Dev.ReadOnlyAccess"], None);
    let key = v["AccessKeyId"].as_str().unwrap();
    assert_eq!(
        idc.counters()["issued_keys"][key],
        "111111111111/ReadOnlyAccess"
    );
    assert_eq!(idc.counter("device_authorization"), 1, "one sign-in");
    assert!(!token_file(&sb).exists(), "no token file");
    let s = ss.session();
    assert_nowhere_on_disk(
        &sb,
        &[
            s["accessToken"].as_str().unwrap(),
            s["refreshToken"].as_str().unwrap(),
            s["clientSecret"].as_str().unwrap(),
        ],
    );
}

#[test]
fn chained_role_credentials_go_to_the_keyring_too() {
    let Some(moto) = Moto::start() else { return };
    let idc = FakeIdc::start(&[]);
    let Some((mut sb, _ss)) = setup(&idc) else {
        return;
    };
    sb.write(
        ".config/dsops/config.yaml",
        "version: 1\ntokens:\n  storage: keyring\n  role_credentials: keyring\n",
    );
    let mut config = std::fs::read_to_string(sb.path(".aws/config")).unwrap();
    config.push_str(
        "\n[profile mid]\nrole_arn = arn:aws:iam::222222222222:role/Mid\nsource_profile = dev\n\n\
         [profile top]\nrole_arn = arn:aws:iam::333333333333:role/Top\nsource_profile = mid\nrole_session_name = dsops-test\n",
    );
    sb.write(".aws/config", &config);
    sb.set("AWS_ENDPOINT_URL_STS", &moto.url)
        .set("AWS_REGION", "us-east-1");
    let v = sb.json(&["creds", "--profile", "top"]);
    let secret = v["SecretAccessKey"].as_str().unwrap().to_string();
    let token = v["SessionToken"].as_str().unwrap().to_string();
    assert_eq!(role_files(&sb), 0, "no role or AssumeRole cache file");
    // Served from the keyring: STS is not asked again (it is unreachable).
    sb.set("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9");
    let again = sb.json(&["creds", "--profile", "top", "--no-login"]);
    assert_eq!(again["AccessKeyId"], v["AccessKeyId"]);
    let mid = sb.json(&["creds", "--profile", "mid", "--no-login"]);
    assert_eq!(idc.counter("get_role_credentials"), 1);
    assert_nowhere_on_disk(
        &sb,
        &[
            &secret,
            &token,
            mid["SecretAccessKey"].as_str().unwrap(),
            mid["SessionToken"].as_str().unwrap(),
        ],
    );
}
