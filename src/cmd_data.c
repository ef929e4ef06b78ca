/* cmd_data.c -- `zerojit data`: inspect real data sets and prebuild the
 * projected binary data sets that projected_binary_classification_task
 * uses, so a search does not pay for building them.
 *
 *   zerojit data info  --dataset NAME [--path P]
 *   zerojit data build --dataset NAME [--path P] --pairs all|I,J[/I,J...]
 *                      --seeds A-B|S[,S...] [--features F]
 *                      [--train N --valid N --test N]
 *
 * build's sizes must match what the task asks for: tasks on fashion_mnist
 * use 8000/1000/1000 (the defaults here); mnist and csv tasks use their
 * num_train_examples / num_valid_examples and no test split.
 */
#include "internal.h"
#include "cli.h"
#include "dataset.h"
#include <string.h>
#include <time.h>

static double
now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + 1e-9 * (double) ts.tv_nsec;
}

static int
data_info (const char *name, const char *path)
{
  zj_dataset ds;
  zj_error err = { "" };
  double t0 = now ();
  if (zj_dataset_load (name, path, NULL, &ds, &err) != 0)
    {
      fprintf (stderr, "zerojit data: %s\n", err.msg);
      return 1;
    }
  int max_class = -1;
  for (int i = 0; i < ds.n; i++)
    if (ds.y[i] > max_class)
      max_class = ds.y[i];
  printf ("%s: %d examples of %d features, %d classes (loaded in %.2f s)\n",
          name, ds.n, ds.d, max_class + 1, now () - t0);
  printf ("per class:");
  for (int c = 0; c <= max_class && c < 100; c++)
    printf (" %d:%d", c, zj_dataset_count (&ds, c));
  printf ("\n");
  zj_dataset_free (&ds);
  return 0;
}

/* "all", or pairs "I,J" separated by '/'; each normalised to I < J. */
static int
parse_pairs (const char *v, int pairs[45][2], int *n)
{
  *n = 0;
  if (!strcmp (v, "all"))
    {
      for (int i = 0; i < 10; i++)
        for (int j = i + 1; j < 10; j++)
          {
            pairs[*n][0] = i;
            pairs[(*n)++][1] = j;
          }
      return 0;
    }
  const char *s = v;
  while (*s && *n < 45)
    {
      int a, b, used;
      if (sscanf (s, "%d,%d%n", &a, &b, &used) != 2 || a == b || a < 0
          || b < 0)
        {
          fprintf (stderr, "zerojit data: --pairs=%s: expected 'all' or "
                   "I,J[/I,J...] with two different classes\n", v);
          return -1;
        }
      pairs[*n][0] = a < b ? a : b;
      pairs[(*n)++][1] = a < b ? b : a;
      s += used;
      if (*s == '/')
        s++;
    }
  return 0;
}

/* "A-B" (inclusive) or a comma list. */
static int
parse_seeds (const char *v, uint32_t **seeds, int *n)
{
  unsigned long a, b;
  int used;
  if (sscanf (v, "%lu-%lu%n", &a, &b, &used) == 2 && !v[used] && a <= b
      && b - a < 100000)
    {
      *n = (int) (b - a + 1);
      *seeds = zj_xmalloc (sizeof **seeds * (size_t) *n);
      for (int i = 0; i < *n; i++)
        (*seeds)[i] = (uint32_t) (a + (unsigned long) i);
      return 0;
    }
  *n = 0;
  *seeds = zj_xmalloc (sizeof **seeds * (strlen (v) + 1));
  for (const char *s = v; *s;)
    {
      if (sscanf (s, "%lu%n", &a, &used) != 1 || a > UINT32_MAX)
        {
          fprintf (stderr, "zerojit data: --seeds=%s: expected A-B or a "
                   "comma-separated list\n", v);
          free (*seeds);
          return -1;
        }
      (*seeds)[(*n)++] = (uint32_t) a;
      s += used;
      if (*s == ',')
        s++;
    }
  return 0;
}

