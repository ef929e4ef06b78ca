/* test_mutator.c -- random instructions, parameter changes and mutations
 * (src/search/random_instr.c, src/search/mutator.c). */
#include <criterion/criterion.h>
#include <math.h>
#include <zerojit/search.h>
#include "testutil.h"
#include "internal.h"

#include "searchutil.h"

/* ------------------------------------------------------ random instructions */

Test (random_instr, fields_and_ranges)
{
  zj_rng rng;
  zj_rng_seed (&rng, 3);
  const zj_shape shape = { 4, 2, 2, 1 };   /* outputs can only be s1/v1/m0 */
  for (int op = 0; op < ZJ_NUM_OPS; op++)
    for (int rep = 0; rep < 200; rep++)
      {
        zj_instr in;
        memset (&in, 0x55, sizeof in);
        zj_random_instruction (&rng, op, &shape, &in);
        const zj_op_info *o = &zj_ops[op];
        cr_assert_eq (in.op, op);
        if (o->out == ZJ_KIND_N)
          cr_assert_eq (in.out, 0);
        else
          cr_assert_eq (in.out, o->out == ZJ_KIND_M ? 0 : 1, "%s", o->name);
        cr_assert (o->in1 != ZJ_KIND_N || in.in1 == 0);
        cr_assert (o->in2 != ZJ_KIND_N || in.in2 == 0);
        cr_assert (in.in1 < 2 && in.in2 < 2);
        switch (o->data)
          {
          case ZJ_DATA_NONE:
            cr_assert (in.act == 0 && in.fd[0] == 0 && in.fd[1] == 0 && in.fd[2] == 0);
            break;
          case ZJ_DATA_ACT:
            cr_assert (in.act > -1 && in.act < 1 && in.fd[0] == 0);
            break;
          case ZJ_DATA_VSET:
            cr_assert (in.fd[0] >= 0 && in.fd[0] < 1 && in.fd[1] >= -1 && in.fd[1] < 1);
            cr_assert (in.fd[2] == 0 && in.act == 0);
            break;
          case ZJ_DATA_MSET:
            cr_assert (in.fd[0] >= 0 && in.fd[0] < 1 && in.fd[1] >= 0 && in.fd[1] < 1);
            cr_assert (in.fd[2] >= -1 && in.fd[2] < 1);
            break;
          case ZJ_DATA_GAUSS:
            cr_assert (in.fd[0] >= -1 && in.fd[0] < 1 && in.fd[1] >= 0 && in.fd[1] < 1);
            break;
          case ZJ_NUM_DATA_KINDS:
            break;
          case ZJ_DATA_UNIF:
            cr_assert (in.fd[0] >= -1 && in.fd[0] < 1 && in.fd[1] >= -1 && in.fd[1] < 1);
            break;
          }
      }
}

Test (random_instr, inputs_may_read_reserved_addresses)
{
  zj_rng rng;
  zj_rng_seed (&rng, 4);
  const zj_shape shape = { 4, 3, 3, 1 };
  bool seen_s0 = false, seen_v0 = false;
  for (int rep = 0; rep < 200; rep++)
    {
      zj_instr a, b;
      zj_random_instruction (&rng, ZJ_SCALAR_SUM_OP, &shape, &a);
      zj_random_instruction (&rng, ZJ_VECTOR_SUM_OP, &shape, &b);
      seen_s0 |= a.in1 == 0 || a.in2 == 0;
      seen_v0 |= b.in1 == 0 || b.in2 == 0;
    }
  cr_assert (seen_s0 && seen_v0);
}

/* Which field groups differ: bit 0 in1, 1 in2, 2 out, 3 data. */
static int
changed_groups (const zj_instr *a, const zj_instr *b)
{
  int m = 0;
  m |= (a->in1 != b->in1) << 0;
  m |= (a->in2 != b->in2) << 1;
  m |= (a->out != b->out) << 2;
  m |= (memcmp (a->fd, b->fd, sizeof a->fd) != 0
        || memcmp (&a->act, &b->act, sizeof a->act) != 0) << 3;
  return m;
}

