#!/bin/sh
# bench_scaling.sh -- individuals/s of one island search (2 islands, same
# seed, so identical work and output) run as 1 process x 1 thread, 1
# process x 2 threads, and 2 MPI ranks x 1 thread, alternated, REPS times
# each; prints wall-clock and CPU figures and the medians.
#   bench/bench_scaling.sh [ZEROJIT_BINARY [REPS]]
# ZEROJIT_BINARY (default: _build/.libs/zerojit of this tree) must be the
# real program, not libtool's wrapper script, since mpirun starts it
# directly; its directory goes on LD_LIBRARY_PATH for libzerojit.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
Z=${1:-$here/../_build/.libs/zerojit}
reps=${2:-3}
[ -x "$Z" ] || { echo "bench_scaling.sh: no program $Z (build first)" >&2; exit 1; }
Z=$(cd "$(dirname "$Z")" && pwd)/$(basename "$Z")
LD_LIBRARY_PATH="$(dirname "$Z")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export LD_LIBRARY_PATH
command -v mpirun > /dev/null || echo "bench_scaling.sh: no mpirun: the 2x1 column will fail" >&2
specs=$here/../examples/specs
tmp=$(mktemp -d /tmp/zj_scaling.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
# Demo: 40M train steps per island (DEMO_STEPS=N to change; the spec's
# own budget is 200000000, where the serial select and final evaluations
# weigh less); paper setting: 2000 individuals per
# island (FM_INDIVIDUALS=N to change; a short budget: the first generations of a NO_OP start).
sed -e "s/max_train_steps: 200000000/max_train_steps: ${DEMO_STEPS:-40000000}/" \
  "$specs/demo_search.textpb" > "$tmp/demo.textpb"
sed -e "s/max_train_steps: 100000000000/max_individuals: ${FM_INDIVIDUALS:-2000}/" \
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
echo
echo "Medians of $reps rounds, individuals/s (wall clock), and speedup over 1x1:"
echo
echo "| spec | 1x1 | 1x2 threads | 2 ranks x 1 |"
echo "|---|---|---|---|"
for name in demo fashion_mnist; do
  row="| $name"
  base=
  for cfg in 1x1 1x2 2x1; do
    m=$(awk -v n=$name -v c=$cfg '$1 == n && $2 == c { print $3 }' "$tmp/all" \
        | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
    [ -n "$base" ] || base=$m
    if [ "$cfg" = 1x1 ]; then
      row="$row | $m"
    else
      row="$row | $m ($(awk -v a="$m" -v b="$base" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }'))"
    fi
  done
  echo "$row |"
done
