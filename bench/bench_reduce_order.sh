#!/bin/sh
# bench_reduce_order.sh -- instructions per call (valgrind callgrind) of
# dot, vector std and row std in our lane order and in a balanced tree,
# F = 2..32.  Run from the build directory:
#   sh ../bench/bench_reduce_order.sh [./bench/bench_reduce_order]
bin=${1:-./bench/bench_reduce_order}
iters=20000
out=$(mktemp -d)
ir () {   # order op F iters -> instructions inside measure()
  valgrind --tool=callgrind --toggle-collect=measure \
    --callgrind-out-file="$out/cg" "$bin" "$1" "$2" "$3" "$4" >/dev/null 2>&1
  callgrind_annotate "$out/cg" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(/,/, "", $1); print $1 }'
}
printf "%-7s %-3s %12s %12s %8s\n" op F lane_ir/call tree_ir/call tree/lane
for op in dot vstd rowstd; do
  for F in 2 4 8 16 32; do
    l=$(( $(ir lane $op $F $iters) / iters ))
    t=$(( $(ir tree $op $F $iters) / iters ))
    printf "%-7s %-3s %12s %12s %8s\n" $op $F $l $t "$(echo "scale=2; $t / $l" | bc)"
  done
done
rm -rf "$out"
