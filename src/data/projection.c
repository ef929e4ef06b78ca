/* projection.c -- projected binary data sets (doc/semantics.md, "Task generators"): a class pair
 * of a dataset, split, randomly projected to F features and standardised.
 *
 * The original builds these offline with numpy/sklearn; we build them on
 * demand from (dataset, pair, seed, sizes) with our own generator, so the
 * numbers differ from the original's files while the recipe is the same
 * (doc/deviations.md).  The split and the projection draw from separate
 * streams, as the original's sklearn random_state and numpy seed do.
 */
#include "internal.h"
#include "dataset.h"
#include <math.h>
#include <string.h>

/* Stream salts: hashed with the seed so the two streams are unrelated. */
#define SALT_SPLIT 0x51d7c3a5u
#define SALT_PROJECT 0x7a11e9c1u

void
zj_proj_free (zj_proj_data *p)
{
  free (p->train_x); free (p->valid_x); free (p->test_x);
  free (p->train_y); free (p->valid_y); free (p->test_y);
  memset (p, 0, sizeof *p);
}

/* A split of m examples takes ceil(m/2) positives and floor(m/2)
   negatives, so even sizes are exactly balanced (sklearn's stratified
   split does the same for the original's 50/50 pools). */
int
zj_proj_per_class (int n_train, int n_valid, int n_test, int *pos_count,
                   int *neg_count)
{
  *pos_count = (n_train + 1) / 2 + (n_valid + 1) / 2 + (n_test + 1) / 2;
  *neg_count = n_train / 2 + n_valid / 2 + n_test / 2;
  return *pos_count + *neg_count;
}

