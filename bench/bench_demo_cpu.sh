#!/bin/sh
# bench_demo_cpu.sh -- per-individual CPU cost of the demo search: a fixed
# amount of work (60 M train steps, seed 1, one worker, --jit=off), CPU
# seconds (user + sys) of builds run alternately, medians, each build's
# per-round ratio to the first, and whether their outputs (timing lines
# aside) are identical.
#   bench/bench_demo_cpu.sh ROUNDS ZEROJIT_A ZEROJIT_B ...
# ZEROJIT_* are zerojit programs (e.g. build/zerojit libtool wrappers).
# Run from the source or build directory of any tree: the specs are
# taken from this script's tree.
rounds=${1:-7}
shift
here=$(cd "$(dirname "$0")" && pwd)
specs=$here/../examples/specs
tmp=$(mktemp -d)
sed 's/max_train_steps: .*/max_train_steps: 60000000/' \
  "$specs/demo_search.textpb" > "$tmp/spec.textpb"
r=1
while [ "$r" -le "$rounds" ]; do
  i=0
  for zj in "$@"; do
    i=$((i + 1))
    /usr/bin/time -f "%U %S" -o "$tmp/time" "$zj" search \
      --search_experiment_spec_file="$tmp/spec.textpb" \
      --select_tasks_file="$specs/demo_select.textpb" \
      --final_tasks_file="$specs/demo_final.textpb" \
      --max_experiments=1 --random_seed=1 --workers=1 --jit=off \
      --max_scalar_addresses=4 --max_vector_addresses=3 \
      --max_matrix_addresses=1 > "$tmp/out.$i" 2>&1
    awk '{print $1 + $2}' "$tmp/time" >> "$tmp/cpu.$i"
    grep -v -e seconds -e Summary -e elapsed "$tmp/out.$i" > "$tmp/cmp.$i"
  done
  r=$((r + 1))
done
i=0
for zj in "$@"; do
  i=$((i + 1))
  med=$(sort -g "$tmp/cpu.$i" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  same=same
  cmp -s "$tmp/cmp.1" "$tmp/cmp.$i" || same=DIFFERS
  echo "$zj: median CPU seconds $med (runs: $(sort -g "$tmp/cpu.$i" | tr '\n' ' ')) output $same as the first"
  # Each round ran every build back to back: its ratio to the first
  # build is steadier than the medians when the machine's load drifts.
  if [ "$i" -gt 1 ]; then
    rat=$(paste "$tmp/cpu.$i" "$tmp/cpu.1" | awk '{printf "%.3f\n", $1 / $2}' | sort -g)
    echo "  per-round ratio to the first: median $(echo "$rat" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}') (rounds: $(echo "$rat" | tr '\n' ' '))"
  fi
done
rm -rf "$tmp"
