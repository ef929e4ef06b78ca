#!/bin/sh
# soak.sh -- a long search with the native tiers on; samples its RSS, open
# file descriptors, worker processes and libgccjit temporary folders every
# few seconds and says whether they stay flat.  Run from the build dir:
#   sh ../bench/soak.sh [SECONDS] [INTERVAL] [ZEROJIT] [-- extra search flags]
# Defaults: 600 s, a sample every 5 s, ./zerojit, the demo search with an
# unreachable sufficient fitness (so it never stops by itself) at
# --jit=auto.  Samples go to soak.tsv.  "Flat" means the median of the last
# fifth of the samples is within 10% (RSS) or +2 (counts) of the median of
# the second fifth (the first fifth is warm-up).
secs=${1:-600}
every=${2:-5}
zj=${3:-./zerojit}
[ $# -ge 3 ] && shift 3 || shift $#
[ "${1:-}" = -- ] && shift
here=$(cd "$(dirname "$0")" && pwd)
specs=$here/../examples/specs
out=soak.tsv
tmpbefore=$(ls -d /tmp/libgccjit-* 2>/dev/null | wc -l)
nice "$zj" search --search_experiment_spec_file="$specs/demo_search.textpb" \
  --select_tasks_file="$specs/demo_select.textpb" \
  --final_tasks_file="$specs/demo_final.textpb" \
  --max_experiments=0 --randomize_task_seeds --sufficient_fitness=2 \
  --max_scalar_addresses=4 --max_vector_addresses=3 --max_matrix_addresses=1 \
  --jit=auto --workers=1 "$@" > soak.log 2>&1 &
wrapper=$!
pid=$wrapper
# A libtool wrapper script runs the real program as its child: watch that.
sleep 1
case $(readlink /proc/$pid/exe 2>/dev/null) in
  */sh|*/bash|*/dash) pid=$(pgrep -P "$wrapper" | head -1) ;;
esac
printf "t\trss_kb\tfds\tchildren\tchild_rss_kb\tlibgccjit_tmp\n" > "$out"
t=0
while [ "$t" -lt "$secs" ] && kill -0 "$pid" 2>/dev/null; do
  rss=$(awk '/^VmRSS/ {print $2}' /proc/$pid/status 2>/dev/null)
  fds=$(ls /proc/$pid/fd 2>/dev/null | wc -l)
  kids=$(pgrep -P "$pid" | tr '\n' ' ')
  nk=0; krss=0
  for k in $kids; do
    nk=$((nk + 1))
    krss=$((krss + $(awk '/^VmRSS/ {print $2}' /proc/$k/status 2>/dev/null || echo 0)))
  done
  tmp=$(( $(ls -d /tmp/libgccjit-* 2>/dev/null | wc -l) - tmpbefore ))
  printf "%s\t%s\t%s\t%s\t%s\t%s\n" "$t" "${rss:-0}" "$fds" "$nk" "$krss" "$tmp" >> "$out"
  sleep "$every"
  t=$((t + every))
done
alive=yes
kill -0 "$pid" 2>/dev/null || alive=no
kill -TERM "$pid" 2>/dev/null
wait "$wrapper" 2>/dev/null
awk -F'\t' -v alive="$alive" '
  NR == 1 { next }
  { n++; for (c = 2; c <= 6; c++) v[c, n] = $c }
  function med(c, lo, hi,   m, i, j, a, t) {
    m = 0; for (i = lo; i <= hi; i++) a[++m] = v[c, i]
    for (i = 2; i <= m; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return a[int((m + 1) / 2)]
  }
  END {
    if (n < 10) { print "soak: too few samples (" n ")"; exit 1 }
    split("rss_kb fds children child_rss_kb libgccjit_tmp", name, " ")
    q = int(n / 5); bad = 0
    for (c = 2; c <= 6; c++) {
      a = med(c, q + 1, 2 * q); b = med(c, n - q + 1, n)
      flat = (c == 2 || c == 5) ? (b <= a * 1.10 + 1024) : (b <= a + 2)
      printf "%-14s early median %10d  late median %10d  %s\n", name[c - 1], a, b, flat ? "flat" : "GROWS"
      bad += !flat
    }
    printf "samples %d, search still running at the end: %s\n", n, alive
    exit bad ? 1 : 0
  }' "$out"
