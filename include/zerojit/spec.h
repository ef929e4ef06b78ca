/* spec.h -- task collections and search experiment specs, as parsed from
 * the original release's protobuf text format.
 *
 * Field names and defaults follow the original (doc/semantics.md).  Every
 * parse error is one line naming the source, line:column and field.
 */
#ifndef ZEROJIT_SPEC_H
#define ZEROJIT_SPEC_H

#include <zerojit/zerojit.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum zj_task_type {
  ZJ_TASK_NONE = 0,
  ZJ_TASK_SCALAR_LINEAR_REGRESSION = 6,
  ZJ_TASK_SCALAR_2LAYER_NN_REGRESSION = 7,
  ZJ_TASK_PROJECTED_BINARY_CLASSIFICATION = 24,
  ZJ_TASK_UNIT_TEST_FIXED = 40,
  ZJ_TASK_UNIT_TEST_ZEROS = 45,
  ZJ_TASK_UNIT_TEST_ONES = 46,
  ZJ_TASK_UNIT_TEST_INCREMENT = 47,
} zj_task_type;

typedef struct zj_task_spec {
  int features_size;           /* F */
  int num_train_examples;      /* > 0 (taken from the lists for fixed tasks) */
  int num_train_epochs;        /* default 1 */
  int num_valid_examples;      /* > 0 */
  int num_tasks;               /* default 1 */
  uint32_t *data_seeds, *param_seeds;
  int n_data_seeds, n_param_seeds;
  zj_eval_type eval_type;
  zj_task_type type;
  /* unit_test_fixed_task: row-major feature rows and labels */
  double *fixed_train_x, *fixed_train_y, *fixed_valid_x, *fixed_valid_y;
  int fixed_n_train, fixed_n_valid;
  /* unit_test_increment_task */
  double increment;            /* default 1.0 */
  /* projected_binary_classification_task */
  char *dataset_name, *path;
  int positive_class, negative_class;   /* -1 when not given */
  int (*held_out_pairs)[2];
  int n_held_out_pairs;
  int min_supported_data_seed, max_supported_data_seed;  /* 0, 10 */
} zj_task_spec;

typedef struct zj_task_collection {
  zj_task_spec *specs;
  int n;
} zj_task_collection;

/* Parse "tasks { ... } tasks { ... }" text.  source names the origin in
   error messages (a file name or "--select_tasks"). */
int zj_task_collection_parse (const char *text, const char *source,
                              zj_task_collection *out, zj_error *err);
void zj_task_collection_free (zj_task_collection *c);

/* Generate every task of the collection, in order (task i gets index i). */
int zj_tasks_generate (const zj_task_collection *c, zj_task **tasks, int *n,
                       zj_error *err);
/* The same with up to `threads` threads making tasks side by side: the
   same tasks, and on failure the same error (the first failing task's). */
int zj_tasks_generate_threads (const zj_task_collection *c, int threads,
                               zj_task **tasks, int *n, zj_error *err);
void zj_tasks_free (zj_task *tasks, int n);

/* Re-draw the collection's seeds from base_seed (doc/semantics.md, "Tasks"). */
void zj_task_collection_randomize_seeds (zj_task_collection *c,
                                         uint32_t base_seed);

/* ------------------------------------------------------------ search spec */
typedef enum zj_algorithm_id {
  ZJ_ALG_NO_OP = 0,
  ZJ_ALG_RANDOM = 1,
  ZJ_ALG_LINEAR = 2,
  ZJ_ALG_NEURAL_NET = 3,
  ZJ_ALG_DAMAGED_NEURAL_NET = 4,   /* INTEGRATION_TEST_DAMAGED_NEURAL_NET_ALGORITHM */
  ZJ_ALG_COUNT
} zj_algorithm_id;

extern const char *const zj_algorithm_names[ZJ_ALG_COUNT];

typedef enum zj_mutation_type {
  ZJ_MUT_ALTER_PARAM = 0,
  ZJ_MUT_RANDOMIZE_INSTRUCTION = 1,
  ZJ_MUT_RANDOMIZE_COMPONENT_FUNCTION = 2,
  ZJ_MUT_IDENTITY = 3,
  ZJ_MUT_INSERT_INSTRUCTION = 4,
  ZJ_MUT_REMOVE_INSTRUCTION = 5,
  ZJ_MUT_TRADE_INSTRUCTION = 6,
  ZJ_MUT_RANDOMIZE_ALGORITHM = 7,
  ZJ_MUT_COUNT
} zj_mutation_type;

extern const char *const zj_mutation_names[ZJ_MUT_COUNT];

/* Upper bounds of spec counts, checked at parse time (doc/semantics.md,
   "Limits").  Far above any published setting; low enough that a typo
   is an error rather than a hang or an exhausted memory. */
#define ZJ_MAX_POPULATION 10000000       /* population_size, tournament_size */
#define ZJ_MAX_FN_SIZE 10000             /* *_size_init, mutate_*_size_* */
#define ZJ_MAX_FEC_CACHE 100000000       /* fec.cache_size */
#define ZJ_MAX_EXAMPLES 100000000        /* num_{train,valid,test}_examples */
#define ZJ_MAX_EPOCHS 1000000            /* num_train_epochs */
#define ZJ_MAX_TASKS 1000000             /* num_tasks */

typedef struct zj_search_spec {
  zj_task_collection search_tasks;
  int *ops[ZJ_NUM_COMPONENTS];          /* allowed op ids per component */
  int n_ops[ZJ_NUM_COMPONENTS];
  int size_init[ZJ_NUM_COMPONENTS];
  int size_min[ZJ_NUM_COMPONENTS], size_max[ZJ_NUM_COMPONENTS];
  bool has_train_budget;
  zj_algorithm_id train_budget_baseline;   /* default NEURAL_NET */
  double train_budget_threshold_factor;    /* default 2.0 */
  double max_abs_error;                    /* default 100 */
  bool has_fec;
  int fec_num_train_examples, fec_num_valid_examples;
  int fec_cache_size;                      /* default 100000 */
  int fec_forget_every;                    /* default 100 */
  zj_combination fitness_combination_mode; /* default MEAN */
  int population_size, tournament_size;    /* required */
  zj_algorithm_id initial_population;      /* default NO_OP */
  int64_t max_train_steps;                 /* default 80e9 */
  int64_t max_individuals;                 /* older specs; 0 = unset */
  zj_mutation_type *mutation_types;
  int n_mutation_types;
  double mutate_prob;                      /* default 0.9 */
  int64_t progress_every;                  /* default 10000 */
} zj_search_spec;

int zj_search_spec_parse (const char *text, const char *source,
                          zj_search_spec *out, zj_error *err);
void zj_search_spec_free (zj_search_spec *s);

#ifdef __cplusplus
}
#endif
#endif
