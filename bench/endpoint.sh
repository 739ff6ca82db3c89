#!/usr/bin/env bash
# Benchmark dsops's credential endpoint and eks-token side by side with the
# AWS CLI v2 and /bin/true.
#
#   bench/endpoint.sh            # builds the release binary first
#   DSOPS=/path/to/dsops bench/endpoint.sh
#
# 1. Warm `dsops eks-token` (token cached) vs `aws eks get-token
#    --cluster-name X` (AWS CLI v2, role credentials cached) vs /bin/true.
#    Targets: >= 200x faster than the AWS CLI, <= 2x /bin/true.
# 2. One endpoint request answered from the cache (`dsops exec --profile P`
#    with a command that sleeps): latency with one client, and requests per
#    second with 8 concurrent clients (wrk, a new connection per request,
#    as the endpoint closes each one).
# 3. `dsops exec --profile P -- /bin/true` (endpoint, child, signals) vs
#    plain `dsops exec --env E -- /bin/true` (execvp) vs /bin/true.
#    Target: <= 2 ms over plain exec.
# Everything runs in a private HOME; nothing touches ~/.aws.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z ${DSOPS-} ]]; then
  cargo build --release --quiet
  DSOPS=$PWD/target/release/dsops
fi
AWS=${AWS_CLI:-/usr/bin/aws}
for tool in hyperfine wrk python3; do
  command -v "$tool" >/dev/null || { echo "$tool is required (apt-get install $tool)"; exit 1; }
done
[ -x "$AWS" ] || { echo "the AWS CLI v2 is required at $AWS (apt-get install awscli)"; exit 1; }

