//! Role chaining against moto's STS: a two-hop chain from an SSO profile,
//! the AssumeRole cache shared with botocore both ways (STS calls counted
//! with moto's request recorder), an `aws.sso` store with `role_arn`, loops
//! and MFA profiles. And large AWS configs: a profile among 10,000, and a
//! broken section that only breaks what touches it.

use crate::support::*;
use serde_json::Value;
use std::process::Command;

/// The chain: `top` (role Top, session name dsops-test) from `mid` (role
/// Mid) from the SSO profile `dev`.
const CHAIN: &str = "[profile mid]\nrole_arn = arn:aws:iam::222222222222:role/Mid\nsource_profile = dev\n\n\
[profile top]\nrole_arn = arn:aws:iam::333333333333:role/Top\nsource_profile = mid\nrole_session_name = dsops-test\nduration_seconds = 3600\n";

/// AssumeRole calls moto has answered since recording started (its
/// recorder keeps each request's body in base64).
fn assume_calls(moto: &Moto) -> usize {
    let mut r = ureq::get(format!("{}/moto-api/recorder/download-recording", moto.url))
        .call()
        .unwrap();
    let text = r.body_mut().read_to_string().unwrap();
    text.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| v["body"].as_str().map(base64_decode))
        .filter(|body| body.contains("Action=AssumeRole&") || body.ends_with("Action=AssumeRole"))
        .count()
}

