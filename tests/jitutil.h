/* jitutil.h -- tasks, the bit-for-bit comparison of the JIT tier with the
 * interpreter (one task and interleaved pairs), batches of cases, and
 * the one-op program shared by the JIT suites test_jit*.c (include after
 * criterion.h and testutil.h). */
#ifndef ZJ_JITUTIL_H
#define ZJ_JITUTIL_H
#include <math.h>
#include <stdio.h>
#include <zerojit/jit.h>

static const zj_shape shape663_base = { 4, 6, 6, 3 };

/* ------------------------------------------------------------ helpers */
static inline double
special (zj_rng *r)
{
  static const double sp[] = { NAN, INFINITY, -INFINITY, 0.0, -0.0, 1e300, -1e-300 };
  return sp[zj_rng_below (r, 7)];
}

/* A task whose inputs are gaussian, with some specials when `specials`. */
static inline zj_task *
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

static inline void
free_task (zj_task *t)
{
  zj_task_free (t);
  free (t);
}

static inline bool
same_bits (const double *a, const double *b, size_t n)
{
  return memcmp (a, b, n * sizeof *a) == 0;
}

/* Bit-identical, except that any two NaNs match: which NaN operand's
   payload and sign x86 propagates depends on the operand order the
   compiler picks for a commutative op, in the interpreter as in the JIT. */
static inline bool
same_mem (const double *a, const double *b, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (!same_bits (&a[i], &b[i], 1) && !(isnan (a[i]) && isnan (b[i])))
      return false;
  return true;
}

/* Runs both tiers; true when every observable agrees bit for bit. */
static inline bool
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
static inline bool
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
static inline const zj_task *
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

static inline int
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

static inline zj_jit *
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

static inline zj_jit *
new_jit (const char *isa, int recycle)
{
  return new_jit_opt (isa, recycle, 1);
}

static inline zj_instr
ins (int op, int a, int b, int o)
{
  return zj_test_ins (op, a, b, o);
}

static inline zj_instr
rnd (int op, int out, float lo, float hi)
{
  zj_instr i = zj_test_ins (op, 0, 0, out);
  i.fd[0] = lo;
  i.fd[1] = hi;
  return i;
}

/* Address used for an operand of kind k in the per-op program. */
static inline int
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

static inline zj_instr
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

static inline void
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

/* Whether this CPU runs the avx512 and avx512z code. */
static inline bool
have_avx512 (void)
{
  __builtin_cpu_init ();
  return __builtin_cpu_supports ("avx512f") && __builtin_cpu_supports ("avx512vl");
}

#endif
