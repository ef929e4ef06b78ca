/* jit_isa.c -- what a compile is given: the instruction-set choice and
 * its GCC options (with the caller's, checked: nothing that could change
 * floating-point results), the libgccjit context set-up, and the table of
 * runtime functions native code calls.
 */
#include "config.h"
#include "jit_internal.h"
#include <sleef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- isa */
void
zj_isa_choose (zj_isa *isa, const char *name, int opt_level)
{
  memset (isa, 0, sizeof *isa);
  isa->opt_level = opt_level;
  __builtin_cpu_init ();
  if (!name || !strcmp (name, "auto"))
    name = __builtin_cpu_supports ("avx512vl") ? "avx512z"
         : __builtin_cpu_supports ("avx2") ? "avx2"
         : __builtin_cpu_supports ("avx") ? "avx" : "sse2";
  if (!strcmp (name, "avx512") || !strcmp (name, "avx512z"))
    {
      /* "avx512": still 256-bit vectors, but AVX-512VL doubles the
         register file to 32 ymm registers, so matrices held in vector
         locals spill far less.  "avx512z": 512-bit vectors of 8 doubles
         where 8 divides F (reductions still add in the canonical 4 lanes,
         on the halves of each chunk).  The default on AVX-512 hosts: half
         the vector statements, so a third less compile time, at the same
         run time at -O1, and at -O2 8% below 4 lanes at their best (-O1)
         on the NN program at F=16,
         whose training step is bound by its dependency chain rather than
         by instruction count (bench/RESULTS.md, "NN at F=16: two tasks
         per native call"). */
      isa->avx = true;
      isa->zmm = name[6] == 'z';
      isa->flags[isa->nflags++] = "-mavx2";
      isa->flags[isa->nflags++] = "-mavx512f";
      isa->flags[isa->nflags++] = "-mavx512vl";
      isa->flags[isa->nflags++] = "-mprefer-vector-width=256";
    }
  else if (!strcmp (name, "avx2"))
    {
      isa->avx = true;
      isa->flags[isa->nflags++] = "-mavx2";
    }
  else if (!strcmp (name, "avx"))
    {
      isa->avx = true;
      isa->flags[isa->nflags++] = "-mavx";
    }
  /* "sse2": the x86-64 baseline, 2-lane vectors, no flag needed. */
}

/* One option of zj_jit_opts.flags: "-f" then letters, digits, '-', '_'
   and '.', with at most one "=VALUE" of the same characters.  Narrow on
   purpose: the text reaches GCC's option parser, and what is not an
   optimisation switch (-o FILE, -c, -march=native) has no business
   there. */
static bool
flag_ok (const char *f, size_t n)
{
  if (n < 3 || f[0] != '-' || f[1] != 'f')
    return false;
  bool eq = false;
  for (size_t i = 2; i < n; i++)
    {
      const char c = f[i];
      if (c == '=' && !eq && i > 2 && i + 1 < n)
        eq = true;
      else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                 || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
        return false;
    }
  return true;
}

/* Options that let GCC change floating-point results (contraction to FMA,
   reassociation, reciprocals, ignored signed zeros...): every tier must
   agree with the interpreter bit for bit (doc/optimized_tier.md). */
static bool
flag_changes_results (const char *f, size_t n)
{
  static const char *const bad[] = {
    "math", "fp-contract", "signed-zeros", "reciprocal", "associative",
    "excess-precision", "rounding", "fp-int-builtin",
  };
  for (size_t b = 0; b < sizeof bad / sizeof *bad; b++)
    {
      const size_t m = strlen (bad[b]);
      for (size_t i = 0; i + m <= n; i++)
        if (!strncmp (f + i, bad[b], m))
          return true;
    }
  return false;
}

int
zj_jit_flags_check (const char *flags, zj_error *err)
{
  if (!flags)
    return 0;
  if (strlen (flags) >= ZJ_JIT_FLAGS_MAX)
    {
      zj_error_set (err, "jit/jit.c: GCC options '%.40s...': longer than %d characters",
                    flags, ZJ_JIT_FLAGS_MAX - 1);
      return -1;
    }
  for (const char *f = flags;;)
    {
      const char *end = strchr (f, ',');
      const size_t n = end ? (size_t) (end - f) : strlen (f);
      if (!flag_ok (f, n))
        {
          zj_error_set (err, "jit/jit.c: GCC option '%.*s': expected -fNAME or "
                        "-fNAME=VALUE (e.g. -fschedule-insns)", (int) n, f);
          return -1;
        }
      if (flag_changes_results (f, n))
        {
          zj_error_set (err, "jit/jit.c: GCC option '%.*s': may change floating-point "
                        "results (native code must match the interpreter bit for bit)",
                        (int) n, f);
          return -1;
        }
      if (!end)
        return 0;
      f = end + 1;
    }
}

