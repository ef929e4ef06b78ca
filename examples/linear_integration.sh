#!/bin/sh
# linear_integration.sh -- evolve the SGD update of linear regression.
# The original prints best fit 0.999813 at 21000 individuals and a final
# fitness of 1.000000 for its seed, 100021.  Ours uses a different
# generator, so seeds do not carry over: the default seed here, 2, finds
# the exact SGD update (best fit 0.999967 at about 521,000 individuals,
# final fitness 1.000000).  Over seeds 1-100 about 1 in 5 finds the SGD
# structure within the spec's 1e8 training steps (2 in 100 within 21,000
# individuals); the rest stall in Hebbian-like rules.  bench/RESULTS.md has
# the table; bench/bench_linear_integration.sh measures it.  Another seed:
# examples/linear_integration.sh --random_seed=N.
. "$(dirname "$0")/find_zerojit.sh"
exec "$ZEROJIT" search \
  --search_experiment_spec_file="$specs/linear_search.textpb" \
  --select_tasks_file="$specs/linear_select_final.textpb" \
  --final_tasks_file="$specs/linear_select_final.textpb" \
  --max_scalar_addresses=4 --max_vector_addresses=3 --max_matrix_addresses=1 \
  --random_seed=2 "$@"
