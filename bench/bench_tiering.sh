#!/bin/sh
# bench_tiering.sh -- tiered execution: --jit=off / always / auto on three
# specs (the demo, an NN regression, a mixed search + heavy select/final).
# Prints one row per run: wall seconds, individuals/s, seconds until the
# search first reached its final best fitness (the trajectory is the same
# under every mode, so this is time-to-solution), and the tier counters.
# Usage: bench/bench_tiering.sh [ZEROJIT] [MODES] [extra flags...]
#   e.g. bench/bench_tiering.sh _build/zerojit "off auto"
#   BENCH_SPECS="demo nn mixed" BENCH_TIMEOUT=120 BENCH_SEED=1 to vary.
set -u
here=$(cd "$(dirname "$0")" && pwd)
zj=${1:-./zerojit}
modes=${2:-"off always auto"}
shift 2 2>/dev/null || shift $#
specs=${BENCH_SPECS:-"demo nn mixed"}
tmo=${BENCH_TIMEOUT:-120}
seed=${BENCH_SEED:-1}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The demo with a bounded search (20 M train steps).
sed -e 's/max_train_steps: 200000000/max_train_steps: 20000000/' \
    -e 's/progress_every: 10000/progress_every: 1000/' \
    "$here/../examples/specs/demo_search.textpb" > "$tmp/demo.textpb"
args_for () {
  case $1 in
    demo) echo "--search_experiment_spec_file=$tmp/demo.textpb --select_tasks_file=$here/../examples/specs/demo_select.textpb --final_tasks_file=$here/../examples/specs/demo_final.textpb --max_scalar_addresses=4 --max_vector_addresses=3 --max_matrix_addresses=1" ;;
    nn) echo "--search_experiment_spec_file=$here/tiering/nn_search.textpb --select_tasks_file=$here/tiering/nn_tasks.textpb --final_tasks_file=$here/tiering/nn_tasks.textpb --max_scalar_addresses=5 --max_vector_addresses=9 --max_matrix_addresses=2" ;;
    mixed) echo "--search_experiment_spec_file=$here/tiering/mixed_search.textpb --select_tasks_file=$here/tiering/mixed_tasks.textpb --final_tasks_file=$here/tiering/mixed_tasks.textpb --max_scalar_addresses=5 --max_vector_addresses=9 --max_matrix_addresses=2 --max_experiments=2" ;;
  esac
}
printf '%-6s %-7s %8s %10s %8s  %s\n' spec mode wall_s indiv/s tts_s tier
for s in $specs; do
  for m in $modes; do
    log=$tmp/$s-$m.jsonl
    t0=$(date +%s.%N)
    # shellcheck disable=SC2046
    timeout "$tmo" "$zj" search $(args_for "$s") --random_seed="$seed" \
      --jit="$m" --progress_log="$log" "$@" > "$tmp/out" 2>&1
    rc=$?
    t1=$(date +%s.%N)
    wall=$(echo "$t1 - $t0" | bc)
    tts=$(awk -F'"best": ' '{split($2,a,","); b[NR]=a[1]; e[NR]=$0}
          END {m=-1; for (i=1;i<=NR;i++) if (b[i]+0>m) m=b[i]+0;
               for (i=1;i<=NR;i++) if (b[i]+0>=m) {split(e[i],x,"\"elapsed\": ");
               split(x[2],y,","); print y[1]; exit}}' "$log")
    ips=$(tail -1 "$log" | sed 's/.*"evals_per_sec": \([0-9.]*\).*/\1/')
    tier=$(grep '^Tier summary' "$tmp/out" | sed 's/^Tier summary: //')
    [ $rc -eq 124 ] && tier="TIMEOUT after ${tmo}s; $tier" && tts="-"
    printf '%-6s %-7s %8.2f %10s %8s  %s\n' "$s" "$m" "$wall" "$ips" "$tts" "$tier"
    grep -E '^(Final evaluation fitness|Summary)' "$tmp/out" | sed 's/^/    /'
  done
done
