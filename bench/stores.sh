#!/usr/bin/env bash
# Benchmark: an env set of 50 Secrets Manager values vs one value, against a
# server that answers each request in 50 ms (bench/stores/fake_sm.py, which
# speaks GetSecretValue as the SDK sends it, SigV4 and all).
#
#   bench/stores.sh            # builds the release binary first
#   DELAY_MS=100 N=50 bench/stores.sh
#
# Target: wall time of `dsops export` for 50 values <= 3x that for 1 value
# (requests run concurrently; done sequentially it would be ~50x).
# Everything runs in a private HOME; nothing touches ~/.aws.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-50}
DELAY_MS=${DELAY_MS:-50}
if [ -z "${DSOPS:-}" ]; then
  cargo build --release --quiet
  DSOPS=$PWD/target/release/dsops
fi
command -v hyperfine >/dev/null || { echo "hyperfine is required (apt-get install hyperfine)"; exit 1; }

work=$(mktemp -d)
trap 'kill $sm_pid 2>/dev/null; rm -rf "$work"' EXIT
. bench/installed.sh
export HOME=$work XDG_CONFIG_HOME=$work/.config XDG_DATA_HOME=$work/.local/share XDG_STATE_HOME=$work/.local/state
export AWS_CONFIG_FILE=$work/.aws/config AWS_SHARED_CREDENTIALS_FILE=$work/.aws/credentials
export AWS_ACCESS_KEY_ID=AKIDBENCH AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1
python3 bench/stores/fake_sm.py --delay-ms "$DELAY_MS" > "$work/sm.out" 2>/dev/null &
sm_pid=$!
for _ in $(seq 100); do grep -q READY "$work/sm.out" 2>/dev/null && break; sleep 0.05; done
AWS_ENDPOINT_URL_SECRETS_MANAGER=$(sed -n 's/^READY //p' "$work/sm.out")
export AWS_ENDPOINT_URL_SECRETS_MANAGER

{
  printf 'version: 1\nsecretStores:\n  sm:\n    type: aws.secretsmanager\nenvs:\n  one:\n'
  printf '    V0: {from: {store: sm, key: app/secret-0}}\n'
  printf '  many:\n'
  for i in $(seq 0 $((N - 1))); do
    printf '    V%d: {from: {store: sm, key: app/secret-%d}}\n' "$i" "$i"
  done
} > "$work/config.yaml"
export DSOPS_CONFIG=$work/config.yaml
# Sanity: every value arrives.
got=$("$DSOPS" export --env many --format json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$got" = "$N" ] || { echo "expected $N values, got $got"; exit 1; }

echo "== $N Secrets Manager values vs 1, server latency ${DELAY_MS} ms per request"
hyperfine -N --warmup 3 --runs 30 --export-json "$work/stores.json" \
  -n "1 value" "$DSOPS export --env one" \
  -n "$N values" "$DSOPS export --env many" >/dev/null

python3 - "$work" "$N" "$DELAY_MS" <<'PY'
import json, sys
w, n, delay = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
res = {r["command"]: r for r in json.load(open(f"{w}/stores.json"))["results"]}
one, many = res["1 value"], res[f"{n} values"]
print(f"1 value:   {one['mean']*1e3:7.1f} ms (±{one['stddev']*1e3:.1f}, min {one['min']*1e3:.1f})")
print(f"{n} values: {many['mean']*1e3:7.1f} ms (±{many['stddev']*1e3:.1f}, min {many['min']*1e3:.1f})")
print(f"ratio {many['mean']/one['mean']:.2f}x (target <= 3x; sequential would be ~{n * delay / 1e3 / one['mean']:.0f}x)")
PY
