/* test_jit.c -- the JIT tier agrees with the interpreter bit for bit.
 *
 * Every op at every F on inputs that include NaN, infinities, negatives
 * and zeros; then random programs over all 65 ops (multi-epoch, ACCURACY
 * and RMS, aborts, pruned and unpruned).  Fitness, train_steps, the
 * aborted flag, recorded errors and the final workspace memory must be
 * identical (memcmp).  Also: the structure hash ignores constants, the
 * cache counts hits/misses/evictions, compile failures are reported, the
 * asynchronous path and the worker processes give the same results.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <unistd.h>
#include <zerojit/jit.h>
#include "testutil.h"
#include "identity.h"

static const zj_shape shape663_base = { 4, 6, 6, 3 };

/* ------------------------------------------------------------ helpers */
static double
special (zj_rng *r)
{
  static const double sp[] = { NAN, INFINITY, -INFINITY, 0.0, -0.0, 1e300, -1e-300 };
  return sp[zj_rng_below (r, 7)];
}

/* A task whose inputs are gaussian, with some specials when `specials`. */
static zj_task *
make_task (int F, int ntr, int nva, int epochs, zj_eval_type et, bool specials,
           uint64_t seed)
{
  zj_rng r;
  zj_rng_seed (&r, seed);
  double trx[ntr * F], tr_y[ntr], vax[nva * F], va_y[nva];
  for (int i = 0; i < ntr * F; i++)
    trx[i] = specials && zj_rng_below (&r, 8) == 0 ? special (&r) : zj_rng_normal (&r);
  for (int i = 0; i < nva * F; i++)
    vax[i] = specials && zj_rng_below (&r, 8) == 0 ? special (&r) : zj_rng_normal (&r);
  for (int i = 0; i < ntr; i++)
    tr_y[i] = et == ZJ_ACCURACY ? (double) zj_rng_below (&r, 2) : zj_rng_normal (&r);
  for (int i = 0; i < nva; i++)
    va_y[i] = et == ZJ_ACCURACY ? (double) zj_rng_below (&r, 2) : zj_rng_normal (&r);
  zj_task *t = zj_test_task (F, ntr, trx, tr_y, nva, vax, va_y, epochs, et);
  /* Shuffle later epochs so the order array matters. */
  for (int e = 1; e < epochs; e++)
    for (int i = ntr - 1; i > 0; i--)
      {
        int j = (int) zj_rng_below (&r, (uint32_t) i + 1);
        int *o = t->order + e * ntr;
        int tmp = o[i]; o[i] = o[j]; o[j] = tmp;
      }
  return t;
}

static void
free_task (zj_task *t)
{
  zj_task_free (t);
  free (t);
}

static bool
same_bits (const double *a, const double *b, size_t n)
{
  return memcmp (a, b, n * sizeof *a) == 0;
}

/* Bit-identical, except that any two NaNs match: which NaN operand's
   payload and sign x86 propagates depends on the operand order the
   compiler picks for a commutative op, in the interpreter as in the JIT. */
static bool
same_mem (const double *a, const double *b, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (!same_bits (&a[i], &b[i], 1) && !(isnan (a[i]) && isnan (b[i])))
      return false;
  return true;
}

/* Runs both tiers; true when every observable agrees bit for bit. */
static bool
compare_pp (zj_jit *jit, zj_jit_entry *e, const zj_prepared *pp, const zj_shape *shape,
            const zj_task *t, const zj_eval_opts *o, uint64_t seed, const char *what)
{
  enum { NREC = 8 };
  double te[2][NREC], ve[2][NREC];
  zj_eval_result res[2];
  zj_workspace *ws[2];
  size_t len;
  for (int k = 0; k < 2; k++)
    {
      memset (&res[k], 0, sizeof res[k]);
      res[k].train_err = te[k];
      res[k].valid_err = ve[k];
      ws[k] = zj_workspace_new (shape);
      zj_rng rng;
      zj_rng_seed (&rng, seed);
      if (k == 0)
        zj_interp_eval_task (pp, t, o, &rng, ws[k], &res[k]);
      else
        zj_jit_eval_task (e, pp, t, o, &rng, ws[k], &res[k]);
    }
  const double *m0 = zj_workspace_memory (ws[0], &len);
  const double *m1 = zj_workspace_memory (ws[1], NULL);
  bool ok = same_bits (&res[0].fitness, &res[1].fitness, 1)
    && res[0].train_steps == res[1].train_steps
    && res[0].aborted == res[1].aborted
    && res[0].n_train_err == res[1].n_train_err
    && res[0].n_valid_err == res[1].n_valid_err
    && same_bits (te[0], te[1], (size_t) res[0].n_train_err)
    && same_bits (ve[0], ve[1], (size_t) res[0].n_valid_err)
    && same_mem (m0, m1, len);
  if (!ok)
    {
      fprintf (stderr, "MISMATCH %s (F=%d, %s)\n"
               "  fitness %.17g vs %.17g, steps %ld vs %ld, aborted %d vs %d,"
               " errs %d/%d vs %d/%d\n", what, shape->F,
               t->eval_type == ZJ_ACCURACY ? "ACCURACY" : "RMS",
               res[0].fitness, res[1].fitness, res[0].train_steps,
               res[1].train_steps, res[0].aborted, res[1].aborted,
               res[0].n_train_err, res[0].n_valid_err, res[1].n_train_err,
               res[1].n_valid_err);
      for (size_t i = 0; i < len; i++)
        if (!same_mem (&m0[i], &m1[i], 1))
          fprintf (stderr, "  mem[%zu] %.17g vs %.17g\n", i, m0[i], m1[i]);
      zj_program_print (zj_prepared_program (pp), true, stderr);
    }
  zj_workspace_free (ws[0]);
  zj_workspace_free (ws[1]);
  return ok;
}

