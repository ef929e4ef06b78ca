#!/bin/sh
# demo.sh -- the demo search from spec files: discover linear regression
# from scratch.  Extra flags are passed on (e.g. --random_seed=1).
. "$(dirname "$0")/find_zerojit.sh"
exec "$ZEROJIT" search \
  --search_experiment_spec_file="$specs/demo_search.textpb" \
  --select_tasks_file="$specs/demo_select.textpb" \
  --final_tasks_file="$specs/demo_final.textpb" \
  --max_experiments=0 --randomize_task_seeds --sufficient_fitness=0.9999 \
  --max_scalar_addresses=4 --max_vector_addresses=3 --max_matrix_addresses=1 \
  "$@"
