/* test_executor.c -- executor semantics of the interpreter (doc/semantics.md, "Executor").
 *
 * Small hand-built programs keep counters in memory (how often Setup,
 * Predict and Learn ran, which labels and features they saw); the final
 * memory and the fitness are then compared with hand-computed values.
 */
#include <criterion/criterion.h>
#include <math.h>
#include "testutil.h"
#include "internal.h"

static const zj_shape shape = { 2, 10, 4, 1 };

/* Scalars used by the counting program. */
enum { ONE = 6, SETUP_RUNS = 8, PREDICT_RUNS = 7, LEARN_RUNS = 5,
       PREDICT_S0_SUM = 3, LEARN_S0_SUM = 4 };

typedef struct {
  zj_program p;
  zj_task *t;
  zj_eval_opts o;
  zj_eval_result res;
  double *mem;                  /* copy of the final memory */
  zj_layout lay;
} run_t;

static zj_instr
cset (int out, double x)
{
  zj_instr in = zj_test_ins (ZJ_SCALAR_CONST_SET_OP, 0, 0, out);
  in.act = x;
  return in;
}

static void
push (run_t *r, int comp, zj_instr in)
{
  zj_fn_push (&r->p.fn[comp], in);
}

static void
run_init (run_t *r)
{
  memset (r, 0, sizeof *r);
  zj_program_init (&r->p);
  zj_eval_opts_default (&r->o);
}

/* Evaluates r->p on r->t (not pruned) and keeps the final memory. */
static double
run_eval (run_t *r)
{
  zj_prepared *pp = zj_test_prepare (&r->p, &shape, false);
  zj_workspace *ws = zj_workspace_new (&shape);
  zj_rng rng;
  zj_rng_seed (&rng, 3);
  double f = zj_interp_eval_task (pp, r->t, &r->o, &rng, ws, &r->res);
  cr_assert_eq (f, r->res.fitness);
  size_t len;
  const double *mem = zj_workspace_memory (ws, &len);
  free (r->mem);
  r->mem = malloc (len * sizeof *mem);
  memcpy (r->mem, mem, len * sizeof *mem);
  zj_layout_init (&r->lay, &shape);
  zj_workspace_free (ws);
  zj_prepared_free (pp);
  return f;
}

static void
run_free (run_t *r)
{
  zj_program_free (&r->p);
  if (r->t)
    {
      zj_task_free (r->t);
      free (r->t);
    }
  free (r->mem);
}

static double
S (const run_t *r, int a)
{
  return r->mem[r->lay.s_off + a];
}

static double
V (const run_t *r, int a, int i)
{
  return r->mem[r->lay.v_off + (size_t) a * shape.F + i];
}

static double
rms_fit (double loss, int n)
{
  return 1.0 - (2.0 / M_PI) * atan (sqrt (loss / n));
}

/* Counting program: predicts 0 (= s0 during Predict), records what each
   component saw, and clobbers v0 at the end of Predict. */
static void
counting_program (run_t *r)
{
  push (r, ZJ_SETUP, cset (ONE, 1.0));
  push (r, ZJ_SETUP, zj_test_ins (ZJ_SCALAR_SUM_OP, SETUP_RUNS, ONE, SETUP_RUNS));
  push (r, ZJ_PREDICT, zj_test_ins (ZJ_SCALAR_SUM_OP, PREDICT_RUNS, ONE, PREDICT_RUNS));
  push (r, ZJ_PREDICT, zj_test_ins (ZJ_SCALAR_SUM_OP, PREDICT_S0_SUM, 0, PREDICT_S0_SUM));
  push (r, ZJ_PREDICT, zj_test_ins (ZJ_VECTOR_SUM_OP, 1, 0, 1));   /* v1 += v0 */
  push (r, ZJ_PREDICT, zj_test_ins (ZJ_SCALAR_PRODUCT_OP, 0, ONE, 1)); /* s1 = s0 */
  push (r, ZJ_PREDICT, zj_test_ins (ZJ_SCALAR_BROADCAST_OP, ONE, 0, 0)); /* v0 = 1 */
  push (r, ZJ_LEARN, zj_test_ins (ZJ_SCALAR_SUM_OP, LEARN_RUNS, ONE, LEARN_RUNS));
  push (r, ZJ_LEARN, zj_test_ins (ZJ_SCALAR_SUM_OP, LEARN_S0_SUM, 0, LEARN_S0_SUM));
  push (r, ZJ_LEARN, zj_test_ins (ZJ_VECTOR_SUM_OP, 2, 0, 2));     /* v2 += v0 */
}

