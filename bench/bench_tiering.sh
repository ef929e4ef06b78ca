#!/bin/sh
# bench_tiering.sh -- the tiers on the issue-11 benchmark, one command:
#   paper  examples/specs/fashion_mnist_search.textpb (projected binary
#          Fashion-MNIST, F=16, 8000/1000, 10 tasks, ACCURACY, seed 1000060)
#          with max_train_steps BENCH_PAPER_STEPS (400 M: 30-60 s of 21eea8c,
#          about 4-6 s of `off` now; the longer the search, the more
#          of it matrix programs take and the more native code gains:
#          bench/RESULTS.md, session 12, has 1000 M and 2000 M)
#   demo   examples/specs/demo_search.textpb (F=4, RMS, 997,000 individuals)
#   nn     bench/tiering/nn_search.textpb (F=16, NN init, Setup evolves)
#   nnall  bench/tiering/nn_all_search.textpb (the same, all components and
#          all mutation types)
#   mixed  bench/tiering/mixed_search.textpb (cheap search, then select and
#          final evaluations on 20 tasks x 8000 examples x 25 epochs)
# Every run: --workers=1 --max_experiments=1 (mixed: 2).  For each spec the
# modes alternate within a round, BENCH_ROUNDS rounds (3); a row per run,
# then per mode the medians of individuals per CPU second (user + sys of
# the whole process, compile thread included: the figure a shared machine
# does not distort much) and per wall second, and the median over rounds
# of the ratio to the first mode within the same round.  The last line of
# a spec says whether every mode printed the same search output (best
# fitness, final fitness), as it must.
# Usage: bench/bench_tiering.sh [ZEROJIT] [MODES] [extra flags...]
#   e.g. bench/bench_tiering.sh _build/zerojit "off baseline auto"
#   A mode MODE@OTHER runs the build OTHER in that mode, alternated with
#   the others: bench/bench_tiering.sh _build/zerojit "off auto auto@../main/_build/zerojit"
#   BENCH_SPECS="paper demo nn nnall mixed" BENCH_ROUNDS=3
#   BENCH_TIMEOUT=600 (a run killed by it prints TIMEOUT) BENCH_SEED=1
set -u
here=$(cd "$(dirname "$0")" && pwd)
specs_dir=$here/../examples/specs
zj=${1:-./zerojit}
modes=${2:-"off baseline auto"}
shift 2 2>/dev/null || shift $#
specs=${BENCH_SPECS:-"paper demo nn nnall mixed"}
rounds=${BENCH_ROUNDS:-3}
tmo=${BENCH_TIMEOUT:-600}
seed=${BENCH_SEED:-1}
psteps=${BENCH_PAPER_STEPS:-400000000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed "s/max_train_steps: [0-9]*/max_train_steps: $psteps/" \
  "$specs_dir/fashion_mnist_search.textpb" > "$tmp/paper.textpb"
args_for () {
  case $1 in
    paper) echo "--search_experiment_spec_file=$tmp/paper.textpb --select_tasks_file=$specs_dir/fashion_mnist_select.textpb --final_tasks_file=$specs_dir/fashion_mnist_final.textpb --max_scalar_addresses=5 --max_vector_addresses=9 --max_matrix_addresses=2 --random_seed=1000060 --max_experiments=1" ;;
    demo) echo "--search_experiment_spec_file=$specs_dir/demo_search.textpb --select_tasks_file=$specs_dir/demo_select.textpb --final_tasks_file=$specs_dir/demo_final.textpb --max_scalar_addresses=4 --max_vector_addresses=3 --max_matrix_addresses=1 --random_seed=$seed --max_experiments=1" ;;
    nn) echo "--search_experiment_spec_file=$here/tiering/nn_search.textpb --select_tasks_file=$here/tiering/nn_tasks.textpb --final_tasks_file=$here/tiering/nn_tasks.textpb --max_scalar_addresses=5 --max_vector_addresses=9 --max_matrix_addresses=2 --random_seed=$seed --max_experiments=1" ;;
    nnall) echo "--search_experiment_spec_file=$here/tiering/nn_all_search.textpb --select_tasks_file=$here/tiering/nn_tasks.textpb --final_tasks_file=$here/tiering/nn_tasks.textpb --max_scalar_addresses=5 --max_vector_addresses=9 --max_matrix_addresses=2 --random_seed=$seed --max_experiments=1" ;;
    mixed) echo "--search_experiment_spec_file=$here/tiering/mixed_search.textpb --select_tasks_file=$here/tiering/mixed_tasks.textpb --final_tasks_file=$here/tiering/mixed_tasks.textpb --max_scalar_addresses=5 --max_vector_addresses=9 --max_matrix_addresses=2 --random_seed=$seed --max_experiments=2" ;;
  esac
}
median () { sort -g | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)]; else print "-" }'; }
printf '%-6s %-9s %5s %8s %8s %10s %10s  %s\n' spec mode round wall_s cpu_s indiv/cpu_s indiv/wall_s tier
for s in $specs; do
  : > "$tmp/$s.all"
  for r in $(seq 1 "$rounds"); do
    for m in $modes; do
      out=$tmp/$s-$(echo "$m" | tr / _)-$r.out
      # MODE@ZEROJIT: another build, alternated with the first.
      case $m in
        *@*) mzj=${m#*@}; mm=${m%%@*} ;;
        *) mzj=$zj; mm=$m ;;
      esac
      # shellcheck disable=SC2046
      /usr/bin/time -f "time %e %U %S" -o "$tmp/time" \
        timeout "$tmo" "$mzj" search $(args_for "$s") --workers=1 --jit="$mm" \
        "$@" > "$out" 2>&1
      rc=$?
      read -r _ wall us ss < "$tmp/time" 2>/dev/null || { wall=0; us=0; ss=0; }
      cpu=$(echo "$us + $ss" | bc)
      ind=$(sed -n 's/^Summary:.*individuals=\([0-9]*\),.*/\1/p' "$out" | tail -1)
      [ -n "$ind" ] || ind=0
      ipc=$(awk -v i="$ind" -v c="$cpu" 'BEGIN { printf "%.1f", (c > 0 ? i / c : 0) }')
      ipw=$(awk -v i="$ind" -v c="$wall" 'BEGIN { printf "%.1f", (c > 0 ? i / c : 0) }')
      tier=$(grep '^Tier summary' "$out" | sed 's/^Tier summary: //; s/, requests=.*//')
      [ $rc -eq 124 ] && tier="TIMEOUT after ${tmo}s; $tier"
      [ $rc -ne 0 ] && [ $rc -ne 124 ] && tier="FAILED rc=$rc: $(tail -1 "$out")"
      printf '%-6s %-9s %5s %8.2f %8.2f %10s %10s  %s\n' "$s" "$m" "$r" "$wall" "$cpu" "$ipc" "$ipw" "$tier"
      echo "$m $r $ipc $ipw" >> "$tmp/$s.all"
      grep -E '^(Search fitness|Hall of fame|Select fitness for|Final evaluation fitness)' "$out" > "$tmp/$s-$(echo "$m" | tr / _)-$r.res"
    done
  done
  first=${modes%% *}
  for m in $modes; do
    c=$(awk -v m="$m" '$1 == m { print $3 }' "$tmp/$s.all" | median)
    w=$(awk -v m="$m" '$1 == m { print $4 }' "$tmp/$s.all" | median)
    ratio=$(awk -v m="$m" -v f="$first" '$1 == f { b[$2] = $3 } $1 == m { v[$2] = $3 }
            END { for (r in v) if (b[r] > 0) print v[r] / b[r] }' "$tmp/$s.all" | median)
    printf '%-6s %-9s median individuals/cpu_s %10s  individuals/wall_s %10s  vs %s (per-round ratio, median) %s\n' \
      "$s" "$m" "$c" "$w" "$first" "$ratio"
  done
  same=yes
  for f in "$tmp/$s"-*-*.res; do
    cmp -s "$f" "$tmp/$s-$(echo "$first" | tr / _)-1.res" || same=no
  done
  echo "$s search output identical in every run: $same ($(tr '\n' ' ' < "$tmp/$s-$(echo "$first" | tr / _)-1.res"))"
done
