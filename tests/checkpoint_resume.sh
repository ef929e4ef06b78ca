#!/bin/sh
# checkpoint_resume.sh -- a small search killed with SIGKILL at random
# points (twice) and resumed gives the same output and progress log as an
# uninterrupted run; SIGTERM writes a last checkpoint; damaged and
# mismatched checkpoints are refused with a one-line error.
set -u
Z=${ZEROJIT:-./zerojit}
src=${srcdir:-$(dirname "$0")/..}
specs=$src/examples/specs
dir=$(mktemp -d /tmp/zj_ckpt_test.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$dir"' EXIT
fail () { echo "FAIL: $*"; exit 1; }

# Times and the worker count are the only things allowed to differ.
. "$src/tests/search_norm.sh"
# The search flags (word-split on purpose; no spaces in these paths).
# Started directly, not through a function, so that $! is zerojit itself.
flags=$(tiny_flags 4 7)
# Wait until the checkpoint exists, then a random 0-299 ms more.
wait_then_kill () {
  i=0
  while [ ! -s "$dir/ck" ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i + 1)); done
  ms=$(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 300 ))
  sleep "0.$(printf %03d $ms)"
  echo "  $2 after the first checkpoint + ${ms} ms"
  kill -"$2" "$1" 2>/dev/null
  wait "$1"
}

"$Z" search $flags --workers=2 --progress_log="$dir/ref.json" > "$dir/ref.txt" || fail "reference run"

echo "SIGKILL twice, then resume to the end"
"$Z" search $flags --workers=2 --progress_log="$dir/log.json" --checkpoint="$dir/ck" \
  --checkpoint_every_secs=0.05 > "$dir/out0.txt" &
wait_then_kill $! KILL
"$Z" search --resume="$dir/ck" --checkpoint="$dir/ck" --workers=1 > "$dir/out1.txt" &
wait_then_kill $! KILL
"$Z" search --resume="$dir/ck" --workers=3 > "$dir/out.txt" || fail "resume"
norm "$dir/ref.txt" > "$dir/a"; norm "$dir/out.txt" > "$dir/b"
diff "$dir/a" "$dir/b" || fail "resumed output differs"
normlog "$dir/ref.json" > "$dir/a"; normlog "$dir/log.json" > "$dir/b"
diff "$dir/a" "$dir/b" > /dev/null || fail "resumed progress log differs"

echo "SIGTERM writes a last checkpoint"
rm -f "$dir/ck"
"$Z" search $flags --workers=2 --checkpoint="$dir/ck" --checkpoint_every_secs=0.05 \
  > "$dir/t0.txt" 2> "$dir/t0.err" &
pid=$!
wait_then_kill $pid TERM
rc=$?
echo "  exit status $rc"
if [ $rc -ne 0 ]; then
  [ $rc -eq 1 ] || fail "SIGTERM: exit status $rc"
  grep -q "terminated: checkpoint written to $dir/ck" "$dir/t0.err" \
    || fail "SIGTERM message: $(cat "$dir/t0.err")"
fi
"$Z" search --resume="$dir/ck" > "$dir/t1.txt" || fail "resume after SIGTERM"
norm "$dir/ref.txt" > "$dir/a"; norm "$dir/t1.txt" > "$dir/b"
diff "$dir/a" "$dir/b" > /dev/null || fail "output after SIGTERM and resume differs"

echo "damaged and mismatched checkpoints"
expect_error () {
  what=$1; shift
  if "$Z" search "$@" > /dev/null 2> "$dir/err"; then fail "$what: accepted"; fi
  [ "$(wc -l < "$dir/err")" -eq 1 ] || fail "$what: not one line: $(cat "$dir/err")"
  grep -q "$what" "$dir/err" || fail "expected '$what', got: $(cat "$dir/err")"
}
size=$(wc -c < "$dir/ck")
head -c $((size / 2)) "$dir/ck" > "$dir/half"
expect_error "truncated" --resume="$dir/half"
cp "$dir/ck" "$dir/bad"
printf 'X' | dd of="$dir/bad" bs=1 seek=$((size - 100)) conv=notrunc 2> /dev/null
expect_error "checksum mismatch" --resume="$dir/bad"
expect_error "random_seed=8 differs from the checkpointed run (--random_seed=7)" \
  --resume="$dir/ck" --random_seed=8
expect_error "cannot open" --resume="$dir/none"
echo "ok"
