/* test_shortcut_rules.c -- the shortcut proof's rules: the structural
 * test says what doc/shortcuts.md says, every interval rule encloses what
 * the interpreter computes, the data ranges equal a column scan. */
#include <criterion/criterion.h>
#include "testutil.h"
#include "shortcututil.h"
#include "lane_rows.h"

/* ------------------------------------------------ structural test */

static zj_shortcut_kind
kind_of (const char *predict, const char *learn, zj_eval_type et)
{
  zj_program p;
  zj_program_init (&p);
  char text[512];
  snprintf (text, sizeof text, "def Setup():\n  s3 = 0.5\ndef Predict():\n%s"
            "def Learn():\n%s", predict, learn);
  zj_error err;
  cr_assert_eq (zj_program_parse (text, "test", &p, &err), 0, "%s", err.msg);
  const zj_shape sh = { 4, 5, 4, 2 };
  const zj_shortcut_kind k = zj_shortcut_structural (&p, &sh, et);
  zj_program_free (&p);
  return k;
}

Test (shortcut, structural_rules)
{
  const zj_eval_type A = ZJ_ACCURACY, R = ZJ_RMS_ERROR;
  /* Reads of Setup's values and of the example: stateless. */
  cr_assert_eq (kind_of ("  s2 = dot(v0, v1)\n  s1 = s2 + s3\n", "", A),
                ZJ_SC_LAST_STEP);
  /* s2 read before it is written, and written: state. */
  cr_assert_eq (kind_of ("  s1 = s2 + s3\n  s2 = s1 * s3\n", "", R),
                ZJ_SC_NONE);
  /* Learn not empty. */
  cr_assert_eq (kind_of ("  s1 = s3 + s3\n", "  s3 = s3 + s0\n", R),
                ZJ_SC_NONE);
  /* s1 read before written: RMS no state, ACCURACY's sigmoid is one. */
  cr_assert_eq (kind_of ("  s2 = s1 + s3\n", "", R), ZJ_SC_LAST_STEP);
  cr_assert_eq (kind_of ("  s2 = s1 + s3\n  s1 = s2 + s3\n", "", A),
                ZJ_SC_NONE);
  cr_assert_eq (kind_of ("  s2 = s1 + s3\n", "", A), ZJ_SC_NONE);
  /* ACCURACY, s1 never touched by Predict: the sigmoid chain. */
  cr_assert_eq (kind_of ("  s2 = s3 + s3\n", "", A), ZJ_SC_SIGMOID_CHAIN);
  cr_assert_eq (kind_of ("", "", A), ZJ_SC_SIGMOID_CHAIN);
  cr_assert_eq (kind_of ("", "", R), ZJ_SC_LAST_STEP);
  /* A partial write does not kill: v1 keeps the previous step's others. */
  cr_assert_eq (kind_of ("  v1[0.3] = 0.5\n  s1 = dot(v1, v0)\n", "", R),
                ZJ_SC_NONE);
  /* A full write kills. */
  cr_assert_eq (kind_of ("  v1 = v0 + v0\n  s1 = dot(v1, v0)\n", "", R),
                ZJ_SC_LAST_STEP);
  /* v0 and s0 are the example's: writing then reading them is fine. */
  cr_assert_eq (kind_of ("  s1 = s0 + s3\n  s0 = s1 + s3\n", "", R),
                ZJ_SC_LAST_STEP);
  /* Random ops. */
  cr_assert_eq (kind_of ("  s2 = uniform(-1, 1)\n  s1 = s2 + s3\n", "", R),
                ZJ_SC_NONE);
}

/* ------------------------------------------------- interval rules */

#define NS 4
#define NV 3
#define NM 3

/* A float (const sets store floats) in (-2, 2), or in [0.25, 0.75] when
   `pos`. */
static double
rval (zj_rng *g, bool pos)
{
  if (pos)
    return (float) (0.25 + 0.5 * zj_rng_unit (g));
  const double m = 2 * zj_rng_unit (g) - 1;
  return (float) ldexp (m, -(int) zj_rng_below (g, 4) + 1);
}

/* The interpreter's result of `in` on memory x (single-task layout):
   Setup = const sets of every element, then in; no training. */
