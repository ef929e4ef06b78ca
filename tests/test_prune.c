/* test_prune.c -- pruning must never change an evaluation.
 *
 * Thousands of random programs (every op, random addresses and constants)
 * are evaluated pruned and unpruned with the same generator seed; fitness,
 * attempted steps, every recorded error and the final generator state must
 * be bitwise equal.  Hand-built cases check what is removed and what must
 * stay (state carried from Learn into the next Predict, random ops,
 * partial writes by const-set ops).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <zerojit/search.h>
#include "testutil.h"
#include "internal.h"
#include "identity.h"

static const zj_shape shape553 = { 4, 5, 5, 3 };

/* --------------------------------------------------- random programs */

static int
rand_in (zj_kind k, const zj_shape *sh, zj_rng *g)
{
  switch (k)
    {
    case ZJ_KIND_S: return (int) zj_rng_below (g, (uint32_t) sh->ns);
    case ZJ_KIND_V: return (int) zj_rng_below (g, (uint32_t) sh->nv);
    case ZJ_KIND_M: return (int) zj_rng_below (g, (uint32_t) sh->nm);
    default: return 0;
    }
}

/* Outputs never touch s0 (label) or v0 (features), as in the search. */
static int
rand_out (zj_kind k, const zj_shape *sh, zj_rng *g)
{
  switch (k)
    {
    case ZJ_KIND_S: return 1 + (int) zj_rng_below (g, (uint32_t) sh->ns - 1);
    case ZJ_KIND_V: return 1 + (int) zj_rng_below (g, (uint32_t) sh->nv - 1);
    case ZJ_KIND_M: return (int) zj_rng_below (g, (uint32_t) sh->nm);
    default: return 0;
    }
}

static zj_instr
rand_instr (const zj_shape *sh, zj_rng *g)
{
  const int op = (int) zj_rng_below (g, ZJ_NUM_OPS);
  const zj_op_info *o = &zj_ops[op];
  zj_instr in = zj_test_ins (op, rand_in (o->in1, sh, g), rand_in (o->in2, sh, g),
                             rand_out (o->out, sh, g));
  in.act = zj_rng_open (g, -1.0, 1.0);
  for (int k = 0; k < 3; k++)
    in.fd[k] = zj_rng_float (g, -1.0f, 1.0f);
  if (o->data == ZJ_DATA_VSET || o->data == ZJ_DATA_MSET)
    in.fd[0] = zj_rng_float (g, 0.0f, 1.0f);
  if (o->data == ZJ_DATA_MSET)
    in.fd[1] = zj_rng_float (g, 0.0f, 1.0f);
  if (o->data == ZJ_DATA_GAUSS)
    in.fd[1] = zj_rng_float (g, 0.0f, 1.0f);
  return in;
}

static void
rand_program (zj_program *p, const zj_shape *sh, zj_rng *g)
{
  static const int max_len[ZJ_NUM_COMPONENTS] = { 5, 8, 8 };
  zj_program_clear (p);
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    {
      int n = (int) zj_rng_below (g, (uint32_t) max_len[c] + 1);
      for (int i = 0; i < n; i++)
        zj_fn_push (&p->fn[c], rand_instr (sh, g));
    }
}

/* Features N(0, 1); label = a fixed linear function of them (for
   accuracy: whether it is positive). */
static zj_task *
make_task (int F, int ntr, int nva, int epochs, zj_eval_type et, uint64_t seed)
{
  zj_rng g;
  zj_rng_seed (&g, seed);
  const int n = ntr + nva;
  double *x = malloc (sizeof (double) * (size_t) (n * F));
  double *y = malloc (sizeof (double) * (size_t) n);
  for (int e = 0; e < n; e++)
    {
      double s = 0.0;
      for (int i = 0; i < F; i++)
        {
          x[e * F + i] = zj_rng_normal (&g);
          s += x[e * F + i] * (i % 2 ? 0.5 : -0.25);
        }
      y[e] = et == ZJ_ACCURACY ? (s > 0.0) : s;
    }
  zj_task *t = zj_test_task (F, ntr, x, y, nva, x + ntr * F, y + ntr, epochs, et);
  free (x);
  free (y);
  return t;
}

