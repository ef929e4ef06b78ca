/* interp_batch_f.h -- one program on several tasks at once, for one F.
 *
 * Included by interp.c after interp_f.h with ZJ_F defined.  Tasks are
 * independent (own memory, own data) and a program without random ops
 * draws nothing, so running instruction by instruction across tasks gives
 * each task exactly the result of a separate evaluation while paying the
 * dispatch once per instruction instead of once per task.  Each task's
 * memory is a copy of the single-task layout, `stride` doubles apart.
 * The kernels are reused unchanged through a shifted copy of the decoded
 * instruction.  Only the tasks still running are executed (a list of
 * memory offsets): an aborted training or validation pass stops touching
 * that task's memory, exactly as a separate evaluation would.
 */
#define F ZJ_F
#define ZJ_CAT2(a, b) a##b
#define ZJ_CAT(a, b) ZJ_CAT2 (a, b)
#define ZJ_FN(name) ZJ_CAT (name##_f, ZJ_F)

static void
ZJ_FN (run_batch) (const zj_dins *ip, const size_t *offs, int na, double *T)
{
  static const void *const labels[ZJ_NUM_OPS + 1] = {
#define ZJ_OP(id, name, ...) [id] = &&L_##name,
#include <zerojit/ops.def>
#undef ZJ_OP
    [ZJ_NUM_OPS] = &&L_END,
  };
  zj_rng *rng = NULL;   /* never used: callers exclude random ops */
  const zj_dins *I0;
#define ZJ_NEXT() do { I0 = ip++; goto *labels[I0->op]; } while (0)
  ZJ_NEXT ();
#define ZJ_OP(id, name, ...) \
  L_##name: \
    for (int t_ = 0; t_ < na; t_++) \
      { \
        const size_t d_ = offs[t_]; \
        const zj_dins Is_ = { I0->op, I0->o + d_, I0->a + d_, I0->b + d_, \
                              I0->c0, I0->c1 }; \
        const zj_dins *I = &Is_; (void) I; \
        ZJ_KERNEL_##name; \
      } \
    ZJ_NEXT ();
#include <zerojit/ops.def>
#undef ZJ_OP
#undef ZJ_NEXT
L_END:
  (void) rng;
  return;
}

/* Set v0 := features of each task's example `ex[t]` and s0 := label. */
static inline void
ZJ_FN (load_examples) (const zj_task *const *ts, int nt, const int *ex,
                       bool train, const double *labels, double *mem,
                       const zj_layout *lay, size_t stride)
{
  for (int t = 0; t < nt; t++)
    {
      const double *x = (train ? ts[t]->train_x : ts[t]->valid_x)
                        + (size_t) ex[t] * F;
      double *m = mem + (size_t) t * stride;
      memcpy (m + lay->v_off, x, F * sizeof (double));
      m[lay->s_off] = labels ? labels[t] : 0.0;
    }
}

/* Offsets of the tasks with run[t] set; returns their count. */
static inline int
ZJ_FN (active) (const bool *run, int nt, size_t stride, size_t *offs)
{
  int na = 0;
  for (int t = 0; t < nt; t++)
    if (run[t])
      offs[na++] = (size_t) t * stride;
  return na;
}

