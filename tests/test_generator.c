/* test_generator.c -- the hand-coded and random initial algorithms
 * (src/search/generator.c). */
#include <criterion/criterion.h>
#include <math.h>
#include <zerojit/search.h>
#include "testutil.h"
#include "internal.h"   /* the inline generator */

#include "searchutil.h"

/* ------------------------------------------------------------- generator */

static const char nn_text[] =
  "def Setup():\n"
  "  v2 = gaussian(0, 0.1, n_features)\n"
  "  m0 = gaussian(0, 0.1, (n_features, n_features))\n"
  "  s3 = 0.01\n"
  "  NoOp()\n"
  "def Predict():\n"
  "  v3 = dot(m0, v0)\n"
  "  v3 = v3 + v1\n"
  "  v4 = maximum(v3, v5)\n"
  "  s1 = dot(v4, v2)\n"
  "  s1 = s1 + s2\n"
  "  NoOp()\n"
  "  NoOp()\n"
  "def Learn():\n"
  "  s4 = s0 - s1\n"
  "  s4 = s3 * s4\n"
  "  s2 = s2 + s4\n"
  "  v6 = s4 * v4\n"
  "  v2 = v2 + v6\n"
  "  v7 = s4 * v2\n"
  "  v8 = heaviside(v3, 1.0)\n"
  "  v7 = v8 * v7\n"
  "  v1 = v1 + v7\n"
  "  m1 = outer(v7, v0)\n"
  "  m0 = m0 + m1\n";

static zj_search_space
sized_space (int setup, int predict, int learn, zj_shape shape)
{
  zj_search_space sp = space (every_mutation, 8, 0, 0, 0);
  sp.size_init[ZJ_SETUP] = setup;
  sp.size_init[ZJ_PREDICT] = predict;
  sp.size_init[ZJ_LEARN] = learn;
  sp.shape = shape;
  return sp;
}

Test (generator, neural_net_listing_padded)
{
  zj_search_space sp = sized_space (4, 7, 2, (zj_shape) { 4, 5, 9, 2 });
  zj_rng rng;
  zj_rng_seed (&rng, 1);
  zj_program p;
  zj_program_init (&p);
  generate (&sp, ZJ_ALG_NEURAL_NET, &rng, &p);
  char *s = zj_program_to_string (&p, false);
  cr_assert_str_eq (s, nn_text);
  free (s);
  cr_assert_eq (p.fn[ZJ_SETUP].ins[0].fd[1], 0.1f);
  cr_assert_eq (p.fn[ZJ_SETUP].ins[2].act, 0.01);

  generate (&sp, ZJ_ALG_DAMAGED_NEURAL_NET, &rng, &p);
  s = zj_program_to_string (&p, false);
  /* The two gaussian inits are gone; padding refills setup to 4. */
  const char *setup = "def Setup():\n  s3 = 0.01\n  NoOp()\n  NoOp()\n  NoOp()\n"
                      "def Predict():\n";
  cr_assert (strncmp (s, setup, strlen (setup)) == 0, "%s", s);
  cr_assert_str_eq (strstr (s, "def Predict():"), strstr (nn_text, "def Predict():"));
  free (s);
  zj_program_free (&p);
}

Test (generator, linear_listing_padded)
{
  zj_search_space sp = sized_space (2, 1, 5, (zj_shape) { 4, 4, 3, 1 });
  zj_rng rng;
  zj_rng_seed (&rng, 1);
  zj_program p;
  zj_program_init (&p);
  generate (&sp, ZJ_ALG_LINEAR, &rng, &p);
  char *s = zj_program_to_string (&p, false);
  cr_assert_str_eq (s,
                    "def Setup():\n  s2 = 0.01\n  NoOp()\n"
                    "def Predict():\n  s1 = dot(v1, v0)\n"
                    "def Learn():\n  s3 = s0 - s1\n  s3 = s2 * s3\n"
                    "  v2 = s3 * v0\n  v1 = v1 + v2\n  NoOp()\n");
  free (s);

  generate (&sp, ZJ_ALG_NO_OP, &rng, &p);
  s = zj_program_to_string (&p, false);
  cr_assert_str_eq (s, "def Setup():\n  NoOp()\n  NoOp()\ndef Predict():\n  NoOp()\n"
                    "def Learn():\n  NoOp()\n  NoOp()\n  NoOp()\n  NoOp()\n  NoOp()\n");
  free (s);
  zj_program_free (&p);
}

