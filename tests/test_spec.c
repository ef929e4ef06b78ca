/* test_spec.c -- text-format specs: the tree reader and the typed layer. */
#include <criterion/criterion.h>
#include <string.h>
#include <zerojit/spec.h>
#include "textproto.h"
#include "testutil.h"

/* run_demo.sh's search spec (2021 version), as the original passes it. */
static const char demo_spec[] =
  "search_tasks {\n"
  "  tasks {\n"
  "    scalar_linear_regression_task {}\n"
  "    features_size: 4\n"
  "    num_train_examples: 100\n"
  "    num_valid_examples: 100\n"
  "    num_tasks: 10\n"
  "    eval_type: RMS_ERROR\n"
  "  }\n"
  "}\n"
  "setup_ops: [SCALAR_CONST_SET_OP, VECTOR_INNER_PRODUCT_OP, SCALAR_DIFF_OP, "
  "SCALAR_PRODUCT_OP, SCALAR_VECTOR_PRODUCT_OP, VECTOR_SUM_OP]\n"
  "predict_ops: [SCALAR_CONST_SET_OP, VECTOR_INNER_PRODUCT_OP, SCALAR_DIFF_OP, "
  "SCALAR_PRODUCT_OP, SCALAR_VECTOR_PRODUCT_OP, VECTOR_SUM_OP]\n"
  "learn_ops: [SCALAR_CONST_SET_OP, VECTOR_INNER_PRODUCT_OP, SCALAR_DIFF_OP, "
  "SCALAR_PRODUCT_OP, SCALAR_VECTOR_PRODUCT_OP, VECTOR_SUM_OP]\n"
  "learn_size_init: 8\n"
  "setup_size_init: 10\n"
  "predict_size_init: 2\n"
  "fec {num_train_examples: 10 num_valid_examples: 10}\n"
  "fitness_combination_mode: MEAN_FITNESS_COMBINATION\n"
  "population_size: 1000\n"
  "tournament_size: 10\n"
  "initial_population: RANDOM_ALGORITHM\n"
  "max_train_steps: 200000000\n"
  "allowed_mutation_types {\n"
  "  mutation_types: [ALTER_PARAM_MUTATION_TYPE, "
  "RANDOMIZE_INSTRUCTION_MUTATION_TYPE, "
  "RANDOMIZE_COMPONENT_FUNCTION_MUTATION_TYPE]\n"
  "}\n"
  "mutate_prob: 0.9\n"
  "progress_every: 10000\n";

/* The smallest valid search spec, to which tests append one field. */
#define MIN_SPEC \
  "search_tasks { tasks { scalar_linear_regression_task {} " \
  "features_size: 4 num_train_examples: 10 num_valid_examples: 10 " \
  "eval_type: RMS_ERROR } }\n" \
  "population_size: 10 tournament_size: 2\n" \
  "allowed_mutation_types { mutation_types: ALTER_PARAM_MUTATION_TYPE }\n"

static int
search_fails (const char *text, zj_error *err)
{
  zj_search_spec s;
  int rc = zj_search_spec_parse (text, "spec.txt", &s, err);
  zj_search_spec_free (&s);
  return rc;
}

static int
tasks_fail (const char *text, zj_error *err)
{
  zj_task_collection c;
  int rc = zj_task_collection_parse (text, "tasks.txt", &c, err);
  zj_task_collection_free (&c);
  return rc;
}

#define ASSERT_MSG_HAS(err, needle) \
  cr_assert (strstr ((err).msg, needle), "message '%s' lacks '%s'", \
             (err).msg, needle)

