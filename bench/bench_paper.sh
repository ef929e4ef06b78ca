#!/bin/sh
# bench_paper.sh -- the paper setting (projected binary Fashion-MNIST, F=16,
# 8000/1000, 10 tasks, ACCURACY, addresses 5/9/2, seed 1000060) with a
# budget of max_train_steps (default 150 M: 30-60 s), --workers=1,
# --max_experiments=1: individuals per wall second and per CPU second
# (user + sys of the whole process, compile thread included: the machine
# is shared, and CPU time does not count other jobs), runs alternated,
# median of REPS.
#   bench/bench_paper.sh REPS STEPS NAME=CMD... (CMD: a zerojit binary plus
#   flags, e.g. "off=./zerojit --jit=off" "base=/work/base/_build/zerojit")
set -e
reps=$1; steps=$2; shift 2
specs=$(cd "$(dirname "$0")/../examples/specs" && pwd)
tmp=$(mktemp -d)
sed "s/max_train_steps: [0-9]*/max_train_steps: $steps/" \
  "$specs/fashion_mnist_search.textpb" > "$tmp/search.textpb"
for r in $(seq 1 "$reps"); do
  for cfg in "$@"; do
    name=${cfg%%=*}; cmd=${cfg#*=}
    bin=${cmd%% *}; flags=${cmd#"$bin"}
    /usr/bin/time -f "cpu %U %S" -o "$tmp/time" \
    $bin search $flags --search_experiment_spec_file="$tmp/search.textpb" \
      --select_tasks_file="$specs/fashion_mnist_select.textpb" \
      --final_tasks_file="$specs/fashion_mnist_final.textpb" \
      --max_scalar_addresses=5 --max_vector_addresses=9 --max_matrix_addresses=2 \
      --random_seed=1000060 --max_experiments=1 --workers=1 > "$tmp/out" 2>&1 \
      || { echo "$name: failed:"; tail -3 "$tmp/out"; exit 1; }
    ips=$(sed -n 's/.*individuals\/s=\([0-9.]*\).*/\1/p' "$tmp/out" | tail -1)
    ind=$(sed -n 's/^Summary:.*individuals=\([0-9]*\),.*/\1/p' "$tmp/out" | tail -1)
    cpu=$(awk '/^cpu/ { print $2 + $3 }' "$tmp/time")
    ipc=$(awk -v i="$ind" -v c="$cpu" 'BEGIN { printf "%.1f", (c > 0 ? i / c : 0) }')
    echo "$name run $r: individuals/s=$ips individuals=$ind cpu_s=$cpu individuals/cpu_s=$ipc"
    echo "$name $ips $ipc" >> "$tmp/all"
    grep -E '^Tier summary' "$tmp/out" | sed "s/^/  $name: /" || true
  done
done
echo "medians:"
for cfg in "$@"; do
  name=${cfg%%=*}
  w=$(awk -v n="$name" '$1 == n { print $2 }' "$tmp/all" | sort -n \
    | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
  c=$(awk -v n="$name" '$1 == n { print $3 }' "$tmp/all" | sort -n \
    | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
  echo "  $name: $w individuals/s (wall), $c individuals/cpu_s"
done
rm -rf "$tmp"
