/* cmd_eval_tiered.c -- `zerojit eval --jit=MODE`: one evaluation on a
 * chosen native tier (cli.h, zj_eval_tiered), with the interpreter as
 * the fallback.
 */
#include "config.h"
#include "internal.h"
#include <zerojit/spec.h>
#include <zerojit/jit.h>
#include "jit/baseline.h"
#include "jit/fused.h"
#include "jit/ptask.h"
#include "cost.h"
#include "policy.h"
#include "cli.h"
#include <string.h>

/* zerojit eval on a chosen tier (see cli.h).  "auto" picks the optimized
   tier when the policy's priors expect its compile to pay for these
   examples, else the baseline. */
int
zj_eval_tiered (const char *mode, const zj_jit_opts *jopts, const zj_program *p,
                zj_task *tasks, int n, const zj_shape *shape, bool prune,
                const zj_eval_opts *o, zj_rng *rng, double *fit,
                zj_eval_result *res, const char **ran, zj_error *err)
{
  *ran = "interpreter";
  if (!strcmp (mode, "off"))
    return 1;
  for (int i = 1; i < n; i++)
    if (tasks[i].F != tasks[0].F)
      {
        zj_error_set (err, "tasks of several features sizes: interpreted");
        return 1;
      }
  zj_prepared *pp = zj_prepare (p, shape, prune, err);
  if (!pp)
    return -1;
  const zj_program *q = zj_prepared_program (pp);
  bool optimized = !strcmp (mode, "optimized");
  const bool fused = !strcmp (mode, "fused");
  if (fused)
    {
      /* Not fusable: the interpreter, as with no JIT (a note, not an
         error: the figures do not depend on the tier). */
      char why[512];
      const bool no = !__builtin_cpu_supports ("avx2")
                      ? (snprintf (why, sizeof why, "fused kernels need AVX2"), true)
                      : zj_fused_why_not (q, shape->F, why, sizeof why);
      if (no)
        {
          zj_error_set (err, "%s; interpreted", why);
          zj_prepared_free (pp);
          return 1;
        }
    }
  if (!strcmp (mode, "auto"))
    {
      zj_policy_knobs k;
      zj_policy_knobs_default (&k);
      zj_cost_model m;
      zj_cost_model_init (&m);
      double ex = 0.0;
      for (int i = 0; i < n; i++)
        ex += (double) tasks[i].n_train * tasks[i].epochs + tasks[i].n_valid;
      const zj_candidate c = {
        .instrs = (double) zj_program_size (q),
        .work = zj_fn_cost (&q->fn[ZJ_PREDICT], shape->F)
                + zj_fn_cost (&q->fn[ZJ_LEARN], shape->F),
        .examples_now = ex, .examples_per_eval = ex, .children = 0.0,
      };
      optimized = zj_policy_decide (&k, &m, &c).compile;
    }
  int rc = 1;
  zj_workspace *ws = zj_workspace_new (shape);
  if (optimized)
    {
      zj_jit_opts jo = *jopts;
      jo.pairs = n > 1;
      zj_jit *jit = zj_jit_new (&jo, err);
      zj_jit_entry *e = jit ? zj_jit_get (jit, pp, tasks[0].eval_type, err) : NULL;
      if (e)
        {
          /* Two tasks at a time (zj_jit_eval_pair), the last one alone. */
          zj_workspace *ws2 = zj_workspace_new (shape);
          for (int i = 0; i < n; i++)
            if (i + 1 < n)
              {
                zj_jit_eval_pair (e, pp, &tasks[i], &tasks[i + 1], o, rng, ws2, ws,
                                  &res[i], &res[i + 1], &fit[i]);
                i++;
              }
            else
              fit[i] = zj_jit_eval_task (e, pp, &tasks[i], o, rng, ws, &res[i]);
          zj_workspace_free (ws2);
          *ran = "optimized";
          rc = 0;
          zj_jit_release (jit, e);
        }
      zj_jit_free (jit);
    }
  else
    {
      zj_baseline *b = zj_baseline_new (false);
      if (fused)
        /* The kernel compiled here at its first use, before any step. */
        zj_baseline_set_fuse (b, 1, false, 0.0, NULL, NULL);
      zj_baseline_attach (b, ws);
      const zj_task **ptrs = zj_xcalloc ((size_t) n, sizeof *ptrs);
      for (int i = 0; i < n; i++)
        ptrs[i] = &tasks[i];
      /* rng draws Setup's random ops task after task, as the
         interpreter's loop over the tasks does. */
      if (zj_interp_eval_lanes (pp, ptrs, n, o, rng, 0, ws, res, fit) != 0)
        zj_error_set (err, "the baseline runs tasks in lanes: they need equal "
                      "sizes and no random ops in Predict or Learn; interpreted");
      else if (!ws->native_used)
        {
          /* The lanes ran interpreted (stencil build failed, ...): same
             results, say so. */
          for (int i = 0; i < n; i++)
            res[i].fitness = fit[i];
          zj_error_set (err, "no baseline code (%s); interpreted in lanes",
                        zj_baseline_error (b));
          *ran = "interpreter (lanes)";
          rc = 0;
        }
      else if (fused)
        {
          zj_baseline_stats st;
          zj_baseline_stats_get (b, &st);
          if (st.fused_hits > 0)
            {
              zj_error_set (err, "Predict and Learn as fused step kernels "
                            "compiled in %.1f ms; Setup interpreted", st.fuse_ms);
              *ran = "fused";
            }
          else
            {
              /* The compile failed: the stencils ran, same figures. */
              zj_error_set (err, "no fused kernel (%s); ran on the baseline "
                            "stencils", zj_baseline_error (b));
              *ran = "baseline";
            }
          rc = 0;
        }
      else
        {
          *ran = "baseline";
          rc = 0;
        }
      free (ptrs);
      zj_baseline_free (b);
    }
  zj_workspace_free (ws);
  zj_prepared_free (pp);
  return rc;
}