Test (spec, demo_spec_fields)
{
  zj_search_spec s;
  zj_error err = { "" };
  cr_assert_eq (zj_search_spec_parse (demo_spec, "demo", &s, &err), 0, "%s",
                err.msg);
  cr_assert_eq (s.search_tasks.n, 1);
  const zj_task_spec *t = &s.search_tasks.specs[0];
  cr_assert_eq (t->type, ZJ_TASK_SCALAR_LINEAR_REGRESSION);
  cr_assert_eq (t->features_size, 4);
  cr_assert_eq (t->num_train_examples, 100);
  cr_assert_eq (t->num_valid_examples, 100);
  cr_assert_eq (t->num_tasks, 10);
  cr_assert_eq (t->num_train_epochs, 1);
  cr_assert_eq (t->eval_type, ZJ_RMS_ERROR);
  cr_assert_eq (t->n_data_seeds, 0);
  cr_assert_eq (t->n_param_seeds, 0);
  const int ops[6] = { ZJ_SCALAR_CONST_SET_OP, ZJ_VECTOR_INNER_PRODUCT_OP,
                       ZJ_SCALAR_DIFF_OP, ZJ_SCALAR_PRODUCT_OP,
                       ZJ_SCALAR_VECTOR_PRODUCT_OP, ZJ_VECTOR_SUM_OP };
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    {
      cr_assert_eq (s.n_ops[c], 6);
      cr_assert_arr_eq (s.ops[c], ops, sizeof ops);
    }
  cr_assert_eq (s.size_init[ZJ_SETUP], 10);
  cr_assert_eq (s.size_init[ZJ_PREDICT], 2);
  cr_assert_eq (s.size_init[ZJ_LEARN], 8);
  cr_assert (s.has_fec);
  cr_assert_eq (s.fec_num_train_examples, 10);
  cr_assert_eq (s.fec_num_valid_examples, 10);
  cr_assert_eq (s.fec_cache_size, 100000);
  cr_assert_eq (s.fec_forget_every, 100);
  cr_assert_eq (s.fitness_combination_mode, ZJ_COMBINE_MEAN);
  cr_assert_eq (s.population_size, 1000);
  cr_assert_eq (s.tournament_size, 10);
  cr_assert_eq (s.initial_population, ZJ_ALG_RANDOM);
  cr_assert_eq (s.max_train_steps, 200000000);
  cr_assert_eq (s.max_individuals, 0);
  cr_assert_eq (s.n_mutation_types, 3);
  cr_assert_eq (s.mutation_types[0], ZJ_MUT_ALTER_PARAM);
  cr_assert_eq (s.mutation_types[1], ZJ_MUT_RANDOMIZE_INSTRUCTION);
  cr_assert_eq (s.mutation_types[2], ZJ_MUT_RANDOMIZE_COMPONENT_FUNCTION);
  cr_assert_eq (s.mutate_prob, 0.9);
  cr_assert_eq (s.progress_every, 10000);
  /* Defaults of fields the demo leaves out. */
  cr_assert (!s.has_train_budget);
  cr_assert_eq (s.train_budget_baseline, ZJ_ALG_NEURAL_NET);
  cr_assert_eq (s.train_budget_threshold_factor, 2.0);
  cr_assert_eq (s.max_abs_error, 100.0);
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    cr_assert (s.size_min[c] == 0 && s.size_max[c] == 0);
  zj_search_spec_free (&s);
}

Test (spec, defaults_and_older_fields)
{
  zj_search_spec s;
  zj_error err = { "" };
  const char *text = MIN_SPEC
    "max_individuals: 1000000\n"
    "train_budget {train_budget_baseline: NEURAL_NET_ALGORITHM}\n"
    "fitness_combination_mode: MEDIAN_FITNESS_COMBINATION\n"
    "mutate_setup_size_min: 1 mutate_setup_size_max: 7\n";
  cr_assert_eq (zj_search_spec_parse (text, "x", &s, &err), 0, "%s", err.msg);
  cr_assert_eq (s.max_individuals, 1000000);
  cr_assert_eq (s.max_train_steps, INT64_C (80000000000));
  cr_assert (s.has_train_budget);
  cr_assert_eq (s.train_budget_baseline, ZJ_ALG_NEURAL_NET);
  cr_assert_eq (s.train_budget_threshold_factor, 2.0);
  cr_assert_eq (s.fitness_combination_mode, ZJ_COMBINE_MEDIAN);
  cr_assert (!s.has_fec);
  cr_assert_eq (s.initial_population, ZJ_ALG_NO_OP);
  cr_assert_eq (s.size_min[ZJ_SETUP], 1);
  cr_assert_eq (s.size_max[ZJ_SETUP], 7);
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    cr_assert_eq (s.n_ops[c], 0);
  zj_search_spec_free (&s);
}