static void
ZJ_FN (eval_batch) (const zj_decoded *d, const zj_task *const *ts, int nt,
                    const zj_eval_opts *o, double *mem, const zj_layout *lay,
                    size_t stride, double *T, zj_eval_result *res,
                    double *fit, int *ex, double *lab, bool *alive,
                    double *loss, bool *vabort, size_t *offs)
{
  const zj_task *t0 = ts[0];
  const bool acc = t0->eval_type == ZJ_ACCURACY;
  for (int t = 0; t < nt; t++)
    offs[t] = (size_t) t * stride;
  ZJ_FN (run_batch) (d->setup, offs, nt, T);
  const long per_epoch = t0->n_train;
  long n_train = per_epoch * t0->epochs;
  if (o->n_all_train >= 0 && o->n_all_train < n_train)
    n_train = o->n_all_train;
  const int n_valid = (o->n_valid >= 0 && o->n_valid < t0->n_valid)
                      ? o->n_valid : t0->n_valid;
  for (int t = 0; t < nt; t++)
    {
      fit[t] = 0.0;
      alive[t] = true;
    }
  int n_alive = nt;
  long remaining = n_train, pos = 0;
  while (remaining > 0 && n_alive > 0)
    {
      const long chunk = remaining < per_epoch ? remaining : per_epoch;
      int na = ZJ_FN (active) (alive, nt, stride, offs);
      for (long k = 0; k < chunk; k++, pos++)
        {
          for (int t = 0; t < nt; t++)
            {
              ex[t] = ts[t]->order[pos];
              lab[t] = ts[t]->train_y[ex[t]];
              if (alive[t])
                res[t].train_steps++;
            }
          ZJ_FN (load_examples) (ts, nt, ex, true, NULL, mem, lay, stride);
          ZJ_FN (run_batch) (d->predict, offs, na, T);
          bool died = false;
          for (int t = 0; t < nt; t++)
            {
              if (!alive[t])
                continue;
              double *s = mem + (size_t) t * stride + lay->s_off;
              if (acc)
                s[1] = zj_sigmoid (s[1]);
              const double err = fabs (lab[t] - s[1]);
              if (ZJ_UNLIKELY (!(err <= o->max_abs_error)))
                {
                  /* An abort in the first chunk gives 0; later ones keep
                     the best validation so far (already in fit[t]). */
                  alive[t] = false;
                  res[t].aborted = true;
                  n_alive--;
                  died = true;
                  continue;
                }
              if (ZJ_UNLIKELY (res[t].n_train_err < o->record_errors))
                res[t].train_err[res[t].n_train_err++] = err;
            }
          if (ZJ_UNLIKELY (died))
            {
              if (n_alive == 0)
                break;
              na = ZJ_FN (active) (alive, nt, stride, offs);
            }
          ZJ_FN (load_examples) (ts, nt, ex, true, lab, mem, lay, stride);
          ZJ_FN (run_batch) (d->learn, offs, na, T);
        }
      remaining -= per_epoch;
      if (n_alive == 0)
        break;
      for (int t = 0; t < nt; t++)
        {
          loss[t] = 0.0;
          vabort[t] = !alive[t];   /* vabort doubles as "not validating" */
          ex[t] = 0;
        }
      int nv = 0;
      for (int t = 0; t < nt; t++)
        if (!vabort[t])
          offs[nv++] = (size_t) t * stride;
      for (int i = 0; i < n_valid && nv > 0; i++)
        {
          for (int t = 0; t < nt; t++)
            ex[t] = i;
          ZJ_FN (load_examples) (ts, nt, ex, false, NULL, mem, lay, stride);
          ZJ_FN (run_batch) (d->predict, offs, nv, T);
          bool stopped = false;
          for (int t = 0; t < nt; t++)
            {
              if (vabort[t])
                continue;
              const double label = ts[t]->valid_y[i];
              const double p1 = mem[(size_t) t * stride + lay->s_off + 1];
              double e;
              if (acc)
                {
                  const double p = zj_sigmoid (p1);
                  e = ((label > 0.5) == (p > 0.5)) ? 0.0 : 1.0;
                  loss[t] += e;
                }
              else
                {
                  const double dd = label - p1;
                  e = fabs (dd);
                  if (ZJ_UNLIKELY (!(e <= o->max_abs_error)))
                    {
                      /* This validation pass scores 0 and stops here. */
                      vabort[t] = true;
                      stopped = true;
                      continue;
                    }
                  loss[t] += dd * dd;
                }
              if (ZJ_UNLIKELY (res[t].n_valid_err < o->record_errors))
                res[t].valid_err[res[t].n_valid_err++] = e;
            }
          if (ZJ_UNLIKELY (stopped))
            {
              nv = 0;
              for (int t = 0; t < nt; t++)
                if (!vabort[t])
                  offs[nv++] = (size_t) t * stride;
            }
        }
      for (int t = 0; t < nt; t++)
        {
          if (vabort[t])      /* not validated, or its pass aborted */
            continue;
          const double f = acc ? 1.0 - loss[t] / ts[t]->n_valid
                               : zj_rms_fitness (loss[t], ts[t]->n_valid);
          if (f > fit[t])
            fit[t] = f;
        }
    }
}

#undef ZJ_FN
#undef ZJ_CAT
#undef ZJ_CAT2
#undef F