Test (alter_param, changes_at_most_one_field_group)
{
  zj_rng rng;
  zj_rng_seed (&rng, 5);
  const zj_shape shape = { 4, 6, 6, 3 };
  for (int op = 0; op < ZJ_NUM_OPS; op++)
    {
      int seen = 0;
      for (int rep = 0; rep < 300; rep++)
        {
          zj_instr in, alt;
          zj_random_instruction (&rng, op, &shape, &in);
          alt = in;
          zj_alter_param (&rng, &shape, &alt);
          cr_assert_eq (alt.op, op);
          int m = changed_groups (&in, &alt);
          cr_assert (__builtin_popcount (m) <= 1, "%s changed groups %#x",
                     zj_ops[op].name, m);
          seen |= m;
          if (zj_ops[op].out == ZJ_KIND_S || zj_ops[op].out == ZJ_KIND_V)
            cr_assert_neq (alt.out, 0);
        }
      const zj_op_info *o = &zj_ops[op];
      int expect = (o->in1 != ZJ_KIND_N) | (o->in2 != ZJ_KIND_N) << 1
                   | (o->out != ZJ_KIND_N) << 2 | (o->data != ZJ_DATA_NONE) << 3;
      cr_assert_eq (seen, expect, "%s: groups reached %#x, expected %#x",
                    o->name, seen, expect);
    }
}

Test (alter_param, uniform_bounds_sorted_and_stdev_keeps_sign)
{
  zj_rng rng;
  zj_rng_seed (&rng, 6);
  const zj_shape shape = { 4, 4, 4, 2 };
  int sorted_after_data = 0;
  for (int rep = 0; rep < 2000; rep++)
    {
      int op = ZJ_SCALAR_UNIFORM_SET_OP + (int) zj_rng_below (&rng, 3);
      zj_instr in;
      zj_random_instruction (&rng, op, &shape, &in);
      zj_instr alt = in;
      zj_alter_param (&rng, &shape, &alt);
      if (changed_groups (&in, &alt) & 8)
        {
          cr_assert_leq (alt.fd[0], alt.fd[1]);
          sorted_after_data++;
        }
      int gop = ZJ_SCALAR_GAUSSIAN_SET_OP + (int) zj_rng_below (&rng, 3);
      zj_random_instruction (&rng, gop, &shape, &in);
      for (int k = 0; k < 5; k++)
        zj_alter_param (&rng, &shape, &in);
      cr_assert (in.fd[1] >= 0, "stdev became %g", in.fd[1]);
    }
  cr_assert_gt (sorted_after_data, 500);
}

Test (alter_param, scalar_constant_log_scale_or_flip)
{
  zj_rng rng;
  zj_rng_seed (&rng, 8);
  const zj_shape shape = { 4, 4, 4, 2 };
  int flips = 0, scaled = 0, n = 0;
  for (int rep = 0; rep < 4000; rep++)
    {
      zj_instr in = zj_test_ins (ZJ_SCALAR_CONST_SET_OP, 0, 0, 2);
      in.act = 0.5;
      zj_alter_param (&rng, &shape, &in);
      if (in.out != 2 || in.act == 0.5)
        continue;   /* the out address was re-drawn */
      n++;
      if (in.act == -0.5)
        flips++;
      else
        {
          cr_assert_gt (in.act, 0.0, "log-scale keeps the sign");
          scaled++;
        }
    }
  cr_assert_gt (n, 1500);
  /* 10% flips: 4 sigma band around n/10. */
  double sd = sqrt (n * 0.1 * 0.9);
  cr_assert (fabs (flips - 0.1 * n) < 4 * sd, "flips %d of %d", flips, n);
  cr_assert_eq (flips + scaled, n);

  zj_instr z = zj_test_ins (ZJ_SCALAR_CONST_SET_OP, 0, 0, 2);
  for (int k = 0; k < 50; k++)
    zj_alter_param (&rng, &shape, &z);
  cr_assert_eq (z.act, 0.0, "zero stays (signed) zero");

  zj_instr nop = zj_test_ins (ZJ_NO_OP, 0, 0, 0), nop2 = nop;
  zj_alter_param (&rng, &shape, &nop2);
  cr_assert (memcmp (&nop, &nop2, sizeof nop) == 0);
}

