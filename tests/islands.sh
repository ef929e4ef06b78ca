#!/bin/sh
# islands.sh -- --islands=4 with migration gives the same output for 1, 2
# and 3 threads, prints one summary line per island, logs every island's
# progress, and resumes from a kill -9 to the same output.
set -u
Z=${ZEROJIT:-./zerojit}
src=${srcdir:-$(dirname "$0")/..}
specs=$src/examples/specs
dir=$(mktemp -d /tmp/zj_islands_test.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$dir"' EXIT
fail () { echo "FAIL: $*"; exit 1; }
. "$src/tests/search_norm.sh"
flags="$(tiny_flags 2 3) --islands=4 --migration_interval=1000"

for w in 1 2 3; do
  "$Z" search $flags --workers=$w --progress_log="$dir/log$w.json" > "$dir/out$w.txt" \
    || fail "islands run with $w threads"
  norm "$dir/out$w.txt" > "$dir/n$w"
done
cmp -s "$dir/n1" "$dir/n2" || fail "2 threads differ from 1"
cmp -s "$dir/n1" "$dir/n3" || fail "3 threads differ from 1"
[ "$(grep -c '^Island [0-3]: individuals=' "$dir/out1.txt")" -eq 8 ] \
  || fail "expected 4 island lines per experiment"
grep -q 'migrations=[1-9]' "$dir/out1.txt" || fail "no migration happened"
for i in 0 1 2 3; do
  grep -q "\"island\": $i}" "$dir/log1.json" || fail "island $i not in the log"
done

# Each experiment's migration line: the islands' CPU seconds and the
# critical path (the largest island's CPU in each interval), which lies
# between a quarter of it (4 equal islands) and all of it.
for w in 1 3; do
  [ "$(grep -c '"island_cpu_seconds"' "$dir/log$w.json")" -eq 2 ] \
    || fail "$w threads: no island CPU in the log"
  grep '"island_cpu_seconds"' "$dir/log$w.json" | sed -E \
    's/.*"island_cpu_seconds": ([0-9.]+), "critical_cpu_seconds": ([0-9.]+).*/\1 \2/' \
    | awk '{ if (!($1 > 0 && $2 >= $1 / 4 && $2 <= $1)) exit 1 }' \
    || fail "$w threads: island CPU / critical path: $(grep -o '"island_cpu.*' "$dir/log$w.json")"
done

# The status line counts every island, not island 0 alone.
"$Z" search $flags --workers=2 --status > /dev/null 2> "$dir/status.err" \
  || fail "run with --status"
tr '\r' '\n' < "$dir/status.err" | grep -Eq '\| exp [0-9]+ \(4 islands\): [0-9]+% of max_train_steps \(slowest island\)' \
  || fail "status line without the islands: $(tr '\r' '\n' < "$dir/status.err" | grep zerojit | tail -2)"

# An island that cannot be built (more FEC examples than its tasks have:
# the evaluator refuses) ends the run with that error whichever thread
# builds it, no crash, no result.
sed -e 's/^fec .*/fec { num_train_examples: 50 num_valid_examples: 10 }/' \
  -e 's/num_train_examples: 100$/num_train_examples: 20/' \
  "$src/tests/data/tiny_search.textpb" > "$dir/badfec.textpb"
for w in 1 2; do
  "$Z" search $flags --workers=$w --search_experiment_spec_file="$dir/badfec.textpb" \
    > "$dir/badfec$w.txt" 2> "$dir/badfec$w.err"
  rc=$?
  [ $rc -eq 1 ] || fail "island set-up error, $w threads: exit status $rc, expected 1"
  grep -q 'fec: num_train_examples 50 / num_valid_examples 10 must be in 1..100 and fit task 0' \
    "$dir/badfec$w.err" || fail "island set-up error, $w threads: $(cat "$dir/badfec$w.err")"
  grep -q '^Island' "$dir/badfec$w.txt" && fail "island set-up error, $w threads: a result"
done

# Ctrl-C: the best so far over all islands.
sed 's/max_train_steps: .*/max_train_steps: 100000000000/' \
  "$src/tests/data/tiny_search.textpb" > "$dir/long.textpb"
"$Z" search $flags --workers=2 --search_experiment_spec_file="$dir/long.textpb" \
  --max_experiments=1 --status=false > "$dir/int.txt" 2> "$dir/int.err" &
pid=$!
i=0
while ! grep -q 'indivs=' "$dir/int.txt" 2> /dev/null && [ $i -lt 6000 ]; do
  sleep 0.01; i=$((i + 1))
done
kill -INT $pid
wait $pid
rc=$?
[ $rc -eq 130 ] || fail "SIGINT: exit status $rc, expected 130"
grep -q '^Experiment interrupted by SIGINT after [0-9]* individuals' "$dir/int.txt" \
  || fail "no interrupted experiment line: $(tail -3 "$dir/int.txt")"
grep -q '^Search interrupted by SIGINT. Best algorithm so far' "$dir/int.txt" \
  || fail "no best so far after SIGINT"

# Migration changes the search (the flag is not ignored).
"$Z" search $flags --workers=2 --migration_interval=0 > "$dir/none.txt" || fail "no migration run"
norm "$dir/none.txt" > "$dir/nn"
cmp -s "$dir/n1" "$dir/nn" && fail "migration made no difference"

# kill -9 and resume, islands included.
"$Z" search $flags --workers=2 --checkpoint="$dir/ck" --checkpoint_every_secs=0.05 \
  > /dev/null &
pid=$!
i=0
while [ ! -s "$dir/ck" ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i + 1)); done
ms=$(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 500 ))
sleep "0.$(printf %03d $ms)"
echo "  KILL after the first checkpoint + ${ms} ms"
kill -KILL $pid 2>/dev/null
wait $pid
"$Z" search --resume="$dir/ck" --workers=3 > "$dir/res.txt" || fail "resume"
norm "$dir/res.txt" > "$dir/nr"
diff "$dir/n1" "$dir/nr" || fail "resumed island search differs"
echo ok
