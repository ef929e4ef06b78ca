/* task_spec.c -- TaskCollection / TaskSpec in protobuf text format.
 *
 * The tables of task.proto's messages (doc/semantics.md, "Tasks") and
 * the checks relating several fields: the task type decides which
 * eval_type is required, features_size must be a supported F (>= 3 for
 * the 2-layer NN), and unit_test_fixed_task's vectors must match F.
 * Projected binary tasks are parsed and stored; loading their data is
 * done elsewhere.
 */
#include "internal.h"
#include "spec_walk.h"
#include <zerojit/spec.h>
#include <string.h>

#define TS(m) offsetof (zj_task_spec, m)

static const char *const eval_names[] = {
  [ZJ_EVAL_INVALID] = "INVALID_EVAL_TYPE", [ZJ_RMS_ERROR] = "RMS_ERROR",
  [ZJ_ACCURACY] = "ACCURACY"
};
static const enum_table eval_enum = { "EvalType", eval_names, 5 };

/* ------------------------------------------------------ task tables */

/* One example vector of unit_test_fixed_task.  The original calls the
   field `elements`; `features` is accepted too, as in FeatureVector. */
static const field vector_fields[] = {
  { .name = "elements", .type = F_DOUBLE_LIST, .flags = REPEATED,
    .off = NOSTORE },
  { .name = "features", .type = F_DOUBLE_LIST, .flags = REPEATED,
    .off = NOSTORE },
};
static const msg_desc vector_msg
  = MSG ("UnitTestFixedTaskVector", vector_fields, NULL);

static const field feature_vector_fields[] = {
  { .name = "features", .type = F_DOUBLE_LIST, .flags = REPEATED,
    .off = NOSTORE },
};
static const msg_desc feature_vector_msg
  = MSG ("FeatureVector", feature_vector_fields, NULL);

#define VECTORS(nm) \
  { .name = nm, .type = F_MSG, .flags = REPEATED, .sub = &vector_msg }
static const field fixed_fields[] = {
  VECTORS ("train_features"), VECTORS ("train_labels"),
  VECTORS ("valid_features"), VECTORS ("valid_labels"),
  VECTORS ("test_features"), VECTORS ("test_labels"),
};
static const msg_desc fixed_msg = MSG ("UnitTestFixedTask", fixed_fields, NULL);

/* The inline dataset of projected tasks is only recognised, so that the
   error can say it is unsupported rather than unknown. */
#define FVECTORS(nm) \
  { .name = nm, .type = F_MSG, .flags = REPEATED, .sub = &feature_vector_msg }
static const field dataset_fields[] = {
  FVECTORS ("train_features"),
  { .name = "train_labels", .type = F_DOUBLE_LIST, .flags = REPEATED,
    .off = NOSTORE },
  FVECTORS ("valid_features"),
  { .name = "valid_labels", .type = F_DOUBLE_LIST, .flags = REPEATED,
    .off = NOSTORE },
  FVECTORS ("test_features"),
  { .name = "test_labels", .type = F_DOUBLE_LIST, .flags = REPEATED,
    .off = NOSTORE },
};
static const msg_desc dataset_msg
  = MSG ("ScalarLabelDataset", dataset_fields, NULL);

typedef struct class_pair { int pos, neg; } class_pair;

static int pair_check (ctx *, const zj_tp_node *, void *,
                       const zj_tp_node *const *);
static const field pair_fields[] = {
  { .name = "positive_class", .type = F_INT, .flags = REQUIRED,
    .off = offsetof (class_pair, pos) },
  { .name = "negative_class", .type = F_INT, .flags = REQUIRED,
    .off = offsetof (class_pair, neg) },
};
static const msg_desc pair_msg = MSG ("ClassPair", pair_fields, pair_check);

static int held_out_pair (ctx *, const zj_tp_node *, void *);
static int projected_check (ctx *, const zj_tp_node *, void *,
                            const zj_tp_node *const *);