#define NERR 64

typedef struct {
  double fitness;
  long steps;
  bool aborted;
  int ntr, nva;
  double tr[NERR], va[NERR];
  zj_rng rng;
} outcome;

static void
evaluate (const zj_program *p, const zj_shape *sh, bool prune, const zj_task *t,
          zj_workspace *ws, outcome *out, size_t *kept)
{
  zj_prepared *pp = zj_test_prepare (p, sh, prune);
  if (kept)
    *kept = zj_program_size (zj_prepared_program (pp));
  zj_eval_opts o;
  zj_eval_opts_default (&o);
  o.record_errors = NERR;
  zj_eval_result res = { 0 };
  res.train_err = out->tr;
  res.valid_err = out->va;
  memset (out->tr, 0, sizeof out->tr);
  memset (out->va, 0, sizeof out->va);
  zj_rng_seed (&out->rng, 12345);
  out->fitness = zj_interp_eval_task (pp, t, &o, &out->rng, ws, &res);
  out->steps = res.train_steps;
  out->aborted = res.aborted;
  out->ntr = res.n_train_err;
  out->nva = res.n_valid_err;
  zj_prepared_free (pp);
}

static void
assert_same_outcome (const zj_program *p, const outcome *a, const outcome *b)
{
  bool same = memcmp (&a->fitness, &b->fitness, sizeof a->fitness) == 0
              && a->steps == b->steps && a->aborted == b->aborted
              && a->ntr == b->ntr && a->nva == b->nva
              && memcmp (a->tr, b->tr, sizeof a->tr) == 0
              && memcmp (a->va, b->va, sizeof a->va) == 0
              && memcmp (&a->rng, &b->rng, sizeof a->rng) == 0;
  if (!same)
    {
      fprintf (stderr, "pruning changed the evaluation of:\n");
      zj_program_print (p, true, stderr);
    }
  cr_assert (same, "unpruned %.17g (%ld steps) vs pruned %.17g (%ld steps)",
             a->fitness, a->steps, b->fitness, b->steps);
}

Test (prune, random_programs_keep_their_fitness, .timeout = 60)
{
  const int sizes[] = { 2, 4, 8 };
  zj_rng g;
  zj_rng_seed (&g, 424242);
  zj_program p;
  zj_program_init (&p);
  size_t total = 0, kept_total = 0;
  int nonzero = 0;
  for (int k = 0; k < 3; k++)
    {
      zj_shape sh = shape553;
      sh.F = sizes[k];
      zj_task *tasks[2] = {
        make_task (sh.F, 12, 6, 2, ZJ_RMS_ERROR, 1 + k),
        make_task (sh.F, 12, 6, 2, ZJ_ACCURACY, 11 + k),
      };
      zj_workspace *ws = zj_workspace_new (&sh);
      for (int n = 0; n < 1500; n++)
        {
          rand_program (&p, &sh, &g);
          const zj_task *t = tasks[n % 2];
          outcome full, pruned;
          size_t kept;
          evaluate (&p, &sh, false, t, ws, &full, NULL);
          evaluate (&p, &sh, true, t, ws, &pruned, &kept);
          assert_same_outcome (&p, &full, &pruned);
          total += zj_program_size (&p);
          kept_total += kept;
          nonzero += full.fitness > 0.0;
        }
      for (int i = 0; i < 2; i++)
        {
          zj_task_free (tasks[i]);
          free (tasks[i]);
        }
      zj_workspace_free (ws);
    }
  /* The property is only meaningful if pruning removes a fair share and
     a fair share of programs reach a nonzero fitness. */
  cr_assert (kept_total < total * 3 / 4, "kept %zu of %zu", kept_total, total);
  cr_assert (nonzero > 100, "only %d programs with nonzero fitness", nonzero);
  zj_program_free (&p);
}

/* ---------------------------------------------------- hand-built cases */

