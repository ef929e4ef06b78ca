/* test_jit_opts.c -- the optimized tier's GCC options: --opt text, the
 * options reaching every compile, in process and in worker processes. */
#include <criterion/criterion.h>
#include <string.h>
#include "testutil.h"
#include "jitutil.h"

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
  zj_prepared *pp = zj_test_prepare (&p, &sh, true);
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
  zj_prepared *pp = zj_test_prepare (&p, &sh, true);
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
