/* test_jit_locals.c -- values the JIT keeps in locals (Learn's step
 * locals, the feature row) reach memory as the interpreter leaves it. */
#include <criterion/criterion.h>
#include "testutil.h"
#include "jitutil.h"

/* ------------------------------------------------------- step locals */
/* The README's two-layer network: Learn writes s4, v6, v7, v8 and the
   outer product m1 before reading them and Predict never names them, so the
   train loop keeps them out of memory except in the last step (lower.c,
   step_locals).  The final memory must still hold the last Learn's values:
   after a complete run, and after an abort at step 11, where they are step
   10's and the native code is replayed (zj_jit_run_task). */
static void
nn_program (zj_program *p)
{
  zj_program_init (p);
  zj_fn *s = &p->fn[ZJ_SETUP], *pr = &p->fn[ZJ_PREDICT], *l = &p->fn[ZJ_LEARN];
  zj_fn_push (s, rnd (ZJ_VECTOR_GAUSSIAN_SET_OP, 2, 0, 0.1f));
  zj_fn_push (s, rnd (ZJ_MATRIX_GAUSSIAN_SET_OP, 0, 0, 0.1f));
  zj_fn_push (s, rnd (ZJ_SCALAR_UNIFORM_SET_OP, 3, 0.001f, 0.01f));
  zj_test_nn_step (pr, l);
}

static void
nn_final_memory (const char *isa)
{
  zj_jit *jit = new_jit (isa, 0);
  static const int Fs[] = { 4, 8, 16, 32 };
  for (size_t fi = 0; fi < sizeof Fs / sizeof *Fs; fi++)
    for (int abort_run = 0; abort_run < 2; abort_run++)
      {
        const zj_shape shape = { Fs[fi], 5, 9, 2 };
        zj_program p;
        nn_program (&p);
        zj_prepared *pp = zj_test_prepare (&p, &shape, true);
        zj_task *t = make_task (shape.F, 40, 10, 2, ZJ_RMS_ERROR, false, 77 + fi);
        if (abort_run)
          t->train_y[t->order[10]] = 1e300;   /* step 11 errs by ~1e300 */
        zj_eval_opts o;
        zj_eval_opts_default (&o);
        zj_eval_result r = { 0 };
        zj_workspace *ws = zj_workspace_new (&shape);
        zj_rng rng;
        zj_rng_seed (&rng, 5);
        zj_interp_eval_task (pp, t, &o, &rng, ws, &r);
        zj_workspace_free (ws);
        cr_assert_eq (r.aborted, abort_run != 0, "F=%d", shape.F);
        cr_assert_eq (r.train_steps, abort_run ? 11 : 80, "F=%d", shape.F);
        zj_error err;
        zj_jit_entry *e = zj_jit_get (jit, pp, ZJ_RMS_ERROR, &err);
        cr_assert_not_null (e, "%s", err.msg);
        char what[48];
        snprintf (what, sizeof what, "nn F=%d%s", shape.F, abort_run ? " aborted" : "");
        cr_expect (compare_pp (jit, e, pp, &shape, t, &o, 5, what), "%s", what);
        /* Two tasks interleaved (zj_jit_eval_pair): this one and one on
           other data; an abort in either runs them one after the other,
           in either position. */
        zj_task *u = make_task (shape.F, 40, 10, 2, ZJ_RMS_ERROR, false, 177 + fi);
        for (int swap = 0; swap < 2; swap++)
          {
            int paired = 0;
            snprintf (what, sizeof what, "nn pair F=%d%s%s", shape.F,
                      abort_run ? " aborted" : "", swap ? " second" : "");
            cr_expect (compare_pair (e, pp, &shape, swap ? u : t, swap ? t : u, &o, 5,
                                     what, &paired), "%s", what);
            cr_expect_eq (paired, !abort_run, "%s", what);
          }
        free_task (u);
        zj_jit_release (jit, e);
        zj_prepared_free (pp);
        zj_program_free (&p);
        free_task (t);
      }
  zj_jit_free (jit);
}

Test (jit_step_locals, nn_final_memory, .timeout = 300) { nn_final_memory ("auto"); }
/* The same network in 512-bit chunks (F = 8, 16, 32). */
Test (jit_step_locals, nn_final_memory_zmm, .timeout = 300)
{
  if (!have_avx512 ())
    cr_skip_test ("no AVX-512 on this CPU");
  nn_final_memory ("avx512z");
}

/* ------------------------------------------------------ feature row */
/* While v0 still holds the example's features, the lowering reads its
   elements (the broadcasts of matrix-vector and outer products) from the
   feature row (lower.c, zl_velem); once an instruction writes v0, from
   v0.  Each component reads v0's elements both before and after writing
   it; Learn starts again from the features. */
