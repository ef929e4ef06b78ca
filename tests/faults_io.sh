#!/bin/sh
# faults_io.sh -- the disk fills, the disk fails, the process is killed
# while zerojit writes its progress log, a checkpoint or the data cache.
#
# Full disk: /dev/full, and a small tmpfs filled to the last byte (only as
# root where mount(8) works; skipped otherwise).  I/O errors and kills at
# an exact point: tests/zjfault.so (tests/faultshim.c), an LD_PRELOAD shim
# that makes write(2) or fsync(2) fail with EIO/ENOSPC, or kills the
# process, on the files named by ZJ_FAULT_PATH.
#
# Every case asks for: one clear line naming the file, the right exit
# status, no damaged file left behind (a log of whole lines, no *.tmp),
# the previous checkpoint intact, and a resume from it that gives the
# output and progress log of a run never interrupted.
set -u
Z=${ZEROJIT:-./zerojit}
src=${srcdir:-$(dirname "$0")/..}
shim=$(pwd)/tests/zjfault.so
specs=$src/examples/specs
dir=$(mktemp -d /tmp/zj_faults_io.XXXXXX)
mnt=$dir/mnt
cleanup () {
  umount "$mnt" 2>/dev/null
  [ -n "${KEEP:-}" ] || rm -rf "$dir"
}
trap cleanup EXIT
fail () { echo "FAIL: $*"; exit 1; }
[ -f "$shim" ] || fail "$shim missing (make check builds it)"
# The shim is loaded ahead of the sanitizers' runtime in the ASan build.
ASAN_OPTIONS="verify_asan_link_order=0:${ASAN_OPTIONS-}"; export ASAN_OPTIONS

. "$src/tests/search_norm.sh"
flags=$(tiny_flags 4 7)
same_output () {   # $1 $2: outputs equal up to times
  norm "$1" > "$dir/na"; norm "$2" > "$dir/nb"; cmp -s "$dir/na" "$dir/nb"
}
# Every line of $1 is a whole JSON object and a line of the reference log.
whole_log_lines () {
  [ ! -s "$1" ] || [ "$(tail -c 1 "$1" | od -An -c | tr -d ' ')" = '\n' ] || return 1
  normlog "$dir/ref.json" > "$dir/la"
  normlog "$1" > "$dir/lb"
  [ "$(comm -13 "$dir/la" "$dir/lb" | wc -l)" -eq 0 ]
}
one_line () {      # $1 stderr file, $2 text expected in it
  [ "$(wc -l < "$1")" -eq 1 ] || fail "not one line: $(cat "$1")"
  grep -qF -- "$2" "$1" || fail "expected '$2', got: $(cat "$1")"
}
have_tmpfs () {   # $1 size
  mkdir -p "$mnt"
  [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o "size=$1" tmpfs "$mnt" 2>/dev/null
}
fill_up () {       # fill the tmpfs to its last byte
  dd if=/dev/zero of="$mnt/filler" bs=4096 2>/dev/null
  dd if=/dev/zero of="$mnt/filler2" bs=1 2>/dev/null
  return 0
}

"$Z" search $flags --workers=1 --progress_log="$dir/ref.json" > "$dir/ref.txt" \
  || fail "reference run"

echo "progress log: ENOSPC on /dev/full"
"$Z" search $flags --workers=1 --progress_log=/dev/full > "$dir/o.txt" 2> "$dir/e"
[ $? -eq 1 ] || fail "/dev/full: exit status not 1"
one_line "$dir/e" "--progress_log=/dev/full: write error: No space left on device"
same_output "$dir/ref.txt" "$dir/o.txt" || fail "/dev/full: search output changed"

echo "progress log: EIO in the middle of a line"
ZJ_FAULT_PATH=eio.json ZJ_FAULT=EIO ZJ_FAULT_AFTER=3000 LD_PRELOAD=$shim \
  "$Z" search $flags --workers=1 --progress_log="$dir/eio.json" > "$dir/o.txt" 2> "$dir/e"
[ $? -eq 1 ] || fail "EIO: exit status not 1"
one_line "$dir/e" "--progress_log=$dir/eio.json: write error: Input/output error"
same_output "$dir/ref.txt" "$dir/o.txt" || fail "EIO: search output changed"
[ "$(wc -c < "$dir/eio.json")" -le 3000 ] || fail "EIO: written past the failure"
[ "$(wc -l < "$dir/eio.json")" -ge 5 ] || fail "EIO: lines before the failure lost"
whole_log_lines "$dir/eio.json" || fail "EIO: log not whole lines of the reference"

if have_tmpfs 4k; then
  echo "progress log: ENOSPC on a full tmpfs (4 kB; the log needs 7)"
  "$Z" search $flags --workers=1 --progress_log="$mnt/log.json" > "$dir/o.txt" 2> "$dir/e"
  [ $? -eq 1 ] || fail "tmpfs: exit status not 1"
  one_line "$dir/e" "--progress_log=$mnt/log.json: write error: No space left on device"
  [ -s "$mnt/log.json" ] || fail "tmpfs: nothing logged before the disk filled"
  whole_log_lines "$mnt/log.json" || fail "tmpfs: log not whole lines of the reference"
  umount "$mnt"
else
  echo "progress log: full tmpfs skipped (needs root and mount)"
fi

# Checkpoints: the first one goes through, later ones fail.
ckrun () {   # $1 = label; environment set by the caller; writes $dir/ck
  rm -f "$dir/ck" "$dir/ck.tmp"
  "$Z" search $flags --workers=2 --progress_log="$dir/log.json" --checkpoint="$dir/ck" \
    --checkpoint_every_secs=0.02 > "$dir/o.txt" 2> "$dir/e"
}
resume_matches () {  # $1 = label: resume from $dir/ck gives the reference
  rm -f "$dir/ck.tmp"
  "$Z" search --resume="$dir/ck" --workers=1 > "$dir/r.txt" 2> "$dir/re" \
    || fail "$1: resume from the previous checkpoint: $(cat "$dir/re")"
  same_output "$dir/ref.txt" "$dir/r.txt" || fail "$1: resumed output differs"
  normlog "$dir/ref.json" > "$dir/la"; normlog "$dir/log.json" > "$dir/lb"
  cmp -s "$dir/la" "$dir/lb" || fail "$1: resumed progress log differs"
}
for fault in ENOSPC:write EIO:write EIO:fsync; do
  echo "checkpoint: $fault on every checkpoint after the first"
  ZJ_FAULT_PATH=ck.tmp ZJ_FAULT=${fault%:*} ZJ_FAULT_ON=${fault#*:} ZJ_FAULT_SKIP=1 \
    ZJ_FAULT_AFTER=100 LD_PRELOAD=$shim ckrun
  rc=$?
  same_output "$dir/ref.txt" "$dir/o.txt" || fail "$fault: search output changed (the search did not go on?)"
  [ -s "$dir/e" ] || fail "$fault: no checkpoint failed (search too short?)"
  case $fault in ENOSPC*) why="No space left on device";; *) why="Input/output error";; esac
  # The search goes on, says so at each failure, and ends with one line
  # that sums them up and a non-zero status.
  [ $rc -eq 1 ] || fail "$fault: exit status $rc, not 1"
  n=$(($(wc -l < "$dir/e") - 1))
  tail -n 1 "$dir/e" | grep -qE -- "--checkpoint=$dir/ck: $n checkpoint writes? failed \(last: checkpoint $dir/ck.tmp: write failed: $why\); the file holds the last good one" \
    || fail "$fault: last line: $(tail -n 1 "$dir/e")"
  sed '$d' "$dir/e" | grep -vqF "zerojit: checkpoint $dir/ck.tmp: write failed: $why (search continues)" \
    && fail "$fault: unexpected message: $(sort -u "$dir/e")"
  [ ! -e "$dir/ck.tmp" ] || fail "$fault: $dir/ck.tmp left behind"
  echo "  $n checkpoint writes failed, exit status 1; resuming from the first"
  resume_matches "$fault"
