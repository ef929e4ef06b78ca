/* test_textform.c -- printing and parsing the program text form. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <unistd.h>
#include <zerojit/search.h>
#include "testutil.h"
#include "internal.h"

static const zj_shape big = { 4, 20, 20, 20 };

static char *
instr_string (const zj_instr *in, bool lossless)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&buf, &len);
  zj_instr_print (in, lossless, f);
  fclose (f);
  return buf;
}

/* Parse text that must be valid. */
static void
parse_ok (const char *text, zj_program *p)
{
  zj_error err = { "" };
  zj_program_init (p);
  int rc = zj_program_parse (text, "t.prog", p, &err);
  cr_assert_eq (rc, 0, "parse failed: %s\n--- text:\n%s", err.msg, text);
}

/* Parse text that must fail; returns the message. */
static void
parse_fails (const char *text, const char *expected_msg)
{
  zj_error err = { "" };
  zj_program p;
  zj_program_init (&p);
  int rc = zj_program_parse (text, "bad.prog", &p, &err);
  cr_assert_eq (rc, -1, "parse of:\n%s\nshould fail", text);
  cr_assert_str_eq (err.msg, expected_msg);
  cr_assert_eq (zj_program_size (&p), 0, "failed parse must leave out alone");
  zj_program_free (&p);
}

Test (textform, linear_prints_reference_text)
{
  zj_search_space sp;
  memset (&sp, 0, sizeof sp);
  sp.shape = (zj_shape) { 4, 4, 3, 1 };
  zj_program p;
  zj_program_init (&p);
  zj_error err;
  zj_rng rng;
  zj_rng_seed (&rng, 1);
  cr_assert_eq (zj_generate_algorithm (ZJ_ALG_LINEAR, &sp, &rng, &p, &err), 0,
                "%s", err.msg);
  char *s = zj_program_to_string (&p, false);
  cr_assert_str_eq (s,
                    "def Setup():\n"
                    "  s2 = 0.01\n"
                    "def Predict():\n"
                    "  s1 = dot(v1, v0)\n"
                    "def Learn():\n"
                    "  s3 = s0 - s1\n"
                    "  s3 = s2 * s3\n"
                    "  v2 = s3 * v0\n"
                    "  v1 = v1 + v2\n");
  free (s);
  zj_program_free (&p);
}

Test (textform, empty_program_prints_headers_only)
{
  zj_program p;
  zj_program_init (&p);
  char *s = zj_program_to_string (&p, false);
  cr_assert_str_eq (s, "def Setup():\ndef Predict():\ndef Learn():\n");
  zj_program q;
  parse_ok (s, &q);
  cr_assert (zj_program_equal (&p, &q));
  free (s);
  zj_program_free (&q);
}

Test (textform, number_formatting)
{
  zj_instr in = zj_test_ins (ZJ_SCALAR_CONST_SET_OP, 0, 0, 2);
  in.act = 1e-05;
  char *s = instr_string (&in, false);
  cr_assert_str_eq (s, "s2 = 1e-05");
  free (s);
  in.act = -0.2534651234;
  s = instr_string (&in, false);
  cr_assert_str_eq (s, "s2 = -0.253465");
  free (s);
  in.act = 0.1;
  s = instr_string (&in, true);
  cr_assert_str_eq (s, "s2 = 0.10000000000000001");
  free (s);

  zj_instr v = zj_test_ins (ZJ_VECTOR_CONST_SET_OP, 0, 0, 2);
  v.fd[0] = 0.731f;
  v.fd[1] = -0.25f;
  s = instr_string (&v, false);
  cr_assert_str_eq (s, "v2[0.731] = -0.25");
  free (s);
  s = instr_string (&v, true);
  cr_assert_str_eq (s, "v2[0.731000006] = -0.25");
  free (s);

  zj_instr g = zj_test_ins (ZJ_MATRIX_GAUSSIAN_SET_OP, 0, 0, 0);
  g.fd[1] = 0.1f;
  s = instr_string (&g, false);
  cr_assert_str_eq (s, "m0 = gaussian(0, 0.1, (n_features, n_features))");
  free (s);

  zj_instr n = zj_test_ins (ZJ_NO_OP, 0, 0, 0);
  s = instr_string (&n, false);
  cr_assert_str_eq (s, "NoOp()");
  free (s);
}

Test (textform, every_op_round_trips)
{
  zj_rng rng;
  zj_rng_seed (&rng, 42);
  for (int op = 0; op < ZJ_NUM_OPS; op++)
    for (int rep = 0; rep < 20; rep++)
      {
        zj_instr in;
        zj_random_instruction (&rng, op, &big, &in);
        char *line = instr_string (&in, true);
        char text[512];
        snprintf (text, sizeof text,
                  "def Setup():\ndef Predict():\n  %s\ndef Learn():\n", line);
        zj_program p;
        parse_ok (text, &p);
        cr_assert_eq (p.fn[ZJ_PREDICT].n, 1);
        const zj_instr *got = &p.fn[ZJ_PREDICT].ins[0];
        cr_assert_eq (got->op, op, "op %s parsed as %s from '%s'",
                      zj_ops[op].name, zj_ops[got->op].name, line);
        cr_assert (memcmp (got, &in, sizeof in) == 0,
                   "%s: '%s' does not round-trip", zj_ops[op].name, line);
        free (line);
        zj_program_free (&p);
      }
}