static zj_instr
cset (int out, double x)
{
  zj_instr in = zj_test_ins (ZJ_SCALAR_CONST_SET_OP, 0, 0, out);
  in.act = x;
  return in;
}

/* Prunes p; checks the result equals `want` and that the evaluation on a
   small regression task is unchanged. */
static void
check_pruned (const zj_program *p, const zj_program *want)
{
  zj_prepared *pp = zj_test_prepare (p, &shape553, true);
  const zj_program *got = zj_prepared_program (pp);
  if (!zj_program_equal (got, want))
    {
      fprintf (stderr, "pruned:\n");
      zj_program_print (got, false, stderr);
      fprintf (stderr, "expected:\n");
      zj_program_print (want, false, stderr);
    }
  cr_assert (zj_program_equal (got, want), "pruned program differs");
  zj_prepared_free (pp);

  zj_task *t = make_task (4, 20, 10, 3, ZJ_RMS_ERROR, 99);
  zj_workspace *ws = zj_workspace_new (&shape553);
  outcome a, b;
  evaluate (p, &shape553, false, t, ws, &a, NULL);
  evaluate (p, &shape553, true, t, ws, &b, NULL);
  assert_same_outcome (p, &a, &b);
  zj_workspace_free (ws);
  zj_task_free (t);
  free (t);
}

/* LINEAR from the reference, Learn updating v1 read by the next Predict. */
static void
push_linear (zj_program *p)
{
  zj_fn_push (&p->fn[ZJ_SETUP], cset (2, 0.01));
  zj_fn_push (&p->fn[ZJ_PREDICT], zj_test_ins (ZJ_VECTOR_INNER_PRODUCT_OP, 1, 0, 1));
  zj_fn_push (&p->fn[ZJ_LEARN], zj_test_ins (ZJ_SCALAR_DIFF_OP, 0, 1, 3));
  zj_fn_push (&p->fn[ZJ_LEARN], zj_test_ins (ZJ_SCALAR_PRODUCT_OP, 2, 3, 3));
  zj_fn_push (&p->fn[ZJ_LEARN], zj_test_ins (ZJ_SCALAR_VECTOR_PRODUCT_OP, 3, 0, 2));
  zj_fn_push (&p->fn[ZJ_LEARN], zj_test_ins (ZJ_VECTOR_SUM_OP, 1, 2, 1));
}

Test (prune, dead_instructions_removed)
{
  zj_program p, want;
  zj_program_init (&p);
  zj_program_init (&want);
  push_linear (&want);
  push_linear (&p);
  zj_fn_insert (&p.fn[ZJ_SETUP], 0, cset (4, 0.5));              /* never read */
  zj_fn_push (&p.fn[ZJ_PREDICT], zj_test_ins (ZJ_SCALAR_SUM_OP, 2, 2, 4));
  zj_fn_insert (&p.fn[ZJ_LEARN], 0, zj_test_ins (ZJ_MATRIX_TRANSPOSE_OP, 0, 0, 1));
  zj_fn_insert (&p.fn[ZJ_PREDICT], 0, zj_test_ins (ZJ_NO_OP, 0, 0, 0));
  /* Overwritten before it is read: the first s1 of Predict. */
  zj_fn_insert (&p.fn[ZJ_PREDICT], 0, zj_test_ins (ZJ_SCALAR_SUM_OP, 2, 2, 1));
  check_pruned (&p, &want);
  zj_program_free (&p);
  zj_program_free (&want);
}

Test (prune, learn_state_feeding_next_predict_is_kept)
{
  /* Predict: s1 = s2 * s3.  Learn: s2 = s4 + s0; s4 = s0 * s0.  s4 only
     matters through the NEXT example's Learn -> Predict: a fixed point. */
  zj_program p;
  zj_program_init (&p);
  zj_fn_push (&p.fn[ZJ_SETUP], cset (3, 0.5));
  zj_fn_push (&p.fn[ZJ_PREDICT], zj_test_ins (ZJ_SCALAR_PRODUCT_OP, 2, 3, 1));
  zj_fn_push (&p.fn[ZJ_LEARN], zj_test_ins (ZJ_SCALAR_SUM_OP, 4, 0, 2));
  zj_fn_push (&p.fn[ZJ_LEARN], zj_test_ins (ZJ_SCALAR_PRODUCT_OP, 0, 0, 4));
  check_pruned (&p, &p);

  /* LINEAR: every Learn instruction feeds the next Predict. */
  zj_program_clear (&p);
  push_linear (&p);
  check_pruned (&p, &p);
  zj_program_free (&p);
}

