/* testutil.h -- small helpers shared by the Criterion suites. */
#ifndef ZJ_TESTUTIL_H
#define ZJ_TESTUTIL_H
#include <zerojit/zerojit.h>
#include <zerojit/search.h>
#include <signal.h>
#include <string.h>
#include <stdlib.h>

/* Two tiers: `make check` is the quick one (every module, under a minute
   on 2 cores); `make check-full` (./run_tests.sh, CI) sets ZJ_TEST_FULL=1
   and adds the long searches, statistical tests and big random sweeps.
   A test picks its size with zj_test_scale, or skips itself in the quick
   tier with ZJ_TEST_FULL_ONLY (). */
static inline int
zj_test_full (void)
{
  const char *s = getenv ("ZJ_TEST_FULL");
  return s && *s && strcmp (s, "0") != 0;
}

static inline int
zj_test_scale (int quick, int full)
{
  return zj_test_full () ? full : quick;
}

#define ZJ_TEST_FULL_ONLY() \
  do { if (!zj_test_full ()) \
         cr_skip_test ("full tier only (make check-full)"); } while (0)

/* A matrix-vector-heavy program (products reading the example row, a
   vector written in place in Predict and in Learn, matrices that start at
   zero and change every step): test_lanes_matvec and test_stencil run it. */
/* The paper search's best program (Fashion-MNIST, F = 16, seed 1000060
   at 1000 M steps; bench/layout/paper_best.txt): a matrix read by a
   product in Predict, written by neither Predict nor Learn. */
#define ZJ_TEST_PAPER_BEST \
  "def Setup():\n" \
  "  s2 = gaussian(-0.340567, 0.879449)\n" \
  "  s3 = gaussian(0.0525331, 0.68334)\n" \
  "  m1 = uniform(0.562075, -0.395322, (n_features, n_features))\n" \
  "  s3 = gaussian(0.887753, 0.928002)\n" \
  "def Predict():\n" \
  "  v5 = v3 + v6\n" \
  "  v8 = maximum(v3, v5)\n" \
  "  v2 = dot(m1, v7)\n" \
  "  s3 = dot(v7, v3)\n" \
  "  v7 = v4 + v1\n" \
  "  s1 = dot(v0, v8)\n" \
  "  v5 = v4 + v3\n" \
  "def Learn():\n" \
  "  s1 = s4 - s1\n" \
  "  v4 = v2 * v7\n" \
  "  v6 = s3 * v4\n" \
  "  v3 = v2 + v5\n" \
  "  s1 = s0 + s1\n" \
  "  v4 = s1 * v0\n"

#define ZJ_TEST_MATVEC_PROGRAM \
  "def Setup():\n" \
  "  s2 = 0.01\n" \
  "def Predict():\n" \
  "  v2 = dot(m0, v0)\n" \
  "  v3 = dot(m1, v2)\n" \
  "  v3 = dot(m1, v3)\n" \
  "  s1 = dot(v3, v0)\n" \
  "def Learn():\n" \
  "  s3 = s0 - s1\n" \
  "  s3 = s2 * s3\n" \
  "  v1 = s3 * v0\n" \
  "  m2 = outer(v1, v0)\n" \
  "  m0 = m0 + m2\n" \
  "  m2 = outer(v0, v2)\n" \
  "  m1 = m1 + m2\n" \
  "  v1 = dot(m0, v1)\n"

static inline zj_instr
zj_test_ins (int op, int in1, int in2, int out)
{
  zj_instr i;
  memset (&i, 0, sizeof i);
  i.op = (uint16_t) op;
  i.in1 = (uint16_t) in1;
  i.in2 = (uint16_t) in2;
  i.out = (uint16_t) out;
  return i;
}

/* The two-layer network's Predict and Learn (examples/programs/
   neural_net.txt: m0, v1 first layer, v2 and s2 output, s3 the rate, v5
   zero), for programs built in C by tests and bench/ with their own
   Setup. */
