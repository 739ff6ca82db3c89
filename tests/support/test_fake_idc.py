#!/usr/bin/env python3
"""Self-test of tests/support/fake_idc.py, using botocore as the client.

botocore builds and parses requests from the real sso-oidc / sso service
models, so a pass here means the fake speaks the real wire format.

Run: python3 tests/support/test_fake_idc.py   (exit status non-zero on failure)
"""

import base64
import hashlib
import http.client
import json
import os
import re
import secrets
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

import botocore.session
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "fake_idc.py")
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
START_URL = "https://d-1234567890.awsapps.com/start"


class FakeProcess:
    def __init__(self, *args):
        self.stderr_file = tempfile.NamedTemporaryFile(prefix="fake_idc_stderr_", delete=False)
        self.proc = subprocess.Popen(
            [sys.executable, FAKE, "--port", "0", *args],
            stdout=subprocess.PIPE, stderr=self.stderr_file, stdin=subprocess.DEVNULL)
        ready, _, _ = select.select([self.proc.stdout], [], [], 10)
        if not ready:
            self.proc.kill()
            raise RuntimeError("fake_idc did not print READY within 10 s")
        line = self.proc.stdout.readline().decode()
        m = re.fullmatch(r"READY (http://127\.0\.0\.1:(\d+))\n", line)
        if not m:
            self.proc.kill()
            raise RuntimeError(f"unexpected first line {line!r}")
        self.url = m.group(1)
        self.port = int(m.group(2))

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        rest = self.proc.stdout.read()
        self.proc.stdout.close()
        self.stderr_file.close()
        return rc, rest

    def stderr_text(self):
        with open(self.stderr_file.name, errors="replace") as f:
            return f.read()

    def cleanup(self):
        try:
            os.unlink(self.stderr_file.name)
        except OSError:
            pass


