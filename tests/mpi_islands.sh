#!/bin/sh
# mpi_islands.sh -- the same islands search run by mpirun on 1, 2 and 3
# ranks gives the same output as the threaded run in one process.
# Skipped (status 77) when the build has no MPI or mpirun is missing.
set -u
Z=${ZEROJIT:-./zerojit}
src=${srcdir:-$(dirname "$0")/..}
specs=$src/examples/specs
if ! grep -q '^#define HAVE_MPI 1' config.h 2>/dev/null; then
  echo "SKIP: built without MPI (apt-get install libopenmpi-dev openmpi-bin; ./configure)"
  exit 77
fi
if ! command -v mpirun > /dev/null; then
  echo "SKIP: mpirun not found (apt-get install openmpi-bin)"
  exit 77
fi
dir=$(mktemp -d /tmp/zj_mpi_test.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$dir"' EXIT
fail () { echo "FAIL: $*"; exit 1; }
# Under --enable-sanitizers: Open MPI's plugins are dlopen'd and unloaded,
# so the blocks they leak at exit have no module name a LeakSanitizer
# suppression could match; leak checking of our own code is done by the
# other tests.  (Without ASan this variable is ignored.)
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
export ASAN_OPTIONS
# The libtool wrapper is a script; mpirun needs the program itself.
[ -x .libs/zerojit ] && [ "$Z" = ./zerojit ] && Z=$(pwd)/.libs/zerojit \
  && export LD_LIBRARY_PATH="$(pwd)/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
. "$src/tests/search_norm.sh"
flags="$(tiny_flags 2 5) --islands=4 --migration_interval=1000 --workers=1"
"$Z" search $flags --workers=2 > "$dir/threads.txt" || fail "threaded run"
norm "$dir/threads.txt" > "$dir/a"
grep -q 'migrations=[1-9]' "$dir/threads.txt" || fail "no migration happened"
for r in 1 2 3; do
  mpirun --oversubscribe --allow-run-as-root -np $r "$Z" search $flags \
    > "$dir/mpi$r.txt" 2> "$dir/mpi$r.err" || fail "mpirun -np $r: $(tail -3 "$dir/mpi$r.err")"
  norm "$dir/mpi$r.txt" > "$dir/b"
  diff "$dir/a" "$dir/b" || fail "$r ranks differ from the threaded run"
  echo "  $r ranks: same output as the threaded run"
done

# Unlimited experiments until one is good enough: every rank must stop
# after the same experiment (a rank starting one more would wait forever).
stop="--max_experiments=0 --sufficient_fitness=0.37 --islands=3 --random_seed=7"
"$Z" search $flags $stop > "$dir/s1.txt" || fail "threaded run with --sufficient_fitness"
norm "$dir/s1.txt" > "$dir/a1"
timeout 300 mpirun --oversubscribe --allow-run-as-root -np 3 "$Z" search $flags $stop \
  > "$dir/s3.txt" 2> "$dir/s3.err" || fail "3 ranks with --sufficient_fitness: $(tail -3 "$dir/s3.err")"
norm "$dir/s3.txt" > "$dir/b"
diff "$dir/a1" "$dir/b" || fail "3 ranks stop differently from the threaded run"
echo "  3 ranks stop after the same experiment as the threaded run"

# Ctrl-C reaching one rank only (rank 1): every rank stops at the next
# migration and rank 0 prints the best so far of all islands.
sed 's/max_train_steps: .*/max_train_steps: 100000000000/' \
  "$src/tests/data/tiny_search.textpb" > "$dir/long.textpb"
timeout 300 mpirun --oversubscribe --allow-run-as-root -np 2 "$Z" search $flags \
  --search_experiment_spec_file="$dir/long.textpb" --max_experiments=1 \
  > "$dir/int.txt" 2> "$dir/int.err" &
mp=$!
# $mp is timeout(1); mpirun is its child, the ranks mpirun's.
r1=
i=0
while [ -z "$r1" ] && [ $i -lt 6000 ]; do
  sleep 0.01; i=$((i + 1))
  grep -q 'indivs=' "$dir/int.txt" 2> /dev/null || continue
  for p in $(ps -o pid= --ppid $(ps -o pid= --ppid $mp | head -n 1 | tr -d " ")); do
    tr '\0' '\n' < /proc/$p/environ 2> /dev/null | grep -qx 'OMPI_COMM_WORLD_RANK=1' && r1=$p
  done
done
[ -n "$r1" ] || fail "rank 1 not found"
kill -INT $r1
wait $mp
rc=$?
[ $rc -eq 130 ] || fail "SIGINT to rank 1: exit status $rc, expected 130: $(tail -3 "$dir/int.err")"
grep -q '^Search interrupted by SIGINT. Best algorithm so far' "$dir/int.txt" \
  || fail "rank 0 printed no best so far: $(tail -3 "$dir/int.txt")"
grep -q '^Experiment interrupted by SIGINT after [0-9]* individuals' "$dir/int.txt" \
  || fail "no interrupted experiment line"
grep -q 'stopping all ranks at their next exchange' "$dir/int.err" \
  || fail "rank 1 did not say how it stops: $(cat "$dir/int.err")"
echo "  SIGINT to rank 1 alone: all ranks stop, rank 0 prints the best so far"

# The pid of rank $2 among the children of mpirun, itself the child of $1
# (timeout), once $3 shows the search running; empty if not found.
rank_pid () {
  rp=
  i=0
  while [ -z "$rp" ] && [ $i -lt 6000 ]; do
    sleep 0.01; i=$((i + 1))
    grep -q 'indivs=' "$3" 2> /dev/null || continue
    for p in $(ps -o pid= --ppid $(ps -o pid= --ppid $1 | head -n 1 | tr -d " ")); do
      tr '\0' '\n' < /proc/$p/environ 2> /dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$2" && rp=$p
    done
  done
  echo "$rp"
}

# SIGTERM to rank 1 alone under --checkpoint: every rank writes a last
# checkpoint at the next exchange and exits; the run resumes from it to
# the uninterrupted output.  (No periodic checkpoint in 1000 s: the file
# can only come from the SIGTERM.)
sed 's/max_train_steps: .*/max_train_steps: 20000000/' \
  "$src/tests/data/tiny_search.textpb" > "$dir/mid.textpb"
mid="--search_experiment_spec_file=$dir/mid.textpb"
"$Z" search $flags $mid --workers=2 > "$dir/mid.txt" || fail "threaded run, longer budget"
norm "$dir/mid.txt" > "$dir/amid"
timeout 300 mpirun --oversubscribe --allow-run-as-root -np 2 "$Z" search $flags $mid \
  --checkpoint="$dir/ckt" --checkpoint_every_secs=1000 > "$dir/term.txt" 2> "$dir/term.err" &
mp=$!
r1=$(rank_pid $mp 1 "$dir/term.txt")
[ -n "$r1" ] || fail "rank 1 not found"
kill -TERM $r1
wait $mp
rc=$?
[ $rc -eq 1 ] || fail "SIGTERM to rank 1: exit status $rc, expected 1: $(tail -3 "$dir/term.err")"
grep -q 'all ranks write a last checkpoint at their next exchange' "$dir/term.err" \
  || fail "rank 1 did not say what SIGTERM does: $(cat "$dir/term.err")"
[ "$(grep -c "terminated: checkpoint written to $dir/ckt" "$dir/term.err")" -eq 2 ] \
  || fail "not every rank wrote its last checkpoint: $(cat "$dir/term.err")"
grep -q '^Summary' "$dir/term.txt" && fail "SIGTERM to rank 1: the run finished anyway"
timeout 300 mpirun --oversubscribe --allow-run-as-root -np 2 "$Z" search --resume="$dir/ckt" \
  > "$dir/tres.txt" 2> "$dir/tres.err" || fail "resume after SIGTERM to rank 1: $(tail -3 "$dir/tres.err")"
norm "$dir/tres.txt" > "$dir/b"
diff "$dir/amid" "$dir/b" || fail "resumed after SIGTERM to rank 1: output differs"
echo "  SIGTERM to rank 1 alone: last checkpoint on every rank, resumed to the same output"

echo "kill -9 one rank of a 3-rank run, resume on 3 ranks"
mpirun --oversubscribe --allow-run-as-root -np 3 "$Z" search $flags \
  --checkpoint="$dir/ck" --checkpoint_every_secs=0.05 > /dev/null 2>&1 &
mp=$!
i=0
while [ ! -s "$dir/ck" ] && [ $i -lt 1000 ]; do sleep 0.01; i=$((i + 1)); done
ms=$(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 500 ))
sleep "0.$(printf %03d $ms)"
rank=$(ps -o pid= --ppid $mp | head -n 1)
echo "  KILL rank process ${rank:-(already done)} after the first checkpoint + ${ms} ms"
[ -n "$rank" ] && kill -KILL $rank 2> /dev/null
wait $mp
mpirun --oversubscribe --allow-run-as-root -np 3 "$Z" search --resume="$dir/ck" \
  > "$dir/res.txt" 2> "$dir/res.err" || fail "resume on 3 ranks: $(tail -3 "$dir/res.err")"
norm "$dir/res.txt" > "$dir/b"
diff "$dir/a" "$dir/b" || fail "resumed 3-rank run differs from the threaded run"
if mpirun --oversubscribe --allow-run-as-root -np 2 "$Z" search --resume="$dir/ck" \
     > /dev/null 2> "$dir/err"; then
  fail "a 3-rank checkpoint resumed on 2 ranks"
fi
grep -q "written by 3 ranks, this run has 2" "$dir/err" || fail "rank mismatch: $(cat "$dir/err")"
echo ok