static void
run_concrete (const zj_instr *in, const zj_shape *sh, const zj_layout *lay,
              const double *x, double *out)
{
  const int F = sh->F;
  zj_program p;
  zj_program_init (&p);
  zj_fn *f = &p.fn[ZJ_SETUP];
  for (int a = 0; a < NS; a++)
    {
      zj_instr c = zj_test_ins (ZJ_SCALAR_CONST_SET_OP, 0, 0, a);
      c.act = x[lay->s_off + (size_t) a];
      zj_fn_push (f, c);
    }
  for (int a = 0; a < NV; a++)
    for (int i = 0; i < F; i++)
      {
        zj_instr c = zj_test_ins (ZJ_VECTOR_CONST_SET_OP, 0, 0, a);
        c.fd[0] = ((float) i + 0.5f) / (float) F;
        c.fd[1] = (float) x[lay->v_off + (size_t) (a * F + i)];
        zj_fn_push (f, c);
      }
  for (int a = 0; a < NM; a++)
    for (int r = 0; r < F; r++)
      for (int cc = 0; cc < F; cc++)
        {
          zj_instr c = zj_test_ins (ZJ_MATRIX_CONST_SET_OP, 0, 0, a);
          c.fd[0] = ((float) r + 0.5f) / (float) F;
          c.fd[1] = ((float) cc + 0.5f) / (float) F;
          c.fd[2] = (float) x[lay->m_off + (size_t) (a * F * F + cc * F + r)];
          zj_fn_push (f, c);
        }
  zj_fn_push (f, *in);
  zj_prepared *pp = zj_test_prepare (&p, sh, false);
  zj_workspace *ws = zj_workspace_new (sh);
  double y[1] = { 0 }, fx[32] = { 0 };
  zj_task *t = zj_test_task (F, 0, fx, y, 0, fx, y, 1, ZJ_RMS_ERROR);
  zj_eval_result res = { 0 };
  zj_interp_eval_task (pp, t, NULL, NULL, ws, &res);
  size_t len;
  const double *mem = zj_workspace_memory (ws, &len);
  cr_assert_eq (len, lay->total);
  memcpy (out, mem, len * sizeof (double));
  zj_task_free (t);
  free (t);
  zj_workspace_free (ws);
  zj_prepared_free (pp);
  zj_program_free (&p);
}

/* Whether op's interval rule held on random intervals (false: gave up);
   every sampled concrete run lies in the rule's intervals. */
static bool
sound_once (int op, int F, bool pos, zj_rng *g)
{
  const zj_shape sh = { F, NS, NV, NM };
  zj_layout lay;
  zj_layout_init (&lay, &sh);
  zj_instr in;
  zj_random_instruction (g, op, &sh, &in);
  zj_ival *m = calloc (lay.total, sizeof *m);
  zj_ival *tmp = calloc ((size_t) 3 * F * F, sizeof *tmp);
  double *x = calloc (lay.total, sizeof *x), *y = calloc (lay.total, sizeof *y);
  for (size_t e = 0; e < lay.total; e++)
    {
      /* Padding between the banks stays 0. */
      const bool real = e < (size_t) NS
                        || (e >= lay.v_off && e < lay.v_off + (size_t) (NV * F))
                        || e >= lay.m_off;
      const double a = real ? rval (g, pos) : 0, b = real ? rval (g, pos) : 0;
      m[e].lo = a < b ? a : b;
      m[e].hi = a < b ? b : a;
    }
  zj_ival *im = calloc (lay.total, sizeof *im);
  memcpy (im, m, lay.total * sizeof *m);
  const bool ok = zj_ival_exec (&in, &lay, im, tmp);
  for (int s = 0; ok && s < 12; s++)
    {
      /* Endpoints (all low, all high, mixed) and points between. */
      for (size_t e = 0; e < lay.total; e++)
        {
          const int w = s == 0 ? 0 : s == 1 ? 1 : (int) zj_rng_below (g, 3);
          x[e] = w == 0 ? m[e].lo : w == 1 ? m[e].hi
                 : (float) (m[e].lo + (m[e].hi - m[e].lo) * zj_rng_unit (g));
          if (x[e] < m[e].lo || x[e] > m[e].hi)
            x[e] = m[e].lo;
        }
      run_concrete (&in, &sh, &lay, x, y);
      for (size_t e = 0; e < lay.total; e++)
        cr_assert (y[e] >= im[e].lo && y[e] <= im[e].hi,
                   "%s F=%d element %zu: %.17g outside [%.17g, %.17g]",
                   zj_ops[op].name, F, e, y[e], im[e].lo, im[e].hi);
    }
  free (m); free (im); free (tmp); free (x); free (y);
  return ok;
}