/* -------------------------------------------------------------- mutations */

Test (mutator, sizes_stay_within_bounds)
{
  zj_search_space sp = space (every_mutation, 8, 4, 2, 8);
  zj_rng rng;
  zj_rng_seed (&rng, 9);
  zj_program p;
  zj_program_init (&p);
  generate (&sp, ZJ_ALG_RANDOM, &rng, &p);
  int counts[ZJ_MUT_COUNT] = { 0 };
  for (int rep = 0; rep < 20000; rep++)
    {
      int a = zj_mutate (&sp, &rng, 1, &p);
      cr_assert (a >= 0 && a < ZJ_MUT_COUNT);
      counts[a]++;
      for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
        cr_assert (p.fn[c].n >= 2 && p.fn[c].n <= 7, "%s size %d",
                   zj_component_names[c], p.fn[c].n);
    }
  for (int a = 0; a < ZJ_MUT_COUNT; a++)
    cr_assert_gt (counts[a], 2000, "%s chosen %d times", zj_mutation_names[a],
                  counts[a]);
  assert_outputs_not_reserved (&p);
  zj_error err;
  cr_assert_eq (zj_program_check (&p, &sp.shape, &err), 0, "%s", err.msg);
  zj_program_free (&p);
}

Test (mutator, insert_stops_at_size_max_minus_one)
{
  const zj_mutation_type ins[] = { ZJ_MUT_INSERT_INSTRUCTION };
  zj_search_space sp = space (ins, 1, 0, 0, 5);
  zj_rng rng;
  zj_rng_seed (&rng, 10);
  zj_program p;
  zj_program_init (&p);
  generate (&sp, ZJ_ALG_NO_OP, &rng, &p);
  for (int rep = 0; rep < 300; rep++)
    zj_mutate (&sp, &rng, 1, &p);
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    cr_assert_eq (p.fn[c].n, 4);
  assert_outputs_not_reserved (&p);
  /* A function that starts above the bound does not grow (or shrink). */
  zj_fn_resize (&p.fn[ZJ_LEARN], 9);
  for (int rep = 0; rep < 100; rep++)
    zj_mutate (&sp, &rng, 1, &p);
  cr_assert_eq (p.fn[ZJ_LEARN].n, 9);
  zj_program_free (&p);
}

Test (mutator, remove_stops_at_size_min)
{
  const zj_mutation_type rem[] = { ZJ_MUT_REMOVE_INSTRUCTION };
  zj_search_space sp = space (rem, 1, 6, 2, 10);
  zj_rng rng;
  zj_rng_seed (&rng, 11);
  zj_program p;
  zj_program_init (&p);
  generate (&sp, ZJ_ALG_RANDOM, &rng, &p);
  zj_program orig;
  zj_program_init (&orig);
  zj_program_copy (&orig, &p);
  for (int rep = 0; rep < 300; rep++)
    zj_mutate (&sp, &rng, 1, &p);
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    {
      cr_assert_eq (p.fn[c].n, 2);
      /* Survivors are original instructions, in their original order. */
      int j = 0;
      for (int i = 0; i < orig.fn[c].n && j < 2; i++)
        if (memcmp (&orig.fn[c].ins[i], &p.fn[c].ins[j], sizeof (zj_instr)) == 0)
          j++;
      cr_assert_eq (j, 2);
    }
  zj_program_free (&p);
  zj_program_free (&orig);
}

