/* prepare.c -- a program made ready to run: checked against a shape and
 * pruned to its live instructions (the form every tier executes). */
#include "internal.h"

void
zj_eval_opts_default (zj_eval_opts *o)
{
  o->n_all_train = -1;
  o->n_valid = -1;
  o->max_abs_error = 100.0;
  o->record_errors = 0;
  o->no_shortcuts = false;
  o->no_fitness = false;
}

int
zj_prepare_into (zj_prepared *pp, const zj_program *p, const zj_shape *shape,
                 bool prune, zj_error *err)
{
  if (prune && zj_prune_checked (p, shape, &pp->prog) == 0)
    ;
  else if (zj_program_check (p, shape, err) != 0)
    return -1;
  else
    {
      /* zj_prune_checked refuses exactly what the check refuses. */
      ZJ_ASSERT (!prune);
      zj_program_copy (&pp->prog, p);
    }
  pp->shape = *shape;
  /* Pruning only drops instructions. */
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    ZJ_ASSERT (pp->prog.fn[c].n <= p->fn[c].n);
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