static bool
modelled (int op)
{
  return op != ZJ_SCALAR_TAN_OP && op != ZJ_MATRIX_ROW_ST_DEV_OP
         && op != ZJ_VECTOR_ST_DEV_OP && op != ZJ_MATRIX_ST_DEV_OP
         && !zj_ops[op].random;
}

Test (shortcut, interval_rules_enclose_the_interpreter, .timeout = 600)
{
  zj_rng g;
  zj_rng_seed (&g, 4242);
  const int reps = zj_test_scale (3, 12);
  for (int op = 0; op < ZJ_NUM_OPS; op++)
    {
      if (zj_ops[op].random)
        continue;
      for (int F = 4; F <= 8; F *= 2)
        for (int k = 0; k < reps; k++)
          {
            /* Inside every domain: a modelled op must not give up. */
            const bool ok = sound_once (op, F, true, &g);
            cr_assert_eq (ok, modelled (op), "%s: modelled %d, gave %d",
                          zj_ops[op].name, modelled (op), ok);
            sound_once (op, F, false, &g);   /* mixed signs: may give up */
          }
    }
}

static bool
exec1 (int op, zj_ival a, zj_ival b, zj_ival *out)
{
  const zj_shape sh = { 4, NS, NV, NM };
  zj_layout lay;
  zj_layout_init (&lay, &sh);
  zj_ival m[512], tmp[48];
  cr_assert (lay.total <= 512);
  for (size_t e = 0; e < lay.total; e++)
    m[e] = (zj_ival) { 1, 1 };
  m[lay.s_off + 1] = a;
  m[lay.s_off + 2] = b;
  const zj_instr in = zj_test_ins (op, 1, 2, 3);
  const bool ok = zj_ival_exec (&in, &lay, m, tmp);
  *out = m[lay.s_off + 3];
  return ok;
}

Test (shortcut, interval_rules_give_up_outside_domains)
{
  zj_ival r;
  /* Divisor interval holding 0, log of non-positive, asin beyond 1. */
  cr_assert (!exec1 (ZJ_SCALAR_DIVISION_OP, (zj_ival) { 1, 2 },
                     (zj_ival) { -0.5, 0.5 }, &r));
  cr_assert (!exec1 (ZJ_SCALAR_DIVISION_OP, (zj_ival) { 1, 2 },
                     (zj_ival) { 0, 0.5 }, &r));
  cr_assert (!exec1 (ZJ_SCALAR_RECIPROCAL_OP, (zj_ival) { -1, 1 },
                     (zj_ival) { 0, 0 }, &r));
  cr_assert (!exec1 (ZJ_SCALAR_LOG_OP, (zj_ival) { 0, 2 },
                     (zj_ival) { 0, 0 }, &r));
  cr_assert (!exec1 (ZJ_SCALAR_ARCSIN_OP, (zj_ival) { 0.5, 1.5 },
                     (zj_ival) { 0, 0 }, &r));
  cr_assert (!exec1 (ZJ_SCALAR_ARCCOS_OP, (zj_ival) { -1.5, 0 },
                     (zj_ival) { 0, 0 }, &r));
  cr_assert (!exec1 (ZJ_SCALAR_TAN_OP, (zj_ival) { 0, 0.1 },
                     (zj_ival) { 0, 0 }, &r));
  /* Overflow and non-finite inputs. */
  cr_assert (!exec1 (ZJ_SCALAR_PRODUCT_OP, (zj_ival) { 1e200, 1e200 },
                     (zj_ival) { 1e200, 1e200 }, &r));
  cr_assert (!exec1 (ZJ_SCALAR_EXP_OP, (zj_ival) { 0, 1000 },
                     (zj_ival) { 0, 0 }, &r));
  cr_assert (!exec1 (ZJ_SCALAR_SUM_OP, (zj_ival) { 0, INFINITY },
                     (zj_ival) { 0, 0 }, &r));
  cr_assert (!exec1 (ZJ_SCALAR_SUM_OP, (zj_ival) { NAN, 1 },
                     (zj_ival) { 0, 0 }, &r));
  /* IEEE operations on points are exact; products take all corners. */
  cr_assert (exec1 (ZJ_SCALAR_SUM_OP, (zj_ival) { 0.1, 0.1 },
                    (zj_ival) { 0.2, 0.2 }, &r));
  cr_assert (r.lo == 0.1 + 0.2 && r.hi == 0.1 + 0.2);
  cr_assert (exec1 (ZJ_SCALAR_PRODUCT_OP, (zj_ival) { -2, 3 },
                    (zj_ival) { -5, 4 }, &r));
  cr_assert (r.lo == -15 && r.hi == 12);
  cr_assert (exec1 (ZJ_SCALAR_DIFF_OP, (zj_ival) { 1, 2 },
                    (zj_ival) { -1, 3 }, &r));
  cr_assert (r.lo == -2 && r.hi == 3);
  cr_assert (exec1 (ZJ_SCALAR_DIVISION_OP, (zj_ival) { -1, 2 },
                    (zj_ival) { 0.5, 4 }, &r));
  cr_assert (r.lo == -2 && r.hi == 4);
  cr_assert (exec1 (ZJ_SCALAR_HEAVYSIDE_OP, (zj_ival) { 0, 1 },
                    (zj_ival) { 0, 0 }, &r));
  cr_assert (r.lo == 1 && r.hi == 1);      /* >= 0: 0 maps to 1 */
  cr_assert (exec1 (ZJ_SCALAR_ABS_OP, (zj_ival) { -3, 2 },
                    (zj_ival) { 0, 0 }, &r));
  cr_assert (r.lo == 0 && r.hi == 3);
}