Test (spec, list_and_repeated_syntax_agree)
{
  zj_search_spec a, b;
  zj_error err = { "" };
  const char *la = MIN_SPEC
    "setup_ops: [SCALAR_CONST_SET_OP, VECTOR_SUM_OP]\n"
    "learn_ops: [MATRIX_SUM_OP]\n";
  const char *lb = MIN_SPEC
    "setup_ops: SCALAR_CONST_SET_OP\n"
    "learn_ops: MATRIX_SUM_OP\n"
    "setup_ops: VECTOR_SUM_OP\n";
  cr_assert_eq (zj_search_spec_parse (la, "a", &a, &err), 0, "%s", err.msg);
  cr_assert_eq (zj_search_spec_parse (lb, "b", &b, &err), 0, "%s", err.msg);
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    {
      cr_assert_eq (a.n_ops[c], b.n_ops[c]);
      if (a.n_ops[c])
        cr_assert_arr_eq (a.ops[c], b.ops[c], sizeof (int) * a.n_ops[c]);
    }
  cr_assert_eq (a.n_ops[ZJ_SETUP], 2);
  cr_assert_eq (a.ops[ZJ_SETUP][1], ZJ_VECTOR_SUM_OP);
  zj_search_spec_free (&a);
  zj_search_spec_free (&b);

  zj_task_collection ca, cb;
  const char *ta = "tasks { unit_test_zeros_task {} features_size: 2 "
    "num_train_examples: 1 num_valid_examples: 1 num_tasks: 3 "
    "data_seeds: [5, 6, 4294967295] param_seeds: [7] }";
  const char *tb = "tasks { unit_test_zeros_task {} features_size: 2 "
    "num_train_examples: 1 num_valid_examples: 1 num_tasks: 3 "
    "data_seeds: 5 data_seeds: 6, data_seeds: 4294967295; param_seeds: 7 }";
  cr_assert_eq (zj_task_collection_parse (ta, "a", &ca, &err), 0, "%s",
                err.msg);
  cr_assert_eq (zj_task_collection_parse (tb, "b", &cb, &err), 0, "%s",
                err.msg);
  cr_assert_eq (ca.specs[0].n_data_seeds, 3);
  cr_assert_eq (cb.specs[0].n_data_seeds, 3);
  cr_assert_arr_eq (ca.specs[0].data_seeds, cb.specs[0].data_seeds,
                    3 * sizeof (uint32_t));
  cr_assert_eq (ca.specs[0].data_seeds[2], UINT32_MAX);
  cr_assert_eq (cb.specs[0].param_seeds[0], 7);
  zj_task_collection_free (&ca);
  zj_task_collection_free (&cb);
}

Test (spec, enums_by_number)
{
  zj_search_spec s;
  zj_error err = { "" };
  const char *text =
    "search_tasks { tasks { scalar_linear_regression_task {} "
    "features_size: 4 num_train_examples: 10 num_valid_examples: 10 "
    "eval_type: 1 } }\n"
    "population_size: 10 tournament_size: 2 initial_population: 3\n"
    "allowed_mutation_types { mutation_types: [4, 5] }\n"
    "setup_ops: [1, 64]\n";
  cr_assert_eq (zj_search_spec_parse (text, "x", &s, &err), 0, "%s", err.msg);
  cr_assert_eq (s.search_tasks.specs[0].eval_type, ZJ_RMS_ERROR);
  cr_assert_eq (s.initial_population, ZJ_ALG_NEURAL_NET);
  cr_assert_eq (s.mutation_types[0], ZJ_MUT_INSERT_INSTRUCTION);
  cr_assert_eq (s.mutation_types[1], ZJ_MUT_REMOVE_INSTRUCTION);
  cr_assert_eq (s.ops[ZJ_SETUP][0], 1);
  cr_assert_eq (s.ops[ZJ_SETUP][1], 64);
  zj_search_spec_free (&s);
  /* 2 is a gap in EvalType. */
  zj_error e2;
  cr_assert_eq (tasks_fail ("tasks { scalar_linear_regression_task {} "
                            "features_size: 4 num_train_examples: 1 "
                            "num_valid_examples: 1 eval_type: 2 }", &e2), -1);
  ASSERT_MSG_HAS (e2, "eval_type: unknown EvalType value '2'");
}