Test (textform, random_programs_round_trip)
{
  zj_rng rng;
  zj_rng_seed (&rng, 7);
  for (int rep = 0; rep < 200; rep++)
    {
      zj_program p;
      zj_program_init (&p);
      for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
        {
          int n = (int) zj_rng_below (&rng, 12);
          for (int i = 0; i < n; i++)
            {
              zj_instr in;
              zj_random_instruction (&rng, (int) zj_rng_below (&rng, ZJ_NUM_OPS),
                                     &big, &in);
              zj_fn_push (&p.fn[c], in);
            }
        }
      /* Lossless text gives the same program back. */
      char *s = zj_program_to_string (&p, true);
      zj_program q;
      parse_ok (s, &q);
      cr_assert (zj_program_equal (&p, &q), "lossless round trip failed:\n%s", s);
      /* The short text is a fixed point after one parse. */
      char *t = zj_program_to_string (&p, false);
      zj_program r;
      parse_ok (t, &r);
      char *u = zj_program_to_string (&r, false);
      cr_assert_str_eq (t, u);
      free (s); free (t); free (u);
      zj_program_free (&p); zj_program_free (&q); zj_program_free (&r);
    }
}

Test (textform, special_values_round_trip)
{
  zj_program p;
  zj_program_init (&p);
  const double acts[] = { INFINITY, -INFINITY, -0.0, 5e-324, 1.7976931348623157e308 };
  for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++)
    {
      zj_instr in = zj_test_ins (ZJ_SCALAR_CONST_SET_OP, 0, 0, 3);
      in.act = acts[i];
      zj_fn_push (&p.fn[ZJ_SETUP], in);
    }
  zj_instr u = zj_test_ins (ZJ_SCALAR_UNIFORM_SET_OP, 0, 0, 1);
  u.fd[0] = 1e-45f;           /* denormal float */
  u.fd[1] = 3.4028235e38f;
  zj_fn_push (&p.fn[ZJ_SETUP], u);
  char *s = zj_program_to_string (&p, true);
  zj_program q;
  parse_ok (s, &q);
  cr_assert (zj_program_equal (&p, &q), "%s", s);
  cr_assert (signbit (q.fn[ZJ_SETUP].ins[2].act), "-0 keeps its sign");
  free (s);
  zj_program_free (&p);
  zj_program_free (&q);

  parse_ok ("def Setup():\n s2 = nan\n s3 = -inf\ndef Predict():\ndef Learn():\n", &q);
  cr_assert (isnan (q.fn[ZJ_SETUP].ins[0].act));
  cr_assert (isinf (q.fn[ZJ_SETUP].ins[1].act) && q.fn[ZJ_SETUP].ins[1].act < 0);
  zj_program_free (&q);
}

Test (textform, flexible_blanks_comments_and_kinds)
{
  zj_program p;
  parse_ok ("# a comment before everything\n"
            "\n"
            "def   Setup():   # trailing comment\n"
            "s2=0.5\n"
            "\t v1[ 0.25 ]=  -1e-3\n"
            "m0[0.5 ,0.25]= 2\n"
            "def Predict():\n"
            "  s1 = dot( v1 ,v0 )\n"
            "  v2 = dot(m0, v1)\n"
            "  v2 = s3 * v1\n"
            "  m0 = s3 * m1\n"
            "  s2 = norm(v1)\n"
            "  s2 = norm(m1)\n"
            "  v1 = norm(m1, axis = 1)\n"
            "   \n"
            "def Learn():\n"
            "  NoOp()\n"
            "  s3 = 1 / s2\n"
            "  s3 = 1\n", &p);
  cr_assert_eq (p.fn[ZJ_SETUP].n, 3);
  cr_assert_eq (p.fn[ZJ_SETUP].ins[0].op, ZJ_SCALAR_CONST_SET_OP);
  cr_assert_eq (p.fn[ZJ_SETUP].ins[0].act, 0.5);
  const zj_instr *v = &p.fn[ZJ_SETUP].ins[1];
  cr_assert_eq (v->op, ZJ_VECTOR_CONST_SET_OP);
  cr_assert_eq (v->out, 1);
  cr_assert_eq (v->fd[0], 0.25f);
  cr_assert_eq (v->fd[1], -1e-3f);
  const zj_instr *m = &p.fn[ZJ_SETUP].ins[2];
  cr_assert_eq (m->op, ZJ_MATRIX_CONST_SET_OP);
  cr_assert (m->fd[0] == 0.5f && m->fd[1] == 0.25f && m->fd[2] == 2.0f);
  const int ops[] = { ZJ_VECTOR_INNER_PRODUCT_OP, ZJ_MATRIX_VECTOR_PRODUCT_OP,
                      ZJ_SCALAR_VECTOR_PRODUCT_OP, ZJ_SCALAR_MATRIX_PRODUCT_OP,
                      ZJ_VECTOR_NORM_OP, ZJ_MATRIX_NORM_OP, ZJ_MATRIX_ROW_NORM_OP };
  cr_assert_eq (p.fn[ZJ_PREDICT].n, 7);
  for (int i = 0; i < 7; i++)
    cr_assert_eq (p.fn[ZJ_PREDICT].ins[i].op, ops[i], "predict %d", i);
  cr_assert_eq (p.fn[ZJ_LEARN].n, 3);
  cr_assert_eq (p.fn[ZJ_LEARN].ins[0].op, ZJ_NO_OP);
  cr_assert_eq (p.fn[ZJ_LEARN].ins[1].op, ZJ_SCALAR_RECIPROCAL_OP);
  cr_assert_eq (p.fn[ZJ_LEARN].ins[1].in1, 2);
  cr_assert_eq (p.fn[ZJ_LEARN].ins[2].op, ZJ_SCALAR_CONST_SET_OP);
  cr_assert_eq (p.fn[ZJ_LEARN].ins[2].act, 1.0);
  zj_program_free (&p);
}

