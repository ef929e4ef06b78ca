/* spec_parse.c -- typed reading of task collections and search specs.
 *
 * The text-format tree (textproto.c) is checked against one table per
 * message: each row names a field, its type and where its value goes.  A
 * single walker applies the tables, so "unknown field", "wrong type",
 * "given twice" and "must be > 0" are reported the same way everywhere,
 * always as one line with the source, line and column.  Checks that
 * relate several fields (task type vs eval_type, F, the fixed task's
 * vectors) live in the per-message check hooks below the tables.
 *
 * Field names, defaults and constraints follow reference sections 8.1,
 * 8.2, 8.6 and 9.1 (task.proto, experiment.proto and friends).
 */
#include "internal.h"
#include "textproto.h"
#include <zerojit/spec.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#define NOSTORE ((size_t) -1)
#define MAX_FIELDS 32

typedef struct ctx {
  const char *source;
  zj_error *err;
} ctx;

typedef enum ftype {
  F_INT,          /* int32 into an int */
  F_INT64,        /* int64 into an int64_t */
  F_DOUBLE,       /* double */
  F_STRING,       /* malloc'd char * */
  F_ENUM,         /* enum (by name or number) into an int-sized enum */
  F_SEEDS,        /* repeated uint32: array at off, count at aux */
  F_ENUM_LIST,    /* repeated enum: int array at off, count at aux */
  F_DOUBLE_LIST,  /* repeated double, checked only */
  F_MSG,          /* sub-message; its fields are stored relative to obj+off */
  F_CUSTOM        /* sub-message handled by fn */
} ftype;

enum {
  REPEATED = 1,   /* may be given several times / as a list */
  REQUIRED = 2,
  POSITIVE = 4,   /* > 0 */
  NONNEG = 8,     /* >= 0 */
  PRESENCE = 16   /* F_MSG: set the bool at aux when present */
};

typedef struct enum_table {
  const char *type;               /* proto enum name, for messages */
  const char *const *names;       /* indexed by value; NULL marks a gap */
  int n;
} enum_table;

typedef struct msg_desc msg_desc;
typedef int (*custom_fn) (ctx *c, const zj_tp_node *n, void *obj);
typedef int (*check_fn) (ctx *c, const zj_tp_node *msg, void *obj,
                         const zj_tp_node *const *seen);

typedef struct field {
  const char *name;
  ftype type;
  int flags;
  size_t off;
  size_t aux;
  const enum_table *en;
  const msg_desc *sub;
  custom_fn fn;
  int oneof;                      /* task type selected by this message */
} field;

struct msg_desc {
  const char *name;
  const field *fields;
  int n;
  check_fn check;
};

/* ------------------------------------------------------------ errors */

static int __attribute__ ((format (printf, 4, 5)))
err_at (ctx *c, int line, int col, const char *fmt, ...)
{
  char reason[448];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (reason, sizeof reason, fmt, ap);
  va_end (ap);
  zj_error_set (c->err, "%s:%d:%d: %s", c->source, line, col, reason);
  return -1;
}

/* An error about a field's value, pointing at the value. */
#define ERR_VAL(c, n, fmt, ...) \
  err_at (c, (n)->vline, (n)->vcol, "%s: " fmt, (n)->name, __VA_ARGS__)

/* An error about a whole message (missing field, inconsistent fields).
   The root message has no name or position of its own. */
static int __attribute__ ((format (printf, 4, 5)))
err_msg (ctx *c, const zj_tp_node *msg, const char *what, const char *fmt,
         ...)
{
  char reason[400];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (reason, sizeof reason, fmt, ap);
  va_end (ap);
  if (msg->name)
    zj_error_set (c->err, "%s:%d:%d: %s: %s", c->source, msg->line, msg->col,
                  msg->name, reason);
  else
    zj_error_set (c->err, "%s: %s: %s", c->source, what, reason);
  return -1;
}

static int
unknown_field (ctx *c, const zj_tp_node *k, const msg_desc *d)
{
  char list[400] = "";
  size_t used = 0;
  for (int i = 0; i < d->n && used < sizeof list; i++)
    used += (size_t) snprintf (list + used, sizeof list - used, "%s%s",
                               i ? ", " : "", d->fields[i].name);
  if (d->n == 0)
    return err_at (c, k->line, k->col, "unknown field '%s' in %s (it has no "
                   "fields)", k->name, d->name);
  return err_at (c, k->line, k->col, "unknown field '%s' in %s; valid "
                 "fields: %s", k->name, d->name, list);
}

