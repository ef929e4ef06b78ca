#!/bin/sh
# bench_probe.sh -- auto against baseline and off on the paper setting at
# 1000 M training steps (session 10: auto's probes sampled alike), one
# command:
#   sh bench/bench_probe.sh [ROUNDS] NAME=ZEROJIT:FLAGS ...
#   e.g. sh bench/bench_probe.sh 3 off=_build/zerojit:--jit=off \
#          base=_build/zerojit:--jit=baseline auto=_build/zerojit:--jit=auto \
#          before=/path/to/main/zerojit:--jit=auto
# The configurations alternate within each round, under nice -n 19 and
# --workers=1.  Prints a row per run (CPU s = user + sys of the whole
# process, compile threads included; the Tier summary's baseline share,
# ratio and kernels), then per configuration the median CPU s and
# individuals per CPU s, and whether every run printed the same search
# output (timings and tier counters stripped, as tests/cli_lib.sh does).
set -u
here=$(cd "$(dirname "$0")" && pwd)
S=$here/../examples/specs
rounds=$1; shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed "s/max_train_steps: [0-9]*/max_train_steps: ${BENCH_PAPER_STEPS:-1000000000}/" \
  "$S/fashion_mnist_search.textpb" > "$tmp/paper.textpb"
strip () {
  sed -e 's/, jit=.*//' -e 's/,$//' -e 's/elapsed_secs=[0-9.]*//' "$1" \
    | grep -v -e '^Summary' -e '^Tier summary'
}
printf '%-8s %5s %7s %8s  %s\n' config round cpu_s indiv tier
for r in $(seq 1 "$rounds"); do
  for c in "$@"; do
    name=${c%%=*}; rest=${c#*=}; bin=${rest%%:*}; flags=$(echo "${rest#*:}" | tr ',' ' ')
    out=$tmp/$name-$r.out
    # shellcheck disable=SC2086
    /usr/bin/time -f "%U %S" -o "$tmp/time" nice -n 19 "$bin" search \
      --search_experiment_spec_file="$tmp/paper.textpb" \
      --select_tasks_file="$S/fashion_mnist_select.textpb" \
      --final_tasks_file="$S/fashion_mnist_final.textpb" \
      --max_scalar_addresses=5 --max_vector_addresses=9 \
      --max_matrix_addresses=2 --random_seed=1000060 --max_experiments=1 \
      --workers=1 $flags > "$out" 2>&1
    cpu=$(awk '{ printf "%.2f", $1 + $2 }' "$tmp/time")
    ind=$(sed -n 's/.*individuals=\([0-9]*\).*/\1/p' "$out" | tail -1)
    tier=$(grep '^Tier summary' "$out" | sed -n 's/.*\(baseline_kernels=[0-9]*\).*\(baseline=[0-9.]*\), \(baseline_ratio=[0-9.]*\).*/\1 \2 \3/p')
    printf '%-8s %5s %7s %8s  %s\n' "$name" "$r" "$cpu" "$ind" "$tier"
    echo "$cpu $ind" >> "$tmp/$name.all"
    strip "$out" > "$tmp/$name-$r.strip"
  done
done
echo "medians:"
first=
for c in "$@"; do
  name=${c%%=*}
  awk '{ print $1, ($1 > 0 ? $2 / $1 : 0) }' "$tmp/$name.all" | sort -g \
    | awk -v n="$name" '{ c[NR] = $1; i[NR] = $2 } END { m = int((NR + 1) / 2);
        printf "%-8s cpu_s %.2f  individuals/cpu_s %.1f\n", n, c[m], i[NR + 1 - m] }'
  for f in "$tmp/$name"-*.strip; do
    [ -z "$first" ] && first=$f
    cmp -s "$first" "$f" || echo "DIFFERENT OUTPUT: $f"
  done
done
echo "outputs compared: $(ls "$tmp"/*.strip | wc -l)"