Test (spec, unknown_field_lists_valid_names)
{
  zj_error err;
  const char *text = "tasks {\n  scalar_linear_regression_task {}\n"
    "  features_size: 4\n  num_trains: 5\n}\n";
  cr_assert_eq (tasks_fail (text, &err), -1);
  cr_assert_str_eq (err.msg, "tasks.txt:4:3: unknown field 'num_trains' in "
                    "TaskSpec; valid fields: features_size, "
                    "num_train_examples, num_train_epochs, "
                    "num_valid_examples, num_tasks, data_seeds, param_seeds, "
                    "eval_type, scalar_linear_regression_task, "
                    "scalar_2layer_nn_regression_task, "
                    "projected_binary_classification_task, "
                    "unit_test_fixed_task, unit_test_zeros_task, "
                    "unit_test_ones_task, unit_test_increment_task, "
                    "num_test_examples");
  cr_assert_eq (search_fails (MIN_SPEC "fec { num_train_examples: 1 "
                              "num_valid_examples: 1 cache: 3 }", &err), -1);
  ASSERT_MSG_HAS (err, "spec.txt:4:51: unknown field 'cache' in FECSpec; "
                  "valid fields: num_train_examples, num_valid_examples, "
                  "cache_size, forget_every");
  cr_assert_eq (search_fails (MIN_SPEC "populationsize: 3", &err), -1);
  ASSERT_MSG_HAS (err, "spec.txt:4:1: unknown field 'populationsize' in "
                  "SearchExperimentSpec; valid fields: search_tasks, ");
  ASSERT_MSG_HAS (err, "population_size");
  cr_assert_eq (tasks_fail ("tasks { unit_test_zeros_task { x: 1 } }", &err),
                -1);
  cr_assert_str_eq (err.msg, "tasks.txt:1:32: unknown field 'x' in "
                    "UnitTestZerosTaskSpec (it has no fields)");
}

Test (spec, bad_enum_values)
{
  zj_error err;
  cr_assert_eq (tasks_fail ("tasks { scalar_linear_regression_task {}\n"
                            "features_size: 4 num_train_examples: 1 "
                            "num_valid_examples: 1 eval_type: RMS }", &err),
                -1);
  cr_assert_str_eq (err.msg, "tasks.txt:2:73: eval_type: unknown EvalType "
                    "value 'RMS'; valid: INVALID_EVAL_TYPE, RMS_ERROR, "
                    "ACCURACY");
  cr_assert_eq (search_fails (MIN_SPEC "setup_ops: [SCALAR_SUM_OP, "
                              "SCALAR_SUMM_OP]", &err), -1);
  ASSERT_MSG_HAS (err, "spec.txt:4:28: setup_ops: unknown op 'SCALAR_SUMM_OP'");
  cr_assert_eq (search_fails (MIN_SPEC "initial_population: RANDOM", &err),
                -1);
  ASSERT_MSG_HAS (err, "initial_population: unknown HardcodedAlgorithmID "
                  "value 'RANDOM'; valid: NO_OP_ALGORITHM, RANDOM_ALGORITHM");
  cr_assert_eq (search_fails (MIN_SPEC "allowed_mutation_types { "
                              "mutation_types: ALTER_PARAM }", &err), -1);
  ASSERT_MSG_HAS (err, "allowed_mutation_types");  /* given twice */
  cr_assert_eq (search_fails (
    "search_tasks { tasks { scalar_linear_regression_task {} "
    "features_size: 4 num_train_examples: 10 num_valid_examples: 10 "
    "eval_type: RMS_ERROR } } population_size: 10 tournament_size: 2 "
    "allowed_mutation_types { mutation_types: [ALTER_PARAM, "
    "IDENTITY_MUTATION_TYPE] }", &err), -1);
  ASSERT_MSG_HAS (err, "mutation_types: unknown MutationType value "
                  "'ALTER_PARAM'; valid: ALTER_PARAM_MUTATION_TYPE, ");
  cr_assert_eq (search_fails (MIN_SPEC "fitness_combination_mode: "
                              "UNKNOWN_FITNESS_COMBINATION", &err), -1);
  ASSERT_MSG_HAS (err, "fitness_combination_mode: "
                  "UNKNOWN_FITNESS_COMBINATION cannot");
}

