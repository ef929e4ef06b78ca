#!/bin/sh
# cli_search.sh -- a search as a user watches it: live progress lines, a
# progress log in experiment order with one whole JSON object per line,
# and a clean stop on SIGINT/SIGTERM with the best algorithm so far.
. "${top_srcdir:-.}/tests/cli_lib.sh"

# The demo's search with a small budget (a few seconds per experiment).
sed 's/max_train_steps: 200000000/max_train_steps: 5000000/; s/population_size: 1000/population_size: 100/' \
  "$specs/demo_search.textpb" > "$tmp/search.textpb"
demo () {
  "$ZEROJIT" search --search_experiment_spec_file="$tmp/search.textpb" \
    --select_tasks_file="$specs/demo_select.textpb" \
    --final_tasks_file="$specs/demo_final.textpb" \
    --randomize_task_seeds --max_scalar_addresses=4 --max_vector_addresses=3 \
    --max_matrix_addresses=1 "$@"
}

# Two workers, three experiments: the log lines come in experiment order
# and carry "experiment" and "used".
demo --workers=2 --max_experiments=3 --random_seed=3 --status=false \
  --progress_log="$tmp/p.json" > "$tmp/out" 2>&1
rc=$?
[ $rc -eq 0 ] && ok "3 experiments, 2 workers" || bad "search failed ($rc): $(tail -3 "$tmp/out")"
if grep -Ev '^\{"experiment": [0-9]+, "used": (true|false), "individuals": [0-9]+, .*\}$' "$tmp/p.json" | grep -q .; then
  bad "malformed progress-log line: $(grep -Ev '^\{"experiment": [0-9]+, "used": (true|false), "individuals"' "$tmp/p.json" | head -1)"
else
  ok "every progress-log line is one object with experiment and used"
fi
sed -nE 's/^\{"experiment": ([0-9]+), "used": true, "individuals": ([0-9]+),.*/\1 \2/p' "$tmp/p.json" > "$tmp/ei"
if awk 'NR > 1 && ($1 < e || ($1 == e && $2 <= i)) { bad = 1 } { e = $1; i = $2 } END { exit bad }' "$tmp/ei"; then
  ok "used lines in experiment order, individuals increasing within each"
else
  bad "log out of order: $(head -c 300 "$tmp/ei")"
fi
[ "$(cut -d' ' -f1 "$tmp/ei" | sort -u | wc -l)" -eq 3 ] && ok "three experiments logged" || bad "not 3 experiments in the log"
# The same output for 1 and 2 workers (apart from times).
demo --workers=1 --max_experiments=3 --random_seed=3 --status=false > "$tmp/out1" 2>&1
strip () { sed -E 's/elapsed_secs=[0-9]+/elapsed_secs=#/; /^Summary:/d; /^Tier summary:/d; /^zerojit: building native stencils/d; /^zerojit: native stencils for F=/d' "$1"; }
strip "$tmp/out" > "$tmp/a"; strip "$tmp/out1" > "$tmp/b"
cmp -s "$tmp/a" "$tmp/b" && ok "output independent of --workers" || bad "output differs between 1 and 2 workers"

# The status line (forced on; normally only on a terminal) on stderr.
demo --workers=1 --max_experiments=1 --random_seed=3 --status > "$tmp/s.out" 2> "$tmp/s.err"
if grep -Eq '\[zerojit\] [0-9]+ running, [0-9]+ done \| [0-9.kM]+ indivs, [0-9.kM]+/s \| best [0-9.]+' "$tmp/s.err"; then
  ok "status line on stderr"
else
  bad "no status line: $(head -c 300 "$tmp/s.err")"
fi
grep -q '\[zerojit\]' "$tmp/s.out" && bad "status line on stdout" || ok "stdout free of the status line"