Test (prune, predict_state_carried_through_validation_is_kept)
{
  /* Predict: s1 = s2 + s0; s2 = s1 + s3.  Learn: s2 = s3 * s3.  In
     training Learn overwrites s2, so Predict's write of s2 matters only
     from one validation example to the next (Predict -> Predict). */
  zj_program p;
  zj_program_init (&p);
  zj_fn_push (&p.fn[ZJ_SETUP], cset (3, 0.25));
  zj_fn_push (&p.fn[ZJ_PREDICT], zj_test_ins (ZJ_SCALAR_SUM_OP, 2, 0, 1));
  zj_fn_push (&p.fn[ZJ_PREDICT], zj_test_ins (ZJ_SCALAR_SUM_OP, 1, 3, 2));
  zj_fn_push (&p.fn[ZJ_LEARN], zj_test_ins (ZJ_SCALAR_PRODUCT_OP, 3, 3, 2));
  check_pruned (&p, &p);
  zj_program_free (&p);
}

Test (prune, executor_inputs_do_not_carry_liveness)
{
  /* Learn writes v0 and s0: the executor overwrites both before the next
     Predict or Learn, so only uses inside the same Learn count. */
  zj_program p, want;
  zj_program_init (&p);
  zj_program_init (&want);
  zj_fn_push (&p.fn[ZJ_SETUP], cset (2, 0.5));
  zj_fn_push (&p.fn[ZJ_PREDICT], zj_test_ins (ZJ_SCALAR_SUM_OP, 3, 2, 1));
  zj_fn_push (&p.fn[ZJ_LEARN], zj_test_ins (ZJ_SCALAR_SUM_OP, 2, 2, 0));
  zj_fn_push (&p.fn[ZJ_LEARN], zj_test_ins (ZJ_SCALAR_PRODUCT_OP, 0, 0, 3));
  zj_fn_push (&p.fn[ZJ_LEARN], zj_test_ins (ZJ_SCALAR_BROADCAST_OP, 2, 0, 0));
  zj_fn_push (&p.fn[ZJ_LEARN], zj_test_ins (ZJ_SCALAR_SUM_OP, 2, 2, 0));
  zj_program_copy (&want, &p);
  zj_fn_remove (&want.fn[ZJ_LEARN], 3);
  zj_fn_remove (&want.fn[ZJ_LEARN], 2);
  check_pruned (&p, &want);
  zj_program_free (&p);
  zj_program_free (&want);
}

Test (prune, random_ops_are_kept)
{
  zj_program p;
  zj_program_init (&p);
  push_linear (&p);
  zj_instr u = zj_test_ins (ZJ_SCALAR_UNIFORM_SET_OP, 0, 0, 4);
  u.fd[0] = -1.0f;
  u.fd[1] = 1.0f;
  zj_instr gm = zj_test_ins (ZJ_MATRIX_GAUSSIAN_SET_OP, 0, 0, 2);
  gm.fd[1] = 0.5f;
  zj_instr gv = zj_test_ins (ZJ_VECTOR_GAUSSIAN_SET_OP, 0, 0, 4);
  gv.fd[1] = 1.0f;
  zj_fn_insert (&p.fn[ZJ_SETUP], 0, u);
  zj_fn_push (&p.fn[ZJ_PREDICT], gm);
  zj_fn_push (&p.fn[ZJ_LEARN], gv);
  /* The draws shift later ones, so the outcome must match too (checked
     inside check_pruned, including the final generator state). */
  check_pruned (&p, &p);
  zj_program_free (&p);
}