static const double trx[] = { 1, 2, 3, 4, 5, 6 }, try_[] = { 0.5, -1, 2 };
static const double vax[] = { 10, 20, 30, 40 }, vay[] = { 1, 3 };

Test (executor, what_each_component_sees)
{
  run_t r;
  run_init (&r);
  counting_program (&r);
  r.t = zj_test_task (2, 3, trx, try_, 2, vax, vay, 2, ZJ_RMS_ERROR);
  double f = run_eval (&r);
  cr_assert_eq (S (&r, SETUP_RUNS), 1.0, "Setup runs once");
  cr_assert_eq (S (&r, PREDICT_RUNS), 3 * 2 + 2 * 2, "Predict: train + valid, both epochs");
  cr_assert_eq (S (&r, LEARN_RUNS), 3 * 2, "Learn only in training");
  cr_assert_eq (S (&r, PREDICT_S0_SUM), 0.0, "label hidden from Predict");
  cr_assert_eq (S (&r, LEARN_S0_SUM), 2 * (0.5 - 1 + 2), "Learn sees the label");
  /* Learn sees the features even though Predict overwrote v0. */
  cr_assert_eq (V (&r, 2, 0), 2 * (1 + 3 + 5));
  cr_assert_eq (V (&r, 2, 1), 2 * (2 + 4 + 6));
  cr_assert_eq (V (&r, 1, 0), 2 * (1 + 3 + 5) + 2 * (10 + 30));
  cr_assert_eq (V (&r, 1, 1), 2 * (2 + 4 + 6) + 2 * (20 + 40));
  cr_assert_eq (r.res.train_steps, 6);
  cr_assert (!r.res.aborted);
  cr_assert_float_eq (f, rms_fit (1 + 9, 2), 1e-15);
  run_free (&r);
}

/* Predict: s1 = s2; Learn: s2 += s3.  Setup gives s2, s3. */
static void
drift_program (run_t *r, double start, double step)
{
  push (r, ZJ_SETUP, cset (2, start));
  push (r, ZJ_SETUP, cset (3, step));
  push (r, ZJ_PREDICT, zj_test_ins (ZJ_SCALAR_SUM_OP, 2, 9, 1));
  push (r, ZJ_LEARN, zj_test_ins (ZJ_SCALAR_SUM_OP, 2, 3, 2));
}

static const double zeros[8] = { 0 };

Test (executor, best_epoch_is_kept)
{
  /* Validation predictions after epochs 1, 2, 3: -30, 0, 30. */
  run_t r;
  run_init (&r);
  drift_program (&r, -60, 30);
  r.t = zj_test_task (2, 1, zeros, zeros, 1, zeros, zeros, 3, ZJ_RMS_ERROR);
  cr_assert_eq (run_eval (&r), 1.0);
  cr_assert_eq (r.res.train_steps, 3);
  cr_assert_eq (S (&r, 2), 30.0, "memory persists across epochs");
  run_free (&r);
}

Test (executor, abort_in_later_epoch_keeps_best)
{
  /* Epoch k trains with prediction 30(k-1), validates with 30k; validation
     at 120 aborts (fitness 0 for it), training at 120 aborts the run. */
  run_t r;
  run_init (&r);
  drift_program (&r, 0, 30);
  r.t = zj_test_task (2, 1, zeros, zeros, 1, zeros, zeros, 10, ZJ_RMS_ERROR);
  double f = run_eval (&r);
  cr_assert_float_eq (f, rms_fit (900, 1), 1e-15);
  cr_assert (r.res.aborted);
  cr_assert_eq (r.res.train_steps, 5, "the aborting step is counted");
  run_free (&r);
}

