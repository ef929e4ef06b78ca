/* task_projected.c -- projected_binary_classification_task (doc/semantics.md, "Task generators"):
 * which class pair and which data file a task uses, and its examples.
 *
 * The original reads pre-built files binary_<name>-pos_<p>-neg_<n>-dim_<F>-
 * seed_<s>; we build the same recipe's data on demand (projection.c, cached
 * by proj_cache.c).  The pair and file-seed arithmetic is the original's,
 * with our generator in place of mt19937 (doc/deviations.md).
 */
#include "internal.h"
#include "dataset.h"
#include "task_gen.h"
#include <string.h>

/* HashMix salt of the pair choice (doc/semantics.md, "Task generators"). */
#define PAIR_SALT 856572777u

static bool
held_out (const zj_task_spec *s, int i, int j)
{
  for (int k = 0; k < s->n_held_out_pairs; k++)
    {
      int a = s->held_out_pairs[k][0], b = s->held_out_pairs[k][1];
      if ((a == i && b == j) || (a == j && b == i))
        return true;
    }
  return false;
}

int
zj_projected_choice (const zj_task_spec *s, uint32_t data_seed, int *pos,
                     int *neg, uint32_t *file_seed, zj_error *err)
{
  const uint32_t lo = (uint32_t) s->min_supported_data_seed;
  const uint32_t span = (uint32_t) (s->max_supported_data_seed
                                    - s->min_supported_data_seed);
  if (s->positive_class >= 0 && s->negative_class >= 0)
    {
      *pos = s->positive_class;
      *neg = s->negative_class;
      *file_seed = lo + data_seed % span;
      return 0;
    }
  int cand[45][2], n = 0;
  for (int i = 0; i < 10; i++)
    for (int j = i + 1; j < 10; j++)
      if (!held_out (s, i, j))
        {
          cand[n][0] = i;
          cand[n++][1] = j;
        }
  if (n == 0)
    {
      zj_error_set (err, "projected_binary_classification_task: every class "
                    "pair is held out");
      return -1;
    }
  const uint64_t mix[2] = { PAIR_SALT, data_seed };
  zj_rng r;
  zj_rng_seed (&r, zj_hash_mix_list (mix, 2));
  int k = (int) zj_rng_below (&r, (uint32_t) n);
  *pos = cand[k][0];
  *neg = cand[k][1];
  *file_seed = lo + zj_rng_below (&r, span);
  return 0;
}

/* Fashion-MNIST gets the original's 8000/1000/1000 pools (the spec reads a
   prefix of them); the smaller mnist and csv sets are split to exactly
   the sizes asked for, without a test split. */
static void
build_sizes (const char *name, const zj_task *t, zj_proj_params *pp)
{
  if (!strcmp (name, "fashion_mnist"))
    {
      pp->n_train = t->n_train > 8000 ? t->n_train : 8000;
      pp->n_valid = t->n_valid > 1000 ? t->n_valid : 1000;
      pp->n_test = 1000;
    }
  else
    {
      pp->n_train = t->n_train;
      pp->n_valid = t->n_valid;
      pp->n_test = 0;
    }
}

static void
copy_examples (const float *x, const float *y, int n, int F, double *dx,
               double *dy)
{
  for (size_t i = 0; i < (size_t) n * (size_t) F; i++)
    dx[i] = x[i];
  for (int k = 0; k < n; k++)
    dy[k] = y[k];
}

int
zj_task_fill_projected (const zj_task_spec *s, zj_task *t, zj_error *err)
{
  if (t->eval_type != ZJ_ACCURACY)
    {
      zj_error_set (err, "projected_binary_classification_task needs "
                    "eval_type: ACCURACY");
      return -1;
    }
  zj_proj_params pp;
  memset (&pp, 0, sizeof pp);
  pp.dataset = s->dataset_name ? s->dataset_name : "fashion_mnist";
  pp.path = s->path;
  pp.F = t->F;
  if (zj_projected_choice (s, t->data_seed, &pp.pos, &pp.neg, &pp.seed, err)
      != 0)
    return -1;
  build_sizes (pp.dataset, t, &pp);
  zj_proj_data d;
  if (zj_proj_get (&pp, &d, NULL, err) != 0)
    return -1;
  copy_examples (d.train_x, d.train_y, t->n_train, t->F, t->train_x,
                 t->train_y);
  copy_examples (d.valid_x, d.valid_y, t->n_valid, t->F, t->valid_x,
                 t->valid_y);
  zj_proj_free (&d);
  return 0;
}
