/* test_fec.c -- the functional equivalence cache: hits, misses, LRU
 * eviction, forget_every, and the fingerprint. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdint.h>
#include "testutil.h"
#include "fec.h"
#include "internal.h"

Test (fec, miss_then_hit)
{
  zj_fec *c = zj_fec_new (10, 0);
  double f = -1;
  cr_assert_not (zj_fec_lookup (c, 7, &f));
  zj_fec_insert (c, 7, 0.25);
  cr_assert (zj_fec_lookup (c, 7, &f));
  cr_assert_eq (f, 0.25);
  zj_fec_stats st = zj_fec_get_stats (c);
  cr_assert_eq (st.hits, 1);
  cr_assert_eq (st.misses, 1);
  zj_fec_free (c);
}

Test (fec, lru_eviction_keeps_recently_used)
{
  zj_fec *c = zj_fec_new (3, 0);
  double f;
  zj_fec_insert (c, 1, 0.1);
  zj_fec_insert (c, 2, 0.2);
  zj_fec_insert (c, 3, 0.3);
  cr_assert (zj_fec_lookup (c, 1, &f));   /* 1 becomes most recent */
  zj_fec_insert (c, 4, 0.4);              /* evicts 2, the least recent */
  cr_assert_eq (zj_fec_count (c), 3);
  cr_assert_not (zj_fec_lookup (c, 2, &f));
  cr_assert (zj_fec_lookup (c, 1, &f));
  cr_assert (zj_fec_lookup (c, 3, &f));
  cr_assert (zj_fec_lookup (c, 4, &f));
  cr_assert_eq (f, 0.4);
  cr_assert_eq (zj_fec_get_stats (c).evicted, 1);
  zj_fec_free (c);
}

Test (fec, forget_every_drops_entry_after_returning_it)
{
  zj_fec *c = zj_fec_new (10, 3);
  double f = 0;
  zj_fec_insert (c, 5, 0.5);               /* count 1 */
  cr_assert (zj_fec_lookup (c, 5, &f));    /* count 2 */
  cr_assert (zj_fec_lookup (c, 5, &f));    /* count 3: returned, then dropped */
  cr_assert_eq (f, 0.5);
  cr_assert_not (zj_fec_lookup (c, 5, &f));
  cr_assert_eq (zj_fec_get_stats (c).forgotten, 1);
  zj_fec_free (c);
}

Test (fec, many_keys_with_collisions_in_table)
{
  /* Keys that share low bits exercise probing and backward-shift deletion. */
  zj_fec *c = zj_fec_new (64, 2);
  for (uint64_t k = 1; k <= 64; k++)
    zj_fec_insert (c, k << 40, (double) k);
  double f;
  for (uint64_t k = 1; k <= 64; k += 2)
    cr_assert (zj_fec_lookup (c, k << 40, &f));    /* hit 2 = forget */
  for (uint64_t k = 1; k <= 64; k++)
    {
      bool hit = zj_fec_lookup (c, k << 40, &f);
      cr_assert_eq (hit, k % 2 == 0, "key %llu", (unsigned long long) k);
      if (hit)
        cr_assert_eq (f, (double) k);
    }
  zj_fec_free (c);
}

