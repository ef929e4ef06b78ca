#!/bin/sh
# nonlinear_integration.sh -- repair a 2-layer network that lost its
# weight initialisations (only Setup evolves, under a train budget).
# The original reports best fit 1.000000 and a final fitness of 0.999680
# for its seed on its own task data.  What we measure with this seed
# (100001), on our generator's tasks: best search fitness 0.996 (hall of
# fame 0.998), select fitness 0.848 and final fitness 0.848 -- the repaired
# Setup fits the 10 search tasks better than unseen ones.  The search is
# measured, not the original's numbers: seeds and task data differ
# (doc/deviations.md).
. "$(dirname "$0")/find_zerojit.sh"
exec "$ZEROJIT" search \
  --search_experiment_spec_file="$specs/nonlinear_search.textpb" \
  --select_tasks_file="$specs/nonlinear_select_final.textpb" \
  --final_tasks_file="$specs/nonlinear_select_final.textpb" \
  --max_scalar_addresses=5 --max_vector_addresses=9 --max_matrix_addresses=2 \
  --random_seed=100001 "$@"