# Live: progress lines are out while the experiment still runs; SIGINT
# stops it with the best so far and exit status 130.
interrupt () {
  sig=$1 want=$2 live=$3
  shift 3
  # The previous run's output must not count as this one's progress: a
  # signal sent before zerojit catches signals would just kill it.
  rm -f "$tmp/i.out"
  # Not through a shell function: `kill $!` must reach zerojit itself.
  TMPDIR=${itmp:-${TMPDIR:-/tmp}} "$ZEROJIT" search \
    --search_experiment_spec_file="${ispec:-$specs/demo_search.textpb}" \
    --select_tasks_file="$specs/demo_select.textpb" \
    --final_tasks_file="$specs/demo_final.textpb" --max_scalar_addresses=4 \
    --max_vector_addresses=3 --max_matrix_addresses=1 --max_experiments=1 \
    --random_seed=7 --workers=1 --status=false \
    --progress_log="$tmp/i.json" "$@" > "$tmp/i.out" 2> "$tmp/i.err" &
  pid=$!
  n=0
  while [ $n -lt 300 ] && [ "$live" = live ] && ! grep -qs '^indivs=' "$tmp/i.out"; do sleep 0.2; n=$((n + 1)); done
  if [ "$live" = live ]; then
    if kill -0 $pid 2> /dev/null && grep -q '^indivs=' "$tmp/i.out"; then
      ok "progress line shown while the experiment runs ($sig)"
    else
      bad "no live progress line ($sig)"
    fi
  fi
  kill -s "$sig" $pid
  wait $pid
  rc=$?
  [ $rc -eq "$want" ] && ok "exit $want after SIG$sig" || bad "exit $rc after SIG$sig, expected $want"
  grep -q "^Algorithm found (interrupted): " "$tmp/i.out" && ok "best so far printed after SIG$sig" \
    || bad "no interrupted algorithm after SIG$sig: $(tail -5 "$tmp/i.out")"
  grep -q "^Select fitness for candidate algorithm = " "$tmp/i.out" && ok "select-evaluated after SIG$sig" \
    || bad "no select fitness after SIG$sig"
  grep -q "interrupted by SIG$sig" "$tmp/i.out" && ok "summary says SIG$sig" || bad "summary lacks SIG$sig"
  tail -c 1 "$tmp/i.json" | od -c | grep -q '\\n' && ok "progress log ends with a whole line" \
    || bad "progress log cut mid-line"
}
interrupt INT 130 live
interrupt TERM 143 live
# An unknown --jit mode: one line naming the flag and the six modes, a
# non-zero exit, and no search.
demo --jit=sometimes --max_experiments=1 --random_seed=3 > "$tmp/jm.out" 2> "$tmp/jm.err"
rc=$?
if [ $rc -ne 0 ] && [ "$(wc -l < "$tmp/jm.err")" -eq 1 ] \
   && grep -q -- "--jit=sometimes" "$tmp/jm.err" \
   && grep -q "off, baseline, optimized, auto, always or optimized-all" "$tmp/jm.err" \
   && ! grep -q "Algorithm found" "$tmp/jm.out"; then
  ok "--jit=sometimes: one line with the six modes, exit $rc"
else
  bad "--jit=sometimes: exit $rc: $(head -c 300 "$tmp/jm.err")"
fi
if "$ZEROJIT" --version | grep -q libgccjit; then
  # Compiles run in a private TMPDIR, so what is left there is ours.
  mkdir "$tmp/t"
  sed 's/population_size: 1000/population_size: 100/' "$specs/demo_search.textpb" > "$tmp/p100.textpb"
  itmp="$tmp/t" ispec="$tmp/p100.textpb"
  interrupt INT 130 live --jit=optimized-all
  if ls -A "$tmp/t" | grep -q .; then
    bad "temporary files left after SIGINT under --jit=optimized-all: $(ls -A "$tmp/t")"
  else
    ok "no temporary files left after SIGINT under --jit=optimized-all"
  fi
fi
finish