int
zj_jit_parse_opt (const char *text, zj_jit_opts *o, zj_error *err)
{
  const char *comma = strchr (text, ',');
  const size_t n = comma ? (size_t) (comma - text) : strlen (text);
  if (n != 1 || text[0] < '0' || text[0] > '3')
    {
      zj_error_set (err, "expected a level 0..3, then optionally GCC options: "
                    "N[,-fNAME...]");
      return -1;
    }
  if (comma && zj_jit_flags_check (comma + 1, err) != 0)
    {
      char why[sizeof err->msg];
      snprintf (why, sizeof why, "%s", err->msg + strlen ("jit/jit.c: "));
      zj_error_set (err, "%s", why);
      return -1;
    }
  o->opt_level = text[0] - '0';
  o->flags = comma ? comma + 1 : NULL;
  return 0;
}

/* Each option of a comma-separated list. */
static void
add_options (gcc_jit_context *ctx, const char *list)
{
  char buf[ZJ_JIT_FLAGS_MAX];
  snprintf (buf, sizeof buf, "%s", list);
  for (char *f = buf, *end; *f; f = end + 1)
    {
      end = strchr (f, ',');
      if (end)
        *end = '\0';
      gcc_jit_context_add_command_line_option (ctx, f);   /* copies f */
      if (!end)
        break;
    }
}

void
zj_jit_context_setup (gcc_jit_context *ctx, const zj_isa *isa)
{
  gcc_jit_context_set_int_option (ctx, GCC_JIT_INT_OPTION_OPTIMIZATION_LEVEL,
                                  isa->opt_level);
  gcc_jit_context_set_bool_print_errors_to_stderr (ctx, 0);
  gcc_jit_context_set_bool_allow_unreachable_blocks (ctx, 1);
  /* Bit identity with the interpreter: no FMA contraction. */
  gcc_jit_context_add_command_line_option (ctx, "-ffp-contract=off");
  gcc_jit_context_add_command_line_option (ctx, "-fno-math-errno");
  /* Caps GCC's garbage-collected heap (~60 MB instead of ~300 MB). */
  gcc_jit_context_add_command_line_option (ctx, "--param=ggc-min-heapsize=16384");
  for (int i = 0; i < isa->nflags; i++)
    gcc_jit_context_add_command_line_option (ctx, isa->flags[i]);
  /* -O1 with two of -O2's passes: on the NN program at F=16 they give
     -O2's run time (or better) for a third of its extra compile time, and
     the tiering benchmark's searches are no slower (bench/RESULTS.md, "NN
     at F=16 at the default optimization"; doc/optimized_tier.md). */
  if (isa->opt_level == 1)
    add_options (ctx, ZJ_JIT_LEVEL1_FLAGS);
  /* The caller's options last: GCC lets the last of -fX / -fno-X win. */
  add_options (ctx, isa->extra);
}

void
zj_lane_context_setup (gcc_jit_context *ctx, int W, int opt_level)
{
  /* Bit identity with the interpreter as in zj_jit_context_setup. */
  static const char *const opts[] = {
    "-ffp-contract=off", "-fno-math-errno", "-fno-strict-aliasing",
    "-fwrapv", "-mavx2", "-fno-asynchronous-unwind-tables",
  };
  gcc_jit_context_set_int_option (ctx, GCC_JIT_INT_OPTION_OPTIMIZATION_LEVEL,
                                  opt_level);
  for (size_t i = 0; i < sizeof opts / sizeof *opts; i++)
    gcc_jit_context_add_command_line_option (ctx, opts[i]);
  if (W == 8)
    {
      gcc_jit_context_add_command_line_option (ctx, "-mavx512f");
      gcc_jit_context_add_command_line_option (ctx, "-mavx512vl");
      gcc_jit_context_add_command_line_option (ctx, "-mavx512dq");
      gcc_jit_context_add_command_line_option (ctx, "-mprefer-vector-width=512");
    }
}

static double
rt_rng_open (void *r, double lo, double hi)
{
  return zj_rng_open (r, lo, hi);
}

static double
rt_rng_gauss (void *r, double m, double s)
{
  return zj_rng_gaussian (r, m, s);
}

void
zj_jit_rt_table (void *rt[ZJ_RT_COUNT])
{
  rt[ZJ_RT_SIN] = (void *) Sleef_sin_u10;
  rt[ZJ_RT_COS] = (void *) Sleef_cos_u10;
  rt[ZJ_RT_TAN] = (void *) Sleef_tan_u10;
  rt[ZJ_RT_ASIN] = (void *) Sleef_asin_u10;
  rt[ZJ_RT_ACOS] = (void *) Sleef_acos_u10;
  rt[ZJ_RT_ATAN] = (void *) Sleef_atan_u10;
  rt[ZJ_RT_EXP] = (void *) Sleef_exp_u10;
  rt[ZJ_RT_LOG] = (void *) Sleef_log_u10;
  rt[ZJ_RT_SIGMOID] = (void *) zj_sigmoid;
  rt[ZJ_RT_RNG_OPEN] = (void *) rt_rng_open;
  rt[ZJ_RT_RNG_GAUSS] = (void *) rt_rng_gauss;
  rt[ZJ_RT_RMS_FITNESS] = (void *) zj_rms_fitness;
}
