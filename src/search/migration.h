/* migration.h -- moving individuals between islands (doc/islands.md).
 *
 * At a migration point every island still searching sends a fraction of
 * its population, slots chosen at random by its own generator, and gets
 * as many back in those same slots: drawn from everyone's emigrants
 * ("all", the paper's server) or all of its left neighbour's ("ring").
 * Each island's draws come from its own generator in island order, so
 * the exchange is the same whether the islands live in one thread, many
 * threads or many processes.
 */
#ifndef ZJ_MIGRATION_H
#define ZJ_MIGRATION_H
#include <zerojit/zerojit.h>

typedef enum zj_topology { ZJ_TOPO_ALL = 0, ZJ_TOPO_RING = 1 } zj_topology;

int zj_topology_parse (const char *s, zj_topology *t);   /* 0 or -1 */

/* Emigrants per island: fraction of P, rounded, in 0..P. */
int zj_migration_count (int P, double fraction);
/* m distinct slots of 0..P-1, ascending. */
void zj_migration_pick (zj_rng *rng, int P, int m, int *slots);
/* For the island at position pos among n ready islands whose emigrants
   are pooled in that order (m each): the m pool indices it receives. */
void zj_migration_choose (zj_rng *rng, zj_topology topo, int pos, int n,
                          int m, int *from);
#endif
