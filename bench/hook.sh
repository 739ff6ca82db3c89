#!/usr/bin/env bash
# Benchmarks of the dsops shell hook, side by side with direnv, as ratios.
#
#   bench/hook.sh            # builds the release binary first
#   DSOPS=/path/to/dsops N=20000 bench/hook.sh
#   SECTIONS=4 bench/hook.sh  # section 4 alone (1, 2 and 3 run together)
#
# 1. The whole no-op prompt in real bash: the hook function exactly as bash
#    runs it at each prompt, N times in one bash process, in a loaded unchanged
#    project and in a directory with no config; dsops's _dsops_hook against
#    direnv's _direnv_hook.                             target: <= 0.1x direnv
# 2. The per-prompt command alone when nothing changed, with hyperfine:
#    `dsops hook-env bash` against `direnv export bash` and /bin/true.
#                                   target: <= 0.35x direnv, <= 1.6x /bin/true
# 3. Entering and leaving a project with 20 literal values, against direnv
#    loading and unloading an .envrc exporting the same 20 values.
#                                                      target: <= 0.25x direnv
# 4. nushell and elvish (when installed: NU=/path/to/nu, elvish on PATH,
#    MISE=/path/to/mise, e.g. from `npm install @jdxcode/mise`): the whole
#    no-op prompt and enter+leave with the same 20 values, against mise's own
#    hook in the same shell (`mise activate nu|elvish`, a mise.toml [env] of
#    the same values). mise's hook runs once per prompt here (its PWD /
#    after-chdir hook, which also fires on cd in a real session, is left
#    out, in mise's favour).          target: no-op <= 0.1x, enter+leave <= 0.5x
#
# Everything runs in a private HOME; nothing touches your real configs.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [[ -z ${DSOPS-} ]]; then
  (cd "$repo" && cargo build --release --quiet)
  DSOPS=$repo/target/release/dsops
fi
SECTIONS=${SECTIONS:-1 2 3 4}
want() { [[ " $SECTIONS " == *" $1 "* ]]; }
tools=python3
if want 1 || want 2 || want 3; then tools="direnv hyperfine python3"; fi
for tool in $tools; do
  command -v "$tool" >/dev/null || { echo "bench/hook.sh: $tool is required" >&2; exit 1; }
done
N=${N:-20000}          # iterations of the dsops prompt hook
ND=${ND:-300}          # iterations of direnv's (each one starts a process)
NE=${NE:-200}          # enter/leave round trips

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
. "$repo/bench/installed.sh"
export HOME=$work/home
export XDG_CONFIG_HOME=$HOME/.config XDG_DATA_HOME=$HOME/.local/share
export XDG_STATE_HOME=$HOME/.local/state XDG_CACHE_HOME=$HOME/.cache
export XDG_RUNTIME_DIR=$work/run
unset DSOPS_STATE DSOPS_ENV DSOPS_CONFIG DIRENV_DIR DIRENV_DIFF DIRENV_WATCHES DIRENV_FILE
export DSOPS_QUIET=1 DIRENV_LOG_FORMAT=
mkdir -p "$HOME/project/src/deep" "$HOME/empty/a/b" "$XDG_CONFIG_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"

{
  echo "version: 1"
  echo "envs:"
  echo "  local:"
  for i in $(seq 1 20); do echo "    BENCH_VAR_$i: value-$i-$RANDOM-some-secret-text"; done
} >"$HOME/project/.dsops.yaml"
for i in $(seq 1 20); do
  echo "export BENCH_VAR_$i=value-$i-$RANDOM-some-secret-text"
done >"$HOME/project/.envrc"
(cd "$HOME/project" && "$DSOPS" allow >/dev/null 2>&1)
if want 1 || want 2 || want 3; then (cd "$HOME/project" && direnv allow . >/dev/null 2>&1); fi

