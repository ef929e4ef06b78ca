/* lane_rows.c -- examples laid out in lanes, and their ranges, kept per
 * task set in the workspace (the lane evaluator's data caches). */
#include "internal.h"
#include <math.h>
#include <string.h>
#include "lane_rows.h"

/* One example into its lane of a row of (F + 1) * L doubles (row points
   at the lane): features at stride L, then the label. */
static void
zj_lrow_put (double *row, int F, int L, const double *x, double y)
{
  for (int i = 0; i < F; i++)
    row[(size_t) i * L] = x[i];
  row[(size_t) F * L] = y;
}

/* ------------------------------------------------------------------
   Lane rows kept per task set.  A search evaluates every candidate on the
   same tasks, and gathering each example into lanes was most of the
   evaluation loop's cost, so rows are built once per task set (up to
   ZJ_LANE_ROWS_MAX doubles: the training positions that fit, then the
   validation set if it fits too) and reused until the set changes.  The
   key covers what identifies a task's data (addresses, sizes, seeds and a
   few sampled values), so a task freed and replaced at the same address by
   different data gets new rows.
   The cap holds the paper setting's set (10 tasks of 8000 + 1000
   examples at F = 16: 20 MiB).  With 2 MiB only 963 of its 8000 training
   positions fit, and laying out the rest block by block was 70% of the
   search's time (bench/RESULTS.md); reading a row that is already laid
   out streams it sequentially, which the hardware prefetcher hides. */
#define ZJ_LANE_ROWS_MAX ((size_t) 1 << 22)     /* 32 MiB per task set */

/* One task's part of the key: its fields folded in three independent
   chains, then together. */
uint64_t
zj_lane_task_key (const zj_task *k)
{
  uint64_t x, y;
  memcpy (&x, &k->train_x[(size_t) (k->n_train - 1) * k->F], sizeof x);
  memcpy (&y, &k->valid_y[k->n_valid - 1], sizeof y);
  const uint64_t a = zj_fold (zj_fold (1, (uint64_t) (uintptr_t) k),
                              (uint64_t) (uintptr_t) k->train_x
                              ^ ((uint64_t) (uintptr_t) k->valid_x << 17));
  const uint64_t b = zj_fold (zj_fold (2, (uint64_t) (uintptr_t) k->order
                                          ^ ((uint64_t) k->n_train << 40)
                                          ^ (uint64_t) k->n_valid),
                              ((uint64_t) k->epochs << 40)
                              ^ ((uint64_t) k->F << 32) ^ k->data_seed);
  const uint64_t c = zj_fold (zj_fold (3, ((uint64_t) k->param_seed << 32)
                                          ^ (uint32_t) k->order[k->n_train
                                                                * k->epochs
                                                                - 1]),
                              x ^ (y << 1));
  return zj_fold (zj_fold (a, b), c);
}

/* The key of a task set: its tasks' keys (given, or computed here) folded
   in order.  The tasks' own chains are independent and overlap, where one
   chain through every field of every task waited on each multiply; a
   caller that keeps its tasks unchanged passes their keys and spares the
   reads of task data this does on every evaluation. */
static uint64_t
lane_rows_key (const zj_task *const *ts, int nt, int L, const uint64_t *tkeys)
{
  uint64_t h = zj_fold ((uint64_t) nt, (uint64_t) L);
  for (int t0 = 0; t0 < nt; t0 += 16)
    {
      const int m = nt - t0 < 16 ? nt - t0 : 16;
      uint64_t v[16];
      for (int i = 0; i < m; i++)
        v[i] = tkeys ? tkeys[t0 + i] : zj_lane_task_key (ts[t0 + i]);
      for (int i = 0; i < m; i++)
        h = zj_fold (h, v[i]);
    }
  return h | 1;           /* 0 marks an empty set */
}

static void
lane_rows_build (zj_lane_rows *r, const zj_task *const *ts, int nt, int L)
{
  const zj_task *t0 = ts[0];
  const size_t F = (size_t) t0->F, rowsz = (F + 1) * (size_t) L;
  const long positions = (long) t0->n_train * t0->epochs;
  long n_train = (long) (ZJ_LANE_ROWS_MAX / rowsz);
  if (n_train > positions)
    n_train = positions;
  const bool valid = (size_t) (n_train + t0->n_valid) * rowsz
                     <= ZJ_LANE_ROWS_MAX && n_train == positions;
  const size_t need = ((size_t) n_train + (valid ? t0->n_valid : 0)) * rowsz;
  if (need > r->cap)
    {
      free (r->train);
      /* Up to 32 MiB streamed once per evaluation: huge pages spare a
         TLB miss every 4 KiB. */
      r->train = zj_huge_calloc (need ? need : 1, sizeof (double));
      r->cap = need;
    }
  memset (r->train, 0, need * sizeof (double));  /* padding lanes: 0 */
  for (int t = 0; t < nt; t++)
    {
      const zj_task *k = ts[t];
      for (long p = 0; p < n_train; p++)
        {
          const int ex = k->order[p];
          zj_lrow_put (r->train + (size_t) p * rowsz + t, (int) F, L,
                       k->train_x + (size_t) ex * F, k->train_y[ex]);
        }
      for (int v = 0; valid && v < k->n_valid; v++)
        {
          zj_lrow_put (r->train + ((size_t) n_train + (size_t) v) * rowsz + t,
                       (int) F, L, k->valid_x + (size_t) v * F, k->valid_y[v]);
        }
    }
  /* Every label a training step can meet (all examples, whatever the
     cached positions): the sigmoid shortcut's abort test needs them. */
  double lo = INFINITY, hi = -INFINITY;
  for (int t = 0; t < nt; t++)
    for (int e = 0; e < ts[t]->n_train; e++)
      {
        const double y = ts[t]->train_y[e];
        lo = y < lo || y != y ? y : lo;   /* a NaN label sticks */
        hi = y > hi || y != y ? y : hi;
      }
  r->y_lo = lo;
  r->y_hi = hi;
  r->n_train = n_train;
  r->n_valid = valid ? t0->n_valid : 0;
  r->valid = valid ? r->train + (size_t) n_train * rowsz : NULL;
}

