#!/bin/sh
# cli_stencils.sh -- the one-time build of the baseline tier's stencil
# libraries runs in the background and is announced: one line on stderr
# when it starts and one when it is ready without a status line, a phase
# in the status line with one, and nothing once they are cached.  The
# search meanwhile runs interpreted, with the output of --jit=off; a
# failed build is told once and counted; a search stopped by SIGINT
# during the build waits for it and leaves nothing behind.
. "${top_srcdir:-.}/tests/cli_lib.sh"

need_stencils "nothing to build"
sed 's/max_train_steps: 200000000/max_train_steps: 200000/; s/population_size: 1000/population_size: 50/' \
  "$specs/demo_search.textpb" > "$tmp/search.textpb"
tiny () {
  spec=$tmp/search.textpb
  search_in "$@"
}
# search_in CACHE_DIR FLAGS...: the demo search, spec $spec.
search_in () {
  cache=$1
  shift
  ZEROJIT_CACHE_DIR=$cache "$ZEROJIT" search \
    --search_experiment_spec_file="$spec" \
    --select_tasks_file="$specs/demo_select.textpb" \
    --final_tasks_file="$specs/demo_final.textpb" \
    --max_scalar_addresses=4 --max_vector_addresses=3 --max_matrix_addresses=1 \
    --workers=1 --max_experiments=1 --random_seed=3 --jit=baseline "$@"
}
msg='^zerojit: building native stencils for F=4 \(one-time; cached in .*\) in the background'

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
if tr '\r' '\n' < "$tmp/err3" | grep -Eq '\[zerojit\] .* \| building native stencils in the background \(one-time, cached\)'; then
  ok "status line shows the stencil build"
else
  bad "no stencil phase in the status line: $(head -c 400 "$tmp/err3")"
fi
grep -Eq "$msg" "$tmp/err3" && bad "status line and announcement line both" || ok "one way of telling with a status line"

. "$top_srcdir/tests/search_norm.sh"
# The search does not wait for the build: with an empty cache its first
# evaluations are interpreted (fallbacks, while the stencils build), and
# once they are ready it runs native kernels; its output is --jit=off's.
# The full demo budget (seconds) outlasts the build (about a second).
spec=$specs/demo_search.textpb
search_in "$tmp/c4" --status=false > "$tmp/b.out" 2> "$tmp/b.err"
rc=$?
search_in "$tmp/c4" --status=false --jit=off > "$tmp/o.out" 2> /dev/null
[ $rc -eq 0 ] && ok "long search with an empty cache" || bad "long search failed ($rc)"
norm "$tmp/b.out" > "$tmp/b.n"; norm "$tmp/o.out" > "$tmp/o.n"
cmp -s "$tmp/b.n" "$tmp/o.n" && ok "--jit=baseline with an empty cache: the output of --jit=off" \
  || bad "output differs from --jit=off: $(diff "$tmp/b.n" "$tmp/o.n" | head -4)"
first=$(grep -m1 '^indivs=' "$tmp/b.out")
case $first in
  *baseline_kernels=0,*baseline_fallbacks=[1-9]*baseline_waits=[1-9]*)
    ok "first evaluations interpreted while the stencils build" ;;
  *) bad "first progress line shows no waiting: $first" ;;
esac
grep -Eq '^zerojit: native stencils for F=4 ready \(built in [0-9.]+ s\)$' "$tmp/b.err" \
  && ok "the end of the build is told" || bad "no 'ready' line: $(head -c 600 "$tmp/b.err")"
grep -Eq '^Tier summary: .*baseline_hits=[1-9]' "$tmp/b.out" \
  && ok "native kernels ran once the stencils were ready" \
  || bad "no baseline hits: $(grep '^Tier summary' "$tmp/b.out")"
grep -Eq '^indivs=.*baseline_waits=' "$tmp/o.out" && bad "--jit=off counts baseline waits" || ok "--jit=off has no baseline counters"

# Under --jit=auto (the default) too, with the small search.
tiny "$tmp/c5" --status=false --jit=auto > "$tmp/a.out" 2> /dev/null
tiny "$tmp/c5" --status=false --jit=off > "$tmp/ao.out" 2> /dev/null
norm "$tmp/a.out" > "$tmp/a.n"; norm "$tmp/ao.out" > "$tmp/ao.n"
cmp -s "$tmp/a.n" "$tmp/ao.n" && ok "--jit=auto with an empty cache: the output of --jit=off" \
  || bad "auto differs from off: $(diff "$tmp/a.n" "$tmp/ao.n" | head -4)"