/* ------------------------------------------------------------ storing */

static void *
at (void *obj, size_t off)
{
  return (char *) obj + off;
}

static void
store_int (void *obj, size_t off, int v)
{
  if (off != NOSTORE)
    memcpy (at (obj, off), &v, sizeof v);
}

/* Lists of 4-byte elements (seeds, ops, mutation types). */
static void
append4 (void *obj, size_t off, size_t count_off, uint32_t v)
{
  if (off == NOSTORE)
    return;
  uint32_t **arr = at (obj, off);
  int *n = at (obj, count_off);
  *arr = zj_xrealloc (*arr, sizeof **arr * (size_t) (*n + 1));
  (*arr)[(*n)++] = v;
}

static const char *
enum_name (const enum_table *en, int v)
{
  if (en->names == NULL)          /* ops: the op table holds the names */
    return v >= 0 && v < ZJ_NUM_OPS ? zj_ops[v].name : NULL;
  return v >= 0 && v < en->n ? en->names[v] : NULL;
}

static int
enum_lookup (const enum_table *en, const char *name)
{
  if (en->names == NULL)
    return zj_op_lookup (name);
  for (int i = 0; i < en->n; i++)
    if (en->names[i] && strcmp (en->names[i], name) == 0)
      return i;
  return -1;
}

static int
bad_enum (ctx *c, const zj_tp_node *k, const enum_table *en)
{
  if (en->names == NULL)
    return ERR_VAL (c, k, "unknown op '%s' (`zerojit ops` lists them)",
                    k->text);
  char list[300] = "";
  size_t used = 0;
  for (int i = 0; i < en->n && used < sizeof list; i++)
    if (en->names[i])
      used += (size_t) snprintf (list + used, sizeof list - used, "%s%s",
                                 used ? ", " : "", en->names[i]);
  return ERR_VAL (c, k, "unknown %s value '%s'; valid: %s", en->type,
                  k->text, list);
}

/* Enum value by name or by number. */
static int
read_enum (ctx *c, const zj_tp_node *k, const enum_table *en, int *out)
{
  int64_t v;
  const char *why;
  if (k->kind == ZJ_TP_IDENT)
    v = enum_lookup (en, k->text);
  else if (zj_tp_to_int64 (k, INT32_MIN, INT32_MAX, &v, &why) != 0)
    return ERR_VAL (c, k, "expects a %s name, got %s", en->type,
                    zj_tp_kind_name (k->kind));
  else if (!enum_name (en, (int) v))
    v = -1;
  if (v < 0)
    return bad_enum (c, k, en);
  *out = (int) v;
  return 0;
}

static int
read_int64 (ctx *c, const zj_tp_node *k, const field *f, int64_t lo,
            int64_t hi, int64_t *out)
{
  const char *why;
  if (zj_tp_to_int64 (k, lo, hi, out, &why) != 0)
    {
      if (k->kind == ZJ_TP_NUMBER)
        return ERR_VAL (c, k, "%s (got %s)", why, k->text);
      return ERR_VAL (c, k, "expects an integer, got %s",
                      zj_tp_kind_name (k->kind));
    }
  if ((f->flags & POSITIVE) && *out <= 0)
    return ERR_VAL (c, k, "must be > 0 (got %s)", k->text);
  if ((f->flags & NONNEG) && *out < 0)
    return ERR_VAL (c, k, "must be >= 0 (got %s)", k->text);
  return 0;
}

static int
read_double (ctx *c, const zj_tp_node *k, const field *f, double *out)
{
  const char *why;
  if (zj_tp_to_double (k, out, &why) != 0)
    {
      if (k->kind == ZJ_TP_NUMBER || k->kind == ZJ_TP_IDENT)
        return ERR_VAL (c, k, "%s (got %s)", why, k->text);
      return ERR_VAL (c, k, "expects a number, got %s",
                      zj_tp_kind_name (k->kind));
    }
  if ((f->flags & POSITIVE) && !(*out > 0))
    return ERR_VAL (c, k, "must be > 0 (got %s)", k->text);
  if ((f->flags & NONNEG) && !(*out >= 0))
    return ERR_VAL (c, k, "must be >= 0 (got %s)", k->text);
  return 0;
}

