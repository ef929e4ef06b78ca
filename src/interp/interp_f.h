/* interp_f.h -- the interpreter specialised for one features size.
 *
 * Included once per supported F by interp.c with ZJ_F defined, so every
 * kernel loop has a constant trip count the compiler unrolls/vectorises.
 * One dispatch loop (computed goto over the ops.def table) runs a decoded
 * component function; the per-example loop holds no other decisions.
 */
#define F ZJ_F
#define ZJ_CAT2(a, b) a##b
#define ZJ_CAT(a, b) ZJ_CAT2 (a, b)
#define ZJ_FN(name) ZJ_CAT (name##_f, ZJ_F)

static void
ZJ_FN (run) (const zj_dins *ip, zj_rng *rng, double *T)
{
  static const void *const labels[ZJ_NUM_OPS + 1] = {
#define ZJ_OP(id, name, ...) [id] = &&L_##name,
#include <zerojit/ops.def>
#undef ZJ_OP
    [ZJ_NUM_OPS] = &&L_END,
  };
  const zj_dins *I;
#define ZJ_NEXT() do { I = ip++; goto *labels[I->op]; } while (0)
  ZJ_NEXT ();
#define ZJ_OP(id, name, ...) L_##name: { ZJ_KERNEL_##name; } ZJ_NEXT ();
#include <zerojit/ops.def>
#undef ZJ_OP
#undef ZJ_NEXT
L_END:
  (void) rng;
  return;
}

/* Predict or Learn (c): the per-task native step when the evaluation has
   one (zj_decoded.nat), else the dispatch loop; both on mem. */
#ifndef ZJ_STEP
#define ZJ_STEP(d, c, run, mem, rng, T) \
  do { if ((d)->nat) (d)->nat->c ((mem), NULL, NULL, (d)->nat->k); \
       else run ((d)->c, (rng), (T)); } while (0)
#endif

/* Train for `count` steps from position *pos of the epoch order; false on
   abort (prediction error NaN or above max_abs_error). */
static bool
ZJ_FN (train) (const zj_decoded *d, const zj_task *t, long count, long *pos,
               const zj_eval_opts *o, zj_rng *rng, double *mem,
               const zj_layout *lay, double *T, zj_eval_result *res)
{
  double *s = mem + lay->s_off, *v0 = mem + lay->v_off;
  const bool acc = t->eval_type == ZJ_ACCURACY;
  for (long k = 0; k < count; k++)
    {
      const int ex = t->order[(*pos)++];
      const double *x = t->train_x + (size_t) ex * F;
      const double label = t->train_y[ex];
      res->train_steps++;
      memcpy (v0, x, F * sizeof (double));
      s[0] = 0.0;
      ZJ_STEP (d, predict, ZJ_FN (run), mem, rng, T);
      if (d->s1_dead)
        {
          /* The sigmoid's value is never read and cannot fail the check
             unless s1 is NaN (zj_decoded.s1_dead). */
          if (ZJ_UNLIKELY (isnan (s[1])))
            {
              s[1] = zj_sigmoid (s[1]);
              return false;
            }
          memcpy (v0, x, F * sizeof (double));
          s[0] = label;
          ZJ_STEP (d, learn, ZJ_FN (run), mem, rng, T);
          continue;
        }
      if (acc)
        s[1] = zj_sigmoid (s[1]);
      const double err = fabs (label - s[1]);
      if (ZJ_UNLIKELY (!(err <= o->max_abs_error)))
        return false;
      if (ZJ_UNLIKELY (res->n_train_err < o->record_errors))
        res->train_err[res->n_train_err++] = err;
      memcpy (v0, x, F * sizeof (double));
      s[0] = label;
      ZJ_STEP (d, learn, ZJ_FN (run), mem, rng, T);
    }
  return true;
}

/* Predict-only pass over the validation set; fitness, or 0 on abort. */
static double
ZJ_FN (validate) (const zj_decoded *d, const zj_task *t, const zj_eval_opts *o,
                  zj_rng *rng, double *mem, const zj_layout *lay, double *T,
                  zj_eval_result *res)
{
  double *s = mem + lay->s_off, *v0 = mem + lay->v_off;
  const bool acc = t->eval_type == ZJ_ACCURACY;
  const int n = (o->n_valid >= 0 && o->n_valid < t->n_valid) ? o->n_valid
                                                             : t->n_valid;
  double loss = 0.0;
  for (int i = 0; i < n; i++)
    {
      const double label = t->valid_y[i];
      memcpy (v0, t->valid_x + (size_t) i * F, F * sizeof (double));
      s[0] = 0.0;
      ZJ_STEP (d, predict, ZJ_FN (run), mem, rng, T);
      double e;
      if (acc)
        {
          /* With d->logit, sigmoid(x) > 0.5 is x > 0 where |x| >= 2^-20
             or x = 0 (a NaN x is neither; zj_lacc_err_logit,
             doc/shortcuts.md). */
          const double x = s[1];
          const bool sign = !(fabs (x) < 0x1p-20) || x == 0.0;
          const bool pos = d->logit && sign ? x > 0.0 : zj_sigmoid (x) > 0.5;
          e = ((label > 0.5) == pos) ? 0.0 : 1.0;
          loss += e;
        }
      else
        {
          const double d = label - s[1];
          e = fabs (d);
          if (ZJ_UNLIKELY (!(e <= o->max_abs_error)))
            return 0.0;
          loss += d * d;
        }
      if (ZJ_UNLIKELY (res->n_valid_err < o->record_errors))
        res->valid_err[res->n_valid_err++] = e;
    }
  return acc ? 1.0 - loss / t->n_valid : zj_rms_fitness (loss, t->n_valid);
}

static double
ZJ_FN (eval) (const zj_decoded *d, const zj_task *t, const zj_eval_opts *o,
              zj_rng *rng, double *mem, const zj_layout *lay, double *T,
              zj_eval_result *res)
{
  ZJ_FN (run) (d->setup, rng, T);
  const long per_epoch = t->n_train;
  long n_train = per_epoch * t->epochs;
  if (o->n_all_train >= 0 && o->n_all_train < n_train)
    n_train = o->n_all_train;
  long remaining = n_train, pos = 0;
  double best = 0.0;
  while (remaining > 0)
    {
      const long chunk = remaining < per_epoch ? remaining : per_epoch;
      if (!ZJ_FN (train) (d, t, chunk, &pos, o, rng, mem, lay, T, res))
        {
          res->aborted = true;
          if (remaining == n_train)
            return 0.0;
          break;
        }
      remaining -= per_epoch;
      const double f = ZJ_FN (validate) (d, t, o, rng, mem, lay, T, res);
      if (f > best)
        best = f;
    }
  return best;
}

#undef ZJ_FN
#undef ZJ_CAT
#undef ZJ_CAT2
#undef F
