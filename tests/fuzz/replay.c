/* replay.c -- runs a fuzz target's entry point over files without
 * libFuzzer: `replay_X FILE|DIR...` feeds every file (directories one level
 * deep, sorted) to LLVMFuzzerTestOneInput.  Without arguments (the normal
 * suite) it replays $srcdir/tests/fuzz/<target>/seeds and .../regress, so
 * every crash the fuzzer ever found stays fixed. */
#include "fuzz_util.h"
#include <dirent.h>
#include <sys/stat.h>

static int
run_file (const char *path)
{
  FILE *f = fopen (path, "rb");
  if (!f)
    {
      fprintf (stderr, "replay: cannot open %s\n", path);
      return -1;
    }
  size_t cap = 4096, n = 0, k;
  uint8_t *buf = malloc (cap);
  while (buf && (k = fread (buf + n, 1, cap - n, f)) > 0)
    {
      n += k;
      if (n == cap)
        buf = realloc (buf, cap *= 2);
    }
  fclose (f);
  if (!buf)
    abort ();
  LLVMFuzzerTestOneInput (buf, n);
  free (buf);
  return 0;
}

static int
cmp (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

int
main (int argc, char **argv)
{
  int files = 0, bad = 0;
#ifdef ZJ_FUZZ_TARGET
  /* No arguments (the test suite): this target's seeds and regressions. */
  char seeds[4096], regress[4096];
  char *dflt[3];
  if (argc == 1)
    {
      const char *top = getenv ("srcdir") ? getenv ("srcdir") : ".";
      snprintf (seeds, sizeof seeds, "%s/tests/fuzz/%s/seeds", top, ZJ_FUZZ_TARGET);
      snprintf (regress, sizeof regress, "%s/tests/fuzz/%s/regress", top,
                ZJ_FUZZ_TARGET);
      struct stat st;
      dflt[0] = argv[0];
      dflt[1] = seeds;
      dflt[2] = regress;
      argc = stat (regress, &st) == 0 ? 3 : 2;
      argv = dflt;
    }
#endif
  for (int i = 1; i < argc; i++)
    {
      struct stat st;
      if (stat (argv[i], &st) != 0)
        {
          fprintf (stderr, "replay: no such file or folder: %s\n", argv[i]);
          bad++;
          continue;
        }
      if (!S_ISDIR (st.st_mode))
        {
          bad += run_file (argv[i]) != 0;
          files++;
          continue;
        }
      DIR *d = opendir (argv[i]);
      struct dirent *e;
      char **names = NULL;
      int n = 0;
      while (d && (e = readdir (d)))
        if (e->d_name[0] != '.')
          {
            names = realloc (names, sizeof *names * (size_t) (n + 1));
            size_t len = strlen (argv[i]) + strlen (e->d_name) + 2;
            names[n] = malloc (len);
            snprintf (names[n++], len, "%s/%s", argv[i], e->d_name);
          }
      if (d)
        closedir (d);
      if (n)
        qsort (names, (size_t) n, sizeof *names, cmp);
      for (int j = 0; j < n; j++)
        {
          bad += run_file (names[j]) != 0;
          files++;
          free (names[j]);
        }
      free (names);
    }
  printf ("replayed %d inputs, %d unreadable\n", files, bad);
  return bad || files == 0 ? 1 : 0;
}
