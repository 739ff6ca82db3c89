#!/usr/bin/env bash
# Benchmark `dsops use NAME` with cached credentials: the wall time from
# Enter to the next prompt in bash, i.e. the hook's `dsops` function (run the
# binary, eval its lines) followed by the prompt hook, timed with
# EPOCHREALTIME inside one bash. Against the AWS CLI's way to put a profile's
# credentials into a shell:
#   eval "$(aws configure export-credentials --profile NAME --format env)"
# (AWS CLI v2, same warm caches).                              target: <= 10 ms
#
#   bench/use.sh            # builds the release binary first
#   DSOPS=/path/to/dsops N=200 bench/use.sh
# Everything runs in a private HOME; nothing touches ~/.aws.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z ${DSOPS-} ]]; then
  cargo build --release --quiet
  DSOPS=$PWD/target/release/dsops
fi
AWS=${AWS_CLI:-/usr/bin/aws}
N=${N:-200}
[ -x "$AWS" ] || { echo "the AWS CLI v2 is required at $AWS"; exit 1; }

work=$(mktemp -d)
trap 'kill $idc_pid 2>/dev/null; rm -rf "$work"' EXIT
export HOME=$work XDG_CONFIG_HOME=$work/.config XDG_DATA_HOME=$work/.local/share XDG_STATE_HOME=$work/.local/state
export AWS_CONFIG_FILE=$work/.aws/config DSOPS_QUIET=1
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

[profile other]
sso_session = bench
sso_account_id = 222222222222
sso_role_name = DeveloperAccess
CFG
printf '#!/bin/sh\npython3 -c "import sys,urllib.request;urllib.request.urlopen(sys.argv[1]).read()" "$1"\n' > "$work/browser"
chmod +x "$work/browser"
BROWSER=$work/browser "$DSOPS" creds --profile bench >/dev/null 2>&1
"$DSOPS" creds --profile other >/dev/null
"$AWS" configure export-credentials --profile bench --format process >/dev/null

# Milliseconds per switch, median of N, alternating two profiles so each
# switch changes the variables.
bash --noprofile --norc -c '
  eval "$("$1" hook bash)"
  _dsops_hook
  times=()
  for ((i = 0; i < $2; i++)); do
    p=bench; ((i % 2)) && p=other
    s=$EPOCHREALTIME; dsops use "$p"; _dsops_hook; e=$EPOCHREALTIME
    [[ $DSOPS_USE == "$p" ]] || { echo "dsops use $p did not switch" >&2; exit 1; }
    times+=($(( ${e/./} - ${s/./} )))
  done
  printf "%s\n" "${times[@]}" | sort -n | awk "{a[NR]=\$1} END {printf \"dsops use NAME, Enter to prompt: median %.2f ms (N=%d)\n\", a[int((NR+1)/2)]/1000, NR}"
' _ "$DSOPS" "$N"
bash --noprofile --norc -c '
  times=()
  for ((i = 0; i < 20; i++)); do
    s=$EPOCHREALTIME; eval "$("$1" configure export-credentials --profile bench --format env)"; e=$EPOCHREALTIME
    times+=($(( ${e/./} - ${s/./} )))
  done
  printf "%s\n" "${times[@]}" | sort -n | awk "{a[NR]=\$1} END {printf \"eval aws configure export-credentials --format env: median %.2f ms (N=%d)\n\", a[int((NR+1)/2)]/1000, NR}"
' _ "$AWS"
