#!/bin/sh
# cli_second_signal.sh -- a second Ctrl-C exits at once: the first SIGINT
# lets the search stop cleanly (it still select-evaluates its best), a
# second one more than 0.25 s later ends the process with status 130
# without waiting for that (src/cli/signals.c).
. "${top_srcdir:-.}/tests/cli_lib.sh"

# A search that runs long, and a select evaluation that takes tens of
# seconds (100 tasks x 1000 examples x 4000 epochs), so the process is
# surely still busy when the second signal comes.
sed 's/population_size: 1000/population_size: 100/; s/progress_every: 10000/progress_every: 1000/' \
  "$specs/demo_search.textpb" > "$tmp/search.textpb"
sed 's/num_valid_examples: 100/num_valid_examples: 100\n  num_train_epochs: 4000/' \
  "$specs/demo_select.textpb" > "$tmp/select.textpb"
grep -q 'num_train_epochs: 4000' "$tmp/select.textpb" || bad "could not make the long select spec"
now () { date +%s.%N; }
: > "$tmp/out"
# Not through a shell function: the signals must reach zerojit itself.
"$ZEROJIT" search --search_experiment_spec_file="$tmp/search.textpb" \
  --select_tasks_file="$tmp/select.textpb" \
  --final_tasks_file="$specs/demo_final.textpb" --max_scalar_addresses=4 \
  --max_vector_addresses=3 --max_matrix_addresses=1 --max_experiments=1 \
  --random_seed=7 --workers=1 --status=false --jit=off > "$tmp/out" 2> "$tmp/err" &
pid=$!
# Evolution under way (some individuals evaluated), then the first signal.
n=0
while [ $n -lt 300 ] && ! grep -q '^indivs=' "$tmp/out"; do sleep 0.2; n=$((n + 1)); done
grep -q '^indivs=' "$tmp/out" && ok "search under way" || bad "no progress line within 60 s"
kill -INT $pid
sleep 0.6
if kill -0 $pid 2> /dev/null; then
  ok "still busy 0.6 s after the first SIGINT"
else
  bad "the first SIGINT alone ended the run: $(tail -3 "$tmp/out")"
fi
t1=$(now)
kill -INT $pid
wait $pid
rc=$?
t2=$(now)
[ $rc -eq 130 ] && ok "exit 130 after the second SIGINT" || bad "exit $rc after the second SIGINT, expected 130"
if awk -v a="$t1" -v b="$t2" 'BEGIN { exit !(b - a < 2.0) }'; then
  ok "ended within 2 s of the second SIGINT"
else
  bad "took $(awk -v a="$t1" -v b="$t2" 'BEGIN { print b - a }') s after the second SIGINT"
fi
grep -q 'stopping at the next evaluation' "$tmp/err" && ok "first signal acknowledged" \
  || bad "no acknowledgement of the first signal: $(head -c 300 "$tmp/err")"
grep -q 'second signal, exiting now' "$tmp/err" && ok "second signal acknowledged" \
  || bad "no message for the second signal: $(head -c 300 "$tmp/err")"
grep -q '^Select fitness for candidate algorithm' "$tmp/out" \
  && bad "select evaluation finished: the second signal did not cut it short" \
  || ok "select evaluation cut short"
finish