static const field projected_fields[] = {
  { .name = "positive_class", .type = F_INT, .off = TS (positive_class) },
  { .name = "negative_class", .type = F_INT, .off = TS (negative_class) },
  { .name = "dataset_name", .type = F_STRING, .off = TS (dataset_name) },
  { .name = "path", .type = F_STRING, .off = TS (path) },
  { .name = "dataset", .type = F_MSG, .sub = &dataset_msg },
  { .name = "held_out_pairs", .type = F_CUSTOM, .flags = REPEATED,
    .fn = held_out_pair },
  { .name = "min_supported_data_seed", .type = F_INT, .flags = NONNEG,
    .off = TS (min_supported_data_seed) },
  { .name = "max_supported_data_seed", .type = F_INT, .flags = NONNEG,
    .off = TS (max_supported_data_seed) },
};
static const msg_desc projected_msg
  = MSG ("ProjectedBinaryClassificationTask", projected_fields,
         projected_check);

static const field increment_fields[] = {
  { .name = "increment", .type = F_DOUBLE, .off = TS (increment) },
};
static const msg_desc increment_msg
  = MSG ("UnitTestIncrementTaskSpec", increment_fields, NULL);

static const msg_desc linear_msg = { "ScalarLinearRegressionTaskSpec", NULL,
                                     0, NULL };
static const msg_desc nn_msg = { "Scalar2LayerNNRegressionTaskSpec", NULL, 0,
                                 NULL };
static const msg_desc zeros_msg = { "UnitTestZerosTaskSpec", NULL, 0, NULL };
static const msg_desc ones_msg = { "UnitTestOnesTaskSpec", NULL, 0, NULL };

static int task_check (ctx *, const zj_tp_node *, void *,
                       const zj_tp_node *const *);
#define TASK_TYPE(nm, msg, id) \
  { .name = nm, .type = F_MSG, .sub = msg, .oneof = id }
static const field task_fields[] = {
  { .name = "features_size", .type = F_INT, .off = TS (features_size) },
  { .name = "num_train_examples", .type = F_INT, .flags = POSITIVE,
    .off = TS (num_train_examples), .max = ZJ_MAX_EXAMPLES },
  { .name = "num_train_epochs", .type = F_INT, .flags = POSITIVE,
    .off = TS (num_train_epochs), .max = ZJ_MAX_EPOCHS },
  { .name = "num_valid_examples", .type = F_INT, .flags = POSITIVE,
    .off = TS (num_valid_examples), .max = ZJ_MAX_EXAMPLES },
  { .name = "num_tasks", .type = F_INT, .flags = POSITIVE,
    .off = TS (num_tasks), .max = ZJ_MAX_TASKS },
  { .name = "data_seeds", .type = F_SEEDS, .flags = REPEATED,
    .off = TS (data_seeds), .aux = TS (n_data_seeds) },
  { .name = "param_seeds", .type = F_SEEDS, .flags = REPEATED,
    .off = TS (param_seeds), .aux = TS (n_param_seeds) },
  { .name = "eval_type", .type = F_ENUM, .off = TS (eval_type),
    .en = &eval_enum },
  TASK_TYPE ("scalar_linear_regression_task", &linear_msg,
             ZJ_TASK_SCALAR_LINEAR_REGRESSION),
  TASK_TYPE ("scalar_2layer_nn_regression_task", &nn_msg,
             ZJ_TASK_SCALAR_2LAYER_NN_REGRESSION),
  TASK_TYPE ("projected_binary_classification_task", &projected_msg,
             ZJ_TASK_PROJECTED_BINARY_CLASSIFICATION),
  TASK_TYPE ("unit_test_fixed_task", &fixed_msg, ZJ_TASK_UNIT_TEST_FIXED),
  TASK_TYPE ("unit_test_zeros_task", &zeros_msg, ZJ_TASK_UNIT_TEST_ZEROS),
  TASK_TYPE ("unit_test_ones_task", &ones_msg, ZJ_TASK_UNIT_TEST_ONES),
  TASK_TYPE ("unit_test_increment_task", &increment_msg,
             ZJ_TASK_UNIT_TEST_INCREMENT),
  { .name = "num_test_examples", .type = F_INT, .flags = NONNEG,
    .off = NOSTORE, .max = ZJ_MAX_EXAMPLES },
};
static const msg_desc task_msg = MSG ("TaskSpec", task_fields, task_check);

