#!/bin/sh
# cli_examples.sh -- every example script and README command runs and
# does what its comment says, on a small budget: searches are stopped
# with SIGINT after a few seconds (they must then print the best so far),
# except the linear integration example, whose default seed must find SGD.
. "${top_srcdir:-.}/tests/cli_lib.sh"
ex="$top_srcdir/examples"
export ZEROJIT

# run_for SECONDS NAME SCRIPT ARGS...: ends by itself (exit 0, final
# evaluation printed) or by SIGINT (exit 130, interrupted best printed).
run_for () {
  secs=$1 name=$2
  shift 2
  timeout --preserve-status -s INT "$secs" "$@" --workers=1 --status=false > "$tmp/$name.out" 2> "$tmp/$name.err"
  rc=$?
  # A signal during the final evaluation lets it finish: exit 130 then.
  if { [ $rc -eq 0 ] || [ $rc -eq 130 ]; } \
     && grep -q '^Final evaluation fitness (on unseen data) = ' "$tmp/$name.out"; then
    ok "$name finished"
  elif [ $rc -eq 130 ] && grep -q '^Algorithm found (interrupted): ' "$tmp/$name.out"; then
    ok "$name ran and reported its best when stopped"
  else
    bad "$name: exit $rc: $(tail -3 "$tmp/$name.err") $(tail -3 "$tmp/$name.out")"
  fi
}

# The quick tier (make check) gives each search a few seconds; the full
# tier (make check-full, CI) longer, and runs the slow examples too.
full=${ZJ_TEST_FULL:-0}
[ "$full" = 1 ] && t=20 || t=5
run_for $t demo "$ex/demo.sh"
run_for $t nonlinear "$ex/nonlinear_integration.sh"
if [ "$full" != 1 ]; then
  echo "skip: fashion_mnist.sh (full tier)"
elif [ -d "${ZEROJIT_FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}" ]; then
  # Building its data sets (about 1-2 s each on a quiet machine) comes first.
  ZEROJIT_CACHE_DIR="$tmp/cache" run_for 90 fashion_mnist "$ex/fashion_mnist.sh"
else
  echo "skip: fashion_mnist.sh (no Fashion-MNIST data)"
fi

# The linear integration example's default seed finds the SGD update
# (about 1e8 training steps: a few seconds on a quiet core).
timeout 600 "$ex/linear_integration.sh" --workers=1 --status=false > "$tmp/lin.out" 2>&1
rc=$?
best=$(sed -n 's/^Search fitness for candidate algorithm = //p' "$tmp/lin.out")
final=$(sed -n 's/^Final evaluation fitness (on unseen data) = //p' "$tmp/lin.out")
if [ $rc -eq 0 ] && awk -v b="$best" -v f="$final" 'BEGIN { exit !(b > 0.9998 && f > 0.9999) }'; then
  ok "linear_integration.sh finds SGD (search $best, final $final)"
else
  bad "linear_integration.sh: exit $rc, search fitness '$best', final '$final'"
fi

# README: eval and bench on programs that train.
expect 0 "combined fitness \(mean over 10 tasks\) = 1\.000000" "README eval of linear_regression.txt" -- \
  "$ZEROJIT" eval --program "$programs/linear_regression.txt" --memory 4,3,1 \
  --tasks 'tasks { scalar_linear_regression_task {} features_size: 16 num_tasks: 10 num_train_examples: 8000 num_valid_examples: 1000 eval_type: RMS_ERROR }'
