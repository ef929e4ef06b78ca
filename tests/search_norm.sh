# search_norm.sh -- what may differ between two runs of the same search
# (sourced by the script tests that compare searches: checkpoint_resume,
# faults_io, islands, mpi_islands).  Times, the worker count and the
# tier's counters (native code is chosen by measured times) and its
# one-time stencil build only.
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
