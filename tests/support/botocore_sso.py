"""botocore and boto3 as real clients of dsops's caches and credential_process.

Subcommands (all print one JSON line on stdout):
  write-token SESSION START_URL REGION OIDC_URL
      Sign in through the fake Identity Center with botocore's own sso-oidc
      client, then save the token with botocore's own cache code
      (SSOTokenLoader over JSONFileCache with botocore's dumps function),
      exactly where `aws sso login` puts it.
  load-creds PROFILE
      botocore's SSOProvider, with the AWS CLI's role-credential cache
      (~/.aws/cli/cache) and botocore's SSOTokenProvider reading
      ~/.aws/sso/cache: prints the access key id it resolved.
  sts PROFILE
      boto3 session for PROFILE (credential_process = dsops creds ...),
      STS GetCallerIdentity against AWS_ENDPOINT_URL_STS.
  load-chain PROFILE
      botocore's whole credential chain for PROFILE as the AWS CLI sets it
      up: AssumeRole and SSO role credentials cached in ~/.aws/cli/cache
      (JSONFileCache), the token from ~/.aws/sso/cache; prints the access
      key id it resolved.
  whoami
      GetCallerIdentity (AWS_ENDPOINT_URL_STS) with the credential_process
      JSON read from stdin; prints the caller's ARN.
"""
import json
import os
import sys
import urllib.request

import botocore.session
from botocore import UNSIGNED
from botocore.config import Config
from botocore.utils import JSONFileCache, SSOTokenLoader

SSO_CACHE = os.path.expanduser(os.path.join("~", ".aws", "sso", "cache"))
CLI_CACHE = os.path.expanduser(os.path.join("~", ".aws", "cli", "cache"))


def write_token(session_name, start_url, region, oidc_url):
    import datetime

    from botocore.tokens import _sso_json_dumps

    s = botocore.session.get_session()
    oidc = s.create_client(
        "sso-oidc", region_name=region, endpoint_url=oidc_url, config=Config(signature_version=UNSIGNED)
    )
    reg = oidc.register_client(clientName="botocore-test", clientType="public", scopes=["sso:account:access"])
    auth = oidc.start_device_authorization(
        clientId=reg["clientId"], clientSecret=reg["clientSecret"], startUrl=start_url
    )
    urllib.request.urlopen(auth["verificationUriComplete"]).read()
    tok = oidc.create_token(
        clientId=reg["clientId"],
        clientSecret=reg["clientSecret"],
        grantType="urn:ietf:params:oauth:grant-type:device_code",
        deviceCode=auth["deviceCode"],
    )
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    token = {
        "startUrl": start_url,
        "region": region,
        "accessToken": tok["accessToken"],
        "expiresAt": now + datetime.timedelta(seconds=tok["expiresIn"]),
        "clientId": reg["clientId"],
        "clientSecret": reg["clientSecret"],
        "registrationExpiresAt": datetime.datetime.fromtimestamp(
            reg["clientSecretExpiresAt"], datetime.timezone.utc
        ),
        "refreshToken": tok["refreshToken"],
    }
    loader = SSOTokenLoader(cache=JSONFileCache(SSO_CACHE, dumps_func=_sso_json_dumps))
    loader.save_token(start_url, token, session_name=session_name)
    print(json.dumps({"accessToken": tok["accessToken"]}))


def load_creds(profile):
    from botocore.credentials import SSOProvider
    from botocore.tokens import SSOTokenProvider, _sso_json_dumps

    s = botocore.session.Session(profile=profile)
    token_cache = JSONFileCache(SSO_CACHE, dumps_func=_sso_json_dumps)
    provider = SSOProvider(
        load_config=lambda: s.full_config,
        client_creator=s.create_client,
        profile_name=profile,
        cache=JSONFileCache(CLI_CACHE),
        token_cache=token_cache,
        token_provider=SSOTokenProvider(s, cache=token_cache),
    )
    creds = provider.load().get_frozen_credentials()
    print(json.dumps({"AccessKeyId": creds.access_key, "HasSecret": bool(creds.secret_key)}))


def sts(profile):
    import boto3

    s = boto3.Session(profile_name=profile, region_name="us-east-1")
    ident = s.client("sts").get_caller_identity()
    creds = s.get_credentials().get_frozen_credentials()
    print(json.dumps({"Arn": ident["Arn"], "AccessKeyId": creds.access_key}))


def load_chain(profile):
    from botocore.credentials import create_credential_resolver

    s = botocore.session.Session(profile=profile)
    resolver = create_credential_resolver(s, cache=JSONFileCache(CLI_CACHE), region_name="us-east-1")
    creds = resolver.load_credentials().get_frozen_credentials()
    print(json.dumps({"AccessKeyId": creds.access_key, "HasSecret": bool(creds.secret_key)}))


def whoami():
    c = json.load(sys.stdin)
    s = botocore.session.get_session()
    sts_client = s.create_client(
        "sts",
        region_name="us-east-1",
        aws_access_key_id=c["AccessKeyId"],
        aws_secret_access_key=c["SecretAccessKey"],
        aws_session_token=c["SessionToken"],
    )
    print(json.dumps({"Arn": sts_client.get_caller_identity()["Arn"]}))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {
        "write-token": write_token,
        "load-creds": load_creds,
        "sts": sts,
        "load-chain": load_chain,
        "whoami": whoami,
    }[cmd](*args)
