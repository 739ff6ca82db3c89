#!/usr/bin/env python3
"""Fake AWS IAM Identity Center for dsops tests (standard library only).

Serves, on one loopback port, both
  * the sso-oidc API  (POST /client/register, POST /device_authorization,
    POST /token, and the browser-facing GET /authorize), and
  * the SSO portal API (GET /federation/credentials, GET /assignment/accounts,
    GET /assignment/roles, POST /logout),
in the real AWS REST-JSON wire format (checked against botocore's service
models sso-oidc/2019-06-10 and sso/2019-06-10), plus
  * the console federation endpoint GET /federation?Action=getSigninToken
    &Session=<JSON> (answers {"SigninToken": ...}; the sessions it was given
    are at GET /_control/signin), for `dsops console`,
  * "browser" endpoints GET /approve?user_code=..., GET /deny?user_code=...,
  * a JSON control API under /_control/ for tests (see CONTROL below).

Usage:
  python3 fake_idc.py --port 0 [--latency-ms N] [--token-ttl S] [--refresh-ttl S]
      [--role-ttl S] [--registration-ttl S] [--interval S] [--device-expires S]
      [--auto-approve] [--no-refresh-token] [--state-file PATH]

Prints exactly one line "READY http://127.0.0.1:PORT" on stdout once
listening, logs one line per request on stderr (never a token), and exits 0
on SIGTERM/SIGINT.

Error format (as real AWS sends it):
  sso-oidc: HTTP 400 (401 for InvalidClientException, 500 for
    InternalServerException), header
    "x-amzn-ErrorType: <Code>:http://internal.amazon.com/coral/com.amazonaws.sso.oidc/",
    body {"error": "<oauth_code>", "error_description": "..."} where oauth_code is
    the RFC 6749/8628 snake_case code (authorization_pending, slow_down, ...).
  portal: HTTP 401/403/404/429/400, header
    "x-amzn-ErrorType: <Code>:http://internal.amazon.com/coral/com.amazonaws.switchboard.portal/",
    body {"message": "..."}.
Clients (botocore, aws-smithy) take the code from the header, cut at ':'.

CONTROL (JSON; never delayed, never subject to fault injection):
  GET  /_control/health    -> {"ok": true}
  GET  /_control/counters  -> per-operation counters + get_role_credentials_by_role
                              ("ACCOUNT/ROLE" -> n) + issued_keys (AKID -> "ACCOUNT/ROLE")
  POST /_control/reset     -> zero counters/issued_keys/log; body {"all": true} also
                              forgets clients/tokens/devices and restores startup config
  GET  /_control/config    -> current config
  POST /_control/config    -> set any config key (see DEFAULT_CONFIG); returns config.
                              One-shot actions: expire_access_tokens, expire_registrations,
                              expire_device_codes, revoke_refresh_tokens (true = do it now).
  GET  /_control/tokens    -> {"accessTokens": [...], "refreshTokens": [...]}
  GET  /_control/devices   -> device authorizations and their state
  POST /_control/approve   -> approve pending device authorizations ({"user_code": X} or all)
  GET  /_control/log       -> request log [{t, method, path, op, status}]
  GET  /_control/signin    -> {"sessions": [Session JSON objects given to getSigninToken],
                               "tokens": [SigninTokens issued]}
Pagination: ListAccounts/ListAccountRoles pages hold at most min(maxResults,
page_size) items (config page_size, default 100), with nextToken.
"""

import argparse
import base64
import copy
import hashlib
import http.server
import json
import os
import secrets
import signal
import string
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse
import uuid

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
REFRESH_GRANT = "refresh_token"
AUTHCODE_GRANT = "authorization_code"

OIDC_SUFFIX = ":http://internal.amazon.com/coral/com.amazonaws.sso.oidc/"
PORTAL_SUFFIX = ":http://internal.amazon.com/coral/com.amazonaws.switchboard.portal/"

# Exception name -> (HTTP status, OAuth error code) for sso-oidc, per the botocore model.
OIDC_ERRORS = {
    "AuthorizationPendingException": (400, "authorization_pending"),
    "SlowDownException": (400, "slow_down"),
    "ExpiredTokenException": (400, "expired_token"),
    "InvalidGrantException": (400, "invalid_grant"),
    "InvalidClientException": (401, "invalid_client"),
    "AccessDeniedException": (400, "access_denied"),
    "InvalidRequestException": (400, "invalid_request"),
    "UnauthorizedClientException": (400, "unauthorized_client"),
    "UnsupportedGrantTypeException": (400, "unsupported_grant_type"),
    "InvalidScopeException": (400, "invalid_scope"),
    "InvalidClientMetadataException": (400, "invalid_client_metadata"),
    "InvalidRedirectUriException": (400, "invalid_redirect_uri"),
    "InternalServerException": (500, "server_error"),
    "TooManyRequestsException": (429, "too_many_requests"),
}
PORTAL_ERRORS = {
    "UnauthorizedException": 401,
    "ForbiddenException": 403,
    "ResourceNotFoundException": 404,
    "TooManyRequestsException": 429,
    "InvalidRequestException": 400,
    "InternalServerException": 500,
}

