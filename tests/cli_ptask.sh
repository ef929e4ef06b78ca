#!/bin/sh
# cli_ptask.sh -- a search whose matrix candidates run task by task on
# per-task stencils (jit/ptask.h) prints what the same search prints with
# them off (ZEROJIT_PTASK=0) and with --jit=off, under --jit=baseline and
# --jit=auto: native code changes speed, never the search.
. "${top_srcdir:-.}/tests/cli_lib.sh"

need_stencils "no per-task stencils"
# The NN regression bench's searches (a matrix in Predict and Learn):
# children that change constants only (nn) and children that change
# Predict and Learn code too (nn_all).
here=$nn_dir
nn_spec nn
nn_spec nn_all
spec=nn
run () { nn_run "$spec" "$@"; }
strip () { strip_tier "$1"; }
# The per-task library is built synchronously first, so the runs below
# find it ready from their first candidate.
"$ZEROJIT" bench --program "$top_srcdir/examples/programs/neural_net.txt" \
  --memory 5,9,2 --reps 1 --tasks_file "$here/nn_tasks.textpb" > "$tmp/bench" 2>&1 \
  || bad "bench failed: $(tail -3 "$tmp/bench")"
grep -q '^ptask ' "$tmp/bench" && ok "zerojit bench has a ptask line" \
  || bad "no ptask line: $(cat "$tmp/bench")"
for spec in nn nn_all; do
  run --jit=baseline > "$tmp/base" 2> "$tmp/base.err" \
    || bad "$spec: baseline search failed: $(tail -3 "$tmp/base.err")"
  run --jit=auto > "$tmp/auto" 2> "$tmp/auto.err" \
    || bad "$spec: auto search failed: $(tail -3 "$tmp/auto.err")"
  ZEROJIT_PTASK=0 run --jit=baseline > "$tmp/nopt" 2> "$tmp/nopt.err" \
    || bad "$spec: search without per-task stencils failed"
  run --jit=off > "$tmp/off" 2> "$tmp/off.err" || bad "$spec: --jit=off search failed"
  for m in base auto; do
    k=$(sed -n 's/^Tier summary:.* ptask_kernels=\([0-9]*\),.*/\1/p' "$tmp/$m")
    h=$(sed -n 's/^Tier summary:.* ptask_hits=\([0-9]*\),.*/\1/p' "$tmp/$m")
    [ "${k:-0}" -gt 0 ] && [ "${h:-0}" -gt 0 ] && ok "$spec $m: per-task kernels made ($k) and reused ($h)" \
      || bad "$spec $m: no per-task kernel ran: $(grep '^Tier summary' "$tmp/$m")"
  done
  strip "$tmp/off" > "$tmp/c"
  for m in base auto nopt; do
    strip "$tmp/$m" > "$tmp/a"
    [ -s "$tmp/a" ] && cmp -s "$tmp/a" "$tmp/c" && ok "$spec $m: same output as --jit=off" \
      || bad "$spec $m differs from --jit=off: $(diff "$tmp/a" "$tmp/c" | head -5)"
  done
done
grep -q 'ptask_kernels' "$tmp/nopt" && bad "ZEROJIT_PTASK=0 still ran per-task stencils" \
  || ok "ZEROJIT_PTASK=0 turns them off"
finish
