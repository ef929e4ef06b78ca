/* search_spec.c -- SearchExperimentSpec in protobuf text format.
 *
 * The tables of experiment.proto's message and its sub-messages (FECSpec,
 * TrainBudgetSpec, MutationTypeList), with the defaults and constraints of
 * doc/semantics.md ("Search spec").  The search tasks are read by
 * task_spec.c's tables.  Every count has an upper bound (ZJ_MAX_* in
 * include/zerojit/spec.h, listed in doc/semantics.md): a typo must give
 * an error naming the field, never a hang or an allocation failure.
 */
#include "internal.h"
#include "spec_walk.h"
#include <zerojit/spec.h>
#include <string.h>

#define SS(m) offsetof (zj_search_spec, m)

static const char *const combination_names[] = {
  [ZJ_COMBINE_UNKNOWN] = "UNKNOWN_FITNESS_COMBINATION",
  [ZJ_COMBINE_MEAN] = "MEAN_FITNESS_COMBINATION",
  [ZJ_COMBINE_MEDIAN] = "MEDIAN_FITNESS_COMBINATION"
};
static const enum_table combination_enum = {
  "FitnessCombinationMode", combination_names, 4
};

/* The HardcodedAlgorithmID and MutationType names are the generator's
   and the mutator's tables. */
static const enum_table algorithm_enum = {
  "HardcodedAlgorithmID", zj_algorithm_names, ZJ_ALG_COUNT
};
static const enum_table mutation_enum = {
  "MutationType", zj_mutation_names, ZJ_MUT_COUNT
};

static const enum_table op_enum = { "Op", NULL, ZJ_NUM_OPS };

/* ---------------------------------------------------- search tables */

static const field budget_fields[] = {
  { .name = "train_budget_baseline", .type = F_ENUM,
    .off = SS (train_budget_baseline), .en = &algorithm_enum },
  { .name = "train_budget_threshold_factor", .type = F_DOUBLE,
    .flags = POSITIVE, .off = SS (train_budget_threshold_factor) },
};
static const msg_desc budget_msg = MSG ("TrainBudgetSpec", budget_fields, NULL);

static int fec_check (ctx *, const zj_tp_node *, void *,
                      const zj_tp_node *const *);
static const field fec_fields[] = {
  { .name = "num_train_examples", .type = F_INT,
    .flags = REQUIRED | POSITIVE, .off = SS (fec_num_train_examples) },
  { .name = "num_valid_examples", .type = F_INT,
    .flags = REQUIRED | POSITIVE, .off = SS (fec_num_valid_examples) },
  { .name = "cache_size", .type = F_INT, .off = SS (fec_cache_size),
    .max = ZJ_MAX_FEC_CACHE },
  { .name = "forget_every", .type = F_INT, .flags = NONNEG,
    .off = SS (fec_forget_every) },
};
static const msg_desc fec_msg = MSG ("FECSpec", fec_fields, fec_check);

static const field mutation_list_fields[] = {
  { .name = "mutation_types", .type = F_ENUM_LIST, .flags = REPEATED,
    .off = SS (mutation_types), .aux = SS (n_mutation_types),
    .en = &mutation_enum },
};
static const msg_desc mutation_list_msg
  = MSG ("MutationTypeList", mutation_list_fields, NULL);

#define OPS(nm, comp) \
  { .name = nm, .type = F_ENUM_LIST, .flags = REPEATED, \
    .off = SS (ops[comp]), .aux = SS (n_ops[comp]), .en = &op_enum }
#define INT_AT(nm, member) \
  { .name = nm, .type = F_INT, .flags = NONNEG, .off = SS (member), \
    .max = ZJ_MAX_FN_SIZE }

static int search_check (ctx *, const zj_tp_node *, void *,
                         const zj_tp_node *const *);
