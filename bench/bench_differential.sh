#!/bin/sh
# bench_differential.sh -- the big differential sweep: random programs
# through the interpreter, the lane interpreter and every native tier,
# compared bit for bit (tests/differential.c).  Run from the build dir:
#   sh ../bench/bench_differential.sh [PROGRAMS_PER_F] [NATIVE_EVERY] [OUTDIR]
# Defaults: 100000 programs per F = 2, 4, 8, 16, 32, every 100th through
# the native tiers (every 500th at F = 32), mismatches (shrunk programs in
# text form) written to OUTDIR (default differential-out).  Exit status 1
# when any tier differs.
n=${1:-100000}
every=${2:-100}
out=${3:-differential-out}
mkdir -p "$out"
nice ./tests/differential --programs "$n" --native-every "$every" --out "$out" \
  --F 2,4,8,16,32
status=$?
echo "mismatch files: $(ls "$out" | grep -c '^mismatch-' || true) in $out"
exit $status