Test (mutator, trade_keeps_size_without_bounds)
{
  const zj_mutation_type trade[] = { ZJ_MUT_TRADE_INSTRUCTION };
  zj_search_space sp = space (trade, 1, 3, 0, 0);   /* size_max 0 would block inserts */
  zj_rng rng;
  zj_rng_seed (&rng, 12);
  zj_program p, before;
  zj_program_init (&p);
  generate (&sp, ZJ_ALG_NO_OP, &rng, &p);
  zj_program_init (&before);
  zj_program_copy (&before, &p);
  for (int rep = 0; rep < 50; rep++)
    zj_mutate (&sp, &rng, 1, &p);
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    cr_assert_eq (p.fn[c].n, 3);
  cr_assert_not (zj_program_equal (&p, &before));
  zj_program_free (&p);
  zj_program_free (&before);
}

Test (mutator, randomize_component_function_touches_one_function)
{
  const zj_mutation_type rc[] = { ZJ_MUT_RANDOMIZE_COMPONENT_FUNCTION };
  zj_search_space sp = space (rc, 1, 6, 0, 0);
  zj_rng rng;
  zj_rng_seed (&rng, 13);
  zj_program p, before;
  zj_program_init (&p);
  generate (&sp, ZJ_ALG_NO_OP, &rng, &p);
  zj_program_init (&before);
  for (int rep = 0; rep < 30; rep++)
    {
      zj_program_copy (&before, &p);
      zj_mutate (&sp, &rng, 1, &p);
      int changed = 0;
      for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
        {
          cr_assert_eq (p.fn[c].n, 6);
          changed += memcmp (p.fn[c].ins, before.fn[c].ins,
                             6 * sizeof (zj_instr)) != 0;
        }
      cr_assert_eq (changed, 1);
    }
  zj_program_free (&p);
  zj_program_free (&before);
}

Test (mutator, empty_op_list_is_never_mutated)
{
  zj_search_space sp = space (every_mutation, 8, 4, 0, 10);
  sp.n_ops[ZJ_SETUP] = 0;
  sp.size_init[ZJ_SETUP] = 0;
  zj_rng rng;
  zj_rng_seed (&rng, 14);
  zj_program p;
  zj_program_init (&p);
  generate (&sp, ZJ_ALG_NEURAL_NET, &rng, &p);
  zj_program setup0;
  zj_program_init (&setup0);
  zj_program_copy (&setup0, &p);
  for (int rep = 0; rep < 2000; rep++)
    zj_mutate (&sp, &rng, 1, &p);
  cr_assert_eq (p.fn[ZJ_SETUP].n, 3);
  cr_assert (memcmp (p.fn[ZJ_SETUP].ins, setup0.fn[ZJ_SETUP].ins,
                     3 * sizeof (zj_instr)) == 0);
  cr_assert_not (zj_program_equal (&p, &setup0));

  /* With no op list at all nothing can change. */
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    sp.n_ops[c] = 0;
  zj_program_copy (&setup0, &p);
  for (int rep = 0; rep < 200; rep++)
    zj_mutate (&sp, &rng, 1, &p);
  cr_assert (zj_program_equal (&p, &setup0));
  zj_program_free (&p);
  zj_program_free (&setup0);
}