COUNTER_NAMES = [
    "register", "device_authorization", "token_device_code", "token_refresh",
    "token_authorization_code", "token_other", "authorize", "approve", "deny",
    "get_role_credentials", "list_accounts", "list_account_roles", "logout",
    "get_signin_token",
    "injected_failures", "injected_throttles",
]

DEFAULT_ACCOUNTS = [
    {"accountId": acct, "accountName": name, "emailAddress": email,
     "roles": ["DeveloperAccess", "ReadOnlyAccess", "AdministratorAccess"]}
    for acct, name, email in [
        ("111111111111", "Development", "dev@example.com"),
        ("222222222222", "Staging", "staging@example.com"),
        ("123456789012", "Production", "prod@example.com"),
    ]
]

DEFAULT_CONFIG = {
    "latency_ms": 0,             # sleep before answering every non-control request
    "auto_approve": False,       # device codes are approved as soon as issued
    "slow_down_once": False,     # next device_code poll answers SlowDownException
    "enforce_interval": False,   # polls faster than `interval` answer SlowDownException
    "refuse_refresh": False,     # every refresh grant answers InvalidGrantException
    "omit_refresh_token": False,  # no refreshToken in any CreateToken answer
    "strict_refresh_grant": False,  # refreshToken only if client registered grant refresh_token
    "authorize_error": None,     # e.g. "access_denied": /authorize redirects with ?error=
    "token_ttl": 28800,          # accessToken expiresIn (s)
    "refresh_ttl": 7776000,      # refresh token lifetime (s), server side only
    "role_ttl": 3600,            # role credentials lifetime (s)
    "registration_ttl": 7776000,  # clientSecretExpiresAt = now + this (s)
    "interval": 1,               # device authorization polling interval (s, integer)
    "device_expires": 600,       # device authorization expiresIn (s)
    "auth_code_ttl": 600,        # authorization codes lifetime (s)
    "fail_next": 0,              # next N API requests answer 500 InternalServerException
    "throttle_next": 0,          # next N API requests answer 429 TooManyRequestsException
    "fail_ops": None,            # list of op names fail_next/throttle_next apply to (None: all)
    "strict_assignments": False,  # GetRoleCredentials for unassigned account/role -> 403
    "error_type_suffix": True,   # append ":http://internal.amazon.com/coral/..." to x-amzn-ErrorType
    "accounts": DEFAULT_ACCOUNTS,  # [{accountId, accountName, emailAddress, roles: [...]}]
    "page_size": 100,            # at most this many items per ListAccounts/ListAccountRoles page
    # Rewrite fields of successful answers, to play a broken service:
    # {op: {field: value}}, where op is an operation name as counted
    # (register, device_authorization, token_device_code, token_refresh,
    # token_authorization_code, get_role_credentials) and a value of null
    # removes the field. For get_role_credentials the fields are those of
    # roleCredentials. Example: {"get_role_credentials": {"accessKeyId": ""}}.
    "answer_overrides": {},
}
ONE_SHOT_ACTIONS = ("expire_access_tokens", "expire_registrations",
                    "expire_device_codes", "revoke_refresh_tokens")
INT_KEYS = ("latency_ms", "token_ttl", "refresh_ttl", "role_ttl", "registration_ttl",
            "interval", "device_expires", "auth_code_ttl", "fail_next", "throttle_next",
            "page_size")
BOOL_KEYS = ("auto_approve", "slow_down_once", "enforce_interval", "refuse_refresh",
             "omit_refresh_token", "strict_refresh_grant", "strict_assignments",
             "error_type_suffix")

URLSAFE = string.ascii_letters + string.digits + "-_"
UPPER_ALNUM = string.ascii_uppercase + string.digits
USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"


def rand(alphabet, n):
    return "".join(secrets.choice(alphabet) for _ in range(n))


def log(msg):
    try:
        sys.stderr.write(msg + "\n")
        sys.stderr.flush()
    except Exception:
        pass


class ApiError(Exception):
    def __init__(self, kind, code, description):
        super().__init__(code)
        self.kind = kind  # "oidc" | "portal"
        self.code = code
        self.description = description


def oidc_error(code, description):
    return ApiError("oidc", code, description)


def portal_error(code, description):
    return ApiError("portal", code, description)


class Response:
    def __init__(self, status=200, body=b"", content_type="application/json", headers=None):
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers = headers or {}


def json_response(obj, status=200):
    return Response(status, json.dumps(obj, separators=(",", ":")).encode())


def same_redirect_uri(registered, given):
    """AWS ignores the port of loopback redirect URIs (RFC 8252 section 7.3)."""
    try:
        r = urllib.parse.urlsplit(registered)
        g = urllib.parse.urlsplit(given)
    except ValueError:
        return False
    if (r.scheme, r.path or "/", r.query) != (g.scheme, g.path or "/", g.query):
        return False
    if (r.hostname or "") != (g.hostname or ""):
        return False
    if r.hostname in ("127.0.0.1", "localhost", "::1"):
        return True
    return r.port == g.port


