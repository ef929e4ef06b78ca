#!/bin/sh
# fashion_mnist.sh -- evolve algorithms on projected binary Fashion-MNIST
# tasks (the paper's main setting, with Fashion-MNIST standing in for
# CIFAR-10).  Needs Debian's dataset-fashion-mnist (apt-get install
# dataset-fashion-mnist; scripts_common.sh installs it) or
# ZEROJIT_FASHION_MNIST_DIR pointing at the IDX files.  Task data are built
# on first use and cached under ~/.cache/zerojit (ZEROJIT_CACHE_DIR).
#
#   examples/fashion_mnist.sh          short search, a few minutes
#   examples/fashion_mnist.sh --full   run_baseline.sh's setting, many hours
# Further flags go to `zerojit search`.
. "$(dirname "$0")/find_zerojit.sh"
s=fashion_mnist_short
if [ "$1" = "--full" ]; then
  s=fashion_mnist
  shift
fi
exec "$ZEROJIT" search \
  --search_experiment_spec_file="$specs/${s}_search.textpb" \
  --select_tasks_file="$specs/${s}_select.textpb" \
  --final_tasks_file="$specs/${s}_final.textpb" \
  --max_scalar_addresses=5 --max_vector_addresses=9 --max_matrix_addresses=2 \
  --random_seed=1000060 "$@"
