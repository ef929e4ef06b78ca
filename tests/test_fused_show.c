/* test_fused_show.c -- inspecting fused step kernels (jit/fused_show.c):
 * the reason a structure cannot be fused names its instruction and op;
 * the listing puts machine code under every Predict/Learn instruction;
 * the kernels built with the listing's locations and debug info compute
 * what the kernels a search runs compute, bit for bit. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "internal.h"
#include "baseline.h"
#include "fused.h"

static const char *const linear =
  "def Setup():\n  s2 = 0.01\n"
  "def Predict():\n  s1 = dot(v1, v0)\n"
  "def Learn():\n  s3 = s0 - s1\n  s3 = s2 * s3\n  v2 = s3 * v0\n  v1 = v1 + v2\n";

static void
parse (const char *text, zj_program *p)
{
  zj_error err;
  zj_program_init (p);
  cr_assert_eq (zj_program_parse (text, "test", p, &err), 0, "%s", err.msg);
}

Test (fused_show, why_not_names_the_instruction_and_op)
{
  zj_program p;
  char why[512];
  parse (linear, &p);
  cr_assert_not (zj_fused_why_not (&p, 4, why, sizeof why));
  zj_program_free (&p);
  parse ("def Setup():\n"
         "def Predict():\n  s1 = dot(v1, v0)\n"
         "def Learn():\n  s3 = s0 - s1\n  s4 = exp(s3)\n", &p);
  cr_assert (zj_fused_why_not (&p, 4, why, sizeof why));
  cr_assert_str_eq (why, "Learn instruction 2 's4 = exp(s3)': op SCALAR_EXP_OP "
                    "has no fused form (SLEEF and random ops run on stencils or "
                    "the interpreter)");
  zj_program_free (&p);
  /* A matrix-matrix product at F=16 is 4,096 vector operations. */
  parse ("def Setup():\n"
         "def Predict():\n  m1 = matmul(m0, m0)\n  s1 = norm(m1)\n"
         "def Learn():\n", &p);
  cr_assert (zj_fused_why_not (&p, 16, why, sizeof why));
  cr_assert (strstr (why, "Predict does 4352 vector operations per chunk at F=16"),
             "%s", why);
  cr_assert_not (zj_fused_why_not (&p, 4, why, sizeof why));
  zj_program_free (&p);
}

/* The listing of the linear program: each instruction line followed by
   at least one machine instruction, in program order. */
Test (fused_show, listing_has_machine_code_under_every_instruction, .timeout = 120)
{
  if (!__builtin_cpu_supports ("avx2"))
    cr_skip_test ("no AVX2");
  zj_program p;
  parse (linear, &p);
  const zj_shape sh = { 4, 4, 3, 1 };
  for (int nt = 1; nt <= 10; nt += 9)
    {
      zj_fused_geom g;
      zj_baseline_fused_geom (&p, &sh, nt, &g);
      char *text = NULL;
      size_t len = 0;
      FILE *f = open_memstream (&text, &len);
      zj_error err;
      cr_assert_eq (zj_fused_listing (&p, &g, true, f, &err), 0, "%s", err.msg);
      fclose (f);
      char head[96];
      snprintf (head, sizeof head, "F=4, %d tasks in %d lanes", nt, g.C * g.W);
      cr_assert (strstr (text, head), "%s", text);
      static const char *const ins[] = {
        "  s1 = dot(v1, v0)\n", "  s3 = s0 - s1\n", "  s3 = s2 * s3\n",
        "  v2 = s3 * v0\n", "  v1 = v1 + v2\n",
      };
      const char *at = text;
      for (size_t i = 0; i < sizeof ins / sizeof *ins; i++)
        {
          at = strstr (at, ins[i]);
          cr_assert_not_null (at, "instruction %zu missing or out of order:\n%s", i, text);
          at += strlen (ins[i]);
          /* The next line is machine code: "    ADDR:\tinsn". */
          unsigned long addr;
          char c;
          cr_assert (sscanf (at, " %lx%c", &addr, &c) == 2 && c == ':',
                     "no machine code under '%s':\n%s", ins[i], text);
        }
      free (text);
    }
  zj_program_free (&p);
}

