/* test_migration.c -- who leaves an island and who arrives. */
#include <criterion/criterion.h>
#include "testutil.h"
#include "migration.h"
#include "evolution.h"

Test (migration, count_rounds_the_fraction_of_the_population)
{
  cr_assert_eq (zj_migration_count (100, 0.5), 50);
  cr_assert_eq (zj_migration_count (7, 0.5), 4);
  cr_assert_eq (zj_migration_count (10, 0.0), 0);
  cr_assert_eq (zj_migration_count (10, 1.0), 10);
}

Test (migration, pick_gives_distinct_sorted_slots_from_the_generator)
{
  zj_rng a, b;
  zj_rng_seed (&a, 3);
  zj_rng_seed (&b, 3);
  int s[50], t[50];
  zj_migration_pick (&a, 100, 50, s);
  zj_migration_pick (&b, 100, 50, t);
  cr_assert_eq (memcmp (s, t, sizeof s), 0);
  for (int i = 1; i < 50; i++)
    cr_assert_lt (s[i - 1], s[i]);
  cr_assert_geq (s[0], 0);
  cr_assert_lt (s[49], 100);
  /* Not simply the first half. */
  cr_assert_neq (s[49], 49);
}

Test (migration, ring_takes_all_of_the_left_neighbours_emigrants)
{
  zj_rng r;
  zj_rng_seed (&r, 1);
  const zj_rng before = r;
  int from[3];
  zj_migration_choose (&r, ZJ_TOPO_RING, 0, 4, 3, from);
  cr_assert_eq (from[0], 9);
  cr_assert_eq (from[2], 11);
  zj_migration_choose (&r, ZJ_TOPO_RING, 2, 4, 3, from);
  cr_assert_eq (from[0], 3);
  cr_assert_eq (memcmp (&before, &r, sizeof r), 0);  /* no draws */
}

Test (migration, all_samples_the_whole_pool_without_repeats)
{
  zj_rng r;
  zj_rng_seed (&r, 5);
  int seen[40] = { 0 };
  int from[10];
  bool other = false;
  zj_migration_choose (&r, ZJ_TOPO_ALL, 1, 4, 10, from);
  for (int k = 0; k < 10; k++)
    {
      cr_assert_lt (from[k], 40);
      cr_assert_eq (seen[from[k]]++, 0);
      other |= from[k] < 10 || from[k] >= 20;
    }
  cr_assert (other, "only its own emigrants");
}

Test (migration, topology_names)
{
  zj_topology t;
  cr_assert_eq (zj_topology_parse ("ring", &t), 0);
  cr_assert_eq (t, ZJ_TOPO_RING);
  cr_assert_eq (zj_topology_parse ("all", &t), 0);
  cr_assert_eq (t, ZJ_TOPO_ALL);
  cr_assert_eq (zj_topology_parse ("star", &t), -1);
}
