#!/bin/sh
# run_demo.sh -- install what is missing, build, and discover linear
# regression from scratch (the original release's demo search: 10 linear
# tasks, F = 4, random initial programs, 4/3/1 memory addresses).
# Extra arguments are passed on, e.g. ./run_demo.sh --random_seed=3
set -e
. "$(dirname "$0")/scripts_common.sh"
zj_install_packages
zj_build
ops='[SCALAR_CONST_SET_OP, VECTOR_INNER_PRODUCT_OP, SCALAR_DIFF_OP, SCALAR_PRODUCT_OP, SCALAR_VECTOR_PRODUCT_OP, VECTOR_SUM_OP]'
exec ./zerojit search \
  --search_experiment_spec="
    search_tasks {
      tasks {
        scalar_linear_regression_task {}
        features_size: 4
        num_train_examples: 100
        num_valid_examples: 100
        num_tasks: 10
        eval_type: RMS_ERROR
      }
    }
    setup_ops: $ops
    predict_ops: $ops
    learn_ops: $ops
    setup_size_init: 10
    predict_size_init: 2
    learn_size_init: 8
    fec {num_train_examples: 10 num_valid_examples: 10}
    fitness_combination_mode: MEAN_FITNESS_COMBINATION
    population_size: 1000
    tournament_size: 10
    initial_population: RANDOM_ALGORITHM
    max_train_steps: 200000000
    allowed_mutation_types {
      mutation_types: [ALTER_PARAM_MUTATION_TYPE, RANDOMIZE_INSTRUCTION_MUTATION_TYPE, RANDOMIZE_COMPONENT_FUNCTION_MUTATION_TYPE]
    }
    mutate_prob: 0.9
    progress_every: 10000
    " \
  --final_tasks="
    tasks {
      scalar_linear_regression_task {}
      features_size: 4
      num_train_examples: 1000
      num_valid_examples: 100
      num_tasks: 100
      eval_type: RMS_ERROR
      data_seeds: [1000000]
      param_seeds: [2000000]
    }
    " \
  --random_seed=0 \
  --select_tasks="
    tasks {
      scalar_linear_regression_task {}
      features_size: 4
      num_train_examples: 1000
      num_valid_examples: 100
      num_tasks: 100
      eval_type: RMS_ERROR
    }
    " \
  --max_experiments=0 \
  --randomize_task_seeds \
  --sufficient_fitness=0.9999 \
  --max_scalar_addresses=4 --max_vector_addresses=3 --max_matrix_addresses=1 \
  "$@"