static int task_entry (ctx *, const zj_tp_node *, void *);
static int collection_check (ctx *, const zj_tp_node *, void *,
                             const zj_tp_node *const *);
static const field collection_fields[] = {
  { .name = "tasks", .type = F_CUSTOM, .flags = REPEATED, .fn = task_entry },
};
const msg_desc zj_spec_collection_msg
  = MSG ("TaskCollection", collection_fields, collection_check);

/* ------------------------------------------------------ task checks */

static void
task_defaults (zj_task_spec *t)
{
  memset (t, 0, sizeof *t);
  t->num_train_epochs = 1;
  t->num_tasks = 1;
  t->eval_type = ZJ_EVAL_INVALID;
  t->type = ZJ_TASK_NONE;
  t->increment = 1.0;
  t->positive_class = t->negative_class = -1;
  t->min_supported_data_seed = 0;
  t->max_supported_data_seed = 10;
}

static void
task_spec_free (zj_task_spec *t)
{
  free (t->data_seeds);
  free (t->param_seeds);
  free (t->fixed_train_x);
  free (t->fixed_train_y);
  free (t->fixed_valid_x);
  free (t->fixed_valid_y);
  free (t->dataset_name);
  free (t->path);
  free (t->held_out_pairs);
}

static int
task_entry (ctx *c, const zj_tp_node *k, void *obj)
{
  zj_task_collection *col = obj;
  col->specs = zj_xrealloc (col->specs, sizeof *col->specs
                            * (size_t) (col->n + 1));
  zj_task_spec *t = &col->specs[col->n++];
  task_defaults (t);
  return zj_spec_walk (c, k, &task_msg, t);
}

static int
collection_check (ctx *c, const zj_tp_node *msg, void *obj,
                  const zj_tp_node *const *seen)
{
  const zj_task_collection *col = obj;
  if (col->n == 0)
    return zj_spec_err_msg (c, msg, "TaskCollection", "no tasks given (expected "
                    "tasks { ... })");
  return 0;
}

static int
pair_check (ctx *c, const zj_tp_node *msg, void *obj,
            const zj_tp_node *const *seen)
{
  const class_pair *p = obj;
  if (p->pos < 0 || p->pos > 9 || p->neg < 0 || p->neg > 9 || p->pos == p->neg)
    return zj_spec_err_msg (c, msg, "ClassPair", "classes must be two different "
                    "integers in [0, 9] (got %d and %d)", p->pos, p->neg);
  return 0;
}

static int
held_out_pair (ctx *c, const zj_tp_node *k, void *obj)
{
  zj_task_spec *t = obj;
  class_pair p = { -1, -1 };
  if (zj_spec_walk (c, k, &pair_msg, &p) != 0)
    return -1;
  t->held_out_pairs = zj_xrealloc (t->held_out_pairs, sizeof
                                   *t->held_out_pairs
                                   * (size_t) (t->n_held_out_pairs + 1));
  t->held_out_pairs[t->n_held_out_pairs][0] = p.pos;
  t->held_out_pairs[t->n_held_out_pairs][1] = p.neg;
  t->n_held_out_pairs++;
  return 0;
}

static int
projected_check (ctx *c, const zj_tp_node *msg, void *obj,
                 const zj_tp_node *const *seen)
{
  const zj_task_spec *t = obj;
  const msg_desc *d = &projected_msg;
  if (zj_spec_got (d, seen, "dataset"))
    return zj_spec_err_msg (c, msg, d->name, "an inline 'dataset' is not supported; "
                    "give 'path' to the folder of dataset files");
  /* fashion_mnist and mnist have default locations (src/data/dataset.h). */
  if (!t->path && t->dataset_name && !strcmp (t->dataset_name, "csv"))
    return zj_spec_err_msg (c, msg, d->name, "dataset_name 'csv' needs "
                            "'path' (the CSV file)");
  if (!zj_spec_got (d, seen, "positive_class") != !zj_spec_got (d, seen, "negative_class"))
    return zj_spec_err_msg (c, msg, d->name, "give both positive_class and "
                    "negative_class, or neither");
  if (zj_spec_got (d, seen, "positive_class")
      && (t->positive_class < 0 || t->negative_class > 9
          || t->positive_class >= t->negative_class))
    return zj_spec_err_msg (c, msg, d->name, "need 0 <= positive_class < "
                    "negative_class <= 9 (got %d and %d)", t->positive_class,
                    t->negative_class);
  if (t->min_supported_data_seed >= t->max_supported_data_seed)
    return zj_spec_err_msg (c, msg, d->name, "min_supported_data_seed (%d) must be "
                    "below max_supported_data_seed (%d)",
                    t->min_supported_data_seed, t->max_supported_data_seed);
  return 0;
}