class State:
    """All mutable server state; every access holds self.lock."""

    PERSISTED = ("clients", "devices", "access_tokens", "refresh_tokens", "auth_codes",
                 "sessions", "counters", "by_role", "issued_keys")

    def __init__(self, startup_config, state_file=None):
        self.lock = threading.Lock()
        self.startup_config = copy.deepcopy(startup_config)
        self.config = copy.deepcopy(startup_config)
        self.state_file = state_file
        self.base_url = ""
        self.clear_all()
        if state_file and os.path.exists(state_file):
            try:
                with open(state_file) as f:
                    data = json.load(f)
                for k in self.PERSISTED:
                    if k in data:
                        setattr(self, k, data[k])
                for name in COUNTER_NAMES:
                    self.counters.setdefault(name, 0)
                log(f"fake_idc: loaded state from {state_file}")
            except Exception as e:  # noqa: BLE001
                log(f"fake_idc: ignoring unreadable state file {state_file}: {e}")

    def clear_all(self):
        self.clients = {}
        self.devices = {}          # device_code -> record
        self.access_tokens = {}
        self.refresh_tokens = {}
        self.auth_codes = {}
        self.sessions = {}
        self.clear_counters()

    def clear_counters(self):
        self.counters = {name: 0 for name in COUNTER_NAMES}
        self.by_role = {}
        self.issued_keys = {}
        self.request_log = []
        self.signin_sessions = []
        self.signin_tokens = []

    def persist(self):
        if not self.state_file:
            return
        data = {k: getattr(self, k) for k in self.PERSISTED}
        d = os.path.dirname(os.path.abspath(self.state_file))
        fd, tmp = tempfile.mkstemp(prefix=".fake_idc.", dir=d)
        try:
            with os.fdopen(fd, "w") as f:
                json.dump(data, f)
            os.replace(tmp, self.state_file)
        except Exception:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise

    # ---- helpers (caller holds lock) ----

    def check_client(self, body):
        cid = body.get("clientId")
        secret = body.get("clientSecret")
        client = self.clients.get(cid) if isinstance(cid, str) else None
        if client is None or client["clientSecret"] != secret:
            raise oidc_error("InvalidClientException", "Invalid client provided")
        if client["clientSecretExpiresAt"] <= time.time():
            raise oidc_error("InvalidClientException", "Client registration has expired")
        return client

    def check_grant_allowed(self, client, grant):
        allowed = client.get("grantTypes") or []
        if allowed and grant not in allowed:
            raise oidc_error("UnauthorizedClientException",
                             "Client is not authorized to use this grant type")

    def issue_tokens(self, client, session_id, scopes):
        now = time.time()
        cfg = self.config
        access = "aoa" + rand(URLSAFE, 120)
        self.access_tokens[access] = {
            "clientId": client["clientId"], "session": session_id,
            "issuedAt": now, "expiresAt": now + cfg["token_ttl"], "revoked": False,
        }
        out = {"accessToken": access, "tokenType": "Bearer", "expiresIn": int(cfg["token_ttl"])}
        give_refresh = not cfg["omit_refresh_token"]
        if cfg["strict_refresh_grant"] and REFRESH_GRANT not in (client.get("grantTypes") or []):
            give_refresh = False
        if give_refresh:
            refresh = "aor" + rand(URLSAFE, 120)
            self.refresh_tokens[refresh] = {
                "clientId": client["clientId"], "session": session_id, "scopes": scopes,
                "issuedAt": now, "expiresAt": now + cfg["refresh_ttl"], "revoked": False,
            }
            out["refreshToken"] = refresh
        return out

    def new_session(self):
        sid = uuid.uuid4().hex
        self.sessions[sid] = {"revoked": False, "createdAt": time.time()}
        return sid

    def valid_access_token(self, token):
        rec = self.access_tokens.get(token) if token else None
        if (rec is None or rec["revoked"] or rec["expiresAt"] <= time.time()
                or self.sessions.get(rec["session"], {}).get("revoked", True)):
            raise portal_error("UnauthorizedException", "Session token not found or invalid")
        return rec

    def find_account(self, account_id):
        for acct in self.config["accounts"]:
            if acct.get("accountId") == account_id:
                return acct
        return None


class FakeIdcServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    allow_reuse_address = True

    def __init__(self, addr, state):
        self.state = state
        super().__init__(addr, Handler)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeIdentityCenter/1.0"

    def version_string(self):
        return self.server_version

    # silence the default access log: we write our own (without query strings)
    def log_message(self, fmt, *args):  # noqa: D401
        pass

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def do_HEAD(self):
        self.dispatch("HEAD")

    # ---- plumbing ----

    def read_body(self):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            chunks = []
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def send(self, resp):
        try:
            self.send_response(resp.status)
            if resp.body or resp.content_type == "application/json":
                self.send_header("Content-Type", resp.content_type)
            self.send_header("Content-Length", str(len(resp.body)))
            self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
            for k, v in resp.headers.items():
                self.send_header(k, v)
            self.end_headers()
            if self.command != "HEAD" and resp.body:
                self.wfile.write(resp.body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def error_response(self, err):
        st = self.server.state
        with st.lock:
            suffix_on = st.config["error_type_suffix"]
        if err.kind == "oidc":
            status, oauth = OIDC_ERRORS[err.code]
            body = {"error": oauth, "error_description": err.description}
            if err.code in ("TooManyRequestsException", "InternalServerException"):
                body["message"] = err.description
            suffix = OIDC_SUFFIX
        else:
            status = PORTAL_ERRORS[err.code]
            body = {"message": err.description}
            suffix = PORTAL_SUFFIX
        resp = json_response(body, status)
        resp.headers["x-amzn-ErrorType"] = err.code + (suffix if suffix_on else "")
        return resp

    def dispatch(self, method):
        started = time.time()
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        op = "-"
        try:
            raw = self.read_body()
        except Exception:  # noqa: BLE001
            self.close_connection = True
            return
        try:
            if path.startswith("/_control/"):
                op = "control"
                resp = self.handle_control(method, path, raw)
            else:
                op, resp = self.handle_api(method, path, query, raw)
        except Exception:  # noqa: BLE001
            log("fake_idc: internal error:\n" + traceback.format_exc())
            resp = json_response({"message": "fake_idc internal error"}, 500)
            resp.headers["x-amzn-ErrorType"] = "InternalServerException"
        self.send(resp)
        st = self.server.state
        with st.lock:
            if op != "control" and len(st.request_log) < 100000:
                st.request_log.append({"t": started, "method": method, "path": path,
                                       "op": op, "status": resp.status})
            try:
                st.persist()
            except Exception as e:  # noqa: BLE001
                log(f"fake_idc: cannot write state file: {e}")
        log(f"{method} {path} {resp.status} op={op} {int((time.time() - started) * 1000)}ms")

    # ---- API ----

    ROUTES = {
        ("POST", "/client/register"): ("register", "oidc"),
        ("POST", "/device_authorization"): ("device_authorization", "oidc"),
        ("POST", "/token"): (None, "oidc"),
        ("GET", "/authorize"): ("authorize", "browser"),
        ("GET", "/approve"): ("approve", "browser"),
        ("GET", "/deny"): ("deny", "browser"),
        ("GET", "/device"): ("device_page", "browser"),
        ("GET", "/"): ("device_page", "browser"),
        ("GET", "/federation/credentials"): ("get_role_credentials", "portal"),
        ("GET", "/assignment/accounts"): ("list_accounts", "portal"),
        ("GET", "/assignment/roles"): ("list_account_roles", "portal"),
        ("POST", "/logout"): ("logout", "portal"),
        ("GET", "/federation"): ("get_signin_token", "signin"),
    }

    def handle_api(self, method, path, query, raw):
        st = self.server.state
        route = self.ROUTES.get((method, path))
        if route is None:
            resp = json_response({"message": f"No route for {method} {path}"}, 404)
            resp.headers["x-amzn-ErrorType"] = "UnknownOperationException"
            with st.lock:
                latency = st.config["latency_ms"]
            if latency > 0:
                time.sleep(latency / 1000.0)
            return "unknown", resp
        op, kind = route
        body = {}
        bad_json = False
        if kind == "oidc":
            if raw.strip():
                try:
                    body = json.loads(raw)
                    if not isinstance(body, dict):
                        bad_json = True
                        body = {}
                except ValueError:
                    bad_json = True
            if op is None:
                grant = body.get("grantType")
                op = {DEVICE_GRANT: "token_device_code", REFRESH_GRANT: "token_refresh",
                      AUTHCODE_GRANT: "token_authorization_code"}.get(grant, "token_other")

        with st.lock:
            if op in st.counters:
                st.counters[op] += 1
            if op == "get_role_credentials":
                key = f"{query.get('account_id', '')}/{query.get('role_name', '')}"
                st.by_role[key] = st.by_role.get(key, 0) + 1
            latency = st.config["latency_ms"]
        if latency > 0:
            time.sleep(latency / 1000.0)

        try:
            if kind != "browser":
                self.inject_faults(op, kind)
            if bad_json:
                raise oidc_error("InvalidRequestException", "Request body is not a JSON object")
            handler = getattr(self, "op_" + op)
            return op, self.override_answer(op, handler(body, query))
        except ApiError as e:
            return op, self.error_response(e)

    def override_answer(self, op, resp):
        st = self.server.state
        with st.lock:
            fields = dict(st.config["answer_overrides"].get(op) or {})
        if not fields or resp.status != 200 or resp.content_type != "application/json":
            return resp
        answer = json.loads(resp.body)
        target = answer.get("roleCredentials", {}) if op == "get_role_credentials" else answer
        for field, value in fields.items():
            if value is None:
                target.pop(field, None)
            else:
                target[field] = value
        return json_response(answer, resp.status)

    def inject_faults(self, op, kind):
        st = self.server.state
        with st.lock:
            cfg = st.config
            ops = cfg["fail_ops"]
            applies = ops is None or op in ops
            if applies and cfg["fail_next"] > 0:
                cfg["fail_next"] -= 1
                st.counters["injected_failures"] += 1
                raise ApiError(kind, "InternalServerException", "Injected internal failure")
            if applies and cfg["throttle_next"] > 0:
                cfg["throttle_next"] -= 1
                st.counters["injected_throttles"] += 1
                raise ApiError(kind, "TooManyRequestsException", "Rate exceeded")

    # sso-oidc

    def op_register(self, body, query):
        name = body.get("clientName")
        ctype = body.get("clientType")
        if not name or not ctype:
            raise oidc_error("InvalidRequestException", "clientName and clientType are required")
        if ctype != "public":
            raise oidc_error("InvalidClientMetadataException", "clientType must be public")
        grants = body.get("grantTypes") or []
        for g in grants:
            if g not in (DEVICE_GRANT, REFRESH_GRANT, AUTHCODE_GRANT):
                raise oidc_error("UnsupportedGrantTypeException", f"Unsupported grant type {g}")
        redirects = body.get("redirectUris") or []
        for r in redirects:
            if not urllib.parse.urlsplit(r).scheme:
                raise oidc_error("InvalidRedirectUriException", "Invalid redirect URI")
        st = self.server.state
        now = int(time.time())
        with st.lock:
            cid = rand(URLSAFE, 22)
            expires = now + int(st.config["registration_ttl"])
            client = {
                "clientId": cid, "clientSecret": "eyJ" + rand(URLSAFE, 300),
                "clientName": name, "clientType": ctype,
                "scopes": body.get("scopes") or [], "grantTypes": grants,
                "redirectUris": redirects, "issuerUrl": body.get("issuerUrl"),
                "clientIdIssuedAt": now, "clientSecretExpiresAt": expires,
            }
            st.clients[cid] = client
        return json_response({
            "clientId": cid, "clientSecret": client["clientSecret"],
            "clientIdIssuedAt": now, "clientSecretExpiresAt": expires,
        })

    def op_device_authorization(self, body, query):
        st = self.server.state
        with st.lock:
            client = st.check_client(body)
            start_url = body.get("startUrl")
            if not start_url:
                raise oidc_error("InvalidRequestException", "startUrl is required")
            while True:
                user_code = rand(USER_CODE_ALPHABET, 4) + "-" + rand(USER_CODE_ALPHABET, 4)
                if not any(d["userCode"] == user_code for d in st.devices.values()):
                    break
            device_code = rand(URLSAFE, 86)
            now = time.time()
            cfg = st.config
            st.devices[device_code] = {
                "clientId": client["clientId"], "userCode": user_code, "startUrl": start_url,
                "createdAt": now, "expiresAt": now + cfg["device_expires"],
                "interval": int(cfg["interval"]), "lastPoll": None, "polls": 0,
                "status": "approved" if cfg["auto_approve"] else "pending",
            }
            base = st.base_url
            return json_response({
                "deviceCode": device_code, "userCode": user_code,
                "verificationUri": base + "/device",
                "verificationUriComplete": base + "/approve?user_code=" + user_code,
                "expiresIn": int(cfg["device_expires"]), "interval": int(cfg["interval"]),
            })

    def op_token_other(self, body, query):
        st = self.server.state
        with st.lock:
            st.check_client(body)
        if not body.get("grantType"):
            raise oidc_error("InvalidRequestException", "grantType is required")
        raise oidc_error("UnsupportedGrantTypeException", "Unsupported grant type")

    def op_token_device_code(self, body, query):
        st = self.server.state
        with st.lock:
            client = st.check_client(body)
            st.check_grant_allowed(client, DEVICE_GRANT)
            code = body.get("deviceCode")
            if not code:
                raise oidc_error("InvalidRequestException", "deviceCode is required")
            dev = st.devices.get(code)
            if dev is None or dev["clientId"] != client["clientId"]:
                raise oidc_error("InvalidGrantException", "Invalid device code provided")
            now = time.time()
            last = dev["lastPoll"]
            dev["lastPoll"] = now
            dev["polls"] += 1
            if st.config["slow_down_once"]:
                st.config["slow_down_once"] = False
                raise oidc_error("SlowDownException", "Client is polling too fast")
            if dev["expiresAt"] <= now:
                raise oidc_error("ExpiredTokenException", "Device code has expired")
            if (st.config["enforce_interval"] and last is not None
                    and now - last < dev["interval"]):
                raise oidc_error("SlowDownException", "Client is polling too fast")
            status = dev["status"]
            if status == "pending":
                raise oidc_error("AuthorizationPendingException", "Authorization is still pending")
            if status == "denied":
                raise oidc_error("AccessDeniedException", "Access denied by user")
            if status == "consumed":
                raise oidc_error("InvalidGrantException", "Device code has already been used")
            dev["status"] = "consumed"
            out = st.issue_tokens(client, st.new_session(), body.get("scope") or client["scopes"])
        return json_response(out)

    def op_token_refresh(self, body, query):
        st = self.server.state
        with st.lock:
            client = st.check_client(body)
            st.check_grant_allowed(client, REFRESH_GRANT)
            token = body.get("refreshToken")
            if not token:
                raise oidc_error("InvalidRequestException", "refreshToken is required")
            if st.config["refuse_refresh"]:
                raise oidc_error("InvalidGrantException", "Invalid refresh token provided")
            rec = st.refresh_tokens.get(token)
            if (rec is None or rec["revoked"] or rec["clientId"] != client["clientId"]
                    or rec["expiresAt"] <= time.time()
                    or st.sessions.get(rec["session"], {}).get("revoked", True)):
                raise oidc_error("InvalidGrantException", "Invalid refresh token provided")
            out = st.issue_tokens(client, rec["session"], rec["scopes"])
        return json_response(out)

    def op_token_authorization_code(self, body, query):
        st = self.server.state
        with st.lock:
            client = st.check_client(body)
            st.check_grant_allowed(client, AUTHCODE_GRANT)
            code = body.get("code")
            verifier = body.get("codeVerifier")
            redirect = body.get("redirectUri")
            if not code or not verifier or not redirect:
                raise oidc_error("InvalidRequestException",
                                 "code, codeVerifier and redirectUri are required")
            rec = st.auth_codes.get(code)
            if rec is None or rec["clientId"] != client["clientId"]:
                raise oidc_error("InvalidGrantException", "Invalid authorization code provided")
            if rec["used"]:
                raise oidc_error("InvalidGrantException", "Authorization code has already been used")
            if rec["expiresAt"] <= time.time():
                raise oidc_error("InvalidGrantException", "Authorization code has expired")
            if redirect != rec["redirectUri"]:
                raise oidc_error("InvalidGrantException", "redirectUri does not match")
            digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
            challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
            if not secrets.compare_digest(challenge, rec["codeChallenge"]):
                raise oidc_error("InvalidGrantException", "Code verifier does not match")
            rec["used"] = True
            out = st.issue_tokens(client, st.new_session(), rec["scopes"])
        return json_response(out)

    # browser-facing

    def html(self, status, text):
        page = f"<!doctype html><html><body><p>{text}</p></body></html>\n"
        return Response(status, page.encode(), "text/html; charset=utf-8")

    def op_authorize(self, body, query):
        st = self.server.state
        with st.lock:
            client = st.clients.get(query.get("client_id", ""))
            if client is None or client["clientSecretExpiresAt"] <= time.time():
                return self.html(400, "invalid_client")
            redirect = query.get("redirect_uri", "")
            if not redirect or not any(same_redirect_uri(r, redirect)
                                       for r in client["redirectUris"]):
                return self.html(400, "invalid_redirect_uri")
            params = {}
            if query.get("response_type") != "code":
                params = {"error": "unsupported_response_type",
                          "error_description": "response_type must be code"}
            elif (query.get("code_challenge_method") != "S256"
                  or not query.get("code_challenge")):
                params = {"error": "invalid_request",
                          "error_description": "PKCE with code_challenge_method=S256 is required"}
            elif client["grantTypes"] and AUTHCODE_GRANT not in client["grantTypes"]:
                params = {"error": "unauthorized_client",
                          "error_description": "client may not use authorization_code"}
            elif st.config["authorize_error"]:
                params = {"error": st.config["authorize_error"],
                          "error_description": "Injected authorization error"}
            else:
                code = rand(URLSAFE, 64)
                scopes = query.get("scopes")
                st.auth_codes[code] = {
                    "clientId": client["clientId"], "redirectUri": redirect,
                    "codeChallenge": query["code_challenge"],
                    "scopes": scopes.split() if scopes else client["scopes"],
                    "expiresAt": time.time() + st.config["auth_code_ttl"], "used": False,
                }
                params = {"code": code}
            if "state" in query:
                params["state"] = query["state"]
        sep = "&" if urllib.parse.urlsplit(redirect).query else "?"
        location = redirect + sep + urllib.parse.urlencode(params)
        return Response(302, b"", "text/html", {"Location": location})

    def set_device_status(self, query, status):
        st = self.server.state
        user_code = query.get("user_code", "").strip().upper()
        with st.lock:
            for dev in st.devices.values():
                if dev["userCode"] == user_code:
                    if dev["expiresAt"] <= time.time():
                        return self.html(400, "expired")
                    if dev["status"] in ("pending", "approved", "denied"):
                        dev["status"] = status
                    return self.html(200, status)
        return self.html(404, "unknown user code")

    def op_approve(self, body, query):
        return self.set_device_status(query, "approved")

    def op_deny(self, body, query):
        return self.set_device_status(query, "denied")

    def op_device_page(self, body, query):
        return self.html(200, "fake IAM Identity Center: open /approve?user_code=XXXX-XXXX")

    # portal

    def bearer(self):
        return self.headers.get("x-amz-sso_bearer_token") or ""

    def op_get_role_credentials(self, body, query):
        st = self.server.state
        account = query.get("account_id", "")
        role = query.get("role_name", "")
        with st.lock:
            st.valid_access_token(self.bearer())
            if not account or not role:
                raise portal_error("InvalidRequestException",
                                   "role_name and account_id are required")
            if st.config["strict_assignments"]:
                acct = st.find_account(account)
                if acct is None or role not in acct.get("roles", []):
                    raise portal_error("ForbiddenException", "No access")
            while True:
                akid = "ASIA" + rand(UPPER_ALNUM, 16)
                if akid not in st.issued_keys:
                    break
            st.issued_keys[akid] = f"{account}/{role}"
            expiration = int((time.time() + st.config["role_ttl"]) * 1000)
        return json_response({"roleCredentials": {
            "accessKeyId": akid,
            "secretAccessKey": rand(string.ascii_letters + string.digits + "+/", 40),
            "sessionToken": "IQoJb3JpZ2luX2VjE" + rand(string.ascii_letters + string.digits, 300),
            "expiration": expiration,
        }})

    def paginate(self, items, query, key):
        try:
            start = int(base64.urlsafe_b64decode(query["next_token"]).decode()) \
                if query.get("next_token") else 0
            size = int(query["max_result"]) if query.get("max_result") else 100
        except (ValueError, TypeError):
            raise portal_error("InvalidRequestException", "Invalid next_token or max_result")
        if size < 1 or size > 100 or start < 0:
            raise portal_error("InvalidRequestException", "Invalid next_token or max_result")
        with self.server.state.lock:
            size = max(1, min(size, int(self.server.state.config["page_size"])))
        out = {key: items[start:start + size]}
        if start + size < len(items):
            out["nextToken"] = base64.urlsafe_b64encode(str(start + size).encode()).decode()
        return json_response(out)

    def op_list_accounts(self, body, query):
        st = self.server.state
        with st.lock:
            st.valid_access_token(self.bearer())
            items = [{"accountId": a["accountId"], "accountName": a.get("accountName", ""),
                      "emailAddress": a.get("emailAddress", "")} for a in st.config["accounts"]]
        return self.paginate(items, query, "accountList")

    def op_list_account_roles(self, body, query):
        st = self.server.state
        with st.lock:
            st.valid_access_token(self.bearer())
            account = query.get("account_id")
            if not account:
                raise portal_error("InvalidRequestException", "account_id is required")
            acct = st.find_account(account)
            if acct is None:
                raise portal_error("ResourceNotFoundException", "Account not found")
            items = [{"roleName": r, "accountId": account} for r in acct.get("roles", [])]
        return self.paginate(items, query, "roleList")

    def op_get_signin_token(self, body, query):
        st = self.server.state
        if query.get("Action") != "getSigninToken":
            raise portal_error("InvalidRequestException", "Action must be getSigninToken")
        try:
            session = json.loads(query.get("Session", ""))
            assert isinstance(session, dict)
            assert all(session.get(k) for k in ("sessionId", "sessionKey", "sessionToken"))
        except (ValueError, AssertionError):
            raise portal_error("InvalidRequestException", "Session is not the JSON expected")
        token = "fake-signin-" + rand(URLSAFE, 120)
        with st.lock:
            st.signin_sessions.append(session)
            st.signin_tokens.append(token)
        return json_response({"SigninToken": token})

    def op_logout(self, body, query):
        st = self.server.state
        with st.lock:
            rec = st.valid_access_token(self.bearer())
            sid = rec["session"]
            st.sessions.setdefault(sid, {})["revoked"] = True
            for t in list(st.access_tokens.values()) + list(st.refresh_tokens.values()):
                if t["session"] == sid:
                    t["revoked"] = True
        return Response(200, b"", "application/json")

    # ---- control API ----

    def handle_control(self, method, path, raw):
        st = self.server.state
        try:
            body = json.loads(raw) if raw.strip() else {}
            if not isinstance(body, dict):
                raise ValueError("body must be a JSON object")
        except ValueError as e:
            return json_response({"message": f"bad JSON: {e}"}, 400)
        name = path[len("/_control/"):].rstrip("/")
        with st.lock:
            if (method, name) == ("GET", "health"):
                return json_response({"ok": True})
            if (method, name) == ("GET", "counters"):
                out = dict(st.counters)
                out["get_role_credentials_by_role"] = dict(st.by_role)
                out["issued_keys"] = dict(st.issued_keys)
                return json_response(out)
            if (method, name) == ("POST", "reset"):
                if body.get("all"):
                    st.clear_all()
                    st.config = copy.deepcopy(st.startup_config)
                else:
                    st.clear_counters()
                return json_response({"ok": True})
            if (method, name) == ("GET", "config"):
                return json_response(st.config)
            if (method, name) == ("POST", "config"):
                return self.control_config(body)
            if (method, name) == ("GET", "tokens"):
                now = time.time()
                acc = [{"accessToken": t, "clientId": r["clientId"], "session": r["session"],
                        "issuedAt": r["issuedAt"], "expiresAt": r["expiresAt"],
                        "expiresIn": r["expiresAt"] - now, "revoked": r["revoked"],
                        "valid": (not r["revoked"] and r["expiresAt"] > now and not
                                  st.sessions.get(r["session"], {}).get("revoked", True))}
                       for t, r in st.access_tokens.items()]
                ref = [{"refreshToken": t, "clientId": r["clientId"], "session": r["session"],
                        "expiresAt": r["expiresAt"], "revoked": r["revoked"]}
                       for t, r in st.refresh_tokens.items()]
                return json_response({"accessTokens": acc, "refreshTokens": ref})
            if (method, name) == ("GET", "devices"):
                return json_response({"devices": [
                    {"userCode": d["userCode"], "clientId": d["clientId"],
                     "startUrl": d["startUrl"], "status": d["status"], "polls": d["polls"],
                     "createdAt": d["createdAt"], "expiresAt": d["expiresAt"],
                     "interval": d["interval"]} for d in st.devices.values()]})
            if (method, name) == ("POST", "approve"):
                want = body.get("user_code")
                n = 0
                for d in st.devices.values():
                    if d["status"] == "pending" and (want is None or d["userCode"] == want):
                        d["status"] = "approved"
                        n += 1
                return json_response({"approved": n})
            if (method, name) == ("GET", "signin"):
                return json_response({"sessions": list(st.signin_sessions),
                                      "tokens": list(st.signin_tokens)})
            if (method, name) == ("GET", "log"):
                return json_response({"log": list(st.request_log)})
            if (method, name) == ("GET", "clients"):
                return json_response({"clients": list(st.clients.values())})
        return json_response({"message": f"unknown control endpoint {method} {path}"}, 404)

    def control_config(self, body):
        """Caller holds the lock."""
        st = self.server.state
        cfg = st.config
        new = dict(cfg)
        now = time.time()
        for key, value in body.items():
            if key in ONE_SHOT_ACTIONS:
                continue
            if key not in DEFAULT_CONFIG:
                return json_response({"message": f"unknown config key {key!r}"}, 400)
            if key in BOOL_KEYS:
                if not isinstance(value, bool):
                    return json_response({"message": f"{key} must be a boolean"}, 400)
            elif key in INT_KEYS:
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                    return json_response({"message": f"{key} must be a number >= 0"}, 400)
                if key in ("interval", "fail_next", "throttle_next", "device_expires"):
                    value = int(value)
            elif key == "authorize_error":
                if value is not None and not isinstance(value, str):
                    return json_response({"message": "authorize_error must be a string or null"}, 400)
            elif key == "fail_ops":
                if value is not None and not (isinstance(value, list)
                                              and all(isinstance(v, str) for v in value)):
                    return json_response({"message": "fail_ops must be a list or null"}, 400)
            elif key == "answer_overrides":
                if not (isinstance(value, dict) and all(
                        isinstance(op, str) and isinstance(fields, dict)
                        for op, fields in value.items())):
                    return json_response({"message": "answer_overrides must be "
                                          "{op: {field: value or null}}"}, 400)
            elif key == "accounts":
                if not (isinstance(value, list) and all(
                        isinstance(a, dict) and isinstance(a.get("accountId"), str)
                        for a in value)):
                    return json_response({"message": "accounts must be a list of "
                                          "{accountId, accountName, emailAddress, roles}"}, 400)
            new[key] = value
        st.config = new
        if body.get("expire_access_tokens"):
            for r in st.access_tokens.values():
                r["expiresAt"] = min(r["expiresAt"], now)
        if body.get("expire_registrations"):
            for c in st.clients.values():
                c["clientSecretExpiresAt"] = min(c["clientSecretExpiresAt"], int(now))
        if body.get("expire_device_codes"):
            for d in st.devices.values():
                d["expiresAt"] = min(d["expiresAt"], now)
        if body.get("revoke_refresh_tokens"):
            for r in st.refresh_tokens.values():
                r["revoked"] = True
        return json_response(st.config)


def parse_args(argv):
    p = argparse.ArgumentParser(description="Fake AWS IAM Identity Center (sso-oidc + portal)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--latency-ms", type=float, default=0)
    p.add_argument("--token-ttl", type=int, default=DEFAULT_CONFIG["token_ttl"])
    p.add_argument("--refresh-ttl", type=int, default=DEFAULT_CONFIG["refresh_ttl"])
    p.add_argument("--role-ttl", type=int, default=DEFAULT_CONFIG["role_ttl"])
    p.add_argument("--registration-ttl", type=int, default=DEFAULT_CONFIG["registration_ttl"])
    p.add_argument("--interval", type=int, default=DEFAULT_CONFIG["interval"])
    p.add_argument("--device-expires", type=int, default=DEFAULT_CONFIG["device_expires"])
    p.add_argument("--auto-approve", action="store_true")
    p.add_argument("--no-refresh-token", action="store_true")
    p.add_argument("--strict-assignments", action="store_true")
    p.add_argument("--state-file", default=None,
                   help="persist clients/tokens/counters here and reload them at start")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    config = copy.deepcopy(DEFAULT_CONFIG)
    config.update({
        "latency_ms": args.latency_ms, "token_ttl": args.token_ttl,
        "refresh_ttl": args.refresh_ttl, "role_ttl": args.role_ttl,
        "registration_ttl": args.registration_ttl, "interval": args.interval,
        "device_expires": args.device_expires, "auto_approve": args.auto_approve,
        "omit_refresh_token": args.no_refresh_token,
        "strict_assignments": args.strict_assignments,
    })
    state = State(config, args.state_file)
    server = FakeIdcServer((args.host, args.port), state)
    host, port = server.server_address[:2]
    state.base_url = f"http://{host}:{port}"

    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                              daemon=True)
    thread.start()
    sys.stdout.write(f"READY {state.base_url}\n")
    sys.stdout.flush()
    log(f"fake_idc: listening on {state.base_url}")
    while not stop.wait(0.2):
        pass
    server.shutdown()
    server.server_close()
    log("fake_idc: stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