static const field search_fields[] = {
  { .name = "search_tasks", .type = F_MSG, .flags = REQUIRED,
    .off = SS (search_tasks), .sub = &zj_spec_collection_msg },
  OPS ("setup_ops", ZJ_SETUP),
  OPS ("predict_ops", ZJ_PREDICT),
  OPS ("learn_ops", ZJ_LEARN),
  INT_AT ("setup_size_init", size_init[ZJ_SETUP]),
  INT_AT ("predict_size_init", size_init[ZJ_PREDICT]),
  INT_AT ("learn_size_init", size_init[ZJ_LEARN]),
  { .name = "train_budget", .type = F_MSG, .flags = PRESENCE,
    .aux = SS (has_train_budget), .sub = &budget_msg },
  { .name = "max_abs_error", .type = F_DOUBLE, .flags = POSITIVE,
    .off = SS (max_abs_error) },
  { .name = "fec", .type = F_MSG, .flags = PRESENCE, .aux = SS (has_fec),
    .sub = &fec_msg },
  { .name = "fitness_combination_mode", .type = F_ENUM,
    .off = SS (fitness_combination_mode), .en = &combination_enum },
  { .name = "population_size", .type = F_INT, .flags = REQUIRED | POSITIVE,
    .off = SS (population_size), .max = ZJ_MAX_POPULATION },
  { .name = "tournament_size", .type = F_INT, .flags = REQUIRED | POSITIVE,
    .off = SS (tournament_size), .max = ZJ_MAX_POPULATION },
  { .name = "initial_population", .type = F_ENUM,
    .off = SS (initial_population), .en = &algorithm_enum },
  { .name = "max_train_steps", .type = F_INT64, .flags = POSITIVE,
    .off = SS (max_train_steps) },
  { .name = "max_individuals", .type = F_INT64, .flags = POSITIVE,
    .off = SS (max_individuals) },
  { .name = "allowed_mutation_types", .type = F_MSG, .flags = REQUIRED,
    .sub = &mutation_list_msg },
  { .name = "mutate_prob", .type = F_DOUBLE, .flags = NONNEG,
    .off = SS (mutate_prob) },
  INT_AT ("mutate_setup_size_min", size_min[ZJ_SETUP]),
  INT_AT ("mutate_setup_size_max", size_max[ZJ_SETUP]),
  INT_AT ("mutate_predict_size_min", size_min[ZJ_PREDICT]),
  INT_AT ("mutate_predict_size_max", size_max[ZJ_PREDICT]),
  INT_AT ("mutate_learn_size_min", size_min[ZJ_LEARN]),
  INT_AT ("mutate_learn_size_max", size_max[ZJ_LEARN]),
  { .name = "progress_every", .type = F_INT64, .flags = NONNEG,
    .off = SS (progress_every) },
};
static const msg_desc search_msg
  = MSG ("SearchExperimentSpec", search_fields, search_check);

/* ---------------------------------------------------- search checks */

static int
fec_check (ctx *c, const zj_tp_node *msg, void *obj,
           const zj_tp_node *const *seen)
{
  const zj_search_spec *s = obj;
  const msg_desc *d = &fec_msg;
  /* Errors of at most 100 examples are recorded for the fingerprint. */
  if (s->fec_num_train_examples > 100 || s->fec_num_valid_examples > 100)
    return zj_spec_err_msg (c, msg, d->name, "num_train_examples and "
                    "num_valid_examples must be <= 100 (got %d and %d)",
                    s->fec_num_train_examples, s->fec_num_valid_examples);
  const zj_tp_node *n = zj_spec_got (d, seen, "cache_size");
  if (n && s->fec_cache_size <= 1)
    return ERR_VAL (c, n, "must be > 1 (got %d)", s->fec_cache_size);
  n = zj_spec_got (d, seen, "forget_every");
  if (n && s->fec_forget_every == 1)
    return ERR_VAL (c, n, "must be 0 (never) or > 1 (got %d)",
                    s->fec_forget_every);
  return 0;
}