Test (textform, errors_name_line_and_token)
{
  parse_fails ("def Setup():\n  s2 = foo(v1)\ndef Predict():\ndef Learn():\n",
               "bad.prog:2: unknown instruction near 'foo'");
  parse_fails ("  s1 = s2 + s3\ndef Setup():\n",
               "bad.prog:1: missing 'def Setup():' header near 's1'");
  parse_fails ("# comment\ndef Predict():\n",
               "bad.prog:2: functions out of order (expected 'def Setup():') near 'def'");
  parse_fails ("def Setup():\ndef Learn():\n",
               "bad.prog:2: functions out of order (expected 'def Predict():') near 'def'");
  parse_fails ("def Setup():\ndef Predict():\n  s1 = s2 + sx\ndef Learn():\n",
               "bad.prog:3: address not an integer near 'sx'");
  parse_fails ("def Setup():\ndef Predict():\n  s1 = s2 + s3.5\ndef Learn():\n",
               "bad.prog:3: address not an integer near 's3.5'");
  parse_fails ("def Setup():\n  s1 = s2 + s70000\n",
               "bad.prog:2: address out of range near 's70000'");
  parse_fails ("def Setup():\n  v2 = s1 + s2\n",
               "bad.prog:2: unknown instruction near '+'");
  parse_fails ("def Setup():\n  s2 = 0.5 0.5\n",
               "bad.prog:2: unknown instruction near '0.5'");
  parse_fails ("def Setup():\ndef Main():\n",
               "bad.prog:2: unknown function header near 'Main'");
  parse_fails ("def Setup():\n  s2 = 1\ndef Predict():\n",
               "bad.prog:4: missing 'def Learn():' header near 'end of file'");
}

Test (textform, load_file)
{
  char path[] = "/tmp/zj_textform_XXXXXX";
  int fd = mkstemp (path);
  cr_assert (fd >= 0);
  FILE *f = fdopen (fd, "w");
  fputs ("def Setup():\n  s2 = 0.01\ndef Predict():\n  s1 = dot(v1, v0)\n"
         "def Learn():\n  s3 = s0 - s1\n  v1 = v1 + v2\n  m0 = matmul(m1, m2)\n", f);
  fclose (f);
  zj_program p;
  zj_program_init (&p);
  zj_error err;
  cr_assert_eq (zj_program_load (path, &p, &err), 0, "%s", err.msg);
  cr_assert_eq (zj_program_size (&p), 5);
  cr_assert_eq (p.fn[ZJ_LEARN].ins[2].op, ZJ_MATRIX_MATRIX_PRODUCT_OP);
  cr_assert_eq (p.fn[ZJ_LEARN].ins[2].in2, 2);
  unlink (path);
  cr_assert_eq (zj_program_load (path, &p, &err), -1);
  cr_assert (strstr (err.msg, path) && strstr (err.msg, "cannot open"), "%s", err.msg);
  zj_program_free (&p);
}

Test (textform, mistyped_op_quotes_the_word)
{
  parse_fails ("def Setup():\n  s1 = dott(v1, v0)\ndef Predict():\ndef Learn():\n",
               "bad.prog:2: unknown op name (see 'zerojit ops' for the printed "
               "forms) near 'dott'");
}

/* Errors about a loaded program point at its line (zerojit eval). */
Test (textform, line_of_an_instruction)
{
  const char *t = "# c\ndef Setup():\n  s2 = 0.5\n\ndef Predict():\n  # x\n"
                  "  s1 = dot(v1, v0)\ndef Learn():\n  s3 = s0 - s1\n  v1 = v1 + v2\n";
  cr_assert_eq (zj_program_line_of (t, ZJ_SETUP, 0), 3);
  cr_assert_eq (zj_program_line_of (t, ZJ_PREDICT, 0), 7);
  cr_assert_eq (zj_program_line_of (t, ZJ_LEARN, 1), 10);
  cr_assert_eq (zj_program_line_of (t, ZJ_LEARN, 2), 0);
}
