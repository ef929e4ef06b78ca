#!/bin/sh
# cli_fused.sh -- a search whose lane evaluations switch to fused step
# kernels (jit/fused.h) as they become ready prints what the same search
# prints with fusing off and with --jit=off: native code changes speed,
# never the search.
. "${top_srcdir:-.}/tests/cli_lib.sh"

if ! "$ZEROJIT" --version | grep -q libgccjit || ! grep -qw avx2 /proc/cpuinfo; then
  echo "no JIT or no AVX2: nothing to fuse"
  finish
  exit $?
fi
# The NN regression bench's search (F = 16) on 3 tasks: 27,000 examples
# per evaluation, enough for the door to fuse, and a structure the
# search keeps (its children change constants).
here="$top_srcdir/bench/tiering"
sed 's/num_tasks: 1/num_tasks: 3/; s/max_train_steps: 6000000/max_train_steps: 4000000/' \
  "$here/nn_search.textpb" > "$tmp/search.textpb"
run () {
  "$ZEROJIT" search --search_experiment_spec_file="$tmp/search.textpb" \
    --select_tasks_file="$here/nn_tasks.textpb" \
    --final_tasks_file="$here/nn_tasks.textpb" \
    --max_scalar_addresses=5 --max_vector_addresses=9 --max_matrix_addresses=2 \
    --workers=1 --max_experiments=1 --random_seed=5 --status=false "$@"
}
# Everything but timings and the tier's counters.
strip () {
  sed -e 's/, jit=.*//' -e 's/,$//' -e 's/elapsed_secs=[0-9.]*//' "$1" \
    | grep -v -e '^Summary' -e '^Tier summary'
}
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
