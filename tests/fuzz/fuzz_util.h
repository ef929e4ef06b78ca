/* fuzz_util.h -- helpers shared by the fuzz targets (tests/fuzz/fuzz_*.c).
 *
 * Each target defines LLVMFuzzerTestOneInput and is built two ways: with
 * clang's libFuzzer (`make fuzz`, tests/fuzz/fuzz.sh) and with replay.c as
 * a plain program that the normal suite runs over the seed corpus and every
 * regression input (tests/fuzz/<target>/{seeds,regress}/).
 */
#ifndef ZJ_FUZZ_UTIL_H
#define ZJ_FUZZ_UTIL_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* data as a NUL-terminated string (malloc'd; the caller frees). */
static inline char *
zj_fuzz_text (const uint8_t *data, size_t size)
{
  char *t = malloc (size + 1);
  if (!t)
    abort ();
  memcpy (t, data, size);
  t[size] = '\0';
  return t;
}

static char zj_fuzz_dir_name[64];

/* Remove the scratch folder and the files the targets write into it. */
static inline void
zj_fuzz_cleanup (void)
{
  static const char *const names[] = { "in.csv", "labels.idx", "images.idx",
                                        "0.json", "proj.cache" };
  char path[128];
  for (size_t i = 0; i < sizeof names / sizeof *names; i++)
    {
      snprintf (path, sizeof path, "%s/%s", zj_fuzz_dir_name, names[i]);
      unlink (path);
    }
  rmdir (zj_fuzz_dir_name);
}

/* A private scratch folder for this process (created once, removed at
   exit), for loaders that read files.  It lives on a memory file system
   (/dev/shm) when there is one: on ext4, replacing a file's contents by
   truncation makes close() start writing it to disk (the
   replace-by-truncate heuristic), which cost every execution a disk
   write and held the CSV and IDX targets to ~10 executions a second on a
   busy machine. */
static inline const char *
zj_fuzz_dir (void)
{
  if (!zj_fuzz_dir_name[0])
    {
      const char *base = access ("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
      snprintf (zj_fuzz_dir_name, sizeof zj_fuzz_dir_name, "%s/zj-fuzz-XXXXXX", base);
      if (!mkdtemp (zj_fuzz_dir_name))
        abort ();
      atexit (zj_fuzz_cleanup);
    }
  return zj_fuzz_dir_name;
}

/* Write n bytes to dir/name (replacing it); returns the path (static). */
static inline const char *
zj_fuzz_file (const char *name, const void *p, size_t n)
{
  static char path[2][128];
  static int k;
  char *out = path[k++ & 1];
  snprintf (out, sizeof path[0], "%s/%s", zj_fuzz_dir (), name);
  unlink (out);               /* a new file, not a truncated one (above) */
  FILE *f = fopen (out, "wb");
  if (!f || (n && fwrite (p, 1, n, f) != n) || fclose (f) != 0)
    abort ();
  return out;
}
#endif
