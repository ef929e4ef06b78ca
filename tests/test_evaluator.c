/* test_evaluator.c -- the evaluator (src/search/evaluator.c): fitness on
 * several tasks, the FEC, the exact-duplicate cache and the train budget. */
#include <criterion/criterion.h>
#include <math.h>
#include "testutil.h"
#include "evaluator.h"
#include "dedup.h"
#include "stash.h"
#include "ckpt.h"

#include "evalutil.h"

static void
linear_program (zj_program *p)
{
  zj_search_space sp;
  demo_space (&sp);
  zj_error err;
  zj_rng r;
  zj_rng_seed (&r, 1);
  cr_assert_eq (zj_generate_algorithm (ZJ_ALG_LINEAR, &sp, &r, p, &err), 0, "%s", err.msg);
}

Test (evaluator, linear_algorithm_learns_linear_tasks)
{
  zj_task *ts = linear_tasks (3, 5);
  zj_rng rng;
  zj_rng_seed (&rng, 2);
  zj_evaluator *e = make_eval (ts, 3, false, false, &rng);
  zj_program p;
  zj_program_init (&p);
  linear_program (&p);
  double f = zj_evaluator_eval (e, &p);
  /* 50 steps of lr 0.01 SGD reduce but do not remove the error. */
  cr_assert_gt (f, 0.3);
  const double *tf = zj_evaluator_task_fitness (e);
  cr_assert_float_eq (f, (tf[0] + tf[1] + tf[2]) / 3, 1e-15);
  cr_assert_eq (zj_evaluator_train_steps (e), 150);
  zj_program_free (&p);
  zj_evaluator_free (e);
  free_tasks (ts, 3);
}

Test (evaluator, fec_hits_for_functionally_equal_programs)
{
  zj_task *ts = linear_tasks (2, 6);
  zj_rng rng;
  zj_rng_seed (&rng, 3);
  zj_evaluator *e = make_eval (ts, 2, true, false, &rng);
  zj_program p, q;
  zj_program_init (&p);
  zj_program_init (&q);
  linear_program (&p);
  double f1 = zj_evaluator_eval (e, &p);
  zj_eval_counters c = zj_evaluator_counters (e);
  cr_assert_eq (c.fec_misses, 2);
  cr_assert_eq (c.fec_hits, 0);
  /* 10 FEC steps + 50 real steps per task. */
  cr_assert_eq (zj_evaluator_train_steps (e), 2 * (10 + 50));
  /* Same function, different dead code: a FEC hit on both tasks. */
  zj_program_copy (&q, &p);
  q.fn[ZJ_LEARN].ins[5] = zj_test_ins (ZJ_SCALAR_DIFF_OP, 2, 2, 3);
  zj_fn_push (&q.fn[ZJ_PREDICT], zj_test_ins (ZJ_SCALAR_SUM_OP, 0, 0, 3));
  double f2 = zj_evaluator_eval (e, &q);
  c = zj_evaluator_counters (e);
  cr_assert_eq (c.fec_hits, 2);
  cr_assert_eq (f1, f2);
  /* Mini-run steps count on hits too. */
  cr_assert_eq (zj_evaluator_train_steps (e), 2 * (10 + 50) + 2 * 10);
  zj_program_free (&p);
  zj_program_free (&q);
  zj_evaluator_free (e);
  free_tasks (ts, 2);
}

Test (evaluator, dedup_reuses_fitness_of_identical_pruned_program)
{
  zj_task *ts = linear_tasks (2, 7);
  zj_rng rng;
  zj_rng_seed (&rng, 4);
  zj_evaluator *e = make_eval (ts, 2, false, true, &rng);
  zj_program p, q;
  zj_program_init (&p);
  zj_program_init (&q);
  linear_program (&p);
  double f1 = zj_evaluator_eval (e, &p);
  long steps = zj_evaluator_train_steps (e);
  zj_program_copy (&q, &p);
  zj_fn_push (&q.fn[ZJ_SETUP], zj_test_ins (ZJ_SCALAR_SUM_OP, 0, 0, 3)); /* dead */
  double f2 = zj_evaluator_eval (e, &q);
  cr_assert_eq (f1, f2);
  cr_assert_eq (zj_evaluator_counters (e).dedup_hits, 1);
  cr_assert_eq (zj_evaluator_train_steps (e), steps);   /* nothing ran */
  /* A live change is not a duplicate. */
  q.fn[ZJ_SETUP].ins[0].act = 0.02;
  double f3 = zj_evaluator_eval (e, &q);
  cr_assert_eq (zj_evaluator_counters (e).dedup_hits, 1);
  cr_assert_neq (f1, f3);
  zj_program_free (&p);
  zj_program_free (&q);
  zj_evaluator_free (e);
  free_tasks (ts, 2);
}

