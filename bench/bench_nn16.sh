#!/bin/sh
# bench_nn16.sh -- the NN program at F=16 in the optimized tier (issue 11:
# target <= 40 ns per example, >= 3x the single-task interpreter): the
# README's `zerojit bench` command under each configuration, runs
# alternated, medians of the printed thread-CPU ns/example, speedup and
# time to ready.
#   bench/bench_nn16.sh ROUNDS ZEROJIT [CONFIG ...]
# CONFIG is ISA:OPT (default: avx512:1 avx512z:1 avx512z:2 avx512:2); OPT is
# as bench --opt, a level and optionally GCC options (avx512z:1,-fschedule-insns;
# the old plain -O1: avx512z:1,-fno-expensive-optimizations,-fno-schedule-insns2).
# ZEROJIT is a zerojit program (e.g. _build/zerojit, the libtool wrapper).
rounds=${1:-5}
zj=$2
shift 2
[ $# -gt 0 ] || set -- avx512:1 avx512z:1 avx512z:2 avx512:2
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
tasks='tasks { scalar_linear_regression_task {} features_size: 16 num_tasks: 10 num_train_examples: 8000 num_valid_examples: 1000 eval_type: RMS_ERROR }'
r=1
while [ "$r" -le "$rounds" ]; do
  for c in "$@"; do
    "$zj" bench --program "$here/../examples/programs/neural_net.txt" \
      --memory 5,9,2 --tasks "$tasks" --isa="${c%:*}" --opt="${c#*:}" \
      > "$tmp/out" 2>&1 || { cat "$tmp/out"; exit 1; }
    grep -q 'tiers identical: yes' "$tmp/out" || echo "$c: tiers differ!"
    awk '/^interpreter /{i=$(NF-2)} /^optimized /{print i, $(NF-2), $2}' \
      "$tmp/out" >> "$tmp/$c"
  done
  r=$((r + 1))
done
med () { sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
printf '%-12s %12s %12s %9s %14s\n' config interp_ns opt_ns speedup ready_ms
for c in "$@"; do
  i=$(cut -d' ' -f1 "$tmp/$c" | med)
  o=$(cut -d' ' -f2 "$tmp/$c" | med)
  s=$(awk '{print $1 / $2}' "$tmp/$c" | med)
  t=$(cut -d' ' -f3 "$tmp/$c" | med)
  printf '%-12s %12s %12s %8.2fx %14s\n' "$c" "$i" "$o" "$s" "$t"
done
rm -rf "$tmp"
