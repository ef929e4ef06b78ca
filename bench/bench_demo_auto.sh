#!/bin/sh
# bench_demo_auto.sh -- what --jit=auto costs on the demo search, where
# native code rarely pays: CPU seconds (task-clock of the whole process
# tree, threads and forked workers included; user + sys from time(1)
# when perf is missing) of runs alternated within each round, medians,
# and the median over rounds of each run's ratio off/run (above 1: the
# run is cheaper than the round's first), and whether the outputs
# (timing lines aside) are identical.
#   bench/bench_demo_auto.sh ROUNDS ZEROJIT:MODE ZEROJIT:MODE ...
#   e.g. bench/bench_demo_auto.sh 9 _build/zerojit:off _build/zerojit:auto
# The first entry is the reference.  BENCH_STEPS sets max_train_steps
# (120000000: about 1.5 s of --jit=off, ~500k individuals); seed 1, one
# worker, the demo spec of examples/specs.  Run from any directory.
rounds=${1:-9}
shift
here=$(cd "$(dirname "$0")" && pwd)
specs=$here/../examples/specs
steps=${BENCH_STEPS:-120000000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed "s/max_train_steps: .*/max_train_steps: $steps/" \
  "$specs/demo_search.textpb" > "$tmp/spec.textpb"
use_perf=no
perf stat -x, -e task-clock true > /dev/null 2>&1 && use_perf=yes
r=1
while [ "$r" -le "$rounds" ]; do
  i=0
  for e in "$@"; do
    i=$((i + 1))
    zj=${e%:*}
    mode=${e##*:}
    cmd="$zj search --search_experiment_spec_file=$tmp/spec.textpb
      --select_tasks_file=$specs/demo_select.textpb
      --final_tasks_file=$specs/demo_final.textpb
      --max_experiments=1 --random_seed=1 --workers=1 --jit=$mode
      --max_scalar_addresses=4 --max_vector_addresses=3
      --max_matrix_addresses=1"
    if [ $use_perf = yes ]; then
      perf stat -x, -e task-clock -o "$tmp/stat" $cmd > "$tmp/out.$i" 2>&1
      awk -F, '/task-clock/ { printf "%.4f\n", $1 / 1000 }' "$tmp/stat" \
        >> "$tmp/cpu.$i"
    else
      /usr/bin/time -f "%U %S" -o "$tmp/time" $cmd > "$tmp/out.$i" 2>&1
      awk '{ print $1 + $2 }' "$tmp/time" >> "$tmp/cpu.$i"
    fi
    grep -v -e seconds -e Summary -e elapsed -e "Tier summary" "$tmp/out.$i" > "$tmp/cmp.$i"
  done
  r=$((r + 1))
done
med () { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
i=0
for e in "$@"; do
  i=$((i + 1))
  same=same
  cmp -s "$tmp/cmp.1" "$tmp/cmp.$i" || same=DIFFERS
  echo "$e: median CPU s $(med < "$tmp/cpu.$i") (runs: $(tr '\n' ' ' < "$tmp/cpu.$i")) output $same"
  if [ "$i" -gt 1 ]; then
    rat=$(paste "$tmp/cpu.1" "$tmp/cpu.$i" | awk '{ printf "%.3f\n", $1 / $2 }')
    echo "  ratio first/this per round: median $(echo "$rat" | med) (rounds: $(echo "$rat" | sort -g | tr '\n' ' '))"
  fi
done