Test (executor, abort_in_first_epoch_gives_zero)
{
  run_t r;
  run_init (&r);
  drift_program (&r, 0, 0);
  const double y[] = { 0, 100, 100.5, 0 };    /* |err| 100 is allowed */
  r.t = zj_test_task (2, 4, zeros, y, 1, zeros, zeros, 2, ZJ_RMS_ERROR);
  cr_assert_eq (run_eval (&r), 0.0);
  cr_assert (r.res.aborted);
  cr_assert_eq (r.res.train_steps, 3);
  run_free (&r);

  /* A custom threshold. */
  run_init (&r);
  drift_program (&r, 0, 0);
  r.o.max_abs_error = 99.0;
  r.t = zj_test_task (2, 4, zeros, y, 1, zeros, zeros, 2, ZJ_RMS_ERROR);
  cr_assert_eq (run_eval (&r), 0.0);
  cr_assert_eq (r.res.train_steps, 2);
  run_free (&r);
}

Test (executor, nan_prediction_aborts)
{
  run_t r;
  run_init (&r);
  push (&r, ZJ_PREDICT, zj_test_ins (ZJ_SCALAR_DIVISION_OP, 0, 0, 1)); /* 0/0 */
  r.t = zj_test_task (2, 3, zeros, zeros, 1, zeros, zeros, 1, ZJ_RMS_ERROR);
  cr_assert_eq (run_eval (&r), 0.0);
  cr_assert (r.res.aborted);
  cr_assert_eq (r.res.train_steps, 1);
  run_free (&r);
}

/* Predict: s1 = dot(v1, v0) with v1 = (1, 0): the logit is feature 0.
   Learn: s3 = s1 (what Learn sees). */
static void
logit_program (run_t *r)
{
  zj_instr w = zj_test_ins (ZJ_VECTOR_CONST_SET_OP, 0, 0, 1);
  w.fd[0] = 0.25f;
  w.fd[1] = 1.0f;
  push (r, ZJ_SETUP, w);
  push (r, ZJ_PREDICT, zj_test_ins (ZJ_VECTOR_INNER_PRODUCT_OP, 1, 0, 1));
  push (r, ZJ_LEARN, zj_test_ins (ZJ_SCALAR_SUM_OP, 1, 9, 3));
}

Test (executor, accuracy_sigmoid_and_fitness)
{
  run_t r;
  run_init (&r);
  logit_program (&r);
  const double tx[] = { 0.7, 0 }, ty[] = { 1 };
  /* Logits 2, -1, 0, 3, -0.5, 0: logit 0 means p = 0.5, i.e. negative. */
  const double vx[] = { 2, 0, -1, 0, 0, 0, 3, 0, -0.5, 0, 0, 0 };
  const double vy[] = { 1, 1, 0, 0, 0, 1 };
  double verr[6], terr[6];
  r.res.valid_err = verr;
  r.res.train_err = terr;
  r.o.record_errors = 6;
  r.t = zj_test_task (2, 1, tx, ty, 6, vx, vy, 1, ZJ_ACCURACY);
  double f = run_eval (&r);
  cr_assert_eq (f, 1.0 - 3.0 / 6.0);
  cr_assert_float_eq (S (&r, 3), 1.0 / (1.0 + exp (-0.7)), 1e-15,
                      "Learn sees sigmoid(s1)");
  cr_assert_eq (S (&r, 1), 0.0, "validation leaves the raw logit in s1");
  cr_assert_eq (r.res.n_train_err, 1);
  cr_assert_float_eq (terr[0], 1.0 - 1.0 / (1.0 + exp (-0.7)), 1e-15);
  cr_assert_eq (r.res.n_valid_err, 6);
  const double want[] = { 0, 1, 0, 1, 0, 1 };
  for (int i = 0; i < 6; i++)
    cr_assert_eq (verr[i], want[i], "valid error %d", i);
  run_free (&r);
}

