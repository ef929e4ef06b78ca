/* eval.c -- preparing programs, fitness formulas, combining tasks. */
#include "internal.h"
#include <math.h>
#include "sigmoid.h"

void
zj_eval_opts_default (zj_eval_opts *o)
{
  o->n_all_train = -1;
  o->n_valid = -1;
  o->max_abs_error = 100.0;
  o->record_errors = 0;
}

int
zj_prepare_into (zj_prepared *pp, const zj_program *p, const zj_shape *shape,
                 bool prune, zj_error *err)
{
  if (zj_program_check (p, shape, err) != 0)
    return -1;
  pp->shape = *shape;
  if (prune)
    zj_prune_sized (p, shape->ns, shape->nv, shape->nm, &pp->prog);
  else
    zj_program_copy (&pp->prog, p);
  return 0;
}

zj_prepared *
zj_prepare (const zj_program *p, const zj_shape *shape, bool prune, zj_error *err)
{
  zj_prepared *pp = zj_xcalloc (1, sizeof *pp);
  zj_program_init (&pp->prog);
  if (zj_prepare_into (pp, p, shape, prune, err) != 0)
    {
      zj_prepared_free (pp);
      return NULL;
    }
  return pp;
}

void
zj_prepared_free (zj_prepared *pp)
{
  if (!pp)
    return;
  zj_program_free (&pp->prog);
  free (pp);
}

const zj_program *
zj_prepared_program (const zj_prepared *pp)
{
  return &pp->prog;
}

double
zj_rms_fitness (double loss, int n)
{
  const double rms = sqrt (loss / n);
  if (!isfinite (rms))
    return 0.0;
  return 1.0 - (2.0 / M_PI) * atan (rms);
}

/* One live lane of the lane sigmoid (sigmoid.h): the single-task
   interpreter and native code (which calls this function) use the same
   SLEEF entry point as the lane interpreter, so all tiers agree bit for
   bit. */
double
zj_sigmoid (double x)
{
  return zj_lsigmoid (zj_lsplat (x))[0];
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

double
zj_combine_fitness (const double *f, int n, zj_combination mode)
{
  if (n <= 0)
    return 0.0;
  if (mode == ZJ_COMBINE_MEDIAN)
    {
      double *tmp = zj_xmalloc ((size_t) n * sizeof *tmp);
      for (int i = 0; i < n; i++)
        tmp[i] = f[i];
      qsort (tmp, (size_t) n, sizeof *tmp, cmp_double);
      double m = tmp[n / 2];
      free (tmp);
      return m;
    }
  double s = 0.0;
  for (int i = 0; i < n; i++)
    s += f[i];
  return s / n;
}
