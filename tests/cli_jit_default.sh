#!/bin/sh
# cli_jit_default.sh -- `auto` is the default tier mode of search and eval:
# a search without --jit runs the tiers (the Tier summary says auto) with
# progress lines of the original's form; --jit given by name adds the
# tier's counters to every line.  Builds without the JIT run `off` and say
# so only when --jit was asked for.
. "${top_srcdir:-.}/tests/cli_lib.sh"

sed 's/max_train_steps: 200000000/max_train_steps: 2000000/; s/population_size: 1000/population_size: 100/' \
  "$specs/demo_search.textpb" > "$tmp/search.textpb"
search () {
  "$ZEROJIT" search --search_experiment_spec_file="$tmp/search.textpb" \
    --select_tasks_file="$specs/demo_select.textpb" \
    --final_tasks_file="$specs/demo_final.textpb" \
    --max_scalar_addresses=4 --max_vector_addresses=3 --max_matrix_addresses=1 \
    --workers=1 --max_experiments=1 --random_seed=5 --status=false "$@"
}
. "${top_srcdir:-.}/tests/search_norm.sh"

search > "$tmp/def" 2> "$tmp/def.err" || bad "default search failed: $(tail -2 "$tmp/def.err")"
search --jit=auto > "$tmp/auto" 2> "$tmp/auto.err" || bad "--jit=auto search failed"
search --jit=off > "$tmp/off" 2> "$tmp/off.err" || bad "--jit=off search failed"
grep -q '^indivs=' "$tmp/def" && ok "progress lines" || bad "no progress lines"
if grep -q '^indivs=.*jit=' "$tmp/def"; then
  bad "default progress lines carry tier counters: $(grep -m1 '^indivs=' "$tmp/def")"
else
  ok "default progress lines keep the original's form"
fi
grep -q '^indivs=.*, jit=off' "$tmp/off" && bad "--jit=off lines carry counters" \
  || ok "--jit=off lines carry no counters"
if "$ZEROJIT" --version | grep -q libgccjit; then
  grep -q '^Tier summary: jit=auto,' "$tmp/def" && ok "the default mode is auto" \
    || bad "default search has no 'Tier summary: jit=auto': $(tail -2 "$tmp/def")"
  grep -q '^indivs=.*, jit=auto, compiles=' "$tmp/auto" \
    && ok "--jit=auto given: counters on every progress line" \
    || bad "--jit=auto lines lack the counters: $(grep -m1 '^indivs=' "$tmp/auto")"
  # But for the one-time stencil build's notices (an empty cache: a new
  # machine, or tests run in parallel before any other filled it).
  grep -v '^zerojit: \(building \)\{0,1\}native stencils for F=' "$tmp/def.err" > "$tmp/def.err2"
  [ ! -s "$tmp/def.err2" ] && ok "nothing on stderr by default" \
    || bad "default search wrote to stderr: $(head -2 "$tmp/def.err2")"
else
  grep -q '^Tier summary' "$tmp/def" && bad "a Tier summary without the JIT" \
    || ok "no Tier summary without the JIT"
  [ ! -s "$tmp/def.err" ] && ok "no notice when --jit was not given" \
    || bad "default search wrote to stderr without the JIT: $(head -2 "$tmp/def.err")"
  grep -q 'built without the JIT' "$tmp/auto.err" && ok "notice when --jit=auto was given" \
    || bad "no notice for --jit=auto without the JIT"
fi
norm "$tmp/def" > "$tmp/def.n"
norm "$tmp/off" > "$tmp/off.n"
norm "$tmp/auto" > "$tmp/auto.n"
cmp -s "$tmp/def.n" "$tmp/off.n" && cmp -s "$tmp/auto.n" "$tmp/off.n" \
  && ok "same search in every mode" \
  || bad "searches differ: $(diff "$tmp/def.n" "$tmp/off.n" | head -4)"

# `zerojit search | head` stops the search at once: SIGPIPE keeps its
# default action under the default tiers (their compile workers' pipes
# must not change that).  With SIGPIPE ignored the search would run to its
# end and fail with "Broken pipe" (exit 1) instead of dying of it (141).
{ search --max_experiments=3 2> /dev/null; echo $? > "$tmp/pipe.rc"; } | head -1 > /dev/null
[ "$(cat "$tmp/pipe.rc")" = 141 ] && ok "search | head: killed by SIGPIPE at once" \
  || bad "search | head: exit $(cat "$tmp/pipe.rc"), expected 141 (SIGPIPE)"

# eval: the default picks a tier like --jit=auto and prints the same figures.
tasks='tasks { scalar_linear_regression_task {} features_size: 4 num_tasks: 3 num_train_examples: 200 num_valid_examples: 50 eval_type: RMS_ERROR }'
"$ZEROJIT" eval --program "$programs/linear_regression.txt" --memory 4,3,1 \
  --tasks "$tasks" > "$tmp/e.def" 2> "$tmp/e.def.err" || bad "default eval failed"
"$ZEROJIT" eval --program "$programs/linear_regression.txt" --memory 4,3,1 \
  --tasks "$tasks" --jit=off > "$tmp/e.off" 2> "$tmp/e.off.err" || bad "eval --jit=off failed"
cmp -s "$tmp/e.def" "$tmp/e.off" && ok "eval: default and off print the same figures" \
  || bad "eval figures differ: $(diff "$tmp/e.def" "$tmp/e.off" | head -4)"
if "$ZEROJIT" --version | grep -q libgccjit; then
  grep -q '^zerojit eval: tier ' "$tmp/e.def.err" && ok "eval's default reports its tier" \
    || bad "eval's default names no tier: $(cat "$tmp/e.def.err")"
fi
finish