Test (spec, missing_required_fields)
{
  zj_error err;
  const char *no_pop =
    "search_tasks { tasks { scalar_linear_regression_task {} "
    "features_size: 4 num_train_examples: 10 num_valid_examples: 10 "
    "eval_type: RMS_ERROR } }\n"
    "tournament_size: 2\n"
    "allowed_mutation_types { mutation_types: ALTER_PARAM_MUTATION_TYPE }\n";
  cr_assert_eq (search_fails (no_pop, &err), -1);
  cr_assert_str_eq (err.msg, "spec.txt: SearchExperimentSpec: missing "
                    "required field 'population_size'");
  const char *no_tour =
    "search_tasks { tasks { scalar_linear_regression_task {} "
    "features_size: 4 num_train_examples: 10 num_valid_examples: 10 "
    "eval_type: RMS_ERROR } }\n"
    "population_size: 2\n"
    "allowed_mutation_types { mutation_types: ALTER_PARAM_MUTATION_TYPE }\n";
  cr_assert_eq (search_fails (no_tour, &err), -1);
  ASSERT_MSG_HAS (err, "missing required field 'tournament_size'");
  cr_assert_eq (search_fails ("population_size: 2 tournament_size: 2", &err),
                -1);
  ASSERT_MSG_HAS (err, "missing required field 'search_tasks'");
  cr_assert_eq (search_fails (MIN_SPEC "fec { num_train_examples: 10 }",
                              &err), -1);
  cr_assert_str_eq (err.msg, "spec.txt:4:1: fec: missing required field "
                    "'num_valid_examples'");
  cr_assert_eq (tasks_fail ("\n tasks { scalar_linear_regression_task {} "
                            "features_size: 4 num_train_examples: 1 "
                            "num_valid_examples: 1 }", &err), -1);
  cr_assert_str_eq (err.msg, "tasks.txt:2:2: tasks: missing required field "
                    "'eval_type' (RMS_ERROR for "
                    "scalar_linear_regression_task)");
  cr_assert_eq (tasks_fail ("tasks { features_size: 4 num_train_examples: 1 "
                            "num_valid_examples: 1 }", &err), -1);
  ASSERT_MSG_HAS (err, "tasks: missing the task type");
  cr_assert_eq (tasks_fail ("tasks { unit_test_ones_task {} features_size: 4 "
                            "num_valid_examples: 1 }", &err), -1);
  ASSERT_MSG_HAS (err, "missing required field 'num_train_examples'");
  cr_assert_eq (tasks_fail ("# nothing\n", &err), -1);
  ASSERT_MSG_HAS (err, "no tasks given");
}

Test (spec, out_of_range_values)
{
  zj_error err;
  cr_assert_eq (tasks_fail ("tasks { unit_test_ones_task {} features_size: 6 "
                            "num_train_examples: 1 num_valid_examples: 1 }",
                            &err), -1);
  cr_assert_str_eq (err.msg, "tasks.txt:1:47: features_size: must be one of "
                    "2, 4, 8, 16, 32 (got 6)");
  cr_assert_eq (tasks_fail ("tasks { scalar_2layer_nn_regression_task {} "
                            "features_size: 2 num_train_examples: 1 "
                            "num_valid_examples: 1 eval_type: RMS_ERROR }",
                            &err), -1);
  ASSERT_MSG_HAS (err, "features_size: scalar_2layer_nn_regression_task "
                  "needs features_size >= 3 (got 2)");
  cr_assert_eq (tasks_fail ("tasks { unit_test_ones_task {} features_size: 4 "
                            "num_train_examples: 0 num_valid_examples: 1 }",
                            &err), -1);
  cr_assert_str_eq (err.msg, "tasks.txt:1:69: num_train_examples: must be "
                    "> 0 (got 0)");
  cr_assert_eq (tasks_fail ("tasks { unit_test_ones_task {} features_size: 4 "
                            "num_train_examples: 1 num_valid_examples: 1 "
                            "num_tasks: -2 }", &err), -1);
  ASSERT_MSG_HAS (err, "num_tasks: must be > 0 (got -2)");
  cr_assert_eq (tasks_fail ("tasks { unit_test_ones_task {} features_size: 4 "
                            "num_train_examples: 1 num_valid_examples: 1 "
                            "data_seeds: [1, -1] }", &err), -1);
  ASSERT_MSG_HAS (err, "data_seeds: value out of range (got -1)");
  cr_assert_eq (tasks_fail ("tasks { unit_test_ones_task {} features_size: 4 "
                            "num_train_examples: 99999999999 "
                            "num_valid_examples: 1 }", &err), -1);
  ASSERT_MSG_HAS (err, "num_train_examples: value out of range");
  cr_assert_eq (tasks_fail ("tasks { scalar_linear_regression_task {} "
                            "features_size: 4 num_train_examples: 1 "
                            "num_valid_examples: 1 eval_type: ACCURACY }",
                            &err), -1);
  ASSERT_MSG_HAS (err, "eval_type: scalar_linear_regression_task requires "
                  "RMS_ERROR (got ACCURACY)");
  cr_assert_eq (search_fails (MIN_SPEC "population_size: 0", &err), -1);
  ASSERT_MSG_HAS (err, "population_size: given more than once");
  cr_assert_eq (search_fails (MIN_SPEC "mutate_prob: 1.5", &err), -1);
  ASSERT_MSG_HAS (err, "mutate_prob: must be in [0, 1] (got 1.5)");
  cr_assert_eq (search_fails (MIN_SPEC "fec { num_train_examples: 101 "
                              "num_valid_examples: 1 }", &err), -1);
  ASSERT_MSG_HAS (err, "fec: num_train_examples and num_valid_examples must "
                  "be <= 100");
  cr_assert_eq (search_fails (MIN_SPEC "fec { num_train_examples: 10 "
                              "num_valid_examples: 10 forget_every: 1 }",
                              &err), -1);
  ASSERT_MSG_HAS (err, "forget_every: must be 0 (never) or > 1");
}

