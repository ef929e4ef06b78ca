#!/bin/sh
# cli_errors.sh -- bad input and failed writes: each gives a one-line
# error naming the file, line or field and a non-zero exit, never a
# crash, a hang or a silent success.
. "${top_srcdir:-.}/tests/cli_lib.sh"

search () {
  f=$1
  shift
  "$ZEROJIT" search --search_experiment_spec_file="$f" \
    --select_tasks_file="$specs/demo_select.textpb" \
    --final_tasks_file="$specs/demo_final.textpb" --workers=1 "$@"
}
# spec_with 'sed expression': the demo search spec, edited.
spec_with () {
  sed -e "$1" "$specs/demo_search.textpb" > "$tmp/spec.textpb"
  echo "$tmp/spec.textpb"
}

# Bounded specs: each count has an upper bound checked at parse time.
s=$(spec_with 's/tournament_size: 10/tournament_size: 2147483647/')
expect 1 "spec.textpb:[0-9]+:[0-9]+: tournament_size: must be <= 10000000" \
  "tournament_size 2147483647" -- timeout 20 "$ZEROJIT" search --search_experiment_spec_file="$s" \
  --select_tasks_file="$specs/demo_select.textpb" --final_tasks_file="$specs/demo_final.textpb"
s=$(spec_with 's/tournament_size: 10/tournament_size: 1001/')
expect 1 "tournament_size: must be <= population_size \(1000; got 1001\)" \
  "tournament above population" -- search "$s"
s=$(spec_with 's/learn_size_init: 8/learn_size_init: 100000000/')
expect 1 "spec.textpb:[0-9]+:[0-9]+: learn_size_init: must be <= 10000" \
  "learn_size_init 100000000" -- search "$s"
s=$(spec_with 's/learn_size_init: 8/learn_size_init: 8 mutate_learn_size_min: 1 mutate_learn_size_max: 5/')
expect 1 "learn_size_init: must be <= mutate_learn_size_max \(5; got 8\)" \
  "size_init within the mutate bounds" -- search "$s"
s=$(spec_with 's/population_size: 1000/population_size: 2147483647/')
expect 1 "population_size: must be <= 10000000" "population_size 2147483647" -- search "$s"
s=$(spec_with 's/num_train_examples: 100$/num_train_examples: 2000000000/')
expect 1 "num_train_examples: must be <= 100000000" "num_train_examples 2000000000" -- search "$s"
s=$(spec_with 's/num_train_examples: 100$/num_train_examples: 100000000/; s/num_tasks: 10$/num_tasks: 100000/')
expect 1 "needs at least [0-9.]+ GiB .* most of it from search_tasks: tasks 1: num_tasks=100000 x num_train_examples=100000000" \
  "memory estimate names the field" -- search "$s"
s=$(spec_with 's/num_train_examples: 100$/num_train_examples: 100000 num_train_epochs: 1000000/')
expect 1 "num_train_examples x num_train_epochs must be <= 2147483647" "epochs overflow" -- search "$s"

# Files that cannot be specs.
expect 1 "$tmp: cannot read: Is a directory" "directory as spec" -- search "$tmp"
printf 'population_size: 10\000 tournament_size: 2\n' > "$tmp/nul.textpb"
expect 1 "nul.textpb: contains a NUL byte at offset 19" "NUL byte in a spec" -- search "$tmp/nul.textpb"
printf 'tasks { \303\251 }\n' > "$tmp/utf8.textpb"
expect 1 "utf8.textpb:1:9: unexpected character byte 0xc3" "lexer error shows the whole byte" -- \
  "$ZEROJIT" eval --program "$programs/neural_net.txt" --tasks_file "$tmp/utf8.textpb"

# Programs.
printf 'def Setup():\n  s1 = dott(v1, v0)\ndef Predict():\ndef Learn():\n' > "$tmp/dott.txt"
expect 1 "dott.txt:2: unknown op name .*near 'dott'" "dott(v1, v0)" -- "$ZEROJIT" print --program "$tmp/dott.txt"
printf 'def Setup():\n  s2 = 0.5\ndef Predict():\n\n  s1 = dot(v1, v30)\ndef Learn():\n' > "$tmp/addr.txt"
expect 1 "addr.txt:5: Predict instruction 1 \(VECTOR_INNER_PRODUCT_OP\): in2 address 30 out of range" \
  "address error carries the line" -- "$ZEROJIT" eval --program "$tmp/addr.txt" --memory 4,3,1 \
  --tasks 'tasks { scalar_linear_regression_task {} features_size: 4 num_train_examples: 10 num_valid_examples: 10 eval_type: RMS_ERROR }'

# Write errors are failures.
if [ -w /dev/full ]; then
  expect 1 "error writing to standard output: No space left on device" "stdout on /dev/full (ops)" -- \
    sh -c "\"$ZEROJIT\" ops > /dev/full"
  s=$(spec_with 's/max_train_steps: 200000000/max_train_steps: 200000/; s/population_size: 1000/population_size: 100/')
  expect 1 "No space left on device" "search stdout on /dev/full" -- \
    sh -c "\"$ZEROJIT\" search --search_experiment_spec_file=$s --select_tasks_file=$specs/demo_select.textpb --final_tasks_file=$specs/demo_final.textpb --workers=1 --random_seed=1 > /dev/full"
  expect 1 "--progress_log=/dev/full: write error: No space left on device" "progress log on /dev/full" -- \
    search "$s" --random_seed=1 --progress_log=/dev/full
fi

# Data.
printf 'a,b,y\n1,2,3\n4,5,12\n' > "$tmp/labels.csv"
expect 1 "labels.csv:3: class 12 \(last column\) is not an integer in 0..9" "CSV class above 9" -- \
  "$ZEROJIT" data info --dataset csv --path "$tmp/labels.csv"
expect 2 "--pairs=0,11: expected 'all' or I,J\[/I,J...\] with two different classes in 0..9" \
  "data build --pairs 0,11" -- "$ZEROJIT" data build --pairs 0,11
mkdir "$tmp/ro"
chmod a-w "$tmp/ro"
if [ "$(id -u)" -ne 0 ]; then ro="$tmp/ro/cache"; else ro=/proc/zerojit-cache; fi
expect 1 "not saved: .*cannot" "data build into an unwritable cache" -- \
  env ZEROJIT_CACHE_DIR="$ro" "$ZEROJIT" data build --dataset csv --path "$top_srcdir/tests/data/tiny.csv" \
  --pairs 0,1 --seeds 0 --features 2 --train 4 --valid 2 --test 0
expect 1 "the cache is off" "data build with the cache off" -- \
  env ZEROJIT_CACHE_DIR=off "$ZEROJIT" data build --pairs 0,1 --seeds 0
if "$ZEROJIT" data 2>&1 | grep -q "cmd_data.c"; then bad "usage names a source file"; else ok "data usage names no source file"; fi
finish