Test (evaluator, budget_gives_zero_to_expensive_programs)
{
  zj_task *ts = linear_tasks (1, 8);
  zj_rng rng;
  zj_rng_seed (&rng, 5);
  zj_evaluator_cfg cfg;
  zj_evaluator_cfg_default (&cfg);
  cfg.budget = true;
  cfg.budget_factor = 2.0;
  zj_search_space sp;
  demo_space (&sp);
  sp.size_init[0] = 0; sp.size_init[1] = 0; sp.size_init[2] = 0;
  zj_shape big = { F, 5, 9, 2 };
  sp.shape = big;
  zj_error err;
  zj_evaluator *e = zj_evaluator_new (&cfg, ts, 1, &big, &sp, &rng, &err);
  cr_assert_not_null (e, "%s", err.msg);
  zj_program p;
  zj_program_init (&p);
  linear_program (&p);
  cr_assert_gt (zj_evaluator_eval (e, &p), 0.0);     /* cheaper than the NN */
  for (int i = 0; i < 40; i++)                      /* 40 matmuls per example */
    zj_fn_push (&p.fn[ZJ_LEARN], zj_test_ins (ZJ_MATRIX_MATRIX_PRODUCT_OP, 0, 0, 1));
  cr_assert_eq (zj_evaluator_eval (e, &p), 0.0);
  zj_program_free (&p);
  zj_evaluator_free (e);
  free_tasks (ts, 1);
}

/* Real runs after an FEC miss continue from the mini-run's lanes
   (zj_lsnap_mode): a stream of candidates, as a search makes them
   (mutants of a linear learner and of each other, random programs, some
   drawing random numbers in Setup, duplicates), gets bit for bit the same
   fitnesses, per-task fitnesses, steps, counters and generator state as
   with every real run starting from Setup. */
Test (evaluator, resumed_real_runs_equal_runs_from_setup)
{
  enum { NT = 6, N = 600 };
  zj_task *ts = linear_tasks (NT, 21);
  zj_rng rng[2];
  zj_evaluator *e[2];
  for (int w = 0; w < 2; w++)
    {
      zj_rng_seed (&rng[w], 22);
      zj_evaluator_cfg cfg;
      zj_evaluator_cfg_default (&cfg);
      cfg.fec = true;
      cfg.fec_train = 10;
      cfg.fec_valid = 10;
      cfg.dedup = true;
      cfg.no_resume = w == 1;
      zj_error err;
      e[w] = zj_evaluator_new (&cfg, ts, NT, &shape, NULL, &rng[w], &err);
      cr_assert_not_null (e[w], "%s", err.msg);
    }
  zj_search_space sp;
  demo_space (&sp);
  zj_rng gen;
  zj_rng_seed (&gen, 23);
  zj_program pool[8], p;
  zj_program_init (&p);
  for (int i = 0; i < 8; i++)
    {
      zj_program_init (&pool[i]);
      linear_program (&pool[i]);
    }
  for (int n = 0; n < N; n++)
    {
      zj_program *src = &pool[zj_rng_below (&gen, 8)];
      if (n % 7 == 3)
        zj_test_random_program (&gen, &shape, &p);
      else
        {
          zj_program_copy (&p, src);
          if (n % 5 != 4)   /* else a duplicate */
            zj_mutate (&sp, &gen, 1, &p);
        }
      if (n % 11 == 5)
        {
          zj_instr g = zj_test_ins (ZJ_SCALAR_GAUSSIAN_SET_OP, 0, 0, 2);
          g.fd[1] = 0.01f;
          zj_fn_push (&p.fn[ZJ_SETUP], g);
        }
      const double f0 = zj_evaluator_eval (e[0], &p);
      const double f1 = zj_evaluator_eval (e[1], &p);
      cr_assert (memcmp (&f0, &f1, sizeof f0) == 0,
                 "candidate %d: %.17g resumed, %.17g from Setup", n, f0, f1);
      cr_assert (memcmp (zj_evaluator_task_fitness (e[0]),
                         zj_evaluator_task_fitness (e[1]),
                         NT * sizeof (double)) == 0, "candidate %d", n);
      cr_assert_eq (zj_evaluator_train_steps (e[0]),
                    zj_evaluator_train_steps (e[1]), "candidate %d", n);
      zj_program_copy (&pool[zj_rng_below (&gen, 8)], &p);
    }
  const zj_eval_counters c0 = zj_evaluator_counters (e[0]);
  const zj_eval_counters c1 = zj_evaluator_counters (e[1]);
  cr_assert (memcmp (&c0, &c1, sizeof c0) == 0);
  cr_assert_eq (zj_rng_next (&rng[0]), zj_rng_next (&rng[1]));
  /* Both paths ran: most misses resumed, none without it. */
  cr_assert_gt (c0.fec_misses, 100);
  cr_assert_gt (zj_evaluator_resumed (e[0]), (unsigned long) c0.fec_misses / NT / 2,
                "%lu of %ld", zj_evaluator_resumed (e[0]), c0.fec_misses);
  cr_assert_eq (zj_evaluator_resumed (e[1]), 0);
  for (int i = 0; i < 8; i++)
    zj_program_free (&pool[i]);
  zj_program_free (&p);
  zj_evaluator_free (e[0]);
  zj_evaluator_free (e[1]);
  free_tasks (ts, NT);
}

