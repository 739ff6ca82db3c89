#!/usr/bin/env bash
# Benchmark `dsops creds` with the SSO session in the OS keyring
# (tokens: {storage: keyring}) against the token file and /bin/true, on a
# private D-Bus session bus with its own GNOME Keyring (nothing touches the
# desktop's keyring or ~/.aws).
#
#   bench/keyring.sh            # builds the release binary first
#   DSOPS=/path/to/dsops bench/keyring.sh
#
# 1. Warm path, role credentials cached on disk: file vs keyring vs
#    /bin/true (keyring mode reads no keyring here; target <= 2x /bin/true).
# 2. role_credentials: keyring: every creds reads the keyring (D-Bus).
# 3. creds that must refresh the token (fake Identity Center, 20 ms latency):
#    file vs keyring.
# Peak memory (max RSS) of one creds call in each mode.
# Needs hyperfine, dbus-daemon, gnome-keyring-daemon, secret-tool, python3.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z ${DSOPS-} ]]; then
  cargo build --release --quiet
  DSOPS=$PWD/target/release/dsops
fi
for t in hyperfine dbus-daemon gnome-keyring-daemon secret-tool python3; do
  command -v $t >/dev/null || { echo "$t is required"; exit 1; }
done
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$work"' EXIT
export XDG_RUNTIME_DIR=$work/run XDG_DATA_HOME=$work/share
mkdir -p "$XDG_RUNTIME_DIR" "$XDG_DATA_HOME"
chmod 700 "$XDG_RUNTIME_DIR"
cat > "$work/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>session</type><listen>unix:path=$work/bus</listen>
<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy></busconfig>
CONF
dbus-daemon --config-file="$work/bus.conf" --nofork 2>/dev/null & pids+=($!)
for _ in $(seq 100); do [ -S "$work/bus" ] && break; sleep 0.05; done
export DBUS_SESSION_BUS_ADDRESS=unix:path=$work/bus
printf 'bench-password' | HOME=$work gnome-keyring-daemon --foreground --unlock --components=secrets >/dev/null 2>&1 & pids+=($!)
sleep 1
python3 tests/support/fake_idc.py --port 0 --interval 0 --latency-ms 20 > "$work/idc.out" 2>/dev/null & pids+=($!)
for _ in $(seq 100); do grep -q READY "$work/idc.out" 2>/dev/null && break; sleep 0.05; done
url=$(sed -n 's/^READY //p' "$work/idc.out")
export AWS_ENDPOINT_URL_SSO_OIDC=$url AWS_ENDPOINT_URL_SSO=$url DSOPS_USE_DEVICE_CODE=1
# shellcheck disable=SC2016 # $1 is for the browser script to expand
printf '#!/bin/sh\npython3 -c "import sys,urllib.request;urllib.request.urlopen(sys.argv[1]).read()" "$1"\n' > "$work/browser"
chmod +x "$work/browser"

# One HOME per mode: file, keyring (role credentials on disk), keyring-roles.
setup() { # NAME TOKENS-YAML
  local h=$work/$1
  mkdir -p "$h/.aws" "$h/.config/dsops"
  cat > "$h/.aws/config" <<CFG
[sso-session bench-$1]
sso_start_url = https://d-0000000000.awsapps.com/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access

[profile bench]
sso_session = bench-$1
sso_account_id = 111111111111
sso_role_name = DeveloperAccess
region = us-east-1
CFG
  printf 'version: 1\n%s' "$2" > "$h/.config/dsops/config.yaml"
  (use "$1"; BROWSER=$work/browser "$DSOPS" creds --profile bench >/dev/null 2>&1)
}
use() { export HOME=$work/$1 XDG_CONFIG_HOME=$work/$1/.config AWS_CONFIG_FILE=$work/$1/.aws/config; }
setup file ''
setup keyring $'tokens:\n  storage: keyring\n'
setup roles $'tokens:\n  storage: keyring\n  role_credentials: keyring\n'
[ -z "$(ls "$work/keyring/.aws/sso/cache/"*.json 2>/dev/null)" ] || { echo "a token file in keyring mode"; exit 1; }

run() { # MODE NAME hyperfine-args...
  local mode=$1 name=$2; shift 2
  (use "$mode"; hyperfine -N --export-json "$work/$name.json" "$@" >/dev/null)
}
echo "== 1. warm creds, role credentials cached on disk"
run file warm-file --warmup 20 --runs 300 -n true /bin/true -n file "$DSOPS creds --profile bench"
run keyring warm-keyring --warmup 20 --runs 300 -n true /bin/true -n keyring "$DSOPS creds --profile bench"
echo "== 2. role_credentials: keyring"
run roles warm-roles --warmup 20 --runs 300 -n true /bin/true -n roles "$DSOPS creds --profile bench"

echo "== 3. creds that refresh the token (fake server latency 20 ms)"
cat > "$work/expire.py" <<'PY'
import json, subprocess, sys, glob, os, datetime
mode, home = sys.argv[1], sys.argv[2]
soon = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
for f in glob.glob(f"{home}/.aws/cli/cache/*.json"):
    os.remove(f)
if mode == "file":
    [f] = glob.glob(f"{home}/.aws/sso/cache/*.json")
    t = json.load(open(f)); t["expiresAt"] = soon; json.dump(t, open(f, "w"))
else:
    import hashlib
    acct = hashlib.sha1(f"bench-{mode}".encode()).hexdigest()
    t = json.loads(subprocess.run(["secret-tool", "lookup", "service", "dsops", "account", acct],
                                  capture_output=True, check=True).stdout)
    t["expiresAt"] = soon
    subprocess.run(["secret-tool", "store", "--label", "bench", "service", "dsops", "account", acct],
                   input=json.dumps(t).encode(), check=True)
PY
run file refresh-file --warmup 2 --runs 40 --prepare "python3 $work/expire.py file $work/file" -n file "$DSOPS creds --profile bench"
run keyring refresh-keyring --warmup 2 --runs 40 --prepare "python3 $work/expire.py keyring $work/keyring" -n keyring "$DSOPS creds --profile bench"

echo "== peak memory (max RSS) of one warm creds"
for m in file keyring roles; do
  (use $m; /usr/bin/time -f "$m %M KiB" "$DSOPS" creds --profile bench 2>&1 >/dev/null | tail -1)
done

python3 - "$work" <<'PY'
import json, sys
w = sys.argv[1]
def mean(f, name):
    for r in json.load(open(f"{w}/{f}.json"))["results"]:
        if r["command"] == name:
            return r["mean"] * 1e3, r["stddev"] * 1e3
for f, n in [("warm-file", "file"), ("warm-keyring", "keyring"), ("warm-roles", "roles")]:
    t, _ = mean(f, "true"); d, s = mean(f, n)
    print(f"warm creds {n:8}: {d:.3f} ms (±{s:.3f}); /bin/true {t:.3f} ms; {d/t:.2f}x /bin/true")
for n in ["file", "keyring"]:
    d, s = mean(f"refresh-{n}", n)
    print(f"creds with a token refresh, {n:8}: {d:.2f} ms (±{s:.2f})")
PY