Test (mutator, randomize_algorithm_keeps_sizes_and_allowed_ops)
{
  const zj_mutation_type ra[] = { ZJ_MUT_RANDOMIZE_ALGORITHM };
  static const int setup_ops[] = { ZJ_SCALAR_CONST_SET_OP, ZJ_VECTOR_GAUSSIAN_SET_OP };
  static const int learn_ops[] = { ZJ_VECTOR_SUM_OP };
  zj_search_space sp = space (ra, 1, 0, 0, 0);
  sp.ops[ZJ_SETUP] = setup_ops;  sp.n_ops[ZJ_SETUP] = 2;
  sp.n_ops[ZJ_PREDICT] = 0;
  sp.ops[ZJ_LEARN] = learn_ops;  sp.n_ops[ZJ_LEARN] = 1;
  zj_rng rng;
  zj_rng_seed (&rng, 15);
  zj_program p;
  zj_program_init (&p);
  generate (&sp, ZJ_ALG_LINEAR, &rng, &p);
  zj_mutate (&sp, &rng, 1, &p);
  cr_assert_eq (p.fn[ZJ_SETUP].n, 1);
  cr_assert_eq (p.fn[ZJ_PREDICT].n, 1);
  cr_assert_eq (p.fn[ZJ_LEARN].n, 4);
  int s = p.fn[ZJ_SETUP].ins[0].op;
  cr_assert (s == ZJ_SCALAR_CONST_SET_OP || s == ZJ_VECTOR_GAUSSIAN_SET_OP);
  cr_assert_eq (p.fn[ZJ_PREDICT].ins[0].op, ZJ_VECTOR_INNER_PRODUCT_OP,
                "predict has no ops and stays as it was");
  for (int i = 0; i < 4; i++)
    cr_assert_eq (p.fn[ZJ_LEARN].ins[i].op, ZJ_VECTOR_SUM_OP);
  zj_program_free (&p);
}

Test (mutator, deterministic_for_a_seed)
{
  zj_search_space sp = space (every_mutation, 8, 5, 1, 12);
  sp.mutate_prob = 0.9;
  char *text[3];
  for (int run = 0; run < 3; run++)
    {
      zj_rng rng;
      zj_rng_seed (&rng, run < 2 ? 77 : 78);
      zj_program p;
      zj_program_init (&p);
      generate (&sp, ZJ_ALG_RANDOM, &rng, &p);
      for (int rep = 0; rep < 500; rep++)
        zj_mutate (&sp, &rng, 1, &p);
      text[run] = zj_program_to_string (&p, true);
      zj_program_free (&p);
    }
  cr_assert_str_eq (text[0], text[1]);
  cr_assert_str_neq (text[0], text[2]);
  for (int run = 0; run < 3; run++)
    free (text[run]);
}

Test (mutator, mutate_prob_draws)
{
  zj_search_space sp = space (every_mutation, 8, 5, 0, 10);
  zj_rng rng, ref;
  zj_rng_seed (&rng, 16);
  zj_program p, before;
  zj_program_init (&p);
  generate (&sp, ZJ_ALG_RANDOM, &rng, &p);
  zj_program_init (&before);
  zj_program_copy (&before, &p);

  /* Probability 0: one draw, nothing changes. */
  sp.mutate_prob = 0.0;
  for (int rep = 0; rep < 100; rep++)
    {
      ref = rng;
      cr_assert_eq (zj_mutate (&sp, &rng, 1, &p), -1);
      zj_rng_float (&ref, 0.0f, 1.0f);
      cr_assert (memcmp (&ref, &rng, sizeof rng) == 0);
    }
  cr_assert (zj_program_equal (&p, &before));

  /* k = 0 with prob < 1 consumes exactly the one draw. */
  sp.mutate_prob = 0.5;
  ref = rng;
  zj_mutate (&sp, &rng, 0, &p);
  zj_rng_float (&ref, 0.0f, 1.0f);
  cr_assert (memcmp (&ref, &rng, sizeof rng) == 0);

  /* Probability 1 skips the draw: only the action index is drawn. */
  const zj_mutation_type id[] = { ZJ_MUT_IDENTITY };
  sp.mutation_types = id;
  sp.n_mutation_types = 1;
  sp.mutate_prob = 1.0;
  ref = rng;
  cr_assert_eq (zj_mutate (&sp, &rng, 1, &p), ZJ_MUT_IDENTITY);
  zj_rng_below (&ref, 1);
  cr_assert (memcmp (&ref, &rng, sizeof rng) == 0);
  cr_assert (zj_program_equal (&p, &before));
  zj_program_free (&p);
  zj_program_free (&before);
}

