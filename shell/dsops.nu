# dsops shell integration for nushell. Nushell cannot eval a string: save the
# hook once and source the file from config.nu:
#   dsops hook nu | save -f ($nu.data-dir | path join dsops.nu)
#   source ($nu.data-dir | path join dsops.nu)
#
# Before each prompt _dsops_hook decides with builtins alone whether anything
# dsops watches moved: the directory, DSOPS_ENV, DSOPS_STATE, the files of the
# last load (their SHA-256 differs from the one taken right after that load,
# or they are gone: nushell's `ls` takes a millisecond, reading a small file
# a tenth of that), project configs that must not exist, and the clock
# (credential refresh). Only then it runs
# `dsops hook-env nu`, which prints the rows of a NUON table ([set, NAME,
# value], [unset, NAME, null], [var, FIELD, value]) that are applied with one
# load-env and one hide-env. Nushell has
# no unexported variables: the hook's bookkeeping is the record $env._dsops,
# which is not a string and so never reaches other processes.
# `dsops use ...` goes through the `dsops` command defined below, which
# applies the same rows.

# (Re)installing forgets what the last run recorded: the next prompt asks dsops.
$env._dsops = {
    bin: __DSOPS_BIN__
    sig: null
    pending: null
    stamp: ''
    watch: []
    absent: []
    refresh: 0
    seen: []
}

def _dsops_key [] {
    [$env.PWD ($env.DSOPS_ENV? | default '') ($env.DSOPS_STATE? | default '')] | str join (char -u '1f')
}

# Is there a regular file at `f` (symlinks followed)?
def _dsops_is_file [f: string] {
    match ($f | path type) {
        'file' => true
        'symlink' => (($f | path expand | path type) == 'file')
        _ => false
    }
}

# The SHA-256 of the regular file `f` (symlinks followed; never a FIFO,
# whose open would wait), or null.
def _dsops_sum [f: string] {
    if not (_dsops_is_file $f) { return null }
    try { open --raw $f | hash sha256 } catch { null }
}

# True when dsops must be asked, false when nothing it watches moved.
def _dsops_stale [] {
    let d = $env._dsops
    if $d.sig != (_dsops_key) { return true }
    for it in ($d.watch | zip $d.seen) {
        if $it.1 == null or (_dsops_sum $it.0) != $it.1 { return true }
    }
    for f in $d.absent {
        if (_dsops_is_file $f) { return true }
    }
    if $d.refresh > 0 and ((date now | into int) // 1_000_000_000) >= $d.refresh { return true }
    false
}

# Apply what `hook-env nu` or `use` printed: one table, applied at once (a
# loop over the lines is slow in nu); per name the last line counts.
def --env _dsops_apply [out: string] {
    let ops = (try { $"[[op, name, value]; ($out)]" | from nuon } catch { [] })
    let vars = ($ops | where op == var | select name value)
    if ($vars | is-not-empty) {
        $env._dsops = ($env._dsops | merge ($vars | transpose -r -d))
    }
    let env_ops = ($ops | where op != var | reverse | uniq-by name)
    let rows = ($env_ops | where op == set | select name value)
    mut set = if ($rows | is-empty) { {} } else { $rows | transpose -r -d }
    # PATH is a list in nushell (joined with ':' again for processes).
    if 'PATH' in $set { $set = ($set | upsert PATH ($set.PATH | split row (char esep))) }
    load-env $set
    let unset = ($env_ops | where op == unset | get name)
    if ($unset | is-not-empty) { hide-env -i ...$unset }
    $env._dsops.seen = ($env._dsops.watch | each {|f| _dsops_sum $f })
    $env._dsops.sig = (_dsops_key)
    $env._dsops.pending = null
}

def --env _dsops_run [] {
    let key = (_dsops_key)
    # The last run for this very situation was interrupted (Ctrl-C) or failed:
    # do not start it again at every prompt; wait until something changes.
    if $env._dsops.pending == $key { return }
    $env._dsops.pending = $key
    let status = ($env.LAST_EXIT_CODE? | default 0)
    let out = (try { ^($env._dsops.bin) hook-env nu } catch { '' })
    # dsops prints everything at the very end, so output means it completed.
    if ($out | describe) == 'string' and ($out | is-not-empty) { _dsops_apply $out }
    $env.LAST_EXIT_CODE = $status
}

# `dsops use ...` switches this very shell: the binary prints rows like the
# hook's and they are applied here (as mise does for `mise shell`); its
# status is $env.LAST_EXIT_CODE. Every other verb is the program itself.
def --env --wrapped dsops [...args] {
    if ($args | is-empty) or $args.0 != 'use' or '-h' in $args or '--help' in $args {
        ^dsops ...$args
    } else {
        let out = (try {
            with-env {DSOPS_HOOK_SHELL: nu} { ^($env._dsops.bin) ...$args }
        } catch { '' })
        let status = ($env.LAST_EXIT_CODE? | default 0)
        if ($out | describe) == 'string' and ($out | is-not-empty) { _dsops_apply $out }
        $env.LAST_EXIT_CODE = $status
    }
}

def --env _dsops_hook [] {
    if (_dsops_stale) { _dsops_run }
}

# Once in pre_prompt, whatever ran before: a hook installed earlier (by an
# older copy of this file) is replaced.
$env.config.hooks.pre_prompt = (
    $env.config.hooks.pre_prompt? | default []
    | where {|h| ($h | describe) !~ '^closure' or (view source $h) !~ '_dsops_hook' }
    | append {|| _dsops_hook }
)