/* Tasks a then b: the interpreter one after the other against
   zj_jit_eval_pair, every observable of both, bit for bit.  *paired
   counts the runs that were interleaved. */
static bool
compare_pair (zj_jit_entry *e, const zj_prepared *pp, const zj_shape *shape,
              const zj_task *ta, const zj_task *tb, const zj_eval_opts *o,
              uint64_t seed, const char *what, int *paired)
{
  enum { NREC = 8 };
  double te[2][2][NREC], ve[2][2][NREC], f[2][2];
  zj_eval_result res[2][2];
  zj_workspace *ws[2][2];
  const zj_task *t[2] = { ta, tb };
  for (int k = 0; k < 2; k++)
    {
      for (int j = 0; j < 2; j++)
        {
          memset (&res[k][j], 0, sizeof res[k][j]);
          res[k][j].train_err = te[k][j];
          res[k][j].valid_err = ve[k][j];
          ws[k][j] = zj_workspace_new (shape);
        }
      zj_rng rng;
      zj_rng_seed (&rng, seed);
      if (k == 0)
        for (int j = 0; j < 2; j++)
          f[k][j] = zj_interp_eval_task (pp, t[j], o, &rng, ws[k][j], &res[k][j]);
      else
        *paired += zj_jit_eval_pair (e, pp, ta, tb, o, &rng, ws[k][0], ws[k][1],
                                     &res[k][0], &res[k][1], f[k]);
    }
  bool ok = true;
  for (int j = 0; j < 2; j++)
    {
      size_t len;
      const double *m0 = zj_workspace_memory (ws[0][j], &len);
      const double *m1 = zj_workspace_memory (ws[1][j], NULL);
      const zj_eval_result *r0 = &res[0][j], *r1 = &res[1][j];
      const bool same = same_bits (&f[0][j], &f[1][j], 1)
        && same_bits (&r0->fitness, &r1->fitness, 1)
        && r0->train_steps == r1->train_steps && r0->aborted == r1->aborted
        && r0->n_train_err == r1->n_train_err && r0->n_valid_err == r1->n_valid_err
        && same_bits (te[0][j], te[1][j], (size_t) r0->n_train_err)
        && same_bits (ve[0][j], ve[1][j], (size_t) r0->n_valid_err)
        && same_mem (m0, m1, len);
      if (!same)
        {
          fprintf (stderr, "PAIR MISMATCH %s task %c (F=%d): fitness %.17g vs %.17g,"
                   " steps %ld vs %ld, aborted %d vs %d\n", what, "ab"[j], shape->F,
                   f[0][j], f[1][j], r0->train_steps, r1->train_steps, r0->aborted,
                   r1->aborted);
          for (size_t i = 0; i < len; i++)
            if (!same_mem (&m0[i], &m1[i], 1))
              fprintf (stderr, "  mem[%zu] %.17g vs %.17g\n", i, m0[i], m1[i]);
          zj_program_print (zj_prepared_program (pp), true, stderr);
          ok = false;
        }
    }
  for (int k = 0; k < 2; k++)
    for (int j = 0; j < 2; j++)
      zj_workspace_free (ws[k][j]);
  return ok;
}

/* A batch of cases: programs compiled together (one libgccjit context per
   `batch` programs keeps the suite fast), then each compared. */
typedef struct {
  zj_prepared *pp;
  zj_shape shape;
  zj_task *t;
  zj_eval_opts o;
  uint64_t seed;
  char what[80];
} jcase;

/* Pairs that ran interleaved in this test (Criterion forks per test). */
static int pairs_interleaved;

/* The partner of case i in a pair: a later case of the batch with a task
   of the same sizes and eval type, else its own task. */
static const zj_task *
partner (const jcase *c, int i, int m)
{
  const zj_task *t = c[i].t;
  for (int j = i + 1; j < m; j++)
    {
      const zj_task *u = c[j].t;
      if (u->F == t->F && u->n_train == t->n_train && u->n_valid == t->n_valid
          && u->epochs == t->epochs && u->eval_type == t->eval_type)
        return u;
    }
  return t;
}

static int
run_cases (zj_jit *jit, jcase *c, int n, int batch)
{
  int bad = 0;
  for (int i0 = 0; i0 < n; i0 += batch)
    {
      const int m = n - i0 < batch ? n - i0 : batch;
      const zj_prepared *pps[m];
      zj_eval_type ets[m];
      zj_jit_entry *e[m];
      zj_error err;
      for (int i = 0; i < m; i++)
        {
          pps[i] = c[i0 + i].pp;
          ets[i] = c[i0 + i].t->eval_type;
        }
      if (batch > 1)
        cr_assert_eq (zj_jit_get_batch (jit, m, pps, ets, e, &err), 0, "%s", err.msg);
      else
        {
          e[0] = zj_jit_get (jit, pps[0], ets[0], &err);
          cr_assert_not_null (e[0], "%s: %s", c[i0].what, err.msg);
        }
      for (int i = 0; i < m; i++)
        {
          jcase *k = &c[i0 + i];
          if (!compare_pp (jit, e[i], k->pp, &k->shape, k->t, &k->o, k->seed, k->what))
            bad++;
          if (!compare_pair (e[i], k->pp, &k->shape, k->t, partner (c + i0, i, m), &k->o,
                             k->seed, k->what, &pairs_interleaved))
            bad++;
        }
      for (int i = 0; i < m; i++)
        {
          jcase *k = &c[i0 + i];
          zj_jit_release (jit, e[i]);
          zj_prepared_free (k->pp);
          free_task (k->t);
        }
    }
  return bad;
}