Test (mutator, from_spec_copies_fields)
{
  int ops0[] = { ZJ_SCALAR_CONST_SET_OP };
  zj_mutation_type mt[] = { ZJ_MUT_INSERT_INSTRUCTION, ZJ_MUT_REMOVE_INSTRUCTION };
  zj_search_spec spec;
  memset (&spec, 0, sizeof spec);
  spec.ops[ZJ_SETUP] = ops0;
  spec.n_ops[ZJ_SETUP] = 1;
  spec.size_init[ZJ_LEARN] = 4;
  spec.size_min[ZJ_PREDICT] = 2;
  spec.size_max[ZJ_PREDICT] = 11;
  spec.mutation_types = mt;
  spec.n_mutation_types = 2;
  spec.mutate_prob = 0.9;
  zj_shape shape = { 8, 5, 9, 2 };
  zj_search_space sp;
  zj_search_space_from_spec (&sp, &spec, &shape);
  cr_assert_eq (sp.shape.F, 8);
  cr_assert_eq (sp.shape.nv, 9);
  cr_assert_eq (sp.ops[ZJ_SETUP], ops0);
  cr_assert_eq (sp.n_ops[ZJ_SETUP], 1);
  cr_assert_eq (sp.n_ops[ZJ_LEARN], 0);
  cr_assert_eq (sp.size_init[ZJ_LEARN], 4);
  cr_assert_eq (sp.size_min[ZJ_PREDICT], 2);
  cr_assert_eq (sp.size_max[ZJ_PREDICT], 11);
  cr_assert_eq (sp.mutation_types, mt);
  cr_assert_eq (sp.n_mutation_types, 2);
  cr_assert_eq (sp.mutate_prob, 0.9);
  cr_assert_str_eq (zj_mutation_names[ZJ_MUT_TRADE_INSTRUCTION],
                    "TRADE_INSTRUCTION_MUTATION_TYPE");
  cr_assert_str_eq (zj_algorithm_names[ZJ_ALG_DAMAGED_NEURAL_NET],
                    "INTEGRATION_TEST_DAMAGED_NEURAL_NET_ALGORITHM");
}

/* zj_program_check answers with a quick pass and only searches for the
   culprit on failure: every out-of-range operand of a random program must
   still be found and named, and every in-range program accepted. */
Test (program_check, finds_every_out_of_range_operand)
{
  zj_search_space sp = space (every_mutation, 8, 4, 2, 8);
  zj_rng rng;
  zj_rng_seed (&rng, 11);
  zj_program p;
  zj_program_init (&p);
  zj_error err;
  int broken = 0;
  for (int rep = 0; rep < 200; rep++)
    {
      generate (&sp, ZJ_ALG_RANDOM, &rng, &p);
      cr_assert_eq (zj_program_check (&p, &sp.shape, &err), 0, "%s", err.msg);
      const int c = (int) zj_rng_below (&rng, ZJ_NUM_COMPONENTS);
      if (p.fn[c].n == 0)
        continue;
      const int i = (int) zj_rng_below (&rng, (uint32_t) p.fn[c].n);
      zj_instr *in = &p.fn[c].ins[i];
      const zj_op_info *o = &zj_ops[in->op];
      const zj_kind k[3] = { o->in1, o->in2, o->out };
      uint16_t *a[3] = { &in->in1, &in->in2, &in->out };
      const char *what[3] = { "in1", "in2", "out" };
      const int u = (int) zj_rng_below (&rng, 3);
      if (k[u] == ZJ_KIND_N)
        {
          /* Unused fields may hold anything. */
          *a[u] = 60000;
          cr_assert_eq (zj_program_check (&p, &sp.shape, &err), 0, "%s", err.msg);
          continue;
        }
      const int count = k[u] == ZJ_KIND_S ? sp.shape.ns
                        : k[u] == ZJ_KIND_V ? sp.shape.nv : sp.shape.nm;
      *a[u] = (uint16_t) (count + (int) zj_rng_below (&rng, 3));
      cr_assert_eq (zj_program_check (&p, &sp.shape, &err), -1);
      char want[160];
      snprintf (want, sizeof want, "%s instruction %d (%s): %s address %d out of range (memory has %d)",
                zj_component_names[c], i + 1, o->name, what[u], *a[u], count);
      cr_assert (strstr (err.msg, want) != NULL, "got '%s', want '%s'", err.msg, want);
      broken++;
    }
  cr_assert_gt (broken, 50);
  /* An unknown op. */
  generate (&sp, ZJ_ALG_RANDOM, &rng, &p);
  p.fn[ZJ_LEARN].ins[0].op = ZJ_NUM_OPS;
  cr_assert_eq (zj_program_check (&p, &sp.shape, &err), -1);
  cr_assert (strstr (err.msg, "Learn instruction 1: unknown op id") != NULL, "%s", err.msg);
  zj_program_free (&p);
}

