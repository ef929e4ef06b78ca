/* test_jit_api.c -- the JIT's API: structure hash, cache counts, options
 * and dumps, lookups that never compile, a compile worker that dies. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include "testutil.h"
#include "identity.h"
#include "jitutil.h"
#include "jit_internal.h"

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
  zj_prepared *pa = zj_test_prepare (&a, &sh, false), *pb = zj_test_prepare (&b, &sh, false),
    *pc = zj_test_prepare (&c, &sh, false);
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
  zj_prepared *pp = zj_test_prepare (&p, &sh, true);
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
  zj_prepared *pa = zj_test_prepare (&a, &sh, true), *pb = zj_test_prepare (&b, &sh, true);
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

/* A compile worker killed between compiles fails the next compile (the
   write to its pipe gets EPIPE: SIGPIPE must not kill the caller), which
   is counted; the compile after that starts a new worker and works. */
Test (jit_api, dead_worker_fails_one_compile, .timeout = 120)
{
  zj_jit_opts o;
  zj_jit_opts_default (&o);
  o.worker_recycle = 100;
  zj_error err = { "" };
  zj_jit *jit = zj_jit_new (&o, &err);
  cr_assert_not_null (jit, "%s", err.msg);
  static const int ops[3] = { ZJ_VECTOR_INNER_PRODUCT_OP, ZJ_SCALAR_SUM_OP,
                              ZJ_VECTOR_SUM_OP };
  zj_program p[3];
  zj_prepared *pp[3];
  zj_shape sh = shape663_base;
  zj_rng r;
  zj_rng_seed (&r, 11);
  for (int i = 0; i < 3; i++)
    {
      op_program (ops[i], &p[i], &r);
      pp[i] = zj_test_prepare (&p[i], &sh, true);
    }
  zj_jit_entry *e = zj_jit_get (jit, pp[0], ZJ_RMS_ERROR, &err);
  cr_assert_not_null (e, "%s", err.msg);
  zj_jit_release (jit, e);
  pid_t zygote, w;
  zj_jit_worker_pids (jit, &zygote, &w);
  cr_assert_gt (w, 0, "no compile worker found");
  cr_assert_eq (kill (w, SIGKILL), 0);
  /* The zygote's child (test_jit_workers.c), reaped by the kernel. */
  for (int i = 0; i < 500 && kill (w, 0) == 0; i++)
    usleep (10000);
  cr_assert_neq (kill (w, 0), 0, "worker %d still there", (int) w);
  e = zj_jit_get (jit, pp[1], ZJ_RMS_ERROR, &err);
  cr_assert_null (e, "compiled by a dead worker");
  cr_assert (strstr (err.msg, "worker died") != NULL, "%s", err.msg);
  zj_jit_stats st;
  zj_jit_get_stats (jit, &st);
  cr_assert_eq (st.failures, 1);
  e = zj_jit_get (jit, pp[2], ZJ_RMS_ERROR, &err);
  cr_assert_not_null (e, "no new worker: %s", err.msg);
  zj_task *t = make_task (4, 6, 3, 2, ZJ_RMS_ERROR, true, 9);
  zj_eval_opts eo;
  zj_eval_opts_default (&eo);
  cr_assert (compare_pp (jit, e, pp[2], &sh, t, &eo, 5, "after a new worker"));
  free_task (t);
  zj_jit_release (jit, e);
  for (int i = 0; i < 3; i++)
    {
      zj_prepared_free (pp[i]);
      zj_program_free (&p[i]);
    }
  zj_jit_free (jit);
}