static inline void
zj_test_nn_step (zj_fn *pr, zj_fn *l)
{
  static const short step[][4] = {
    { ZJ_MATRIX_VECTOR_PRODUCT_OP, 0, 0, 3 }, { ZJ_VECTOR_SUM_OP, 3, 1, 3 },
    { ZJ_VECTOR_MAX_OP, 3, 5, 4 }, { ZJ_VECTOR_INNER_PRODUCT_OP, 4, 2, 1 },
    { ZJ_SCALAR_SUM_OP, 1, 2, 1 },
    /* Learn */
    { ZJ_SCALAR_DIFF_OP, 0, 1, 4 }, { ZJ_SCALAR_PRODUCT_OP, 3, 4, 4 },
    { ZJ_SCALAR_SUM_OP, 2, 4, 2 }, { ZJ_SCALAR_VECTOR_PRODUCT_OP, 4, 4, 6 },
    { ZJ_VECTOR_SUM_OP, 2, 6, 2 }, { ZJ_SCALAR_VECTOR_PRODUCT_OP, 4, 2, 7 },
    { ZJ_VECTOR_HEAVYSIDE_OP, 3, 0, 8 }, { ZJ_VECTOR_PRODUCT_OP, 8, 7, 7 },
    { ZJ_VECTOR_SUM_OP, 1, 7, 1 }, { ZJ_VECTOR_OUTER_PRODUCT_OP, 7, 0, 1 },
    { ZJ_MATRIX_SUM_OP, 0, 1, 0 } };
  for (int i = 0; i < (int) (sizeof step / sizeof *step); i++)
    zj_fn_push (i < 5 ? pr : l,
                zj_test_ins (step[i][0], step[i][1], step[i][2], step[i][3]));
}

/* A task with given train/valid arrays (copied); order = identity per epoch. */
static inline zj_task *
zj_test_task (int F, int ntr, const double *trx, const double *try_,
              int nva, const double *vax, const double *vay, int epochs,
              zj_eval_type et)
{
  zj_task *t = calloc (1, sizeof *t);
  t->F = F; t->n_train = ntr; t->n_valid = nva; t->epochs = epochs;
  t->eval_type = et;
  t->train_x = malloc (sizeof (double) * (size_t) (ntr * F + 1));
  t->train_y = malloc (sizeof (double) * (size_t) (ntr + 1));
  t->valid_x = malloc (sizeof (double) * (size_t) (nva * F + 1));
  t->valid_y = malloc (sizeof (double) * (size_t) (nva + 1));
  memcpy (t->train_x, trx, sizeof (double) * (size_t) (ntr * F));
  memcpy (t->train_y, try_, sizeof (double) * (size_t) ntr);
  memcpy (t->valid_x, vax, sizeof (double) * (size_t) (nva * F));
  memcpy (t->valid_y, vay, sizeof (double) * (size_t) nva);
  t->order = malloc (sizeof (int) * (size_t) (ntr * epochs + 1));
  for (int e = 0; e < epochs; e++)
    for (int i = 0; i < ntr; i++)
      t->order[e * ntr + i] = i;
  return t;
}

/* Shuffle epochs 1.. of t's order (epoch 0 stays the identity). */
static inline void
zj_test_shuffle_epochs (zj_task *t, zj_rng *r)
{
  const int ntr = t->n_train;
  for (int e = 1; e < t->epochs; e++)
    for (int i = ntr - 1; i > 0; i--)
      {
        int j = (int) zj_rng_below (r, (uint32_t) i + 1);
        int tmp = t->order[e * ntr + i];
        t->order[e * ntr + i] = t->order[e * ntr + j];
        t->order[e * ntr + j] = tmp;
      }
}

/* nt tasks with the same counts: normal features, labels x0 - x1
   (RMS_ERROR) or x0 > 0 (ACCURACY), later epochs shuffled per task.
   Task k % 4 == 3 has labels 1e3 times larger (aborts in training); with
   valid_outlier, task k % 5 == 4 also has one huge validation label at
   index 4 (RMS_ERROR, nva > 4: its validation passes abort half-way,
   training goes on).  The lane tests share them. */
