/* dedup.h -- the exact-duplicate cache: fitness of programs evaluated
 * recently, keyed by the whole pruned program (structure and constants).
 * A hit means nothing executes and no random number is drawn, so only
 * programs without random ops may use it (the caller checks).
 */
#ifndef ZJ_DEDUP_H
#define ZJ_DEDUP_H
#include <zerojit/zerojit.h>

typedef struct zj_dedup zj_dedup;

/* slots: a power of two. */
zj_dedup *zj_dedup_new (int slots);
void zj_dedup_free (zj_dedup *d);
int zj_dedup_slots (const zj_dedup *d);
/* Empty again, as zj_dedup_new left it (for a new experiment: stash.h),
   its memory kept. */
void zj_dedup_reset (zj_dedup *d);
/* True with *fitness if pruned (whose zj_program_key is key) is cached. */
bool zj_dedup_find (const zj_dedup *d, const zj_program *pruned,
                    uint64_t key, double *fitness);
/* Every store gives its slot a tag never given before (never 0):
   zj_dedup_find_tagged then knows a slot still holds a program it saw
   there without comparing programs.  The tag of key's slot (after
   zj_dedup_find found a program there). */
uint64_t zj_dedup_slot_tag (const zj_dedup *d, uint64_t key);
/* True with *fitness if key's slot still carries tag (the program stored
   with it, whose key is key, is still there): zj_dedup_find for that
   program, without reading it. */
bool zj_dedup_find_tagged (const zj_dedup *d, uint64_t key, uint64_t tag,
                           double *fitness);
/* Start loading what zj_dedup_store (key) will write: stage 0 (right
   after a miss) the slot, stage 1 (some work later, the slot loaded by
   then) its instruction arrays.  Slots are scattered over megabytes, and
   the store found them cold. */
void zj_dedup_prefetch (const zj_dedup *d, uint64_t key, int stage);
/* Caches pruned's fitness, replacing whatever held its slot; returns
   the slot's new tag. */
uint64_t zj_dedup_store (zj_dedup *d, const zj_program *pruned,
                         uint64_t key, double fitness);
/* Checkpoint (ckpt.h): the used slots out, or into a cache of the same
   size; programs must fit shape. */
struct zj_ckpt_eval;
void zj_dedup_export (const zj_dedup *d, struct zj_ckpt_eval *x);
int zj_dedup_import (zj_dedup *d, const struct zj_ckpt_eval *x,
                     const zj_shape *shape, zj_error *err);

#endif