static int
search_check (ctx *c, const zj_tp_node *msg, void *obj,
              const zj_tp_node *const *seen)
{
  const zj_search_spec *s = obj;
  const msg_desc *d = &search_msg;
  const zj_tp_node *n = zj_spec_got (d, seen, "allowed_mutation_types");
  if (s->n_mutation_types == 0)
    return zj_spec_err_at (c, n->line, n->col, "allowed_mutation_types: "
                   "mutation_types must not be empty");
  n = zj_spec_got (d, seen, "fitness_combination_mode");
  if (n && s->fitness_combination_mode == ZJ_COMBINE_UNKNOWN)
    return ERR_VAL (c, n, "%s", "UNKNOWN_FITNESS_COMBINATION cannot combine "
                    "fitnesses (use MEAN_FITNESS_COMBINATION or "
                    "MEDIAN_FITNESS_COMBINATION)");
  n = zj_spec_got (d, seen, "mutate_prob");
  if (n && s->mutate_prob > 1.0)
    return ERR_VAL (c, n, "must be in [0, 1] (got %s)", n->text);
  static const char *const comp[3] = { "setup", "predict", "learn" };
  for (int i = 0; i < ZJ_NUM_COMPONENTS; i++)
    {
      char name[32];
      if (s->size_max[i] != 0 && s->size_max[i] < s->size_min[i])
        return zj_spec_err_msg (c, msg, d->name, "mutate_%s_size_max (%d) is below "
                        "mutate_%s_size_min (%d)", comp[i], s->size_max[i],
                        comp[i], s->size_min[i]);
      /* Only the upper bound: the original's nonlinear spec starts its
         (hard-coded) Setup below mutate_setup_size_min. */
      snprintf (name, sizeof name, "%s_size_init", comp[i]);
      if (s->size_max[i] != 0 && s->size_init[i] > s->size_max[i]
          && (n = zj_spec_got (d, seen, name)))
        return ERR_VAL (c, n, "must be <= mutate_%s_size_max (%d; got %d)",
                        comp[i], s->size_max[i], s->size_init[i]);
    }
  n = zj_spec_got (d, seen, "tournament_size");
  if (n && s->tournament_size > s->population_size)
    return ERR_VAL (c, n, "must be <= population_size (%d; got %d)",
                    s->population_size, s->tournament_size);
  return 0;
}

static void
search_defaults (zj_search_spec *s)
{
  memset (s, 0, sizeof *s);
  s->train_budget_baseline = ZJ_ALG_NEURAL_NET;
  s->train_budget_threshold_factor = 2.0;
  s->max_abs_error = 100.0;
  s->fec_cache_size = 100000;
  s->fec_forget_every = 100;
  s->fitness_combination_mode = ZJ_COMBINE_MEAN;
  s->initial_population = ZJ_ALG_NO_OP;
  s->max_train_steps = INT64_C (80000000000);
  s->mutate_prob = 0.9;
  s->progress_every = 10000;
}

/* ------------------------------------------------------------- API */

int
zj_search_spec_parse (const char *text, const char *source,
                      zj_search_spec *out, zj_error *err)
{
  ctx c = { source ? source : "<spec>", err };
  search_defaults (out);
  zj_tp_node root;
  if (zj_tp_parse (text, c.source, &root, err) != 0)
    return -1;
  int rc = zj_spec_walk (&c, &root, &search_msg, out);
  zj_tp_free (&root);
  if (rc != 0)
    {
      zj_search_spec_free (out);
      search_defaults (out);
    }
  return rc;
}

void
zj_search_spec_free (zj_search_spec *s)
{
  if (!s)
    return;
  zj_task_collection_free (&s->search_tasks);
  for (int i = 0; i < ZJ_NUM_COMPONENTS; i++)
    {
      free (s->ops[i]);
      s->ops[i] = NULL;
      s->n_ops[i] = 0;
    }
  free (s->mutation_types);
  s->mutation_types = NULL;
  s->n_mutation_types = 0;
}