Test (prune, const_set_does_not_kill_liveness)
{
  /* Setup: s2 = 0.5; v1 = bcast(s2); v1[0] = 3.  The element write leaves
     the rest of v1 live, so the broadcast and s2 stay. */
  zj_program p;
  zj_program_init (&p);
  zj_instr vset = zj_test_ins (ZJ_VECTOR_CONST_SET_OP, 0, 0, 1);
  vset.fd[0] = 0.1f;
  vset.fd[1] = 3.0f;
  zj_fn_push (&p.fn[ZJ_SETUP], cset (2, 0.5));
  zj_fn_push (&p.fn[ZJ_SETUP], zj_test_ins (ZJ_SCALAR_BROADCAST_OP, 2, 0, 1));
  zj_fn_push (&p.fn[ZJ_SETUP], vset);
  zj_fn_push (&p.fn[ZJ_PREDICT], zj_test_ins (ZJ_VECTOR_INNER_PRODUCT_OP, 1, 0, 1));
  check_pruned (&p, &p);

  /* Same for a matrix element. */
  zj_program_clear (&p);
  zj_instr mset = zj_test_ins (ZJ_MATRIX_CONST_SET_OP, 0, 0, 1);
  mset.fd[0] = 0.6f;
  mset.fd[1] = 0.3f;
  mset.fd[2] = -2.0f;
  zj_fn_push (&p.fn[ZJ_SETUP], cset (2, 0.5));
  zj_fn_push (&p.fn[ZJ_SETUP], zj_test_ins (ZJ_SCALAR_MATRIX_PRODUCT_OP, 2, 2, 1));
  zj_fn_push (&p.fn[ZJ_SETUP], mset);
  zj_fn_push (&p.fn[ZJ_PREDICT], zj_test_ins (ZJ_MATRIX_VECTOR_PRODUCT_OP, 1, 0, 2));
  zj_fn_push (&p.fn[ZJ_PREDICT], zj_test_ins (ZJ_VECTOR_NORM_OP, 2, 0, 1));
  check_pruned (&p, &p);

  /* A full write does kill: the first broadcast and its input go. */
  zj_program want;
  zj_program_init (&want);
  zj_program_clear (&p);
  zj_fn_push (&p.fn[ZJ_SETUP], cset (2, 0.5));
  zj_fn_push (&p.fn[ZJ_SETUP], zj_test_ins (ZJ_SCALAR_BROADCAST_OP, 2, 0, 1));
  zj_fn_push (&p.fn[ZJ_SETUP], cset (3, 0.25));
  zj_fn_push (&p.fn[ZJ_SETUP], zj_test_ins (ZJ_SCALAR_BROADCAST_OP, 3, 0, 1));
  zj_fn_push (&p.fn[ZJ_PREDICT], zj_test_ins (ZJ_VECTOR_INNER_PRODUCT_OP, 1, 0, 1));
  zj_program_copy (&want, &p);
  zj_fn_remove (&want.fn[ZJ_SETUP], 1);
  zj_fn_remove (&want.fn[ZJ_SETUP], 0);
  check_pruned (&p, &want);
  zj_program_free (&want);
  zj_program_free (&p);
}

/* Shapes of up to 64 locations prune with one machine word per live set;
   larger ones with arrays.  Both must keep the same instructions. */
Test (prune, word_and_array_liveness_agree)
{
  zj_rng g;
  zj_rng_seed (&g, 8080);
  zj_program p, a, b;
  zj_program_init (&p);
  zj_program_init (&a);
  zj_program_init (&b);
  int differs_from_input = 0;
  for (int n = 0; n < 3000; n++)
    {
      rand_program (&p, &shape553, &g);
      zj_prune_sized (&p, 5, 5, 3, &a);        /* 13 locations: word */
      zj_prune_sized (&p, 40, 20, 10, &b);     /* 70 locations: arrays */
      cr_assert (zj_program_equal (&a, &b), "program %d", n);
      differs_from_input += !zj_program_equal (&a, &p);
    }
  cr_assert_gt (differs_from_input, 1000);   /* pruning did something */
  zj_program_free (&p);
  zj_program_free (&a);
  zj_program_free (&b);
}

