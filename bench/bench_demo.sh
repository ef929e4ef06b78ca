#!/bin/sh
# bench_demo.sh -- demo search (linear regression from scratch) over seeds:
# time to solution and individuals per second, with medians.
#   bench/bench_demo.sh [ZEROJIT] [SEEDS...]      default seeds 1 2 3 4 5
# Run from the build directory (make bench-demo does).
zj=${1:-./zerojit}
[ $# -gt 0 ] && shift
seeds=${*:-1 2 3 4 5}
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp)
printf "%-6s %-12s %-12s %-14s %s\n" seed seconds individuals individuals/s final
for s in $seeds; do
  ZEROJIT=$zj sh "$here/../examples/demo.sh" --random_seed="$s" > "$out" 2>&1
  line=$(grep '^Summary:' "$out")
  final=$(sed -n 's/^Final evaluation fitness (on unseen data) = //p' "$out")
  secs=$(echo "$line" | sed -E 's/.*seconds=([0-9.]+).*/\1/')
  ind=$(echo "$line" | sed -E 's/.*individuals=([0-9]+).*/\1/')
  rate=$(echo "$line" | sed -E 's/.*individuals\/s=([0-9]+).*/\1/')
  printf "%-6s %-12s %-12s %-14s %s\n" "$s" "$secs" "$ind" "$rate" "$final"
  echo "$secs $rate" >> "$out.all"
done
echo "median seconds: $(cut -d' ' -f1 "$out.all" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
echo "median individuals/s: $(cut -d' ' -f2 "$out.all" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
rm -f "$out" "$out.all"
