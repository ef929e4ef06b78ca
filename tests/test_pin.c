/* test_pin.c -- pinned lane stencils (jit/stencil_pin.h, ZEROJIT_PIN=1)
 * against the lane interpreter: random programs whose Predict and Learn
 * use only ops with pinned stencils, over shapes that fit the registers,
 * give bit for bit the same fitness, steps, recorded errors and final lane
 * memory, and run on pinned code; a program with another op, or a shape
 * that does not fit, runs on the ordinary stencils with the same results. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <unistd.h>
#include "testutil.h"
#include "internal.h"
#include "baseline.h"
#include "kernels_lanes.h"
#include "stencil_pin.h"
#include "stencilutil.h"

static bool
pinnable (int op, void *ctx)
{
  (void) ctx;
  return zj_pin_op_ok (op);
}

/* Setup: any deterministic op; Predict and Learn: pinnable ops only, none
   writing v0 or s0 (pinned code reads them from the row), then s1 =
   dot(v0, v1) in Predict. */
static void
pin_program (zj_rng *r, const zj_shape *sh, zj_program *p)
{
  zj_test_random_program_where (r, sh, p, 7, pinnable, NULL);
  for (int c = ZJ_PREDICT; c <= ZJ_LEARN; c++)
    for (int i = 0; i < p->fn[c].n; i++)
      if (p->fn[c].ins[i].out == 0)
        p->fn[c].ins[i].out = 1;
}

/* n programs on nt tasks of shape sh: equal to the interpreter; returns
   the baseline's stats. */
static zj_baseline_stats
pin_sweep (const zj_shape *sh, zj_eval_type et, int nt, int n_programs,
           bool any_op, uint64_t seed)
{
  setenv ("ZEROJIT_PIN", "1", 1);
  zj_baseline *b = zj_baseline_new (false);
  unsetenv ("ZEROJIT_PIN");
  sweep_env e;
  sweep_begin (&e, b, sh->F, et, nt, seed);
  e.sh = *sh;
  zj_workspace_free (e.ws1);
  zj_workspace_free (e.ws2);
  e.ws1 = zj_workspace_new (&e.sh);
  e.ws2 = zj_workspace_new (&e.sh);
  zj_baseline_attach (b, e.ws2);
  for (int n = 0; n < n_programs; n++)
    {
      if (any_op)
        zj_test_random_program (&e.r, &e.sh, &e.p);
      else
        pin_program (&e.r, &e.sh, &e.p);
      char what[96];
      snprintf (what, sizeof what, "pinned F=%d S=%d V=%d et=%d nt=%d program %d",
                sh->F, sh->ns, sh->nv, (int) et, nt, n);
      sweep_check (&e, n, what);
    }
  zj_baseline_stats s;
  zj_baseline_stats_get (b, &s);
  cr_assert_eq (s.failures, 0, "%s", zj_baseline_error (b));
  cr_assert_eq (s.fallbacks, 0);
  sweep_end (&e);
  return s;
}

Test (pin, random_programs_equal_lane_interpreter, .timeout = 600)
{
  if (ZJ_LW != 8)
    cr_skip ("pinned stencils need AVX-512");
  use_cache_dir ("stencils");
  /* (F, scalars, vectors, tasks): 2 chunks of 8 lanes for 9-16 tasks. */
  static const int shapes[][4] = {
    { 4, 4, 3, 10 }, { 4, 5, 4, 6 }, { 2, 5, 4, 10 }, { 8, 4, 3, 8 }, { 4, 2, 2, 3 },
  };
  for (int i = 0; i < 5; i++)
    {
      const zj_shape sh = { shapes[i][0], shapes[i][1], shapes[i][2], 1 };
      const int nt = shapes[i][3];
      cr_assert (zj_pin_fits (sh.F, (nt + 7) / 8, sh.ns, sh.nv));
      for (int et = 0; et < 2; et++)
        {
          const zj_baseline_stats s
            = pin_sweep (&sh, et ? ZJ_ACCURACY : ZJ_RMS_ERROR, nt, 60, false,
                         100 + (uint64_t) (i * 2 + et));
          /* Every kernel of these programs is pinned. */
          cr_assert_gt (s.kernels, 10, "shape %d", i);
          cr_assert_eq (s.pinned, s.kernels, "shape %d et %d: %ld of %ld pinned",
                        i, et, s.pinned, s.kernels);
        }
    }
}

