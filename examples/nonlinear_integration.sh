#!/bin/sh
# nonlinear_integration.sh -- repair a 2-layer network that lost its
# weight initialisations (only Setup evolves).  The original reaches best
# fit 1.000000 and a final fitness of 0.999680 for its seed.
. "$(dirname "$0")/find_zerojit.sh"
exec "$ZEROJIT" search \
  --search_experiment_spec_file="$specs/nonlinear_search.textpb" \
  --select_tasks_file="$specs/nonlinear_select_final.textpb" \
  --final_tasks_file="$specs/nonlinear_select_final.textpb" \
  --max_scalar_addresses=5 --max_vector_addresses=9 --max_matrix_addresses=2 \
  --random_seed=100001 "$@"