/* zj_prune_checked (the evaluator's one pass) refuses exactly the
   programs zj_program_check refuses, and otherwise keeps exactly the
   instructions zj_prune_sized keeps: random programs, some with an
   operand out of range or an unknown op, in shapes of up to 64
   locations and beyond (the array path), into an output that already
   holds a program. */
Test (prune, checked_prune_equals_check_then_prune)
{
  zj_rng g;
  zj_rng_seed (&g, 4242);
  const zj_shape shapes[] = { { 4, 5, 5, 3 }, { 4, 4, 3, 1 }, { 8, 2, 1, 0 },
                              { 4, 40, 20, 10 }, { 16, 20, 20, 20 } };
  zj_program p, a, b;
  zj_program_init (&p);
  zj_program_init (&a);
  zj_program_init (&b);
  int refused = 0, pruned_some = 0;
  for (int n = 0; n < 6000; n++)
    {
      const zj_shape *sh = &shapes[n % 5];
      rand_program (&p, sh, &g);
      const int c = (int) zj_rng_below (&g, ZJ_NUM_COMPONENTS);
      if (p.fn[c].n > 0 && zj_rng_below (&g, 4) == 0)
        {
          /* One operand (or the op) out of range. */
          zj_instr *in = &p.fn[c].ins[zj_rng_below (&g, (uint32_t) p.fn[c].n)];
          switch (zj_rng_below (&g, 4))
            {
            case 0: in->in1 = (uint16_t) (sh->ns + sh->nv + zj_rng_below (&g, 3)); break;
            case 1: in->in2 = (uint16_t) (sh->nv + zj_rng_below (&g, 3)); break;
            case 2: in->out = (uint16_t) (sh->nm + zj_rng_below (&g, 3)); break;
            default: in->op = (uint16_t) (ZJ_NUM_OPS + zj_rng_below (&g, 3));
            }
        }
      zj_error err;
      const int want = zj_program_check (&p, sh, &err);
      const int got = zj_prune_checked (&p, sh, &a);
      cr_assert_eq (got, want, "program %d: checked %d, check %d", n, got,
                    want);
      if (want != 0)
        {
          refused++;
          continue;
        }
      zj_prune_sized (&p, sh->ns, sh->nv, sh->nm, &b);
      cr_assert (zj_program_equal (&a, &b), "program %d", n);
      pruned_some += !zj_program_equal (&a, &p);
    }
  /* Both outcomes, and pruning that removes something, are exercised. */
  cr_assert_gt (refused, 300);
  cr_assert_gt (pruned_some, 2000);
  zj_program_free (&p);
  zj_program_free (&a);
  zj_program_free (&b);
}

/* ------------------------------------------- children from a memo */

/* zj_prune_reuse against the full prune: random parents (every op,
   random ops included), each mutated once the way the search does
   (zj_mutate_site); whenever the parent's memo is taken, the child's
   memo and prune are exactly what the full prune finds, and "the
   parent's pruned program" is exactly that.  All three outcomes must
   occur often, and shapes beyond 64 locations give no memo. */