Test (executor, accuracy_nan_logit)
{
  /* NaN in training aborts; in validation it scores as "negative". */
  run_t r;
  run_init (&r);
  logit_program (&r);
  const double tx[] = { 0.5, 0 }, ty[] = { 1 };
  const double vx[] = { NAN, 0, NAN, 0 }, vy[] = { 0, 1 };
  r.t = zj_test_task (2, 1, tx, ty, 2, vx, vy, 1, ZJ_ACCURACY);
  cr_assert_eq (run_eval (&r), 0.5);
  cr_assert (!r.res.aborted);
  run_free (&r);

  run_init (&r);
  logit_program (&r);
  r.t = zj_test_task (2, 2, vx, vy, 2, vx, vy, 1, ZJ_ACCURACY);
  cr_assert_eq (run_eval (&r), 0.0);
  cr_assert (r.res.aborted);
  cr_assert_eq (r.res.train_steps, 1);
  run_free (&r);
}

Test (executor, rms_fitness_formula)
{
  cr_assert_eq (zj_rms_fitness (0.0, 5), 1.0);
  cr_assert_float_eq (zj_rms_fitness (8.0, 2), 1.0 - (2.0 / M_PI) * atan (2.0), 1e-15);
  cr_assert_float_eq (zj_rms_fitness (1e-8, 1), 1.0 - (2.0 / M_PI) * 1e-4, 1e-12);
  cr_assert_eq (zj_rms_fitness (INFINITY, 3), 0.0);
  cr_assert_eq (zj_rms_fitness (NAN, 3), 0.0);
  cr_assert_float_eq (zj_sigmoid (0.0), 0.5, 1e-16);
}

Test (executor, n_all_train_limits_steps)
{
  run_t r;
  run_init (&r);
  counting_program (&r);
  r.o.n_all_train = 4;   /* one full epoch of 3, then 1 step */
  r.t = zj_test_task (2, 3, trx, try_, 2, vax, vay, 5, ZJ_RMS_ERROR);
  run_eval (&r);
  cr_assert_eq (r.res.train_steps, 4);
  cr_assert_eq (S (&r, LEARN_RUNS), 4);
  cr_assert_eq (S (&r, PREDICT_RUNS), 4 + 2 * 2, "validated after each chunk");
  cr_assert_eq (S (&r, LEARN_S0_SUM), 0.5 - 1 + 2 + 0.5);
  run_free (&r);

  run_init (&r);
  counting_program (&r);
  r.o.n_all_train = 0;
  r.t = zj_test_task (2, 3, trx, try_, 2, vax, vay, 5, ZJ_RMS_ERROR);
  cr_assert_eq (run_eval (&r), 0.0);
  cr_assert_eq (r.res.train_steps, 0);
  cr_assert_eq (S (&r, SETUP_RUNS), 1.0);
  cr_assert_eq (S (&r, PREDICT_RUNS), 0.0);
  run_free (&r);
}

Test (executor, n_valid_divides_by_full_size)
{
  run_t r;
  run_init (&r);
  counting_program (&r);
  const double vy[] = { 1, 1, 5, 5 }, vx[8] = { 0 };
  r.o.n_valid = 2;
  r.t = zj_test_task (2, 3, trx, try_, 4, vx, vy, 1, ZJ_RMS_ERROR);
  double f = run_eval (&r);
  cr_assert_float_eq (f, rms_fit (2.0, 4), 1e-15);
  cr_assert_eq (S (&r, PREDICT_RUNS), 3 + 2);
  run_free (&r);

  /* Accuracy: one of two validated examples wrong, out of 4 in the set. */
  run_init (&r);
  logit_program (&r);
  const double ax[] = { 1, 0, 1, 0, 1, 0, 1, 0 }, ay[] = { 1, 0, 1, 1 };
  r.o.n_valid = 2;
  r.t = zj_test_task (2, 1, ax, ay, 4, ax, ay, 1, ZJ_ACCURACY);
  cr_assert_eq (run_eval (&r), 1.0 - 1.0 / 4.0);
  run_free (&r);
}

