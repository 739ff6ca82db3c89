#!/usr/bin/env bash
# Cached `dsops creds` on Windows, run under Wine, against `cmd /c exit 0`
# started the same way (wine64 with a persistent wineserver). Wine's own
# start-up dominates both, so the ratio is information, not a target.
#
#   bench/wine.sh             # builds the release dsops.exe first
#   EXE=/path/to/dsops.exe bench/wine.sh
#
# Needs wine64 (Debian: /usr/lib/wine/wine64), x86_64-w64-mingw32-gcc (for
# the ProcessPrng shim that Wine 8 lacks, as in tests/it/windows.rs),
# hyperfine and python3. A private WINEPREFIX and HOME; nothing touches
# ~/.wine or ~/.aws.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z ${EXE-} ]]; then
  cargo build --release --quiet --target x86_64-pc-windows-gnu
  EXE=$PWD/target/x86_64-pc-windows-gnu/release/dsops.exe
fi
WINE=${WINE:-/usr/lib/wine/wine64}
WINESERVER=${WINESERVER:-$(dirname "$WINE")/wineserver64}
for t in hyperfine python3 x86_64-w64-mingw32-gcc "$WINE" "$WINESERVER"; do
  command -v "$t" >/dev/null || { echo "$t is required"; exit 1; }
done

work=$(mktemp -d)
idc_pid=""
cleanup() {
  [[ -n $idc_pid ]] && kill "$idc_pid" 2>/dev/null
  WINEPREFIX=$work/prefix "$WINESERVER" -k 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
export HOME=$work WINEPREFIX=$work/prefix WINEDEBUG=-all
# The shim beside a copy of the .exe.
cp "$EXE" "$work/dsops.exe"
x86_64-w64-mingw32-gcc -shared -O2 -o "$work/bcryptprimitives.dll" \
  tests/support/wine-bcryptprimitives.c -ladvapi32

python3 tests/support/fake_idc.py --port 0 --interval 0 --auto-approve >"$work/idc.out" 2>/dev/null &
idc_pid=$!
for _ in $(seq 100); do grep -q READY "$work/idc.out" 2>/dev/null && break; sleep 0.05; done
url=$(sed -n 's/^READY //p' "$work/idc.out")

"$WINE" wineboot -i >/dev/null 2>&1
# Keep the server between runs (wineboot started it); an error only means it runs.
"$WINESERVER" -p || true
cat >"$work/config" <<CFG
[sso-session s]
sso_start_url = https://d-0000000000.awsapps.com/start
sso_region = us-east-1
[profile dev]
sso_session = s
sso_account_id = 111111111111
sso_role_name = Dev
region = us-east-1
CFG
export AWS_CONFIG_FILE="Z:${work//\//\\}\\config"
export AWS_ENDPOINT_URL_SSO_OIDC=$url AWS_ENDPOINT_URL_SSO=$url DSOPS_USE_DEVICE_CODE=1
"$WINE" "$work/dsops.exe" login --profile dev --no-browser >/dev/null 2>&1
"$WINE" "$work/dsops.exe" creds --profile dev | grep -q AccessKeyId ||
  { echo "dsops.exe creds did not print credentials"; exit 1; }

echo "cached creds under Wine, against cmd /c exit 0 (release dsops.exe, $(stat -c %s "$EXE") bytes)"
hyperfine -N -w 3 -r "${N:-30}" \
  "$WINE cmd /c exit 0" \
  "$WINE $work/dsops.exe creds --profile dev"
