#!/bin/sh
# cli_stencils.sh -- the one-time build of the baseline tier's stencil
# libraries is announced: one line on stderr without a status line, a
# phase in the status line with one, and nothing once they are cached.
. "${top_srcdir:-.}/tests/cli_lib.sh"

if ! "$ZEROJIT" --version | grep -q libgccjit || ! grep -qw avx2 /proc/cpuinfo; then
  echo "no JIT or no AVX2: nothing to build"
  finish
  exit $?
fi
sed 's/max_train_steps: 200000000/max_train_steps: 200000/; s/population_size: 1000/population_size: 50/' \
  "$specs/demo_search.textpb" > "$tmp/search.textpb"
tiny () {
  cache=$1
  shift
  ZEROJIT_CACHE_DIR=$cache "$ZEROJIT" search \
    --search_experiment_spec_file="$tmp/search.textpb" \
    --select_tasks_file="$specs/demo_select.textpb" \
    --final_tasks_file="$specs/demo_final.textpb" \
    --max_scalar_addresses=4 --max_vector_addresses=3 --max_matrix_addresses=1 \
    --workers=1 --max_experiments=1 --random_seed=3 --jit=baseline "$@"
}
msg='^zerojit: building native stencils for F=4 \(one-time; cached in '

tiny "$tmp/c1" --status=false > "$tmp/out" 2> "$tmp/err"
rc=$?
[ $rc -eq 0 ] && ok "search with an empty cache" || bad "search failed ($rc): $(tail -3 "$tmp/err")"
n=$(grep -Ec "$msg" "$tmp/err")
[ "$n" -eq 1 ] && ok "stencil build announced once" \
  || bad "stencil build announced $n times: $(head -c 400 "$tmp/err")"
grep -q "cached in $tmp/c1)" "$tmp/err" && ok "announcement names the cache" \
  || bad "announcement lacks the cache dir: $(head -c 400 "$tmp/err")"
ls "$tmp/c1"/stencils-*.o > /dev/null 2>&1 && ok "stencils cached" || bad "nothing cached in $tmp/c1"
grep -q 'building native stencils' "$tmp/out" && bad "announcement on stdout" || ok "stdout free of the announcement"

tiny "$tmp/c1" --status=false > "$tmp/out2" 2> "$tmp/err2"
rc=$?
[ $rc -eq 0 ] && ok "search with a warm cache" || bad "second search failed ($rc)"
grep -q 'building native stencils' "$tmp/err2" && bad "announced again with a warm cache: $(head -c 400 "$tmp/err2")" \
  || ok "no announcement with a warm cache"

# With the status line: the phase shows while the libraries build.
tiny "$tmp/c2" --status > "$tmp/out3" 2> "$tmp/err3"
if tr '\r' '\n' < "$tmp/err3" | grep -Eq '\[zerojit\] .* \| building native stencils \(one-time, cached\)'; then
  ok "status line shows the stencil build"
else
  bad "no stencil phase in the status line: $(head -c 400 "$tmp/err3")"
fi
grep -Eq "$msg" "$tmp/err3" && bad "status line and announcement line both" || ok "one way of telling with a status line"
finish