/* Duplicate-cache tags: every store names its slot anew, a tag finds
   only the program stored with it (not one stored over it, nor the same
   program stored again later), and 0 finds nothing. */
Test (evaluator, dedup_tags_name_one_store)
{
  zj_dedup *d = zj_dedup_new (16);
  zj_program p1, p2;
  zj_program_init (&p1);
  zj_program_init (&p2);
  linear_program (&p1);
  zj_program_copy (&p2, &p1);
  zj_fn_push (&p2.fn[ZJ_PREDICT], zj_test_ins (ZJ_SCALAR_SUM_OP, 1, 1, 1));
  const uint64_t k1 = 5, k2 = 5 + 16, k3 = 6;   /* k1, k2: one slot */
  double f = -1;
  const uint64_t t1 = zj_dedup_store (d, &p1, k1, 0.5);
  cr_assert_neq (t1, 0);
  cr_assert (zj_dedup_find_tagged (d, k1, t1, &f));
  cr_assert_eq (f, 0.5);
  cr_assert_eq (zj_dedup_slot_tag (d, k1), t1);
  cr_assert_not (zj_dedup_find_tagged (d, k1, 0, &f));
  cr_assert_not (zj_dedup_find_tagged (d, k3, t1, &f));
  const uint64_t t2 = zj_dedup_store (d, &p2, k2, 0.25);
  cr_assert_neq (t2, t1);
  cr_assert_not (zj_dedup_find_tagged (d, k1, t1, &f));
  cr_assert (zj_dedup_find_tagged (d, k2, t2, &f));
  cr_assert_eq (f, 0.25);
  cr_assert_not (zj_dedup_find (d, &p1, k1, &f));
  const uint64_t t3 = zj_dedup_store (d, &p1, k1, 0.5);
  cr_assert (t3 != t1 && t3 != t2);
  cr_assert_not (zj_dedup_find_tagged (d, k1, t1, &f));
  cr_assert (zj_dedup_find (d, &p1, k1, &f));
  zj_program_free (&p1);
  zj_program_free (&p2);
  zj_dedup_free (d);
}

/* A random program of n instructions over the shape's scalars, split
   into Setup, Predict and Learn at a and b. */
static void
dedup_program (zj_program *p, zj_rng *g, int n, int a, int b)
{
  static const int ops[] = { ZJ_SCALAR_SUM_OP, ZJ_SCALAR_DIFF_OP,
                             ZJ_SCALAR_PRODUCT_OP };
  for (int c = 0; c < ZJ_NUM_COMPONENTS; c++)
    p->fn[c].n = 0;
  for (int i = 0; i < n; i++)
    zj_fn_push (&p->fn[i < a ? ZJ_SETUP : i < b ? ZJ_PREDICT : ZJ_LEARN],
                zj_test_ins (ops[zj_rng_below (g, 3)], (int) zj_rng_below (g, 4),
                             (int) zj_rng_below (g, 4),
                             (int) zj_rng_below (g, 4)));
}

