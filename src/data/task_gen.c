/* task_gen.c -- examples and labels of each task type (doc/semantics.md, "Task generators").
 *
 * Every generated task draws its features and its label function from two
 * separate generators seeded from (data_seed, param_seed) plus the
 * original's per-type offsets, so tasks sharing a param seed share their
 * label function and tasks sharing a data seed share their inputs.
 */
#include "internal.h"
#include "reduce.h"
#include "task_gen.h"
#include "dataset.h"
#include <string.h>

static void
seed_with (zj_rng *r, uint32_t seed, uint32_t offset)
{
  zj_rng_seed (r, (uint32_t) (seed + offset));   /* mod 2^32, as the original */
}

static void
fill_normal (zj_rng *r, double *x, size_t n)
{
  zj_rng_normal_fill (r, x, n);
}

/* Features of every train example, then of every valid example. */
static void
draw_features (zj_task *t, uint32_t offset)
{
  zj_rng r;
  seed_with (&r, t->data_seed, offset);
  fill_normal (&r, t->train_x, (size_t) t->n_train * (size_t) t->F);
  fill_normal (&r, t->valid_x, (size_t) t->n_valid * (size_t) t->F);
}

void
zj_task_linear_weights (uint32_t param_seed, int F, double *w)
{
  zj_rng r;
  seed_with (&r, param_seed, ZJ_SEED_LINEAR_PARAM);
  fill_normal (&r, w, (size_t) F);
}

void
zj_task_nn_weights (uint32_t param_seed, int F, double *M, double *u)
{
  zj_rng r;
  seed_with (&r, param_seed, ZJ_SEED_NN_PARAM);
  fill_normal (&r, M, (size_t) F * (size_t) F);
  fill_normal (&r, u, (size_t) F);
  /* Hidden units 0 and 2 are dead, as in the original. */
  for (int c = 0; c < F; c++)
    M[0 * F + c] = M[2 * F + c] = 0.0;
  u[0] = u[2] = 0.0;
}

double
zj_task_nn_label (const double *M, const double *u, const double *x, int F)
{
  double h[32];
  for (int r = 0; r < F; r++)
    {
      double acc = 0.0;
      for (int c = 0; c < F; c++)
        {
          double p = M[r * F + c] * x[c];
          acc += p;
        }
      h[r] = acc < 0.0 ? 0.0 : acc;   /* VECTOR_MAX with a zero vector */
    }
  return zj_rdot (h, u, F);
}

static void
linear_labels (zj_task *t, const double *w)
{
  for (int k = 0; k < t->n_train; k++)
    t->train_y[k] = zj_rdot (w, t->train_x + (size_t) k * t->F, t->F);
  for (int k = 0; k < t->n_valid; k++)
    t->valid_y[k] = zj_rdot (w, t->valid_x + (size_t) k * t->F, t->F);
}

static void
gen_linear (zj_task *t)
{
  double w[32];
  draw_features (t, ZJ_SEED_LINEAR_DATA);
  zj_task_linear_weights (t->param_seed, t->F, w);
  linear_labels (t, w);
}

static void
gen_nn (zj_task *t)
{
  double M[32 * 32], u[32];
  draw_features (t, ZJ_SEED_NN_DATA);
  zj_task_nn_weights (t->param_seed, t->F, M, u);
  for (int k = 0; k < t->n_train; k++)
    t->train_y[k] = zj_task_nn_label (M, u, t->train_x + (size_t) k * t->F,
                                      t->F);
  for (int k = 0; k < t->n_valid; k++)
    t->valid_y[k] = zj_task_nn_label (M, u, t->valid_x + (size_t) k * t->F,
                                      t->F);
}

/* Every feature and label of a set equal to value(k) for example k. */
static void
fill_set (double *x, double *y, int n, int F, double inc, double base)
{
  for (int k = 0; k < n; k++)
    {
      double v = base + k * inc;
      for (int i = 0; i < F; i++)
        x[(size_t) k * F + i] = v;
      y[k] = v;
    }
}

static void
gen_constant (zj_task *t, double v)
{
  fill_set (t->train_x, t->train_y, t->n_train, t->F, 0.0, v);
  fill_set (t->valid_x, t->valid_y, t->n_valid, t->F, 0.0, v);
}

static void
gen_fixed (const zj_task_spec *s, zj_task *t)
{
  memcpy (t->train_x, s->fixed_train_x, sizeof (double) * (size_t) t->n_train
          * (size_t) t->F);
  memcpy (t->train_y, s->fixed_train_y, sizeof (double) * (size_t) t->n_train);
  memcpy (t->valid_x, s->fixed_valid_x, sizeof (double) * (size_t) t->n_valid
          * (size_t) t->F);
  memcpy (t->valid_y, s->fixed_valid_y, sizeof (double) * (size_t) t->n_valid);
}

int
zj_task_fill (const zj_task_spec *s, zj_task *t, zj_error *err)
{
  switch (s->type)
    {
    case ZJ_TASK_SCALAR_LINEAR_REGRESSION:
      gen_linear (t);
      return 0;
    case ZJ_TASK_SCALAR_2LAYER_NN_REGRESSION:
      if (t->F < 3)
        {
          zj_error_set (err, "scalar_2layer_nn_regression_task: "
                        "features_size must be >= 3 (got %d)", t->F);
          return -1;
        }
      gen_nn (t);
      return 0;
    case ZJ_TASK_UNIT_TEST_FIXED:
      gen_fixed (s, t);
      return 0;
    case ZJ_TASK_UNIT_TEST_ZEROS:
      gen_constant (t, 0.0);
      return 0;
    case ZJ_TASK_UNIT_TEST_ONES:
      gen_constant (t, 1.0);
      return 0;
    case ZJ_TASK_UNIT_TEST_INCREMENT:
      fill_set (t->train_x, t->train_y, t->n_train, t->F, s->increment, 0.0);
      fill_set (t->valid_x, t->valid_y, t->n_valid, t->F, s->increment, 0.0);
      return 0;
    case ZJ_TASK_PROJECTED_BINARY_CLASSIFICATION:
      return zj_task_fill_projected (s, t, err);   /* task_projected.c */
    default:
      zj_error_set (err, "task spec has no task type");
      return -1;
    }
}

void
zj_task_epoch_orders (zj_task *t)
{
  const int n = t->n_train;
  int *cur = t->order;
  for (int i = 0; i < n; i++)
    cur[i] = i;
  zj_rng r;
  seed_with (&r, t->data_seed, ZJ_SEED_EPOCH_ORDER);
  /* Each epoch shuffles the previous epoch's order (Fisher-Yates). */
  for (int e = 1; e < t->epochs; e++)
    {
      int *next = t->order + (size_t) e * n;
      memcpy (next, cur, sizeof *next * (size_t) n);
      for (int i = n - 1; i > 0; i--)
        {
          int j = (int) zj_rng_below (&r, (uint32_t) i + 1);
          int tmp = next[i];
          next[i] = next[j];
          next[j] = tmp;
        }
      cur = next;
    }
}
