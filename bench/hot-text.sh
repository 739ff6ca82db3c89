#!/usr/bin/env bash
# Regenerate link/hot-text.ld: the functions a cached `dsops creds` runs,
# which build.rs has the linker place together (see the script's comment).
#
#   bench/hot-text.sh           # a release build of the final crate, then links
#
# 1. Builds the release binary once with rustc keeping its objects
#    (`cargo rustc -- -C save-temps --print link-args`), then links it again
#    by hand: with symbols, without the script.
# 2. Runs a cached `creds` (role credentials cached by a first call against
#    tests/support/fake_idc.py) under callgrind and keeps the functions of
#    the binary it ran.
# 3. Writes their names as patterns (the hashes as wildcards; generic
#    functions with more than 200 instances left out) into link/hot-text.ld.
# 4. Prints the peak RSS of a cached creds linked without and with the new
#    script (the binary written with 4 KiB writes and with one large write:
#    the page cache's folio sizes change how much the kernel maps per fault).
# Needs valgrind, python3, GNU time. Takes a release build's time (minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
for t in valgrind python3 /usr/bin/time; do
  command -v $t >/dev/null || { echo "$t is required"; exit 1; }
done
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$work"' EXIT

cargo rustc --release --quiet --bin dsops -- -C save-temps --print link-args > "$work/link.out"
grep -o '"cc" .*' "$work/link.out" | tail -n 1 > "$work/link.cmd"
[ -s "$work/link.cmd" ] || { echo "no link command from rustc"; exit 1; }
out=$(grep -o '"-o" "[^"]*"' "$work/link.cmd" | sed 's/"-o" //')
relink() { # OUT EXTRA-SED
  local cmd
  cmd=$(sed -e "s|\"-o\" $out|\"-o\" \"$1\"|" -e 's| "-Wl,-T,[^"]*hot-text.ld"||' -e "$2" "$work/link.cmd")
  eval "$cmd"
}
relink "$work/sym" 's| "-Wl,--strip-all"||'
relink "$work/cold" 's|^|&|'

# A cached creds: role credentials from a first call against the fake server.
H=$work/home
mkdir -p "$H/.aws" "$H/.config/dsops"
printf '[sso-session bench]\nsso_start_url = https://d-0000000000.awsapps.com/start\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n\n[profile bench]\nsso_session = bench\nsso_account_id = 111111111111\nsso_role_name = DeveloperAccess\nregion = us-east-1\n' > "$H/.aws/config"
python3 tests/support/fake_idc.py --port 0 --interval 0 > "$work/idc.out" 2>/dev/null & pids+=($!)
for _ in $(seq 100); do grep -q READY "$work/idc.out" 2>/dev/null && break; sleep 0.05; done
url=$(sed -n 's/^READY //p' "$work/idc.out")
# shellcheck disable=SC2016 # $1 is for the browser script to expand
printf '#!/bin/sh\npython3 -c "import sys,urllib.request;urllib.request.urlopen(sys.argv[1]).read()" "$1"\n' > "$work/browser"
chmod +x "$work/browser"
run() { env -i HOME="$H" XDG_CONFIG_HOME="$H/.config" AWS_CONFIG_FILE="$H/.aws/config" "$@"; }
run AWS_ENDPOINT_URL_SSO_OIDC="$url" AWS_ENDPOINT_URL_SSO="$url" DSOPS_USE_DEVICE_CODE=1 \
  BROWSER="$work/browser" "$work/sym" creds --profile bench >/dev/null 2>&1
run valgrind --tool=callgrind --demangle=no --callgrind-out-file="$work/cg.out" \
  "$work/sym" creds --profile bench >/dev/null 2>&1

nm -S "$work/sym" | awk 'NF == 4 && $3 ~ /[tTwW]/ {print $4}' > "$work/symbols"
python3 - "$work" link/hot-text.ld <<'PY'
import fnmatch, re, sys
work, script = sys.argv[1], sys.argv[2]
symbols = set(open(f"{work}/symbols").read().split())
tables, ran, seen = {"ob": {}, "fn": {}}, [], set()
ob = cob = None
def name(kind, s):
    m = re.match(r"\((\d+)\)(?:\s+(.*))?$", s)
    if not m:
        return s
    if m.group(2):
        tables[kind][m.group(1)] = m.group(2)
    return tables[kind].get(m.group(1))
for line in open(f"{work}/cg.out"):
    line = line.rstrip("\n")
    key, _, val = line.partition("=")
    if key == "ob":
        ob = name("ob", val)
    elif key == "cob":
        cob = name("ob", val)
    elif key in ("fn", "cfn"):
        f = name("fn", val)
        where = (cob or ob) if key == "cfn" else ob
        cob = None
        if where and where.endswith("/sym") and f in symbols and f not in seen:
            seen.add(f)
            ran.append(f)
patterns = []
for f in ran:
    p = re.sub(r"\.llvm\.\d+$", "", f)
    p = re.sub(r"17h[0-9a-f]{16}E$", "17h", p)
    p = re.sub(r"Cs[0-9A-Za-z]+_", "Cs*_", p)
    if p in patterns or re.search(r"[\s\"()]", p):
        continue
    rx = re.compile(fnmatch.translate(p + "*"))
    if sum(1 for s in symbols if rx.match(s)) > 200:
        continue
    patterns.append(p)
text = open(script).read()
head = text[: text.index("SECTIONS")]
body = "".join(f"    *(.text.{p}*)\n" for p in patterns)
open(script, "w").write(f"{head}SECTIONS\n{{\n  .text.hot : {{\n{body}  }}\n}}\nINSERT BEFORE .text;\n")
print(f"{len(ran)} functions ran, {len(patterns)} patterns written to {script}")
PY
relink "$work/hot" "s|\"-Wl,--strip-all\"|& \"-Wl,-T,$PWD/link/hot-text.ld\"|"

peak() { # BINARY: median max RSS (KiB) of 20 cached creds
  for _ in $(seq 20); do
    run /usr/bin/time -f %M "$1" creds --profile bench 2>&1 >/dev/null | tail -n 1
  done | sort -n | sed -n 10p
}
for b in cold hot; do
  dd if="$work/$b" of="$work/$b-4k" bs=4096 status=none
  cat "$work/$b" > "$work/$b-big"
  chmod +x "$work/$b-4k" "$work/$b-big"
  echo "peak RSS, cached creds, $b text: $(peak "$work/$b-4k") KiB (written in 4 KiB), $(peak "$work/$b-big") KiB (one write)"
done
