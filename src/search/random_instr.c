/* random_instr.c -- new random instructions and single-parameter changes
 * (doc/semantics.md, "Random instructions" and "Mutations").
 *
 * The order of random draws is part of the behaviour: a search run is
 * reproducible from its seed only if every draw happens in the documented
 * order, so each function below draws strictly in the original's order.
 */
#include "internal.h"
#include <assert.h>
#include <math.h>
#include <string.h>
#include <zerojit/search.h>

/* Inputs may read every address, including the label s0, the prediction s1
   and the features v0. */
static uint16_t
draw_input (zj_rng *rng, const zj_shape *s, zj_kind k)
{
  assert (zj_kind_count (s, k) > 0);
  return (uint16_t) zj_rng_below (rng, (uint32_t) zj_kind_count (s, k));
}

/* Outputs never write s0 (label) or v0 (features); matrices have no
   reserved address. */
static uint16_t
draw_output (zj_rng *rng, const zj_shape *s, zj_kind k)
{
  int lo = k == ZJ_KIND_M ? 0 : 1;
  assert (zj_kind_count (s, k) > lo);
  return (uint16_t) (lo + (int) zj_rng_below (rng, (uint32_t) (zj_kind_count (s, k) - lo)));
}

static void
draw_data (zj_rng *rng, zj_instr *in)
{
  const zj_data_info *d = &zj_data_kinds[zj_ops[in->op].data];
  if (d->act)
    {
      in->act = zj_rng_open (rng, -1.0, 1.0);
      return;
    }
  /* Not ordered: about half of the new uniform ops have low > high and
     then produce the constant low, as in the original. */
  for (int f = 0; f < d->nfields; f++)
    in->fd[f] = d->role[f] == ZJ_FIELD_IDX || d->role[f] == ZJ_FIELD_SD
                ? zj_rng_float (rng, 0.0f, 1.0f)
                : zj_rng_float (rng, -1.0f, 1.0f);
}

void
zj_random_instruction (zj_rng *rng, int op, const zj_shape *shape,
                       zj_instr *out)
{
  const zj_op_info *o = &zj_ops[op];
  memset (out, 0, sizeof *out);
  out->op = (uint16_t) op;
  if (op == ZJ_NO_OP)
    return;
  if (o->arity == 0)
    {
      out->out = draw_output (rng, shape, o->out);
      draw_data (rng, out);
      return;
    }
  out->in1 = draw_input (rng, shape, o->in1);
  if (o->arity == 2)
    out->in2 = draw_input (rng, shape, o->in2);
  out->out = draw_output (rng, shape, o->out);
}

/* ------------------------------------------------------- altering data */

static double
log_scale_d (zj_rng *rng, double x)
{
  double g = zj_rng_normal (rng);
  return x > 0.0 ? exp (log (x) + g) : -exp (log (-x) + g);
}

static float
log_scale_f (zj_rng *rng, float x)
{
  float g = (float) zj_rng_normal (rng);
  return x > 0.0f ? expf (logf (x) + g) : -expf (logf (-x) + g);
}

/* With probability 0.1 flip the sign, otherwise a log-normal step that
   keeps the sign. */
static bool
flip (zj_rng *rng)
{
  return zj_rng_unit (rng) < 0.1;
}

static double
log_scale_or_flip_d (zj_rng *rng, double x)
{
  return flip (rng) ? -x : log_scale_d (rng, x);
}

static float
log_scale_or_flip_f (zj_rng *rng, float x)
{
  return flip (rng) ? -x : log_scale_f (rng, x);
}

static void
alter_data (zj_rng *rng, zj_instr *in)
{
  const zj_data_info *d = &zj_data_kinds[zj_ops[in->op].data];
  if (d->nfields == 0)
    return;
  if (d->act)
    {
      in->act = log_scale_or_flip_d (rng, in->act);
      return;
    }
  const int f = d->nfields > 1 ? (int) zj_rng_below (rng, d->nfields) : 0;
  switch (d->role[f])
    {
    case ZJ_FIELD_IDX:
      in->fd[f] = zj_rng_float (rng, 0.0f, 1.0f);
      break;
    case ZJ_FIELD_SD:
      in->fd[f] = log_scale_f (rng, in->fd[f]);  /* a stdev keeps its sign */
      break;
    case ZJ_FIELD_VAL:
    case ZJ_FIELD_LOHI:
      in->fd[f] = log_scale_or_flip_f (rng, in->fd[f]);
      break;
    case ZJ_FIELD_NIL:
      break;
    }
  if (d->role[f] == ZJ_FIELD_LOHI)
    {
      /* The bounds are fields 0 and 1: put them in order. */
      const float a = in->fd[0], b = in->fd[1];
      in->fd[0] = a < b ? a : b;
      in->fd[1] = a < b ? b : a;
    }
}

void
zj_alter_param (zj_rng *rng, const zj_shape *shape, zj_instr *in)
{
  const zj_op_info *o = &zj_ops[in->op];
  if (in->op == ZJ_NO_OP)
    return;
  if (o->arity == 0)
    {
      if (zj_rng_below (rng, 2) == 0)
        in->out = draw_output (rng, shape, o->out);
      else
        alter_data (rng, in);
    }
  else if (o->arity == 1)
    {
      if (zj_rng_below (rng, 2) == 0)
        in->in1 = draw_input (rng, shape, o->in1);
      else
        in->out = draw_output (rng, shape, o->out);
    }
  else
    switch (zj_rng_below (rng, 3))
      {
      case 0: in->in1 = draw_input (rng, shape, o->in1); break;
      case 1: in->in2 = draw_input (rng, shape, o->in2); break;
      default: in->out = draw_output (rng, shape, o->out); break;
      }
}