static int walk (ctx *c, const zj_tp_node *msg, const msg_desc *d, void *obj);

static int
set_message (ctx *c, const zj_tp_node *k, const field *f, const msg_desc *d,
             void *obj)
{
  if (f->oneof)
    {
      /* All oneof members of TaskSpec share the `type` slot. */
      zj_task_spec *t = obj;
      if (t->type != ZJ_TASK_NONE)
        {
          const char *prev = "?";
          for (int i = 0; i < d->n; i++)
            if (d->fields[i].oneof == (int) t->type)
              prev = d->fields[i].name;
          return err_at (c, k->line, k->col, "%s: a task has one task type, "
                         "but %s was given too", k->name, prev);
        }
      t->type = (zj_task_type) f->oneof;
    }
  if (f->flags & PRESENCE)
    *(bool *) at (obj, f->aux) = true;
  if (f->type == F_CUSTOM)
    return f->fn (c, k, obj);
  return walk (c, k, f->sub, at (obj, f->off));
}

static int
set_field (ctx *c, const zj_tp_node *k, const field *f, const msg_desc *d,
           void *obj)
{
  const bool is_msg = f->type == F_MSG || f->type == F_CUSTOM;
  if (is_msg != (k->kind == ZJ_TP_MESSAGE))
    return err_at (c, k->vline, k->vcol, "%s: expects %s, got %s", k->name,
                   is_msg ? "a message { ... }" : "a value",
                   zj_tp_kind_name (k->kind));
  int64_t i64;
  double d64;
  int e;
  switch (f->type)
    {
    case F_INT:
      if (read_int64 (c, k, f, INT32_MIN, INT32_MAX, &i64) != 0)
        return -1;
      store_int (obj, f->off, (int) i64);
      return 0;
    case F_INT64:
      if (read_int64 (c, k, f, INT64_MIN, INT64_MAX, &i64) != 0)
        return -1;
      if (f->off != NOSTORE)
        memcpy (at (obj, f->off), &i64, sizeof i64);
      return 0;
    case F_DOUBLE:
    case F_DOUBLE_LIST:
      if (read_double (c, k, f, &d64) != 0)
        return -1;
      if (f->off != NOSTORE)
        memcpy (at (obj, f->off), &d64, sizeof d64);
      return 0;
    case F_STRING:
      if (k->kind != ZJ_TP_STRING)
        return ERR_VAL (c, k, "expects a quoted string, got %s",
                        zj_tp_kind_name (k->kind));
      if (f->off != NOSTORE)
        *(char **) at (obj, f->off) = zj_xstrdup (k->text);
      return 0;
    case F_ENUM:
      if (read_enum (c, k, f->en, &e) != 0)
        return -1;
      store_int (obj, f->off, e);
      return 0;
    case F_ENUM_LIST:
      if (read_enum (c, k, f->en, &e) != 0)
        return -1;
      append4 (obj, f->off, f->aux, (uint32_t) e);
      return 0;
    case F_SEEDS:
      if (read_int64 (c, k, f, 0, UINT32_MAX, &i64) != 0)
        return -1;
      append4 (obj, f->off, f->aux, (uint32_t) i64);
      return 0;
    default:
      return set_message (c, k, f, d, obj);
    }
}

static int
find_field (const msg_desc *d, const char *name)
{
  for (int i = 0; i < d->n; i++)
    if (strcmp (d->fields[i].name, name) == 0)
      return i;
  return -1;
}

/* Apply table d to the fields of msg, storing into obj. */
static int
walk (ctx *c, const zj_tp_node *msg, const msg_desc *d, void *obj)
{
  const zj_tp_node *seen[MAX_FIELDS] = { 0 };
  for (int j = 0; j < msg->n_kids; j++)
    {
      const zj_tp_node *k = &msg->kids[j];
      int i = find_field (d, k->name);
      if (i < 0)
        return unknown_field (c, k, d);
      const field *f = &d->fields[i];
      if (!(f->flags & REPEATED) && (seen[i] || k->in_list))
        return err_at (c, k->line, k->col, "%s: %s", k->name, seen[i]
                       ? "given more than once (it is not a repeated field)"
                       : "is not a repeated field; a list [...] is not "
                       "allowed");
      seen[i] = k;
      if (set_field (c, k, f, d, obj) != 0)
        return -1;
    }
  for (int i = 0; i < d->n; i++)
    if ((d->fields[i].flags & REQUIRED) && !seen[i])
      return err_msg (c, msg, d->name, "missing required field '%s'",
                      d->fields[i].name);
  return d->check ? d->check (c, msg, obj, seen) : 0;
}