def control(url, method, name, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"{url}/_control/{name}", data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def make_clients(url, retries=True):
    session = botocore.session.get_session()
    cfg = Config(signature_version=UNSIGNED,
                 retries={"mode": "standard", "total_max_attempts": 3 if retries else 1})
    oidc = session.create_client("sso-oidc", region_name="us-east-1", endpoint_url=url, config=cfg)
    sso = session.create_client("sso", region_name="us-east-1", endpoint_url=url, config=cfg)
    return oidc, sso


def pkce_pair():
    verifier = base64.urlsafe_b64encode(secrets.token_bytes(48)).rstrip(b"=").decode()
    challenge = base64.urlsafe_b64encode(
        hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


class FakeIdcTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fake = FakeProcess("--interval", "0")
        cls.url = cls.fake.url
        cls.oidc, cls.sso = make_clients(cls.url, retries=False)

    @classmethod
    def tearDownClass(cls):
        rc, rest = cls.fake.stop()
        log = cls.fake.stderr_text()
        cls.fake.cleanup()
        assert rc == 0, f"fake_idc exit status {rc}"
        assert rest == b"", f"extra stdout {rest!r}"
        # no token ever reaches the log
        assert "aoa" not in log and "aor" not in log, "token-like text in the log"

    def setUp(self):
        control(self.url, "POST", "reset", {"all": True})

    # ---- helpers ----

    def ctl(self, method, name, body=None):
        return control(self.url, method, name, body)

    def assert_error(self, ctx, code, status, oauth=None):
        resp = ctx.exception.response
        self.assertEqual(resp["Error"]["Code"], code)
        self.assertEqual(resp["ResponseMetadata"]["HTTPStatusCode"], status)
        if oauth is not None:
            self.assertEqual(resp.get("error"), oauth)

    def register(self, **extra):
        args = dict(clientName="dsops-test", clientType="public",
                    scopes=["sso:account:access"], grantTypes=[DEVICE_GRANT, "refresh_token"])
        args.update(extra)
        return self.oidc.register_client(**args)

    def device_login(self, reg=None):
        reg = reg or self.register()
        dev = self.oidc.start_device_authorization(
            clientId=reg["clientId"], clientSecret=reg["clientSecret"], startUrl=START_URL)
        with urllib.request.urlopen(dev["verificationUriComplete"], timeout=10) as r:
            self.assertEqual(r.status, 200)
        tok = self.oidc.create_token(clientId=reg["clientId"], clientSecret=reg["clientSecret"],
                                     grantType=DEVICE_GRANT, deviceCode=dev["deviceCode"])
        return reg, tok

    def poll(self, reg, dev):
        return self.oidc.create_token(clientId=reg["clientId"], clientSecret=reg["clientSecret"],
                                      grantType=DEVICE_GRANT, deviceCode=dev["deviceCode"])

    # ---- tests ----

    def test_full_device_flow(self):
        now = time.time()
        reg = self.register()
        self.assertIsInstance(reg["clientIdIssuedAt"], int)
        self.assertAlmostEqual(reg["clientIdIssuedAt"], now, delta=5)
        self.assertAlmostEqual(reg["clientSecretExpiresAt"], now + 90 * 86400, delta=5)

        dev = self.oidc.start_device_authorization(
            clientId=reg["clientId"], clientSecret=reg["clientSecret"], startUrl=START_URL)
        self.assertRegex(dev["userCode"], r"^[A-Z]{4}-[A-Z]{4}$")
        self.assertEqual(dev["verificationUriComplete"],
                         f"{self.url}/approve?user_code={dev['userCode']}")
        self.assertTrue(dev["verificationUri"].startswith(self.url))
        self.assertEqual(dev["expiresIn"], 600)
        self.assertEqual(dev["interval"], 0)

        with self.assertRaises(ClientError) as ctx:
            self.poll(reg, dev)
        self.assert_error(ctx, "AuthorizationPendingException", 400, "authorization_pending")
        self.assertTrue(ctx.exception.response["ResponseMetadata"]["HTTPHeaders"]
                        ["x-amzn-errortype"].startswith("AuthorizationPendingException:http"))

        with urllib.request.urlopen(dev["verificationUriComplete"], timeout=10) as r:
            self.assertEqual(r.status, 200)
            self.assertIn(b"approved", r.read())

        tok = self.poll(reg, dev)
        self.assertEqual(tok["tokenType"], "Bearer")
        self.assertEqual(tok["expiresIn"], 28800)
        self.assertIn("refreshToken", tok)
        # a device code is single-use
        with self.assertRaises(ClientError) as ctx:
            self.poll(reg, dev)
        self.assert_error(ctx, "InvalidGrantException", 400, "invalid_grant")

        creds = self.sso.get_role_credentials(roleName="DeveloperAccess",
                                              accountId="123456789012",
                                              accessToken=tok["accessToken"])["roleCredentials"]
        self.assertRegex(creds["accessKeyId"], r"^ASIA[A-Z0-9]{16}$")
        self.assertEqual(len(creds["secretAccessKey"]), 40)
        self.assertTrue(creds["sessionToken"])
        self.assertIsInstance(creds["expiration"], int)
        self.assertAlmostEqual(creds["expiration"], (time.time() + 3600) * 1000, delta=5000)
        creds2 = self.sso.get_role_credentials(roleName="ReadOnlyAccess", accountId="111111111111",
                                               accessToken=tok["accessToken"])["roleCredentials"]
        self.assertNotEqual(creds["accessKeyId"], creds2["accessKeyId"])

        accounts = self.sso.list_accounts(accessToken=tok["accessToken"])["accountList"]
        self.assertEqual({a["accountId"] for a in accounts},
                         {"111111111111", "222222222222", "123456789012"})
        self.assertTrue(all(a["accountName"] and a["emailAddress"] for a in accounts))
        paged = [a for page in self.sso.get_paginator("list_accounts").paginate(
            accessToken=tok["accessToken"], PaginationConfig={"PageSize": 2})
            for a in page["accountList"]]
        self.assertEqual(paged, accounts)
        roles = self.sso.list_account_roles(accessToken=tok["accessToken"],
                                            accountId="111111111111")["roleList"]
        self.assertEqual({r["roleName"] for r in roles},
                         {"DeveloperAccess", "ReadOnlyAccess", "AdministratorAccess"})
        self.assertTrue(all(r["accountId"] == "111111111111" for r in roles))
        with self.assertRaises(ClientError) as ctx:
            self.sso.list_account_roles(accessToken=tok["accessToken"], accountId="999999999999")
        self.assert_error(ctx, "ResourceNotFoundException", 404)

        ref = self.oidc.create_token(clientId=reg["clientId"], clientSecret=reg["clientSecret"],
                                     grantType="refresh_token", refreshToken=tok["refreshToken"])
        self.assertNotEqual(ref["accessToken"], tok["accessToken"])
        self.assertIn("refreshToken", ref)
        self.assertEqual(ref["expiresIn"], 28800)
        # refresh token of another client is refused
        other = self.register()
        with self.assertRaises(ClientError) as ctx:
            self.oidc.create_token(clientId=other["clientId"], clientSecret=other["clientSecret"],
                                   grantType="refresh_token", refreshToken=tok["refreshToken"])
        self.assert_error(ctx, "InvalidGrantException", 400, "invalid_grant")

        self.sso.logout(accessToken=ref["accessToken"])
        for token in (ref["accessToken"], tok["accessToken"]):
            with self.assertRaises(ClientError) as ctx:
                self.sso.get_role_credentials(roleName="DeveloperAccess", accountId="123456789012",
                                              accessToken=token)
            self.assert_error(ctx, "UnauthorizedException", 401)
            self.assertTrue(ctx.exception.response["Error"]["Message"])
        with self.assertRaises(ClientError) as ctx:
            self.oidc.create_token(clientId=reg["clientId"], clientSecret=reg["clientSecret"],
                                   grantType="refresh_token", refreshToken=ref["refreshToken"])
        self.assert_error(ctx, "InvalidGrantException", 400)

        c = self.ctl("GET", "counters")
        self.assertEqual(c["register"], 2)
        self.assertEqual(c["device_authorization"], 1)
        self.assertEqual(c["token_device_code"], 3)
        self.assertEqual(c["token_refresh"], 3)
        self.assertEqual(c["get_role_credentials"], 4)
        self.assertEqual(c["list_accounts"], 3)
        self.assertEqual(c["list_account_roles"], 2)
        self.assertEqual(c["logout"], 1)
        self.assertEqual(c["get_role_credentials_by_role"],
                         {"123456789012/DeveloperAccess": 3, "111111111111/ReadOnlyAccess": 1})
        self.assertEqual(c["issued_keys"], {creds["accessKeyId"]: "123456789012/DeveloperAccess",
                                            creds2["accessKeyId"]: "111111111111/ReadOnlyAccess"})
        self.ctl("POST", "reset")
        c = self.ctl("GET", "counters")
        self.assertEqual(c["register"], 0)
        self.assertEqual(c["issued_keys"], {})

    def test_deny_and_expiry(self):
        reg = self.register()
        dev = self.oidc.start_device_authorization(
            clientId=reg["clientId"], clientSecret=reg["clientSecret"], startUrl=START_URL)
        with urllib.request.urlopen(f"{self.url}/deny?user_code={dev['userCode']}") as r:
            self.assertEqual(r.status, 200)
        with self.assertRaises(ClientError) as ctx:
            self.poll(reg, dev)
        self.assert_error(ctx, "AccessDeniedException", 400, "access_denied")

        self.ctl("POST", "config", {"device_expires": 0})
        dev = self.oidc.start_device_authorization(
            clientId=reg["clientId"], clientSecret=reg["clientSecret"], startUrl=START_URL)
        self.assertEqual(dev["expiresIn"], 0)
        with self.assertRaises(ClientError) as ctx:
            self.poll(reg, dev)
        self.assert_error(ctx, "ExpiredTokenException", 400, "expired_token")

    def test_slow_down_once_and_auto_approve(self):
        self.ctl("POST", "config", {"auto_approve": True, "slow_down_once": True, "interval": 3})
        reg = self.register()
        dev = self.oidc.start_device_authorization(
            clientId=reg["clientId"], clientSecret=reg["clientSecret"], startUrl=START_URL)
        self.assertEqual(dev["interval"], 3)
        with self.assertRaises(ClientError) as ctx:
            self.poll(reg, dev)
        self.assert_error(ctx, "SlowDownException", 400, "slow_down")
        self.assertIn("accessToken", self.poll(reg, dev))
        self.assertFalse(self.ctl("GET", "config")["slow_down_once"])

    def test_invalid_client(self):
        reg = self.register()
        with self.assertRaises(ClientError) as ctx:
            self.oidc.start_device_authorization(
                clientId=reg["clientId"], clientSecret="wrong", startUrl=START_URL)
        self.assert_error(ctx, "InvalidClientException", 401, "invalid_client")
        self.ctl("POST", "config", {"registration_ttl": 0})
        reg = self.register()
        self.assertLessEqual(reg["clientSecretExpiresAt"], time.time())
        with self.assertRaises(ClientError) as ctx:
            self.oidc.start_device_authorization(
                clientId=reg["clientId"], clientSecret=reg["clientSecret"], startUrl=START_URL)
        self.assert_error(ctx, "InvalidClientException", 401)
        with self.assertRaises(ClientError) as ctx:
            self.oidc.create_token(clientId="nope", clientSecret="nope", grantType="refresh_token",
                                   refreshToken="x")
        self.assert_error(ctx, "InvalidClientException", 401)

    def test_refresh_controls(self):
        reg, tok = self.device_login()
        self.ctl("POST", "config", {"omit_refresh_token": True})
        ref = self.oidc.create_token(clientId=reg["clientId"], clientSecret=reg["clientSecret"],
                                     grantType="refresh_token", refreshToken=tok["refreshToken"])
        self.assertNotIn("refreshToken", ref)
        self.ctl("POST", "config", {"refuse_refresh": True})
        with self.assertRaises(ClientError) as ctx:
            self.oidc.create_token(clientId=reg["clientId"], clientSecret=reg["clientSecret"],
                                   grantType="refresh_token", refreshToken=tok["refreshToken"])
        self.assert_error(ctx, "InvalidGrantException", 400, "invalid_grant")

    def test_expire_access_tokens_and_ttls(self):
        self.ctl("POST", "config", {"token_ttl": 5, "role_ttl": 900})
        reg, tok = self.device_login()
        self.assertEqual(tok["expiresIn"], 5)
        creds = self.sso.get_role_credentials(roleName="R", accountId="333333333333",
                                              accessToken=tok["accessToken"])["roleCredentials"]
        self.assertAlmostEqual(creds["expiration"], (time.time() + 900) * 1000, delta=5000)
        self.ctl("POST", "config", {"expire_access_tokens": True})
        listed = self.ctl("GET", "tokens")["accessTokens"]
        self.assertEqual([t["valid"] for t in listed], [False])
        with self.assertRaises(ClientError) as ctx:
            self.sso.list_accounts(accessToken=tok["accessToken"])
        self.assert_error(ctx, "UnauthorizedException", 401)
        # the refresh token still works and yields a valid access token
        ref = self.oidc.create_token(clientId=reg["clientId"], clientSecret=reg["clientSecret"],
                                     grantType="refresh_token", refreshToken=tok["refreshToken"])
        self.sso.list_accounts(accessToken=ref["accessToken"])

    def test_answer_overrides(self):
        self.ctl("POST", "config", {"answer_overrides": {
            "get_role_credentials": {"accessKeyId": "", "sessionToken": None},
            "register": {"clientSecret": None},
        }})
        reg = self.register()
        self.assertNotIn("clientSecret", reg)
        self.ctl("POST", "config", {"answer_overrides": {
            "get_role_credentials": {"accessKeyId": "", "sessionToken": None}}})
        _, tok = self.device_login()
        creds = self.sso.get_role_credentials(roleName="R", accountId="333333333333",
                                              accessToken=tok["accessToken"])["roleCredentials"]
        self.assertEqual(creds["accessKeyId"], "")
        self.assertNotIn("sessionToken", creds)
        self.assertTrue(creds["secretAccessKey"])
        # errors are left alone
        with self.assertRaises(ClientError) as ctx:
            self.sso.get_role_credentials(roleName="R", accountId="333333333333",
                                          accessToken="nope")
        self.assert_error(ctx, "UnauthorizedException", 401)
        for bad in ({"x": 1}, [], {"register": []}):
            with self.assertRaises(urllib.error.HTTPError) as ctx:
                self.ctl("POST", "config", {"answer_overrides": bad})
            self.assertEqual(ctx.exception.code, 400)
        self.ctl("POST", "reset", {"all": True})
        self.assertEqual(self.ctl("GET", "config")["answer_overrides"], {})

    def test_strict_assignments(self):
        self.ctl("POST", "config", {"strict_assignments": True})
        _, tok = self.device_login()
        with self.assertRaises(ClientError) as ctx:
            self.sso.get_role_credentials(roleName="PowerUserAccess", accountId="123456789012",
                                          accessToken=tok["accessToken"])
        self.assert_error(ctx, "ForbiddenException", 403)
        self.sso.get_role_credentials(roleName="AdministratorAccess", accountId="123456789012",
                                      accessToken=tok["accessToken"])

    def test_fault_injection(self):
        _, tok = self.device_login()
        self.ctl("POST", "config", {"fail_next": 1})
        with self.assertRaises(ClientError) as ctx:
            self.sso.list_accounts(accessToken=tok["accessToken"])
        self.assert_error(ctx, "InternalServerException", 500)
        self.ctl("POST", "config", {"throttle_next": 1})
        with self.assertRaises(ClientError) as ctx:
            self.sso.list_accounts(accessToken=tok["accessToken"])
        self.assert_error(ctx, "TooManyRequestsException", 429)
        # a retrying client gets through a single injected failure
        _, sso = make_clients(self.url, retries=True)
        self.ctl("POST", "reset")
        self.ctl("POST", "config", {"fail_next": 1, "fail_ops": ["list_accounts"]})
        sso.list_accounts(accessToken=tok["accessToken"])
        c = self.ctl("GET", "counters")
        self.assertEqual((c["list_accounts"], c["injected_failures"]), (2, 1))

    def test_pkce_authorization_code(self):
        reg = self.oidc.register_client(
            clientName="dsops-pkce", clientType="public", scopes=["sso:account:access"],
            grantTypes=["authorization_code", "refresh_token"],
            redirectUris=["http://127.0.0.1/oauth/callback"], issuerUrl=START_URL)
        redirect = "http://127.0.0.1:49321/oauth/callback"

        def authorize(challenge, state="st4te", redirect_uri=redirect):
            q = urllib.parse.urlencode({
                "response_type": "code", "client_id": reg["clientId"],
                "redirect_uri": redirect_uri, "state": state,
                "code_challenge_method": "S256", "code_challenge": challenge,
                "scopes": "sso:account:access"})
            conn = http.client.HTTPConnection("127.0.0.1", self.fake.port, timeout=10)
            conn.request("GET", "/authorize?" + q)
            r = conn.getresponse()
            r.read()
            conn.close()
            return r.status, r.getheader("Location")

        verifier, challenge = pkce_pair()
        status, loc = authorize(challenge)
        self.assertEqual(status, 302)
        self.assertTrue(loc.startswith(redirect + "?"))
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(loc).query))
        self.assertEqual(q["state"], "st4te")
        tok = self.oidc.create_token(clientId=reg["clientId"], clientSecret=reg["clientSecret"],
                                     grantType="authorization_code", code=q["code"],
                                     codeVerifier=verifier, redirectUri=redirect)
        self.assertIn("accessToken", tok)
        self.assertIn("refreshToken", tok)
        self.sso.list_accounts(accessToken=tok["accessToken"])
        with self.assertRaises(ClientError) as ctx:  # codes are single-use
            self.oidc.create_token(clientId=reg["clientId"], clientSecret=reg["clientSecret"],
                                   grantType="authorization_code", code=q["code"],
                                   codeVerifier=verifier, redirectUri=redirect)
        self.assert_error(ctx, "InvalidGrantException", 400, "invalid_grant")

        verifier, challenge = pkce_pair()
        _, loc = authorize(challenge)
        code = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(loc).query))["code"]
        with self.assertRaises(ClientError) as ctx:
            self.oidc.create_token(clientId=reg["clientId"], clientSecret=reg["clientSecret"],
                                   grantType="authorization_code", code=code,
                                   codeVerifier=verifier + "x", redirectUri=redirect)
        self.assert_error(ctx, "InvalidGrantException", 400, "invalid_grant")

        _, loc = authorize(challenge)
        code = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(loc).query))["code"]
        with self.assertRaises(ClientError) as ctx:
            self.oidc.create_token(clientId=reg["clientId"], clientSecret=reg["clientSecret"],
                                   grantType="authorization_code", code=code,
                                   codeVerifier=verifier,
                                   redirectUri="http://127.0.0.1:1/oauth/callback")
        self.assert_error(ctx, "InvalidGrantException", 400)

        status, loc = authorize(challenge, redirect_uri="http://127.0.0.1:49321/elsewhere")
        self.assertEqual((status, loc), (400, None))

        self.ctl("POST", "config", {"authorize_error": "access_denied"})
        status, loc = authorize(challenge, state="abc")
        self.assertEqual(status, 302)
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(loc).query))
        self.assertEqual((q["error"], q["state"]), ("access_denied", "abc"))
        self.assertNotIn("code", q)
        self.assertEqual(self.ctl("GET", "counters")["token_authorization_code"], 4)

    def test_concurrent_requests_with_latency(self):
        _, tok = self.device_login()
        self.ctl("POST", "config", {"latency_ms": 50})
        n = 50
        barrier = threading.Barrier(n + 1)
        results = [None] * n

        def worker(i):
            conn = http.client.HTTPConnection("127.0.0.1", self.fake.port, timeout=10)
            conn.connect()
            barrier.wait()
            t0 = time.monotonic()
            conn.request("GET", "/assignment/accounts",
                         headers={"x-amz-sso_bearer_token": tok["accessToken"]})
            r = conn.getresponse()
            r.read()
            results[i] = (r.status, time.monotonic() - t0)
            conn.close()

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        barrier.wait()
        t0 = time.monotonic()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - t0
        self.assertTrue(all(r[0] == 200 for r in results), results)
        self.assertGreaterEqual(min(r[1] for r in results), 0.05)
        self.assertLess(elapsed, 1.0)

    def test_keepalive_404_and_content_length(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.fake.port, timeout=10)
        conn.request("GET", "/no/such/path")
        r = conn.getresponse()
        body = r.read()
        self.assertEqual(r.status, 404)
        self.assertEqual(int(r.getheader("Content-Length")), len(body))
        self.assertIn("message", json.loads(body))
        sock = conn.sock
        self.assertIsNotNone(sock)
        conn.request("POST", "/logout", headers={"x-amz-sso_bearer_token": "bogus"})
        r = conn.getresponse()
        body = r.read()
        self.assertIs(conn.sock, sock)  # same connection reused
        self.assertEqual(r.status, 401)
        self.assertTrue(r.getheader("x-amzn-ErrorType").startswith("UnauthorizedException"))
        self.assertIn("message", json.loads(body))
        conn.close()


