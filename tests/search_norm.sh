# search_norm.sh -- what may differ between two runs of the same search
# (sourced by the script tests that compare searches: checkpoint_resume,
# faults_io, islands, mpi_islands).  Times, the worker count and the
# tier's counters (native code is chosen by measured times) and its
# one-time stencil build only.  Also the flags of their small search.
norm () {
  sed -E -e 's/elapsed_secs=[0-9]+/elapsed_secs=T/' \
    -e 's/seconds=[0-9.]+, individuals\/s=[0-9]+, workers=[0-9]+/seconds=T/' \
    -e 's/, jit=[a-z]+, compiles=.*$/,/' -e '/^Tier summary:/d' \
    -e '/^zerojit: building native stencils/d' \
    -e '/^zerojit: native stencils for F=/d' "$1"
}
# The progress log ($1), its lines sorted.
normlog () {
  sed -E -e 's/"elapsed": [0-9.]+, //' -e 's/"evals_per_sec": [0-9.]+, //' \
    -e 's/, "jit": "[a-z]+", [^}]*//' "$1" | sort
}
# The small search these scripts run: tests/data/tiny_search.textpb with
# the demo's select and final tasks, $1 experiments, seed $2, --jit=off
# (word-split on purpose; no spaces in these paths; $src and $specs are
# the caller's).
tiny_flags () {
  echo "--search_experiment_spec_file=$src/tests/data/tiny_search.textpb
  --select_tasks_file=$specs/demo_select.textpb
  --final_tasks_file=$specs/demo_final.textpb
  --max_experiments=$1 --randomize_task_seeds --max_scalar_addresses=4
  --max_vector_addresses=3 --max_matrix_addresses=1 --random_seed=$2 --jit=off"
}