ratio() { python3 -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print(f'{a / b:.3f}')" "$1" "$2"; }

if want 1 || want 2 || want 3; then
# --- 1. the whole no-op prompt --------------------------------------------
# Prints the mean microseconds per call of the hook function in DIR.
prompt_loop() { # tool dir iterations
  local tool=$1 dir=$2 n=$3
  bash --noprofile --norc -s "$tool" "$dir" "$n" "$DSOPS" <<'EOF'
tool=$1 dir=$2 n=$3 dsops=$4
if [[ $tool == dsops ]]; then
  eval "$("$dsops" hook bash)"; fn=_dsops_hook
else
  eval "$(direnv hook bash)"; fn=_direnv_hook
fi
cd "$dir" && $fn 2>/dev/null && $fn 2>/dev/null
# A file changed within the stamp's one-second margin before a load makes the
# hook ask once more; let the load settle as it would between real prompts.
sleep 1.1 && $fn 2>/dev/null
if [[ $tool == dsops ]]; then
  # Prove that the loop starts no process: any call of dsops counts.
  calls=$(mktemp) && real=$_dsops_bin
  printf '#!/bin/sh\necho x >> %q\nexec %q "$@"\n' "$calls" "$real" > "$calls.sh"
  chmod +x "$calls.sh" && _dsops_bin=$calls.sh
fi
t0=${EPOCHREALTIME/./}
for ((i = 0; i < n; i++)); do $fn; done 2>/dev/null
t1=${EPOCHREALTIME/./}
if [[ $tool == dsops ]]; then
  c=$(wc -l < "$calls"); rm -f "$calls" "$calls.sh"
  ((c == 0)) || { echo "dsops hook started $c processes in the loop" >&2; exit 1; }
fi
awk -v d=$((t1 - t0)) -v n="$n" 'BEGIN { printf "%.3f\n", d / n }'
EOF
}

echo "1. whole no-op prompt in bash (mean per prompt)"
for place in project empty; do
  dir=$HOME/$place
  [[ $place == project ]] && dir=$HOME/project/src/deep || dir=$HOME/empty/a/b
  d=$(prompt_loop dsops "$dir" "$N")
  e=$(prompt_loop direnv "$dir" "$ND")
  printf '   %-28s dsops %9.2f us   direnv %9.2f us   ratio %s   (target <= 0.1)\n' \
    "$( [[ $place == project ]] && echo 'loaded, unchanged project:' || echo 'directory without config:')" \
    "$d" "$e" "$(ratio "$d" "$e")"
done
# --- 2. the per-prompt command alone --------------------------------------
echo "2. per-prompt command with nothing changed (hyperfine, mean)"
hf() { # name dir -- env for the commands comes from a shell with both loaded
  local dir=$1 json=$work/hf.json
  bash --noprofile --norc -s "$dir" "$DSOPS" "$json" <<'EOF'
dir=$1 dsops=$2 json=$3
eval "$("$dsops" hook bash)"
eval "$(direnv hook bash)"
cd "$dir" && _dsops_hook 2>/dev/null && _direnv_hook 2>/dev/null
sleep 1.1 && _dsops_hook 2>/dev/null
# Both are loaded and nothing changed: neither may print an export.
if "$dsops" hook-env bash | grep -q export; then echo "dsops hook-env exported" >&2; exit 1; fi
[[ -z $(direnv export bash 2>/dev/null) ]] || { echo "direnv exported" >&2; exit 1; }
hyperfine -N --warmup 100 --runs "${RUNS:-1500}" --export-json "$json" \
  -n true /bin/true -n dsops "$dsops hook-env bash" -n direnv "direnv export bash" >/dev/null 2>&1
EOF
  python3 - "$json" <<'EOF'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
t, d, e = (r[k]["mean"] * 1e3 for k in ("true", "dsops", "direnv"))
print(f"     /bin/true {t:.3f} ms   dsops hook-env {d:.3f} ms   direnv export {e:.3f} ms")
print(f"     dsops/direnv {d / e:.3f} (target <= 0.35)   dsops/true {d / t:.3f} (target <= 1.6)")
EOF
}
echo "   in a loaded project:"
hf "$HOME/project/src/deep"
echo "   in a directory without config:"
hf "$HOME/empty/a/b"
# --- 3. entering and leaving ----------------------------------------------
echo "3. enter and leave a project with 20 literal values (mean per round trip)"
enter_leave() { # tool
  bash --noprofile --norc -s "$1" "$HOME" "$NE" "$DSOPS" <<'EOF'
tool=$1 home=$2 n=$3 dsops=$4
if [[ $tool == dsops ]]; then
  eval "$("$dsops" hook bash)"; fn=_dsops_hook
else
  eval "$(direnv hook bash)"; fn=_direnv_hook
fi
cd "$home" && $fn 2>/dev/null
cd "$home/project" && $fn 2>/dev/null
[[ -n ${BENCH_VAR_20-} ]] || { echo "$tool did not load" >&2; exit 1; }
cd "$home" && $fn 2>/dev/null
[[ -z ${BENCH_VAR_20-} ]] || { echo "$tool did not unload" >&2; exit 1; }
t0=${EPOCHREALTIME/./}
for ((i = 0; i < n; i++)); do
  cd "$home/project"; $fn
  cd "$home"; $fn
done 2>/dev/null
t1=${EPOCHREALTIME/./}
awk -v d=$((t1 - t0)) -v n="$n" 'BEGIN { printf "%.3f\n", d / n / 1000 }'
EOF
}
d=$(enter_leave dsops)
e=$(enter_leave direnv)
printf '   dsops %.3f ms   direnv %.3f ms   ratio %s   (target <= 0.25)\n' "$d" "$e" "$(ratio "$d" "$e")"
fi

if want 4; then
# --- 4. nushell and elvish against mise -----------------------------------
NU=${NU:-$(find "$repo/target/it-node/node_modules/@nushell" -path '*/bin/nu' -type f 2>/dev/null | head -n 1)}
NU=${NU:-$(command -v nu || true)}
MISE=${MISE:-$(command -v mise || echo "$repo/target/it-node/node_modules/@jdxcode/mise/bin/mise")}
if [[ ! -x $MISE ]]; then
  echo "4. skipped: no mise (npm install --prefix target/it-node @jdxcode/mise)"
  exit 0
fi
{
  echo "[env]"
  for i in $(seq 1 20); do echo "BENCH_VAR_$i = \"value-$i-$RANDOM-some-secret-text\""; done
} >"$HOME/project/mise.toml"
(cd "$HOME/project" && "$MISE" trust >/dev/null 2>&1)
export MISE_TRUSTED_CONFIG_PATHS=$HOME/project
"$DSOPS" hook nu >"$work/dsops.nu"
"$MISE" activate nu >"$work/mise.nu"
"$DSOPS" hook elvish >"$work/dsops.elv"
"$MISE" activate elvish >"$work/mise.elv"

# Prints "no-op-us enter-leave-ms" for TOOL in nushell.
nu_run() { # tool n ne
  local hook=$work/dsops.nu fn=_dsops_hook N=$2 NE=$3
  [[ $1 == mise ]] && hook=$work/mise.nu fn=mise_hook
  "$NU" --no-config-file -c "
    source '$hook'
    cd '$HOME'; $fn; cd '$HOME/project/src/deep'; $fn
    if (\$env.BENCH_VAR_20? | is-empty) { error make {msg: '$1 did not load'} }
    sleep 1100ms; $fn
    let t0 = (date now)
    for i in 1..$N { $fn }
    let noop = (((date now) - \$t0 | into int) / $N / 1000)
    let t0 = (date now)
    for i in 1..$NE { cd '$HOME/project'; $fn; cd '$HOME'; $fn }
    let el = (((date now) - \$t0 | into int) / $NE / 1000000)
    if (\$env.BENCH_VAR_20? | is-not-empty) { error make {msg: '$1 did not unload'} }
    print \$'(\$noop) (\$el)'
  "
}

# The same in elvish: edit:before-readline stands in a namespace of our own
# (there is no line editor without a terminal); its hooks run as at a prompt.
elvish_run() { # tool n ne
  local N=$2 NE=$3 setup="eval (cat '$work/dsops.elv' | slurp)"
  [[ $1 == mise ]] && setup="var mise: = (ns [&'edit:'=\$edit: &'after-chdir'=\$after-chdir]); eval (cat '$work/mise.elv' | slurp) &ns=\$mise: &on-end={|n| set mise: = \$n }; mise:activate; set after-chdir = []"
  elvish -norc -c "
    var edit: = (ns [&before-readline=[] &add-var~={|@_| }])
    $setup
    fn prompt { for h \$edit:before-readline { \$h } }
    cd '$HOME'; prompt; cd '$HOME/project/src/deep'; prompt
    if (not (has-env BENCH_VAR_20)) { fail '$1 did not load' }
    sleep 1.1; prompt
    var t0 = (time { for i [(range $N)] { prompt } } | slurp)
    var t1 = (time { for i [(range $NE)] { cd '$HOME/project'; prompt; cd '$HOME'; prompt } } | slurp)
    if (has-env BENCH_VAR_20) { fail '$1 did not unload' }
    echo \$t0 \$t1
  " | python3 -c '
import re, sys
def secs(t):
    return sum(float(v) * {"h": 3600, "m": 60, "s": 1, "ms": 1e-3, "µs": 1e-6, "us": 1e-6, "ns": 1e-9}[u]
               for v, u in re.findall(r"([0-9.]+)(h|ms|µs|us|ns|m|s)", t))
a, b = sys.stdin.read().split()
n, ne = int(sys.argv[1]), int(sys.argv[2])
print(f"{secs(a) / n * 1e6:.3f} {secs(b) / ne * 1e3:.3f}")' "$N" "$NE"
}

echo "4. nushell and elvish against mise (no-op prompt: mean per prompt; enter+leave: mean per round trip)"
installed() { if [[ $1 == nu ]]; then [[ -n $NU ]]; else command -v elvish >/dev/null; fi; }
for sh in nu elvish; do
  if ! installed "$sh"; then
    echo "   $sh: not installed, skipped"
    continue
  fi
  # mise starts a process at each prompt: fewer iterations.
  read -r dn de < <("${sh}_run" dsops "${NS:-2000}" "${NES:-100}")
  read -r mn me < <("${sh}_run" mise "${NMISE:-200}" "${NEMISE:-50}")
  printf '   %-7s no-op prompt: dsops %9.2f us   mise %9.2f us   ratio %s   (target <= 0.1)\n' "$sh" "$dn" "$mn" "$(ratio "$dn" "$mn")"
  printf '   %-7s enter+leave:  dsops %9.3f ms   mise %9.3f ms   ratio %s   (target <= 0.5)\n' "$sh" "$de" "$me" "$(ratio "$de" "$me")"
done
fi
