#!/bin/sh
# bench_differential.sh -- the big differential sweep: random programs
# through the interpreter, the lane interpreter and every native tier,
# compared bit for bit (tests/differential.c).  Run from the build dir:
#   sh ../bench/bench_differential.sh [PROGRAMS_PER_F] [NATIVE_EVERY] [OUTDIR]
# Defaults: 100000 programs per F = 2, 4, 8, 16, 32, every 100th through
# the native tiers (every 500th at F = 32), mismatches (shrunk programs in
# text form) written to OUTDIR (default differential-out).  Exit status 1
# when any tier differs.
# Environment: JOBS (processes, default 1: libgccjit compiles one function
# at a time per process), EVERY32 (the factor for F = 32, default 5),
# NATIVE_SECONDS (per F: the native tiers stop taking new programs after
# that long; the table reports exactly how many they compared), FS (the
# F list, default 2,4,8,16,32).
# The whole optimized tier on every program, as far as fits in 10 minutes
# per F on two cores:
#   JOBS=2 EVERY32=1 NATIVE_SECONDS=600 sh ../bench/bench_differential.sh 100000 1
n=${1:-100000}
every=${2:-100}
out=${3:-differential-out}
mkdir -p "$out"
set -- --programs "$n" --native-every "$every" --out "$out" --F "${FS:-2,4,8,16,32}" \
  --jobs "${JOBS:-1}" --every32 "${EVERY32:-5}"
[ -n "${NATIVE_SECONDS:-}" ] && set -- "$@" --native-seconds "$NATIVE_SECONDS"
nice -n 19 ./tests/differential "$@"
status=$?
echo "mismatch files: $(ls "$out" | grep -c '^mismatch-' || true) in $out"
exit $status
