# dsops shell integration for elvish: eval (dsops hook elvish | slurp) in rc.elv.
#
# Before each prompt the hook decides with builtins alone whether anything
# dsops watches moved: the directory, DSOPS_ENV, DSOPS_STATE, the files of the
# last load (their contents as read right after that load: elvish 0.19 has no
# stat builtin; or gone), project configs that must not exist, and the clock
# when credentials were loaded (their refresh): /proc/uptime where there is
# one, else date(1).
# Only then it runs `dsops hook-env elvish` and evaluates what it prints
# (set-env, unset-env, and `var` lines for the hook's bookkeeping) in a fresh
# namespace, where no function of the user's can shadow a builtin.
# `dsops use ...` goes through the `dsops` function defined below, which
# evaluates the same lines.

use path
use str

var _dsops_bin = __DSOPS_BIN__
# (Re)installing forgets what the last run recorded: the next prompt asks dsops.
var _dsops_pending = ''
var _dsops_watch = []
var _dsops_absent = []
var _dsops_refresh = 0
# Before the first load, dsops is asked.
var _dsops_check~ = {|| fail new }

# One value for each watched file: its contents, or $nil when it is not a
# regular file (never a FIFO, whose open would wait) or cannot be read.
fn _dsops_read {|f|
  if (path:is-regular &follow-symlink=$true $f) {
    try { slurp < $f } catch { put $nil }
  } else {
    put $nil
  }
}

# The test of a quiet prompt, made anew after each load: it fails when dsops
# must be asked and returns when nothing it watches moved. In elvish an
# output capture `(...)` costs two or three builtins (a stat, a small file
# read), and a failure is tested without one: so the test is written out for
# the files of this load, and each step is a lookup in a map whose only key
# is what that step gave right after the load (a missing key fails). First,
# in one capture, the directory, DSOPS_ENV, DSOPS_STATE, whether each watched
# file is a regular file and each absent config is not; then, only
# when all that held (a FIFO's open would wait), in one capture, the contents
# of the watched files; then the clock, when credentials were loaded.
fn _dsops_compile {
  var v = [&'path:'=$path: &r=$_dsops_refresh]
  var code = 'fn check {'
  var types = 'put $pwd $E:DSOPS_ENV $E:DSOPS_STATE'
  var want = [$pwd $E:DSOPS_ENV $E:DSOPS_STATE]
  var reads = ''
  var seen = []
  var i = 0
  for f $_dsops_watch {
    set v[f$i] = $f
    # Not following a symlink is cheaper; a file that becomes one asks once.
    if (path:is-regular $f) {
      set types = $types'; path:is-regular $f'$i
      set want = [$@want $true]
    } else {
      set types = $types'; path:is-regular &follow-symlink=$true $f'$i
      set want = [$@want (path:is-regular &follow-symlink=$true $f)]
    }
    var c = (_dsops_read $f)
    if (not-eq $c $nil) {
      set reads = $reads'; slurp < $f'$i
      set seen = [$@seen $c]
    }
    set i = (+ $i 1)
  }
  for f $_dsops_absent {
    set v[f$i] = $f
    set types = $types'; path:is-regular &follow-symlink=$true $f'$i
    set want = [$@want $false]
    set i = (+ $i 1)
  }
  set v[types] = [&$want=$true]
  set code = $code' nop $types[[('$types')]]'
  if (!=s $reads '') {
    set v[seen] = [&$seen=$true]
    set code = $code'; nop $seen[[('$reads')]]'
  }
  if (> $_dsops_refresh 0) {
    if (path:is-regular /proc/uptime) {
      # The clock with no process: seconds since boot from /proc (suspend
      # included), against the deadline moved onto that clock once, here.
      set v['str:'] = $str:
      var up = (str:split ' ' (slurp < /proc/uptime) | take 1)
      set v[u] = (+ $up (- $_dsops_refresh (e:date +%s)))
      set code = $code'; if (>= (str:split '' '' (slurp < /proc/uptime) | take 1) $u) { fail due }'
    } else {
      set code = $code'; if (>= (e:date +%s) $r) { fail due }'
    }
  }
  var n = (ns $v)
  eval &ns=$n &on-end={|m| set n = $m } $code' }'
  set _dsops_check~ = $n[check~]
}

# Evaluate what `hook-env elvish` or `use` printed (set-env, unset-env, and
# `var` lines for the bookkeeping) in a fresh namespace, where no function of
# the user's can shadow a builtin, and take its bookkeeping.
fn _dsops_apply {|out|
  var n = (ns [&])
  try {
    eval &ns=$n &on-end={|m| set n = $m } $out
  } catch e {
    echo 'dsops: cannot apply the hook''s output: '(to-string $e[reason]) >&2
  }
  if (has-key $n stamp) {
    set _dsops_watch = $n[watch]
    set _dsops_absent = $n[absent]
    set _dsops_refresh = $n[refresh]
  }
  _dsops_compile
  set _dsops_pending = ''
}

fn _dsops_hook_run {
  var key = $pwd"\x1f"$E:DSOPS_ENV"\x1f"$E:DSOPS_STATE
  # The last run for this very situation was interrupted (Ctrl-C) or failed:
  # do not start it again at every prompt; wait until something changes.
  if (==s $_dsops_pending $key) { return }
  set _dsops_pending = $key
  var out = ''
  try { set out = ((external $_dsops_bin) hook-env elvish | slurp) } catch { }
  # dsops prints everything at the very end, so output means it completed.
  if (!=s $out '') { _dsops_apply $out }
}

# `dsops use ...` switches this very shell: the binary prints lines like the
# hook's and they are evaluated here (as mise does for `mise shell`). Every
# other verb is the program itself. Code eval'd from rc.elv defines nothing
# the user can call, so the function is added to the REPL's namespace.
fn dsops {|@a|
  if (or (== (count $a) 0) (!=s $a[0] use) (has-value $a -h) (has-value $a --help)) {
    e:dsops $@a
    return
  }
  tmp E:DSOPS_HOOK_SHELL = elvish
  var out = ''
  var err = $nil
  try {
    set out = ((external $_dsops_bin) $@a | slurp)
  } catch e {
    set err = $e
  }
  if (!=s $out '') { _dsops_apply $out }
  if (not-eq $err $nil) { fail $err }
}
edit:add-var dsops~ $dsops~

# Once in before-readline: a hook installed earlier is replaced. Any failure
# of the test asks dsops: something moved, or a file went away between the
# tests or cannot be read.
set edit:before-readline = [(
  for h $edit:before-readline {
    if (not (and (eq (kind-of $h) fn) (has-key $h def) (str:contains $h[def] '_dsops_hook'))) { put $h }
  }
) {|| try { _dsops_check } catch { _dsops_hook_run } }]