if "$ZEROJIT" --version | grep -q libgccjit; then
  expect 0 "fitness: 1\.000000 \(tiers identical: yes\)" "README bench example trains" -- \
    "$ZEROJIT" bench --program "$programs/linear_regression.txt" --memory 4,3,1 --reps 1 \
    --tasks 'tasks { scalar_linear_regression_task {} features_size: 16 num_tasks: 10 num_train_examples: 8000 num_valid_examples: 1000 eval_type: RMS_ERROR }'
  # --opt: a level and GCC -f options; a bad one is a one-line usage error.
  expect 0 "-O2 -fschedule-insns whole-evaluation" "bench --opt=2,-fschedule-insns" -- \
    "$ZEROJIT" bench --program "$programs/linear_regression.txt" --memory 4,3,1 --reps 1 --opt=2,-fschedule-insns \
    --tasks 'tasks { scalar_linear_regression_task {} features_size: 4 num_tasks: 2 num_train_examples: 100 num_valid_examples: 10 eval_type: RMS_ERROR }'
  for o in 4 1,-O3 1,-ffast-math; do
    expect 2 "^zerojit: --opt=$o: " "bench --opt=$o refused" -- \
      "$ZEROJIT" bench --program "$programs/linear_regression.txt" --opt="$o" --tasks 'tasks {}'
    [ "$(wc -l < "$tmp/out")" -eq 1 ] || bad "bench --opt=$o: more than one line"
  done
  expect 2 "^zerojit: --jit_opt_level=1,-ffast-math: .*floating-point" "search --jit_opt_level refuses -ffast-math" -- \
    "$ZEROJIT" search --jit_opt_level=1,-ffast-math --search_experiment_spec_file="$specs/demo_search.textpb"
  # eval --opt reaches the optimized tier's compile: the same figures as
  # the interpreter; an -f option GCC does not know fails that compile,
  # which eval reports before interpreting.
  small='tasks { scalar_linear_regression_task {} features_size: 4 num_tasks: 3 num_train_examples: 200 num_valid_examples: 20 eval_type: RMS_ERROR }'
  "$ZEROJIT" eval --program "$programs/linear_regression.txt" --memory 4,3,1 --jit=off \
    --tasks "$small" > "$tmp/e.off" 2> /dev/null
  "$ZEROJIT" eval --program "$programs/linear_regression.txt" --memory 4,3,1 --jit=optimized \
    --opt=2,-fschedule-insns --tasks "$small" > "$tmp/e.opt" 2> "$tmp/e.opt.err"
  if grep -q "tier optimized" "$tmp/e.opt.err" && cmp -s "$tmp/e.off" "$tmp/e.opt"; then
    ok "eval --opt=2,-fschedule-insns: optimized tier, same figures"
  else
    bad "eval --opt=2,-fschedule-insns: $(cat "$tmp/e.opt.err") $(diff "$tmp/e.off" "$tmp/e.opt" | head -3)"
  fi
  "$ZEROJIT" eval --program "$programs/linear_regression.txt" --memory 4,3,1 --jit=optimized \
    --opt=1,-fzj-no-such-option --tasks "$small" > "$tmp/e.bad" 2> "$tmp/e.bad.err"
  if grep -q "tier interpreter: .*compile failed" "$tmp/e.bad.err" \
     && grep -q "fzj-no-such-option" "$tmp/e.bad.err" && cmp -s "$tmp/e.off" "$tmp/e.bad"; then
    ok "eval --opt reaches the compile (an unknown option fails it; interpreted)"
  else
    bad "eval --opt=1,-fzj-no-such-option: $(cat "$tmp/e.bad.err")"
  fi
  expect 2 "^zerojit eval: --opt=1,-ffast-math: .*floating-point" "eval --opt refuses -ffast-math" -- \
    "$ZEROJIT" eval --program "$programs/linear_regression.txt" --opt=1,-ffast-math --tasks "$small"
  [ "$(wc -l < "$tmp/out")" -eq 1 ] || bad "eval --opt=1,-ffast-math: more than one line"
fi

# The plot script: the command's built-in copy is the example file, and
# (with gnuplot) it draws a PNG from a real progress log.
"$ZEROJIT" plot --script > "$tmp/gp"
cmp -s "$tmp/gp" "$ex/plot_progress.gp" && ok "zerojit plot runs examples/plot_progress.gp" \
  || bad "zerojit plot's script differs from examples/plot_progress.gp"
if command -v gnuplot > /dev/null; then
  sed 's/max_train_steps: 200000000/max_train_steps: 2000000/; s/population_size: 1000/population_size: 100/' \
    "$specs/demo_search.textpb" > "$tmp/s.textpb"
  "$ZEROJIT" search --search_experiment_spec_file="$tmp/s.textpb" \
    --select_tasks_file="$specs/demo_select.textpb" --final_tasks_file="$specs/demo_final.textpb" \
    --max_experiments=2 --workers=2 --random_seed=1 --progress_log="$tmp/p.json" \
    --max_scalar_addresses=4 --max_vector_addresses=3 --max_matrix_addresses=1 > /dev/null 2>&1
  expect 0 "wrote $tmp/p.png" "zerojit plot" -- "$ZEROJIT" plot "$tmp/p.json" --out "$tmp/p.png"
  [ -s "$tmp/p.png" ] && head -c 8 "$tmp/p.png" | od -c | grep -q "P   N   G" \
    && ok "plot is a PNG" || bad "no PNG written"
else
  echo "skip: zerojit plot (no gnuplot; apt-get install gnuplot-nox)"
fi
finish
