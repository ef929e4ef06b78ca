#!/bin/sh
# cli_split.sh -- the paper search (Fashion-MNIST, F = 16, 10 tasks), where
# lane candidates with a matrix op run tasks [0, 8) in lanes and [8, 10)
# on per-task stencils (zj_door_split_rest), prints what the same search
# prints without the split (ZEROJIT_SPLIT=0) and with --jit=off, under
# --jit=baseline and --jit=auto.
. "${top_srcdir:-.}/tests/cli_lib.sh"

need_stencils "no split"
if [ ! -d "${ZEROJIT_FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}" ]; then
  echo "skip: no Fashion-MNIST data"
  finish
  exit $?
fi
sed 's/max_train_steps: [0-9]*/max_train_steps: 200000000/' \
  "$specs/fashion_mnist_search.textpb" > "$tmp/paper.textpb"
# The lane and per-task libraries for F = 16 are built synchronously
# first, so the runs below find them ready from their first candidate.
"$ZEROJIT" bench --program "$top_srcdir/bench/layout/paper_best.txt" \
  --memory 5,9,2 --reps 1 --tasks_file "$top_srcdir/bench/layout/paper_tasks.textpb" \
  > "$tmp/bench" 2>&1 || bad "bench failed: $(tail -3 "$tmp/bench")"
run () {
  "$ZEROJIT" search --search_experiment_spec_file="$tmp/paper.textpb" \
    --select_tasks_file="$specs/fashion_mnist_select.textpb" \
    --final_tasks_file="$specs/fashion_mnist_final.textpb" \
    --max_scalar_addresses=5 --max_vector_addresses=9 --max_matrix_addresses=2 \
    --random_seed=1000060 --max_experiments=1 --workers=1 --status=false "$@"
}
run --jit=baseline > "$tmp/base" 2> "$tmp/base.err" \
  || bad "baseline search failed: $(tail -3 "$tmp/base.err")"
run --jit=auto > "$tmp/auto" 2> "$tmp/auto.err" \
  || bad "auto search failed: $(tail -3 "$tmp/auto.err")"
ZEROJIT_SPLIT=0 run --jit=baseline > "$tmp/nosplit" 2> "$tmp/nosplit.err" \
  || bad "search without the split failed"
run --jit=off > "$tmp/off" 2> "$tmp/off.err" || bad "--jit=off search failed"
for m in base auto; do
  s=$(sed -n 's/^Tier summary:.* split_evals=\([0-9]*\),.*/\1/p' "$tmp/$m")
  [ "${s:-0}" -gt 0 ] && ok "$m: $s split evaluations" \
    || bad "$m: nothing split: $(grep '^Tier summary' "$tmp/$m")"
done
grep -q 'split_evals' "$tmp/nosplit" && bad "ZEROJIT_SPLIT=0 still split" \
  || ok "ZEROJIT_SPLIT=0 turns the split off"
strip_tier "$tmp/off" > "$tmp/c"
for m in base auto nosplit; do
  strip_tier "$tmp/$m" > "$tmp/a"
  [ -s "$tmp/a" ] && cmp -s "$tmp/a" "$tmp/c" && ok "$m: same output as --jit=off" \
    || bad "$m differs from --jit=off: $(diff "$tmp/a" "$tmp/c" | head -5)"
done
finish