/* ----------------------------------------------------- data ranges */

/* The proof's feature and label ranges against one column at a time:
   NaN widens a column to [-inf, inf], infinities are kept, and between
   -0.0 and 0.0 the first one seen stays (all at F = 4, 16 and 32, where
   the ranges run eight columns at a time or one by one). */
Test (shortcut, data_ranges_match_a_column_scan)
{
  static const int Fs[] = { 4, 16, 32 };
  for (int fi = 0; fi < 3; fi++)
    {
      const int F = Fs[fi], nt = 3, ntr = 37, nva = 11;
      zj_task *ts = make_tasks (F, nt, ntr, nva, 1, ZJ_RMS_ERROR, false,
                                 77 + (uint64_t) F);
      /* Column 1 of task 0: -0.0 then 0.0 as its only extremes' rivals;
         column 2: a NaN; column 3: +inf; the labels of task 1: -inf. */
      for (int e = 0; e < ntr; e++)
        ts[0].train_x[(size_t) e * F + 1] = e == 3 ? -0.0 : e == 5 ? 0.0 : 1.0;
      ts[0].train_x[(size_t) 7 * F + 2] = NAN;
      ts[0].train_x[(size_t) 9 * F + 3] = INFINITY;
      ts[1].train_y[4] = -INFINITY;
      ts[2].valid_x[(size_t) 2 * F + F - 1] = NAN;
      zj_shape sh = { .F = F, .ns = 4, .nv = 3, .nm = 1 };
      zj_workspace *ws = zj_workspace_new (&sh);
      const zj_task *ptrs[3] = { &ts[0], &ts[1], &ts[2] };
      const double *r = zj_lane_ranges_get (ws, ptrs, nt, 8, NULL);
      for (int t = 0; t < nt; t++)
        for (int c = 0; c < 2 * F + 1; c++)
          {
            const double *col;
            int n, stride;
            if (c < F)
              col = ts[t].train_x + c, n = ntr, stride = F;
            else if (c == F)
              col = ts[t].train_y, n = ntr, stride = 1;
            else
              col = ts[t].valid_x + (c - F - 1), n = nva, stride = F;
            double lo = INFINITY, hi = -INFINITY;
            bool nan = false;
            for (int e = 0; e < n; e++)
              {
                const double v = col[(size_t) e * stride];
                if (isnan (v))
                  nan = true;
                else
                  {
                    if (v < lo) lo = v;
                    if (v > hi) hi = v;
                  }
              }
            if (nan)
              lo = -INFINITY, hi = INFINITY;
            const double *q = r + (size_t) t * (2 * F + 1) * 2 + 2 * c;
            cr_assert (memcmp (&q[0], &lo, sizeof lo) == 0
                       && memcmp (&q[1], &hi, sizeof hi) == 0,
                       "F=%d task %d column %d: [%g, %g], expected [%g, %g]",
                       F, t, c, q[0], q[1], lo, hi);
          }
      /* The cases above are really there. */
      const double *q0 = r;
      cr_assert (signbit (q0[2 * 1]) && q0[2 * 1] == 0.0,
                 "F=%d: -0.0 seen first must stay the minimum", F);
      cr_assert (q0[2 * 2] == -INFINITY && q0[2 * 2 + 1] == INFINITY);
      cr_assert (q0[2 * 3 + 1] == INFINITY && isfinite (q0[2 * 3]));
      zj_workspace_free (ws);
      zj_test_tasks_free (ts, nt);
    }
}
