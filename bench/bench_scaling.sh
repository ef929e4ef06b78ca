#!/bin/sh
# bench_scaling.sh -- individuals/s of one island search (2 islands, same
# seed, so identical work and output) run as 1 process x 1 thread, 1
# process x 2 threads, and 2 MPI ranks x 1 thread, alternated, REPS times
# each; prints wall-clock and CPU figures and the medians.
#   bench/bench_scaling.sh ZEROJIT_BINARY [REPS]
# ZEROJIT_BINARY must be the real program (e.g. _build/.libs/zerojit with
# LD_LIBRARY_PATH=_build/.libs), since mpirun starts it directly.
set -eu
Z=$1
reps=${2:-3}
here=$(cd "$(dirname "$0")" && pwd)
specs=$here/../examples/specs
tmp=$(mktemp -d /tmp/zj_scaling.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
# Demo: 40M train steps per island; paper setting: 600 individuals per
# island (a short budget: the first generations of a NO_OP start).
sed -e 's/max_train_steps: 200000000/max_train_steps: 40000000/' \
  "$specs/demo_search.textpb" > "$tmp/demo.textpb"
sed -e 's/max_train_steps: 100000000000/max_individuals: 600/' \
  "$specs/fashion_mnist_search.textpb" > "$tmp/fm.textpb"
demo="--search_experiment_spec_file=$tmp/demo.textpb
  --select_tasks_file=$specs/demo_select.textpb
  --final_tasks_file=$specs/demo_final.textpb --max_experiments=1
  --max_scalar_addresses=4 --max_vector_addresses=3 --max_matrix_addresses=1
  --random_seed=1 --jit=off --islands=2 --migration_interval=1000"
fm="--search_experiment_spec_file=$tmp/fm.textpb
  --select_tasks_file=$specs/fashion_mnist_short_select.textpb
  --final_tasks_file=$specs/fashion_mnist_short_final.textpb --max_experiments=1
  --max_scalar_addresses=5 --max_vector_addresses=9 --max_matrix_addresses=2
  --random_seed=1000060 --jit=off --islands=2 --migration_interval=200"
run () {  # name config flags...
  name=$1; cfg=$2; shift 2
  case $cfg in
    1x1) set -- "$Z" search "$@" --workers=1 ;;
    1x2) set -- "$Z" search "$@" --workers=2 ;;
    2x1) set -- mpirun --oversubscribe --allow-run-as-root -np 2 "$Z" search "$@" --workers=1 ;;
  esac
  /usr/bin/time -f "%U %S" -o "$tmp/time" "$@" > "$tmp/out" 2> /dev/null
  line=$(grep '^Summary:' "$tmp/out")
  ips=$(echo "$line" | sed -E 's/.*individuals\/s=([0-9]+).*/\1/')
  secs=$(echo "$line" | sed -E 's/.*seconds=([0-9.]+),.*/\1/')
  ind=$(echo "$line" | sed -E 's/.*individuals=([0-9]+),.*/\1/')
  cpu=$(awk '{ printf "%.2f", $1 + $2 }' "$tmp/time")
  echo "$name $cfg individuals=$ind wall_s=$secs ind_per_s=$ips cpu_s=$cpu"
  echo "$name $cfg $ips" >> "$tmp/all"
}
for r in $(seq 1 "$reps"); do
  for cfg in 1x1 1x2 2x1; do run demo $cfg $demo; done
  for cfg in 1x1 1x2 2x1; do run fashion_mnist $cfg $fm; done
done
echo "medians (individuals/s, wall clock):"
for name in demo fashion_mnist; do
  for cfg in 1x1 1x2 2x1; do
    m=$(awk -v n=$name -v c=$cfg '$1 == n && $2 == c { print $3 }' "$tmp/all" \
        | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
    echo "  $name $cfg $m"
  done
done
