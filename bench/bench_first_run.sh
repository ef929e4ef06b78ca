#!/bin/bash
# bench_first_run.sh -- the demo's first run on a new machine: the search
# run_demo.sh starts (same spec, tasks and flags, a fixed seed instead of
# a random one), each run with an empty cache directory (XDG_CACHE_HOME),
# so the baseline tier's stencil libraries have to be built.  Runs of the
# binaries alternate; prints per run the wall time, the time to the first
# progress line and user+sys CPU, then medians.
#   bench/bench_first_run.sh [RUNS] [ZEROJIT...]
# RUNS defaults to 3, ZEROJIT to ./zerojit (run from the build dir).
# Compare two builds: bench/bench_first_run.sh 3 OLD/zerojit NEW/zerojit
# ZJ_BENCH_WARM=1: the same with a cache filled by a first, untimed run
# (the reference: what a first run would cost with nothing to build).
set -u
runs=${1:-3}
shift || true
[ $# -gt 0 ] || set -- ./zerojit
specs=$(cd "$(dirname "$0")/../examples/specs" && pwd)
seed=${ZJ_BENCH_SEED:-2}
now () { date +%s.%N; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/zj-first.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
median () { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

one () {
  bin=$1 tag=$2
  cache=$tmp/cache-$tag-$r
  if [ "${ZJ_BENCH_WARM:-0}" = 1 ]; then
    cache=$tmp/cache-$tag
    if [ ! -d "$cache" ]; then
      # untimed, and the search is awaited to its end: the cache is full
      XDG_CACHE_HOME=$cache "$bin" search --search_experiment_spec_file="$specs/demo_search.textpb" \
        --select_tasks_file="$specs/demo_select.textpb" --final_tasks_file="$specs/demo_final.textpb" \
        --max_experiments=1 --max_scalar_addresses=4 --max_vector_addresses=3 \
        --max_matrix_addresses=1 --random_seed=1 > /dev/null 2>&1
    fi
  else
    rm -rf "$cache"
  fi
  t0=$(now)
  XDG_CACHE_HOME=$cache /usr/bin/time -f '%U %S' -o "$tmp/cpu" \
    env -u ZEROJIT_CACHE_DIR "$bin" search \
    --search_experiment_spec_file="$specs/demo_search.textpb" \
    --select_tasks_file="$specs/demo_select.textpb" \
    --final_tasks_file="$specs/demo_final.textpb" \
    --max_experiments=0 --randomize_task_seeds --sufficient_fitness=0.9999 \
    --max_scalar_addresses=4 --max_vector_addresses=3 --max_matrix_addresses=1 \
    --random_seed="$seed" 2> "$tmp/err" | {
      first=
      while IFS= read -r line; do
        case $line in indivs=*) first=$(now); break ;; esac
      done
      cat > "$tmp/out"
      echo "$first" > "$tmp/first"
    }
  t1=$(now)
  first=$(cat "$tmp/first")
  wall=$(echo "$t1 - $t0" | bc -l)
  tfirst=$(echo "${first:-$t1} - $t0" | bc -l)
  cpu=$(awk '{ print $1 + $2 }' "$tmp/cpu")
  printf '%-6s run %d: wall %6.2f s, first progress line %5.2f s, cpu %6.2f s, load %s\n' \
    "$tag" "$r" "$wall" "$tfirst" "$cpu" "$(cut -d' ' -f1 /proc/loadavg)"
  echo "$wall" >> "$tmp/wall-$tag"
  echo "$tfirst" >> "$tmp/first-$tag"
  echo "$cpu" >> "$tmp/cpu-$tag"
  grep -q '^Summary: ' "$tmp/out" || echo "  (no Summary line: $(tail -2 "$tmp/err"))"
}

for r in $(seq 1 "$runs"); do
  i=0
  for bin in "$@"; do
    i=$((i + 1))
    one "$bin" "bin$i"
  done
done
i=0
for bin in "$@"; do
  i=$((i + 1))
  printf 'bin%d = %s: median wall %.2f s, first progress line %.2f s, cpu %.2f s (%d runs)\n' \
    "$i" "$bin" "$(median < "$tmp/wall-bin$i")" "$(median < "$tmp/first-bin$i")" \
    "$(median < "$tmp/cpu-bin$i")" "$runs"
done
