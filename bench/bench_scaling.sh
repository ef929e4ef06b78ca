#!/bin/sh
# bench_scaling.sh -- individuals/s of one island search (2 islands, same
# seed, so identical work and output) run as 1 process x 1 thread, 1
# process x 2 threads, and 2 MPI ranks x 1 thread, alternated, REPS times
# each; prints wall-clock and CPU figures and the medians.
#   bench/bench_scaling.sh [ZEROJIT_BINARY [REPS]]
# ZEROJIT_BINARY (default: _build/.libs/zerojit of this tree) must be the
# real program, not libtool's wrapper script, since mpirun starts it
# directly; its directory goes on LD_LIBRARY_PATH for libzerojit.
# Wall-clock speedups mean something only on a quiet machine: each run
# prints the 1-minute load average before it (load=, marked "(busy)" from
# 2.5 on 2 cores), and the CPU figures, which the load inflates much less:
# cpu_s (user + sys of the whole run, mpirun included) and, from the
# progress log (rank 0's islands for 2x1), island_cpu (the islands' thread
# CPU) and imbalance (their critical path over the migration intervals
# against an even split: what 2 threads lose waiting at the barriers).
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
# Demo: 160M train steps per island (DEMO_STEPS=N to change; the spec's
# own budget is 200000000); paper setting: 10000 individuals per island
# (FM_INDIVIDUALS=N to change).  Runs of 5-25 s: at the former 40M and
# 2000 they lasted 0.3-1.3 s, and a process's start and the serial select
# and final evaluations were a large share of them (bench/RESULTS.md).
sed -e "s/max_train_steps: 200000000/max_train_steps: ${DEMO_STEPS:-160000000}/" \
  "$specs/demo_search.textpb" > "$tmp/demo.textpb"
sed -e "s/max_train_steps: 100000000000/max_individuals: ${FM_INDIVIDUALS:-10000}/" \
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
  load=$(cut -d ' ' -f 1 /proc/loadavg)
  busy=$(awk -v l="$load" 'BEGIN { if (l >= 2.5) print " (busy)" }')
  rm -f "$tmp"/log*
  /usr/bin/time -f "%U %S" -o "$tmp/time" "$@" --progress_log="$tmp/log" > "$tmp/out" 2> /dev/null
  # One log per rank (log, log.rank1): the islands' CPU is their sum; the
  # imbalance needs both islands in one log (1x1, 1x2).
  mig=$(cat "$tmp"/log* 2> /dev/null | grep -o '"island_cpu_seconds": [0-9.]*, "critical_cpu_seconds": [0-9.]*' || true)
  icpu=$(echo "$mig" | sed -E 's/.*"island_cpu_seconds": ([0-9.]+).*/\1/' | awk '{ s += $1 } END { printf "%.3f", s }')
  crit=$(echo "$mig" | sed -E 's/.*"critical_cpu_seconds": ([0-9.]+).*/\1/' | head -n 1)
  imb=$(awk -v c="$crit" -v i="$icpu" -v k="$cfg" 'BEGIN {
          if (i > 0 && k != "2x1") printf "%.1f%%", 100 * (c / (i / 2) - 1); else print "-" }')
  line=$(grep '^Summary:' "$tmp/out")
  ips=$(echo "$line" | sed -E 's/.*individuals\/s=([0-9]+).*/\1/')
  secs=$(echo "$line" | sed -E 's/.*seconds=([0-9.]+),.*/\1/')
  ind=$(echo "$line" | sed -E 's/.*individuals=([0-9]+),.*/\1/')
  cpu=$(awk '{ printf "%.2f", $1 + $2 }' "$tmp/time")
  echo "$name $cfg individuals=$ind wall_s=$secs ind_per_s=$ips cpu_s=$cpu island_cpu=$icpu imbalance=$imb load=$load$busy"
  echo "$name $cfg $ips $cpu" >> "$tmp/all"
}
echo "start: $(uptime)"
for r in $(seq 1 "$reps"); do
  for cfg in 1x1 1x2 2x1; do run demo $cfg $demo; done
  for cfg in 1x1 1x2 2x1; do run fashion_mnist $cfg $fm; done
done
echo "end: $(uptime)"
echo
echo "Medians of $reps rounds, individuals/s (wall clock), and speedup over 1x1:"
echo
echo "| spec | 1x1 | 1x2 threads | 2 ranks x 1 | CPU s 1x1 / 1x2 / 2x1 |"
echo "|---|---|---|---|---|"
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
  cpus=
  for cfg in 1x1 1x2 2x1; do
    c=$(awk -v n=$name -v c=$cfg '$1 == n && $2 == c { print $4 }' "$tmp/all" \
        | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
    cpus="${cpus:+$cpus / }$c"
  done
  echo "$row | $cpus |"
done