/* Every seed of one pair; the pair's examples are read at most once. */
static int
build_pair (zj_proj_params *pp, const uint32_t *seeds, int ns, int *built,
            int *cached_n)
{
  zj_dataset ds = { 0 };
  int rc = 0;
  for (int s = 0; s < ns && rc == 0; s++)
    {
      pp->seed = seeds[s];
      zj_proj_data d;
      zj_error err = { "" };
      bool cached;
      double t0 = now ();
      if (zj_proj_get_reuse (pp, &ds, &d, &cached, &err) != 0)
        {
          fprintf (stderr, "zerojit data: %s\n", err.msg);
          rc = -1;
          break;
        }
      zj_proj_free (&d);
      printf ("pair %d,%d seed %u: %s in %.3f s\n", pp->pos, pp->neg,
              pp->seed, cached ? "cached" : "built", now () - t0);
      *built += !cached;
      *cached_n += cached;
    }
  zj_dataset_free (&ds);
  return rc;
}

static int
data_build (const zj_flag *flags, int nf, const char *name)
{
  zj_proj_params pp = { name, zj_cli_get (flags, nf, "path"), 0, 0, 0, 16,
                        8000, 1000, 1000 };
  const char *keys[4] = { "features", "train", "valid", "test" };
  int *dst[4] = { &pp.F, &pp.n_train, &pp.n_valid, &pp.n_test };
  for (int k = 0; k < 4; k++)
    {
      const char *v = zj_cli_get (flags, nf, keys[k]);
      int64_t x;
      if (v && zj_cli_int64 (keys[k], v, k == 0 || k == 1, 1 << 24, &x) != 0)
        return 2;
      if (v)
        *dst[k] = (int) x;
    }
  int pairs[45][2], np;
  uint32_t *seeds;
  int ns;
  const char *pv = zj_cli_get (flags, nf, "pairs");
  const char *sv = zj_cli_get (flags, nf, "seeds");
  if (parse_pairs (pv ? pv : "all", pairs, &np) != 0
      || parse_seeds (sv ? sv : "0-9", &seeds, &ns) != 0)
    return 2;
  double t_all = now ();
  int built = 0, cached_n = 0;
  for (int p = 0; p < np; p++)
    {
      pp.pos = pairs[p][0];
      pp.neg = pairs[p][1];
      if (build_pair (&pp, seeds, ns, &built, &cached_n) != 0)
        {
          free (seeds);
          return 1;
        }
    }
  char dir[4096];
  printf ("%d built, %d already cached, %.2f s total; cache: %s\n", built,
          cached_n, now () - t_all,
          zj_proj_cache_dir (dir, sizeof dir) == 0 ? dir : "(off)");
  free (seeds);
  return 0;
}

int
zj_cmd_data (int argc, char **argv)
{
  if (argc < 1 || (strcmp (argv[0], "info") && strcmp (argv[0], "build")))
    {
      fprintf (stderr, "usage: zerojit data info|build --dataset "
               "fashion_mnist|mnist|csv [--path P] [--pairs all|I,J/...] "
               "[--seeds A-B] [--features F] [--train N --valid N "
               "--test N]\n");
      return 2;
    }
  zj_flag flags[] = {
    { "dataset", NULL, false }, { "path", NULL, false },
    { "pairs", NULL, false }, { "seeds", NULL, false },
    { "features", NULL, false }, { "train", NULL, false },
    { "valid", NULL, false }, { "test", NULL, false },
  };
  const int nf = (int) (sizeof flags / sizeof flags[0]);
  if (zj_cli_parse (argc - 1, argv + 1, flags, nf, "data") != 0)
    return 2;
  const char *name = zj_cli_get (flags, nf, "dataset");
  if (!name)
    name = "fashion_mnist";
  if (!strcmp (argv[0], "info"))
    return data_info (name, zj_cli_get (flags, nf, "path"));
  return data_build (flags, nf, name);
}