static zj_prepared *
prep (const zj_program *p, const zj_shape *shape, bool prune)
{
  zj_error err;
  zj_prepared *pp = zj_prepare (p, shape, prune, &err);
  cr_assert_not_null (pp, "%s", err.msg);
  return pp;
}

static zj_jit *
new_jit_opt (const char *isa, int recycle, int opt)
{
  zj_jit_opts o;
  zj_jit_opts_default (&o);
  o.opt_level = opt;
  o.isa = isa;
  o.worker_recycle = recycle;
  o.pairs = 1;                 /* and compare_pair runs them */
  zj_error err;
  zj_jit *j = zj_jit_new (&o, &err);
  cr_assert_not_null (j, "%s", err.msg);
  return j;
}

static zj_jit *
new_jit (const char *isa, int recycle)
{
  return new_jit_opt (isa, recycle, 1);
}

static zj_instr
ins (int op, int a, int b, int o)
{
  return zj_test_ins (op, a, b, o);
}

static zj_instr
rnd (int op, int out, float lo, float hi)
{
  zj_instr i = zj_test_ins (op, 0, 0, out);
  i.fd[0] = lo;
  i.fd[1] = hi;
  return i;
}

/* ------------------------------------------------------- one op at a time */
/* Address used for an operand of kind k in the per-op program. */
static int
addr_for (zj_kind k, int which)
{
  static const int s[3] = { 3, 2, 4 }, v[3] = { 2, 1, 4 }, m[3] = { 2, 1, 0 };
  switch (k)
    {
    case ZJ_KIND_S: return s[which];
    case ZJ_KIND_V: return v[which];
    case ZJ_KIND_M: return m[which];
    default: return 0;
    }
}

static zj_instr
op_instr (int op, int a, int b, int o, zj_rng *r)
{
  zj_instr i = ins (op, a, b, o);
  i.act = zj_rng_normal (r);
  i.fd[0] = zj_rng_float (r, 0, 1);
  i.fd[1] = zj_rng_float (r, -1, 1);
  i.fd[2] = zj_rng_float (r, -2, 2);
  if (zj_ops[op].data == ZJ_DATA_UNIF)
    i.fd[1] = i.fd[0] + 0.5f;
  return i;
}

static void
op_program (int op, zj_program *p, zj_rng *r)
{
  const zj_op_info *oi = &zj_ops[op];
  zj_program_init (p);
  zj_fn *s = &p->fn[ZJ_SETUP], *pr = &p->fn[ZJ_PREDICT], *l = &p->fn[ZJ_LEARN];
  zj_fn_push (s, rnd (ZJ_SCALAR_GAUSSIAN_SET_OP, 2, 0, 1));
  zj_fn_push (s, rnd (ZJ_SCALAR_UNIFORM_SET_OP, 3, -1, 1));
  zj_fn_push (s, rnd (ZJ_VECTOR_GAUSSIAN_SET_OP, 1, 0, 1));
  zj_fn_push (s, rnd (ZJ_VECTOR_UNIFORM_SET_OP, 2, -1, 1));
  zj_fn_push (s, rnd (ZJ_MATRIX_GAUSSIAN_SET_OP, 1, 0, 1));
  zj_fn_push (s, rnd (ZJ_MATRIX_UNIFORM_SET_OP, 2, -1, 1));
  /* Features reach every kind of memory. */
  zj_fn_push (pr, ins (ZJ_VECTOR_SUM_OP, 0, 2, 2));
  zj_fn_push (pr, ins (ZJ_VECTOR_MEAN_OP, 0, 0, 3));
  zj_fn_push (pr, ins (ZJ_VECTOR_OUTER_PRODUCT_OP, 0, 1, 2));
  const int a = addr_for (oi->in1, 0), b = addr_for (oi->in2, 1), o = addr_for (oi->out, 2);
  zj_fn_push (pr, op_instr (op, a, b, o, r));
  if (oi->out == ZJ_KIND_S)
    zj_fn_push (pr, ins (ZJ_SCALAR_SUM_OP, o, 3, 1));
  else if (oi->out == ZJ_KIND_V)
    zj_fn_push (pr, ins (ZJ_VECTOR_INNER_PRODUCT_OP, o, 1, 1));
  else if (oi->out == ZJ_KIND_M)
    zj_fn_push (pr, ins (ZJ_MATRIX_MEAN_OP, o, 0, 1));
  /* Learn: aliasing (out == in1 where kinds match) and the label. */
  zj_fn_push (l, ins (ZJ_SCALAR_DIFF_OP, 0, 1, 5));
  zj_fn_push (l, ins (ZJ_SCALAR_VECTOR_PRODUCT_OP, 5, 0, 3));
  zj_fn_push (l, op_instr (op, oi->in1 == oi->out ? o : a, oi->in2 == oi->out ? o : b, o, r));
  zj_fn_push (l, op_instr (op, oi->in1 == ZJ_KIND_S ? 5 : a, b, oi->out == ZJ_KIND_S ? 2 : o, r));
}

/* Cases for ops [lo, hi) at every F of Fs (in the quick tier at one F
   per op, the sizes taken in turn): plain inputs and inputs with
   NaN/inf/zeros, RMS and ACCURACY. */