Test (fec, hash_depends_on_errors_task_and_count_but_not_zero_sign)
{
  double tr[3] = { 0.5, 0.0, 2.0 }, va[2] = { 1.0, 3.0 };
  double tr_neg[3] = { 0.5, -0.0, 2.0 };
  uint64_t h = zj_fec_hash (tr, 3, va, 2, 0, 100);
  cr_assert_eq (h, zj_fec_hash (tr_neg, 3, va, 2, 0, 100));
  cr_assert_neq (h, zj_fec_hash (tr, 3, va, 2, 1, 100));
  cr_assert_neq (h, zj_fec_hash (tr, 3, va, 2, 0, 0));
  cr_assert_neq (h, zj_fec_hash (tr, 2, va, 2, 0, 100));
  double tr2[3] = { 0.5, 0.0, 2.0000000000000004 };
  cr_assert_neq (h, zj_fec_hash (tr2, 3, va, 2, 0, 100));
  /* Order within a list, and which list an error is in, both count. */
  double tr_swap[3] = { 0.0, 0.5, 2.0 };
  cr_assert_neq (h, zj_fec_hash (tr_swap, 3, va, 2, 0, 100));
  double all[5] = { 0.5, 0.0, 2.0, 1.0, 3.0 };
  cr_assert_neq (h, zj_fec_hash (all, 4, all + 4, 1, 0, 100));
  cr_assert_neq (h, zj_fec_hash (all, 2, all + 2, 3, 0, 100));
  cr_assert_neq (zj_fec_hash (va, 2, tr, 3, 0, 100), h);
}

/* A lane-major record hashes to the key of the same errors laid out
   task by task (the strides may differ). */
Test (fec, strided_hash_equals_contiguous)
{
  enum { L = 16, N = 12, V = 9 };
  double lanes[N * L], tr[N], va[N * L], vt[N];
  zj_rng g;
  zj_rng_seed (&g, 5);
  for (int k = 0; k < 200; k++)
    {
      for (int i = 0; i < N * L; i++)
        {
          lanes[i] = i % 7 == 0 ? -0.0 : zj_rng_unit (&g);
          va[i] = zj_rng_unit (&g) * 10.0;
        }
      const int t = (int) zj_rng_below (&g, V);
      const int nt = (int) zj_rng_below (&g, N + 1);
      const int nv = (int) zj_rng_below (&g, N + 1);
      for (int i = 0; i < N; i++)
        {
          tr[i] = lanes[i * L + t];
          vt[i] = va[i * V + t];
        }
      cr_assert_eq (zj_fec_hash_strided (lanes + t, L, nt, va + t, V, nv, k,
                                         100 + k),
                    zj_fec_hash (tr, nt, vt, nv, k, 100 + k),
                    "round %d lane %d", k, t);
    }
}

/* zj_fec_hash_lanes gives every task of a lane-major record its
   zj_fec_hash key: any task count and lane stride, counts equal across
   tasks (the vector path, where the build has one) or not, -0 errors. */
Test (fec, lanes_hash_equals_one_by_one)
{
  enum { L = 32, N = 12 };
  static double tr[N * L], va[N * L];
  double gt[N], gv[N];
  zj_eval_result res[L];
  zj_task tasks[L];
  long real[L];
  uint64_t keys[L];
  zj_rng g;
  zj_rng_seed (&g, 6);
  const size_t strides[] = { 8, 16, 24, 32 };
  for (int k = 0; k < 400; k++)
    {
      const size_t stride = strides[k % 4];
      const int n = 1 + (int) zj_rng_below (&g, (uint32_t) stride);
      for (int i = 0; i < N * L; i++)
        {
          tr[i] = i % 5 == 0 ? -0.0 : zj_rng_unit (&g);
          va[i] = zj_rng_unit (&g) * 50.0;
        }
      const bool ragged = k % 3 == 0;
      for (int t = 0; t < n; t++)
        {
          memset (&res[t], 0, sizeof res[t]);
          memset (&tasks[t], 0, sizeof tasks[t]);
          res[t].n_train_err = ragged ? (int) zj_rng_below (&g, N + 1) : 10;
          res[t].n_valid_err = ragged ? (int) zj_rng_below (&g, N + 1) : 10;
          tasks[t].index = t + k;
          real[t] = 100 + k + t;
        }
      zj_fec_hash_lanes (tr, va, stride, res, n, tasks, real, keys);
      for (int t = 0; t < n; t++)
        {
          for (int i = 0; i < N; i++)
            {
              gt[i] = tr[(size_t) i * stride + (size_t) t];
              gv[i] = va[(size_t) i * stride + (size_t) t];
            }
          cr_assert_eq (keys[t], zj_fec_hash (gt, res[t].n_train_err, gv,
                                              res[t].n_valid_err,
                                              tasks[t].index, real[t]),
                        "round %d, stride %zu, %d tasks, task %d", k, stride,
                        n, t);
        }
    }
}