Test (pin, other_ops_and_large_shapes_keep_stencils, .timeout = 600)
{
  if (ZJ_LW != 8)
    cr_skip ("pinned stencils need AVX-512");
  use_cache_dir ("stencils");
  /* Programs over every op: the pinnable ones pinned, the rest on the
     ordinary stencils, all equal to the interpreter. */
  const zj_shape sh = { 4, 4, 3, 2 };
  const zj_baseline_stats s = pin_sweep (&sh, ZJ_RMS_ERROR, 10, 80, true, 7);
  cr_assert_gt (s.kernels, s.pinned, "some kernels need another op");
  /* F = 16: one vector is 32 registers; nothing is pinned. */
  const zj_shape big = { 16, 4, 3, 1 };
  cr_assert (!zj_pin_fits (16, 2, 4, 3));
  const zj_baseline_stats t = pin_sweep (&big, ZJ_ACCURACY, 10, 20, false, 8);
  cr_assert_gt (t.kernels, 5);
  cr_assert_eq (t.pinned, 0);
}

/* The library holds exactly the stencils it builds: one per pinnable op
   and choice of in-range addresses (output address 0 excepted: s0 and v0
   come from the row), found by zj_pin_stencil; any address beyond its
   kind's range has none, and the table is no larger than twice what it
   holds (it was NUM_OPS x max(S, V)^3 slots: 25 MB for 23 scalars). */
Test (pin, library_holds_exactly_the_built_stencils, .timeout = 600)
{
  if (ZJ_LW != 8)
    cr_skip ("pinned stencils need AVX-512");
  use_cache_dir ("stencils");
  static const int shapes[][4] = { { 4, 1, 4, 3 }, { 2, 1, 8, 2 } };  /* F C S V */
  for (int i = 0; i < 2; i++)
    {
      const int F = shapes[i][0], C = shapes[i][1], S = shapes[i][2], V = shapes[i][3];
      cr_assert (zj_pin_fits (F, C, S, V));
      zj_pin_lib lib;
      zj_error err = { "" };
      cr_assert_eq (zj_pin_lib_load (&lib, F, C, S, V, &err), 0, "%s", err.msg);
      size_t found = 0;
      for (int op = 1; op < ZJ_NUM_OPS; op++)
        {
          const zj_op_info *I = &zj_ops[op];
          const int r[3] = {
            I->out == ZJ_KIND_S ? S : I->out == ZJ_KIND_V ? V : 1,
            I->in1 == ZJ_KIND_S ? S : I->in1 == ZJ_KIND_V ? V : 1,
            I->in2 == ZJ_KIND_S ? S : I->in2 == ZJ_KIND_V ? V : 1,
          };
          for (int o = 0; o <= r[0]; o++)
            for (int a = 0; a <= r[1]; a++)
              for (int b = 0; b <= r[2]; b++)
                {
                  const bool in = zj_pin_op_ok (op) && o >= 1 && o < r[0]
                                  && a < r[1] && b < r[2];
                  const zj_stencil *st = zj_pin_stencil (&lib, op, o, a, b);
                  cr_assert_eq (st != NULL, in, "shape %d op %s (%d, %d, %d)",
                                i, I->name, o, a, b);
                  found += st != NULL;
                }
        }
      cr_assert_gt (found, 0);
      /* Output address 0 has slots but no stencils: at most half of an
         op's slots when its output kind has 2 addresses. */
      cr_assert_leq (found, lib.nst, "shape %d", i);
      cr_assert_leq (lib.nst, 2 * found, "shape %d: %zu slots for %zu stencils",
                     i, lib.nst, found);
      zj_pin_lib_free (&lib);
    }
  /* 15 scalars and 3 vectors of 4 fit the registers (14 + 8), but their
     library would be 13,500 stencils: not pinned. */
  cr_assert (!zj_pin_fits (4, 1, 15, 3));
  cr_assert (zj_pin_fits (4, 1, 7, 3));
}

