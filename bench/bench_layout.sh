#!/bin/sh
# bench_layout.sh -- ns per task-example of the paper setting's program
# classes in each layout and tier: the single-task interpreter (per-task
# layout), the lane interpreter (10 tasks in lanes), the baseline tier
# (stencils on the lanes), fused step kernels (jit/fused.h: each component
# one loop over the lanes, compiled once) and the optimized tier (per
# task, libgccjit); ptask: per-task stencils (jit/ptask.h: one task's
# Predict and Learn as copied stencils in the single-task layout).
# Programs in bench/layout/: tiny and dots (no matrix op), matvec (a
# matrix read in Predict), matvec_learn (a matrix written in Learn),
# paper_best (the paper search's best program: a matrix read by a product
# in Predict) and the NN of examples/programs; tasks: the paper setting's (F = 16, 8000 /
# 1000, ACCURACY).  `zerojit bench` times thread CPU, median of REPS.
#   bench/bench_layout.sh [REPS] ZEROJIT...   (e.g. an AVX-512 build and a
#   -mno-avx512f build, which puts 10 tasks in 12 lanes instead of 16)
set -e
here=$(cd "$(dirname "$0")" && pwd)
reps=${1:-9}; shift
[ $# -gt 0 ] || set -- ./zerojit
printf '%-14s %-40s %10s %10s %10s %10s %10s %10s\n' program build interp lanes baseline fused ptask optimized
for p in tiny dots matvec matvec_learn stateful neural_net paper_best; do
  f=$here/layout/$p.txt
  [ -f "$f" ] || f=$here/../examples/programs/$p.txt
  for zj in "$@"; do
    "$zj" bench --program "$f" --memory 5,9,2 --reps "$reps" \
      --tasks_file "$here/layout/paper_tasks.textpb" 2>&1 | awk -v p="$p" -v b="$zj" '
      $1 == "interpreter" { i = $3 }
      $1 == "lane" { l = $4 }
      $1 == "baseline" { s = $4 }
      $1 == "fused" { f = ($2 == "not" ? "-" : $4) }
      $1 == "ptask" { t = ($2 == "not" ? "-" : $4) }
      $1 == "optimized" { o = $4 }
      END { printf "%-14s %-40s %10s %10s %10s %10s %10s %10s\n", p, b, i, l, s, f, t, o }'
  done
done