/* The node given for field `name` of table d (NULL when absent). */
static const zj_tp_node *
got (const msg_desc *d, const zj_tp_node *const *seen, const char *name)
{
  int i = find_field (d, name);
  return i >= 0 ? seen[i] : NULL;
}

/* ------------------------------------------------------------ enums */

static const char *const eval_names[] = {
  [ZJ_EVAL_INVALID] = "INVALID_EVAL_TYPE", [ZJ_RMS_ERROR] = "RMS_ERROR",
  [ZJ_ACCURACY] = "ACCURACY"
};
static const enum_table eval_enum = { "EvalType", eval_names, 5 };

static const char *const combination_names[] = {
  [ZJ_COMBINE_UNKNOWN] = "UNKNOWN_FITNESS_COMBINATION",
  [ZJ_COMBINE_MEAN] = "MEAN_FITNESS_COMBINATION",
  [ZJ_COMBINE_MEDIAN] = "MEDIAN_FITNESS_COMBINATION"
};
static const enum_table combination_enum = {
  "FitnessCombinationMode", combination_names, 4
};

/* Private copies of the HardcodedAlgorithmID and MutationType names: the
   shared zj_algorithm_names / zj_mutation_names tables belong to the
   generator and mutator, and the parser must not depend on them. */
static const char *const spec_algorithm_names[ZJ_ALG_COUNT] = {
  [ZJ_ALG_NO_OP] = "NO_OP_ALGORITHM",
  [ZJ_ALG_RANDOM] = "RANDOM_ALGORITHM",
  [ZJ_ALG_LINEAR] = "LINEAR_ALGORITHM",
  [ZJ_ALG_NEURAL_NET] = "NEURAL_NET_ALGORITHM",
  [ZJ_ALG_DAMAGED_NEURAL_NET] = "INTEGRATION_TEST_DAMAGED_NEURAL_NET_ALGORITHM"
};
static const enum_table algorithm_enum = {
  "HardcodedAlgorithmID", spec_algorithm_names, ZJ_ALG_COUNT
};

static const char *const spec_mutation_names[ZJ_MUT_COUNT] = {
  [ZJ_MUT_ALTER_PARAM] = "ALTER_PARAM_MUTATION_TYPE",
  [ZJ_MUT_RANDOMIZE_INSTRUCTION] = "RANDOMIZE_INSTRUCTION_MUTATION_TYPE",
  [ZJ_MUT_RANDOMIZE_COMPONENT_FUNCTION]
    = "RANDOMIZE_COMPONENT_FUNCTION_MUTATION_TYPE",
  [ZJ_MUT_IDENTITY] = "IDENTITY_MUTATION_TYPE",
  [ZJ_MUT_INSERT_INSTRUCTION] = "INSERT_INSTRUCTION_MUTATION_TYPE",
  [ZJ_MUT_REMOVE_INSTRUCTION] = "REMOVE_INSTRUCTION_MUTATION_TYPE",
  [ZJ_MUT_TRADE_INSTRUCTION] = "TRADE_INSTRUCTION_MUTATION_TYPE",
  [ZJ_MUT_RANDOMIZE_ALGORITHM] = "RANDOMIZE_ALGORITHM_MUTATION_TYPE"
};
static const enum_table mutation_enum = {
  "MutationType", spec_mutation_names, ZJ_MUT_COUNT
};

static const enum_table op_enum = { "Op", NULL, ZJ_NUM_OPS };

#define COUNT(a) ((int) (sizeof (a) / sizeof (a)[0]))
#define MSG(name, fields, check) { name, fields, COUNT (fields), check }
#define TS(m) offsetof (zj_task_spec, m)
#define SS(m) offsetof (zj_search_spec, m)

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
    .off = TS (num_train_examples) },
  { .name = "num_train_epochs", .type = F_INT, .flags = POSITIVE,
    .off = TS (num_train_epochs) },
  { .name = "num_valid_examples", .type = F_INT, .flags = POSITIVE,
    .off = TS (num_valid_examples) },
  { .name = "num_tasks", .type = F_INT, .flags = POSITIVE,
    .off = TS (num_tasks) },
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
    .off = NOSTORE },
};
static const msg_desc task_msg = MSG ("TaskSpec", task_fields, task_check);