Test (prune, memo_reuse_equals_full_prune, .timeout = 60)
{
  zj_rng g;
  zj_rng_seed (&g, 777);
  const zj_shape shapes[] = { { 4, 5, 5, 3 }, { 4, 4, 3, 1 }, { 8, 3, 2, 1 },
                              { 4, 40, 20, 10 } };
  int all_ops[ZJ_NUM_OPS];
  for (int op = 0; op < ZJ_NUM_OPS; op++)
    all_ops[op] = op;
  static const zj_mutation_type muts[] = {
    ZJ_MUT_ALTER_PARAM, ZJ_MUT_RANDOMIZE_INSTRUCTION,
    ZJ_MUT_RANDOMIZE_COMPONENT_FUNCTION, ZJ_MUT_INSERT_INSTRUCTION,
    ZJ_MUT_IDENTITY };
  zj_program par, child, pp, pc, viamemo;
  zj_program_init (&par);
  zj_program_init (&child);
  zj_program_init (&pp);
  zj_program_init (&pc);
  zj_program_init (&viamemo);
  int count[3] = { 0 }, setup_remarked = 0, pl_refixed = 0, pl_setup = 0;
  for (int n = 0; n < 20000; n++)
    {
      const zj_shape *sh = &shapes[n % 4];
      zj_search_space sp;
      memset (&sp, 0, sizeof sp);
      sp.shape = *sh;
      for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
        {
          sp.ops[c] = all_ops;
          sp.n_ops[c] = ZJ_NUM_OPS;
          sp.size_max[c] = 100;
        }
      sp.mutation_types = muts;
      sp.n_mutation_types = 5;
      sp.mutate_prob = 1.0;
      rand_program (&par, sh, &g);
      zj_prune_memo mp, mc, full;
      cr_assert_eq (zj_prune_checked_memo (&par, sh, &pp, &mp), 0);
      cr_assert_eq (mp.valid, sh->ns + sh->nv + sh->nm <= 64, "program %d", n);
      mp.key = zj_program_key (&pp);
      mp.keyed = mp.valid;
      zj_program_copy (&child, &par);
      zj_mut_site site;
      zj_mutate_site (&sp, &g, 1, &child, &site);
      const int r = zj_prune_reuse (&child, sh, &mp, &site, &mc);
      count[r]++;
      if (r == ZJ_REUSE_NONE)
        continue;
      cr_assert_eq (zj_prune_checked_memo (&child, sh, &pc, &full), 0);
      zj_prune_apply (&child, &mc, &viamemo);
      cr_assert (zj_program_equal (&viamemo, &pc), "program %d, site %d/%d",
                 n, site.c, site.i);
      for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
        {
          cr_assert_eq (mc.kept[c], full.kept[c], "program %d, component %d",
                        n, c);
          cr_assert_eq (mc.out[c], full.out[c], "program %d, component %d",
                        n, c);
        }
      cr_assert (mc.valid);
      setup_remarked += site.c == ZJ_SETUP && mc.kept[0] != mp.kept[0];
      /* Predict or Learn changed its liveness; so did Setup's through it. */
      const bool pl = site.c == ZJ_PREDICT || site.c == ZJ_LEARN;
      pl_refixed += pl && (mc.kept[1] != mp.kept[1] || mc.kept[2] != mp.kept[2]);
      pl_setup += pl && mc.kept[0] != mp.kept[0];
      if (r == ZJ_REUSE_PRUNED)
        {
          cr_assert (zj_program_equal (&pc, &pp), "program %d", n);
          cr_assert (mc.keyed && mc.key == zj_program_key (&pc));
        }
      else
        cr_assert (!mc.keyed);
    }
  cr_assert_gt (count[ZJ_REUSE_NONE], 3000);
  cr_assert_gt (count[ZJ_REUSE_LIVENESS], 1000);
  cr_assert_gt (count[ZJ_REUSE_PRUNED], 3000);
  cr_assert_gt (setup_remarked, 100);
  cr_assert_gt (pl_refixed, 1000);
  cr_assert_gt (pl_setup, 100);
  zj_program_free (&par);
  zj_program_free (&child);
  zj_program_free (&pp);
  zj_program_free (&pc);
  zj_program_free (&viamemo);
}

/* The two ways a changed instruction leaves the liveness alone, by
   hand: a dead one replaced by one writing a dead location, and a live
   one whose operands stay (its constant changes); and a dead one that
   becomes live, which needs the full prune. */