static void
row_program (zj_program *p)
{
  zj_program_init (p);
  zj_fn *s = &p->fn[ZJ_SETUP], *pr = &p->fn[ZJ_PREDICT], *l = &p->fn[ZJ_LEARN];
  zj_fn_push (s, rnd (ZJ_VECTOR_GAUSSIAN_SET_OP, 1, 0, 0.5f));
  zj_fn_push (s, rnd (ZJ_MATRIX_GAUSSIAN_SET_OP, 0, 0, 0.1f));
  zj_fn_push (s, rnd (ZJ_SCALAR_UNIFORM_SET_OP, 3, 0.001f, 0.01f));
  zj_fn_push (pr, ins (ZJ_MATRIX_VECTOR_PRODUCT_OP, 0, 0, 3));   /* row */
  zj_fn_push (pr, ins (ZJ_VECTOR_SUM_OP, 0, 1, 0));              /* v0 written */
  zj_fn_push (pr, ins (ZJ_MATRIX_VECTOR_PRODUCT_OP, 0, 0, 4));   /* v0 */
  zj_fn_push (pr, ins (ZJ_VECTOR_INNER_PRODUCT_OP, 3, 4, 1));
  zj_fn_push (l, ins (ZJ_SCALAR_DIFF_OP, 0, 1, 4));
  zj_fn_push (l, ins (ZJ_SCALAR_PRODUCT_OP, 3, 4, 4));
  zj_fn_push (l, ins (ZJ_SCALAR_VECTOR_PRODUCT_OP, 4, 1, 5));
  zj_fn_push (l, ins (ZJ_VECTOR_OUTER_PRODUCT_OP, 5, 0, 1));     /* row */
  zj_fn_push (l, ins (ZJ_VECTOR_PRODUCT_OP, 0, 1, 0));           /* v0 written */
  zj_fn_push (l, ins (ZJ_VECTOR_OUTER_PRODUCT_OP, 5, 0, 2));     /* v0 */
  zj_fn_push (l, ins (ZJ_MATRIX_SUM_OP, 0, 1, 0));
  zj_fn_push (l, ins (ZJ_MATRIX_DIFF_OP, 0, 2, 0));
}

static void
row_cases (const char *isa)
{
  zj_jit *jit = new_jit_opt (isa, 0, 0);   /* -O0: see OP_GROUP */
  static const int Fs[] = { 4, 8, 16, 32 };
  for (size_t fi = 0; fi < sizeof Fs / sizeof *Fs; fi++)
    for (int et = 0; et < 2; et++)
      {
        const zj_shape shape = { Fs[fi], 5, 6, 3 };
        const zj_eval_type type = et ? ZJ_ACCURACY : ZJ_RMS_ERROR;
        zj_program p;
        row_program (&p);
        zj_prepared *pp = zj_test_prepare (&p, &shape, true);
        zj_task *t = make_task (shape.F, 30, 10, 2, type, false, 91 + fi);
        zj_eval_opts o;
        zj_eval_opts_default (&o);
        o.record_errors = 4;
        zj_error err;
        zj_jit_entry *e = zj_jit_get (jit, pp, type, &err);
        cr_assert_not_null (e, "%s", err.msg);
        char what[48];
        snprintf (what, sizeof what, "row program %s F=%d %s", isa, shape.F,
                  et ? "ACCURACY" : "RMS");
        cr_expect (compare_pp (jit, e, pp, &shape, t, &o, 9, what), "%s", what);
        zj_jit_release (jit, e);
        zj_prepared_free (pp);
        zj_program_free (&p);
        free_task (t);
      }
  zj_jit_free (jit);
}

/* Predict and Learn that never write v0 read it from per-step locals and
   the end copies the last example's row into memory (lower.c,
   feature_locals); with no example at all, memory keeps Setup's v0. */
static void
setup_v0_cases (const char *isa)
{
  zj_jit *jit = new_jit_opt (isa, 0, 0);
  static const int Fs[] = { 4, 8, 16 };
  for (size_t fi = 0; fi < sizeof Fs / sizeof *Fs; fi++)
    for (int steps = 0; steps < 3; steps++)
      {
        const zj_shape shape = { Fs[fi], 5, 9, 2 };
        zj_program p;
        nn_program (&p);
        zj_fn_push (&p.fn[ZJ_SETUP], rnd (ZJ_VECTOR_GAUSSIAN_SET_OP, 0, 0, 1));
        zj_prepared *pp = zj_test_prepare (&p, &shape, true);
        zj_task *t = make_task (shape.F, 20, 5, 2, ZJ_RMS_ERROR, false, 17 + fi);
        zj_eval_opts o;
        zj_eval_opts_default (&o);
        o.n_all_train = steps == 2 ? -1 : steps;   /* none, one, all */
        o.n_valid = steps == 2 ? -1 : 0;
        zj_error err;
        zj_jit_entry *e = zj_jit_get (jit, pp, ZJ_RMS_ERROR, &err);
        cr_assert_not_null (e, "%s", err.msg);
        char what[64];
        snprintf (what, sizeof what, "setup v0 %s F=%d steps %d", isa, shape.F, steps);
        cr_expect (compare_pp (jit, e, pp, &shape, t, &o, 3, what), "%s", what);
        zj_jit_release (jit, e);
        zj_prepared_free (pp);
        zj_program_free (&p);
        free_task (t);
      }
  zj_jit_free (jit);
}

Test (jit_row, setup_v0_without_examples, .timeout = 300)
{
  setup_v0_cases ("avx2");
  if (have_avx512 ())
    setup_v0_cases ("avx512z");
}

Test (jit_row, written_features, .timeout = 300)
{
  row_cases ("avx2");
  row_cases ("sse2");
  if (have_avx512 ())
    {
      row_cases ("avx512");
      row_cases ("avx512z");
    }
}