static int task_entry (ctx *, const zj_tp_node *, void *);
static int collection_check (ctx *, const zj_tp_node *, void *,
                             const zj_tp_node *const *);
static const field collection_fields[] = {
  { .name = "tasks", .type = F_CUSTOM, .flags = REPEATED, .fn = task_entry },
};
static const msg_desc collection_msg
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
  return walk (c, k, &task_msg, t);
}

static int
collection_check (ctx *c, const zj_tp_node *msg, void *obj,
                  const zj_tp_node *const *seen)
{
  const zj_task_collection *col = obj;
  if (col->n == 0)
    return err_msg (c, msg, "TaskCollection", "no tasks given (expected "
                    "tasks { ... })");
  return 0;
}

static int
pair_check (ctx *c, const zj_tp_node *msg, void *obj,
            const zj_tp_node *const *seen)
{
  const class_pair *p = obj;
  if (p->pos < 0 || p->pos > 9 || p->neg < 0 || p->neg > 9 || p->pos == p->neg)
    return err_msg (c, msg, "ClassPair", "classes must be two different "
                    "integers in [0, 9] (got %d and %d)", p->pos, p->neg);
  return 0;
}

static int
held_out_pair (ctx *c, const zj_tp_node *k, void *obj)
{
  zj_task_spec *t = obj;
  class_pair p = { -1, -1 };
  if (walk (c, k, &pair_msg, &p) != 0)
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
  if (got (d, seen, "dataset"))
    return err_msg (c, msg, d->name, "an inline 'dataset' is not supported; "
                    "give 'path' to the folder of dataset files");
  if (!t->path)
    return err_msg (c, msg, d->name, "missing required field 'path'");
  if (!got (d, seen, "positive_class") != !got (d, seen, "negative_class"))
    return err_msg (c, msg, d->name, "give both positive_class and "
                    "negative_class, or neither");
  if (got (d, seen, "positive_class")
      && (t->positive_class < 0 || t->negative_class > 9
          || t->positive_class >= t->negative_class))
    return err_msg (c, msg, d->name, "need 0 <= positive_class < "
                    "negative_class <= 9 (got %d and %d)", t->positive_class,
                    t->negative_class);
  if (t->min_supported_data_seed >= t->max_supported_data_seed)
    return err_msg (c, msg, d->name, "min_supported_data_seed (%d) must be "
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
            return err_at (c, v->line, v->col, "%s: has %d element%s, "
                           "expected %d%s", v->name, got_n, got_n == 1 ? ""
                           : "s", want, w % 2 == 0 ? " (features_size)" : "");
          counts[w]++;
        }
    }
  if (counts[0] != counts[1] || counts[2] != counts[3])
    return err_at (c, fx->line, fx->col, "%s: %d train_features vs %d "
                   "train_labels, %d valid_features vs %d valid_labels "
                   "(counts must match)", fx->name, counts[0], counts[1],
                   counts[2], counts[3]);
  if (counts[0] == 0 || counts[2] == 0)
    return err_at (c, fx->line, fx->col, "%s: needs at least one train and "
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
    if (!got (d, seen, need[i]))
      return err_msg (c, msg, d->name, "missing required field '%s'",
                      need[i]);
  if (t->type == ZJ_TASK_PROJECTED_BINARY_CLASSIFICATION
      && (t->num_train_examples > 8000 || t->num_valid_examples > 1000))
    return err_msg (c, msg, d->name, "projected_binary_classification_task "
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
    return err_msg (c, msg, d->name, "missing the task type (one of "
                    "scalar_linear_regression_task, "
                    "scalar_2layer_nn_regression_task, "
                    "projected_binary_classification_task, unit_test_*_task)");
  const zj_tp_node *fs = got (d, seen, "features_size");
  if (!fs)
    return err_msg (c, msg, d->name, "missing required field "
                    "'features_size'");
  if (!zj_features_size_ok (t->features_size))
    return ERR_VAL (c, fs, "must be one of 2, 4, 8, 16, 32 (got %d)",
                    t->features_size);
  if (t->type == ZJ_TASK_SCALAR_2LAYER_NN_REGRESSION && t->features_size < 3)
    return ERR_VAL (c, fs, "scalar_2layer_nn_regression_task needs "
                    "features_size >= 3 (got %d)", t->features_size);
  zj_eval_type want = required_eval (t->type);
  const zj_tp_node *ev = got (d, seen, "eval_type");
  if (want != ZJ_EVAL_INVALID && !ev)
    return err_msg (c, msg, d->name, "missing required field 'eval_type' "
                    "(%s for %s)", eval_names[want], task_type_name (t->type));
  if (want != ZJ_EVAL_INVALID && t->eval_type != want)
    return ERR_VAL (c, ev, "%s requires %s (got %s)", task_type_name (t->type),
                    eval_names[want], eval_names[t->eval_type]);
  if (t->type == ZJ_TASK_UNIT_TEST_FIXED)
    return fixed_extract (c, got (d, seen, "unit_test_fixed_task"), t);
  return task_counts_check (c, msg, t, seen);
}

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
  { .name = "cache_size", .type = F_INT, .off = SS (fec_cache_size) },
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
  { .name = nm, .type = F_INT, .flags = NONNEG, .off = SS (member) }

static int search_check (ctx *, const zj_tp_node *, void *,
                         const zj_tp_node *const *);
static const field search_fields[] = {
  { .name = "search_tasks", .type = F_MSG, .flags = REQUIRED,
    .off = SS (search_tasks), .sub = &collection_msg },
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
    .off = SS (population_size) },
  { .name = "tournament_size", .type = F_INT, .flags = REQUIRED | POSITIVE,
    .off = SS (tournament_size) },
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
    return err_msg (c, msg, d->name, "num_train_examples and "
                    "num_valid_examples must be <= 100 (got %d and %d)",
                    s->fec_num_train_examples, s->fec_num_valid_examples);
  const zj_tp_node *n = got (d, seen, "cache_size");
  if (n && s->fec_cache_size <= 1)
    return ERR_VAL (c, n, "must be > 1 (got %d)", s->fec_cache_size);
  n = got (d, seen, "forget_every");
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
  const zj_tp_node *n = got (d, seen, "allowed_mutation_types");
  if (s->n_mutation_types == 0)
    return err_at (c, n->line, n->col, "allowed_mutation_types: "
                   "mutation_types must not be empty");
  n = got (d, seen, "fitness_combination_mode");
  if (n && s->fitness_combination_mode == ZJ_COMBINE_UNKNOWN)
    return ERR_VAL (c, n, "%s", "UNKNOWN_FITNESS_COMBINATION cannot combine "
                    "fitnesses (use MEAN_FITNESS_COMBINATION or "
                    "MEDIAN_FITNESS_COMBINATION)");
  n = got (d, seen, "mutate_prob");
  if (n && s->mutate_prob > 1.0)
    return ERR_VAL (c, n, "must be in [0, 1] (got %s)", n->text);
  static const char *const comp[3] = { "setup", "predict", "learn" };
  for (int i = 0; i < ZJ_NUM_COMPONENTS; i++)
    if (s->size_max[i] != 0 && s->size_max[i] < s->size_min[i])
      return err_msg (c, msg, d->name, "mutate_%s_size_max (%d) is below "
                      "mutate_%s_size_min (%d)", comp[i], s->size_max[i],
                      comp[i], s->size_min[i]);
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
zj_task_collection_parse (const char *text, const char *source,
                          zj_task_collection *out, zj_error *err)
{
  ctx c = { source ? source : "<tasks>", err };
  memset (out, 0, sizeof *out);
  zj_tp_node root;
  if (zj_tp_parse (text, c.source, &root, err) != 0)
    return -1;
  int rc = walk (&c, &root, &collection_msg, out);
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

int
zj_search_spec_parse (const char *text, const char *source,
                      zj_search_spec *out, zj_error *err)
{
  ctx c = { source ? source : "<spec>", err };
  search_defaults (out);
  zj_tp_node root;
  if (zj_tp_parse (text, c.source, &root, err) != 0)
    return -1;
  int rc = walk (&c, &root, &search_msg, out);
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