Test (spec, wrong_value_types)
{
  zj_error err;
  cr_assert_eq (search_fails (MIN_SPEC "max_abs_error: 'big'", &err), -1);
  cr_assert_str_eq (err.msg, "spec.txt:4:16: max_abs_error: expects a "
                    "number, got a string");
  cr_assert_eq (search_fails (MIN_SPEC "fec: 3", &err), -1);
  ASSERT_MSG_HAS (err, "fec: expects a message { ... }, got a number");
  cr_assert_eq (search_fails (MIN_SPEC "progress_every { }", &err), -1);
  ASSERT_MSG_HAS (err, "progress_every: expects a value, got a message");
  cr_assert_eq (search_fails (MIN_SPEC "progress_every: 1.5", &err), -1);
  ASSERT_MSG_HAS (err, "progress_every: expects an integer");
  cr_assert_eq (search_fails (MIN_SPEC "mutate_prob: [0.5, 0.5]", &err), -1);
  ASSERT_MSG_HAS (err, "mutate_prob: is not a repeated field");
  cr_assert_eq (tasks_fail ("tasks { scalar_linear_regression_task {} "
                            "unit_test_ones_task {} }", &err), -1);
  ASSERT_MSG_HAS (err, "unit_test_ones_task: a task has one task type, but "
                  "scalar_linear_regression_task was given too");
}

Test (spec, syntax_errors_have_positions)
{
  zj_error err;
  cr_assert_eq (tasks_fail ("tasks {\n  path: 'abc\n}", &err), -1);
  cr_assert_str_eq (err.msg, "tasks.txt:2:9: unterminated string");
  cr_assert_eq (tasks_fail ("tasks {\n  features_size: 4\n", &err), -1);
  cr_assert_str_eq (err.msg, "tasks.txt:3:1: missing '}' to close 'tasks' "
                    "opened at line 1, column 7");
  cr_assert_eq (tasks_fail ("tasks { features_size: }", &err), -1);
  cr_assert_str_eq (err.msg, "tasks.txt:1:24: unexpected '}'; expected a "
                    "value (number, name or string)");
  cr_assert_eq (tasks_fail ("tasks { features_size 4 }", &err), -1);
  cr_assert_str_eq (err.msg, "tasks.txt:1:23: unexpected '4'; expected ':' "
                    "or '{' after the field name");
  cr_assert_eq (tasks_fail ("tasks { data_seeds: [1 2] }", &err), -1);
  ASSERT_MSG_HAS (err, "tasks.txt:1:24: unexpected '2'; expected ',' or ']'");
  cr_assert_eq (tasks_fail ("tasks } ", &err), -1);
  ASSERT_MSG_HAS (err, "tasks.txt:1:7: unexpected '}'");
  cr_assert_eq (tasks_fail ("tasks { @ }", &err), -1);
  ASSERT_MSG_HAS (err, "tasks.txt:1:9: unexpected character '@'");
}