/* The kernels as listed (locations, debug info) and as run compute the
   same memory, bit for bit, from the same random state. */
Test (fused_show, listed_kernels_compute_what_run_kernels_compute, .timeout = 120)
{
  if (!__builtin_cpu_supports ("avx2"))
    cr_skip_test ("no AVX2");
  zj_program p;
  parse ("def Setup():\n"
         "def Predict():\n  v3 = dot(m0, v0)\n  v3 = v3 + v1\n  v4 = maximum(v3, v5)\n"
         "  s1 = dot(v4, v2)\n"
         "def Learn():\n  s4 = s0 - s1\n  s4 = s3 * s4\n  v6 = s4 * v4\n"
         "  v2 = v2 + v6\n  v8 = heaviside(v3, 1.0)\n  m1 = outer(v8, v0)\n"
         "  m0 = m0 + m1\n  s2 = 0.5\n", &p);
  const zj_shape sh = { 4, 5, 9, 2 };
  zj_fused_geom g;
  zj_baseline_fused_geom (&p, &sh, 10, &g);
  g.keep_stores = true;
  zj_fused_code run;
  zj_error err;
  cr_assert_eq (zj_fused_compile (&p, &g, &run, &err), 0, "%s", err.msg);
  /* The listing's build, compiled in memory. */
  gcc_jit_context *ctx = gcc_jit_context_acquire ();
  zj_fused_setup_ctx (ctx, g.W);
  gcc_jit_context_set_bool_option (ctx, GCC_JIT_BOOL_OPTION_DEBUGINFO, 1);
  gcc_jit_location *locs[16];
  for (int i = 0; i < 16; i++)
    locs[i] = gcc_jit_context_new_location (ctx, "program.zj", i + 2, 1);
  zj_fused_ann ann = { .ins = locs };
  for (int c = 0; c < 2; c++)
    ann.frame[c] = ann.store[c] = gcc_jit_context_new_location (ctx, "program.zj", 1, 1);
  cr_assert_eq (zj_fused_build_ann (ctx, &p, &g, "lp", "ll", &ann, &err), 0, "%s", err.msg);
  gcc_jit_result *r = gcc_jit_context_compile (ctx);
  cr_assert_not_null (r, "%s", gcc_jit_context_get_first_error (ctx));
  zj_lnative_fn lp = (zj_lnative_fn) gcc_jit_result_get_code (r, "lp");
  zj_lnative_fn ll = (zj_lnative_fn) gcc_jit_result_get_code (r, "ll");
  cr_assert (lp && ll);
  const size_t L = (size_t) g.C * g.W, nmem = g.lay.total * L;
  /* Rows: F elements of L lanes, and the prefetches' reach beyond. */
  const size_t nrow = (size_t) (g.lay.F + 1) * L * 4;
  double *m1 = aligned_alloc (64, nmem * 8), *m2 = aligned_alloc (64, nmem * 8);
  double *row = aligned_alloc (64, nrow * 8), *s0 = aligned_alloc (64, L * 8);
  double k[16];
  zj_rng rng;
  zj_rng_seed (&rng, 11);
  for (size_t i = 0; i < nmem; i++)
    m1[i] = m2[i] = zj_rng_normal (&rng) * 0.5;
  for (size_t i = 0; i < nrow; i++)
    row[i] = zj_rng_normal (&rng);
  for (size_t i = 0; i < L; i++)
    s0[i] = zj_rng_normal (&rng);
  for (int i = 0; i < 16; i++)
    k[i] = 0.25 * i;
  for (int step = 0; step < 5; step++)
    {
      run.predict (m1, row, s0, k);
      run.learn (m1, row, s0, k);
      lp (m2, row, s0, k);
      ll (m2, row, s0, k);
    }
  cr_assert (memcmp (m1, m2, nmem * 8) == 0, "listed and run kernels differ");
  free (m1);
  free (m2);
  free (row);
  free (s0);
  gcc_jit_result_release (r);
  gcc_jit_context_release (ctx);
  zj_fused_code_free (&run);
  zj_program_free (&p);
}
