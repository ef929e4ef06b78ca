/* shortcututil.h -- tasks and the shortcuts-on-vs-off comparison shared
 * by the shortcut suites test_shortcut*.c (include after criterion.h and
 * testutil.h). */
#ifndef ZJ_SHORTCUTUTIL_H
#define ZJ_SHORTCUTUTIL_H
#include <math.h>
#include <string.h>
#include "internal.h"
#include "shortcut.h"
#include "kernels_lanes.h"

#define MAX_NT 12

/* ------------------------------------------------------------ tasks */

/* nt tasks of ntr/nva examples: features uniform in (-1, 1), labels in
   [0, 1] (ACCURACY: 0/1).  With `huge`, task 2's labels are scaled by 1e4
   (beyond max_abs_error: its proofs fail, its training may abort). */
static inline zj_task *
make_tasks (int F, int nt, int ntr, int nva, int epochs, zj_eval_type et,
            bool huge, uint64_t seed)
{
  zj_rng r;
  zj_rng_seed (&r, seed);
  zj_task *ts = calloc ((size_t) nt, sizeof *ts);
  double *tx = malloc (sizeof (double) * (size_t) (ntr * F));
  double *vx = malloc (sizeof (double) * (size_t) (nva * F));
  double *ty = malloc (sizeof (double) * (size_t) ntr);
  double *vy = malloc (sizeof (double) * (size_t) nva);
  for (int k = 0; k < nt; k++)
    {
      const double scale = huge && k == 2 ? 1e4 : 1.0;
      for (int i = 0; i < ntr * F; i++) tx[i] = 2 * zj_rng_unit (&r) - 1;
      for (int i = 0; i < nva * F; i++) vx[i] = 2 * zj_rng_unit (&r) - 1;
      for (int i = 0; i < ntr; i++)
        ty[i] = et == ZJ_ACCURACY ? (tx[i * F] > 0)
                                  : scale * fabs (tx[i * F] * tx[i * F + 1]);
      for (int i = 0; i < nva; i++)
        vy[i] = et == ZJ_ACCURACY ? (vx[i * F] > 0)
                                  : scale * fabs (vx[i * F] * vx[i * F + 1]);
      zj_task *t = zj_test_task (F, ntr, tx, ty, nva, vx, vy, epochs, et);
      zj_test_shuffle_epochs (t, &r);
      ts[k] = *t;
      ts[k].index = k;
      free (t);
    }
  free (tx); free (vx); free (ty); free (vy);
  return ts;
}

/* A workspace that tries the shortcut on the tests' short tasks too. */
static inline zj_workspace *
test_ws (const zj_shape *sh)
{
  zj_workspace *ws = zj_workspace_new (sh);
  ws->sc_min_steps = 0;
  return ws;
}

/* Lane memory of the last evaluation in ws: total elements x L lanes. */
static inline const double *
lane_memory (const zj_workspace *ws)
{
  return ws->bmem;
}

typedef struct counts { long evals, shortcuts, eligible, aborted; } counts;

/* One program on the tasks with shortcuts on (ws_on) and off (ws_off):
   identical results and lane memory of the real lanes. */
static inline void
check_on_off (const zj_prepared *pp, const zj_task *ts, int nt,
              const zj_eval_opts *o, zj_workspace *ws_on,
              zj_workspace *ws_off, const char *what, counts *c)
{
  const zj_task *ptrs[MAX_NT];
  zj_eval_result r_on[MAX_NT], r_off[MAX_NT];
  double f_on[MAX_NT], f_off[MAX_NT];
  for (int k = 0; k < nt; k++)
    {
      ptrs[k] = &ts[k];
      r_on[k] = r_off[k] = (zj_eval_result) { 0 };
    }
  zj_eval_opts on = *o, off = *o;
  on.no_shortcuts = false;
  off.no_shortcuts = true;
  const unsigned long sc0 = ws_on->n_shortcuts, el0 = ws_on->n_sc_eligible;
  cr_assert_eq (zj_interp_eval_lanes (pp, ptrs, nt, &off, NULL, 0, ws_off,
                                      r_off, f_off), 0, "%s", what);
  cr_assert_eq (ws_off->n_shortcuts, 0, "%s: shortcut while off", what);
  cr_assert_eq (zj_interp_eval_lanes (pp, ptrs, nt, &on, NULL, 0, ws_on,
                                      r_on, f_on), 0, "%s", what);
  for (int k = 0; k < nt; k++)
    {
      cr_assert (memcmp (&f_on[k], &f_off[k], sizeof (double)) == 0,
                 "%s task %d: fitness %.17g vs %.17g", what, k, f_on[k],
                 f_off[k]);
      cr_assert (memcmp (&r_on[k].fitness, &r_off[k].fitness,
                         sizeof (double)) == 0, "%s task %d", what, k);
      cr_assert_eq (r_on[k].train_steps, r_off[k].train_steps,
                    "%s task %d: train_steps", what, k);
      cr_assert_eq (r_on[k].aborted, r_off[k].aborted, "%s task %d", what, k);
      c->aborted += r_on[k].aborted;
    }
  const zj_layout *lay = &ws_on->lay;
  const int L = (nt + ZJ_LW - 1) / ZJ_LW * ZJ_LW;
  const double *m_on = lane_memory (ws_on), *m_off = lane_memory (ws_off);
  /* The other ACCURACY shortcut (doc/shortcuts.md) leaves the raw logit
     in s1 where the training sigmoid's result is dead: s1 is compared
     only where it is not. */
  const bool skip_s1 = ts[0].eval_type == ZJ_ACCURACY
                       && zj_s1_sigmoid_dead (&pp->prog);
  for (size_t e = 0; e < lay->total; e++)
    for (int t = 0; t < nt; t++)
      {
        if (skip_s1 && e == lay->s_off + 1)
          continue;
        const double a = m_on[e * (size_t) L + (size_t) t];
        const double b = m_off[e * (size_t) L + (size_t) t];
        cr_assert (memcmp (&a, &b, sizeof a) == 0,
                   "%s: lane %d element %zu: %.17g vs %.17g", what, t, e, a, b);
      }
  c->evals++;
  c->shortcuts += (long) (ws_on->n_shortcuts - sc0);
  c->eligible += (long) (ws_on->n_sc_eligible - el0);
}

#endif
