# dsops shell integration for fish: dsops hook fish | source in config.fish.
#
# At each prompt and directory change _dsops_hook decides with builtins alone
# whether anything dsops watches moved: the directory, DSOPS_ENV, DSOPS_STATE,
# the files of the last load (changed since the stamp file, or gone), project
# configs that must not exist, and the clock (credential refresh, read with
# date(1) only when credentials were loaded). Only then it runs
# `dsops hook-env fish` and sources what it prints. The _dsops_* variables it
# reads are written by that output; they are not exported.

builtin set -g _dsops_bin __DSOPS_BIN__
# (Re)installing forgets what the last run recorded: the next prompt asks dsops.
builtin set -g _dsops_sig
builtin set -g _dsops_pending
builtin set -g _dsops_stamp
builtin set -g _dsops_watch
builtin set -g _dsops_absent
builtin set -g _dsops_refresh 0

# Status 0 when dsops must be asked, 1 when nothing it watches moved.
function _dsops_stale
    builtin test "$_dsops_sig" = "$PWD"\x1f"$DSOPS_ENV"\x1f"$DSOPS_STATE"; or builtin return 0
    for _dsops_f in $_dsops_watch
        builtin test -f $_dsops_f; and not builtin test $_dsops_f -nt "$_dsops_stamp"; or builtin return 0
    end
    for _dsops_f in $_dsops_absent
        builtin test -f $_dsops_f; and builtin return 0
    end
    if builtin test "$_dsops_refresh" -gt 0
        builtin test (command date +%s) -lt $_dsops_refresh; or builtin return 0
    end
    builtin return 1
end

function _dsops_run
    builtin set -l _dsops_key "$PWD"\x1f"$DSOPS_ENV"\x1f"$DSOPS_STATE"
    # The last run for this very situation was interrupted (Ctrl-C) or failed:
    # do not start it again at every prompt; wait until something changes.
    builtin test "$_dsops_pending" = "$_dsops_key"; and builtin return 0
    builtin set -g _dsops_pending $_dsops_key
    # DSOPS_ENV as this shell sees it: set without -x, dsops would not.
    builtin set -l _dsops_out (DSOPS_ENV="$DSOPS_ENV" command $_dsops_bin hook-env fish | builtin string collect)
    # dsops prints everything at the very end, so output means it completed.
    if builtin test -n "$_dsops_out"
        builtin printf '%s' $_dsops_out | builtin source
        builtin set -g _dsops_sig "$PWD"\x1f"$DSOPS_ENV"\x1f"$DSOPS_STATE"
        builtin set -g _dsops_pending
    end
end

# `dsops use ...` switches this very shell: the binary prints lines like the
# hook's and they are sourced here (as mise does for `mise shell`). Every
# other verb is the program itself.
function dsops
    if builtin test (builtin count $argv) -ge 1; and builtin test "$argv[1]" = use
        builtin set -l _dsops_out (DSOPS_ENV="$DSOPS_ENV" DSOPS_HOOK_SHELL=fish command $_dsops_bin $argv | builtin string collect)
        builtin set -l _dsops_rc $pipestatus[1]
        if builtin test -n "$_dsops_out"
            builtin printf '%s' $_dsops_out | builtin source
            builtin set -g _dsops_sig "$PWD"\x1f"$DSOPS_ENV"\x1f"$DSOPS_STATE"
            builtin set -g _dsops_pending
        end
        builtin return $_dsops_rc
    end
    command dsops $argv
end

function _dsops_hook --on-event fish_prompt --on-variable PWD
    builtin set -l _dsops_status $status
    if _dsops_stale
        _dsops_run
    end
    builtin return $_dsops_status
end