work=$(mktemp -d)
idc_pid="" exec_pid=""
cleanup() {
  [ -n "$exec_pid" ] && kill -TERM "$exec_pid" 2>/dev/null && wait "$exec_pid" 2>/dev/null
  [ -n "$idc_pid" ] && kill "$idc_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
. bench/installed.sh
export HOME=$work XDG_CONFIG_HOME=$work/.config XDG_DATA_HOME=$work/.local/share \
  XDG_STATE_HOME=$work/.local/state XDG_CACHE_HOME=$work/.cache
export AWS_CONFIG_FILE=$work/.aws/config
mkdir -p "$work/.aws"
python3 tests/support/fake_idc.py --port 0 --interval 0 > "$work/idc.out" 2>/dev/null &
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
# A plain env set for the execvp comparison.
cat > "$work/plain.yaml" <<'YAML'
version: 1
secretStores:
  lit:
    type: literal
    values: {GREETING: hello}
envs:
  e:
    GREETING: {from: {store: lit, key: GREETING}}
YAML
# shellcheck disable=SC2016 # $1 is for the browser script
printf '#!/bin/sh\npython3 -c "import sys,urllib.request;urllib.request.urlopen(sys.argv[1]).read()" "$1"\n' > "$work/browser"
chmod +x "$work/browser"
BROWSER=$work/browser "$DSOPS" creds --profile bench >/dev/null 2>&1
"$DSOPS" eks-token --cluster bench --profile bench >/dev/null
"$AWS" eks get-token --cluster-name bench --profile bench >/dev/null

echo "== 1. warm eks-token"
hyperfine -N --warmup 20 --runs 300 --export-json "$work/eks.json" \
  -n true '/bin/true' \
  -n dsops "$DSOPS eks-token --cluster bench --profile bench" >/dev/null
hyperfine --warmup 2 --runs 10 --export-json "$work/awseks.json" \
  -n aws-cli-v2 "$AWS eks get-token --cluster-name bench --profile bench" >/dev/null

echo "== 2. endpoint requests from the cache (wrk)"
"$DSOPS" exec --profile bench -- sh -c "env > '$work/ep.env.tmp' && mv '$work/ep.env.tmp' '$work/ep.env'; exec sleep 600" &
exec_pid=$!
for _ in $(seq 200); do [ -f "$work/ep.env" ] && break; sleep 0.02; done
uri=$(sed -n 's/^AWS_CONTAINER_CREDENTIALS_FULL_URI=//p' "$work/ep.env")
token=$(sed -n 's/^AWS_CONTAINER_AUTHORIZATION_TOKEN=//p' "$work/ep.env")
wrk -t1 -c1 -d5s --latency -H "Authorization: $token" "$uri" > "$work/wrk1.txt"
wrk -t2 -c8 -d5s --latency -H "Authorization: $token" "$uri" > "$work/wrk8.txt"
if grep -q 'Non-2xx' "$work/wrk1.txt" "$work/wrk8.txt"; then
  echo "the endpoint answered something but 200:"; cat "$work/wrk1.txt" "$work/wrk8.txt"; exit 1
fi
kill -TERM "$exec_pid"; wait "$exec_pid" 2>/dev/null || true; exec_pid=""

echo "== 3. exec start-up"
hyperfine -N --warmup 20 --runs 300 --export-json "$work/exec.json" \
  -n true '/bin/true' \
  -n plain-exec "$DSOPS --config $work/plain.yaml exec --env e -- /bin/true" \
  -n endpoint-exec "$DSOPS exec --profile bench -- /bin/true" >/dev/null

python3 - "$work" <<'PY'
import json, re, sys
w = sys.argv[1]
def mean(f, name):
    for r in json.load(open(f"{w}/{f}"))["results"]:
        if r["command"] == name:
            return r["mean"], r["stddev"]
def cpu(f, name):
    # user + system time: steadier than wall time on a busy machine.
    for r in json.load(open(f"{w}/{f}"))["results"]:
        if r["command"] == name:
            return r["user"] + r["system"]
t, _ = mean("eks.json", "true"); d, ds = mean("eks.json", "dsops"); a, _ = mean("awseks.json", "aws-cli-v2")
print(f"warm eks-token: dsops {d*1e3:.3f} ms (±{ds*1e3:.3f}), /bin/true {t*1e3:.3f} ms, aws eks get-token {a*1e3:.1f} ms")
print(f"  dsops / true = {d/t:.2f}x (target <= 2x); aws-cli / dsops = {a/d:.0f}x faster (target >= 200x)")
ct, cd, ca = cpu("eks.json", "true"), cpu("eks.json", "dsops"), cpu("awseks.json", "aws-cli-v2")
print(f"  CPU time: dsops {cd*1e3:.3f} ms, /bin/true {ct*1e3:.3f} ms, aws {ca*1e3:.1f} ms: {cd/ct:.2f}x /bin/true, aws {ca/cd:.0f}x dsops")
def wrk(f):
    text = open(f"{w}/{f}").read()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    lat = {p: m for p, m in re.findall(r"^\s+(50|90|99)%\s+(\S+)", text, re.M)}
    avg = re.search(r"Latency\s+(\S+)", text).group(1)
    return rps, avg, lat
for f, label in (("wrk1.txt", "1 client"), ("wrk8.txt", "8 concurrent clients")):
    rps, avg, lat = wrk(f)
    print(f"endpoint, {label}: {rps:.0f} requests/s; latency mean {avg}, p50 {lat.get('50')}, p90 {lat.get('90')}, p99 {lat.get('99')}")
t, _ = mean("exec.json", "true"); p, ps = mean("exec.json", "plain-exec"); e, es = mean("exec.json", "endpoint-exec")
print(f"exec start-up: endpoint {e*1e3:.3f} ms (±{es*1e3:.3f}), plain exec {p*1e3:.3f} ms (±{ps*1e3:.3f}), /bin/true {t*1e3:.3f} ms")
print(f"  endpoint over plain exec = {(e-p)*1e3:.3f} ms (target <= 2 ms); over /bin/true = {(e-t)*1e3:.3f} ms")
ct, cp, ce = cpu("exec.json", "true"), cpu("exec.json", "plain-exec"), cpu("exec.json", "endpoint-exec")
print(f"  CPU time: endpoint {ce*1e3:.3f} ms, plain exec {cp*1e3:.3f} ms, /bin/true {ct*1e3:.3f} ms: endpoint over plain exec {(ce-cp)*1e3:.3f} ms")
PY
