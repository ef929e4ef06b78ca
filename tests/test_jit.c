/* test_jit.c -- the JIT tier agrees with the interpreter bit for bit.
 *
 * Every op at every F on inputs that include NaN, infinities, negatives
 * and zeros; then random programs over all 65 ops (multi-epoch, ACCURACY
 * and RMS, aborts, pruned and unpruned), in every ISA and from forked
 * compile workers.  Fitness, train_steps, the aborted flag, recorded
 * errors and the final workspace memory must be identical (memcmp).
 * The lowering's locals are tested in test_jit_locals.c, the API in
 * test_jit_api.c.
 */
#include <criterion/criterion.h>
#include "testutil.h"
#include "jitutil.h"

/* ------------------------------------------------------- one op at a time */
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
            k->pp = zj_test_prepare (&p, &shape, false);
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
      k->pp = zj_test_prepare (&p, &shape, zj_rng_below (&r, 2));
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
/* Batches (one context, one shared object for several programs) in the
   workers, as a search's tier compiles: each entry dlopens its own handle
   and finds its own functions; workers recycled every 2 contexts. */
Test (jit_random, worker_batches, .timeout = 300)
{ random_batch (7, zj_test_scale (12, 40), NULL, 2, 4); }