/* Programs of 0 to 40 instructions, in the pool (up to 24) or on the
   heap, stored over one another in an 8-slot cache: each is found with
   its fitness while it holds its slot, never once replaced, never when
   one instruction differs or the same instructions split otherwise
   between components; a checkpoint's export and import keep them all. */
Test (evaluator, dedup_pool_and_heap_programs)
{
  enum { NP = 24 };
  zj_dedup *d = zj_dedup_new (8);
  zj_program p[NP], q;
  zj_rng g;
  zj_rng_seed (&g, 77);
  zj_program_init (&q);
  for (int k = 0; k < NP; k++)
    {
      zj_program_init (&p[k]);
      const int n = k < 20 ? k + 3 : 22 + 4 * (k - 20);   /* 3..22, 22..34 */
      dedup_program (&p[k], &g, n, n / 3, n / 2);
    }
  int holder[8];
  for (int i = 0; i < 8; i++)
    holder[i] = -1;
  double f;
  for (int round = 0; round < 400; round++)
    {
      const int k = (int) zj_rng_below (&g, NP);
      const uint64_t key = (uint64_t) k * 3;   /* slot k*3 mod 8 */
      if (holder[key % 8] == k)
        {
          cr_assert (zj_dedup_find (d, &p[k], key, &f), "round %d", round);
          cr_assert_eq (f, 0.5 + k);
        }
      else
        cr_assert_not (zj_dedup_find (d, &p[k], key, &f), "round %d", round);
      zj_dedup_store (d, &p[k], key, 0.5 + k);
      holder[key % 8] = k;
      cr_assert (zj_dedup_find (d, &p[k], key, &f));
      cr_assert_eq (f, 0.5 + k);
      /* One instruction changed: not found. */
      zj_program_copy (&q, &p[k]);
      const int c = q.fn[ZJ_LEARN].n ? ZJ_LEARN : ZJ_PREDICT;
      q.fn[c].ins[q.fn[c].n - 1].out ^= 1;
      cr_assert_not (zj_dedup_find (d, &q, key, &f), "k %d", k);
      /* The same instructions, Predict's first moved to Setup. */
      if (p[k].fn[ZJ_PREDICT].n > 0)
        {
          zj_program_copy (&q, &p[k]);
          zj_fn_push (&q.fn[ZJ_SETUP], q.fn[ZJ_PREDICT].ins[0]);
          zj_fn_remove (&q.fn[ZJ_PREDICT], 0);
          cr_assert_not (zj_dedup_find (d, &q, key, &f), "k %d", k);
        }
    }
  zj_ckpt_eval x;
  memset (&x, 0, sizeof x);
  zj_dedup_export (d, &x);
  zj_dedup *d2 = zj_dedup_new (8);
  zj_error err = { "" };
  cr_assert_eq (zj_dedup_import (d2, &x, &shape, &err), 0, "%s", err.msg);
  int found = 0;
  for (int k = 0; k < NP; k++)
    {
      const bool held = holder[(uint64_t) k * 3 % 8] == k;
      cr_assert_eq (zj_dedup_find (d2, &p[k], (uint64_t) k * 3, &f), held);
      found += held;
    }
  cr_assert_eq (found, 8);
  zj_ckpt_eval_free (&x);
  for (int k = 0; k < NP; k++)
    zj_program_free (&p[k]);
  zj_program_free (&q);
  zj_dedup_free (d);
  zj_dedup_free (d2);
}

/* A cache emptied by zj_dedup_reset after use answers as a new one: it
   finds nothing it held, not even by an old tag, and then a workload of
   finds and stores gets the same answers from it as from a new cache;
   its tags are never ones it gave before the reset. */