const zj_lane_rows *
zj_lane_rows_get (zj_workspace *ws, const zj_task *const *ts, int nt, int L,
                  const uint64_t *tkeys)
{
  const uint64_t key = lane_rows_key (ts, nt, L, tkeys);
  zj_lane_rows *r = NULL, *oldest = &ws->lrows[0];
  for (int i = 0; i < ZJ_LANE_ROWS_SETS; i++)
    {
      zj_lane_rows *c = &ws->lrows[i];
      if (c->key == key)
        {
          r = c;
          break;
        }
      if (c->stamp < oldest->stamp)
        oldest = c;
    }
  if (!r)
    {
      /* A set seen for the first time (in a search: the few tasks that
         missed the FEC) is laid out block by block; only a set that comes
         back gets rows, so one-off sets neither pay for a full layout nor
         evict the sets every evaluation uses. */
      bool seen = false;
      for (int i = 0; i < 8; i++)
        seen |= ws->lrows_seen[i] == key;
      if (!seen)
        {
          ws->lrows_seen[ws->lrows_seen_next] = key;
          ws->lrows_seen_next = (ws->lrows_seen_next + 1) % 8;
          return NULL;
        }
      r = oldest;
      lane_rows_build (r, ts, nt, L);
      r->key = key;
    }
  r->stamp = ++ws->lrows_clock;
  return r;
}

/* q[2i], q[2i+1] = min and max of column i of the n rows of w doubles
   at x, or [-inf, inf] for a column holding a NaN: the proof gives up on
   it.  Ties keep the first value seen (-0.0 against 0.0), as a strict
   compare does.  Eight columns at a time, rows in order (so ties resolve
   exactly as one column at a time), branch-free: over a paper setting's
   task sets a compare-and-branch loop was 8% of start-up. */
typedef double range_v8 __attribute__ ((vector_size (64)));
typedef long long range_m8 __attribute__ ((vector_size (64)));

static void
lane_range (double *q, const double *x, int n, int w)
{
  int i0 = 0;
  for (; i0 + 8 <= w; i0 += 8)
    {
      range_v8 lo, hi;
      range_m8 nan = { 0 };
      for (int j = 0; j < 8; j++)
        {
          lo[j] = INFINITY;
          hi[j] = -INFINITY;
        }
      for (int e = 0; e < n; e++)
        {
          range_v8 v;
          memcpy (&v, x + (size_t) e * (size_t) w + i0, sizeof v);
          const range_m8 lt = v < lo, gt = v > hi;
          lo = (range_v8) ((lt & (range_m8) v) | (~lt & (range_m8) lo));
          hi = (range_v8) ((gt & (range_m8) v) | (~gt & (range_m8) hi));
          nan |= v != v;
        }
      for (int j = 0; j < 8; j++)
        {
          q[2 * (i0 + j)] = nan[j] ? -INFINITY : lo[j];
          q[2 * (i0 + j) + 1] = nan[j] ? INFINITY : hi[j];
        }
    }
  for (int i = i0; i < w; i++)
    {
      double lo = INFINITY, hi = -INFINITY;
      bool nan = false;
      for (int e = 0; e < n; e++)
        {
          const double v = x[(size_t) e * (size_t) w + i];
          lo = v < lo ? v : lo;
          hi = v > hi ? v : hi;
          nan |= v != v;
        }
      q[2 * i] = nan ? -INFINITY : lo;
      q[2 * i + 1] = nan ? INFINITY : hi;
    }
}

/* ------------------------------------------------------------------
   Feature and label ranges per task set (the shortcut's proof), kept like
   the rows: computed when a structurally eligible program first meets the
   set, reused until the set changes. */
const double *
zj_lane_ranges_get (zj_workspace *ws, const zj_task *const *ts, int nt,
                    int L, const uint64_t *tkeys)
{
  const uint64_t key = lane_rows_key (ts, nt, L, tkeys);
  zj_lane_ranges *r = NULL, *oldest = &ws->lranges[0];
  for (int i = 0; i < ZJ_LANE_RANGES_SETS; i++)
    {
      zj_lane_ranges *c = &ws->lranges[i];
      if (c->key == key)
        {
          r = c;
          break;
        }
      if (c->stamp < oldest->stamp)
        oldest = c;
    }
  if (!r)
    {
      r = oldest;
      const int F = ts[0]->F;
      const size_t need = (size_t) nt * (size_t) (2 * F + 1) * 2;
      if (need > r->cap)
        {
          free (r->r);
          r->r = zj_xmalloc (need * sizeof (double));
          r->cap = need;
        }
      for (int t = 0; t < nt; t++)
        {
          const zj_task *k = ts[t];
          double *q = r->r + (size_t) t * (2 * F + 1) * 2;
          lane_range (q, k->train_x, k->n_train, F);
          lane_range (q + 2 * F, k->train_y, k->n_train, 1);
          lane_range (q + 2 * (F + 1), k->valid_x, k->n_valid, F);
        }
      r->key = key;
    }
  r->stamp = ++ws->lrows_clock;
  return r->r;
}