Test (executor, record_errors)
{
  run_t r;
  run_init (&r);
  counting_program (&r);      /* predicts 0 */
  const double ty[] = { 0.5, 1.5, 2.5, 3.5 }, tx[8] = { 0 };
  const double vy[] = { 0.25, -0.75 };
  double te[3] = { -1, -1, -1 }, ve[3] = { -1, -1, -1 };
  r.o.record_errors = 3;
  r.res.train_err = te;
  r.res.valid_err = ve;
  r.t = zj_test_task (2, 4, tx, ty, 2, tx, vy, 1, ZJ_RMS_ERROR);
  run_eval (&r);
  cr_assert_eq (r.res.n_train_err, 3);
  cr_assert_eq (te[0], 0.5);
  cr_assert_eq (te[1], 1.5);
  cr_assert_eq (te[2], 2.5);
  cr_assert_eq (r.res.n_valid_err, 2);
  cr_assert_eq (ve[0], 0.25);
  cr_assert_eq (ve[1], 0.75);
  cr_assert_eq (ve[2], -1, "nothing written past the recorded count");
  run_free (&r);

  /* Aborting errors are not recorded. */
  run_init (&r);
  counting_program (&r);
  const double by[] = { 0.5, 500 }, bvy[] = { 0.25, 500 };
  r.o.record_errors = 3;
  r.res.train_err = te;
  r.res.valid_err = ve;
  r.t = zj_test_task (2, 1, tx, by, 2, tx, bvy, 1, ZJ_RMS_ERROR);
  cr_assert_eq (run_eval (&r), 0.0, "validation abort gives 0");
  cr_assert_eq (r.res.n_train_err, 1);
  cr_assert_eq (r.res.n_valid_err, 1);
  zj_task_free (r.t);
  free (r.t);
  r.t = zj_test_task (2, 2, tx, by, 2, tx, bvy, 1, ZJ_RMS_ERROR);
  run_eval (&r);
  cr_assert_eq (r.res.n_train_err, 1);
  cr_assert_eq (r.res.n_valid_err, 0);
  cr_assert (r.res.aborted);
  run_free (&r);
}

Test (executor, combine_fitness)
{
  const double f4[] = { 0.1, 0.9, 0.5, 0.3 }, f3[] = { 0.9, 0.1, 0.4 };
  cr_assert_eq (zj_combine_fitness (f4, 4, ZJ_COMBINE_MEDIAN), 0.5, "upper median");
  cr_assert_eq (zj_combine_fitness (f3, 3, ZJ_COMBINE_MEDIAN), 0.4);
  cr_assert_float_eq (zj_combine_fitness (f4, 4, ZJ_COMBINE_MEAN), 0.45, 1e-15);
  cr_assert_float_eq (zj_combine_fitness (f3, 3, ZJ_COMBINE_MEAN), 1.4 / 3, 1e-15);
  cr_assert_eq (zj_combine_fitness (f4, 1, ZJ_COMBINE_MEDIAN), 0.1);
  cr_assert_eq (zj_combine_fitness (f4, 0, ZJ_COMBINE_MEAN), 0.0);
  cr_assert_eq (f4[0], 0.1, "input not reordered");
}

Test (executor, fresh_memory_per_evaluation)
{
  /* The same workspace evaluated twice starts from zeros each time. */
  run_t r;
  run_init (&r);
  counting_program (&r);
  r.t = zj_test_task (2, 3, trx, try_, 2, vax, vay, 1, ZJ_RMS_ERROR);
  zj_error err;
  zj_prepared *pp = zj_prepare (&r.p, &shape, true, &err);
  zj_workspace *ws = zj_workspace_new (&shape);
  zj_rng rng;
  zj_rng_seed (&rng, 1);
  double f1 = zj_interp_eval_task (pp, r.t, NULL, &rng, ws, NULL);
  double f2 = zj_interp_eval_task (pp, r.t, NULL, &rng, ws, NULL);
  cr_assert_eq (f1, f2);
  cr_assert_float_eq (f1, rms_fit (1 + 9, 2), 1e-15);
  zj_workspace_free (ws);
  zj_prepared_free (pp);
  run_free (&r);
}