Test (prune, memo_reuse_cases)
{
  const zj_shape sh = { 4, 4, 3, 1 };
  zj_program p, q, out;
  zj_program_init (&p);
  zj_program_init (&q);
  zj_program_init (&out);
  /* Predict: s1 = s2 * s2 (live); s3 = s2 + s2 (dead). */
  zj_fn_push (&p.fn[ZJ_PREDICT], zj_test_ins (ZJ_SCALAR_PRODUCT_OP, 2, 2, 1));
  zj_fn_push (&p.fn[ZJ_PREDICT], zj_test_ins (ZJ_SCALAR_SUM_OP, 2, 2, 3));
  zj_instr cset = zj_test_ins (ZJ_SCALAR_CONST_SET_OP, 0, 0, 2);
  cset.act = 0.5;
  zj_fn_push (&p.fn[ZJ_SETUP], cset);
  zj_prune_memo m, mc;
  cr_assert_eq (zj_prune_checked_memo (&p, &sh, &out, &m), 0);
  cr_assert (m.valid);
  cr_assert_eq (m.kept[ZJ_PREDICT], (uint64_t) 1);
  cr_assert_eq (m.kept[ZJ_SETUP], (uint64_t) 1);
  m.keyed = true;
  /* Dead stays dead: s3 = s2 - s2. */
  zj_program_copy (&q, &p);
  zj_mut_site s = { ZJ_PREDICT, 1, q.fn[ZJ_PREDICT].ins[1] };
  q.fn[ZJ_PREDICT].ins[1] = zj_test_ins (ZJ_SCALAR_DIFF_OP, 2, 2, 3);
  cr_assert_eq (zj_prune_reuse (&q, &sh, &m, &s, &mc), ZJ_REUSE_PRUNED);
  /* Dead becomes live: s1 = s2 + s2 (and the first one dies): Predict
     and Learn's fixed point again, Setup's marks kept. */
  zj_program_copy (&q, &p);
  s = (zj_mut_site) { ZJ_PREDICT, 1, q.fn[ZJ_PREDICT].ins[1] };
  q.fn[ZJ_PREDICT].ins[1] = zj_test_ins (ZJ_SCALAR_SUM_OP, 2, 2, 1);
  cr_assert_eq (zj_prune_reuse (&q, &sh, &m, &s, &mc), ZJ_REUSE_LIVENESS);
  cr_assert_eq (mc.kept[ZJ_PREDICT], (uint64_t) 2);
  cr_assert_eq (mc.kept[ZJ_SETUP], (uint64_t) 1);
  cr_assert (!mc.keyed && mc.tag == 0);
  zj_prune_apply (&q, &mc, &out);
  cr_assert_eq (out.fn[ZJ_PREDICT].n, 1);
  cr_assert_eq (out.fn[ZJ_PREDICT].ins[0].op, ZJ_SCALAR_SUM_OP);
  /* A live instruction redrawn to itself: the parent's pruned program. */
  zj_program_copy (&q, &p);
  s = (zj_mut_site) { ZJ_PREDICT, 0, q.fn[ZJ_PREDICT].ins[0] };
  cr_assert_eq (zj_prune_reuse (&q, &sh, &m, &s, &mc), ZJ_REUSE_PRUNED);
  cr_assert (mc.keyed);
  /* More than one change: nothing to reuse. */
  s = (zj_mut_site) { ZJ_SITE_MANY, 0, { 0 } };
  cr_assert_eq (zj_prune_reuse (&q, &sh, &m, &s, &mc), ZJ_REUSE_NONE);
  /* A live constant changes: the same liveness, another program. */
  zj_program_copy (&q, &p);
  s = (zj_mut_site) { ZJ_SETUP, 0, q.fn[ZJ_SETUP].ins[0] };
  q.fn[ZJ_SETUP].ins[0].act = 0.25;
  cr_assert_eq (zj_prune_reuse (&q, &sh, &m, &s, &mc), ZJ_REUSE_LIVENESS);
  cr_assert (!mc.keyed);
  zj_prune_apply (&q, &mc, &out);
  cr_assert_eq (out.fn[ZJ_SETUP].n, 1);
  cr_assert_eq (out.fn[ZJ_SETUP].ins[0].act, 0.25);
  /* Nothing changed: the parent's memo, key and all. */
  s = (zj_mut_site) { ZJ_SITE_NONE, 0, { 0 } };
  cr_assert_eq (zj_prune_reuse (&p, &sh, &m, &s, &mc), ZJ_REUSE_PRUNED);
  cr_assert (mc.keyed);
  zj_program_free (&p);
  zj_program_free (&q);
  zj_program_free (&out);
}