Test (evaluator, dedup_reset_answers_as_a_new_cache)
{
  enum { NP = 24 };
  zj_dedup *used = zj_dedup_new (8), *fresh = zj_dedup_new (8);
  cr_assert_eq (zj_dedup_slots (used), 8);
  zj_program p[NP];
  uint64_t tag[NP];
  zj_rng g;
  zj_rng_seed (&g, 78);
  for (int k = 0; k < NP; k++)
    {
      zj_program_init (&p[k]);
      const int n = k < 20 ? k + 3 : 22 + 4 * (k - 20);   /* pool and heap */
      dedup_program (&p[k], &g, n, n / 3, n / 2);
    }
  uint64_t max_tag = 0;
  for (int k = NP - 1; k >= 0; k--)   /* p[0] last: key 0 in slot 0 */
    {
      tag[k] = zj_dedup_store (used, &p[k], (uint64_t) k, 1.0 + k);
      max_tag = tag[k] > max_tag ? tag[k] : max_tag;
    }
  zj_dedup_reset (used);
  double f, f2;
  for (int k = 0; k < NP; k++)
    {
      cr_assert_not (zj_dedup_find (used, &p[k], (uint64_t) k, &f), "k %d", k);
      cr_assert_not (zj_dedup_find_tagged (used, (uint64_t) k, tag[k], &f), "k %d", k);
    }
  int hits = 0;
  for (int round = 0; round < 400; round++)
    {
      const int k = (int) zj_rng_below (&g, NP);
      const uint64_t key = (uint64_t) k * 3;
      const bool a = zj_dedup_find (used, &p[k], key, &f);
      const bool b = zj_dedup_find (fresh, &p[k], key, &f2);
      cr_assert_eq (a, b, "round %d", round);
      if (a)
        {
          cr_assert_eq (f, f2, "round %d", round);
          hits++;
        }
      else
        {
          const uint64_t t = zj_dedup_store (used, &p[k], key, 0.5 + k);
          zj_dedup_store (fresh, &p[k], key, 0.5 + k);
          cr_assert_gt (t, max_tag, "round %d", round);
          cr_assert (zj_dedup_find_tagged (used, key, t, &f));
          cr_assert_eq (f, 0.5 + k);
        }
    }
  cr_assert_gt (hits, 20);
  for (int k = 0; k < NP; k++)
    zj_program_free (&p[k]);
  zj_dedup_free (used);
  zj_dedup_free (fresh);
}

/* The stash gives back the tables it was given, emptied, when the sizes
   match, and new ones otherwise; without a stash, take makes and put
   frees. */
Test (evaluator, stash_gives_back_tables_emptied)
{
  zj_stash *s = zj_stash_new ();
  zj_program p;
  zj_program_init (&p);
  linear_program (&p);
  double f;
  zj_dedup *d = zj_stash_take_dedup (s, 8);
  zj_fec *c = zj_stash_take_fec (s, 10, 3);
  zj_dedup_store (d, &p, 3, 0.5);
  zj_fec_insert (c, 3, 0.5);
  zj_stash_put_dedup (s, d);
  zj_stash_put_fec (s, c);
  cr_assert_eq (zj_stash_count (s), 2);
  zj_dedup *d16 = zj_stash_take_dedup (s, 16);
  zj_fec *c4 = zj_stash_take_fec (s, 10, 4);
  cr_assert (d16 != d && c4 != c);
  cr_assert_eq (zj_dedup_slots (d16), 16);
  cr_assert (zj_fec_fits (c4, 10, 4));
  cr_assert_eq (zj_stash_count (s), 2);
  zj_dedup *d8 = zj_stash_take_dedup (s, 8);
  zj_fec *c3 = zj_stash_take_fec (s, 10, 3);
  cr_assert (d8 == d && c3 == c);
  cr_assert_eq (zj_stash_count (s), 0);
  cr_assert_not (zj_dedup_find (d8, &p, 3, &f));
  cr_assert_not (zj_fec_lookup (c3, 3, &f));
  cr_assert_eq (zj_fec_count (c3), 0);
  zj_stash_put_dedup (s, d8);
  zj_stash_put_dedup (s, d16);
  zj_stash_put_fec (s, c3);
  zj_stash_put_fec (s, c4);
  cr_assert_eq (zj_stash_count (s), 4);
  zj_stash_free (s);
  /* No stash: a new table, freed on put (ASan/valgrind see no leak). */
  d = zj_stash_take_dedup (NULL, 8);
  cr_assert_not (zj_dedup_find (d, &p, 3, &f));
  zj_stash_put_dedup (NULL, d);
  zj_stash_put_fec (NULL, zj_stash_take_fec (NULL, 10, 3));
  zj_program_free (&p);
}

/* Two experiments in a row through a stash: the second evaluator gets
   the first one's duplicate cache and FEC and evaluates the same
   programs with the same fitness and the same counters (no hit on what
   the first one cached) as an evaluator with tables of its own. */