/* The FEC's tables come from zj_huge_calloc: zeroed, fully writable,
   64-byte aligned (2 MiB once large), and an overflowing size is refused. */
Test (huge_calloc, zeroed_aligned_and_writable)
{
  const size_t sizes[] = { 1, 4096, (size_t) 1 << 20, ((size_t) 3 << 20) + 8 };
  for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++)
    {
      unsigned char *p = zj_huge_calloc (sizes[k], 1);
      for (size_t i = 0; i < sizes[k]; i++)
        cr_assert_eq (p[i], 0, "size %zu byte %zu", sizes[k], i);
      memset (p, 0xab, sizes[k]);
      cr_assert_eq ((uintptr_t) p % 64, 0, "size %zu", sizes[k]);
      if (sizes[k] >= (size_t) 1 << 20)
        cr_assert_eq ((uintptr_t) p % ((size_t) 2 << 20), 0);
      free (p);
    }
}

Test (huge_calloc, overflow_aborts_with_message, .signal = SIGABRT)
{
  zj_huge_calloc (SIZE_MAX / 2, 4);
}

/* One step of a random workload on c: a lookup or an insert of one of 40
   keys; returns what the lookup found (or 2 for an insert), *f its
   fitness. */
static int
fec_step (zj_fec *c, zj_rng *g, double *f)
{
  const uint64_t key = 1 + zj_rng_below (g, 40);
  if (zj_rng_below (g, 2))
    {
      zj_fec_insert (c, key, (double) key / 8);
      return 2;
    }
  *f = -1;
  return zj_fec_lookup (c, key, f);
}

/* A cache emptied by zj_fec_reset after heavy use (evictions, forgets)
   answers a workload exactly as a new one does: the same hits with the
   same fitness, counts and statistics (an experiment that takes a
   stashed cache, stash.h, runs as with its own). */
Test (fec, reset_answers_as_a_new_cache)
{
  zj_fec *used = zj_fec_new (16, 3), *fresh = zj_fec_new (16, 3);
  zj_rng g;
  zj_rng_seed (&g, 5);
  double f, f2;
  for (int i = 0; i < 500; i++)
    fec_step (used, &g, &f);
  cr_assert_gt (zj_fec_get_stats (used).evicted, 0);
  cr_assert_gt (zj_fec_get_stats (used).forgotten, 0);
  zj_fec_reset (used);
  cr_assert_eq (zj_fec_count (used), 0);
  cr_assert (zj_fec_fits (used, 16, 3));
  cr_assert_not (zj_fec_fits (used, 16, 4));
  cr_assert_not (zj_fec_fits (used, 32, 3));
  zj_rng ga, gb;
  zj_rng_seed (&ga, 6);
  zj_rng_seed (&gb, 6);
  int hits = 0;
  for (int i = 0; i < 500; i++)
    {
      const int a = fec_step (used, &ga, &f), b = fec_step (fresh, &gb, &f2);
      cr_assert_eq (a, b, "step %d", i);
      if (a == 1)
        {
          cr_assert_eq (f, f2, "step %d", i);
          hits++;
        }
      cr_assert_eq (zj_fec_count (used), zj_fec_count (fresh), "step %d", i);
      const zj_fec_stats s1 = zj_fec_get_stats (used), s2 = zj_fec_get_stats (fresh);
      cr_assert (memcmp (&s1, &s2, sizeof s1) == 0, "step %d", i);
    }
  cr_assert_gt (hits, 50);
  zj_fec_free (used);
  zj_fec_free (fresh);
}
