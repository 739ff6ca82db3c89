# shellcheck shell=bash
# Sourced by the benchmarks once `work` (their scratch directory) is set:
# they measure a copy of the binary written into it, as `cargo install` or
# dpkg writes an installed one.
#
# Why: on this kernel, how a binary's pages came into the page cache shows
# in every exec. A file written by write(2) execs fastest; the linker's own
# output (target/release/dsops) measured 1.63-1.89 ms per cached `creds`
# against 1.25-1.65 ms for a byte-identical copy in the same hyperfine rounds,
# and a binary brought back after a cache drop by exec's own page faults
# is in between. That is the state of the file, not the code, so the
# benchmarks fix it: all of them measure the installed-copy state. Expect
# up to ~0.4 ms more per run for a cold binary.
cp "${DSOPS:?}" "${work:?}/dsops"
DSOPS=$work/dsops