Test (evaluator, stashed_tables_give_the_same_evaluations)
{
  enum { NP = 40 };
  zj_task *ts = linear_tasks (2, 9);
  zj_program p[NP];
  zj_rng g;
  zj_rng_seed (&g, 11);
  for (int k = 0; k < NP; k++)
    {
      zj_program_init (&p[k]);
      if (k % 4 == 3)
        zj_program_copy (&p[k], &p[zj_rng_below (&g, (uint32_t) k)]);
      else
        {
          const int n = 3 + (int) zj_rng_below (&g, 12);
          dedup_program (&p[k], &g, n, 1, 1 + n / 3);
        }
    }
  zj_stash *s = zj_stash_new ();
  double fit[3][NP];
  zj_eval_counters cnt[3];
  for (int run = 0; run < 3; run++)
    {
      zj_evaluator_cfg cfg;
      zj_evaluator_cfg_default (&cfg);
      cfg.fec = true;
      cfg.fec_train = 10;
      cfg.fec_valid = 10;
      cfg.dedup = true;
      cfg.dedup_slots = 64;
      cfg.stash = run == 0 ? NULL : s;
      zj_rng rng;
      zj_rng_seed (&rng, 12);
      zj_error err;
      zj_evaluator *e = zj_evaluator_new (&cfg, ts, 2, &shape, NULL, &rng, &err);
      cr_assert_not_null (e, "%s", err.msg);
      if (run == 2)
        cr_assert_eq (zj_stash_count (s), 0);   /* both tables taken */
      for (int k = 0; k < NP; k++)
        fit[run][k] = zj_evaluator_eval (e, &p[k]);
      cnt[run] = zj_evaluator_counters (e);
      zj_evaluator_free (e);
      if (run > 0)
        cr_assert_eq (zj_stash_count (s), 2);
    }
  cr_assert_gt (cnt[0].dedup_hits, 5);
  cr_assert_gt (cnt[0].fec_hits, 5);
  for (int run = 1; run < 3; run++)
    {
      for (int k = 0; k < NP; k++)
        cr_assert_eq (fit[run][k], fit[0][k], "run %d, program %d", run, k);
      cr_assert (memcmp (&cnt[run], &cnt[0], sizeof cnt[0]) == 0, "run %d: %ld dedup hits, %ld fec hits (%ld, %ld)",
                 run, cnt[run].dedup_hits, cnt[run].fec_hits,
                 cnt[0].dedup_hits, cnt[0].fec_hits);
    }
  zj_stash_free (s);
  for (int k = 0; k < NP; k++)
    zj_program_free (&p[k]);
  free_tasks (ts, 2);
}

/* A child with no change (or one pruned to its parent's program) is a
   duplicate-cache hit through its parent's tag, with the parent's
   fitness; the same child without the memo hits the usual way. */
Test (evaluator, child_of_cached_parent_hits_by_tag)
{
  zj_task *ts = linear_tasks (2, 6);
  zj_rng rng;
  zj_rng_seed (&rng, 3);
  zj_evaluator *e = make_eval (ts, 2, true, true, &rng);
  zj_program p, q;
  zj_program_init (&p);
  zj_program_init (&q);
  linear_program (&p);
  zj_prune_memo mp, mq;
  const double f1 = zj_evaluator_eval_child (e, &p, NULL, NULL, &mp);
  cr_assert (mp.valid && mp.keyed && mp.tag != 0);
  /* A dead instruction redrawn into another dead one. */
  zj_program_copy (&q, &p);
  zj_mut_site s = { ZJ_LEARN, 5, q.fn[ZJ_LEARN].ins[5] };
  q.fn[ZJ_LEARN].ins[5] = zj_test_ins (ZJ_SCALAR_DIFF_OP, 2, 2, 3);
  zj_prune_memo pm = mp;
  cr_assert_eq (zj_prune_reuse (&q, &shape, &pm, &s, &mq), ZJ_REUSE_PRUNED);
  const long hits = zj_evaluator_counters (e).dedup_hits;
  const long memo = zj_evaluator_memo_prunes (e);
  const double f2 = zj_evaluator_eval_child (e, &q, &mp, &s, &mq);
  cr_assert_eq (f2, f1);
  cr_assert_eq (zj_evaluator_counters (e).dedup_hits, hits + 1);
  cr_assert_eq (zj_evaluator_memo_prunes (e), memo + 1);
  cr_assert_eq (mq.tag, mp.tag);
  cr_assert_eq (zj_evaluator_eval (e, &q), f1);
  cr_assert_eq (zj_evaluator_counters (e).dedup_hits, hits + 2);
  zj_program_free (&p);
  zj_program_free (&q);
  zj_evaluator_free (e);
  free_tasks (ts, 2);
}