fn base64_decode(s: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = vec![];
    for c in s.bytes() {
        let Some(v) = ALPHABET.iter().position(|&a| a == c) else {
            continue;
        };
        bits = (bits << 6) | v as u32;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn start_recording(moto: &Moto) {
    for op in ["reset-recording", "start-recording"] {
        ureq::post(format!("{}/moto-api/recorder/{op}", moto.url))
            .send("")
            .unwrap();
    }
}

/// botocore's cache file name for AssumeRole arguments, computed by Python.
fn botocore_key(args: &str) -> String {
    let out = Command::new("python3")
        .args([
            "-c",
            "import hashlib,json,sys; print(hashlib.sha1(json.dumps(json.loads(sys.argv[1]), sort_keys=True).encode()).hexdigest())",
            args,
        ])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn chain_sandbox(idc: &FakeIdc, moto: &Moto, extra: &str) -> Sandbox {
    let mut sb = sso_sandbox(idc, "us-east-1", &format!("{CHAIN}\n{extra}"));
    sb.set("AWS_ENDPOINT_URL_STS", &moto.url)
        .set("AWS_REGION", "us-east-1")
        .set("DSOPS_USE_DEVICE_CODE", "1");
    sb
}

#[test]
fn two_hops_from_sso_and_the_cache_shared_with_botocore() {
    if !require_python_module("botocore") {
        return;
    }
    let Some(moto) = Moto::start() else { return };
    let idc = FakeIdc::start(&["--auto-approve"]);
    let sb = chain_sandbox(&idc, &moto, "");
    start_recording(&moto);

    let out = sb.ok(&["creds", "--profile", "top"]);
    let c = parse_json(&out.stdout);
    let akid = c["AccessKeyId"].as_str().unwrap().to_string();
    // Not the SSO role's own key: the fake portal issued that one.
    let issued = idc.counters()["issued_keys"].clone();
    assert_eq!(issued.as_object().unwrap().len(), 1, "{issued}");
    assert!(issued.get(&akid).is_none(), "the SSO role's key came back");
    assert_eq!(assume_calls(&moto), 2, "one AssumeRole per hop");
    // The credentials are the top role's, with its session name.
    let who = botocore(&sb, &["whoami"], Some(&out.stdout));
    assert_eq!(
        who["Arn"], "arn:aws:sts::333333333333:assumed-role/Top/dsops-test",
        "{who}"
    );
    // Cached under botocore's key for the same arguments.
    let top_key = botocore_key(
        r#"{"RoleArn": "arn:aws:iam::333333333333:role/Top", "RoleSessionName": "dsops-test", "DurationSeconds": 3600}"#,
    );
    let mid_key = botocore_key(r#"{"RoleArn": "arn:aws:iam::222222222222:role/Mid"}"#);
    for key in [&top_key, &mid_key] {
        let p = sb.path(&format!(".aws/cli/cache/{key}.json"));
        assert!(p.exists(), "no cache entry {}", p.display());
        assert_eq!(file_mode(&p), 0o600);
    }

    // Cached: dsops again, then botocore (as the AWS CLI sets it up), no STS.
    let again = parse_json(&sb.ok(&["creds", "--profile", "top"]).stdout);
    assert_eq!(again["AccessKeyId"], akid.as_str());
    let boto = botocore(&sb, &["load-chain", "top"], None);
    assert_eq!(
        boto["AccessKeyId"],
        akid.as_str(),
        "botocore used dsops's entry"
    );
    assert_eq!(assume_calls(&moto), 2, "nobody called STS again");

    // The other way: botocore assumes the chain (its entries, its
    // `...UTC` expiration), and dsops finds them.
    for key in [&top_key, &mid_key] {
        std::fs::remove_file(sb.path(&format!(".aws/cli/cache/{key}.json"))).unwrap();
    }
    let boto = botocore(&sb, &["load-chain", "top"], None);
    let boto_akid = boto["AccessKeyId"].as_str().unwrap().to_string();
    assert_ne!(boto_akid, akid);
    assert_eq!(assume_calls(&moto), 4, "botocore assumed both hops");
    let entry =
        std::fs::read_to_string(sb.path(&format!(".aws/cli/cache/{top_key}.json"))).unwrap();
    assert!(entry.contains("UTC\""), "botocore's own format: {entry}");
    let ours = parse_json(&sb.ok(&["creds", "--profile", "top"]).stdout);
    assert_eq!(
        ours["AccessKeyId"],
        boto_akid.as_str(),
        "dsops used botocore's entry"
    );
    assert_eq!(assume_calls(&moto), 4, "dsops did not call STS");
}

#[test]
fn store_role_arn_loops_mfa_and_static_sources() {
    let Some(moto) = Moto::start() else { return };
    let idc = FakeIdc::start(&["--auto-approve"]);
    let mut sb = chain_sandbox(
        &idc,
        &moto,
        "[profile loop-a]\nrole_arn = arn:aws:iam::1:role/A\nsource_profile = loop-b\n\n\
         [profile loop-b]\nrole_arn = arn:aws:iam::1:role/B\nsource_profile = loop-a\n\n\
         [profile mfa]\nrole_arn = arn:aws:iam::1:role/M\nsource_profile = dev\nmfa_serial = arn:aws:iam::1:mfa/me\n\n\
         [profile from-keys]\nrole_arn = arn:aws:iam::444444444444:role/K\nsource_profile = keys\n",
    );
    sb.write(
        ".aws/credentials",
        "[keys]\naws_access_key_id = AKIAEXAMPLEKEYS\naws_secret_access_key = secret\n",
    );
    sb.write(
        ".config/dsops/config.yaml",
        "version: 1\nsecretStores:\n  hop:\n    type: aws.sso\n    sso_session: my-sso\n    account_id: \"111111111111\"\n    role_name: DeveloperAccess\n    role_arn: arn:aws:iam::555555555555:role/FromStore\n    role_session_name: from-store\n",
    );
    sb.set("AWS_MAX_ATTEMPTS", "1");
    start_recording(&moto);

    let out = sb.ok(&["creds", "--store", "hop"]);
    let who = python_whoami(&sb, &out.stdout);
    assert_eq!(
        who,
        "arn:aws:sts::555555555555:assumed-role/FromStore/from-store"
    );
    assert_eq!(assume_calls(&moto), 1);
    sb.ok(&["creds", "--store", "hop"]);
    assert_eq!(assume_calls(&moto), 1, "the store's role is cached");

    let out = sb.ok(&["creds", "--profile", "from-keys"]);
    let who = python_whoami(&sb, &out.stdout);
    assert!(who.contains(":444444444444:assumed-role/K/"), "{who}");

    let err = sb.fails(&["creds", "--profile", "loop-a"], 3);
    assert!(
        err.contains("source_profile loop: loop-a -> loop-b -> loop-a"),
        "{err}"
    );
    let err = sb.fails(&["creds", "--profile", "mfa"], 3);
    assert!(
        err.contains("mfa_serial") && err.contains("not supported"),
        "{err}"
    );
    // `login --profile` of a chain signs in to the session it starts from.
    sb.ok(&["login", "--profile", "top", "--no-browser"]);
}

fn python_whoami(sb: &Sandbox, creds: &[u8]) -> String {
    if !require_python_module("botocore") {
        return String::new();
    }
    botocore(sb, &["whoami"], Some(creds))["Arn"]
        .as_str()
        .unwrap()
        .to_string()
}

/// `n` SSO profiles of one session (and the session), as `sso populate`
/// would write them.
fn big_config(n: usize) -> String {
    let mut s =
        format!("[sso-session my-sso]\nsso_start_url = {START_URL}\nsso_region = us-east-1\n\n");
    for i in 0..n {
        s.push_str(&format!(
            "[profile p{i}]\n# managed elsewhere\nsso_session = my-sso\nsso_account_id = {:012}\nsso_role_name = Role{i}\nregion = eu-west-1\n\n",
            100_000_000_000u64 + i as u64
        ));
    }
    s
}

/// A role-credential cache entry for `account`/`role` of session my-sso.
fn cache_role(sb: &Sandbox, account: &str, role: &str, akid: &str) {
    use sha1::{Digest, Sha1};
    let args = format!(r#"{{"accountId":"{account}","roleName":"{role}","sessionName":"my-sso"}}"#);
    let key: String = Sha1::digest(args.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    sb.write(
        &format!(".aws/cli/cache/{key}.json"),
        &format!(
            r#"{{"ProviderType":"sso","Credentials":{{"AccessKeyId":"{akid}","SecretAccessKey":"s","SessionToken":"t","Expiration":"{}"}}}}"#,
            iso(3600)
        ),
    );
}

#[test]
fn a_profile_among_ten_thousand_and_a_broken_section_elsewhere() {
    let sb = Sandbox::new();
    sb.write(".aws/config", &big_config(10_000));
    for i in [0usize, 4_999, 9_999] {
        cache_role(
            &sb,
            &format!("{:012}", 100_000_000_000u64 + i as u64),
            &format!("Role{i}"),
            &format!("ASIAPROFILE{i}"),
        );
        let out = sb.ok(&["creds", "--profile", &format!("p{i}"), "--no-login"]);
        assert_eq!(
            parse_json(&out.stdout)["AccessKeyId"],
            format!("ASIAPROFILE{i}")
        );
    }
    let err = sb.fails(&["creds", "--profile", "p10000", "--no-login"], 3);
    assert!(err.contains("no [profile p10000] section"), "{err}");

    // A broken section (an unclosed header, a line without '=') elsewhere:
    // an intact profile still reads, the broken ones say where they are.
    let mut text = big_config(100);
    text.push_str(
        "[profile broken\nsso_session = my-sso\n\n[profile nokey]\nthis line has no equals sign\n",
    );
    text.push_str(&big_config(3).replace("[profile p", "[profile q"));
    let lines: Vec<&str> = text.lines().collect();
    let broken_line = lines.iter().position(|l| *l == "[profile broken").unwrap() + 1;
    let nokey_line = lines
        .iter()
        .position(|l| *l == "this line has no equals sign")
        .unwrap()
        + 1;
    sb.write(".aws/config", &text);
    cache_role(&sb, "100000000002", "Role2", "ASIAQ2");
    let out = sb.ok(&["creds", "--profile", "q2", "--no-login"]);
    assert_eq!(parse_json(&out.stdout)["AccessKeyId"], "ASIAQ2");
    let err = sb.fails(&["creds", "--profile", "broken", "--no-login"], 3);
    assert!(
        err.contains(&format!(
            "config:{broken_line}: the section header [profile broken is not closed"
        )),
        "{err}"
    );
    let err = sb.fails(&["creds", "--profile", "nokey", "--no-login"], 3);
    assert!(
        err.contains(&format!("config:{nokey_line}: expected 'key = value'")),
        "{err}"
    );
    // doctor reads the whole file and reports the first problem.
    let out = sb.cmd().arg("doctor").output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(text.contains(&format!(":{broken_line}:")), "{text}");
}