Test (textproto, tree_positions_comments_strings)
{
  zj_tp_node root;
  zj_error err = { "" };
  const char *text =
    "# comment line\n"
    "a: -1.5e3  # trailing\n"
    "b: { c: \"x\\ty\" 'z' ; d < e: inf > }\n"
    "f: [1, 0x10]\n"
    "g [{h: 2}, {}]\n";
  cr_assert_eq (zj_tp_parse (text, "t", &root, &err), 0, "%s", err.msg);
  cr_assert_eq (root.n_kids, 6);
  const zj_tp_node *a = &root.kids[0];
  cr_assert_str_eq (a->name, "a");
  cr_assert_eq (a->kind, ZJ_TP_NUMBER);
  cr_assert_eq (a->line, 2);
  cr_assert_eq (a->col, 1);
  cr_assert_eq (a->vcol, 4);
  double v;
  const char *why;
  cr_assert_eq (zj_tp_to_double (a, &v, &why), 0);
  cr_assert_eq (v, -1500.0);
  const zj_tp_node *b = &root.kids[1];
  cr_assert_eq (b->kind, ZJ_TP_MESSAGE);
  cr_assert_eq (b->n_kids, 2);
  cr_assert_str_eq (b->kids[0].text, "x\tyz");       /* joined literals */
  cr_assert_eq (b->kids[0].line, 3);
  cr_assert_eq (b->kids[0].col, 6);
  cr_assert_eq (b->kids[1].kind, ZJ_TP_MESSAGE);
  cr_assert_eq (b->kids[1].kids[0].kind, ZJ_TP_IDENT);
  cr_assert_eq (zj_tp_to_double (&b->kids[1].kids[0], &v, &why), 0);
  cr_assert (v > 1e308);
  int64_t i;
  cr_assert_eq (zj_tp_to_int64 (&root.kids[3], 0, 100, &i, &why), 0);
  cr_assert_eq (i, 16);
  cr_assert (root.kids[2].in_list && root.kids[3].in_list);
  cr_assert_eq (root.kids[3].vcol, 8);
  cr_assert_str_eq (root.kids[4].name, "g");
  cr_assert_eq (root.kids[4].n_kids, 1);
  cr_assert_eq (root.kids[5].n_kids, 0);
  cr_assert_eq (zj_tp_to_int64 (&root.kids[3], 0, 15, &i, &why), -1);
  zj_tp_free (&root);
}

Test (spec, unit_test_and_projected_tasks)
{
  zj_task_collection c;
  zj_error err = { "" };
  const char *text =
    "tasks {\n"
    "  features_size: 2\n"
    "  unit_test_fixed_task {\n"
    "    train_features { elements: [1, 2] }\n"
    "    train_features { features: [3, 4] }\n"
    "    train_labels { elements: [0.5] }\n"
    "    train_labels { elements: -0.5 }\n"
    "    valid_features { elements: [5, 6] }\n"
    "    valid_labels { elements: [7] }\n"
    "  }\n"
    "}\n"
    "tasks { unit_test_increment_task { increment: 0.5 } features_size: 4 "
    "num_train_examples: 3 num_valid_examples: 2 num_tasks: 2 }\n"
    "tasks: { unit_test_increment_task {} features_size: 4 "
    "num_train_examples: 3 num_valid_examples: 2 num_train_epochs: 4 }\n"
    "tasks {\n"
    "  projected_binary_classification_task {\n"
    "    dataset_name: 'cifar10' path: \"binary_cifar10_data/\"\n"
    "    held_out_pairs {positive_class: 4 negative_class: 6}\n"
    "    held_out_pairs {positive_class: 3 negative_class: 5}\n"
    "    max_supported_data_seed: 100\n"
    "  }\n"
    "  features_size: 16 num_train_examples: 8000 num_valid_examples: 1000\n"
    "  num_tasks: 10 eval_type: ACCURACY\n"
    "}\n";
  cr_assert_eq (zj_task_collection_parse (text, "t", &c, &err), 0, "%s",
                err.msg);
  cr_assert_eq (c.n, 4);
  const zj_task_spec *f = &c.specs[0];
  cr_assert_eq (f->type, ZJ_TASK_UNIT_TEST_FIXED);
  cr_assert_eq (f->fixed_n_train, 2);
  cr_assert_eq (f->fixed_n_valid, 1);
  cr_assert_eq (f->num_train_examples, 2);
  const double tx[4] = { 1, 2, 3, 4 }, ty[2] = { 0.5, -0.5 };
  cr_assert_arr_eq (f->fixed_train_x, tx, sizeof tx);
  cr_assert_arr_eq (f->fixed_train_y, ty, sizeof ty);
  cr_assert_eq (f->fixed_valid_x[1], 6.0);
  cr_assert_eq (f->fixed_valid_y[0], 7.0);
  cr_assert_eq (f->eval_type, ZJ_EVAL_INVALID);
  cr_assert_eq (c.specs[1].type, ZJ_TASK_UNIT_TEST_INCREMENT);
  cr_assert_eq (c.specs[1].increment, 0.5);
  cr_assert_eq (c.specs[1].num_tasks, 2);
  cr_assert_eq (c.specs[2].increment, 1.0);
  cr_assert_eq (c.specs[2].num_train_epochs, 4);
  const zj_task_spec *p = &c.specs[3];
  cr_assert_eq (p->type, ZJ_TASK_PROJECTED_BINARY_CLASSIFICATION);
  cr_assert_str_eq (p->dataset_name, "cifar10");
  cr_assert_str_eq (p->path, "binary_cifar10_data/");
  cr_assert_eq (p->n_held_out_pairs, 2);
  cr_assert_eq (p->held_out_pairs[1][0], 3);
  cr_assert_eq (p->held_out_pairs[1][1], 5);
  cr_assert_eq (p->positive_class, -1);
  cr_assert_eq (p->min_supported_data_seed, 0);
  cr_assert_eq (p->max_supported_data_seed, 100);
  cr_assert_eq (p->eval_type, ZJ_ACCURACY);
  zj_task_collection_free (&c);

  cr_assert_eq (tasks_fail ("tasks { features_size: 2 unit_test_fixed_task {"
                            "\n train_features { elements: [1, 2, 3] } } }",
                            &err), -1);
  cr_assert_str_eq (err.msg, "tasks.txt:2:2: train_features: has 3 elements,"
                    " expected 2 (features_size)");
  cr_assert_eq (tasks_fail ("tasks { features_size: 2 unit_test_fixed_task {"
                            " train_features { elements: [1, 2] } "
                            "valid_features { elements: [1, 2] } "
                            "valid_labels { elements: 1 } } }", &err), -1);
  ASSERT_MSG_HAS (err, "1 train_features vs 0 train_labels");
  cr_assert_eq (tasks_fail ("tasks { projected_binary_classification_task { "
                            "path: 'p' positive_class: 3 } features_size: 16 "
                            "num_train_examples: 1 num_valid_examples: 1 "
                            "eval_type: ACCURACY }", &err), -1);
  ASSERT_MSG_HAS (err, "give both positive_class and negative_class");
  cr_assert_eq (tasks_fail ("tasks { projected_binary_classification_task { "
                            "path: 'p' } features_size: 16 "
                            "num_train_examples: 9000 num_valid_examples: 1 "
                            "eval_type: ACCURACY }", &err), -1);
  ASSERT_MSG_HAS (err, "at most 8000 train");
}