/* Append the doubles of one example vector (fields elements/features,
   already checked by the walker) to *arr holding *n; returns how many. */
static int
vector_values (const zj_tp_node *v, double **arr, int *n)
{
  *arr = zj_xrealloc (*arr, sizeof **arr * (size_t) (*n + v->n_kids));
  int count = 0;
  for (int i = 0; i < v->n_kids; i++)
    {
      const char *why;
      if (zj_tp_to_double (&v->kids[i], &(*arr)[*n + count], &why) == 0)
        count++;
    }
  *n += count;
  return count;
}

/* Copy unit_test_fixed_task's vectors into t, checking their lengths
   against F (features) and 1 (labels). */
static int
fixed_extract (ctx *c, const zj_tp_node *fx, zj_task_spec *t)
{
  static const char *const names[4] = {
    "train_features", "train_labels", "valid_features", "valid_labels"
  };
  double **arrs[4] = { &t->fixed_train_x, &t->fixed_train_y,
                       &t->fixed_valid_x, &t->fixed_valid_y };
  int elems[4] = { 0, 0, 0, 0 }, counts[4] = { 0, 0, 0, 0 };
  for (int i = 0; i < fx->n_kids; i++)
    {
      const zj_tp_node *v = &fx->kids[i];
      for (int w = 0; w < 4; w++)
        {
          if (strcmp (v->name, names[w]) != 0)
            continue;
          int got_n = vector_values (v, arrs[w], &elems[w]);
          int want = w % 2 == 0 ? t->features_size : 1;
          if (got_n != want)
            return zj_spec_err_at (c, v->line, v->col, "%s: has %d element%s, "
                           "expected %d%s", v->name, got_n, got_n == 1 ? ""
                           : "s", want, w % 2 == 0 ? " (features_size)" : "");
          counts[w]++;
        }
    }
  if (counts[0] != counts[1] || counts[2] != counts[3])
    return zj_spec_err_at (c, fx->line, fx->col, "%s: %d train_features vs %d "
                   "train_labels, %d valid_features vs %d valid_labels "
                   "(counts must match)", fx->name, counts[0], counts[1],
                   counts[2], counts[3]);
  if (counts[0] == 0 || counts[2] == 0)
    return zj_spec_err_at (c, fx->line, fx->col, "%s: needs at least one train and "
                   "one valid example", fx->name);
  t->fixed_n_train = t->num_train_examples = counts[0];
  t->fixed_n_valid = t->num_valid_examples = counts[2];
  return 0;
}

static const char *
task_type_name (zj_task_type type)
{
  for (int i = 0; i < COUNT (task_fields); i++)
    if (task_fields[i].oneof == (int) type)
      return task_fields[i].name;
  return "?";
}

/* The eval_type the task type demands (INVALID: no demand). */
static zj_eval_type
required_eval (zj_task_type type)
{
  switch (type)
    {
    case ZJ_TASK_SCALAR_LINEAR_REGRESSION:
    case ZJ_TASK_SCALAR_2LAYER_NN_REGRESSION:
      return ZJ_RMS_ERROR;
    case ZJ_TASK_PROJECTED_BINARY_CLASSIFICATION:
      return ZJ_ACCURACY;
    default:
      return ZJ_EVAL_INVALID;
    }
}

