#!/bin/sh
# bench_overhead.sh -- two builds side by side on the paper setting and the
# demo, runs alternated, one worker: individuals/s (as printed by the
# search, wall clock) and CPU seconds (user + sys) per run, and medians.
#   bench/bench_overhead.sh OLD_ZEROJIT NEW_ZEROJIT [RUNS] [PAPER_STEPS] [JIT_MODES]
# defaults: 3 runs, 600000000 training steps, "off auto".  The paper
# setting is examples/specs/fashion_mnist_search.textpb with that budget
# (seed 1000060, --max_experiments=1); the demo is examples/demo.sh with
# 6e7 steps, seeds 1-3.  Search output must not differ between the two
# builds (tier summaries aside): the script says so when it does.
here=$(cd "$(dirname "$0")" && pwd)
specs=$here/../examples/specs
paper () {  # BIN JIT
  "$1" search --search_experiment_spec_file="$tmp/fm.textpb" \
    --select_tasks_file="$specs/fashion_mnist_select.textpb" \
    --final_tasks_file="$specs/fashion_mnist_final.textpb" \
    --max_scalar_addresses=5 --max_vector_addresses=9 \
    --max_matrix_addresses=2 --random_seed=1000060 --workers=1 \
    --max_experiments=1 --jit="$2"
}
demo () {  # BIN SEED
  "$1" search --search_experiment_spec_file="$tmp/demo.textpb" \
    --select_tasks_file="$specs/demo_select.textpb" \
    --final_tasks_file="$specs/demo_final.textpb" \
    --max_experiments=1 --randomize_task_seeds \
    --max_scalar_addresses=4 --max_vector_addresses=3 \
    --max_matrix_addresses=1 --random_seed="$2" --workers=1 --jit=off
}
# The script re-enters itself to run one search under /usr/bin/time.
if [ "$1" = --one ]; then
  tmp=$2; shift 2
  "$@"
  exit
fi
old=$1 new=$2 runs=${3:-3} steps=${4:-600000000} modes=${5:-off auto}
tmp=$(mktemp -d)
sed "s/^max_train_steps:.*/max_train_steps: $steps/" \
  "$specs/fashion_mnist_search.textpb" > "$tmp/fm.textpb"
sed "s/^max_train_steps:.*/max_train_steps: 60000000/" \
  "$specs/demo_search.textpb" > "$tmp/demo.textpb"
# run NAME paper|demo BIN ARG: one run; appends "rate cpu" to $tmp/NAME.
run () {
  name=$1; shift
  /usr/bin/time -f "%U %S" -o "$tmp/t" sh "$here/bench_overhead.sh" --one \
    "$tmp" "$@" > "$tmp/out" 2>&1
  rate=$(sed -n 's/^Summary:.*individuals\/s=\([0-9]*\).*/\1/p' "$tmp/out")
  cpu=$(awk '{print $1 + $2}' "$tmp/t")
  echo "$rate $cpu" >> "$tmp/$name"
  grep -v '^Summary:\|indivs=\|^Tier summary:' "$tmp/out" > "$tmp/$name.result"
}
med () { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
report () {  # NAME
  printf "%-22s runs %-26s median %6s/s  cpu median %6ss\n" "$1" \
    "$(cut -d' ' -f1 "$tmp/$1" | tr '\n' ' ')" \
    "$(cut -d' ' -f1 "$tmp/$1" | med)" "$(cut -d' ' -f2 "$tmp/$1" | med)"
}
for i in $(seq "$runs"); do
  for m in $modes; do
    run "paper_${m}_old" paper "$old" "$m"
    run "paper_${m}_new" paper "$new" "$m"
    cmp -s "$tmp/paper_${m}_old.result" "$tmp/paper_${m}_new.result" \
      || echo "NOTE: paper --jit=$m search output differs (run $i)"
  done
done
for s in 1 2 3; do
  run demo_old demo "$old" "$s"
  run demo_new demo "$new" "$s"
  cmp -s "$tmp/demo_old.result" "$tmp/demo_new.result" \
    || echo "NOTE: demo seed $s search output differs"
done
echo "paper setting: max_train_steps $steps; demo: 6e7 steps, seeds 1-3"
for m in $modes; do report "paper_${m}_old"; report "paper_${m}_new"; done
report demo_old; report demo_new
rm -rf "$tmp"