# A build that fails (the cache cannot be written): told once, counted,
# the search completes with the same output.
spec=$specs/demo_search.textpb
search_in /dev/null/zerojit-cache --status=false > "$tmp/f.out" 2> "$tmp/f.err"
rc=$?
[ $rc -eq 0 ] && ok "search with a failing stencil build" || bad "search failed ($rc): $(tail -3 "$tmp/f.err")"
n=$(grep -c '^zerojit: native stencils for F=4 failed to build, the interpreter runs on: .*stencil build F=4' "$tmp/f.err")
[ "$n" -eq 1 ] && ok "the failure told once" || bad "failure told $n times: $(head -c 600 "$tmp/f.err")"
[ "$(grep -c . "$tmp/f.err")" -eq 2 ] && ok "nothing else on stderr" || bad "stderr: $(head -c 600 "$tmp/f.err")"
grep -Eq '^Tier summary: .*baseline_failures=[1-9]' "$tmp/f.out" && ok "the failure counted" \
  || bad "no baseline_failures: $(grep '^Tier summary' "$tmp/f.out")"
norm "$tmp/f.out" > "$tmp/f.n"
cmp -s "$tmp/f.n" "$tmp/o.n" && ok "failed build: the output of --jit=off" \
  || bad "failed build changes the output: $(diff "$tmp/f.n" "$tmp/o.n" | head -4)"

# SIGINT while the build runs: the search stops, waits for the build
# (it finishes the cache), and leaves no process and no temporary file.
ZEROJIT_CACHE_DIR=$tmp/c7 "$ZEROJIT" search --search_experiment_spec_file="$specs/demo_search.textpb" \
  --select_tasks_file="$specs/demo_select.textpb" \
  --final_tasks_file="$specs/demo_final.textpb" \
  --max_scalar_addresses=4 --max_vector_addresses=3 --max_matrix_addresses=1 \
  --workers=1 --max_experiments=1 --random_seed=3 --jit=baseline --status=false \
  > "$tmp/i.out" 2> "$tmp/i.err" &
pid=$!
n=0
while [ $n -lt 100 ] && ! grep -q 'in the background' "$tmp/i.err"; do sleep 0.05; n=$((n + 1)); done
kill -INT $pid
wait $pid
rc=$?
grep -q '^Algorithm found (interrupted): ' "$tmp/i.out" && [ $rc -eq 130 ] \
  && ok "SIGINT during the build: the search stops with its best" \
  || bad "SIGINT during the build: exit $rc: $(tail -3 "$tmp/i.err")"
left=$(grep -l "ZEROJIT_CACHE_DIR=$tmp/c7" /proc/[0-9]*/environ 2> /dev/null | head -3)
[ -z "$left" ] && ok "no build process left after SIGINT" || bad "processes left: $left"
ls "$tmp/c7"/stencils-*.o > /dev/null 2>&1 && ok "the build finished the cache" || bad "nothing cached in $tmp/c7"
ls "$tmp/c7" | grep -q tmp && bad "temporary files left: $(ls "$tmp/c7")" || ok "no temporary file left"

# ZEROJIT_CACHE_DIR=off turns off the data cache only: the stencils go to
# the default place, not to a directory named "off" where the search runs.
mkdir -p "$tmp/wd"
(cd "$tmp/wd" && XDG_CACHE_HOME=$tmp/xdg tiny off --status=false > "$tmp/off.out" 2> "$tmp/off.err")
rc=$?
[ $rc -eq 0 ] && ok "search with ZEROJIT_CACHE_DIR=off" || bad "ZEROJIT_CACHE_DIR=off: exit $rc: $(tail -3 "$tmp/off.err")"
[ -e "$tmp/wd/off" ] && bad "ZEROJIT_CACHE_DIR=off made ./off" || ok "ZEROJIT_CACHE_DIR=off makes no ./off"
grep -q "cached in $tmp/xdg/zerojit)" "$tmp/off.err" && ok "ZEROJIT_CACHE_DIR=off: stencils in the default place" \
  || bad "ZEROJIT_CACHE_DIR=off: $(head -c 400 "$tmp/off.err")"
finish
