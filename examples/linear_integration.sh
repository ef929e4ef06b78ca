#!/bin/sh
# linear_integration.sh -- evolve the SGD update of linear regression.
# The original prints best fit 0.999813 at 21000 individuals and a final
# fitness of 1.000000 for its seed.  Ours uses a different generator, so
# seeds do not carry over: about 1 seed in 5 finds the SGD update within
# the spec's 1e8 training steps (2 in 100 within 21000 individuals), the
# rest stall in Hebbian-like rules; see bench/RESULTS.md and
# bench/bench_linear_integration.sh.
. "$(dirname "$0")/find_zerojit.sh"
exec "$ZEROJIT" search \
  --search_experiment_spec_file="$specs/linear_search.textpb" \
  --select_tasks_file="$specs/linear_select_final.textpb" \
  --final_tasks_file="$specs/linear_select_final.textpb" \
  --max_scalar_addresses=4 --max_vector_addresses=3 --max_matrix_addresses=1 \
  --random_seed=100021 "$@"