static void
shuffle (int *a, int n, zj_rng *r)
{
  for (int i = n - 1; i > 0; i--)
    {
      int j = (int) zj_rng_below (r, (uint32_t) i + 1);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
}

/* The first `want` examples of class c in dataset order; -1 when short. */
static int
first_of_class (const zj_dataset *ds, int c, int want, int *idx,
                zj_error *err)
{
  int k = 0;
  for (int i = 0; i < ds->n && k < want; i++)
    if (ds->y[i] == c)
      idx[k++] = i;
  if (k < want)
    {
      zj_error_set (err, "class %d has %d examples, the split needs %d "
                    "((train + valid + test) / 2); ask for fewer examples",
                    c, k, want);
      return -1;
    }
  return 0;
}

typedef struct split {
  int *idx[3];               /* train, valid, test: dataset indices */
  int n[3];
} split;

/* Stratified split: each class's examples shuffled, then test, valid and
   train taken in that order (as sklearn splits test off first); each
   split's examples shuffled together. */
static int
make_split (const zj_dataset *ds, const zj_proj_params *pp, split *sp,
            zj_error *err)
{
  int np, nn;
  zj_proj_per_class (pp->n_train, pp->n_valid, pp->n_test, &np, &nn);
  int *pi = zj_xmalloc (sizeof *pi * (size_t) (np + nn + 1)), *ni = pi + np;
  if (first_of_class (ds, pp->pos, np, pi, err) != 0
      || first_of_class (ds, pp->neg, nn, ni, err) != 0)
    {
      free (pi);
      return -1;
    }
  zj_rng r;
  zj_rng_seed (&r, zj_hash_mix (pp->seed, SALT_SPLIT));
  shuffle (pi, np, &r);
  shuffle (ni, nn, &r);
  const int sizes[3] = { pp->n_train, pp->n_valid, pp->n_test };
  int pu = 0, nu = 0;
  for (int s = 2; s >= 0; s--)
    {
      int ps = (sizes[s] + 1) / 2, ns = sizes[s] / 2;
      sp->n[s] = sizes[s];
      sp->idx[s] = zj_xmalloc (sizeof (int) * (size_t) (sizes[s] + 1));
      memcpy (sp->idx[s], pi + pu, sizeof (int) * (size_t) ps);
      memcpy (sp->idx[s] + ps, ni + nu, sizeof (int) * (size_t) ns);
      pu += ps;
      nu += ns;
      shuffle (sp->idx[s], sizes[s], &r);
    }
  free (pi);
  return 0;
}

/* d x F matrix of N(0,1), row-major (input feature i, output j). */
static double *
projection_matrix (uint32_t seed, int d, int F)
{
  zj_rng r;
  zj_rng_seed (&r, zj_hash_mix (seed, SALT_PROJECT));
  double *P = zj_xmalloc (sizeof *P * (size_t) d * (size_t) F);
  zj_rng_normal_fill (&r, P, (size_t) d * (size_t) F);
  return P;
}

static void
project (const zj_dataset *ds, const double *P, const int *idx, int n, int F,
         double *z)
{
  for (int k = 0; k < n; k++)
    {
      const double *x = ds->x + (size_t) idx[k] * (size_t) ds->d;
      double *out = z + (size_t) k * F;
      for (int j = 0; j < F; j++)
        out[j] = 0.0;
      for (int i = 0; i < ds->d; i++)
        if (x[i] != 0.0)          /* images are mostly zero */
          for (int j = 0; j < F; j++)
            out[j] += x[i] * P[(size_t) i * F + j];
    }
}

/* Mean and population standard deviation (sklearn's StandardScaler) of
   each feature over the training examples; a constant feature keeps
   scale 1. */
static void
fit_scaler (const double *z, int n, int F, double *mean, double *sd)
{
  for (int j = 0; j < F; j++)
    {
      double m = 0.0, v = 0.0;
      for (int k = 0; k < n; k++)
        m += z[(size_t) k * F + j];
      m /= n;
      for (int k = 0; k < n; k++)
        {
          double e = z[(size_t) k * F + j] - m;
          v += e * e;
        }
      mean[j] = m;
      sd[j] = v > 0.0 ? sqrt (v / n) : 1.0;
    }
}

static void
emit (const zj_dataset *ds, const zj_proj_params *pp, const double *z,
      const int *idx, int n, const double *mean, const double *sd,
      float **x, float **y)
{
  const int F = pp->F;
  *x = zj_xmalloc (sizeof **x * (size_t) n * (size_t) F + 1);
  *y = zj_xmalloc (sizeof **y * (size_t) n + 1);
  for (int k = 0; k < n; k++)
    {
      for (int j = 0; j < F; j++)
        (*x)[(size_t) k * F + j]
          = (float) ((z[(size_t) k * F + j] - mean[j]) / sd[j]);
      (*y)[k] = ds->y[idx[k]] == pp->pos ? 1.0f : 0.0f;
    }
}

static int
check_params (const zj_proj_params *pp, zj_error *err)
{
  if (pp->pos < 0 || pp->neg < 0 || pp->pos >= pp->neg)
    {
      zj_error_set (err, "class pair (%d, %d): need 0 <= positive < negative",
                    pp->pos, pp->neg);
      return -1;
    }
  if (pp->F < 1 || pp->F > 1024 || pp->n_train < 1 || pp->n_valid < 0
      || pp->n_test < 0 || pp->n_train > (1 << 24) || pp->n_valid > (1 << 24)
      || pp->n_test > (1 << 24))
    {
      zj_error_set (err, "projection: bad sizes (F %d, %d train, %d valid, "
                    "%d test)", pp->F, pp->n_train, pp->n_valid, pp->n_test);
      return -1;
    }
  return 0;
}

int
zj_proj_build (const zj_dataset *ds, const zj_proj_params *pp,
               zj_proj_data *out, zj_error *err)
{
  memset (out, 0, sizeof *out);
  split sp;
  if (check_params (pp, err) != 0 || make_split (ds, pp, &sp, err) != 0)
    return -1;
  const int F = pp->F;
  double *P = projection_matrix (pp->seed, ds->d, F);
  double *z[3], mean[1024], sd[1024];
  for (int s = 0; s < 3; s++)
    {
      z[s] = zj_xmalloc (sizeof (double) * (size_t) sp.n[s] * (size_t) F + 1);
      project (ds, P, sp.idx[s], sp.n[s], F, z[s]);
    }
  fit_scaler (z[0], sp.n[0], F, mean, sd);
  out->F = F;
  out->n_train = sp.n[0];
  out->n_valid = sp.n[1];
  out->n_test = sp.n[2];
  emit (ds, pp, z[0], sp.idx[0], sp.n[0], mean, sd, &out->train_x,
        &out->train_y);
  emit (ds, pp, z[1], sp.idx[1], sp.n[1], mean, sd, &out->valid_x,
        &out->valid_y);
  emit (ds, pp, z[2], sp.idx[2], sp.n[2], mean, sd, &out->test_x,
        &out->test_y);
  for (int s = 0; s < 3; s++)
    {
      free (z[s]);
      free (sp.idx[s]);
    }
  free (P);
  return 0;
}
