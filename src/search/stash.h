/* stash.h -- the big tables of a search's finished evaluators (duplicate
 * caches, FECs), kept for its next ones.
 *
 * A duplicate cache spans 14 MiB and an FEC 7 MiB, and the first touch
 * of each page costs a fault that clears it; on a virtual machine that
 * hands freed memory back to its host, a fresh page costs far more (up to
 * 30 ms for 2 MiB measured here, bench/RESULTS.md).  A search of short
 * experiments paid that anew for each one.  An experiment's evaluator
 * takes its tables from the search's stash, emptied (zj_dedup_reset,
 * zj_fec_reset: the same lookups as new ones), and gives them back when
 * it ends.  Thread-safe: experiments and islands run on several threads.
 */
#ifndef ZJ_STASH_H
#define ZJ_STASH_H
#include "dedup.h"
#include "fec.h"

typedef struct zj_stash zj_stash;

zj_stash *zj_stash_new (void);
/* Frees the tables it holds. */
void zj_stash_free (zj_stash *s);
/* An empty cache of that size: a stashed one reset, else a new one.
   s may be NULL (always new). */
zj_dedup *zj_stash_take_dedup (zj_stash *s, int slots);
zj_fec *zj_stash_take_fec (zj_stash *s, int cache_size, int forget_every);
/* Keeps d (c) for a later take; with s NULL frees it.  NULL is ignored. */
void zj_stash_put_dedup (zj_stash *s, zj_dedup *d);
void zj_stash_put_fec (zj_stash *s, zj_fec *c);
/* Tables held now, for tests. */
int zj_stash_count (zj_stash *s);

#endif