/* The listing `zerojit show --tier=baseline` prints (zj_baseline_listing)
   under ZEROJIT_PIN=1 ends with the pinned kernel's four chains as they
   run: every fill and spill by address and every instruction with its
   pinned stencil, in the chains' order; without it, or for a program with
   an op that has no pinned stencil, no pinned chain. */
static char *
listing (const char *prog, bool pin, bool asm_)
{
  zj_program p;
  zj_program_init (&p);
  zj_error err = { "" };
  cr_assert_eq (zj_program_parse (prog, "listing", &p, &err), 0, "%s", err.msg);
  const zj_shape sh = { 4, 4, 3, 1 };
  if (pin)
    setenv ("ZEROJIT_PIN", "1", 1);
  zj_baseline *b = zj_baseline_new (false);
  unsetenv ("ZEROJIT_PIN");
  char *text = baseline_listing_text (b, &p, &sh, 10, asm_);
  zj_baseline_free (b);
  zj_program_free (&p);
  return text;
}

/* The lines of text from the first containing from, each reduced to what
   precedes "  #" (or all of it) without trailing blanks, joined with '|'. */
static void
lines_from (const char *text, const char *from, char *buf, size_t n)
{
  const char *s = strstr (text, from);
  cr_assert_not_null (s, "%s", text);
  buf[0] = '\0';
  while (*s)
    {
      const char *e = strchr (s, '\n');
      const size_t l = e ? (size_t) (e - s) : strlen (s);
      char line[256];
      snprintf (line, sizeof line, "%.*s", (int) (l < 255 ? l : 255), s);
      char *h = strstr (line, "  #");
      if (h && h != line)
        *h = '\0';
      for (size_t k = strlen (line); k > 0 && line[k - 1] == ' '; k--)
        line[k - 1] = '\0';
      strncat (buf, line, n - strlen (buf) - 2);
      strcat (buf, "|");
      if (!e)
        break;
      s = e + 1;
    }
}

Test (pin, listing_shows_the_pinned_chains, .timeout = 300)
{
  if (ZJ_LW != 8)
    cr_skip ("pinned stencils need AVX-512");
  use_cache_dir ("stencils");
  static const char *lr =
    "def Setup():\n  s2 = -0.01\n"
    "def Predict():\n  s1 = dot(v0, v1)\n"
    "def Learn():\n  s3 = s0 - s1\n  s3 = s2 * s3\n  v2 = s3 * v0\n  v1 = v1 + v2\n";
  char *text = listing (lr, true, false);
  char got[2048];
  lines_from (text, "def pinned_fill", got, sizeof got);
  /* Fill what the steps read or write; Predict stores s1 for the check;
     spill what they write (s2 is only read). */
  cr_assert_str_eq (got,
    "def pinned_fill():|  fill s1|  fill s2|  fill s3|  fill v1|  fill v2|"
    "def pinned_Predict():|  s1 = dot(v0, v1)|  spill s1|"
    "def pinned_Learn():|  s3 = s0 - s1|  s3 = s2 * s3|  v2 = s3 * v0|  v1 = v1 + v2|"
    "def pinned_spill():|  spill s1|  spill s3|  spill v1|  spill v2|");
  char name[48];
  snprintf (name, sizeof name, "# zj_pin_%d_1_0_1", (int) ZJ_VECTOR_INNER_PRODUCT_OP);
  cr_assert_not_null (strstr (text, name), "%s", text);
  free (text);
  /* With the machine code: every piece is followed by instructions that
     touch the pinned registers. */
  text = listing (lr, true, true);
  cr_assert_not_null (strstr (text, "%zmm10"), "%s", text);
  free (text);
  /* Without ZEROJIT_PIN, and for a program with an op without pinned
     stencils (an exp), no pinned chain. */
  text = listing (lr, false, false);
  cr_assert_null (strstr (text, "pinned"), "%s", text);
  free (text);
  text = listing ("def Setup():\ndef Predict():\n  s1 = exp(s1)\ndef Learn():\n",
                  true, false);
  cr_assert_null (strstr (text, "def pinned_"), "%s", text);
  cr_assert_not_null (strstr (text, "# not pinned (ZEROJIT_PIN=1)"), "%s", text);
  free (text);
}