Test (generator, random_uses_only_allowed_ops)
{
  static const int setup_ops[] = { ZJ_SCALAR_CONST_SET_OP, ZJ_MATRIX_UNIFORM_SET_OP };
  static const int predict_ops[] = { ZJ_VECTOR_INNER_PRODUCT_OP };
  static const int learn_ops[] = { ZJ_SCALAR_DIFF_OP, ZJ_SCALAR_VECTOR_PRODUCT_OP,
                                   ZJ_VECTOR_SUM_OP };
  zj_search_space sp = sized_space (10, 2, 30, (zj_shape) { 4, 4, 3, 1 });
  sp.ops[ZJ_SETUP] = setup_ops;     sp.n_ops[ZJ_SETUP] = 2;
  sp.ops[ZJ_PREDICT] = predict_ops; sp.n_ops[ZJ_PREDICT] = 1;
  sp.ops[ZJ_LEARN] = learn_ops;     sp.n_ops[ZJ_LEARN] = 3;
  zj_rng rng;
  zj_rng_seed (&rng, 17);
  zj_program p;
  zj_program_init (&p);
  generate (&sp, ZJ_ALG_RANDOM, &rng, &p);
  int seen[ZJ_NUM_OPS] = { 0 };
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    {
      cr_assert_eq (p.fn[c].n, sp.size_init[c]);
      for (int i = 0; i < p.fn[c].n; i++)
        {
          int op = p.fn[c].ins[i].op, ok = 0;
          for (int j = 0; j < sp.n_ops[c]; j++)
            ok |= sp.ops[c][j] == op;
          cr_assert (ok, "%s: %s not allowed", zj_component_names[c], zj_ops[op].name);
          seen[op]++;
        }
    }
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    for (int j = 0; j < sp.n_ops[c]; j++)
      cr_assert_gt (seen[sp.ops[c][j]], 0, "%s never drawn", zj_ops[sp.ops[c][j]].name);
  assert_outputs_not_reserved (&p);

  /* An empty op list is fine for an empty function, an error otherwise. */
  sp.n_ops[ZJ_PREDICT] = 0;
  sp.size_init[ZJ_PREDICT] = 0;
  generate (&sp, ZJ_ALG_RANDOM, &rng, &p);
  cr_assert_eq (p.fn[ZJ_PREDICT].n, 0);
  sp.size_init[ZJ_PREDICT] = 1;
  zj_error err;
  cr_assert_eq (zj_generate_algorithm (ZJ_ALG_RANDOM, &sp, &rng, &p, &err), -1);
  cr_assert_str_eq (err.msg, "RANDOM_ALGORITHM: Predict has size_init 1 but no allowed ops");
  zj_program_free (&p);
}

Test (generator, shape_too_small)
{
  zj_search_space sp = sized_space (0, 0, 0, (zj_shape) { 4, 4, 3, 1 });
  sp.n_ops[ZJ_SETUP] = sp.n_ops[ZJ_PREDICT] = sp.n_ops[ZJ_LEARN] = 0;
  zj_rng rng;
  zj_rng_seed (&rng, 1);
  zj_program p;
  zj_program_init (&p);
  zj_error err;
  cr_assert_eq (zj_generate_algorithm (ZJ_ALG_NEURAL_NET, &sp, &rng, &p, &err), -1);
  cr_assert_str_eq (err.msg, "NEURAL_NET_ALGORITHM needs at least 5 scalar, 9 vector "
                    "and 2 matrix addresses (memory has 4/3/1)");
  cr_assert_eq (zj_program_size (&p), 0);
  cr_assert_eq (zj_generate_algorithm (ZJ_ALG_LINEAR, &sp, &rng, &p, &err), 0);

  /* An allowed op that cannot be placed in memory is refused up front. */
  static const int mops[] = { ZJ_MATRIX_SUM_OP };
  sp.shape.nm = 0;
  sp.ops[ZJ_LEARN] = mops;
  sp.n_ops[ZJ_LEARN] = 1;
  cr_assert_eq (zj_generate_algorithm (ZJ_ALG_NO_OP, &sp, &rng, &p, &err), -1);
  cr_assert_str_eq (err.msg, "Learn ops: MATRIX_SUM_OP needs at least 1 matrix address "
                    "but memory has 0");
  zj_program_free (&p);
}

/* ------------------------------------------------------------------ rng */

/* The inline generator (internal.h, what mutation and tournaments call)
   and the exported functions draw the same stream, and that stream is the
   one the generator had when it was out of line: a hash of 9000 mixed
   draws (rejection-heavy bounds included: n = 3 * 2^30 rejects a quarter
   of first draws) pinned from that version. */
static uint64_t
rng_mix (bool inl)
{
  zj_rng r;
  zj_rng_seed (&r, 12345);
  uint64_t h = 0;
  const uint32_t ns[] = { 1, 2, 3, 7, 10, 1000, 3u << 30, 0xFFFFFFFDu,
                          0x80000001u };
  for (int i = 0; i < 9000; i++)
    {
      uint64_t v;
      const uint32_t n = ns[(i / 4) % 9];
      switch (i % 4)
        {
        case 0:
          v = inl ? zj_rng_below_inl (&r, n) : (zj_rng_below) (&r, n);
          break;
        case 1:
          v = inl ? zj_rng_next_inl (&r) : (zj_rng_next) (&r);
          break;
        case 2:
          {
            const double d = inl ? zj_rng_unit_inl (&r) : (zj_rng_unit) (&r);
            memcpy (&v, &d, sizeof v);
            break;
          }
        default:
          {
            const float f = inl ? zj_rng_float_inl (&r, -1.0f, 1.0f)
                                : (zj_rng_float) (&r, -1.0f, 1.0f);
            uint32_t u;
            memcpy (&u, &f, sizeof u);
            v = u;
          }
        }
      h = h * 0x100000001b3ULL ^ v;
    }
  return h;
}

Test (rng, inline_and_exported_streams_pinned)
{
  cr_assert_eq (rng_mix (true), UINT64_C (9071129210615888313));
  cr_assert_eq (rng_mix (false), UINT64_C (9071129210615888313));
  zj_rng a, b;
  zj_rng_seed (&a, 7);
  zj_rng_seed (&b, 7);
  cr_assert_eq (zj_rng_below_inl (&a, 3u << 30), 2256714809u);
  cr_assert_eq ((zj_rng_below) (&b, 3u << 30), 2256714809u);
  cr_assert_eq (zj_rng_below (&a, 10), 2u);
  cr_assert_eq (zj_rng_next (&a), UINT64_C (15488392906492639638));
}
