#!/usr/bin/env bash
# Benchmarks of the dsops shell hook, side by side with direnv, as ratios.
#
#   bench/hook.sh            # builds the release binary first
#   DSOPS=/path/to/dsops N=20000 bench/hook.sh
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
#
# Everything runs in a private HOME; nothing touches your real configs.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [[ -z ${DSOPS-} ]]; then
  (cd "$repo" && cargo build --release --quiet)
  DSOPS=$repo/target/release/dsops
fi
for tool in direnv hyperfine python3; do
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
(cd "$HOME/project" && "$DSOPS" allow >/dev/null 2>&1 && direnv allow . >/dev/null 2>&1)

ratio() { python3 -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print(f'{a / b:.3f}')" "$1" "$2"; }

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