static int
op_cases_at (int lo, int hi, const int *Fs, size_t nF, jcase *c)
{
  int n = 0;
  for (int op = lo; op < hi && op < ZJ_NUM_OPS; op++)
    for (size_t fi = 0; fi < nF; fi++)
      {
        if (!zj_test_full () && fi != (size_t) op % nF)
          continue;
        const int F = Fs[fi];
        const uint64_t seed = 1000 + (uint64_t) op * 64 + (uint64_t) F;
        zj_shape shape = shape663_base;
        shape.F = F;
        zj_rng r;
        zj_rng_seed (&r, seed);
        zj_program p;
        op_program (op, &p, &r);
        for (int v = 0; v < 4; v++)
          {
            jcase *k = &c[n++];
            k->pp = prep (&p, &shape, false);
            k->shape = shape;
            k->t = make_task (F, 5, 4, 2, v & 1 ? ZJ_ACCURACY : ZJ_RMS_ERROR, v >= 2,
                              seed * 31 + (uint64_t) v);
            zj_eval_opts_default (&k->o);
            k->o.record_errors = 8;
            k->o.max_abs_error = 1e300;
            k->seed = seed + (uint64_t) v;
            snprintf (k->what, sizeof k->what, "%s F=%d variant %d", zj_ops[op].name, F, v);
          }
        zj_program_free (&p);
      }
  return n;
}

static int
op_cases (int lo, int hi, jcase *c)
{
  static const int Fs[] = { 2, 4, 8, 16, 32 };
  return op_cases_at (lo, hi, Fs, sizeof Fs / sizeof *Fs, c);
}

/* Ops split in groups so Criterion runs them on both cores.  Two of the
   four variants of one op and F share their code (same structure).  At -O0
   to keep the suite fast: the IR's IEEE semantics do not depend on the
   optimisation level (the random programs below run at the default -O1). */