done

echo "checkpoint: SIGTERM while every write fails says so"
# Ten times the experiments of the other cases, so that the signal, sent
# 0.1 s after the first checkpoint, comes well before the end.  Should
# the search still end first, it must end like the cases above.
long=$(tiny_flags 40 7)
rm -f "$dir/ck"
ZJ_FAULT_PATH=ck.tmp ZJ_FAULT=EIO ZJ_FAULT_SKIP=1 LD_PRELOAD=$shim \
  "$Z" search $long --workers=2 --checkpoint="$dir/ck" --checkpoint_every_secs=0.02 \
  > "$dir/o.txt" 2> "$dir/e" &
pid=$!
i=0; while [ ! -s "$dir/ck" ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i + 1)); done
sleep 0.1
kill -TERM $pid 2>/dev/null
wait $pid
rc=$?
echo "  exit status $rc"
[ $rc -eq 1 ] || fail "SIGTERM: exit status $rc, not 1"
"$Z" search $long --workers=1 > "$dir/ref_long.txt" || fail "SIGTERM: reference run"
if grep -qF "terminated: the last checkpoint could not be written; --resume=$dir/ck continues from the one before" "$dir/e"; then
  "$Z" search --resume="$dir/ck" > "$dir/r.txt" 2> "$dir/re" || fail "SIGTERM: resume: $(cat "$dir/re")"
  same_output "$dir/ref_long.txt" "$dir/r.txt" || fail "SIGTERM: resumed output differs"
else
  echo "  the search ended before the signal"
  tail -n 1 "$dir/e" | grep -qE -- "--checkpoint=$dir/ck: [0-9]+ checkpoint writes? failed .*; the file holds the last good one" \
    || fail "SIGTERM: $(tail -1 "$dir/e")"
  same_output "$dir/ref_long.txt" "$dir/o.txt" || fail "SIGTERM: search output changed"
fi

