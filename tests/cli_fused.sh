#!/bin/sh
# cli_fused.sh -- a search whose lane evaluations switch to fused step
# kernels (jit/fused.h) as they become ready prints what the same search
# prints with fusing off and with --jit=off: native code changes speed,
# never the search.
. "${top_srcdir:-.}/tests/cli_lib.sh"

need_stencils "nothing to fuse"
# The NN regression search: 27,000 examples per evaluation, enough for
# the door to fuse, and a structure the search keeps (its children change
# constants).
# ZEROJIT_PTASK=0: this NN writes a matrix in Learn, which would run task
# by task on per-task stencils (tests/cli_ptask.sh) instead of in lanes.
nn_spec nn
run () { ZEROJIT_PTASK=0 nn_run nn "$@"; }
strip () { strip_tier "$1"; }
# ZEROJIT_FUSE_WAIT: the kernels are used however slowly they compile
# (a loaded machine took 3.4 s, longer than the search).
ZEROJIT_FUSE_AFTER=1 ZEROJIT_FUSE_WAIT=1 run --jit=auto > "$tmp/fused" 2> "$tmp/fused.err" \
  || bad "fused search failed: $(tail -3 "$tmp/fused.err")"
ZEROJIT_FUSE_AFTER=0 run --jit=auto > "$tmp/nofuse" 2> "$tmp/nofuse.err" \
  || bad "search without fusing failed: $(tail -3 "$tmp/nofuse.err")"
run --jit=off > "$tmp/off" 2> "$tmp/off.err" || bad "--jit=off search failed"
k=$(sed -n 's/^Tier summary:.* fused_kernels=\([0-9]*\),.*/\1/p' "$tmp/fused")
h=$(sed -n 's/^Tier summary:.* fused_hits=\([0-9]*\),.*/\1/p' "$tmp/fused")
[ "${k:-0}" -gt 0 ] && [ "${h:-0}" -gt 0 ] && ok "fused kernels made ($k) and run ($h times)" \
  || bad "no fused kernel ran: $(grep '^Tier summary' "$tmp/fused")"
strip "$tmp/fused" > "$tmp/a"
strip "$tmp/nofuse" > "$tmp/b"
strip "$tmp/off" > "$tmp/c"
[ -s "$tmp/a" ] && cmp -s "$tmp/a" "$tmp/b" && ok "same output with fusing on and off" \
  || bad "fusing changed the search: $(diff "$tmp/a" "$tmp/b" | head -5)"
cmp -s "$tmp/a" "$tmp/c" && ok "same output as --jit=off" \
  || bad "fused search differs from --jit=off: $(diff "$tmp/a" "$tmp/c" | head -5)"
grep -q 'fused_kernels' "$tmp/nofuse" && bad "fusing off still fused" || ok "ZEROJIT_FUSE_AFTER=0 turns fusing off"
finish