#define OP_GROUP(n, lo, hi) \
  Test (jit_ops, group_##n, .timeout = 300) \
  { \
    zj_jit *jit = new_jit_opt (NULL, 0, 0); \
    jcase c[4 * 5 * 11]; \
    int nc = op_cases ((lo), (hi), c); \
    cr_expect_eq (run_cases (jit, c, nc, 4 * 5 * 11), 0, "ops %d..%d differ", lo, hi - 1); \
    zj_jit_stats st; \
    zj_jit_get_stats (jit, &st); \
    cr_expect_eq (st.compiles, nc / 2);   /* RMS and ACCURACY per op and F */ \
    zj_jit_free (jit); \
  }
OP_GROUP (0, 1, 12)
OP_GROUP (1, 12, 23)
OP_GROUP (2, 23, 34)
OP_GROUP (3, 34, 45)
OP_GROUP (4, 45, 56)
OP_GROUP (5, 56, 65)

/* "avx512z" runs the sizes 8 divides with 512-bit chunks (lower.c: W = 8;
   reductions in the canonical 4 lanes over the chunk halves, compares
   through a mask register): every op at F = 8, 16, 32 (one chunk, two,
   four per vector), the sizes in turn in the quick tier. */
static bool
have_avx512 (void)
{
  __builtin_cpu_init ();
  return __builtin_cpu_supports ("avx512f") && __builtin_cpu_supports ("avx512vl");
}

#define ZMM_GROUP(n, lo, hi) \
  Test (jit_ops, zmm_group_##n, .timeout = 300) \
  { \
    if (!have_avx512 ()) \
      cr_skip_test ("no AVX-512 on this CPU"); \
    static const int Fs[] = { 8, 16, 32 }; \
    zj_jit *jit = new_jit_opt ("avx512z", 0, 0); \
    jcase c[4 * 3 * 22]; \
    int nc = op_cases_at ((lo), (hi), Fs, 3, c); \
    cr_expect_eq (run_cases (jit, c, nc, 4 * 3 * 22), 0, "ops %d..%d differ (zmm)", lo, hi - 1); \
    zj_jit_free (jit); \
  }
ZMM_GROUP (0, 1, 23)
ZMM_GROUP (1, 23, 45)
ZMM_GROUP (2, 45, 65)
/* ------------------------------------------------------ random programs */
static void
random_program (zj_program *p, zj_rng *r, const zj_shape *sh)
{
  zj_program_init (p);
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    {
      int n = 2 + (int) zj_rng_below (r, 6);
      for (int i = 0; i < n; i++)
        {
          int op = 1 + (int) zj_rng_below (r, ZJ_NUM_OPS - 1);
          const zj_op_info *oi = &zj_ops[op];
          int a[3];
          const zj_kind k[3] = { oi->in1, oi->in2, oi->out };
          for (int j = 0; j < 3; j++)
            a[j] = k[j] == ZJ_KIND_S ? (int) zj_rng_below (r, (uint32_t) sh->ns)
                 : k[j] == ZJ_KIND_V ? (int) zj_rng_below (r, (uint32_t) sh->nv)
                 : k[j] == ZJ_KIND_M ? (int) zj_rng_below (r, (uint32_t) sh->nm) : 0;
          zj_fn_push (&p->fn[c], op_instr (op, a[0], a[1], a[2], r));
        }
    }
  /* Make the prediction depend on something most of the time. */
  if (zj_rng_below (r, 4) != 0)
    zj_fn_push (&p->fn[ZJ_PREDICT], ins (ZJ_VECTOR_INNER_PRODUCT_OP,
                                         (int) zj_rng_below (r, (uint32_t) sh->nv), 0, 1));
}

static void
random_batch (uint64_t seed, int n, const char *isa, int recycle, int batch)
{
  zj_jit *jit = new_jit (isa, recycle);
  zj_rng r;
  zj_rng_seed (&r, seed);
  static const int Fs[] = { 2, 4, 8, 16 };
  jcase c[n];
  for (int i = 0; i < n; i++)
    {
      zj_shape shape = shape663_base;
      shape.F = Fs[zj_rng_below (&r, 4)];
      zj_program p;
      random_program (&p, &r, &shape);
      zj_eval_type et = zj_rng_below (&r, 2) ? ZJ_ACCURACY : ZJ_RMS_ERROR;
      jcase *k = &c[i];
      k->t = make_task (shape.F, 1 + (int) zj_rng_below (&r, 6),
                        1 + (int) zj_rng_below (&r, 5), 1 + (int) zj_rng_below (&r, 3),
                        et, zj_rng_below (&r, 3) == 0, zj_rng_next (&r));
      zj_eval_opts_default (&k->o);
      k->o.record_errors = (int) zj_rng_below (&r, 9);
      if (zj_rng_below (&r, 2))
        k->o.max_abs_error = 1e300;
      if (zj_rng_below (&r, 4) == 0)
        k->o.n_all_train = (long) zj_rng_below (&r, 10);
      if (zj_rng_below (&r, 4) == 0)
        k->o.n_valid = (int) zj_rng_below (&r, 4);
      k->pp = prep (&p, &shape, zj_rng_below (&r, 2));
      k->shape = shape;
      k->seed = zj_rng_next (&r);
      snprintf (k->what, sizeof k->what, "random program %d (seed %llu)", i,
                (unsigned long long) seed);
      zj_program_free (&p);
    }
  int bad = run_cases (jit, c, n, batch);
  zj_jit_free (jit);
  cr_expect_eq (bad, 0, "%d of %d random programs differ", bad, n);
  cr_expect_gt (pairs_interleaved, 0, "no pair ran interleaved");
}

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
  zj_fn_push (pr, ins (ZJ_MATRIX_VECTOR_PRODUCT_OP, 0, 0, 3));
  zj_fn_push (pr, ins (ZJ_VECTOR_SUM_OP, 3, 1, 3));
  zj_fn_push (pr, ins (ZJ_VECTOR_MAX_OP, 3, 5, 4));
  zj_fn_push (pr, ins (ZJ_VECTOR_INNER_PRODUCT_OP, 4, 2, 1));
  zj_fn_push (pr, ins (ZJ_SCALAR_SUM_OP, 1, 2, 1));
  zj_fn_push (l, ins (ZJ_SCALAR_DIFF_OP, 0, 1, 4));
  zj_fn_push (l, ins (ZJ_SCALAR_PRODUCT_OP, 3, 4, 4));
  zj_fn_push (l, ins (ZJ_SCALAR_SUM_OP, 2, 4, 2));
  zj_fn_push (l, ins (ZJ_SCALAR_VECTOR_PRODUCT_OP, 4, 4, 6));
  zj_fn_push (l, ins (ZJ_VECTOR_SUM_OP, 2, 6, 2));
  zj_fn_push (l, ins (ZJ_SCALAR_VECTOR_PRODUCT_OP, 4, 2, 7));
  zj_fn_push (l, ins (ZJ_VECTOR_HEAVYSIDE_OP, 3, 0, 8));
  zj_fn_push (l, ins (ZJ_VECTOR_PRODUCT_OP, 8, 7, 7));
  zj_fn_push (l, ins (ZJ_VECTOR_SUM_OP, 1, 7, 1));
  zj_fn_push (l, ins (ZJ_VECTOR_OUTER_PRODUCT_OP, 7, 0, 1));
  zj_fn_push (l, ins (ZJ_MATRIX_SUM_OP, 0, 1, 0));
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
        zj_prepared *pp = prep (&p, &shape, true);
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
        zj_prepared *pp = prep (&p, &shape, true);
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
        zj_prepared *pp = prep (&p, &shape, true);
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

/* Big sweeps in the full tier, a fifth of them in the quick one. */
Test (jit_random, batch_a, .timeout = 300)
{ random_batch (1, zj_test_scale (30, 150), NULL, 0, zj_test_scale (30, 50)); }
Test (jit_random, batch_b, .timeout = 300)
{ random_batch (2, zj_test_scale (30, 150), NULL, 0, zj_test_scale (30, 50)); }
/* The x86-64 baseline code path (2 lanes, SSE2 asm forms). */
Test (jit_random, sse2, .timeout = 300)
{ random_batch (3, zj_test_scale (12, 60), "sse2", 0, zj_test_scale (12, 30)); }
/* auto picks avx512z (8-lane chunks where 8 divides F) where the CPU has
   AVX-512; keep the plain AVX2 code covered too. */
Test (jit_random, avx2, .timeout = 300)
{ random_batch (4, zj_test_scale (12, 60), "avx2", 0, zj_test_scale (12, 30)); }
/* Explicit avx512z (what auto is on AVX-512 hosts, the batches above on
   others): 512-bit chunks where 8 divides F, 4 lanes at F = 2 and 4 in the
   same compiles; and avx512, 4 lanes with 32 ymm registers. */
Test (jit_random, avx512z, .timeout = 300)
{
  if (!have_avx512 ())
    cr_skip_test ("no AVX-512 on this CPU");
  random_batch (5, zj_test_scale (24, 120), "avx512z", 0, zj_test_scale (24, 40));
}
Test (jit_random, avx512_ymm, .timeout = 300)
{
  if (!have_avx512 ())
    cr_skip_test ("no AVX-512 on this CPU");
  random_batch (6, zj_test_scale (12, 60), "avx512", 0, zj_test_scale (12, 30));
}
/* Shared objects from forked compile workers, recycled every 3 compiles. */
Test (jit_random, workers, .timeout = 300) { random_batch (4, 8, NULL, 3, 1); }

/* ------------------------------------------------------------- the API */
Test (jit_api, hash_ignores_constants)
{
  zj_rng r;
  zj_rng_seed (&r, 5);
  zj_program a, b;
  op_program (ZJ_MATRIX_CONST_SET_OP, &a, &r);
  op_program (ZJ_MATRIX_CONST_SET_OP, &b, &r);   /* other constants */
  zj_shape sh = shape663_base;
  cr_assert (!zj_program_equal (&a, &b));
  cr_assert_eq (zj_structure_hash (&a, &sh, ZJ_RMS_ERROR),
                zj_structure_hash (&b, &sh, ZJ_RMS_ERROR));
  cr_assert_neq (zj_structure_hash (&a, &sh, ZJ_RMS_ERROR),
                 zj_structure_hash (&a, &sh, ZJ_ACCURACY));
  zj_shape sh8 = sh;
  sh8.F = 8;
  cr_assert_neq (zj_structure_hash (&a, &sh, ZJ_RMS_ERROR),
                 zj_structure_hash (&a, &sh8, ZJ_RMS_ERROR));
  b.fn[ZJ_LEARN].ins[0].out = 4;   /* another address */
  cr_assert_neq (zj_structure_hash (&a, &sh, ZJ_RMS_ERROR),
                 zj_structure_hash (&b, &sh, ZJ_RMS_ERROR));
  /* Constant table: MATRIX_CONST_SET stores the flat index and value. */
  zj_program c;
  zj_program_init (&c);
  zj_instr in = ins (ZJ_MATRIX_CONST_SET_OP, 0, 0, 1);
  in.fd[0] = 0.5f; in.fd[1] = 0.25f; in.fd[2] = -3.0f;   /* row 2, column 1 at F=4 */
  zj_fn_push (&c.fn[ZJ_SETUP], in);
  cr_assert_eq (zj_jit_const_count (&c), 2);
  double k[2];
  zj_jit_const_fill (&c, 4, k);
  cr_assert_eq (k[0], 1 * 4 + 2);
  cr_assert_eq (k[1], -3.0);
  zj_program_free (&a);
  zj_program_free (&b);
  zj_program_free (&c);
}

/* Same structure, different constants: one compile, then hits; a cache of
   one entry evicts. */
Test (jit_api, cache_counts)
{
  zj_jit_opts o;
  zj_jit_opts_default (&o);
  o.cache_max_entries = 1;
  zj_error err;
  zj_jit *jit = zj_jit_new (&o, &err);
  cr_assert_not_null (jit);
  zj_rng r;
  zj_rng_seed (&r, 9);
  zj_shape sh = shape663_base;
  zj_program a, b, c;
  op_program (ZJ_SCALAR_CONST_SET_OP, &a, &r);
  op_program (ZJ_SCALAR_CONST_SET_OP, &b, &r);
  op_program (ZJ_VECTOR_SUM_OP, &c, &r);
  zj_prepared *pa = prep (&a, &sh, false), *pb = prep (&b, &sh, false),
    *pc = prep (&c, &sh, false);
  zj_jit_entry *ea = zj_jit_get (jit, pa, ZJ_RMS_ERROR, &err);
  zj_jit_entry *eb = zj_jit_get (jit, pb, ZJ_RMS_ERROR, &err);
  cr_assert_not_null (ea);
  cr_assert_eq (ea, eb);
  zj_jit_entry *ec = zj_jit_get (jit, pc, ZJ_RMS_ERROR, &err);
  cr_assert_not_null (ec);
  zj_jit_stats st;
  zj_jit_get_stats (jit, &st);
  cr_assert_eq (st.compiles, 2);
  cr_assert_eq (st.misses, 2);
  cr_assert_eq (st.hits, 1);
  cr_assert_eq (st.evictions, 1);
  cr_assert_eq (st.entries, 1);
  /* The evicted entry stays usable while referenced. */
  zj_task *t = make_task (4, 3, 2, 1, ZJ_RMS_ERROR, false, 1);
  zj_eval_opts eo;
  zj_eval_opts_default (&eo);
  cr_assert (compare_pp (jit, ea, pb, &sh, t, &eo, 3, "evicted entry"));
  /* An entry of another structure falls back to the interpreter. */
  cr_assert (compare_pp (jit, ec, pa, &sh, t, &eo, 3, "wrong entry"));
  free_task (t);
  zj_jit_release (jit, ea);
  zj_jit_release (jit, eb);
  zj_jit_release (jit, ec);
  zj_prepared_free (pa); zj_prepared_free (pb); zj_prepared_free (pc);
  zj_program_free (&a); zj_program_free (&b); zj_program_free (&c);
  zj_jit_free (jit);
}

Test (jit_api, bad_options_and_dump)
{
  zj_jit_opts o;
  zj_jit_opts_default (&o);
  o.isa = "vax";
  zj_error err;
  cr_assert_null (zj_jit_new (&o, &err));
  cr_assert (strstr (err.msg, "vax") != NULL);
  zj_rng r;
  zj_rng_seed (&r, 2);
  zj_program p;
  op_program (ZJ_VECTOR_MAX_OP, &p, &r);
  zj_shape sh = shape663_base;
  zj_prepared *pp = prep (&p, &sh, true);
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&buf, &len);
  cr_assert_eq (zj_jit_dump (pp, ZJ_RMS_ERROR, "asm", NULL, f, &err), 0, "%s", err.msg);
  fclose (f);
  cr_assert (strstr (buf, "zj_native") != NULL);
  cr_assert (strstr (buf, "maxpd") != NULL);      /* the vector max */
  free (buf);
  f = open_memstream (&buf, &len);
  cr_assert_eq (zj_jit_dump (pp, ZJ_RMS_ERROR, "c", NULL, f, &err), 0, "%s", err.msg);
  fclose (f);
  cr_assert (strstr (buf, "zj_native") != NULL);
  free (buf);
  cr_assert_eq (zj_jit_dump (pp, ZJ_RMS_ERROR, "llvm", NULL, stdout, &err), -1);
  zj_prepared_free (pp);
  zj_program_free (&p);
}

/* Lookup finds compiled code (any constants) but never compiles, and a
   structure not yet compiled is not counted as a cache miss. */
Test (jit_api, lookup_never_compiles)
{
  zj_error err;
  zj_jit *jit = zj_jit_new (NULL, &err);
  cr_assert_not_null (jit);
  zj_rng r;
  zj_rng_seed (&r, 4);
  zj_program a, b;
  op_program (ZJ_MATRIX_VECTOR_PRODUCT_OP, &a, &r);
  op_program (ZJ_MATRIX_VECTOR_PRODUCT_OP, &b, &r);
  zj_shape sh = shape663_base;
  zj_prepared *pa = prep (&a, &sh, true), *pb = prep (&b, &sh, true);
  cr_assert_null (zj_jit_lookup (jit, pa, ZJ_ACCURACY));
  zj_jit_stats st;
  zj_jit_get_stats (jit, &st);
  cr_assert_eq (st.compiles, 0);
  cr_assert_eq (st.misses, 0);
  zj_jit_entry *e = zj_jit_get (jit, pa, ZJ_ACCURACY, &err);
  cr_assert_not_null (e, "%s", err.msg);
  zj_jit_entry *f = zj_jit_lookup (jit, pb, ZJ_ACCURACY);
  cr_assert_eq (f, e);
  cr_assert_null (zj_jit_lookup (jit, pb, ZJ_RMS_ERROR));
  uint16_t key[1024];
  const zj_program *bp = zj_prepared_program (pb);
  const size_t n = zj_structure_key (bp, &sh, ZJ_ACCURACY, key, 1024);
  zj_jit_entry *g = zj_jit_lookup_key (jit, zj_structure_hash (bp, &sh, ZJ_ACCURACY),
                                       key, n);
  cr_assert_eq (g, e);
  zj_jit_get_stats (jit, &st);
  cr_assert_eq (st.compiles, 1);
  cr_assert_eq (st.hits, 2);
  zj_task *t = make_task (4, 6, 3, 2, ZJ_ACCURACY, false, 8);
  zj_eval_opts eo;
  zj_eval_opts_default (&eo);
  cr_assert (compare_pp (jit, f, pb, &sh, t, &eo, 5, "looked-up entry"));
  free_task (t);
  zj_jit_release (jit, e);
  zj_jit_release (jit, f);
  zj_jit_release (jit, g);
  zj_prepared_free (pa);
  zj_prepared_free (pb);
  zj_program_free (&a);
  zj_program_free (&b);
  zj_jit_free (jit);
}

/* --opt: a level, then GCC -f options; bad text gets a one-line reason
   naming the bad part, and options that could change floating-point
   results are refused. */
Test (jit_opts, parse_opt)
{
  zj_jit_opts o;
  zj_jit_opts_default (&o);
  zj_error err;
  cr_assert_eq (o.opt_level, 1);
  cr_assert_null (o.flags);
  cr_assert_eq (zj_jit_parse_opt ("2", &o, &err), 0, "%s", err.msg);
  cr_assert_eq (o.opt_level, 2);
  cr_assert_null (o.flags);
  const char *t = "0,-fschedule-insns,-fno-gcse,-fira-region=all";
  cr_assert_eq (zj_jit_parse_opt (t, &o, &err), 0, "%s", err.msg);
  cr_assert_eq (o.opt_level, 0);
  cr_assert_str_eq (o.flags, "-fschedule-insns,-fno-gcse,-fira-region=all");
  static const struct { const char *text, *names; } bad[] = {
    { "4", "level 0..3" }, { "", "level 0..3" }, { "x", "level 0..3" },
    { "12", "level 0..3" }, { "-1", "level 0..3" }, { "1,", "option ''" }, { "1,-O3", "'-O3'" },
    { "1,-fschedule-insns,-march=native", "'-march=native'" },
    { "1,-f", "'-f'" }, { "1,-fa=b=c", "'-fa=b=c'" }, { "1,-fx=", "'-fx='" },
    { "1,-fa b", "'-fa b'" }, { "1,-o,/tmp/x", "'-o'" },
    { "1,-ffast-math", "floating-point" }, { "1,-fno-signed-zeros", "floating-point" },
    { "1,-ffp-contract=fast", "floating-point" }, { "1,-freciprocal-math", "floating-point" },
    { "1,-fassociative-math", "floating-point" }, { "1,-fexcess-precision=fast", "floating-point" },
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    {
      zj_jit_opts_default (&o);
      cr_assert_eq (zj_jit_parse_opt (bad[i].text, &o, &err), -1, "'%s' accepted", bad[i].text);
      cr_assert (strstr (err.msg, bad[i].names) != NULL, "'%s': %s", bad[i].text, err.msg);
      cr_assert (strchr (err.msg, '\n') == NULL, "'%s': not one line", bad[i].text);
      cr_assert_eq (o.opt_level, 1, "'%s' changed the level", bad[i].text);
      cr_assert_null (o.flags, "'%s' set flags", bad[i].text);
    }
  char longf[ZJ_JIT_FLAGS_MAX + 8] = "1,-f";
  memset (longf + 4, 'a', ZJ_JIT_FLAGS_MAX);
  longf[ZJ_JIT_FLAGS_MAX + 4] = '\0';
  cr_assert_eq (zj_jit_parse_opt (longf, &o, &err), -1);
  cr_assert (strstr (err.msg, "longer than") != NULL, "%s", err.msg);
}

/* The "options passed" line that -fverbose-asm writes into the assembly
   of pp at o (NULL if none). */
static char *
options_passed (const zj_prepared *pp, const zj_jit_opts *o)
{
  char *buf = NULL;
  size_t len = 0;
  zj_error err;
  FILE *f = open_memstream (&buf, &len);
  cr_assert_eq (zj_jit_dump (pp, ZJ_RMS_ERROR, "asm", o, f, &err), 0, "%s", err.msg);
  fclose (f);
  /* GCC wraps the list over several "# " comment lines: join them. */
  char *line = strstr (buf, "options passed:"), *r = NULL;
  if (line)
    {
      r = calloc (strlen (line) + 2, 1);
      cr_assert_not_null (r);
      size_t n = 0;
      for (char *q = line; *q && (q == line || *q == '#'); )
        {
          if (q != line)
            q += strspn (q, "# \t");
          const size_t k = strcspn (q, "\n");
          if (n && r[n - 1] != ' ')
            r[n++] = ' ';
          memcpy (r + n, q, k);
          n += k;
          q += k + (q[k] == '\n');
        }
    }
  free (buf);
  return r;
}

/* The level's options and the caller's reach libgccjit, in that order
   (the last of -fX / -fno-X wins), and both tiers still agree. */
Test (jit_opts, flags_reach_the_compiler, .timeout = 300)
{
  zj_rng r;
  zj_rng_seed (&r, 3);
  zj_program p;
  op_program (ZJ_MATRIX_VECTOR_PRODUCT_OP, &p, &r);
  zj_shape sh = shape663_base;
  zj_prepared *pp = prep (&p, &sh, true);
  zj_jit_opts o;
  zj_jit_opts_default (&o);
  o.flags = "-fverbose-asm,-fno-gcse";   /* GCC does not list -fverbose-asm */
  char *l = options_passed (pp, &o);
  cr_assert_not_null (l, "no options line in the assembly");
  cr_assert (strstr (l, "-O1 ") != NULL, "%s", l);
  cr_assert (strstr (l, "-ffp-contract=off") != NULL, "%s", l);
  char *x = strstr (l, "-fexpensive-optimizations -fschedule-insns2 ");
  cr_assert_not_null (x, "level 1 without its two passes: %s", l);
  cr_assert (strstr (l, "-fno-gcse") > x, "%s", l);
  free (l);
  o.opt_level = 2;
  o.flags = "-fverbose-asm,-fschedule-insns";
  l = options_passed (pp, &o);
  cr_assert_not_null (l);
  cr_assert (strstr (l, "-O2 ") != NULL, "%s", l);
  cr_assert_null (strstr (l, "-fexpensive-optimizations"), "%s", l);
  cr_assert_null (strstr (l, "-fschedule-insns2"), "%s", l);
  cr_assert (strstr (l, "-fschedule-insns") != NULL, "%s", l);
  free (l);
  /* Bad options never reach a compile. */
  zj_error err;
  o.flags = "-fverbose-asm,-ffast-math";
  cr_assert_eq (zj_jit_dump (pp, ZJ_RMS_ERROR, "asm", &o, stdout, &err), -1);
  cr_assert (strstr (err.msg, "-ffast-math") != NULL, "%s", err.msg);
  cr_assert_null (zj_jit_new (&o, &err));
  cr_assert (strstr (err.msg, "-ffast-math") != NULL, "%s", err.msg);
  /* Code compiled with the caller's options agrees with the interpreter
     (the flags string is copied: the caller's may go away). */
  char flags[64] = "-fno-expensive-optimizations,-fschedule-insns";
  o.opt_level = 1;
  o.flags = flags;
  zj_jit *jit = zj_jit_new (&o, &err);
  cr_assert_not_null (jit, "%s", err.msg);
  memset (flags, 0, sizeof flags);
  zj_jit_entry *e = zj_jit_get (jit, pp, ZJ_RMS_ERROR, &err);
  cr_assert_not_null (e, "%s", err.msg);
  zj_task *t = make_task (4, 6, 3, 2, ZJ_RMS_ERROR, true, 9);
  zj_eval_opts eo;
  zj_eval_opts_default (&eo);
  cr_assert (compare_pp (jit, e, pp, &sh, t, &eo, 5, "caller's GCC options"));
  free_task (t);
  zj_jit_release (jit, e);
  zj_jit_free (jit);
  zj_prepared_free (pp);
  zj_program_free (&p);
}

/* The caller's options reach every compile, in process and in the worker
   processes: an option GCC does not know makes each one fail (counted,
   reported; the caller interprets), where the same jit without it
   compiles. */
Test (jit_opts, flags_reach_every_compile, .timeout = 300)
{
  zj_rng r;
  zj_rng_seed (&r, 5);
  zj_program p;
  op_program (ZJ_VECTOR_INNER_PRODUCT_OP, &p, &r);
  zj_shape sh = shape663_base;
  zj_prepared *pp = prep (&p, &sh, true);
  for (int recycle = 0; recycle <= 1; recycle++)
    for (int bad = 0; bad <= 1; bad++)
      {
        zj_jit_opts o;
        zj_jit_opts_default (&o);
        o.worker_recycle = recycle;
        o.flags = bad ? "-fschedule-insns,-fzj-no-such-option" : "-fschedule-insns";
        zj_error err = { "" };
        zj_jit *jit = zj_jit_new (&o, &err);
        cr_assert_not_null (jit, "%s", err.msg);
        zj_jit_entry *e = zj_jit_get (jit, pp, ZJ_RMS_ERROR, &err);
        zj_jit_stats st;
        zj_jit_get_stats (jit, &st);
        if (bad)
          {
            cr_assert_null (e, "recycle %d: compiled with an unknown option", recycle);
            cr_assert_eq (st.failures, 1, "recycle %d", recycle);
            cr_assert (err.msg[0] != '\0');
          }
        else
          {
            cr_assert_not_null (e, "recycle %d: %s", recycle, err.msg);
            cr_assert_eq (st.failures, 0);
            zj_jit_release (jit, e);
          }
        zj_jit_free (jit);
      }
  zj_prepared_free (pp);
  zj_program_free (&p);
}
