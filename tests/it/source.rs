//! Every command gives the role named: each command that takes `--store`
//! or `--profile` against a plain SSO profile, a two-hop role chain and an
//! `aws.sso` store with `role_arn`, the credentials it hands out checked for
//! whose they are (moto's STS `GetCallerIdentity` for assumed roles, the
//! fake Identity Center's issued keys for SSO roles). And a long job through
//! `exec --profile CHAIN`, whose top role expires every few seconds, renewed
//! by assuming it again; and `AccountId` read by botocore.

use crate::support::*;
use serde_json::Value;
use std::io::BufRead;
use std::process::{Command, Stdio};

/// `top` (role Top) from `mid` (role Mid) from the SSO profile `dev`;
/// `short` (role Short, 6-second credentials) from `dev`.
const CHAIN: &str = "[profile mid]\nrole_arn = arn:aws:iam::222222222222:role/Mid\nsource_profile = dev\n\n\
[profile top]\nrole_arn = arn:aws:iam::333333333333:role/Top\nsource_profile = mid\nrole_session_name = dsops-test\nregion = eu-west-1\n\n\
[profile short]\nrole_arn = arn:aws:iam::555555555555:role/Short\nsource_profile = dev\nrole_session_name = short\nduration_seconds = 6\n";

/// A user-config store whose SSO role is dev's, with a role assumed after it.
const USER_CONFIG: &str = "version: 1\nsecretStores:\n  chained:\n    type: aws.sso\n    profile: dev\n    role_arn: arn:aws:iam::444444444444:role/StoreRole\n    role_session_name: dsops-store\n    region: us-east-1\n";

/// A project whose env set exports the chained store's credentials.
const PROJECT: &str = "version: 1\nenvs:\n  roles:\n    AWS_ACCESS_KEY_ID:\n      from: {store: chained, key: access_key_id}\n    AWS_SECRET_ACCESS_KEY:\n      from: {store: chained, key: secret_access_key}\n    AWS_SESSION_TOKEN:\n      from: {store: chained, key: session_token}\n    ROLE_ACCOUNT:\n      from: {store: chained, key: account_id}\n";

const SSO_ROLE: &str = "sso:111111111111/DeveloperAccess";
const TOP_ROLE: &str = "arn:aws:sts::333333333333:assumed-role/Top/dsops-test";
const STORE_ROLE: &str = "arn:aws:sts::444444444444:assumed-role/StoreRole/dsops-store";

/// Prints the credentials boto3 finds in its environment (env variables or
/// a container endpoint) and the caller they are, as one JSON line.
const WHOAMI: &str = "import boto3, json\n\
s = boto3.Session()\n\
c = s.get_credentials().get_frozen_credentials()\n\
arn = s.client('sts', region_name='us-east-1').get_caller_identity()['Arn']\n\
print(json.dumps({'AccessKeyId': c.access_key, 'SecretAccessKey': c.secret_key, 'SessionToken': c.token, 'Arn': arn}))\n";

struct World {
    idc: FakeIdc,
    _moto: Moto,
    sb: Sandbox,
}

fn world() -> Option<World> {
    if !require_python_module("boto3") {
        return None;
    }
    let moto = Moto::start()?;
    let idc = FakeIdc::start(&["--auto-approve"]);
    let mut sb = sso_sandbox(&idc, "us-east-1", CHAIN);
    sb.set("AWS_ENDPOINT_URL_STS", &moto.url)
        .set("AWS_ENDPOINT_URL_SIGNIN", &idc.url)
        .set("DSOPS_USE_DEVICE_CODE", "1");
    sb.write(".config/dsops/config.yaml", USER_CONFIG);
    sb.write("project/.dsops.yaml", PROJECT);
    sb.ok(&["login", "--profile", "dev"]);
    Some(World {
        idc,
        _moto: moto,
        sb,
    })
}

