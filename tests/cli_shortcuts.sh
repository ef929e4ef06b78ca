#!/bin/sh
# cli_shortcuts.sh -- the exact training shortcut (doc/shortcuts.md) as a
# user sees it: --shortcuts=true and --shortcuts=false print the same
# search output (the demo, RMS; the short Fashion-MNIST search, ACCURACY,
# when its data is installed), the progress log counts shortcuts taken,
# and a bad value is refused.
. "${top_srcdir:-.}/tests/cli_lib.sh"

# The tiers (--jit=auto, the default) may build their stencils once, on stderr.
strip () { sed -E 's/elapsed_secs=[0-9]+/elapsed_secs=#/; /^Summary:/d; /^Tier summary:/d; /^zerojit: building native stencils/d; /^zerojit: native stencils for F=/d' "$1"; }
# same NAME SPEC SELECT FINAL FLAGS...: runs the search both ways.
same () {
  name=$1 spec=$2 sel=$3 fin=$4
  shift 4
  for sc in true false; do
    "$ZEROJIT" search --search_experiment_spec_file="$spec" \
      --select_tasks_file="$sel" --final_tasks_file="$fin" --workers=1 \
      --status=false --shortcuts=$sc --progress_log="$tmp/$name.$sc.json" \
      "$@" > "$tmp/$name.$sc" 2>&1 \
      || bad "$name: search --shortcuts=$sc failed: $(tail -3 "$tmp/$name.$sc")"
  done
  strip "$tmp/$name.true" > "$tmp/a"; strip "$tmp/$name.false" > "$tmp/b"
  if cmp -s "$tmp/a" "$tmp/b"; then
    ok "$name: same output with --shortcuts=true and false"
  else
    bad "$name: output differs: $(diff "$tmp/a" "$tmp/b" | head -5)"
  fi
  on=$(sed -n 's/.*"shortcuts": \([0-9]*\).*/\1/p' "$tmp/$name.true.json" | tail -1)
  off=$(sed -n 's/.*"shortcuts": \([0-9]*\).*/\1/p' "$tmp/$name.false.json" | tail -1)
  if [ "${on:-0}" -gt 0 ] && [ "${off:-1}" -eq 0 ]; then
    ok "$name: $on shortcut evaluations logged with true, none with false"
  else
    bad "$name: shortcuts logged: true ${on:-none}, false ${off:-none}"
  fi
}

# 1000 training examples: shorter evaluations do not try the shortcut.
sed 's/max_train_steps: [0-9]*/max_train_steps: 20000000/; s/population_size: 1000/population_size: 100/; s/progress_every: [0-9]*/progress_every: 500/; s/num_train_examples: 100$/num_train_examples: 1000/' \
  "$specs/demo_search.textpb" > "$tmp/demo.textpb"
same demo "$tmp/demo.textpb" "$specs/demo_select.textpb" \
  "$specs/demo_final.textpb" --random_seed=5 --max_scalar_addresses=4 \
  --max_vector_addresses=3 --max_matrix_addresses=1

if [ -d "${ZEROJIT_FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}" ]; then
  sed 's/max_train_steps: [0-9]*/max_train_steps: 20000000/; s/progress_every: [0-9]*/progress_every: 200/' \
    "$specs/fashion_mnist_short_search.textpb" > "$tmp/fm.textpb"
  ZEROJIT_CACHE_DIR="$tmp/cache" same fashion_mnist "$tmp/fm.textpb" \
    "$specs/fashion_mnist_short_select.textpb" \
    "$specs/fashion_mnist_short_final.textpb" --random_seed=1000060 \
    --max_scalar_addresses=5 --max_vector_addresses=9 --max_matrix_addresses=2
else
  echo "skip: Fashion-MNIST search (no data)"
fi

expect 2 'shortcuts' "--shortcuts=maybe is refused" -- \
  "$ZEROJIT" search --shortcuts=maybe --search_experiment_spec_file="$tmp/demo.textpb"
expect 0 'shortcuts' "eval --help lists --shortcuts" -- "$ZEROJIT" eval --help
finish