static int
task_counts_check (ctx *c, const zj_tp_node *msg, const zj_task_spec *t,
                   const zj_tp_node *const *seen)
{
  const msg_desc *d = &task_msg;
  const char *need[2] = { "num_train_examples", "num_valid_examples" };
  for (int i = 0; i < 2; i++)
    if (!zj_spec_got (d, seen, need[i]))
      return zj_spec_err_msg (c, msg, d->name, "missing required field '%s'",
                      need[i]);
  if (t->type == ZJ_TASK_PROJECTED_BINARY_CLASSIFICATION
      && (t->num_train_examples > 8000 || t->num_valid_examples > 1000))
    return zj_spec_err_msg (c, msg, d->name, "projected_binary_classification_task "
                    "allows at most 8000 train and 1000 valid examples "
                    "(got %d and %d)", t->num_train_examples,
                    t->num_valid_examples);
  return 0;
}

static int
task_check (ctx *c, const zj_tp_node *msg, void *obj,
            const zj_tp_node *const *seen)
{
  zj_task_spec *t = obj;
  const msg_desc *d = &task_msg;
  if (t->type == ZJ_TASK_NONE)
    return zj_spec_err_msg (c, msg, d->name, "missing the task type (one of "
                    "scalar_linear_regression_task, "
                    "scalar_2layer_nn_regression_task, "
                    "projected_binary_classification_task, unit_test_*_task)");
  const zj_tp_node *fs = zj_spec_got (d, seen, "features_size");
  if (!fs)
    return zj_spec_err_msg (c, msg, d->name, "missing required field "
                    "'features_size'");
  if (!zj_features_size_ok (t->features_size))
    return ERR_VAL (c, fs, "must be one of 2, 4, 8, 16, 32 (got %d)",
                    t->features_size);
  if (t->type == ZJ_TASK_SCALAR_2LAYER_NN_REGRESSION && t->features_size < 3)
    return ERR_VAL (c, fs, "scalar_2layer_nn_regression_task needs "
                    "features_size >= 3 (got %d)", t->features_size);
  zj_eval_type want = required_eval (t->type);
  const zj_tp_node *ev = zj_spec_got (d, seen, "eval_type");
  if (want != ZJ_EVAL_INVALID && !ev)
    return zj_spec_err_msg (c, msg, d->name, "missing required field 'eval_type' "
                    "(%s for %s)", eval_names[want], task_type_name (t->type));
  if (want != ZJ_EVAL_INVALID && t->eval_type != want)
    return ERR_VAL (c, ev, "%s requires %s (got %s)", task_type_name (t->type),
                    eval_names[want], eval_names[t->eval_type]);
  const zj_tp_node *ep = zj_spec_got (d, seen, "num_train_epochs");
  if (ep && (int64_t) t->num_train_examples * t->num_train_epochs > INT32_MAX)
    return ERR_VAL (c, ep, "num_train_examples x num_train_epochs must be <= "
                    "%d (got %d x %d)", INT32_MAX, t->num_train_examples,
                    t->num_train_epochs);
  if (t->type == ZJ_TASK_UNIT_TEST_FIXED)
    return fixed_extract (c, zj_spec_got (d, seen, "unit_test_fixed_task"), t);
  return task_counts_check (c, msg, t, seen);
}

/* ------------------------------------------------------------- API */

/* ------------------------------------------------------------- API */

int
zj_task_collection_parse (const char *text, const char *source,
                          zj_task_collection *out, zj_error *err)
{
  ctx c = { source ? source : "<tasks>", err };
  memset (out, 0, sizeof *out);
  zj_tp_node root;
  if (zj_tp_parse (text, c.source, &root, err) != 0)
    return -1;
  int rc = zj_spec_walk (&c, &root, &zj_spec_collection_msg, out);
  zj_tp_free (&root);
  if (rc != 0)
    zj_task_collection_free (out);
  return rc;
}

void
zj_task_collection_free (zj_task_collection *col)
{
  if (!col)
    return;
  for (int i = 0; i < col->n; i++)
    task_spec_free (&col->specs[i]);
  free (col->specs);
  col->specs = NULL;
  col->n = 0;
}