/* Every count has an upper bound, reported at the value's line:col. */
Test (spec, counts_are_bounded)
{
  zj_error err;
  cr_assert_eq (search_fails (MIN_SPEC "learn_size_init: 100000000", &err), -1);
  ASSERT_MSG_HAS (err, "spec.txt:4:18: learn_size_init: must be <= 10000 (got 100000000)");
  cr_assert_eq (search_fails (MIN_SPEC "mutate_learn_size_min: 1 mutate_learn_size_max: 4 "
                              "learn_size_init: 5", &err), -1);
  ASSERT_MSG_HAS (err, "learn_size_init: must be <= mutate_learn_size_max (4; got 5)");
  /* Below the minimum is allowed (the original's nonlinear spec). */
  cr_assert_eq (search_fails (MIN_SPEC "mutate_learn_size_min: 3 mutate_learn_size_max: 4 "
                              "learn_size_init: 1", &err), 0, "%s", err.msg);
  cr_assert_eq (search_fails (MIN_SPEC "fec { num_train_examples: 10 num_valid_examples: 10 "
                              "cache_size: 2000000000 }", &err), -1);
  ASSERT_MSG_HAS (err, "cache_size: must be <= 100000000");
  cr_assert_eq (tasks_fail ("tasks { scalar_linear_regression_task {} features_size: 4 "
                            "num_train_examples: 2000000000 num_valid_examples: 10 "
                            "eval_type: RMS_ERROR }", &err), -1);
  ASSERT_MSG_HAS (err, "tasks.txt:1:79: num_train_examples: must be <= 100000000");
  cr_assert_eq (tasks_fail ("tasks { scalar_linear_regression_task {} features_size: 4 "
                            "num_train_examples: 100000 num_train_epochs: 100000 "
                            "num_valid_examples: 10 eval_type: RMS_ERROR }", &err), -1);
  ASSERT_MSG_HAS (err, "num_train_examples x num_train_epochs must be <= 2147483647");
}

Test (spec, tournament_within_population)
{
  zj_error err;
  const char *spec =
    "search_tasks { tasks { scalar_linear_regression_task {} "
    "features_size: 4 num_train_examples: 10 num_valid_examples: 10 "
    "eval_type: RMS_ERROR } }\n"
    "population_size: 10 tournament_size: 11\n"
    "allowed_mutation_types { mutation_types: ALTER_PARAM_MUTATION_TYPE }\n";
  cr_assert_eq (search_fails (spec, &err), -1);
  ASSERT_MSG_HAS (err, "spec.txt:2:38: tournament_size: must be <= population_size (10; got 11)");
  cr_assert_eq (search_fails (MIN_SPEC "population_size: 2147483647", &err), -1);
}