impl World {
    /// Whose credentials these are: `sso:ACCOUNT/ROLE` for a key the fake
    /// Identity Center issued, else the caller moto's STS sees.
    fn identity(&self, c: &Value) -> String {
        let akid = c["AccessKeyId"].as_str().expect("an AccessKeyId");
        if let Some(role) = self.idc.counters()["issued_keys"][akid].as_str() {
            return format!("sso:{role}");
        }
        botocore(&self.sb, &["whoami"], Some(c.to_string().as_bytes()))["Arn"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// The credentials boto3 gets inside `dsops ARGS -- python3 -c WHOAMI`,
    /// and who they are by moto's STS.
    fn exec(&self, args: &[&str]) -> Value {
        let mut all = vec!["exec"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--", "python3", "-c", WHOAMI]);
        parse_json(&self.sb.ok(&all).stdout)
    }
}

/// `--profile NAME` or `--store NAME`.
fn selector(source: &str) -> [&str; 2] {
    match source {
        "chained" => ["--store", "chained"],
        p => ["--profile", p],
    }
}

#[test]
fn every_command_gives_the_role_named() {
    let Some(w) = world() else { return };
    // The chains first: on code that hands out the SSO role under a chain,
    // the first command that does so fails here.
    let expected = [
        (
            "top",
            TOP_ROLE,
            "333333333333",
            "arn:aws:iam::333333333333:role/Top",
        ),
        (
            "chained",
            STORE_ROLE,
            "444444444444",
            "arn:aws:iam::444444444444:role/StoreRole",
        ),
        ("dev", SSO_ROLE, "111111111111", "DeveloperAccess"),
    ];
    for (source, want, account, role) in expected {
        let sel = selector(source);
        let what = |cmd: &str| format!("{cmd} {} {}", sel[0], sel[1]);

        // creds, and with --min-validity.
        let creds = w.sb.json(&["creds", sel[0], sel[1]]);
        assert_eq!(w.identity(&creds), want, "{}", what("creds"));
        let lasting =
            w.sb.json(&["creds", sel[0], sel[1], "--min-validity", "20m"]);
        assert_eq!(
            w.identity(&lasting),
            want,
            "{}",
            what("creds --min-validity")
        );

        // exec with the credential endpoint, and with static credentials.
        for extra in [&[][..], &["--min-validity", "20m"][..]] {
            let mut args = sel.to_vec();
            args.extend_from_slice(extra);
            let got = w.exec(&args);
            assert_eq!(w.identity(&got), want, "exec {args:?} (endpoint)");
            args.push("--static-credentials");
            let got = w.exec(&args);
            assert_eq!(w.identity(&got), want, "exec {args:?}");
        }

        // serve: a client of the printed endpoint.
        let mut serve =
            w.sb.std_cmd()
                .args(["serve", sel[0], sel[1], "--format", "json"])
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(serve.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        let listed = parse_json(line.as_bytes());
        let env = listed[0]["env"].as_object().unwrap().clone();
        let out = Command::new("python3")
            .args(["-c", WHOAMI])
            .env_clear()
            .envs(w.sb.base_env())
            .envs(env.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap())))
            .output()
            .unwrap();
        serve.kill().unwrap();
        serve.wait().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            w.identity(&parse_json(&out.stdout)),
            want,
            "{}",
            what("serve")
        );
        // eks-token: the presigned URL is signed with the role's key.
        let token = w.sb.json(&[
            "eks-token",
            sel[0],
            sel[1],
            "--cluster",
            "c1",
            "--region",
            "us-east-1",
        ]);
        let url = crate::eks::url_of(token["status"]["token"].as_str().unwrap());
        let credential = url
            .split(['?', '&'])
            .find_map(|kv| kv.strip_prefix("X-Amz-Credential="))
            .unwrap();
        let akid = credential.split("%2F").next().unwrap();
        assert_eq!(
            akid,
            creds["AccessKeyId"].as_str().unwrap(),
            "{}: signed with the key creds gives",
            what("eks-token")
        );

        // console: the federation Session JSON carries the role's keys.
        w.sb.ok(&["console", sel[0], sel[1], "--print"]);
        let signin = w.idc.get("/_control/signin");
        let session = signin["sessions"].as_array().unwrap().last().unwrap();
        let c = serde_json::json!({
            "Version": 1,
            "AccessKeyId": session["sessionId"],
            "SecretAccessKey": session["sessionKey"],
            "SessionToken": session["sessionToken"],
        });
        assert_eq!(w.identity(&c), want, "{}", what("console"));

        // What serve lists, and the account credential_process reports.
        assert_eq!(listed[0]["account_id"], account, "{}", what("serve"));
        assert_eq!(listed[0]["role_name"], role, "{}", what("serve"));
        assert_eq!(creds["AccountId"], account, "{}", what("creds"));
    }

    // export of the chained store's keys (the hook resolves them the same
    // way), and with --min-validity.
    w.sb.ok(&["allow"]);
    for extra in [&[][..], &["--min-validity", "20m"][..]] {
        let mut args = vec!["export", "--env", "roles", "--format", "json"];
        args.extend_from_slice(extra);
        let v = w.sb.json(&args);
        let c = serde_json::json!({
            "Version": 1,
            "AccessKeyId": v["AWS_ACCESS_KEY_ID"],
            "SecretAccessKey": v["AWS_SECRET_ACCESS_KEY"],
            "SessionToken": v["AWS_SESSION_TOKEN"],
        });
        assert_eq!(w.identity(&c), STORE_ROLE, "export {extra:?}");
        assert_eq!(v["ROLE_ACCOUNT"], "444444444444", "the account_id key");
    }

    // The hook in bash, entering the project.
    if require_tool("bash") {
        let script = format!(
            "eval \"$('{bin}' hook bash)\"\ncd '{dir}'\nfor _c in \"${{PROMPT_COMMAND[@]}}\"; do eval \"$_c\"; done\nprintf '{{\"Version\":1,\"AccessKeyId\":\"%s\",\"SecretAccessKey\":\"%s\",\"SessionToken\":\"%s\"}}\\n' \"$AWS_ACCESS_KEY_ID\" \"$AWS_SECRET_ACCESS_KEY\" \"$AWS_SESSION_TOKEN\"\n",
            bin = bin().display(),
            dir = w.sb.path("project").display()
        );
        let out = Command::new("bash")
            .args(["--noprofile", "--norc", "-c", &script])
            .env_clear()
            .envs(w.sb.base_env())
            .env("DSOPS_ENV", "roles")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            w.identity(&parse_json(&out.stdout)),
            STORE_ROLE,
            "the hook: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn a_long_job_gets_the_chain_assumed_again_as_it_runs_low() {
    let Some(w) = world() else { return };
    let sign_ins =
        |idc: &FakeIdc| idc.counter("token_device_code") + idc.counter("token_authorization_code");
    let before = sign_ins(&w.idc);
    // boto3 asks the endpoint whenever its credentials are near expiry,
    // which 6-second credentials always are.
    let script = [
        "import boto3, json, time",
        "s = boto3.Session()",
        "seen = {}",
        "end = time.time() + 16",
        "while time.time() < end:",
        "    c = s.get_credentials().get_frozen_credentials()",
        "    if c.access_key not in seen:",
        "        sts = s.client('sts', region_name='us-east-1')",
        "        seen[c.access_key] = sts.get_caller_identity()['Arn']",
        "    time.sleep(0.5)",
        "print(json.dumps(seen))",
    ]
    .join("\n");
    let out =
        w.sb.ok(&["exec", "--profile", "short", "--", "python3", "-c", &script]);
    let seen = parse_json(&out.stdout);
    let seen = seen.as_object().unwrap();
    assert!(
        seen.len() >= 3,
        "expected at least three keys over 16 s of 6-second credentials: {seen:?}"
    );
    for (akid, arn) in seen {
        assert_eq!(
            arn, "arn:aws:sts::555555555555:assumed-role/Short/short",
            "{akid}"
        );
    }
    assert_eq!(sign_ins(&w.idc), before, "no new sign-in");
}

#[test]
fn botocore_reads_the_account_id_of_credential_process() {
    let Some(w) = world() else { return };
    let code = "import botocore.session, json, sys\n\
s = botocore.session.Session(profile=sys.argv[1])\n\
c = s.get_credentials().get_frozen_credentials()\n\
print(json.dumps({'account_id': getattr(c, 'account_id', None)}))\n";
    let config = std::fs::read_to_string(w.sb.path(".aws/config")).unwrap();
    let bin = bin().display().to_string();
    w.sb.write(
        ".aws/config",
        &format!(
            "{config}\n[profile via-dev]\ncredential_process = {bin} creds --profile dev\n\n[profile via-top]\ncredential_process = {bin} creds --profile top\n"
        ),
    );
    for (profile, account) in [("via-dev", "111111111111"), ("via-top", "333333333333")] {
        let out = Command::new("python3")
            .args(["-c", code, profile])
            .env_clear()
            .envs(w.sb.base_env())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v = parse_json(&out.stdout);
        assert_eq!(v["account_id"], account, "{profile}");
    }
}
