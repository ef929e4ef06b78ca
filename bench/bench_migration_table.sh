#!/bin/sh
# bench_migration_table.sh -- does migration help?  Time to solution of N
# independent populations (--migration_interval=0) against N islands with
# the default migration (every 1000 individuals, half the population,
# topology "all"), N = 4 and 8, seeds 1..SEEDS, on the demo spec and on the
# nonlinear integration spec; printed like the paper's Table S2.
#   bench/bench_migration_table.sh ZEROJIT_BINARY [SEEDS] [OUTDIR]
# Runs one search at a time under nice -n 19 (--workers=1, --jit=off).
#
# Solved = an island's hall of fame reaches the criterion of the
# integration tests (tests/test_integration.c): >= 0.9997 for the linear
# demo (the SGD update scores 0.99973-0.99997), > 0.99 for the nonlinear
# spec.  Time to solution = N x the individuals of the first island to
# get there, i.e. all individuals evaluated by then when the N populations
# run side by side at the same rate (islands with migration do run in
# lockstep).  Progress lines are logged once per generation (P = 1000
# individuals per island in both specs; progress_every changes nothing
# else), so that is the resolution: N x 1000 individuals.
# Budgets per island, in train steps: DEMO_STEPS (default 5e7, a quarter
# of the demo spec's 2e8, ~250,000 individuals per island) and
# NONLINEAR_STEPS (default 1e7, half the nonlinear integration test's 2e7,
# ~10,000 individuals per island; it solves within ~3000 or stalls), so
# the whole table costs ~10 CPU minutes; DEMO_STEPS=200000000 gives the
# spec's budget (~4x the CPU).
set -eu
Z=$1
seeds=${2:-10}
out=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
specs=$here/../examples/specs
tmp=$(mktemp -d /tmp/zj_migtable.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
[ -n "$out" ] || out=$tmp
mkdir -p "$out"
sed -e 's/progress_every: .*/progress_every: 1000/' \
  -e "s/max_train_steps: .*/max_train_steps: ${DEMO_STEPS:-50000000}/" \
  "$specs/demo_search.textpb" > "$tmp/demo.textpb"
sed -e 's/progress_every: .*/progress_every: 1000/' \
  -e "s/max_train_steps: .*/max_train_steps: ${NONLINEAR_STEPS:-10000000}/" \
  "$specs/nonlinear_search.textpb" > "$tmp/nonlinear.textpb"
demo="--search_experiment_spec_file=$tmp/demo.textpb
  --select_tasks_file=$specs/demo_select.textpb
  --final_tasks_file=$specs/demo_final.textpb
  --max_scalar_addresses=4 --max_vector_addresses=3 --max_matrix_addresses=1"
nonlinear="--search_experiment_spec_file=$tmp/nonlinear.textpb
  --select_tasks_file=$specs/nonlinear_select_final.textpb
  --final_tasks_file=$specs/nonlinear_select_final.textpb
  --max_scalar_addresses=5 --max_vector_addresses=9 --max_matrix_addresses=2"

# first_solve LOG THRESHOLD OP: smallest per-island individual count at
# which some island's hall of fame passes the threshold, or "-".
first_solve () {
  awk -v thr="$2" -v op="$3" '
    /"island":/ {
      ind = $0; sub(/.*"individuals": /, "", ind); sub(/,.*/, "", ind)
      h = $0; sub(/.*"hall_of_fame": /, "", h); sub(/,.*/, "", h)
      ok = (op == "ge") ? (h + 0 >= thr) : (h + 0 > thr)
      if (ok && (best == "" || ind + 0 < best)) best = ind + 0
    }
    END { print (best == "" ? "-" : best) }' "$1"
}

for spec in demo nonlinear; do
  case $spec in
    demo) flags=$demo thr=0.9997 op=ge ;;
    nonlinear) flags=$nonlinear thr=0.99 op=gt ;;
  esac
  for n in 4 8; do
    for mode in independent migration; do
      case $mode in
        independent) mi=0 ;;
        migration) mi=1000 ;;
      esac
      for s in $(seq 1 "$seeds"); do
        log=$out/$spec.n$n.$mode.s$s.json
        /usr/bin/time -f "%U %S" -o "$tmp/time" nice -n 19 "$Z" search $flags \
          --random_seed=$s --max_experiments=1 --workers=1 --jit=off \
          --islands=$n --migration_interval=$mi --progress_log="$log" \
          > "$out/$spec.n$n.$mode.s$s.txt" 2> /dev/null
        t=$(first_solve "$log" $thr $op)
        [ "$t" = "-" ] || t=$((t * n))
        hof=$(awk '/^Hall of fame/ { print $NF }' "$out/$spec.n$n.$mode.s$s.txt")
        cpu=$(awk '{ printf "%.1f", $1 + $2 }' "$tmp/time")
        echo "$spec N=$n $mode seed=$s solved_at=$t hall_of_fame=$hof cpu_s=$cpu"
        echo "$spec $n $mode $s $t $hof" >> "$tmp/all"
      done
    done
  done
done

echo
echo "| spec | N | populations | success rate | median individuals to solution (solved runs) | median best fitness |"
echo "|---|---|---|---|---|---|"
for spec in demo nonlinear; do
  for n in 4 8; do
    for mode in independent migration; do
      awk -v sp=$spec -v n=$n -v m=$mode '$1 == sp && $2 == n && $3 == m' "$tmp/all" > "$tmp/sel"
      runs=$(wc -l < "$tmp/sel")
      ok=$(awk '$5 != "-"' "$tmp/sel" | wc -l)
      med=$(awk '$5 != "-" { print $5 }' "$tmp/sel" | sort -n \
            | awk '{ a[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }')
      hof=$(awk '{ print $6 }' "$tmp/sel" | sort -g \
            | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else printf "%.6f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }')
      label=$([ $mode = independent ] && echo "$n independent" || echo "$n islands, migration")
      echo "| $spec | $n | $label | $ok/$runs | $med | $hof |"
    done
  done
done
