#!/usr/bin/env bash
# Benchmark the multi-account work (issue 12), side by side with peers.
#
#   bench/multi.sh            # builds the release binary first
#   DSOPS=/path/to/dsops bench/multi.sh
#
# 1. Cached `creds --profile` with a 10,000-profile AWS config against the
#    same with a 3-profile config, in one hyperfine run (the profile is the
#    last one of the big file). Target: <= 1.5x.
# 2. `sso populate` of 2,000 account/role pairs (400 accounts x 5 roles)
#    from the fake Identity Center answering each request in 20 ms: wall
#    time (target: under 3 s) and requests made.
# 3. Cached chained `creds` (role_arn + source_profile after SSO, the
#    AssumeRole entry warm in ~/.aws/cli/cache) against
#    `aws configure export-credentials` (AWS CLI v2) for the same profile,
#    whose cache is the same file. Target: >= 200x faster.
# Everything runs in a private HOME; nothing touches ~/.aws.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z ${DSOPS-} ]]; then
  cargo build --release --quiet
  DSOPS=$PWD/target/release/dsops
fi
AWS=${AWS_CLI:-/usr/bin/aws}
command -v hyperfine >/dev/null || { echo "hyperfine is required (apt-get install hyperfine)"; exit 1; }
command -v moto_server >/dev/null || { echo "moto_server is required (pip install 'moto[server]')"; exit 1; }
[ -x "$AWS" ] || { echo "the AWS CLI v2 is required at $AWS (apt-get install awscli)"; exit 1; }

work=$(mktemp -d)
trap 'kill $idc_pid $moto_pid 2>/dev/null; rm -rf "$work"' EXIT
. bench/installed.sh
export HOME=$work XDG_CONFIG_HOME=$work/.config XDG_DATA_HOME=$work/.local/share XDG_STATE_HOME=$work/.local/state
unset AWS_CONFIG_FILE AWS_PROFILE AWS_REGION AWS_DEFAULT_REGION
mkdir -p "$work/.aws"
python3 tests/support/fake_idc.py --port 0 --interval 0 > "$work/idc.out" 2>/dev/null &
idc_pid=$!
moto_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
MOTO_RECORDER_FILEPATH=$work/moto.rec moto_server -H 127.0.0.1 -p "$moto_port" >/dev/null 2>&1 &
moto_pid=$!
for _ in $(seq 100); do grep -q READY "$work/idc.out" 2>/dev/null && break; sleep 0.05; done
url=$(sed -n 's/^READY //p' "$work/idc.out")
for _ in $(seq 200); do python3 -c "import socket; socket.create_connection(('127.0.0.1',$moto_port))" 2>/dev/null && break; sleep 0.1; done
export AWS_ENDPOINT_URL_SSO_OIDC=$url AWS_ENDPOINT_URL_SSO=$url AWS_ENDPOINT_URL_STS=http://127.0.0.1:$moto_port
# moto records requests (to count AssumeRole calls) once asked to.
python3 -c "import sys,urllib.request; urllib.request.urlopen(urllib.request.Request(sys.argv[1]+'/moto-api/recorder/start-recording', method='POST', data=b'')).read()" "$AWS_ENDPOINT_URL_STS"

session='[sso-session bench]
sso_start_url = https://d-0000000000.awsapps.com/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access
'
bench_profile='[profile bench]
sso_session = bench
sso_account_id = 111111111111
sso_role_name = DeveloperAccess
region = us-east-1

[profile chained]
role_arn = arn:aws:iam::222222222222:role/Chained
source_profile = bench
role_session_name = bench
region = us-east-1
'
# The small config: the session, one SSO profile and one chained profile.
printf '%s\n%s' "$session" "$bench_profile" > "$work/small.cfg"
# The big one: 10,000 populated-looking profiles, then the same two.
python3 - "$work/big.cfg" "$session" "$bench_profile" <<'PY'
import sys
path, session, tail = sys.argv[1:4]
with open(path, "w") as f:
    f.write(session + "\n")
    for i in range(10_000):
        f.write(f"[profile team-{i}.Developer]\n# managed by dsops sso populate (sso-session bench)\n"
                f"sso_session = bench\nsso_account_id = {100000000000 + i}\nsso_role_name = Developer\n"
                f"region = eu-west-1\n\n")
    f.write(tail)
PY
ln -sf "$work/small.cfg" "$work/.aws/config"
printf '#!/bin/sh\npython3 -c "import sys,urllib.request;urllib.request.urlopen(sys.argv[1]).read()" "$1"\n' > "$work/browser"
chmod +x "$work/browser"
BROWSER=$work/browser "$DSOPS" creds --profile bench >/dev/null 2>&1
"$DSOPS" creds --profile chained >/dev/null