class ProcessTest(unittest.TestCase):
    def test_sigterm_and_state_file(self):
        with tempfile.TemporaryDirectory() as d:
            state = os.path.join(d, "state.json")
            fake = FakeProcess("--auto-approve", "--state-file", state, "--token-ttl", "100")
            try:
                oidc, sso = make_clients(fake.url, retries=False)
                reg = oidc.register_client(clientName="x", clientType="public")
                dev = oidc.start_device_authorization(
                    clientId=reg["clientId"], clientSecret=reg["clientSecret"], startUrl=START_URL)
                tok = oidc.create_token(clientId=reg["clientId"], clientSecret=reg["clientSecret"],
                                        grantType=DEVICE_GRANT, deviceCode=dev["deviceCode"])
                self.assertEqual(tok["expiresIn"], 100)
            finally:
                rc, rest = fake.stop(signal.SIGTERM)
                fake.cleanup()
            self.assertEqual((rc, rest), (0, b""))
            fake = FakeProcess("--state-file", state)
            try:
                _, sso = make_clients(fake.url, retries=False)
                sso.list_accounts(accessToken=tok["accessToken"])
                oidc, _ = make_clients(fake.url, retries=False)
                oidc.create_token(clientId=reg["clientId"], clientSecret=reg["clientSecret"],
                                  grantType="refresh_token", refreshToken=tok["refreshToken"])
            finally:
                rc, _ = fake.stop(signal.SIGINT)
                fake.cleanup()
            self.assertEqual(rc, 0)


if __name__ == "__main__":
    prog = unittest.main(exit=False, verbosity=2)
    sys.exit(0 if prog.result.wasSuccessful() else 1)
