# dsops shell integration for zsh: eval "$(dsops hook zsh)" in ~/.zshrc.
#
# At each prompt (precmd) and directory change (chpwd) _dsops_hook decides with
# builtins alone whether anything dsops watches moved: the directory,
# DSOPS_ENV, DSOPS_STATE, the files of the last load (changed since the stamp
# file, or gone), project configs that must not exist, and the clock
# (credential refresh). Only then it runs `dsops hook-env zsh` and evals what
# it prints. The _dsops_* variables it reads are written by that output; they
# are not exported.

_dsops_bin=__DSOPS_BIN__
# (Re)installing forgets what the last run recorded: the next prompt asks dsops.
_dsops_sig=
_dsops_pending=
_dsops_stamp=
_dsops_watch=()
_dsops_absent=()
_dsops_refresh=0
\builtin zmodload -F zsh/datetime p:EPOCHSECONDS 2>/dev/null

# Status 0 when dsops must be asked, 1 when nothing it watches moved.
_dsops_stale() {
  [[ $_dsops_sig == "$PWD"$'\037'"${DSOPS_ENV-}"$'\037'"${DSOPS_STATE-}" ]] || \builtin return 0
  \builtin local _dsops_f
  for _dsops_f in "${_dsops_watch[@]}"; do
    [[ -f $_dsops_f && ! $_dsops_f -nt $_dsops_stamp ]] || \builtin return 0
  done
  for _dsops_f in "${_dsops_absent[@]}"; do
    if [[ -f $_dsops_f ]]; then \builtin return 0; fi
  done
  if ((_dsops_refresh > 0)); then
    \builtin local _dsops_now=${EPOCHSECONDS-}
    [[ -n $_dsops_now ]] || _dsops_now=$(\command date +%s)
    ((_dsops_now < _dsops_refresh)) || \builtin return 0
  fi
  \builtin return 1
}

_dsops_run() {
  \builtin local _dsops_key="$PWD"$'\037'"${DSOPS_ENV-}"$'\037'"${DSOPS_STATE-}"
  # The last run for this very situation was interrupted (Ctrl-C) or failed:
  # do not start it again at every prompt; wait until something changes.
  if [[ $_dsops_pending == "$_dsops_key" ]]; then \builtin return 0; fi
  _dsops_pending=$_dsops_key
  \builtin local _dsops_out
  # DSOPS_ENV as this shell sees it: set without export, dsops would not.
  _dsops_out=$(DSOPS_ENV="${DSOPS_ENV-}" "$_dsops_bin" hook-env zsh) || :
  # dsops prints everything at the very end, so output means it completed.
  if [[ -n $_dsops_out ]]; then
    \builtin eval "$_dsops_out"
    _dsops_sig="$PWD"$'\037'"${DSOPS_ENV-}"$'\037'"${DSOPS_STATE-}"
    _dsops_pending=
  fi
}

# `dsops use ...` switches this very shell: the binary prints lines like the
# hook's and they are evaluated here (as mise does for `mise shell`). Every
# other verb is the program itself.
dsops() {
  if [[ ${1-} == use ]]; then
    \builtin emulate -L zsh
    \builtin shift
    \builtin local _dsops_out _dsops_rc=0
    _dsops_out=$(DSOPS_ENV="${DSOPS_ENV-}" DSOPS_HOOK_SHELL=zsh "$_dsops_bin" use "$@") || _dsops_rc=$?
    if [[ -n $_dsops_out ]]; then
      \builtin eval "$_dsops_out"
      _dsops_sig="$PWD"$'\037'"${DSOPS_ENV-}"$'\037'"${DSOPS_STATE-}"
      _dsops_pending=
    fi
    \builtin return "$_dsops_rc"
  fi
  \command dsops "$@"
}

_dsops_hook() {
  \builtin local _dsops_status=$?
  # The user's options (ksh_arrays, sh_word_split, nounset...) must not change
  # how this reads; local_options restores them on return.
  \builtin emulate -L zsh
  if _dsops_stale; then _dsops_run; fi
  \builtin return "$_dsops_status"
}

# First in each list, and only once.
_dsops_install() {
  \builtin emulate -L zsh
  if [[ " ${precmd_functions[*]-} " != *" _dsops_hook "* ]]; then
    precmd_functions=(_dsops_hook "${precmd_functions[@]}")
  fi
  if [[ " ${chpwd_functions[*]-} " != *" _dsops_hook "* ]]; then
    chpwd_functions=(_dsops_hook "${chpwd_functions[@]}")
  fi
}
_dsops_install
\builtin unfunction _dsops_install