echo "== 1. cached creds --profile: 10,000-profile config vs 3-profile config ($(wc -c < "$work/big.cfg") bytes vs $(wc -c < "$work/small.cfg"))"
hyperfine -N --warmup 20 --runs 300 --export-json "$work/large.json" \
  --prepare "ln -sf $work/small.cfg $work/.aws/config" -n small "$DSOPS creds --profile bench" \
  --prepare "ln -sf $work/big.cfg $work/.aws/config" -n big "$DSOPS creds --profile bench" >/dev/null

echo "== 2. sso populate of 2,000 account/role pairs, 20 ms per request"
python3 - "$url" <<'PY'
import json, sys, urllib.request
accounts = [{"accountId": f"{300000000000 + i}", "accountName": f"Team {i}", "emailAddress": f"t{i}@example.com",
             "roles": ["Admin", "Developer", "ReadOnly", "Billing", "Audit"]} for i in range(400)]
req = urllib.request.Request(sys.argv[1] + "/_control/config", method="POST",
                             data=json.dumps({"accounts": accounts, "latency_ms": 20}).encode(),
                             headers={"content-type": "application/json"})
urllib.request.urlopen(req).read()
urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/_control/reset", method="POST", data=b"{}")).read()
PY
cp "$work/small.cfg" "$work/populate.base"
hyperfine -N --warmup 1 --runs 5 --export-json "$work/populate.json" \
  --prepare "cp $work/populate.base $work/populate.cfg" \
  -n populate "env AWS_CONFIG_FILE=$work/populate.cfg $DSOPS sso populate --sso-session bench --quiet" >/dev/null
requests=$(python3 -c "import json,sys,urllib.request; c=json.load(urllib.request.urlopen(sys.argv[1]+'/_control/counters')); print((c['list_accounts']+c['list_account_roles'])/6)" "$url")
profiles=$(grep -c '^\[profile ' "$work/populate.cfg")
python3 -c "import json,sys,urllib.request; urllib.request.urlopen(urllib.request.Request(sys.argv[1]+'/_control/config', method='POST', data=json.dumps({'latency_ms': 0}).encode())).read()" "$url"

echo "== 3. cached chained creds vs aws configure export-credentials"
ln -sf "$work/small.cfg" "$work/.aws/config"
"$AWS" configure export-credentials --profile chained --format process >/dev/null
hyperfine -N --warmup 20 --runs 300 --export-json "$work/chain.json" \
  -n dsops "$DSOPS creds --profile chained" >/dev/null
hyperfine --warmup 2 --runs 10 --export-json "$work/chain-aws.json" \
  -n aws-cli-v2 "$AWS configure export-credentials --profile chained --format process" >/dev/null
assumes=$(python3 - "$work/moto.rec" <<'PY'
import base64, json, sys
n = 0
for line in open(sys.argv[1]):
    body = base64.b64decode(json.loads(line).get("body") or b"").decode(errors="replace")
    n += "Action=AssumeRole" in body
print(n)
PY
)

python3 - "$work" "$requests" "$profiles" "$assumes" <<'PY'
import json, sys
w, requests, profiles, assumes = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4]
def mean(f, name):
    for r in json.load(open(f"{w}/{f}"))["results"]:
        if r["command"] == name:
            return r["mean"], r["stddev"]
s, ss = mean("large.json", "small"); b, bs = mean("large.json", "big")
print(f"cached creds --profile: 3 profiles {s*1e3:.3f} ms (±{ss*1e3:.3f}), 10,000 profiles {b*1e3:.3f} ms (±{bs*1e3:.3f})")
print(f"  big / small = {b/s:.2f}x (target <= 1.5x)")
p, ps = mean("populate.json", "populate")
print(f"sso populate, 2,000 pairs, 20 ms per request: {p:.2f} s (±{ps:.2f}), {requests:.0f} requests a run, {profiles} profiles in the file (target < 3 s)")
d, ds = mean("chain.json", "dsops"); a, _ = mean("chain-aws.json", "aws-cli-v2")
print(f"cached chained creds: dsops {d*1e3:.3f} ms (±{ds*1e3:.3f}), aws-cli-v2 {a*1e3:.1f} ms")
print(f"  aws-cli / dsops = {a/d:.0f}x faster (target >= 200x); AssumeRole calls made in all: {assumes} (the one that warmed the cache)")
PY