/* zj_mutate_site draws what zj_mutate draws and says where the program
   changed: nothing (the program is its parent), one instruction (and its
   old form; it may have been redrawn to itself), a whole component of
   the same size, or more. */
Test (mutator, site_says_where_the_program_changed)
{
  zj_search_space sp = space (every_mutation, 8, 4, 2, 8);
  zj_rng a, b;
  zj_rng_seed (&a, 31);
  zj_rng_seed (&b, 31);
  zj_program p, q, r;
  zj_program_init (&p);
  zj_program_init (&q);
  zj_program_init (&r);
  generate (&sp, ZJ_ALG_RANDOM, &a, &p);
  generate (&sp, ZJ_ALG_RANDOM, &b, &r);
  int seen[4] = { 0 };   /* none, one, component, many */
  int redrawn_to_itself = 0;
  for (int rep = 0; rep < 20000; rep++)
    {
      zj_program_copy (&q, &p);
      zj_mut_site s;
      const int ka = zj_mutate_site (&sp, &a, 1, &q, &s);
      const int kb = zj_mutate (&sp, &b, 1, &r);
      cr_assert_eq (ka, kb);
      cr_assert (zj_program_equal (&q, &r), "rep %d", rep);
      if (s.c == ZJ_SITE_NONE)
        {
          seen[0]++;
          cr_assert (zj_program_equal (&q, &p), "rep %d", rep);
        }
      else if (s.c >= 0)
        {
          seen[s.i >= 0 ? 1 : 2]++;
          for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
            {
              cr_assert_eq (q.fn[c].n, p.fn[c].n);
              for (int i = 0; i < q.fn[c].n; i++)
                {
                  const bool changed = !zj_instr_equal (&q.fn[c].ins[i],
                                                        &p.fn[c].ins[i]);
                  const bool may = c == s.c && (s.i < 0 || s.i == i);
                  cr_assert (!changed || may, "rep %d: %d/%d changed", rep,
                             c, i);
                  if (c == s.c && s.i == i)
                    {
                      cr_assert (zj_instr_equal (&s.old, &p.fn[c].ins[i]));
                      redrawn_to_itself += !changed;
                    }
                }
            }
        }
      else
        {
          cr_assert_eq (s.c, ZJ_SITE_MANY);
          seen[3]++;
        }
      zj_program_copy (&p, &q);
      zj_program_copy (&r, &q);
    }
  for (int k = 0; k < 4; k++)
    cr_assert_gt (seen[k], 1000, "kind %d seen %d times", k, seen[k]);
  cr_assert_gt (redrawn_to_itself, 100);
  zj_program_free (&p);
  zj_program_free (&q);
  zj_program_free (&r);
}