static inline zj_task *
zj_test_lane_tasks (int F, int nt, int ntr, int nva, int epochs,
                    zj_eval_type et, uint64_t seed, bool valid_outlier)
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
      const double scale = k % 4 == 3 ? 1e3 : 1.0;
      for (int i = 0; i < ntr * F; i++) tx[i] = zj_rng_normal (&r);
      for (int i = 0; i < nva * F; i++) vx[i] = zj_rng_normal (&r);
      for (int i = 0; i < ntr; i++)
        ty[i] = et == ZJ_ACCURACY ? (tx[i * F] > 0)
                                  : scale * (tx[i * F] - tx[i * F + 1]);
      for (int i = 0; i < nva; i++)
        vy[i] = et == ZJ_ACCURACY ? (vx[i * F] > 0)
                                  : scale * (vx[i * F] - vx[i * F + 1]);
      if (valid_outlier && k % 5 == 4 && nva > 4 && et == ZJ_RMS_ERROR)
        vy[4] = 1e6;
      zj_task *t = zj_test_task (F, ntr, tx, ty, nva, vx, vy, epochs, et);
      zj_test_shuffle_epochs (t, &r);   /* later epochs, per task */
      ts[k] = *t;
      ts[k].index = k;
      free (t);
    }
  free (tx); free (vx); free (ty); free (vy);
  return ts;
}

/* Frees an array of nt tasks and the array. */
static inline void
zj_test_tasks_free (zj_task *ts, int nt)
{
  for (int k = 0; k < nt; k++)
    zj_task_free (&ts[k]);
  free (ts);
}

/* A random program without random ops: up to max_n instructions per
   component, Predict and Learn over the ops ok (op, ctx) accepts (NULL:
   all), Setup over all, plus s1 = dot(v0, v1) so Predict usually depends
   on something. */
static inline void
zj_test_random_program_where (zj_rng *r, const zj_shape *sh, zj_program *p,
                              int max_n, bool (*ok) (int op, void *ctx),
                              void *ctx)
{
  zj_program_clear (p);
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    {
      int n = 1 + (int) zj_rng_below (r, (uint64_t) max_n);
      for (int i = 0; i < n; i++)
        {
          int op;
          do
            op = (int) zj_rng_below (r, ZJ_NUM_OPS);
          while (zj_op_is_random (op) || (ok && c != ZJ_SETUP && !ok (op, ctx)));
          zj_instr in;
          zj_random_instruction (r, op, sh, &in);
          zj_fn_push (&p->fn[c], in);
        }
    }
  zj_fn_push (&p->fn[ZJ_PREDICT], zj_test_ins (ZJ_VECTOR_INNER_PRODUCT_OP, 0, 1, 1));
}

/* 1-6 instructions per component over all deterministic ops. */
static inline void
zj_test_random_program (zj_rng *r, const zj_shape *sh, zj_program *p)
{
  zj_test_random_program_where (r, sh, p, 6, NULL, NULL);
}
#ifdef CRITERION_H_
/* p prepared for sh (pruned or not), asserted to succeed: the tests that
   include <criterion/criterion.h> first. */
static inline zj_prepared *
zj_test_prepare (const zj_program *p, const zj_shape *sh, bool prune)
{
  zj_error err;
  zj_prepared *pp = zj_prepare (p, sh, prune, &err);
  cr_assert_not_null (pp, "%s", err.msg);
  return pp;
}
#endif

/* SIGINT and SIGTERM given a handler of the test's own, and afterwards
   which of them (if any) no longer has it: GCC's embedded driver sets both
   to SIG_IGN and then to its own handler on every compile, so whatever
   runs libgccjit must do it in another process (src/cli/signals.c). */
static inline void
zj_test_signal_mark (int sig)
{
  (void) sig;
}

static inline int
zj_test_mark_signals (void)
{
  struct sigaction sa;
  memset (&sa, 0, sizeof sa);
  sa.sa_handler = zj_test_signal_mark;
  sigemptyset (&sa.sa_mask);
  return sigaction (SIGINT, &sa, NULL) == 0 && sigaction (SIGTERM, &sa, NULL) == 0
         ? 0 : -1;
}

static inline const char *
zj_test_signal_changed (void)
{
  struct sigaction now;
  if (sigaction (SIGINT, NULL, &now) != 0 || now.sa_handler != zj_test_signal_mark)
    return "SIGINT";
  if (sigaction (SIGTERM, NULL, &now) != 0 || now.sa_handler != zj_test_signal_mark)
    return "SIGTERM";
  return NULL;
}
#endif
