/* migration.c -- which individuals leave an island and which arrive. */
#include "internal.h"
#include "migration.h"
#include <string.h>

int
zj_topology_parse (const char *s, zj_topology *t)
{
  if (!strcmp (s, "all"))
    *t = ZJ_TOPO_ALL;
  else if (!strcmp (s, "ring"))
    *t = ZJ_TOPO_RING;
  else
    return -1;
  return 0;
}

int
zj_migration_count (int P, double fraction)
{
  const double m = fraction * (double) P + 0.5;
  return m < 0 ? 0 : m > P ? P : (int) m;
}

/* The first m entries of a partial Fisher-Yates shuffle of 0..n-1. */
static void
sample (zj_rng *rng, int n, int m, int *out)
{
  int *idx = zj_xmalloc ((size_t) (n ? n : 1) * sizeof (int));
  for (int i = 0; i < n; i++)
    idx[i] = i;
  for (int i = 0; i < m; i++)
    {
      const int j = i + (int) zj_rng_below (rng, (uint32_t) (n - i));
      const int t = idx[i];
      idx[i] = idx[j];
      idx[j] = t;
      out[i] = idx[i];
    }
  free (idx);
}

void
zj_migration_pick (zj_rng *rng, int P, int m, int *slots)
{
  sample (rng, P, m, slots);
  /* Ascending: the slots are distinct and below P, so marking them and
     reading the marks back sorts them in O(P) (qsort cost more than all
     the rest of a migration). */
  unsigned char *mark = zj_xcalloc ((size_t) (P ? P : 1), 1);
  for (int k = 0; k < m; k++)
    mark[slots[k]] = 1;
  for (int i = 0, k = 0; i < P; i++)
    if (mark[i])
      slots[k++] = i;
  free (mark);
}

void
zj_migration_choose (zj_rng *rng, zj_topology topo, int pos, int n, int m,
                     int *from)
{
  if (topo == ZJ_TOPO_RING)
    {
      const int left = (pos + n - 1) % n;
      for (int k = 0; k < m; k++)
        from[k] = left * m + k;
      return;
    }
  /* Without replacement from the whole pool, own emigrants included (the
     server samples across all workers). */
  sample (rng, n * m, m, from);
}
