#!/usr/bin/env bash
# Benchmark `dsops creds` side by side with the AWS CLI v2 and /bin/true.
#
#   bench/creds.sh            # builds the release binary first
#   DSOPS=/path/to/dsops bench/creds.sh
#
# 1. Warm path: role credentials cached. dsops vs `aws configure
#    export-credentials --format process` (AWS CLI v2, same warm cache) vs
#    /bin/true. Targets: >= 200x faster than the AWS CLI, <= 2x /bin/true.
# 2. Valid token, no cached role credentials: dsops (one GetRoleCredentials)
#    vs the same request's round trip timed inside one Python process,
#    against the same fake Identity Center with 20 ms latency.
#    Target: <= 5 ms overhead.
# Everything runs in a private HOME; nothing touches ~/.aws.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z ${DSOPS-} ]]; then
  cargo build --release --quiet
  DSOPS=$PWD/target/release/dsops
fi
AWS=${AWS_CLI:-/usr/bin/aws}
command -v hyperfine >/dev/null || { echo "hyperfine is required (apt-get install hyperfine)"; exit 1; }
[ -x "$AWS" ] || { echo "the AWS CLI v2 is required at $AWS (apt-get install awscli)"; exit 1; }

work=$(mktemp -d)
trap 'kill $idc_pid 2>/dev/null; rm -rf "$work"' EXIT
. bench/installed.sh
export HOME=$work XDG_CONFIG_HOME=$work/.config XDG_DATA_HOME=$work/.local/share XDG_STATE_HOME=$work/.local/state
export AWS_CONFIG_FILE=$work/.aws/config
mkdir -p "$work/.aws"
python3 tests/support/fake_idc.py --port 0 --interval 0 --latency-ms 20 > "$work/idc.out" 2>/dev/null &
idc_pid=$!
for _ in $(seq 100); do grep -q READY "$work/idc.out" 2>/dev/null && break; sleep 0.05; done
url=$(sed -n 's/^READY //p' "$work/idc.out")
export AWS_ENDPOINT_URL_SSO_OIDC=$url AWS_ENDPOINT_URL_SSO=$url
cat > "$AWS_CONFIG_FILE" <<CFG
[sso-session bench]
sso_start_url = https://d-0000000000.awsapps.com/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access

[profile bench]
sso_session = bench
sso_account_id = 111111111111
sso_role_name = DeveloperAccess
region = us-east-1
CFG
printf '#!/bin/sh\npython3 -c "import sys,urllib.request;urllib.request.urlopen(sys.argv[1]).read()" "$1"\n' > "$work/browser"
chmod +x "$work/browser"
BROWSER=$work/browser "$DSOPS" creds --profile bench >/dev/null 2>&1
"$AWS" configure export-credentials --profile bench --format process >/dev/null

echo "== 1. warm creds (cached role credentials)"
hyperfine -N --warmup 20 --runs 300 --export-json "$work/warm.json" \
  -n true '/bin/true' \
  -n dsops "$DSOPS creds --profile bench" >/dev/null
hyperfine --warmup 2 --runs 10 --export-json "$work/awscli.json" \
  -n aws-cli-v2 "$AWS configure export-credentials --profile bench --format process" >/dev/null

echo "== 2. valid token, no cached role credentials (fake server latency 20 ms)"
token=$(python3 -c 'import json,glob,os; print(json.load(open(glob.glob(os.path.expanduser("~/.aws/sso/cache/*.json"))[0]))["accessToken"])')
hyperfine -N --warmup 3 --runs 60 --export-json "$work/cold.json" \
  --prepare "rm -rf $work/.aws/cli/cache" \
  -n dsops "$DSOPS creds --profile bench" >/dev/null
# The round trip itself: the same GetRoleCredentials request on a new
# connection each time, timed inside one Python process (no process start).
python3 - "$url" "$token" > "$work/roundtrip.txt" <<'RT'
import http.client, sys, time, urllib.parse
u = urllib.parse.urlparse(sys.argv[1]); times = []
for i in range(63):
    t = time.perf_counter()
    c = http.client.HTTPConnection(u.hostname, u.port)
    c.request("GET", "/federation/credentials?role_name=DeveloperAccess&account_id=111111111111",
              headers={"x-amz-sso_bearer_token": sys.argv[2]})
    c.getresponse().read(); c.close()
    if i >= 3: times.append(time.perf_counter() - t)
print(sum(times) / len(times))
RT

python3 - "$work" <<'PY'
import json, sys
w = sys.argv[1]
def mean(f, name):
    for r in json.load(open(f"{w}/{f}"))["results"]:
        if r["command"] == name:
            return r["mean"], r["stddev"]
t, _ = mean("warm.json", "true"); d, ds = mean("warm.json", "dsops"); a, _ = mean("awscli.json", "aws-cli-v2")
print(f"warm creds: dsops {d*1e3:.3f} ms (±{ds*1e3:.3f}), /bin/true {t*1e3:.3f} ms, aws-cli-v2 {a*1e3:.1f} ms")
print(f"  dsops / true = {d/t:.2f}x (target <= 2x); aws-cli / dsops = {a/d:.0f}x faster (target >= 200x)")
c, cs = mean("cold.json", "dsops"); u = float(open(f"{w}/roundtrip.txt").read())
print(f"no cached role credentials: dsops {c*1e3:.2f} ms (±{cs*1e3:.2f}), the GetRoleCredentials round trip alone {u*1e3:.2f} ms")
print(f"  overhead over the round trip = {(c-u)*1e3:.2f} ms (target <= 5 ms)")
PY