if have_tmpfs 1m; then
  echo "checkpoint: the tmpfs fills after the first checkpoint"
  rm -f "$mnt"/*
  "$Z" search $flags --workers=2 --checkpoint="$mnt/ck" --checkpoint_every_secs=0.02 \
    > "$dir/o.txt" 2> "$dir/e" &
  pid=$!
  # Up to 30 s for the first checkpoint: a loaded machine (a parallel
  # make check beside benchmarks) took more than the 5 s this once had.
  i=0; while [ ! -s "$mnt/ck" ] && [ $i -lt 3000 ]; do sleep 0.01; i=$((i + 1)); done
  fill_up
  cp "$mnt/ck" "$dir/ck.first" 2>/dev/null
  wait $pid
  rc=$?
  same_output "$dir/ref.txt" "$dir/o.txt" || fail "full tmpfs: search output changed (rc $rc: $(cat "$dir/e"))"
  if [ -s "$dir/e" ] && [ ! -s "$dir/ck.first" ]; then
    echo "  (no checkpoint within 30 s, before the disk filled: no resume to check)"
    [ $rc -eq 1 ] || fail "full tmpfs: exit status $rc, not 1"
  elif [ -s "$dir/e" ]; then
    echo "  $(($(wc -l < "$dir/e") - 1)) checkpoint writes failed, exit status $rc"
    [ $rc -eq 1 ] || fail "full tmpfs: exit status $rc, not 1"
    sed '$d' "$dir/e" | grep -vqF "No space left on device (search continues)" \
      && fail "full tmpfs: unexpected message: $(sort -u "$dir/e")"
    [ ! -e "$mnt/ck.tmp" ] || fail "full tmpfs: ck.tmp left behind"
    rm -f "$mnt/filler" "$mnt/filler2"
    "$Z" search --resume="$mnt/ck" > "$dir/r.txt" 2> "$dir/re" \
      || fail "full tmpfs: resume: $(cat "$dir/re")"
    same_output "$dir/ref.txt" "$dir/r.txt" || fail "full tmpfs: resumed output differs"
  else
    echo "  (the search ended before the disk filled: nothing to check)"
  fi
  umount "$mnt"
fi

for where in write fsync; do
  echo "checkpoint: SIGKILL in the second checkpoint's $where, then resume"
  ZJ_FAULT_PATH=ck.tmp ZJ_FAULT=KILL ZJ_FAULT_ON=$where ZJ_FAULT_SKIP=1 \
    ZJ_FAULT_AFTER=2000 LD_PRELOAD=$shim ckrun
  [ $? -eq 137 ] || fail "KILL in $where: exit status not 137"
  [ -s "$dir/ck" ] || fail "KILL in $where: the first checkpoint is gone"
  [ -e "$dir/ck.tmp" ] || fail "KILL in $where: not killed inside a checkpoint write"
  echo "  killed with $(wc -c < "$dir/ck.tmp") of the checkpoint's bytes in ck.tmp"
  resume_matches "KILL in $where"
done

echo "data cache: EIO on fsync, then ENOSPC on a full tmpfs (zerojit data build)"
build () {  # $1 cache dir, $2 seeds
  ZEROJIT_CACHE_DIR=$1 "$Z" data build --dataset csv --path "$src/tests/data/tiny.csv" \
    --pairs=0,1 --seeds="$2" --features=4 --train=4 --valid=2 --test=0
}
build "$dir/cache" 0 > /dev/null 2> "$dir/e" || fail "cache: first build: $(cat "$dir/e")"
cp "$dir"/cache/*seed_0* "$dir/seed0"
ZJ_FAULT_PATH=.tmp. ZJ_FAULT=EIO ZJ_FAULT_ON=fsync LD_PRELOAD=$shim \
  build "$dir/cache" 0-1 > /dev/null 2> "$dir/e"
[ $? -eq 1 ] || fail "cache EIO: exit status not 1"
one_line "$dir/e" "pair 0,1 seed 1: not saved: $dir/cache/binary_csv-pos_0-neg_1-dim_4-seed_1"
grep -qF "write failed (Input/output error)" "$dir/e" || fail "cache EIO: $(cat "$dir/e")"
[ "$(ls "$dir/cache" | wc -l)" -eq 1 ] || fail "cache EIO: files left: $(ls "$dir/cache")"
cmp -s "$dir"/cache/*seed_0* "$dir/seed0" || fail "cache EIO: the previous file changed"
if have_tmpfs 64k; then
  fill_up
  build "$mnt" 0 > /dev/null 2> "$dir/e"
  [ $? -eq 1 ] || fail "cache ENOSPC: exit status not 1"
  one_line "$dir/e" "write failed (No space left on device)"
  grep -qF "$mnt/binary_csv-pos_0-neg_1-dim_4-seed_0" "$dir/e" || fail "cache ENOSPC: $(cat "$dir/e")"
  [ "$(ls "$mnt" | grep -cv '^filler')" -eq 0 ] || fail "cache ENOSPC: files left: $(ls "$mnt")"
  umount "$mnt"
fi
echo "ok"
