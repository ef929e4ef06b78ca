/* fec.h -- functional equivalence cache (doc/semantics.md, "FEC"). */
#ifndef ZJ_FEC_H
#define ZJ_FEC_H
#include <zerojit/zerojit.h>

typedef struct zj_fec zj_fec;

typedef struct zj_fec_stats {
  long hits, misses, forgotten, evicted;
} zj_fec_stats;

/* cache_size > 1; forget_every 0 = never, otherwise > 1. */
zj_fec *zj_fec_new (int cache_size, int forget_every);
void zj_fec_free (zj_fec *c);
/* Empty again, as zj_fec_new left it, its memory kept (stash.h). */
void zj_fec_reset (zj_fec *c);
/* c is what zj_fec_new (cache_size, forget_every) makes. */
bool zj_fec_fits (const zj_fec *c, int cache_size, int forget_every);
/* On a hit: move to front, count it, drop the entry once it has been hit
   forget_every times (the cached value is still returned). */
bool zj_fec_lookup (zj_fec *c, uint64_t key, double *fitness);
/* Start loading key's slot into the cache: the table is megabytes, so a
   lookup is a cache miss; issuing all of an evaluation's prefetches first
   overlaps them. */
void zj_fec_prefetch (const zj_fec *c, uint64_t key);
/* Before n inserts: start loading the table slots of the entries they
   will evict. */
void zj_fec_prefetch_victims (const zj_fec *c, int n);
/* Insert after a miss; evicts least recently used entries beyond size. */
void zj_fec_insert (zj_fec *c, uint64_t key, double fitness);
size_t zj_fec_count (const zj_fec *c);
zj_fec_stats zj_fec_get_stats (const zj_fec *c);

/* Fingerprint of a mini-run: errors (exact bit patterns, +0 == -0), then
   the task index, then the number of training examples to be used. */
uint64_t zj_fec_hash (const double *train_err, int n_train,
                      const double *valid_err, int n_valid, int task_index,
                      long n_real_train);

/* The same with error i at train_err[i * train_stride] and
   valid_err[i * valid_stride] (a lane-major record: see
   zj_interp_eval_lanes_keyed). */
uint64_t zj_fec_hash_strided (const double *train_err, size_t train_stride,
                              int n_train, const double *valid_err,
                              size_t valid_stride, int n_valid,
                              int task_index, long n_real_train);

/* keys[t] = zj_fec_hash_strided of task t's errors in a lane-major
   record (train + t, valid + t, both at `stride`), with res[t]'s counts,
   tasks[t].index and n_real_train[t], for t < n: eight tasks at a time
   where the machine has AVX-512 (the record has stride >= n lanes). */
void zj_fec_hash_lanes (const double *train, const double *valid,
                        size_t stride, const zj_eval_result *res, int n,
                        const zj_task *tasks, const long *n_real_train,
                        uint64_t *keys);

/* Checkpoint (ckpt.h): copy the entries, recency order, hit counts and
   statistics out, or into a fresh cache of the same capacity. */
struct zj_ckpt_eval;
void zj_fec_export (const zj_fec *c, struct zj_ckpt_eval *e);
int zj_fec_import (zj_fec *c, const struct zj_ckpt_eval *e, zj_error *err);
#endif
